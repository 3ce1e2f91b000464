"""Admin commands (Manage Server): ``/hearth setup|channels|status`` and ``/digest``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app.client import HearthBot


async def setup(bot: HearthBot) -> None:
    """Load the admin cogs."""
    from cogs.admin.digest import DigestAdmin
    from cogs.admin.hearth import HearthAdmin

    await bot.add_cog(HearthAdmin(bot))
    await bot.add_cog(DigestAdmin(bot))
