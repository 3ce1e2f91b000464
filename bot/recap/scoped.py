"""Digests narrowed to one channel: ``/summary``.

:func:`channel_digest` is the digest of one channel and its threads (or of one thread):
:meth:`RecapService.digest` with that channel as the target (so only what everyone who reads
it can read) narrowed ``within`` the channel and its threads, with the guild's own backend.
A public ``/recap`` is narrowed inside the run instead (``RecapService.recap(public_in=…)``),
on the same facts that decide what the member can read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.db import Store
from bot.models import THREAD_KINDS
from bot.recap import Digest, RecapService


async def scope_of(store: Store, guild_id: int, channel_id: int) -> frozenset[int]:
    """The channel and its threads and forum posts (or the thread alone)."""
    channels = await store.channels.list(guild_id)
    threads = {c.id for c in channels if c.kind in THREAD_KINDS and c.parent_id == channel_id}
    return frozenset({channel_id} | threads)


async def channel_digest(
    service: RecapService,
    guild_id: int,
    channel_id: int,
    since: dt.datetime,
    until: dt.datetime,
    *,
    name: str,
) -> Digest:
    """The digest of ``channel_id`` and its threads over ``[since, until)``."""
    scope = await scope_of(service.store, guild_id, channel_id)
    digest = await service.digest(guild_id, since, until, channel_id=channel_id, within=scope)
    return dataclasses.replace(
        digest,
        joined=(),
        note="" if digest.items else f"Nothing to summarise in #{name} in this period.",
    )
