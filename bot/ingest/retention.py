"""Message retention: the daily purge of what is older than a guild's ``retention_days``.

The scheduler (``bot/app/client.py``) calls :func:`purge` once a day per guild. A guild without a
retention setting keeps every message. Caches never grow for ever: summaries are cached for
``SUMMARY_DAYS`` (longer than any recap reaches back) and model usage rows are kept
``USAGE_DAYS`` (the budget counts one week); they are shared by every guild, so they are
pruned once a day, not once per guild.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging

from bot.db import Store
from bot.timeutil import from_ms, to_ms, utcnow

log = logging.getLogger(__name__)

SUMMARY_DAYS = 60
USAGE_DAYS = 90
PRUNE_EVERY = dt.timedelta(hours=20)  # once a day, whichever guild's purge runs first
PRUNED_KEY = "caches_pruned_at"


def cutoff(now: dt.datetime, retention_days: int | None) -> dt.datetime | None:
    """The oldest creation time kept, or None when everything is kept."""
    if not retention_days or retention_days <= 0:
        return None
    return now - dt.timedelta(days=retention_days)


async def prune_caches(store: Store, wall: dt.datetime) -> bool:
    """Prune the shared caches (summaries, model usage) at most once in ``PRUNE_EVERY``,
    whichever guild's purge comes first; returns whether it ran."""
    async with store.transaction():  # the check and the prune: one writer at a time
        last = await store.cursors.get_meta(PRUNED_KEY)
        with contextlib.suppress(ValueError):  # unreadable: prune, and write it anew
            # A stamp in the future (the clock was set back) does not stop pruning.
            if last is not None and dt.timedelta(0) <= wall - from_ms(int(last)) < PRUNE_EVERY:
                return False
        await store.recap.prune_summaries(wall - dt.timedelta(days=SUMMARY_DAYS))
        await store.llm_usage.delete_before(wall - dt.timedelta(days=USAGE_DAYS))
        await store.cursors.set_meta(PRUNED_KEY, str(to_ms(wall)))
    return True


async def purge(store: Store, guild_id: int, now: dt.datetime) -> int:
    """Delete the guild's messages older than its retention period; returns how many."""
    settings = await store.guilds.settings(guild_id)
    oldest = cutoff(now, settings.retention_days)
    # The caches are stamped with the wall clock, not the scheduler's: prune by it too.
    await prune_caches(store, utcnow())
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
