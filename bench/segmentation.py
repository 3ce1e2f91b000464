"""Score the conversation segmenter on IRC disentanglement data, as DSTC8 scores it.

Data format (Kummerfeld et al. 2019, "A Large-Scale Corpus for Conversation Disentanglement"):
``NAME.raw.txt`` holds lines like ``[03:56] <nick> text`` (system lines start with ``===``) and
``NAME.annotation.txt`` holds ``parent child -`` links between 0-based line numbers; a self-link
``n n -`` starts a conversation. Gold conversations are the connected components of the link
graph over every line a link touches from the first annotated line on (line 1000 in the
corpus); earlier lines are context.

IRC has no reply button: a reply is written ``nick: text``. Such a line becomes a reply to the
addressee's latest message and a mention of them, which is what the segmenter reads on Discord.
System lines are their own conversation for every predictor (Hearth drops them before
segmenting); they are scored, as in DSTC8, unless ``--people-only``.

Metrics (bench/segmentation_metrics.py, checked against ``dstc8-evaluation.py``): scaled VI
(1 − VI / log2 N over all files at once), one-to-one overlap (Elsner & Charniak 2008) and
exact-match precision/recall/F1 over conversations of two or more messages. Baselines in the
same pass: "previous message" (each message links to the one before: one conversation), and a
new conversation after a silence of 1 or 45 minutes.

    python -m bench.segmentation                 # the hand-made sample in tests/bot/recap/data
    python -m bench.segmentation --data DIR      # every NAME.raw.txt/NAME.annotation.txt pair

The corpus is not on PyPI; it lives in the github.com/jkkummerfeld/irc-disentanglement
repository (``data/{train,dev,test}``): clone it outside this repository and pass
``--data .../data/dev``. Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.segmentation_metrics import Clusters, Score, restrict, score
from bot.recap.disentangle import Weights
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
    """Gold conversations over the annotated lines: every line a link touches from the first
    annotated one on (line 1000 in the corpus; what ``dstc8-evaluation.py`` scores)."""
    if not links:
        return []
    first = min(child for _, child in links)
    nodes = sorted({n for link in links for n in link if n >= first})
    return components(nodes, links)


def to_posts(lines: Sequence[IrcLine], *, words: bool = True) -> list[Post]:
    """Non-system lines as posts; ``nick:`` addressing becomes a mention (not a reply link:
    on IRC it does not say which message is answered)."""
    ids: dict[str, int] = {}
    posts = []
    for line in lines:
        if line.nick is None:
            continue
        author = ids.setdefault(line.nick.lower(), len(ids) + 1)
        mentions: tuple[int, ...] = ()
        text = line.text
        address = _ADDRESS.match(text)
        if address:
            nick = address[1].lower()
            if nick in ids and nick != line.nick.lower():
                mentions = (ids[nick],)
                text = text[address.end() :]
        content = frozenset(tokens(text)) - ids.keys() if words else frozenset()
        posts.append(Post(line.index, author, line.at, None, mentions, content))
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


def predict_ours(
    lines: Sequence[IrcLine],
    params: SegmentParams = DEFAULT_PARAMS,
    *,
    weights: Weights | None = None,
) -> Clusters:
    """Hearth's segmenter (with other ``weights``, for training)."""
    if weights is not None:
        params = dataclasses.replace(params, weights=weights)
    posts = to_posts(lines)
    return _with_system(lines, posts, assign(posts, params))


def predict_one(lines: Sequence[IrcLine]) -> Clusters:
    """Baseline "previous message": each message links to the one before it, so the channel's
    people are one conversation (system lines stay apart, as for every predictor)."""
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


def evaluate(
    pairs: Sequence[tuple[list[IrcLine], list[tuple[int, int]]]],
    predict: Callable[[Sequence[IrcLine]], Clusters],
    *,
    with_system: bool = True,
) -> Score:
    """Score ``predict`` over (lines, links) pairs, as DSTC8 does (system lines included).

    ``with_system=False`` leaves joins and quits out: every predictor gets them right for free.
    """
    files = []
    for lines, links in pairs:
        gold = gold_clusters(links)
        if not with_system:
            people = frozenset(line.index for line in lines if line.nick is not None)
            gold = restrict(gold, people)
        nodes = frozenset().union(*gold) if gold else frozenset()
        files.append((gold, restrict(predict(lines), nodes)))
    return score(files)


def load(directory: Path) -> list[tuple[list[IrcLine], list[tuple[int, int]]]]:
    """Every NAME.raw.txt with its NAME.annotation.txt in ``directory``."""
    pairs = []
    for raw in sorted(directory.glob("*.raw.txt")):
        annotation = raw.with_name(raw.name.replace(".raw.txt", ".annotation.txt"))
        if annotation.exists():
            pairs.append((parse_raw(raw), parse_annotation(annotation)))
    return pairs


def _row(name: str, score: Score) -> str:
    figures = (score.vi, score.one_to_one, score.precision, score.recall, score.f1)
    return f"{name:<28}" + "".join(f" {x:7.1f}" for x in figures)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the scores of Hearth's segmenter and the baselines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SAMPLE_DIR)
    parser.add_argument("--people-only", action="store_true", help="leave system lines out")
    args = parser.parse_args(argv)
    sys_ = not args.people_only
    pairs = load(args.data)
    if not pairs:
        print(f"no NAME.raw.txt/NAME.annotation.txt pairs in {args.data}")
        return 1
    messages = sum(len({c for _, c in links}) for _, links in pairs)
    print(f"{len(pairs)} file(s), {messages} annotated messages from {args.data}")
    print(f"{'predictor':<28} {'VI':>7} {'1-to-1':>7} {'P':>7} {'R':>7} {'F1':>7}")
    minutes = int(DEFAULT_PARAMS.gap.total_seconds() // 60)
    one_minute = dt.timedelta(minutes=1)
    rows: list[tuple[str, Callable[[Sequence[IrcLine]], Clusters]]] = [
        ("hearth (defaults)", predict_ours),
        ("previous message", predict_one),
        ("time gap only (1 min)", lambda lines: predict_gap(lines, one_minute)),
        (f"time gap only ({minutes} min)", predict_gap),
    ]
    for name, predict in rows:
        print(_row(name, evaluate(pairs, predict, with_system=sys_)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
