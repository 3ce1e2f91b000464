"""The stdlib ``sqlite3`` baselines of ``bench/ingest.py``: the writer's own SQL, without it.

Every baseline runs the statements the archive writer runs for a batch, imported from the
store (not copied), on a connection with the store's pragmas:

1. the privacy lookups: authors with logging paused, channels excluded or deleted;
2. the idempotent message upsert (``executemany``);
3. the mention inserts (``executemany``);
4. the authors' last-seen update (``executemany``).

The parameters are built before the clock starts, so a baseline measures SQLite alone.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.db._util import ms, placeholders
from bot.db.connection import PRAGMAS
from bot.db.members import TOUCH
from bot.db.messages import _CLOSED, _INSERT, _MENTION, _PAUSED, _row
from bot.models import MessageRecord

# Only a plain INSERT: no privacy lookups, no upsert, no mention check, no last-seen update.
_COLUMNS = (
    "id, guild_id, channel_id, author_id, created_at, edited_at, content, reply_to_id, kind, "
    "started_thread_id, attachments, pinned"
)
PLAIN_INSERT = f"INSERT INTO messages ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
PLAIN_MENTION = "INSERT INTO mentions (message_id, target_type, target_id) VALUES (?, ?, ?)"


@dataclass(frozen=True, slots=True)
class Batch:
    """The parameters of one transaction of the writer's SQL."""

    authors: list[int]
    channels: list[int]
    rows: list[tuple[object, ...]]
    mentions: list[tuple[int, str, int]]
    touch: list[tuple[int | None, int, int]]


def batches(records: Sequence[MessageRecord], size: int) -> list[Batch]:
    """``records`` cut into transactions of ``size`` messages, parameters prebuilt."""
    out = []
    for start in range(0, len(records), size):
        chunk = records[start : start + size]
        latest: dict[tuple[int, int], int] = {}
        for m in chunk:
            key, at = (m.guild_id, m.author_id), ms(m.created_at) or 0
            latest[key] = max(latest.get(key, at), at)
        out.append(
            Batch(
                authors=list({m.author_id for m in chunk}),
                channels=list({m.channel_id for m in chunk}),
                rows=[_row(m) for m in chunk],
                mentions=[(m.id, x.target_type, x.target_id) for m in chunk for x in m.mentions],
                touch=[(at, g, u) for (g, u), at in latest.items()],
            )
        )
    return out


def _connect(path: Path, synchronous: str, journal: str = "WAL") -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute(f"PRAGMA journal_mode={journal}")
    return conn


def same_sql(
    path: Path, work: Sequence[Batch], *, synchronous: str = "NORMAL", journal: str = "WAL"
) -> float:
    """The writer's statements, one transaction per batch; returns seconds. ``journal`` and
    ``synchronous`` replace the store's (DELETE and FULL: what a plain script gets)."""
    conn = _connect(path, synchronous, journal)
    try:
        started = time.perf_counter()
        for b in work:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(_PAUSED.format(placeholders(len(b.authors))), b.authors).fetchall()
            conn.execute(_CLOSED.format(placeholders(len(b.channels))), b.channels).fetchall()
            conn.executemany(_INSERT, b.rows)
            if b.mentions:
                conn.executemany(_MENTION, b.mentions)
            conn.executemany(TOUCH, b.touch)
            conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()


def plain_insert(path: Path, work: Sequence[Batch]) -> float:
    """Context: plain INSERTs of messages and mentions, one transaction per batch."""
    conn = _connect(path, "NORMAL")
    try:
        started = time.perf_counter()
        for b in work:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(PLAIN_INSERT, b.rows)
            conn.executemany(PLAIN_MENTION, b.mentions)
            conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()
