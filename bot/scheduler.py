"""The bot's scheduler: APScheduler 3.x ``AsyncIOScheduler`` running each guild's deliveries.

Each guild has one job per cadence (``weekly:<guild>`` and ``daily:<guild>``) with a
``DateTrigger`` at the next slot computed by :mod:`bot.schedule` (DST-correct), re-armed after
every run and whenever admins change the settings. On start every guild is checked at once,
so a slot missed while the bot was down is caught up within the grace period, and marked late.
Exactly-once is the delivery ledger's job (:mod:`bot.delivery`), not the scheduler's: running
a slot twice is harmless.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.db import Store
from bot.delivery import DeliveryService, RunReport
from bot.schedule import ScheduleError, next_slot
from bot.timeutil import utcnow

log = logging.getLogger(__name__)

CADENCES = ("weekly", "daily")


class HearthScheduler:
    """Owns the APScheduler instance; started in ``setup_hook``, shut down in ``close``."""

    def __init__(
        self,
        store: Store,
        delivery: DeliveryService,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        daily_jobs: Iterable[tuple[str, Callable[[int], Awaitable[object]]]] = (),
    ) -> None:
        self.store = store
        self.delivery = delivery
        self.clock = clock
        self.daily_jobs = tuple(daily_jobs)
        self.scheduler = AsyncIOScheduler(timezone=dt.UTC)

    async def start(self, guild_ids: Iterable[int]) -> None:
        """Start, catch up on anything due, and arm every guild's next slots."""
        self.scheduler.start()
        for guild_id in guild_ids:
            await self.run_now(guild_id)

    def shutdown(self) -> None:
        """Stop without waiting for running jobs (their deliveries are recorded)."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def run_now(self, guild_id: int) -> list[RunReport]:
        """Run whatever is due for a guild now, then re-arm its jobs."""
        reports = []
        for cadence in CADENCES:
            try:
                reports.append(await self.delivery.run_due(guild_id, cadence))
            except Exception:
                log.exception("scheduled %s run for guild %s failed", cadence, guild_id)
        for name, job in self.daily_jobs:
            try:
                await job(guild_id)
            except Exception:
                log.exception("daily %s for guild %s failed", name, guild_id)
        await self.arm(guild_id)
        return reports

    async def arm(self, guild_id: int) -> dict[str, dt.datetime]:
        """(Re)schedule a guild's next weekly and daily runs; returns when they are."""
        settings = await self.store.guilds.settings(guild_id)
        now = self.clock()
        armed: dict[str, dt.datetime] = {}
        for cadence in CADENCES:
            try:
                slot = next_slot(settings, now, cadence)
            except ScheduleError as exc:
                log.warning("guild %s: %s", guild_id, exc)
                continue
            armed[cadence] = slot.at
            self.scheduler.add_job(
                self.run_now,
                DateTrigger(run_date=slot.at),
                args=(guild_id,),
                id=f"{cadence}:{guild_id}",
                replace_existing=True,
                misfire_grace_time=int(self.delivery.grace.total_seconds()),
                coalesce=True,
            )
        return armed

    def next_run(self, guild_id: int, cadence: str = "weekly") -> dt.datetime | None:
        """When the guild's next run of ``cadence`` is scheduled, if it is."""
        job = self.scheduler.get_job(f"{cadence}:{guild_id}")
        return job.next_run_time if job is not None else None
