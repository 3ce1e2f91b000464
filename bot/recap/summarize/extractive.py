"""Offline extractive summarizer: a readable title, key messages quoted as points.

The title is a meaningful thread name, else the question the conversation answered (its
sentence), else one or two key phrases ("Sourdough starter and hydration").

Every message gets an explainable salience score, a weighted sum of features in [0, 1]:

- centrality (0.3): content words it shares with the rest of the conversation, with a bonus
  for the conversation's top keywords, divided by sqrt(its word count) so length alone does
  not win;
- replies received from other members (0.3), saturating at 3;
- reactions (0.1), log-scaled, saturating at 10;
- questions that got an answer (1), and the answers to them (0.6), weighted 0.1;
- substance (0.1): content words, saturating at 12;
- the opening message (0.1), which usually states the topic.

Greetings and acknowledgements ("lol", "thanks!", "ありがとう") are multiplied by 0.2, one-word
messages by 0.5; file placeholders of chat exports (``<file_gif>``) are no words and are never
quoted. Ties go to the smaller message id. Near-duplicates of a chosen point are skipped; the
points quote more than one speaker when the conversation has them, and keep one from the last
third of a longer conversation (where it was settled) when a late message scores at least half
as well as the last pick (SAMSum validation, docs/benchmarks.md). Points keep conversation
order. Everything is a pure, deterministic function of
the lines, so the summary can be cached by content hash.
"""

from __future__ import annotations

import asyncio
import functools
import math
import re
from collections import Counter
from collections.abc import Sequence

from bot.recap.text import (
    detect_language,
    excerpt,
    is_question,
    ranked_terms,
    strip_markup,
    tokens,
)
from bot.recap.types import Conversation, KeyMessage, Line, Summary

__all__ = ["MODEL", "ExtractiveSummarizer", "summarize_lines"]

MODEL = "v3"  # bump whenever the output for the same input changes (it is in the cache key)
MAX_LINES = 1500  # lines considered in one conversation; beyond that, see _considered()
OPENING_LINES = 100  # always considered: the start of a long conversation
OFFLOAD_LINES = 400  # above this many lines, summarize in a worker thread
EXCERPT_CHARS = 200
ARC_SHARE = 0.5  # a late point replaces the last pick only with half its score or more
TITLE_CHARS = 80

W_CENTRAL, W_REPLIES, W_REACTIONS, W_QA, W_LENGTH, W_OPENING = 0.3, 0.3, 0.1, 0.1, 0.1, 0.1
_LOG11 = math.log1p(10)
_ACK = re.compile(
    r"^(?:(?:lol|lmao|haha\w*|ok(?:ay)?|kk?|yes|yeah|yep|yup|no|nope|sure|thanks?|thank you"
    r"|thx|ty|np|nice|cool|great|same|agreed|gm|gn|hi|hello|hey|bye|good (?:morning|night)"
    r"|welcome|congrats|wow|omg|\+1|w+|草|笑|了解|りょ|おけ|おはよう|こんにちは|こんばんは|おやすみ"
    r"|ありがとう|お疲れ|よろしく|はい|うん|いいね|おめでとう|なるほど|確かに)\S{0,8}[\s!.。！、,]*)+$",
    re.I,
)
# What chat exports put where a file was ("<file_gif>", "<file_photo>", "<link>"): nothing to
# quote, and no word of the conversation.
_PLACEHOLDER = re.compile(
    r"<(?:file|photo|picture|image|video|gif|sticker)(?:[_:][a-z0-9]+)?>|<link>", re.I
)
_SPACES = re.compile(r"[^\S\n]+")  # newlines stay: titles cut sentences at them
_GENERIC_NAMES = frozenset(
    {"general", "chat", "random", "off-topic", "offtopic", "lounge", "main", "discussion", "talk"}
    | {"misc", "thread", "new-thread", "chit-chat", "雑談", "一般", "全般", "雑談部屋"}
)


def _without_placeholders(content: str) -> str:
    """``content`` without file placeholders (``<file_gif>``), spaces closed up."""
    if "<" not in content:
        return content
    return _SPACES.sub(" ", _PLACEHOLDER.sub(" ", content)).strip()


def _considered(lines: Sequence[Line]) -> list[Line]:
    """At most MAX_LINES lines: the opening ones plus those with most replies and reactions.

    Cheap (no tokenizing), deterministic, and keeps conversation order.
    """
    if len(lines) <= MAX_LINES:
        return list(lines)
    replies = _replies(lines)
    rest = range(OPENING_LINES, len(lines))
    ranked = sorted(
        rest,
        key=lambda i: (
            -(3 * replies[lines[i].message_id] + lines[i].reactions),
            -min(len(lines[i].content), 400),
            lines[i].message_id,
        ),
    )
    keep = sorted([*range(OPENING_LINES), *ranked[: MAX_LINES - OPENING_LINES]])
    return [lines[i] for i in keep]


def _replies(lines: Sequence[Line]) -> Counter[int]:
    """Message id -> replies it received from other members (over all lines, not a sample)."""
    authors = {line.message_id: line.author_id for line in lines}
    return Counter(
        line.reply_to_id
        for line in lines
        if line.reply_to_id in authors and authors[line.reply_to_id] != line.author_id
    )


def _answers(lines: Sequence[Line], words: Sequence[list[str]]) -> list[float]:
    """A question/answer score per line: 1 for an answered question, 0.6 for an answer."""
    index = {line.message_id: i for i, line in enumerate(lines)}
    qa = [0.0] * len(lines)
    asked = [is_question(line.content) for line in lines]
    for i, line in enumerate(lines):
        j = index.get(line.reply_to_id) if line.reply_to_id is not None else None
        if j is None or j == i or lines[j].author_id == line.author_id:
            continue
        if asked[j] and words[i]:
            qa[j] = 1.0
            qa[i] = max(qa[i], 0.6)
    for j, line in enumerate(lines):
        if not asked[j] or qa[j]:
            continue
        for i in range(j + 1, min(j + 4, len(lines))):  # an answer in the next three lines
            if lines[i].author_id != line.author_id and len(words[i]) >= 2:
                qa[j] = 1.0
                qa[i] = max(qa[i], 0.6)
                break
    return qa


def _salience(
    lines: Sequence[Line],
    words: Sequence[list[str]],
    top_keys: set[str],
    replies: Counter[int],
    qa: Sequence[float],
) -> list[float]:
    """The weighted feature sum described in the module docstring, one score per line."""
    sets = [set(w) for w in words]
    df: Counter[str] = Counter()
    for s in sets:
        df.update(s)
    central = [
        sum(min(df[t] - 1, 5) + (t in top_keys) for t in s) / math.sqrt(len(s)) if s else 0.0
        for s in sets
    ]
    top_central = max(central, default=0.0) or 1.0
    scores: list[float] = []
    for i, line in enumerate(lines):
        n = len(sets[i])
        if n == 0:
            scores.append(0.0)
            continue
        score = (
            W_CENTRAL * central[i] / top_central
            + W_REPLIES * min(replies[line.message_id], 3) / 3
            + W_REACTIONS * min(math.log1p(max(line.reactions, 0)) / _LOG11, 1.0)
            + W_QA * qa[i]
            + W_LENGTH * min(len(words[i]), 12) / 12
            + (W_OPENING if i == 0 else 0.0)
        )
        if n <= 2 and _is_ack(line.content):
            score *= 0.2
        elif n == 1:
            score *= 0.5
        scores.append(score)
    return scores


def _is_ack(content: str) -> bool:
    """A greeting or acknowledgement: "lol", "thanks!!", "ok 👍", "ありがとうございます"."""
    clean = strip_markup(content)
    return len(clean) <= 40 and _ACK.match(clean) is not None


def _pick(
    lines: Sequence[Line],
    texts: Sequence[str],
    words: Sequence[list[str]],
    scores: Sequence[float],
    max_points: int,
) -> list[int]:
    """Indexes of the best lines, near-duplicates skipped, in conversation order; with two or
    more points, more than one speaker when the conversation has them, and with three, one
    from the last third of a conversation of six lines or more (where it was settled)."""
    if max_points <= 0:
        return []
    order = sorted(range(len(lines)), key=lambda i: (-scores[i], lines[i].message_id))
    best = scores[order[0]] if order else 0.0
    chosen: list[int] = []
    sets = [set(w) for w in words]

    def fresh(i: int, among: Sequence[int]) -> bool:
        return not any(len(sets[i] & sets[j]) >= 0.6 * len(sets[i] | sets[j]) for j in among)

    for i in order:
        if len(chosen) >= max_points or scores[i] <= 0 or scores[i] < 0.25 * best:
            break
        if fresh(i, chosen):
            chosen.append(i)
    if not chosen:  # no words anywhere: quote one message with anything (a link first, emoji)
        fallback = [i for i, text in enumerate(texts) if text.strip()]  # no placeholder
        fallback.sort(key=lambda i: ("://" not in texts[i], -lines[i].reactions, i))
        return fallback[:1]
    authors = {lines[i].author_id for i in chosen}
    if max_points >= 2 and len(authors) == 1:
        other = [i for i in order if scores[i] > 0 and lines[i].author_id not in authors]
        other = [i for i in other if fresh(i, chosen)]
        if other:
            chosen = [*chosen[: max_points - 1], other[0]]
    tail = len(lines) * 2 // 3
    if max_points >= 3 and len(lines) >= 6 and not any(i >= tail for i in chosen):
        keep = chosen[: max_points - 1]
        speakers = {lines[i].author_id for i in keep}
        late = [i for i in order if i >= tail and scores[i] > 0 and fresh(i, keep)]
        late = [i for i in late if len(speakers | {lines[i].author_id}) > 1]
        late = [i for i in late if scores[i] >= ARC_SHARE * scores[chosen[-1]]]
        if late:
            chosen = [*keep, late[0]]
    return sorted(chosen)


def _meaningful_name(name: str) -> bool:
    """A thread name that says what the thread is about (not "general", not empty)."""
    clean = strip_markup(name).strip(" #").lower()
    return bool(clean) and clean not in _GENERIC_NAMES and bool(tokens(clean))


_QUESTION_END = re.compile(r"[?？]")
_SENTENCE_START = re.compile(r"[.!。！?？]\s*|\n")
_SPOILER = re.compile(r"\|\|.*?\|\|", re.S)
_INLINE_CODE = re.compile(r"`([^`\n]{1,40})`")
_SPACE_BEFORE_MARK = re.compile(r"\s+(?=[?？!！.,。、])")


def _title_text(content: str) -> str:
    """A message as title text: spoilers left out (a title must not reveal them), short
    inline code kept as its text (``nginx``), markup gone, lines kept apart."""
    text = _INLINE_CODE.sub(r"\1", _SPOILER.sub(" ", _without_placeholders(content)))
    rows = (" ".join(strip_markup(row).split()) for row in text.splitlines())
    return "\n".join(_SPACE_BEFORE_MARK.sub("", row) for row in rows if row)


def _question(lines: Sequence[Line], words: Sequence[list[str]], qa: Sequence[float]) -> str:
    """The first answered question of the conversation (or its opening question) that names
    something (a question sentence of three content words or more), as that sentence (with
    what leads up to it when that is short); else ""."""
    for i, line in enumerate(lines):
        opener = i == 0 and is_question(line.content)
        if (qa[i] < 1.0 and not opener) or len(words[i]) < 3:
            continue
        text = _title_text(line.content)
        # each question mark ends a candidate, then the whole text (a question by its wording)
        ends = [m.end() for m in _QUESTION_END.finditer(text)] + [len(text)]
        for end in ends:
            starts = [m.end() for m in _SENTENCE_START.finditer(text, 0, max(end - 1, 0))]
            sentence = text[starts[-1] if starts else 0 : end].strip()
            if len(tokens(sentence)) < 3 and end <= TITLE_CHARS:  # "… five days. Any tips?"
                sentence = text[:end].strip()
            if len(tokens(sentence)) >= 3:
                return excerpt(sentence[:1].upper() + sentence[1:], TITLE_CHARS)
    return ""


def _title(
    name: str, terms: Sequence[tuple[str, str, float]], is_thread: bool, question: str = ""
) -> str:
    """A title a person would write: a meaningful thread name; else the question the
    conversation answered or opened with; else the one thing it named most ("Sourdough
    starter"); the name without markup, then "(no text)", if there is nothing else."""
    if is_thread and _meaningful_name(name):
        return excerpt(strip_markup(name), TITLE_CHARS)
    if question:
        return question
    if not terms:
        return excerpt(" ".join(strip_markup(name).split()), 60) or "(no text)"
    head = terms[0][1]
    return excerpt(head[:1].upper() + head[1:] if head == head.lower() else head, TITLE_CHARS)


def summarize_lines(
    lines: Sequence[Line],
    name: str,
    *,
    max_points: int = 3,
    language: str | None = None,
    is_thread: bool = True,
) -> Summary:
    """Summarize one conversation: a pure, deterministic, synchronous function.

    ``name`` is the thread or channel name; with ``is_thread`` a meaningful name leads the
    title. ``language`` is accepted for the Summarizer protocol, but quotes cannot be
    translated: ``Summary.language`` is always the conversation's detected language.
    """
    del language  # quotes stay in the language they were written in
    considered = _considered(lines)
    texts = [_without_placeholders(line.content) for line in considered]
    words = [tokens(text) for text in texts]
    terms = ranked_terms(texts)
    top_keys = {word for key, _, _ in terms[:5] for word in key.split()}
    qa = _answers(considered, words)
    scores = _salience(considered, words, top_keys, _replies(lines), qa)
    points = tuple(
        KeyMessage(
            message_id=considered[i].message_id,
            author_id=considered[i].author_id,
            author_name=considered[i].author_name,
            text=excerpt(texts[i], EXCERPT_CHARS),
        )
        for i in _pick(considered, texts, words, scores, max_points)
    )
    return Summary(
        title=_title(name, terms, is_thread, _question(considered, words, qa)),
        points=points,
        language=detect_language(texts),
        backend=ExtractiveSummarizer.name,
        model=MODEL,
    )


class ExtractiveSummarizer:
    """The offline Summarizer backend: no model, no network, safe to call concurrently."""

    name = "extractive"
    model = MODEL

    def __init__(self, *, max_points: int = 3) -> None:
        self.max_points = max_points

    async def summarize(
        self, conversation: Conversation, *, language: str | None = None
    ) -> Summary:
        """Summarize a conversation; long ones run in a worker thread to keep the loop free."""
        run = functools.partial(
            summarize_lines,
            conversation.lines,
            conversation.name,
            max_points=self.max_points,
            language=language,
            is_thread=conversation.is_thread,
        )
        if len(conversation.lines) > OFFLOAD_LINES:
            return await asyncio.to_thread(run)
        return run()
