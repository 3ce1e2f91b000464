"""Exports never mix guilds: a channel id the database knows under another guild is refused."""

from __future__ import annotations

import pytest

from bot.db import Store
from bot.ingest.importer import ExportFormatError, import_export
from bot.models import ChannelRecord
from tests.bot.test_importer import CHANNEL, GUILD, THREAD, counts, export, message


async def test_a_known_channel_under_another_guild_is_refused(store: Store) -> None:
    other = GUILD + 1
    async with store.transaction():
        await store.guilds.ensure(other, "Other")
        await store.channels.upsert(ChannelRecord(CHANNEL, other, "text", "general"))
    before = await counts(store)
    with pytest.raises(ExportFormatError) as caught:
        await import_export(store, export([message(1), message(2)]))
    text = str(caught.value)
    assert str(CHANNEL) in text and str(GUILD) in text and str(other) in text
    assert "\n" not in text
    assert await counts(store) == before  # nothing written, not even the guild


async def test_a_known_parent_under_another_guild_is_refused(store: Store) -> None:
    other = GUILD + 1
    async with store.transaction():
        await store.guilds.ensure(other, "Other")
        await store.channels.upsert(ChannelRecord(CHANNEL, other, "text", "general"))
    thread = export([message(1)], id=str(THREAD), type="GuildPublicThread", categoryId=str(CHANNEL))
    with pytest.raises(ExportFormatError, match=str(CHANNEL)):
        await import_export(store, thread)
    assert await store.channels.get(THREAD) is None
