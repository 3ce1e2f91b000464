"""A member's circle ("people you talk with often") counts only what they can read.

Replies and mentions in a channel the member cannot read (in the window or in the 28-day
lookback) must not put anyone in their circle: that would tell them someone talks about them
where they cannot look.
"""

from __future__ import annotations

import datetime as dt

from bot.db import Store
from bot.models import (
    ChannelRecord,
    GuildRecord,
    MemberRecord,
    Mention,
    MessageRecord,
    Overwrite,
    RoleRecord,
)
from bot.recap import RecapService
from bot.recap.index import build_index
from bot.recap.rank import circle_of
from bot.recap.segment import segment
from bot.recap.summarize.extractive import ExtractiveSummarizer
from bot.timeutil import snowflake_at

GID, STAFF = 7000, 7001
VIEW, HISTORY = 1 << 10, 1 << 16
GENERAL, STAFF_ROOM = 7010, 7011
ANA, BO, CY, DI = 1, 2, 3, 4  # Ana and Bo are staff
T0 = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
SINCE, UNTIL = T0, T0 + dt.timedelta(days=7)
CHANNELS = {
    GENERAL: ChannelRecord(GENERAL, GID, "text", "general"),
    STAFF_ROOM: ChannelRecord(STAFF_ROOM, GID, "text", "staff"),
}


def _message(n: int, channel: int, author: int, at: dt.datetime, text: str, *, users=()):
    return MessageRecord(
        snowflake_at(at, n),
        GID,
        channel,
        author,
        at,
        text,
        mentions=tuple(Mention("user", u) for u in users),
    )


def test_window_pairs_count_only_readable_channels():
    messages = [
        _message(i, STAFF_ROOM, BO, T0 + dt.timedelta(minutes=i), f"<@{DI}> again {i}", users=[DI])
        for i in range(6)
    ]
    index = build_index(segment(messages, CHANNELS, {}), SINCE, UNTIL)
    assert circle_of(index, DI, 8, frozenset({GENERAL})) == []
    assert circle_of(index, DI, 8, frozenset({GENERAL, STAFF_ROOM})) == [BO]


def test_lookback_pairs_count_only_readable_channels():
    lookback = [(BO, DI, STAFF_ROOM, 20), (CY, DI, GENERAL, 1)]
    index = build_index([], SINCE, UNTIL, lookback=lookback)
    assert circle_of(index, DI, 8, frozenset({GENERAL})) == []
    assert circle_of(index, DI, 8, frozenset({GENERAL, STAFF_ROOM})) == [BO]


async def test_mentions_in_a_staff_room_do_not_enter_a_members_recap(store: Store):
    locked = (Overwrite(GID, "role", deny=VIEW), Overwrite(STAFF, "role", allow=VIEW))
    before = SINCE - dt.timedelta(days=3)
    rows = [  # the lookback: Bo talks about Di in the staff room, often
        _message(i, STAFF_ROOM, BO, before + dt.timedelta(minutes=i), f"<@{DI}> {i}", users=[DI])
        for i in range(20)
    ]
    rows += [  # the window: one conversation in #general with Bo, Cy and Di
        _message(100 + i, GENERAL, author, T0 + dt.timedelta(minutes=i), text)
        for i, (author, text) in enumerate(
            [
                (BO, "who is coming to the picnic on sunday?"),
                (CY, "me, I will bring lemonade for the picnic"),
                (DI, "count me in for the picnic too"),
            ]
        )
    ]
    async with store.transaction():
        await store.guilds.upsert(GuildRecord(GID, "Club", owner_id=None))
        await store.guilds.replace_roles(
            GID,
            [RoleRecord(GID, GID, "@everyone", VIEW | HISTORY), RoleRecord(STAFF, GID, "Staff")],
        )
        await store.channels.upsert(CHANNELS[GENERAL])
        await store.channels.upsert(
            ChannelRecord(STAFF_ROOM, GID, "text", "staff", overwrites=locked)
        )
        await store.members.upsert_many(
            [
                MemberRecord(GID, ANA, "ana", role_ids=(STAFF,)),
                MemberRecord(GID, BO, "bo", role_ids=(STAFF,)),
                MemberRecord(GID, CY, "cy", role_ids=()),
                MemberRecord(GID, DI, "di", role_ids=()),
            ]
        )
        await store.messages.insert_many(rows)
    service = RecapService(store, ExtractiveSummarizer())
    recaps = await service.recaps(GID, [DI, BO], SINCE, UNTIL)
    reasons = [r for item in recaps[DI].items for r in item.reasons if r.code == "circle"]
    assert reasons == []  # nothing says "with bo, people you talk with often"
