"""Member commands: ``/recap``, ``/summary``, ``/about``, ``/ask``, ``/dm`` and ``/interests``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.client import HearthBot


async def setup(bot: HearthBot) -> None:
    """Load the member cogs."""
    from cogs.members.ask import Ask
    from cogs.members.preferences import Preferences
    from cogs.members.recaps import Recaps

    await bot.add_cog(Recaps(bot))
    await bot.add_cog(Preferences(bot))
    await bot.add_cog(Ask(bot))
