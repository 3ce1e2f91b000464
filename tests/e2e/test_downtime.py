"""What changed while the bot was down is reconciled on the next session.

The bot archives, stops; the world changes in the double with nobody connected (members leave,
messages are deleted and edited, a channel is deleted, a thread archives with new messages in
it); the bot starts again on the same database. Its recaps must then match those of a fresh
bot that archived the double's current state from scratch.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.timeutil import utcnow
from testing.discord_double.snowflake import iso
from tests.e2e.harness import count, running_bot, settle

pytestmark = pytest.mark.e2e

PHONE = "call me on 0170 5550199"


def _window() -> tuple[dt.datetime, dt.datetime]:
    now = utcnow()
    return now - dt.timedelta(days=7), now + dt.timedelta(minutes=1)


def _shape(recap) -> list[tuple]:
    """What a recap shows, independent of how the archive learnt it."""
    return sorted(
        (
            item.channel_id,
            item.first_message_id,
            item.messages,
            tuple(p.text for p in item.summary.points),
        )
        for item in recap.items
    )


async def _world(double) -> dict[str, int]:
    seed = double.seed
    alice, bob, carol, dave, erin = (
        seed.member(n) for n in ("alice", "bob", "carol", "dave", "erin")
    )
    ids: dict[str, int] = {}
    garden = await double.create_channel("garden")
    ids["garden"] = int(garden["id"])
    talk = [
        (seed.general_id, carol, "who wants to plan the spring fair?"),
        (seed.general_id, dave, PHONE),
        (seed.general_id, erin, "I can help with the fair posters"),
        (seed.general_id, bob, "the fair needs a budget first"),
        (ids["garden"], carol, "the garden beds need new soil"),
        (ids["garden"], dave, "I will bring compost for the garden"),
    ]
    for n, (channel, author, text) in enumerate(talk):
        sent = await double.send_message(channel, author, text)
        ids[f"m{n}"] = int(sent["id"])
    thread = await double.create_thread(seed.general_id, "fair stalls", owner_id=carol)
    ids["thread"] = int(thread["id"])
    for author in (carol, erin):
        await double.send_message(ids["thread"], author, "stall ideas: cakes, plants, books")
    ids.update(alice=alice, bob=bob, carol=carol, dave=dave, erin=erin)
    return ids


def _while_away(double, ids: dict[str, int]) -> None:
    """Change the double's world directly: no event reaches anyone."""
    state = double.state
    seed = double.seed
    state.remove_message(seed.general_id, ids["m1"])  # the phone number is deleted
    edited = state.require_message(seed.general_id, ids["m3"])
    edited["content"] = "the fair needs a budget and a date"
    edited["edited_timestamp"] = iso(utcnow())
    state.remove_channel(ids["garden"])
    state.guilds[seed.guild_id].members.pop(ids["erin"])  # erin left
    meta = state.channels[ids["thread"]]["thread_metadata"]
    late = state.add_message(ids["thread"], ids["carol"], "late idea: a lemonade stall")
    ids["late"] = int(late["id"])
    meta["archived"] = True
    state.touch_archive(ids["thread"])


async def test_changes_while_down_are_reconciled_on_restart(discord_double, tmp_path):
    seed = discord_double.seed
    db = tmp_path / "h.db"
    async with running_bot(discord_double, db) as bot:
        ids = await _world(discord_double)
        await settle(bot)
        stored = await bot.store.messages.get(ids["m1"])
        assert stored is not None and stored.content == PHONE
    _while_away(discord_double, ids)
    async with running_bot(discord_double, db) as bot:
        await settle(bot)
        store = bot.store
        phone = await store.messages.get(ids["m1"])
        assert phone is not None and phone.deleted and phone.content == ""
        edited = await store.messages.get(ids["m3"])
        assert edited is not None and edited.content == "the fair needs a budget and a date"
        garden = await store.channels.get(ids["garden"])
        assert garden is not None and garden.deleted
        assert (
            await count(
                store,
                "SELECT COUNT(*) FROM messages WHERE channel_id = ? AND content != ''",
                ids["garden"],
            )
            == 0
        )
        erin = await store.members.get(seed.guild_id, ids["erin"])
        assert erin is not None and erin.left_at is not None
        assert await store.messages.get(ids["late"]) is not None  # thread archived meanwhile
        digest = await bot.recaps.digest(seed.guild_id, *_window(), channel_id=seed.general_id)
        assert not any(PHONE in p.text for i in digest.items for p in i.summary.points)
        members = [ids[n] for n in ("alice", "bob", "carol", "dave")]
        reconciled = await bot.recaps.recaps(seed.guild_id, members, *_window())
    async with running_bot(discord_double, tmp_path / "fresh.db") as fresh:
        await settle(fresh)
        reference = await fresh.recaps.recaps(seed.guild_id, members, *_window())
    for member in members:
        assert _shape(reconciled[member]) == _shape(reference[member]), member
        assert reconciled[member].counts == reference[member].counts, member
