"""Gateway forms of stored objects: what the bot receives in dispatches."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import DoubleState

JSON = dict[str, Any]


def member_payload(
    state: DoubleState, guild_id: int, user_id: int, *, with_user: bool = True
) -> JSON:
    """A copy of a member, optionally without its ``user`` key."""
    data = copy.deepcopy(state.guilds[guild_id].members[user_id])
    if not with_user:
        data.pop("user", None)
    return data


def thread_payload(state: DoubleState, thread_id: int) -> JSON:
    """A thread as sent to the bot (``member`` present when the bot has joined it)."""
    data = copy.deepcopy(state.channels[thread_id])
    me = state.thread_members.get(thread_id, {}).get(state.bot_id)
    if me is not None:
        data["member"] = {k: v for k, v in me.items() if k not in ("id", "user_id")}
    return data


def message_event(state: DoubleState, message: JSON) -> JSON:
    """Gateway form of a message: adds ``guild_id``, author ``member`` and mentions' ``member``."""
    data = copy.deepcopy(message)
    guild_id = state.guild_of(int(message["channel_id"]))
    if guild_id is None:
        return data
    members = state.guilds[guild_id].members
    data["guild_id"] = str(guild_id)
    author_id = int(message["author"]["id"])
    if author_id in members and "webhook_id" not in message:
        data["member"] = member_payload(state, guild_id, author_id, with_user=False)
    for mention in data["mentions"]:
        if int(mention["id"]) in members:
            mention["member"] = member_payload(state, guild_id, int(mention["id"]), with_user=False)
    return data


def thread_member_event(state: DoubleState, thread_id: int, user_id: int) -> JSON:
    """A thread member with its guild ``member`` (as in THREAD_MEMBERS_UPDATE)."""
    data = copy.deepcopy(state.thread_members[thread_id][user_id])
    guild_id = state.guild_of(thread_id)
    if guild_id is not None and user_id in state.guilds[guild_id].members:
        data["member"] = member_payload(state, guild_id, user_id)
    return data


def guild_create(state: DoubleState, guild_id: int, *, with_members: bool) -> JSON:
    """The GUILD_CREATE payload sent after IDENTIFY.

    Without the GUILD_MEMBERS intent only the bot's own member is included; with it all members
    are, and ``member_count`` equals the number sent so discord.py does not wait for chunking.
    """
    guild = state.guilds[guild_id]
    data = copy.deepcopy(guild.data)
    member_ids = list(guild.members) if with_members else [state.bot_id]
    threads = [
        thread_payload(state, int(t["id"]))
        for t in state.guild_threads(guild_id)
        if state.can_view(state.bot_id, int(t["id"]))
    ]
    data.update(
        roles=copy.deepcopy(list(guild.roles.values())),
        channels=copy.deepcopy(state.guild_channels(guild_id)),
        threads=threads,
        members=[member_payload(state, guild_id, uid) for uid in member_ids],
        member_count=len(guild.members),
        joined_at=guild.members[state.bot_id]["joined_at"],
        large=False,
        unavailable=False,
        lazy=True,
        presences=[],
        voice_states=[],
        stage_instances=[],
        guild_scheduled_events=[],
        soundboard_sounds=[],
    )
    return data


def guild_rest(state: DoubleState, guild_id: int) -> JSON:
    """``GET /guilds/{id}``: the guild with its roles, without members/channels."""
    guild = state.guilds[guild_id]
    data = copy.deepcopy(guild.data)
    data["roles"] = copy.deepcopy(list(guild.roles.values()))
    data["approximate_member_count"] = len(guild.members)
    data["approximate_presence_count"] = 0
    return data
