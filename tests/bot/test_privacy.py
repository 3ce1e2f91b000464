"""PrivacyService against a real SQLite store: status, export, forget, and the schema meta-test."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.db.recap import CachedSummary
from bot.models import (
    ChannelRecord,
    GuildRecord,
    MemberRecord,
    Mention,
    MessageRecord,
    Overwrite,
    ReactionRecord,
    RoleRecord,
    Target,
)
from bot.services.privacy import PrivacyService

G, OTHER_G = 100, 200
U, V = 1001, 1002  # U forgets; V is someone else
ROLE = 300
C, T, C2 = 400, 401, 402  # channel, U's private thread in it, a channel of the other guild
T0 = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)
USER_COLUMNS = frozenset({"user_id", "author_id", "owner_id", "target_id"})
# Rows that legitimately keep the user's id after a forget, and why.
KEPT = {
    ("channel_overwrites", "target_id"): (
        "per-member permission overwrites are the server's settings; deleting a deny would "
        "widen what recaps show"
    ),
}


def msg(mid: int, author: int, *, channel: int = C, guild: int = G, minutes: int = 0, **kw):
    return MessageRecord(
        id=mid,
        guild_id=guild,
        channel_id=channel,
        author_id=author,
        created_at=T0 + dt.timedelta(minutes=minutes),
        **kw,
    )


def summary(key: str, conversation: str, author: int, backend: str = "extractive"):
    point = {"message_id": 1, "author_id": author, "author_name": "x", "content": "hi"}
    return CachedSummary(
        key=key,
        conversation_key=conversation,
        content_hash=key,
        backend=backend,
        model="",
        language="",
        payload={"title": "t", "points": [point], "backend": backend},
    )


async def seed(store) -> None:
    """One of everything that names U, plus the same for V and for U in another guild."""
    async with store.transaction():
        for guild in (G, OTHER_G):
            await store.guilds.upsert(GuildRecord(guild, f"g{guild}", owner_id=U))
        await store.guilds.replace_roles(G, [RoleRecord(G, G, "@everyone", 1 << 10 | 1 << 16)])
        await store.guilds.upsert_role(RoleRecord(ROLE, G, "Cooks"))
        await store.channels.upsert(
            ChannelRecord(
                C,
                G,
                "text",
                "general",
                overwrites=(Overwrite(U, "member", deny=1 << 11), Overwrite(V, "member")),
            )
        )
        await store.channels.upsert(
            ChannelRecord(T, G, "private_thread", "plans", parent_id=C, owner_id=U, private=True)
        )
        await store.channels.upsert(ChannelRecord(C2, OTHER_G, "text", "elsewhere"))
        await store.channels.add_thread_members(T, [U, V])
        await store.members.upsert_many(
            [
                MemberRecord(G, U, "u", "You", role_ids=(ROLE,)),
                MemberRecord(G, V, "v", "Vee", role_ids=(ROLE,)),
                MemberRecord(OTHER_G, U, "u", "You elsewhere", role_ids=()),
            ]
        )
        await store.messages.insert_many(
            [
                msg(1, U, content=f"hi <@{V}>", mentions=(Mention("user", V),)),
                msg(
                    2,
                    V,
                    minutes=1,
                    content=f"<@{U}> hello",
                    reply_to_id=1,
                    mentions=(Mention("user", U),),
                ),
                msg(3, U, channel=T, minutes=2, content="in the thread"),
                msg(4, V, minutes=3, content="later, without U"),
                msg(5, U, channel=C2, guild=OTHER_G, content="in another guild"),
            ]
        )
        await store.messages.add_reactions(
            [ReactionRecord(1, V, "👍"), ReactionRecord(2, U, "🎉"), ReactionRecord(4, V, "👀")]
        )
        await store.recap.add_interest(G, U, "ramen")
        await store.recap.add_interest(G, V, "tea")
        await store.recap.add_interest(OTHER_G, U, "chess")
        for user in (U, V):
            await store.deliveries.begin(
                G, "weekly:2026-11-23", Target.dm(user), nonce="n", user_id=user, late=False, now=T0
            )
        await store.recap.put_summaries(
            [
                summary("quotes-u", f"{C}:1", U),
                summary("llm-conv-with-u", f"{C}:1", V, backend="openai"),
                summary("after-u", f"{C}:4", V),
                summary("other-channel", "999:1", V),
            ]
        )


async def user_columns(store) -> list[tuple[str, str]]:
    found = []
    async with store.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ) as cur:
        tables = [r[0] async for r in cur]
    for table in tables:
        async with store.conn.execute(f"PRAGMA table_info({table})") as cur:
            found += [(table, r[1]) async for r in cur if r[1] in USER_COLUMNS]
    return sorted(found)


async def count(store, sql: str, *args) -> int:
    async with store.conn.execute(sql, args) as cur:
        row = await cur.fetchone()
    return int(row[0])


async def test_forget_covers_every_user_column_in_the_schema(store):
    await seed(store)
    columns = await user_columns(store)
    assert ("messages", "author_id") in columns and ("deliveries", "user_id") in columns
    guild_of = {  # how to scope each table to guild G
        "guilds": "id = ?",
        "channels": "guild_id = ?",
        "channel_overwrites": "channel_id IN (SELECT id FROM channels WHERE guild_id = ?)",
        "thread_members": "thread_id IN (SELECT id FROM channels WHERE guild_id = ?)",
        "mentions": "message_id IN (SELECT id FROM messages WHERE guild_id = ?)",
        "reactions": "message_id IN (SELECT id FROM messages WHERE guild_id = ?)",
    }
    before = {}
    for table, column in columns:
        scope = guild_of.get(table, "guild_id = ?")
        sql = f"SELECT COUNT(*) FROM {table} WHERE {column} = ? AND {scope}"
        before[(table, column)] = sql
        seeded = await count(store, sql, U, G)
        assert seeded > 0, f"seed() must give {table}.{column} a row for the user; then cover it"

    report = await PrivacyService(store).forget(G, U)

    assert report.ok, report.failed
    for (table, column), sql in before.items():
        left = await count(store, sql, U, G)
        if (table, column) in KEPT:
            assert left > 0, f"{table}.{column} is documented as kept"
        else:
            assert left == 0, f"forget left {left} row(s) in {table}.{column}"


async def test_forget_removes_the_member_and_leaves_everyone_else(store):
    await seed(store)
    report = await PrivacyService(store).forget(G, U)
    assert report.counts == {
        "summary_cache": 2,
        "messages": 2,
        "mentions": 2,  # one in U's message, one of U in V's
        "reactions": 2,  # V's on U's message, U's on V's
        "thread_members": 1,
        "channels": 1,
        "member_roles": 1,
        "member_interests": 1,
        "deliveries": 1,
        "guilds": 1,
        "members": 1,
    }
    assert await store.messages.get(1) is None and await store.messages.get(3) is None
    kept = await store.messages.get(2)
    assert kept is not None and kept.mentions == () and kept.reply_to_id == 1
    assert await store.messages.reactions(4) == [ReactionRecord(4, V, "👀")]
    assert await store.members.get(G, U) is None
    assert await store.members.get(G, V) is not None
    assert await store.channels.thread_members(T) == {V}
    assert (await store.channels.get(T)).owner_id is None
    assert (await store.recap.interests(G)) == {V: ("tea",)}
    assert await store.recap.summaries(["after-u", "other-channel"]) != {}
    assert await store.recap.summaries(["quotes-u", "llm-conv-with-u"]) == {}
    # Another guild is another forget.
    assert await store.messages.get(5) is not None
    assert await store.members.get(OTHER_G, U) is not None
    assert (await store.recap.interests(OTHER_G)) == {U: ("chess",)}
    assert (await store.guilds.get(OTHER_G)).owner_id == U


async def test_forget_keeps_backfill_from_fetching_the_messages_again(store):
    await seed(store)
    async with store.transaction():
        await store.messages.insert_many([msg(9, U, minutes=9, content="newest")])
    assert await store.cursors.get(C) is None  # never backfilled
    await PrivacyService(store).forget(G, U)
    assert await store.cursors.get(C) == 9  # backfill resumes after what was forgotten


async def test_a_paused_member_stays_paused_after_forgetting(store):
    await seed(store)
    service = PrivacyService(store)
    await service.set_paused(G, U, True)
    report = await service.forget(G, U)
    assert report.still_paused
    member = await store.members.get(G, U)
    assert member is not None and member.logging_paused and member.name == ""
    async with store.transaction():
        await store.messages.insert_many([msg(20, U, minutes=20, content="not stored")])
    assert await store.messages.get(20) is None


async def test_forget_reports_a_failed_concern_and_finishes_the_rest(store, monkeypatch):
    await seed(store)
    service = PrivacyService(store)

    async def broken(guild_id, user_id):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(service.repo, "forget_reactions", broken)
    report = await service.forget(G, U)
    assert report.failed == ("reactions",) and not report.ok
    assert await store.members.get(G, U) is None
    assert await count(store, "SELECT COUNT(*) FROM reactions WHERE user_id = ?", U) == 1
    monkeypatch.undo()  # the disk is fixed; forgetting again finishes the job
    again = await PrivacyService(store).forget(G, U)
    assert again.ok and again.counts["reactions"] == 1


async def test_forget_flushes_queued_writes_first(store):
    flushed = []

    async def flush():
        flushed.append(True)

    await PrivacyService(store, flush=flush).forget(G, U)
    assert flushed == [True]


async def test_status_counts_what_is_stored(store):
    await seed(store)
    async with store.transaction():
        await store.members.set_dm(G, U, True, "daily")
    status = await PrivacyService(store).status(G, U)
    assert status.counts == {
        "messages": 2,
        "reactions": 1,
        "mentions": 1,
        "thread_members": 1,
        "member_roles": 1,
        "member_interests": 1,
        "deliveries": 1,
        "summary_cache": 1,
    }
    assert status.dm_opt_in and status.dm_cadence == "daily" and not status.logging_paused
    assert status.interests == ("ramen",)
    nobody = await PrivacyService(store).status(G, 42)
    assert not nobody.known and set(nobody.counts.values()) == {0}


async def test_export_is_json_and_holds_only_this_guild(store):
    await seed(store)
    clock = lambda: T0  # noqa: E731
    data = await PrivacyService(store, clock=clock).export(G, U)
    again = json.loads(json.dumps(data))
    assert again["exported_at"] == T0.isoformat() and again["user_id"] == U
    assert [m["content"] for m in again["messages"]] == [f"hi <@{V}>", "in the thread"]
    assert again["messages"][0]["created_at"] == T0.isoformat()
    assert again["messages"][0]["deleted"] is False
    assert again["member"]["display_name"] == "You"
    assert [r["emoji"] for r in again["reactions"]] == ["🎉"]
    assert [m["message_id"] for m in again["mentions_of_you"]] == [2]
    assert "content" not in again["mentions_of_you"][0]  # V's words are V's
    assert [t["thread_id"] for t in again["thread_memberships"]] == [T]
    assert [t["id"] for t in again["threads_started"]] == [T]
    assert again["roles"] == [{"role_id": ROLE, "name": "Cooks"}]
    assert [i["topic"] for i in again["interests"]] == ["ramen"]
    assert [d["period"] for d in again["dm_deliveries"]] == ["weekly:2026-11-23"]


@pytest.mark.parametrize("paused", [True, False])
async def test_pause_and_resume(store, paused):
    service = PrivacyService(store)
    await service.set_paused(G, U, paused)
    assert (await store.members.get(G, U)).logging_paused is paused
