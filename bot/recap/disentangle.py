"""Which earlier message does a channel message answer? A small linear model, learned offline.

For each new message the linker scores every earlier message of the channel within ``window``
messages and ``gap`` time (a *candidate antecedent*) and the message itself (it starts a
conversation), and takes the best: a softmax over pair features, as in Elsner & Charniak's and
Kummerfeld et al.'s linear disentanglement models, small enough to read. A message whose reply
link points at a message already seen joins that message's conversation, however old (Discord
says so; no model needed), and so does an unaddressed message under a minute after someone
else's when that someone was the only one to speak in the five minutes before: on a quiet
Discord channel two people trading messages without pressing reply are one conversation. IRC's
busy channels taught the model the opposite (adjacency weighs against a link there), so this is
a rule, chosen on IRC train (docs/benchmarks.md).

Pair features (message m, candidate c), all from what Discord gives: whether m mentions c's
author, c mentions m's author, either mentions someone else, the same author, c is its author's
latest message, c is the message just before m (and m addresses nobody), distance in messages
and in minutes (log), shared content words, and m's author already in c's conversation. Self
features: a bias, m mentions someone, the silence before m and how busy the last five minutes
were (log), m's author is new in the window.

The weights below were learned by ``python -m bench.segmentation_train`` on the *train* split of
the Ubuntu IRC disentanglement corpus (153 files, 59,348 annotated messages from people; log-
likelihood of the annotated antecedents, AdaGrad, three passes), never on the dev split the
bench reports; ``window`` was chosen on train too. The biggest: addressing (m mentions c's
author, or c mentions m's), the same author, m's author already in the conversation;
mentioning someone else pushes a message away from c; a message that mentions someone rarely
starts a conversation.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

PAIR_FEATURES = (
    "same author",
    "mentions c's author",
    "mentions someone else",
    "c mentions m's author",
    "c mentions someone else",
    "c is its author's latest",
    "c is the message before",
    "c is the message before, m unaddressed",
    "log distance",
    "log minutes",
    "same author x log minutes",
    "shares a word",
    "shares two words",
    "shared words / 5",
    "m's author in c's conversation",
)
SELF_FEATURES = (
    "bias",
    "m mentions someone",
    "log minutes since the message before",
    "log messages in the last 5 minutes",
    "m's author new in the window",
)

# Learned by bench/segmentation_train.py (see the module doc); one weight per feature above.
PAIR_WEIGHTS = (
    3.301,
    2.611,
    -3.317,
    1.376,
    -0.908,
    0.845,
    -0.924,
    0.543,
    -1.346,
    -0.794,
    -0.327,
    1.216,
    0.329,
    1.546,
    2.299,
)
SELF_WEIGHTS = (0.254, -3.718, -0.071, 0.187, 1.803)

_BUSY = dt.timedelta(minutes=5)
_LONE = dt.timedelta(minutes=1)


class Message(Protocol):
    """What the linker reads of a message."""

    @property
    def id(self) -> int: ...
    @property
    def author_id(self) -> int: ...
    @property
    def created_at(self) -> dt.datetime: ...
    @property
    def reply_to_id(self) -> int | None: ...
    @property
    def mentions(self) -> tuple[int, ...]: ...
    @property
    def words(self) -> frozenset[str]: ...


@dataclass(frozen=True, slots=True)
class Weights:
    """One weight per feature, pair and self."""

    pair: Sequence[float] = PAIR_WEIGHTS
    alone: Sequence[float] = SELF_WEIGHTS


@dataclass(slots=True)
class Linker:
    """Online antecedent linking over one channel's messages, in time order."""

    gap: dt.timedelta = dt.timedelta(minutes=45)
    window: int = 50
    weights: Weights = field(default_factory=Weights)
    history: list[Message] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)  # conversation of each message in history
    speakers: list[set[int]] = field(default_factory=list)  # people of each conversation
    sizes: list[int] = field(default_factory=list)
    _position: dict[int, int] = field(default_factory=dict)  # message id -> history index
    _latest: dict[int, int] = field(default_factory=dict)  # author -> their latest index
    _stamps: list[float] = field(default_factory=list)  # POSIX time of each message

    def candidates(self, message: Message) -> range:
        """History indexes ``message`` may link to (oldest first); ``len(history)`` is itself."""
        end = len(self.history)
        start = max(0, end - self.window)
        oldest = message.created_at - self.gap
        while start < end and self.history[start].created_at < oldest:
            start += 1
        return range(start, end + 1)

    def features(self, message: Message, index: int) -> tuple[float, ...]:
        """Pair features of ``message`` and ``history[index]``, or its self features."""
        end = len(self.history)
        if index == end:
            return self._self_features(message, end)
        c = self.history[index]
        same = message.author_id == c.author_id
        at_c = c.author_id in message.mentions
        at_other = bool(message.mentions) and not at_c and not same
        c_at_m = message.author_id in c.mentions
        distance = end - index
        minutes = math.log1p(max(0.0, (message.created_at - c.created_at).total_seconds()) / 60)
        shared = len(message.words & c.words)
        conversation = self.labels[index]
        return (
            float(same),
            float(at_c),
            float(at_other),
            float(c_at_m),
            float(bool(c.mentions) and not c_at_m),
            float(self._latest.get(c.author_id) == index),
            float(distance == 1),
            float(distance == 1 and not message.mentions),
            math.log(distance),
            minutes,
            minutes if same else 0.0,
            float(shared >= 1),
            float(shared >= 2),
            min(shared, 5) / 5,
            float(not same and message.author_id in self.speakers[conversation]),
        )

    def _self_features(self, message: Message, end: int) -> tuple[float, ...]:
        start = max(0, end - self.window)
        if end == 0:
            return (1.0, float(bool(message.mentions)), 0.0, 0.0, 1.0)
        silence = max(0.0, (message.created_at - self.history[end - 1].created_at).total_seconds())
        busy, k = 0, end - 1
        while k >= start and message.created_at - self.history[k].created_at <= _BUSY:
            busy, k = busy + 1, k - 1
        seen = self._latest.get(message.author_id, -1) >= start
        return (
            1.0,
            float(bool(message.mentions)),
            math.log1p(silence / 60),
            math.log1p(busy),
            float(not seen),
        )

    def score(self, message: Message, index: int) -> float:
        """The linear score of linking ``message`` to ``history[index]`` (or to itself)."""
        weights = self.weights.alone if index == len(self.history) else self.weights.pair
        return sum(w * x for w, x in zip(weights, self.features(message, index), strict=True))

    def choose(self, message: Message) -> int:
        """The antecedent's history index (``len(history)``: a new conversation)."""
        parent = self._position.get(message.reply_to_id) if message.reply_to_id else None
        if parent is not None:
            return parent
        if self._answers_lone_opener(message):
            return len(self.history) - 1
        return self._best(message)

    def choose_slowly(self, message: Message) -> int:
        """:meth:`choose` by :meth:`score` itself (what tests check the fast path against)."""
        parent = self._position.get(message.reply_to_id) if message.reply_to_id else None
        if parent is not None:
            return parent
        if self._answers_lone_opener(message):
            return len(self.history) - 1
        best, best_score = len(self.history), -math.inf
        for index in self.candidates(message):
            value = self.score(message, index)
            if value > best_score:  # ties: the older candidate, then starting anew
                best, best_score = index, value
        return best

    def _best(self, message: Message) -> int:
        """The best candidate: :meth:`score` unrolled (a week of a busy channel is 10,000s of
        messages × ``window`` candidates, on the recap's critical path)."""
        (
            w_same, w_at, w_at_other, w_c_at, w_c_other, w_latest, w_before, w_before_quiet,
            w_distance, w_minutes, w_same_minutes, w_one, w_two, w_share, w_in,
        ) = self.weights.pair  # fmt: skip
        history, labels, speakers, latest = self.history, self.labels, self.speakers, self._latest
        end = len(history)
        author, mentions, words = message.author_id, message.mentions, message.words
        now = message.created_at.timestamp()
        stamps = self._stamps
        best, best_score = end, -math.inf
        for index in self.candidates(message)[:-1]:
            c = history[index]
            c_author = c.author_id
            same = author == c_author
            distance = end - index
            minutes = math.log1p(max(0.0, now - stamps[index]) / 60)
            value = w_distance * math.log(distance) + w_minutes * minutes
            if same:
                value += w_same + w_same_minutes * minutes
            elif author in speakers[labels[index]]:
                value += w_in
            if c_author in mentions:
                value += w_at
            elif mentions and not same:
                value += w_at_other
            if c.mentions:
                value += w_c_at if author in c.mentions else w_c_other
            if latest.get(c_author) == index:
                value += w_latest
            if distance == 1:
                value += w_before if mentions else w_before + w_before_quiet
            if words:
                shared = len(words & c.words)
                if shared:
                    value += w_one + w_share * min(shared, 5) / 5
                    if shared >= 2:
                        value += w_two
            if value > best_score:
                best, best_score = index, value
        return end if self.score(message, end) > best_score else best

    def _answers_lone_opener(self, message: Message) -> bool:
        """An unaddressed message under a minute after someone else's, when that someone is
        the only one who spoke in the five minutes before (a quiet Discord channel: two people
        trading messages without pressing reply)."""
        if message.mentions or not self.history:
            return False
        before = self.history[-1]
        if before.author_id == message.author_id or message.created_at - before.created_at >= _LONE:
            return False
        if len(self.speakers[self.labels[-1]]) != 1:
            return False
        for earlier in reversed(self.history):
            if message.created_at - earlier.created_at > _BUSY:
                break
            if earlier.author_id != before.author_id:
                return False
        return True

    def add(self, message: Message, antecedent: int | None = None) -> int:
        """Link ``message`` (to ``antecedent`` if given, else the best) and return its
        conversation number (0, 1, … in order of first message)."""
        end = len(self.history)
        index = self.choose(message) if antecedent is None else antecedent
        if index == end:
            label = len(self.speakers)
            self.speakers.append(set())
            self.sizes.append(0)
        else:
            label = self.labels[index]
        self.speakers[label].add(message.author_id)
        self.sizes[label] += 1
        self.history.append(message)
        self.labels.append(label)
        self._position[message.id] = end
        self._latest[message.author_id] = end
        self._stamps.append(message.created_at.timestamp())
        return label
