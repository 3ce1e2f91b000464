"""Delivery records: the exactly-once ledger of digests and DM recaps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import aiosqlite

from bot.db._util import ms, when
from bot.models import FINAL, Status, Target


@dataclass(frozen=True, slots=True)
class Delivery:
    """One (guild, period, target) delivery and how far it got."""

    guild_id: int
    period: str
    target: Target
    user_id: int | None
    status: Status
    nonce: str
    attempts: int
    message_ids: tuple[int, ...]
    late: bool
    error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    channel_id: int | None = None  # a digest's channel
    manual: bool = False  # posted with /digest post
    until: dt.datetime | None = None  # the end of the window a digest covered
    payload: str | None = None  # the parts as rendered (JSON), while unfinished


_COLUMNS = (
    "guild_id, period, target, user_id, status, nonce, attempts, message_ids, late, error, "
    "created_at, updated_at, channel_id, manual, until_at, payload"
)
_FINAL = "(" + ", ".join(f"'{s.value}'" for s in FINAL) + ")"  # never sent again, as SQL
# Archived text was deleted or forgotten: unfinished deliveries forget their rendering, and a
# resume renders afresh from what is left (a partial index keeps this cheap).
DROP_PAYLOADS = "UPDATE deliveries SET payload = NULL WHERE payload IS NOT NULL"
# ... of one guild (the only one whose text changed): ``?`` is the guild, or a subquery's.
IN_GUILD = DROP_PAYLOADS + " AND guild_id = ({})"


def _delivery(row: aiosqlite.Row) -> Delivery:
    ids = tuple(int(x) for x in row["message_ids"].split(",") if x)
    created, updated = when(row["created_at"]), when(row["updated_at"])
    assert created is not None and updated is not None
    return Delivery(
        row["guild_id"],
        row["period"],
        Target.parse(row["target"]),
        row["user_id"],
        Status(row["status"]),
        row["nonce"],
        row["attempts"],
        ids,
        bool(row["late"]),
        row["error"],
        created,
        updated,
        row["channel_id"],
        bool(row["manual"]),
        when(row["until_at"]),
        row["payload"],
    )


class DeliveryRepository:
    """Rows of ``deliveries``."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def get(self, guild_id: int, period: str, target: Target) -> Delivery | None:
        """The record of one delivery, or None if it was never started."""
        async with self.conn.execute(
            f"SELECT {_COLUMNS} FROM deliveries WHERE guild_id = ? AND period = ? AND target = ?",
            (guild_id, period, str(target)),
        ) as cur:
            row = await cur.fetchone()
        return _delivery(row) if row else None

    async def begin(
        self,
        guild_id: int,
        period: str,
        target: Target,
        *,
        nonce: str,
        user_id: int | None,
        late: bool,
        now: dt.datetime,
        channel_id: int | None = None,
        until: dt.datetime | None = None,
    ) -> Delivery:
        """Record the intent to send (idempotent) and count the attempt; returns the record."""
        await self.conn.execute(
            "INSERT INTO deliveries (guild_id, period, target, user_id, status, nonce, late, "
            "created_at, updated_at, channel_id, until_at) "
            "VALUES (?, ?, ?, ?, 'sending', ?, ?, ?, ?, ?, ?) "
            # A retry of a failed delivery is 'sending' again while it runs, so a crash
            # during it is reconciled like any other. Its channel stays the first one: parts
            # already posted there are not posted again elsewhere.
            "ON CONFLICT(guild_id, period, target) DO UPDATE SET status = 'sending' "
            "WHERE deliveries.status = 'failed'",
            (
                guild_id,
                period,
                str(target),
                user_id,
                nonce,
                int(late),
                ms(now),
                ms(now),
                channel_id,
                ms(until),
            ),
        )
        await self.conn.execute(
            "UPDATE deliveries SET attempts = attempts + 1, updated_at = ? WHERE guild_id = ? "
            "AND period = ? AND target = ? AND status IN ('sending', 'failed')",
            (ms(now), guild_id, period, str(target)),
        )
        found = await self.get(guild_id, period, target)
        assert found is not None
        return found

    async def rendered(self, guild_id: int, period: str, target: Target, payload: str) -> None:
        """The parts a delivery is about to send, as rendered: a resume sends these."""
        await self.conn.execute(
            "UPDATE deliveries SET payload = ? WHERE guild_id = ? AND period = ? AND target = ?",
            (payload, guild_id, period, str(target)),
        )

    async def drop_stale_payloads(self, guild_id: int, period: str) -> int:
        """Renderings of earlier periods of ``period``'s cadence: they will never be resumed
        (their grace is over), so the text they quote goes."""
        cadence = period.partition(":")[0] + ":"
        cur = await self.conn.execute(
            DROP_PAYLOADS + " AND guild_id = ? AND period < ? AND substr(period, 1, ?) = ?",
            (guild_id, period, len(cadence), cadence),
        )
        return cur.rowcount

    async def finish(
        self,
        guild_id: int,
        period: str,
        target: Target,
        *,
        status: Status,
        now: dt.datetime,
        message_ids: tuple[int, ...] | None = None,
        error: str | None = None,
    ) -> None:
        """Record the outcome of a delivery (``message_ids`` None: keep the parts recorded).

        A finished delivery drops its rendering; a failed one keeps it for the retry."""
        ids = None if message_ids is None else ",".join(map(str, message_ids))
        await self.conn.execute(
            "UPDATE deliveries SET status = ?1, message_ids = COALESCE(?2, message_ids), "
            f"error = ?3, updated_at = ?4, payload = CASE WHEN ?1 IN {_FINAL} THEN NULL "
            "ELSE payload END WHERE guild_id = ?5 AND period = ?6 AND target = ?7",
            (status.value, ids, error, ms(now), guild_id, period, str(target)),
        )

    async def progress(
        self,
        guild_id: int,
        period: str,
        target: Target,
        message_ids: tuple[int, ...],
        now: dt.datetime,
    ) -> None:
        """The parts sent so far of a delivery still 'sending' (one more landed)."""
        await self.conn.execute(
            "UPDATE deliveries SET message_ids = ?, updated_at = ? WHERE guild_id = ? "
            "AND period = ? AND target = ? AND status = 'sending'",
            (",".join(map(str, message_ids)), ms(now), guild_id, period, str(target)),
        )

    async def record_manual(
        self,
        guild_id: int,
        *,
        channel_id: int,
        message_ids: tuple[int, ...],
        now: dt.datetime,
        until: dt.datetime | None,
    ) -> None:
        """A digest posted by hand (``/digest post``); the next digest starts at ``until``."""
        await self.conn.execute(
            "INSERT OR REPLACE INTO deliveries (guild_id, period, target, status, nonce, "
            "message_ids, created_at, updated_at, channel_id, manual, until_at) "
            "VALUES (?, ?, 'digest', 'sent', '', ?, ?, ?, ?, 1, ?)",
            (guild_id, f"manual:{ms(now)}", ",".join(map(str, message_ids)), ms(now), ms(now),
             channel_id, ms(until)),
        )  # fmt: skip

    async def latest(
        self,
        guild_id: int,
        target: Target,
        statuses: tuple[Status, ...],
        *,
        manual: bool | None = None,
    ) -> Delivery | None:
        """The delivery to ``target`` with one of ``statuses`` whose window ends last (a retry
        that lands after a newer manual post still covers the earlier week); ``manual``:
        only posts by hand (True) or only scheduled ones (False)."""
        marks = ", ".join("?" * len(statuses))
        only = "" if manual is None else f"AND manual = {int(manual)} "
        async with self.conn.execute(
            f"SELECT {_COLUMNS} FROM deliveries WHERE guild_id = ? AND target = ? "
            f"AND status IN ({marks}) {only}"
            "ORDER BY COALESCE(until_at, created_at) DESC, created_at DESC LIMIT 1",
            (guild_id, str(target), *(x.value for x in statuses)),
        ) as cur:
            row = await cur.fetchone()
        return _delivery(row) if row else None

    async def dm_ends(self, guild_id: int) -> dict[int, dt.datetime]:
        """Where each member's last DM recap (sent, or empty) ended, by user id."""
        async with self.conn.execute(
            "SELECT user_id, MAX(until_at) FROM deliveries WHERE guild_id = ? AND user_id IS NOT "
            "NULL AND until_at IS NOT NULL AND status IN ('sent', 'empty') GROUP BY user_id",
            (guild_id,),
        ) as cur:
            return {int(u): end for u, at in await cur.fetchall() if (end := when(at))}

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
