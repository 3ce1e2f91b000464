"""Messages, mentions and reactions.

Every write path (gateway, backfill, import) goes through :meth:`MessageRepository.insert_many`,
so the privacy rules live in one place: nothing is stored for a member who paused logging or
for a channel (or a thread of a channel) that admins excluded or that was deleted.

The rules are checked once per batch for the distinct authors and channels in it (two indexed
lookups inside the caller's transaction), not once per row: a batch of 500 messages from 30
authors in 5 channels costs 35 lookups instead of 1,500 (``bench/ingest.py``).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.db._util import ms, placeholders, when
from bot.db.connection import in_db_thread
from bot.db.cursors import ADVANCE
from bot.db.deliveries import IN_GUILD
from bot.db.members import ENSURE, TOUCH, author_row
from bot.models import MemberRecord, Mention, MessageRecord, ReactionRecord
from bot.timeutil import to_ms

_CHUNK = 500

_INSERT = (
    "INSERT INTO messages (id, guild_id, channel_id, author_id, created_at, edited_at, content, "
    "reply_to_id, kind, started_thread_id, attachments, pinned) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
    # A newer edit of a message we have (a re-import, a late event) replaces its content.
    "ON CONFLICT(id) DO UPDATE SET content = excluded.content, edited_at = excluded.edited_at, "
    "started_thread_id = COALESCE(excluded.started_thread_id, messages.started_thread_id) "
    "WHERE messages.deleted = 0 AND excluded.edited_at IS NOT NULL "
    "AND (messages.edited_at IS NULL OR excluded.edited_at > messages.edited_at)"
)
# Privacy: (guild, author) pairs with logging paused, among the given authors ...
_PAUSED = "SELECT guild_id, user_id FROM members WHERE logging_paused = 1 AND user_id IN ({})"
# ... and channels not to log among the given ones: excluded or deleted, or in (a thread of)
# an excluded or deleted channel.
_CLOSED = (
    "SELECT c.id FROM channels c LEFT JOIN channels p ON p.id = c.parent_id "
    "AND c.kind IN ('thread', 'private_thread', 'forum_post') WHERE c.id IN ({}) "
    "AND (c.excluded = 1 OR c.deleted = 1 OR p.excluded = 1 OR p.deleted = 1)"
)
_MENTION = (
    "INSERT OR IGNORE INTO mentions (message_id, target_type, target_id) SELECT ?1, ?2, ?3 "
    "WHERE EXISTS (SELECT 1 FROM messages WHERE id = ?1 AND deleted = 0)"
)
_REACTION = (
    "INSERT OR IGNORE INTO reactions (message_id, user_id, emoji) SELECT ?1, ?2, ?3 "
    "WHERE EXISTS (SELECT 1 FROM messages WHERE id = ?1 AND deleted = 0) "
    "AND NOT EXISTS (SELECT 1 FROM members m JOIN messages g ON g.id = ?1 "
    "WHERE m.guild_id = g.guild_id AND m.user_id = ?2 AND m.logging_paused = 1)"
)
_SELECT = (
    "SELECT id, guild_id, channel_id, author_id, created_at, edited_at, content, reply_to_id, "
    "kind, started_thread_id, attachments, pinned, deleted FROM messages"
)


def _row(m: MessageRecord) -> tuple[object, ...]:
    return (
        m.id,
        m.guild_id,
        m.channel_id,
        m.author_id,
        to_ms(m.created_at),
        None if m.edited_at is None else to_ms(m.edited_at),
        m.content,
        m.reply_to_id,
        m.kind,
        m.started_thread_id,
        m.attachments,
        int(m.pinned),
    )


def _record(row: aiosqlite.Row, mentions: tuple[Mention, ...] = ()) -> MessageRecord:
    created = when(row["created_at"])
    assert created is not None
    return MessageRecord(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        author_id=row["author_id"],
        created_at=created,
        content=row["content"],
        edited_at=when(row["edited_at"]),
        reply_to_id=row["reply_to_id"],
        kind=row["kind"],
        started_thread_id=row["started_thread_id"],
        attachments=row["attachments"],
        pinned=bool(row["pinned"]),
        mentions=mentions,
        deleted=bool(row["deleted"]),
    )


_GUILD_OF = "SELECT guild_id FROM messages WHERE id = ?"


def _found(db: sqlite3.Connection, query: str, keys: Iterable[int]) -> set[Any]:
    """Rows of ``query`` (one IN list) over ``keys``, chunked; single columns unwrapped."""
    found: set[Any] = set()
    unique = list(keys)
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        rows = db.execute(query.format(placeholders(len(chunk))), chunk).fetchall()
        found.update(row[0] if len(row) == 1 else tuple(row) for row in rows)
    return found


def _count(db: sqlite3.Connection, ids: Sequence[int]) -> int:
    total = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        sql = f"SELECT COUNT(*) FROM messages WHERE id IN ({placeholders(len(chunk))})"
        total += db.execute(sql, chunk).fetchone()[0]
    return total


def _insert_batch(
    db: sqlite3.Connection,
    messages: Sequence[MessageRecord],
    touch: bool,
) -> int:
    """:meth:`MessageRepository.insert_many`, on the database thread."""
    paused = _found(db, _PAUSED, {m.author_id for m in messages})
    closed = _found(db, _CLOSED, {m.channel_id for m in messages})
    rows = [_row(m) for m in messages]  # (id, guild, channel, author, created, edited, ...)
    kept, kept_rows = messages, rows
    if paused or closed:
        keep = [
            i
            for i, m in enumerate(messages)
            if m.channel_id not in closed and (m.guild_id, m.author_id) not in paused
        ]
        kept, kept_rows = [messages[i] for i in keep], [rows[i] for i in keep]
    edits = [(r[0], r[5]) for r in kept_rows if r[5] is not None]
    # Without edits a row changes only when it is new (the upsert updates nothing), so the
    # statement's change count is the answer; with edits, count the rows before and after.
    ids = [m.id for m in kept] if edits else []
    before = _count(db, ids) if edits else 0
    new = db.executemany(_INSERT, kept_rows).rowcount
    if edits:
        # An edit that replaced stored content (a re-import) brings its own mentions.
        db.executemany(
            "DELETE FROM mentions WHERE message_id = ?1 AND EXISTS (SELECT 1 FROM messages "
            "WHERE id = ?1 AND deleted = 0 AND edited_at = ?2)",
            edits,
        )
        new = _count(db, ids) - before
    mentions = [(m.id, x.target_type, x.target_id) for m in kept for x in m.mentions]
    if mentions:
        db.executemany(_MENTION, mentions)
    if touch:  # the members' own rule (never while paused, only forward): members.TOUCH
        latest: dict[tuple[object, object], Any] = {}
        for r in rows:
            key, at = (r[1], r[3]), r[4]
            if latest.get(key, at) <= at:
                latest[key] = at
        db.executemany(TOUCH, [(at, g, u) for (g, u), at in latest.items()])
    return new


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a batch run on the database thread, in queue order: new messages (their
    authors' last-seen moves too), a history cursor moved forward, or authors seen."""

    messages: Sequence[MessageRecord] = ()
    cursor: tuple[int, int] | None = None  # (channel id, last id)
    authors: Sequence[MemberRecord] = ()


def run_steps(db: sqlite3.Connection, steps: Sequence[Step]) -> None:
    """The archive writer's batch (backfill: messages, checkpoints, authors), in order."""
    for step in steps:
        if step.messages:
            _insert_batch(db, step.messages, True)
        if step.cursor is not None:
            db.execute(ADVANCE, step.cursor)
        if step.authors:
            db.executemany(ENSURE, [author_row(m) for m in step.authors])


class MessageRepository:
    """Rows of ``messages``, ``mentions`` and ``reactions``."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def insert_many(
        self,
        messages: Sequence[MessageRecord],
        *,
        touch: bool = False,
    ) -> int:
        """Store messages with their mentions; returns how many were new.

        Idempotent: a message stored before is not duplicated (a newer edit updates it). With
        ``touch`` the authors' last-seen time moves to their newest message here as well. The
        whole batch is one call to the database thread (``bench/ingest.py``).
        """
        if not messages:
            return 0
        return await in_db_thread(self.conn, _insert_batch, messages, touch)

    async def edit(
        self,
        message_id: int,
        content: str,
        edited_at: dt.datetime,
        mentions: tuple[Mention, ...] | None = None,
    ) -> bool:
        """Apply an edit to a stored message; False when we do not have it.

        The privacy rules hold for edits too: a message of a member who has since paused
        logging, or in a channel since excluded, keeps what it said (True: we have it).
        """
        cur = await self.conn.execute(
            "UPDATE messages SET content = ?1, edited_at = ?2 WHERE id = ?3 AND deleted = 0 "
            "AND (edited_at IS NULL OR edited_at <= ?2) "  # never back to an older edit
            "AND NOT EXISTS (SELECT 1 FROM members WHERE guild_id = messages.guild_id "
            "AND user_id = messages.author_id AND logging_paused = 1) "
            f"AND NOT EXISTS ({_CLOSED.format('messages.channel_id')})",
            (content, ms(edited_at), message_id),
        )
        if cur.rowcount == 0:
            async with self.conn.execute(
                "SELECT 1 FROM messages WHERE id = ?", (message_id,)
            ) as found:
                return await found.fetchone() is not None
        await self.conn.execute(IN_GUILD.format(_GUILD_OF), (message_id,))  # as it was: gone
        if mentions is not None:
            await self.conn.execute("DELETE FROM mentions WHERE message_id = ?", (message_id,))
            await self.conn.executemany(
                _MENTION, [(message_id, x.target_type, x.target_id) for x in mentions]
            )
        return True

    async def delete(self, message_ids: Iterable[int]) -> int:
        """Deleted in Discord: keep a tombstone, drop content, mentions and reactions."""
        rows = [(i,) for i in message_ids]
        await self.conn.executemany("DELETE FROM mentions WHERE message_id = ?", rows)
        await self.conn.executemany("DELETE FROM reactions WHERE message_id = ?", rows)
        # rowcount, not total_changes: that counts what the search triggers change too
        cur = await self.conn.executemany(
            "UPDATE messages SET content = '', deleted = 1, attachments = 0 "
            "WHERE id = ? AND deleted = 0",
            rows,
        )
        deleted = cur.rowcount
        if deleted:  # an unfinished delivery of its guild must not resume with the text
            await self.conn.executemany(IN_GUILD.format(_GUILD_OF), rows)
        return deleted

    async def add_reactions(self, reactions: Iterable[ReactionRecord]) -> None:
        """Record reactions (ignored for unknown messages and paused members)."""
        await self.conn.executemany(
            _REACTION, [(r.message_id, r.user_id, r.emoji) for r in reactions]
        )

    async def remove_reaction(self, reaction: ReactionRecord) -> None:
        """A member took a reaction back."""
        await self.conn.execute(
            "DELETE FROM reactions WHERE message_id = ? AND user_id = ? AND emoji = ?",
            (reaction.message_id, reaction.user_id, reaction.emoji),
        )

    async def clear_reactions(self, message_id: int, emoji: str | None = None) -> None:
        """All reactions (or all of one emoji) were removed from a message."""
        if emoji is None:
            await self.conn.execute("DELETE FROM reactions WHERE message_id = ?", (message_id,))
        else:
            await self.conn.execute(
                "DELETE FROM reactions WHERE message_id = ? AND emoji = ?", (message_id, emoji)
            )

    async def in_range(
        self, channel_id: int, after_id: int, up_to_id: int
    ) -> dict[int, tuple[str, dt.datetime | None]]:
        """(content, edited_at) of the channel's live messages with ``after_id < id <=
        up_to_id`` (what a re-read of that range should find again)."""
        async with self.conn.execute(
            "SELECT id, content, edited_at FROM messages WHERE channel_id = ? AND id > ? "
            "AND id <= ? AND deleted = 0",
            (channel_id, after_id, up_to_id),
        ) as cur:
            return {r[0]: (r[1], when(r[2])) async for r in cur}

    async def newest_id(self, channel_id: int) -> int | None:
        """The newest stored message id of a channel or thread."""
        async with self.conn.execute(
            "SELECT MAX(id) FROM messages WHERE channel_id = ?", (channel_id,)
        ) as cur:
            row = await cur.fetchone()
        return row[0] if row and row[0] is not None else None

    async def get(self, message_id: int) -> MessageRecord | None:
        """One message with its mentions."""
        async with self.conn.execute(_SELECT + " WHERE id = ?", (message_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        async with self.conn.execute(
            "SELECT target_type, target_id FROM mentions WHERE message_id = ? "
            "ORDER BY target_type, target_id",
            (message_id,),
        ) as cur:
            mentions = tuple([Mention(r[0], r[1]) async for r in cur])
        return _record(row, mentions)

    async def reactions(self, message_id: int) -> list[ReactionRecord]:
        """Reactions on one message."""
        async with self.conn.execute(
            "SELECT message_id, user_id, emoji FROM reactions WHERE message_id = ? "
            "ORDER BY emoji, user_id",
            (message_id,),
        ) as cur:
            return [ReactionRecord(*r) async for r in cur]

    async def iter_window(
        self,
        guild_id: int,
        since: dt.datetime,
        until: dt.datetime,
        *,
        include_deleted: bool = False,
    ) -> AsyncIterator[MessageRecord]:
        """Messages of a guild created in [since, until), oldest first, with mentions.

        Streams from SQLite: memory stays flat however large the window.
        """
        where = "m.guild_id = ? AND m.created_at >= ? AND m.created_at < ?"
        if not include_deleted:
            where += " AND m.deleted = 0"
        query = (
            "SELECT m.id, m.guild_id, m.channel_id, m.author_id, m.created_at, m.edited_at, "
            "m.content, m.reply_to_id, m.kind, m.started_thread_id, m.attachments, m.pinned, "
            "m.deleted, (SELECT group_concat(x.target_type || ':' || x.target_id) "
            "FROM mentions x WHERE x.message_id = m.id) AS mention_list "
            f"FROM messages m WHERE {where} ORDER BY m.created_at, m.id"
        )
        async with self.conn.execute(query, (guild_id, ms(since), ms(until))) as cur:
            async for row in cur:
                mentions: tuple[Mention, ...] = ()
                if row["mention_list"]:
                    pairs = (item.split(":") for item in row["mention_list"].split(","))
                    mentions = tuple(Mention(t, int(i)) for t, i in pairs)
                yield _record(row, mentions)

    async def reactions_in_window(
        self, guild_id: int, since: dt.datetime, until: dt.datetime
    ) -> list[ReactionRecord]:
        """Reactions on the messages of a window."""
        async with self.conn.execute(
            "SELECT r.message_id, r.user_id, r.emoji FROM reactions r JOIN messages m "
            "ON m.id = r.message_id WHERE m.guild_id = ? AND m.created_at >= ? "
            "AND m.created_at < ? ORDER BY r.message_id, r.emoji, r.user_id",
            (guild_id, ms(since), ms(until)),
        ) as cur:
            return [ReactionRecord(*r) async for r in cur]
