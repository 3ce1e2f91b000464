"""Hearth's archive, end to end: real discord.py client, the Discord double, a real SQLite file."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from tests.e2e.harness import count, eventually, running_bot, settle

pytestmark = pytest.mark.e2e


async def test_ready_syncs_commands_and_snapshots_the_guild(discord_double, tmp_path):
    seed = discord_double.seed
    async with running_bot(discord_double, tmp_path / "h.db") as bot:
        await settle(bot)
        store = bot.store
        assert discord_double.find_requests("PUT", "/applications/*/commands")
        channels = {c.id: c for c in await store.channels.list(seed.guild_id)}
        assert channels[seed.forum_id].kind == "forum"
        assert channels[seed.thread_id].kind == "thread"
        staff = channels[seed.staff_channel_id]
        assert any(o.target_id == seed.guild_id and o.deny & (1 << 10) for o in staff.overwrites)
        members = {m.user_id for m in await store.members.list(seed.guild_id)}
        assert set(seed.member_ids) <= members
        assert await store.members.role_ids(seed.guild_id, seed.member("alice")) >= {
            seed.staff_role_id
        }
        assert discord_double.unknown_requests() == []


async def test_live_events_land_exactly_once(discord_double, tmp_path):
    seed = discord_double.seed
    alice, bob, carol = (seed.member(n) for n in ("alice", "bob", "carol"))
    gen = seed.general_id
    async with running_bot(discord_double, tmp_path / "h.db") as bot:
        store = bot.store
        first = await discord_double.send_message(gen, alice, "Who is bringing the rice cooker?")
        reply = await discord_double.send_message(
            gen,
            bob,
            f"<@{alice}> I can, and <@&{seed.member_role_id}> bring bowls",
            reply_to=int(first["id"]),
        )
        doomed = await discord_double.send_message(gen, carol, "oops wrong channel")
        await discord_double.edit_message(gen, int(first["id"]), "Who is bringing the cooker?")
        await discord_double.delete_message(gen, int(doomed["id"]))
        await discord_double.add_reaction(gen, int(first["id"]), bob, "👍")
        await discord_double.add_reaction(gen, int(first["id"]), carol, "🎉")
        await discord_double.remove_reaction(gen, int(first["id"]), carol, "🎉")
        thread = await discord_double.create_thread(gen, "Potluck", owner_id=alice)
        in_thread = await discord_double.send_message(int(thread["id"]), carol, "count me in")
        post = await discord_double.create_thread(
            seed.forum_id, "Best miso?", owner_id=bob, content="Which brand do you use?"
        )
        await discord_double.update_thread(int(thread["id"]), name="Potluck (Sat)", archived=True)
        newbie = await discord_double.member_join("frank")
        await discord_double.member_update(carol, nick="Caro")
        await discord_double.member_leave(seed.member("erin"))
        # A bot's own messages are never logged.
        await discord_double.send_message(gen, seed.bot_id, "I am the bot")

        async def all_landed() -> bool:
            await settle(bot)
            got = await store.messages.get(int(first["id"]))
            return (
                got is not None
                and got.content == "Who is bringing the cooker?"
                and await store.messages.get(int(post["id"])) is not None
                and (await store.members.get(seed.guild_id, carol)).display_name == "Caro"
                and (await store.members.get(seed.guild_id, seed.member("erin"))).left_at
                is not None
                and (await store.channels.get(int(thread["id"]))).archived
            )

        await eventually(all_landed, what="every event in the store")
        stored_reply = await store.messages.get(int(reply["id"]))
        assert stored_reply.reply_to_id == int(first["id"])
        assert {(m.target_type, m.target_id) for m in stored_reply.mentions} >= {
            ("user", alice),
            ("role", seed.member_role_id),
        }
        gone = await store.messages.get(int(doomed["id"]))
        assert gone.deleted and gone.content == ""
        assert [(r.user_id, r.emoji) for r in await store.messages.reactions(int(first["id"]))] == [
            (bob, "👍")
        ]
        assert (await store.messages.get(int(in_thread["id"]))).channel_id == int(thread["id"])
        assert (await store.channels.get(int(thread["id"]))).name == "Potluck (Sat)"
        assert (await store.channels.get(int(post["id"]))).kind == "forum_post"
        assert await store.members.get(seed.guild_id, int(newbie["user"]["id"])) is not None
        assert (
            await count(store, "SELECT COUNT(*) FROM messages WHERE author_id = ?", seed.bot_id)
            == 0
        )
        total = await count(store, "SELECT COUNT(*) FROM messages")
        await discord_double.delete_thread(int(thread["id"]))
        await eventually(
            lambda: _emptied(bot, int(in_thread["id"])), what="thread delete to empty content"
        )
        assert await count(store, "SELECT COUNT(*) FROM messages") == total


async def _emptied(bot, message_id: int) -> bool:
    await settle(bot)
    got = await bot.store.messages.get(message_id)
    return got is not None and got.deleted


async def test_paused_member_and_excluded_channel_store_nothing(discord_double, tmp_path):
    seed = discord_double.seed
    dave = seed.member("dave")
    async with running_bot(discord_double, tmp_path / "h.db") as bot:
        async with bot.store.transaction():
            await bot.store.members.set_logging_paused(seed.guild_id, dave, True)
            await bot.store.channels.set_excluded(seed.thread_id, True)
        quiet = await discord_double.send_message(seed.general_id, dave, "not stored")
        hidden = await discord_double.send_message(seed.thread_id, seed.member("bob"), "excluded")
        marker = await discord_double.send_message(seed.general_id, seed.member("bob"), "stored")
        await discord_double.add_reaction(seed.general_id, int(marker["id"]), dave, "👍")
        await eventually(lambda: _has(bot, int(marker["id"])), what="the marker message")
        await settle(bot)
        assert await bot.store.messages.get(int(quiet["id"])) is None
        assert await bot.store.messages.get(int(hidden["id"])) is None
        assert await bot.store.messages.reactions(int(marker["id"])) == []


async def _has(bot, message_id: int) -> bool:
    await settle(bot)
    return await bot.store.messages.get(message_id) is not None


async def test_backfill_reads_what_was_said_while_away(discord_double, tmp_path):
    seed = discord_double.seed
    authors = [seed.member("carol"), seed.member("dave")]
    discord_double.seed_history(seed.general_id, 250, authors=authors)
    discord_double.seed_history(seed.thread_id, 30, authors=authors)
    # The staff channel is readable by the bot; a private channel it cannot see is skipped.
    discord_double.seed_history(seed.staff_channel_id, 5, authors=[seed.member("alice")])
    db = tmp_path / "h.db"
    async with running_bot(discord_double, db) as bot:
        await settle(bot)
        assert (
            await count(
                bot.store, "SELECT COUNT(*) FROM messages WHERE channel_id = ?", seed.general_id
            )
            == 250
        )
        assert (
            await count(
                bot.store, "SELECT COUNT(*) FROM messages WHERE channel_id = ?", seed.thread_id
            )
            == 30
        )
        pages = discord_double.find_requests("GET", f"/channels/{seed.general_id}/messages")
        assert len(pages) >= 3  # 250 messages, 100 per page
        cursor = await bot.store.cursors.get(seed.general_id)
    # Offline again: more history; a restart reads what is new from the cursor (and, to apply
    # edits and deletions made meanwhile, re-reads the recent window up to the cursor).
    discord_double.seed_history(seed.general_id, 20, authors=authors, step=dt.timedelta(seconds=1))
    before = len(discord_double.requests)
    async with running_bot(discord_double, db) as bot:
        await settle(bot)
        assert (
            await count(
                bot.store, "SELECT COUNT(*) FROM messages WHERE channel_id = ?", seed.general_id
            )
            == 270
        )
        new_pages = [
            r
            for r in discord_double.requests[before:]
            if r.method == "GET" and r.path.endswith(f"/channels/{seed.general_id}/messages")
        ]
        assert cursor is not None
        assert len([r for r in new_pages if int(r.query.get("after", 0)) >= cursor]) == 1


async def test_backfill_survives_rate_limits_and_server_errors(discord_double, tmp_path):
    seed = discord_double.seed
    discord_double.seed_history(seed.general_id, 150, authors=[seed.member("carol")])
    discord_double.rate_limit_next("GET", f"/channels/{seed.general_id}/messages", retry_after=0.2)
    discord_double.fail_next("GET", f"/channels/{seed.general_id}/messages", status=500)
    async with running_bot(discord_double, tmp_path / "h.db") as bot:
        await settle(bot)
        assert await count(bot.store, "SELECT COUNT(*) FROM messages") == 150
        statuses = [r.status for r in discord_double.find_requests("GET", "/channels/*/messages")]
        assert 429 in statuses and 500 in statuses


async def test_gateway_drop_resume_reconnect_and_invalid_session(discord_double, tmp_path):
    seed = discord_double.seed
    gen, carol = seed.general_id, seed.member("carol")
    sent: list[int] = []

    async def say(text: str) -> None:
        sent.append(int((await discord_double.send_message(gen, carol, text))["id"]))

    async with running_bot(discord_double, tmp_path / "h.db") as bot:
        await say("before the drop")
        resumes = discord_double.resume_count
        await discord_double.drop_gateway()
        await say("while disconnected 1")  # replayed on RESUME
        await discord_double.wait_for_session("resume", count=resumes + 1, timeout=10)
        await say("after resume")
        await discord_double.send_reconnect()  # op 7
        await discord_double.wait_for_session("resume", count=resumes + 2, timeout=10)
        await say("after op 7")
        identifies = discord_double.identify_count
        await discord_double.invalidate_session(resumable=False)  # op 9: no replay
        await say("lost with the session 1")
        await say("lost with the session 2")
        await discord_double.wait_for_session("identify", count=identifies + 1, timeout=15)
        await say("after re-identify")

        async def all_there() -> bool:
            await settle(bot)
            got = await count(bot.store, "SELECT COUNT(*) FROM messages WHERE channel_id = ?", gen)
            return got == len(sent)

        await eventually(all_there, timeout=15, what="every message exactly once")
        for mid in sent:
            assert await bot.store.messages.get(mid) is not None
        await asyncio.sleep(0.2)
        await settle(bot)
        assert await count(bot.store, "SELECT COUNT(*) FROM messages") == len(sent)
