"""Pure text builders for the admin commands (testable without Discord)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from bot.delivery.slots import Slot
from bot.models import ChannelRecord, GuildSettings
from bot.services.guild_config import describe

_UNITS = ("B", "KB", "MB", "GB", "TB")


def human_size(size: int) -> str:
    """1536 -> '1.5 KB'."""
    value = float(size)
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover - the loop always returns


def slot_text(slot: Slot | None) -> str:
    """'Monday 2026-11-30 09:00 (Europe/Paris), <t:…:R>' or why there is none."""
    if slot is None:
        return "cannot be scheduled (check the timezone)"
    local = slot.at.strftime("%A %Y-%m-%d %H:%M")
    short, zone = slot.at.tzname(), str(slot.at.tzinfo)
    where = zone if short in (None, zone) else f"{short} · {zone}"
    return f"{local} ({where}) · <t:{int(slot.at.timestamp())}:R>"


def settings_lines(
    settings: GuildSettings, slot: Slot | None, changed: Mapping[str, object] | None = None
) -> list[str]:
    """The settings, one per line, with the next digest time."""
    lines = [f"**{label}:** {value}" for label, value in describe(settings).items()]
    lines.append(f"**Next digest:** {slot_text(slot)}")
    if settings.digest_channel_id is None:
        lines.append("_No digest channel yet: `/hearth setup digest_channel:#channel`._")
    if changed is not None and not changed:
        lines.insert(0, "_Nothing changed._")
    return lines


def channel_list_lines(channels: list[ChannelRecord]) -> list[str]:
    """Which channels are logged and which are excluded."""
    tops = [c for c in channels if c.kind in ("text", "news", "forum") and not c.deleted]
    excluded = sorted((c for c in tops if c.excluded), key=lambda c: c.name)
    logged = sorted((c for c in tops if not c.excluded), key=lambda c: c.name)
    lines = [f"**Logged ({len(logged)}):** " + (", ".join(f"<#{c.id}>" for c in logged) or "none")]
    lines.append(
        f"**Excluded ({len(excluded)}):** " + (", ".join(f"<#{c.id}>" for c in excluded) or "none")
    )
    lines.append("_Excluding a channel also excludes its threads and forum posts._")
    return lines


@dataclass(frozen=True, slots=True)
class StatusFacts:
    """What ``/hearth status`` shows."""

    storage_bytes: int
    messages: int
    members: int
    channels: int
    last_digest: dt.datetime | None
    last_digest_status: str | None
    next_digest: Slot | None
    backend: str
    backend_health: str


def status_lines(facts: StatusFacts) -> list[str]:
    """``/hearth status`` as lines."""
    last = (
        f"<t:{int(facts.last_digest.timestamp())}:f> ({facts.last_digest_status})"
        if facts.last_digest
        else "none yet"
    )
    return [
        f"**Storage:** {human_size(facts.storage_bytes)} (database and write-ahead log)",
        f"**Messages logged:** {facts.messages}",
        f"**Members known:** {facts.members} · **Channels and threads:** {facts.channels}",
        f"**Last digest:** {last}",
        f"**Next digest:** {slot_text(facts.next_digest)}",
        f"**Summarizer:** {facts.backend} · {facts.backend_health}",
    ]
