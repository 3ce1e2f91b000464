"""Small Discord helpers shared by Hearth's cogs (not an extension: it has no ``setup``).

Every message goes out with ``AllowedMentions.none()``: nothing Hearth says pings anyone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

if TYPE_CHECKING:
    from bot.app.client import HearthBot

log = logging.getLogger(__name__)

NO_PINGS = discord.AllowedMentions.none()
EMBED_COLOR = 0xE07A3F


class NotManagerError(app_commands.CheckFailure):
    """The member lacks Manage Server (Discord hides admin commands, but clients can lie)."""


class UserFacingError(Exception):
    """An error whose message is meant for the member, sent ephemerally as it is."""


async def say(
    interaction: discord.Interaction,
    content: str | None = None,
    *,
    embed: discord.Embed | None = None,
    ephemeral: bool = True,
    **kwargs: Any,
) -> None:
    """Answer the interaction (or follow up if it was answered or deferred), never pinging."""
    options: dict[str, Any] = {"allowed_mentions": NO_PINGS, "ephemeral": ephemeral, **kwargs}
    if embed is not None:
        options["embed"] = embed
    if interaction.response.is_done():
        await interaction.followup.send(content or discord.utils.MISSING, **options)
    else:
        await interaction.response.send_message(content, **options)


async def send_embed_messages(
    interaction: discord.Interaction,
    messages: Sequence[Sequence[dict[str, Any]]],
    *,
    ephemeral: bool,
    content: str | None = None,
) -> None:
    """Send rendered messages (lists of embed dicts) as follow-ups, in order.

    ``content`` goes with the first message (e.g. a notice for the member).
    """
    for index, message in enumerate(messages):
        embeds = [discord.Embed.from_dict(e) for e in message]
        text = content if index == 0 and content else discord.utils.MISSING
        await interaction.followup.send(
            text, embeds=embeds, ephemeral=ephemeral, allowed_mentions=NO_PINGS
        )
    if not messages:  # never leave a deferred "thinking…" behind
        await interaction.followup.send(
            content or "Nothing to show.", ephemeral=ephemeral, allowed_mentions=NO_PINGS
        )


def is_manager(interaction: discord.Interaction) -> bool:
    """Manage Server (or Administrator, or ownership, which Discord folds into it)."""
    return interaction.guild is not None and interaction.permissions.manage_guild


async def handle_error(
    interaction: discord.Interaction, error: app_commands.AppCommandError
) -> None:
    """Turn failures into one ephemeral line; unexpected ones are logged with a trace."""
    original = getattr(error, "original", error)
    if isinstance(error, NotManagerError):
        text = "Only members with **Manage Server** can use this command."
    elif isinstance(error, app_commands.NoPrivateMessage):
        text = "This command works in a server, not in DMs."
    elif isinstance(original, UserFacingError):
        text = str(original)
    elif isinstance(error, app_commands.TransformerError):
        text = f"I couldn't use {error.value!r} there: pick it from the list Discord offers."
    else:
        command = interaction.command.qualified_name if interaction.command else "?"
        log.error("/%s failed", command, exc_info=original)
        text = "Something went wrong on my side; it has been logged. Please try again later."
    try:
        await say(interaction, text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not report an error to the member", exc_info=True)


def notice_embed(title: str, lines: Sequence[str]) -> discord.Embed:
    """A plain Hearth-coloured embed."""
    text = "\n".join(lines)[:4096]
    return discord.Embed(title=title, description=text or None, color=EMBED_COLOR)


class HearthCog(commands.Cog):
    """Base of Hearth's command cogs: the bot at hand, every failure one ephemeral line."""

    def __init__(self, bot: HearthBot) -> None:
        self.bot = bot

    async def cog_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Every failure becomes one ephemeral line."""
        await handle_error(interaction, error)


class AdminCog(HearthCog):
    """Base for cogs whose every command needs Manage Server.

    Discord hides such commands through ``default_permissions``, but server admins can
    override that per role or channel and a client can send anything: the permission is
    checked again here, for every command and subcommand of the cog.
    """

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Refuse members without Manage Server."""
        if not is_manager(interaction):
            raise NotManagerError("Manage Server is required")
        return True
