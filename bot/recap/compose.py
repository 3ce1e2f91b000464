"""The finished recaps: plain frozen values, ready to render to Discord or Markdown.

Text in these records is plain and unescaped (what people wrote); rendering makes it safe.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from bot.models import THREAD_KINDS, MessageRecord
from bot.recap.index import WindowIndex
from bot.recap.rank import MemberPlan, Pending, Ranked, Reason
from bot.recap.types import Summary
from bot.recap.visibility import GuildFacts
from bot.timeutil import from_ms, snowflake_time_ms

EXCERPT = 300  # characters kept of a quoted message (render cuts further)


def jump_url(guild_id: int, channel_id: int, message_id: int | None = None) -> str:
    """A link that opens the channel (at the message) in Discord."""
    base = f"https://discord.com/channels/{guild_id}/{channel_id}"
    return base if message_id is None else f"{base}/{message_id}"


@dataclass(frozen=True, slots=True)
class Window:
    """[since, until) of a recap."""

    since: dt.datetime
    until: dt.datetime


@dataclass(frozen=True, slots=True)
class Labels:
    """Names to turn raw ``<@id>``/``<@&id>``/``<#id>`` markup into plain text.

    Channel names are given only for channels the reader can see (``visible``); any other
    channel is "unknown-channel", as in Discord.
    """

    users: Mapping[int, str]
    roles: Mapping[int, str]
    channels: Mapping[int, str]
    visible: frozenset[int]

    def user(self, user_id: int) -> str:
        """A member's display name."""
        return self.users.get(user_id, "unknown-user")

    def role(self, role_id: int) -> str:
        """A role's name."""
        return self.roles.get(role_id, "unknown-role")

    def channel(self, channel_id: int) -> str:
        """A channel's name if the reader can see it."""
        if channel_id not in self.visible:
            return "unknown-channel"
        return self.channels.get(channel_id, "unknown-channel")


@dataclass(frozen=True, slots=True)
class MessageRef:
    """One message quoted on its own (waiting for you, unanswered questions)."""

    guild_id: int
    channel_id: int
    message_id: int
    author_id: int
    author_name: str
    where: str  # "#general" or "#general › thread name"
    text: str
    created_at: dt.datetime

    @property
    def url(self) -> str:
        """Jump link to the message."""
        return jump_url(self.guild_id, self.channel_id, self.message_id)


@dataclass(frozen=True, slots=True)
class RecapItem:
    """A conversation in a recap or digest, with its summary and why it is there."""

    key: str
    guild_id: int
    channel_id: int
    where: str
    is_thread: bool
    first_message_id: int
    messages: int
    participants: tuple[str, ...]
    last_at: dt.datetime
    summary: Summary
    reasons: tuple[Reason, ...]
    score: float

    @property
    def url(self) -> str:
        """Jump link to the conversation's first message."""
        return jump_url(self.guild_id, self.channel_id, self.first_message_id)


@dataclass(frozen=True, slots=True)
class RecapCounts:
    """What the member could have read in the window."""

    messages: int
    conversations: int
    channels: int
    waiting: int
    questions: int


@dataclass(frozen=True, slots=True)
class MemberRecap:
    """What mattered to one member in a window."""

    guild_id: int
    guild_name: str
    member_id: int
    member_name: str
    window: Window
    items: tuple[RecapItem, ...]
    waiting_for_you: tuple[MessageRef, ...]
    questions_you_could_answer: tuple[MessageRef, ...]
    counts: RecapCounts
    labels: Labels


@dataclass(frozen=True, slots=True)
class ThreadRef:
    """A thread or forum post started in the window."""

    guild_id: int
    channel_id: int
    name: str
    where: str
    created_at: dt.datetime
    messages: int

    @property
    def url(self) -> str:
        """Jump link to the thread."""
        return jump_url(self.guild_id, self.channel_id)


@dataclass(frozen=True, slots=True)
class MemberRef:
    """Someone who joined in the window."""

    user_id: int
    name: str
    joined_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Activity:
    """Counts for the digest's one-line summary."""

    messages: int
    members: int
    channels: int
    busiest: str | None

    @property
    def line(self) -> str:
        """'312 messages from 9 members in 5 channels; busiest: #general'."""
        text = (
            f"{self.messages} message{'' if self.messages == 1 else 's'} from {self.members} "
            f"member{'' if self.members == 1 else 's'} in {self.channels} "
            f"channel{'' if self.channels == 1 else 's'}"
        )
        return f"{text}; busiest: #{self.busiest}" if self.busiest else text


@dataclass(frozen=True, slots=True)
class Digest:
    """The circle's digest: what everyone who can read the digest channel may see."""

    guild_id: int
    guild_name: str
    window: Window
    channel_id: int | None
    items: tuple[RecapItem, ...]
    new_threads: tuple[ThreadRef, ...]
    joined: tuple[MemberRef, ...]
    unanswered: tuple[MessageRef, ...]
    activity: Activity
    labels: Labels
    note: str = ""  # e.g. "late: Hearth was offline on Monday"


def labels_for(facts: GuildFacts, visible: Collection[int]) -> Labels:
    """Names for a reader who can see ``visible`` channels."""
    return Labels(
        users={u: m.label for u, m in facts.members.items()},
        roles=dict(facts.role_names),
        channels={c: ch.name for c, ch in facts.channels.items()},
        visible=frozenset(visible),
    )


def top_level(facts: GuildFacts, channel_id: int) -> int:
    """The channel a thread lives in, or the channel itself."""
    channel = facts.channels.get(channel_id)
    if channel is not None and channel.is_thread and channel.parent_id is not None:
        return channel.parent_id
    return channel_id


def where(facts: GuildFacts, channel_id: int) -> str:
    """'#general', or '#general › thread name' for a thread or forum post."""
    channel = facts.channels.get(channel_id)
    if channel is None:
        return "#unknown-channel"
    if channel.is_thread and channel.parent_id is not None:
        parent = facts.channels.get(channel.parent_id)
        return f"#{parent.name if parent else 'unknown-channel'} › {channel.name}"
    return f"#{channel.name}"


def message_ref(facts: GuildFacts, message: MessageRecord, names: Mapping[int, str]) -> MessageRef:
    """A quoted message."""
    text = " ".join(message.content.split())
    if len(text) > EXCERPT:
        text = text[: EXCERPT - 1].rstrip() + "…"
    return MessageRef(
        guild_id=message.guild_id,
        channel_id=message.channel_id,
        message_id=message.id,
        author_id=message.author_id,
        author_name=names.get(message.author_id, "unknown member"),
        where=where(facts, message.channel_id),
        text=text,
        created_at=message.created_at,
    )


def recap_item(
    facts: GuildFacts,
    index: WindowIndex,
    ranked: Ranked,
    summary: Summary,
    names: Mapping[int, str],
) -> RecapItem:
    """A ranked conversation with its summary."""
    info = index.convs[ranked.conv]
    seg = info.segment
    people = sorted(info.counts, key=lambda u: (-info.counts[u], u))
    return RecapItem(
        key=seg.key,
        guild_id=seg.conversation.guild_id,
        channel_id=seg.channel_id,
        where=where(facts, seg.channel_id),
        is_thread=seg.conversation.is_thread,
        first_message_id=seg.messages[0].id,
        messages=len(seg.messages),
        participants=tuple(names.get(u, "unknown member") for u in people[:5]),
        last_at=info.last,
        summary=summary,
        reasons=ranked.reasons,
        score=ranked.score,
    )


def _refs(
    facts: GuildFacts, pending: tuple[Pending, ...], names: Mapping[int, str]
) -> tuple[MessageRef, ...]:
    return tuple(message_ref(facts, p.message, names) for p in pending)


def compose_recap(
    facts: GuildFacts,
    index: WindowIndex,
    plan: MemberPlan,
    summaries: Mapping[str, Summary],
    *,
    readable: frozenset[int],
    window: Window,
    names: Mapping[int, str],
    conversations_by_channel: Mapping[int, int],
    labels: Labels | None = None,
) -> MemberRecap:
    """One member's recap from their plan and the shared summaries.

    ``labels`` (from :func:`labels_for`) can be shared by every recap of a run: its
    ``visible`` set is replaced by ``readable`` here.
    """
    items = tuple(
        recap_item(facts, index, r, summaries[index.convs[r.conv].segment.key], names)
        for r in plan.items
    )
    active = [c for c in index.channel_messages if c in readable]
    counts = RecapCounts(
        messages=sum(index.channel_messages[c] for c in active),
        conversations=sum(conversations_by_channel.get(c, 0) for c in active),
        channels=len({top_level(facts, c) for c in active}),
        waiting=len(plan.waiting),
        questions=len(plan.questions),
    )
    member = facts.members.get(plan.member_id)
    return MemberRecap(
        guild_id=facts.guild_id,
        guild_name=facts.guild_name,
        member_id=plan.member_id,
        member_name=member.label if member else "unknown member",
        window=window,
        items=items,
        waiting_for_you=_refs(facts, plan.waiting, names),
        questions_you_could_answer=_refs(facts, plan.questions, names),
        counts=counts,
        labels=(
            labels_for(facts, readable)
            if labels is None
            else dataclasses.replace(labels, visible=readable)
        ),
    )


def _created(channel_id: int, created_at: dt.datetime | None) -> dt.datetime:
    return created_at or from_ms(snowflake_time_ms(channel_id))


def compose_digest(
    facts: GuildFacts,
    index: WindowIndex,
    ranked: list[Ranked],
    unanswered: list[Pending],
    summaries: Mapping[str, Summary],
    *,
    channels: frozenset[int],
    window: Window,
    channel_id: int | None,
    names: Mapping[int, str],
) -> Digest:
    """The circle's digest over ``channels`` (already restricted to the digest's audience)."""
    items = tuple(
        recap_item(facts, index, r, summaries[index.convs[r.conv].segment.key], names)
        for r in ranked
    )
    threads = sorted(
        (
            ThreadRef(
                guild_id=facts.guild_id,
                channel_id=c.id,
                name=c.name or "(untitled thread)",
                where=where(facts, c.parent_id) if c.parent_id else "#unknown-channel",
                created_at=_created(c.id, c.created_at),
                messages=index.channel_messages.get(c.id, 0),
            )
            for c in facts.channels.values()
            if c.kind in THREAD_KINDS
            and c.id in channels
            and (c.name or index.channel_messages.get(c.id))  # not a bare marker of an export
            and window.since <= _created(c.id, c.created_at) < window.until
        ),
        key=lambda t: (t.created_at, t.channel_id),
    )
    joined = sorted(
        (
            MemberRef(m.user_id, m.label, m.joined_at)
            for m in facts.members.values()
            if m.joined_at is not None
            and window.since <= m.joined_at < window.until
            and m.left_at is None
            and not m.is_bot
        ),
        key=lambda j: (j.joined_at, j.user_id),
    )
    per_top: dict[int, int] = {}
    authors: set[int] = set()
    for c, count in index.channel_messages.items():
        if c in channels:
            top = top_level(facts, c)
            per_top[top] = per_top.get(top, 0) + count
            authors.update(index.channel_authors.get(c, ()))
    busiest = max(per_top, key=lambda c: (per_top[c], -c), default=-1)
    activity = Activity(
        messages=sum(per_top.values()),
        members=len(authors),
        channels=len(per_top),
        busiest=facts.channels[busiest].name if busiest in facts.channels else None,
    )
    return Digest(
        guild_id=facts.guild_id,
        guild_name=facts.guild_name,
        window=window,
        channel_id=channel_id,
        items=items,
        new_threads=tuple(threads),
        joined=tuple(joined),
        unanswered=tuple(message_ref(facts, p.message, names) for p in unanswered),
        activity=activity,
        labels=labels_for(facts, channels),
    )
