"""Every gateway event that changes who can read what changes the next recap, at once.

Each test changes the world in the Discord double while the real bot is connected, then asks
the bot's own RecapService for recaps: what a member reads must follow the change without a
reconnect (ownership transfer, roles created, changed, deleted, given and taken, overwrites
changed, channels and threads deleted).
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.timeutil import utcnow
from testing.discord_double import payloads as p
from tests.e2e.harness import eventually, running_bot, settle

pytestmark = pytest.mark.e2e

VIEW = 1 << 10
ADMINISTRATOR = 1 << 3


def _window() -> tuple[dt.datetime, dt.datetime]:
    now = utcnow()
    return now - dt.timedelta(days=7), now + dt.timedelta(minutes=1)


async def _reads(bot, guild_id: int, member_id: int, channel_id: int) -> bool:
    recap = await bot.recaps.recap(guild_id, member_id, *_window())
    return any(item.channel_id == channel_id for item in recap.items)


async def _expect(bot, guild_id: int, member_id: int, channel_id: int, reads: bool) -> None:
    async def check() -> bool:
        await settle(bot)
        return await _reads(bot, guild_id, member_id, channel_id) is reads

    what = f"member {member_id} {'reads' if reads else 'does not read'} channel {channel_id}"
    await eventually(check, timeout=5, what=what)


async def _channel(double, name: str, overwrites: list[dict], authors: list[int]) -> int:
    """A channel the bot reads (its own member overwrite), with a short conversation."""
    bot = p.overwrite(double.seed.bot_id, kind="member", allow=VIEW)
    channel = await double.create_channel(name, overwrites=[*overwrites, bot])
    cid = int(channel["id"])
    for n, author in enumerate(authors):
        await double.send_message(cid, author, f"{name} note {n}: the budget for the trip is set")
    return cid


async def test_ownership_transfer_moves_owner_access(discord_double, tmp_path):
    seed = discord_double.seed
    alice, dave = seed.member("alice"), seed.member("dave")
    async with running_bot(discord_double, tmp_path / "h.db") as bot:
        carol = seed.member("carol")
        # Only carol, the owner and administrators read it.
        hidden = [
            p.overwrite(seed.guild_id, deny=VIEW),
            p.overwrite(carol, kind="member", allow=VIEW),
        ]
        vault = await _channel(discord_double, "vault", hidden, [carol, carol])
        await _expect(bot, seed.guild_id, alice, vault, True)
        await _expect(bot, seed.guild_id, dave, vault, False)
        await discord_double.update_guild(owner_id=dave)
        await _expect(bot, seed.guild_id, dave, vault, True)
        await _expect(bot, seed.guild_id, alice, vault, False)


async def test_roles_created_given_changed_taken_and_deleted(discord_double, tmp_path):
    seed = discord_double.seed
    alice, dave, erin = seed.member("alice"), seed.member("dave"), seed.member("erin")
    gid = seed.guild_id
    async with running_bot(discord_double, tmp_path / "h.db") as bot:
        club = int((await discord_double.create_role("Club", 0))["id"])
        helpers = int((await discord_double.create_role("Helpers", ADMINISTRATOR))["id"])
        room = await _channel(
            discord_double,
            "club-room",
            [p.overwrite(gid, deny=VIEW), p.overwrite(club, allow=VIEW)],
            [alice, alice],
        )
        await _expect(bot, gid, dave, room, False)
        await discord_double.member_update(dave, roles=[seed.member_role_id, club])
        await discord_double.member_update(erin, roles=[seed.member_role_id, club])
        await _expect(bot, gid, dave, room, True)
        await discord_double.member_update(dave, roles=[seed.member_role_id])  # role taken
        await _expect(bot, gid, dave, room, False)
        await discord_double.delete_role(club)  # erin loses it with no member event
        await _expect(bot, gid, erin, room, False)
        await discord_double.member_update(dave, roles=[seed.member_role_id, helpers])
        await _expect(bot, gid, dave, room, True)  # administrators read everything
        await discord_double.update_role(helpers, permissions=0)
        await _expect(bot, gid, dave, room, False)


async def test_overwrites_changed_and_channels_and_threads_deleted(discord_double, tmp_path):
    seed = discord_double.seed
    alice, carol, dave = seed.member("alice"), seed.member("carol"), seed.member("dave")
    gid = seed.guild_id
    async with running_bot(discord_double, tmp_path / "h.db") as bot:
        room = await _channel(discord_double, "garden", [], [alice, carol])
        thread = await discord_double.create_thread(seed.general_id, "seeds", owner_id=carol)
        tid = int(thread["id"])
        for n in range(2):
            await discord_double.send_message(tid, carol, f"seed swap {n}: tomatoes and beans")
        await _expect(bot, gid, dave, room, True)
        await _expect(bot, gid, dave, tid, True)
        await discord_double.update_channel(
            room,
            permission_overwrites=[
                p.overwrite(dave, kind="member", deny=VIEW),
                p.overwrite(seed.bot_id, kind="member", allow=VIEW),
            ],
        )
        await _expect(bot, gid, dave, room, False)
        await _expect(bot, gid, carol, room, True)
        await discord_double.delete_channel(room)
        await _expect(bot, gid, carol, room, False)
        await discord_double.delete_thread(tid)
        await _expect(bot, gid, dave, tid, False)
