"""REST plumbing: request recording, JSON responses, Discord errors, rate limits and faults."""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .server import DiscordDouble

JSON = dict[str, Any]
API_PREFIX = "/api/v10"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: Where the app keeps its :class:`DiscordDouble`.
DOUBLE_KEY: web.AppKey[Any] = web.AppKey("discord_double", object)
#: Where the middleware leaves (parsed body, files, RecordedRequest) for handlers.
_REQUEST_KEY: Any = (
    web.RequestKey("discord_double_request", object) if hasattr(web, "RequestKey") else "dd_req"
)


class ApiError(Exception):
    """Raised by handlers to answer with a Discord JSON error."""

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    field_name: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class RecordedRequest:
    """One REST request as the double saw it (``path`` is relative to ``/api/v10``)."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[UploadedFile]
    headers: dict[str, str]
    time: float
    status: int = 0
    known_route: bool = True
    fault: str | None = None


@dataclass
class FaultRule:
    """Answer the next ``remaining`` matching requests with an error."""

    method: str
    pattern: str
    status: int
    remaining: int
    retry_after: float = 0.3
    is_global: bool = False
    scope: str = "user"
    body: Any = None


@dataclass
class RateLimitRule:
    """Allow ``limit`` requests per ``window`` seconds per concrete path, then 429."""

    method: str
    pattern: str
    limit: int
    window: float
    windows: dict[str, tuple[float, int]] = field(default_factory=dict)


def path_matches(pattern: str, path: str) -> bool:
    """Glob match by path segment: ``*`` is one segment (or part of one), ``**`` any number."""
    return _match(pattern.strip("/").split("/"), path.strip("/").split("/"))


def _match(pat: list[str], parts: list[str]) -> bool:
    if not pat:
        return not parts
    if pat[0] == "**":
        return any(_match(pat[1:], parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], pat[0]) and _match(pat[1:], parts[1:])


def method_matches(rule_method: str, method: str) -> bool:
    """``*`` matches any method."""
    return rule_method in ("*", method.upper())


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A response whose Content-Type is exactly ``application/json`` (discord.py needs that)."""
    resp = web.Response(body=json.dumps(data).encode(), status=status, headers=headers)
    resp.headers["Content-Type"] = "application/json"
    return resp


def no_content() -> web.Response:
    """HTTP 204."""
    return web.Response(status=204)


def error_body(code: int, message: str, errors: JSON | None = None) -> JSON:
    """Discord's JSON error body."""
    body: JSON = {"message": message, "code": code}
    if errors is not None:
        body["errors"] = errors
    return body


def bucket_for(method: str, template: str) -> str:
    """A stable fake bucket hash per route template."""
    return hashlib.sha1(f"{method} {template}".encode(), usedforsecurity=False).hexdigest()[:32]


def ratelimit_headers(
    bucket: str, limit: int, remaining: int, reset_after: float
) -> dict[str, str]:
    """Discord's per-route rate limit headers."""
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(remaining, 0)),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": bucket,
    }


def too_many_requests(
    bucket: str, retry_after: float, *, is_global: bool = False, scope: str = "user"
) -> web.Response:
    """A 429 exactly as Discord sends it (discord.py also insists on a ``Via`` header)."""
    headers = {
        "Retry-After": str(max(1, math.ceil(retry_after))),
        "X-RateLimit-Scope": "global" if is_global else scope,
        "Via": "1.1 google",
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    else:
        headers.update(ratelimit_headers(bucket, 5, 0, retry_after))
    body = {
        "message": "You are being rate limited.",
        "retry_after": retry_after,
        "global": is_global,
    }
    return json_response(body, 429, headers)


def route_template(request: web.Request) -> str:
    """The matched route's template, e.g. ``/api/v10/channels/{channel_id}/messages``."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else request.path


class RestFaults:
    """Fault and rate-limit rules consulted before every REST handler."""

    def __init__(self) -> None:
        self.faults: list[FaultRule] = []
        self.limits: list[RateLimitRule] = []

    def fault_for(self, rec: RecordedRequest, bucket: str) -> web.Response | None:
        """Consume a matching fault rule and build its response."""
        for rule in self.faults:
            if rule.remaining <= 0:
                continue
            if not (
                method_matches(rule.method, rec.method) and path_matches(rule.pattern, rec.path)
            ):
                continue
            rule.remaining -= 1
            rec.fault = f"{rule.status}"
            if rule.status == 429:
                return too_many_requests(
                    bucket, rule.retry_after, is_global=rule.is_global, scope=rule.scope
                )
            if isinstance(rule.body, str):
                return web.Response(text=rule.body, status=rule.status, content_type="text/html")
            body = rule.body or error_body(0, f"{rule.status}: {_reason(rule.status)}")
            return json_response(body, rule.status)
        return None

    def limit_for(self, rec: RecordedRequest, bucket: str) -> tuple[web.Response | None, JSON]:
        """Apply a pacing rule: returns (429 response or None, headers to add)."""
        for rule in self.limits:
            if not (
                method_matches(rule.method, rec.method) and path_matches(rule.pattern, rec.path)
            ):
                continue
            now = time.monotonic()
            reset_at, used = rule.windows.get(rec.path, (now + rule.window, 0))
            if now >= reset_at:
                reset_at, used = now + rule.window, 0
            if used >= rule.limit:
                rec.fault = "429 (rate limit)"
                return too_many_requests(bucket, round(reset_at - now, 3) or 0.001), {}
            rule.windows[rec.path] = (reset_at, used + 1)
            headers = ratelimit_headers(bucket, rule.limit, rule.limit - used - 1, reset_at - now)
            return None, headers
        return None, ratelimit_headers(bucket, 50, 49, 1.0)


def _reason(status: int) -> str:
    return {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}.get(
        status, "Error"
    )


async def read_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    """Parse a JSON or multipart (``payload_json`` + ``files[n]``) body."""
    files: list[UploadedFile] = []
    if request.content_type == "multipart/form-data":
        payload: Any = None
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            data = bytes(await part.read(decode=False))  # type: ignore[union-attr]
            name = part.name or ""
            if name == "payload_json":
                payload = json.loads(data)
            else:
                ctype = part.headers.get("Content-Type")
                files.append(UploadedFile(name, part.filename, ctype, data))  # type: ignore[union-attr]
        return payload, files
    raw = await request.read()
    if not raw:
        return None, files
    if request.content_type == "application/json":
        return json.loads(raw), files
    return raw.decode(errors="replace"), files


def make_middleware(double: DiscordDouble) -> Any:
    """Middleware: record, auth, faults, rate limits, Discord-style errors and headers."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX):
            return await handler(request)
        body, files = await read_body(request)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        rec = RecordedRequest(
            method=request.method,
            path=request.path[len(API_PREFIX) :],
            query=dict(request.query),
            json=body,
            files=files,
            headers=headers,
            time=time.monotonic(),
        )
        double.requests.append(rec)
        request[_REQUEST_KEY] = (body, files, rec)
        bucket = bucket_for(request.method, route_template(request))
        resp = double.faults.fault_for(rec, bucket)
        extra: JSON = {}
        if resp is None and not _authorized(request, double.state.token):
            resp = json_response(error_body(0, "401: Unauthorized"), 401)
        if resp is None:
            resp, extra = double.faults.limit_for(rec, bucket)
        if resp is None:
            resp = await _call(handler, request, rec)
        for key, value in extra.items():
            resp.headers.setdefault(key, value)
        rec.status = resp.status
        return resp

    return middleware


def _authorized(request: web.Request, token: str) -> bool:
    rec = record_of(request)
    if rec.path.startswith(("/webhooks/", "/interactions/")):
        return True
    return request.headers.get("Authorization") == f"Bot {token}"


async def _call(handler: Handler, request: web.Request, rec: RecordedRequest) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return json_response(error_body(exc.code, exc.message, exc.errors), exc.status)
    except web.HTTPException as exc:
        if exc.status in (404, 405):
            rec.known_route = False
        return json_response(error_body(0, f"{exc.status}: {exc.reason}"), exc.status)


# ------------------------------------------------------------------ handler helpers
def double_of(request: web.Request) -> DiscordDouble:
    """The double serving this request."""
    return request.app[DOUBLE_KEY]


def raw_body_of(request: web.Request) -> Any:
    """The parsed JSON (or ``payload_json``) body as sent (``None`` if empty)."""
    return request[_REQUEST_KEY][0]


def body_of(request: web.Request) -> JSON:
    """The parsed JSON (or ``payload_json``) body, ``{}`` if none or not an object."""
    body = raw_body_of(request)
    return body if isinstance(body, dict) else {}


def files_of(request: web.Request) -> list[UploadedFile]:
    """Files uploaded as ``files[n]`` multipart parts."""
    return request[_REQUEST_KEY][1]


def record_of(request: web.Request) -> RecordedRequest:
    """The :class:`RecordedRequest` of this request."""
    return request[_REQUEST_KEY][2]


def snowflake(request: web.Request, name: str) -> int:
    """A snowflake path parameter, 400 like Discord when it is not one."""
    raw = request.match_info[name]
    if not raw.isdigit():
        error = {"code": "NUMBER_TYPE_COERCE", "message": f'Value "{raw}" is not snowflake.'}
        raise ApiError(400, 50035, "Invalid Form Body", {name: {"_errors": [error]}})
    return int(raw)


def query_int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high] (400 otherwise)."""
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.lstrip("-").isdigit() or not low <= int(raw) <= high:
        error = {"code": "NUMBER_TYPE_MAX", "message": f"Must be between {low} and {high}."}
        raise ApiError(400, 50035, "Invalid Form Body", {name: {"_errors": [error]}})
    return int(raw)


def query_snowflake(request: web.Request, name: str) -> int | None:
    """An optional snowflake query parameter."""
    raw = request.query.get(name)
    return int(raw) if raw and raw.isdigit() else None
