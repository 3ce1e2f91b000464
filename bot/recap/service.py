"""RecapService: load once, segment once, summarize each shown conversation once.

The only module of the pipeline that does I/O. A run loads the guild's facts (roles,
channels with overwrites, member roles, thread members, members, interests), streams the
window's messages that someone in the audience can read, segments them once, indexes them once,
then ranks per member, summarizes lazily (only conversations that someone is shown; cached in
``summary_cache`` and shared by every member and the digest) and composes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bot.db import ReadView, Store
from bot.db.recap import CachedSummary
from bot.models import GuildSettings
from bot.recap.cache import (
    cache_key,
    fallback_summary,
    save_summaries,
    summary_from_json,
    summary_to_json,
)
from bot.recap.coalesce import RecapCoalescer
from bot.recap.compose import (
    Digest,
    MemberRecap,
    Window,
    compose_digest,
    compose_recap,
    labels_for,
)
from bot.recap.index import WindowIndex, build_index
from bot.recap.load import Inputs, load_facts
from bot.recap.rank import (
    DEFAULT_CONFIG,
    Interest,
    MemberPlan,
    RankConfig,
    Ranked,
    interest_from_text,
    plan_digest,
    plan_member,
    unanswered_in,
)
from bot.recap.segment import DEFAULT_PARAMS, Segment, SegmentParams, segment
from bot.recap.select import check_window, select_messages
from bot.recap.types import Summarizer, Summary
from bot.recap.visibility import (
    GuildFacts,
    channel_and_threads,
    digest_channels,
    readable_channels,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RecapOptions:
    """Tuning of a run."""

    segment: SegmentParams = DEFAULT_PARAMS
    rank: RankConfig = DEFAULT_CONFIG
    lookback: dt.timedelta = dt.timedelta(days=28)  # "people you talk with" history
    digest_items: int = 5
    digest_questions: int = 5
    concurrency: int = 4  # summaries in flight at once


@dataclass(frozen=True, slots=True)
class RunResult:
    """A digest (if asked for) and member recaps from one shared run."""

    digest: Digest | None
    recaps: dict[int, MemberRecap]


@dataclass(slots=True)
class _Loaded:
    facts: GuildFacts
    segments: list[Segment]
    index: WindowIndex
    names: dict[int, str]
    language: str | None


class RecapService:
    """Digests and member recaps over the store, with a shared summary cache."""

    def __init__(
        self,
        store: Store,
        summarizer: Summarizer,
        *,
        options: RecapOptions | None = None,
        backends: Mapping[str, Summarizer] | None = None,
    ) -> None:
        self.store = store
        self.summarizer = summarizer
        self.options = options or RecapOptions()
        # A guild may pick a backend by name (e.g. "extractive" to keep its messages away from
        # a model); a name the process has not configured falls back to the default.
        self.backends = dict(backends or {})
        self._coalescer = RecapCoalescer(self.run)
        # Segmenting and indexing off the event loop, in one thread (the tokenizer's only one).
        self._cpu = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hearth-recap")

    def summarizer_for(self, choice: str | None) -> Summarizer:
        """The backend a guild's setting selects, else the process default."""
        return self.backends.get(choice or "", self.summarizer)

    def backend_for(self, settings: GuildSettings) -> Summarizer:
        """The one answer to "which summarizer does this guild use": what recaps use, what
        ``/about`` tells members and what ``/hearth status`` shows."""
        return self.summarizer_for(settings.summarizer)

    async def digest(
        self,
        guild_id: int,
        since: dt.datetime,
        until: dt.datetime,
        *,
        channel_id: int | None = None,
    ) -> Digest:
        """The circle digest for a channel (default: the guild's configured digest channel)."""
        result = await self.run(guild_id, since, until, digest=True, channel_id=channel_id)
        assert result.digest is not None
        return result.digest

    async def channel_digest(
        self, guild_id: int, channel_id: int, since: dt.datetime, until: dt.datetime
    ) -> Digest:
        """``/summary``: the digest of one channel and its threads (or of one thread alone),
        showing what everyone who reads it can read, with no list of who joined."""
        result = await self.run(
            guild_id, since, until, digest=True, channel_id=channel_id, channel_only=True
        )
        assert result.digest is not None
        return dataclasses.replace(result.digest, joined=())

    async def recap(
        self,
        guild_id: int,
        member_id: int,
        since: dt.datetime,
        until: dt.datetime,
        *,
        public_in: int | None = None,
    ) -> MemberRecap:
        """One member's recap (``public_in``: posted there); concurrent ones share a run."""
        check_window(since, until)  # before coalescing: a bad window fails alone, at once
        recap: MemberRecap = await self._coalescer.recap(
            guild_id, member_id, since, until, public_in
        )
        return recap

    async def recaps(
        self, guild_id: int, member_ids: Iterable[int], since: dt.datetime, until: dt.datetime
    ) -> dict[int, MemberRecap]:
        """Recaps for many members from one load, one segmentation and shared summaries."""
        return (await self.run(guild_id, since, until, member_ids=member_ids)).recaps

    async def run(
        self,
        guild_id: int,
        since: dt.datetime,
        until: dt.datetime,
        *,
        member_ids: Iterable[int] = (),
        digest: bool = False,
        channel_id: int | None = None,
        channel_only: bool = False,
        public_in: int | None = None,
    ) -> RunResult:
        """A digest and/or member recaps, sharing every step.

        ``public_in``: the recaps will be posted in that channel, so each shows only what
        everyone who reads it can read (the digest's rule), decided on the same facts.
        Every fact that decides visibility is read in one snapshot of the store.
        """
        check_window(since, until)
        started = time.perf_counter()
        members = list(dict.fromkeys(member_ids))
        async with self.store.read() as db:
            facts = await load_facts(db, guild_id)
            settings = await db.guilds.settings(guild_id)
            target = channel_id if channel_id is not None else settings.digest_channel_id
            readable = {m: readable_channels(facts, m) for m in members}
            if public_in is not None:
                public = digest_channels(facts, public_in)
                readable = {m: r & public for m, r in readable.items()}
            shared = digest_channels(facts, target) if digest else frozenset()
            if channel_only:  # the target channel and its threads, nothing else
                shared &= channel_and_threads(facts, target)
            audience = frozenset(shared).union(*readable.values())
            inputs = await self._read_window(db, facts, since, until, audience)
            interests = await db.recap.interests(guild_id)
        loop = asyncio.get_running_loop()  # CPU work runs in self._cpu, off the event loop
        loaded = await loop.run_in_executor(
            self._cpu, self._index, facts, inputs, since, until, settings.language
        )
        window = Window(since, until)
        labels = labels_for(facts, ())

        def plan_all() -> tuple[dict[int, MemberPlan], list[Ranked], dict[str, Segment]]:
            plans = {}
            for member_id in members:
                plans[member_id] = plan_member(
                    loaded.index,
                    member_id,
                    readable=readable[member_id],
                    roles=sorted(facts.member_roles.get(member_id, ())),
                    role_names=facts.role_names,
                    names=loaded.names,
                    declared=_declared(interests.get(member_id, ())),
                    last_seen=m.last_seen_at if (m := facts.members.get(member_id)) else None,
                    config=self.options.rank,
                )
            ranked = plan_digest(loaded.index, shared, self.options.digest_items) if digest else []
            shown = {
                loaded.index.convs[r.conv].segment.key: loaded.index.convs[r.conv].segment
                for r in ranked
            }
            for plan in plans.values():
                for r in plan.items:
                    seg = loaded.index.convs[r.conv].segment
                    shown[seg.key] = seg
            return plans, ranked, shown

        plans, ranked, shown = await loop.run_in_executor(self._cpu, plan_all)
        summaries = await self._summaries(
            list(shown.values()), loaded.language, self.backend_for(settings)
        )

        def compose_all() -> tuple[dict[int, MemberRecap], Digest | None]:
            per_channel = Counter(info.channel_id for info in loaded.index.convs)
            recaps = {
                member_id: compose_recap(
                    facts,
                    loaded.index,
                    plan,
                    summaries,
                    readable=readable[member_id],
                    window=window,
                    names=loaded.names,
                    conversations_by_channel=per_channel,
                    labels=labels,
                )
                for member_id, plan in plans.items()
            }
            result_digest = None
            if digest:
                questions = unanswered_in(loaded.index, shared, self.options.digest_questions)
                result_digest = compose_digest(
                    facts,
                    loaded.index,
                    ranked,
                    questions,
                    summaries,
                    channels=shared,
                    window=window,
                    channel_id=target,
                    names=loaded.names,
                )
            return recaps, result_digest

        recaps, result_digest = await loop.run_in_executor(self._cpu, compose_all)
        log.info(
            "recap run guild=%s: %d conversations, %d recaps, %d summaries, %.2fs",
            guild_id,
            len(loaded.segments),
            len(recaps),
            len(summaries),
            time.perf_counter() - started,
        )
        return RunResult(result_digest, recaps)

    async def _read_window(
        self,
        db: ReadView,
        facts: GuildFacts,
        since: dt.datetime,
        until: dt.datetime,
        channels: Collection[int],
    ) -> Inputs:
        """What the window holds in ``channels`` (inside the run's snapshot)."""
        bots = frozenset(u for u, m in facts.members.items() if m.is_bot)
        messages = await select_messages(
            db.messages.iter_window(facts.guild_id, since, until), channels, skip_authors=bots
        )
        kept = {m.id for m in messages}
        reactions = [
            (r.message_id, r.user_id)
            for r in await db.messages.reactions_in_window(facts.guild_id, since, until)
            if r.message_id in kept and r.user_id not in bots
        ]
        outside = {m.reply_to_id for m in messages if m.reply_to_id and m.reply_to_id not in kept}
        parents = await db.recap.authors(outside) if outside else {}
        lookback = await db.recap.interactions(facts.guild_id, since - self.options.lookback, since)
        return Inputs(messages, reactions, parents, lookback)

    def _index(
        self,
        facts: GuildFacts,
        inputs: Inputs,
        since: dt.datetime,
        until: dt.datetime,
        language: str | None,
    ) -> _Loaded:
        """Segment and index the window once (pure: no I/O)."""
        names = {u: m.label for u, m in facts.members.items()}
        counts = Counter(message_id for message_id, _ in inputs.reactions)
        segments = segment(inputs.messages, facts.channels, names, counts, self.options.segment)
        index = build_index(
            segments,
            since,
            until,
            reactions=inputs.reactions,
            parent_authors=inputs.parents,
            lookback=inputs.lookback,
        )
        return _Loaded(facts, segments, index, names, language)

    async def _summaries(
        self, segments: Sequence[Segment], language: str | None, summarizer: Summarizer
    ) -> dict[str, Summary]:
        """Summaries of ``segments`` by conversation key: cached, else computed once."""
        backend, model = summarizer.name, summarizer.model
        keys = {s.key: cache_key(s.conversation, backend, model, language or "") for s in segments}
        cached = await self.store.recap.summaries(list(keys.values()))
        result: dict[str, Summary] = {}
        missing: list[Segment] = []
        for seg in segments:
            payload = cached.get(keys[seg.key])
            if payload is not None:
                try:
                    result[seg.key] = summary_from_json(payload)
                    continue
                except (KeyError, TypeError, ValueError):
                    log.warning("ignoring a malformed cached summary for %s", seg.key)
            missing.append(seg)
        gate = asyncio.Semaphore(max(1, self.options.concurrency))

        async def one(seg: Segment) -> tuple[Segment, Summary, bool]:
            async with gate:
                try:
                    made = await summarizer.summarize(seg.conversation, language=language)
                except Exception as exc:  # any backend failure: show the opening, don't cache
                    log.warning("summarizer %s failed on %s: %r", backend, seg.key, exc)
                    return seg, fallback_summary(seg.conversation, "summary unavailable"), False
                # A backend's fallback (model down, budget spent) is shown but not cached, so
                # the conversation is summarized properly once the model is back.
                return seg, made, made.backend == backend and not made.note

        fresh = await asyncio.gather(*(one(seg) for seg in missing))
        rows = []
        for seg, made, ok in fresh:
            result[seg.key] = made
            if ok:
                rows.append(
                    CachedSummary(
                        key=keys[seg.key],
                        conversation_key=seg.key,
                        content_hash=seg.conversation.content_hash,
                        backend=backend,
                        model=model,
                        language=language or "",
                        payload=summary_to_json(made),
                    )
                )
        await save_summaries(self.store, rows)
        log.debug("summaries: %d cached, %d computed", len(result) - len(fresh), len(fresh))
        return result


def _declared(topics: Iterable[str]) -> list[Interest]:
    found = (interest_from_text(t) for t in topics)
    return [i for i in found if i is not None]


__all__ = [
    "RecapOptions",
    "RecapService",
    "RunResult",
    "cache_key",
    "fallback_summary",
    "load_facts",
    "summary_from_json",
    "summary_to_json",
]
