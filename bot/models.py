"""Plain records passed between the layers. No Discord objects, no SQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

ChannelKind = Literal[
    "text", "news", "forum", "category", "voice", "thread", "private_thread", "forum_post", "other"
]
THREAD_KINDS: frozenset[str] = frozenset({"thread", "private_thread", "forum_post"})
LOGGED_KINDS: frozenset[str] = frozenset({"text", "news", *THREAD_KINDS})
MentionType = Literal["user", "role", "everyone"]


@dataclass(frozen=True, slots=True)
class GuildRecord:
    """A server as Discord describes it."""

    id: int
    name: str
    owner_id: int | None = None


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """What admins configure for a server."""

    guild_id: int
    digest_channel_id: int | None = None
    digest_weekday: int = 0  # Monday
    digest_hour: int = 9
    timezone: str = "UTC"
    language: str | None = None
    summarizer: str | None = None
    retention_days: int | None = None


@dataclass(frozen=True, slots=True)
class RoleRecord:
    """A role with its guild-wide permission bits."""

    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0


@dataclass(frozen=True, slots=True)
class Overwrite:
    """A channel permission overwrite for a role or a member."""

    target_id: int
    target_type: Literal["role", "member"]
    allow: int = 0
    deny: int = 0


@dataclass(frozen=True, slots=True)
class ChannelRecord:
    """A channel, forum, category, thread or forum post."""

    id: int
    guild_id: int
    kind: ChannelKind
    name: str = ""
    parent_id: int | None = None
    topic: str | None = None
    owner_id: int | None = None
    private: bool = False
    archived: bool = False
    created_at: dt.datetime | None = None
    overwrites: tuple[Overwrite, ...] | None = None  # None: unknown, keep what is stored
    deleted: bool = False
    excluded: bool = False

    @property
    def is_thread(self) -> bool:
        """Threads and forum posts."""
        return self.kind in THREAD_KINDS


@dataclass(frozen=True, slots=True)
class MemberRecord:
    """A member as Discord describes them (no preferences)."""

    guild_id: int
    user_id: int
    name: str
    display_name: str = ""
    is_bot: bool = False
    joined_at: dt.datetime | None = None
    role_ids: tuple[int, ...] | None = None  # None: unknown, keep what is stored


@dataclass(frozen=True, slots=True)
class Member:
    """A stored member, with the preferences they chose."""

    guild_id: int
    user_id: int
    name: str
    display_name: str
    is_bot: bool
    joined_at: dt.datetime | None
    left_at: dt.datetime | None
    last_seen_at: dt.datetime | None
    dm_opt_in: bool
    dm_cadence: str
    logging_paused: bool

    @property
    def label(self) -> str:
        """The name people see."""
        return self.display_name or self.name


@dataclass(frozen=True, slots=True)
class Mention:
    """A user, role or @everyone mention in a message."""

    target_type: MentionType
    target_id: int


#: Message kinds that are people talking (lower-cased; gateway names and export names).
CONVERSATIONAL_KINDS = frozenset(
    {
        "default",
        "reply",
        "chat_input_command",
        "context_menu_command",
        "thread_starter_message",
        "0",
        "19",
        "20",
        "21",
        "23",
    }
)


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """A message, as logged from the gateway, history or an export."""

    id: int
    guild_id: int
    channel_id: int
    author_id: int
    created_at: dt.datetime
    content: str = ""
    edited_at: dt.datetime | None = None
    reply_to_id: int | None = None
    kind: str = "default"
    started_thread_id: int | None = None
    attachments: int = 0
    pinned: bool = False
    mentions: tuple[Mention, ...] = ()
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class ReactionRecord:
    """One member's reaction with one emoji."""

    message_id: int
    user_id: int
    emoji: str


@dataclass(frozen=True, slots=True)
class ArchiveStats:
    """What the store holds, for ``hearth stats`` and ``/hearth status``."""

    guilds: int
    channels: int
    threads: int
    members: int
    messages: int
    deleted_messages: int
    mentions: int
    reactions: int
    first_message_at: dt.datetime | None
    last_message_at: dt.datetime | None
    per_channel: tuple[tuple[str, int], ...] = field(default=())
    system_messages: int = 0  # among ``messages``: joins, pins, renames (recaps leave them out)


class Status(StrEnum):
    """Where one delivery stands in the ledger (stored as its value)."""

    SENDING = "sending"  # recorded before the first part goes out; a crash leaves it here
    SENT = "sent"
    EMPTY = "empty"  # nothing to say: recorded, so the period is not tried again
    DM_CLOSED = "dm_closed"  # the member does not accept DMs from the bot
    FAILED = "failed"  # retried later

    @property
    def final(self) -> bool:
        """Never sent again."""
        return self in FINAL


FINAL = (Status.SENT, Status.EMPTY, Status.DM_CLOSED)


@dataclass(frozen=True, slots=True)
class Target:
    """Whom a delivery is for: the guild's digest of a period (one per period, whichever
    channel it goes to) or one member's DM recap. Stored as ``digest`` or ``dm:<user id>``."""

    user_id: int | None = None  # None: the digest

    @classmethod
    def dm(cls, user_id: int) -> Target:
        """A member's DM recap."""
        return cls(user_id)

    @classmethod
    def parse(cls, text: str) -> Target:
        """The stored form back; ``ValueError`` for anything else."""
        if text == "digest":
            return DIGEST
        kind, _, raw = text.partition(":")
        if kind != "dm" or not raw.isdigit():
            raise ValueError(f"not a delivery target: {text!r}")
        return cls(int(raw))

    @property
    def is_digest(self) -> bool:
        return self.user_id is None

    def __str__(self) -> str:
        return "digest" if self.user_id is None else f"dm:{self.user_id}"


DIGEST = Target()


@dataclass(frozen=True, slots=True)
class Place:
    """A channel or a member's DMs: where a delivery's parts are posted and looked for."""

    kind: Literal["channel", "dm"]
    id: int

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"
