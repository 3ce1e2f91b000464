"""/ask never answers with a message the asker cannot read: random guilds, the same
independent reference of Discord's permission rules the recap property tests use (#18)."""

from __future__ import annotations

import asyncio
import datetime as dt

from hypothesis import HealthCheck, given, settings

from bot.db import Store
from bot.models import ChannelRecord, GuildRecord, MemberRecord, MessageRecord, RoleRecord
from bot.recap.ask import search
from bot.timeutil import snowflake_at
from tests.bot.recap.test_visibility import GID, World, reference_can_read, worlds

AUTHOR = 50  # a plain member who writes one message in every channel
T0 = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)


async def _asked(w: World) -> dict[int, set[int]]:
    """Channels of the passages /ask gives each member for the word every message holds."""
    async with await Store.open(":memory:") as store:
        async with store.transaction():
            await store.guilds.upsert(GuildRecord(GID, "g", owner_id=w.owner))
            await store.guilds.replace_roles(
                GID, [RoleRecord(r, GID, f"r{r}", p) for r, p in w.role_perms.items()]
            )
            for cid, (kind, parent, ows) in w.channels.items():
                await store.channels.upsert(
                    ChannelRecord(
                        cid, GID, kind, f"c{cid}", parent_id=parent, overwrites=tuple(ows)
                    )
                )
            for tid, people in w.thread_members.items():
                await store.channels.replace_thread_members(tid, people)
            await store.members.upsert_many(
                [
                    MemberRecord(GID, u, f"u{u}", is_bot=u in w.bots, role_ids=tuple(roles))
                    for u, roles in w.member_roles.items()
                ]
                + [MemberRecord(GID, AUTHOR, "author", role_ids=())]
            )
            for u in w.left:
                await store.members.mark_left(GID, u, T0)
            await store.messages.insert_many(
                [
                    MessageRecord(
                        snowflake_at(T0, i), GID, cid, AUTHOR, T0, f"zebra crossing in c{cid}"
                    )
                    for i, cid in enumerate(w.channels)
                ]
            )
        asked = {}
        for user in [*w.member_roles, 999]:
            answer = await search(store, GID, user, "zebra", limit=50, now=T0)
            asked[user] = {p.channel_id for p in answer.passages}
        return asked


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_ask_answers_only_from_channels_the_member_can_read(w: World):
    asked = asyncio.run(_asked(w))
    for user, channels in asked.items():
        expected = {c for c in w.channels if reference_can_read(w, user, c)}
        assert channels == expected, (user, channels, expected)
