"""Scheduled deliveries, exactly once: the weekly circle digest and opt-in DM recaps.

Each (guild, period, target) is recorded before sending (``sending``) and after (``sent``,
``empty``, ``dm_closed`` or ``failed``). A restart re-runs the due slot: finished targets are
skipped; a target left in ``sending`` (the process died mid-send) is first looked up in the
channel by its marker, and re-sent only if nothing was posted, with the same nonce, which
Discord also uses to drop a duplicate sent within minutes. A delivery of several parts keeps
its rendering in the ledger until it ends, so a resume sends the very parts that are missing
(the week may render differently by then); deleting or forgetting archived text drops those
renderings, and such a resume renders afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from bot.db import Store, explain
from bot.db.deliveries import Delivery
from bot.delivery.marks import Embeds, marker, nonce, stamp
from bot.delivery.slots import ScheduleError, Slot, last_slot, next_slot, period_at
from bot.delivery.types import (
    Content,
    DeliveryError,
    DMClosedError,
    ManualPost,
    Publisher,
    RunReport,
    TransientDeliveryError,
    Where,
)
from bot.models import DIGEST, FINAL, GuildSettings, Place, Status, Target
from bot.timeutil import utcnow

log = logging.getLogger(__name__)

__all__ = [
    "DIGEST",
    "FINAL",
    "Content",
    "DMClosedError",
    "DeliveryError",
    "DeliveryService",
    "Embeds",
    "Publisher",
    "RunReport",
    "TransientDeliveryError",
    "Where",
    "marker",
]


@dataclass(frozen=True, slots=True)
class _Job:
    """One target of a run: what to build, how to send it and where to look for its parts."""

    target: Target
    build: Callable[[], Awaitable[Embeds]]
    send: Callable[[Embeds, str], Awaitable[tuple[int, ...]]]
    where: Where


class DeliveryService:
    """Runs due slots for a guild; safe to call again at any time."""

    def __init__(
        self,
        store: Store,
        content: Content,
        publisher: Publisher,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        grace: dt.timedelta = dt.timedelta(hours=24),
        late_after: dt.timedelta = dt.timedelta(minutes=10),
        dm_interval: float = 0.25,
        retries: int = 3,
        retry_base: float = 1.0,
    ) -> None:
        self.store = store
        self.content = content
        self.publisher = publisher
        self.clock = clock
        self.grace = grace
        self.late_after = late_after
        self.dm_interval = dm_interval
        self.retries = retries
        self.retry_base = retry_base
        self._locks: dict[int, asyncio.Lock] = {}

    async def run_due(self, guild_id: int, cadence: str = "weekly") -> RunReport:
        """Deliver the latest slot of ``cadence`` if it is due and within the grace period."""
        async with self._locks.setdefault(guild_id, asyncio.Lock()):
            settings = await self.store.guilds.settings(guild_id)
            now = self.clock()
            try:
                slot = last_slot(settings, now, cadence)
            except ScheduleError as exc:
                log.warning("guild %s: cannot schedule: %s", guild_id, exc)
                return RunReport(None)
            report = RunReport(slot, late=now - slot.at > self.late_after)
            if now - slot.at > self.grace:
                return report  # too late for this one; the next slot will cover the gap
            until = slot.at.astimezone(dt.UTC)
            async with self.store.transaction():  # earlier periods will not be resumed now
                await self.store.deliveries.drop_stale_payloads(guild_id, slot.period)
            since = await self._since(guild_id, settings, slot)
            if cadence == "weekly" and settings.digest_channel_id is not None:
                await self._digest(settings, slot, since, until, report)
            await self._dms(settings, slot, since, until, report)
            return report

    async def _since(self, guild_id: int, settings: GuildSettings, slot: Slot) -> dt.datetime:
        """DM recaps cover the period, from the previous slot, or earlier if the digest was
        missed."""
        since = slot.since.astimezone(dt.UTC)
        if slot.cadence != "weekly" or settings.digest_channel_id is None:
            return since
        previous = await self.store.deliveries.latest(
            guild_id, DIGEST, (Status.SENT, Status.EMPTY), manual=False
        )
        if previous is not None and previous.period != slot.period:
            floor = since - dt.timedelta(days=21)
            since = max(min(since, previous.created_at), floor)
        return since

    async def _digest_since(self, guild_id: int, slot: Slot, since: dt.datetime) -> dt.datetime:
        """A digest starts where the previous one ended: after a missed week it reaches back
        (at most three more weeks); after a ``/digest post`` or a moved weekday it covers
        only what came since, so no day is in two digests."""
        previous = await self.store.deliveries.latest(guild_id, DIGEST, (Status.SENT, Status.EMPTY))
        if previous is None or previous.period == slot.period:
            return since
        ended = await self._ended(previous)
        return max(ended, slot.since.astimezone(dt.UTC) - dt.timedelta(days=21))

    async def _ended(self, previous: Delivery) -> dt.datetime:
        """Where a recorded digest's window ended (rows from before migration 0005 did not
        record it: their slot's time, or when they were sent)."""
        if previous.until is not None:
            return previous.until
        try:
            settings = await self.store.guilds.settings(previous.guild_id)
            return period_at(settings, previous.period).astimezone(dt.UTC)
        except (ScheduleError, ValueError):
            return previous.created_at

    async def _digest(
        self,
        settings: GuildSettings,
        slot: Slot,
        since: dt.datetime,
        until: dt.datetime,
        report: RunReport,
    ) -> None:
        existing = await self.store.deliveries.get(settings.guild_id, slot.period, DIGEST)
        # The period is the unit: a digest begun in one channel is finished there.
        channel_id = (existing.channel_id if existing else None) or settings.digest_channel_id
        assert channel_id is not None
        since = await self._digest_since(settings.guild_id, slot, since)

        async def build() -> Embeds:
            if since >= until:  # a /digest post after this slot's time already covered it
                return []
            return await self.content.digest(
                settings.guild_id, channel_id, since, until, late=report.late
            )

        async def send(messages: Embeds, n: str) -> tuple[int, ...]:
            return await self.publisher.post(channel_id, messages, nonce=n)

        where = Where(Place("channel", channel_id), channel_id, until)
        await self._deliver(settings.guild_id, slot, _Job(DIGEST, build, send, where), report)

    @contextlib.asynccontextmanager
    async def manual_post(
        self, guild_id: int, channel_id: int, since: dt.datetime
    ) -> AsyncIterator[ManualPost]:
        """``/digest post``, rendered and sent inside: no scheduled delivery of the guild runs
        meanwhile, and whatever was posted (``post.ids``, even if sending failed half-way)
        is recorded when the block ends, as covering ``since`` to ``post.until``."""
        async with self._locks.setdefault(guild_id, asyncio.Lock()):
            post = ManualPost(channel_id, since, self.clock())
            try:
                yield post
            except BaseException:
                # Cut short: what went out is recorded, but the schedule's window stays as it
                # was (the parts that never went out are still in the next digest).
                if post.ids:
                    post.complete = False
                    await self._record_manual(guild_id, post)
                raise
            if post.ids:
                post.slot, post.covers = await self._record_manual(guild_id, post)

    async def _record_manual(self, guild_id: int, post: ManualPost) -> tuple[Slot | None, bool]:
        """Record a manual post in the ledger.

        If it covered everything since the last digest, the next scheduled one starts after
        it, so no day is posted twice; a shorter one leaves the schedule's window as it was.
        Returns the next scheduled slot (if any) and whether it now starts after this post.
        """
        previous = await self.store.deliveries.latest(guild_id, DIGEST, (Status.SENT, Status.EMPTY))
        ended = await self._ended(previous) if previous is not None else None
        covers = post.complete and (ended is None or post.since <= ended)
        async with self.store.transaction():
            await self.store.deliveries.record_manual(
                guild_id,
                channel_id=post.channel_id,
                message_ids=tuple(post.ids),
                now=self.clock(),
                until=post.until if covers else (ended or post.since),
            )
        try:
            slot = next_slot(await self.store.guilds.settings(guild_id), post.until, "weekly")
        except ScheduleError:
            slot = None
        return slot, covers

    async def _dms(
        self,
        settings: GuildSettings,
        slot: Slot,
        since: dt.datetime,
        until: dt.datetime,
        report: RunReport,
    ) -> None:
        members = [
            m
            for m in await self.store.members.list(settings.guild_id, present_only=True)
            if m.dm_opt_in and not m.is_bot and m.dm_cadence == slot.cadence
        ]
        done = {
            d.target
            for d in await self.store.deliveries.list(settings.guild_id, slot.period)
            if d.status.final
        }
        report.skipped += sorted(str(t) for m in members if (t := Target.dm(m.user_id)) in done)
        members = [m for m in members if Target.dm(m.user_id) not in done]
        # A member's recap starts where their last one ended: after a moved weekday it covers
        # only the days since, after a missed week both weeks (at most three more).
        ends = await self.store.deliveries.dm_ends(settings.guild_id)
        floor = slot.since.astimezone(dt.UTC) - dt.timedelta(days=21)
        starts = {
            m.user_id: max(ends[m.user_id], floor) if m.user_id in ends else since for m in members
        }
        # Every pending recap from one pass over the week, not one pass per member.
        for start in sorted(set(starts.values())):
            if start < until:
                group = [u for u, s in starts.items() if s == start]
                await self.content.prepare(settings.guild_id, group, start, until)
        for member in members:
            user_id = member.user_id
            start = starts[user_id]

            async def build(user_id: int = user_id, start: dt.datetime = start) -> Embeds:
                if start >= until:  # its last recap reached this far already
                    return []
                return await self.content.recap(settings.guild_id, user_id, start, until)

            async def send(messages: Embeds, n: str, user_id: int = user_id) -> tuple[int, ...]:
                return await self.publisher.dm(user_id, messages, nonce=n)

            where = Where(Place("dm", user_id), until=until)
            job = _Job(Target.dm(user_id), build, send, where)
            sent = await self._deliver(settings.guild_id, slot, job, report)
            if sent and self.dm_interval:
                await asyncio.sleep(self.dm_interval)  # pace DMs under Discord's global limit

    async def _deliver(self, guild_id: int, slot: Slot, job: _Job, report: RunReport) -> bool:
        """One target, exactly once. Returns True when something was sent now.

        Any failure of this target is recorded and contained: the next target still runs.
        """
        try:
            return await self._deliver_one(guild_id, slot, job, report)
        except sqlite3.OperationalError as exc:  # the disk (locked, full): one line; the
            # ledger cannot be written either, and the run's retry starts over from it
            why = explain(exc, self.store.path)
            log.error("delivery %s %s failed: %s", slot.period, job.target, why)
            report.failed.append(str(job.target))
            return False
        except Exception as exc:  # a deleted channel, a summarizer bug
            log.exception("delivery %s %s failed", slot.period, job.target)
            await self._finish(guild_id, slot, job.target, Status.FAILED, error=type(exc).__name__)
            report.failed.append(str(job.target))
            return False

    async def _deliver_one(self, guild_id: int, slot: Slot, job: _Job, report: RunReport) -> bool:
        target, build, send, where = job.target, job.build, job.send, job.where
        existing = await self.store.deliveries.get(guild_id, slot.period, target)
        if existing is not None and existing.status.final:
            report.skipped.append(str(target))
            return False
        mark = marker(slot.period, guild_id)
        done: tuple[int, ...] = ()  # parts already out, in order (they are sent one by one)
        if existing is not None:  # 'sending' (died mid-send) or 'failed' (maybe half-sent)
            found = await self.publisher.find_marker(where.place, mark, since=existing.created_at)
            done = found if len(found) >= len(existing.message_ids) else existing.message_ids
        async with self.store.transaction():
            await self.store.deliveries.begin(
                guild_id,
                slot.period,
                target,
                nonce=nonce(guild_id, slot.period, str(target)),
                user_id=target.user_id,
                late=report.late,
                now=self.clock(),
                channel_id=where.channel_id,
                until=where.until,
            )
        if done and existing is not None and existing.payload is not None:
            messages = json.loads(existing.payload)  # finish the rendering that was begun
        else:  # nothing out yet (or its text was deleted since): render what is there now
            messages = stamp(await build(), mark)
            if len(messages) > 1:  # a resume must send these very parts, whatever changes
                async with self.store.transaction():
                    await self.store.deliveries.rendered(
                        guild_id, slot.period, target, json.dumps(messages)
                    )
        if not messages and not done:  # nothing happened (the content decides for quiet weeks)
            await self._finish(guild_id, slot, target, Status.EMPTY)
            report.empty.append(str(target))
            return False
        if len(done) >= len(messages):  # every part was out before the crash
            await self._finish(guild_id, slot, target, Status.SENT, ids=done)
            report.skipped.append(str(target))
            return False
        ids = list(done)
        for part in range(len(done), len(messages)):
            try:
                ids += await self._send_part(
                    send, messages[part], nonce(guild_id, slot.period, str(target), part)
                )
            except DMClosedError:
                await self._finish(guild_id, slot, target, Status.DM_CLOSED, error="DMs closed")
                report.closed.append(str(target))
                return True
            except (TransientDeliveryError, DeliveryError) as exc:
                await self._finish(guild_id, slot, target, Status.FAILED, error=str(exc)[:500])
                report.failed.append(str(target))
                log.warning("delivery %s %s failed: %s", slot.period, target, exc)
                return True
            async with self.store.transaction():  # this part is out: a crash now resumes after it
                await self.store.deliveries.progress(
                    guild_id, slot.period, target, tuple(ids), self.clock()
                )
        await self._finish(guild_id, slot, target, Status.SENT, ids=tuple(ids))
        report.sent.append(str(target))
        return True

    async def _send_part(
        self, send: Callable[..., object], part: list[dict[str, object]], n: str
    ) -> tuple[int, ...]:
        """One message, retried with backoff on transient failures."""
        for attempt in range(1, self.retries + 1):
            try:
                return await send([part], n)  # type: ignore[misc, no-any-return]
            except TransientDeliveryError:
                if attempt == self.retries:
                    raise
                await asyncio.sleep(self.retry_base * 4 ** (attempt - 1))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _finish(
        self,
        guild_id: int,
        slot: Slot,
        target: Target,
        status: Status,
        *,
        ids: tuple[int, ...] | None = None,
        error: str | None = None,
    ) -> None:
        async with self.store.transaction():
            await self.store.deliveries.finish(
                guild_id,
                slot.period,
                target,
                status=status,
                now=self.clock(),
                message_ids=ids,
                error=error,
            )
