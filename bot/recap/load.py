"""What a recap run reads from one snapshot of the store, before any computation."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db import ReadView
from bot.models import GuildRecord, MessageRecord
from bot.recap.visibility import GuildFacts


async def load_facts(db: ReadView, guild_id: int) -> GuildFacts:
    """The permission facts of a guild. Call it inside ``store.read()`` so that every table
    comes from the same committed state."""
    guild = await db.guilds.get(guild_id) or GuildRecord(guild_id, "")
    return GuildFacts.build(
        guild,
        await db.guilds.roles(guild_id),
        await db.channels.list(guild_id),
        await db.members.all_role_ids(guild_id),
        await db.recap.thread_members(guild_id),
        await db.members.list(guild_id),
    )


@dataclass(frozen=True, slots=True)
class Inputs:
    """What a run reads from the window, before any computation."""

    messages: list[MessageRecord]
    reactions: list[tuple[int, int]]
    parents: dict[int, int]
    lookback: list[tuple[int, int, int, int]]  # (from, to, channel, count)
