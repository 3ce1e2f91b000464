"""Issue #14: every part of a delivery exactly once, across guilds, failures and changes."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.delivery.service import marker
from bot.models import DIGEST, GuildRecord, MemberRecord
from tests.bot.test_delivery import CH, MONDAY_9, FakeContent, FakePublisher, G, service

LATER = MONDAY_9 + dt.timedelta(minutes=1)


class PartsContent(FakeContent):
    """A digest of three messages and DM recaps of two."""

    def __init__(self) -> None:
        super().__init__()
        self.recaps: list[tuple[int, dt.datetime]] = []

    async def digest(self, guild_id, channel_id, since, until, *, late):
        await super().digest(guild_id, channel_id, since, until, late=late)
        return [[{"title": f"digest part {k}", "footer": {"text": "x"}}] for k in (1, 2, 3)]

    async def recap(self, guild_id, user_id, since, until):
        self.recaps.append((user_id, since))
        return [[{"title": f"recap {guild_id}/{user_id} part {k}"}] for k in (1, 2)]


class DyingPublisher(FakePublisher):
    """Dies (as a SIGKILL would) once ``die_after`` messages have been accepted."""

    def __init__(self, die_after: int | None = None) -> None:
        super().__init__()
        self.die_after = die_after
        self.titles: list[tuple[str, str]] = []

    def _send(self, target, messages, nonce):
        if self.die_after is not None and len(self.titles) >= self.die_after:
            raise SystemExit("killed")
        ids = super()._send(target, messages, nonce)
        self.titles += [(target, m[0]["title"]) for m in messages]
        return ids


async def one_guild(store):
    """Guild G, its digest in CH on Mondays at 09:00, member 1 taking weekly DM recaps."""
    async with store.transaction():
        await store.guilds.upsert(GuildRecord(G, "g"))
        await store.guilds.update_settings(G, digest_channel_id=CH, digest_hour=9)
        await store.members.upsert_many([MemberRecord(G, 1, "m1")])
        await store.members.set_dm(G, 1, True, "weekly")
    return store


@pytest.fixture
async def guild(store):
    return await one_guild(store)


async def record_manual(svc, guild_id, channel_id, ids, since):
    """A /digest post of ``since`` to now that landed as ``ids``."""
    async with svc.manual_post(guild_id, channel_id, since) as post:
        post.ids += ids
    return post.slot, post.covers


def digest_titles(pub) -> list[str]:
    return [title for target, title in pub.titles if target == f"channel:{CH}"]


@pytest.mark.parametrize("die_after", [1, 2])
async def test_a_crash_between_parts_sends_the_rest_once_in_order(guild, die_after):
    pub = DyingPublisher(die_after=die_after)
    svc, _ = service(guild, pub, PartsContent(), now=LATER)
    with pytest.raises(SystemExit):
        await svc.run_due(G)
    pub.die_after = None
    svc2, _ = service(guild, pub, PartsContent(), now=LATER + dt.timedelta(minutes=5))
    await svc2.run_due(G)
    assert digest_titles(pub) == ["digest part 1", "digest part 2", "digest part 3"]
    row = await guild.deliveries.get(G, "weekly:2026-11-23", DIGEST)
    assert row is not None and row.status == "sent" and len(row.message_ids) == 3


async def test_every_part_carries_its_own_marker_and_nonce(guild):
    pub = DyingPublisher()
    svc, _ = service(guild, pub, PartsContent(), now=LATER)
    await svc.run_due(G)
    footers = [f for t, f in pub.posts if t == f"channel:{CH}"]
    assert footers == [f"{marker('weekly:2026-11-23', G)} · {k}/3 · x" for k in (1, 2, 3)]
    assert len(set(pub.nonces)) == len(pub.nonces)  # one nonce per message sent


async def test_a_dm_of_another_guild_is_not_taken_for_this_one(guild):
    other = G + 1
    async with guild.transaction():
        await guild.guilds.upsert(GuildRecord(other, "other"))
        await guild.guilds.update_settings(other, digest_hour=9)
        await guild.members.upsert_many([MemberRecord(other, 1, "m1")])
        await guild.members.set_dm(other, 1, True, "weekly")
    pub = DyingPublisher()
    svc, _ = service(guild, pub, PartsContent(), now=LATER)
    await svc.run_due(G)  # guild A's DM to member 1 is sent
    pub.die_after = len(pub.titles)  # guild B dies before its DM goes out
    with pytest.raises(SystemExit):
        await service(guild, pub, PartsContent(), now=LATER)[0].run_due(other)
    pub.die_after = None
    await service(guild, pub, PartsContent(), now=LATER)[0].run_due(other)
    dms = [title for target, title in pub.titles if target == "dm:1"]
    assert dms == [
        f"recap {G}/1 part 1",
        f"recap {G}/1 part 2",
        f"recap {other}/1 part 1",
        f"recap {other}/1 part 2",
    ]


async def test_moving_the_digest_channel_does_not_post_the_period_again(guild):
    pub = DyingPublisher()
    svc, clock = service(guild, pub, PartsContent(), now=LATER)
    await svc.run_due(G)
    async with guild.transaction():
        await guild.guilds.update_settings(G, digest_channel_id=CH + 1)
    clock["now"] += dt.timedelta(hours=1)
    report = await svc.run_due(G)
    assert [t for t, _ in pub.posts if t.startswith("channel:")] == [f"channel:{CH}"] * 3
    assert "digest" in report.skipped


async def test_a_manual_post_is_in_the_ledger_and_the_next_digest_starts_after_it(guild):
    pub, content = DyingPublisher(), PartsContent()
    manual_at = MONDAY_9 - dt.timedelta(days=1)
    svc, clock = service(guild, pub, content, now=manual_at)
    slot, covers = await record_manual(svc, G, CH, (555,), manual_at - dt.timedelta(7))
    assert covers and slot is not None and slot.at == MONDAY_9  # the reply names it
    rows = [d for d in await guild.deliveries.list(G) if d.manual]
    assert [(str(r.target), r.status, r.message_ids) for r in rows] == [("digest", "sent", (555,))]
    clock["now"] = LATER
    await svc.run_due(G)
    since, until, _ = content.windows[-1]
    assert since == manual_at and until == MONDAY_9  # the day after the post, not the week
    dm_since = [w for w in content.recaps if w[0] == 1][-1][1]
    assert dm_since == MONDAY_9 - dt.timedelta(days=7)  # DM recaps still cover the week


async def test_a_moved_weekday_does_not_repeat_days(guild):
    pub, content = DyingPublisher(), PartsContent()
    svc, clock = service(guild, pub, content, now=LATER)
    await svc.run_due(G)  # Monday's digest covers the week before Monday 09:00
    async with guild.transaction():
        await guild.guilds.update_settings(G, digest_weekday=2)  # now Wednesdays
    clock["now"] = MONDAY_9 + dt.timedelta(days=2, minutes=1)
    await svc.run_due(G)
    since, until, _ = content.windows[-1]
    assert since == MONDAY_9 and until == MONDAY_9 + dt.timedelta(days=2)


async def test_a_short_manual_post_leaves_the_week_to_the_schedule(guild):
    pub, content = DyingPublisher(), PartsContent()
    svc, clock = service(guild, pub, content, now=LATER)
    await svc.run_due(G)  # Monday's digest
    clock["now"] = MONDAY_9 + dt.timedelta(days=5)
    _, covers = await record_manual(svc, G, CH, (777,), clock["now"] - dt.timedelta(1))
    assert not covers  # it left out Monday to Friday
    clock["now"] = MONDAY_9 + dt.timedelta(days=7, minutes=1)
    await svc.run_due(G)
    since, until, _ = content.windows[-1]
    assert since == MONDAY_9 and until == MONDAY_9 + dt.timedelta(days=7)
