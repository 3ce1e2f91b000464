"""Delivery records: the exactly-once ledger of digests and DM recaps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import aiosqlite

from bot.db._util import ms, when


@dataclass(frozen=True, slots=True)
class Delivery:
    """One (guild, period, target) delivery and how far it got."""

    guild_id: int
    period: str
    target: str
    user_id: int | None
    status: str
    nonce: str
    attempts: int
    message_ids: tuple[int, ...]
    late: bool
    error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


_COLUMNS = (
    "guild_id, period, target, user_id, status, nonce, attempts, message_ids, late, error, "
    "created_at, updated_at"
)


def _delivery(row: aiosqlite.Row) -> Delivery:
    ids = tuple(int(x) for x in row["message_ids"].split(",") if x)
    created, updated = when(row["created_at"]), when(row["updated_at"])
    assert created is not None and updated is not None
    return Delivery(
        row["guild_id"],
        row["period"],
        row["target"],
        row["user_id"],
        row["status"],
        row["nonce"],
        row["attempts"],
        ids,
        bool(row["late"]),
        row["error"],
        created,
        updated,
    )


class DeliveryRepository:
    """Rows of ``deliveries``."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def get(self, guild_id: int, period: str, target: str) -> Delivery | None:
        """The record of one delivery, or None if it was never started."""
        async with self.conn.execute(
            f"SELECT {_COLUMNS} FROM deliveries WHERE guild_id = ? AND period = ? AND target = ?",
            (guild_id, period, target),
        ) as cur:
            row = await cur.fetchone()
        return _delivery(row) if row else None

    async def begin(
        self,
        guild_id: int,
        period: str,
        target: str,
        *,
        nonce: str,
        user_id: int | None,
        late: bool,
        now: dt.datetime,
    ) -> Delivery:
        """Record the intent to send (idempotent) and count the attempt; returns the record."""
        await self.conn.execute(
            "INSERT INTO deliveries (guild_id, period, target, user_id, status, nonce, late, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, 'sending', ?, ?, ?, ?) "
            # A retry of a failed delivery is 'sending' again while it runs, so a crash
            # during it is reconciled like any other.
            "ON CONFLICT(guild_id, period, target) DO UPDATE SET status = 'sending' "
            "WHERE deliveries.status = 'failed'",
            (guild_id, period, target, user_id, nonce, int(late), ms(now), ms(now)),
        )
        await self.conn.execute(
            "UPDATE deliveries SET attempts = attempts + 1, updated_at = ? WHERE guild_id = ? "
            "AND period = ? AND target = ? AND status IN ('sending', 'failed')",
            (ms(now), guild_id, period, target),
        )
        found = await self.get(guild_id, period, target)
        assert found is not None
        return found

    async def finish(
        self,
        guild_id: int,
        period: str,
        target: str,
        *,
        status: str,
        now: dt.datetime,
        message_ids: tuple[int, ...] = (),
        error: str | None = None,
    ) -> None:
        """Record the outcome of a delivery."""
        await self.conn.execute(
            "UPDATE deliveries SET status = ?, message_ids = ?, error = ?, updated_at = ? "
            "WHERE guild_id = ? AND period = ? AND target = ?",
            (status, ",".join(map(str, message_ids)), error, ms(now), guild_id, period, target),
        )

    async def latest(
        self, guild_id: int, target: str, statuses: tuple[str, ...]
    ) -> Delivery | None:
        """The newest delivery to ``target`` with one of ``statuses``."""
        marks = ", ".join("?" * len(statuses))
        async with self.conn.execute(
            f"SELECT {_COLUMNS} FROM deliveries WHERE guild_id = ? AND target = ? "
            f"AND status IN ({marks}) ORDER BY created_at DESC LIMIT 1",
            (guild_id, target, *statuses),
        ) as cur:
            row = await cur.fetchone()
        return _delivery(row) if row else None

    async def list(self, guild_id: int, period: str | None = None) -> list[Delivery]:
        """Deliveries of a guild (of one period), oldest first."""
        query = f"SELECT {_COLUMNS} FROM deliveries WHERE guild_id = ?"
        args: tuple[object, ...] = (guild_id,)
        if period is not None:
            query += " AND period = ?"
            args += (period,)
        async with self.conn.execute(query + " ORDER BY created_at, target", args) as cur:
            return [_delivery(r) async for r in cur]

    async def unnotified_dm_failure(self, guild_id: int, user_id: int) -> Delivery | None:
        """A DM recap that failed because DMs are closed and the member was not told yet."""
        async with self.conn.execute(
            f"SELECT {_COLUMNS} FROM deliveries WHERE guild_id = ? AND user_id = ? "
            "AND status = 'dm_closed' AND notified = 0 ORDER BY created_at DESC LIMIT 1",
            (guild_id, user_id),
        ) as cur:
            row = await cur.fetchone()
        return _delivery(row) if row else None

    async def mark_notified(self, guild_id: int, user_id: int) -> None:
        """The member has been told that their DM recaps failed."""
        await self.conn.execute(
            "UPDATE deliveries SET notified = 1 WHERE guild_id = ? AND user_id = ? "
            "AND status = 'dm_closed'",
            (guild_id, user_id),
        )
