"""INTERACTION_CREATE for slash commands and component clicks, and what the bot answered."""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import forms
from .events import WorldMixin

JSON = dict[str, Any]
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


@dataclass
class InteractionRecord:
    """One interaction sent to the bot and everything the bot did with it."""

    id: int
    token: str
    payload: JSON
    #: Callback bodies (``{"type": 4|5|6|7|9, "data": ...}``) in the order received.
    responses: list[JSON] = field(default_factory=list)
    #: Follow-up messages created through the interaction webhook.
    followups: list[JSON] = field(default_factory=list)
    #: The original response message (type 4/5), or the clicked message for type 6/7.
    original: JSON | None = None
    #: Bodies of PATCH requests to ``@original`` or follow-ups.
    edits: list[JSON] = field(default_factory=list)
    deleted: list[int] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition, repr=False)

    @property
    def channel_id(self) -> int:
        """The channel the interaction came from."""
        return int(self.payload["channel_id"])

    @property
    def response_type(self) -> int | None:
        """Type of the first callback, or ``None`` if the bot has not answered."""
        return int(self.responses[0]["type"]) if self.responses else None

    @property
    def acknowledged(self) -> bool:
        """Whether the bot answered the callback."""
        return bool(self.responses)

    async def wait(
        self,
        predicate: Callable[[InteractionRecord], bool],
        timeout: float = 5.0,
    ) -> None:
        """Wait until ``predicate(self)`` holds."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: predicate(self))

    async def wait_for_response(self, timeout: float = 5.0) -> JSON:
        """Wait for the callback and return its body."""
        await self.wait(lambda r: bool(r.responses), timeout)
        return self.responses[0]

    async def wait_for_followup(
        self,
        count: int = 1,
        timeout: float = 5.0,
    ) -> JSON:
        """Wait for the ``count``-th follow-up message and return it."""
        await self.wait(lambda r: len(r.followups) >= count, timeout)
        return self.followups[count - 1]

    async def wait_for_edit(
        self,
        count: int = 1,
        timeout: float = 5.0,
    ) -> JSON:
        """Wait for the ``count``-th edit body."""
        await self.wait(lambda r: len(r.edits) >= count, timeout)
        return self.edits[count - 1]

    async def notify(self) -> None:
        """Wake up waiters (called by the REST handlers)."""
        async with self._changed:
            self._changed.notify_all()


def normalize_options(options: list[JSON] | dict[str, Any] | None) -> list[JSON]:
    """``{"hours": 24}`` -> ``[{"name": "hours", "type": 4, "value": 24}]``; lists pass through."""
    if options is None:
        return []
    if isinstance(options, dict):
        return [{"name": k, "type": _option_type(v), "value": v} for k, v in options.items()]
    return [dict(o) for o in options]


def _option_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    return 3


def _leaves(options: list[JSON]) -> list[JSON]:
    found: list[JSON] = []
    for option in options:
        if option.get("type") in (1, 2):
            found.extend(_leaves(option.get("options", [])))
        else:
            found.append(option)
    return found


class InteractionEvents(WorldMixin):
    """Send slash-command and component interactions to the bot."""

    interactions: dict[int, InteractionRecord]

    def find_command(self, name: str, guild_id: int | None) -> JSON | None:
        """A synced command by name: the guild's commands first, then global ones."""
        pools = [self.state.guild_commands.get(guild_id, [])] if guild_id else []
        pools.append(self.state.global_commands)
        for pool in pools:
            for command in pool:
                if command["name"] == name:
                    return command
        return None

    async def interaction(
        self,
        name: str,
        *,
        user_id: int,
        channel_id: int,
        options: list[JSON] | dict[str, Any] | None = None,
        subcommand: str | None = None,
        group: str | None = None,
        resolved: JSON | None = None,
        command_type: int = 1,
        locale: str = "en-US",
    ) -> InteractionRecord:
        """A user runs ``/name [group] [subcommand] options...`` (INTERACTION_CREATE type 2).

        ``options`` is Discord's option list or a ``{name: value}`` dict; user (6), channel (7)
        and role (8) options are resolved automatically unless ``resolved`` is given. The
        command id (and ``guild_id`` for guild commands) come from what the bot synced.
        """
        guild_id = self.state.guild_of(channel_id)
        opts = normalize_options(options)
        if subcommand is not None:
            opts = [{"type": 1, "name": subcommand, "options": opts}]
        if group is not None:
            opts = [{"type": 2, "name": group, "options": opts}]
        command = self.find_command(name, guild_id)
        data: JSON = {
            "id": command["id"] if command else str(self.state.ids.next()),
            "name": name,
            "type": command_type,
            "options": opts,
        }
        if command is not None and command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        data["resolved"] = (
            resolved if resolved is not None else self._resolve(opts, user_id, channel_id)
        )
        return await self._send_interaction(2, user_id, channel_id, data, locale=locale)

    async def component_interaction(
        self,
        message_id: int,
        custom_id: str,
        *,
        user_id: int,
        channel_id: int,
        component_type: int = 2,
        values: list[str] | None = None,
    ) -> InteractionRecord:
        """A user clicks a button (``component_type`` 2) or picks from a select menu."""
        message = self.state.require_message(channel_id, message_id)
        data: JSON = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = values
        record = await self._send_interaction(
            3, user_id, channel_id, data, message=forms.message_event(self.state, message)
        )
        return record

    async def click_button(
        self, message_id: int, custom_id: str, *, user_id: int, channel_id: int
    ) -> InteractionRecord:
        """Shorthand for a button click."""
        return await self.component_interaction(
            message_id, custom_id, user_id=user_id, channel_id=channel_id
        )

    async def modal_submit(
        self, custom_id: str, values: dict[str, str], *, user_id: int, channel_id: int
    ) -> InteractionRecord:
        """A user submits a modal (type 5): ``values`` maps text-input custom ids to text.

        The modal's ``custom_id`` is in the bot's type-9 callback:
        ``record.responses[0]["data"]["custom_id"]``.
        """
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
            for key, value in values.items()
        ]
        data: JSON = {"custom_id": custom_id, "components": rows}
        return await self._send_interaction(5, user_id, channel_id, data)

    def _resolve(self, options: list[JSON], user_id: int, channel_id: int) -> JSON:
        state = self.state
        guild_id = state.guild_of(channel_id)
        guild = state.guilds.get(guild_id) if guild_id else None
        resolved: JSON = {}
        for option in _leaves(options):
            kind, value = option.get("type"), option.get("value")
            if kind not in (6, 7, 8, 9) or value is None:
                continue
            target = int(value)
            if kind in (6, 9) and target in state.users:
                resolved.setdefault("users", {})[str(target)] = copy.deepcopy(state.users[target])
                if guild is not None and target in guild.members:
                    member = forms.member_payload(state, guild.id, target, with_user=False)
                    member["permissions"] = str(state.permissions_for(target, channel_id))
                    resolved.setdefault("members", {})[str(target)] = member
            if kind in (8, 9) and guild is not None and target in guild.roles:
                resolved.setdefault("roles", {})[str(target)] = copy.deepcopy(guild.roles[target])
            if kind == 7 and target in state.channels:
                channel = copy.deepcopy(state.channels[target])
                channel["permissions"] = str(state.permissions_for(user_id, target))
                resolved.setdefault("channels", {})[str(target)] = channel
        return resolved

    async def _send_interaction(
        self,
        kind: int,
        user_id: int,
        channel_id: int,
        data: JSON,
        *,
        locale: str = "en-US",
        message: JSON | None = None,
    ) -> InteractionRecord:
        state = self.state
        interaction_id = state.ids.next()
        token = f"itok_{interaction_id}_{uuid.uuid4().hex}"
        guild_id = state.guild_of(channel_id)
        channel = copy.deepcopy(state.channels[channel_id])
        channel["permissions"] = str(state.permissions_for(user_id, channel_id))
        payload: JSON = {
            "id": str(interaction_id),
            "application_id": str(state.application_id),
            "type": kind,
            "data": data,
            "channel_id": str(channel_id),
            "channel": channel,
            "token": token,
            "version": 1,
            "locale": locale,
            "app_permissions": str(state.permissions_for(state.bot_id, channel_id)),
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "context": 0 if guild_id else 1,
        }
        if guild_id is not None:
            member = forms.member_payload(state, guild_id, user_id)
            member["permissions"] = channel["permissions"]
            payload.update(
                guild_id=str(guild_id),
                guild_locale="en-US",
                guild={"id": str(guild_id), "locale": "en-US", "features": []},
                member=member,
                authorizing_integration_owners={"0": str(guild_id)},
            )
        else:
            payload["user"] = copy.deepcopy(state.users[user_id])
            payload["authorizing_integration_owners"] = {"0": "0"}
        if message is not None:
            payload["message"] = message
        record = InteractionRecord(interaction_id, token, payload)
        if message is not None:
            record.original = state.get_message(channel_id, int(message["id"]))
        self.interactions[interaction_id] = record
        await self.gateway.dispatch("INTERACTION_CREATE", copy.deepcopy(payload))
        return record
