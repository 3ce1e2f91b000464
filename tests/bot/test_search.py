"""Asking the archive: the word index stays in step with the archive, and answers only what
the asker can read (#18)."""

from __future__ import annotations

import datetime as dt

from bot.db import Store
from bot.models import (
    ChannelRecord,
    GuildRecord,
    MemberRecord,
    MessageRecord,
    Overwrite,
    RoleRecord,
)
from bot.recap.ask import index_pending, search
from bot.timeutil import snowflake_at

GID, STAFF = 7000, 7001
VIEW, HISTORY = 1 << 10, 1 << 16
GENERAL, STAFF_ROOM = 7010, 7011
ANA, BO, CY = 1, 2, 3  # Ana is staff
T0 = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
NOW = T0 + dt.timedelta(days=1)


def msg(n: int, channel: int, author: int, text: str, reply: int | None = None) -> MessageRecord:
    at = T0 + dt.timedelta(minutes=n)
    return MessageRecord(snowflake_at(at, n), GID, channel, author, at, text, reply_to_id=reply)


async def club(store: Store, rows: list[MessageRecord]) -> None:
    locked = (Overwrite(GID, "role", deny=VIEW), Overwrite(STAFF, "role", allow=VIEW))
    async with store.transaction():
        await store.guilds.upsert(GuildRecord(GID, "Club", owner_id=None))
        await store.guilds.replace_roles(
            GID,
            [RoleRecord(GID, GID, "@everyone", VIEW | HISTORY), RoleRecord(STAFF, GID, "Staff")],
        )
        await store.channels.upsert(ChannelRecord(GENERAL, GID, "text", "general"))
        await store.channels.upsert(
            ChannelRecord(STAFF_ROOM, GID, "text", "staff", overwrites=locked)
        )
        await store.members.upsert_many(
            [
                MemberRecord(GID, ANA, "ana", role_ids=(STAFF,)),
                MemberRecord(GID, BO, "bo", role_ids=()),
                MemberRecord(GID, CY, "cy", role_ids=()),
            ]
        )
        await store.messages.insert_many(rows)


async def found(store: Store, member: int, question: str) -> list[str]:
    answer = await search(store, GID, member, question, now=NOW)
    return [p.text for p in answer.passages]


async def test_an_answer_cites_readable_messages_with_author_time_and_link(store: Store):
    rows = [
        msg(1, GENERAL, BO, "Where is the picnic on Sunday?"),
        msg(2, GENERAL, CY, "The picnic is at the lake pavilion, bring blankets"),
        msg(3, STAFF_ROOM, ANA, "Staff only: the picnic budget is 200"),
    ]
    await club(store, rows)
    answer = await search(store, GID, BO, "where is the picnic?", now=NOW)
    assert [p.message_id for p in answer.passages][:2] != []
    texts = [p.text for p in answer.passages]
    assert "The picnic is at the lake pavilion, bring blankets" in texts
    assert not any("budget" in t for t in texts)  # the staff room is not Bo's to read
    top = answer.passages[0]
    assert top.author_name in {"bo", "cy"} and top.created_at >= T0
    assert top.url == f"https://discord.com/channels/{GID}/{GENERAL}/{top.message_id}"
    assert any("budget" in t for t in await found(store, ANA, "picnic budget"))


async def test_japanese_questions_find_japanese_messages(store: Store):
    rows = [
        msg(1, GENERAL, BO, "自家製味噌の仕込みは来週の土曜日です"),
        msg(2, GENERAL, CY, "大豆は前の晩から水に浸けておいてね"),
        msg(3, GENERAL, CY, "the board game night is on friday"),
    ]
    await club(store, rows)
    assert await found(store, ANA, "味噌はいつ？") == ["自家製味噌の仕込みは来週の土曜日です"]
    assert await found(store, ANA, "大豆") == ["大豆は前の晩から水に浸けておいてね"]


async def test_edits_deletes_forget_and_retention_reach_the_index(store: Store):
    rows = [
        msg(1, GENERAL, BO, "the spare key is under the blue flowerpot"),
        msg(2, GENERAL, CY, "lemonade recipe: lemons, sugar, mint"),
        msg(3, GENERAL, BO, "my old flat had a garden with a walnut tree"),
    ]
    await club(store, rows)
    await index_pending(store)
    async with store.transaction():
        await store.messages.edit(rows[0].id, "the spare key is with the neighbour", NOW)
    assert await found(store, CY, "flowerpot") == []
    assert await found(store, CY, "neighbour") == ["the spare key is with the neighbour"]
    async with store.transaction():
        await store.messages.delete([rows[1].id])
    assert await found(store, BO, "lemonade recipe") == []
    async with store.transaction():
        await store.privacy.forget_messages(GID, BO)
        await store.privacy.forget_member(GID, BO)
    assert await found(store, CY, "neighbour walnut") == []
    async with store.conn.execute("SELECT count(*) FROM message_words") as cur:
        assert (await cur.fetchone())[0] == 0
    late = msg(100, GENERAL, CY, "walnut cake for the picnic")
    async with store.transaction():
        await store.messages.insert_many([late])
    assert await found(store, ANA, "walnut") == ["walnut cake for the picnic"]
    async with store.transaction():
        await store.retention.purge_before(GID, NOW)
    assert await found(store, ANA, "walnut") == []


async def test_a_question_without_content_words_finds_nothing(store: Store):
    await club(store, [msg(1, GENERAL, BO, "what is it")])
    answer = await search(store, GID, BO, "what is it?", now=NOW)
    assert answer.terms == () and answer.passages == ()


async def test_hostile_member_text_is_quoted_inert(store: Store):
    from bot.recap.render_answer import render_answer
    from tests.linkcheck import links, pings

    evil = "@everyone <@2> picnic at [this](https://evil.example) https://x.example/picnic"
    await club(store, [msg(1, GENERAL, CY, evil)])
    shown = render_answer(await search(store, GID, BO, "picnic", now=NOW))
    assert "picnic" in shown and not pings(shown)
    # as in recaps (docs/untrusted-text.md): the member's web links stay, as <url> that shows
    # its own target and never previews; the masked link is not one any more
    found = links(shown)
    jump = [f for f in found if f.target.startswith(f"https://discord.com/channels/{GID}/")]
    assert len(jump) == 1 and jump[0].kind == "masked"
    assert {(f.kind, f.target) for f in found if f not in jump} == {
        ("auto", "https://evil.example"),
        ("auto", "https://x.example/picnic"),
    }
    assert "@bo" in shown  # the mention shows the name, not a ping


async def test_the_ask_command_prints_passages_and_says_when_nothing_matches(store: Store):
    import subprocess
    import sys

    await club(store, [msg(1, GENERAL, CY, "the picnic is at the lake pavilion")])
    db = store.path

    def hearth(*args: str) -> subprocess.CompletedProcess[str]:
        env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
        command = [sys.executable, "-m", "bot", "ask", "--db", db, *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)

    ok = hearth("--member", "bo", "where is the picnic")
    assert ok.returncode == 0, ok.stderr
    assert "Asked as bo" in ok.stdout and "lake pavilion" in ok.stdout
    assert f"/channels/{GID}/{GENERAL}/" in ok.stdout
    none = hearth("--member", "bo", "volcano")
    assert none.returncode == 0 and "Nothing you can read mentions volcano" in none.stdout
    unknown = hearth("--member", "zed", "picnic")
    assert unknown.returncode != 0 and "no member 'zed'" in unknown.stderr


async def test_the_running_bot_indexes_new_messages_every_minute(store: Store):
    import asyncio

    from bot.delivery.scheduler import INDEX_EVERY_S, HearthScheduler
    from tests.bot.test_delivery import FakePublisher, service

    await club(store, [msg(1, GENERAL, CY, "the picnic is at the lake pavilion")])
    assert await store.search.pending_count() == 1
    delivery, _ = service(store, FakePublisher())
    scheduler = HearthScheduler(store, delivery, clock=lambda: NOW)
    scheduler.start()
    try:
        job = scheduler.scheduler.get_job("search-index")
        assert job is not None and job.trigger.interval.total_seconds() == INDEX_EVERY_S
        for _ in range(100):  # its first run is at once
            if await store.search.pending_count() == 0:
                break
            await asyncio.sleep(0.05)
        assert await store.search.pending_count() == 0
    finally:
        scheduler.shutdown()


async def test_a_message_holding_every_word_beats_newer_ones_holding_one(store: Store):
    rows = [msg(1, GENERAL, CY, "the picnic is at the lake pavilion")]
    rows += [msg(10 + i, GENERAL, BO, f"picnic snacks idea number {i}") for i in range(30)]
    await club(store, rows)
    assert (await found(store, ANA, "picnic lake pavilion"))[0] == rows[0].content


async def test_a_backlog_is_indexed_a_part_at_a_time_and_the_answer_says_so(store: Store):
    from bot.recap.render_answer import render_answer

    rows = [msg(i, GENERAL, CY, f"picnic plan number {i}") for i in range(1, 31)]
    await club(store, rows)
    first = await search(store, GID, BO, "picnic plan", now=NOW, catch_up=10)
    assert first.pending == 20 and "Still indexing 20 older messages" in render_answer(first)
    again = await search(store, GID, BO, "picnic plan", now=NOW)
    assert again.pending == 0 and "Still indexing" not in render_answer(again)
