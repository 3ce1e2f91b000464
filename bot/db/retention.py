"""Retention: drop a guild's messages older than a cutoff, and what hangs off them."""

from __future__ import annotations

import datetime as dt

import aiosqlite

from bot.db._util import ms
from bot.db.deliveries import IN_GUILD
from bot.db.privacy import pin_cursors
from bot.db.search import merge_index

_OLD = "SELECT id FROM messages WHERE guild_id = ?1 AND created_at < ?2"


class RetentionRepository:
    """Deletes old rows of ``messages``, ``mentions``, ``reactions`` and ``summary_cache``."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def purge_before(self, guild_id: int, cutoff: dt.datetime) -> int:
        """Delete the guild's messages created before ``cutoff``; returns how many.

        Their mentions and reactions go with them, and so does every cached summary that
        quotes a message no longer stored. Channels get an explicit backfill cursor first
        (see :func:`bot.db.privacy.pin_cursors`) so backfill does not fetch them again.
        """
        args = (guild_id, ms(cutoff))
        await pin_cursors(self.conn, _OLD, args)
        await self.conn.execute(f"DELETE FROM mentions WHERE message_id IN ({_OLD})", args)
        await self.conn.execute(f"DELETE FROM reactions WHERE message_id IN ({_OLD})", args)
        cur = await self.conn.execute(
            "DELETE FROM messages WHERE guild_id = ?1 AND created_at < ?2", args
        )
        purged = cur.rowcount
        if purged:
            await merge_index(self.conn)
            await self.conn.execute(IN_GUILD.format("?"), (guild_id,))
            await self.conn.execute(
                "DELETE FROM summary_cache WHERE EXISTS (SELECT 1 FROM json_each(payload, "
                "'$.points') p WHERE NOT EXISTS (SELECT 1 FROM messages m "
                "WHERE m.id = json_extract(p.value, '$.message_id')))"
            )
        return purged
