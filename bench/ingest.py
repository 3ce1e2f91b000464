"""Ingest: the archive path against raw SQLite and against one transaction per message.

Rows come from ``bench/recap_scale.py``'s synthetic guild (replies, mentions, two languages),
read back as :class:`MessageRecord`s, then written into fresh copies of the same database
(guild, channels and members kept, messages emptied) four ways:

- **raw**: stdlib ``sqlite3``, plain ``INSERT`` ``executemany`` of messages and mentions, one
  transaction per batch, tuples prepared in advance (what SQLite itself can do);
- **writer**: the archive path, ``ArchiveWriter.message(record)`` per message and a flush
  (one transaction) whenever ``max_batch`` messages are queued: privacy filters, idempotent
  upsert, mentions, last-seen of the authors, everything the bot does;
- **naive**: the same store calls, one transaction per message (no batching);
- **background** (context only): the writer's own flusher task instead of explicit flushes, as
  in the bot (batches of up to 4 x ``max_batch`` while events keep arriving);
- **gateway** (context only): ``convert.message_record`` on real ``discord.Message`` objects
  parsed from gateway payloads, then the writer.

    python bench/ingest.py [--messages 20000] [--batch 500]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.recap_scale import GID, T0, WEEK, build_guild  # noqa: E402
from bot.archive import ArchiveWriter  # noqa: E402
from bot.db import Store  # noqa: E402
from bot.db._util import ms  # noqa: E402
from bot.models import MessageRecord  # noqa: E402

_COLUMNS = (
    "id, guild_id, channel_id, author_id, created_at, edited_at, content, reply_to_id, kind, "
    "started_thread_id, attachments, pinned"
)
RAW_INSERT = f"INSERT INTO messages ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
RAW_MENTION = "INSERT INTO mentions (message_id, target_type, target_id) VALUES (?, ?, ?)"


# -- shared by every bench ---------------------------------------------------------------------
def machine() -> dict[str, str]:
    """Cores, CPU model, Python and SQLite versions."""
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or "?"
    return {
        "cores": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def print_machine() -> None:
    """The machine line every bench starts with."""
    m = machine()
    print(f"machine: {m['cores']} cores, {m['cpu']}, Python {m['python']}, SQLite {m['sqlite']}")


def verdict(name: str, met: bool, detail: str) -> str:
    """One ``TARGET ... MET|MISSED`` line (run_all collects them)."""
    line = f"TARGET {name}: {'MET' if met else 'MISSED'} ({detail})"
    print(line)
    return line


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A small right-aligned table."""
    cells = [[str(h) for h in header], *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for r in cells:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))


# -- rows ---------------------------------------------------------------------------------------
async def make_rows(folder: Path, count: int) -> tuple[Path, list[MessageRecord]]:
    """A template database (guild, channels, members; no messages) and ``count`` records."""
    source = folder / "source.db"
    store = await Store.open(str(source))
    try:
        await build_guild(store, members=200, messages=count)
        records = [m async for m in store.messages.iter_window(GID, T0, T0 + WEEK * 2)]
        async with store.transaction():
            for table_name in ("reactions", "mentions", "messages", "summary_cache"):
                await store.conn.execute(f"DELETE FROM {table_name}")
        await store.conn.execute("UPDATE members SET last_seen_at = NULL")
        await store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await store.close()
    records.sort(key=lambda m: m.id)
    return source, records


def fresh(template: Path, folder: Path, name: str) -> Path:
    """A copy of the template database."""
    target = folder / f"{name}.db"
    shutil.copyfile(template, target)
    return target


def count_rows(path: Path) -> tuple[int, int]:
    """(messages, mentions) in a database."""
    with sqlite3.connect(path) as conn:
        messages = conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        mentions = conn.execute("SELECT COUNT(*) FROM mentions").fetchone()[0]
    return int(messages), int(mentions)


# -- the four paths ---------------------------------------------------------------------------
def run_raw(path: Path, records: Sequence[MessageRecord], batch: int) -> float:
    """Plain sqlite3 executemany, one transaction per batch; returns seconds."""
    rows = [
        (
            m.id,
            m.guild_id,
            m.channel_id,
            m.author_id,
            ms(m.created_at),
            ms(m.edited_at),
            m.content,
            m.reply_to_id,
            m.kind,
            m.started_thread_id,
            m.attachments,
            int(m.pinned),
        )
        for m in records
    ]
    mentions = [[(m.id, x.target_type, x.target_id) for x in m.mentions] for m in records]
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    try:
        started = time.perf_counter()
        for start in range(0, len(rows), batch):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(RAW_INSERT, rows[start : start + batch])
            conn.executemany(
                RAW_MENTION, [x for ms_ in mentions[start : start + batch] for x in ms_]
            )
            conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()


async def run_writer(path: Path, records: Sequence[MessageRecord], batch: int) -> float:
    """The archive writer: message() per record, a flush per full batch; returns seconds."""
    store = await Store.open(str(path))
    try:
        writer = ArchiveWriter(store, max_batch=batch)
        started = time.perf_counter()
        for record in records:
            writer.message(record)
            if writer.pending >= batch:
                await writer.flush()
        await writer.stop()
        return time.perf_counter() - started
    finally:
        await store.close()


async def run_background(path: Path, records: Sequence[MessageRecord], batch: int) -> float:
    """Production mode: the writer's own flusher task, the producer yielding between events."""
    store = await Store.open(str(path))
    try:
        writer = ArchiveWriter(store, max_batch=batch)
        writer.start()
        started = time.perf_counter()
        for i, record in enumerate(records, 1):
            writer.message(record)
            if i % 100 == 0:
                await asyncio.sleep(0)  # events arrive in frames; the flusher runs between
                await writer.backpressure()
        await writer.stop()
        return time.perf_counter() - started
    finally:
        await store.close()


async def run_naive(path: Path, records: Sequence[MessageRecord]) -> float:
    """The same store calls, one transaction per message; returns seconds."""
    store = await Store.open(str(path))
    try:
        started = time.perf_counter()
        for m in records:
            async with store.transaction():
                await store.messages.insert_many([m])
                await store.members.touch(m.guild_id, m.author_id, m.created_at)
        return time.perf_counter() - started
    finally:
        await store.close()


async def run_gateway(
    records: Sequence[MessageRecord], folder: Path, batch: int
) -> dict[str, float]:
    """The real bot against the double: parsed MESSAGE_CREATE payloads, and the websocket."""
    from tests.discord_double.forms import message_event
    from tests.discord_double.seed import seed_default_guild
    from tests.discord_double.server import DiscordDouble
    from tests.e2e.harness import count, running_bot

    double = DiscordDouble(heartbeat_interval_ms=5000)
    seed = seed_default_guild(double.state)
    await double.start()
    result: dict[str, float] = {}
    try:
        async with running_bot(double, folder / "gateway.db") as bot:
            await bot.writer.flush()
            people = seed.member_ids
            payloads = [
                message_event(
                    double.state,
                    double.state.add_message(
                        seed.general_id, people[m.author_id % len(people)], m.content, store=False
                    ),
                )
                for m in records
            ]
            parse = bot._connection.parse_message_create
            before = await count(bot.store, "SELECT COUNT(*) FROM messages")
            started = time.perf_counter()
            for i, payload in enumerate(payloads, 1):
                parse(payload)  # discord.Message, on_message -> convert -> writer
                if i % 100 == 0:
                    await asyncio.sleep(0)  # let the listeners run, as between frames
                    while bot.writer.pending >= batch:
                        await bot.writer.flush()
            await asyncio.sleep(0)
            while await bot.writer.flush():
                pass
            result["parse_s"] = time.perf_counter() - started
            stored = await count(bot.store, "SELECT COUNT(*) FROM messages") - before
            result["parse_n"] = stored
            live = records[: min(len(records), 2000)]
            before += stored
            started = time.perf_counter()
            for m in live:
                await double.send_message(
                    seed.general_id, people[m.author_id % len(people)], m.content
                )
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                await bot.writer.flush()
                got = await count(bot.store, "SELECT COUNT(*) FROM messages") - before
                if got >= len(live):
                    break
                await asyncio.sleep(0.01)
            result["ws_s"] = time.perf_counter() - started
            result["ws_n"] = got
    finally:
        await double.stop()
    return result


async def main_async(args: argparse.Namespace) -> int:
    print_machine()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        template, records = await make_rows(folder, args.messages)
        n = len(records)
        mentions = sum(len(m.mentions) for m in records)
        print(
            f"rows: {n} messages with {mentions} mentions from bench/recap_scale.py's guild "
            f"(200 members; built in {time.perf_counter() - started:.1f}s); batch {args.batch}; "
            f"median of {args.repeat} runs, each into a fresh copy of the database"
        )
        raw_t: list[float] = []
        writer_t: list[float] = []
        run_raw(fresh(template, folder, "warm-raw"), records, args.batch)  # warm the page cache
        for i in range(args.repeat):
            raw_t.append(run_raw(fresh(template, folder, f"raw{i}"), records, args.batch))
            path = fresh(template, folder, f"writer{i}")
            writer_t.append(await run_writer(path, records, args.batch))
            if i == 0:
                assert count_rows(path) == (n, mentions), count_rows(path)
        background = statistics.median(
            [
                await run_background(fresh(template, folder, f"bg{i}"), records, args.batch)
                for i in range(3)
            ]
        )
        naive_n = min(n, args.naive)
        naive = await run_naive(fresh(template, folder, "naive"), records[:naive_n])
        raw, writer = statistics.median(raw_t), statistics.median(writer_t)
        rates = {"raw": n / raw, "writer": n / writer, "naive": naive_n / naive}
        rows = [
            ("raw sqlite3 executemany", n, f"{raw:.3f}", f"{rates['raw']:,.0f}", "1.00"),
            (
                "ArchiveWriter (archive path)",
                n,
                f"{writer:.3f}",
                f"{rates['writer']:,.0f}",
                f"{rates['writer'] / rates['raw']:.2f}",
            ),
            (
                "context: writer, background flusher",
                n,
                f"{background:.3f}",
                f"{n / background:,.0f}",
                f"{n / background / rates['raw']:.2f}",
            ),
            (
                "naive: 1 transaction/message",
                naive_n,
                f"{naive:.3f}",
                f"{rates['naive']:,.0f}",
                f"{rates['naive'] / rates['raw']:.3f}",
            ),
        ]
        if not args.no_gateway:
            g = await run_gateway(records[: args.gateway], folder, args.batch)
            rows.append(
                (
                    "context: discord.py parse+writer",
                    int(g["parse_n"]),
                    f"{g['parse_s']:.3f}",
                    f"{g['parse_n'] / g['parse_s']:,.0f}",
                    f"{g['parse_n'] / g['parse_s'] / rates['raw']:.2f}",
                )
            )
            rows.append(
                (
                    "context: double websocket e2e",
                    int(g["ws_n"]),
                    f"{g['ws_s']:.3f}",
                    f"{g['ws_n'] / g['ws_s']:,.0f}",
                    f"{g['ws_n'] / g['ws_s'] / rates['raw']:.2f}",
                )
            )
        table(("path", "messages", "seconds", "msg/s", "x raw"), rows)
        print(
            "runs (s): raw "
            + " ".join(f"{t:.3f}" for t in raw_t)
            + "; writer "
            + " ".join(f"{t:.3f}" for t in writer_t)
        )
    vs_raw = rates["writer"] / rates["raw"]
    vs_naive = rates["writer"] / rates["naive"]
    verdict("ingest vs raw", vs_raw >= 0.5, f"writer = {vs_raw:.2f} x raw, target >= 0.50")
    verdict("ingest vs naive", vs_naive >= 10, f"writer = {vs_naive:.1f} x naive, target >= 10")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--naive", type=int, default=3_000, help="messages for the naive path")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--gateway", type=int, default=5_000, help="messages for the bot paths")
    parser.add_argument("--no-gateway", action="store_true", help="skip the real-client paths")
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
