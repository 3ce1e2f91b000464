"""Message retention: the daily purge of what is older than a guild's ``retention_days``.

The scheduler (``bot/app/client.py``) calls :func:`purge` once a day per guild. A guild without a
retention setting keeps every message. Caches never grow for ever: summaries are cached for
``SUMMARY_DAYS`` (longer than any recap reaches back) and model usage rows are kept
``USAGE_DAYS`` (the budget counts one week).
"""

from __future__ import annotations

import datetime as dt
import logging

from bot.db import Store
from bot.timeutil import utcnow

log = logging.getLogger(__name__)

SUMMARY_DAYS = 60
USAGE_DAYS = 90


def cutoff(now: dt.datetime, retention_days: int | None) -> dt.datetime | None:
    """The oldest creation time kept, or None when everything is kept."""
    if not retention_days or retention_days <= 0:
        return None
    return now - dt.timedelta(days=retention_days)


async def purge(store: Store, guild_id: int, now: dt.datetime) -> int:
    """Delete the guild's messages older than its retention period; returns how many."""
    settings = await store.guilds.settings(guild_id)
    oldest = cutoff(now, settings.retention_days)
    # The caches are stamped with the wall clock, not the scheduler's: prune by it too.
    wall = utcnow()
    async with store.transaction():  # small tables; the same answer for every guild
        await store.recap.prune_summaries(wall - dt.timedelta(days=SUMMARY_DAYS))
        await store.llm_usage.delete_before(wall - dt.timedelta(days=USAGE_DAYS))
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
