"""Gateway websocket: HELLO/IDENTIFY/RESUME, heartbeats, sequenced dispatch, replay, faults."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from . import forms
from .connection import Compressor, Connection, zstd_available

if TYPE_CHECKING:
    from .state import DoubleState

JSON = dict[str, Any]
log = logging.getLogger(__name__)

# Intent bits used to filter dispatches.
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
DIRECT_MESSAGES = 1 << 12
DIRECT_MESSAGE_REACTIONS = 1 << 13
MESSAGE_CONTENT = 1 << 15
PRIVILEGED = GUILD_MEMBERS | MESSAGE_CONTENT | (1 << 8)


@dataclass(eq=False)
class GatewaySession:
    """A resumable gateway session with its replay buffer."""

    session_id: str
    intents: int
    seq: int = 0
    buffer: list[tuple[int, str]] = field(default_factory=list)
    conn: Connection | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class GatewayLogEntry:
    """Something that happened on the gateway (``kind``: identify, resume, close, ...)."""

    kind: str
    time: float
    session_id: str | None = None
    detail: Any = None


class Gateway:
    """All gateway sessions and connections of one double."""

    def __init__(self, state: DoubleState, *, heartbeat_interval_ms: int = 1000) -> None:
        self.state = state
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.base_url = ""
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: set[Connection] = set()
        self.log: list[GatewayLogEntry] = []
        self.received: list[JSON] = []
        self.errors: list[str] = []
        self.counts: dict[str, int] = {"identify": 0, "resume": 0, "resume_failed": 0}
        #: Answer op 1 with op 11 (turn off to simulate a zombied connection).
        self.ack_heartbeats = True
        #: Split every zlib-stream payload over two websocket frames (clients must buffer).
        self.split_frames = False
        #: Intents that make IDENTIFY fail with close code 4014 (privileged, not enabled).
        self.disallowed_intents = 0
        self._changed = asyncio.Condition()

    # ---------------------------------------------------------------- server
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """aiohttp handler for the gateway endpoint."""
        ws = web.WebSocketResponse(max_msg_size=0, compress=False, autoping=True)
        await ws.prepare(request)
        mode = request.query.get("compress")
        conn = Connection(ws, request.transport, Compressor(None), request.path)
        problem = self._check_query(request.query.get("v"), request.query.get("encoding"), mode)
        if problem is not None:
            code, reason = problem
            self._error(f"gateway connect refused ({code}): {reason} ({request.query_string})")
            await ws.close(code=code, message=reason.encode())
            return ws
        conn.compressor = Compressor(mode)
        self.connections.add(conn)
        await self._note("connect", None, {"path": request.path, **request.query})
        try:
            await conn.send(self._frame(10, {"heartbeat_interval": self.heartbeat_interval_ms}))
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    self._error(f"unexpected client frame type {msg.type!r}")
                    await ws.close(code=4002, message=b"Decode error")
                    break
                if not await self._on_frame(conn, json.loads(msg.data)):
                    break
        except ConnectionError:
            pass
        finally:
            await self._detach(conn)
        return ws

    def _check_query(
        self, version: str | None, encoding: str | None, mode: str | None
    ) -> tuple[int, str] | None:
        """Refuse what the double cannot serve with 4012, a code discord.py does not retry."""
        if version != "10":
            return 4012, f"Invalid API version {version!r}"
        if encoding not in (None, "json"):
            return 4012, f"Unsupported encoding {encoding!r} (the double speaks json only)"
        if mode not in (None, "zlib-stream", "zstd-stream"):
            return 4012, f"Unsupported compression {mode!r}"
        if mode == "zstd-stream" and not zstd_available():
            return 4012, "zstd-stream requested but no zstd module is importable"
        return None

    async def _on_frame(self, conn: Connection, frame: JSON) -> bool:
        self.received.append(frame)
        op, data = frame.get("op"), frame.get("d")
        if op == 1:
            await self._note("heartbeat", conn.session and conn.session.session_id, data)
            if self.ack_heartbeats:
                await conn.send(self._frame(11, None))
            return True
        if op == 2:
            return await self._identify(conn, data or {})
        if op == 6:
            return await self._resume(conn, data or {})
        if conn.session is None:
            await conn.ws.close(code=4003, message=b"Not authenticated")
            return False
        if op == 8:
            await self._request_members(conn.session, data or {})
        elif op in (3, 4):
            await self._note("presence" if op == 3 else "voice_state", None, data)
        else:
            await conn.ws.close(code=4001, message=b"Unknown opcode")
            return False
        return True

    async def _identify(self, conn: Connection, data: JSON) -> bool:
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated")
            return False
        if data.get("token") != self.state.token:
            self._error("IDENTIFY with a wrong token")
            await conn.ws.close(code=4004, message=b"Authentication failed")
            return False
        intents = int(data.get("intents", 0))
        if intents & self.disallowed_intents:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s)")
            return False
        session = GatewaySession(uuid.uuid4().hex, intents)
        self.sessions[session.session_id] = session
        async with session.lock:
            session.conn = conn
            conn.session = session
            await self._emit(session, "READY", self._ready_payload(session))
            for guild_id in self.state.guilds:
                payload = forms.guild_create(
                    self.state, guild_id, with_members=bool(intents & GUILD_MEMBERS)
                )
                await self._emit(session, "GUILD_CREATE", payload)
        self.counts["identify"] += 1
        await self._note("identify", session.session_id, data.get("intents"))
        return True

    def _ready_payload(self, session: GatewaySession) -> JSON:
        bot = dict(self.state.bot_user, verified=True, mfa_enabled=False, email=None)
        return {
            "v": 10,
            "user": bot,
            "guilds": [{"id": str(g), "unavailable": True} for g in self.state.guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": f"{self.base_url}/gateway-resume",
            "application": {"id": str(self.state.application_id), "flags": 1 << 19 | 1 << 15},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "auth": {},
            "user_settings": {},
            "_trace": ['["discord-double",{"micros":0}]'],
        }

    async def _resume(self, conn: Connection, data: JSON) -> bool:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self.state.token:
            self.counts["resume_failed"] += 1
            await self._note("resume_failed", data.get("session_id"), data.get("seq"))
            await conn.send(self._frame(9, False))
            return True
        async with session.lock:
            old = session.conn
            if old is not None and old is not conn:
                old.dead = True
                await old.ws.close(code=4000, message=b"Session resumed elsewhere")
            session.conn = conn
            conn.session = session
            last_seen = int(data.get("seq") or 0)
            for seq, frame in session.buffer:
                if seq > last_seen:
                    await conn.send(frame, split=self.split_frames)
            session.seq += 1
            await conn.send(self._frame(0, {}, seq=session.seq, event="RESUMED"))
        self.counts["resume"] += 1
        await self._note("resume", session.session_id, data.get("seq"))
        return True

    async def _request_members(self, session: GatewaySession, data: JSON) -> None:
        guild = self.state.guilds.get(int(data.get("guild_id", 0)))
        if guild is None:
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        query = str(data.get("query") or "").lower()
        found = [
            m
            for uid, m in guild.members.items()
            if (not wanted or uid in wanted) and m["user"]["username"].lower().startswith(query)
        ]
        limit = int(data.get("limit") or 0)
        if limit:
            found = found[:limit]
        payload: JSON = {
            "guild_id": str(guild.id),
            "members": found,
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if data.get("nonce"):
            payload["nonce"] = data["nonce"]
        async with session.lock:
            await self._emit(session, "GUILD_MEMBERS_CHUNK", payload)

    async def _detach(self, conn: Connection) -> None:
        conn.dead = True
        self.connections.discard(conn)
        session = conn.session
        code = conn.ws.close_code
        if session is not None and session.conn is conn:
            session.conn = None
            if code in (1000, 1001):
                # A clean close by the client ends the session (Discord does the same).
                self.sessions.pop(session.session_id, None)
        await self._note("close", session and session.session_id, code)

    # -------------------------------------------------------------- dispatch
    async def dispatch(
        self, event: str, data: JSON, *, intents: int = 0, channel_id: int | None = None
    ) -> int:
        """Send a dispatch to every live session that would receive it.

        ``intents``: the event is only sent to sessions with one of these bits.
        ``channel_id``: only sent if the bot can view that channel.
        Events for disconnected (resumable) sessions are buffered for replay.
        Returns the number of sessions the event was queued for.
        """
        if channel_id is not None and not self.state.can_view(self.state.bot_id, channel_id):
            return 0
        count = 0
        for session in list(self.sessions.values()):
            if intents and not session.intents & intents:
                continue
            async with session.lock:
                await self._emit(session, event, self._shape(session, event, data))
            count += 1
        return count

    def _shape(self, session: GatewaySession, event: str, data: JSON) -> JSON:
        if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE") or "guild_id" not in data:
            return data
        if session.intents & MESSAGE_CONTENT:
            return data
        bot = str(self.state.bot_id)
        if data["author"]["id"] == bot or any(m["id"] == bot for m in data.get("mentions", [])):
            return data
        return dict(data, content="", embeds=[], attachments=[], components=[])

    async def _emit(self, session: GatewaySession, event: str, data: JSON) -> None:
        """Sequence, buffer and (if connected) send one dispatch. Caller holds the lock."""
        session.seq += 1
        frame = self._frame(0, data, seq=session.seq, event=event)
        session.buffer.append((session.seq, frame))
        conn = session.conn
        if conn is None:
            return
        try:
            await conn.send(frame, split=self.split_frames)
        except (ConnectionError, RuntimeError):
            conn.dead = True

    @staticmethod
    def _frame(op: int, data: Any, *, seq: int | None = None, event: str | None = None) -> str:
        return json.dumps({"op": op, "d": data, "s": seq, "t": event}, separators=(",", ":"))

    # ----------------------------------------------------------------- faults
    async def drop_connections(self) -> int:
        """Abort every connection's TCP stream (no close frame). Sessions stay resumable."""
        conns = list(self.connections)
        for conn in conns:
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
            conn.abort()
        await self._note("drop", None, len(conns))
        return len(conns)

    async def send_reconnect(self) -> int:
        """Send op 7 RECONNECT on every connection."""
        return await self._broadcast(self._frame(7, None))

    async def invalidate_sessions(self, *, resumable: bool) -> int:
        """Send op 9 INVALID_SESSION; with ``resumable=False`` the sessions are discarded."""
        sent = await self._broadcast(self._frame(9, resumable))
        if not resumable:
            for conn in list(self.connections):
                if conn.session is not None:
                    self.sessions.pop(conn.session.session_id, None)
        return sent

    async def close_connections(self, code: int = 4000, reason: str = "") -> int:
        """Close every connection with a websocket close ``code``."""
        conns = list(self.connections)
        for conn in conns:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await conn.ws.close(code=code, message=reason.encode())
        return len(conns)

    async def _broadcast(self, frame: str) -> int:
        sent = 0
        for conn in list(self.connections):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await conn.send(frame)
                sent += 1
        return sent

    async def shutdown(self) -> None:
        """Close all connections (server stop)."""
        await self.close_connections(1001, "double stopping")

    # ---------------------------------------------------------------- waiting
    async def wait_for(self, kind: str, count: int, timeout: float) -> None:
        """Wait until ``counts[kind] >= count``."""

        def done() -> bool:
            return self.counts.get(kind, 0) >= count

        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(done)

    async def _note(self, kind: str, session_id: str | None, detail: Any) -> None:
        self.log.append(GatewayLogEntry(kind, time.monotonic(), session_id, detail))
        async with self._changed:
            self._changed.notify_all()

    def _error(self, message: str) -> None:
        log.error("discord double: %s", message)
        self.errors.append(message)
