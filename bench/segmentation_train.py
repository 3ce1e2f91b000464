"""Learn the weights of Hearth's antecedent linker (bot/recap/disentangle.py).

Reads the *train* split of the Ubuntu IRC disentanglement corpus (``data/train`` of
github.com/jkkummerfeld/irc-disentanglement, kept outside this repository) and maximises the
log-likelihood of the annotated antecedents under a softmax over each message's candidates
(itself and the earlier messages the linker would consider), with AdaGrad. Conversation state
(who is in which conversation) follows the annotated links while training. Pure Python, about
half a minute per pass on two cores. Prints the weights to paste into disentangle.py, and the
scores on ``--dev`` after each pass.

    python -m bench.segmentation_train --train .../data/train --dev .../data/dev
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.segmentation import IrcLine, evaluate, load, predict_ours, to_posts
from bot.recap.disentangle import PAIR_FEATURES, SELF_FEATURES, Linker, Weights
from bot.recap.segment import Post

Example = tuple[list[Post], dict[int, set[int]]]


def examples(pairs: Sequence[tuple[list[IrcLine], list[tuple[int, int]]]]) -> list[Example]:
    """Posts of each file with, for each annotated post, the positions of its antecedents
    (its own position when it starts a conversation or answers a system line)."""
    out = []
    for lines, links in pairs:
        posts = to_posts(lines)
        position = {p.id: i for i, p in enumerate(posts)}
        gold: dict[int, set[int]] = {}
        for parent, child in links:
            if child in position:
                i = position[child]
                gold.setdefault(i, set()).add(position.get(parent, i))
        out.append((posts, gold))
    return out


def train(
    data: Sequence[Example],
    epochs: int,
    rate: float = 0.1,
    seed: int = 1,
    report: Callable[[int, float, Weights], None] | None = None,
) -> Weights:
    """AdaGrad over the softmax log-likelihood of the annotated antecedents."""
    pair = [0.0] * len(PAIR_FEATURES)
    alone = [0.0] * len(SELF_FEATURES)
    squares = ([0.0] * len(PAIR_FEATURES), [0.0] * len(SELF_FEATURES))
    order = list(range(len(data)))
    rng = random.Random(seed)
    for epoch in range(epochs):
        rng.shuffle(order)
        loss = 0.0
        for k in order:
            posts, gold = data[k]
            linker = Linker(weights=Weights(pair, alone))
            for i, post in enumerate(posts):
                wanted = gold.get(i)
                if not wanted:
                    linker.add(post)
                    continue
                reachable = [j for j in linker.candidates(post) if j in wanted]
                if reachable:
                    loss += _step(linker, post, set(reachable), (pair, alone), squares, rate)
                end = len(linker.history)  # the state follows the annotation, in reach or not
                linker.add(post, max((j for j in wanted if j < end), default=end))
        if report is not None:
            report(epoch, loss, Weights(tuple(pair), tuple(alone)))
    return Weights(tuple(pair), tuple(alone))


def _step(
    linker: Linker,
    post: Post,
    wanted: set[int],
    weights: tuple[list[float], list[float]],
    squares: tuple[list[float], list[float]],
    rate: float,
) -> float:
    end = len(linker.history)
    rows = [(j, linker.features(post, j)) for j in linker.candidates(post)]
    scores = [sum(w * x for w, x in zip(weights[j == end], f, strict=True)) for j, f in rows]
    top = max(scores)
    exp = [math.exp(s - top) for s in scores]
    total = sum(exp)
    good = sum(e for (j, _), e in zip(rows, exp, strict=True) if j in wanted)
    grads = ([0.0] * len(weights[0]), [0.0] * len(weights[1]))
    for (j, f), e in zip(rows, exp, strict=True):
        coefficient = e / total - (e / good if j in wanted else 0.0)
        grad = grads[j == end]
        for n, x in enumerate(f):
            grad[n] += coefficient * x
    for side in (0, 1):
        for n, g in enumerate(grads[side]):
            if g:
                squares[side][n] += g * g
                weights[side][n] -= rate * g / math.sqrt(squares[side][n])
    return -math.log(good / total)


def main(argv: Sequence[str] | None = None) -> int:
    """Train, report dev after each pass, print the weights."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, required=True)
    parser.add_argument("--dev", type=Path)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)
    started = time.monotonic()
    data = examples(load(args.train))
    if not data:
        print(f"no NAME.raw.txt/NAME.annotation.txt pairs in {args.train}")
        return 1
    dev = load(args.dev) if args.dev else []
    print(f"{len(data)} train files, {sum(len(g) for _, g in data)} annotated messages")

    def report(epoch: int, loss: float, weights: Weights) -> None:
        line = f"pass {epoch + 1}: loss {loss:,.0f}, {time.monotonic() - started:.0f} s"
        if dev:
            s = evaluate(dev, lambda lines: predict_ours(lines, weights=weights))
            line += f"; dev VI {s.vi:.1f}, one-to-one {s.one_to_one:.1f}, F1 {s.f1:.1f}"
        print(line, flush=True)

    weights = train(data, args.epochs, report=report)
    print("PAIR_WEIGHTS = (" + ", ".join(f"{w:.3f}" for w in weights.pair) + ")")
    print("SELF_WEIGHTS = (" + ", ".join(f"{w:.3f}" for w in weights.alone) + ")")
    for name, w in zip(PAIR_FEATURES + SELF_FEATURES, weights.pair + weights.alone, strict=True):
        print(f"  {w:+7.3f}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
