"""``hearth stats``: the report lines up in a terminal, whatever the channel names."""

from __future__ import annotations

import unicodedata

from bot.models import ArchiveStats
from bot.services.stats import render_stats


def columns(text: str) -> int:
    """Terminal columns: East Asian wide and fullwidth characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_busiest_channels_line_up_with_wide_names():
    stats = ArchiveStats(
        guilds=1, channels=3, threads=0, members=2, messages=60, deleted_messages=0,
        mentions=0, reactions=0, first_message_at=None, last_message_at=None,
        per_channel=(("雑談", 30), ("general", 20), ("日本語の練習", 10)),
    )  # fmt: skip
    rows = render_stats(stats).split("busiest channels:\n", 1)[1].splitlines()
    assert len(rows) == 3
    assert len({columns(r) for r in rows}) == 1, rows  # the counts end in one column
