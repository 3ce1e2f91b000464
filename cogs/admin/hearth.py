"""``/hearth setup``, ``/hearth channels`` and ``/hearth status``: running Hearth in a server."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands

from bot.models import GuildSettings
from bot.services import guild_config
from bot.services.guild_config import WEEKDAYS, ConfigError, GuildConfigService, next_digest
from cogs.admin.render import (
    StatusFacts,
    channel_list_lines,
    settings_lines,
    status_lines,
)
from cogs.common import AdminCog, UserFacingError, notice_embed, say

if TYPE_CHECKING:
    from bot.app.client import HearthBot

log = logging.getLogger(__name__)

MANAGE_GUILD = discord.Permissions(manage_guild=True)
WEEKDAY_CHOICES = [app_commands.Choice(name=d, value=i) for i, d in enumerate(WEEKDAYS)]
Loggable = discord.TextChannel | discord.ForumChannel


def storage_bytes(path: str) -> int:
    """Size of the database file and its WAL/shared-memory files."""
    total = 0
    for suffix in ("", "-wal", "-shm"):
        try:
            total += os.path.getsize(path + suffix)
        except OSError:
            continue
    return total


def backend_health(bot: HearthBot, settings: GuildSettings) -> tuple[str, str]:
    """(the backend this server uses, a one-line health note)."""
    summarizer = bot.recaps.backend_for(settings)
    name = f"{summarizer.name} ({summarizer.model})" if summarizer.model else summarizer.name
    breaker = getattr(summarizer, "breaker", None)
    if breaker is not None and breaker.is_open:
        return name, f"unavailable after {breaker.failures} failures: extractive fallback in use"
    return name, "ok"


class HearthAdmin(AdminCog):
    """Server settings, logged channels and the bot's health (Manage Server only)."""

    hearth = app_commands.Group(
        name="hearth",
        description="Set Hearth up for this server (Manage Server)",
        guild_only=True,
        default_permissions=MANAGE_GUILD,
    )
    channels = app_commands.Group(
        name="channels", description="Which channels Hearth logs", parent=hearth
    )

    def __init__(self, bot: HearthBot) -> None:
        super().__init__(bot)
        self.config: GuildConfigService = bot.guild_config

    # -- /hearth setup ----------------------------------------------------------------------

    @hearth.command(name="setup")
    @app_commands.describe(
        digest_channel="Where the weekly digest is posted",
        weekday="Day of the weekly digest",
        hour="Hour of the digest, 0-23, in the server's timezone",
        timezone="IANA timezone, e.g. Europe/Paris or Asia/Tokyo",
        language="Summary language code (en, ja, pt-BR) or auto",
        summarizer="extractive (offline) or openai; default follows the bot's setting",
        retention_days="Delete messages older than this many days (0 = keep everything)",
    )
    @app_commands.choices(weekday=WEEKDAY_CHOICES)
    async def hearth_setup(
        self,
        interaction: discord.Interaction,
        digest_channel: discord.TextChannel | None = None,
        weekday: app_commands.Choice[int] | None = None,
        hour: app_commands.Range[int, 0, 23] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        language: app_commands.Range[str, 1, 20] | None = None,
        summarizer: Literal["extractive", "openai", "default"] | None = None,
        retention_days: app_commands.Range[int, 0, 3650] | None = None,
    ) -> None:
        """Change the digest schedule, language, summarizer or retention; shows the result."""
        guild = interaction.guild
        assert guild is not None
        if digest_channel is not None:
            perms = digest_channel.permissions_for(guild.me)
            if not (perms.send_messages and perms.embed_links and perms.view_channel):
                raise UserFacingError(
                    f"I can't post in {digest_channel.mention}: give me View Channel, Send "
                    "Messages and Embed Links there, or pick another channel."
                )
        await interaction.response.defer(ephemeral=True)
        try:
            settings, changed = await self.config.update(
                guild.id,
                digest_channel_id=digest_channel.id if digest_channel else None,
                digest_weekday=weekday.value if weekday else None,
                digest_hour=hour,
                timezone_name=timezone,
                language_code=language,
                summarizer_name=summarizer,
                retention=retention_days,
            )
        except ConfigError as exc:
            raise UserFacingError(f"Nothing was changed: {exc}.") from None
        lines = settings_lines(settings, next_digest(settings), changed)
        await say(interaction, embed=notice_embed("Hearth settings", lines))

    @hearth_setup.autocomplete("timezone")
    async def _timezone_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=n, value=n) for n in guild_config.timezone_choices(current)
        ]

    # -- /hearth channels -------------------------------------------------------------------

    async def _set_excluded(
        self, interaction: discord.Interaction, channel: Loggable | None, excluded: bool
    ) -> None:
        target = channel if channel is not None else interaction.channel
        if not isinstance(target, Loggable):
            raise UserFacingError("Pick a text channel or a forum.")
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True)
        kind: Literal["forum", "news", "text"] = (
            "forum"
            if isinstance(target, discord.ForumChannel)
            else ("news" if target.is_news() else "text")
        )
        await self.config.set_excluded(interaction.guild_id, target.id, kind, target.name, excluded)
        if excluded:
            text = (
                f"{target.mention} and its threads are no longer logged. What was logged before "
                "stays until retention or a member's forget removes it."
            )
        else:
            text = f"{target.mention} and its threads are logged again."
        await say(interaction, text)

    @channels.command(name="exclude")
    @app_commands.describe(channel="Text channel or forum (default: this one)")
    async def channels_exclude(
        self, interaction: discord.Interaction, channel: Loggable | None = None
    ) -> None:
        """Stop logging a channel and its threads."""
        await self._set_excluded(interaction, channel, True)

    @channels.command(name="include")
    @app_commands.describe(channel="Text channel or forum (default: this one)")
    async def channels_include(
        self, interaction: discord.Interaction, channel: Loggable | None = None
    ) -> None:
        """Log a channel (and its threads) again."""
        await self._set_excluded(interaction, channel, False)

    @channels.command(name="list")
    async def channels_list(self, interaction: discord.Interaction) -> None:
        """Which channels are logged and which are excluded."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True)
        found = await self.config.channels(interaction.guild_id)
        await say(interaction, embed=notice_embed("Logged channels", channel_list_lines(found)))

    # -- /hearth status ---------------------------------------------------------------------

    @hearth.command(name="status")
    async def hearth_status(self, interaction: discord.Interaction) -> None:
        """Storage, messages logged, last and next digest, summarizer health."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True)
        settings, stats, last = await self.config.status(interaction.guild_id)
        backend, health = backend_health(self.bot, settings)
        if settings.summarizer and not backend.startswith(settings.summarizer):
            health += (
                f"; this server asked for {settings.summarizer}, which this bot is not "
                "configured for (HEARTH_SUMMARIZER)"
            )
        facts = StatusFacts(
            storage_bytes=storage_bytes(self.config.db_path),
            messages=stats.messages,
            members=stats.members,
            channels=stats.channels,
            last_digest=last.updated_at if last else None,
            last_digest_status=last.status if last else None,
            next_digest=next_digest(settings),
            backend=backend,
            backend_health=health,
        )
        await say(interaction, embed=notice_embed("Hearth status", status_lines(facts)))
