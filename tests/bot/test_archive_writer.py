"""The archive writer: ordered, batched, atomic, and nothing lost when a flush fails."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.archive import ArchiveWriter
from bot.models import ChannelRecord, GuildRecord, MemberRecord, MessageRecord, ReactionRecord
from tests.conftest import T0

G, CH = 1, 10


def msg(mid: int, content: str = "hello", author: int = 100) -> MessageRecord:
    return MessageRecord(mid, G, CH, author, T0 + dt.timedelta(seconds=mid), content)


async def test_events_apply_in_arrival_order(store):
    writer = ArchiveWriter(store, interval=60)
    writer.guild(GuildRecord(G, "g"))
    writer.channel(ChannelRecord(CH, G, "text", "general"))
    writer.members([MemberRecord(G, 100, "aiko")])
    writer.message(msg(1))
    writer.reaction_add(ReactionRecord(1, 200, "👍"))
    writer.edit(MessageRecord(1, G, CH, 100, T0, "edited", edited_at=T0 + dt.timedelta(1)))
    writer.message(msg(2))
    writer.delete([2])
    writer.reaction_remove(ReactionRecord(1, 200, "👍"))
    writer.reaction_add(ReactionRecord(1, 300, "🎉"))
    assert await writer.flush() == 10
    assert (await store.messages.get(1)).content == "edited"
    assert (await store.messages.get(2)).deleted
    assert [r.user_id for r in await store.messages.reactions(1)] == [300]
    assert (await store.members.get(G, 100)).last_seen_at == T0 + dt.timedelta(seconds=2)


async def test_edit_of_unknown_message_stores_it(store):
    writer = ArchiveWriter(store, interval=60)
    late = MessageRecord(5, G, CH, 100, T0, "missed while away", edited_at=T0)
    writer.edit(late)
    writer.edit(MessageRecord(6, G, CH, 100, T0, "embed unfurl, no edit time"))
    await writer.flush()
    assert (await store.messages.get(5)).content == "missed while away"
    assert await store.messages.get(6) is None


async def test_a_failing_batch_lands_nothing_and_is_kept(store):
    writer = ArchiveWriter(store, interval=60)
    writer.message(msg(1))
    writer.cursor(CH, 1)

    async def boom(_store):
        raise RuntimeError("disk full")

    writer._put(type(writer._ops[0])("boom", boom))  # a write that fails mid-batch
    writer.message(msg(2))
    with pytest.raises(RuntimeError):
        await writer.flush()
    # One transaction per flush: the first message did not land either, and all is queued.
    assert await store.messages.get(1) is None
    assert await store.cursors.get(CH) is None
    assert writer.pending == 4
    writer._ops = [op for op in writer._ops if op.kind != "boom"]
    await writer.flush()
    assert await store.messages.get(2) is not None
    assert await store.cursors.get(CH) == 1  # the explicit cursor, not the newest id


async def test_full_batch_wakes_the_flusher_and_stop_flushes_the_rest(store):
    writer = ArchiveWriter(store, max_batch=50, interval=60)
    writer.start()
    writer.messages([msg(i) for i in range(1, 51)])
    for _ in range(100):
        if writer.pending == 0:
            break
        await asyncio.sleep(0.01)
    assert writer.pending == 0  # flushed by size, long before the 60 s interval
    writer.message(msg(51))
    await writer.stop()
    assert (await store.stats.archive()).messages == 51


async def test_live_messages_move_the_cursor_only_when_asked(store):
    writer = ArchiveWriter(store, interval=60)
    writer.message(msg(1), advance_cursor=False)
    await writer.flush()
    async with store.conn.execute("SELECT COUNT(*) FROM backfill_cursors") as cur:
        assert (await cur.fetchone())[0] == 0
    writer.message(msg(7), advance_cursor=True)
    await writer.flush()
    async with store.conn.execute("SELECT last_id FROM backfill_cursors") as cur:
        assert (await cur.fetchone())[0] == 7


async def test_backpressure_keeps_the_queue_short(store):
    writer = ArchiveWriter(store, max_batch=10, interval=60)
    for i in range(1, 200):
        writer.message(msg(i))
        await writer.backpressure()
        assert writer.pending < 40
    await writer.stop()
    assert (await store.stats.archive()).messages == 199
