"""What a member chooses about their recaps (DM recaps, declared interests) and asks (/ask).

The rules live here, not in the cogs: the cadences, how many interests and how long, what an
interest may contain, and telling a member once that their DM recap could not be delivered.
Every refusal is a :class:`PreferenceError` whose message is meant for the member.
"""

from __future__ import annotations

import datetime as dt

from bot.db import Store
from bot.models import MemberRecord
from bot.recap import RecapService
from bot.recap.ask import Answer, search
from bot.recap.markup import name
from bot.recap.summarize.grounded import Chat

CADENCES = ("weekly", "daily")
MAX_TOPICS = 20
TOPIC_LENGTH = 50


class PreferenceError(ValueError):
    """A choice that cannot be stored; the message says why, for the member."""


def normalize_topic(raw: str) -> str:
    """Collapse whitespace; the store compares topics case-insensitively."""
    return " ".join(raw.split())


def topic_problem(topic: str, max_length: int = TOPIC_LENGTH) -> str | None:
    """Why a topic cannot be stored, or None."""
    if not topic:
        return "An interest needs at least one character, e.g. `ramen` or `board games`."
    if len(topic) > max_length:
        return f"Keep an interest under {max_length} characters."
    if any(not ch.isprintable() for ch in topic) or "<@" in topic or "<#" in topic:
        return "An interest is a plain word or phrase, without mentions or control characters."
    return None


class MemberService:
    """A member's DM recaps, interests and questions in one guild."""

    def __init__(self, store: Store, *, recaps: RecapService | None = None) -> None:
        self.store = store
        self.recaps = recaps  # whose summarizer, if a model, answers /ask from the passages

    async def set_dm(self, guild_id: int, user_id: int, on: bool, cadence: str | None) -> str:
        """Turn DM recaps on (at ``cadence``) or off (keeping the cadence); returns it."""
        if cadence is not None and cadence not in CADENCES:
            raise PreferenceError(f"Unknown cadence {cadence!r}: use weekly or daily.")
        if cadence is None:
            member = await self.store.members.get(guild_id, user_id)
            cadence = member.dm_cadence if member else "weekly"
        async with self.store.transaction():
            await self.store.guilds.ensure(guild_id)
            await self.store.members.set_dm(guild_id, user_id, on, cadence)
        return cadence

    async def interests(self, guild_id: int, user_id: int) -> tuple[str, ...]:
        """The member's declared interests, in the order they were added."""
        return (await self.store.recap.interests(guild_id)).get(user_id, ())

    async def add_interest(self, member: MemberRecord, topic: str) -> tuple[str, int]:
        """Add a topic; returns it (normalized) and how many the member has now."""
        text = normalize_topic(topic)
        problem = topic_problem(text)
        if problem:
            raise PreferenceError(problem)
        topics = await self.interests(member.guild_id, member.user_id)
        if text.lower() in {t.lower() for t in topics}:
            raise PreferenceError(f"**{name(text, lead=False)}** is already there.")
        if len(topics) >= MAX_TOPICS:
            raise PreferenceError(
                f"You have {MAX_TOPICS} interests already; remove one with `/interests remove`."
            )
        async with self.store.transaction():
            await self.store.guilds.ensure(member.guild_id)
            await self.store.members.ensure_many([member])
            added = await self.store.recap.add_interest(member.guild_id, member.user_id, text)
        if not added:
            raise PreferenceError("I couldn't add that interest; please try another wording.")
        return text, len(topics) + 1

    async def remove_interest(self, guild_id: int, user_id: int, topic: str) -> tuple[str, bool]:
        """Remove a topic; returns it (normalized) and whether it was there."""
        text = normalize_topic(topic)
        async with self.store.transaction():
            removed = await self.store.recap.remove_interest(guild_id, user_id, text)
        return text, removed

    async def thread_members(self, thread_id: int) -> frozenset[int]:
        """Members known to be in a (private) thread: who may read it."""
        return frozenset(await self.store.channels.thread_members(thread_id))

    async def take_dm_failure_notice(self, guild_id: int, user_id: int) -> bool:
        """Whether the member should be told their DM recap failed (DMs closed): once."""
        deliveries = self.store.deliveries
        if await deliveries.unnotified_dm_failure(guild_id, user_id) is None:
            return False
        async with self.store.transaction():
            await deliveries.mark_notified(guild_id, user_id)
        return True

    async def last_seen(self, guild_id: int, user_id: int) -> dt.datetime | None:
        """When the member last wrote in this guild (None: never, or unknown)."""
        member = await self.store.members.get(guild_id, user_id)
        return member.last_seen_at if member is not None else None

    async def ask(self, guild_id: int, user_id: int, question: str, *, limit: int = 5) -> Answer:
        """``/ask``: the messages the member can read that answer ``question``, and the
        model's short answer from them when the guild's summarizer is a model."""
        model = None
        if self.recaps is not None:
            backend = self.recaps.backend_for(await self.store.guilds.settings(guild_id))
            model = backend if isinstance(backend, Chat) else None
        return await search(self.store, guild_id, user_id, question, limit=limit, model=model)
