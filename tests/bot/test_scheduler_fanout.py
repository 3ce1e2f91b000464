"""Many guilds due at the same moment (a hosted instance): their runs are paced, not a burst."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.delivery.scheduler import HearthScheduler
from bot.models import GuildRecord, MemberRecord
from tests.bot.test_delivery import MONDAY_9, FakeContent, FakePublisher, service

GUILDS = range(1, 9)


class SlowContent(FakeContent):
    """Records how many guild runs build content at the same time."""

    def __init__(self) -> None:
        super().__init__()
        self.running = 0
        self.peak = 0

    async def digest(self, guild_id, channel_id, since, until, *, late):
        self.running += 1
        self.peak = max(self.peak, self.running)
        await asyncio.sleep(0.02)  # the work of one guild's digest
        self.running -= 1
        return await super().digest(guild_id, channel_id, since, until, late=late)


async def test_guilds_due_together_run_a_few_at_a_time(store):
    async with store.transaction():
        for g in GUILDS:
            await store.guilds.upsert(GuildRecord(g, f"g{g}"))
            await store.guilds.update_settings(g, digest_channel_id=100 + g, digest_hour=9)
            await store.members.upsert_many([MemberRecord(g, 1000 + g, "m")])
            await store.members.set_dm(g, 1000 + g, True, "weekly")
    content, publisher = SlowContent(), FakePublisher()
    delivery, _ = service(store, publisher, content, now=MONDAY_9 + dt.timedelta(minutes=1))
    scheduler = HearthScheduler(store, delivery, clock=lambda: MONDAY_9, max_parallel=2)
    reports = await asyncio.gather(*(scheduler.run_now(g, ("weekly",)) for g in GUILDS))
    assert content.peak == 2  # paced: never all eight at once, but not one by one either
    assert sorted(t for r in reports for t in r[0].sent) == sorted(
        ["digest" for g in GUILDS] + [f"dm:{1000 + g}" for g in GUILDS]
    )
