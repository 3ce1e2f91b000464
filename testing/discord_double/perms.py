"""Permission bits and Discord's permission computation (guild base + channel overwrites)."""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]

CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CHANGE_NICKNAME = 1 << 26
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL = (1 << 53) - 1

#: What a fresh guild's @everyone role gets (roughly Discord's defaults).
EVERYONE_DEFAULT = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | CREATE_PRIVATE_THREADS
    | SEND_MESSAGES_IN_THREADS
)


def base_permissions(guild: JSON, roles: dict[int, JSON], member_roles: list[int]) -> int:
    """Guild-level permissions of a member (owner and ADMINISTRATOR get everything)."""
    everyone = roles.get(int(guild["id"]))
    perms = int(everyone["permissions"]) if everyone else 0
    for role_id in member_roles:
        role = roles.get(role_id)
        if role is not None:
            perms |= int(role["permissions"])
    if perms & ADMINISTRATOR:
        return ALL
    return perms


def apply_overwrites(
    perms: int, overwrites: list[JSON], guild_id: int, user_id: int, member_roles: list[int]
) -> int:
    """Apply a channel's overwrites in Discord's order: @everyone, roles, then the member."""
    if perms & ADMINISTRATOR or perms == ALL:
        return ALL
    by_id = {int(o["id"]): o for o in overwrites}
    everyone = by_id.get(guild_id)
    if everyone is not None:
        perms &= ~int(everyone["deny"])
        perms |= int(everyone["allow"])
    allow = deny = 0
    for role_id in member_roles:
        ow = by_id.get(role_id)
        if ow is not None and ow["type"] == 0:
            allow |= int(ow["allow"])
            deny |= int(ow["deny"])
    perms = (perms & ~deny) | allow
    ow = by_id.get(user_id)
    if ow is not None and ow["type"] == 1:
        perms = (perms & ~int(ow["deny"])) | int(ow["allow"])
    if not perms & VIEW_CHANNEL:
        return 0
    return perms
