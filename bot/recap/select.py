"""Select the messages of a window that someone in the audience may read.

The store streams the window oldest first (``MessageRepository.iter_window``); only messages
in channels some recipient can read are kept, so memory holds at most one window, never the
history. Per-member filtering afterwards is by channel: conversations never cross channels.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterable, Collection

from bot.models import CONVERSATIONAL_KINDS, MessageRecord

log = logging.getLogger(__name__)


def check_window(since: dt.datetime, until: dt.datetime) -> None:
    """Refuse naive or empty windows: [since, until) must be aware and non-empty."""
    if since.tzinfo is None or until.tzinfo is None:
        raise ValueError("naive datetime: pass timezone-aware values")
    if until <= since:
        raise ValueError(f"empty window: {since.isoformat()} >= {until.isoformat()}")


def is_conversational(message: MessageRecord) -> bool:
    """People talking: not a system message (pins, joins, renames) nor a tombstone."""
    return not message.deleted and message.kind.lower() in CONVERSATIONAL_KINDS


async def select_messages(
    messages: AsyncIterable[MessageRecord],
    channels: Collection[int],
    *,
    skip_authors: Collection[int] = frozenset(),
) -> list[MessageRecord]:
    """Keep conversational messages posted in ``channels`` by anyone not in ``skip_authors``.

    ``messages`` is a stream in time order (``store.messages.iter_window``); the result keeps
    that order.
    """
    kept: list[MessageRecord] = []
    seen = 0
    async for message in messages:
        seen += 1
        if (
            message.channel_id in channels
            and message.author_id not in skip_authors
            and is_conversational(message)
        ):
            kept.append(message)
    log.debug("selected %d of %d messages in the window", len(kept), seen)
    return kept
