"""Admin slash commands end to end: ``/hearth setup|channels|status`` and ``/digest``.

alice owns the seeded guild (every permission); bob is Staff (manage messages and threads,
not Manage Server); carol is a plain member. Discord would hide the admin commands from bob
and carol, but the double delivers whatever a client sends, as a modified client could.
"""

from __future__ import annotations

import pytest

from tests.e2e.harness import eventually, settle
from tests.e2e.interact import (
    ago,
    assert_never_pinged,
    autocomplete,
    channel_option,
    command_bot,
    embed_text,
    invoke,
)

pytestmark = pytest.mark.e2e
MANAGE_GUILD = 1 << 5


async def hearth(double, sub: str, user: int, channel: int, options=None, group=None):
    return await invoke(
        double, "hearth", subcommand=sub, group=group, user=user, channel=channel, options=options
    )


async def test_admin_commands_are_hidden_by_default_permissions(discord_double, tmp_path):
    async with command_bot(discord_double, tmp_path):
        synced = {c["name"]: c for c in discord_double.synced_commands()}
        assert int(synced["hearth"]["default_member_permissions"]) == MANAGE_GUILD
        assert int(synced["digest"]["default_member_permissions"]) == MANAGE_GUILD
        for name in ("recap", "summary", "about", "privacy", "dm", "interests"):
            assert synced[name].get("default_member_permissions") is None, name
        for name in ("hearth", "digest", "privacy", "recap"):
            assert synced[name].get("contexts") in ([0], None), name

        def described(node, path):  # every command and subcommand has help text
            assert node["description"] not in ("", "…"), path
            for option in node.get("options") or []:
                described(option, f"{path} {option['name']}")

        for name, command in synced.items():
            described(command, name)


@pytest.mark.parametrize("who", ["bob", "carol"])
async def test_members_without_manage_server_are_refused(discord_double, tmp_path, who):
    seed = discord_double.seed
    user, gen = seed.member(who), seed.general_id
    async with command_bot(discord_double, tmp_path) as bot:
        calls = [
            await hearth(discord_double, "setup", user, gen, {"hour": 7}),
            await hearth(discord_double, "exclude", user, gen, group="channels"),
            await hearth(discord_double, "status", user, gen),
            await invoke(discord_double, "digest", subcommand="post", user=user, channel=gen),
        ]
        for call in calls:
            assert "Manage Server" in (await call.replied())["content"]
        settings = await bot.store.guilds.settings(seed.guild_id)
        assert settings.digest_hour == 9
        assert not any(c.excluded for c in await bot.store.channels.list(seed.guild_id))
        assert discord_double.find_requests("POST", f"/channels/{gen}/messages") == []


async def test_setup_changes_only_what_is_given_and_shows_the_next_digest(discord_double, tmp_path):
    seed = discord_double.seed
    alice, gen = seed.member("alice"), seed.general_id
    async with command_bot(discord_double, tmp_path) as bot:
        rearmed: list[int] = []
        original = bot.on_guild_settings_changed

        async def spy(guild_id: int) -> None:
            rearmed.append(guild_id)
            await original(guild_id)

        bot.on_guild_settings_changed = spy
        call = await hearth(
            discord_double,
            "setup",
            alice,
            gen,
            [
                channel_option(gen, "digest_channel"),
                {"name": "weekday", "type": 4, "value": 4},
                {"name": "hour", "type": 4, "value": 18},
                {"name": "timezone", "type": 3, "value": "asia/tokyo"},
                {"name": "retention_days", "type": 4, "value": 90},
            ],
        )
        text = embed_text(await call.deferred(ephemeral=True))
        assert "**Digest day:** Friday" in text and "**Digest hour:** 18:00" in text
        assert "**Timezone:** Asia/Tokyo" in text and "**Retention:** 90 days" in text
        assert "**Next digest:** Friday" in text and "18:00 (JST" in text
        settings = await bot.store.guilds.settings(seed.guild_id)
        assert (settings.digest_channel_id, settings.digest_weekday, settings.digest_hour) == (
            gen,
            4,
            18,
        )
        again = await hearth(discord_double, "setup", alice, gen, {"language": "ja"})
        text = embed_text(await again.deferred())
        assert "**Language:** ja" in text and "**Timezone:** Asia/Tokyo" in text
        unchanged = await hearth(discord_double, "setup", alice, gen, {"language": "ja"})
        assert "Nothing changed" in embed_text(await unchanged.deferred())
        assert rearmed == [seed.guild_id, seed.guild_id]  # not for the no-op
    assert_never_pinged(discord_double)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timezone": "Mars/Phobos"}, "unknown timezone 'Mars/Phobos'"),
        ({"hour": 25}, "hour must be 0-23, not 25"),
        ({"language": "klingon"}, "unknown language"),
        ({"summarizer": "gpt5"}, "use extractive or openai"),
    ],
)
async def test_setup_rejects_bad_values_and_changes_nothing(
    discord_double, tmp_path, options, message
):
    seed = discord_double.seed
    async with command_bot(discord_double, tmp_path) as bot:
        call = await hearth(discord_double, "setup", seed.member("alice"), seed.general_id, options)
        text = await call.error_text()
        assert message in text and "Nothing was changed" in text
        assert (await bot.store.guilds.settings(seed.guild_id)).timezone == "UTC"


async def test_timezone_autocomplete(discord_double, tmp_path):
    seed = discord_double.seed
    async with command_bot(discord_double, tmp_path):
        focused = [
            {
                "type": 1,
                "name": "setup",
                "options": [{"type": 3, "name": "timezone", "value": "tok", "focused": True}],
            }
        ]
        choices = await autocomplete(
            discord_double, "hearth", focused, user=seed.member("alice"), channel=seed.general_id
        )
        assert choices[0] == {"name": "Asia/Tokyo", "value": "Asia/Tokyo"}


async def test_channels_exclude_list_include(discord_double, tmp_path):
    seed = discord_double.seed
    alice, carol, gen = seed.member("alice"), seed.member("carol"), seed.general_id
    async with command_bot(discord_double, tmp_path) as bot:
        out = await hearth(discord_double, "exclude", alice, gen, group="channels")
        assert "no longer logged" in (await out.deferred())["content"]
        hidden = await discord_double.send_message(seed.thread_id, carol, "in the thread")
        listing = await hearth(discord_double, "list", alice, gen, group="channels")
        text = embed_text(await listing.deferred())
        assert f"**Excluded (1):** <#{gen}>" in text and f"<#{seed.forum_id}>" in text
        back = await hearth(
            discord_double, "include", alice, gen, [channel_option(gen)], group="channels"
        )
        assert "logged again" in (await back.deferred())["content"]
        shown = await discord_double.send_message(gen, carol, "logged")

        async def landed() -> bool:
            await settle(bot)
            return await bot.store.messages.get(int(shown["id"])) is not None

        await eventually(landed, timeout=3, what="a message in the re-included channel")
        assert await bot.store.messages.get(int(hidden["id"])) is None


async def test_status_reports_storage_and_schedule(discord_double, tmp_path):
    seed = discord_double.seed
    discord_double.add_history(seed.general_id, seed.member("carol"), "hello", at=ago(hours=1))
    async with command_bot(discord_double, tmp_path):
        call = await hearth(discord_double, "status", seed.member("alice"), seed.general_id)
        text = embed_text(await call.deferred(ephemeral=True))
        assert "**Messages logged:** 1" in text and "**Storage:**" in text and "KB" in text
        assert "**Last digest:** none yet" in text
        assert "**Next digest:** Monday" in text and "**Summarizer:** extractive" in text


async def test_digest_preview_and_post(discord_double, tmp_path):
    seed = discord_double.seed
    alice, carol, dave = (seed.member(n) for n in ("alice", "carol", "dave"))
    gen = seed.general_id
    first = discord_double.add_history(gen, carol, "Who has a spare tent?", at=ago(hours=6))
    discord_double.add_history(
        gen, dave, "Me, a two-person tent", at=ago(hours=5), reply_to=int(first["id"])
    )
    async with command_bot(discord_double, tmp_path) as bot:
        preview = await invoke(
            discord_double, "digest", subcommand="preview", user=alice, channel=gen
        )
        followup = await preview.deferred(ephemeral=True)
        assert "Preview of the digest" in followup["content"]
        assert "tent" in embed_text(followup).lower()
        assert discord_double.find_requests("POST", f"/channels/{gen}/messages") == []
        post = await invoke(discord_double, "digest", subcommand="post", user=alice, channel=gen)
        done = await post.deferred(ephemeral=True)
        assert "Posted the digest" in done["content"]
        posted = discord_double.messages(gen)[-1]
        assert posted["embeds"] and "digest" in posted["embeds"][0]["title"]
        assert "tent" in embed_text(posted).lower()
        # The manual post is in the ledger (issue #14): the scheduled digest starts after it.
        assert "will cover only what is said from now" in done["content"]
        rows = [d for d in await bot.store.deliveries.list(seed.guild_id) if d.manual]
        assert [(str(r.target), r.status, r.message_ids) for r in rows] == [
            ("digest", "sent", (int(posted["id"]),))
        ]
        status = await hearth(discord_double, "status", alice, gen)
        assert "**Last digest:** none yet" not in embed_text(await status.deferred(ephemeral=True))
    assert_never_pinged(discord_double)


async def test_a_manager_cannot_preview_a_channel_they_cannot_read(discord_double, tmp_path):
    seed = discord_double.seed
    carol = seed.member("carol")
    managers = discord_double.state.add_role(seed.guild_id, "Managers", MANAGE_GUILD)
    member = discord_double.state.guilds[seed.guild_id].members[carol]
    member["roles"] = [*member["roles"], managers["id"]]
    async with command_bot(discord_double, tmp_path) as bot:
        async with bot.store.transaction():  # the digest goes to #staff, which carol can't read
            await bot.store.guilds.update_settings(
                seed.guild_id, digest_channel_id=seed.staff_channel_id
            )
        call = await invoke(
            discord_double, "digest", subcommand="preview", user=carol, channel=seed.general_id
        )
        assert "can't read" in await call.error_text()
    assert discord_double.find_requests("POST", f"/channels/{seed.staff_channel_id}/messages") == []
