"""Private-thread membership as Discord reports it, through the real client and the double.

discord.py dispatches ``on_raw_thread_member_remove`` with a ``RawThreadMembersUpdate`` (its
``data`` holds ``removed_member_ids``) once per removed member, and ``on_thread_remove`` when the
bot itself is removed. A member who leaves or is removed must stop reading the thread in recaps;
the owner is a member like any other once they leave.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.timeutil import utcnow
from tests.e2e.harness import running_bot, settle
from tests.e2e.interact import command_bot, embed_text, invoke

pytestmark = pytest.mark.e2e


def _window() -> tuple[dt.datetime, dt.datetime]:
    now = utcnow()
    return now - dt.timedelta(days=7), now + dt.timedelta(minutes=1)


async def _reads_thread(bot, guild_id: int, member_id: int, thread_id: int) -> bool:
    recap = await bot.recaps.recap(guild_id, member_id, *_window())
    return any(item.channel_id == thread_id for item in recap.items)


async def _private_thread(double, owner: int, members: list[int]) -> int:
    seed = double.seed
    thread = await double.create_thread(
        seed.general_id, "surprise party", owner_id=owner, private=True
    )
    thread_id = int(thread["id"])
    for user_id in (seed.bot_id, *members):  # each added by the owner, one event each
        await double.add_thread_member(thread_id, user_id)
    for n, author in enumerate([owner, *members]):
        await double.send_message(thread_id, author, f"party plan {n}: cake and balloons at noon")
    return thread_id


async def test_a_member_removed_from_a_private_thread_stops_reading_it(discord_double, tmp_path):
    seed = discord_double.seed
    carol, dave, erin = (seed.member(n) for n in ("carol", "dave", "erin"))
    async with running_bot(discord_double, tmp_path / "h.db") as bot:
        thread_id = await _private_thread(discord_double, carol, [dave, erin])
        await settle(bot)
        assert await _reads_thread(bot, seed.guild_id, dave, thread_id)
        await discord_double.remove_thread_member(thread_id, dave)
        await settle(bot)
        assert not await _reads_thread(bot, seed.guild_id, dave, thread_id)
        assert await _reads_thread(bot, seed.guild_id, erin, thread_id)


async def test_an_owner_who_left_is_not_re_added_by_a_thread_update(discord_double, tmp_path):
    seed = discord_double.seed
    carol, dave = seed.member("carol"), seed.member("dave")
    async with running_bot(discord_double, tmp_path / "h.db") as bot:
        thread_id = await _private_thread(discord_double, carol, [dave])
        await settle(bot)
        await discord_double.remove_thread_member(thread_id, carol)
        await discord_double.update_thread(thread_id, name="surprise party (sat)")
        await discord_double.update_thread(thread_id, archived=True)  # auto-archive
        await settle(bot)
        assert not await _reads_thread(bot, seed.guild_id, carol, thread_id)
        assert await _reads_thread(bot, seed.guild_id, dave, thread_id)


async def test_removals_while_the_bot_was_away_are_read_on_reconnect(discord_double, tmp_path):
    seed = discord_double.seed
    carol, dave = seed.member("carol"), seed.member("dave")
    db = tmp_path / "h.db"
    async with running_bot(discord_double, db) as bot:
        thread_id = await _private_thread(discord_double, carol, [dave])
        await settle(bot)
        assert await _reads_thread(bot, seed.guild_id, dave, thread_id)
    # While the bot is down, dave leaves the thread: nobody tells the bot.
    discord_double.state.thread_members[thread_id].pop(dave)
    async with running_bot(discord_double, db) as bot:
        await settle(bot)
        assert not await _reads_thread(bot, seed.guild_id, dave, thread_id)
        assert await _reads_thread(bot, seed.guild_id, carol, thread_id)


async def test_summary_refuses_a_private_thread_to_its_owner_after_they_left(
    discord_double, tmp_path
):
    seed = discord_double.seed
    carol, dave = seed.member("carol"), seed.member("dave")
    async with command_bot(discord_double, tmp_path) as bot:
        thread_id = await _private_thread(discord_double, carol, [dave])
        await discord_double.remove_thread_member(thread_id, carol)
        await settle(bot)
        call = await invoke(discord_double, "summary", user=carol, channel=thread_id)
        data = await call.replied()
        assert "can't read that channel" in data["content"]
        member = await invoke(discord_double, "summary", user=dave, channel=thread_id)
        assert "party plan" in embed_text(await member.deferred(ephemeral=True))
