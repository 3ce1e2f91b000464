"""Rank conversations for one member, with the reasons why they matter to them.

Works on a :class:`~bot.recap.index.WindowIndex` built once per window. For each member only
the conversations related to them are touched (took part, replied to, mentioned, reacted,
their roles, their circle, their interests) plus a short global list of the liveliest, so the
cost over all members is O(conversations + members + messages), never a product.

A member's *circle* is the people they talk with: replies and mentions either way and shared
small conversations in the window, plus replies and mentions over a longer lookback. Their
*interests* are declared (``member_interests``) or inferred from the distinctive content words
of their own messages (TF-IDF against the window's conversations).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.models import MessageRecord
from bot.recap.index import ConvInfo, WindowIndex
from bot.recap.text import tokens


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a conversation is in someone's recap: a stable code and a sentence for people."""

    code: str  # took_part, answered, replied, mentioned, role, everyone, reacted, circle,
    # topic, lively, new
    text: str
    weight: float


@dataclass(frozen=True, slots=True)
class Interest:
    """A topic a member cares about, as the content words that must all occur."""

    label: str
    words: frozenset[str]
    declared: bool


@dataclass(frozen=True, slots=True)
class RankConfig:
    """How many of each thing, and how far to look."""

    items: int = 5
    waiting: int = 5
    questions: int = 3
    circle: int = 8
    inferred_interests: int = 5
    global_top: int = 30
    per_source: int = 30  # conversations taken per circle member, role, interest, @everyone


DEFAULT_CONFIG = RankConfig()


@dataclass(frozen=True, slots=True)
class Ranked:
    """A conversation chosen for someone, by index in the window."""

    conv: int
    score: float
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class Pending:
    """A message for someone: addressed to them, or a question they could answer."""

    conv: int
    message: MessageRecord


@dataclass(frozen=True, slots=True)
class MemberPlan:
    """What to show one member, before summaries."""

    member_id: int
    items: tuple[Ranked, ...]
    waiting: tuple[Pending, ...]
    questions: tuple[Pending, ...]
    interests: tuple[Interest, ...]
    circle: tuple[int, ...]


def interest_from_text(label: str, *, declared: bool = True) -> Interest | None:
    """A declared topic as content words (None if it has none, e.g. only stopwords)."""
    words = frozenset(tokens(label))
    return Interest(label, words, declared) if words else None


def inferred_interests(index: WindowIndex, member_id: int, top: int) -> list[Interest]:
    """The member's most distinctive words this window (used at least twice, in at least two
    conversations and in at most half of them), by TF-IDF."""
    used = index.user_words.get(member_id)
    if not used or top <= 0:
        return []
    total = len(index.convs)
    ceiling = max(2, total // 2)
    scored = [
        (count * math.log((total + 1) / (index.doc_freq[word] + 1)), word)
        for word, count in used.items()
        if count >= 2 and 2 <= index.doc_freq[word] <= ceiling
    ]
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [Interest(word, frozenset({word}), False) for _, word in scored[:top]]


def circle_of(
    index: WindowIndex, member_id: int, size: int, readable: Collection[int]
) -> list[int]:
    """The people the member talks with most (weight at least 2), closest first, counting only
    replies, mentions and conversations in channels the member can read."""
    weights = {
        u: sum(w for channel, w in by_channel.items() if channel in readable)
        for u, by_channel in index.pairs.get(member_id, {}).items()
    }
    ranked = sorted(
        ((w, u) for u, w in weights.items() if w >= 2.0 and u != member_id),
        key=lambda p: (-p[0], p[1]),
    )
    return [u for _, u in ranked[:size]]


def _names(ids: Iterable[int], names: Mapping[int, str], limit: int = 3) -> str:
    unique = list(dict.fromkeys(ids))
    shown = [names.get(u, "someone") for u in unique[:limit]]
    extra = len(unique) - len(shown)
    text = ", ".join(shown)
    return f"{text} and {extra} more" if extra > 0 else text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def lively_reason(info: ConvInfo) -> Reason:
    """'lively: 40 messages from 8 people' (weight grows with liveliness)."""
    people = len(info.counts)
    text = (
        f"lively: {_plural(len(info.segment.messages), 'message')} from {people} "
        f"{'person' if people == 1 else 'people'}"
    )
    if info.reactions:
        text += f", {_plural(info.reactions, 'reaction')}"
    return Reason("lively", text, 1.5 * info.liveliness)


def score_conversation(
    index: WindowIndex,
    info: ConvInfo,
    member_id: int,
    *,
    roles: Collection[int],
    role_names: Mapping[int, str],
    names: Mapping[int, str],
    circle: Sequence[int],
    interests: Sequence[Interest],
    last_seen: dt.datetime | None,
) -> Ranked | None:
    """Score one conversation for a member; None when it means nothing to them."""
    reasons: list[Reason] = []
    own = info.counts.get(member_id, 0)
    others = len(info.counts) - (1 if own else 0)
    if own:
        weight = 2.0 + 0.3 * math.sqrt(min(own, 16))
        reasons.append(Reason("took_part", f"you took part ({_plural(own, 'message')})", weight))
    repliers = info.replied.get(member_id)
    if repliers and member_id in info.answered:
        text = f"{_names(repliers, names)} replied to your question"
        reasons.append(Reason("answered", text, 5.0))
    elif repliers:
        reasons.append(Reason("replied", f"{_names(repliers, names)} replied to you", 4.0))
    mentioners = info.mentioned.get(member_id)
    if mentioners:
        reasons.append(Reason("mentioned", f"{_names(mentioners, names)} mentioned you", 4.0))
    held = [r for r in roles if r in info.roles]
    if held:
        labels = ", ".join(f"@{role_names.get(r, 'role')}" for r in held[:3])
        reasons.append(Reason("role", f"{labels} was mentioned", 2.5))
    if info.everyone:
        reasons.append(Reason("everyone", "an announcement for everyone", 1.0))
    if member_id in info.reactors:
        reasons.append(Reason("reacted", "you reacted", 1.0))
    friends = [u for u in circle if u in info.counts and u != member_id]
    if friends:
        weight = 1.0 + 0.5 * min(len(friends), 3)
        text = f"with {_names(friends, names)}, people you talk with often"
        reasons.append(Reason("circle", text, weight))
    topics = [i for i in interests if i.words <= info.words]
    for interest in topics[:2]:
        reasons.append(
            Reason("topic", f"about {interest.label}", 2.0 if interest.declared else 1.5)
        )
    if own and others == 0 and len(reasons) == 1 and not info.reactors - {member_id}:
        return None  # talking to oneself is not news
    personal = bool(reasons)
    lively = lively_reason(info)
    if info.liveliness >= 0.5 or not personal:
        reasons.append(lively)
    if last_seen is not None and info.last > last_seen:
        reasons.append(Reason("new", "new since you were last here", 0.75))
    score = sum(r.weight for r in reasons) + 0.5 * index.recency(info)
    if lively not in reasons:
        score += lively.weight
    if not personal and info.liveliness < 0.5:
        return None
    reasons.sort(key=lambda r: -r.weight)
    return Ranked(info.index, score, tuple(reasons))


def _candidates(
    index: WindowIndex,
    member_id: int,
    roles: Collection[int],
    circle: Sequence[int],
    interests: Sequence[Interest],
    cfg: RankConfig,
) -> set[int]:
    found = set(index.related.get(member_id, ()))
    k = cfg.per_source
    for role in roles:
        found.update(index.by_role.get(role, ())[:k])
    found.update(index.everyone[:k])
    for person in circle:
        found.update(index.by_participant.get(person, ())[:k])
    for interest in interests:
        rarest = min(interest.words, key=lambda w: index.doc_freq.get(w, 0))
        found.update(index.by_word.get(rarest, ())[:k])
    found.update(index.order[: cfg.global_top])
    return found


def plan_member(
    index: WindowIndex,
    member_id: int,
    *,
    readable: Collection[int],
    roles: Collection[int] = (),
    role_names: Mapping[int, str] | None = None,
    names: Mapping[int, str] | None = None,
    declared: Sequence[Interest] = (),
    last_seen: dt.datetime | None = None,
    config: RankConfig = DEFAULT_CONFIG,
) -> MemberPlan:
    """Rank the conversations the member can read; find what waits for them."""
    names = names or {}
    circle = circle_of(index, member_id, config.circle, readable)
    interests = list(declared)
    known = {i.words for i in interests}
    for interest in inferred_interests(index, member_id, config.inferred_interests):
        if interest.words not in known:
            interests.append(interest)
    ranked: list[Ranked] = []
    for c in _candidates(index, member_id, roles, circle, interests, config):
        info = index.convs[c]
        if info.channel_id not in readable:
            continue
        item = score_conversation(
            index,
            info,
            member_id,
            roles=roles,
            role_names=role_names or {},
            names=names,
            circle=circle,
            interests=interests,
            last_seen=last_seen,
        )
        if item is not None:
            ranked.append(item)
    ranked.sort(key=lambda r: (-r.score, r.conv))
    waiting = waiting_for(index, member_id, readable, config.waiting)
    skip = {p.message.id for p in waiting}
    questions = [
        p
        for p in answerable(index, member_id, readable, circle, interests, config.questions * 3)
        if p.message.id not in skip
    ][: config.questions]
    return MemberPlan(
        member_id=member_id,
        items=tuple(ranked[: config.items]),
        waiting=tuple(waiting),
        questions=tuple(questions),
        interests=tuple(interests),
        circle=tuple(circle),
    )


def waiting_for(
    index: WindowIndex, member_id: int, readable: Collection[int], limit: int
) -> list[Pending]:
    """Replies and mentions addressed to the member that they have not answered.

    Answered means: the member posted later in the same conversation, or reacted to it.
    Newest first.
    """
    found: list[Pending] = []
    for c, message in index.waiting.get(member_id, ()):
        info = index.convs[c]
        if info.channel_id not in readable:
            continue
        later = info.last_by.get(member_id)
        if later is not None and later > message.created_at:
            continue
        if (message.id, member_id) in index.reacted:
            continue
        found.append(Pending(c, message))
    found.sort(key=lambda p: (p.message.created_at, p.message.id), reverse=True)
    return found[:limit]


def answerable(
    index: WindowIndex,
    member_id: int,
    readable: Collection[int],
    circle: Sequence[int],
    interests: Sequence[Interest],
    limit: int,
) -> list[Pending]:
    """Unanswered questions, by others, about the member's interests or from their circle."""
    scores: dict[int, tuple[float, int, MessageRecord]] = {}

    def add(c: int, q: MessageRecord, weight: float) -> None:
        if q.author_id == member_id or index.convs[c].channel_id not in readable:
            return
        later = index.convs[c].last_by.get(member_id)
        if later is not None and later > q.created_at:
            return  # they were there after it was asked
        old = scores.get(q.id)
        scores[q.id] = ((old[0] if old else 0.0) + weight, c, q)

    for interest in interests:
        rarest = min(interest.words, key=lambda w: index.doc_freq.get(w, 0))
        for c, q in index.questions_by_word.get(rarest, ())[:limit]:
            if interest.words <= frozenset(tokens(q.content)):
                add(c, q, 2.0 if interest.declared else 1.0)
    for rank, person in enumerate(circle):
        for c, q in index.questions_by_author.get(person, ())[:limit]:
            add(c, q, 1.5 - 0.1 * rank)
    best = sorted(scores.values(), key=lambda s: (-s[0], -s[2].created_at.timestamp()))
    return [Pending(c, q) for _, c, q in best[:limit]]


def plan_digest(index: WindowIndex, channels: Collection[int], limit: int = 5) -> list[Ranked]:
    """The liveliest recent conversations of the digest's channels."""
    ranked = []
    for info in index.convs:
        if info.channel_id not in channels or (len(info.counts) < 2 and not info.reactions):
            continue
        reason = lively_reason(info)
        score = 2.0 * info.liveliness + 0.5 * index.recency(info)
        ranked.append(Ranked(info.index, score, (reason,)))
    ranked.sort(key=lambda r: (-r.score, r.conv))
    return ranked[:limit]


def unanswered_in(index: WindowIndex, channels: Collection[int], limit: int = 5) -> list[Pending]:
    """Unanswered questions of the given channels, longest waiting first."""
    found = [
        Pending(info.index, q)
        for info in index.convs
        if info.channel_id in channels
        for q in info.questions
    ]
    found.sort(key=lambda p: (p.message.created_at, p.message.id))
    return found[:limit]
