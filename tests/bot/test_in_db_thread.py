"""One hop to the database thread: ``in_db_thread``, ``atomically`` and the writer's hot path.

``in_db_thread`` is the one use of aiosqlite's private ``_execute``/``_conn``; these tests are
what fails if an aiosqlite release changes them.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading

import pytest

from bot.db.connection import atomically, in_db_thread
from bot.ingest.writer import ArchiveWriter
from bot.models import ChannelRecord, GuildRecord, MemberRecord, Mention, MessageRecord
from tests.conftest import T0

G, CH = 1, 10


def msg(mid: int, author: int = 100, mentions: tuple[Mention, ...] = ()) -> MessageRecord:
    created = T0 + dt.timedelta(seconds=mid)
    return MessageRecord(mid, G, CH, author, created, f"m{mid}", mentions=mentions)


async def _setup(store) -> None:
    async with store.transaction():
        await store.guilds.upsert(GuildRecord(G, "g"))
        await store.channels.upsert(ChannelRecord(CH, G, "text", "general"))
        await store.members.upsert_many([MemberRecord(G, 100, "aiko"), MemberRecord(G, 200, "bo")])


async def test_runs_on_the_connections_thread_inside_its_transaction(store):
    await store.conn.execute("BEGIN IMMEDIATE")
    await store.conn.execute("INSERT INTO guilds (id, name) VALUES (7, 'seven')")

    def look(db: sqlite3.Connection, guild: int) -> tuple[bool, str, int]:
        name = db.execute("SELECT name FROM guilds WHERE id = ?", (guild,)).fetchone()[0]
        return db.in_transaction, name, threading.get_ident()

    in_tx, name, ident = await in_db_thread(store.conn, look, 7)
    await store.conn.execute("ROLLBACK")
    assert (in_tx, name) == (True, "seven")  # the same connection, the same open transaction
    assert ident != threading.get_ident()


async def test_atomically_commits_or_rolls_back_everything(store):
    def two(db: sqlite3.Connection, fail: bool) -> None:
        db.execute("INSERT INTO guilds (id, name) VALUES (8, 'eight')")
        if fail:
            raise sqlite3.OperationalError("disk full")
        db.execute("INSERT INTO guilds (id, name) VALUES (9, 'nine')")

    with pytest.raises(sqlite3.OperationalError, match="disk full"):
        await in_db_thread(store.conn, atomically, two, True)
    assert not store.conn.in_transaction
    assert await store.guilds.get(8) is None
    await in_db_thread(store.conn, atomically, two, False)
    assert not store.conn.in_transaction
    assert {(await store.guilds.get(i)).name for i in (8, 9)} == {"eight", "nine"}


async def test_a_batch_of_new_messages_applies_the_privacy_rules_and_last_seen(store):
    await _setup(store)
    async with store.transaction():
        await store.members.set_logging_paused(G, 200, True)
    writer = ArchiveWriter(store, interval=60)
    for i in (1, 2, 3):
        writer.message(msg(i, mentions=(Mention("user", 200),)))
    writer.message(msg(4, author=200))  # paused: never stored
    assert await writer.flush() == 4
    assert [m is not None for m in [await store.messages.get(i) for i in (1, 2, 3, 4)]] == [
        True,
        True,
        True,
        False,
    ]
    assert (await store.members.get(G, 100)).last_seen_at == T0 + dt.timedelta(seconds=3)
    assert (await store.members.get(G, 200)).last_seen_at is None
    assert (await store.messages.get(3)).mentions == (Mention("user", 200),)


async def test_a_failing_batch_of_new_messages_lands_nothing_and_is_kept(store):
    await _setup(store)
    await store.conn.execute(
        "CREATE TRIGGER full AFTER INSERT ON mentions BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    writer = ArchiveWriter(store, interval=60)
    writer.message(msg(1))
    writer.message(msg(2, mentions=(Mention("user", 200),)))  # fails after message 1 was written
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        await writer.flush()
    assert not store.conn.in_transaction
    assert await store.messages.get(1) is None
    assert writer.pending == 2
    await store.conn.execute("DROP TRIGGER full")
    assert await writer.flush() == 2
    assert await store.messages.get(1) is not None and await store.messages.get(2) is not None


async def test_a_backfill_batch_is_one_transaction_in_queue_order(store):
    # Backfill queues authors and a cursor checkpoint every 200 messages, live messages move
    # their channel's cursor: those batches take the one hop too (the review of #13).
    await _setup(store)

    def no_awaited_transaction():
        raise AssertionError("the batch took the path of one await per statement")

    statements: list[str] = []
    await store.set_trace_callback(statements.append)
    store.transaction = no_awaited_transaction  # the fast path never enters it
    writer = ArchiveWriter(store, interval=60)
    writer.message(msg(1))
    writer.message(msg(2, mentions=(Mention("user", 200),)))
    writer.authors([MemberRecord(G, 300, "cy")])
    writer.cursor(CH, 2)
    writer.forgotten(G, 200, 5)
    writer.message(msg(5, author=200))  # forgotten: never stored again
    writer.message(msg(6), advance_cursor=True)  # live
    assert await writer.flush() == 6
    await store.set_trace_callback(None)
    assert [s for s in statements if s.startswith(("BEGIN", "COMMIT"))] == [
        "BEGIN IMMEDIATE",
        "COMMIT",
    ]
    assert [await store.messages.get(i) is not None for i in (1, 2, 5, 6)] == [1, 1, 0, 1]
    assert await store.cursors.get(CH) == 6
    assert (await store.members.get(G, 300)).name == "cy"
    assert (await store.members.get(G, 100)).last_seen_at == T0 + dt.timedelta(seconds=6)
