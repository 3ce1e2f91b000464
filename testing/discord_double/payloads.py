"""Builders for Discord API v10 JSON objects (the shapes discord.py 2.7 parses).

Every builder returns a plain ``dict`` in REST form: snowflakes and permission bitsets are
strings, timestamps are ISO-8601 strings with a UTC offset.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .snowflake import iso, snowflake_time

JSON = dict[str, Any]

# Channel types.
GUILD_TEXT = 0
DM = 1
GUILD_CATEGORY = 4
ANNOUNCEMENT_THREAD = 10
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
GUILD_FORUM = 15
THREAD_TYPES = frozenset({ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD})

# Message types and flags.
MESSAGE_DEFAULT = 0
MESSAGE_REPLY = 19
MESSAGE_CHAT_INPUT_COMMAND = 20
FLAG_HAS_THREAD = 1 << 5
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7


def user(user_id: int, username: str, *, bot: bool = False, global_name: str | None = None) -> JSON:
    """A user object."""
    return {
        "id": str(user_id),
        "username": username,
        "discriminator": "0",
        "global_name": global_name,
        "avatar": None,
        "bot": bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
    }


def role(
    role_id: int,
    name: str,
    permissions: int,
    *,
    position: int = 0,
    color: int = 0,
    hoist: bool = False,
    managed: bool = False,
    mentionable: bool = False,
    bot_id: int | None = None,
) -> JSON:
    """A role object; ``bot_id`` makes it the managed role of a bot."""
    data: JSON = {
        "id": str(role_id),
        "name": name,
        "color": color,
        "colors": {"primary_color": color, "secondary_color": None, "tertiary_color": None},
        "hoist": hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": managed,
        "mentionable": mentionable,
        "flags": 0,
    }
    if bot_id is not None:
        data["tags"] = {"bot_id": str(bot_id)}
    return data


def member(user_data: JSON, roles: list[int], *, joined_at: datetime, nick: str | None) -> JSON:
    """A guild member object (with its ``user``)."""
    return {
        "user": user_data,
        "nick": nick,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in roles],
        "joined_at": iso(joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }


def overwrite(target_id: int, *, kind: str = "role", allow: int = 0, deny: int = 0) -> JSON:
    """A permission overwrite; ``kind`` is ``"role"`` or ``"member"``."""
    return {
        "id": str(target_id),
        "type": 0 if kind == "role" else 1,
        "allow": str(allow),
        "deny": str(deny),
    }


def guild_channel(
    channel_id: int,
    guild_id: int,
    name: str,
    channel_type: int,
    *,
    position: int = 0,
    parent_id: int | None = None,
    overwrites: list[JSON] | None = None,
    topic: str | None = None,
) -> JSON:
    """A text (0), category (4) or forum (15) channel."""
    data: JSON = {
        "id": str(channel_id),
        "type": channel_type,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "parent_id": str(parent_id) if parent_id is not None else None,
        "permission_overwrites": list(overwrites or []),
        "nsfw": False,
        "flags": 0,
    }
    if channel_type == GUILD_CATEGORY:
        return data
    data.update(
        topic=topic,
        last_message_id=None,
        rate_limit_per_user=0,
        default_auto_archive_duration=1440,
        default_thread_rate_limit_per_user=0,
    )
    if channel_type == GUILD_FORUM:
        data.update(
            available_tags=[],
            default_reaction_emoji=None,
            default_sort_order=None,
            default_forum_layout=0,
        )
    return data


def forum_tag(tag_id: int, name: str, *, emoji: str | None = None) -> JSON:
    """A forum tag."""
    return {
        "id": str(tag_id),
        "name": name,
        "moderated": False,
        "emoji_id": None,
        "emoji_name": emoji,
    }


def thread(
    thread_id: int,
    guild_id: int,
    parent_id: int,
    owner_id: int,
    name: str,
    *,
    thread_type: int = PUBLIC_THREAD,
    archived: bool = False,
    locked: bool = False,
    invitable: bool = True,
    auto_archive_duration: int = 1440,
    applied_tags: list[int] | None = None,
) -> JSON:
    """A thread channel (type 10/11/12) with ``thread_metadata``."""
    created = iso(snowflake_time(thread_id))
    metadata: JSON = {
        "archived": archived,
        "auto_archive_duration": auto_archive_duration,
        "archive_timestamp": created,
        "locked": locked,
        "create_timestamp": created,
    }
    if thread_type == PRIVATE_THREAD:
        metadata["invitable"] = invitable
    return {
        "id": str(thread_id),
        "type": thread_type,
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 0,
        "total_message_sent": 0,
        "flags": 0,
        "applied_tags": [str(t) for t in applied_tags or []],
        "thread_metadata": metadata,
    }


def thread_member(thread_id: int, user_id: int, *, joined_at: datetime) -> JSON:
    """A thread member object."""
    return {
        "id": str(thread_id),
        "user_id": str(user_id),
        "join_timestamp": iso(joined_at),
        "flags": 0,
    }


def dm_channel(channel_id: int, recipient: JSON) -> JSON:
    """A DM channel with one recipient."""
    return {
        "id": str(channel_id),
        "type": DM,
        "last_message_id": None,
        "flags": 0,
        "recipients": [recipient],
    }


def message(
    message_id: int,
    channel_id: int,
    author: JSON,
    content: str,
    *,
    message_type: int = MESSAGE_DEFAULT,
    mentions: list[JSON] | None = None,
    mention_roles: list[int] | None = None,
    mention_everyone: bool = False,
    embeds: list[JSON] | None = None,
    attachments: list[JSON] | None = None,
    components: list[JSON] | None = None,
    flags: int = 0,
    webhook_id: int | None = None,
    application_id: int | None = None,
) -> JSON:
    """A message in REST form (no ``guild_id``/``member``; gateway events add those)."""
    data: JSON = {
        "id": str(message_id),
        "type": message_type,
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": iso(snowflake_time(message_id)),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": mention_everyone,
        "mentions": list(mentions or []),
        "mention_roles": [str(r) for r in mention_roles or []],
        "attachments": list(attachments or []),
        "embeds": list(embeds or []),
        "components": list(components or []),
        "reactions": [],
        "pinned": False,
        "flags": flags,
    }
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
    if application_id is not None:
        data["application_id"] = str(application_id)
    return data


def reference(message_data: JSON, guild_id: int | None) -> JSON:
    """A ``message_reference`` pointing at ``message_data`` (a reply)."""
    ref: JSON = {
        "type": 0,
        "message_id": message_data["id"],
        "channel_id": message_data["channel_id"],
    }
    if guild_id is not None:
        ref["guild_id"] = str(guild_id)
    return ref


def attachment(attachment_id: int, filename: str, data: bytes, content_type: str | None) -> JSON:
    """An attachment object for an uploaded file."""
    url = f"https://cdn.discordapp.invalid/attachments/{attachment_id}/{filename}"
    result: JSON = {
        "id": str(attachment_id),
        "filename": filename,
        "size": len(data),
        "url": url,
        "proxy_url": url,
        "flags": 0,
    }
    if content_type:
        result["content_type"] = content_type
    return result


def emoji(spec: str) -> JSON:
    """Parse ``"👍"`` or ``"name:id"`` (custom emoji) into a partial emoji object."""
    name, sep, emoji_id = spec.partition(":")
    if sep and emoji_id.isdigit():
        return {"id": emoji_id, "name": name, "animated": False}
    return {"id": None, "name": spec}


def emoji_key(data: JSON) -> str:
    """A stable key for an emoji object: its id for custom emoji, else its name."""
    return str(data["id"]) if data.get("id") else str(data["name"])
