"""Precision and recall of the decision and ask rules (``bot/recap/decisions.py``).

The labelled set, ``bench/data/decisions.json``, is every text message of the bundled sample
community (``bot/sample``, English and Japanese), labelled by an annotator who had the written
guidelines (below) and not the rules. Guidelines: a *decision* states what the group agreed or
settled, or the writer's commitment to do a concrete thing for the group (open proposals,
questions, opinions, thanks and reports of past actions are not); an *ask* addresses someone
(a mention or their name) and asks them a question or to do something.

    python -m bench.decisions
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.recap.decisions import is_ask, is_decision

DATA = Path(__file__).resolve().parent / "data" / "decisions.json"


def score(found: list[bool], gold: list[bool]) -> tuple[float, float, int, int]:
    """(precision, recall, true positives, predicted positives)."""
    tp = sum(f and g for f, g in zip(found, gold, strict=True))
    predicted, actual = sum(found), sum(gold)
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    return precision, recall, tp, predicted


def main(argv: list[str] | None = None) -> int:
    """Print the figures, and the disagreements."""
    del argv
    rows = json.loads(DATA.read_text(encoding="utf-8"))
    decisions = [is_decision(r["text"]) for r in rows]
    asks = [is_ask(r["text"], len(r["mentions"])) for r in rows]
    print(f"{len(rows)} labelled messages ({DATA.name})")
    for name, found, key in (("decisions", decisions, "decision"), ("asks", asks, "ask")):
        gold = [bool(r[key]) for r in rows]
        precision, recall, tp, predicted = score(found, gold)
        print(
            f"{name:<10} precision {precision:.2f} ({tp}/{predicted})  "
            f"recall {recall:.2f} ({tp}/{sum(gold)})"
        )
        for row, f, g in zip(rows, found, gold, strict=True):
            if f != g:
                print(f"   {'false +' if f else 'missed '}  {row['text'][:90]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
