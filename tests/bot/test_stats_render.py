"""``hearth stats``: the report lines up in a terminal, whatever the channel names."""

from __future__ import annotations

import datetime as dt
import unicodedata

from bot.models import ArchiveStats, ChannelRecord, GuildRecord, MessageRecord
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


async def test_stats_say_how_many_are_system_messages(store):
    # hearth stats counted 168 messages where the digest spoke of 165: three were joins and
    # pins, which recaps leave out. The report says so.
    t0 = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    async with store.transaction():
        await store.guilds.upsert(GuildRecord(1, "g"))
        await store.channels.upsert(ChannelRecord(10, 1, "text", "general"))
        await store.messages.insert_many(
            [
                MessageRecord(1, 1, 10, 5, t0, "hi"),
                MessageRecord(2, 1, 10, 5, t0, "hello", kind="Reply"),
                MessageRecord(3, 1, 10, 6, t0, "", kind="GuildMemberJoin"),
                MessageRecord(4, 1, 10, 6, t0, "", kind="ChannelPinnedMessage"),
            ]
        )
    stats = await store.stats.archive()
    assert (stats.messages, stats.system_messages) == (4, 2)
    assert "2 system messages such as joins and pins, left out of recaps" in render_stats(stats)
