"""Plain-text overview of what the store holds (``hearth stats``)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from typing import Any

from bot.models import ArchiveStats, GuildRecord
from bot.recap.markup import count


def columns(text: str) -> int:
    """Terminal columns of ``text``: East Asian wide and fullwidth characters take two,
    combining marks none (so a table of CJK channel names lines up)."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def render_stats(stats: ArchiveStats, guilds: Sequence[GuildRecord] = (), *, top: int = 10) -> str:
    """A short, aligned report."""
    span = "nothing stored yet"
    if stats.first_message_at and stats.last_message_at:
        span = (
            f"{stats.first_message_at:%Y-%m-%d %H:%M} to {stats.last_message_at:%Y-%m-%d %H:%M} UTC"
        )
    names = ", ".join(g.name or str(g.id) for g in guilds) or "-"
    threads = (
        "1 thread or forum post"
        if stats.threads == 1
        else f"{stats.threads:,} threads and forum posts"
    )
    lines = [
        f"guilds     {stats.guilds:>8,}  {names}",
        f"channels   {stats.channels:>8,}  ({threads})",
        f"members    {stats.members:>8,}",
        f"messages   {stats.messages:>8,}  ({stats.deleted_messages:,} deleted, content removed"
        + (
            f"; {count(stats.system_messages, 'system message')}"
            " such as joins and pins, left out of recaps)"
            if stats.system_messages
            else ")"
        ),
        f"mentions   {stats.mentions:>8,}",
        f"reactions  {stats.reactions:>8,}",
        f"period     {span}",
    ]
    if stats.per_channel:
        lines.append("busiest channels:")
        shown = stats.per_channel[:top]
        width = max(columns(name) for name, _ in shown)
        lines += [f"  #{name}{' ' * (width - columns(name))}  {count:>7,}" for name, count in shown]
    return "\n".join(lines)


def _when(at: dt.datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def stats_json(stats: ArchiveStats, guilds: Sequence[GuildRecord] = ()) -> dict[str, Any]:
    """The same figures for scripts: ids as strings, times in ISO 8601."""
    return {
        "guilds": [{"id": str(g.id), "name": g.name} for g in guilds],
        "channels": stats.channels,
        "threads": stats.threads,
        "members": stats.members,
        "messages": stats.messages,
        "deleted_messages": stats.deleted_messages,
        "system_messages": stats.system_messages,
        "mentions": stats.mentions,
        "reactions": stats.reactions,
        "first_message_at": _when(stats.first_message_at),
        "last_message_at": _when(stats.last_message_at),
        "busiest_channels": [{"name": n, "messages": c} for n, c in stats.per_channel],
    }
