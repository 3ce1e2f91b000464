"""Split a window of messages into conversations.

A thread or forum post is one conversation. A plain channel is disentangled online, one message
at a time, keeping a handful of open conversations (O(n) per channel). A message joins:

1. the conversation of the message it replies to (even one that had gone quiet);
2. else the open conversation where someone it mentions spoke most recently;
3. else the open conversation where its author spoke most recently;
4. else the open conversation sharing the most content words with it (at least
   ``min_overlap``, words of its last ``vocab_span`` of activity);
5. else, when it mentions nobody, the latest conversation if that has had one speaker so far
   and its last message is under ``quick_answer`` old (a quick answer to a lone opener);
6. else the most recent conversation, if that was active within ``join_recent``;
7. else it starts a new conversation.

A conversation closes after ``gap`` without messages, and at most ``max_open`` stay open. The
defaults were tuned with ``bench/segmentation.py`` on the hand-made sample and on one dev file
of the Ubuntu IRC disentanglement corpus (250 annotated messages): addressing (replies and
mentions) and author continuity carry almost all of the signal; attaching an unaddressed
newcomer to the latest conversation (``join_recent``) lowered one-to-one overlap from 80 to 60
on IRC, and a single shared word (``min_overlap`` 1) from 80 to 63, so rule 6 is off and rule 4
needs two shared words within five minutes. Rule 5 exists for Discord: two members trading
messages seconds apart without replies were two conversations, and a digest that drops
one-speaker conversations showed nothing; on IRC (minute timestamps, busy channel) it costs
2.4 points of one-to-one overlap on dev (61.9 to 59.5). Joining the only open conversation
snowballs (every message keeps it "recent") and collapsed both sets into one conversation, so
it is not a rule. The cost: on Discord, two people chatting minutes apart without replies or
mentions stay in two segments; Discord people reply a lot (43% of the messages in the shared
real export are replies).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.models import ChannelRecord, MessageRecord
from bot.recap.text import tokens
from bot.recap.types import Conversation, Line

log = logging.getLogger(__name__)

UNKNOWN_AUTHOR = "unknown member"


@dataclass(frozen=True, slots=True)
class SegmentParams:
    """Knobs of the online segmenter."""

    gap: dt.timedelta = dt.timedelta(minutes=45)
    join_recent: dt.timedelta = dt.timedelta(0)
    max_open: int = 6
    quick_answer: dt.timedelta = dt.timedelta(seconds=60)
    min_overlap: int = 2
    vocab_span: dt.timedelta = dt.timedelta(minutes=5)


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


class _Open:
    __slots__ = ("last", "speakers", "vocab")

    def __init__(self, at: dt.datetime) -> None:
        self.last = at
        self.speakers: dict[int, dt.datetime] = {}
        self.vocab: dict[str, dt.datetime] = {}


def _most_shared(
    states: Sequence[_Open], candidates: Sequence[int], post: Post, params: SegmentParams
) -> int | None:
    if not post.words:
        return None
    oldest = post.created_at - params.vocab_span
    best: tuple[int, dt.datetime, int] | None = None
    for index in candidates:
        vocab = states[index].vocab
        shared = sum(1 for w in post.words if vocab.get(w, oldest) > oldest)
        if shared >= params.min_overlap:
            rank = (shared, states[index].last, index)
            if best is None or rank > best:
                best = rank
    return None if best is None else best[2]


def _latest_with(
    states: Sequence[_Open], candidates: Iterable[int], people: Iterable[int]
) -> int | None:
    best: tuple[dt.datetime, int] | None = None
    for index in candidates:
        speakers = states[index].speakers
        for person in people:
            when = speakers.get(person)
            if when is not None and (best is None or when > best[0]):
                best = (when, index)
    return None if best is None else best[1]


def assign(posts: Iterable[Post], params: SegmentParams = DEFAULT_PARAMS) -> list[int]:
    """Conversation number (0, 1, …, in order of first message) for each post, in order.

    ``posts`` must be in time order and come from one channel.
    """
    labels: list[int] = []
    conv_of: dict[int, int] = {}
    states: list[_Open] = []
    open_: list[int] = []  # conversation numbers, least recently active first
    for post in posts:
        now = post.created_at
        open_ = [c for c in open_ if now - states[c].last <= params.gap]
        target = conv_of.get(post.reply_to_id) if post.reply_to_id is not None else None
        if target is None and post.mentions:
            others = [u for u in post.mentions if u != post.author_id]
            target = _latest_with(states, open_, others)
        if target is None:
            target = _latest_with(states, open_, (post.author_id,))
        if target is None:
            target = _most_shared(states, open_, post, params)
        if target is None and open_ and not post.mentions:
            latest = states[open_[-1]]
            if len(latest.speakers) == 1 and now - latest.last < params.quick_answer:
                target = open_[-1]
        if target is None and open_ and now - states[open_[-1]].last < params.join_recent:
            target = open_[-1]
        if target is None:
            target = len(states)
            states.append(_Open(now))
        state = states[target]
        state.last = max(state.last, now)
        state.speakers[post.author_id] = now
        for word in post.words:
            state.vocab[word] = now
        if target in open_:
            open_.remove(target)
        open_.append(target)
        if len(open_) > params.max_open:
            del open_[0]
        conv_of[post.id] = target
        labels.append(target)
    return labels


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
