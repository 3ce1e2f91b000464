"""What the archive cog reads from the store to catch up after time away.

The cog talks to Discord (history, archived threads, thread members); this service answers
what Hearth already knows, so the cog can tell what changed: which channels are logged, how
far each one's history is stored, who was present, and what a re-read should find again.
Every write goes through the :class:`~bot.ingest.writer.ArchiveWriter`, in order.
"""

from __future__ import annotations

import datetime as dt

from bot.db import Store
from bot.models import ChannelRecord, Member


class ArchiveService:
    """The store's side of backfill and reconciliation, for one process."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def tracked(self, guild_id: int) -> set[int]:
        """Ids of the channels and live threads whose messages are logged."""
        return {c.id for c in await self.store.channels.tracked(guild_id)}

    async def channels(self, guild_id: int) -> list[ChannelRecord]:
        """Every channel and thread stored for the guild (deleted ones are left out)."""
        return await self.store.channels.list(guild_id)

    async def cursor(self, channel_id: int) -> int | None:
        """Where the channel's stored history ends (None: never read or imported)."""
        return await self.store.cursors.get(channel_id)

    async def present(self, guild_id: int) -> list[Member]:
        """Members stored as present (a snapshot that lacks one means they left)."""
        return await self.store.members.list(guild_id, present_only=True)

    async def stored(
        self, channel_id: int, after_id: int, up_to_id: int
    ) -> dict[int, tuple[str, dt.datetime | None]]:
        """(content, edited_at) of the live messages stored in ``(after_id, up_to_id]``."""
        return await self.store.messages.in_range(channel_id, after_id, up_to_id)
