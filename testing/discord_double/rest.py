"""REST routes: users, application, commands, gateway, guilds; plus the route table."""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from . import forms, perms
from . import rest_interactions as ri
from . import rest_messages as rm
from . import rest_threads as rt
from .rest_core import (
    API_PREFIX,
    ApiError,
    body_of,
    double_of,
    json_response,
    no_content,
    query_int,
    query_snowflake,
    raw_body_of,
    snowflake,
)

JSON = dict[str, Any]


# ------------------------------------------------------------------------ users
async def get_me(request: web.Request) -> web.Response:
    """``GET /users/@me``."""
    state = double_of(request).state
    return json_response(dict(state.bot_user, verified=True, mfa_enabled=False, email=None))


async def get_my_guilds(request: web.Request) -> web.Response:
    """``GET /users/@me/guilds``: partial guilds, by id, ``before``/``after``/``limit``
    (1-200, default 200) and ``with_counts`` as Discord documents them."""
    state = double_of(request).state
    query = request.query
    limit = int(query.get("limit", 200))
    if not 1 <= limit <= 200:
        raise ApiError(400, 50035, "Invalid Form Body")
    after, before = int(query.get("after", 0)), int(query.get("before", 2**64))
    found = []
    for gid in sorted(state.guilds):
        if not after < gid < before or state.bot_id not in state.guilds[gid].members:
            continue
        record = state.guilds[gid]
        data, roles = record.data, [int(r) for r in record.members[state.bot_id]["roles"]]
        owner = int(data.get("owner_id", 0)) == state.bot_id
        granted = perms.ALL if owner else perms.base_permissions(data, record.roles, roles)
        partial: JSON = {
            "id": str(gid),
            "name": data["name"],
            "icon": data.get("icon"),
            "banner": data.get("banner"),
            "owner": owner,
            "permissions": str(granted),
            "features": list(data.get("features", [])),
        }
        if query.get("with_counts") in ("true", "True", "1"):
            partial["approximate_member_count"] = len(record.members)
            partial["approximate_presence_count"] = 0
        found.append(partial)
    return json_response(found[:limit])


async def get_user(request: web.Request) -> web.Response:
    """``GET /users/{user_id}``."""
    state = double_of(request).state
    found = state.users.get(snowflake(request, "user_id"))
    if found is None:
        raise ApiError(404, 10013, "Unknown User")
    return json_response(found)


async def create_dm(request: web.Request) -> web.Response:
    """``POST /users/@me/channels`` with ``recipient_id``."""
    state = double_of(request).state
    recipient = body_of(request).get("recipient_id")
    if recipient is None or int(recipient) not in state.users:
        raise ApiError(400, 50033, "Invalid Recipient(s)")
    return json_response(copy.deepcopy(state.open_dm(int(recipient))))


# ------------------------------------------------------------------ application
async def get_application(request: web.Request) -> web.Response:
    """``GET /oauth2/applications/@me`` (and ``/applications/@me``)."""
    state = double_of(request).state
    return json_response(
        {
            "id": str(state.application_id),
            "name": state.bot_user["username"],
            "icon": None,
            "description": "Discord double application",
            "summary": "",
            "type": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "owner": state.owner_user,
            "verify_key": "0" * 64,
            "team": None,
            "flags": state.application_flags,
            "bot": state.bot_user,
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "integration_types_config": {"0": {}},
        }
    )


async def get_gateway(request: web.Request) -> web.Response:
    """``GET /gateway`` and ``GET /gateway/bot``."""
    double = double_of(request)
    data: JSON = {"url": double.gateway_url}
    if request.path.endswith("/bot"):
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        data.update(shards=1, session_start_limit=limit)
    return json_response(data)


# --------------------------------------------------------------------- commands
def _commands_pool(request: web.Request) -> list[JSON]:
    state = double_of(request).state
    if snowflake(request, "app_id") != state.application_id:
        raise ApiError(403, 50001, "Missing Access")
    if "guild_id" not in request.match_info:
        return state.global_commands
    guild_id = snowflake(request, "guild_id")
    if guild_id not in state.guilds:
        raise ApiError(404, 10004, "Unknown Guild")
    return state.guild_commands.setdefault(guild_id, [])


def _find(pool: list[JSON], data: JSON) -> JSON | None:
    kind = int(data.get("type", 1))
    return next((c for c in pool if c["name"] == data.get("name") and c["type"] == kind), None)


def _build_command(request: web.Request, existing: JSON | None, data: JSON) -> JSON:
    state = double_of(request).state
    if not data.get("name"):
        error = {"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}
        raise ApiError(400, 50035, "Invalid Form Body", {"name": {"_errors": [error]}})
    command = {
        "id": existing["id"] if existing else str(state.ids.next()),
        "application_id": str(state.application_id),
        "version": str(state.ids.next()),
        "type": int(data.get("type", 1)),
        "name": data["name"],
        "description": data.get("description", ""),
        "options": data.get("options", []),
        "default_member_permissions": data.get("default_member_permissions"),
        "dm_permission": data.get("dm_permission", True),
        "contexts": data.get("contexts"),
        "integration_types": data.get("integration_types", [0]),
        "nsfw": data.get("nsfw", False),
        "name_localizations": data.get("name_localizations"),
        "description_localizations": data.get("description_localizations"),
    }
    if "guild_id" in request.match_info:
        command["guild_id"] = request.match_info["guild_id"]
    return command


async def put_commands(request: web.Request) -> web.Response:
    """Bulk overwrite (what ``CommandTree.sync`` does); re-synced commands keep their ids."""
    pool = _commands_pool(request)
    wanted = raw_body_of(request) or []
    if not isinstance(wanted, list):
        raise ApiError(400, 50035, "Invalid Form Body")
    pool[:] = [_build_command(request, _find(pool, item), item) for item in wanted]
    return json_response(copy.deepcopy(pool))


async def get_commands(request: web.Request) -> web.Response:
    """List synced commands."""
    return json_response(copy.deepcopy(_commands_pool(request)))


async def post_command(request: web.Request) -> web.Response:
    """Upsert one command."""
    pool = _commands_pool(request)
    data = body_of(request)
    existing = _find(pool, data)
    command = _build_command(request, existing, data)
    if existing is None:
        pool.append(command)
    else:
        pool[pool.index(existing)] = command
    return json_response(copy.deepcopy(command), 200 if existing else 201)


async def delete_command(request: web.Request) -> web.Response:
    """Delete one command."""
    pool = _commands_pool(request)
    command_id = request.match_info["command_id"]
    before = len(pool)
    pool[:] = [c for c in pool if c["id"] != command_id]
    if len(pool) == before:
        raise ApiError(404, 10063, "Unknown application command")
    return no_content()


# ------------------------------------------------------------------------ guilds
def _guild_id(request: web.Request) -> int:
    guild_id = snowflake(request, "guild_id")
    if guild_id not in double_of(request).state.guilds:
        raise ApiError(404, 10004, "Unknown Guild")
    return guild_id


async def get_guild(request: web.Request) -> web.Response:
    """``GET /guilds/{guild_id}``."""
    return json_response(forms.guild_rest(double_of(request).state, _guild_id(request)))


async def get_guild_channels(request: web.Request) -> web.Response:
    """``GET /guilds/{guild_id}/channels``."""
    state = double_of(request).state
    return json_response(copy.deepcopy(state.guild_channels(_guild_id(request))))


async def get_roles(request: web.Request) -> web.Response:
    """``GET /guilds/{guild_id}/roles``."""
    state = double_of(request).state
    return json_response(copy.deepcopy(list(state.guilds[_guild_id(request)].roles.values())))


async def get_member(request: web.Request) -> web.Response:
    """``GET /guilds/{guild_id}/members/{user_id}``."""
    state = double_of(request).state
    guild_id, user_id = _guild_id(request), snowflake(request, "user_id")
    if user_id not in state.guilds[guild_id].members:
        raise ApiError(404, 10007, "Unknown Member")
    return json_response(forms.member_payload(state, guild_id, user_id))


async def list_members(request: web.Request) -> web.Response:
    """``GET /guilds/{guild_id}/members?limit=&after=`` (ordered by user id)."""
    state = double_of(request).state
    guild_id = _guild_id(request)
    limit = query_int(request, "limit", 1, 1, 1000)
    after = query_snowflake(request, "after") or 0
    ids = sorted(uid for uid in state.guilds[guild_id].members if uid > after)[:limit]
    return json_response([forms.member_payload(state, guild_id, uid) for uid in ids])


def routes() -> list[web.RouteDef]:
    """Every REST route of the double, under ``/api/v10``."""
    table: list[tuple[str, str, Any]] = [
        ("GET", "/users/@me", get_me),
        ("GET", "/users/@me/guilds", get_my_guilds),
        ("POST", "/users/@me/channels", create_dm),
        ("GET", "/users/{user_id}", get_user),
        ("GET", "/oauth2/applications/@me", get_application),
        ("GET", "/applications/@me", get_application),
        ("GET", "/gateway", get_gateway),
        ("GET", "/gateway/bot", get_gateway),
        ("GET", "/applications/{app_id}/commands", get_commands),
        ("PUT", "/applications/{app_id}/commands", put_commands),
        ("POST", "/applications/{app_id}/commands", post_command),
        ("DELETE", "/applications/{app_id}/commands/{command_id}", delete_command),
        ("GET", "/applications/{app_id}/guilds/{guild_id}/commands", get_commands),
        ("PUT", "/applications/{app_id}/guilds/{guild_id}/commands", put_commands),
        ("POST", "/applications/{app_id}/guilds/{guild_id}/commands", post_command),
        (
            "DELETE",
            "/applications/{app_id}/guilds/{guild_id}/commands/{command_id}",
            delete_command,
        ),
        ("GET", "/guilds/{guild_id}", get_guild),
        ("GET", "/guilds/{guild_id}/channels", get_guild_channels),
        ("GET", "/guilds/{guild_id}/roles", get_roles),
        ("GET", "/guilds/{guild_id}/members", list_members),
        ("GET", "/guilds/{guild_id}/members/{user_id}", get_member),
        *rm.TABLE,
        *rt.TABLE,
        *ri.TABLE,
    ]
    return [web.route(method, API_PREFIX + path, handler) for method, path, handler in table]
