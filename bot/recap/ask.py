"""Ask the archive: the messages a member can read that answer a question, best first.

The word index (migration 0007) is filled by :func:`index_pending`, which runs the tokenizer
off the event loop in batches; triggers keep it in step with edits, deletes, forgetting and
retention. :func:`search` reads inside one snapshot: the guild's permissions, then the
newest matches among the channels the member can read (never another channel's: those
holding every word of the question, then those holding any), then ranks them.

Ranking, explainable and offline: the share of the question's words a message holds (1.0),
its bm25 rank among the matches (0.3), how recent it is (0.3, halving every 30 days), and
whether it is the member's own conversation (0.2: they wrote it, or it answers them).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import math
import re
from dataclasses import dataclass

from bot.db import Store
from bot.recap.compose import Labels, jump_url
from bot.recap.load import load_facts
from bot.recap.segment import UNKNOWN_AUTHOR
from bot.recap.summarize import grounded
from bot.recap.summarize.grounded import Chat
from bot.recap.summarize.prompt import InvalidOutputError
from bot.recap.text import excerpt, tokens
from bot.recap.visibility import readable_channels
from bot.timeutil import utcnow

log = logging.getLogger(__name__)

BATCH = 1000
CANDIDATES = 200
CATCH_UP = 5000  # indexed before a question; an older backlog is the scheduler's, minute by minute
W_COVER, W_RANK, W_RECENT, W_OWN = 1.0, 0.3, 0.3, 0.2
HALF_LIFE_DAYS = 30.0


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]{3,}")


def words_of(text: str) -> str:
    """What the index stores for a message: its distinct content words, space-separated. A
    Japanese compound (自家製味噌) also gives its runs of two characters or more (味噌,
    自家製…), so a question asking for a part finds the whole."""
    words: dict[str, None] = {}
    for word in tokens(text):
        words[word] = None
        if _CJK.fullmatch(word):
            for size in range(2, len(word)):
                for start in range(len(word) - size + 1):
                    words[word[start : start + size]] = None
    return " ".join(words)


def _words(texts: list[str]) -> list[str]:
    return [words_of(text) for text in texts]


async def index_pending(store: Store, *, limit: int | None = None) -> int:
    """Index queued messages, ``BATCH`` at a time (at most ``limit``); returns how many were
    taken. Safe beside the writer: a message edited meanwhile stays queued for the next run."""
    done = 0
    while limit is None or done < limit:
        size = BATCH if limit is None else min(BATCH, limit - done)
        rows = await store.search.pending(size)
        if not rows:
            break
        words = await asyncio.to_thread(_words, [content for _, content in rows])
        async with store.transaction():
            await store.search.store_words(
                [(mid, content, w) for (mid, content), w in zip(rows, words, strict=True)]
            )
        done += len(rows)
        if len(rows) < size:
            break
    if done:
        log.debug("indexed %d messages for search", done)
    return done


@dataclass(frozen=True, slots=True)
class Passage:
    """One message found for a question."""

    message_id: int
    channel_id: int
    author_id: int
    author_name: str
    created_at: dt.datetime
    text: str
    url: str
    score: float


@dataclass(frozen=True, slots=True)
class Answer:
    """What :func:`search` found: the question's words and the passages, best first."""

    question: str
    terms: tuple[str, ...]
    passages: tuple[Passage, ...]
    labels: Labels | None = None  # names for the markup in the passages (the asker's view)
    pending: int = 0  # messages not searchable yet (a backlog the indexer is working through)
    summary: str = ""  # the model's answer, sanitized; "" offline or when it cited nothing
    cited: tuple[int, ...] = ()  # the passages it cites, by message id, as validated


async def search(
    store: Store,
    guild_id: int,
    member_id: int,
    question: str,
    *,
    limit: int = 5,
    now: dt.datetime | None = None,
    catch_up: int = CATCH_UP,
    model: Chat | None = None,
) -> Answer:
    """The ``limit`` best messages for ``question`` among those ``member_id`` can read; with
    a ``model``, also its short answer from those passages alone, citing them."""
    terms = tuple(dict.fromkeys(tokens(question)))
    if not terms:
        return Answer(question, terms, ())
    await index_pending(store, limit=catch_up)
    pending = await store.search.pending_count()
    now = now or utcnow()
    async with store.read() as db:
        facts = await load_facts(db, guild_id)
        readable = readable_channels(facts, member_id)
        bots = {u for u, m in facts.members.items() if m.is_bot}
        hits = [
            h
            for h in await db.search.find(guild_id, readable, terms, limit=CANDIDATES)
            if h.author_id not in bots
        ]
        parents = {h.reply_to_id for h in hits if h.reply_to_id is not None}
        answered = await db.recap.authors(parents) if parents else {}
    wanted = set(terms)
    scored = []
    by_bm25 = {h.message_id: k for k, h in enumerate(sorted(hits, key=lambda h: h.rank))}
    for hit in hits:
        cover = len(wanted & hit.words) / len(wanted)
        rank = 1.0 - by_bm25[hit.message_id] / max(len(hits), 1)
        age = max(0.0, (now - hit.created_at).total_seconds()) / 86400
        recent = math.pow(0.5, age / HALF_LIFE_DAYS)
        own = hit.author_id == member_id or answered.get(hit.reply_to_id or 0) == member_id
        score = W_COVER * cover + W_RANK * rank + W_RECENT * recent + W_OWN * own
        scored.append((score, hit))
    scored.sort(key=lambda pair: (-pair[0], -pair[1].created_at.timestamp()))
    names = {u: m.label for u, m in facts.members.items()}
    labels = Labels(
        users=names,
        roles=dict(facts.role_names),
        channels={c.id: c.name for c in facts.channels.values()},
        visible=readable,
    )
    passages = tuple(
        Passage(
            message_id=hit.message_id,
            channel_id=hit.channel_id,
            author_id=hit.author_id,
            author_name=names.get(hit.author_id, UNKNOWN_AUTHOR),
            created_at=hit.created_at,
            text=excerpt(hit.content, 300),
            url=jump_url(guild_id, hit.channel_id, hit.message_id),
            score=round(score, 4),
        )
        for score, hit in scored[:limit]
    )
    answer = Answer(question, terms, passages, labels, pending)
    if model is None or not passages:
        return answer
    return await _grounded(model, guild_id, answer, names)


async def _grounded(model: Chat, guild_id: int, answer: Answer, names: dict[int, str]) -> Answer:
    """``answer`` with the model's summary of its passages, if it cites at least one."""
    shown = [(p.author_name, f"{p.created_at:%Y-%m-%d}", p.text) for p in answer.passages]
    reply = await model.chat(guild_id, grounded.messages(answer.question, shown, names))
    try:
        text, refs = grounded.parse(reply, len(shown), names=names)
    except InvalidOutputError as exc:
        log.info("ignoring the model's answer to a question: %s", exc)
        return answer
    if not refs or not text:  # an answer from nowhere is not shown
        return answer
    cited = tuple(answer.passages[n - 1].message_id for n in refs)
    return dataclasses.replace(answer, summary=text, cited=cited)
