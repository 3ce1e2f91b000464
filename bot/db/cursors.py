"""Backfill cursors and small process state."""

from __future__ import annotations

import aiosqlite

ADVANCE = (
    "INSERT INTO backfill_cursors (channel_id, last_id) VALUES (?, ?) "
    "ON CONFLICT(channel_id) DO UPDATE SET last_id = MAX(last_id, excluded.last_id)"
)


class CursorRepository:
    """Rows of ``backfill_cursors`` and ``meta``."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def get(self, channel_id: int) -> int | None:
        """Where backfill resumes for a channel, if history was ever read or imported there.

        Never the newest stored message: a live message that arrived before a channel's first
        backfill would otherwise hide all the history before it.
        """
        async with self.conn.execute(
            "SELECT last_id FROM backfill_cursors WHERE channel_id = ?", (channel_id,)
        ) as cur:
            row = await cur.fetchone()
        return row[0] if row and row[0] is not None else None

    async def advance(self, channel_id: int, last_id: int) -> None:
        """Move a cursor forward (never back)."""
        await self.conn.execute(ADVANCE, (channel_id, last_id))

    async def start_at(self, channel_id: int, last_id: int) -> None:
        """Set a cursor only if the channel has none (an import: history up to here is in)."""
        await self.conn.execute(
            "INSERT OR IGNORE INTO backfill_cursors (channel_id, last_id) VALUES (?, ?)",
            (channel_id, last_id),
        )

    async def get_meta(self, key: str) -> str | None:
        """A stored process value."""
        async with self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def set_meta(self, key: str, value: str) -> None:
        """Store a process value."""
        await self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
