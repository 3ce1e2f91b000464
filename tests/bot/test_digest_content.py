"""What a scheduled delivery contains, from the real recap engine over a real store."""

from __future__ import annotations

import datetime as dt

from bot.delivery.content import RecapContent
from bot.ingest.importer import import_export
from bot.recap import RecapService
from bot.recap.summarize.extractive import ExtractiveSummarizer
from bot.sample import build_exports
from tests.bot.test_importer import ALICE, BOB, CHANNEL, GUILD, export, message

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


async def sample(store) -> tuple[int, int]:
    exports = build_exports(NOW)
    for one in exports:
        await import_export(store, one)
    return int(exports[0]["guild"]["id"]), int(exports[0]["channel"]["id"])


async def test_a_busy_week_is_embeds_and_a_late_one_says_so(store):
    guild, general = await sample(store)
    content = RecapContent(RecapService(store, ExtractiveSummarizer()))
    week = (NOW - dt.timedelta(days=7), NOW)
    on_time = await content.digest(guild, general, *week, late=False)
    late = await content.digest(guild, general, *week, late=True)
    assert on_time and all(len(message) <= 10 for message in on_time)
    assert "offline" not in str(on_time) and "offline at the scheduled time" in str(late)


async def test_a_quiet_week_posts_nothing_unless_configured(store):
    guild, general = await sample(store)
    quiet = (NOW + dt.timedelta(days=30), NOW + dt.timedelta(days=37))
    service = RecapService(store, ExtractiveSummarizer())
    assert await RecapContent(service).digest(guild, general, *quiet, late=False) == []
    posted = await RecapContent(service, post_empty=True).digest(guild, general, *quiet, late=False)
    assert "quiet" in str(posted).lower()
    (member,) = await store.members.find(guild, "noor")
    assert await RecapContent(service).recap(guild, member.user_id, *quiet) == []


async def test_a_rapid_exchange_between_two_members_is_one_conversation_in_the_digest(store):
    texts = ["a_b *c* see https://example.org/x", "ok ~~fine~~", "great, see you", "bye"]
    messages = [message(i, author=(ALICE, BOB)[i % 2], content=t) for i, t in enumerate(texts)]
    await import_export(store, export(messages))
    content = RecapContent(RecapService(store, ExtractiveSummarizer()))
    week = (dt.datetime(2026, 10, 30, tzinfo=dt.UTC), dt.datetime(2026, 11, 6, tzinfo=dt.UTC))
    assert await content.digest(GUILD, CHANNEL, *week, late=False)
