"""Translate discord.py objects into Hearth's plain records. Pure functions, no I/O."""

from __future__ import annotations

from typing import Literal

import discord

from bot.models import (
    ChannelKind,
    ChannelRecord,
    GuildRecord,
    MemberRecord,
    Mention,
    MessageRecord,
    Overwrite,
    ReactionRecord,
    RoleRecord,
)

_KINDS: dict[discord.ChannelType, ChannelKind] = {
    discord.ChannelType.text: "text",
    discord.ChannelType.news: "news",
    discord.ChannelType.forum: "forum",
    discord.ChannelType.category: "category",
    discord.ChannelType.voice: "voice",
    discord.ChannelType.public_thread: "thread",
    discord.ChannelType.news_thread: "thread",
    discord.ChannelType.private_thread: "private_thread",
}


def guild_record(guild: discord.Guild) -> GuildRecord:
    """The guild's identity."""
    return GuildRecord(guild.id, guild.name, guild.owner_id)


def role_record(role: discord.Role) -> RoleRecord:
    """A role and its permission bits."""
    return RoleRecord(role.id, role.guild.id, role.name, role.permissions.value, role.position)


def overwrites(channel: discord.abc.GuildChannel) -> tuple[Overwrite, ...]:
    """The channel's permission overwrites."""
    result = []
    for target, ow in channel.overwrites.items():
        allow, deny = ow.pair()
        kind: Literal["role", "member"] = "role" if isinstance(target, discord.Role) else "member"
        result.append(Overwrite(target.id, kind, allow.value, deny.value))
    return tuple(sorted(result, key=lambda o: o.target_id))


def channel_record(channel: discord.abc.GuildChannel | discord.Thread) -> ChannelRecord:
    """A channel, thread or forum post."""
    if isinstance(channel, discord.Thread):
        parent = channel.parent
        kind: ChannelKind = _KINDS.get(channel.type, "thread")
        if isinstance(parent, discord.ForumChannel):
            kind = "forum_post"
        return ChannelRecord(
            id=channel.id,
            guild_id=channel.guild.id,
            kind=kind,
            name=channel.name,
            parent_id=channel.parent_id,
            owner_id=channel.owner_id,
            private=channel.type is discord.ChannelType.private_thread,
            archived=channel.archived,
            created_at=channel.created_at,
            overwrites=(),
        )
    topic = getattr(channel, "topic", None)
    return ChannelRecord(
        id=channel.id,
        guild_id=channel.guild.id,
        kind=_KINDS.get(channel.type, "other"),
        name=channel.name,
        parent_id=channel.category_id,
        topic=topic,
        private=False,
        created_at=channel.created_at,
        overwrites=overwrites(channel),
    )


def member_record(member: discord.Member) -> MemberRecord:
    """A member's identity and roles (the @everyone role is implied, not stored)."""
    return MemberRecord(
        guild_id=member.guild.id,
        user_id=member.id,
        name=member.name,
        display_name=member.display_name,
        is_bot=member.bot,
        joined_at=member.joined_at,
        role_ids=tuple(r.id for r in member.roles if not r.is_default()),
    )


def mentions(message: discord.Message) -> tuple[Mention, ...]:
    """Users, roles and @everyone/@here mentioned by a message."""
    found: list[Mention] = [Mention("user", uid) for uid in sorted(set(message.raw_mentions))]
    found += [Mention("role", rid) for rid in sorted(set(message.raw_role_mentions))]
    if message.mention_everyone:
        found.append(Mention("everyone", 0))
    return tuple(found)


def message_record(message: discord.Message) -> MessageRecord | None:
    """A guild message; None for DMs."""
    if message.guild is None:
        return None
    reply_to = None
    if message.reference is not None and message.type is discord.MessageType.reply:
        reply_to = message.reference.message_id
    started = None
    if message.type is discord.MessageType.thread_created and message.reference is not None:
        started = message.reference.channel_id
    elif message.thread is not None:
        started = message.thread.id
    return MessageRecord(
        id=message.id,
        guild_id=message.guild.id,
        channel_id=message.channel.id,
        author_id=message.author.id,
        created_at=message.created_at,
        content=message.content,
        edited_at=message.edited_at,
        reply_to_id=reply_to,
        kind=message.type.name,
        started_thread_id=started,
        attachments=len(message.attachments),
        pinned=message.pinned,
        mentions=mentions(message),
    )


def emoji_key(emoji: discord.PartialEmoji) -> str:
    """Unicode emoji as is; custom emoji as ``name:id``."""
    return f"{emoji.name}:{emoji.id}" if emoji.id else str(emoji.name)


def reaction_record(payload: discord.RawReactionActionEvent) -> ReactionRecord:
    """One reaction event."""
    return ReactionRecord(payload.message_id, payload.user_id, emoji_key(payload.emoji))


def can_read(channel: discord.abc.GuildChannel | discord.Thread) -> bool:
    """Whether the bot itself may read the channel's history."""
    perms = channel.permissions_for(channel.guild.me)
    return perms.view_channel and perms.read_message_history
