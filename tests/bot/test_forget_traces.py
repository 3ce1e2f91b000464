"""Forget leaves no traces: not in the WAL, not in freed pages, not from queued writes.

The bytes of the database file, its -wal and its -shm are read while the store is still open
(the bot keeps running after a forget): the member's text, nickname and id must be gone.
"""

from __future__ import annotations

import datetime as dt
import struct
from pathlib import Path

from bot.db import Store
from bot.ingest.writer import ArchiveWriter
from bot.models import ChannelRecord, GuildRecord, MemberRecord, MessageRecord
from bot.services.privacy import PrivacyService
from bot.timeutil import snowflake_at

G, C = 111_111_111_111_111_111, 222_222_222_222_222_222
U = 987_654_321_987_654_321  # needs 8 bytes as an SQLite integer
OTHER = 123_456_789_123_456_789
SECRET, NICK = "call me on 0170-5550199 tonight", "Zyxwvut Qwertz"
T0 = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)


def _files(path: Path) -> bytes:
    return b"".join(
        p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
    )


def _traces(blob: bytes) -> list[str]:
    found = []
    if SECRET.encode() in blob:
        found.append("message text")
    if NICK.encode() in blob:
        found.append("nickname")
    if struct.pack(">q", U) in blob or str(U).encode() in blob:
        found.append("user id")
    return found


def _messages(start: int, n: int, author: int, text: str) -> list[MessageRecord]:
    return [
        MessageRecord(
            snowflake_at(T0 + dt.timedelta(minutes=i), i), G, C, author, T0, f"{text} {i}"
        )
        for i in range(start, start + n)
    ]


async def _seed(store: Store) -> None:
    async with store.transaction():
        await store.guilds.upsert(GuildRecord(G, "Club"))
        await store.channels.upsert(ChannelRecord(C, G, "text", "general", overwrites=()))
        await store.members.upsert_many(
            [MemberRecord(G, U, "zyx", NICK, role_ids=()), MemberRecord(G, OTHER, "o")]
        )
        await store.messages.insert_many(
            _messages(0, 200, U, SECRET) + _messages(200, 200, OTHER, "hello")
        )


async def test_forget_leaves_no_trace_in_the_files_while_the_store_is_open(tmp_path):
    path = tmp_path / "h.db"
    store = await Store.open(str(path))
    try:
        await _seed(store)
        async with store.read() as db:  # a reader has seen the rows, too
            assert await db.messages.get(snowflake_at(T0, 0)) is not None
        assert _traces(_files(path))  # the check can see them
        report = await PrivacyService(store).forget(G, U)
        assert report.ok and report.counts["messages"] == 200
        assert _traces(_files(path)) == []
        assert await store.messages.get(snowflake_at(T0 + dt.timedelta(minutes=200), 200))
    finally:
        await store.close()


async def test_forget_waits_for_every_queued_write(tmp_path):
    store = await Store.open(str(tmp_path / "h.db"))
    try:
        await _seed(store)
        writer = ArchiveWriter(store, max_batch=10)  # flush() lands 40 ops at most
        writer.messages(_messages(400, 100, U, "queued before the forget"))
        service = PrivacyService(store, flush=writer.drain, forgotten=writer.forgotten)
        await service.forget(G, U)
        assert writer.pending == 0
        async with store.conn.execute(
            "SELECT COUNT(*) FROM messages WHERE author_id = ?", (U,)
        ) as cur:
            assert (await cur.fetchone())[0] == 0
    finally:
        await store.close()


async def test_a_running_backfill_cannot_bring_forgotten_messages_back(tmp_path):
    store = await Store.open(str(tmp_path / "h.db"))
    try:
        await _seed(store)
        writer = ArchiveWriter(store)
        service = PrivacyService(store, flush=writer.drain, forgotten=writer.forgotten)
        await service.forget(G, U)
        # A backfill that read its page before the forget queues it after: nothing returns,
        # neither as new messages nor through an edit of one of them.
        old = _messages(0, 50, U, SECRET)
        writer.messages(old)
        edited = MessageRecord(
            old[0].id, G, C, U, T0, "edited", edited_at=T0 + dt.timedelta(hours=1)
        )
        writer.edit(edited)
        # What they write after the forget is stored as usual.
        later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
        writer.message(MessageRecord(snowflake_at(later, 1), G, C, U, later, "new words"))
        await writer.drain()
        async with store.conn.execute(
            "SELECT content FROM messages WHERE author_id = ?", (U,)
        ) as cur:
            assert [r[0] for r in await cur.fetchall()] == ["new words"]
    finally:
        await store.close()
