"""pytest fixtures for the Discord double.

Use from a test module or conftest::

    from tests.discord_double.fixtures import discord_double  # noqa: F401

or ``pytest_plugins = ["tests.discord_double.fixtures"]`` in the root ``conftest.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from .seed import SeededGuild, seed_default_guild
from .server import DiscordDouble


class SeededDouble(DiscordDouble):
    """A started :class:`DiscordDouble` with the default guild in ``seed``."""

    seed: SeededGuild


@pytest_asyncio.fixture
async def discord_double() -> AsyncIterator[SeededDouble]:
    """A running double on 127.0.0.1 with one seeded guild (see ``seed_default_guild``).

    The fixture does not touch discord.py globals; wrap the client in
    ``with discord_double.patch_discord():`` (or let the bot's settings point it at
    ``discord_double.api_base`` / ``discord_double.gateway_url``). Heartbeats are every 1 s.
    """
    double = SeededDouble(heartbeat_interval_ms=1000)
    double.seed = seed_default_guild(double.state)
    await double.start()
    try:
        yield double
    finally:
        await double.stop()
