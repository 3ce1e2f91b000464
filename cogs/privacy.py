"""``/privacy``: what Hearth stores about you, pausing it, a copy of it, and forgetting it.

The cog only asks and reports; :class:`bot.services.privacy.PrivacyService` does the work (Red's
``core_commands.py`` "mydata" commands have the same split).
"""

from __future__ import annotations

import gzip
import io
import json
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.services.privacy import ForgetReport, PrivacyService, PrivacyStatus
from cogs.common import NO_PINGS, HearthCog, notice_embed, say

if TYPE_CHECKING:
    from bot.app.client import HearthBot

log = logging.getLogger(__name__)

CONFIRM_SECONDS = 60.0
FILE_LIMIT = 8 * 1024 * 1024  # bytes; larger exports are gzipped
LABELS = {
    "messages": "messages you wrote",
    "reactions": "reactions",
    "mentions": "mentions",
    "thread_members": "thread memberships",
    "member_roles": "roles",
    "member_interests": "interests",
    "deliveries": "DM recap deliveries",
    "summary_cache": "cached summaries",
    "channels": "threads you started (your name removed)",
    "guilds": "server ownership record (your id removed)",
    "members": "member profile",
}
STATUS_LABELS = {
    "messages": "Messages you wrote",
    "reactions": "Your reactions",
    "mentions": "Mentions of you",
    "thread_members": "Thread memberships",
    "member_roles": "Roles",
    "member_interests": "Interests",
    "deliveries": "DM recap deliveries",
    "summary_cache": "Cached summaries quoting you",
}
FORGET_PROMPT = (
    "**Delete everything Hearth stores about you in this server?**\n"
    "Your messages, your reactions, mentions of you, your interests, your DM settings and "
    "cached summaries that quote you will be deleted. This cannot be undone.\n"
    "Forgetting does not stop Hearth from storing what you write next: use `/privacy pause` "
    "for that."
)


def status_lines(status: PrivacyStatus) -> list[str]:
    """``/privacy status`` as lines."""
    lines = [f"{STATUS_LABELS.get(k, k)}: **{n}**" for k, n in status.counts.items()]
    lines.append("")
    lines.append(
        "Logging: **paused** (nothing you write is stored)"
        if status.logging_paused
        else "Logging: **on** (`/privacy pause` stops it)"
    )
    lines.append(
        f"Recap DMs: **{status.dm_cadence}**" if status.dm_opt_in else "Recap DMs: **off**"
    )
    return lines


def forget_lines(report: ForgetReport) -> list[str]:
    """The result of a forget, as lines."""
    lines = ["**Done.**" if report.ok else "**Partly done.**"]
    touched = [(LABELS.get(k, k), n) for k, n in report.counts.items() if n]
    lines += [f"• {label}: {n}" for label, n in touched] or ["• nothing was stored about you"]
    if report.failed:
        lines.append(
            f"These parts failed and were logged: {', '.join(report.failed)}. "
            "Run `/privacy forget` again to finish."
        )
    lines.append(
        "Logging stays paused."
        if report.still_paused
        else "New messages you write will be stored again; `/privacy pause` stops that."
    )
    return lines


def export_file(data: dict[str, object], guild_id: int, user_id: int) -> discord.File:
    """The export as a JSON attachment (gzipped when it would be too big for Discord)."""
    raw = json.dumps(data, ensure_ascii=False, indent=1).encode()
    name = f"hearth-export-{guild_id}-{user_id}.json"
    if len(raw) > FILE_LIMIT:
        return discord.File(io.BytesIO(gzip.compress(raw)), filename=name + ".gz")
    return discord.File(io.BytesIO(raw), filename=name)


class ForgetView(discord.ui.View):
    """Confirm or cancel a forget; only the member who asked can press, for 60 seconds."""

    def __init__(self, service: PrivacyService, origin: discord.Interaction) -> None:
        super().__init__(timeout=CONFIRM_SECONDS)
        self.service = service
        self.origin = origin
        self.report: ForgetReport | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Only the member who ran ``/privacy forget``."""
        if interaction.user.id == self.origin.user.id:
            return True
        await interaction.response.send_message(
            "These buttons are not for you.", ephemeral=True, allowed_mentions=NO_PINGS
        )
        return False

    @discord.ui.button(
        label="Delete my data", style=discord.ButtonStyle.danger, custom_id="hearth:forget:yes"
    )
    async def confirm(
        self, interaction: discord.Interaction, _: discord.ui.Button[ForgetView]
    ) -> None:
        """Forget, then report what was deleted."""
        self.stop()
        assert interaction.guild_id is not None
        await interaction.response.edit_message(
            content="Deleting your data…", view=None, allowed_mentions=NO_PINGS
        )
        self.report = await self.service.forget(interaction.guild_id, interaction.user.id)
        await interaction.followup.send(
            "\n".join(forget_lines(self.report)), ephemeral=True, allowed_mentions=NO_PINGS
        )

    @discord.ui.button(
        label="Cancel", style=discord.ButtonStyle.secondary, custom_id="hearth:forget:no"
    )
    async def cancel(
        self, interaction: discord.Interaction, _: discord.ui.Button[ForgetView]
    ) -> None:
        """Keep everything."""
        self.stop()
        await interaction.response.edit_message(
            content="Cancelled: nothing was deleted.", view=None, allowed_mentions=NO_PINGS
        )

    async def on_timeout(self) -> None:
        """Take the buttons away."""
        try:
            await self.origin.edit_original_response(
                content="Timed out: nothing was deleted.", view=None
            )
        except discord.HTTPException:
            log.debug("could not edit a timed-out forget prompt", exc_info=True)

    async def on_error(
        self,
        interaction: discord.Interaction,
        error: Exception,
        item: discord.ui.Item[ForgetView],
    ) -> None:
        """Log and tell the member."""
        log.error("forget button failed", exc_info=error)
        await say(interaction, "Something went wrong; nothing more was deleted. It was logged.")


class Privacy(HearthCog):
    """What Hearth stores about you, and your controls over it."""

    privacy = app_commands.Group(
        name="privacy", description="What Hearth stores about you", guild_only=True
    )

    def __init__(self, bot: HearthBot) -> None:
        super().__init__(bot)
        self.service: PrivacyService = bot.privacy

    @privacy.command(name="status")
    async def privacy_status(self, interaction: discord.Interaction) -> None:
        """What Hearth stores about you in this server."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True)
        status = await self.service.status(interaction.guild_id, interaction.user.id)
        await say(
            interaction, embed=notice_embed("What Hearth stores about you", status_lines(status))
        )

    @privacy.command(name="pause")
    async def privacy_pause(self, interaction: discord.Interaction) -> None:
        """Stop storing your messages and reactions (what is stored stays)."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True)
        await self.service.set_paused(interaction.guild_id, interaction.user.id, True)
        await say(
            interaction,
            "Paused: from now on nothing you write or react here is stored. What was stored "
            "before stays until you `/privacy forget` it. `/privacy resume` turns logging back on.",
        )

    @privacy.command(name="resume")
    async def privacy_resume(self, interaction: discord.Interaction) -> None:
        """Store your messages again, so recaps can include them."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True)
        await self.service.set_paused(interaction.guild_id, interaction.user.id, False)
        await say(interaction, "Resumed: your new messages are stored again.")

    @privacy.command(name="export")
    async def privacy_export(self, interaction: discord.Interaction) -> None:
        """A JSON file of everything Hearth stores about you (only you see it)."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await self.service.export(interaction.guild_id, interaction.user.id)
        await interaction.followup.send(
            "Here is everything Hearth stores about you in this server.",
            file=export_file(data, interaction.guild_id, interaction.user.id),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @privacy.command(name="forget")
    async def privacy_forget(self, interaction: discord.Interaction) -> None:
        """Delete everything Hearth stores about you (asks first)."""
        view = ForgetView(self.service, interaction)
        await interaction.response.send_message(
            FORGET_PROMPT, view=view, ephemeral=True, allowed_mentions=NO_PINGS
        )


async def setup(bot: HearthBot) -> None:
    """Load the privacy cog."""
    await bot.add_cog(Privacy(bot))
