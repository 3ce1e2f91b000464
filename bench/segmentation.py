"""Score the conversation segmenter on IRC disentanglement data.

Data format (Kummerfeld et al. 2019, "A Large-Scale Corpus for Conversation Disentanglement"):
``NAME.raw.txt`` holds lines like ``[03:56] <nick> text`` (system lines start with ``===``) and
``NAME.annotation.txt`` holds ``parent child -`` links between 0-based line numbers; a self-link
``n n -`` starts a conversation. Gold conversations are the connected components of the link
graph, restricted to the annotated lines (the children); earlier lines are context.

IRC has no reply button: a reply is written ``nick: text``. Such a line becomes a reply to the
addressee's latest message and a mention of them, which is what the segmenter reads on Discord.
System lines are their own conversation for every predictor (Hearth drops them before
segmenting).

Metrics: one-to-one overlap (Elsner & Charniak 2008: the share of messages covered by a
maximum-weight matching between gold and predicted conversations) and conversation exact-match
precision/recall/F1 (Kummerfeld et al. 2019). Baselines run in the same pass: everything in one
conversation, and time gap only.

    python -m bench.segmentation                 # the hand-made sample in tests/bot/recap/data
    python -m bench.segmentation --data DIR      # every NAME.raw.txt/NAME.annotation.txt pair
    python -m bench.segmentation --data DIR --tune

The corpus is not on PyPI; it lives in the github.com/jkkummerfeld/irc-disentanglement
repository (``data/{train,dev,test}``): clone it and pass ``--data .../data/dev``.

Measured (people's messages only; system lines are scored by ``--with-system``)::

    data                         predictor            1-to-1   P     R     F1
    hand-made sample (51 lines)  hearth (defaults)     83.3  50.0  66.7  57.1
                                 one conversation      22.9   0.0   0.0   0.0
                                 time gap only (45m)   43.8   0.0   0.0   0.0
    IRC dev 2004-11-15_03        hearth (defaults)     80.3  28.6  38.1  32.7
      (250 annotated lines)      one conversation      22.7   0.0   0.0   0.0
                                 time gap only (45m)   22.7   0.0   0.0   0.0
                                 time gap only (5m)    33.0  50.0   9.5  16.0

(The IRC file was rebuilt from the repository with its first 950 context lines blanked out as
system lines, so its score is a slight underestimate.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.segmentation_metrics import Clusters, one_to_one, restrict
from bot.recap.segment import DEFAULT_PARAMS, Post, SegmentParams, assign
from bot.recap.text import tokens

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "tests" / "bot" / "recap" / "data"
_LINE = re.compile(r"^\[(\d\d):(\d\d)\]\s+(?:<([^>]+)>|\*\s+(\S+))\s?(.*)$")
_ADDRESS = re.compile(r"^\s*([^\s:,]+)\s*[:,]")
_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)")


@dataclass(frozen=True, slots=True)
class IrcLine:
    """One raw line: ``nick`` None for system lines."""

    index: int
    at: dt.datetime
    nick: str | None
    text: str


def parse_raw(path: Path) -> list[IrcLine]:
    """Raw lines with times (rolling over midnight) and nicks."""
    match = _DATE.search(path.name)
    day = (
        dt.datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=dt.UTC)
        if match
        else dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    lines: list[IrcLine] = []
    last = day
    for index, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines()):
        found = _LINE.match(raw)
        if found is None:
            lines.append(IrcLine(index, last, None, raw))
            continue
        at = day.replace(hour=int(found[1]), minute=int(found[2]))
        while at < last - dt.timedelta(hours=1):
            at += dt.timedelta(days=1)
            day += dt.timedelta(days=1)
        last = max(last, at)
        lines.append(IrcLine(index, at, found[3] or found[4], found[5]))
    return lines


def parse_annotation(path: Path) -> list[tuple[int, int]]:
    """(parent, child) links."""
    links = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        parts = raw.split()
        if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
            links.append((int(parts[0]), int(parts[1])))
    return links


def components(nodes: Sequence[int], links: Sequence[tuple[int, int]]) -> Clusters:
    """Connected components of ``links`` restricted to ``nodes`` (union-find)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        parent[find(a)] = find(b)
    groups: dict[int, set[int]] = {}
    for node in nodes:
        groups.setdefault(find(node), set()).add(node)
    return [frozenset(g) for g in groups.values()]


def gold_clusters(links: Sequence[tuple[int, int]]) -> Clusters:
    """Gold conversations over the annotated lines."""
    annotated = sorted({child for _, child in links})
    return components(annotated, links)


def to_posts(lines: Sequence[IrcLine], *, words: bool = True) -> list[Post]:
    """Non-system lines as posts; ``nick:`` addressing becomes a reply and a mention."""
    ids: dict[str, int] = {}
    latest: dict[str, int] = {}
    posts = []
    for line in lines:
        if line.nick is None:
            continue
        author = ids.setdefault(line.nick.lower(), len(ids) + 1)
        reply_to: int | None = None
        mentions: tuple[int, ...] = ()
        text = line.text
        address = _ADDRESS.match(text)
        if address:
            nick = address[1].lower()
            if nick in latest and nick != line.nick.lower():
                reply_to = latest[nick]
                mentions = (ids[nick],)
                text = text[address.end() :]
        content = frozenset(tokens(text)) - ids.keys() if words else frozenset()
        posts.append(Post(line.index, author, line.at, reply_to, mentions, content))
        latest[line.nick.lower()] = line.index
    return posts


def _with_system(
    lines: Sequence[IrcLine], posts: Sequence[Post], labels: Sequence[int]
) -> Clusters:
    groups: dict[int, set[int]] = {}
    for post, label in zip(posts, labels, strict=True):
        groups.setdefault(label, set()).add(post.id)
    clusters = [frozenset(g) for g in groups.values()]
    clusters += [frozenset({line.index}) for line in lines if line.nick is None]
    return clusters


def predict_ours(lines: Sequence[IrcLine], params: SegmentParams = DEFAULT_PARAMS) -> Clusters:
    """Hearth's segmenter."""
    posts = to_posts(lines)
    return _with_system(lines, posts, assign(posts, params))


def predict_one(lines: Sequence[IrcLine]) -> Clusters:
    """Baseline: the whole channel is one conversation."""
    posts = to_posts(lines)
    return _with_system(lines, posts, [0] * len(posts))


def predict_gap(lines: Sequence[IrcLine], gap: dt.timedelta = DEFAULT_PARAMS.gap) -> Clusters:
    """Baseline: a new conversation after ``gap`` of silence, nothing else."""
    posts = to_posts(lines)
    labels, label, last = [], 0, None
    for post in posts:
        if last is not None and post.created_at - last > gap:
            label += 1
        labels.append(label)
        last = post.created_at
    return _with_system(lines, posts, labels)


@dataclass(frozen=True, slots=True)
class Score:
    """Scores of one predictor, summed over files (micro-averaged)."""

    one_to_one: float
    precision: float
    recall: float
    f1: float


def evaluate(
    pairs: Sequence[tuple[list[IrcLine], list[tuple[int, int]]]],
    predict: Callable[[Sequence[IrcLine]], Clusters],
    *,
    with_system: bool = False,
) -> Score:
    """Score ``predict`` over (lines, links) pairs.

    System lines (joins, quits) are left out unless ``with_system``: every predictor gets them
    right for free, which only inflates the exact-match scores.
    """
    covered = total = hits = n_gold = n_pred = 0.0
    for lines, links in pairs:
        gold = gold_clusters(links)
        if not with_system:
            people = frozenset(line.index for line in lines if line.nick is not None)
            gold = restrict(gold, people)
        nodes = frozenset().union(*gold) if gold else frozenset()
        predicted = restrict(predict(lines), nodes)
        size = sum(len(c) for c in gold)
        covered += one_to_one(gold, predicted) * size / 100.0
        total += size
        hits += len(set(gold) & set(predicted))
        n_gold += len(gold)
        n_pred += len(predicted)
    precision = 100.0 * hits / n_pred if n_pred else 0.0
    recall = 100.0 * hits / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(100.0 * covered / total if total else 0.0, precision, recall, f1)


def load(directory: Path) -> list[tuple[list[IrcLine], list[tuple[int, int]]]]:
    """Every NAME.raw.txt with its NAME.annotation.txt in ``directory``."""
    pairs = []
    for raw in sorted(directory.glob("*.raw.txt")):
        annotation = raw.with_name(raw.name.replace(".raw.txt", ".annotation.txt"))
        if annotation.exists():
            pairs.append((parse_raw(raw), parse_annotation(annotation)))
    return pairs


def _row(name: str, score: Score) -> str:
    return (
        f"{name:<28} {score.one_to_one:7.1f} {score.precision:7.1f} "
        f"{score.recall:7.1f} {score.f1:7.1f}"
    )


def _tune(pairs: Sequence[tuple[list[IrcLine], list[tuple[int, int]]]], sys_: bool) -> None:
    """Grid-search the segmenter's knobs; rank by one-to-one + F1."""
    results = []
    for gap, join, overlap, span in itertools.product(
        (15, 30, 45, 60), (0, 1, 2, 5), (1, 2, 99), (10, 30)
    ):
        params = SegmentParams(
            gap=dt.timedelta(minutes=gap),
            join_recent=dt.timedelta(minutes=join),
            min_overlap=overlap,
            vocab_span=dt.timedelta(minutes=span),
        )
        score = evaluate(pairs, lambda lines, p=params: predict_ours(lines, p), with_system=sys_)
        results.append(
            (score.one_to_one + score.f1, f"g={gap} j={join} o={overlap} s={span}", score)
        )
    results.sort(key=lambda r: r[0], reverse=True)
    for _, name, score in results[:10]:
        print(_row(name, score))
    for gap in (5, 15, 30, 60):
        score = evaluate(
            pairs,
            lambda lines, g=gap: predict_gap(lines, dt.timedelta(minutes=g)),
            with_system=sys_,
        )
        print(_row(f"time gap only ({gap} min)", score))


def main(argv: Sequence[str] | None = None) -> int:
    """Print the scores of Hearth's segmenter and the baselines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SAMPLE_DIR)
    parser.add_argument("--tune", action="store_true", help="grid-search gap and join_recent")
    parser.add_argument("--with-system", action="store_true", help="score system lines too")
    args = parser.parse_args(argv)
    sys_ = args.with_system
    pairs = load(args.data)
    if not pairs:
        print(f"no NAME.raw.txt/NAME.annotation.txt pairs in {args.data}")
        return 1
    messages = sum(len({c for _, c in links}) for _, links in pairs)
    print(f"{len(pairs)} file(s), {messages} annotated messages from {args.data}")
    print(f"{'predictor':<28} {'1-to-1':>7} {'P':>7} {'R':>7} {'F1':>7}")
    minutes = int(DEFAULT_PARAMS.gap.total_seconds() // 60)
    print(_row("hearth (defaults)", evaluate(pairs, predict_ours, with_system=sys_)))
    print(_row("one conversation", evaluate(pairs, predict_one, with_system=sys_)))
    print(_row(f"time gap only ({minutes} min)", evaluate(pairs, predict_gap, with_system=sys_)))
    if args.tune:
        _tune(pairs, sys_)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
