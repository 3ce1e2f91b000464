"""Issue #14's sequences through the real client, the Discord double and a controlled clock.

Each test is one sequence that lost or repeated a delivery before: a DM of one guild taken
for another's, a failure waiting a week, a moved channel or weekday, a ``/digest post``
followed by the scheduled digest, members who left, a bot removed from a guild, DMs closed
and opened again. (A crash between the parts of a delivery, and two processes on one
database, are in test_delivery_crash.py and test_process.py: they need real processes.)
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.delivery.marks import marker
from tests.e2e.harness import running_bot, settle
from tests.e2e.interact import EXTENSIONS, embed_text, invoke
from tests.e2e.test_scheduler import Clock, bot_posts, chat, configure

pytestmark = pytest.mark.e2e
WEEK = dt.timedelta(days=7)


def footers(messages: list[dict]) -> list[str]:
    return [m["embeds"][0].get("footer", {}).get("text", "") for m in messages]


async def test_a_failed_dm_of_one_guild_is_not_found_in_another_guilds_dm(discord_double, tmp_path):
    seed, state = discord_double.seed, discord_double.state
    alice = seed.member("alice")
    bob = seed.member("bob")
    other_id = state.add_guild("Other circle").id
    lounge = int(state.add_channel(other_id, "lounge")["id"])
    for member in (alice, bob):
        state.add_member(other_id, member, roles=[])
    an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    state.add_message(lounge, bob, f"<@{alice}> can you bring the board games on Sunday?",
                      mentions=[alice], at=an_hour_ago)  # fmt: skip
    clock = Clock(dt.datetime.now(dt.UTC))
    async with running_bot(discord_double, tmp_path / "h.db", clock=clock, dm_interval=0) as bot:
        slot = await configure(bot, discord_double, clock, [alice])
        async with bot.store.transaction():
            await bot.store.guilds.update_settings(
                other_id, digest_weekday=slot.weekday(), digest_hour=slot.hour, timezone="UTC"
            )
            await bot.store.members.set_dm(other_id, alice, True, "weekly")
        await chat(discord_double)
        await settle(bot)
        clock.now = slot + dt.timedelta(minutes=1)
        await bot.scheduler.run_now(seed.guild_id)  # this guild's DM to alice is out
        assert len(discord_double.dm_messages(alice)) == 1
        dm = discord_double.state.dm_channels[alice]
        discord_double.fail_next("POST", f"/channels/{dm}/messages", status=400)
        (weekly, _) = await bot.scheduler.run_now(other_id)  # the other guild's fails
        assert weekly.failed == [f"dm:{alice}"]
        report = await bot.scheduler.retry(other_id, "weekly")  # and is retried
        assert report is not None and report.sent == [f"dm:{alice}"]
    period = f"weekly:{slot.date().isoformat()}"
    got = footers(discord_double.dm_messages(alice))
    assert len(got) == 2
    assert got[0].startswith(marker(period, seed.guild_id))
    assert got[1].startswith(marker(period, other_id))


async def test_a_failed_digest_is_retried_within_the_period(discord_double, tmp_path):
    seed = discord_double.seed
    clock = Clock(dt.datetime.now(dt.UTC))
    async with running_bot(discord_double, tmp_path / "h.db", clock=clock, dm_interval=0) as bot:
        slot = await configure(bot, discord_double, clock, [])
        await chat(discord_double)
        await settle(bot)
        clock.now = slot + dt.timedelta(minutes=1)
        bot.delivery.retry_base = 0  # the in-run retries of one part: not what is tested here
        discord_double.fail_next("POST", f"/channels/{seed.general_id}/messages", status=503,
                                 count=3)  # fmt: skip
        (weekly, _) = await bot.scheduler.run_now(seed.guild_id)
        assert weekly.failed == ["digest"] and bot_posts(discord_double, seed.general_id) == []
        job = bot.scheduler.scheduler.get_job(f"retry:weekly:{seed.guild_id}")
        assert job is not None  # backed off: five minutes, not next week
        assert job.next_run_time - clock.now == dt.timedelta(minutes=5)
        clock.now += dt.timedelta(minutes=5)
        report = await bot.scheduler.retry(seed.guild_id, "weekly")
        assert report is not None and report.sent == ["digest"]
        await bot.scheduler.run_now(seed.guild_id)  # the slot's own trigger again: nothing
        assert bot.scheduler.scheduler.get_job(f"retry:weekly:{seed.guild_id}") is None
    assert len(bot_posts(discord_double, seed.general_id)) == 1


async def test_a_moved_channel_or_weekday_repeats_no_day(discord_double, tmp_path):
    seed, state = discord_double.seed, discord_double.state
    clock = Clock(dt.datetime.now(dt.UTC))
    other = int(state.add_channel(seed.guild_id, "announcements",
                                  parent_id=seed.category_id)["id"])  # fmt: skip
    async with running_bot(discord_double, tmp_path / "h.db", clock=clock, dm_interval=0) as bot:
        slot = await configure(bot, discord_double, clock, [])
        await chat(discord_double)  # "ramen", before the first digest
        await settle(bot)
        clock.now = slot + dt.timedelta(minutes=1)
        await bot.scheduler.run_now(seed.guild_id)
        async with bot.store.transaction():  # the admin moves the digest, same week
            await bot.store.guilds.update_settings(seed.guild_id, digest_channel_id=other)
        await bot.on_guild_settings_changed(seed.guild_id)
        await bot.scheduler.run_now(seed.guild_id)
        assert bot_posts(discord_double, other) == []  # the period was posted already
        # Then to two days later: the next digest starts where the first one ended.
        async with bot.store.transaction():
            await bot.store.guilds.update_settings(
                seed.guild_id, digest_weekday=(slot.weekday() + 2) % 7
            )
        await bot.on_guild_settings_changed(seed.guild_id)
        clock.now = slot + dt.timedelta(days=1)
        walk = await discord_double.send_message(seed.general_id, seed.member("dave"),
                                                 "Who is up for a lantern walk on Friday?",
                                                 at=clock.now)  # fmt: skip
        await discord_double.send_message(seed.general_id, seed.member("carol"),
                                          "Me! I'll bring the lanterns for the walk",
                                          reply_to=int(walk["id"]),
                                          at=clock.now + dt.timedelta(minutes=5))  # fmt: skip
        await settle(bot)
        clock.now = slot + dt.timedelta(days=2, minutes=1)
        await bot.scheduler.run_now(seed.guild_id)
    first = bot_posts(discord_double, seed.general_id)
    second = bot_posts(discord_double, other)
    assert len(first) == 1 and len(second) == 1
    assert "ramen" in embed_text(first[0]).lower()
    assert "ramen" not in embed_text(second[0]).lower()
    assert "lantern" in embed_text(second[0]).lower()


async def test_a_manual_post_then_the_scheduled_digest_covers_no_day_twice(
    discord_double, tmp_path
):
    seed = discord_double.seed
    alice, gen = seed.member("alice"), seed.general_id
    clock = Clock(dt.datetime.now(dt.UTC))
    async with running_bot(
        discord_double, tmp_path / "h.db", clock=clock, dm_interval=0, extensions=EXTENSIONS
    ) as bot:
        slot = await configure(bot, discord_double, clock, [])
        await chat(discord_double)  # "ramen"
        await settle(bot)
        clock.now = dt.datetime.now(dt.UTC)  # the admin posts now, after the chat
        post = await invoke(discord_double, "digest", subcommand="post", user=alice, channel=gen)
        done = await post.deferred(ephemeral=True)
        assert "will cover only what is said from now" in done["content"]
        manual = bot_posts(discord_double, gen)
        assert manual and "ramen" in embed_text(manual[0]).lower()
        clock.now = slot + dt.timedelta(minutes=1)
        (weekly, _) = await bot.scheduler.run_now(seed.guild_id)
    scheduled = bot_posts(discord_double, gen)[len(manual) :]
    # The scheduled digest ran and covered only the minutes since the manual post: a quiet
    # stretch, or nothing at all, but never the ramen talk again.
    assert "digest" in weekly.sent + weekly.empty
    assert bool(scheduled) == ("digest" in weekly.sent)
    assert all("ramen" not in embed_text(m).lower() for m in scheduled)


async def test_left_members_get_no_dm_and_reopened_dms_are_tried_next_period(
    discord_double, tmp_path
):
    seed = discord_double.seed
    carol, dave, erin = (seed.member(n) for n in ("carol", "dave", "erin"))
    discord_double.close_dms(erin)
    clock = Clock(dt.datetime.now(dt.UTC))
    async with running_bot(discord_double, tmp_path / "h.db", clock=clock, dm_interval=0) as bot:
        slot = await configure(bot, discord_double, clock, [carol, dave, erin])
        await chat(discord_double)
        await discord_double.member_leave(dave)  # opted in, then left
        await settle(bot)
        clock.now = slot + dt.timedelta(minutes=1)
        (weekly, _) = await bot.scheduler.run_now(seed.guild_id)
        assert f"dm:{carol}" in weekly.sent and weekly.closed == [f"dm:{erin}"]
        assert f"dm:{dave}" not in str(weekly)
        await bot.scheduler.run_now(seed.guild_id)  # closed DMs are recorded once
        discord_double.open_dms(erin)
        await discord_double.send_message(seed.general_id, carol, f"<@{erin}> ramen again?",
                                          mentions=[erin], at=clock.now)  # fmt: skip
        await settle(bot)
        clock.now = slot + WEEK + dt.timedelta(minutes=1)
        (weekly, _) = await bot.scheduler.run_now(seed.guild_id)
        assert f"dm:{erin}" in weekly.sent  # opened again: tried again next period
    assert len(discord_double.dm_messages(carol)) >= 1
    assert len(discord_double.dm_messages(erin)) == 1
    assert discord_double.state.dm_channels.get(dave) is None  # not even a DM channel opened
    closed = discord_double.find_requests("POST", "/channels/*/messages", status=403)
    assert len(closed) == 1


async def test_a_bot_removed_from_a_guild_retries_nothing_there(discord_double, tmp_path):
    seed = discord_double.seed
    carol = seed.member("carol")
    clock = Clock(dt.datetime.now(dt.UTC))
    async with running_bot(discord_double, tmp_path / "h.db", clock=clock, dm_interval=0) as bot:
        slot = await configure(bot, discord_double, clock, [carol])
        await chat(discord_double)
        await settle(bot)
        clock.now = slot + dt.timedelta(minutes=1)
        bot.delivery.retry_base = 0
        discord_double.fail_next("POST", "/channels/*/messages", status=503, count=6)
        (weekly, _) = await bot.scheduler.run_now(seed.guild_id)
        assert sorted(weekly.failed) == sorted(["digest", f"dm:{carol}"])
        assert bot.scheduler.scheduler.get_job(f"retry:weekly:{seed.guild_id}") is not None
        await discord_double.remove_bot(seed.guild_id)  # kicked before the retry
        await settle(bot)
        assert bot.get_guild(seed.guild_id) is None
        jobs = [j.id for j in bot.scheduler.scheduler.get_jobs()]
        assert not [j for j in jobs if j.endswith(f":{seed.guild_id}")], jobs
