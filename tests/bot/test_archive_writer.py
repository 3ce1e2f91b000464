"""The archive writer: ordered, batched, atomic, and nothing lost when a flush fails."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3

import pytest

from bot.ingest.writer import ArchiveWriter, _Op
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

    writer._put(_Op("boom", boom))  # a write that fails mid-batch
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


async def test_a_cancelled_begin_leaves_no_transaction_open(store):
    # The task is cancelled while BEGIN waits in aiosqlite's queue: BEGIN still runs in the
    # database thread, after the check of in_transaction. The connection must come back clean.
    for _ in range(5):
        # Keep the database thread busy so BEGIN is still queued when the cancel arrives.
        busy = asyncio.ensure_future(store.conn.execute(_SLOW))
        task = asyncio.create_task(_one_write(store))
        await asyncio.sleep(0.01)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await busy
        await store.conn.execute("SELECT 1")  # let whatever was queued run
        assert not store.conn.in_transaction
    async with store.transaction():
        await store.messages.insert_many([msg(1)])
    assert await store.messages.get(1) is not None


_SLOW = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000000) "
    "SELECT COUNT(*) FROM n"
)


async def _one_write(store) -> None:
    async with store.transaction():
        await store.messages.insert_many([msg(99)])


async def test_stop_while_the_flusher_is_mid_batch_lands_everything(store):
    for attempt in range(10):
        writer = ArchiveWriter(store, max_batch=20, interval=60)
        writer.start()
        base = attempt * 1000
        writer.messages([msg(base + i) for i in range(1, 101)])
        await asyncio.sleep(0)  # the flusher starts its batch
        await asyncio.sleep(0)
        # Must neither cancel the batch half-way nor leave a transaction open.
        await asyncio.wait_for(writer.stop(), timeout=10)
        assert writer.pending == 0
        assert not store.conn.in_transaction
    assert (await store.stats.archive()).messages == 1000


async def test_backpressure_waits_for_a_running_flusher(store):
    writer = ArchiveWriter(store, max_batch=10, interval=60)
    writer.start()
    flushes_by_producer = 0
    real_flush = writer.flush

    async def counted() -> int:
        nonlocal flushes_by_producer
        if asyncio.current_task() is not writer._task:
            flushes_by_producer += 1
        return await real_flush()

    writer.flush = counted  # type: ignore[method-assign]
    for i in range(1, 400):
        writer.message(msg(i))
        await writer.backpressure()
        assert writer.pending < 40 + 1
    writer.flush = real_flush  # type: ignore[method-assign]
    await writer.stop()
    assert (await store.stats.archive()).messages == 399
    assert flushes_by_producer == 0  # the flusher did the work; the producer only waited


async def test_backpressure_flushes_itself_and_raises_after_the_flusher_failed(store):
    writer = ArchiveWriter(store, max_batch=5, interval=0.01)

    async def boom(_store):
        raise RuntimeError("disk full")

    writer._put(_Op("boom", boom))
    writer.messages([msg(i) for i in range(1, 30)])
    writer.start()
    with pytest.raises(RuntimeError, match="disk full"):
        await asyncio.wait_for(writer.backpressure(), timeout=5)
    writer._ops = [op for op in writer._ops if op.kind != "boom"]
    await writer.stop()
    assert (await store.stats.archive()).messages == 29


async def test_a_producer_waiting_on_backpressure_is_released_when_the_writer_stops(store):
    # The producer waits for the flusher's next round; stop() ends the flusher before that
    # round begins. The producer must wake (the queue is flushed by stop), not hang.
    writer = ArchiveWriter(store, max_batch=5, interval=60)
    writer.start()
    await asyncio.sleep(0)  # the flusher waits for its wake-up
    writer._ops.extend(msg(i) for i in range(1, 30))  # queued without waking it
    producer = asyncio.create_task(writer.backpressure())
    await asyncio.sleep(0)  # the producer is waiting for progress
    await writer.stop()
    await asyncio.wait_for(producer, timeout=5)
    assert writer.pending == 0


async def test_a_locked_database_is_one_log_line_until_writes_resume(store, caplog):
    # It logged a traceback on every retry: each 5 s of a long import beside the bot.
    await store.conn.execute("PRAGMA busy_timeout=50")  # the lock wait, shortened
    holder = sqlite3.connect(store.path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    writer = ArchiveWriter(store, interval=0.02)
    writer.start()
    try:
        with caplog.at_level(logging.INFO, logger="bot.ingest.writer"):
            writer.message(msg(1))
            for _ in range(200):
                await asyncio.sleep(0.01)
            failed = [r for r in caplog.records if r.levelno >= logging.WARNING]
            assert len(failed) == 1 and failed[0].exc_info is None, failed
            assert f"database {store.path} is locked" in failed[0].getMessage()
            assert "1 write kept for retry" in failed[0].getMessage()
            holder.execute("ROLLBACK")
            for _ in range(200):
                await asyncio.sleep(0.01)
                if writer.pending == 0:
                    break
        assert writer.pending == 0 and await store.messages.get(1) is not None
        assert "archive writes resumed: 1 write landed" in caplog.text
    finally:
        holder.close()
        await writer.stop()
