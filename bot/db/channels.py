"""Channels, threads, their permission overwrites and private-thread membership."""

from __future__ import annotations

import builtins
from collections.abc import Iterable

import aiosqlite

from bot.db._util import ms, when
from bot.db.deliveries import IN_GUILD
from bot.models import LOGGED_KINDS, ChannelRecord, Overwrite

_COLUMNS = (
    "id, guild_id, parent_id, kind, name, topic, owner_id, private, archived, deleted, excluded, "
    "created_at"
)


def _record(row: aiosqlite.Row, overwrites: tuple[Overwrite, ...] | None = None) -> ChannelRecord:
    return ChannelRecord(
        id=row["id"],
        guild_id=row["guild_id"],
        kind=row["kind"],
        name=row["name"],
        parent_id=row["parent_id"],
        topic=row["topic"],
        owner_id=row["owner_id"],
        private=bool(row["private"]),
        archived=bool(row["archived"]),
        created_at=when(row["created_at"]),
        overwrites=overwrites,
        deleted=bool(row["deleted"]),
        excluded=bool(row["excluded"]),
    )


_GUILD_OF = "SELECT guild_id FROM channels WHERE id = ?"


class ChannelRepository:
    """Rows of ``channels``, ``channel_overwrites`` and ``thread_members``."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def upsert(self, channel: ChannelRecord) -> None:
        """Insert or update a channel; ``excluded`` is an admin choice and is kept."""
        await self.conn.execute(
            f"INSERT INTO channels ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?) "
            "ON CONFLICT(id) DO UPDATE SET parent_id = excluded.parent_id, "
            "kind = excluded.kind, name = excluded.name, "
            "topic = excluded.topic, owner_id = COALESCE(excluded.owner_id, channels.owner_id), "
            "private = excluded.private, archived = excluded.archived, deleted = 0, "
            "created_at = COALESCE(channels.created_at, excluded.created_at)",
            (
                channel.id,
                channel.guild_id,
                channel.parent_id,
                channel.kind,
                channel.name,
                channel.topic,
                channel.owner_id,
                int(channel.private),
                int(channel.archived),
                ms(channel.created_at),
            ),
        )
        if channel.overwrites is not None:
            await self.conn.execute(
                "DELETE FROM channel_overwrites WHERE channel_id = ?", (channel.id,)
            )
            await self.conn.executemany(
                "INSERT INTO channel_overwrites (channel_id, target_id, target_type, allow, deny) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (channel.id, o.target_id, o.target_type, o.allow, o.deny)
                    for o in channel.overwrites
                ],
            )

    async def ensure(self, channel_id: int, guild_id: int, kind: str, name: str = "") -> None:
        """Make sure a channel row exists without overwriting what is known about it."""
        await self.conn.execute(
            "INSERT INTO channels (id, guild_id, kind, name) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(id) DO NOTHING",
            (channel_id, guild_id, kind, name),
        )

    async def get(self, channel_id: int) -> ChannelRecord | None:
        """One channel with its overwrites, or None."""
        async with self.conn.execute(
            f"SELECT {_COLUMNS} FROM channels WHERE id = ?",
            (channel_id,),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return _record(row, await self.overwrites(channel_id))

    async def overwrites(self, channel_id: int) -> tuple[Overwrite, ...]:
        """The stored permission overwrites of a channel."""
        async with self.conn.execute(
            "SELECT target_id, target_type, allow, deny FROM channel_overwrites "
            "WHERE channel_id = ? ORDER BY target_id",
            (channel_id,),
        ) as cur:
            return tuple([Overwrite(**dict(r)) async for r in cur])

    async def list(self, guild_id: int, *, include_deleted: bool = False) -> list[ChannelRecord]:
        """Every channel of a guild, with overwrites."""
        query = f"SELECT {_COLUMNS} FROM channels WHERE guild_id = ?"
        if not include_deleted:
            query += " AND deleted = 0"
        async with self.conn.execute(query + " ORDER BY id", (guild_id,)) as cur:
            rows = await cur.fetchall()
        overwrites: dict[int, list[Overwrite]] = {}
        async with self.conn.execute(
            "SELECT o.channel_id, o.target_id, o.target_type, o.allow, o.deny "
            "FROM channel_overwrites o JOIN channels c ON c.id = o.channel_id "
            "WHERE c.guild_id = ?",
            (guild_id,),
        ) as cur:
            async for r in cur:
                overwrites.setdefault(r["channel_id"], []).append(
                    Overwrite(r["target_id"], r["target_type"], r["allow"], r["deny"])
                )
        return [_record(r, tuple(overwrites.get(r["id"], ()))) for r in rows]

    async def tracked(self, guild_id: int) -> builtins.list[ChannelRecord]:
        """Channels and live threads whose messages are logged (not deleted, not excluded)."""
        kinds = sorted(LOGGED_KINDS)
        marks = ", ".join("?" * len(kinds))
        async with self.conn.execute(
            f"SELECT {_COLUMNS} FROM channels c WHERE guild_id = ? AND deleted = 0 "
            f"AND excluded = 0 AND kind IN ({marks}) AND NOT EXISTS (SELECT 1 FROM channels p "
            "WHERE p.id = c.parent_id AND (p.excluded = 1 OR p.deleted = 1) "
            "AND c.kind IN ('thread', 'private_thread', 'forum_post')) ORDER BY id",
            (guild_id, *kinds),
        ) as cur:
            return [_record(r) async for r in cur]

    async def set_excluded(self, channel_id: int, excluded: bool) -> None:
        """Admins include or exclude a channel (and with it, its threads)."""
        await self.conn.execute(
            "UPDATE channels SET excluded = ? WHERE id = ?", (int(excluded), channel_id)
        )
        if excluded:  # an unfinished delivery must not resume quoting it
            await self.conn.execute(IN_GUILD.format(_GUILD_OF), (channel_id,))

    async def mark_deleted(self, channel_id: int) -> int:
        """A channel or thread was deleted: keep the row, drop every message's content.

        Returns how many messages were emptied.
        """
        # Its threads and forum posts go with it (Discord sends no event for archived ones).
        gone = (
            "SELECT id FROM channels WHERE id = ?1 OR (parent_id = ?1 AND kind IN "
            "('thread', 'private_thread', 'forum_post'))"
        )
        await self.conn.execute(
            f"UPDATE channels SET deleted = 1 WHERE id IN ({gone})", (channel_id,)
        )
        ids = f"SELECT id FROM messages WHERE channel_id IN ({gone}) AND deleted = 0"
        await self.conn.execute(f"DELETE FROM mentions WHERE message_id IN ({ids})", (channel_id,))
        await self.conn.execute(f"DELETE FROM reactions WHERE message_id IN ({ids})", (channel_id,))
        cur = await self.conn.execute(
            f"UPDATE messages SET content = '', deleted = 1 WHERE id IN ({ids})", (channel_id,)
        )
        if cur.rowcount:
            await self.conn.execute(IN_GUILD.format(_GUILD_OF), (channel_id,))
        return cur.rowcount

    async def add_thread_members(self, thread_id: int, user_ids: Iterable[int]) -> None:
        """Record members of a (private) thread."""
        await self.conn.executemany(  # a thread we never saw created is skipped, not an error
            "INSERT OR IGNORE INTO thread_members (thread_id, user_id) SELECT ?1, ?2 "
            "WHERE EXISTS (SELECT 1 FROM channels WHERE id = ?1)",
            [(thread_id, u) for u in user_ids],
        )

    async def replace_thread_members(self, thread_id: int, user_ids: Iterable[int]) -> None:
        """The thread's members are exactly ``user_ids`` (a fresh list from Discord)."""
        await self.conn.execute("DELETE FROM thread_members WHERE thread_id = ?", (thread_id,))
        await self.add_thread_members(thread_id, user_ids)

    async def remove_thread_member(self, thread_id: int, user_id: int) -> None:
        """Someone left or was removed from a thread."""
        await self.conn.execute(
            "DELETE FROM thread_members WHERE thread_id = ? AND user_id = ?", (thread_id, user_id)
        )

    async def thread_members(self, thread_id: int) -> set[int]:
        """Members known to be in a thread."""
        async with self.conn.execute(
            "SELECT user_id FROM thread_members WHERE thread_id = ?", (thread_id,)
        ) as cur:
            return {r[0] async for r in cur}
