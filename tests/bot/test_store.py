"""The store: migrations, file mode, idempotent writes, privacy filters, tombstones."""

from __future__ import annotations

import datetime as dt
import os
import stat

import pytest

from bot.db import Store, StoreError
from bot.db.connection import migrations
from bot.models import (
    ChannelRecord,
    GuildRecord,
    MemberRecord,
    Mention,
    MessageRecord,
    Overwrite,
    ReactionRecord,
)
from tests.conftest import T0

G, CH, U1, U2 = 1, 10, 100, 200


def msg(
    mid: int, *, author: int = U1, channel: int = CH, content: str = "hi", **kw
) -> MessageRecord:
    return MessageRecord(
        id=mid,
        guild_id=G,
        channel_id=channel,
        author_id=author,
        created_at=T0 + dt.timedelta(minutes=mid),
        content=content,
        **kw,
    )


async def seed(store: Store) -> None:
    async with store.transaction():
        await store.guilds.upsert(GuildRecord(G, "Kitchen Table", U1))
        await store.channels.upsert(ChannelRecord(CH, G, "text", "general", overwrites=()))
        await store.members.upsert_many(
            [MemberRecord(G, U1, "aiko"), MemberRecord(G, U2, "ben", role_ids=(7,))]
        )


async def test_new_database_is_private_wal_and_migrated(tmp_path):
    path = tmp_path / "sub" / "h.db"
    async with await Store.open(str(path)) as store:
        assert await store.schema_version() == len(migrations())
        async with store.conn.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"
        async with store.conn.execute("PRAGMA foreign_keys") as cur:
            assert (await cur.fetchone())[0] == 1
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


async def test_reopen_does_not_reapply_migrations(tmp_path):
    path = str(tmp_path / "h.db")
    async with await Store.open(path) as store:
        await seed(store)
    async with await Store.open(path) as store:
        assert (await store.guilds.get(G)).name == "Kitchen Table"


async def test_newer_schema_is_refused(tmp_path):
    path = str(tmp_path / "h.db")
    async with await Store.open(path) as store:
        await store.conn.execute("PRAGMA user_version=999")
    with pytest.raises(StoreError, match="newer than this Hearth"):
        await Store.open(path)


async def test_garbage_file_gives_clear_error(tmp_path):
    path = tmp_path / "h.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match=str(path)):
        await Store.open(str(path))


async def test_insert_is_idempotent_and_counts_new(store):
    await seed(store)
    batch = [msg(1, mentions=(Mention("user", U2),)), msg(2, reply_to_id=1)]
    async with store.transaction():
        assert await store.messages.insert_many(batch) == 2
    async with store.transaction():
        assert await store.messages.insert_many([*batch, msg(3)]) == 1
    stats = await store.stats.archive(G)
    assert (stats.messages, stats.mentions) == (3, 1)
    assert (await store.messages.get(2)).reply_to_id == 1


async def test_newer_edit_replaces_content_older_does_not(store):
    await seed(store)
    async with store.transaction():
        await store.messages.insert_many([msg(1, content="v1")])
        await store.messages.insert_many(
            [msg(1, content="v2", edited_at=T0 + dt.timedelta(hours=1))]
        )
        await store.messages.insert_many([msg(1, content="old", edited_at=T0)])
    assert (await store.messages.get(1)).content == "v2"


async def test_paused_member_and_excluded_channel_store_nothing(store):
    await seed(store)
    thread = ChannelRecord(11, G, "thread", "t", parent_id=CH)
    async with store.transaction():
        await store.channels.upsert(thread)
        await store.members.set_logging_paused(G, U2, True)
        await store.messages.insert_many([msg(1), msg(2, author=U2)])
        await store.messages.add_reactions(
            [ReactionRecord(1, U2, "👍"), ReactionRecord(1, U1, "🎉")]
        )
        await store.channels.set_excluded(CH, True)
        # Excluding a channel excludes its threads too.
        assert await store.messages.insert_many([msg(3), msg(4, channel=11)]) == 0
    assert [r.user_id for r in await store.messages.reactions(1)] == [U1]
    assert await store.messages.get(2) is None
    assert [c.id for c in await store.channels.tracked(G)] == []


async def test_delete_keeps_tombstone_without_content(store):
    await seed(store)
    async with store.transaction():
        await store.messages.insert_many(
            [msg(1, content="secret", mentions=(Mention("user", U2),))]
        )
        await store.messages.add_reactions([ReactionRecord(1, U2, "👍")])
        assert await store.messages.delete([1, 999]) == 1
        # A late re-import of the deleted message does not bring it back.
        await store.messages.insert_many(
            [msg(1, content="secret", edited_at=T0 + dt.timedelta(days=1))]
        )
    gone = await store.messages.get(1)
    assert gone.deleted and gone.content == "" and gone.mentions == ()
    assert await store.messages.reactions(1) == []


async def test_thread_delete_empties_its_messages(store):
    await seed(store)
    async with store.transaction():
        await store.channels.upsert(ChannelRecord(11, G, "thread", "t", parent_id=CH))
        await store.messages.insert_many([msg(1, channel=11, content="x"), msg(2, content="y")])
        assert await store.channels.mark_deleted(11) == 1
    assert (await store.messages.get(1)).content == ""
    assert (await store.messages.get(2)).content == "y"


async def test_channel_overwrites_round_trip_and_excluded_survives_update(store):
    await seed(store)
    ow = (Overwrite(G, "role", 0, 1024), Overwrite(7, "role", 1024, 0))
    async with store.transaction():
        await store.channels.upsert(ChannelRecord(12, G, "text", "staff", overwrites=ow))
        await store.channels.set_excluded(12, True)
        await store.channels.upsert(ChannelRecord(12, G, "text", "staff-renamed", overwrites=ow))
    got = await store.channels.get(12)
    assert got.overwrites == ow and got.excluded and got.name == "staff-renamed"


async def test_members_keep_preferences_and_roles(store):
    await seed(store)
    async with store.transaction():
        await store.members.set_dm(G, U1, True, "daily")
        await store.members.upsert(MemberRecord(G, U1, "aiko", "Aiko ✿", role_ids=(5, 6)))
        await store.members.mark_left(G, U2, T0)
    aiko = await store.members.get(G, U1)
    assert aiko.dm_opt_in and aiko.dm_cadence == "daily" and aiko.label == "Aiko ✿"
    assert await store.members.role_ids(G, U1) == {5, 6}
    assert (await store.members.get(G, U2)).left_at == T0
    assert [m.user_id for m in await store.members.list(G, present_only=True)] == [U1]
    assert [m.user_id for m in await store.members.find(G, "AIKO ✿")] == [U1]


async def test_window_streams_messages_with_mentions(store):
    await seed(store)
    async with store.transaction():
        await store.messages.insert_many(
            [msg(i, mentions=(Mention("user", U2), Mention("role", 7))) for i in range(1, 6)]
        )
        await store.messages.delete([3])
    since, until = T0 + dt.timedelta(minutes=2), T0 + dt.timedelta(minutes=5)
    got = [m async for m in store.messages.iter_window(G, since, until)]
    assert [m.id for m in got] == [2, 4]
    assert set(got[0].mentions) == {Mention("user", U2), Mention("role", 7)}


async def test_cursor_is_explicit_and_never_moves_back(store):
    await seed(store)
    async with store.transaction():
        await store.messages.insert_many([msg(5), msg(9)])  # live messages set no cursor
    assert await store.cursors.get(CH) is None
    async with store.transaction():
        await store.cursors.advance(CH, 20)
        await store.cursors.advance(CH, 15)
    assert await store.cursors.get(CH) == 20


async def test_settings_update_validates_names(store):
    await seed(store)
    async with store.transaction():
        await store.guilds.update_settings(G, timezone="Asia/Tokyo", digest_hour=18)
    s = await store.guilds.settings(G)
    assert (s.timezone, s.digest_hour, s.digest_weekday) == ("Asia/Tokyo", 18, 0)
    with pytest.raises(ValueError, match="unknown"):
        await store.guilds.update_settings(G, owner_id=1)


async def test_failed_transaction_rolls_back(store):
    await seed(store)
    with pytest.raises(RuntimeError):
        async with store.transaction():
            await store.messages.insert_many([msg(1)])
            raise RuntimeError("boom")
    assert await store.messages.get(1) is None
