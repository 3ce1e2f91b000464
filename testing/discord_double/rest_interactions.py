"""REST routes for interaction callbacks and the interaction webhook (follow-ups, @original)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import payloads as p
from .rest_core import ApiError, body_of, double_of, files_of, json_response, no_content, snowflake
from .rest_messages import apply_edit, create_bot_message

if TYPE_CHECKING:
    from .interactions import InteractionRecord
    from .server import DiscordDouble

JSON = dict[str, Any]
_MESSAGE_TYPES = {4, 5}
_KNOWN_TYPES = {1, 4, 5, 6, 7, 8, 9, 10, 12}


def _record(double: DiscordDouble, request: web.Request, *, webhook: bool) -> InteractionRecord:
    token = request.match_info["token"]
    if webhook:
        if snowflake(request, "app_id") != double.state.application_id:
            raise ApiError(404, 10015, "Unknown Webhook")
        found = next((r for r in double.interactions.values() if r.token == token), None)
        if found is None or not found.acknowledged:
            raise ApiError(404, 10015, "Unknown Webhook")
        return found
    record = double.interactions.get(snowflake(request, "interaction_id"))
    if record is None or record.token != token:
        raise ApiError(404, 10062, "Unknown interaction")
    return record


def _metadata(record: InteractionRecord) -> JSON:
    payload = record.payload
    user = payload.get("member", {}).get("user") or payload.get("user")
    data: JSON = {
        "id": payload["id"],
        "type": payload["type"],
        "user": user,
        "authorizing_integration_owners": payload["authorizing_integration_owners"],
    }
    if payload["type"] == 2:
        data["name"] = payload["data"]["name"]
        data["command_type"] = payload["data"].get("type", 1)
    return data


def _interaction_message(
    double: DiscordDouble, record: InteractionRecord, body: JSON, files: list[Any], **extra: Any
) -> JSON:
    ephemeral = bool(int(body.get("flags") or 0) & p.FLAG_EPHEMERAL)
    message = create_bot_message(
        double,
        record.channel_id,
        body,
        files,
        store=not ephemeral,
        webhook_id=double.state.application_id,
        application_id=double.state.application_id,
        **extra,
    )
    message["interaction_metadata"] = _metadata(record)
    return message


async def _publish(double: DiscordDouble, message: JSON, event: str = "MESSAGE_CREATE") -> None:
    if not int(message.get("flags") or 0) & p.FLAG_EPHEMERAL:
        await double.publish_message(message, event=event)


async def callback(request: web.Request) -> web.Response:
    """``POST /interactions/{id}/{token}/callback`` (``?with_response=1``, as discord.py asks)."""
    double = double_of(request)
    record = _record(double, request, webhook=False)
    body = body_of(request)
    kind = int(body.get("type") or 0)
    if kind not in _KNOWN_TYPES:
        raise ApiError(400, 50035, "Invalid Form Body", {"type": {"_errors": []}})
    if record.acknowledged:
        raise ApiError(400, 40060, "Interaction has already been acknowledged.")
    data = body.get("data") or {}
    flags = int(data.get("flags") or 0)
    resource: JSON | None = None
    if kind == 4:
        message_type = p.MESSAGE_CHAT_INPUT_COMMAND if record.payload["type"] == 2 else 0
        message = _interaction_message(
            double, record, data, files_of(request), message_type=message_type
        )
        record.original = message
    elif kind == 5:
        app_id = double.state.application_id
        message = double.state.add_message(
            record.channel_id,
            double.state.bot_id,
            "",
            mentions=[],
            mention_roles=[],
            store=not flags & p.FLAG_EPHEMERAL,
            flags=flags | p.FLAG_LOADING,
            webhook_id=app_id,
            application_id=app_id,
            message_type=p.MESSAGE_CHAT_INPUT_COMMAND,
        )
        message["interaction_metadata"] = _metadata(record)
        record.original = message
    elif kind == 7 and record.original is not None:
        apply_edit(double, record.original, data, files_of(request))
        message = record.original
    record.responses.append(copy.deepcopy(body))
    if kind in (4, 5, 7) and record.original is not None:
        message = record.original
        await _publish(double, message, "MESSAGE_UPDATE" if kind == 7 else "MESSAGE_CREATE")
        resource = {"type": kind, "message": copy.deepcopy(message)}
    await record.notify()
    answer: JSON = {
        "interaction": {
            "id": record.payload["id"],
            "type": record.payload["type"],
            "activity_instance_id": None,
            "response_message_id": record.original["id"] if resource else None,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(flags & p.FLAG_EPHEMERAL),
        }
    }
    if resource is not None:
        answer["resource"] = resource
    return json_response(answer)


def _target(record: InteractionRecord, request: web.Request) -> JSON:
    raw = request.match_info["message_id"]
    if raw == "@original":
        if record.original is None:
            raise ApiError(404, 10008, "Unknown Message")
        return record.original
    found = next((m for m in record.followups if m["id"] == raw), None)
    if found is None:
        raise ApiError(404, 10008, "Unknown Message")
    return found


async def followup(request: web.Request) -> web.Response:
    """``POST /webhooks/{app_id}/{token}`` (``?wait=true`` returns the message)."""
    double = double_of(request)
    record = _record(double, request, webhook=True)
    message = _interaction_message(double, record, body_of(request), files_of(request))
    record.followups.append(message)
    await _publish(double, message)
    await record.notify()
    if request.query.get("wait", "false").lower() in ("true", "1"):
        return json_response(copy.deepcopy(message))
    return no_content()


async def get_webhook_message(request: web.Request) -> web.Response:
    """``GET /webhooks/{app_id}/{token}/messages/{id|@original}``."""
    record = _record(double_of(request), request, webhook=True)
    return json_response(copy.deepcopy(_target(record, request)))


async def edit_webhook_message(request: web.Request) -> web.Response:
    """``PATCH /webhooks/{app_id}/{token}/messages/{id|@original}``."""
    double = double_of(request)
    record = _record(double, request, webhook=True)
    message = _target(record, request)
    body = body_of(request)
    apply_edit(double, message, body, files_of(request))
    message["flags"] = int(message.get("flags") or 0) & ~p.FLAG_LOADING
    record.edits.append(copy.deepcopy(body))
    await _publish(double, message, "MESSAGE_UPDATE")
    await record.notify()
    return json_response(copy.deepcopy(message))


async def delete_webhook_message(request: web.Request) -> web.Response:
    """``DELETE /webhooks/{app_id}/{token}/messages/{id|@original}``."""
    double = double_of(request)
    record = _record(double, request, webhook=True)
    message = _target(record, request)
    channel_id = int(message["channel_id"])
    if double.state.get_message(channel_id, int(message["id"])) is not None:
        await double.delete_message(channel_id, int(message["id"]))
    record.deleted.append(int(message["id"]))
    await record.notify()
    return no_content()


_WEBHOOK = "/webhooks/{app_id}/{token}"
TABLE: list[tuple[str, str, Any]] = [
    ("POST", "/interactions/{interaction_id}/{token}/callback", callback),
    ("POST", _WEBHOOK, followup),
    ("GET", _WEBHOOK + "/messages/{message_id}", get_webhook_message),
    ("PATCH", _WEBHOOK + "/messages/{message_id}", edit_webhook_message),
    ("DELETE", _WEBHOOK + "/messages/{message_id}", delete_webhook_message),
]
