"""Test-driven thread, member and channel events."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from . import forms
from . import payloads as p
from .events import WorldMixin
from .gateway import GUILD_MEMBERS, GUILD_MESSAGES, GUILDS

JSON = dict[str, Any]
_UNSET: Any = object()


class GuildEvents(WorldMixin):
    """Threads (incl. forum posts), thread members, guild members and channels."""

    async def _thread_event(self, event: str, thread_id: int, **extra: Any) -> None:
        data = forms.thread_payload(self.state, thread_id)
        data.update(extra)
        await self.gateway.dispatch(event, data, intents=GUILDS, channel_id=thread_id)

    # --------------------------------------------------------------- threads
    async def create_thread(
        self,
        parent_id: int,
        name: str,
        *,
        owner_id: int,
        private: bool = False,
        message_id: int | None = None,
        content: str | None = None,
        applied_tags: list[int] | None = None,
        members: list[int] | tuple[int, ...] = (),
        at: datetime | None = None,
        auto_archive_duration: int = 1440,
    ) -> JSON:
        """A user creates a thread; dispatches THREAD_CREATE (``newly_created``).

        - Under a forum channel: a forum post (type 11) whose starter message (``content``) has
          the thread's id; MESSAGE_CREATE for the starter follows THREAD_CREATE.
        - With ``message_id``: a public thread started from that message (same id).
        - Otherwise a public (11) or, with ``private=True``, a private (12) thread.
        ``members`` join besides the owner; private threads are only visible to the bot when it
        is a member (or has MANAGE_THREADS).
        """
        parent = self.state.channels[parent_id]
        forum = parent["type"] == p.GUILD_FORUM
        kind = p.PRIVATE_THREAD if private and not forum and message_id is None else p.PUBLIC_THREAD
        thread = self.state.add_thread(
            parent_id,
            name,
            owner_id=owner_id,
            thread_type=kind,
            thread_id=message_id,
            members=members,
            at=at,
            applied_tags=applied_tags,
            auto_archive_duration=auto_archive_duration,
        )
        thread_id = int(thread["id"])
        if message_id is not None:
            source = self.state.require_message(parent_id, message_id)
            source["thread"] = copy.deepcopy(thread)
            source["flags"] |= p.FLAG_HAS_THREAD
        await self._thread_event("THREAD_CREATE", thread_id, newly_created=True)
        if forum:
            starter = self.state.add_message(
                thread_id, owner_id, content or name, message_id=thread_id
            )
            await self._publish(starter)
        return copy.deepcopy(self.state.channels[thread_id])

    async def _publish(self, message: JSON) -> None:
        channel_id = int(message["channel_id"])
        await self.gateway.dispatch(
            "MESSAGE_CREATE",
            forms.message_event(self.state, message),
            intents=GUILD_MESSAGES,
            channel_id=channel_id,
        )

    async def update_thread(
        self,
        thread_id: int,
        *,
        name: str | None = None,
        archived: bool | None = None,
        locked: bool | None = None,
        applied_tags: list[int] | None = None,
    ) -> JSON:
        """Rename/archive/lock/retag a thread; dispatches THREAD_UPDATE."""
        thread = self.state.channels[thread_id]
        meta = thread["thread_metadata"]
        if name is not None:
            thread["name"] = name
        if archived is not None and archived != meta["archived"]:
            meta["archived"] = archived
            self.state.touch_archive(thread_id)
        if locked is not None:
            meta["locked"] = locked
        if applied_tags is not None:
            thread["applied_tags"] = [str(t) for t in applied_tags]
        await self._thread_event("THREAD_UPDATE", thread_id)
        return copy.deepcopy(thread)

    async def delete_thread(self, thread_id: int) -> None:
        """Delete a thread (and its messages); dispatches THREAD_DELETE."""
        thread = self.state.channels[thread_id]
        visible = self.state.can_view(self.state.bot_id, thread_id)
        data = {
            "id": thread["id"],
            "guild_id": thread["guild_id"],
            "parent_id": thread["parent_id"],
            "type": thread["type"],
        }
        self.state.remove_channel(thread_id)
        if visible:
            await self.gateway.dispatch("THREAD_DELETE", data, intents=GUILDS)

    async def add_thread_member(self, thread_id: int, user_id: int) -> None:
        """Add a user to a thread (THREAD_MEMBERS_UPDATE).

        Adding the bot to a thread it could not see also sends THREAD_CREATE first, as Discord
        does. Other users' joins need the GUILD_MEMBERS intent.
        """
        bot = self.state.bot_id
        was_visible = self.state.can_view(bot, thread_id)
        self.state.add_thread_member(thread_id, user_id)
        if user_id == bot and not was_visible:
            await self._thread_event("THREAD_CREATE", thread_id)
        data = self._members_update(thread_id)
        data["added_members"] = [forms.thread_member_event(self.state, thread_id, user_id)]
        intents = GUILDS if user_id == bot else GUILD_MEMBERS
        await self.gateway.dispatch(
            "THREAD_MEMBERS_UPDATE", data, intents=intents, channel_id=thread_id
        )

    async def remove_thread_member(self, thread_id: int, user_id: int) -> None:
        """Remove a user from a thread (THREAD_MEMBERS_UPDATE with ``removed_member_ids``)."""
        bot = self.state.bot_id
        visible = self.state.can_view(bot, thread_id)
        self.state.thread_members.get(thread_id, {}).pop(user_id, None)
        thread = self.state.channels[thread_id]
        thread["member_count"] = min(len(self.state.thread_members.get(thread_id, {})), 50)
        data = self._members_update(thread_id)
        data["removed_member_ids"] = [str(user_id)]
        if visible:
            intents = GUILDS if user_id == bot else GUILD_MEMBERS
            await self.gateway.dispatch("THREAD_MEMBERS_UPDATE", data, intents=intents)

    def _members_update(self, thread_id: int) -> JSON:
        thread = self.state.channels[thread_id]
        return {
            "id": thread["id"],
            "guild_id": thread["guild_id"],
            "member_count": thread["member_count"],
        }

    # --------------------------------------------------------------- members
    async def member_join(
        self,
        username: str,
        *,
        user_id: int | None = None,
        roles: list[int] | tuple[int, ...] = (),
        nick: str | None = None,
        bot: bool = False,
        guild_id: int | None = None,
    ) -> JSON:
        """A user joins the guild (GUILD_MEMBER_ADD). Returns the member payload."""
        gid = guild_id or self.default_guild_id
        if user_id is None or user_id not in self.state.users:
            user_id = int(self.state.add_user(username, user_id=user_id, bot=bot)["id"])
        self.state.add_member(gid, user_id, roles=roles, nick=nick)
        data = forms.member_payload(self.state, gid, user_id)
        await self.gateway.dispatch(
            "GUILD_MEMBER_ADD", dict(data, guild_id=str(gid)), intents=GUILD_MEMBERS
        )
        return data

    async def member_leave(self, user_id: int, *, guild_id: int | None = None) -> None:
        """A member leaves (GUILD_MEMBER_REMOVE)."""
        gid = guild_id or self.default_guild_id
        self.state.guilds[gid].members.pop(user_id)
        data = {"guild_id": str(gid), "user": copy.deepcopy(self.state.users[user_id])}
        await self.gateway.dispatch("GUILD_MEMBER_REMOVE", data, intents=GUILD_MEMBERS)

    async def remove_bot(self, guild_id: int | None = None) -> None:
        """The bot is kicked or banned from a guild: GUILD_DELETE without ``unavailable``."""
        gid = guild_id or self.default_guild_id
        self.state.guilds.pop(gid)
        await self.gateway.dispatch("GUILD_DELETE", {"id": str(gid)}, intents=GUILDS)

    async def member_update(
        self,
        user_id: int,
        *,
        nick: str | None = _UNSET,
        roles: list[int] | None = None,
        global_name: str | None = _UNSET,
        guild_id: int | None = None,
    ) -> JSON:
        """Change a member's nick/roles (or user's global name): GUILD_MEMBER_UPDATE."""
        gid = guild_id or self.default_guild_id
        member = self.state.guilds[gid].members[user_id]
        if nick is not _UNSET:
            member["nick"] = nick
        if roles is not None:
            member["roles"] = [str(r) for r in roles]
        if global_name is not _UNSET:
            self.state.users[user_id]["global_name"] = global_name
            member["user"] = self.state.users[user_id]
        data = forms.member_payload(self.state, gid, user_id)
        await self.gateway.dispatch(
            "GUILD_MEMBER_UPDATE", dict(data, guild_id=str(gid)), intents=GUILD_MEMBERS
        )
        return data

    # -------------------------------------------------------------- channels
    async def create_channel(
        self,
        name: str,
        channel_type: int = p.GUILD_TEXT,
        *,
        guild_id: int | None = None,
        **kwargs: Any,
    ) -> JSON:
        """Create a guild channel (CHANNEL_CREATE); kwargs as ``payloads.guild_channel``."""
        gid = guild_id or self.default_guild_id
        channel = self.state.add_channel(gid, name, channel_type, **kwargs)
        cid = int(channel["id"])
        await self.gateway.dispatch(
            "CHANNEL_CREATE", copy.deepcopy(channel), intents=GUILDS, channel_id=cid
        )
        return copy.deepcopy(channel)

    async def update_channel(self, channel_id: int, **fields: Any) -> JSON:
        """Change channel fields (e.g. ``permission_overwrites``, ``name``): CHANNEL_UPDATE."""
        channel = self.state.channels[channel_id]
        channel.update(copy.deepcopy(fields))
        await self.gateway.dispatch("CHANNEL_UPDATE", copy.deepcopy(channel), intents=GUILDS)
        return copy.deepcopy(channel)

    async def delete_channel(self, channel_id: int) -> None:
        """Delete a guild channel (CHANNEL_DELETE)."""
        channel = self.state.remove_channel(channel_id)
        if channel is not None:
            await self.gateway.dispatch("CHANNEL_DELETE", channel, intents=GUILDS)

    # ------------------------------------------------------------ guild, roles
    async def update_guild(self, *, guild_id: int | None = None, **fields: Any) -> JSON:
        """Change guild fields (e.g. ``owner_id`` for an ownership transfer): GUILD_UPDATE.

        Discord sends the guild object with its roles, without channels or members.
        """
        gid = guild_id or self.default_guild_id
        guild = self.state.guilds[gid]
        guild.data.update({k: str(v) if k.endswith("_id") and v else v for k, v in fields.items()})
        data = forms.guild_rest(self.state, gid)
        data.pop("approximate_member_count", None)
        data.pop("approximate_presence_count", None)
        await self.gateway.dispatch("GUILD_UPDATE", data, intents=GUILDS)
        return data

    async def create_role(
        self, name: str, permissions: int, *, guild_id: int | None = None, **kwargs: Any
    ) -> JSON:
        """A new role (GUILD_ROLE_CREATE: ``guild_id`` and ``role``)."""
        gid = guild_id or self.default_guild_id
        role = self.state.add_role(gid, name, permissions, **kwargs)
        await self.gateway.dispatch(
            "GUILD_ROLE_CREATE", {"guild_id": str(gid), "role": copy.deepcopy(role)}, intents=GUILDS
        )
        return copy.deepcopy(role)

    async def update_role(
        self, role_id: int, *, guild_id: int | None = None, **fields: Any
    ) -> JSON:
        """Change a role (``permissions`` as an int, ``name``…): GUILD_ROLE_UPDATE."""
        gid = guild_id or self.default_guild_id
        role = self.state.guilds[gid].roles[role_id]
        for key, value in fields.items():
            role[key] = str(value) if key == "permissions" else value
        await self.gateway.dispatch(
            "GUILD_ROLE_UPDATE", {"guild_id": str(gid), "role": copy.deepcopy(role)}, intents=GUILDS
        )
        return copy.deepcopy(role)

    async def delete_role(self, role_id: int, *, guild_id: int | None = None) -> None:
        """Delete a role (GUILD_ROLE_DELETE: ``guild_id`` and ``role_id``).

        As in Discord, members lose it and channels lose its overwrites, with no further events.
        """
        gid = guild_id or self.default_guild_id
        guild = self.state.guilds[gid]
        guild.roles.pop(role_id)
        for member in guild.members.values():
            member["roles"] = [r for r in member["roles"] if int(r) != role_id]
        for channel in self.state.guild_channels(gid):
            stored = self.state.channels[int(channel["id"])]
            stored["permission_overwrites"] = [
                o for o in stored.get("permission_overwrites", []) if int(o["id"]) != role_id
            ]
        await self.gateway.dispatch(
            "GUILD_ROLE_DELETE", {"guild_id": str(gid), "role_id": str(role_id)}, intents=GUILDS
        )
