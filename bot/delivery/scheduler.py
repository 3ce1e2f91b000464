"""The bot's scheduler: APScheduler 3.x ``AsyncIOScheduler`` running each guild's deliveries.

Each guild has one job per cadence (``weekly:<guild>`` and ``daily:<guild>``) with a
``DateTrigger`` at the next slot computed by :mod:`bot.delivery.slots` (DST-correct), re-armed after
every run and whenever admins change the settings. On start every guild is checked at once,
so a slot missed while the bot was down is caught up within the grace period, and marked late.
Exactly-once is the delivery ledger's job (:mod:`bot.delivery.service`), not the scheduler's:
running a slot twice is harmless.

Guilds due at the same moment (a hosted instance: many guilds keep the default Monday 09:00)
run ``max_parallel`` at a time, the rest waiting their turn, so a weekly fan-out is a steady
stream and not one burst of every guild's recap run (``bench/fanout.py``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Iterable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.db import Store, explain
from bot.delivery.service import DeliveryService, RunReport
from bot.delivery.slots import ScheduleError, next_slot
from bot.recap.ask import index_pending
from bot.timeutil import utcnow

log = logging.getLogger(__name__)

CADENCES = ("weekly", "daily")
RETRY_ARM = dt.timedelta(hours=1)
MAX_PARALLEL = 2  # one guild's sends overlap another's recap run; CPU work has one thread
# A failed delivery (an outage, a 5xx, a locked or full disk) is tried again after 5, 15, 45
# and 135 minutes, within its grace period; after that it waits for the next period.
RETRY_FIRST = dt.timedelta(minutes=5)
RETRY_FACTOR = 3
RETRY_MAX = 4
INDEX_EVERY_S = 60
INDEX_PER_RUN = 20_000  # a minute of a busy guild, many times over; the rest next minute


class HearthScheduler:
    """Owns the APScheduler instance; started in ``setup_hook``, shut down in ``close``."""

    def __init__(
        self,
        store: Store,
        delivery: DeliveryService,
        *,
        clock: Callable[[], dt.datetime] = utcnow,
        daily_jobs: Iterable[tuple[str, Callable[[int], Awaitable[object]]]] = (),
        max_parallel: int = MAX_PARALLEL,
        present: Callable[[int], bool] = lambda guild_id: True,
    ) -> None:
        self.store = store
        # Whether the bot is still in a guild: a run that waited for its turn while the bot
        # was removed sends nothing there, and its guild is not armed again.
        self.present = present
        self.delivery = delivery
        self.clock = clock
        self.daily_jobs = tuple(daily_jobs)
        self.scheduler = AsyncIOScheduler(timezone=dt.UTC)
        self._turns = asyncio.Semaphore(max(1, max_parallel))
        self._retried: dict[tuple[int, str, str], int] = {}  # (guild, cadence, period) -> n

    def start(self) -> None:
        """Start the scheduler; guilds are armed with :meth:`arm` as they become known. The
        search index catches up with new and edited messages every minute, from now on."""
        self.scheduler.start()
        self.scheduler.add_job(
            self.index_search,
            IntervalTrigger(seconds=INDEX_EVERY_S),
            id="search-index",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            next_run_time=utcnow(),  # wall time, whatever clock the slots use
        )

    async def index_search(self) -> int:
        """Index up to ``INDEX_PER_RUN`` queued messages for /ask; one line if that fails
        (the queue keeps them for the next run)."""
        try:
            return await index_pending(self.store, limit=INDEX_PER_RUN)
        except sqlite3.Error as exc:
            log.warning("search index: %s; next try in a minute", explain(exc, self.store.path))
        except Exception:
            log.exception("search index failed; next try in a minute")
        return 0

    def shutdown(self) -> None:
        """Stop; a job cut short leaves 'sending' rows that the next run reconciles."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def run_now(self, guild_id: int, cadences: Iterable[str] = CADENCES) -> list[RunReport]:
        """Run whatever of ``cadences`` is due for a guild now, then re-arm those jobs.

        One cadence's job runs only its own deliveries; the daily housekeeping (retention)
        rides on the daily run.
        """
        reports: list[RunReport] = []
        cadences = tuple(cadences)
        async with self._turns:
            if not self.present(guild_id):
                return reports
            for cadence in cadences:
                report = await self._run_due(guild_id, cadence, "scheduled")
                if report is not None:
                    reports.append(report)
            if "daily" in cadences:
                for name, job in self.daily_jobs:
                    try:
                        await job(guild_id)
                    except Exception:
                        log.exception("daily %s for guild %s failed", name, guild_id)
        await self.arm(guild_id, cadences)
        return reports

    async def retry(self, guild_id: int, cadence: str) -> RunReport | None:
        """Try the failed deliveries of the due slot again (finished ones are skipped)."""
        async with self._turns:
            if not self.present(guild_id):
                return None
            return await self._run_due(guild_id, cadence, "retried")

    async def _run_due(self, guild_id: int, cadence: str, how: str) -> RunReport | None:
        """One cadence's deliveries, and a retry armed if any failed (None: the store itself
        failed, locked or full, and the whole run is retried)."""
        try:
            report = await self.delivery.run_due(guild_id, cadence)
        except sqlite3.OperationalError as exc:  # the disk: one line, and a retry
            why = explain(exc, self.store.path)
            log.error("%s %s run for guild %s failed: %s", how, cadence, guild_id, why)
            self._retry_later(guild_id, cadence, None)
            return None
        except Exception:
            log.exception("%s %s run for guild %s failed", how, cadence, guild_id)
            self._retry_later(guild_id, cadence, None)
            return None
        self._retry_later(guild_id, cadence, report)
        return report

    def _retry_later(self, guild_id: int, cadence: str, report: RunReport | None) -> None:
        """Arm a retry with backoff when targets failed, or the whole run did (``None``: the
        store failed before it knew its slot); bounded, and within the grace."""
        job_id = f"retry:{cadence}:{guild_id}"
        if report is not None and report.slot is None:
            return
        # A run that failed outright counts with the slot it would have run (the latest due).
        period = report.slot.period if report is not None and report.slot else "run"
        key = (guild_id, cadence, period)
        if report is not None and not report.failed:  # all landed (a retry, the slot's run…)
            self._retried.pop(key, None)
            self._retried.pop((guild_id, cadence, "run"), None)
            self._remove(job_id)
            return
        done = self._retried.get(key, 0)
        at = self.clock() + RETRY_FIRST * RETRY_FACTOR**done
        late = (
            report is not None
            and report.slot is not None
            and at - report.slot.at > (self.delivery.grace)
        )
        if done >= RETRY_MAX or late:
            log.warning(
                "guild %s: %s deliveries still failing after %d retries; next period",
                guild_id, cadence, done,
            )  # fmt: skip
            self._retried.pop(key, None)
            return
        self._retried[key] = done + 1
        what = f"{len(report.failed)} {cadence} deliveries" if report else f"the {cadence} run"
        log.info(
            "guild %s: %s failed; retry %d at %s",
            guild_id, what, done + 1, at.isoformat(timespec="seconds"),
        )  # fmt: skip
        self.scheduler.add_job(
            self.retry,
            DateTrigger(run_date=at),
            args=(guild_id, cadence),
            id=job_id,
            replace_existing=True,
            misfire_grace_time=int(self.delivery.grace.total_seconds()),
        )

    async def arm(
        self, guild_id: int, cadences: Iterable[str] = CADENCES
    ) -> dict[str, dt.datetime]:
        """(Re)schedule a guild's next runs; returns when they are.

        If the store cannot be read, retry arming in an hour rather than drop the chain.
        """
        if not self.present(guild_id):
            return {}
        try:
            settings = await self.store.guilds.settings(guild_id)
        except Exception:
            log.exception("cannot arm guild %s; retrying in an hour", guild_id)
            self.scheduler.add_job(
                self.arm,
                DateTrigger(run_date=self.clock() + RETRY_ARM),
                args=(guild_id,),
                id=f"arm:{guild_id}",
                replace_existing=True,
            )
            return {}
        now = self.clock()
        armed: dict[str, dt.datetime] = {}
        for cadence in cadences:
            try:
                slot = next_slot(settings, now, cadence)
            except ScheduleError as exc:
                log.warning("guild %s: %s", guild_id, exc)
                continue
            armed[cadence] = slot.at
            self.scheduler.add_job(
                self.run_now,
                DateTrigger(run_date=slot.at),
                args=(guild_id, (cadence,)),
                id=f"{cadence}:{guild_id}",
                replace_existing=True,
                misfire_grace_time=int(self.delivery.grace.total_seconds()),
            )
        return armed

    def disarm(self, guild_id: int) -> None:
        """The bot left a guild: drop its jobs, pending retries included (nothing more is
        sent there, and no DM goes to its members on its behalf)."""
        for cadence in CADENCES:
            self._remove(f"{cadence}:{guild_id}")
            self._remove(f"retry:{cadence}:{guild_id}")
        self._remove(f"arm:{guild_id}")
        for key in [k for k in self._retried if k[0] == guild_id]:
            del self._retried[key]

    def _remove(self, job_id: str) -> None:
        job = self.scheduler.get_job(job_id)
        if job is not None:
            job.remove()

    def next_run(self, guild_id: int, cadence: str = "weekly") -> dt.datetime | None:
        """When the guild's next run of ``cadence`` is scheduled, if it is."""
        job = self.scheduler.get_job(f"{cadence}:{guild_id}")
        return job.next_run_time if job is not None else None
