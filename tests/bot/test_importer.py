"""The DiscordChatExporter importer, against real SQLite files (no mocks of SQL)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from bot.db import Store
from bot.ingest.importer import ExportFormatError, import_export, import_file
from bot.models import ChannelRecord, Mention
from bot.timeutil import parse_iso

DATA = Path(__file__).resolve().parents[1] / "data"
GUILD, CHANNEL, CATEGORY, THREAD = (900000000000000001, 900000000000000010, 900000000000000009,
                                    900000000000000020)  # fmt: skip
ALICE, BOB, CAROL, DAVE = (800000000000000001 + i for i in range(4))


async def scalar(store: Store, query: str, *args: object) -> int:
    async with store.conn.execute(query, args) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def counts(store: Store) -> dict[str, int]:
    """Row counts of everything an import writes."""
    tables = ("guilds", "channels", "members", "messages", "mentions", "reactions")
    result = {t: await scalar(store, f"SELECT COUNT(*) FROM {t}") for t in tables}
    result["replies"] = await scalar(
        store, "SELECT COUNT(*) FROM messages WHERE reply_to_id IS NOT NULL"
    )
    result["edits"] = await scalar(
        store, "SELECT COUNT(*) FROM messages WHERE edited_at IS NOT NULL"
    )
    return result


def message(i: int, *, author: int = ALICE, **extra: Any) -> dict[str, Any]:
    """A DCE message dict; ids and times grow with ``i``."""
    created = dt.datetime(2026, 11, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=i)
    return {
        "id": str(1200000000000000000 + i),
        "type": "Default",
        "timestamp": created.strftime("%Y-%m-%dT%H:%M:%S.%f0+00:00"),  # DCE's 7 digits
        "timestampEdited": None,
        "isPinned": False,
        "content": f"message {i} — 第{i}号",
        "author": {"id": str(author), "name": f"user{author % 100}", "isBot": False},
        "attachments": [],
        "reactions": [],
        "mentions": [],
        **extra,
    }


def export(messages: list[dict[str, Any]], **channel: Any) -> dict[str, Any]:
    header = {"id": str(CHANNEL), "type": "GuildTextChat", "name": "general", **channel}
    return {"guild": {"id": str(GUILD), "name": "Hearth Test"}, "channel": header,
            "messages": messages, "messageCount": len(messages)}  # fmt: skip


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


# --- the real export -------------------------------------------------------------------------


async def test_real_export_is_stored_completely_and_only_once(
    store: Store, real_export: Path
) -> None:
    path = real_export  # ../shared/data beside the repo; skipped where absent
    raw = json.loads(path.read_text(encoding="utf-8"))["messages"]
    everyone = sum(1 for m in raw if "@everyone" in m["content"] or "@here" in m["content"])

    seen: list[int] = []
    result = await import_file(store, path, progress=seen.append)

    assert (result.messages, result.new, result.skipped) == (520, 520, 0)
    assert result.line() == f"{path}: 520 messages imported, 520 new, 0 skipped, 1 channel"
    assert result.channel_name == "👾agentic-ethereum-chat"
    assert seen == list(range(1, 521))
    before = await counts(store)
    assert before["messages"] == 520
    assert before["replies"] == 223 == sum(1 for m in raw if m["type"] == "Reply")

    # DCE lists reply pings among a reply's mentions; only mentions the text makes are kept.
    def written(m, u):
        return m["type"] != "Reply" or any(
            f"@{n}" in m["content"] for n in (u["name"], u["nickname"]) if n
        )

    users = sum(1 for m in raw for u in m["mentions"] if written(m, u))
    assert users == 267 - 192  # 192 of the 219 reply mentions are pings only
    assert before["mentions"] == users + everyone
    assert before["reactions"] == sum(len(r["users"]) for m in raw for r in m["reactions"])
    assert before["edits"] == sum(1 for m in raw if m["timestampEdited"]) == 44
    markers = {m["reference"]["channelId"] for m in raw if m["type"] == "ThreadCreated"}
    async with store.conn.execute(
        "SELECT started_thread_id FROM messages WHERE kind = 'thread_created'"
    ) as cur:
        assert {str(r[0]) async for r in cur} == markers and len(markers) == 2
    for thread_id in markers:
        thread = await store.channels.get(int(thread_id))
        assert (
            thread is not None and thread.kind == "thread" and thread.parent_id == result.channel_id
        )
    stats = await store.stats.archive(result.guild_id)
    assert stats.threads == 2 and stats.members == len({m["author"]["id"] for m in raw} | {
        u["id"] for m in raw for u in m["mentions"]} | {
        u["id"] for m in raw for r in m["reactions"] for u in r["users"]})  # fmt: skip

    again = await import_file(store, path)
    assert (again.messages, again.new, again.skipped) == (520, 0, 520)
    assert await counts(store) == before


# --- small hand-written files -----------------------------------------------------------------


async def test_minimal_export_keeps_every_fact(store: Store) -> None:
    result = await import_file(store, DATA / "dce_minimal.json")

    assert (result.messages, result.new, result.skipped) == (5, 4, 1)  # the bot's message
    assert (result.guild_id, result.channel_id, result.channel_name) == (GUILD, CHANNEL, "general")
    first = await store.messages.get(1100000000000000001)
    assert first is not None
    assert first.content == "こんにちは、みなさん！週末の勉強会の資料です。"
    assert first.created_at == parse_iso("2026-11-16T09:00:00.123+00:00")  # ms
    assert first.edited_at == parse_iso("2026-11-16T09:05:30.5+00:00")
    assert (first.attachments, first.kind, first.pinned) == (1, "default", False)
    reply = await store.messages.get(1100000000000000002)
    assert reply is not None and reply.kind == "reply"
    assert reply.reply_to_id == first.id and reply.mentions == (Mention("user", ALICE),)
    reactions = {(r.user_id, r.emoji) for r in await store.messages.reactions(reply.id)}
    hearth = "hearth:700000000000000001"
    assert reactions == {(ALICE, "👍"), (ALICE, hearth), (CAROL, hearth)}
    notice = await store.messages.get(1100000000000000003)
    assert notice is not None and notice.pinned
    # The role and @everyone count; "@here" inside `code` does not ping anyone.
    assert notice.mentions == (Mention("everyone", 0), Mention("role", 600000000000000001))
    assert await store.messages.get(1100000000000000004) is None  # bots are not archived
    join = await store.messages.get(1100000000000000005)
    assert join is not None and join.kind == "new_member"  # discord.py's name, as live

    guild = await store.guilds.get(GUILD)
    assert guild is not None and guild.name == "Hearth Test"
    channel = await store.channels.get(CHANNEL)
    assert channel is not None
    assert (channel.kind, channel.parent_id, channel.topic) == ("text", CATEGORY, "Everyday chat")
    category = await store.channels.get(CATEGORY)
    assert category is not None and (category.kind, category.name) == ("category", "General")
    members = {m.user_id: m for m in await store.members.list(GUILD)}
    assert set(members) == {ALICE, BOB, CAROL, DAVE}
    assert members[ALICE].display_name == "Alice A." and members[ALICE].joined_at is None
    # Exports carry role names but never permissions: no member roles are written; only an
    # @everyone role that can read, since the exported channels evidently were readable.
    roles = {r.id: r for r in await store.guilds.roles(GUILD)}
    assert roles.pop(GUILD).permissions == (1 << 10) | (1 << 16)
    assert all(r.permissions == 0 and r.name for r in roles.values())  # names only
    assert await store.members.role_ids(GUILD, BOB) == set()


async def test_importing_twice_adds_nothing(store: Store) -> None:
    await import_file(store, DATA / "dce_minimal.json")
    before = await counts(store)
    again = await import_file(store, DATA / "dce_minimal.json")
    assert (again.new, again.skipped) == (0, 5)
    assert await counts(store) == before


async def test_thread_export_records_the_thread_under_its_parent(store: Store) -> None:
    result = await import_file(store, DATA / "dce_thread.json")

    assert (result.channel_id, result.new) == (THREAD, 2)
    thread = await store.channels.get(THREAD)
    assert thread is not None
    assert (thread.kind, thread.parent_id, thread.name) == (
        "thread",
        CHANNEL,
        "Study group: week 3",
    )
    parent = await store.channels.get(CHANNEL)
    assert parent is not None and (parent.kind, parent.name) == ("text", "general")
    reply = await store.messages.get(1100000000000000102)
    assert reply is not None and reply.channel_id == THREAD
    assert reply.reply_to_id == 1100000000000000101


async def test_known_channels_are_filled_in_not_overwritten(store: Store) -> None:
    async with store.transaction():
        await store.guilds.ensure(GUILD, "Hearth Test")
        await store.channels.upsert(ChannelRecord(CHANNEL, GUILD, "news", "announcements"))
        await store.channels.upsert(ChannelRecord(THREAD, GUILD, "forum_post", "Week 3"))
    marker = message(1, type="ThreadCreated", content="Started a thread.",
                     reference={"messageId": None, "channelId": str(THREAD)})  # fmt: skip
    await import_export(store, export([marker], name="general-old-name"))

    channel = await store.channels.get(CHANNEL)
    assert channel is not None and (channel.kind, channel.name) == ("news", "announcements")
    thread = await store.channels.get(THREAD)
    assert thread is not None
    assert (thread.kind, thread.name, thread.parent_id) == ("forum_post", "Week 3", CHANNEL)
    stored = await store.messages.get(1200000000000000001)
    assert stored is not None and (stored.kind, stored.started_thread_id) == (
        "thread_created",
        THREAD,
    )


# --- privacy rules ----------------------------------------------------------------------------


async def test_paused_members_messages_and_reactions_are_not_stored(store: Store) -> None:
    async with store.transaction():
        await store.guilds.ensure(GUILD)
        await store.members.set_logging_paused(GUILD, BOB, True)
    result = await import_file(store, DATA / "dce_minimal.json")

    assert (result.new, result.skipped) == (3, 2)  # bob's reply and the bot
    assert await store.messages.get(1100000000000000002) is None
    assert await scalar(store, "SELECT COUNT(*) FROM reactions") == 0  # they were on bob's reply


async def test_excluded_channel_gets_nothing(store: Store) -> None:
    async with store.transaction():
        await store.guilds.ensure(GUILD)
        await store.channels.ensure(CHANNEL, GUILD, "text", "general")
        await store.channels.set_excluded(CHANNEL, True)
    plain = await import_file(store, DATA / "dce_minimal.json")
    thread = await import_file(store, DATA / "dce_thread.json")  # a thread of the excluded one

    assert (plain.new, plain.skipped, thread.new, thread.skipped) == (0, 5, 0, 2)
    assert (await counts(store))["messages"] == 0
    channel = await store.channels.get(CHANNEL)
    assert channel is not None and channel.excluded  # the admin's choice survives the import


async def test_deleted_channel_is_not_revived(store: Store) -> None:
    async with store.transaction():
        await store.guilds.ensure(GUILD)
        await store.channels.ensure(CHANNEL, GUILD, "text", "general")
        await store.channels.mark_deleted(CHANNEL)
    result = await import_file(store, DATA / "dce_minimal.json")

    assert (result.new, result.skipped) == (0, 5)
    channel = await store.channels.get(CHANNEL)
    assert channel is not None and channel.deleted
    assert (await counts(store))["messages"] == 0


# --- broken input -----------------------------------------------------------------------------


async def test_truncated_file_keeps_the_complete_batches(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "cut.json", export([message(i) for i in range(1, 1201)]))
    whole = path.read_bytes()
    path.write_bytes(whole[: whole.index(b'"id": "1200000000000001200"') + 10])  # mid-#1200

    with pytest.raises(ExportFormatError) as caught:
        await import_file(store, path, batch_size=500)

    text = str(caught.value)
    assert text.startswith(f"{path}: invalid JSON near byte {path.stat().st_size}")
    assert "(after message #1199)" in text and "premature EOF" in text
    assert caught.value.committed == 1000
    assert (await counts(store))["messages"] == 1000  # two whole batches, not the third
    path.write_bytes(whole)
    resumed = await import_file(store, path, batch_size=500)
    assert (resumed.new, resumed.skipped) == (200, 1000)


async def test_invalid_json_names_the_file_and_byte(store: Store) -> None:
    path = DATA / "dce_invalid.json"
    with pytest.raises(ExportFormatError) as caught:
        await import_file(store, path)
    text = str(caught.value)
    assert text.startswith(f"{path}: invalid JSON near byte ")
    byte = int(text.split("near byte ")[1].split()[0])
    missing_comma = path.read_bytes().index(b'"\n      "content": "the comma')
    assert missing_comma <= byte <= missing_comma + 20
    assert "(after message #1)" in text
    assert (await counts(store))["messages"] == 0  # the pending batch is not half-written


async def test_missing_field_names_the_message(store: Store) -> None:
    path = DATA / "dce_missing_author.json"
    with pytest.raises(ExportFormatError) as caught:
        await import_file(store, path)
    assert str(caught.value) == f"{path}: message #2 (id 1100000000000000402): missing 'author'"
    assert (await counts(store))["messages"] == 0


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ({"id": "x1"}, r"message #2: malformed: bad id 'x1'"),
        ({"timestamp": "yesterday"}, r"message #2 \(id 1200000000000000002\): malformed: "),
        (
            {"timestamp": None},
            r"message #2 \(id 1200000000000000002\): malformed: a timestamp is not text",
        ),
        ({"reactions": [{"count": 1}]}, r"message #2 \(id 1200000000000000002\): missing 'emoji'"),
        ({"mentions": [{"name": "x"}]}, r"message #2 \(id 1200000000000000002\): missing 'id'"),
        # Issue #16: these two raised outside the checks and stopped the remaining files.
        ({"mentions": [{"id": "8", "name": "b", "roles": [{}]}]}, r"message #2 .*: missing 'id'"),
        ({"mentions": [{"id": str(2**63), "name": "b"}]}, r"message #2 .*: malformed: bad user id"),
    ],
)
async def test_malformed_messages_are_reported(
    store: Store, bad: dict[str, Any], expected: str
) -> None:
    data = export([message(1), message(2, **bad)])
    with pytest.raises(ExportFormatError, match=r"^<memory>: " + expected):
        await import_export(store, data)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read: No such file or directory"),
        (b"", "the file is empty"),
        (b"\xe9t\xe9", "invalid JSON near byte 1: lexical error: invalid char in json text"),
        ('{"guild": "é"}'.encode("latin-1"), "near byte 13: lexical error: invalid bytes in UTF8"),
        ('{"guild": {}}'.encode("utf-16"), "the file is UTF-16; DCE writes UTF-8"),
        (b'"just a string"', "not a DiscordChatExporter export (the file holds a single value)"),
        (b'{"guild": {"id": "1"}, "channel": {"id": "2"}}', "(no 'messages')"),
        (b'{"messages": []}', "(no 'guild')"),
        (b'{"guild": {"id": "0"}, "channel": {"id": "2", "type": "DirectTextChat"}, '
         b'"messages": []}', "direct-message exports are not supported"),
    ],
)  # fmt: skip
async def test_unusable_files_are_refused_clearly(
    store: Store, tmp_path: Path, content: bytes | None, expected: str
) -> None:
    path = tmp_path / "export.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ExportFormatError) as caught:
        await import_file(store, path)
    assert str(caught.value).startswith(f"{path}: ") and expected in str(caught.value)


async def test_list_and_directory_are_not_exports(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ExportFormatError, match="holds a list"):
        await import_file(store, DATA / "dce_list.json")
    with pytest.raises(ExportFormatError, match="cannot read: Is a directory"):
        await import_file(store, tmp_path)
    with pytest.raises(ExportFormatError, match="no 'messages'"):
        await import_export(store, [])  # type: ignore[arg-type]


async def test_byte_order_mark_is_accepted(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + (DATA / "dce_thread.json").read_bytes())
    assert (await import_file(store, path)).new == 2


# --- scale ------------------------------------------------------------------------------------


async def test_big_file_streams_in_batches_with_progress(store: Store, tmp_path: Path) -> None:
    authors, ping = [ALICE, BOB, CAROL, DAVE], {"id": str(BOB), "name": "user2"}
    messages = [
        message(i, author=authors[i % 4], mentions=[ping] if i % 7 == 0 else [])
        for i in range(1, 20_001)
    ]
    path = write(tmp_path / "big.json", export(messages))
    seen: list[int] = []
    sizes: list[tuple[int, int]] = []

    result = await import_file(
        store, path, progress=seen.append, batch_size=500, on_bytes=lambda *a: sizes.append(a)
    )

    assert (result.messages, result.new, result.skipped) == (20_000, 20_000, 0)
    assert seen == list(range(1, 20_001))
    assert sizes[-1] == (path.stat().st_size, path.stat().st_size) == (result.bytes_read,) * 2
    assert [read for read, _ in sizes] == sorted(read for read, _ in sizes) and len(sizes) > 10
    stored = await counts(store)
    assert (stored["messages"], stored["mentions"], stored["members"]) == (20_000, 2857, 4)


async def test_import_export_uses_the_same_rules(store: Store) -> None:
    bot = message(3)
    bot["author"] = {"id": "800000000000000099", "name": "bot", "isBot": True}
    seen: list[int] = []
    data = export([message(1), message(2, timestampEdited="2026-11-02T00:00:00Z"), bot])

    result = await import_export(store, data, source="demo", progress=seen.append, batch_size=2)

    assert result.line() == "demo: 3 messages imported, 2 new, 1 skipped, 1 channel"
    assert seen == [1, 2, 3] and (await counts(store))["edits"] == 1
