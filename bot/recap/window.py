"""The time window of an on-demand recap or summary: "the last N days" or "since <date>"."""

from __future__ import annotations

import datetime as dt
import zoneinfo

MAX_DAYS = 30
DEFAULT_DAYS = 7


class WindowError(ValueError):
    """A window the member asked for cannot be used; the message says why."""


def parse_since(text: str, tz: zoneinfo.ZoneInfo | dt.tzinfo) -> dt.datetime:
    """``2026-11-20`` (midnight in ``tz``) or ``2026-11-20T18:00`` / with an offset."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime.combine(day, dt.time(), tzinfo=tz)
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise WindowError(
            f"{text!r} is not an ISO date: write it like 2026-11-20 or 2026-11-20T18:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def recap_window(
    now: dt.datetime,
    *,
    days: int | None = None,
    since: str | None = None,
    tz: zoneinfo.ZoneInfo | dt.tzinfo = dt.UTC,
) -> tuple[dt.datetime, dt.datetime]:
    """``[since, now)`` in UTC; ``days`` and ``since`` are exclusive, the default is 7 days."""
    if days is not None and since:
        raise WindowError("give either days or since, not both")
    if since:
        start = parse_since(since, tz).astimezone(dt.UTC)
        if start >= now:
            raise WindowError(f"{since!r} is in the future: pick a date in the past")
        if now - start > dt.timedelta(days=MAX_DAYS):
            raise WindowError(f"{since!r} is more than {MAX_DAYS} days ago: pick a later date")
        return start, now
    count = DEFAULT_DAYS if days is None else days
    if not 1 <= count <= MAX_DAYS:
        raise WindowError(f"days must be 1-{MAX_DAYS}, not {count}")
    return now - dt.timedelta(days=count), now


AWAY_MIN = dt.timedelta(hours=1)


def since_last_here(now: dt.datetime, last_seen: dt.datetime | None) -> dt.datetime | None:
    """Where a ``/recap`` without ``days`` or ``since`` starts when it is "since you were last
    here": the member's last message, when that is under a week (the default window) and at
    least an hour ago (a recap of the last five minutes says nothing); else None."""
    if last_seen is None:
        return None
    away = now - last_seen
    if AWAY_MIN <= away < dt.timedelta(days=DEFAULT_DAYS):
        return last_seen
    return None
