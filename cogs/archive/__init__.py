"""Archive extension: logs channels, threads, reactions and members into SQLite."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.client import HearthBot


async def setup(bot: HearthBot) -> None:
    """Load the archive cog."""
    from cogs.archive.cog import Archive

    await bot.add_cog(Archive(bot))
