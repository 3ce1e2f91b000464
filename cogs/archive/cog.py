"""The archive cog: every gateway event that matters becomes a queued write."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.ingest.writer import ArchiveWriter
from bot.timeutil import utcnow
from cogs.archive import convert
from cogs.archive.backfill import backfill_guild
from cogs.archive.reconcile import reconcile_guild, refresh_thread_members

if TYPE_CHECKING:
    from bot.app.client import HearthBot

log = logging.getLogger(__name__)


class Archive(commands.Cog):
    """Logs the server's conversations into the store."""

    def __init__(self, bot: HearthBot) -> None:
        self.bot = bot
        # Channels whose history is complete and whose live session has had no gap since:
        # live messages there may move the backfill cursor. Cleared on every disconnect.
        self.live: set[int] = set()
        self._backfill_task: asyncio.Task[None] | None = None
        self._backfill_again = False
        self.backfills_done = 0
        self._reconcile = False  # a fresh session: reconcile before the next backfill

    async def cog_unload(self) -> None:
        """Stop a running backfill; the writer is flushed by the bot on close."""
        if self._backfill_task is not None:
            self._backfill_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._backfill_task

    @property
    def writer(self) -> ArchiveWriter:
        """The bot's archive writer."""
        return self.bot.writer

    # -- connection lifecycle --------------------------------------------------------------
    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Full (re)connect: snapshot every guild, then backfill."""
        for guild in self.bot.guilds:
            self.snapshot(guild)
        for guild in self.bot.guilds:
            await self._private_thread_members(guild)
        self._reconcile = True  # nothing missed while away is replayed on a new session
        self.schedule_backfill()

    @commands.Cog.listener()
    async def on_resumed(self) -> None:
        """A resumed session replays missed events; backfill anyway, it is idempotent."""
        self.schedule_backfill()

    @commands.Cog.listener()
    async def on_disconnect(self) -> None:
        """Anything may be missed from now on until the next backfill."""
        self.live.clear()

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Added to a new guild."""
        self.snapshot(guild)
        await self._private_thread_members(guild)
        self.schedule_backfill()

    @commands.Cog.listener()
    async def on_guild_update(self, before: discord.Guild, after: discord.Guild) -> None:
        """Renamed, or ownership transferred (the owner reads every channel)."""
        self.writer.guild(convert.guild_record(after))

    def snapshot(self, guild: discord.Guild) -> None:
        """Queue the guild's roles, channels, threads and members (the permission facts)."""
        self.writer.guild(
            convert.guild_record(guild), [convert.role_record(r) for r in guild.roles]
        )
        for channel in guild.channels:
            self.writer.channel(convert.channel_record(channel))
        for thread in guild.threads:
            self._thread(thread)
        self.writer.members([convert.member_record(m) for m in guild.members])

    def schedule_backfill(self) -> None:
        """Run one backfill at a time; a request during a run triggers one more run."""
        if self._backfill_task is not None and not self._backfill_task.done():
            self._backfill_again = True
            return
        self._backfill_task = asyncio.create_task(self._backfill(), name="hearth-backfill")

    async def _backfill(self) -> None:
        while True:
            self._backfill_again = False
            reconcile, self._reconcile = self._reconcile, False
            for guild in list(self.bot.guilds):
                try:
                    archived = []
                    if reconcile:
                        archived = await reconcile_guild(guild, self.bot.archive, self.writer)
                    await backfill_guild(
                        guild,
                        self.bot.archive,
                        self.writer,
                        days=self.bot.settings.backfill_days,
                        on_channel_done=self.live,
                        extra=archived,
                    )
                except Exception:
                    log.exception(
                        "backfill of guild %s failed; it runs again on reconnect", guild.id
                    )
            self.backfills_done += 1
            self.bot.dispatch("hearth_backfill_done")
            if not self._backfill_again:
                return

    # -- messages ---------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A new message (bots, including this one, are not logged)."""
        if message.author.bot or message.guild is None:
            return
        record = convert.message_record(message)
        if record is None:
            return
        if isinstance(message.channel, discord.Thread) and message.channel.is_private():
            self.writer.thread_member(message.channel.id, message.author.id, joined=True)
        self.writer.message(record, advance_cursor=message.channel.id in self.live)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """An edit: the stored content becomes the new one."""
        message = payload.message
        if message.guild is None or message.author.bot:
            return
        record = convert.message_record(message)
        if record is not None:
            self.writer.edit(record)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        """A deletion: the content is removed from the store."""
        if payload.guild_id is not None:
            self.writer.delete([payload.message_id])

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        """A bulk deletion by a moderator."""
        if payload.guild_id is not None:
            self.writer.delete(sorted(payload.message_ids))

    # -- reactions --------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        """A member reacted."""
        if payload.guild_id is None or (payload.member is not None and payload.member.bot):
            return
        self.writer.reaction_add(convert.reaction_record(payload))

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        """A member took a reaction back."""
        if payload.guild_id is not None:
            self.writer.reaction_remove(convert.reaction_record(payload))

    @commands.Cog.listener()
    async def on_raw_reaction_clear(self, payload: discord.RawReactionClearEvent) -> None:
        """All reactions were removed from a message."""
        if payload.guild_id is not None:
            self.writer.reactions_clear(payload.message_id)

    @commands.Cog.listener()
    async def on_raw_reaction_clear_emoji(
        self, payload: discord.RawReactionClearEmojiEvent
    ) -> None:
        """One emoji's reactions were removed from a message."""
        if payload.guild_id is not None:
            self.writer.reactions_clear(payload.message_id, convert.emoji_key(payload.emoji))

    # -- threads and channels ---------------------------------------------------------------
    def _thread(self, thread: discord.Thread) -> None:
        """The thread's record; who is in it comes only from member events and fetched lists
        (its owner included: an owner who left a private thread no longer reads it)."""
        self.writer.channel(convert.channel_record(thread))

    async def _private_thread_members(self, guild: discord.Guild) -> None:
        """Private threads' member lists are not in GUILD_CREATE: fetch each one, since members
        may have left or been removed while the bot was away."""
        for thread in guild.threads:
            await refresh_thread_members(thread, self.writer)

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        """A thread or forum post was created (the creator is its first member)."""
        self.writer.channel(
            convert.channel_record(thread), [thread.owner_id] if thread.owner_id else []
        )
        created = thread.created_at
        if created is not None and utcnow() - created < dt.timedelta(minutes=1):
            self.live.add(thread.id)  # brand new: every message in it arrives live
        else:
            self.schedule_backfill()

    @commands.Cog.listener()
    async def on_thread_join(self, thread: discord.Thread) -> None:
        """The bot was added to a thread it could not see (discord.py dispatches this, not
        ``thread_create``): store it, learn who is in it, read its history."""
        self._thread(thread)
        await refresh_thread_members(thread, self.writer)
        self.schedule_backfill()

    @commands.Cog.listener()
    async def on_thread_remove(self, thread: discord.Thread) -> None:
        """The bot was removed from a thread: a private one can no longer be followed, so
        nobody is known to be in it any more (managers still read it)."""
        if thread.is_private():
            self.writer.thread_members_replaced(thread.id, [])
        self.live.discard(thread.id)

    @commands.Cog.listener()
    async def on_thread_update(self, before: discord.Thread, after: discord.Thread) -> None:
        """Renamed, archived, unarchived, locked."""
        self._thread(after)

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        """A thread was deleted: its messages' content goes too."""
        self.writer.channel_deleted(payload.thread_id)
        self.live.discard(payload.thread_id)

    @commands.Cog.listener()
    async def on_thread_member_join(self, member: discord.ThreadMember) -> None:
        """Someone joined a thread (what makes a private thread readable to them)."""
        self.writer.thread_member(member.thread_id, member.id, joined=True)

    @commands.Cog.listener()
    async def on_raw_thread_member_remove(self, payload: discord.RawThreadMembersUpdate) -> None:
        """Someone left or was removed from a thread.

        discord.py dispatches this once per removed member, each time with the whole
        THREAD_MEMBERS_UPDATE; the ids are in its raw ``removed_member_ids`` (removing twice is
        harmless). The bot's own removal arrives as ``on_thread_remove``.
        """
        for user_id in payload.data.get("removed_member_ids", ()):
            self.writer.thread_member(payload.thread_id, int(user_id), joined=False)

    @commands.Cog.listener()
    async def on_guild_channel_create(self, channel: discord.abc.GuildChannel) -> None:
        """A new channel."""
        self.writer.channel(convert.channel_record(channel))

    @commands.Cog.listener()
    async def on_guild_channel_update(
        self, before: discord.abc.GuildChannel, after: discord.abc.GuildChannel
    ) -> None:
        """Renamed, moved, permissions changed."""
        self.writer.channel(convert.channel_record(after))

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        """A channel was deleted."""
        self.writer.channel_deleted(channel.id)
        self.live.discard(channel.id)

    @commands.Cog.listener()
    async def on_guild_role_create(self, role: discord.Role) -> None:
        """A new role."""
        self.writer.role(convert.role_record(role))

    @commands.Cog.listener()
    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        """A role's name or permissions changed."""
        self.writer.role(convert.role_record(after))

    @commands.Cog.listener()
    async def on_guild_role_delete(self, role: discord.Role) -> None:
        """A role was deleted."""
        self.writer.role(convert.role_record(role), deleted=True)

    # -- members ------------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        """Someone joined."""
        self.writer.members([convert.member_record(member)])

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        """Nickname or roles changed."""
        self.writer.members([convert.member_record(after)])

    @commands.Cog.listener()
    async def on_user_update(self, before: discord.User, after: discord.User) -> None:
        """A global rename: update every guild we share."""
        members = [g.get_member(after.id) for g in after.mutual_guilds]
        self.writer.members([convert.member_record(m) for m in members if m is not None])

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        """Someone left, was kicked or banned."""
        self.writer.member_left(payload.guild_id, payload.user.id, utcnow())
