"""Discord snowflake ids and timestamps formatted the way DiscordChatExporter writes them."""

import datetime as dt

DISCORD_EPOCH = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
_MS = dt.timedelta(milliseconds=1)


def snowflake(at: dt.datetime, increment: int = 0) -> str:
    """Return the id Discord gives an object created at ``at`` (worker and process 0)."""
    ms = (at - DISCORD_EPOCH) // _MS
    return str((ms << 22) | (increment % 4096))


def dce_time(at: dt.datetime) -> str:
    """Format like DCE: ISO 8601 in UTC, ``+00:00`` offset, fraction without trailing zeros."""
    utc = at.astimezone(dt.UTC)
    fraction = f"{utc.microsecond:06d}".rstrip("0")
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "+00:00"
