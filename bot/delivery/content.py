"""What scheduled deliveries contain: the recap engine's output rendered as embeds."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.delivery.marks import MARK_ROOM
from bot.delivery.service import Embeds
from bot.recap import MemberRecap, RecapService, render_embeds


class RecapContent:
    """Digests and DM recaps from :class:`RecapService`; nothing when nothing happened."""

    def __init__(self, recaps: RecapService, *, post_empty: bool = False) -> None:
        self.recaps = recaps
        self.post_empty = post_empty
        self._prepared: dict[tuple[int, int, dt.datetime, dt.datetime], MemberRecap] = {}

    async def prepare(
        self, guild_id: int, user_ids: list[int], since: dt.datetime, until: dt.datetime
    ) -> None:
        """One recap run for every pending member (cost: messages + members, not their product)."""
        self._prepared = {
            (guild_id, user_id, since, until): recap
            for user_id, recap in (
                await self.recaps.recaps(guild_id, user_ids, since, until)
            ).items()
        }

    async def digest(
        self,
        guild_id: int,
        channel_id: int,
        since: dt.datetime,
        until: dt.datetime,
        *,
        late: bool,
    ) -> Embeds:
        """The circle digest for the readers of ``channel_id``."""
        digest = await self.recaps.digest(guild_id, since, until, channel_id=channel_id)
        quiet = not digest.items and not digest.joined and not digest.new_threads
        if quiet and not self.post_empty:
            return []
        if late:
            note = "Hearth was offline at the scheduled time, so this digest comes late."
            digest = dataclasses.replace(digest, note=note)
        return [[dict(e) for e in message] for message in render_embeds(digest, reserve=MARK_ROOM)]

    async def recap(
        self, guild_id: int, user_id: int, since: dt.datetime, until: dt.datetime
    ) -> Embeds:
        """One member's recap, only from what they can read."""
        recap = self._prepared.pop((guild_id, user_id, since, until), None)
        if recap is None:
            recap = await self.recaps.recap(guild_id, user_id, since, until)
        if not recap.items and not recap.waiting_for_you:
            return []
        return [[dict(e) for e in message] for message in render_embeds(recap, reserve=MARK_ROOM)]
