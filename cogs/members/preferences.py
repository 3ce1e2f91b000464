"""``/dm`` and ``/interests``: the choices a member makes about their recaps."""

from __future__ import annotations

import logging
from typing import Literal

import discord
from discord import app_commands

from bot.models import MemberRecord
from bot.recap.markup import name
from bot.services.members import (
    CADENCES,
    MAX_TOPICS,
    TOPIC_LENGTH,
    PreferenceError,
    normalize_topic,
    topic_problem,
)
from cogs.common import HearthCog, UserFacingError, say
from cogs.members.render import interests_text

log = logging.getLogger(__name__)


class Preferences(HearthCog):
    """DM recaps and declared interests."""

    dm = app_commands.Group(
        name="dm", description="Weekly or daily recaps by direct message", guild_only=True
    )
    interests = app_commands.Group(
        name="interests",
        description="Topics you care about; recaps rank them higher",
        guild_only=True,
    )

    # -- /dm --------------------------------------------------------------------------------

    @dm.command(name="on")
    @app_commands.describe(cadence="How often (default: weekly, with the server's digest)")
    async def dm_on(
        self,
        interaction: discord.Interaction,
        cadence: Literal["weekly", "daily"] = "weekly",
    ) -> None:
        """Get your recap by DM."""
        assert interaction.guild_id is not None
        if cadence not in CADENCES:  # Discord enforces the choices; a raw client may not
            raise UserFacingError(f"Unknown cadence {cadence!r}: use weekly or daily.")
        await interaction.response.defer(ephemeral=True)
        await self.bot.members.set_dm(interaction.guild_id, interaction.user.id, True, cadence)
        await say(
            interaction,
            f"You'll get a {cadence} recap by DM. Make sure you accept direct messages from "
            "this server's members; `/dm off` stops them.",
        )

    @dm.command(name="off")
    async def dm_off(self, interaction: discord.Interaction) -> None:
        """Stop getting recaps by DM."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True)
        await self.bot.members.set_dm(interaction.guild_id, interaction.user.id, False, None)
        await say(interaction, "No more recap DMs. `/recap` still works whenever you want one.")

    # -- /interests -------------------------------------------------------------------------

    async def _topics(self, guild_id: int, user_id: int) -> tuple[str, ...]:
        return await self.bot.members.interests(guild_id, user_id)

    @interests.command(name="add")
    @app_commands.describe(topic="A word or phrase, e.g. ramen, board games, Rust")
    async def interests_add(
        self,
        interaction: discord.Interaction,
        topic: app_commands.Range[str, 1, TOPIC_LENGTH],
    ) -> None:
        """Tell Hearth about a topic you care about."""
        assert interaction.guild_id is not None
        problem = topic_problem(normalize_topic(topic))
        if problem:  # before deferring: the answer needs no database
            raise UserFacingError(problem)
        await interaction.response.defer(ephemeral=True)
        user = interaction.user
        member = MemberRecord(interaction.guild_id, user.id, user.name, user.display_name, user.bot)
        try:
            text, count = await self.bot.members.add_interest(member, topic)
        except PreferenceError as exc:
            raise UserFacingError(str(exc)) from None
        await say(interaction, f"Added **{name(text, lead=False)}** ({count}/{MAX_TOPICS}).")

    @interests.command(name="remove")
    @app_commands.describe(topic="One of your interests")
    async def interests_remove(
        self,
        interaction: discord.Interaction,
        topic: app_commands.Range[str, 1, TOPIC_LENGTH],
    ) -> None:
        """Forget one of your interests."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True)
        text, removed = await self.bot.members.remove_interest(
            interaction.guild_id, interaction.user.id, topic
        )
        if not removed:
            raise UserFacingError(
                f"**{name(text, lead=False)}** isn't one of your interests; see `/interests list`."
            )
        await say(interaction, f"Removed **{name(text, lead=False)}**.")

    @interests_remove.autocomplete("topic")
    async def _remove_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        topics = await self._topics(interaction.guild_id, interaction.user.id)
        needle = current.strip().lower()
        return [app_commands.Choice(name=t, value=t) for t in topics if needle in t.lower()][:25]

    @interests.command(name="list")
    async def interests_list(self, interaction: discord.Interaction) -> None:
        """Show your interests."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True)
        topics = await self._topics(interaction.guild_id, interaction.user.id)
        escaped = [name(t, lead=False) for t in topics]
        await say(interaction, interests_text(escaped, MAX_TOPICS))
