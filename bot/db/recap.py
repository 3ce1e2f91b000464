"""What the recap pipeline reads and caches: thread members, interests, interactions, summaries.

The pipeline itself is pure (``bot/recap``); this repository is its only SQL. Like every
repository it never commits: callers wrap writes in ``store.transaction()``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.db._util import ms, placeholders
from bot.timeutil import utcnow

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class CachedSummary:
    """One row of ``summary_cache``; ``payload`` is the summary as plain JSON values."""

    key: str
    conversation_key: str
    content_hash: str
    backend: str
    model: str
    language: str
    payload: dict[str, Any]


class RecapRepository:
    """Rows of ``member_interests`` and ``summary_cache``, and read-only recap queries."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    # -- facts ------------------------------------------------------------------------------

    async def thread_members(self, guild_id: int) -> dict[int, frozenset[int]]:
        """Known members of every thread of a guild, by thread id."""
        found: dict[int, set[int]] = {}
        async with self.conn.execute(
            "SELECT t.thread_id, t.user_id FROM thread_members t "
            "JOIN channels c ON c.id = t.thread_id WHERE c.guild_id = ?",
            (guild_id,),
        ) as cur:
            async for thread_id, user_id in cur:
                found.setdefault(thread_id, set()).add(user_id)
        return {k: frozenset(v) for k, v in found.items()}

    async def interactions(
        self, guild_id: int, since: dt.datetime, until: dt.datetime
    ) -> list[tuple[int, int, int, int]]:
        """(from, to, channel, count) replies and user mentions between two people in
        [since, until), per channel.

        Used as a longer lookback for "people you talk to often"; kept per channel so each member
        counts only the channels they can read. A reply to oneself is not an interaction.
        """
        args = (guild_id, ms(since), ms(until))
        pairs: dict[tuple[int, int, int], int] = {}
        queries = (
            "SELECT m.author_id, p.author_id, m.channel_id, COUNT(*) FROM messages m "
            "JOIN messages p ON p.id = m.reply_to_id WHERE m.guild_id = ? "
            "AND m.created_at >= ? AND m.created_at < ? AND m.deleted = 0 "
            "AND p.author_id != m.author_id GROUP BY m.author_id, p.author_id, m.channel_id",
            "SELECT m.author_id, x.target_id, m.channel_id, COUNT(*) FROM messages m "
            "JOIN mentions x ON x.message_id = m.id AND x.target_type = 'user' "
            "WHERE m.guild_id = ? AND m.created_at >= ? AND m.created_at < ? "
            "AND m.deleted = 0 AND x.target_id != m.author_id "
            "GROUP BY m.author_id, x.target_id, m.channel_id",
        )
        for query in queries:
            async with self.conn.execute(query, args) as cur:
                async for source, target, channel_id, count in cur:
                    key = (source, target, channel_id)
                    pairs[key] = pairs.get(key, 0) + count
        return [(a, b, c, n) for (a, b, c), n in sorted(pairs.items())]

    async def authors(self, message_ids: Iterable[int]) -> dict[int, int]:
        """Authors of the given messages (for replies to messages before a window)."""
        ids = list(dict.fromkeys(message_ids))
        found: dict[int, int] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            async with self.conn.execute(
                f"SELECT id, author_id FROM messages WHERE id IN ({placeholders(len(chunk))})",
                chunk,
            ) as cur:
                async for message_id, author_id in cur:
                    found[message_id] = author_id
        return found

    # -- interests --------------------------------------------------------------------------

    async def interests(self, guild_id: int) -> dict[int, tuple[str, ...]]:
        """Declared interests of every member of a guild, by user id."""
        found: dict[int, list[str]] = {}
        async with self.conn.execute(
            "SELECT user_id, topic FROM member_interests WHERE guild_id = ? "
            "ORDER BY user_id, created_at, topic",
            (guild_id,),
        ) as cur:
            async for user_id, topic in cur:
                found.setdefault(user_id, []).append(topic)
        return {k: tuple(v) for k, v in found.items()}

    async def add_interest(self, guild_id: int, user_id: int, topic: str) -> bool:
        """Declare an interest; False when the member is unknown or the topic is empty/known."""
        text = " ".join(topic.split())[:100]
        if not text:
            return False
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO member_interests (guild_id, user_id, topic, created_at) "
            "SELECT ?1, ?2, ?3, ?4 WHERE EXISTS "
            "(SELECT 1 FROM members WHERE guild_id = ?1 AND user_id = ?2)",
            (guild_id, user_id, text, ms(utcnow())),
        )
        return cur.rowcount > 0

    async def remove_interest(self, guild_id: int, user_id: int, topic: str) -> bool:
        """Withdraw an interest; False when it was not declared."""
        cur = await self.conn.execute(
            "DELETE FROM member_interests WHERE guild_id = ? AND user_id = ? AND topic = ?",
            (guild_id, user_id, " ".join(topic.split())),
        )
        return cur.rowcount > 0

    # -- summary cache ----------------------------------------------------------------------

    async def summaries(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Cached payloads for the given cache keys (missing keys are absent)."""
        found: dict[str, dict[str, Any]] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            async with self.conn.execute(
                f"SELECT key, payload FROM summary_cache WHERE key IN ({placeholders(len(chunk))})",
                chunk,
            ) as cur:
                async for key, payload in cur:
                    found[key] = json.loads(payload)
        return found

    async def put_summaries(self, rows: Iterable[CachedSummary]) -> None:
        """Store summaries, replacing older versions of the same conversation."""
        now = ms(utcnow())
        batch = list(rows)
        await self.conn.executemany(
            "DELETE FROM summary_cache WHERE conversation_key = ? AND backend = ? AND model = ? "
            "AND language = ? AND key != ?",
            [(r.conversation_key, r.backend, r.model, r.language, r.key) for r in batch],
        )
        await self.conn.executemany(
            "INSERT INTO summary_cache (key, conversation_key, content_hash, backend, model, "
            "language, created_at, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET payload = excluded.payload, "
            "created_at = excluded.created_at",
            [
                (
                    r.key,
                    r.conversation_key,
                    r.content_hash,
                    r.backend,
                    r.model,
                    r.language,
                    now,
                    json.dumps(r.payload, ensure_ascii=False, separators=(",", ":")),
                )
                for r in batch
            ],
        )

    async def prune_summaries(self, older_than: dt.datetime) -> int:
        """Drop cached summaries created before ``older_than``; returns how many."""
        cur = await self.conn.execute(
            "DELETE FROM summary_cache WHERE created_at < ?", (ms(older_than),)
        )
        return cur.rowcount
