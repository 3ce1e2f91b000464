"""Admin settings of a guild: validation with clear messages, then one write.

Cogs pass what the admin typed; :func:`validate` turns it into column values or raises
:class:`ConfigError` whose message can be shown to the admin as it is.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Awaitable, Callable
from typing import Any

from bot.db import Store
from bot.db.deliveries import Delivery
from bot.delivery.slots import ScheduleError, Slot, next_slot, zone
from bot.models import DIGEST, ArchiveStats, ChannelKind, ChannelRecord, GuildSettings, Status
from bot.timeutil import utcnow

WEEKDAYS: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
SUMMARIZERS: tuple[str, ...] = ("extractive", "openai")
MAX_RETENTION_DAYS = 3650
# BCP 47-ish: "en", "ja", "pt-BR", "zh-Hant". "auto" means each conversation's own language.
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$")
AUTO = frozenset({"auto", "default", "none", ""})


class ConfigError(ValueError):
    """A setting an admin gave is invalid; the message says which and what is allowed."""


def weekday(value: int | str) -> int:
    """0 (Monday) to 6 (Sunday), from a number or a day name ("mon", "Monday")."""
    if isinstance(value, int):
        if 0 <= value <= 6:
            return value
        raise ConfigError(f"weekday must be 0-6 (Monday-Sunday), not {value}")
    text = value.strip().lower()
    if text.isdigit():
        return weekday(int(text))
    for index, name in enumerate(WEEKDAYS):
        if len(text) >= 3 and name.lower().startswith(text):
            return index
    raise ConfigError(f"unknown weekday {value!r}: use Monday, Tuesday, … or Sunday")


def hour(value: int) -> int:
    """0-23."""
    if not 0 <= value <= 23:
        raise ConfigError(f"hour must be 0-23, not {value}")
    return value


def timezone(value: str) -> str:
    """A valid IANA timezone name, spelled canonically ("asia/tokyo" gives "Asia/Tokyo")."""
    name = value.strip()
    known = _canonical()
    name = known.get(name.lower(), name)
    try:
        zone(name)
    except ScheduleError as exc:
        raise ConfigError(str(exc)) from None
    # "localtime" and "posixrules" load but depend on the machine.
    if name.lower() in {"localtime", "posixrules"} or (known and name.lower() not in known):
        raise ConfigError(
            f"unknown timezone {value!r}: use an IANA name such as Europe/Paris or Asia/Tokyo"
        )
    return name


def language(value: str) -> str | None:
    """A language code ("en", "ja", "pt-BR"), or None for "auto" (each conversation's own)."""
    text = value.strip()
    if text.lower() in AUTO:
        return None
    if not _LANGUAGE.match(text):
        raise ConfigError(
            f"unknown language {value!r}: use a code such as en, ja or pt-BR, or auto"
        )
    return text


def summarizer(value: str) -> str | None:
    """``extractive`` or ``openai``; ``default`` (None) follows HEARTH_SUMMARIZER."""
    text = value.strip().lower()
    if text in AUTO:
        return None
    if text not in SUMMARIZERS:
        raise ConfigError(f"unknown summarizer {value!r}: use {' or '.join(SUMMARIZERS)}")
    return text


def retention_days(value: int) -> int | None:
    """Days to keep messages, 1-3650; 0 keeps everything (stored as None)."""
    if value == 0:
        return None
    if not 1 <= value <= MAX_RETENTION_DAYS:
        raise ConfigError(
            f"retention must be 0 (keep everything) or 1-{MAX_RETENTION_DAYS} days, not {value}"
        )
    return value


def validate(
    *,
    digest_channel_id: int | None = None,
    digest_weekday: int | str | None = None,
    digest_hour: int | None = None,
    timezone_name: str | None = None,
    language_code: str | None = None,
    summarizer_name: str | None = None,
    retention: int | None = None,
) -> dict[str, Any]:
    """The settings columns to change; options left as None are not changed.

    Every value is checked before anything is returned, and the first problem raises.
    """
    checks: list[tuple[str, object, Callable[[Any], object]]] = [
        ("digest_channel_id", digest_channel_id, int),
        ("digest_weekday", digest_weekday, weekday),
        ("digest_hour", digest_hour, hour),
        ("timezone", timezone_name, timezone),
        ("language", language_code, language),
        ("summarizer", summarizer_name, summarizer),
        ("retention_days", retention, retention_days),
    ]
    return {column: check(raw) for column, raw, check in checks if raw is not None}


@functools.cache
def _timezones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


@functools.cache
def _canonical() -> dict[str, str]:
    return {n.lower(): n for n in _timezones()}


def timezone_choices(current: str, limit: int = 25) -> list[str]:
    """Timezone names for autocomplete: prefix matches first, then substring matches."""
    text = current.strip().lower().replace(" ", "_")
    names = _timezones()
    if not text:
        popular = ("UTC", "Europe/London", "Europe/Paris", "America/New_York", "Asia/Tokyo")
        return [n for n in popular if n in names][:limit]
    prefix = [n for n in names if n.lower().startswith(text)]
    city = [n for n in names if n not in prefix and n.lower().rsplit("/", 1)[-1].startswith(text)]
    inside = [n for n in names if n not in prefix and n not in city and text in n.lower()]
    return (prefix + city + inside)[:limit]


def describe(settings: GuildSettings) -> dict[str, str]:
    """Settings as labelled plain text, in display order."""
    return {
        "Digest channel": (
            f"<#{settings.digest_channel_id}>" if settings.digest_channel_id else "not set"
        ),
        "Digest day": WEEKDAYS[settings.digest_weekday],
        "Digest hour": f"{settings.digest_hour:02d}:00",
        "Timezone": settings.timezone,
        "Language": settings.language or "auto (each conversation's own)",
        "Summarizer": settings.summarizer or "default (HEARTH_SUMMARIZER)",
        "Retention": (
            f"{settings.retention_days} days" if settings.retention_days else "keep everything"
        ),
    }


def next_digest(settings: GuildSettings, now: dt.datetime | None = None) -> Slot | None:
    """The next weekly digest slot, or None when the settings cannot be scheduled."""
    try:
        return next_slot(settings, now or utcnow())
    except ScheduleError:
        return None


class GuildConfigService:
    """Read and change a guild's settings; tells the scheduler when they changed."""

    def __init__(
        self,
        store: Store,
        *,
        on_change: Callable[[int], Awaitable[object]] | None = None,
        flush: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.store = store
        self.on_change = on_change
        self.flush = flush  # lands queued archive writes (the bot's writer)

    async def channels(self, guild_id: int) -> list[ChannelRecord]:
        """The guild's known channels, excluded ones marked."""
        return await self.store.channels.list(guild_id)

    async def excluded_count(self, guild_id: int) -> int:
        """How many channels the admins excluded from logging."""
        return sum(1 for c in await self.channels(guild_id) if c.excluded)

    async def set_excluded(
        self, guild_id: int, channel_id: int, kind: ChannelKind, name: str, excluded: bool
    ) -> None:
        """Stop (or resume) logging a channel and its threads. Writes already queued land
        under the old setting first, so nothing said while it is excluded is stored."""
        if self.flush is not None:
            await self.flush()
        async with self.store.transaction():
            await self.store.channels.ensure(channel_id, guild_id, kind, name)
            await self.store.channels.set_excluded(channel_id, excluded)

    async def status(self, guild_id: int) -> tuple[GuildSettings, ArchiveStats, Delivery | None]:
        """What ``/hearth status`` shows: settings, archive counts, the last digest."""
        settings = await self.store.guilds.settings(guild_id)
        stats = await self.store.stats.archive(guild_id)
        # A guild's digest is one ledger target per period, whatever channel it went to.
        last = await self.store.deliveries.latest(guild_id, DIGEST, (Status.SENT, Status.EMPTY))
        return settings, stats, last

    @property
    def db_path(self) -> str:
        """The database file (its size is shown in the status)."""
        return self.store.path

    async def get(self, guild_id: int) -> GuildSettings:
        """The guild's current settings."""
        return await self.store.guilds.settings(guild_id)

    async def update(self, guild_id: int, **options: Any) -> tuple[GuildSettings, dict[str, Any]]:
        """Validate ``options`` (see :func:`validate`), store them; returns settings, changes.

        Raises :class:`ConfigError` before writing anything if any option is invalid.
        """
        changes = validate(**options)
        if changes:
            current = await self.get(guild_id)
            changes = {k: v for k, v in changes.items() if getattr(current, k) != v}
        if changes:
            async with self.store.transaction():
                await self.store.guilds.update_settings(guild_id, **changes)
            if self.on_change is not None:
                await self.on_change(guild_id)
        return await self.get(guild_id), changes
