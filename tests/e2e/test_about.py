"""``/about`` tells members the truth about where their messages go (issue #15)."""

from __future__ import annotations

import pytest

from testing.openai_double import openai_double  # noqa: F401 - fixture
from tests.e2e.harness import running_bot
from tests.e2e.interact import EXTENSIONS, embed_text, invoke

pytestmark = pytest.mark.e2e


async def about(double, bot) -> str:
    seed = double.seed
    call = await invoke(double, "about", user=seed.member("carol"), channel=seed.general_id)
    return embed_text(await call.deferred(ephemeral=True))


async def test_about_names_the_model_when_the_bot_uses_one_by_default(
    discord_double,
    openai_double,  # noqa: F811
    tmp_path,
):
    async with running_bot(
        discord_double,
        tmp_path / "hearth.db",
        extensions=EXTENSIONS,
        HEARTH_SUMMARIZER="openai",
        OPENAI_API_KEY="sk-test",
        OPENAI_BASE_URL=openai_double.base_url,
        HEARTH_MODEL="gpt-test-mini",
    ) as bot:
        text = await about(discord_double, bot)
        async with bot.store.transaction():  # this server keeps its messages off the model
            await bot.store.guilds.update_settings(
                discord_double.seed.guild_id, summarizer="extractive"
            )
        offline = await about(discord_double, bot)
    assert "offline" not in text, text
    assert "sent to the model gpt-test-mini at 127.0.0.1:" in text, text
    assert "gpt-test-mini" not in offline and "made here, offline" in offline, offline


async def test_about_says_nothing_leaves_discord_offline(discord_double, tmp_path):
    async with running_bot(discord_double, tmp_path / "hearth.db", extensions=EXTENSIONS) as bot:
        text = await about(discord_double, bot)
    assert "made here, offline: nothing is ever sent anywhere except Discord" in text, text
    assert "model" not in text.lower(), text
