"""What deliveries are made of: where they go, the two sides they talk to (a publisher over
Discord, the content of digests and recaps), their errors and a run's report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from bot.delivery.marks import Embeds
from bot.delivery.slots import Slot
from bot.models import Place


@dataclass(frozen=True, slots=True)
class Where:
    """Where a delivery goes: the place to look for its marker, a digest's channel and the
    end of the window it covers."""

    place: Place
    channel_id: int | None = None
    until: dt.datetime | None = None


class DeliveryError(Exception):
    """A failure that retrying the same payload cannot fix (e.g. Discord refused it: 400)."""


class DMClosedError(Exception):
    """The member does not accept DMs from the bot (Discord error 50007)."""


class TransientDeliveryError(Exception):
    """A failure worth retrying (rate limit exhausted, 5xx, network)."""


class Publisher(Protocol):
    """Posts rendered messages; implemented over discord.py by the bot."""

    async def post(self, channel_id: int, messages: Embeds, *, nonce: str) -> tuple[int, ...]:
        """Post to a channel; returns the message ids."""
        ...

    async def dm(self, user_id: int, messages: Embeds, *, nonce: str) -> tuple[int, ...]:
        """DM a member; raises :class:`DMClosedError` when they do not accept DMs."""
        ...

    async def find_marker(
        self, place: Place, marker: str, *, since: dt.datetime
    ) -> tuple[int, ...]:
        """Ids of bot messages at ``place`` posted after ``since`` carrying ``marker``."""
        ...


class Content(Protocol):
    """Builds what is delivered; returns no messages when there is nothing to say."""

    async def digest(
        self,
        guild_id: int,
        channel_id: int,
        since: dt.datetime,
        until: dt.datetime,
        *,
        late: bool,
    ) -> Embeds:
        """The circle digest for a channel's readers."""
        ...

    async def recap(
        self, guild_id: int, user_id: int, since: dt.datetime, until: dt.datetime
    ) -> Embeds:
        """One member's recap."""
        ...

    async def prepare(
        self, guild_id: int, user_ids: list[int], since: dt.datetime, until: dt.datetime
    ) -> None:
        """Build the recaps of many members at once, before they are asked for one by one."""
        ...


@dataclass(slots=True)
class RunReport:
    """What one run did, for logs and tests."""

    slot: Slot | None
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    late: bool = False


@dataclass(slots=True)
class ManualPost:
    """A ``/digest post`` in progress: the ids posted so far, and once it is recorded the
    next scheduled slot and whether that one now starts after this post."""

    channel_id: int
    since: dt.datetime
    until: dt.datetime  # the end of what it covers: when rendering began
    ids: list[int] = field(default_factory=list)
    slot: Slot | None = None
    covers: bool = False
    complete: bool = True  # False: sending failed after some parts
