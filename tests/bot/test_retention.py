"""The daily retention purge against a real store."""

from __future__ import annotations

import datetime as dt

from bot.db.recap import CachedSummary
from bot.ingest.retention import cutoff, purge
from bot.models import (
    ChannelRecord,
    GuildRecord,
    MemberRecord,
    Mention,
    MessageRecord,
    ReactionRecord,
)
from bot.timeutil import utcnow

G, OTHER_G, C, C2, U, V = 1, 2, 10, 20, 100, 101
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def msg(mid: int, days_ago: float, *, guild: int = G, channel: int = C) -> MessageRecord:
    return MessageRecord(
        id=mid,
        guild_id=guild,
        channel_id=channel,
        author_id=U,
        created_at=NOW - dt.timedelta(days=days_ago),
        content=f"message {mid}",
        mentions=(Mention("user", V),),
    )


def cached(key: str, message_id: int) -> CachedSummary:
    point = {"message_id": message_id, "author_id": U, "author_name": "u", "content": "x"}
    return CachedSummary(
        key,
        f"{C}:{message_id}",
        key,
        "extractive",
        "",
        "",
        {"title": "t", "points": [point], "backend": "extractive"},
    )


async def seed(store) -> None:
    async with store.transaction():
        for guild in (G, OTHER_G):
            await store.guilds.upsert(GuildRecord(guild, "g"))
            await store.members.upsert(MemberRecord(guild, U, "u"))
        await store.channels.upsert(ChannelRecord(C, G, "text", "general"))
        await store.channels.upsert(ChannelRecord(C2, OTHER_G, "text", "other"))
        await store.messages.insert_many(
            [msg(1, 40), msg(2, 31), msg(3, 29), msg(4, 1), msg(5, 90, guild=OTHER_G, channel=C2)]
        )
        await store.messages.add_reactions([ReactionRecord(1, V, "👍"), ReactionRecord(4, V, "👍")])
        await store.recap.put_summaries([cached("old", 1), cached("new", 4)])


async def ids(store) -> list[int]:
    async with store.conn.execute("SELECT id FROM messages ORDER BY id") as cur:
        return [r[0] async for r in cur]


def test_cutoff():
    assert cutoff(NOW, None) is None and cutoff(NOW, 0) is None
    assert cutoff(NOW, 30) == NOW - dt.timedelta(days=30)


async def test_nothing_is_purged_without_a_retention_setting(store):
    await seed(store)
    assert await purge(store, G, NOW) == 0
    assert await ids(store) == [1, 2, 3, 4, 5]


async def test_purge_drops_old_messages_and_what_hangs_off_them(store):
    await seed(store)
    async with store.transaction():
        await store.guilds.update_settings(G, retention_days=30)
    assert await purge(store, G, NOW) == 2
    assert await ids(store) == [3, 4, 5]  # the other guild keeps everything
    async with store.conn.execute("SELECT COUNT(*) FROM reactions WHERE message_id = 1") as cur:
        assert (await cur.fetchone())[0] == 0
    assert (await store.messages.get(4)).mentions == (Mention("user", V),)
    assert set(await store.recap.summaries(["old", "new"])) == {"new"}
    assert await store.cursors.get(C) == 2  # backfill resumes after the newest purged message
    assert await purge(store, G, NOW) == 0  # idempotent


async def test_the_daily_job_prunes_old_summaries_and_usage_rows(store):
    from bot.ingest.retention import SUMMARY_DAYS, USAGE_DAYS

    now = utcnow()  # caches are stamped and pruned by the wall clock
    old_summary, old_usage = (
        now - dt.timedelta(SUMMARY_DAYS + 1),
        now - dt.timedelta(USAGE_DAYS + 1),
    )
    async with store.transaction():
        await store.guilds.upsert(GuildRecord(1, "g"))
        for key, at in (("old", old_summary), ("new", now - dt.timedelta(1))):
            await store.conn.execute(
                "INSERT INTO summary_cache (key, conversation_key, content_hash, backend, "
                "created_at, payload) VALUES (?, ?, '', 'extractive', ?, '{}')",
                (key, key, int(at.timestamp() * 1000)),
            )
        await store.llm_usage.record(1, "2026-W30", "m", 10, 5, at=old_usage)
        await store.llm_usage.record(1, "2026-W48", "m", 10, 5, at=now - dt.timedelta(1))
    await purge(store, 1, now)  # no retention setting: messages are kept, caches still pruned
    async with store.conn.execute("SELECT key FROM summary_cache") as cur:
        assert [r[0] for r in await cur.fetchall()] == ["new"]
    async with store.conn.execute("SELECT period FROM llm_usage") as cur:
        assert [r[0] for r in await cur.fetchall()] == ["2026-W48"]


async def test_the_caches_are_pruned_once_a_day_not_once_per_guild(store):
    # A hosted instance runs the daily purge for each of its guilds; the caches are shared.
    statements: list[str] = []
    await store.set_trace_callback(statements.append)
    async with store.transaction():
        for gid in range(1, 6):
            await store.guilds.upsert(GuildRecord(gid, f"g{gid}"))
    for gid in range(1, 6):
        await purge(store, gid, utcnow())
    await store.set_trace_callback(None)
    assert sum("DELETE FROM summary_cache" in s for s in statements) == 1
    assert sum("DELETE FROM llm_usage" in s for s in statements) == 1
    from bot.ingest.retention import prune_caches

    later = utcnow() + dt.timedelta(hours=21)
    assert await prune_caches(store, later)  # the next day: once more
    assert not await prune_caches(store, later + dt.timedelta(hours=1))


async def test_a_stamp_from_a_clock_set_back_or_unreadable_does_not_stop_pruning(store):
    from bot.ingest.retention import PRUNED_KEY, prune_caches

    now = utcnow()
    for stamp in (str(int((now + dt.timedelta(days=30)).timestamp() * 1000)), "garbage"):
        async with store.transaction():
            await store.cursors.set_meta(PRUNED_KEY, stamp)
        assert await prune_caches(store, now), stamp
