"""Time helpers: the store keeps UTC milliseconds, the code passes aware datetimes."""

from __future__ import annotations

import datetime as dt

DISCORD_EPOCH_MS = 1_420_070_400_000


def utcnow() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def to_ms(value: dt.datetime) -> int:
    """Aware datetime to Unix milliseconds. Naive datetimes are refused, not guessed."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: pass a timezone-aware value")
    return int(value.timestamp() * 1000)


def from_ms(value: int) -> dt.datetime:
    """Unix milliseconds to an aware UTC datetime."""
    return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)


def snowflake_time_ms(snowflake: int) -> int:
    """The creation time embedded in a Discord snowflake, in Unix milliseconds."""
    return (snowflake >> 22) + DISCORD_EPOCH_MS


def snowflake_at(value: dt.datetime, increment: int = 0) -> int:
    """The smallest snowflake created at ``value`` (plus a low-bits increment)."""
    return ((to_ms(value) - DISCORD_EPOCH_MS) << 22) | (increment & 0x3FFFFF)


def parse_iso(value: str) -> dt.datetime:
    """Parse an ISO 8601 timestamp with offset (as Discord and DiscordChatExporter write it).

    Values without an offset are taken as UTC. Sub-microsecond digits are dropped.
    """
    text = value.strip().replace("Z", "+00:00")
    # DiscordChatExporter writes 7 fractional digits; Python accepts at most 6.
    if "." in text:
        head, _, rest = text.partition(".")
        digits = ""
        i = 0
        while i < len(rest) and rest[i].isdigit():
            digits += rest[i]
            i += 1
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[i:]}"
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)
