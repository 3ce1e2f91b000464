"""Plain-text overview of what the store holds (``hearth stats``)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import ArchiveStats, GuildRecord


def render_stats(stats: ArchiveStats, guilds: Sequence[GuildRecord] = (), *, top: int = 10) -> str:
    """A short, aligned report."""
    span = "nothing stored yet"
    if stats.first_message_at and stats.last_message_at:
        span = (
            f"{stats.first_message_at:%Y-%m-%d %H:%M} to {stats.last_message_at:%Y-%m-%d %H:%M} UTC"
        )
    names = ", ".join(g.name or str(g.id) for g in guilds) or "-"
    lines = [
        f"guilds     {stats.guilds:>8,}  {names}",
        f"channels   {stats.channels:>8,}  ({stats.threads:,} threads and forum posts)",
        f"members    {stats.members:>8,}",
        f"messages   {stats.messages:>8,}  ({stats.deleted_messages:,} deleted, content removed)",
        f"mentions   {stats.mentions:>8,}",
        f"reactions  {stats.reactions:>8,}",
        f"period     {span}",
    ]
    if stats.per_channel:
        lines.append("busiest channels:")
        width = max(len(name) for name, _ in stats.per_channel[:top])
        lines += [f"  #{name:<{width}}  {count:>7,}" for name, count in stats.per_channel[:top]]
    return "\n".join(lines)
