"""The double's world: users, guilds, roles, members, channels, threads, messages.

Objects are kept as Discord JSON payloads (REST form), so REST answers are copies of the store
and gateway events are the store plus the few gateway-only keys (``guild_id``, ``member``).
"""

from __future__ import annotations

import base64
import copy
import os
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import payloads as p
from . import perms
from .snowflake import SnowflakeGenerator, iso, utcnow

JSON = dict[str, Any]
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


@dataclass
class GuildRecord:
    """A guild: its own fields plus roles and members keyed by id."""

    data: JSON
    roles: dict[int, JSON] = field(default_factory=dict)
    members: dict[int, JSON] = field(default_factory=dict)

    @property
    def id(self) -> int:
        """The guild id."""
        return int(self.data["id"])


def bot_token(user_id: int) -> str:
    """A token shaped as Discord issues them: base64 of the bot's user id, a timestamp, and
    an HMAC (random bytes here), each base64url without padding, joined by dots."""

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    return ".".join(
        (b64(str(user_id).encode()), b64(int(time.time()).to_bytes(4, "big")), b64(os.urandom(27)))
    )


class DoubleState:
    """In-memory store of everything the double knows."""

    def __init__(self, *, token: str | None = None, bot_name: str = "Hearth") -> None:
        self.ids = SnowflakeGenerator()
        self.bot_user: JSON = p.user(self.ids.next(), bot_name, bot=True)
        self.bot_id = int(self.bot_user["id"])
        self.token = token or bot_token(self.bot_id)
        # Modern applications share their id with their bot user.
        self.application_id = self.bot_id
        # GATEWAY_MESSAGE_CONTENT_LIMITED | GATEWAY_GUILD_MEMBERS_LIMITED: a bot in under 100
        # guilds with both privileged intents switched on in the Developer Portal.
        self.application_flags = 1 << 19 | 1 << 15
        self.owner_user: JSON = p.user(self.ids.next(), "app-owner")
        self.users: dict[int, JSON] = {
            self.bot_id: self.bot_user,
            int(self.owner_user["id"]): self.owner_user,
        }
        self.guilds: dict[int, GuildRecord] = {}
        self.channels: dict[int, JSON] = {}
        self.messages: dict[int, dict[int, JSON]] = {}
        self.thread_members: dict[int, dict[int, JSON]] = {}
        self.reaction_users: dict[tuple[int, str], list[int]] = {}
        self.dm_channels: dict[int, int] = {}
        self.closed_dms: set[int] = set()
        self.global_commands: list[JSON] = []
        self.guild_commands: dict[int, list[JSON]] = {}
        self.uploads: dict[int, bytes] = {}

    # ----------------------------------------------------------------- setup
    def add_user(self, username: str, *, user_id: int | None = None, bot: bool = False) -> JSON:
        """Create a user (not yet in any guild)."""
        uid = user_id or self.ids.next()
        data = p.user(uid, username, bot=bot, global_name=username.title())
        self.users[uid] = data
        return data

    def add_guild(
        self,
        name: str,
        *,
        owner_id: int | None = None,
        everyone_permissions: int = perms.EVERYONE_DEFAULT,
    ) -> GuildRecord:
        """Create a guild with its @everyone role; the bot joins it as a member."""
        gid = self.ids.next()
        owner = owner_id or int(self.owner_user["id"])
        data: JSON = {
            "id": str(gid),
            "name": name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(owner),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "emojis": [],
            "stickers": [],
        }
        guild = GuildRecord(data)
        guild.roles[gid] = p.role(gid, "@everyone", everyone_permissions)
        self.guilds[gid] = guild
        self.add_member(gid, self.bot_id)
        return guild

    def add_role(self, guild_id: int, name: str, permissions: int, **kwargs: Any) -> JSON:
        """Create a role; keyword arguments go to :func:`payloads.role`."""
        guild = self.guilds[guild_id]
        kwargs.setdefault("position", len(guild.roles))
        data = p.role(self.ids.next(), name, permissions, **kwargs)
        guild.roles[int(data["id"])] = data
        return data

    def add_member(
        self,
        guild_id: int,
        user_id: int,
        *,
        roles: list[int] | tuple[int, ...] = (),
        nick: str | None = None,
        joined_at: datetime | None = None,
    ) -> JSON:
        """Add an existing user to a guild."""
        data = p.member(
            self.users[user_id], list(roles), joined_at=joined_at or utcnow(), nick=nick
        )
        self.guilds[guild_id].members[user_id] = data
        return data

    def add_channel(
        self,
        guild_id: int,
        name: str,
        channel_type: int = p.GUILD_TEXT,
        **kwargs: Any,
    ) -> JSON:
        """Create a guild channel; keyword arguments go to :func:`payloads.guild_channel`."""
        kwargs.setdefault("position", sum(1 for c in self.guild_channels(guild_id)))
        data = p.guild_channel(self.ids.next(), guild_id, name, channel_type, **kwargs)
        self.channels[int(data["id"])] = data
        if channel_type != p.GUILD_CATEGORY:
            self.messages[int(data["id"])] = {}
        return data

    def add_thread(
        self,
        parent_id: int,
        name: str,
        *,
        owner_id: int,
        thread_type: int = p.PUBLIC_THREAD,
        thread_id: int | None = None,
        members: list[int] | tuple[int, ...] = (),
        at: datetime | None = None,
        **kwargs: Any,
    ) -> JSON:
        """Create a thread under ``parent_id``; the owner and ``members`` join it."""
        parent = self.channels[parent_id]
        tid = thread_id or self.ids.next(at)
        guild_id = int(parent["guild_id"])
        data = p.thread(tid, guild_id, parent_id, owner_id, name, thread_type=thread_type, **kwargs)
        self.channels[tid] = data
        self.messages[tid] = {}
        if parent["type"] == p.GUILD_FORUM:
            parent["last_message_id"] = str(tid)
        self.thread_members[tid] = {}
        for uid in (owner_id, *members):
            self.add_thread_member(tid, uid)
        return data

    def add_thread_member(self, thread_id: int, user_id: int) -> JSON:
        """Add ``user_id`` to a thread (idempotent)."""
        joined = self.thread_members.setdefault(thread_id, {})
        if user_id not in joined:
            joined[user_id] = p.thread_member(thread_id, user_id, joined_at=utcnow())
        self.channels[thread_id]["member_count"] = min(len(joined), 50)
        return joined[user_id]

    def open_dm(self, user_id: int) -> JSON:
        """Return (creating if needed) the DM channel between the bot and ``user_id``."""
        if user_id not in self.dm_channels:
            data = p.dm_channel(self.ids.next(), self.users[user_id])
            self.channels[int(data["id"])] = data
            self.messages[int(data["id"])] = {}
            self.dm_channels[user_id] = int(data["id"])
        return self.channels[self.dm_channels[user_id]]

    # -------------------------------------------------------------- messages
    def add_message(
        self,
        channel_id: int,
        author_id: int,
        content: str = "",
        *,
        reply_to: int | None = None,
        mentions: list[int] | None = None,
        mention_roles: list[int] | None = None,
        mention_everyone: bool = False,
        mention_reply: bool = True,
        at: datetime | None = None,
        message_id: int | None = None,
        store: bool = True,
        **kwargs: Any,
    ) -> JSON:
        """Store a message; ``mentions=None`` parses ``<@id>``/``<@&id>`` out of ``content``.

        ``store=False`` builds the message without adding it to history (ephemeral messages).
        """
        channel = self.channels[channel_id]
        mid = message_id or self.ids.next(at)
        if mentions is None:
            mentions = [int(m) for m in _USER_MENTION.findall(content)]
        if mention_roles is None:
            mention_roles = [int(r) for r in _ROLE_MENTION.findall(content)]
        referenced = None
        if reply_to is not None:
            referenced = self.require_message(channel_id, reply_to)
            replied_author = int(referenced["author"]["id"])
            if mention_reply and replied_author not in mentions:
                mentions = [*mentions, replied_author]
            kwargs.setdefault("message_type", p.MESSAGE_REPLY)
        data = p.message(
            mid,
            channel_id,
            self.users[author_id],
            content,
            mentions=[self.users[u] for u in dict.fromkeys(mentions) if u in self.users],
            mention_roles=mention_roles,
            mention_everyone=mention_everyone,
            **kwargs,
        )
        if referenced is not None:
            data["message_reference"] = p.reference(referenced, self.guild_of(channel_id))
            data["referenced_message"] = copy.deepcopy(referenced)
        if not store:
            return data
        self.messages[channel_id][mid] = data
        last = channel.get("last_message_id")
        if last is None or mid > int(last):
            channel["last_message_id"] = str(mid)
        if channel["type"] in p.THREAD_TYPES and mid != channel_id:
            channel["message_count"] += 1
            channel["total_message_sent"] += 1
        return data

    def get_message(self, channel_id: int, message_id: int) -> JSON | None:
        """Return the stored message, or ``None``."""
        return self.messages.get(channel_id, {}).get(message_id)

    def require_message(self, channel_id: int, message_id: int) -> JSON:
        """Return the stored message or raise ``KeyError``."""
        found = self.get_message(channel_id, message_id)
        if found is None:
            raise KeyError(f"no message {message_id} in channel {channel_id}")
        return found

    def remove_message(self, channel_id: int, message_id: int) -> JSON | None:
        """Delete a stored message; returns it (or ``None`` if unknown)."""
        return self.messages.get(channel_id, {}).pop(message_id, None)

    def remove_channel(self, channel_id: int) -> JSON | None:
        """Delete a channel or thread with its messages and thread members."""
        self.messages.pop(channel_id, None)
        self.thread_members.pop(channel_id, None)
        return self.channels.pop(channel_id, None)

    def history(
        self,
        channel_id: int,
        *,
        before: int | None = None,
        after: int | None = None,
        around: int | None = None,
        limit: int = 50,
    ) -> list[JSON]:
        """Page through a channel exactly like ``GET /channels/{id}/messages``: newest first."""
        ids = sorted(self.messages.get(channel_id, {}))
        if around is not None:
            older = [i for i in ids if i < around][-(limit // 2) :] if limit // 2 else []
            newer = [i for i in ids if i >= around][: limit - len(older)]
            chosen = older + newer
        elif after is not None:
            chosen = [i for i in ids if i > after][:limit]
        elif before is not None:
            chosen = [i for i in ids if i < before][-limit:]
        else:
            chosen = ids[-limit:]
        return [self.messages[channel_id][i] for i in reversed(chosen)]

    # ---------------------------------------------------------------- queries
    def guild_of(self, channel_id: int) -> int | None:
        """The guild id of a channel or thread (``None`` for DMs and unknown channels)."""
        channel = self.channels.get(channel_id)
        if channel is None or "guild_id" not in channel:
            return None
        return int(channel["guild_id"])

    def guild_channels(self, guild_id: int) -> list[JSON]:
        """Non-thread channels of a guild."""
        gid = str(guild_id)
        return [
            c
            for c in self.channels.values()
            if c.get("guild_id") == gid and c["type"] not in p.THREAD_TYPES
        ]

    def guild_threads(self, guild_id: int, *, archived: bool | None = False) -> list[JSON]:
        """Threads of a guild, by default only active (unarchived) ones."""
        gid = str(guild_id)
        return [
            c
            for c in self.channels.values()
            if c.get("guild_id") == gid
            and c["type"] in p.THREAD_TYPES
            and (archived is None or c["thread_metadata"]["archived"] == archived)
        ]

    def permissions_for(self, user_id: int, channel_id: int) -> int:
        """Effective permissions of ``user_id`` in a channel, thread or DM."""
        channel = self.channels[channel_id]
        if channel["type"] == p.DM:
            return perms.VIEW_CHANNEL | perms.SEND_MESSAGES | perms.READ_MESSAGE_HISTORY
        guild = self.guilds[int(channel["guild_id"])]
        member = guild.members.get(user_id)
        if member is None:
            return 0
        target = channel
        if channel["type"] in p.THREAD_TYPES:
            target = self.channels[int(channel["parent_id"])]
        if int(guild.data["owner_id"]) == user_id:
            return perms.ALL
        roles = [int(r) for r in member["roles"]]
        base = perms.base_permissions(guild.data, guild.roles, roles)
        result = perms.apply_overwrites(
            base, target.get("permission_overwrites", []), guild.id, user_id, roles
        )
        if (
            channel["type"] == p.PRIVATE_THREAD
            and user_id not in self.thread_members.get(channel_id, {})
            and not result & perms.MANAGE_THREADS
        ):
            return 0
        return result

    def can_view(self, user_id: int, channel_id: int) -> bool:
        """Whether ``user_id`` can see the channel (and its events)."""
        if channel_id not in self.channels:
            return False
        return bool(self.permissions_for(user_id, channel_id) & perms.VIEW_CHANNEL)

    def touch_archive(self, thread_id: int) -> None:
        """Set a thread's ``archive_timestamp`` to now (on archive/unarchive)."""
        self.channels[thread_id]["thread_metadata"]["archive_timestamp"] = iso(utcnow())
