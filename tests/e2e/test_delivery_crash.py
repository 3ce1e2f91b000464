"""Issue #14: ``hearth run`` SIGKILLed at random points while it delivers a week.

The week has a digest of three or more messages and 30 DM recaps, some long enough to be
split. The process is killed at random moments of its delivery, restarted each time (the
catch-up on start resumes the due slot: it fell due this hour), and in the end every part of
every delivery is in Discord exactly once, in order. The seed is printed on failure.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import re
import sqlite3
from collections.abc import Callable

import pytest

from bot.db import Store
from bot.models import GuildRecord, MemberRecord
from tests.e2e.harness import BotProcess

pytestmark = pytest.mark.e2e

READERS = 30
LONG = 6  # readers whose recap is split: five long questions wait for each of them
JOINERS = 300  # the digest's "say hello to" list runs over several messages
PART = re.compile(r"Hearth · (weekly:\S+) · ([0-9a-f]{8})(?: · (\d+)/(\d+))?")


def populate(double, slot: dt.datetime) -> list[int]:
    """Members, joiners and a week of chat before ``slot``; returns the readers' ids."""
    state, seed = double.state, double.seed
    before = slot - dt.timedelta(hours=3)
    readers = []
    for i in range(READERS):
        uid = int(state.add_user(f"reader{i:02d}")["id"])
        state.add_member(seed.guild_id, uid, roles=[seed.member_role_id],
                         joined_at=slot - dt.timedelta(days=60))  # fmt: skip
        readers.append(uid)
    for i in range(JOINERS):
        uid = int(state.add_user(f"newcomer{i:03d}")["id"])
        state.add_member(seed.guild_id, uid, roles=[seed.member_role_id],
                         joined_at=before, nick=f"Newcomer number {i:03d} of many")  # fmt: skip
    alice, bob = seed.member("alice"), seed.member("bob")
    # Every quote names its channel: a long name (Discord allows 100) makes the recaps long.
    long_name = "the-long-running-conversation-about-everything-this-circle-plans-week-by-week"
    talk = int(state.add_channel(seed.guild_id, long_name, parent_id=seed.category_id)["id"])
    at = before - dt.timedelta(days=2)
    topics = ["ramen", "the reading list", "Sunday's hike", "the lab rota", "exam prep"]
    for k, topic in enumerate(topics):
        opener = state.add_message(talk, alice, f"Shall we talk about {topic}?", at=at)
        for j, uid in enumerate(readers):
            at += dt.timedelta(minutes=1)
            state.add_message(talk, uid, f"My view on {topic}, take {j}: "
                              + "it depends on the weather and on who comes along. " * 3,
                              reply_to=int(opener["id"]), at=at)  # fmt: skip
        at += dt.timedelta(hours=2 + k)
    for uid in readers[:LONG]:
        for q in range(5):
            at += dt.timedelta(minutes=1)
            state.add_message(talk, bob, f"<@{uid}> question {q} for you: "
                              + "could you check the shared notes and the rota again? " * 16,
                              mentions=[uid], at=at)  # fmt: skip
    return readers


async def configure(db, double, slot: dt.datetime, readers: list[int]) -> None:
    """The guild's digest falls due at ``slot`` (this hour); every reader takes DM recaps."""
    async with await Store.open(str(db)) as store, store.transaction():
        gid = double.seed.guild_id
        await store.guilds.upsert(GuildRecord(gid, "Seed Guild"))
        await store.guilds.update_settings(
            gid, digest_channel_id=double.seed.general_id, digest_weekday=slot.weekday(),
            digest_hour=slot.hour, timezone="UTC",
        )  # fmt: skip
        await store.members.upsert_many([MemberRecord(gid, u, f"reader {u}") for u in readers])
        for u in readers:
            await store.members.set_dm(gid, u, True, "weekly")


def parts(messages: list[dict]) -> list[tuple[int, int]]:
    """(k, n) of each Hearth delivery message, in the order Discord holds them."""
    out = []
    for m in messages:
        footers = [e.get("footer", {}).get("text", "") for e in m.get("embeds", [])]
        found = [PART.search(f) for f in footers if PART.search(f)]
        assert len(found) == 1, footers  # one marker per message, in its first footer
        k, n = found[0].group(3, 4)
        out.append((int(k or 1), int(n or 1)))
    return out


async def poll(check: Callable[[], bool], *, timeout: float, step: float) -> None:
    """Wait until ``check()`` holds or ``timeout`` seconds have passed."""
    for _ in range(int(timeout / step)):
        if check():
            return
        await asyncio.sleep(step)


def ledger(db) -> dict[str, str]:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return dict(conn.execute("SELECT target, status FROM deliveries"))
    except sqlite3.OperationalError:
        return {}


async def test_random_kills_during_a_week_deliver_every_part_once_in_order(
    discord_double, tmp_path
):
    seed = int(os.environ.get("HEARTH_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    slot = now.replace(minute=0, second=0, microsecond=0)
    readers = populate(discord_double, slot)
    db = tmp_path / "hearth.db"
    await configure(db, discord_double, slot, readers)
    proc = BotProcess(discord_double, db, tmp_path / "bot.log")
    gen = discord_double.seed.general_id

    def out() -> int:
        bot = discord_double.bot_id
        posted = [m for m in discord_double.messages(gen) if int(m["author"]["id"]) == bot]
        return len(posted) + sum(len(discord_double.dm_messages(u)) for u in readers)

    def finished() -> bool:
        rows = ledger(db)
        done = [t for t, s in rows.items() if s in ("sent", "empty", "dm_closed")]
        return len(rows) == READERS + 1 and len(done) == READERS + 1

    kills = []
    try:
        for round_ in range(rng.randint(2, 4)):
            proc.start()
            started = out()
            if round_ and rng.random() < 0.2:  # while it starts, backfills or renders
                await asyncio.sleep(rng.uniform(0.2, 1.5))
            else:  # once the next message is out: early (inside the digest) or later
                await poll(lambda n=started: out() != n, timeout=60, step=0.005)
                delays = [0, rng.uniform(0, 0.2), rng.uniform(0, 2.5)]
                await asyncio.sleep(0 if not round_ else rng.choice(delays))
            if finished():
                break
            kills.append(out())
            proc.kill()
        if proc.proc is None or proc.proc.poll() is not None:
            proc.start()
        await poll(finished, timeout=120, step=0.1)
        assert finished(), f"seed {seed}: ledger {ledger(db)}\n{proc.log()[-3000:]}"
        assert proc.stop() == 0
    finally:
        if proc.proc and proc.proc.poll() is None:
            proc.proc.kill()
    total = out()
    assert any(0 < k < total for k in kills), f"seed {seed}: no kill mid-delivery: {kills}"
    bot = discord_double.bot_id
    digest = [m for m in discord_double.messages(gen) if int(m["author"]["id"]) == bot]
    got = parts(digest)
    n = got[0][1]
    assert n >= 3, f"seed {seed}: the digest should have three parts or more, not {n}"
    assert got == [(k, n) for k in range(1, n + 1)], f"seed {seed}, kills at {kills}: {got}"
    split = 0
    for uid in readers:
        got = parts(discord_double.dm_messages(uid))
        assert got, f"seed {seed}: no DM for {uid}"
        n = got[0][1]
        split += n > 1
        assert got == [(k, n) for k in range(1, n + 1)], f"seed {seed}, kills {kills}: {uid} {got}"
    assert split >= 1, f"seed {seed}: no DM recap was long enough to split"
    assert "Traceback" not in proc.log(), proc.log()[-3000:]
