"""Scheduled digests and DM recaps through the real bot and the Discord double.

The bot's clock is controlled by the test; everything else is real: discord.py, the double's
REST and gateway, the SQLite file, the recap engine.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from tests.e2e.harness import running_bot, settle

pytestmark = pytest.mark.e2e


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def bot_posts(double, channel_id: int) -> list[dict]:
    return [m for m in double.messages(channel_id) if int(m["author"]["id"]) == double.bot_id]


async def configure(bot, double, clock: Clock, opted_in: list[int]) -> dt.datetime:
    """Digest in #general at the next full hour (UTC); returns that time."""
    seed = double.seed
    slot = (clock.now + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    async with bot.store.transaction():
        await bot.store.guilds.update_settings(
            seed.guild_id,
            digest_channel_id=seed.general_id,
            digest_weekday=slot.weekday(),
            digest_hour=slot.hour,
            timezone="UTC",
        )
        for user_id in opted_in:
            await bot.store.members.set_dm(seed.guild_id, user_id, True, "weekly")
    await bot.on_guild_settings_changed(seed.guild_id)
    return slot


async def chat(double) -> None:
    seed = double.seed
    alice, bob, carol = (seed.member(n) for n in ("alice", "bob", "carol"))
    first = await double.send_message(seed.general_id, alice, "Who wants to cook ramen on Sunday?")
    await double.send_message(
        seed.general_id, bob, f"<@{alice}> me! I'll bring eggs", reply_to=int(first["id"])
    )
    await double.send_message(seed.general_id, carol, "@everyone is the study group still on?")
    await double.send_message(seed.staff_channel_id, bob, "staff only: budget talk")


async def test_one_digest_and_one_dm_each_even_across_restarts(discord_double, tmp_path):
    seed = discord_double.seed
    clock = Clock(dt.datetime.now(dt.UTC))
    opted = [seed.member(n) for n in ("alice", "carol", "dave")]
    db = tmp_path / "h.db"
    async with running_bot(discord_double, db, clock=clock, dm_interval=0) as bot:
        slot = await configure(bot, discord_double, clock, opted)
        assert bot.scheduler.next_run(seed.guild_id) == slot
        await chat(discord_double)
        await settle(bot)
        await bot.scheduler.run_now(seed.guild_id)  # before the slot: nothing is due
        assert bot_posts(discord_double, seed.general_id) == []
        clock.now = slot + dt.timedelta(minutes=1)
        await bot.scheduler.run_now(seed.guild_id)
        await bot.scheduler.run_now(seed.guild_id)  # a second trigger changes nothing
    posts = bot_posts(discord_double, seed.general_id)
    assert len(posts) >= 1
    text = str(posts)
    assert "ramen" in text.lower() and "budget" not in text  # staff-only stays out
    assert "@everyone" not in text.replace("@\u200beveryone", "")
    for user_id in opted:
        assert len(discord_double.dm_messages(user_id)) == 1, user_id
    dave_dm = str(discord_double.dm_messages(seed.member("dave")))
    assert "budget" not in dave_dm
    # Restart after the run: the catch-up on start sends nothing again.
    async with running_bot(discord_double, db, clock=clock, dm_interval=0) as bot:
        await asyncio.sleep(0.3)
    assert bot_posts(discord_double, seed.general_id) == posts
    for user_id in opted:
        assert len(discord_double.dm_messages(user_id)) == 1
    for request in discord_double.find_requests("POST", "/channels/*/messages"):
        assert request.json["allowed_mentions"]["parse"] == []


@pytest.mark.parametrize("killed_after", [0, 1, 3])
async def test_crash_mid_run_then_restart_delivers_each_once(
    discord_double, tmp_path, killed_after
):
    seed = discord_double.seed
    clock = Clock(dt.datetime.now(dt.UTC))
    opted = [seed.member(n) for n in ("alice", "bob", "carol", "dave", "erin")]
    db = tmp_path / "h.db"
    async with running_bot(discord_double, db, clock=clock, dm_interval=0.05) as bot:
        slot = await configure(bot, discord_double, clock, opted)
        await chat(discord_double)
        await settle(bot)
        clock.now = slot + dt.timedelta(minutes=1)
        run = asyncio.create_task(bot.scheduler.run_now(seed.guild_id))
        for _ in range(500):  # kill it once `killed_after` DMs have gone out
            if sum(len(discord_double.dm_messages(u)) for u in opted) > killed_after:
                break
            await asyncio.sleep(0.01)
        run.cancel()  # the process dies mid-run: some DMs sent, others not
        await asyncio.gather(run, return_exceptions=True)
    sent_before = sum(len(discord_double.dm_messages(u)) for u in opted)
    assert killed_after < sent_before < len(opted)
    # Back up 3 hours late: the catch-up runs at start, within the 24 h grace.
    clock.now = slot + dt.timedelta(hours=3)
    async with running_bot(discord_double, db, clock=clock, dm_interval=0) as bot:

        async def done() -> bool:  # every DM on Discord and every row finished (it lands after)
            rows = await bot.store.deliveries.list(seed.guild_id)
            return all(len(discord_double.dm_messages(u)) == 1 for u in opted) and all(
                d.status.final for d in rows
            )

        for _ in range(200):
            if await done():
                break
            await asyncio.sleep(0.05)
        statuses = {str(d.target): d.status for d in await bot.store.deliveries.list(seed.guild_id)}
    assert len(bot_posts(discord_double, seed.general_id)) >= 1
    digest_ids = {int(m["id"]) for m in bot_posts(discord_double, seed.general_id)}
    assert len(digest_ids) == len(bot_posts(discord_double, seed.general_id))
    for user_id in opted:
        assert len(discord_double.dm_messages(user_id)) == 1, user_id
    assert set(statuses.values()) == {"sent"}


async def test_closed_dms_are_recorded_and_told_once(discord_double, tmp_path):
    seed = discord_double.seed
    clock = Clock(dt.datetime.now(dt.UTC))
    erin = seed.member("erin")
    discord_double.close_dms(erin)
    async with running_bot(discord_double, tmp_path / "h.db", clock=clock, dm_interval=0) as bot:
        slot = await configure(bot, discord_double, clock, [erin])
        await chat(discord_double)
        await settle(bot)
        clock.now = slot + dt.timedelta(minutes=1)
        (weekly, _daily) = await bot.scheduler.run_now(seed.guild_id)
        assert weekly.closed == [f"dm:{erin}"]
        await bot.scheduler.run_now(seed.guild_id)
        attempts = discord_double.find_requests("POST", "/channels/*/messages", status=403)
        assert len(attempts) == 1  # recorded, not retried
        assert await bot.store.deliveries.unnotified_dm_failure(seed.guild_id, erin)


async def test_two_hundred_dms_under_rate_limits_none_lost_none_twice(discord_double, tmp_path):
    seed = discord_double.seed
    state = discord_double.state
    crowd = []
    for i in range(200):
        user = state.add_user(f"reader{i:03d}")
        state.add_member(seed.guild_id, int(user["id"]), roles=[seed.member_role_id])
        crowd.append(int(user["id"]))
    # Discord's per-route limits, enforced by the double with honest headers and 429s.
    discord_double.set_rate_limit("POST", "/channels/*/messages", limit=50, window=1.0)
    discord_double.set_rate_limit("POST", "/users/@me/channels", limit=50, window=1.0)
    clock = Clock(dt.datetime.now(dt.UTC))
    async with running_bot(discord_double, tmp_path / "h.db", clock=clock, dm_interval=0) as bot:
        slot = await configure(bot, discord_double, clock, crowd)
        await chat(discord_double)
        await settle(bot)
        clock.now = slot + dt.timedelta(minutes=1)
        (weekly, _daily) = await bot.scheduler.run_now(seed.guild_id)
        assert weekly.failed == [] and len(weekly.sent) == 201  # 200 DMs + the digest
    assert all(len(discord_double.dm_messages(u)) == 1 for u in crowd)
    # The double answers 429 past 50 DM-channel creations a second; discord.py reads the
    # limit headers and waits for the bucket to reset, so 200 of them cause no 429 storm.
    assert len(discord_double.find_requests("POST", "/users/@me/channels")) >= 200
    assert len(discord_double.find_requests("*", "**", status=429)) <= 5
