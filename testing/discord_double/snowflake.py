"""Snowflake ids and ISO-8601 timestamps, generated the way Discord does."""

from __future__ import annotations

from datetime import UTC, datetime

DISCORD_EPOCH_MS = 1_420_070_400_000


def iso(dt: datetime) -> str:
    """Format ``dt`` like Discord: ``2024-05-01T12:00:00.123000+00:00``."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def snowflake_time(snowflake: int) -> datetime:
    """Return the creation time encoded in ``snowflake``."""
    ms = (snowflake >> 22) + DISCORD_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


class SnowflakeGenerator:
    """Hands out unique, strictly increasing snowflakes.

    Ids generated for "now" are strictly increasing. Ids generated for an explicit past time
    (``next(at=...)``) encode that time and are unique, so history seeded in the past sorts
    before live traffic, exactly as on Discord.
    """

    def __init__(self, worker: int = 1) -> None:
        self._worker = worker & 0x1F
        self._last_ms = 0
        self._increment = 0
        self._issued: set[int] = set()

    def next(self, at: datetime | None = None) -> int:
        """Return a fresh snowflake, encoding ``at`` (default: now)."""
        if at is None:
            ms = max(int(utcnow().timestamp() * 1000), self._last_ms)
            increment = self._increment + 1 if ms == self._last_ms else 0
        else:
            if at.tzinfo is None:
                at = at.replace(tzinfo=UTC)
            ms = int(at.timestamp() * 1000)
            increment = 0
        value = self._compose(ms, increment)
        while increment >= 4096 or value in self._issued:
            increment += 1
            if increment >= 4096:
                ms += 1
                increment = 0
            value = self._compose(ms, increment)
        if at is None:
            self._last_ms, self._increment = ms, increment
        self._issued.add(value)
        return value

    def _compose(self, ms: int, increment: int) -> int:
        return ((ms - DISCORD_EPOCH_MS) << 22) | (self._worker << 17) | increment
