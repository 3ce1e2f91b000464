"""Issue #14, the ledger's edges: a render that changed before a resume, manual posts between
a failure and its retry, and the order in which the ledger is read."""

from __future__ import annotations

import asyncio
import datetime as dt

import aiosqlite
import pytest

from bot.db.connection import _statements, connect, migrations
from bot.models import DIGEST, ChannelRecord, GuildRecord, MessageRecord, Status, Target
from tests.bot.test_delivery import CH, MONDAY_9, G, service
from tests.bot.test_delivery_parts import (
    LATER,
    DyingPublisher,
    PartsContent,
    digest_titles,
    one_guild,
    record_manual,
)

WEEK = dt.timedelta(days=7)


@pytest.fixture
async def guild(store):
    return await one_guild(store)


class Rerender(PartsContent):
    """The digest renders to ``parts`` messages named after ``version``."""

    def __init__(self, version: str, parts: int) -> None:
        super().__init__()
        self.version, self.parts = version, parts

    async def digest(self, guild_id, channel_id, since, until, *, late):
        self.windows.append((since, until, late))
        return [[{"title": f"{self.version} part {k}", "footer": {"text": "x"}}]
                for k in range(1, self.parts + 1)]  # fmt: skip


@pytest.mark.parametrize("parts_after", [2, 3, 4])
async def test_a_resume_finishes_the_rendering_it_began(guild, parts_after):
    # Three parts rendered, two out, then the process dies. By the restart the week renders
    # differently (an edit, a late message): the resume sends the first rendering's part 3.
    pub = DyingPublisher(die_after=2)
    svc, _ = service(guild, pub, Rerender("v1", 3), now=LATER)
    with pytest.raises(SystemExit):
        await svc.run_due(G)
    pub.die_after = None
    later = LATER + dt.timedelta(minutes=5)
    await service(guild, pub, Rerender("v2", parts_after), now=later)[0].run_due(G)
    assert digest_titles(pub) == ["v1 part 1", "v1 part 2", "v1 part 3"]
    footers = [f for t, f in pub.posts if t == f"channel:{CH}"]
    assert [f.split(" · ")[-2] for f in footers] == ["1/3", "2/3", "3/3"]


async def test_a_failed_delivery_with_nothing_out_is_rendered_afresh(guild):
    pub = DyingPublisher()
    pub.fail_next = 3  # the first part fails on every try: nothing was posted
    svc, clock = service(guild, pub, Rerender("v1", 3), now=LATER)
    await svc.run_due(G)
    clock["now"] += dt.timedelta(minutes=15)
    svc.content = Rerender("v2", 2)
    await svc.run_due(G)
    assert digest_titles(pub) == ["v2 part 1", "v2 part 2"]


async def test_a_catch_up_after_a_manual_post_that_covered_it_posts_nothing(guild):
    # The bot was down at 09:00; at 10:00 an admin posts the digest by hand; the catch-up run
    # at 10:05 finds the week covered.
    pub, content = DyingPublisher(), PartsContent()
    manual_at = MONDAY_9 + dt.timedelta(hours=1)
    svc, clock = service(guild, pub, content, now=manual_at)
    await record_manual(svc, G, CH, (555,), MONDAY_9 - WEEK)
    clock["now"] = manual_at + dt.timedelta(minutes=5)
    report = await svc.run_due(G)
    assert digest_titles(pub) == [] and "digest" not in report.failed
    row = await guild.deliveries.get(G, "weekly:2026-11-23", DIGEST)
    assert row is not None and row.status == "empty"
    assert all(since < until for since, until, _ in content.windows)


async def test_a_short_manual_post_between_a_failure_and_its_retry_repeats_no_week(guild):
    pub, content = DyingPublisher(), PartsContent()
    svc, clock = service(guild, pub, content, now=LATER - WEEK)
    await svc.run_due(G)  # last week's digest: the week before MONDAY_9 - WEEK
    clock["now"] = LATER
    pub.fail_next = 3
    await svc.run_due(G)  # this week's fails
    clock["now"] = LATER + dt.timedelta(minutes=10)  # a one-day manual post
    _, covers = await record_manual(svc, G, CH, (555,), clock["now"] - dt.timedelta(1))
    assert not covers
    clock["now"] = LATER + dt.timedelta(minutes=20)
    await svc.run_due(G)  # the retry lands this week's digest
    assert content.windows[-1][:2] == (MONDAY_9 - WEEK, MONDAY_9)
    clock["now"] = LATER + WEEK
    await svc.run_due(G)  # next week's starts where this week's ended
    assert content.windows[-1][:2] == (MONDAY_9, MONDAY_9 + WEEK)


async def test_dm_recaps_reach_back_over_a_missed_week_even_after_a_manual_post(guild):
    pub, content = DyingPublisher(), PartsContent()
    svc, clock = service(guild, pub, content, now=LATER - 2 * WEEK)
    await svc.run_due(G)  # two weeks ago: digest and DMs
    # Last week the bot was down; on Thursday an admin posted a digest by hand.
    clock["now"] = MONDAY_9 - dt.timedelta(days=4)
    await record_manual(svc, G, CH, (555,), MONDAY_9 - 3 * WEEK)
    clock["now"] = LATER
    await svc.run_due(G)
    dm_since = [since for user, since in content.recaps if user == 1][-1]
    assert dm_since == MONDAY_9 - 2 * WEEK  # from where the last recap ended, not one week


async def test_a_manual_post_waits_for_a_running_delivery_of_its_guild(guild):
    entered, release = asyncio.Event(), asyncio.Event()

    class Slow(PartsContent):
        async def digest(self, guild_id, channel_id, since, until, *, late):
            entered.set()
            await release.wait()
            return await super().digest(guild_id, channel_id, since, until, late=late)

    svc, _ = service(guild, DyingPublisher(), Slow(), now=LATER)
    run = asyncio.create_task(svc.run_due(G))
    await entered.wait()
    manual = asyncio.create_task(record_manual(svc, G, CH, (555,), MONDAY_9 - WEEK))
    await asyncio.sleep(0.3)  # long enough for its database round trips
    assert not manual.done()  # the ledger is read and written by one of them at a time
    release.set()
    await run
    _, covers = await manual
    assert covers


async def _interrupted(store) -> DyingPublisher:
    """This week's three-part digest, interrupted after its first part."""
    pub = DyingPublisher(die_after=1)
    svc, _ = service(store, pub, Rerender("v1", 3), now=LATER)
    with pytest.raises(SystemExit):
        await svc.run_due(G)
    pub.die_after = None
    row = await store.deliveries.get(G, "weekly:2026-11-23", DIGEST)
    assert row is not None and row.payload is not None
    return pub


@pytest.mark.parametrize("erase", ["delete", "channel", "forget", "edit", "exclude", "retention"])
async def test_deleted_or_forgotten_text_is_not_resumed_from_the_rendering(guild, erase):
    async with guild.transaction():
        await guild.channels.upsert(ChannelRecord(CH, G, "text", "general"))
        await guild.messages.insert_many([MessageRecord(77, G, CH, 1, LATER, "secret")])
    pub = await _interrupted(guild)
    async with guild.transaction():
        if erase == "delete":
            await guild.messages.delete([77])
        elif erase == "channel":
            await guild.channels.mark_deleted(CH)
        elif erase == "forget":
            await guild.privacy.forget_member(G, 1)
        elif erase == "edit":
            await guild.messages.edit(77, "nothing to see", LATER + dt.timedelta(minutes=1))
        elif erase == "exclude":
            await guild.channels.set_excluded(CH, True)
        else:
            await guild.retention.purge_before(G, LATER + dt.timedelta(seconds=1))
    row = await guild.deliveries.get(G, "weekly:2026-11-23", DIGEST)
    assert row is not None and row.payload is None
    await service(guild, pub, Rerender("v2", 3), now=LATER)[0].run_due(G)
    assert digest_titles(pub) == ["v1 part 1", "v2 part 2", "v2 part 3"]  # rendered afresh


async def test_a_finished_delivery_keeps_no_rendering(guild):
    pub = await _interrupted(guild)
    await service(guild, pub, Rerender("v2", 3), now=LATER)[0].run_due(G)
    rows = await guild.deliveries.list(G)
    assert rows and all(r.payload is None for r in rows)


async def test_migrating_two_channel_rows_of_one_period_keeps_the_sent_one(tmp_path):
    # Before 0005 a moved digest channel could give one period two rows; 0005 kept the first.
    path = str(tmp_path / "old.db")
    async with aiosqlite.connect(path, isolation_level=None) as old:
        for version, _, sql in migrations()[:4]:
            for statement in _statements(sql):
                await old.execute(statement)
            await old.execute(f"PRAGMA user_version={version}")
        await old.executemany(
            "INSERT INTO deliveries (guild_id, period, target, status, nonce, message_ids, "
            "created_at, updated_at) VALUES (1, ?, ?, ?, '', ?, ?, ?)",
            [
                ("weekly:2026-11-16", "channel:10", "failed", "", 1, 1),
                ("weekly:2026-11-16", "channel:11", "sent", "7,8", 2, 2),
                ("weekly:2026-11-23", "channel:11", "sent", "9", 3, 3),
                ("weekly:2026-11-23", "channel:12", "sent", "10", 4, 4),
            ],
        )
    conn = await connect(path)
    try:
        async with conn.execute(
            "SELECT period, target, status, channel_id, message_ids FROM deliveries "
            "ORDER BY period, target"
        ) as cur:
            rows = [tuple(r) for r in await cur.fetchall()]
    finally:
        await conn.close()
    assert rows == [
        ("weekly:2026-11-16", "digest", "sent", 11, "7,8"),
        ("weekly:2026-11-23", "digest", "sent", 11, "9"),
    ]


async def test_a_digest_row_without_its_window_end_ends_at_its_slot(guild):
    # Rows migrated from before 0005 have no until_at; this one was posted three hours late.
    async with guild.transaction():
        await guild.conn.execute(
            "INSERT INTO deliveries (guild_id, period, target, status, nonce, created_at, "
            "updated_at) VALUES (?, 'weekly:2026-11-16', 'digest', 'sent', '', ?, ?)",
            (G, *[int((MONDAY_9 - WEEK + dt.timedelta(hours=3)).timestamp() * 1000)] * 2),
        )
    content = PartsContent()
    await service(guild, DyingPublisher(), content, now=LATER)[0].run_due(G)
    assert content.windows[-1][:2] == (MONDAY_9 - WEEK, MONDAY_9)


async def test_a_moved_weekday_does_not_repeat_days_in_dm_recaps(guild):
    pub, content = DyingPublisher(), PartsContent()
    svc, clock = service(guild, pub, content, now=LATER)
    await svc.run_due(G)  # Monday: digest and member 1's recap of the week before
    async with guild.transaction():
        await guild.guilds.update_settings(G, digest_weekday=2)  # now Wednesdays
    clock["now"] = MONDAY_9 + dt.timedelta(days=2, minutes=1)
    await svc.run_due(G)
    assert [since for user, since in content.recaps if user == 1] == [
        MONDAY_9 - WEEK,
        MONDAY_9,  # Monday to Wednesday: not the five days Monday's recap covered
    ]


async def test_a_member_back_after_a_missed_week_gets_both_weeks(guild):
    pub, content = DyingPublisher(), PartsContent()
    svc, clock = service(guild, pub, content, now=LATER - 2 * WEEK)
    await svc.run_due(G)
    async with guild.transaction():  # last week the digest channel was unset: DMs only
        await guild.guilds.update_settings(G, digest_channel_id=None)
    clock["now"] = LATER - WEEK
    pub.fail_next = 10_000  # and member 1's DM failed all week
    await svc.run_due(G)
    pub.fail_next = 0
    clock["now"] = LATER
    await svc.run_due(G)
    assert [since for user, since in content.recaps if user == 1][-1] == MONDAY_9 - 2 * WEEK


async def test_text_erased_in_another_guild_keeps_this_guilds_rendering(guild):
    other = G + 1
    async with guild.transaction():
        await guild.guilds.upsert(GuildRecord(other, "other"))
        await guild.channels.upsert(ChannelRecord(CH + 5, other, "text", "elsewhere"))
        await guild.messages.insert_many([MessageRecord(88, other, CH + 5, 2, LATER, "x")])
    pub = await _interrupted(guild)
    async with guild.transaction():
        await guild.messages.delete([88])
        await guild.channels.mark_deleted(CH + 5)
    await service(guild, pub, Rerender("v2", 2), now=LATER)[0].run_due(G)
    assert digest_titles(pub) == ["v1 part 1", "v1 part 2", "v1 part 3"]


async def test_a_rendering_does_not_outlive_its_period(guild):
    pub = DyingPublisher(die_after=1)
    svc, clock = service(guild, pub, Rerender("v1", 3), now=LATER)
    with pytest.raises(SystemExit):
        await svc.run_due(G)  # part 1 out; then down past the grace: it stays unfinished
    pub.die_after = None
    clock["now"] = LATER + WEEK
    pub.fail_next = 10_000
    await svc.run_due(G)  # next week's run
    rows = {r.period: r for r in await guild.deliveries.list(G)}
    assert rows["weekly:2026-11-23"].payload is None


async def test_a_scheduled_run_waits_for_a_manual_post_being_rendered_and_sent(guild):
    pub, content = DyingPublisher(), PartsContent()
    svc, clock = service(guild, pub, content, now=MONDAY_9 - dt.timedelta(minutes=5))
    async with svc.manual_post(G, CH, MONDAY_9 - dt.timedelta(minutes=5) - WEEK) as post:
        clock["now"] = LATER  # the slot falls due while the admin's post renders
        run = asyncio.create_task(svc.run_due(G))
        await asyncio.sleep(0.3)
        assert not run.done() and content.windows == []
        post.ids.append(555)
    await run
    since, until, _ = content.windows[-1]
    assert since == post.until == MONDAY_9 - dt.timedelta(minutes=5)  # after the manual post
    assert until == MONDAY_9 and post.covers and post.slot is not None


async def test_a_manual_post_cut_short_records_what_was_posted(guild):
    content = PartsContent()
    svc, clock = service(guild, DyingPublisher(), content, now=MONDAY_9 - dt.timedelta(days=1))
    with pytest.raises(RuntimeError):
        async with svc.manual_post(G, CH, MONDAY_9 - WEEK) as post:
            post.ids.append(555)
            raise RuntimeError("Discord refused part 2")
    rows = [r for r in await guild.deliveries.list(G) if r.manual]
    assert [(r.message_ids, r.status) for r in rows] == [((555,), "sent")]
    assert not post.covers
    clock["now"] = LATER
    await svc.run_due(G)  # the parts that never went out are in the scheduled digest
    assert content.windows[-1][:2] == (MONDAY_9 - WEEK, MONDAY_9)


def test_targets_keep_their_stored_form_and_parse_back():
    # The stored form is what databases written before the typed ledger hold, and what
    # every nonce and marker of a resumed delivery is derived from: it must not change.
    assert (str(DIGEST), str(Target.dm(42))) == ("digest", "dm:42")
    for target in (DIGEST, Target.dm(42)):
        assert Target.parse(str(target)) == target
    for bad in ("channel:5", "dm:", "dm:x", "Digest"):
        with pytest.raises(ValueError, match="not a delivery target"):
            Target.parse(bad)
    assert [s.final for s in Status] == [False, True, True, True, False]
