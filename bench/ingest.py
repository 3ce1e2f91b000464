"""Ingest: the archive writer against stdlib sqlite3 running the same SQL.

Rows come from ``bench/recap_scale.py``'s synthetic guild (replies, mentions, two languages),
read back as :class:`MessageRecord`s, then written into fresh copies of the same database
(guild, channels and members kept, messages emptied). Baselines (``bench/ingest_baselines.py``)
run the writer's own statements on stdlib ``sqlite3`` with the store's pragmas:

- **raw batched**: one transaction per ``--batch`` messages, parameters prebuilt;
- **stdlib per row**: one transaction per message, at ``synchronous=NORMAL`` (the store's
  setting) and at ``FULL`` (SQLite's default: what a plain ``sqlite3.connect`` script gets);

and the writer (everything the bot does: records to rows, privacy, upsert, mentions, last
seen) two ways:

- **as in the bot**: its background flusher, the producer yielding between frames and
  waiting under backpressure; the flusher commits what is queued (up to 4 x ``--batch``);
- **flush awaited**: the producer awaits a flush of every full batch (nothing overlaps).

Context rows: the project's per-row path through aiosqlite (the old "naive" baseline), plain
INSERTs, and the real discord.py client (parsing, websocket).

    python -m bench.ingest [--messages 20000] [--batch 500]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench import ingest_baselines as base
from bench.recap_scale import GID, T0, WEEK, build_guild
from bot.db import Store
from bot.ingest.writer import ArchiveWriter
from bot.models import MemberRecord, MessageRecord


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


# -- the writer's paths ---------------------------------------------------------------------------
async def run_writer(path: Path, records: Sequence[MessageRecord], batch: int) -> float:
    """The writer, the producer awaiting a flush per full batch; returns seconds."""
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


async def run_background(
    path: Path, records: Sequence[MessageRecord], batch: int, *, checkpoint: int = 0
) -> tuple[float, int]:
    """The writer's flusher task, the producer yielding between frames and waiting under
    backpressure; with ``checkpoint``, the backfill's authors and cursor every that many
    messages (``cogs/archive/backfill.py``); returns (seconds, transactions)."""
    store = await Store.open(str(path))
    try:
        writer = ArchiveWriter(store, max_batch=batch)
        writer.start()
        started = time.perf_counter()
        for i, record in enumerate(records, 1):
            writer.message(record)
            if checkpoint and i % checkpoint == 0:
                writer.authors([MemberRecord(record.guild_id, record.author_id, "author")])
                writer.cursor(record.channel_id, record.id)
            if i % 100 == 0:
                await asyncio.sleep(0)  # events arrive in frames; the flusher runs between
                await writer.backpressure()
        await writer.stop()
        return time.perf_counter() - started, writer.flushed_batches
    finally:
        await store.close()


async def run_naive(path: Path, records: Sequence[MessageRecord]) -> float:
    """Context: the project's store calls through aiosqlite, one transaction per message."""
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
    from testing.discord_double.forms import message_event
    from testing.discord_double.seed import seed_default_guild
    from testing.discord_double.server import DiscordDouble
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
    median = statistics.median
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        template, records = await make_rows(folder, args.messages)
        n = len(records)
        mentions = sum(len(m.mentions) for m in records)
        print(
            f"rows: {n} messages with {mentions} mentions from bench/recap_scale.py's guild "
            f"(200 members; built in {time.perf_counter() - started:.1f}s); batch {args.batch}; "
            f"median of {args.repeat} interleaved runs, each into a fresh copy of the database"
        )
        work = base.batches(records, args.batch)
        base.same_sql(fresh(template, folder, "warm"), work)  # warm the page cache
        raw_t: list[float] = []
        bot_t: list[float] = []
        awaited_t: list[float] = []
        backfill_t: list[float] = []
        transactions: list[int] = []
        for i in range(args.repeat):
            raw_t.append(base.same_sql(fresh(template, folder, f"raw{i}"), work))
            path = fresh(template, folder, f"bot{i}")
            seconds, count = await run_background(path, records, args.batch)
            bot_t.append(seconds)
            transactions.append(count)
            if i == 0:
                assert count_rows(path) == (n, mentions), count_rows(path)
            path = fresh(template, folder, f"wait{i}")
            awaited_t.append(await run_writer(path, records, args.batch))
            path = fresh(template, folder, f"backfill{i}")
            backfill_t.append((await run_background(path, records, args.batch, checkpoint=200))[0])
        size = max(1, round(n / median(transactions)))  # the flusher's mean transaction
        wide = base.batches(records, size)
        raw_wide = median([base.same_sql(fresh(template, folder, f"w{i}"), wide) for i in range(3)])
        plain = median(
            [base.plain_insert(fresh(template, folder, f"p{i}"), work) for i in range(3)]
        )
        k = min(n, args.per_row)
        one = base.batches(records[:k], 1)
        per_normal = base.same_sql(fresh(template, folder, "row-normal"), one)
        per_full = base.same_sql(fresh(template, folder, "row-full"), one, synchronous="FULL")
        per_plain = base.same_sql(
            fresh(template, folder, "row-plain"), one, synchronous="FULL", journal="DELETE"
        )
        naive = await run_naive(fresh(template, folder, "naive"), records[:k])
        raw, bot, awaited = median(raw_t), median(bot_t), median(awaited_t)
        backfill = median(backfill_t)
        rate = {
            "raw": n / raw,
            "bot": n / bot,
            "normal": k / per_normal,
            "full": k / per_full,
        }

        def row(label: str, count: int, seconds: float) -> tuple[str, int, str, str, str]:
            r = count / seconds
            return (label, count, f"{seconds:.3f}", f"{r:,.0f}", f"{r / rate['raw']:.3f}")

        rows = [
            row(f"raw batched, same SQL, {args.batch}/transaction", n, raw),
            row("ArchiveWriter as in the bot (flusher)", n, bot),
            row("ArchiveWriter, each flush awaited", n, awaited),
            row("ArchiveWriter as backfill feeds it (+ authors, cursor / 200)", n, backfill),
            row("stdlib per row, same SQL, sync NORMAL", k, per_normal),
            row("stdlib per row, same SQL, sync FULL", k, per_full),
            row("stdlib per row, same SQL, plain defaults", k, per_plain),
            row(f"context: raw batched, same SQL, {size}/tx", n, raw_wide),
            row("context: plain INSERT, no privacy/upsert", n, plain),
            row("context: store per row via aiosqlite", k, naive),
        ]
        if not args.no_gateway:
            g = await run_gateway(records[: args.gateway], folder, args.batch)
            rows.append(row("context: discord.py parse+writer", int(g["parse_n"]), g["parse_s"]))
            rows.append(row("context: double websocket e2e", int(g["ws_n"]), g["ws_s"]))
        table(("path", "messages", "seconds", "msg/s", "x raw batched"), rows)
        print(
            f"the flusher committed {median(transactions):.0f} transactions (mean {size} "
            f"messages); runs (s): raw {' '.join(f'{t:.3f}' for t in raw_t)}; "
            f"bot {' '.join(f'{t:.3f}' for t in bot_t)}"
        )
    vs_raw = rate["bot"] / rate["raw"]
    # The fair ratio: equal transactions, and the producer the bot has (backfill checkpoints).
    vs_same_size = (n / max(bot, backfill)) / (n / raw_wide)
    vs_row = rate["bot"] / rate["normal"]
    print(
        f"context: writer = {vs_raw:.2f} x raw batched at --batch {args.batch}; "
        f"{rate['bot'] / rate['full']:.1f} x stdlib per row at synchronous=FULL, "
        f"{rate['bot'] / (k / per_plain):.1f} x at a plain script's defaults (rollback journal, "
        f"FULL); raw batched itself is {rate['raw'] / rate['normal']:.1f} x stdlib per row (NORMAL)"
    )
    verdict(
        "ingest vs raw batched",
        vs_same_size >= 0.8,
        f"writer = {vs_same_size:.2f} x raw with the same SQL and transaction size ({size}), "
        "the slower of its two producers, target >= 0.80",
    )
    verdict(
        "ingest vs stdlib per row",
        vs_row >= 10,
        f"writer = {vs_row:.1f} x at synchronous=NORMAL, target >= 10",
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--per-row", type=int, default=3_000, help="messages for per-row paths")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--gateway", type=int, default=5_000, help="messages for the bot paths")
    parser.add_argument("--no-gateway", action="store_true", help="skip the real-client paths")
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
