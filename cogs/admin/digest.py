"""``/digest preview`` and ``/digest post``: the circle digest on demand (Manage Server)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.recap import render_embeds
from bot.recap.window import MAX_DAYS
from cogs.admin.hearth import MANAGE_GUILD
from cogs.common import NO_PINGS, AdminCog, UserFacingError, say, send_embed_messages

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

Postable = discord.TextChannel | discord.Thread


class DigestAdmin(AdminCog):
    """The weekly digest, previewed or posted now."""

    digest = app_commands.Group(
        name="digest",
        description="The server digest, now (Manage Server)",
        guild_only=True,
        default_permissions=MANAGE_GUILD,
    )

    async def _target(self, interaction: discord.Interaction) -> Postable:
        """The configured digest channel, or the current channel if none is set."""
        guild = interaction.guild
        assert guild is not None
        settings = await self.bot.guild_config.get(guild.id)
        channel: Any = None
        if settings.digest_channel_id is not None:
            channel = guild.get_channel_or_thread(settings.digest_channel_id)
        if channel is None:
            channel = interaction.channel
        if not isinstance(channel, Postable):
            raise UserFacingError(
                "Set a digest channel first: `/hearth setup digest_channel:#channel`."
            )
        return channel

    @staticmethod
    def _check_reader(interaction: discord.Interaction, target: Postable) -> None:
        """Manage Server does not grant reading a channel: the admin must read it too."""
        perms = target.permissions_for(interaction.user)  # type: ignore[arg-type]
        if not (perms.view_channel and perms.read_message_history):
            raise UserFacingError(f"You can't read {target.mention}, so you can't see its digest.")

    async def _render(
        self, guild_id: int, channel_id: int, days: int, until: dt.datetime | None = None
    ) -> list[list[dict[str, Any]]]:
        until = until or self.bot.clock()
        digest = await self.bot.recaps.digest(
            guild_id, until - dt.timedelta(days=days), until, channel_id=channel_id
        )
        return render_embeds(digest)

    @digest.command(name="preview")
    @app_commands.describe(days=f"How many days back (1-{MAX_DAYS}, default 7)")
    async def digest_preview(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 1, MAX_DAYS] = 7
    ) -> None:
        """See the digest as it would be posted now (only you see it)."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)  # before any I/O
        target = await self._target(interaction)
        self._check_reader(interaction, target)
        messages = await self._render(interaction.guild_id, target.id, days)
        await send_embed_messages(
            interaction,
            messages,
            ephemeral=True,
            content=f"Preview of the digest for {target.mention}:",
        )

    @digest.command(name="post")
    @app_commands.describe(days=f"How many days back (1-{MAX_DAYS}, default 7)")
    async def digest_post(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 1, MAX_DAYS] = 7
    ) -> None:
        """Post the digest now in the digest channel (or here, if none is set)."""
        guild = interaction.guild
        assert guild is not None
        await interaction.response.defer(ephemeral=True, thinking=True)  # before any I/O
        target = await self._target(interaction)
        self._check_reader(interaction, target)
        perms = target.permissions_for(guild.me)
        if not (perms.view_channel and perms.send_messages and perms.embed_links):
            raise UserFacingError(
                f"I can't post in {target.mention}: give me View Channel, Send Messages and "
                "Embed Links there."
            )
        posted: list[discord.Message] = []
        # No scheduled digest of the guild runs while this one renders and posts; what was
        # posted is in the ledger even if a later part fails. Its window is fixed once the
        # guild's lock is held, and the same one is rendered and recorded.
        async with self.bot.delivery.manual_post(guild.id, target.id, self.bot.clock()) as post:
            post.since = post.until - dt.timedelta(days=days)
            for message in await self._render(guild.id, target.id, days, post.until):
                embeds = [discord.Embed.from_dict(e) for e in message]
                posted.append(await target.send(embeds=embeds, allowed_mentions=NO_PINGS))
                post.ids.append(posted[-1].id)
        link = posted[0].jump_url if posted else target.mention
        slot, covers = post.slot, post.covers
        if slot is None:
            schedule = ""
        elif covers:
            when = f"<t:{int(slot.at.timestamp())}:f>"
            schedule = f" The scheduled digest of {when} will cover only what is said from now."
        else:
            schedule = " It covered less than the time since the last digest, so the scheduled"
            schedule += " one still covers its whole week."
        count = f"{len(posted)} message" + ("" if len(posted) == 1 else "s")
        await say(
            interaction, f"Posted the digest in {target.mention} ({count}): {link}.{schedule}"
        )
