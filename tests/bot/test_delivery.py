"""Exactly-once deliveries against fakes of our own boundaries (Publisher, Content).

The same service runs against the real discord.py client and the Discord double in
tests/e2e; here the clock, crashes and failures are easy to control.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.delivery.service import (
    DeliveryError,
    DeliveryService,
    DMClosedError,
    TransientDeliveryError,
    marker,
    stamp,
)
from bot.models import GuildRecord, MemberRecord

G, CH = 1, 10
MONDAY_9 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


class FakePublisher:
    def __init__(self) -> None:
        self.posts: list[tuple[str, str]] = []
        self.closed: set[int] = set()
        self.fail_next = 0
        self.crash_after_send = False
        self.next_id = 1000
        self.nonces: list[str] = []

    def _ids(self, messages) -> tuple[int, ...]:
        self.next_id += len(messages)
        return tuple(range(self.next_id - len(messages), self.next_id))

    async def post(self, channel_id, messages, *, nonce):
        return self._send(f"channel:{channel_id}", messages, nonce)

    async def dm(self, user_id, messages, *, nonce):
        if user_id in self.closed:
            raise DMClosedError
        return self._send(f"dm:{user_id}", messages, nonce)

    def _send(self, target, messages, nonce):
        if self.fail_next:
            self.fail_next -= 1
            raise TransientDeliveryError("503 Service Unavailable")
        self.posts.append((target, messages[0][0]["footer"]["text"]))
        self.nonces.append(nonce)
        if self.crash_after_send:
            raise SystemExit("killed")  # the process dies after Discord accepted the message
        return self._ids(messages)

    async def find_marker(self, place, mark, *, since):
        return tuple(
            i for i, (t, footer) in enumerate(self.posts) if t == str(place) and mark in footer
        )


class FakeContent:
    def __init__(self, empty=False) -> None:
        self.empty = empty
        self.windows: list[tuple[dt.datetime, dt.datetime, bool]] = []

    async def digest(self, guild_id, channel_id, since, until, *, late):
        self.windows.append((since, until, late))
        return [] if self.empty else [[{"title": "digest", "footer": {"text": "x"}}]]

    async def recap(self, guild_id, user_id, since, until):
        return [[{"title": f"recap {user_id}"}]]

    async def prepare(self, guild_id, user_ids, since, until):
        self.prepared = sorted(user_ids)
        self.batches = [*getattr(self, "batches", []), sorted(user_ids)]


@pytest.fixture
async def guild(store):
    async with store.transaction():
        await store.guilds.upsert(GuildRecord(G, "g"))
        await store.guilds.update_settings(G, digest_channel_id=CH, digest_hour=9)
        await store.members.upsert_many([MemberRecord(G, u, f"m{u}") for u in (1, 2, 3, 4)])
        for u in (1, 2, 3):
            await store.members.set_dm(G, u, True, "weekly")
        await store.members.mark_left(G, 3, MONDAY_9)  # left: gets nothing
    return store


def service(store, publisher, content=None, now=MONDAY_9, **kw):
    clock = {"now": now}
    svc = DeliveryService(
        store,
        content or FakeContent(),
        publisher,
        clock=lambda: clock["now"],
        dm_interval=0,
        retry_base=0,
        **kw,
    )
    return svc, clock


async def test_one_digest_and_one_dm_per_opted_in_member(guild):
    pub = FakePublisher()
    svc, clock = service(guild, pub, now=MONDAY_9 + dt.timedelta(minutes=1))
    report = await svc.run_due(G)
    assert sorted(t for t, _ in pub.posts) == ["channel:10", "dm:1", "dm:2"]
    assert all(marker("weekly:2026-11-23", G) in footer for _, footer in pub.posts)
    assert not report.late
    clock["now"] += dt.timedelta(hours=3)
    again = await svc.run_due(G)
    assert len(pub.posts) == 3 and sorted(again.skipped) == ["digest", "dm:1", "dm:2"]


async def test_crash_after_send_is_not_repeated_on_restart(guild):
    pub = FakePublisher()
    pub.crash_after_send = True
    svc, _ = service(guild, pub)
    with pytest.raises(SystemExit):
        await svc.run_due(G)
    pub.crash_after_send = False
    svc2, _ = service(guild, pub)  # a new process
    await svc2.run_due(G)
    assert sorted(t for t, _ in pub.posts) == ["channel:10", "dm:1", "dm:2"]
    rows = {str(d.target): d.status for d in await guild.deliveries.list(G)}
    assert rows == {"digest": "sent", "dm:1": "sent", "dm:2": "sent"}


async def test_downtime_catch_up_within_grace_says_late(guild):
    pub, content = FakePublisher(), FakeContent()
    svc, _ = service(guild, pub, content, now=MONDAY_9 + dt.timedelta(hours=20))
    report = await svc.run_due(G)
    assert report.late and content.windows[0][2] is True
    assert "digest" in report.sent


async def test_beyond_grace_nothing_is_sent(guild):
    pub = FakePublisher()
    svc, _ = service(guild, pub, now=MONDAY_9 + dt.timedelta(hours=30))
    await svc.run_due(G)
    assert pub.posts == []


async def test_closed_dms_are_recorded_not_retried(guild):
    pub = FakePublisher()
    pub.closed.add(2)
    svc, clock = service(guild, pub)
    report = await svc.run_due(G)
    assert report.closed == ["dm:2"]
    clock["now"] += dt.timedelta(minutes=5)
    await svc.run_due(G)
    assert [t for t, _ in pub.posts].count("dm:2") == 0
    assert (await guild.deliveries.unnotified_dm_failure(G, 2)) is not None


async def test_transient_failures_are_retried_then_recorded(guild):
    pub = FakePublisher()
    pub.fail_next = 2
    svc, _ = service(guild, pub)
    report = await svc.run_due(G)
    assert "digest" in report.sent  # third attempt succeeded
    pub.fail_next = 99
    svc2, _ = service(guild, pub, now=MONDAY_9 + dt.timedelta(days=7))
    report = await svc2.run_due(G)
    assert set(report.failed) == {"digest", "dm:1", "dm:2"}


async def test_empty_week_posts_nothing_unless_configured(guild):
    pub = FakePublisher()
    svc, _ = service(guild, pub, FakeContent(empty=True))
    report = await svc.run_due(G)
    assert report.empty == ["digest"] and [t for t, _ in pub.posts] == ["dm:1", "dm:2"]


async def test_missed_week_widens_the_next_window(guild):
    pub, content = FakePublisher(), FakeContent()
    svc, clock = service(guild, pub, content)
    await svc.run_due(G)
    clock["now"] = MONDAY_9 + dt.timedelta(days=14, minutes=1)  # the week in between was missed
    await svc.run_due(G)
    since, until, _ = content.windows[-1]
    assert (since, until) == (MONDAY_9, MONDAY_9 + dt.timedelta(days=14))


class ExplodingContent(FakeContent):
    async def recap(self, guild_id, user_id, since, until):
        if user_id == 1:
            raise RuntimeError("summarizer bug")
        return await super().recap(guild_id, user_id, since, until)


async def test_one_broken_target_does_not_stop_the_others(guild):
    pub = FakePublisher()
    svc, _ = service(guild, pub, ExplodingContent())
    report = await svc.run_due(G)
    assert report.failed == ["dm:1"]
    assert sorted(t for t, _ in pub.posts) == ["channel:10", "dm:2"]
    assert {str(d.target): d.status for d in await guild.deliveries.list(G)}["dm:1"] == "failed"


async def test_a_refused_payload_is_not_retried(guild):
    pub = FakePublisher()

    async def refuse(channel_id, messages, *, nonce):
        pub.refusals += 1
        raise DeliveryError("HTTP 400 (50035)")

    pub.refusals = 0
    pub.post = refuse
    svc, _ = service(guild, pub)
    report = await svc.run_due(G)
    assert report.failed == ["digest"] and pub.refusals == 1


async def test_a_crash_while_retrying_a_failed_delivery_is_reconciled(guild):
    pub = FakePublisher()
    pub.fail_next = 99
    svc, clock = service(guild, pub)
    await svc.run_due(G)  # everything failed
    pub.fail_next = 0
    pub.crash_after_send = True
    clock["now"] += dt.timedelta(hours=1)
    with pytest.raises(SystemExit):
        await svc.run_due(G)  # the retry of the digest is posted, then the process dies
    pub.crash_after_send = False
    await service(guild, pub, now=clock["now"])[0].run_due(G)
    assert [t for t, _ in pub.posts].count("channel:10") == 1


def test_the_marker_fits_in_a_full_message():
    full = [[{"title": "t" * 256, "description": "d" * 3000}, {"description": "e" * 2744}]]
    stamped = stamp(full, marker("weekly:2026-11-23", G))
    size = sum(len(e.get("title", "")) + len(e.get("description", "")) for e in stamped[0])
    size += len(stamped[0][0]["footer"]["text"])
    assert size <= 6000 and stamped[0][0]["footer"]["text"].startswith("Hearth · weekly:")


async def test_pending_recaps_are_prepared_in_one_batch(guild):
    pub, content = FakePublisher(), FakeContent()
    pub.closed.add(2)
    svc, clock = service(guild, pub, content)
    await svc.run_due(G)
    assert content.batches == [[1, 2]]  # opted in and present (3 left, 4 did not opt in)
    clock["now"] += dt.timedelta(minutes=5)
    await svc.run_due(G)
    assert content.batches == [[1, 2]]  # both are final now: nothing to build again


def test_rendering_leaves_room_for_the_marker_so_nothing_is_cut():
    from bot.delivery.marks import MARK_ROOM
    from bot.recap.embeds import MESSAGE_TOTAL, embed_size, pack

    longest = f"{marker('weekly:2026-11-23', G)} · 10/10 · "
    assert len(longest) <= MARK_ROOM
    embeds = [{"title": f"item {k}", "description": "d" * 990} for k in range(12)]
    messages = pack(embeds, reserve=MARK_ROOM)
    for message in stamp(messages, marker("weekly:2026-11-23", G)):
        assert sum(embed_size(e) for e in message) <= MESSAGE_TOTAL
        assert all(not e.get("description", "").endswith("…") for e in message)  # not cut
