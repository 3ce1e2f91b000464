"""Records of the recap pipeline: conversations in, summaries out.

The pipeline is select -> segment -> rank -> summarize -> compose -> render. This module holds
the shapes that cross those steps, so that a summarizer backend (extractive or a chat model)
and the rest of the pipeline agree without importing each other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Line:
    """One message as a summarizer sees it."""

    message_id: int
    author_id: int
    author_name: str
    content: str
    created_at: dt.datetime
    reply_to_id: int | None = None
    reactions: int = 0


@dataclass(frozen=True, slots=True)
class Conversation:
    """A thread, a forum post, or a segment of a plain channel."""

    key: str  # stable: "<channel_id>:<first message id>"
    guild_id: int
    channel_id: int  # where it was posted (a thread's own id)
    parent_id: int | None  # the channel a thread lives in
    name: str  # thread name, or channel name for a segment
    is_thread: bool
    lines: tuple[Line, ...]

    @property
    def content_hash(self) -> str:
        """Changes whenever anything a summarizer reads changes.

        Messages added, edited or removed, but also a renamed thread or member, a reply link
        or a reaction count: a summary cached under this hash never shows stale names.
        """
        digest = hashlib.sha256(f"{self.name}\x1f{self.is_thread}\x1e".encode())
        for line in self.lines:
            digest.update(
                f"{line.message_id}\x1f{line.author_id}\x1f{line.author_name}\x1f"
                f"{line.reply_to_id}\x1f{line.reactions}\x1f{line.content}\x1e".encode()
            )
        return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class KeyMessage:
    """A message that carries the conversation, quoted in a summary (plain, unescaped text)."""

    message_id: int
    author_id: int
    author_name: str
    text: str


@dataclass(frozen=True, slots=True)
class Summary:
    """What a conversation was about. Shared by every member; cached by content hash."""

    title: str
    points: tuple[KeyMessage, ...]
    language: str  # BCP 47-ish code of the conversation ("en", "ja", ...)
    backend: str  # "extractive", "openai"
    model: str = ""
    bullets: tuple[str, ...] = ()  # abstractive backends write bullet points
    note: str = ""  # e.g. "model unavailable, extractive summary"


class Summarizer(Protocol):
    """A summarizer backend. Implementations must be safe to call concurrently."""

    name: str
    model: str

    async def summarize(
        self, conversation: Conversation, *, language: str | None = None
    ) -> Summary:
        """Summarize one conversation; ``language`` None means the conversation's own."""
        ...
