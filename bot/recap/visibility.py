"""Who can read what: Discord's permission algorithm over the stored facts.

A recap never shows a member anything they could not read in Discord, so everything here fails
closed: an unknown channel, a thread without a known parent, a member who is not (or no longer)
in the guild, or a guild whose @everyone role was never stored reads nothing.

The computation follows Discord's documented order:

1. the guild owner, and anyone whose roles grant ADMINISTRATOR, has every permission;
2. base = permissions of @everyone (the role whose id is the guild id) | the member's roles;
3. channel overwrites: the @everyone overwrite (deny, then allow), then the union of the
   member's role overwrites (deny, then allow), then the member's own overwrite;
4. reading a channel's messages needs VIEW_CHANNEL and READ_MESSAGE_HISTORY.

Threads and forum posts have no overwrites of their own: a public one is readable by whoever
reads its parent; a private thread also needs thread membership or MANAGE_THREADS in the parent.
A channel inside a category uses only its own stored overwrites: Discord copies a category's
overwrites onto every synced channel, so the channel row already holds what applies.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.models import THREAD_KINDS, ChannelRecord, GuildRecord, Member, RoleRecord

log = logging.getLogger(__name__)

ADMINISTRATOR = 1 << 3
VIEW_CHANNEL = 1 << 10
READ_MESSAGE_HISTORY = 1 << 16
MANAGE_THREADS = 1 << 34
READ = VIEW_CHANNEL | READ_MESSAGE_HISTORY
ALL_PERMISSIONS = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class ChannelOverwrites:
    """A channel's overwrites, split by whom they target."""

    everyone: tuple[int, int] | None  # (allow, deny)
    roles: Mapping[int, tuple[int, int]]
    members: Mapping[int, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class GuildFacts:
    """Everything the permission check needs, loaded once per recap run."""

    guild_id: int
    guild_name: str
    owner_id: int | None
    role_permissions: Mapping[int, int]
    role_names: Mapping[int, str]
    channels: Mapping[int, ChannelRecord]
    overwrites: Mapping[int, ChannelOverwrites]
    member_roles: Mapping[int, frozenset[int]]
    thread_members: Mapping[int, frozenset[int]]
    members: Mapping[int, Member]

    @classmethod
    def build(
        cls,
        guild: GuildRecord,
        roles: Iterable[RoleRecord],
        channels: Iterable[ChannelRecord],
        member_roles: Mapping[int, Iterable[int]],
        thread_members: Mapping[int, Iterable[int]],
        members: Iterable[Member],
    ) -> GuildFacts:
        """Index the stored records of one guild."""
        role_list = list(roles)
        channel_map = {c.id: c for c in channels}
        overwrites: dict[int, ChannelOverwrites] = {}
        for channel in channel_map.values():
            everyone: tuple[int, int] | None = None
            by_role: dict[int, tuple[int, int]] = {}
            by_member: dict[int, tuple[int, int]] = {}
            for ow in channel.overwrites or ():
                pair = (ow.allow, ow.deny)
                if ow.target_type == "role" and ow.target_id == guild.id:
                    everyone = pair
                elif ow.target_type == "role":
                    by_role[ow.target_id] = pair
                else:
                    by_member[ow.target_id] = pair
            overwrites[channel.id] = ChannelOverwrites(everyone, by_role, by_member)
        return cls(
            guild_id=guild.id,
            guild_name=guild.name,
            owner_id=guild.owner_id,
            role_permissions={r.id: r.permissions for r in role_list},
            role_names={r.id: r.name for r in role_list},
            channels=channel_map,
            overwrites=overwrites,
            member_roles={u: frozenset(r) for u, r in member_roles.items()},
            thread_members={t: frozenset(u) for t, u in thread_members.items()},
            members={m.user_id: m for m in members},
        )

    def is_present(self, user_id: int) -> bool:
        """The user is a stored member who has not left."""
        member = self.members.get(user_id)
        return member is not None and member.left_at is None

    def present_humans(self) -> list[int]:
        """Present members who are not bots, by id."""
        return sorted(u for u, m in self.members.items() if m.left_at is None and not m.is_bot)


def base_permissions(facts: GuildFacts, user_id: int) -> int:
    """Guild-level permissions of a present member (0 for anyone else)."""
    if not facts.is_present(user_id):
        return 0
    if facts.owner_id is not None and user_id == facts.owner_id:
        return ALL_PERMISSIONS
    perms = facts.role_permissions.get(facts.guild_id, 0)
    for role_id in facts.member_roles.get(user_id, ()):
        perms |= facts.role_permissions.get(role_id, 0)
    return ALL_PERMISSIONS if perms & ADMINISTRATOR else perms


def _apply_overwrites(facts: GuildFacts, user_id: int, channel_id: int, base: int) -> int:
    if base == ALL_PERMISSIONS:
        return base
    ows = facts.overwrites.get(channel_id)
    if ows is None:
        return base
    perms = base
    if ows.everyone is not None:
        allow, deny = ows.everyone
        perms = (perms & ~deny) | allow
    allow_roles = deny_roles = 0
    for role_id in facts.member_roles.get(user_id, ()):
        pair = ows.roles.get(role_id)
        if pair is not None:
            allow_roles |= pair[0]
            deny_roles |= pair[1]
    perms = (perms & ~deny_roles) | allow_roles
    own = ows.members.get(user_id)
    if own is not None:
        perms = (perms & ~own[1]) | own[0]
    return perms


def channel_permissions(facts: GuildFacts, user_id: int, channel_id: int) -> int:
    """A member's permissions in a channel (a thread answers with its parent's); 0 if unknown."""
    channel = facts.channels.get(channel_id)
    if channel is None or channel.deleted or channel.excluded or not facts.is_present(user_id):
        return 0
    if channel.is_thread:
        if channel.parent_id is None:
            return 0
        parent = facts.channels.get(channel.parent_id)
        if parent is None or parent.is_thread:
            return 0
        return channel_permissions(facts, user_id, parent.id)
    return _apply_overwrites(facts, user_id, channel_id, base_permissions(facts, user_id))


def _is_private_thread(channel: ChannelRecord) -> bool:
    return channel.kind == "private_thread" or (channel.kind in THREAD_KINDS and channel.private)


def can_read(facts: GuildFacts, user_id: int, channel_id: int) -> bool:
    """Whether the member can read the messages of a channel, thread or forum post."""
    channel = facts.channels.get(channel_id)
    if channel is None or channel.deleted or channel.excluded:
        return False
    perms = channel_permissions(facts, user_id, channel_id)
    if perms & READ != READ:
        return False
    if _is_private_thread(channel):
        return perms & MANAGE_THREADS != 0 or user_id in facts.thread_members.get(channel_id, ())
    return True


def readable_channels(facts: GuildFacts, user_id: int) -> frozenset[int]:
    """Every channel, thread and forum post whose messages the member can read."""
    if not facts.is_present(user_id):
        return frozenset()
    base = base_permissions(facts, user_id)
    top: dict[int, int] = {}
    for channel in facts.channels.values():
        if not channel.is_thread and not channel.deleted and not channel.excluded:
            top[channel.id] = _apply_overwrites(facts, user_id, channel.id, base)
    found = {cid for cid, perms in top.items() if perms & READ == READ}
    for channel in facts.channels.values():
        if not channel.is_thread or channel.deleted or channel.excluded:
            continue
        parent_perms = top.get(channel.parent_id or 0)
        if parent_perms is None or parent_perms & READ != READ:
            continue
        if (
            not _is_private_thread(channel)
            or parent_perms & MANAGE_THREADS
            or user_id in facts.thread_members.get(channel.id, ())
        ):
            found.add(channel.id)
    return frozenset(found)


def common_readable(facts: GuildFacts, user_ids: Iterable[int]) -> frozenset[int]:
    """Channels every one of ``user_ids`` can read (nothing for an empty audience)."""
    result: frozenset[int] | None = None
    for user_id in user_ids:
        mine = readable_channels(facts, user_id)
        result = mine if result is None else result & mine
        if not result:
            return frozenset()
    return result or frozenset()


def can_see_posts(facts: GuildFacts, user_id: int, channel_id: int) -> bool:
    """Whether a member sees what is posted in a channel from now on.

    Weaker than :func:`can_read`: VIEW_CHANNEL alone shows new messages to someone with the
    channel open, even without READ_MESSAGE_HISTORY. That is the audience of a posted digest.
    """
    channel = facts.channels.get(channel_id)
    if channel is None or channel.deleted or not facts.is_present(user_id):
        return False
    where = facts.channels.get(channel.parent_id or 0) if channel.is_thread else channel
    if where is None or where.is_thread:
        return False
    # Not channel_permissions: a digest channel excluded from logging still has an audience.
    perms = _apply_overwrites(facts, user_id, where.id, base_permissions(facts, user_id))
    if perms & VIEW_CHANNEL == 0:
        return False
    if _is_private_thread(channel):
        return perms & MANAGE_THREADS != 0 or user_id in facts.thread_members.get(channel_id, ())
    return True


def readers(facts: GuildFacts, channel_id: int) -> list[int]:
    """Present human members who will see a post in a channel (bots are not an audience)."""
    return [u for u in facts.present_humans() if can_see_posts(facts, u, channel_id)]


def digest_channels(facts: GuildFacts, digest_channel_id: int | None) -> frozenset[int]:
    """Channels a digest posted in ``digest_channel_id`` may show.

    Only channels that everyone who can read the digest channel can read; with no digest
    channel (a CLI run), the audience is every present human member.
    """
    if digest_channel_id is None:
        audience = facts.present_humans()
    else:
        audience = readers(facts, digest_channel_id)
    if not audience:
        log.info("digest channel %s has no readers: nothing to show", digest_channel_id)
    return common_readable(facts, audience)


def channel_and_threads(facts: GuildFacts, channel_id: int | None) -> frozenset[int]:
    """The channel with its threads and forum posts (a thread: itself alone)."""
    if channel_id is None:
        return frozenset()
    threads = (
        c.id
        for c in facts.channels.values()
        if c.kind in THREAD_KINDS and c.parent_id == channel_id
    )
    return frozenset({channel_id, *threads})
