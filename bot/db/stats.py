"""Counts of what is stored, for ``hearth stats`` and the status command."""

from __future__ import annotations

import aiosqlite

from bot.db._util import when
from bot.models import CONVERSATIONAL_KINDS, ArchiveStats

_TALK = sorted(CONVERSATIONAL_KINDS)  # everything else is a system message


class StatsRepository:
    """Read-only aggregate queries."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def _scalar(self, query: str, args: tuple[object, ...] = ()) -> int:
        async with self.conn.execute(query, args) as cur:
            row = await cur.fetchone()
        return int(row[0] or 0) if row else 0

    async def archive(self, guild_id: int | None = None) -> ArchiveStats:
        """Counts for one guild, or for the whole store."""
        g = "" if guild_id is None else " WHERE guild_id = ?"
        gm = "" if guild_id is None else " AND m.guild_id = ?"
        args: tuple[object, ...] = () if guild_id is None else (guild_id,)
        threads = "kind IN ('thread', 'private_thread', 'forum_post')"
        async with self.conn.execute(
            f"SELECT MIN(created_at), MAX(created_at) FROM messages{g}", args
        ) as cur:
            first, last = await cur.fetchone() or (None, None)
        per_channel: list[tuple[str, int]] = []
        async with self.conn.execute(
            "SELECT COALESCE(NULLIF(c.name, ''), CAST(m.channel_id AS TEXT)), COUNT(*) "
            "FROM messages m LEFT JOIN channels c ON c.id = m.channel_id "
            f"WHERE m.deleted = 0{gm} GROUP BY m.channel_id ORDER BY COUNT(*) DESC, 1",
            args,
        ) as cur:
            per_channel = [(str(name), int(n)) async for name, n in cur]
        return ArchiveStats(
            guilds=await self._scalar(
                "SELECT COUNT(*) FROM guilds" + ("" if guild_id is None else " WHERE id = ?"),
                args,
            ),
            channels=await self._scalar(f"SELECT COUNT(*) FROM channels{g}", args),
            threads=await self._scalar(
                f"SELECT COUNT(*) FROM channels WHERE {threads}"
                + ("" if guild_id is None else " AND guild_id = ?"),
                args,
            ),
            members=await self._scalar(f"SELECT COUNT(*) FROM members{g}", args),
            messages=await self._scalar(
                "SELECT COUNT(*) FROM messages m WHERE m.deleted = 0" + gm, args
            ),
            deleted_messages=await self._scalar(
                "SELECT COUNT(*) FROM messages m WHERE m.deleted = 1" + gm, args
            ),
            mentions=await self._scalar(
                "SELECT COUNT(*) FROM mentions x JOIN messages m ON m.id = x.message_id "
                "WHERE 1 = 1" + gm,
                args,
            ),
            reactions=await self._scalar(
                "SELECT COUNT(*) FROM reactions x JOIN messages m ON m.id = x.message_id "
                "WHERE 1 = 1" + gm,
                args,
            ),
            system_messages=await self._scalar(
                "SELECT COUNT(*) FROM messages m WHERE m.deleted = 0 AND lower(m.kind) NOT IN "
                f"({', '.join('?' * len(_TALK))})" + gm,
                (*_TALK, *args),
            ),
            first_message_at=when(first),
            last_message_at=when(last),
            per_channel=tuple(per_channel),
        )
