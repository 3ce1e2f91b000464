"""``/recap``, ``/summary`` and ``/about``: what any member can ask Hearth."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.delivery.slots import ScheduleError, zone
from bot.recap import render_embeds
from bot.recap.markup import fit, name
from bot.recap.window import MAX_DAYS, WindowError, recap_window, since_last_here
from bot.timeutil import utcnow
from cogs.common import (
    NO_PINGS,
    HearthCog,
    UserFacingError,
    notice_embed,
    say,
    send_embed_messages,
)
from cogs.members.render import DM_CLOSED_NOTICE, about_lines

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

Readable = discord.TextChannel | discord.Thread


def can_read(
    channel: Readable, member: discord.Member, thread_members: frozenset[int] = frozenset()
) -> bool:
    """View Channel and Read Message History; for a private thread, also being in it.

    ``thread_members`` are the members the archive knows are in the thread (Discord's cache
    only knows those seen since the bot connected).
    """
    perms = channel.permissions_for(member)
    if not (perms.view_channel and perms.read_message_history):
        return False
    if isinstance(channel, discord.Thread) and channel.is_private():
        # Not the owner as such: an owner who left a private thread no longer reads it.
        return (
            perms.manage_threads
            or member.id in thread_members
            or any(m.id == member.id for m in channel.members)
        )
    return True


class Recaps(HearthCog):
    """Personal recaps, channel summaries and what Hearth is."""

    async def _window(
        self, guild_id: int, days: int | None, since: str | None
    ) -> tuple[dt.datetime, dt.datetime]:
        """The window in UTC; ``since`` dates are read in the guild's timezone."""
        settings = await self.bot.guild_config.get(guild_id)
        try:
            tz = zone(settings.timezone)
        except ScheduleError:
            tz = zone("UTC")
        try:
            return recap_window(utcnow(), days=days, since=since, tz=tz)
        except WindowError as exc:
            raise UserFacingError(str(exc)) from None

    @app_commands.command(name="recap")
    @app_commands.guild_only()
    @app_commands.describe(
        days=f"How many days back (1-{MAX_DAYS}, default 7)",
        since="Start date instead of days, e.g. 2026-11-20 (in the server's timezone)",
        public="Post it in this channel (only what everyone here can read); default: only you",
    )
    async def recap(
        self,
        interaction: discord.Interaction,
        days: app_commands.Range[int, 1, MAX_DAYS] | None = None,
        since: app_commands.Range[str, 1, 40] | None = None,
        public: bool = False,
    ) -> None:
        """Your personal recap: what mattered to you while you were away."""
        assert interaction.guild_id is not None
        guild_id, user_id = interaction.guild_id, interaction.user.id
        service = self.bot.recaps
        window = await self._window(guild_id, days, since)
        await interaction.response.defer(ephemeral=not public, thinking=True)
        lead = None
        if days is None and not since and not public:  # "since you were last here"
            start = since_last_here(window[1], await self.bot.members.last_seen(guild_id, user_id))
            if start is not None:
                window = (start, window[1])
                lead = (
                    f"Since you were last here (your last message, {start:%Y-%m-%d %H:%M} UTC). "
                    "Pass `days` to look further back."
                )
        where = (interaction.channel_id or 0) if public else None
        recap = await service.recap(guild_id, user_id, *window, public_in=where)
        notice = "\n".join(filter(None, (lead, await self._dm_notice(guild_id, user_id)))) or None
        await send_embed_messages(
            interaction,
            render_embeds(recap),
            ephemeral=not public,
            content=None if public else notice,
        )
        if public and notice:  # the notice is for them alone
            await interaction.followup.send(notice, ephemeral=True, allowed_mentions=NO_PINGS)

    async def _dm_notice(self, guild_id: int, user_id: int) -> str | None:
        """Tell the member once that their DM recap could not be delivered."""
        if not await self.bot.members.take_dm_failure_notice(guild_id, user_id):
            return None
        return DM_CLOSED_NOTICE

    @app_commands.command(name="summary")
    @app_commands.guild_only()
    @app_commands.describe(
        channel="The channel, thread or forum post (default: this one)",
        days=f"How many days back (1-{MAX_DAYS}, default 7)",
    )
    async def summary(
        self,
        interaction: discord.Interaction,
        channel: Readable | None = None,
        days: app_commands.Range[int, 1, MAX_DAYS] = 7,
    ) -> None:
        """Summary of one channel or thread you can read (only you see it)."""
        assert interaction.guild_id is not None
        member = interaction.user
        target = channel if channel is not None else interaction.channel
        if not isinstance(target, Readable) or not isinstance(member, discord.Member):
            raise UserFacingError("Pick a text channel, thread or forum post to summarize.")
        known: frozenset[int] = frozenset()
        if isinstance(target, discord.Thread) and target.is_private():
            known = await self.bot.members.thread_members(target.id)
        if not can_read(target, member, known):
            raise UserFacingError("You can't read that channel, so I can't summarize it for you.")
        service = self.bot.recaps
        since, until = await self._window(interaction.guild_id, days, None)
        await interaction.response.defer(ephemeral=True, thinking=True)
        digest = await service.channel_digest(interaction.guild_id, target.id, since, until)
        if not digest.items:
            digest = dataclasses.replace(
                digest, note=f"Nothing to summarize in #{target.name} in this period."
            )
        messages = render_embeds(digest)
        if messages and messages[0]:
            messages[0][0]["title"] = fit(f"#{name(target.name, lead=False)} · summary", 256)
        await send_embed_messages(interaction, messages, ephemeral=True)

    @app_commands.command(name="about")
    @app_commands.guild_only()
    async def about(self, interaction: discord.Interaction) -> None:
        """What Hearth does, what it stores, how long, and who the admins are."""
        guild = interaction.guild
        assert guild is not None
        await interaction.response.defer(ephemeral=True)  # the store may be busy with a digest
        settings = await self.bot.guild_config.get(guild.id)
        excluded = await self.bot.guild_config.excluded_count(guild.id)
        admins = sorted(
            m.id for m in guild.members if not m.bot and m.guild_permissions.manage_guild
        )
        where = (
            f"in <#{settings.digest_channel_id}>"
            if settings.digest_channel_id
            else "(once an admin picks a channel)"
        )
        embed = notice_embed("About Hearth", [])
        summarizer = self.bot.recaps.backend_for(settings)
        lines = about_lines(
            settings, admins, excluded=excluded, digest_where=where, summarizer=summarizer
        )
        for heading, value in lines:
            embed.add_field(name=heading, value=value[:1024], inline=False)
        await say(interaction, embed=embed, ephemeral=True)
