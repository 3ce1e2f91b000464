"""Backfill: 100,000 messages sent while Hearth was offline, caught up from the Discord double.

The double (in this process) holds the history: ``seed_history`` spreads the messages over a
few text channels of the seeded guild, never dispatched. Hearth runs as a separate process,
exactly as a user starts it (``python -m bot run``, ``tests/e2e/harness.BotProcess``), pointed
at the double over TCP. It reads ``history(after=cursor)`` at 100 messages per request, oldest
first, and writes through the archive writer. Meanwhile this process samples the bot's RSS
(``/proc/<pid>/status``) and the stored count (a read-only connection; WAL lets it read while
the bot writes). At the end:

- no loss and nothing extra: the stored ids are exactly the double's ids (the table's primary
  key rules out duplicates) and every channel's cursor reached its newest message;
- a progress line every ``PROGRESS_EVERY`` seconds (gaps measured from the log's timestamps);
- RSS at start, peak and end, and at each quarter of the run.

    python -m bench.backfill [--messages 100000] [--channels 4]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import re
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.ingest import print_machine, table, verdict
from cogs.archive.backfill import PROGRESS_EVERY
from testing.discord_double.seed import SeededGuild, seed_default_guild
from testing.discord_double.server import DiscordDouble
from tests.e2e.harness import BotProcess

STEP = dt.timedelta(seconds=20)  # 25,000 messages a channel span ~6 days (< the 30 backfilled)
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ")


def rss_of(pid: int) -> float:
    """Current RSS of a process in MB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def stored(db: Path, sql: str = "SELECT COUNT(*) FROM messages") -> int:
    """One integer from the bot's database, read-only (0 while it does not exist yet)."""
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return int(conn.execute(sql).fetchone()[0] or 0)
        finally:
            conn.close()
    except sqlite3.OperationalError:  # not migrated yet
        return 0


async def start_double() -> tuple[DiscordDouble, SeededGuild]:
    """A double with the default seeded guild, listening on 127.0.0.1."""
    double = DiscordDouble(heartbeat_interval_ms=5000)
    seed = seed_default_guild(double.state)
    await double.start()
    return double, seed


@dataclass
class Samples:
    """(seconds since start, stored messages, RSS MB) every ``interval``."""

    points: list[tuple[float, int, float]] = field(default_factory=list)

    def at_fraction(self, total: int, fraction: float) -> tuple[float, int, float] | None:
        """The first sample with at least ``fraction`` of ``total`` stored."""
        return next((p for p in self.points if p[1] >= total * fraction), None)


async def watch(
    proc: subprocess.Popen[bytes], db: Path, target: int, *, limit: float, every: float = 0.25
) -> Samples:
    """Sample RSS and the stored count until ``target`` are stored, the bot exits or time is up."""
    samples = Samples()
    started = time.monotonic()
    while time.monotonic() - started < limit and proc.poll() is None:
        count = await asyncio.to_thread(stored, db)
        samples.points.append((time.monotonic() - started, count, rss_of(proc.pid)))
        if count >= target:
            break
        await asyncio.sleep(every)
    return samples


def backfill_lines(log: str) -> list[tuple[float, str]]:
    """The backfill's log lines, with seconds since the bot said it was connected."""
    found: list[tuple[dt.datetime, str]] = []
    origin = None
    for line in log.splitlines():
        m = _STAMP.match(line)
        if not m:
            continue
        at = dt.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=dt.UTC)
        if origin is None and "Hearth is running as" in line:
            origin = at
        elif "cogs.archive.backfill" in line:
            found.append((at, line[m.end() :].strip()))
    base = origin or (found[0][0] if found else dt.datetime.now(dt.UTC))
    return [((at - base).total_seconds(), text) for at, text in found]


def progress_gaps(lines: list[tuple[float, str]]) -> tuple[int, list[float]]:
    """Progress lines ("... so far") and the gaps between consecutive backfill lines."""
    progress = sum(1 for _, text in lines if "so far" in text)
    stamps = [0.0] + [t for t, _ in lines]
    return progress, [b - a for a, b in itertools.pairwise(stamps)]


def seed_history(
    double: DiscordDouble, seed: SeededGuild, total: int, channels: int
) -> dict[int, list[int]]:
    """``total`` offline messages over #general and ``channels - 1`` new text channels."""
    ids = [seed.general_id] + [
        int(double.state.add_channel(seed.guild_id, f"busy-{i}", parent_id=seed.category_id)["id"])
        for i in range(1, channels)
    ]
    per = [total // channels + (1 if i < total % channels else 0) for i in range(channels)]
    now = dt.datetime.now(dt.UTC)
    seeded = {}
    for channel_id, count in zip(ids, per, strict=True):
        start = now - STEP * (count + 10)
        made = double.seed_history(
            channel_id,
            count,
            authors=list(seed.member_ids),
            start=start,
            step=STEP,
            content="offline message {i}: did anyone bring the rice cooker?",
        )
        seeded[channel_id] = [int(m["id"]) for m in made]
    return seeded


def verify(db: Path, seeded: dict[int, list[int]]) -> dict[str, int]:
    """Exactly the seeded ids stored, and every cursor at its channel's newest message."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        have = {r[0] for r in conn.execute("SELECT id FROM messages")}
        rows = int(conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0])
        cursors = dict(conn.execute("SELECT channel_id, last_id FROM backfill_cursors"))
    finally:
        conn.close()
    want = {i for ids in seeded.values() for i in ids}
    return {
        "rows": rows,
        "missing": len(want - have),
        "extra": len(have - want),
        "duplicates": rows - len(have),
        "cursors_behind": sum(1 for c, ids in seeded.items() if cursors.get(c) != max(ids)),
    }


@dataclass
class Outcome:
    """What one backfill run produced."""

    checks: dict[str, int]
    exit_code: int
    pages: int
    samples: Samples
    timeline: list[tuple[float, str]]
    log: str

    @property
    def errors(self) -> list[str]:
        return [ln for ln in self.log.splitlines() if " ERROR " in ln or "Traceback" in ln]


async def run(messages: int, channels: int, limit: float) -> Outcome:
    """Seed the double, run the bot process until everything is stored, stop it, check."""
    double, seed = await start_double()
    try:
        started = time.perf_counter()
        seeded = seed_history(double, seed, messages, channels)
        print(
            f"seeded {messages:,} offline messages in {channels} channels in "
            f"{time.perf_counter() - started:.1f}s"
        )
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "hearth.db"
            bot = BotProcess(double, db, Path(tmp) / "bot.log")
            bot.start()
            assert bot.proc is not None
            try:
                samples = await watch(bot.proc, db, messages, limit=limit)
            finally:
                code = await asyncio.to_thread(bot.stop)
            log = bot.log()
            checks = verify(db, seeded)
        pages = len(double.find_requests("GET", "/channels/*/messages"))
    finally:
        await double.stop()
    return Outcome(checks, code, pages, samples, backfill_lines(log), log)


def report(out: Outcome, messages: int) -> None:
    """Print the figures and the verdicts."""
    points = out.samples.points
    first = next((p for p in points if p[1] > 0), points[-1])
    last = points[-1]
    seconds = max(last[0] - first[0], 1e-9)
    rate = messages / seconds
    rss = [p[2] for p in points if p[2] > 0] or [0.0]
    quarters = [out.samples.at_fraction(messages, f) for f in (0.25, 0.5, 0.75, 1.0)]
    quarter_rss = [p[2] for p in quarters if p]
    progress, gaps = progress_gaps(out.timeline)
    max_gap = max(gaps, default=0.0)
    c = out.checks
    table(
        ("", "value"),
        [
            ("stored rows", f"{c['rows']:,}"),
            (
                "missing / extra / duplicate ids",
                f"{c['missing']} / {c['extra']} / {c['duplicates']}",
            ),
            ("cursors not at the newest id", c["cursors_behind"]),
            ("history requests", f"{out.pages:,}"),
            ("bot process: spawn to all stored", f"{last[0]:.1f}s"),
            ("first to last message stored", f"{seconds:.1f}s"),
            ("messages/s (backfill)", f"{rate:,.0f}"),
            ("progress lines / longest silence", f"{progress} / {max_gap:.1f}s"),
            ("RSS start / peak / end (MB)", f"{first[2]:.0f} / {max(rss):.0f} / {rss[-1]:.0f}"),
            ("RSS at 25/50/75/100% stored (MB)", " / ".join(f"{x:.0f}" for x in quarter_rss)),
            ("bot exit code, errors logged", f"{out.exit_code}, {len(out.errors)}"),
        ],
    )
    print("backfill log (seconds after the start banner):")
    for at, text in out.timeline:
        print(f"  {at:6.1f}s  {text}")
    for line in out.errors[:5]:
        print("  log:", line)
    if c["rows"] != messages:
        print(out.log[-3000:])
    lossless = c["rows"] == messages and not (c["missing"] or c["extra"] or c["cursors_behind"])
    flat = len(quarter_rss) == 4 and max(quarter_rss) - min(quarter_rss) < 25
    logged = max_gap <= PROGRESS_EVERY + 1.5 and (progress > 0 or seconds < 2 * PROGRESS_EVERY)
    verdict(
        "backfill lossless",
        lossless,
        f"{c['rows']:,} stored of {messages:,}, {c['missing']} missing, {c['extra']} extra",
    )
    verdict(
        "backfill progress log",
        logged,
        f"{progress} progress lines, longest silence {max_gap:.1f}s, "
        f"target <= {PROGRESS_EVERY:.0f}s + a page",
    )
    verdict(
        "backfill memory flat",
        flat,
        f"RSS {min(quarter_rss, default=0):.0f}-{max(quarter_rss, default=0):.0f} MB "
        "from 25% to 100% stored, allowed spread < 25 MB",
    )
    verdict(
        "backfill time",
        seconds < 180,
        f"{rate:,.0f} messages/s, {seconds:.0f}s for {messages:,}; target: a couple of minutes",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--channels", type=int, default=4)
    parser.add_argument("--limit", type=float, default=400, help="seconds before giving up")
    args = parser.parse_args(argv)
    print_machine()
    report(asyncio.run(run(args.messages, args.channels, args.limit)), args.messages)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
