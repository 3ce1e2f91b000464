"""``/privacy`` end to end: status, pause/resume, export as a file, forget behind a button."""

from __future__ import annotations

import json
import sys

import pytest

from tests.e2e.harness import count, eventually, settle
from tests.e2e.interact import (
    EPHEMERAL,
    UPDATE,
    ago,
    assert_never_pinged,
    click,
    command_bot,
    completion,
    embed_text,
    invoke,
)

pytestmark = pytest.mark.e2e


def seed_talk(double) -> tuple[int, int]:
    """carol and dave talk in #general; returns the ids of carol's and dave's messages."""
    seed = double.seed
    carol, dave = seed.member("carol"), seed.member("dave")
    mine = double.add_history(seed.general_id, carol, f"hi <@{dave}>, tea?", at=ago(hours=5))
    theirs = double.add_history(
        seed.general_id,
        dave,
        f"<@{carol}> yes please",
        at=ago(hours=4),
        reply_to=int(mine["id"]),
    )
    return int(mine["id"]), int(theirs["id"])


async def privacy(double, sub: str, user: int, channel: int):
    return await invoke(double, "privacy", subcommand=sub, user=user, channel=channel)


async def test_status_counts_what_is_stored(discord_double, tmp_path):
    seed_talk(discord_double)
    seed = discord_double.seed
    async with command_bot(discord_double, tmp_path):
        call = await privacy(discord_double, "status", seed.member("carol"), seed.general_id)
        text = embed_text(await call.deferred(ephemeral=True))
        assert "Messages you wrote: **1**" in text and "Mentions of you: **1**" in text
        assert "Logging: **on**" in text and "Recap DMs: **off**" in text
    assert_never_pinged(discord_double)


async def test_pause_stops_storing_and_resume_starts_again(discord_double, tmp_path):
    seed = discord_double.seed
    erin, gen = seed.member("erin"), seed.general_id
    async with command_bot(discord_double, tmp_path) as bot:
        pause = await privacy(discord_double, "pause", erin, gen)
        assert "nothing you write" in (await pause.deferred())["content"]
        quiet = await discord_double.send_message(gen, erin, "not for the archive")
        resume = await privacy(discord_double, "resume", erin, gen)
        assert "stored again" in (await resume.deferred())["content"]
        loud = await discord_double.send_message(gen, erin, "archive me")

        async def landed() -> bool:
            await settle(bot)
            return await bot.store.messages.get(int(loud["id"])) is not None

        await eventually(landed, timeout=3, what="the message after resume")
        assert await bot.store.messages.get(int(quiet["id"])) is None


async def test_export_sends_a_private_json_file(discord_double, tmp_path):
    mine, _ = seed_talk(discord_double)
    seed = discord_double.seed
    carol = seed.member("carol")
    async with command_bot(discord_double, tmp_path):
        call = await privacy(discord_double, "export", carol, seed.general_id)
        followup = await call.deferred(ephemeral=True)
        (attachment,) = followup["attachments"]
        assert attachment["filename"] == f"hearth-export-{seed.guild_id}-{carol}.json"
        data = json.loads(discord_double.state.uploads[int(attachment["id"])])
        assert data["user_id"] == carol and data["guild_id"] == seed.guild_id
        assert [m["id"] for m in data["messages"]] == [mine]
        assert data["messages"][0]["content"].startswith("hi <@")
        assert len(data["mentions_of_you"]) == 1 and "content" not in data["mentions_of_you"][0]
        assert discord_double.messages(seed.general_id)[-1]["attachments"] == []  # not public


async def test_forget_asks_then_deletes_everything(discord_double, tmp_path):
    mine, theirs = seed_talk(discord_double)
    seed = discord_double.seed
    carol, dave, gen = seed.member("carol"), seed.member("dave"), seed.general_id
    async with command_bot(discord_double, tmp_path) as bot:
        store = bot.store
        async with store.transaction():
            await store.recap.add_interest(seed.guild_id, carol, "tea")
        done = completion(bot, "forget")
        ask = await privacy(discord_double, "forget", carol, gen)
        prompt = await ask.replied()
        assert "cannot be undone" in prompt["content"] and "/privacy pause" in prompt["content"]
        buttons = [c["custom_id"] for row in prompt["components"] for c in row["components"]]
        assert buttons == ["hearth:forget:yes", "hearth:forget:no"]
        await done
        assert await store.messages.get(mine) is not None  # nothing before the click

        stranger = await click(discord_double, ask.record.original, "hearth:forget:yes", user=dave)
        refused = await stranger.wait_for_response()
        assert "not for you" in refused["data"]["content"]
        assert await store.messages.get(mine) is not None

        press = await click(discord_double, ask.record.original, "hearth:forget:yes", user=carol)
        assert (await press.wait_for_response())["type"] == UPDATE
        report = await press.wait_for_followup()
        assert int(report["flags"]) & EPHEMERAL
        assert "**Done.**" in report["content"] and "messages you wrote: 1" in report["content"]
        assert await store.messages.get(mine) is None
        kept = await store.messages.get(theirs)
        assert kept is not None and kept.mentions == ()
        assert await store.members.get(seed.guild_id, carol) is None
        assert await store.recap.interests(seed.guild_id) == {}
        for sql in (
            "SELECT COUNT(*) FROM messages WHERE author_id = ?",
            "SELECT COUNT(*) FROM mentions WHERE target_id = ?",
            "SELECT COUNT(*) FROM member_roles WHERE user_id = ?",
        ):
            assert await count(store, sql, carol) == 0
    assert_never_pinged(discord_double)


async def test_forget_cancel_keeps_everything(discord_double, tmp_path):
    mine, _ = seed_talk(discord_double)
    seed = discord_double.seed
    carol = seed.member("carol")
    async with command_bot(discord_double, tmp_path) as bot:
        done = completion(bot, "forget")
        ask = await privacy(discord_double, "forget", carol, seed.general_id)
        await ask.replied()
        await done
        press = await click(discord_double, ask.record.original, "hearth:forget:no", user=carol)
        body = await press.wait_for_response()
        assert body["type"] == UPDATE and "nothing was deleted" in body["data"]["content"]
        assert body["data"]["components"] == []
        assert await bot.store.messages.get(mine) is not None


async def test_forget_prompt_times_out_and_deletes_nothing(discord_double, tmp_path, monkeypatch):
    mine, _ = seed_talk(discord_double)
    seed = discord_double.seed
    async with command_bot(discord_double, tmp_path) as bot:
        # load_extension executes a fresh module object: patch the one the bot runs.
        monkeypatch.setattr(sys.modules["cogs.privacy"], "CONFIRM_SECONDS", 0.3)
        ask = await privacy(discord_double, "forget", seed.member("carol"), seed.general_id)
        await ask.replied()
        edit = await ask.record.wait_for_edit(timeout=3)
        assert "Timed out" in edit["content"] and edit["components"] == []
        assert await bot.store.messages.get(mine) is not None
