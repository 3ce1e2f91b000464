"""pytest fixtures for the Discord double.

Use from a test module or conftest::

    from testing.discord_double.fixtures import discord_double  # noqa: F401

or ``pytest_plugins = ["testing.discord_double.fixtures"]`` in the root ``conftest.py``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from .seed import SeededGuild, seed_default_guild
from .server import DiscordDouble


class SeededDouble(DiscordDouble):
    """A started :class:`DiscordDouble` with the default guild in ``seed``."""

    seed: SeededGuild


class SwallowedErrors(logging.Handler):
    """Collects what discord.py logs and swallows: a listener's or command's exception
    (``Ignoring exception in on_…``) and any ERROR from ``discord.*``."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        from_discord = record.name == "discord" or record.name.startswith("discord.")
        if from_discord or record.getMessage().startswith("Ignoring exception"):
            self.records.append(record)

    def report(self) -> str:
        lines = []
        for record in self.records:
            lines.append(f"{record.name}: {record.getMessage()}")
            if record.exc_info and record.exc_info[1] is not None:
                lines.append(f"    {type(record.exc_info[1]).__name__}: {record.exc_info[1]}")
        return "\n".join(lines)


@pytest.fixture
def swallowed_errors(request: pytest.FixtureRequest):
    """Fail the test if discord.py logged (and swallowed) an error while it ran.

    A test that provokes such an error on purpose says so with
    ``@pytest.mark.allow_discord_errors``.
    """
    handler = SwallowedErrors()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
    if handler.records and request.node.get_closest_marker("allow_discord_errors") is None:
        pytest.fail(
            "discord.py logged errors it swallowed during this test:\n" + handler.report(),
            pytrace=False,
        )


@pytest_asyncio.fixture
async def discord_double(swallowed_errors: SwallowedErrors) -> AsyncIterator[SeededDouble]:
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
