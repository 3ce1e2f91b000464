"""Summary cache rows: the key a summary is cached under, its JSON form, and the fallback."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import sqlite3
from collections.abc import Sequence
from typing import Any

from bot.db import Store, explain
from bot.db.recap import CachedSummary
from bot.recap.markup import count
from bot.recap.types import Conversation, KeyMessage, Summary

log = logging.getLogger(__name__)


def cache_key(conversation: Conversation, backend: str, model: str, language: str) -> str:
    """sha256 over content hash, backend, model and language (separated, unambiguous)."""
    raw = "\x1f".join((conversation.content_hash, backend, model, language))
    return hashlib.sha256(raw.encode()).hexdigest()


def summary_to_json(summary: Summary) -> dict[str, Any]:
    """A summary as plain JSON values for the cache."""
    return dataclasses.asdict(summary)


def summary_from_json(payload: dict[str, Any]) -> Summary:
    """The inverse of :func:`summary_to_json` (raises on a malformed payload)."""
    return Summary(
        title=str(payload["title"]),
        points=tuple(KeyMessage(**p) for p in payload.get("points", ())),
        language=str(payload.get("language", "")),
        backend=str(payload["backend"]),
        model=str(payload.get("model", "")),
        bullets=tuple(str(b) for b in payload.get("bullets", ())),
        note=str(payload.get("note", "")),
    )


def fallback_summary(conversation: Conversation, note: str) -> Summary:
    """What to show when the summarizer failed: the opening message, marked as such."""
    first = conversation.lines[0]
    return Summary(
        title=conversation.name or "Conversation",
        points=(KeyMessage(first.message_id, first.author_id, first.author_name, first.content),),
        language="",
        backend="fallback",
        note=note,
    )


async def save_summaries(store: Store, rows: Sequence[CachedSummary]) -> None:
    """Store computed summaries. A cache: on a full, locked or read-only disk the recap
    stands without it, and the log says why."""
    if not rows:
        return
    try:
        async with store.transaction():
            await store.recap.put_summaries(rows)
    except sqlite3.OperationalError as exc:
        why = explain(exc, store.path)
        log.warning(
            "could not cache the summaries of %s: %s", count(len(rows), "conversation"), why
        )
