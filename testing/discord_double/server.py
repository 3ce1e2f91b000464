"""``DiscordDouble``: the aiohttp server tying the store, REST routes and gateway together."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import TracebackType
from typing import Any, Literal, Self

import yarl
from aiohttp import web

from .events import MessageEvents
from .events_guild import GuildEvents
from .gateway import Gateway
from .interactions import InteractionEvents, InteractionRecord
from .rest import routes
from .rest_core import (
    DOUBLE_KEY,
    FaultRule,
    RateLimitRule,
    RecordedRequest,
    RestFaults,
    make_middleware,
    method_matches,
    path_matches,
)
from .state import DoubleState

JSON = dict[str, Any]


class DiscordDouble(MessageEvents, GuildEvents, InteractionEvents):
    """A fake Discord (REST ``/api/v10`` + gateway websocket) on 127.0.0.1.

    Use as ``async with DiscordDouble() as double:`` or ``await double.start()`` /
    ``await double.stop()``. Point discord.py at it with :meth:`patch_discord`.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_name: str = "Hearth",
        heartbeat_interval_ms: int = 1000,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.state = DoubleState(token=token, bot_name=bot_name)
        self.gateway = Gateway(self.state, heartbeat_interval_ms=heartbeat_interval_ms)
        self.faults = RestFaults()
        self.requests: list[RecordedRequest] = []
        self.interactions: dict[int, InteractionRecord] = {}
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    # ------------------------------------------------------------- lifecycle
    async def start(self) -> Self:
        """Bind ``host`` on a free port (unless ``port`` was given) and serve."""
        app = web.Application(middlewares=[make_middleware(self)], client_max_size=64 * 2**20)
        app[DOUBLE_KEY] = self
        app.router.add_routes(routes())
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway-resume", self.gateway.handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.gateway.base_url = f"ws://{self.host}:{self.port}"
        return self

    async def stop(self) -> None:
        """Close gateway connections and stop serving."""
        if self._runner is None:
            return
        await self.gateway.shutdown()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------- addresses
    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for ``discord.http.Route.BASE``."""
        return f"{self.url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """Value for ``DiscordWebSocket.DEFAULT_GATEWAY`` (no query string)."""
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def token(self) -> str:
        """The bot token the double accepts."""
        return self.state.token

    @property
    def bot_id(self) -> int:
        """The bot user's id (also the application id)."""
        return self.state.bot_id

    @property
    def application_id(self) -> int:
        """The application id."""
        return self.state.application_id

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py's ``Route.BASE`` and ``DEFAULT_GATEWAY`` here; restore on exit."""
        from discord.gateway import DiscordWebSocket
        from discord.http import Route

        old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
        Route.BASE = self.api_base
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway

    # --------------------------------------------------------- REST records
    def find_requests(
        self, method: str = "*", path: str = "**", *, status: int | None = None
    ) -> list[RecordedRequest]:
        """Recorded REST requests matching ``method`` and a path glob (``*`` = one segment).

        Example: ``double.find_requests("POST", "/channels/*/messages")``.
        """
        return [
            r
            for r in self.requests
            if method_matches(method.upper() if method != "*" else "*", r.method)
            and path_matches(path, r.path)
            and (status is None or r.status == status)
        ]

    def unknown_requests(self) -> list[RecordedRequest]:
        """Requests to routes the double does not implement (answered 404/405)."""
        return [r for r in self.requests if not r.known_route]

    # ----------------------------------------------------------- REST faults
    def fail_next(
        self,
        method: str,
        path: str,
        *,
        status: int = 500,
        count: int = 1,
        retry_after: float = 0.3,
        is_global: bool = False,
        scope: str = "user",
        body: Any = None,
    ) -> FaultRule:
        """Answer the next ``count`` matching requests with ``status``.

        429s carry Discord's rate-limit headers and body (``retry_after``, ``global``);
        other statuses get ``body`` (JSON, or a str sent as text/html) or a Discord error.
        """
        rule = FaultRule(method.upper(), path, status, count, retry_after, is_global, scope, body)
        self.faults.faults.append(rule)
        return rule

    def rate_limit_next(self, method: str, path: str, **kwargs: Any) -> FaultRule:
        """``fail_next(..., status=429)``."""
        return self.fail_next(method, path, status=429, **kwargs)

    def set_rate_limit(self, method: str, path: str, *, limit: int, window: float) -> RateLimitRule:
        """Enforce ``limit`` requests per ``window`` s per concrete path, with honest headers."""
        rule = RateLimitRule(method.upper(), path, limit, window)
        self.faults.limits.append(rule)
        return rule

    def clear_faults(self) -> None:
        """Remove all REST fault and rate-limit rules."""
        self.faults.faults.clear()
        self.faults.limits.clear()

    def close_dms(self, user_id: int) -> None:
        """The user closed their DMs: sending them a DM answers 403 / code 50007."""
        self.state.closed_dms.add(user_id)

    def open_dms(self, user_id: int) -> None:
        """Undo :meth:`close_dms`."""
        self.state.closed_dms.discard(user_id)

    # -------------------------------------------------------- gateway faults
    async def drop_gateway(self) -> int:
        """Abort every gateway TCP connection (client sees 1006 and RESUMEs)."""
        return await self.gateway.drop_connections()

    async def send_reconnect(self) -> int:
        """Send op 7 RECONNECT (client closes and RESUMEs)."""
        return await self.gateway.send_reconnect()

    async def invalidate_session(self, *, resumable: bool = False) -> int:
        """Send op 9 INVALID_SESSION (``resumable=False`` forces a new IDENTIFY)."""
        return await self.gateway.invalidate_sessions(resumable=resumable)

    async def close_gateway(self, code: int = 4000, reason: str = "") -> int:
        """Close gateway connections with a given close code."""
        return await self.gateway.close_connections(code, reason)

    @property
    def identify_count(self) -> int:
        """Successful IDENTIFYs so far."""
        return self.gateway.counts["identify"]

    @property
    def resume_count(self) -> int:
        """Successful RESUMEs so far."""
        return self.gateway.counts["resume"]

    async def wait_for_session(
        self,
        kind: Literal["identify", "resume", "resume_failed"] = "identify",
        *,
        count: int | None = None,
        timeout: float = 5.0,
    ) -> None:
        """Wait until ``kind`` happened ``count`` times in total (default: one more than now).

        An IDENTIFY counts once READY and all GUILD_CREATEs were sent; a RESUME once the
        missed events were replayed and RESUMED sent.
        """
        target = count if count is not None else self.gateway.counts[kind] + 1
        await self.gateway.wait_for(kind, target, timeout)

    # --------------------------------------------------------------- queries
    def messages(self, channel_id: int) -> list[JSON]:
        """A channel's stored messages, oldest first."""
        store = self.state.messages.get(channel_id, {})
        return [store[k] for k in sorted(store)]

    def dm_messages(self, user_id: int) -> list[JSON]:
        """Messages in the bot's DM channel with ``user_id`` (oldest first)."""
        channel_id = self.state.dm_channels.get(user_id)
        return [] if channel_id is None else self.messages(channel_id)

    def synced_commands(self, guild_id: int | None = None) -> list[JSON]:
        """Commands the bot synced (global, or for ``guild_id``)."""
        if guild_id is None:
            return list(self.state.global_commands)
        return list(self.state.guild_commands.get(guild_id, []))
