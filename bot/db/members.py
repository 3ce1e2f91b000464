"""Members, their roles and their preferences."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Iterable

import aiosqlite

from bot.db._util import ms, when
from bot.models import Member, MemberRecord

_COLUMNS = (
    "guild_id, user_id, name, display_name, is_bot, joined_at, left_at, last_seen_at, "
    "dm_opt_in, dm_cadence, logging_paused"
)

# A member's last activity only moves forward, and never for one who paused logging.
TOUCH = (
    "UPDATE members SET last_seen_at = MAX(COALESCE(last_seen_at, 0), ?) "
    "WHERE guild_id = ? AND user_id = ? AND logging_paused = 0"
)


ENSURE = (
    "INSERT INTO members (guild_id, user_id, name, display_name, is_bot) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT(guild_id, user_id) DO UPDATE SET "
    "name = excluded.name, display_name = excluded.display_name"
)


def author_row(m: MemberRecord) -> tuple[object, ...]:
    """An author seen in history, as the parameters of ``ENSURE``."""
    return (m.guild_id, m.user_id, m.name, m.display_name or m.name, int(m.is_bot))


def _member(row: aiosqlite.Row) -> Member:
    return Member(
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        name=row["name"],
        display_name=row["display_name"],
        is_bot=bool(row["is_bot"]),
        joined_at=when(row["joined_at"]),
        left_at=when(row["left_at"]),
        last_seen_at=when(row["last_seen_at"]),
        dm_opt_in=bool(row["dm_opt_in"]),
        dm_cadence=row["dm_cadence"],
        logging_paused=bool(row["logging_paused"]),
    )


class MemberRepository:
    """Rows of ``members`` and ``member_roles``."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def upsert_many(self, members: Iterable[MemberRecord]) -> None:
        """Insert or update members (they are present); preferences are kept."""
        rows = []
        role_rows: list[tuple[int, int, int]] = []
        role_owners: list[tuple[int, int]] = []
        for m in members:
            rows.append(
                (
                    m.guild_id,
                    m.user_id,
                    m.name,
                    m.display_name or m.name,
                    int(m.is_bot),
                    ms(m.joined_at),
                )
            )
            if m.role_ids is not None:
                role_owners.append((m.guild_id, m.user_id))
                role_rows.extend((m.guild_id, m.user_id, r) for r in m.role_ids)
        await self.conn.executemany(
            "INSERT INTO members (guild_id, user_id, name, display_name, is_bot, joined_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(guild_id, user_id) DO UPDATE SET "
            "name = excluded.name, display_name = excluded.display_name, "
            "is_bot = excluded.is_bot, joined_at = COALESCE(excluded.joined_at, "
            "members.joined_at), left_at = NULL",
            rows,
        )
        await self.conn.executemany(
            "DELETE FROM member_roles WHERE guild_id = ? AND user_id = ?", role_owners
        )
        await self.conn.executemany(
            "INSERT OR IGNORE INTO member_roles (guild_id, user_id, role_id) VALUES (?, ?, ?)",
            role_rows,
        )

    async def upsert(self, member: MemberRecord) -> None:
        """Insert or update one member."""
        await self.upsert_many([member])

    async def ensure_many(self, members: Iterable[MemberRecord]) -> None:
        """Record authors seen in history or exports without marking them present."""
        await self.conn.executemany(ENSURE, [author_row(m) for m in members])

    async def mark_left(self, guild_id: int, user_id: int, at: dt.datetime) -> None:
        """The member left or was removed."""
        await self.conn.execute(
            "UPDATE members SET left_at = ? WHERE guild_id = ? AND user_id = ?",
            (ms(at), guild_id, user_id),
        )
        await self.conn.execute(
            "DELETE FROM member_roles WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )

    async def touch(self, guild_id: int, user_id: int, at: dt.datetime) -> None:
        """The member was active at ``at`` (only moves forward)."""
        await self.touch_many([(guild_id, user_id, at)])

    async def touch_many(self, seen: Iterable[tuple[int, int, dt.datetime]]) -> None:
        """Many (guild id, user id, active at) in one statement (only moves forward)."""
        await self.conn.executemany(
            TOUCH, [(ms(at), guild_id, user_id) for guild_id, user_id, at in seen]
        )

    async def set_logging_paused(self, guild_id: int, user_id: int, paused: bool) -> None:
        """Stop or resume storing this member's messages and reactions."""
        await self.conn.execute(
            "INSERT INTO members (guild_id, user_id, logging_paused) VALUES (?, ?, ?) "
            "ON CONFLICT(guild_id, user_id) DO UPDATE SET logging_paused = excluded.logging_paused",
            (guild_id, user_id, int(paused)),
        )

    async def set_dm(self, guild_id: int, user_id: int, opt_in: bool, cadence: str) -> None:
        """Opt in or out of DM recaps."""
        await self.conn.execute(
            "INSERT INTO members (guild_id, user_id, dm_opt_in, dm_cadence) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(guild_id, user_id) DO UPDATE SET dm_opt_in = excluded.dm_opt_in, "
            "dm_cadence = excluded.dm_cadence",
            (guild_id, user_id, int(opt_in), cadence),
        )

    async def get(self, guild_id: int, user_id: int) -> Member | None:
        """One member, or None."""
        async with self.conn.execute(
            f"SELECT {_COLUMNS} FROM members WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        ) as cur:
            row = await cur.fetchone()
        return _member(row) if row else None

    async def list(self, guild_id: int, *, present_only: bool = False) -> list[Member]:
        """Members of a guild, by id."""
        query = f"SELECT {_COLUMNS} FROM members WHERE guild_id = ?"
        if present_only:
            query += " AND left_at IS NULL"
        async with self.conn.execute(query + " ORDER BY user_id", (guild_id,)) as cur:
            return [_member(r) async for r in cur]

    async def find(self, guild_id: int, needle: str) -> builtins.list[Member]:
        """Members whose id, name or display name matches ``needle`` (exact first)."""
        text = needle.strip().lstrip("@")
        if text.isdigit():
            found = await self.get(guild_id, int(text))
            if found:
                return [found]
        async with self.conn.execute(
            f"SELECT {_COLUMNS} FROM members WHERE guild_id = ? AND "
            "(name = ? COLLATE NOCASE OR display_name = ? COLLATE NOCASE) ORDER BY user_id",
            (guild_id, text, text),
        ) as cur:
            return [_member(r) async for r in cur]

    async def role_ids(self, guild_id: int, user_id: int) -> set[int]:
        """The roles a member holds."""
        async with self.conn.execute(
            "SELECT role_id FROM member_roles WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        ) as cur:
            return {r[0] async for r in cur}

    async def all_role_ids(self, guild_id: int) -> dict[int, set[int]]:
        """Every member's roles, by user id."""
        result: dict[int, set[int]] = {}
        async with self.conn.execute(
            "SELECT user_id, role_id FROM member_roles WHERE guild_id = ?", (guild_id,)
        ) as cur:
            async for user_id, role_id in cur:
                result.setdefault(user_id, set()).add(role_id)
        return result
