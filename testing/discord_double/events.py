"""Test-driven message and reaction events: update the store, then dispatch to the bot."""

from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import forms
from . import payloads as p
from .gateway import (
    DIRECT_MESSAGE_REACTIONS,
    DIRECT_MESSAGES,
    GUILD_MESSAGE_REACTIONS,
    GUILD_MESSAGES,
    GUILDS,
)
from .snowflake import iso, utcnow

if TYPE_CHECKING:
    from .gateway import Gateway
    from .state import DoubleState

JSON = dict[str, Any]
_USER_MENTION = re.compile(r"<@!?(\d+)>")


class WorldMixin:
    """What every event mixin needs: the store and the gateway."""

    state: DoubleState
    gateway: Gateway

    @property
    def default_guild_id(self) -> int:
        """The first guild (tests usually have exactly one)."""
        return next(iter(self.state.guilds))


class MessageEvents(WorldMixin):
    """Messages, edits, deletes, reactions and DMs."""

    # --------------------------------------------------------------- helpers
    def _message_intent(self, channel_id: int, *, reactions: bool = False) -> int:
        guild = self.state.guild_of(channel_id) is not None
        if reactions:
            return GUILD_MESSAGE_REACTIONS if guild else DIRECT_MESSAGE_REACTIONS
        return GUILD_MESSAGES if guild else DIRECT_MESSAGES

    async def publish_message(self, message: JSON, *, event: str = "MESSAGE_CREATE") -> int:
        """Dispatch MESSAGE_CREATE (or ``event``) for a stored message."""
        channel_id = int(message["channel_id"])
        return await self.gateway.dispatch(
            event,
            forms.message_event(self.state, message),
            intents=self._message_intent(channel_id),
            channel_id=channel_id,
        )

    async def _unarchive(self, channel_id: int) -> None:
        channel = self.state.channels[channel_id]
        meta = channel.get("thread_metadata")
        if meta and meta["archived"] and not meta["locked"]:
            meta["archived"] = False
            self.state.touch_archive(channel_id)
            data = forms.thread_payload(self.state, channel_id)
            await self.gateway.dispatch(
                "THREAD_UPDATE", data, intents=GUILDS, channel_id=channel_id
            )

    # ------------------------------------------------------------- messages
    async def send_message(
        self,
        channel_id: int,
        author_id: int,
        content: str = "",
        *,
        reply_to: int | None = None,
        mentions: list[int] | None = None,
        mention_roles: list[int] | None = None,
        mention_everyone: bool = False,
        **kwargs: Any,
    ) -> JSON:
        """A user posts a message: stored in history and dispatched as MESSAGE_CREATE.

        ``mentions``/``mention_roles`` default to the ``<@id>``/``<@&id>`` found in ``content``;
        ``reply_to`` (a message id in the same channel) makes it a reply that pings the replied
        author unless ``mention_reply=False``. Other keyword arguments (``embeds``,
        ``attachments``, ``at``, ``message_id``, ...) go to ``DoubleState.add_message``.
        """
        await self._unarchive(channel_id)
        message = self.state.add_message(
            channel_id,
            author_id,
            content,
            reply_to=reply_to,
            mentions=mentions,
            mention_roles=mention_roles,
            mention_everyone=mention_everyone,
            **kwargs,
        )
        await self.publish_message(message)
        return copy.deepcopy(message)

    def add_history(
        self, channel_id: int, author_id: int, content: str = "", **kwargs: Any
    ) -> JSON:
        """Store a message WITHOUT dispatching it (it arrived while the bot was offline)."""
        return copy.deepcopy(self.state.add_message(channel_id, author_id, content, **kwargs))

    def seed_history(
        self,
        channel_id: int,
        count: int,
        *,
        authors: list[int],
        start: datetime | None = None,
        step: timedelta = timedelta(minutes=1),
        content: str = "message {i}",
    ) -> list[JSON]:
        """Store ``count`` messages (oldest first, ``step`` apart) without dispatching."""
        start = start or utcnow() - step * (count + 1)
        return [
            self.add_history(
                channel_id, authors[i % len(authors)], content.format(i=i), at=start + step * i
            )
            for i in range(count)
        ]

    async def edit_message(
        self,
        channel_id: int,
        message_id: int,
        content: str | None = None,
        *,
        embeds: list[JSON] | None = None,
    ) -> JSON:
        """Edit a stored message and dispatch MESSAGE_UPDATE with the full message."""
        message = self.state.require_message(channel_id, message_id)
        if content is not None:
            message["content"] = content
            message["mentions"] = [
                self.state.users[int(u)]
                for u in dict.fromkeys(_USER_MENTION.findall(content))
                if int(u) in self.state.users
            ]
        if embeds is not None:
            message["embeds"] = embeds
        message["edited_timestamp"] = iso(utcnow())
        await self.publish_message(message, event="MESSAGE_UPDATE")
        return copy.deepcopy(message)

    async def delete_message(self, channel_id: int, message_id: int) -> None:
        """Delete a message and dispatch MESSAGE_DELETE."""
        self.state.require_message(channel_id, message_id)
        data = self._channel_ref(channel_id, id=str(message_id))
        await self.gateway.dispatch(
            "MESSAGE_DELETE",
            data,
            intents=self._message_intent(channel_id),
            channel_id=channel_id,
        )
        self.state.remove_message(channel_id, message_id)

    async def bulk_delete(self, channel_id: int, message_ids: list[int]) -> None:
        """Delete several messages and dispatch MESSAGE_DELETE_BULK."""
        data = self._channel_ref(channel_id, ids=[str(m) for m in message_ids])
        await self.gateway.dispatch(
            "MESSAGE_DELETE_BULK",
            data,
            intents=self._message_intent(channel_id),
            channel_id=channel_id,
        )
        for message_id in message_ids:
            self.state.remove_message(channel_id, message_id)

    async def send_dm(self, user_id: int, content: str, **kwargs: Any) -> JSON:
        """A user DMs the bot (MESSAGE_CREATE without ``guild_id``)."""
        channel = self.state.open_dm(user_id)
        return await self.send_message(int(channel["id"]), user_id, content, **kwargs)

    def _channel_ref(self, channel_id: int, **extra: Any) -> JSON:
        data: JSON = {"channel_id": str(channel_id), **extra}
        guild_id = self.state.guild_of(channel_id)
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        return data

    # ------------------------------------------------------------ reactions
    async def add_reaction(
        self, channel_id: int, message_id: int, user_id: int, emoji: str = "👍"
    ) -> bool:
        """A user reacts (MESSAGE_REACTION_ADD, with ``member`` in guilds).

        ``emoji`` is a unicode emoji or ``"name:id"`` for a custom one. Returns ``False`` (and
        dispatches nothing) if that user had already reacted with it.
        """
        message = self.state.require_message(channel_id, message_id)
        emoji_data = p.emoji(emoji)
        if not set_reaction(self.state, message, user_id, emoji_data, True):
            return False
        data = self._channel_ref(
            channel_id,
            user_id=str(user_id),
            message_id=str(message_id),
            emoji=emoji_data,
            message_author_id=message["author"]["id"],
            burst=False,
            burst_colors=[],
            type=0,
        )
        guild_id = self.state.guild_of(channel_id)
        if guild_id is not None and user_id in self.state.guilds[guild_id].members:
            data["member"] = forms.member_payload(self.state, guild_id, user_id)
        await self.gateway.dispatch(
            "MESSAGE_REACTION_ADD",
            data,
            intents=self._message_intent(channel_id, reactions=True),
            channel_id=channel_id,
        )
        return True

    async def remove_reaction(
        self, channel_id: int, message_id: int, user_id: int, emoji: str = "👍"
    ) -> bool:
        """A user removes a reaction (MESSAGE_REACTION_REMOVE)."""
        message = self.state.require_message(channel_id, message_id)
        emoji_data = p.emoji(emoji)
        if not set_reaction(self.state, message, user_id, emoji_data, False):
            return False
        data = self._channel_ref(
            channel_id,
            user_id=str(user_id),
            message_id=str(message_id),
            emoji=emoji_data,
            burst=False,
            type=0,
        )
        await self.gateway.dispatch(
            "MESSAGE_REACTION_REMOVE",
            data,
            intents=self._message_intent(channel_id, reactions=True),
            channel_id=channel_id,
        )
        return True


def set_reaction(
    state: DoubleState, message: JSON, user_id: int, emoji: JSON, present: bool
) -> bool:
    """Add or remove one user's reaction; returns ``False`` when nothing changed."""
    key = p.emoji_key(emoji)
    users = state.reaction_users.setdefault((int(message["id"]), key), [])
    if present == (user_id in users):
        return False
    if present:
        users.append(user_id)
    else:
        users.remove(user_id)
    reactions: list[JSON] = message["reactions"]
    index = next((i for i, r in enumerate(reactions) if p.emoji_key(r["emoji"]) == key), None)
    if not users:
        if index is not None:
            reactions.pop(index)
        return True
    entry = {
        "count": len(users),
        "count_details": {"burst": 0, "normal": len(users)},
        "me": state.bot_id in users,
        "me_burst": False,
        "burst_count": 0,
        "burst_colors": [],
        "emoji": emoji,
    }
    if index is None:
        reactions.append(entry)
    else:
        reactions[index] = entry
    return True
