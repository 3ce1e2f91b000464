"""REST routes for messages, reactions and typing in channels, threads and DMs."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import payloads as p
from . import perms
from .limits import attachments_from, resolve_mentions, validate_message
from .rest_core import (
    ApiError,
    UploadedFile,
    body_of,
    double_of,
    files_of,
    json_response,
    no_content,
    query_int,
    query_snowflake,
    snowflake,
)
from .snowflake import iso, utcnow

if TYPE_CHECKING:
    from .server import DiscordDouble

JSON = dict[str, Any]
_TEXT_TYPES = frozenset({p.GUILD_TEXT, p.DM, *p.THREAD_TYPES})


def check_access(double: DiscordDouble, channel_id: int, needed: int = 0) -> JSON:
    """The channel, if the bot may see it and has ``needed``; Discord's 404/403 otherwise."""
    channel = double.state.channels.get(channel_id)
    if channel is None:
        raise ApiError(404, 10003, "Unknown Channel")
    granted = double.state.permissions_for(double.state.bot_id, channel_id)
    if not granted & perms.VIEW_CHANNEL:
        raise ApiError(403, 50001, "Missing Access")
    if granted & needed != needed:
        raise ApiError(403, 50013, "Missing Permissions")
    return channel


def _message(double: DiscordDouble, request: web.Request, needed: int = 0) -> tuple[int, JSON]:
    channel_id = snowflake(request, "channel_id")
    check_access(double, channel_id, needed)
    found = double.state.get_message(channel_id, snowflake(request, "message_id"))
    if found is None:
        raise ApiError(404, 10008, "Unknown Message")
    return channel_id, found


def create_bot_message(
    double: DiscordDouble,
    channel_id: int,
    body: JSON,
    files: list[UploadedFile],
    *,
    store: bool = True,
    **extra: Any,
) -> JSON:
    """Build (and by default store) a message the bot sends, honouring ``allowed_mentions``."""
    state = double.state
    validate_message(body, files)
    nonce = body.get("nonce")
    if nonce is not None and body.get("enforce_nonce") and store:
        # Discord: the same author and nonce within a few minutes returns the first message.
        for earlier in state.messages.get(channel_id, {}).values():
            if earlier.get("nonce") == str(nonce) and int(earlier["author"]["id"]) == state.bot_id:
                return earlier
    content = body.get("content") or ""
    users, roles, everyone, ping_reply = resolve_mentions(
        content, body.get("allowed_mentions"), known_users=set(state.users)
    )
    reply_to = None
    ref = body.get("message_reference") or {}
    if ref.get("message_id"):
        target = int(ref["message_id"])
        if state.get_message(channel_id, target) is not None:
            reply_to = target
        elif ref.get("fail_if_not_exists", True):
            error = {"code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "message": "Unknown message"}
            raise ApiError(
                400, 50035, "Invalid Form Body", {"message_reference": {"_errors": [error]}}
            )
    message = state.add_message(
        channel_id,
        state.bot_id,
        content,
        reply_to=reply_to,
        mentions=users,
        mention_roles=roles,
        mention_everyone=everyone,
        mention_reply=ping_reply,
        embeds=body.get("embeds") or [],
        components=body.get("components") or [],
        attachments=attachments_from(body, files, state.ids.next, state.uploads),
        flags=int(body.get("flags") or 0),
        store=store,
        **extra,
    )
    if nonce is not None:
        message["nonce"] = str(nonce)
    return message


def apply_edit(double: DiscordDouble, message: JSON, body: JSON, files: list[UploadedFile]) -> None:
    """Apply a PATCH body (content/embeds/components/attachments/flags) to a message."""
    validate_message(body, files, require_content=False)
    if "content" in body:
        message["content"] = body["content"] or ""
        users, roles, everyone, _ = resolve_mentions(
            message["content"],
            body.get("allowed_mentions"),
            known_users=set(double.state.users),
        )
        message["mentions"] = [double.state.users[u] for u in dict.fromkeys(users)]
        message["mention_roles"] = [str(r) for r in roles]
        message["mention_everyone"] = everyone
    for key in ("embeds", "components"):
        if key in body:
            message[key] = body[key] or []
    if "attachments" in body or files:
        kept = {str(a.get("id")) for a in body.get("attachments") or []}
        old = [a for a in message["attachments"] if a["id"] in kept]
        state = double.state
        message["attachments"] = old + attachments_from(body, files, state.ids.next, state.uploads)
    if "flags" in body and body["flags"] is not None:
        message["flags"] = int(body["flags"])
    message["edited_timestamp"] = iso(utcnow())


# --------------------------------------------------------------------- handlers
async def list_messages(request: web.Request) -> web.Response:
    """``GET /channels/{id}/messages`` with before/after/around/limit, newest first."""
    double = double_of(request)
    channel_id = snowflake(request, "channel_id")
    check_access(double, channel_id)
    limit = query_int(request, "limit", 50, 1, 100)
    granted = double.state.permissions_for(double.state.bot_id, channel_id)
    if not granted & perms.READ_MESSAGE_HISTORY:
        return json_response([])  # Discord answers an empty page, not 403
    found = double.state.history(
        channel_id,
        before=query_snowflake(request, "before"),
        after=query_snowflake(request, "after"),
        around=query_snowflake(request, "around"),
        limit=limit,
    )
    return json_response(copy.deepcopy(found))


async def get_message(request: web.Request) -> web.Response:
    """``GET /channels/{id}/messages/{mid}``."""
    _, message = _message(double_of(request), request, perms.READ_MESSAGE_HISTORY)
    return json_response(copy.deepcopy(message))


async def post_message(request: web.Request) -> web.Response:
    """``POST /channels/{id}/messages`` (JSON or multipart with files)."""
    double = double_of(request)
    channel_id = snowflake(request, "channel_id")
    channel = double.state.channels.get(channel_id)
    if channel is not None and channel["type"] == p.DM:
        recipient = int(channel["recipients"][0]["id"])
        if recipient in double.state.closed_dms:
            raise ApiError(403, 50007, "Cannot send messages to this user")
    thread = channel is not None and channel["type"] in p.THREAD_TYPES
    needed = perms.SEND_MESSAGES_IN_THREADS if thread else perms.SEND_MESSAGES
    channel = check_access(double, channel_id, needed)
    if channel["type"] not in _TEXT_TYPES:
        raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
    meta = channel.get("thread_metadata")
    if meta and meta["locked"]:
        raise ApiError(403, 50083, "Thread is locked")
    await double._unarchive(channel_id)
    before = len(double.state.messages.get(channel_id, {}))
    message = create_bot_message(double, channel_id, body_of(request), files_of(request))
    if len(double.state.messages.get(channel_id, {})) > before:  # not a nonce repeat
        await double.publish_message(message)
    return json_response(copy.deepcopy(message))


async def patch_message(request: web.Request) -> web.Response:
    """``PATCH /channels/{id}/messages/{mid}`` (the bot's own messages only)."""
    double = double_of(request)
    _, message = _message(double, request)
    if int(message["author"]["id"]) != double.state.bot_id:
        raise ApiError(403, 50005, "Cannot edit a message authored by another user")
    apply_edit(double, message, body_of(request), files_of(request))
    await double.publish_message(message, event="MESSAGE_UPDATE")
    return json_response(copy.deepcopy(message))


async def delete_message(request: web.Request) -> web.Response:
    """``DELETE /channels/{id}/messages/{mid}``."""
    double = double_of(request)
    channel_id, message = _message(double, request)
    own = int(message["author"]["id"]) == double.state.bot_id
    if not own and not double.state.permissions_for(double.state.bot_id, channel_id) & (
        perms.MANAGE_MESSAGES
    ):
        raise ApiError(403, 50013, "Missing Permissions")
    await double.delete_message(channel_id, int(message["id"]))
    return no_content()


async def bulk_delete(request: web.Request) -> web.Response:
    """``POST /channels/{id}/messages/bulk-delete``."""
    double = double_of(request)
    channel_id = snowflake(request, "channel_id")
    check_access(double, channel_id, perms.MANAGE_MESSAGES)
    ids = [int(m) for m in body_of(request).get("messages") or []]
    if not 2 <= len(ids) <= 100:
        raise ApiError(400, 50016, "You must provide at least 2 and fewer than 100 messages")
    await double.bulk_delete(
        channel_id, [m for m in ids if double.state.get_message(channel_id, m)]
    )
    return no_content()


async def put_reaction(request: web.Request) -> web.Response:
    """``PUT /channels/{id}/messages/{mid}/reactions/{emoji}/@me``."""
    double = double_of(request)
    channel_id, message = _message(double, request, perms.READ_MESSAGE_HISTORY)
    emoji = request.match_info["emoji"]
    existing = double.state.reaction_users.get((int(message["id"]), p.emoji_key(p.emoji(emoji))))
    if not existing and not double.state.permissions_for(double.state.bot_id, channel_id) & (
        perms.ADD_REACTIONS
    ):
        raise ApiError(403, 50013, "Missing Permissions")
    await double.add_reaction(channel_id, int(message["id"]), double.state.bot_id, emoji)
    return no_content()


async def delete_own_reaction(request: web.Request) -> web.Response:
    """``DELETE /channels/{id}/messages/{mid}/reactions/{emoji}/@me``."""
    double = double_of(request)
    channel_id, message = _message(double, request)
    await double.remove_reaction(
        channel_id, int(message["id"]), double.state.bot_id, request.match_info["emoji"]
    )
    return no_content()


async def list_reactors(request: web.Request) -> web.Response:
    """``GET /channels/{id}/messages/{mid}/reactions/{emoji}?limit=&after=``."""
    double = double_of(request)
    _, message = _message(double, request, perms.READ_MESSAGE_HISTORY)
    key = p.emoji_key(p.emoji(request.match_info["emoji"]))
    limit = query_int(request, "limit", 25, 1, 100)
    after = query_snowflake(request, "after") or 0
    ids = sorted(
        u for u in double.state.reaction_users.get((int(message["id"]), key), []) if u > after
    )
    return json_response([copy.deepcopy(double.state.users[u]) for u in ids[:limit]])


async def typing(request: web.Request) -> web.Response:
    """``POST /channels/{id}/typing``."""
    check_access(double_of(request), snowflake(request, "channel_id"))
    return no_content()


_MSG = "/channels/{channel_id}/messages/{message_id}"
TABLE: list[tuple[str, str, Any]] = [
    ("GET", "/channels/{channel_id}/messages", list_messages),
    ("POST", "/channels/{channel_id}/messages", post_message),
    ("POST", "/channels/{channel_id}/messages/bulk-delete", bulk_delete),
    ("GET", _MSG, get_message),
    ("PATCH", _MSG, patch_message),
    ("DELETE", _MSG, delete_message),
    ("GET", _MSG + "/reactions/{emoji}", list_reactors),
    ("PUT", _MSG + "/reactions/{emoji}/@me", put_reaction),
    ("DELETE", _MSG + "/reactions/{emoji}/@me", delete_own_reaction),
    ("POST", "/channels/{channel_id}/typing", typing),
]
