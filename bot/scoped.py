"""Recaps and digests narrowed to a set of channels: ``/summary`` and public ``/recap``.

* :func:`channel_digest` is the digest of one channel and its threads (or of one thread):
  :meth:`RecapService.digest` with that channel as the target (so only what everyone who reads
  it can read) narrowed ``within`` the channel and its threads, with the guild's own backend.
* :func:`restrict_recap` keeps only the parts of a member's recap that happened in allowed
  channels; :func:`public_scope` is what a recap posted in a channel may show: the channels
  that everyone who can read that channel can read (the digest's rule).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.db import Store
from bot.models import THREAD_KINDS, GuildRecord
from bot.recap import (
    Digest,
    GuildFacts,
    MemberRecap,
    RecapCounts,
    RecapService,
    digest_channels,
)


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


async def public_scope(store: Store, guild_id: int, channel_id: int) -> frozenset[int]:
    """Channels everyone who can read ``channel_id`` can read, from the stored facts."""
    facts = GuildFacts.build(
        await store.guilds.get(guild_id) or GuildRecord(guild_id, ""),
        await store.guilds.roles(guild_id),
        await store.channels.list(guild_id),
        await store.members.all_role_ids(guild_id),
        await store.recap.thread_members(guild_id),
        await store.members.list(guild_id),
    )
    return digest_channels(facts, channel_id)


def restrict_recap(recap: MemberRecap, allowed: frozenset[int]) -> MemberRecap:
    """The recap without anything that happened outside ``allowed`` channels.

    Its counts then describe only what is shown, so they reveal nothing about other channels.
    """
    items = tuple(i for i in recap.items if i.channel_id in allowed)
    waiting = tuple(r for r in recap.waiting_for_you if r.channel_id in allowed)
    questions = tuple(r for r in recap.questions_you_could_answer if r.channel_id in allowed)
    counts = RecapCounts(
        messages=sum(i.messages for i in items),
        conversations=len(items),
        channels=len({i.channel_id for i in items}),
        waiting=len(waiting),
        questions=len(questions),
    )
    return dataclasses.replace(
        recap,
        items=items,
        waiting_for_you=waiting,
        questions_you_could_answer=questions,
        counts=counts,
        labels=dataclasses.replace(recap.labels, visible=recap.labels.visible & allowed),
    )
