"""Scheduled deliveries, exactly once: the weekly circle digest and opt-in DM recaps.

Each (guild, period, target) is recorded before sending (``sending``) and after (``sent``,
``empty``, ``dm_closed`` or ``failed``). A restart re-runs the due slot: finished targets are
skipped; a target left in ``sending`` (the process died mid-send) is first looked up in the
channel by its marker, and re-sent only if nothing was posted, with the same nonce, which
Discord also uses to drop a duplicate sent within minutes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.db import Store
from bot.delivery_marks import Embeds, marker, nonce, stamp
from bot.models import GuildSettings
from bot.schedule import ScheduleError, Slot, last_slot
from bot.timeutil import utcnow

log = logging.getLogger(__name__)

FINAL = frozenset({"sent", "empty", "dm_closed"})


class DeliveryError(Exception):
    """A failure that retrying the same payload cannot fix (e.g. Discord refused it: 400)."""


class DMClosedError(Exception):
    """The member does not accept DMs from the bot (Discord error 50007)."""


class TransientDeliveryError(Exception):
    """A failure worth retrying (rate limit exhausted, 5xx, network)."""


class Publisher(Protocol):
    """Posts rendered messages; implemented over discord.py by the bot."""

    async def post(self, channel_id: int, messages: Embeds, *, nonce: str) -> tuple[int, ...]:
        """Post to a channel; returns the message ids."""
        ...

    async def dm(self, user_id: int, messages: Embeds, *, nonce: str) -> tuple[int, ...]:
        """DM a member; raises :class:`DMClosedError` when they do not accept DMs."""
        ...

    async def find_marker(self, target: str, marker: str, *, since: dt.datetime) -> tuple[int, ...]:
        """Ids of bot messages at ``target`` posted after ``since`` carrying ``marker``."""
        ...


class Content(Protocol):
    """Builds what is delivered; returns no messages when there is nothing to say."""

    async def digest(
        self,
        guild_id: int,
        channel_id: int,
        since: dt.datetime,
        until: dt.datetime,
        *,
        late: bool,
    ) -> Embeds:
        """The circle digest for a channel's readers."""
        ...

    async def recap(
        self, guild_id: int, user_id: int, since: dt.datetime, until: dt.datetime
    ) -> Embeds:
        """One member's recap."""
        ...

    async def prepare(
        self, guild_id: int, user_ids: list[int], since: dt.datetime, until: dt.datetime
    ) -> None:
        """Build the recaps of many members at once, before they are asked for one by one."""
        ...


@dataclass(slots=True)
class RunReport:
    """What one run did, for logs and tests."""

    slot: Slot | None
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    late: bool = False


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
            since = await self._since(guild_id, settings, slot)
            if cadence == "weekly" and settings.digest_channel_id is not None:
                await self._digest(settings, slot, since, until, report)
            await self._dms(settings, slot, since, until, report)
            return report

    async def _since(self, guild_id: int, settings: GuildSettings, slot: Slot) -> dt.datetime:
        """The period starts at the previous slot, or earlier if deliveries were missed."""
        since = slot.since.astimezone(dt.UTC)
        if slot.cadence != "weekly" or settings.digest_channel_id is None:
            return since
        previous = await self.store.deliveries.latest(
            guild_id, f"channel:{settings.digest_channel_id}", ("sent", "empty")
        )
        if previous is not None and previous.period != slot.period:
            floor = since - dt.timedelta(days=21)
            since = max(min(since, previous.created_at), floor)
        return since

    async def _digest(
        self,
        settings: GuildSettings,
        slot: Slot,
        since: dt.datetime,
        until: dt.datetime,
        report: RunReport,
    ) -> None:
        channel_id = settings.digest_channel_id
        assert channel_id is not None
        target = f"channel:{channel_id}"

        async def build() -> Embeds:
            return await self.content.digest(
                settings.guild_id, channel_id, since, until, late=report.late
            )

        async def send(messages: Embeds, n: str) -> tuple[int, ...]:
            return await self.publisher.post(channel_id, messages, nonce=n)

        await self._deliver(settings.guild_id, slot, target, None, build, send, report)

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
            if d.status in FINAL
        }
        report.skipped += sorted(f"dm:{m.user_id}" for m in members if f"dm:{m.user_id}" in done)
        members = [m for m in members if f"dm:{m.user_id}" not in done]
        # Every pending recap from one pass over the week, not one pass per member.
        await self.content.prepare(settings.guild_id, [m.user_id for m in members], since, until)
        for member in members:
            user_id = member.user_id

            async def build(user_id: int = user_id) -> Embeds:
                return await self.content.recap(settings.guild_id, user_id, since, until)

            async def send(messages: Embeds, n: str, user_id: int = user_id) -> tuple[int, ...]:
                return await self.publisher.dm(user_id, messages, nonce=n)

            sent = await self._deliver(
                settings.guild_id, slot, f"dm:{user_id}", user_id, build, send, report
            )
            if sent and self.dm_interval:
                await asyncio.sleep(self.dm_interval)  # pace DMs under Discord's global limit

    async def _deliver(
        self,
        guild_id: int,
        slot: Slot,
        target: str,
        user_id: int | None,
        build: Callable[[], object],
        send: Callable[..., object],
        report: RunReport,
    ) -> bool:
        """One target, exactly once. Returns True when something was sent now.

        Any failure of this target is recorded and contained: the next target still runs.
        """
        try:
            return await self._deliver_one(guild_id, slot, target, user_id, build, send, report)
        except Exception as exc:  # a deleted channel, a database error, a summarizer bug
            log.exception("delivery %s %s failed", slot.period, target)
            await self._finish(guild_id, slot, target, "failed", error=type(exc).__name__)
            report.failed.append(target)
            return False

    async def _deliver_one(
        self,
        guild_id: int,
        slot: Slot,
        target: str,
        user_id: int | None,
        build: Callable[[], object],
        send: Callable[..., object],
        report: RunReport,
    ) -> bool:
        existing = await self.store.deliveries.get(guild_id, slot.period, target)
        if existing is not None and existing.status in FINAL:
            report.skipped.append(target)
            return False
        mark = marker(slot.period)
        if existing is not None:  # 'sending' (died mid-send) or 'failed' (maybe half-sent)
            found = await self.publisher.find_marker(target, mark, since=existing.created_at)
            if found:
                await self._finish(guild_id, slot, target, "sent", ids=found)
                report.skipped.append(target)
                return False
        n = nonce(guild_id, slot.period, target)
        async with self.store.transaction():
            await self.store.deliveries.begin(
                guild_id,
                slot.period,
                target,
                nonce=n,
                user_id=user_id,
                late=report.late,
                now=self.clock(),
            )
        messages = await build()  # type: ignore[misc]
        if not messages:  # nothing happened (the content decides whether quiet weeks post)
            await self._finish(guild_id, slot, target, "empty")
            report.empty.append(target)
            return False
        messages = stamp(messages, mark)  # type: ignore[arg-type]
        for attempt in range(1, self.retries + 1):
            try:
                ids = await send(messages, n)  # type: ignore[misc]
            except DMClosedError:
                await self._finish(guild_id, slot, target, "dm_closed", error="DMs closed")
                report.closed.append(target)
                return True
            except (TransientDeliveryError, DeliveryError) as exc:
                permanent = not isinstance(exc, TransientDeliveryError)
                if permanent or attempt == self.retries:
                    await self._finish(guild_id, slot, target, "failed", error=str(exc)[:500])
                    report.failed.append(target)
                    log.warning("delivery %s %s failed: %s", slot.period, target, exc)
                    return True
                await asyncio.sleep(self.retry_base * 4 ** (attempt - 1))
                continue
            await self._finish(guild_id, slot, target, "sent", ids=ids)  # type: ignore[arg-type]
            report.sent.append(target)
            return True
        return False  # pragma: no cover - the loop always returns

    async def _finish(
        self,
        guild_id: int,
        slot: Slot,
        target: str,
        status: str,
        *,
        ids: tuple[int, ...] = (),
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
