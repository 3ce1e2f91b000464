"""Quality and speed bench for the extractive summarizer.

    python -m bench.quality                       # the hand-written set in bench/data/
    python -m bench.quality --samsum test.json    # SAMSum test split (JSON list)
    python -m bench.quality --speed 50000         # also time 50,000 fresh messages

Each dialogue ("Name: text" lines) becomes Lines; the hypothesis of every system is three
utterances written as "Name: text", one per line: our points, the first three (LEAD-3) or the
three longest (LONGEST-3), so all three quote the same amount of dialogue. A second row for
ours adds the title in front. ROUGE-1/2/L F1 uses rouge-score with the Porter
stemmer; its default tokenizer drops non-ASCII text, so dialogues whose reference summary is
Japanese are scored separately with a character tokenizer (kana, kanji, letters, digits).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rouge_score import rouge_scorer

from bot.recap.summarize.extractive import summarize_lines
from bot.recap.text import (
    clear_caches,
    detect_language,
    tokens,
)
from bot.recap.types import Line

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SET = ROOT / "bench" / "data" / "dialogues.json"
PUBLISHED_R1 = {"LEAD-3": 31.4, "LONGEST-3": 32.5}  # SAMSum test, Gliwa et al. 2019
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
TYPES = ["rouge1", "rouge2", "rougeL"]


class CharTokenizer:
    """One token per character, skipping spaces and punctuation (for Japanese ROUGE)."""

    def tokenize(self, text: str) -> list[str]:
        """Characters that are letters or digits, lowercased."""
        return [c for c in text.lower() if c.isalnum()]


def parse_dialogue(dialogue: str) -> list[Line]:
    """SAMSum "Name: text" lines -> Lines; a line without a name continues the last speaker."""
    lines: list[Line] = []
    ids: dict[str, int] = {}
    author = ""
    for raw in dialogue.replace("\r\n", "\n").split("\n"):
        if not raw.strip():
            continue
        name, sep, rest = raw.partition(":")
        if sep and name.strip() and len(name) <= 40:
            author, content = name.strip(), rest.strip()
        else:
            content = raw.strip()
        ids.setdefault(author, len(ids) + 1)
        lines.append(Line(len(lines) + 1, ids[author], author, content, T0))
    return lines


def quote(lines: Sequence[Line]) -> str:
    """Utterances as "Name: text", one per line."""
    return "\n".join(f"{line.author_name}: {line.content}" for line in lines)


def ours(lines: list[Line], with_title: bool) -> str:
    """Our summary as a hypothesis: points quoted like the baselines, optionally the title."""
    summary = summarize_lines(lines, "", max_points=3, is_thread=False)
    body = "\n".join(f"{p.author_name}: {p.text}" for p in summary.points)
    return f"{summary.title}\n{body}" if with_title else body


def lead3(lines: list[Line]) -> str:
    """The first three utterances."""
    return quote(lines[:3])


def longest3(lines: list[Line]) -> str:
    """The three longest utterances, in dialogue order."""
    top = sorted(range(len(lines)), key=lambda i: (-len(lines[i].content), i))[:3]
    return quote([lines[i] for i in sorted(top)])


SYSTEMS: dict[str, Callable[[list[Line]], str]] = {
    "ours (points)": lambda lines: ours(lines, with_title=False),
    "ours (title + points)": lambda lines: ours(lines, with_title=True),
    "LEAD-3": lead3,
    "LONGEST-3": longest3,
}


Table = dict[str, dict[str, dict[str, float]]]  # language -> system -> rouge type -> F1


def evaluate(items: Sequence[dict[str, str]]) -> tuple[Table, dict[str, int]]:
    """Mean ROUGE F1 x 100 per language group ("en", "ja") and system; dialogues per group."""
    scorers = {
        "en": rouge_scorer.RougeScorer(TYPES, use_stemmer=True),
        "ja": rouge_scorer.RougeScorer(TYPES, tokenizer=CharTokenizer()),
    }
    sums: Table = {}
    counts: dict[str, int] = {}
    for item in items:
        lines = parse_dialogue(item["dialogue"])
        if not lines:
            continue
        group = detect_language(item["summary"])
        counts[group] = counts.get(group, 0) + 1
        for system, run in SYSTEMS.items():
            scores = scorers[group].score(item["summary"], run(lines))
            acc = sums.setdefault(group, {}).setdefault(system, dict.fromkeys(TYPES, 0.0))
            for t in TYPES:
                acc[t] += scores[t].fmeasure
    means = {
        g: {s: {t: 100 * v / counts[g] for t, v in acc.items()} for s, acc in by.items()}
        for g, by in sums.items()
    }
    return means, counts


_PLACEHOLDER = re.compile(r"<(?:file_\w+|link)>", re.I)


def pick_stats(items: Sequence[dict[str, str]]) -> dict[str, float]:
    """Where our points come from, in percent of dialogues (of points for placeholders): the
    first and the last line picked, more than one speaker quoted (of dialogues with several),
    and SAMSum placeholders such as ``<file_gif>`` quoted."""
    first = last = multi = several = placeholders = points = n = 0
    for item in items:
        lines = parse_dialogue(item["dialogue"])
        if not lines:
            continue
        n += 1
        summary = summarize_lines(lines, "", max_points=3, is_thread=False)
        ids = [p.message_id for p in summary.points]
        first += lines[0].message_id in ids
        last += lines[-1].message_id in ids
        if len({line.author_id for line in lines}) > 1:
            several += 1
            multi += len({p.author_id for p in summary.points}) > 1
        points += len(ids)
        placeholders += sum(bool(_PLACEHOLDER.search(p.text)) for p in summary.points)
    return {
        "first line picked": 100 * first / max(n, 1),
        "last line picked": 100 * last / max(n, 1),
        "several speakers quoted": 100 * multi / max(several, 1),
        "points quoting a placeholder": 100 * placeholders / max(points, 1),
    }


def speed(items: Sequence[dict[str, str]], n: int, per_conversation: int) -> None:
    """Tokenize and summarize ``n`` distinct messages (a number makes each unique); print rates."""
    pool = [line for item in items for line in parse_dialogue(item["dialogue"])]
    picks = [pool[i % len(pool)] for i in range(n)]
    messages = [
        Line(i + 1, p.author_id, p.author_name, f"{p.content} {i}", T0) for i, p in enumerate(picks)
    ]
    clear_caches()
    t = time.perf_counter()
    count = sum(len(tokens(m.content)) for m in messages)
    tok_s = time.perf_counter() - t
    clear_caches()
    t = time.perf_counter()
    for start in range(0, n, per_conversation):
        summarize_lines(messages[start : start + per_conversation], "bench", is_thread=False)
    cold = time.perf_counter() - t
    t = time.perf_counter()
    for start in range(0, n, per_conversation):
        summarize_lines(messages[start : start + per_conversation], "bench", is_thread=False)
    warm = time.perf_counter() - t
    ja = sum(detect_language(m.content) == "ja" for m in messages)
    print(f"\nspeed: {n} messages ({ja} Japanese), conversations of {per_conversation}")
    rate = f"{n / tok_s:9,.0f} msg/s  {count / tok_s:10,.0f} content tokens/s"
    print(f"  tokens() only, cold       {tok_s:7.3f} s  {rate}")
    print(f"  summarize, cold cache     {cold:7.3f} s  {n / cold:9,.0f} msg/s")
    print(f"  summarize, warm cache     {warm:7.3f} s  {n / warm:9,.0f} msg/s")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the bench and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samsum", type=Path, help="SAMSum-format JSON file")
    parser.add_argument("--limit", type=int, default=0, help="first N dialogues only")
    parser.add_argument("--speed", type=int, default=0, help="also time N fresh messages")
    parser.add_argument("--lines", type=int, default=10, help="lines per conversation (--speed)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    tokens("辞書を読み込む")  # import sudachipy and load its dictionary, once per process
    print(f"sudachi import + dictionary load: {time.perf_counter() - started:.3f} s")
    path = args.samsum or DEFAULT_SET
    items = json.loads(path.read_text(encoding="utf-8"))
    if args.limit:
        items = items[: args.limit]
    print(f"data: {path} ({len(items)} dialogues)")
    print("hypothesis: 3 utterances as 'Name: text' (ours: the summary's points, excerpted")
    print("to 200 chars); 'title + points' also prepends the title.")
    results, counts = evaluate(items)
    for group, by_system in sorted(results.items()):
        note = "Porter-stemmed words" if group == "en" else "characters"
        print(f"\n[{group}] {counts[group]} dialogues, ROUGE F1 over {note}")
        print(f"  {'system':<24}{'R-1':>7}{'R-2':>7}{'R-L':>7}")
        for system, scores in by_system.items():
            r1, r2, rl = (scores[t] for t in TYPES)
            print(f"  {system:<24}{r1:7.2f}{r2:7.2f}{rl:7.2f}")
    print("\nour points:")
    for what, value in pick_stats(items).items():
        print(f"  {what:<30}{value:6.1f} %")
    print("\npublished (SAMSum test, Gliwa et al. 2019), R-1:", end="")
    print("".join(f"  {k} {v}" for k, v in PUBLISHED_R1.items()))
    if args.speed:
        speed(items, args.speed, args.lines)
    print(f"\ntotal runtime {time.perf_counter() - started:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
