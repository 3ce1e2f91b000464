"""Split a window of messages into conversations.

A thread or forum post is one conversation. A plain channel is disentangled online, one message
at a time (O(n × window) per channel): a reply joins the conversation of the message it
replies to, however old; any other message is linked by ``bot.recap.disentangle`` to the
earlier message it most likely answers (addressing, authors, time, shared words, weights
learned on the Ubuntu IRC disentanglement corpus), or starts a conversation. Candidates are the
last ``window`` messages within ``gap``.

Measured with ``bench/segmentation.py`` on IRC dev (DSTC8 scoring, figures in
docs/benchmarks.md): the hand-written rules this replaced scored 83.5 VI / 62.0 one-to-one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.models import ChannelRecord, MessageRecord
from bot.recap.disentangle import Linker, Weights
from bot.recap.text import tokens
from bot.recap.types import Conversation, Line

log = logging.getLogger(__name__)

UNKNOWN_AUTHOR = "unknown member"


@dataclass(frozen=True, slots=True)
class SegmentParams:
    """Knobs of the online segmenter."""

    gap: dt.timedelta = dt.timedelta(minutes=45)
    window: int = 50
    weights: Weights = field(default_factory=Weights)


DEFAULT_PARAMS = SegmentParams()


@dataclass(frozen=True, slots=True)
class Post:
    """The little the segmenter needs to know about a message."""

    id: int
    author_id: int
    created_at: dt.datetime
    reply_to_id: int | None = None
    mentions: tuple[int, ...] = ()
    words: frozenset[str] = frozenset()


def assign(posts: Iterable[Post], params: SegmentParams = DEFAULT_PARAMS) -> list[int]:
    """Conversation number (0, 1, …, in order of first message) for each post, in order.

    ``posts`` must be in time order and come from one channel.
    """
    linker = Linker(gap=params.gap, window=params.window, weights=params.weights)
    return [linker.add(post) for post in posts]


def to_post(message: MessageRecord) -> Post:
    """A stored message as the segmenter sees it (user mentions, content words)."""
    return Post(
        id=message.id,
        author_id=message.author_id,
        created_at=message.created_at,
        reply_to_id=message.reply_to_id,
        mentions=tuple(m.target_id for m in message.mentions if m.target_type == "user"),
        words=frozenset(tokens(message.content)),
    )


@dataclass(frozen=True, slots=True)
class Segment:
    """A conversation with the stored messages it was made of (same order as its lines)."""

    conversation: Conversation
    messages: tuple[MessageRecord, ...]

    @property
    def key(self) -> str:
        """The conversation's stable key."""
        return self.conversation.key

    @property
    def channel_id(self) -> int:
        """Where the conversation was posted (a thread's own id)."""
        return self.conversation.channel_id


def _build(
    messages: Sequence[MessageRecord],
    channel: ChannelRecord | None,
    names: Mapping[int, str],
    reactions: Mapping[int, int],
) -> Segment:
    first = messages[0]
    is_thread = channel is not None and channel.is_thread
    lines = tuple(
        Line(
            message_id=m.id,
            author_id=m.author_id,
            author_name=names.get(m.author_id, UNKNOWN_AUTHOR),
            content=m.content,
            created_at=m.created_at,
            reply_to_id=m.reply_to_id,
            reactions=reactions.get(m.id, 0),
        )
        for m in messages
    )
    conversation = Conversation(
        key=f"{first.channel_id}:{first.id}",
        guild_id=first.guild_id,
        channel_id=first.channel_id,
        parent_id=channel.parent_id if is_thread and channel is not None else None,
        name=channel.name if channel is not None else "",
        is_thread=is_thread,
        lines=lines,
    )
    return Segment(conversation, tuple(messages))


def segment(
    messages: Iterable[MessageRecord],
    channels: Mapping[int, ChannelRecord],
    names: Mapping[int, str],
    reactions: Mapping[int, int] | None = None,
    params: SegmentParams = DEFAULT_PARAMS,
) -> list[Segment]:
    """Conversations of a window, ordered by their first message.

    ``messages`` in time order; ``names`` maps author ids to display names; ``reactions``
    maps message ids to their reaction counts.
    """
    counts = reactions or {}
    by_channel: dict[int, list[MessageRecord]] = {}
    for message in messages:
        by_channel.setdefault(message.channel_id, []).append(message)
    found: list[Segment] = []
    for channel_id, posted in by_channel.items():
        channel = channels.get(channel_id)
        if channel is not None and channel.is_thread:
            found.append(_build(posted, channel, names, counts))
            continue
        groups: dict[int, list[MessageRecord]] = {}
        for message, label in zip(posted, assign(map(to_post, posted), params), strict=True):
            groups.setdefault(label, []).append(message)
        found.extend(_build(group, channel, names, counts) for group in groups.values())
    found.sort(key=lambda s: (s.messages[0].created_at, s.messages[0].id))
    log.debug("segmented %d channels into %d conversations", len(by_channel), len(found))
    return found
