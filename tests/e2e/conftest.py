"""End-to-end fixtures: the Discord double (and, where needed, the OpenAI double)."""

from tests.discord_double.fixtures import discord_double  # noqa: F401 - a fixture
