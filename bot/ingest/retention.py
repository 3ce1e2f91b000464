"""Message retention: the daily purge of what is older than a guild's ``retention_days``.

The scheduler (``bot/app/client.py``) calls :func:`purge` once a day per guild. A guild without a
retention setting keeps everything.
"""

from __future__ import annotations

import datetime as dt
import logging

from bot.db import Store

log = logging.getLogger(__name__)


def cutoff(now: dt.datetime, retention_days: int | None) -> dt.datetime | None:
    """The oldest creation time kept, or None when everything is kept."""
    if not retention_days or retention_days <= 0:
        return None
    return now - dt.timedelta(days=retention_days)


async def purge(store: Store, guild_id: int, now: dt.datetime) -> int:
    """Delete the guild's messages older than its retention period; returns how many."""
    settings = await store.guilds.settings(guild_id)
    oldest = cutoff(now, settings.retention_days)
    if oldest is None:
        return 0
    repo = store.retention
    async with store.transaction():
        purged = await repo.purge_before(guild_id, oldest)
    if purged:
        log.info(
            "retention: purged %d messages of guild %s older than %s",
            purged,
            guild_id,
            oldest.isoformat(),
        )
    return purged
