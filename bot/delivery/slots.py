"""When digests and DM recaps are due: calendar arithmetic in each guild's timezone.

A 09:00 digest stays at 09:00 local time across DST changes; a local time that does not exist
(skipped by a spring-forward) runs at the same instant shifted by the gap (02:30 -> 03:30), and
an ambiguous one (fall-back) runs at its first occurrence. A *period* is named by the local date
of its scheduled time, which is what makes each (guild, period, target) delivery unique.

APScheduler 3.x's ``CronTrigger`` is not used for the arithmetic: across a DST change it adds
24-hour days and can skip a whole week (a Monday 00:00 trigger in America/New_York asked on
2025-03-08 answers 2025-03-17; agronholm/apscheduler#529, #606). The scheduler runs a
``DateTrigger`` at the slot computed here and re-arms it after every run.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from bot.models import GuildSettings


class ScheduleError(ValueError):
    """A timezone or time that cannot be scheduled; the message says which."""


def zone(name: str) -> zoneinfo.ZoneInfo:
    """An IANA timezone, or a clear error (``Asia/Tokyo`` yes, ``JST`` or ``Tokyo`` no)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"unknown timezone {name!r}: use an IANA name such as Europe/Paris or Asia/Tokyo"
        ) from None


def _check(settings: GuildSettings) -> zoneinfo.ZoneInfo:
    if not 0 <= settings.digest_hour <= 23:
        raise ScheduleError(f"digest hour must be 0-23, not {settings.digest_hour}")
    if not 0 <= settings.digest_weekday <= 6:
        raise ScheduleError(f"digest weekday must be 0-6, not {settings.digest_weekday}")
    return zone(settings.timezone)


def _at(day: dt.date, hour: int, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """Local ``hour`` on ``day`` as a real instant (see the module docstring for DST gaps)."""
    wall = dt.datetime.combine(day, dt.time(hour), tzinfo=tz)
    return wall.astimezone(dt.UTC).astimezone(tz)


def _slots_around(settings: GuildSettings, moment: dt.datetime, cadence: str) -> list[dt.datetime]:
    """Scheduled instants from about 9 days before to 9 days after ``moment``, in order."""
    tz = _check(settings)
    local_day = moment.astimezone(tz).date()
    days = [local_day + dt.timedelta(days=d) for d in range(-9, 10)]
    if cadence != "daily":
        days = [d for d in days if d.weekday() == settings.digest_weekday]
    return [_at(d, settings.digest_hour, tz) for d in days]


@dataclass(frozen=True, slots=True)
class Slot:
    """One scheduled delivery time and the period it closes."""

    cadence: str
    at: dt.datetime  # aware, in the guild's timezone
    period: str  # "weekly:2026-11-23" — the local date of ``at``

    @property
    def since(self) -> dt.datetime:
        """Start of the period the slot covers (one week or one day before ``at``)."""
        days = 1 if self.cadence == "daily" else 7
        return self.at - dt.timedelta(days=days)


def _slot(cadence: str, at: dt.datetime) -> Slot:
    return Slot(cadence, at, f"{cadence}:{at.date().isoformat()}")


def period_at(settings: GuildSettings, period: str) -> dt.datetime:
    """When a period's slot was, from its name, with today's settings (for ledger rows that
    predate recording it; a period named ``manual:…`` has none)."""
    cadence, _, day = period.partition(":")
    if cadence not in ("weekly", "daily"):
        raise ScheduleError(f"period {period!r} has no slot")
    return _at(dt.date.fromisoformat(day), settings.digest_hour, _check(settings))


def next_slot(settings: GuildSettings, after: dt.datetime, cadence: str = "weekly") -> Slot:
    """The first scheduled time strictly after ``after``."""
    at = next(t for t in _slots_around(settings, after, cadence) if t > after)
    return _slot(cadence, at)


def last_slot(settings: GuildSettings, now: dt.datetime, cadence: str = "weekly") -> Slot:
    """The latest scheduled time at or before ``now``."""
    at = [t for t in _slots_around(settings, now, cadence) if t <= now][-1]
    return _slot(cadence, at)
