"""``hearth doctor`` against the Discord double and the OpenAI double: what a user checks."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from testing.openai_double import openai_double  # noqa: F401  (a fixture)
from tests.bot.test_cli import hearth

pytestmark = pytest.mark.e2e


async def doctor(env: dict[str, str], db) -> tuple[int, list[str]]:
    out = await asyncio.to_thread(hearth, "doctor", "--db", str(db), env=env)
    assert "Traceback" not in out.stderr, out.stderr
    return out.returncode, out.stdout.splitlines()


def _env(double, **more: str) -> dict[str, str]:
    return {"DISCORD_TOKEN": double.token, "DISCORD_API_BASE": double.api_base, **more}


async def test_doctor_with_discord_and_a_model(discord_double, openai_double, tmp_path):  # noqa: F811
    db = tmp_path / "h.db"
    assert (
        await asyncio.to_thread(hearth, "import", "tests/data/dce_minimal.json", "--db", str(db))
    ).returncode == 0
    guild = discord_double.seed.guild_id
    with sqlite3.connect(db) as conn:  # the seeded guild, set up elsewhere, has a digest channel
        conn.execute(
            "INSERT INTO guilds (id, name, digest_channel_id) VALUES (?, 'x', 5)", (guild,)
        )
    other = discord_double.state.add_guild("Book club")
    env = _env(
        discord_double,
        HEARTH_SUMMARIZER="openai",
        OPENAI_API_KEY="sk-test",
        OPENAI_BASE_URL=openai_double.base_url,
        HEARTH_MODEL="double-mini",
    )
    rc, lines = await doctor(env, db)
    assert rc == 0, lines
    text = "\n".join(lines)
    assert f"ok    token: shaped like a bot token (bot user {discord_double.state.bot_id})" in text
    assert "ok    database: " in text and "intact" in text
    assert "ok    discord: logged in as Hearth" in text
    assert "ok    intents: Server Members Intent and Message Content Intent are on" in text
    assert "ok    guilds: the bot is in 2 guilds" in text
    assert f"warn  guild: Book club ({other.id}) has no digest channel yet" in text
    assert str(guild) not in text.split("guilds:")[1]  # set up: not named
    assert "ok    summarizer: 127.0.0.1:" in text and "answers; model double-mini" in text
    assert discord_double.token not in text and "sk-test" not in text


async def test_doctor_fails_on_intents_off_and_a_dead_model(discord_double, tmp_path):
    discord_double.state.application_flags = 0
    env = _env(
        discord_double,
        HEARTH_SUMMARIZER="openai",
        OPENAI_API_KEY="sk-test",
        OPENAI_BASE_URL="http://127.0.0.1:9/v1",
    )
    rc, lines = await doctor(env, tmp_path / "none.db")
    assert rc == 1
    text = "\n".join(lines)
    assert "fail  intents: Server Members and Message Content Intents are off" in text, text
    assert "fail  summarizer: the model endpoint 127.0.0.1:9 does not answer" in text, text


async def test_doctor_says_a_rejected_token(discord_double, tmp_path):
    env = _env(discord_double, DISCORD_TOKEN=discord_double.token[:-4] + "AAAA")
    rc, lines = await doctor(env, tmp_path / "none.db")
    assert rc == 1 and any(line.startswith("fail  discord: Discord rejected") for line in lines)


async def test_doctor_names_the_one_intent_off_and_discord_out_of_reach(discord_double, tmp_path):
    discord_double.state.application_flags = 1 << 15  # members on, message content off
    rc, lines = await doctor(_env(discord_double), tmp_path / "none.db")
    assert rc == 1 and any(
        line.startswith("fail  intents: Message Content Intent is off") for line in lines
    ), lines
    closed = _env(discord_double, DISCORD_API_BASE="http://127.0.0.1:9/api/v10")
    rc, lines = await doctor(closed, tmp_path / "none.db")
    assert rc == 1 and any(
        line.startswith("fail  discord: cannot reach Discord at 127.0.0.1:9: ") for line in lines
    ), lines
