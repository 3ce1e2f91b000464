"""A digest as JSON (``hearth digest --json``): the facts the Markdown shows, for scripts.

Ids are strings (JavaScript loses digits past 2^53, as Discord's own API knows), times are
ISO 8601 with their offset, text is plain (mentions resolved, no Markdown escaping) and what
a model wrote carries no links, as in every other view.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.recap.compose import Digest, MessageRef, RecapItem
from bot.recap.markup import plain

JSON = dict[str, Any]


def _when(at: dt.datetime) -> str:
    return at.isoformat()


def _ref(ref: MessageRef, digest: Digest) -> JSON:
    return {
        "id": str(ref.message_id),
        "author": plain(ref.author_name, digest.labels),
        "author_id": str(ref.author_id),
        "where": plain(ref.where, digest.labels),
        "text": plain(ref.text, digest.labels),
        "at": _when(ref.created_at),
        "url": ref.url,
    }


def _item(item: RecapItem, digest: Digest) -> JSON:
    labels, summary = digest.labels, item.summary
    model = summary.backend != "extractive"
    return {
        "where": plain(item.where, labels),
        "channel_id": str(item.channel_id),
        "thread": item.is_thread,
        "first_message_id": str(item.first_message_id),
        "messages": item.messages,
        "participants": [plain(p, labels) for p in item.participants],
        "last_at": _when(item.last_at),
        "title": plain(summary.title, labels, model=model),
        "bullets": [plain(b, labels, model=True) for b in summary.bullets],
        "key_messages": [
            {
                "id": str(p.message_id),
                "author": plain(p.author_name, labels),
                "author_id": str(p.author_id),
                "text": plain(p.text, labels),
            }
            for p in summary.points
        ],
        "summarizer": summary.backend,
        "model": summary.model,
        "note": plain(summary.note, labels),
        "reasons": [{"code": r.code, "text": plain(r.text, labels)} for r in item.reasons],
        "url": item.url,
    }


def digest_json(digest: Digest) -> JSON:
    """The digest as one JSON object."""
    labels, activity = digest.labels, digest.activity
    return {
        "guild": {"id": str(digest.guild_id), "name": plain(digest.guild_name, labels)},
        "window": {"since": _when(digest.window.since), "until": _when(digest.window.until)},
        "channel_id": str(digest.channel_id) if digest.channel_id is not None else None,
        "activity": {
            "messages": activity.messages,
            "members": activity.members,
            "channels": activity.channels,
            "busiest": plain(activity.busiest, labels) if activity.busiest else None,
        },
        "notice": plain(digest.note, labels),
        "conversations": [_item(item, digest) for item in digest.items],
        "new_threads": [
            {
                "id": str(t.channel_id),
                "name": plain(t.name, labels),
                "where": plain(t.where, labels),
                "created_at": _when(t.created_at),
                "messages": t.messages,
                "url": t.url,
            }
            for t in digest.new_threads
        ],
        "joined": [
            {"id": str(m.user_id), "name": plain(m.name, labels), "at": _when(m.joined_at)}
            for m in digest.joined
        ],
        "unanswered": [_ref(r, digest) for r in digest.unanswered],
    }
