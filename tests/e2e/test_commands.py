"""Member slash commands end to end: the real bot, the Discord double, a real SQLite file.

Every command is sent as INTERACTION_CREATE and judged by what reached the double: the first
callback (deferred within 3 s where the command does real work), follow-ups, visibility and
``allowed_mentions``. Privacy commands are in ``test_privacy_commands.py``, admin commands in
``test_admin_commands.py``.
"""

from __future__ import annotations

import pytest

from bot.models import Status, Target
from tests.e2e.harness import count, settle
from tests.e2e.interact import (
    EPHEMERAL,
    ago,
    assert_never_pinged,
    autocomplete,
    channel_option,
    command_bot,
    embed_text,
    invoke,
)

pytestmark = pytest.mark.e2e


def seed_conversations(double) -> None:
    """A week of talk: a potluck in #general (carol, dave, erin) and a staff-only thread."""
    seed = double.seed
    carol, dave, erin, alice, bob = (
        seed.member(n) for n in ("carol", "dave", "erin", "alice", "bob")
    )
    gen, staff = seed.general_id, seed.staff_channel_id
    first = double.add_history(
        gen, carol, f"<@{dave}> are you bringing the rice cooker to the potluck?", at=ago(hours=30)
    )
    double.add_history(
        gen,
        dave,
        "Yes! And miso soup for everyone",
        at=ago(hours=29, minutes=50),
        reply_to=int(first["id"]),
    )
    double.add_history(gen, erin, "I'll bring onigiri and pickles", at=ago(hours=29, minutes=40))
    double.add_history(gen, carol, "Perfect, potluck at seven", at=ago(hours=29, minutes=30))
    secret = double.add_history(
        staff, bob, f"<@{alice}> the moderation budget is secret-pineapple", at=ago(hours=20)
    )
    double.add_history(
        staff,
        alice,
        "secret-pineapple approved",
        at=ago(hours=19, minutes=55),
        reply_to=int(secret["id"]),
    )


async def test_recap_is_deferred_private_and_built_from_the_archive(discord_double, tmp_path):
    seed_conversations(discord_double)
    seed = discord_double.seed
    carol = seed.member("carol")
    async with command_bot(discord_double, tmp_path) as bot:
        call = await invoke(
            discord_double, "recap", user=carol, channel=seed.general_id, options={"days": 3}
        )
        followup = await call.deferred(ephemeral=True)
        text = embed_text(followup)
        assert followup["embeds"][0]["title"].startswith("Your recap")
        assert "potluck" in text.lower() and "secret-pineapple" not in text
        assert followup["content"] in ("", None)
        await settle(bot)
    assert_never_pinged(discord_double)


async def test_recap_tells_once_that_dms_failed(discord_double, tmp_path):
    seed = discord_double.seed
    carol = seed.member("carol")
    async with command_bot(discord_double, tmp_path) as bot:
        store = bot.store
        async with store.transaction():
            await store.deliveries.begin(
                seed.guild_id,
                "weekly:2026-11-23",
                Target.dm(carol),
                nonce="n",
                user_id=carol,
                late=False,
                now=ago(days=1),
            )
            await store.deliveries.finish(
                seed.guild_id,
                "weekly:2026-11-23",
                Target.dm(carol),
                status=Status.DM_CLOSED,
                now=ago(days=1),
            )
        first = await invoke(discord_double, "recap", user=carol, channel=seed.general_id)
        assert "couldn't DM your weekly recap" in (await first.deferred())["content"]
        again = await invoke(discord_double, "recap", user=carol, channel=seed.general_id)
        assert "couldn't DM" not in ((await again.deferred())["content"] or "")


async def test_recap_rejects_a_bad_date_at_once(discord_double, tmp_path):
    seed = discord_double.seed
    async with command_bot(discord_double, tmp_path):
        call = await invoke(
            discord_double,
            "recap",
            user=seed.member("carol"),
            channel=seed.general_id,
            options={"since": "last tuesday"},
        )
        assert "is not an ISO date" in await call.error_text()
        both = await invoke(
            discord_double,
            "recap",
            user=seed.member("carol"),
            channel=seed.general_id,
            options={"since": "2026-11-20", "days": 3},
        )
        assert "either days or since" in await both.error_text()


async def test_public_recap_shows_only_what_the_channel_can_read(discord_double, tmp_path):
    seed_conversations(discord_double)
    seed = discord_double.seed
    alice = seed.member("alice")
    async with command_bot(discord_double, tmp_path):
        private = await invoke(
            discord_double, "recap", user=alice, channel=seed.general_id, options={"days": 7}
        )
        assert "secret-pineapple" in embed_text(await private.deferred(ephemeral=True))
        public = await invoke(
            discord_double,
            "recap",
            user=alice,
            channel=seed.general_id,
            options={"public": True},
        )
        followup = await public.deferred(ephemeral=False)
        assert not int(followup.get("flags") or 0) & EPHEMERAL
        assert "secret-pineapple" not in embed_text(followup)
        assert "potluck" in embed_text(followup).lower()
    assert_never_pinged(discord_double)


async def test_summary_of_a_channel_the_member_reads(discord_double, tmp_path):
    seed_conversations(discord_double)
    seed = discord_double.seed
    async with command_bot(discord_double, tmp_path):
        call = await invoke(
            discord_double,
            "summary",
            user=seed.member("erin"),
            channel=seed.general_id,
            options={"days": 2},
        )
        followup = await call.deferred(ephemeral=True)
        assert followup["embeds"][0]["title"] == "#general · summary"
        assert "potluck" in embed_text(followup).lower()
        assert "secret-pineapple" not in embed_text(followup)
        staff = await invoke(
            discord_double,
            "summary",
            user=seed.member("bob"),
            channel=seed.general_id,
            options=[channel_option(seed.staff_channel_id)],
        )
        assert "secret-pineapple" in embed_text(await staff.deferred(ephemeral=True))


async def test_summary_refuses_a_channel_the_member_cannot_read(discord_double, tmp_path):
    seed_conversations(discord_double)
    seed = discord_double.seed
    async with command_bot(discord_double, tmp_path):
        call = await invoke(
            discord_double,
            "summary",
            user=seed.member("carol"),
            channel=seed.general_id,
            options=[channel_option(seed.staff_channel_id)],
        )
        data = await call.replied()
        assert "can't read that channel" in data["content"]
        assert "secret" not in str(data)


async def test_dm_on_and_off(discord_double, tmp_path):
    seed = discord_double.seed
    dave = seed.member("dave")
    async with command_bot(discord_double, tmp_path) as bot:
        on = await invoke(
            discord_double,
            "dm",
            subcommand="on",
            user=dave,
            channel=seed.general_id,
            options={"cadence": "daily"},
        )
        assert "daily recap by DM" in (await on.deferred())["content"]
        member = await bot.store.members.get(seed.guild_id, dave)
        assert member.dm_opt_in and member.dm_cadence == "daily"
        off = await invoke(
            discord_double, "dm", subcommand="off", user=dave, channel=seed.general_id
        )
        assert "No more recap DMs" in (await off.deferred())["content"]
        assert not (await bot.store.members.get(seed.guild_id, dave)).dm_opt_in
        bad = await invoke(
            discord_double,
            "dm",
            subcommand="on",
            user=dave,
            channel=seed.general_id,
            options={"cadence": "hourly"},
        )
        assert "hourly" in await bad.error_text()
        assert not (await bot.store.members.get(seed.guild_id, dave)).dm_opt_in


async def test_interests_add_list_autocomplete_remove(discord_double, tmp_path):
    seed = discord_double.seed
    erin, gen = seed.member("erin"), seed.general_id
    async with command_bot(discord_double, tmp_path) as bot:
        for topic in ("board games", "Ramen"):
            add = await invoke(
                discord_double,
                "interests",
                subcommand="add",
                user=erin,
                channel=gen,
                options={"topic": topic},
            )
            assert "Added" in (await add.deferred())["content"]
        dup = await invoke(
            discord_double,
            "interests",
            subcommand="add",
            user=erin,
            channel=gen,
            options={"topic": "ramen"},
        )
        assert "already there" in await dup.error_text()
        bad = await invoke(
            discord_double,
            "interests",
            subcommand="add",
            user=erin,
            channel=gen,
            options={"topic": f"<@{seed.member('dave')}>"},
        )
        assert "without mentions" in await bad.error_text()
        listed = await invoke(
            discord_double, "interests", subcommand="list", user=erin, channel=gen
        )
        assert "board games" in (await listed.deferred())["content"]
        focused = [
            {
                "type": 1,
                "name": "remove",
                "options": [{"type": 3, "name": "topic", "value": "ra", "focused": True}],
            }
        ]
        choices = await autocomplete(discord_double, "interests", focused, user=erin, channel=gen)
        assert choices == [{"name": "Ramen", "value": "Ramen"}]
        remove = await invoke(
            discord_double,
            "interests",
            subcommand="remove",
            user=erin,
            channel=gen,
            options={"topic": "Ramen"},
        )
        assert "Removed" in (await remove.deferred())["content"]
        assert await bot.store.recap.interests(seed.guild_id) == {erin: ("board games",)}
        missing = await invoke(
            discord_double,
            "interests",
            subcommand="remove",
            user=erin,
            channel=gen,
            options={"topic": "chess"},
        )
        assert "isn't one of your interests" in await missing.error_text()


async def test_interests_are_capped(discord_double, tmp_path):
    seed = discord_double.seed
    erin = seed.member("erin")
    async with command_bot(discord_double, tmp_path) as bot:
        async with bot.store.transaction():
            for n in range(20):
                await bot.store.recap.add_interest(seed.guild_id, erin, f"topic {n}")
        call = await invoke(
            discord_double,
            "interests",
            subcommand="add",
            user=erin,
            channel=seed.general_id,
            options={"topic": "one more"},
        )
        assert "20 interests already" in await call.error_text()
        stored = await count(
            bot.store, "SELECT COUNT(*) FROM member_interests WHERE user_id = ?", erin
        )
        assert stored == 20


async def test_about_is_for_everyone_and_names_the_admins(discord_double, tmp_path):
    seed = discord_double.seed
    async with command_bot(discord_double, tmp_path):
        call = await invoke(
            discord_double, "about", user=seed.member("carol"), channel=seed.general_id
        )
        data = await call.deferred(ephemeral=True)  # deferred first: the store may be busy
        fields = {f["name"]: f["value"] for f in data["embeds"][0]["fields"]}
        assert fields["Admins"] == f"<@{seed.member('alice')}>"  # bob is Staff, not a manager
        assert "What it stores" in fields and "Retention" in fields
        synced = {c["name"]: c for c in discord_double.synced_commands()}
        assert synced["about"].get("default_member_permissions") is None
    assert_never_pinged(discord_double)


async def test_ask_answers_privately_from_what_the_member_can_read(discord_double, tmp_path):
    seed_conversations(discord_double)
    seed = discord_double.seed
    carol, alice = seed.member("carol"), seed.member("alice")
    async with command_bot(discord_double, tmp_path):
        call = await invoke(
            discord_double,
            "ask",
            user=carol,
            channel=seed.general_id,
            options={"question": "who brings the rice cooker?"},
        )
        followup = await call.deferred(ephemeral=True)
        text = followup["content"]
        assert "rice cooker" in text and f"/channels/{seed.guild_id}/{seed.general_id}/" in text
        staff = await invoke(
            discord_double,
            "ask",
            user=carol,
            channel=seed.general_id,
            options={"question": "pineapple budget"},
        )
        assert "Nothing you can read mentions" in (await staff.deferred(ephemeral=True))["content"]
        mine = await invoke(
            discord_double,
            "ask",
            user=alice,
            channel=seed.general_id,
            options={"question": "pineapple budget"},
        )
        assert "secret-pineapple" in (await mine.deferred(ephemeral=True))["content"]
    assert_never_pinged(discord_double)


async def test_recap_defaults_to_since_the_member_was_last_here(discord_double, tmp_path):
    seed_conversations(discord_double)
    seed = discord_double.seed
    alice, erin = seed.member("alice"), seed.member("erin")
    discord_double.add_history(
        seed.general_id, erin, "new: the potluck moves to the park pavilion", at=ago(hours=2)
    )
    async with command_bot(discord_double, tmp_path):
        call = await invoke(discord_double, "recap", user=alice, channel=seed.general_id)
        followup = await call.deferred(ephemeral=True)
        # Alice last wrote 19 h 55 min ago: what came before (her staff thread) is not new
        assert followup["content"].startswith("Since you were last here (your last message, ")
        assert "Pass `days` to look further back." in followup["content"]
        assert "secret-pineapple" not in embed_text(followup)
        assert "park pavilion" in embed_text(followup)
        week = await invoke(
            discord_double, "recap", user=alice, channel=seed.general_id, options={"days": 7}
        )
        followup = await week.deferred(ephemeral=True)
        assert followup["content"] in ("", None) and "secret-pineapple" in embed_text(followup)
    assert_never_pinged(discord_double)
