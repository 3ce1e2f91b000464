"""Per-window facts about conversations, computed once and shared by every member.

Ranking must cost O(conversations + members + messages), so everything a member's ranking
needs is precomputed here in one pass over the messages: who took part, whom replies and
mentions address, who reacted, content words, unanswered questions, and inverted indexes from
people, roles and words to conversations. A member's ranking then touches only conversations
related to them plus a short global list.

Unanswered questions. A message q whose text ``is_question`` is *answered* when a later message
m of the same conversation, by someone other than q's author, either

1. replies to q, or
2. replies to another message of q's author, or mentions q's author, or
3. is not a reply, mentions nobody, comes within ``ANSWER_WINDOW`` of q, and q is the latest
   still-open question of someone else at that point (an answer to the room).

A question none of these applies to by the end of the window is unanswered. Rule 3 errs
towards "answered": nagging people about a question that was answered is worse than missing one.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.models import MessageRecord
from bot.recap.segment import Segment
from bot.recap.text import is_question, tokens

ANSWER_WINDOW = dt.timedelta(minutes=30)
MAX_PAIR_PARTICIPANTS = 12  # co-participation counts only in conversations this small
_OPEN_QUESTIONS = 20  # pending questions tracked per conversation


@dataclass(slots=True)
class ConvInfo:
    """What one conversation means to whom."""

    index: int
    segment: Segment
    counts: dict[int, int] = field(default_factory=dict)  # author -> messages
    last_by: dict[int, dt.datetime] = field(default_factory=dict)  # author -> last message
    replied: dict[int, list[int]] = field(default_factory=dict)  # user -> repliers
    answered: set[int] = field(default_factory=set)  # users whose question got a reply
    mentioned: dict[int, list[int]] = field(default_factory=dict)  # user -> mentioners
    roles: set[int] = field(default_factory=set)
    everyone: bool = False
    reactors: set[int] = field(default_factory=set)
    reactions: int = 0
    words: frozenset[str] = frozenset()
    questions: tuple[MessageRecord, ...] = ()  # unanswered
    liveliness: float = 0.0  # 0..1 within the window

    @property
    def channel_id(self) -> int:
        """Where the conversation was posted."""
        return self.segment.channel_id

    @property
    def first(self) -> dt.datetime:
        """Time of the first message."""
        return self.segment.messages[0].created_at

    @property
    def last(self) -> dt.datetime:
        """Time of the last message."""
        return self.segment.messages[-1].created_at


def unanswered(messages: Sequence[MessageRecord]) -> list[MessageRecord]:
    """Questions of one conversation (time order) that nobody answered; see module doc."""
    pending: list[MessageRecord] = []
    author_of = {m.id: m.author_id for m in messages}
    for message in messages:
        if pending:
            parent_author = author_of.get(message.reply_to_id or 0)
            mentioned = {x.target_id for x in message.mentions if x.target_type == "user"}
            keep: list[MessageRecord] = []
            for q in pending:
                other = q.author_id != message.author_id
                answers = other and (
                    message.reply_to_id == q.id
                    or parent_author == q.author_id
                    or q.author_id in mentioned
                )
                if answers:
                    continue
                keep.append(q)
            if message.reply_to_id is None and not mentioned:
                floor = [q for q in keep if q.author_id != message.author_id]
                if floor and message.created_at - floor[-1].created_at <= ANSWER_WINDOW:
                    keep.remove(floor[-1])
            pending = keep
        if is_question(message.content):
            pending.append(message)
            del pending[:-_OPEN_QUESTIONS]
    return pending


def _liveliness(info: ConvInfo) -> float:
    people = len(info.counts)
    return (
        math.log1p(len(info.segment.messages))
        + 1.5 * math.log1p(max(people - 1, 0))
        + 0.5 * math.log1p(info.reactions)
    )


@dataclass(slots=True)
class WindowIndex:
    """Conversations of a window with inverted indexes; built once by :func:`build_index`."""

    since: dt.datetime
    until: dt.datetime
    convs: list[ConvInfo]
    by_key: dict[str, int]
    related: dict[int, set[int]]  # user -> conversations that involve them directly
    by_participant: dict[int, list[int]]  # most lively first
    by_role: dict[int, list[int]]
    everyone: list[int]  # most lively first
    by_word: dict[str, list[int]]  # most lively first
    order: list[int]  # every conversation, most lively first
    waiting: dict[int, list[tuple[int, MessageRecord]]]  # user -> (conv, message to them)
    reacted: set[tuple[int, int]]  # (message id, user id)
    questions_by_word: dict[str, list[tuple[int, MessageRecord]]]
    questions_by_author: dict[int, list[tuple[int, MessageRecord]]]
    user_words: dict[int, Counter[str]]  # author -> word -> messages using it
    doc_freq: Counter[str]  # word -> conversations using it
    # user -> user -> channel -> interaction weight: a member counts only the channels they read
    pairs: dict[int, dict[int, dict[int, float]]]
    channel_messages: Counter[int]
    channel_authors: dict[int, set[int]]

    def recency(self, info: ConvInfo) -> float:
        """0 for a conversation that ended at the window's start, 1 at its end."""
        span = (self.until - self.since).total_seconds() or 1.0
        return min(max((info.last - self.since).total_seconds() / span, 0.0), 1.0)


Pairs = dict[int, dict[int, dict[int, float]]]


def _add_pairs(pairs: Pairs, a: int, b: int, channel_id: int, weight: float) -> None:
    if a != b:
        mine = pairs.setdefault(a, {}).setdefault(b, {})
        theirs = pairs.setdefault(b, {}).setdefault(a, {})
        mine[channel_id] = mine.get(channel_id, 0.0) + weight
        theirs[channel_id] = theirs.get(channel_id, 0.0) + weight


def _scan(
    info: ConvInfo, author_of: Mapping[int, int], reactions: Mapping[int, Sequence[int]]
) -> tuple[list[tuple[int, MessageRecord]], list[tuple[int, int, float]]]:
    """Fill ``info`` from its messages; return messages addressed to people, and pairs."""
    addressed: list[tuple[int, MessageRecord]] = []
    pairs: list[tuple[int, int, float]] = []
    words: set[str] = set()
    questions = {m.id for m in info.segment.messages if is_question(m.content)}
    for m in info.segment.messages:
        info.counts[m.author_id] = info.counts.get(m.author_id, 0) + 1
        info.last_by[m.author_id] = m.created_at
        words.update(tokens(m.content))
        targets: set[int] = set()
        parent = author_of.get(m.reply_to_id or 0)
        if parent is not None and parent != m.author_id:
            info.replied.setdefault(parent, []).append(m.author_id)
            if m.reply_to_id in questions:
                info.answered.add(parent)
            targets.add(parent)
            pairs.append((m.author_id, parent, 2.0))
        for x in m.mentions:
            if x.target_type == "user" and x.target_id != m.author_id:
                info.mentioned.setdefault(x.target_id, []).append(m.author_id)
                targets.add(x.target_id)
                pairs.append((m.author_id, x.target_id, 1.5))
            elif x.target_type == "role":
                info.roles.add(x.target_id)
            elif x.target_type == "everyone":
                info.everyone = True
        for user in reactions.get(m.id, ()):
            info.reactors.add(user)
            info.reactions += 1
        addressed.extend((t, m) for t in targets)
    info.words = frozenset(words)
    info.questions = tuple(unanswered(info.segment.messages))
    people = list(info.counts)
    if 2 <= len(people) <= MAX_PAIR_PARTICIPANTS:
        pairs.extend((a, b, 1.0) for i, a in enumerate(people) for b in people[i + 1 :])
    return addressed, pairs


def build_index(
    segments: Sequence[Segment],
    since: dt.datetime,
    until: dt.datetime,
    *,
    reactions: Iterable[tuple[int, int]] = (),
    parent_authors: Mapping[int, int] | None = None,
    lookback: Iterable[tuple[int, int, int, int]] = (),
) -> WindowIndex:
    """Index a window's conversations.

    ``reactions`` are (message id, user id); ``parent_authors`` gives the authors of messages
    replied to from before the window; ``lookback`` adds (from, to, channel, count) interactions
    from a longer period to the "people you talk to often" weights. Every weight is kept per
    channel, so a member's circle counts only what happened where they can read.
    """
    by_message: dict[int, list[int]] = {}
    reacted: set[tuple[int, int]] = set()
    for message_id, user_id in reactions:
        by_message.setdefault(message_id, []).append(user_id)
        reacted.add((message_id, user_id))
    author_of: dict[int, int] = dict(parent_authors or {})
    for seg in segments:
        author_of.update((m.id, m.author_id) for m in seg.messages)
    convs = [ConvInfo(i, seg) for i, seg in enumerate(segments)]
    pairs: Pairs = {}
    related: dict[int, set[int]] = {}
    waiting: dict[int, list[tuple[int, MessageRecord]]] = {}
    user_words: dict[int, Counter[str]] = {}
    doc_freq: Counter[str] = Counter()
    channel_messages: Counter[int] = Counter()
    channel_authors: dict[int, set[int]] = {}
    for info in convs:
        addressed, interactions = _scan(info, author_of, by_message)
        for a, b, weight in interactions:
            _add_pairs(pairs, a, b, info.channel_id, weight)
        for target, message in addressed:
            waiting.setdefault(target, []).append((info.index, message))
        for user in (*info.counts, *info.replied, *info.mentioned, *info.reactors):
            related.setdefault(user, set()).add(info.index)
        doc_freq.update(info.words)
        for m in info.segment.messages:
            user_words.setdefault(m.author_id, Counter()).update(set(tokens(m.content)))
        channel_messages[info.channel_id] += len(info.segment.messages)
        channel_authors.setdefault(info.channel_id, set()).update(info.counts)
    for a, b, channel_id, count in lookback:
        _add_pairs(pairs, a, b, channel_id, float(count))
    raw = [_liveliness(info) for info in convs]
    top = max(raw, default=0.0) or 1.0
    for info, value in zip(convs, raw, strict=True):
        info.liveliness = value / top
    order = sorted(range(len(convs)), key=lambda i: (-convs[i].liveliness, -i))
    by_participant: dict[int, list[int]] = {}
    by_role: dict[int, list[int]] = {}
    by_word: dict[str, list[int]] = {}
    everyone: list[int] = []
    questions_by_word: dict[str, list[tuple[int, MessageRecord]]] = {}
    questions_by_author: dict[int, list[tuple[int, MessageRecord]]] = {}
    for c in order:
        info = convs[c]
        for user in info.counts:
            by_participant.setdefault(user, []).append(c)
        for role in info.roles:
            by_role.setdefault(role, []).append(c)
        for word in info.words:
            by_word.setdefault(word, []).append(c)
        if info.everyone:
            everyone.append(c)
        for q in info.questions:
            questions_by_author.setdefault(q.author_id, []).append((c, q))
            for word in set(tokens(q.content)):
                questions_by_word.setdefault(word, []).append((c, q))
    return WindowIndex(
        since=since,
        until=until,
        convs=convs,
        by_key={info.segment.key: info.index for info in convs},
        related=related,
        by_participant=by_participant,
        by_role=by_role,
        everyone=everyone,
        by_word=by_word,
        order=order,
        waiting=waiting,
        reacted=reacted,
        questions_by_word=questions_by_word,
        questions_by_author=questions_by_author,
        user_words=user_words,
        doc_freq=doc_freq,
        pairs=pairs,
        channel_messages=channel_messages,
        channel_authors=channel_authors,
    )
