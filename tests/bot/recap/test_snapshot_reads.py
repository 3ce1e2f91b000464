"""Recaps read one consistent state while the archive writer replaces permission facts.

The writer replaces a channel's overwrites (DELETE, then INSERT) and a member's roles the same
way inside one transaction. A read that saw the middle of that transaction would find a private
channel with no overwrites, which reads as public. Every read that decides visibility must see
the state before or after a write, never the middle of one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.db import Store
from bot.ingest.writer import ArchiveWriter
from bot.models import (
    ChannelRecord,
    GuildRecord,
    MemberRecord,
    MessageRecord,
    Overwrite,
    RoleRecord,
)
from bot.recap import RecapService, digest_channels, readable_channels
from bot.recap.load import load_facts
from bot.recap.summarize.extractive import ExtractiveSummarizer
from bot.recap.visibility import GuildFacts
from bot.timeutil import snowflake_at

Allowed = Callable[[GuildFacts], frozenset[int]]
GID = 5000
STAFF = 5001
VIEW, HISTORY = 1 << 10, 1 << 16
T0 = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
SINCE, UNTIL = T0, T0 + dt.timedelta(days=7)
GENERAL = 6000
PRIVATE = tuple(range(6001, 6021))  # 20 staff-only channels
DIGEST = GENERAL
ADMIN, STAFFER, MEMBER = 1, 2, 3

LOCKED = (Overwrite(GID, "role", deny=VIEW), Overwrite(STAFF, "role", allow=VIEW))


def _channel(cid: int, overwrites: tuple[Overwrite, ...]) -> ChannelRecord:
    return ChannelRecord(cid, GID, "text", name=f"c{cid}", overwrites=overwrites)


async def _seed(store: Store) -> dict[int, set[int]]:
    """A guild with one public and 20 staff-only channels; returns message ids by channel."""
    by_channel: dict[int, set[int]] = {}
    n = 0
    messages = []
    for cid in (GENERAL, *PRIVATE):
        for k in range(3):
            n += 1
            at = T0 + dt.timedelta(hours=1, minutes=n)
            mid = snowflake_at(at, n)
            author = (STAFFER, MEMBER, ADMIN)[k] if cid == GENERAL else (STAFFER, ADMIN)[k % 2]
            text = f"channel {cid} point {k}: the plan for the spring fair needs volunteers"
            messages.append(MessageRecord(mid, GID, cid, author, at, text))
            by_channel.setdefault(cid, set()).add(mid)
    async with store.transaction():
        await store.guilds.upsert(GuildRecord(GID, "Lab", owner_id=ADMIN))
        await store.guilds.replace_roles(
            GID,
            [RoleRecord(GID, GID, "@everyone", VIEW | HISTORY), RoleRecord(STAFF, GID, "Staff")],
        )
        await store.channels.upsert(_channel(GENERAL, ()))
        for cid in PRIVATE:
            await store.channels.upsert(_channel(cid, LOCKED))
        await store.members.upsert_many(
            [
                MemberRecord(GID, ADMIN, "ana", role_ids=()),
                MemberRecord(GID, STAFFER, "bo", role_ids=(STAFF,)),
                MemberRecord(GID, MEMBER, "cy", role_ids=()),
            ]
        )
        await store.messages.insert_many(messages)
        await store.guilds.update_settings(GID, digest_channel_id=DIGEST)
    return by_channel


def _shown(output) -> set[int]:
    """Every channel an output (recap or digest) quotes, links or counts from."""
    refs = [*getattr(output, "waiting_for_you", ()), *getattr(output, "unanswered", ())]
    refs += getattr(output, "questions_you_could_answer", ())
    return {i.channel_id for i in output.items} | {r.channel_id for r in refs}


async def test_recaps_never_see_a_half_replaced_overwrite_set(tmp_path):
    store = await Store.open(str(tmp_path / "h.db"))
    try:
        await _seed(store)
        private = set(PRIVATE)
        writer = ArchiveWriter(store, max_batch=1000)
        service = RecapService(store, ExtractiveSummarizer())
        leaks: list[str] = []
        stop = asyncio.Event()

        async def resave() -> None:  # an admin reordering the staff channels, again and again
            while not stop.is_set():
                for cid in PRIVATE:
                    writer.channel(_channel(cid, LOCKED))
                writer.members([MemberRecord(GID, MEMBER, "cy", role_ids=())])
                await writer.flush()
                await asyncio.sleep(0)

        async def read() -> None:
            for _ in range(15):
                recap = await service.recap(GID, MEMBER, SINCE, UNTIL)
                if seen := _shown(recap) & private:
                    leaks.append(f"recap showed private channels {sorted(seen)[:3]}")
                digest = await service.digest(GID, SINCE, UNTIL)
                if seen := _shown(digest) & private:
                    leaks.append(f"digest showed private channels {sorted(seen)[:3]}")

        writer_task = asyncio.create_task(resave())
        await asyncio.gather(*(read() for _ in range(4)))
        stop.set()
        await writer_task
        assert leaks == []
        # The staff member still reads the staff channels (the snapshot is not empty).
        staff = await service.recap(GID, STAFFER, SINCE, UNTIL)
        assert _shown(staff) & private
    finally:
        await store.close()


# -- property: random permission writes against concurrent recaps and digests ---------------

THREAD = 6100  # a private thread in #general
WATCHED = (GENERAL, *PRIVATE[:4], THREAD)
PEOPLE = (STAFFER, MEMBER, 4)


def _overwrites(variant: int) -> tuple[Overwrite, ...]:
    """0 open, 1 staff only, 2+ one member only."""
    if variant == 0:
        return ()
    if variant == 1:
        return LOCKED
    return (Overwrite(GID, "role", deny=VIEW), Overwrite(PEOPLE[variant - 2], "member", allow=VIEW))


channel_write = st.tuples(st.just("channel"), st.sampled_from(WATCHED[:5]), st.integers(0, 4))
role_write = st.tuples(st.just("roles"), st.sampled_from(PEOPLE), st.booleans())
thread_write = st.tuples(st.just("thread"), st.sampled_from(PEOPLE), st.booleans())
batches = st.lists(
    st.lists(st.one_of(channel_write, role_write, thread_write), min_size=1, max_size=8),
    min_size=3,
    max_size=10,
)


async def _seed_property(store: Store) -> None:
    await _seed(store)
    n = 1000
    async with store.transaction():
        await store.members.upsert_many([MemberRecord(GID, 4, "di", role_ids=())])
        await store.channels.upsert(
            ChannelRecord(THREAD, GID, "private_thread", name="plans", parent_id=GENERAL)
        )
        await store.channels.add_thread_members(THREAD, [STAFFER])
        messages = []
        for k, author in enumerate((STAFFER, ADMIN)):
            n += 1
            at = T0 + dt.timedelta(hours=3, minutes=k)
            text = f"thread point {k}: we should book the hall for the spring fair"
            messages.append(MessageRecord(snowflake_at(at, n), GID, THREAD, author, at, text))
        await store.messages.insert_many(messages)


def _queue(writer: ArchiveWriter, batch: list[tuple[str, int, object]]) -> None:
    for kind, target, value in batch:
        if kind == "channel":
            assert isinstance(value, int)
            writer.channel(_channel(target, _overwrites(value)))
        elif kind == "roles":
            roles = (STAFF,) if value else ()
            writer.members([MemberRecord(GID, target, f"u{target}", role_ids=roles)])
        else:
            writer.thread_member(THREAD, target, joined=bool(value))


async def _interleave(path: Path, plan: list[list[tuple[str, int, object]]]) -> list[str]:
    store = await Store.open(str(path))
    try:
        await _seed_property(store)
        writer = ArchiveWriter(store, max_batch=1000)
        service = RecapService(store, ExtractiveSummarizer())
        states = [await load_facts(store, GID)]  # every committed state, in order
        done = asyncio.Event()
        problems: list[str] = []

        async def write() -> None:
            for batch in plan:
                _queue(writer, batch)
                await writer.flush()  # one transaction: one new state
                states.append(await load_facts(store, GID))
                await asyncio.sleep(0)
            done.set()

        seen: list[tuple[str, set[int], int, int, Allowed]] = []

        async def read(member: int) -> None:
            def mine(facts: GuildFacts) -> frozenset[int]:
                return readable_channels(facts, member)

            def shared(facts: GuildFacts) -> frozenset[int]:
                return digest_channels(facts, GENERAL)

            while not done.is_set():
                first = len(states) - 1
                recap = await service.recap(GID, member, SINCE, UNTIL)
                seen.append((f"recap of {member}", _shown(recap), first, len(states) - 1, mine))
                first = len(states) - 1
                digest = await service.digest(GID, SINCE, UNTIL)
                seen.append(("digest", _shown(digest), first, len(states) - 1, shared))

        await asyncio.gather(write(), *(read(m) for m in PEOPLE))
        # Each output was read from one state committed while it ran: the first one current
        # when it started up to one past the last recorded when it ended (a state is recorded
        # just after its commit, so a read may already have seen the next one).
        for what, shown, first, last, allowed in seen:
            candidates = range(first, min(last + 2, len(states)))
            if not any(shown <= allowed(states[i]) for i in candidates):
                problems.append(f"{what} showed {sorted(shown)} (states {first}..{last + 1})")
        assert len(seen) >= len(PEOPLE) * 2
        return problems
    finally:
        await store.close()


@settings(max_examples=20, deadline=None)
@given(plan=batches)
def test_no_output_shows_what_its_reader_could_not_read_at_some_instant(plan):
    with tempfile.TemporaryDirectory() as tmp:
        problems = asyncio.run(_interleave(Path(tmp) / "h.db", plan))
    assert problems == []
