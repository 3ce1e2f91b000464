"""REST routes for channels and threads: fetch/edit, create, active/archived lists, members."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from . import forms, perms
from . import payloads as p
from .rest_core import (
    ApiError,
    body_of,
    double_of,
    files_of,
    json_response,
    no_content,
    query_int,
    query_snowflake,
    snowflake,
)
from .rest_messages import check_access, create_bot_message

JSON = dict[str, Any]


async def get_channel(request: web.Request) -> web.Response:
    """``GET /channels/{id}`` (channel, thread or DM)."""
    channel = check_access(double_of(request), snowflake(request, "channel_id"))
    return json_response(copy.deepcopy(channel))


async def patch_channel(request: web.Request) -> web.Response:
    """``PATCH /channels/{id}``: rename/archive/lock a thread, or rename/retopic a channel."""
    double = double_of(request)
    channel_id = snowflake(request, "channel_id")
    channel = check_access(double, channel_id)
    body = body_of(request)
    if channel["type"] in p.THREAD_TYPES:
        own = int(channel["owner_id"]) == double.state.bot_id
        manage = double.state.permissions_for(double.state.bot_id, channel_id)
        if not own and not manage & perms.MANAGE_THREADS:
            raise ApiError(403, 50013, "Missing Permissions")
        updated = await double.update_thread(
            channel_id,
            name=body.get("name"),
            archived=body.get("archived"),
            locked=body.get("locked"),
            applied_tags=body.get("applied_tags"),
        )
        return json_response(updated)
    if not double.state.permissions_for(double.state.bot_id, channel_id) & perms.MANAGE_CHANNELS:
        raise ApiError(403, 50013, "Missing Permissions")
    fields = {k: v for k, v in body.items() if k in ("name", "topic", "permission_overwrites")}
    return json_response(await double.update_channel(channel_id, **fields))


async def start_thread(request: web.Request) -> web.Response:
    """``POST /channels/{id}/threads``: a thread without a message, or a forum post."""
    double = double_of(request)
    state = double.state
    parent_id = snowflake(request, "channel_id")
    parent = check_access(double, parent_id, perms.SEND_MESSAGES)
    body = body_of(request)
    name = body.get("name")
    if not name:
        raise ApiError(400, 50035, "Invalid Form Body", {"name": {"_errors": []}})
    archive = int(body.get("auto_archive_duration") or 1440)
    if parent["type"] != p.GUILD_FORUM:
        private = int(body.get("type") or p.PRIVATE_THREAD) == p.PRIVATE_THREAD
        thread = await double.create_thread(
            parent_id, name, owner_id=state.bot_id, private=private, auto_archive_duration=archive
        )
        return json_response(forms.thread_payload(state, int(thread["id"])), 201)
    starter_body = body.get("message") or {}
    thread = state.add_thread(
        parent_id,
        name,
        owner_id=state.bot_id,
        applied_tags=[int(t) for t in body.get("applied_tags") or []],
        auto_archive_duration=archive,
    )
    thread_id = int(thread["id"])
    try:
        starter = create_bot_message(
            double, thread_id, starter_body, files_of(request), message_id=thread_id
        )
    except ApiError:
        state.remove_channel(thread_id)
        raise
    await double._thread_event("THREAD_CREATE", thread_id, newly_created=True)
    await double.publish_message(starter)
    result = forms.thread_payload(state, thread_id)
    result["message"] = copy.deepcopy(starter)
    return json_response(result, 201)


async def start_thread_from_message(request: web.Request) -> web.Response:
    """``POST /channels/{id}/messages/{mid}/threads``."""
    double = double_of(request)
    parent_id = snowflake(request, "channel_id")
    check_access(double, parent_id, perms.CREATE_PUBLIC_THREADS)
    message_id = snowflake(request, "message_id")
    if double.state.get_message(parent_id, message_id) is None:
        raise ApiError(404, 10008, "Unknown Message")
    if message_id in double.state.channels:
        raise ApiError(400, 160004, "A thread has already been created for this message")
    body = body_of(request)
    thread = await double.create_thread(
        parent_id,
        body.get("name") or "thread",
        owner_id=double.state.bot_id,
        message_id=message_id,
        auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
    )
    return json_response(forms.thread_payload(double.state, int(thread["id"])), 201)


def _bot_memberships(double: Any, threads: list[JSON]) -> list[JSON]:
    state = double.state
    return [
        copy.deepcopy(state.thread_members[int(t["id"])][state.bot_id])
        for t in threads
        if state.bot_id in state.thread_members.get(int(t["id"]), {})
    ]


async def active_threads(request: web.Request) -> web.Response:
    """``GET /guilds/{id}/threads/active``: active threads the bot can see."""
    double = double_of(request)
    guild_id = snowflake(request, "guild_id")
    if guild_id not in double.state.guilds:
        raise ApiError(404, 10004, "Unknown Guild")
    threads = [
        copy.deepcopy(t)
        for t in double.state.guild_threads(guild_id)
        if double.state.can_view(double.state.bot_id, int(t["id"]))
    ]
    return json_response({"threads": threads, "members": _bot_memberships(double, threads)})


async def archived_threads(request: web.Request) -> web.Response:
    """Archived public/private threads of a channel, newest archive first, paged by ``before``."""
    double = double_of(request)
    state = double.state
    parent_id = snowflake(request, "channel_id")
    check_access(double, parent_id, perms.READ_MESSAGE_HISTORY)
    kind = request.match_info["kind"]
    joined = request.path.endswith("/users/@me/threads/archived/private")
    wanted = p.PUBLIC_THREAD if kind == "public" else p.PRIVATE_THREAD
    if wanted == p.PRIVATE_THREAD and not joined:
        check_access(double, parent_id, perms.MANAGE_THREADS)
    limit = query_int(request, "limit", 50, 2, 100)
    candidates = [
        t
        for t in state.channels.values()
        if t.get("parent_id") == str(parent_id)
        and t["type"] == wanted
        and t["thread_metadata"]["archived"]
        and (not joined or state.bot_id in state.thread_members.get(int(t["id"]), {}))
    ]
    before = request.query.get("before")
    if joined:
        candidates.sort(key=lambda t: int(t["id"]), reverse=True)
        cutoff = query_snowflake(request, "before")
        if cutoff is not None:
            candidates = [t for t in candidates if int(t["id"]) < cutoff]
    else:
        candidates.sort(key=lambda t: t["thread_metadata"]["archive_timestamp"], reverse=True)
        if before:
            candidates = [t for t in candidates if _ts(t) < _normalize(before)]
    page = [copy.deepcopy(t) for t in candidates[:limit]]
    return json_response(
        {
            "threads": page,
            "members": _bot_memberships(double, page),
            "has_more": len(candidates) > limit,
        }
    )


def _ts(thread: JSON) -> str:
    return _normalize(thread["thread_metadata"]["archive_timestamp"])


def _normalize(stamp: str) -> str:
    return datetime.fromisoformat(stamp).astimezone(UTC).isoformat(timespec="microseconds")


def _thread(request: web.Request) -> tuple[Any, int]:
    double = double_of(request)
    thread_id = snowflake(request, "channel_id")
    channel = check_access(double, thread_id)
    if channel["type"] not in p.THREAD_TYPES:
        raise ApiError(400, 50024, "Cannot execute action on this channel type")
    return double, thread_id


async def list_thread_members(request: web.Request) -> web.Response:
    """``GET /channels/{id}/thread-members`` (``with_member=true`` adds guild members)."""
    double, thread_id = _thread(request)
    with_member = request.query.get("with_member") in ("true", "1", "True")
    members = double.state.thread_members.get(thread_id, {})
    after = query_snowflake(request, "after") or 0
    limit = query_int(request, "limit", 100, 1, 100)
    ids = sorted(u for u in members if u > after)[:limit]
    return json_response([_thread_member(double, thread_id, u, with_member) for u in ids])


async def get_thread_member(request: web.Request) -> web.Response:
    """``GET /channels/{id}/thread-members/{user_id}``."""
    double, thread_id = _thread(request)
    user_id = snowflake(request, "user_id")
    if user_id not in double.state.thread_members.get(thread_id, {}):
        raise ApiError(404, 10007, "Unknown Member")
    with_member = request.query.get("with_member") in ("true", "1", "True")
    return json_response(_thread_member(double, thread_id, user_id, with_member))


def _thread_member(double: Any, thread_id: int, user_id: int, with_member: bool) -> JSON:
    if with_member:
        return forms.thread_member_event(double.state, thread_id, user_id)
    return copy.deepcopy(double.state.thread_members[thread_id][user_id])


async def join_thread(request: web.Request) -> web.Response:
    """``PUT /channels/{id}/thread-members/@me``."""
    double, thread_id = _thread(request)
    if double.state.bot_id not in double.state.thread_members.get(thread_id, {}):
        await double.add_thread_member(thread_id, double.state.bot_id)
    return no_content()


async def leave_thread(request: web.Request) -> web.Response:
    """``DELETE /channels/{id}/thread-members/@me``."""
    double, thread_id = _thread(request)
    await double.remove_thread_member(thread_id, double.state.bot_id)
    return no_content()


TABLE: list[tuple[str, str, Any]] = [
    ("GET", "/channels/{channel_id}", get_channel),
    ("PATCH", "/channels/{channel_id}", patch_channel),
    ("POST", "/channels/{channel_id}/threads", start_thread),
    ("POST", "/channels/{channel_id}/messages/{message_id}/threads", start_thread_from_message),
    ("GET", "/guilds/{guild_id}/threads/active", active_threads),
    ("GET", "/channels/{channel_id}/threads/archived/{kind:public|private}", archived_threads),
    ("GET", "/channels/{channel_id}/users/@me/threads/archived/{kind:private}", archived_threads),
    ("GET", "/channels/{channel_id}/thread-members", list_thread_members),
    ("PUT", "/channels/{channel_id}/thread-members/@me", join_thread),
    ("DELETE", "/channels/{channel_id}/thread-members/@me", leave_thread),
    ("GET", "/channels/{channel_id}/thread-members/{user_id}", get_thread_member),
]
