"""``/ask``: a question to the community's memory, answered from what the member can read."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.recap.markup import TEXT_LIMIT, fit
from bot.recap.render_answer import render_answer
from cogs.common import NO_PINGS, HearthCog


class Ask(HearthCog):
    """Search the archive; only the asker sees the answer."""

    @app_commands.command(name="ask")
    @app_commands.guild_only()
    @app_commands.describe(
        question="What to look for, in English or 日本語 (a name, a thing, a topic)"
    )
    async def ask(
        self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 200]
    ) -> None:
        """Ask what your circle said: messages you can read, with links (only you see it)."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        answer = await self.bot.members.ask(interaction.guild_id, interaction.user.id, question)
        await interaction.followup.send(
            fit(render_answer(answer), TEXT_LIMIT),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
            suppress_embeds=True,
        )
