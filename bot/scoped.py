"""Recaps and digests narrowed to a set of channels: ``/summary`` and public ``/recap``.

* :func:`channel_digest` is the digest of one channel and its threads (or of one thread). It is
  built on :meth:`RecapService.digest` with that channel as the target, which already limits
  what is shown to what everyone who reads it can read; items elsewhere are then dropped.
  Until ``RecapService`` can restrict a run to a set of channels, it asks for more items than
  it shows so a quiet channel on a busy server still gets its conversations.
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
    Activity,
    Digest,
    GuildFacts,
    MemberRecap,
    RecapCounts,
    RecapService,
    digest_channels,
)

ITEMS = 5
WIDE = 25  # conversations asked for across the audience's channels before filtering


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
    wide = RecapService(
        service.store,
        service.summarizer,
        options=dataclasses.replace(service.options, digest_items=WIDE, digest_questions=WIDE),
    )
    digest = await wide.digest(guild_id, since, until, channel_id=channel_id)
    items = tuple(i for i in digest.items if i.channel_id in scope)[:ITEMS]
    people = {p for i in items for p in i.participants}
    return dataclasses.replace(
        digest,
        items=items,
        new_threads=tuple(t for t in digest.new_threads if t.channel_id in scope),
        joined=(),
        unanswered=tuple(q for q in digest.unanswered if q.channel_id in scope)[:ITEMS],
        activity=Activity(
            messages=sum(i.messages for i in items),
            members=len(people),
            channels=1,
            busiest=name if items else None,
        ),
        note="" if items else f"Nothing to summarise in #{name} in this period.",
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
