"""Guilds, their roles and their settings."""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Iterable

import aiosqlite

from bot.db._util import ms
from bot.models import GuildRecord, GuildSettings, RoleRecord
from bot.timeutil import utcnow

SETTING_FIELDS = frozenset(
    f.name for f in dataclasses.fields(GuildSettings) if f.name != "guild_id"
)


class GuildRepository:
    """Rows of ``guilds`` and ``roles``."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def upsert(self, guild: GuildRecord) -> None:
        """Insert or rename a guild; its settings are kept."""
        await self.conn.execute(
            "INSERT INTO guilds (id, name, owner_id, joined_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
            "owner_id = COALESCE(excluded.owner_id, guilds.owner_id)",
            (guild.id, guild.name, guild.owner_id, ms(utcnow())),
        )

    async def ensure(self, guild_id: int, name: str = "") -> None:
        """Make sure a guild row exists (for imports that know only the id)."""
        await self.conn.execute(
            "INSERT INTO guilds (id, name) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET "
            "name = CASE WHEN excluded.name != '' THEN excluded.name ELSE guilds.name END",
            (guild_id, name),
        )

    async def ensure_default_role(self, guild_id: int, permissions: int) -> bool:
        """Give a guild known only from exports an @everyone role; True if one was added.

        An export carries no permission facts. Its channels were readable by whoever exported
        them, so they are taken as readable by every member until the bot connects and the
        real roles replace this one.
        """
        cur = await self.conn.execute(
            "INSERT INTO roles (id, guild_id, name, permissions, position) "
            "SELECT ?1, ?1, '@everyone', ?2, 0 "
            "WHERE NOT EXISTS (SELECT 1 FROM roles WHERE guild_id = ?1)",
            (guild_id, permissions),
        )
        return cur.rowcount > 0

    async def get(self, guild_id: int) -> GuildRecord | None:
        """The guild, or None."""
        async with self.conn.execute(
            "SELECT id, name, owner_id FROM guilds WHERE id = ?", (guild_id,)
        ) as cur:
            row = await cur.fetchone()
        return GuildRecord(row["id"], row["name"], row["owner_id"]) if row else None

    async def list(self) -> list[GuildRecord]:
        """Every stored guild."""
        async with self.conn.execute("SELECT id, name, owner_id FROM guilds ORDER BY id") as cur:
            return [GuildRecord(r["id"], r["name"], r["owner_id"]) async for r in cur]

    async def settings(self, guild_id: int) -> GuildSettings:
        """The guild's settings (defaults when the guild is unknown)."""
        async with self.conn.execute(
            "SELECT digest_channel_id, digest_weekday, digest_hour, timezone, language, "
            "summarizer, retention_days FROM guilds WHERE id = ?",
            (guild_id,),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return GuildSettings(guild_id)
        return GuildSettings(guild_id, **dict(row))

    async def update_settings(self, guild_id: int, **changes: object) -> None:
        """Change some settings; unknown names are a programming error."""
        unknown = set(changes) - SETTING_FIELDS
        if unknown:
            raise ValueError(f"unknown guild settings: {sorted(unknown)}")
        if not changes:
            return
        await self.ensure(guild_id)
        columns = ", ".join(f"{name} = ?" for name in changes)  # names checked above
        await self.conn.execute(
            f"UPDATE guilds SET {columns} WHERE id = ?",
            (*changes.values(), guild_id),
        )

    async def replace_roles(self, guild_id: int, roles: Iterable[RoleRecord]) -> None:
        """Make the stored roles exactly ``roles``."""
        rows = [(r.id, guild_id, r.name, r.permissions, r.position) for r in roles]
        await self.conn.execute("DELETE FROM roles WHERE guild_id = ?", (guild_id,))
        await self.conn.executemany(
            "INSERT INTO roles (id, guild_id, name, permissions, position) VALUES (?, ?, ?, ?, ?)",
            rows,
        )

    async def upsert_role(self, role: RoleRecord) -> None:
        """Insert or update one role."""
        await self.conn.execute(
            "INSERT INTO roles (id, guild_id, name, permissions, position) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
            "permissions = excluded.permissions, position = excluded.position",
            (role.id, role.guild_id, role.name, role.permissions, role.position),
        )

    async def ensure_roles(self, roles: Iterable[RoleRecord]) -> None:
        """Record roles known only by name (exports): never overwrites a known role."""
        await self.conn.executemany(
            "INSERT OR IGNORE INTO roles (id, guild_id, name, permissions, position) "
            "VALUES (?, ?, ?, ?, ?)",
            [(r.id, r.guild_id, r.name, r.permissions, r.position) for r in roles],
        )

    async def delete_role(self, role_id: int) -> None:
        """Forget a deleted role and who held it."""
        await self.conn.execute("DELETE FROM roles WHERE id = ?", (role_id,))
        await self.conn.execute("DELETE FROM member_roles WHERE role_id = ?", (role_id,))

    async def roles(self, guild_id: int) -> builtins.list[RoleRecord]:
        """The guild's roles, lowest first."""
        async with self.conn.execute(
            "SELECT id, guild_id, name, permissions, position FROM roles WHERE guild_id = ? "
            "ORDER BY position, id",
            (guild_id,),
        ) as cur:
            return [RoleRecord(**dict(r)) async for r in cur]
