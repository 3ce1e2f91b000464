"""Helpers for slash-command end-to-end tests: invoke, time the first callback, click, check."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.app.client import EXTENSIONS as BOT_EXTENSIONS
from testing.discord_double import forms
from testing.discord_double.interactions import InteractionRecord
from testing.discord_double.server import DiscordDouble
from tests.e2e.harness import FastHearthBot, running_bot

EXTENSIONS = BOT_EXTENSIONS  # every cog the bot loads, so a new one is in every command test
EPHEMERAL = 1 << 6
DEFERRED, MESSAGE, UPDATE, AUTOCOMPLETE = 5, 4, 7, 8
FIRST_CALLBACK_WITHIN = 3.0


@contextlib.asynccontextmanager
async def command_bot(double: DiscordDouble, tmp_path: Path) -> AsyncIterator[FastHearthBot]:
    """The real bot with the archive and every command extension."""
    async with running_bot(double, tmp_path / "hearth.db", extensions=EXTENSIONS) as bot:
        yield bot


class Invocation:
    """One slash command sent to the bot, with the moment it was sent."""

    def __init__(self, double: DiscordDouble, record: InteractionRecord, sent: float) -> None:
        self.double = double
        self.record = record
        self.sent = sent

    async def first(self, expected: int) -> dict[str, Any]:
        """The first callback: of type ``expected``, within 3 s of the interaction."""
        body = await self.record.wait_for_response()
        assert body["type"] == expected, body
        (callback,) = self.double.find_requests(
            "POST", f"/interactions/{self.record.id}/*/callback"
        )
        assert callback.time - self.sent < FIRST_CALLBACK_WITHIN
        return body

    async def deferred(self, *, ephemeral: bool = True) -> dict[str, Any]:
        """A deferred response (type 5) with the expected visibility; returns the follow-up."""
        body = await self.first(DEFERRED)
        flags = int((body.get("data") or {}).get("flags") or 0)
        assert bool(flags & EPHEMERAL) is ephemeral, body
        return await self.record.wait_for_followup()

    async def replied(self) -> dict[str, Any]:
        """An immediate ephemeral message (type 4); returns its data."""
        body = await self.first(MESSAGE)
        assert int(body["data"].get("flags") or 0) & EPHEMERAL, body
        return body["data"]

    async def error_text(self) -> str:
        """The ephemeral error: an immediate message or the follow-up of a deferral."""
        body = await self.record.wait_for_response()
        if body["type"] == MESSAGE:
            return (await self.replied())["content"]
        followup = await self.deferred(ephemeral=True)
        return followup["content"]


async def invoke(
    double: DiscordDouble,
    name: str,
    *,
    user: int,
    channel: int,
    options: dict[str, Any] | None = None,
    subcommand: str | None = None,
    group: str | None = None,
) -> Invocation:
    """Run ``/name [group] [subcommand] options`` as ``user`` in ``channel``."""
    sent = time.monotonic()
    record = await double.interaction(
        name, user_id=user, channel_id=channel, options=options, subcommand=subcommand, group=group
    )
    return Invocation(double, record, sent)


def completion(bot: FastHearthBot, name: str) -> asyncio.Future[Any]:
    """Resolves when the command ``name`` has finished in the bot (start before invoking)."""
    return asyncio.ensure_future(
        bot.wait_for("app_command_completion", check=lambda _i, c: c.name == name, timeout=5)
    )


async def click(
    double: DiscordDouble, message: dict[str, Any], custom_id: str, *, user: int
) -> InteractionRecord:
    """Press a button on a message, ephemeral ones included.

    The double's ``click_button`` only finds stored (non-ephemeral) messages, so this sends the
    component interaction with the ephemeral message the member is looking at.
    """
    channel = int(message["channel_id"])
    return await double._send_interaction(
        3,
        user,
        channel,
        {"custom_id": custom_id, "component_type": 2},
        message=forms.message_event(double.state, message),
    )


async def autocomplete(
    double: DiscordDouble,
    name: str,
    options: list[dict[str, Any]],
    *,
    user: int,
    channel: int,
) -> list[dict[str, Any]]:
    """Send an autocomplete interaction (type 4); returns the choices the bot offered."""
    command = double.find_command(name, double.state.guild_of(channel))
    assert command is not None
    data = {"id": command["id"], "name": name, "type": 1, "options": options}
    record = await double._send_interaction(4, user, channel, data)
    body = await record.wait_for_response()
    assert body["type"] == AUTOCOMPLETE
    return body["data"]["choices"]


def channel_option(channel_id: int, name: str = "channel") -> dict[str, Any]:
    """A channel option (type 7); the double resolves it with the member's permissions."""
    return {"name": name, "type": 7, "value": str(channel_id)}


def embed_text(message: dict[str, Any]) -> str:
    """Every visible text of a message's embeds, joined."""
    parts = []
    for embed in message.get("embeds") or []:
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
        parts.append((embed.get("footer") or {}).get("text", ""))
    return "\n".join(parts)


def assert_never_pinged(double: DiscordDouble) -> None:
    """Every message the bot sent carried ``allowed_mentions: {"parse": []}``."""
    bodies = []
    for request in double.find_requests("POST", "/interactions/*/*/callback"):
        data = (request.json or {}).get("data") or {}
        if request.json and request.json.get("type") in (MESSAGE, UPDATE) and data:
            bodies.append(data)
    for method in ("POST", "PATCH"):
        for request in double.find_requests(method, "/webhooks/**"):
            bodies.append(request.json or {})
        for request in double.find_requests(method, "/channels/*/messages"):
            bodies.append(request.json or {})
    for body in bodies:
        if body.get("content") or body.get("embeds"):
            assert body.get("allowed_mentions") == {"parse": []}, body


def ago(**delta: float) -> dt.datetime:
    """A moment in the past, for messages seeded as history."""
    return dt.datetime.now(dt.UTC) - dt.timedelta(**delta)
