"""Full-text search over the archive: the word index's queue, its rows, and queries.

Schema and the triggers that keep the index in step with ``messages`` are in migration 0007.
Words come from :func:`bot.recap.text.tokens`, computed outside SQL by the indexer
(``bot/recap/ask.py``); this repository stores them only for messages whose content is still
what the words were computed from, so an edit that lands meanwhile is indexed again, never
lost. Like every repository it never commits: callers wrap writes in ``store.transaction()``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import aiosqlite

from bot.db._util import ms
from bot.timeutil import from_ms

_PENDING = (
    "SELECT p.message_id, m.content FROM search_pending p JOIN messages m ON m.id = p.message_id "
    "WHERE m.deleted = 0 AND m.content <> '' ORDER BY p.message_id LIMIT ?"
)
# Only while the message still holds the text the words were computed from.
_STORE = (
    "INSERT INTO message_words (message_id, words) SELECT ?1, ?3 "
    "WHERE EXISTS (SELECT 1 FROM messages WHERE id = ?1 AND content = ?2 AND deleted = 0) "
    # an upsert, not OR REPLACE: REPLACE's delete fires no trigger, and the index would keep
    # the old words
    "ON CONFLICT(message_id) DO UPDATE SET words = excluded.words"
)
_DONE = (
    "DELETE FROM search_pending WHERE message_id = ?1 "
    "AND EXISTS (SELECT 1 FROM message_words WHERE message_id = ?1)"
)
# Newest matches first: FTS5 walks its rowids (message ids, so time) backwards and stops at
# the limit, where ordering by bm25 would score every match of a common word first.
_FIND = (
    "SELECT m.id, m.channel_id, m.author_id, m.created_at, m.content, m.reply_to_id, w.words, "
    "bm25(message_search) FROM message_search "
    "JOIN messages m ON m.id = message_search.rowid "
    "JOIN message_words w ON w.message_id = m.id "
    "WHERE message_search MATCH ?1 AND m.guild_id = ?2 AND m.deleted = 0 "
    "AND m.channel_id IN (SELECT value FROM json_each(?3)) AND m.created_at >= ?4 "
    "ORDER BY message_search.rowid DESC LIMIT ?5"
)


@dataclass(frozen=True, slots=True)
class Hit:
    """A message that matched a query; ``rank`` is FTS5's bm25 (lower is better)."""

    message_id: int
    channel_id: int
    author_id: int
    created_at: dt.datetime
    content: str
    reply_to_id: int | None
    words: frozenset[str]
    rank: float


def match_expression(terms: Iterable[str], *, every: bool = False) -> str:
    """An FTS5 query matching any (``every``: all) of ``terms``, each quoted (no operator can
    be injected)."""
    quoted = ['"' + term.replace('"', '""') + '"' for term in dict.fromkeys(terms) if term]
    return (" AND " if every else " OR ").join(quoted)


async def merge_index(conn: aiosqlite.Connection) -> None:
    """Merge the word index into one segment. FTS5 deletes by adding tombstones; the words of
    a deleted message stay in older segments until they are merged, so forgetting and
    retention merge (with ``secure_delete`` on, the freed pages are zeroed)."""
    await conn.execute("INSERT INTO message_search (message_search) VALUES ('optimize')")


class SearchRepository:
    """``search_pending``, ``message_words`` and the ``message_search`` index."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def pending(self, limit: int) -> list[tuple[int, str]]:
        """Up to ``limit`` (message id, content) pairs still to be indexed, oldest id first."""
        async with self.conn.execute(_PENDING, (limit,)) as cur:
            return [(int(row[0]), str(row[1])) for row in await cur.fetchall()]

    async def pending_count(self) -> int:
        """How many messages wait for the indexer."""
        async with self.conn.execute("SELECT count(*) FROM search_pending") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def store_words(self, rows: Sequence[tuple[int, str, str]]) -> None:
        """Index (message id, content it was computed from, words) rows; a row whose message
        has changed since (edited, deleted, forgotten) is skipped and stays queued if the
        message is still there."""
        await self.conn.executemany(_STORE, rows)
        await self.conn.executemany(_DONE, [(row[0],) for row in rows])

    async def footprint(self) -> tuple[int, int]:
        """Bytes the search tables take (index, words, queue) and bytes of the whole file."""
        query = (
            "SELECT coalesce(sum(CASE WHEN name LIKE 'message_search%' OR name IN "
            "('message_words', 'search_pending') THEN pgsize END), 0), sum(pgsize) FROM dbstat"
        )
        async with self.conn.execute(query) as cur:
            row = await cur.fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def merge(self) -> None:
        """Merge the index into one segment (see :func:`merge_index`)."""
        await merge_index(self.conn)

    async def find(
        self,
        guild_id: int,
        channel_ids: Iterable[int],
        terms: Sequence[str],
        *,
        since: dt.datetime | None = None,
        limit: int = 200,
    ) -> list[Hit]:
        """Messages of ``channel_ids`` holding terms: the newest ``limit`` holding all of them,
        then the newest holding any (without repeats), each with its bm25 rank."""
        channels = sorted(set(channel_ids))
        if not channels or not any(terms):
            return []
        oldest = ms(since) if since is not None else 0
        found: dict[int, Hit] = {}
        expressions = [match_expression(terms, every=True)]
        if len(set(terms)) > 1:
            expressions.append(match_expression(terms))
        for expression in expressions:
            args = (expression, guild_id, json.dumps(channels), oldest, limit)
            async with self.conn.execute(_FIND, args) as cur:
                for r in await cur.fetchall():
                    found.setdefault(
                        int(r[0]),
                        Hit(
                            message_id=int(r[0]),
                            channel_id=int(r[1]),
                            author_id=int(r[2]),
                            created_at=from_ms(int(r[3])),
                            content=str(r[4]),
                            reply_to_id=None if r[5] is None else int(r[5]),
                            words=frozenset(str(r[6]).split()),
                            rank=float(r[7]),
                        ),
                    )
        return list(found.values())
