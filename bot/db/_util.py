"""Small helpers shared by the repositories."""

from __future__ import annotations

import datetime as dt

from bot.timeutil import from_ms, to_ms


def ms(value: dt.datetime | None) -> int | None:
    """Aware datetime (or None) to stored milliseconds."""
    return None if value is None else to_ms(value)


def when(value: int | None) -> dt.datetime | None:
    """Stored milliseconds (or NULL) to an aware datetime."""
    return None if value is None else from_ms(value)


def placeholders(count: int) -> str:
    """``?, ?, ?`` for an IN clause of ``count`` values."""
    return ", ".join("?" * count)
