"""RecapService end to end over a real SQLite file: visibility, sharing, cache, digest."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.db import Store
from bot.models import (
    ChannelRecord,
    GuildRecord,
    MemberRecord,
    Mention,
    MessageRecord,
    Overwrite,
    ReactionRecord,
    RoleRecord,
)
from bot.recap import RecapService, render_embeds, render_markdown
from bot.recap.types import Conversation, KeyMessage, Summary
from bot.services.privacy import PrivacyService
from bot.timeutil import snowflake_at

GID = 1000
MODS = 7
VIEW, HISTORY = 1 << 10, 1 << 16
T0 = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
SINCE, UNTIL = T0, T0 + dt.timedelta(days=7)
GENERAL, SECRET, THREAD, PRIVATE, DIGEST = 10, 11, 12, 13, 14


class FakeSummarizer:
    """Quotes every line; counts calls; can be told to fail."""

    name = "fake"
    model = "v1"

    def __init__(self, *, fail: bool = False) -> None:
        self.calls: list[str] = []
        self.fail = fail

    async def summarize(
        self, conversation: Conversation, *, language: str | None = None
    ) -> Summary:
        self.calls.append(conversation.key)
        if self.fail:
            raise RuntimeError("backend down")
        return Summary(
            title=f"talk in {conversation.name}",
            points=tuple(
                KeyMessage(x.message_id, x.author_id, x.author_name, x.content)
                for x in conversation.lines
            ),
            language=language or "en",
            backend=self.name,
            model=self.model,
        )


class Seeder:
    def __init__(self) -> None:
        self.messages: list[MessageRecord] = []
        self.n = 0

    def add(self, channel, author, minutes, content, *, reply=None, users=(), at=None):
        self.n += 1
        when = at or T0 + dt.timedelta(minutes=minutes)
        record = MessageRecord(
            id=snowflake_at(when, self.n),
            guild_id=GID,
            channel_id=channel,
            author_id=author,
            created_at=when,
            content=content,
            reply_to_id=reply,
            mentions=tuple(Mention("user", u) for u in users),
        )
        self.messages.append(record)
        return record.id


async def seed(store: Store) -> dict[str, int]:
    """Ana(1, mods), Bo(2), Cy(3), Di(4, mods), Eve(5, joined this week), bot(9)."""
    lock = Overwrite(GID, "role", deny=VIEW)
    mods = Overwrite(MODS, "role", allow=VIEW)
    s = Seeder()
    ids: dict[str, int] = {}
    async with store.transaction():
        await store.guilds.upsert(GuildRecord(GID, "Hearthside", owner_id=None))
        await store.guilds.replace_roles(
            GID, [RoleRecord(GID, GID, "@everyone", VIEW | HISTORY), RoleRecord(MODS, GID, "mods")]
        )
        for record in (
            ChannelRecord(GENERAL, GID, "text", "general", overwrites=()),
            ChannelRecord(SECRET, GID, "text", "secret", overwrites=(lock, mods)),
            ChannelRecord(THREAD, GID, "thread", "game night", parent_id=GENERAL, created_at=T0),
            ChannelRecord(PRIVATE, GID, "private_thread", "surprise", parent_id=GENERAL),
            ChannelRecord(DIGEST, GID, "text", "digest", overwrites=()),
        ):
            await store.channels.upsert(record)
        await store.channels.add_thread_members(PRIVATE, [1, 2])
        await store.members.upsert_many(
            [
                MemberRecord(GID, 1, "ana", "Ana", role_ids=(MODS,)),
                MemberRecord(GID, 2, "bo", "Bo"),
                MemberRecord(GID, 3, "cy", "Cy"),
                MemberRecord(GID, 4, "di", "Di", role_ids=(MODS,)),
                MemberRecord(GID, 5, "eve", "Eve", joined_at=T0 + dt.timedelta(days=1)),
                MemberRecord(GID, 9, "hearth", "Hearth", is_bot=True),
            ]
        )
        ids["old"] = s.add(GENERAL, 3, 0, "old plan from last week", at=T0 - dt.timedelta(days=2))
        ids["q"] = s.add(GENERAL, 1, 0, "who is up for board games on friday?")
        s.add(GENERAL, 2, 1, "me! I'll bring wingspan", reply=ids["q"])
        s.add(GENERAL, 4, 2, "<@1> count me in, see <#11>", users=[1])
        ids["late"] = s.add(GENERAL, 2, 200, "following up on that", reply=ids["old"])
        budget = s.add(SECRET, 1, 10, "secret: mods only budget talk")
        s.add(SECRET, 4, 11, "agreed on the budget", reply=budget)
        s.add(PRIVATE, 1, 20, "surprise party for Di!")
        s.add(PRIVATE, 2, 21, "yes, cake")
        s.add(THREAD, 3, 300, "is the ramen place open late?")
        s.add(THREAD, 9, 301, "bot noise")
        s.add(GENERAL, 2, 20000, "after the window", at=UNTIL + dt.timedelta(hours=1))
        await store.messages.insert_many(s.messages)
        await store.messages.add_reactions([ReactionRecord(s.messages[2].id, 1, "👍")])
    return ids


def shown_ids(recap) -> set[int]:
    ids = {p.message_id for i in recap.items for p in i.summary.points}
    ids |= {r.message_id for r in recap.waiting_for_you}
    return ids | {r.message_id for r in recap.questions_you_could_answer}


async def test_recaps_and_digest_share_one_summary_per_conversation(store: Store):
    await seed(store)
    fake = FakeSummarizer()
    service = RecapService(store, fake)
    result = await service.run(GID, SINCE, UNTIL, member_ids=[1, 2, 3, 4, 5], digest=True)
    shown = {i.key for r in result.recaps.values() for i in r.items}
    shown |= {i.key for i in result.digest.items}
    assert sorted(fake.calls) == sorted(shown)  # once each, only what someone is shown
    assert len(shown) >= 3
    again = await RecapService(store, fake).recaps(GID, [1, 2, 3, 4, 5], SINCE, UNTIL)
    assert len(fake.calls) == len(shown)  # the second run is all cache hits
    assert again[1].items == result.recaps[1].items


async def test_no_one_sees_what_they_cannot_read(store: Store):
    await seed(store)
    service = RecapService(store, FakeSummarizer())
    recaps = await service.recaps(GID, [1, 2, 3], SINCE, UNTIL)
    texts = {u: render_markdown(r) + repr(render_embeds(r)) for u, r in recaps.items()}
    assert "budget" in texts[1] and "surprise party" in texts[1]
    assert "budget" not in texts[2] and "surprise party" in texts[2]  # Bo is in the thread
    assert "budget" not in texts[3] and "surprise" not in texts[3] and "cake" not in texts[3]
    assert "#unknown-channel" in texts[3] and "#secret" in texts[1]
    assert "bot noise" not in "".join(texts.values())
    assert "after the window" not in "".join(texts.values())
    assert recaps[3].counts.messages == 5  # #general and the public thread, no bot, no secrets


async def test_digest_shows_only_what_all_its_readers_can_read(store: Store):
    await seed(store)
    digest = await RecapService(store, FakeSummarizer()).digest(
        GID, SINCE, UNTIL, channel_id=DIGEST
    )
    text = render_markdown(digest)
    assert "budget" not in text and "surprise" not in text and "cake" not in text
    assert [t.name for t in digest.new_threads] == ["game night"]
    assert [j.name for j in digest.joined] == ["Eve"]
    assert [u.text for u in digest.unanswered] == ["is the ramen place open late?"]
    assert digest.activity.line == "5 messages from 4 members in 1 channel; busiest: #general"
    assert digest.items and all(i.channel_id in {GENERAL, THREAD} for i in digest.items)
    await store.guilds.update_settings(GID, digest_channel_id=SECRET)
    mods_only = await RecapService(store, FakeSummarizer()).digest(GID, SINCE, UNTIL)
    assert mods_only.channel_id == SECRET and mods_only.activity.messages == 7


async def test_reasons_reach_the_recap(store: Store):
    ids = await seed(store)
    async with store.transaction():
        assert await store.recap.add_interest(GID, 4, "ramen")
    recaps = await RecapService(store, FakeSummarizer()).recaps(GID, [1, 3, 4], SINCE, UNTIL)
    ana = {r.code for i in recaps[1].items for r in i.reasons}
    assert {"answered", "mentioned", "took_part"} <= ana
    waiting = [w.text for w in recaps[1].waiting_for_you]
    assert waiting == ["agreed on the budget", "<@1> count me in, see <#11>"]  # newest first
    # a reply to Cy's message from before the window is still a reply to Cy
    cy = {r.text for i in recaps[3].items for r in i.reasons}
    assert "Bo replied to you" in cy
    di = {r.text for i in recaps[4].items for r in i.reasons}
    assert "about ramen" in di
    questions = [q.text for q in recaps[4].questions_you_could_answer]
    assert questions == ["is the ramen place open late?"]
    assert ids["late"] in shown_ids(recaps[3])


async def test_an_edit_invalidates_only_that_conversation(store: Store):
    ids = await seed(store)
    fake = FakeSummarizer()
    await RecapService(store, fake).recap(GID, 1, SINCE, UNTIL)
    first = len(fake.calls)
    async with store.transaction():
        await store.messages.edit(ids["q"], "who is up for chess on friday?", UNTIL)
    recap = await RecapService(store, fake).recap(GID, 1, SINCE, UNTIL)
    assert len(fake.calls) == first + 1
    assert any("chess" in p.text for i in recap.items for p in i.summary.points)
    key = next(i.key for i in recap.items if any("chess" in p.text for p in i.summary.points))
    async with store.conn.execute(
        "SELECT COUNT(*) FROM summary_cache WHERE conversation_key = ?", (key,)
    ) as cur:
        assert (await cur.fetchone())[0] == 1  # the old version's text is gone


async def test_a_failing_summarizer_falls_back_and_is_not_cached(store: Store):
    await seed(store)
    broken = FakeSummarizer(fail=True)
    recap = await RecapService(store, broken).recap(GID, 1, SINCE, UNTIL)
    assert recap.items and all(i.summary.backend == "fallback" for i in recap.items)
    assert all(i.summary.note == "summary unavailable" for i in recap.items)
    healthy = FakeSummarizer()
    await RecapService(store, healthy).recap(GID, 1, SINCE, UNTIL)
    assert len(healthy.calls) == len(recap.items)


async def test_absent_members_get_empty_recaps_and_windows_must_be_aware(store: Store):
    await seed(store)
    service = RecapService(store, FakeSummarizer())
    async with store.transaction():
        await store.members.mark_left(GID, 2, T0)
    recaps = await service.recaps(GID, [2, 404], SINCE, UNTIL)
    assert all(not r.items and r.counts.messages == 0 for r in recaps.values())
    with pytest.raises(ValueError, match="naive"):
        await service.recap(GID, 1, dt.datetime(2026, 3, 2), UNTIL)
    with pytest.raises(ValueError, match="empty window"):
        await service.recap(GID, 1, UNTIL, SINCE)


async def test_interests_and_forgetting_a_member(store: Store):
    await seed(store)
    async with store.transaction():
        assert await store.recap.add_interest(GID, 1, "  board   games ")
        assert not await store.recap.add_interest(GID, 1, "board games")
        assert not await store.recap.add_interest(GID, 404, "ghosts")  # unknown member
        assert not await store.recap.add_interest(GID, 1, "   ")
    assert await store.recap.interests(GID) == {1: ("board games",)}
    await RecapService(store, FakeSummarizer()).recap(GID, 1, SINCE, UNTIL)
    async with store.conn.execute("SELECT COUNT(*) FROM summary_cache") as cur:
        cached = (await cur.fetchone())[0]
    assert cached >= 1
    report = await PrivacyService(store).forget(GID, 1)
    assert report.ok and report.counts["member_interests"] == 1
    assert report.counts["summary_cache"] >= 1  # every summary quoting Ana
    async with store.transaction():
        assert not await store.recap.remove_interest(GID, 1, "board games")
    assert await store.recap.interests(GID) == {}
    async with store.conn.execute("SELECT payload FROM summary_cache") as cur:
        assert all('"author_id":1,' not in row[0] for row in await cur.fetchall())


async def test_a_guild_can_choose_the_offline_backend(store: Store):
    await seed(store)
    model, offline = FakeSummarizer(), FakeSummarizer()
    model.name, offline.name = "openai", "extractive"
    service = RecapService(store, model, backends={"extractive": offline, "openai": model})
    async with store.transaction():
        await store.guilds.update_settings(GID, summarizer="extractive")
    await service.run(GID, SINCE, UNTIL, member_ids=[1, 2], digest=True)
    assert model.calls == [] and offline.calls  # this guild's text never reached the model
    async with store.transaction():
        await store.guilds.update_settings(GID, summarizer="unconfigured-backend")
    await service.recaps(GID, [1], SINCE, UNTIL)
    assert model.calls  # an unknown choice falls back to the process default
