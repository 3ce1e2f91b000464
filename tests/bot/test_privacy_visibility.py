"""Status and export list only what the member can read: a mention of them in a channel they
cannot read is someone else's words in a room they are not in (even its channel id and time)."""

from __future__ import annotations

import datetime as dt

from bot.models import (
    ChannelRecord,
    GuildRecord,
    MemberRecord,
    Mention,
    MessageRecord,
    Overwrite,
    RoleRecord,
)
from bot.services.privacy import PrivacyService

G, STAFF = 100, 300
U, V = 1001, 1002  # U is a member; V is staff
OPEN, STAFF_ROOM = 400, 401
VIEW, HISTORY = 1 << 10, 1 << 16
T0 = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)


async def _seed(store) -> None:
    locked = (Overwrite(G, "role", deny=VIEW), Overwrite(STAFF, "role", allow=VIEW))
    rows = [
        MessageRecord(10, G, OPEN, V, T0, f"<@{U}> hi", mentions=(Mention("user", U),)),
        MessageRecord(11, G, STAFF_ROOM, V, T0, f"about <@{U}>", mentions=(Mention("user", U),)),
        MessageRecord(12, G, STAFF_ROOM, V, T0, f"<@{U}> again", mentions=(Mention("user", U),)),
    ]
    async with store.transaction():
        await store.guilds.upsert(GuildRecord(G, "Club"))
        await store.guilds.replace_roles(
            G, [RoleRecord(G, G, "@everyone", VIEW | HISTORY), RoleRecord(STAFF, G, "Staff")]
        )
        await store.channels.upsert(ChannelRecord(OPEN, G, "text", "general", overwrites=()))
        await store.channels.upsert(
            ChannelRecord(STAFF_ROOM, G, "text", "staff", overwrites=locked)
        )
        await store.members.upsert_many(
            [MemberRecord(G, U, "u", role_ids=()), MemberRecord(G, V, "v", role_ids=(STAFF,))]
        )
        await store.messages.insert_many(rows)


async def test_export_lists_mentions_only_where_the_member_can_read(store):
    await _seed(store)
    data = await PrivacyService(store).export(G, U)
    assert [m["message_id"] for m in data["mentions_of_you"]] == [10]
    assert STAFF_ROOM not in {m["channel_id"] for m in data["mentions_of_you"]}


async def test_status_counts_mentions_only_where_the_member_can_read(store):
    await _seed(store)
    status = await PrivacyService(store).status(G, U)
    assert status.counts["mentions"] == 1
    staff = await PrivacyService(store).status(G, V)
    assert staff.counts["mentions"] == 0
