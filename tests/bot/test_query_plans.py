"""The hot queries use indexes: no full SCAN of messages, mentions or reactions.

The SQL is not copied here: every statement is captured with ``set_trace_callback`` while the
real repository methods (and a whole recap run) execute on a populated store, then each one is
explained with ``EXPLAIN QUERY PLAN``. The trace gives the statement with its values bound, which
is what the planner saw. Hearth never runs ``ANALYZE``, so the plans are the planner's defaults,
as in production.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.db import Store
from bot.ingest.writer import ArchiveWriter
from bot.models import (
    ChannelRecord,
    GuildRecord,
    MemberRecord,
    Mention,
    MessageRecord,
    Overwrite,
    ReactionRecord,
    RoleRecord,
)
from bot.recap import RecapService
from bot.recap.summarize.extractive import ExtractiveSummarizer
from bot.timeutil import snowflake_at

BIG = frozenset({"messages", "mentions", "reactions"})
GID, MODS = 1, 2
GENERAL, STAFF, THREAD, PRIVATE = 10, 11, 12, 13
USERS = tuple(range(100, 112))
T0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
SINCE, UNTIL = T0, T0 + dt.timedelta(days=7)
_ALIAS = re.compile(r"\b(?:FROM|JOIN)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?", re.IGNORECASE)
_SCAN = re.compile(r"SCAN (\w+)")
_GUILD_WIDE = re.compile(r"SEARCH (\w+) USING (?:COVERING )?INDEX \w+ \(guild_id=\?\)$")
_SKIP = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")

Call = Callable[[Store], Awaitable[object]]


def _tables(sql: str) -> dict[str, str]:
    """Alias (or table name) -> table, from the FROM and JOIN clauses."""
    tables = {}
    for table, alias in _ALIAS.findall(sql):
        tables[table.lower()] = table.lower()
        if alias:
            tables[alias.lower()] = table.lower()
    return tables


def _big_table_lines(conn: sqlite3.Connection, sql: str, pattern: re.Pattern[str]) -> list[str]:
    tables = _tables(sql)
    bad = []
    for *_, detail in conn.execute("EXPLAIN QUERY PLAN " + sql):
        if m := pattern.match(detail):
            name = m.group(1).lower()
            if tables.get(name, name) in BIG:
                bad.append(detail)
    return bad


def scans_of_big_tables(conn: sqlite3.Connection, sql: str) -> list[str]:
    """The plan lines of ``sql`` that SCAN a big table (an alias is resolved to its table)."""
    return _big_table_lines(conn, sql, _SCAN)


def guild_wide_reads(conn: sqlite3.Connection, sql: str) -> list[str]:
    """Index searches of a big table bounded by the guild alone: on a one-guild server that is
    every row, a scan in disguise (e.g. ``message_id IN (SELECT id FROM messages WHERE
    guild_id = ?)`` lists every message id of the guild)."""
    return _big_table_lines(conn, sql, _GUILD_WIDE)


def _key(sql: str) -> str:
    return re.sub(r"\d+", "N", " ".join(sql.split()))


async def capture(store: Store, call: Call) -> list[str]:
    """The distinct statements ``call`` ran that touch a big table."""
    seen: list[str] = []
    await store.set_trace_callback(seen.append)  # the writer's and the readers' statements
    try:
        await call(store)
    finally:
        await store.set_trace_callback(None)
    unique = {}
    for sql in seen:
        text = sql.strip()
        if text.upper().startswith(_SKIP) or not re.search(
            r"\b(messages|mentions|reactions)\b", text
        ):
            continue
        unique.setdefault(_key(text), text)
    return list(unique.values())


def assert_indexed(path: Path, statements: list[str], *, whole_guild_ok: bool = False) -> None:
    """No statement scans a big table (nor, unless allowed, reads a whole guild of it)."""
    assert statements, "nothing captured: the call ran no query on a big table"
    conn = sqlite3.connect(path)
    try:
        failures = {}
        for sql in statements:
            bad = scans_of_big_tables(conn, sql)
            if not whole_guild_ok:
                bad += guild_wide_reads(conn, sql)
            if bad:
                failures[sql[:200]] = bad
    finally:
        conn.close()
    assert not failures, failures


def _message(n: int, channel: int, author: int, *, reply: int | None = None) -> MessageRecord:
    at = T0 + dt.timedelta(minutes=7 * n)
    users = (Mention("user", USERS[(n + 3) % len(USERS)]),) if n % 4 == 0 else ()
    roles = (Mention("role", MODS),) if n % 25 == 0 else ()
    return MessageRecord(
        snowflake_at(at, n),
        GID,
        channel,
        author,
        at,
        f"message {n} about board games and ramen?",
        reply_to_id=reply,
        mentions=users + roles,
    )


@pytest.fixture
async def populated(store: Store) -> Store:
    """A guild with public, private and thread channels, replies, mentions and reactions."""
    lock = Overwrite(GID, "role", deny=1 << 10)
    async with store.transaction():
        await store.guilds.upsert(GuildRecord(GID, "Plans", owner_id=USERS[0]))
        await store.guilds.replace_roles(
            GID,
            [
                RoleRecord(GID, GID, "@everyone", (1 << 10) | (1 << 16)),
                RoleRecord(MODS, GID, "mods"),
            ],
        )
        await store.channels.upsert(ChannelRecord(GENERAL, GID, "text", "general", overwrites=()))
        staff = (lock, Overwrite(MODS, "role", allow=1 << 10))
        await store.channels.upsert(ChannelRecord(STAFF, GID, "text", "staff", overwrites=staff))
        await store.channels.upsert(ChannelRecord(THREAD, GID, "thread", "t", parent_id=GENERAL))
        await store.channels.upsert(
            ChannelRecord(PRIVATE, GID, "private_thread", "p", parent_id=GENERAL)
        )
        await store.channels.add_thread_members(PRIVATE, USERS[:3])
        await store.members.upsert_many(
            MemberRecord(GID, u, f"user{u}", role_ids=(MODS,) if u < 103 else ()) for u in USERS
        )
        await store.recap.add_interest(GID, USERS[1], "board games")
        records: list[MessageRecord] = []
        for n in range(1, 1201):  # the last ~1000 fall in the window; the first weeks before it
            channel = (GENERAL, GENERAL, STAFF, THREAD, PRIVATE)[n % 5]
            author = USERS[(n * 7) % len(USERS)]
            reply = records[-5].id if n % 3 == 0 and len(records) > 5 else None
            records.append(_message(n - 200, channel, author, reply=reply))
        await store.messages.insert_many(records)
        await store.messages.add_reactions(
            ReactionRecord(m.id, USERS[i % len(USERS)], "👍")
            for i, m in enumerate(records)
            if i % 3 == 0
        )
    return store


def _id(n: int) -> int:
    return _message(n, GENERAL, USERS[0]).id


async def _by_id(s: Store) -> object:
    first, last = _id(-199), _id(1000)
    await s.messages.get(last)
    await s.messages.reactions(first)
    return await s.recap.authors([first, last])


async def _window(s: Store) -> object:
    return [m async for m in s.messages.iter_window(GID, SINCE, UNTIL)]


async def _recap_run(s: Store) -> object:
    service = RecapService(s, ExtractiveSummarizer())
    return await service.run(GID, SINCE, UNTIL, member_ids=USERS[:4], digest=True)


async def _privacy(s: Store) -> object:
    from bot.db.privacy import PrivacyRepository

    repo = PrivacyRepository(s.conn)
    return await repo.counts(GID, USERS[3]), await repo.export(GID, USERS[3])


HOT: dict[str, Call] = {
    "messages in a guild's window (iter_window)": _window,
    "reactions in a window": lambda s: s.messages.reactions_in_window(GID, SINCE, UNTIL),
    "reply and mention pairs (recap lookback)": lambda s: s.recap.interactions(
        GID, SINCE - dt.timedelta(days=28), SINCE
    ),
    "thread members of a guild": lambda s: s.recap.thread_members(GID),
    "newest message of a thread (last_id)": lambda s: s.messages.newest_id(PRIVATE),
    "one message, its reactions, authors by id": _by_id,
    "mentions and reactions of a member (privacy)": _privacy,
    "archive stats": lambda s: s.stats.archive(GID),
    "a whole recap run (digest + 4 recaps)": _recap_run,
}


# Whole-guild reads are the point of these (counts over everything the guild stored) and they
# run on request, not per message or per recap; SCANs are still refused.
WHOLE_GUILD = {"archive stats", "mentions and reactions of a member (privacy)"}


@pytest.mark.parametrize("name", list(HOT))
async def test_hot_query_uses_indexes(populated: Store, name: str) -> None:
    if name == "thread members of a guild":  # touches no big table: check it runs
        assert await HOT[name](populated)
        return
    statements = await capture(populated, HOT[name])
    assert_indexed(Path(populated.path), statements, whole_guild_ok=name in WHOLE_GUILD)


async def test_member_counts_read_only_the_members_rows(populated: Store) -> None:
    assert_indexed(Path(populated.path), await capture(populated, _privacy))


async def test_recap_run_reads_the_window_through_the_guild_time_index(populated: Store) -> None:
    statements = await capture(populated, _recap_run)
    conn = sqlite3.connect(populated.path)
    try:
        plans = [
            " | ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql))
            for sql in statements
        ]
    finally:
        conn.close()
    assert any("messages_guild_time" in p for p in plans), plans
    assert len(statements) <= 8, statements  # a fixed number of queries, none per member


async def _writes(s: Store) -> object:
    last = _id(1000)
    writer = ArchiveWriter(s)
    fresh = _message(5000, GENERAL, USERS[1], reply=last)
    writer.message(fresh, advance_cursor=True)
    writer.edit(MessageRecord(**{**_fields(fresh), "edited_at": fresh.created_at}))
    writer.reaction_add(ReactionRecord(fresh.id, USERS[2], "🎉"))
    writer.reaction_remove(ReactionRecord(fresh.id, USERS[2], "🎉"))
    writer.reactions_clear(last)
    writer.delete([last])
    writer.channel_deleted(THREAD)
    writer.cursor(GENERAL, fresh.id)
    await writer.stop()
    return None


async def test_archive_writes_use_indexes(populated: Store) -> None:
    assert_indexed(Path(populated.path), await capture(populated, _writes))


def _fields(m: MessageRecord) -> dict[str, object]:
    return {name: getattr(m, name) for name in MessageRecord.__dataclass_fields__}


def test_the_checker_catches_a_scan(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.db")
    conn.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY, content TEXT)")
    conn.execute("CREATE TABLE mentions (message_id INTEGER, target_id INTEGER)")
    conn.commit()
    assert scans_of_big_tables(conn, "SELECT id FROM messages m WHERE m.content = 'x'")
    assert scans_of_big_tables(conn, "SELECT * FROM mentions WHERE target_id = 3")
    assert not scans_of_big_tables(conn, "SELECT content FROM messages WHERE id = 3")
    conn.execute("ALTER TABLE messages ADD COLUMN guild_id INTEGER")
    conn.execute("CREATE INDEX messages_guild ON messages(guild_id)")
    assert guild_wide_reads(conn, "SELECT COUNT(*) FROM messages m WHERE m.guild_id = 1")
    assert not guild_wide_reads(conn, "SELECT COUNT(*) FROM messages WHERE id = 1")
    conn.close()
