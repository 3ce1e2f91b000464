"""Memory: the weekly digest and every member's recap over a 1,000,000-message archive.

The archive is ``bench/recap_scale.py``'s synthetic guild: one week of it is generated through
the real store (the week the digest covers), then copied 25 times further into the past with
plain SQL (ids, times and reply links shifted by whole weeks; mentions and reactions with them)
until the guild holds ~1M messages over 26 weeks. Each measurement runs in a fresh child
process, so the builder's memory does not count:

- ``RecapService.run(digest=True, member_ids=<every member>)`` for the last week, which is
  what the weekly job needs (the digest and all DM recaps from one shared load), and
- the same on a database holding only that week, to show the history does not matter.

Peak RSS is ``getrusage(RUSAGE_SELF).ru_maxrss`` of the child, cross-checked with ``VmHWM``
from ``/proc/self/status``; "idle" is the child after its imports and ``Store.open``. The
builder runs in its own child too: Linux carries the parent's high-water mark into a child's
``ru_maxrss`` across fork/exec, so a fat parent would inflate the figure.

    python -m bench.memory [--weeks 26] [--per-week 38500] [--members 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.ingest import print_machine, table, verdict
from bench.recap_scale import GID, T0, WEEK, build_guild, summarizer
from bot.db import Store

LIMIT_MB = 250
WEEK_MS = int(WEEK.total_seconds() * 1000)
_MESSAGE_COLUMNS = (
    "guild_id, channel_id, author_id, content, kind, started_thread_id, attachments, pinned, "
    "deleted"
)


def rss_mb() -> float:
    """Peak RSS of this process so far, in MB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def status_mb(field: str) -> float:
    """A field of /proc/self/status (VmHWM: peak RSS of this address space; RssAnon: heap;
    RssFile: mapped files, e.g. Sudachi's dictionary), in MB; 0 where unavailable."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


async def build_week(path: Path, members: int, per_week: int) -> None:
    """The digest's week, written through the real store (Store.open migrates)."""
    store = await Store.open(str(path))
    try:
        await build_guild(store, members, per_week)
    finally:
        await store.close()


def add_history(path: Path, weeks: int) -> int:
    """Copy the week ``weeks - 1`` times into the past with plain SQL; returns total messages."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")  # 256 MiB for the builder, not the child
        low, high = conn.execute("SELECT MIN(id), MAX(id) FROM messages").fetchone()
        for k in range(1, weeks):
            shift_ms, shift_id = k * WEEK_MS, (k * WEEK_MS) << 22
            conn.execute("BEGIN")
            conn.execute(
                f"INSERT INTO messages (id, created_at, edited_at, reply_to_id, "
                f"{_MESSAGE_COLUMNS}) SELECT id - ?1, created_at - ?2, edited_at - ?2, "
                f"reply_to_id - ?1, {_MESSAGE_COLUMNS} FROM messages WHERE id BETWEEN ?3 AND ?4",
                (shift_id, shift_ms, low, high),
            )
            conn.execute(
                "INSERT INTO mentions (message_id, target_type, target_id) "
                "SELECT message_id - ?1, target_type, target_id FROM mentions "
                "WHERE message_id BETWEEN ?2 AND ?3",
                (shift_id, low, high),
            )
            conn.execute(
                "INSERT INTO reactions (message_id, user_id, emoji) "
                "SELECT message_id - ?1, user_id, emoji FROM reactions "
                "WHERE message_id BETWEEN ?2 AND ?3",
                (shift_id, low, high),
            )
            conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return int(conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0])
    finally:
        conn.close()


def counts(path: Path) -> dict[str, int]:
    """Rows per big table, and messages in the digest window."""
    with sqlite3.connect(path) as conn:
        found = {
            t: int(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0])
            for t in ("messages", "mentions", "reactions")
        }
        found["window"] = int(
            conn.execute(
                "SELECT COUNT(*) FROM messages WHERE guild_id = ? AND created_at >= ? "
                "AND created_at < ?",
                (GID, int(T0.timestamp() * 1000), int((T0 + WEEK).timestamp() * 1000)),
            ).fetchone()[0]
        )
    return found


async def child(path: str) -> dict[str, float]:
    """In the child: open the store, run the digest and every recap, report RSS and time."""
    from bot.recap.service import RecapService

    store = await Store.open(path)
    try:
        members = [m.user_id for m in await store.members.list(GID, present_only=True)]
        idle = rss_mb()
        service = RecapService(store, summarizer())  # type: ignore[arg-type]
        started = time.perf_counter()
        result = await service.run(GID, T0, T0 + WEEK, member_ids=members, digest=True)
        seconds = time.perf_counter() - started
        assert result.digest is not None and len(result.recaps) == len(members)
        shown = sum(len(r.items) for r in result.recaps.values())
    finally:
        await store.close()
    return {
        "idle_mb": idle,
        "peak_mb": rss_mb(),
        "hwm_mb": status_mb("VmHWM"),
        "anon_mb": status_mb("RssAnon"),
        "file_mb": status_mb("RssFile"),
        "seconds": seconds,
        "recaps": len(members),
        "items": shown,
        "digest_items": len(result.digest.items),
    }


def measure(path: Path) -> dict[str, float]:
    """Run :func:`child` in a fresh interpreter."""
    return _spawn("--child", str(path))


def _spawn(*args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.memory", *args],
        cwd=Path(__file__).resolve().parent.parent,  # where `-m bench.memory` resolves
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--per-week", type=int, default=38_500)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--build", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(asyncio.run(child(args.child))))
        return 0
    if args.build:
        week_db, full_db = Path(args.build) / "week.db", Path(args.build) / "archive.db"
        asyncio.run(build_week(week_db, args.members, args.per_week))
        shutil.copyfile(week_db, full_db)
        print(json.dumps({"total": add_history(full_db, args.weeks)}))
        return 0
    print_machine()
    with tempfile.TemporaryDirectory() as tmp:
        week_db, full_db = Path(tmp) / "week.db", Path(tmp) / "archive.db"
        started = time.perf_counter()
        sizes = ("--weeks", str(args.weeks), "--per-week", str(args.per_week))
        total = int(_spawn("--build", tmp, *sizes, "--members", str(args.members))["total"])
        built = time.perf_counter() - started
        size = full_db.stat().st_size / 2**20
        full = counts(full_db)
        print(
            f"archive: {full['messages']:,} messages, {full['mentions']:,} mentions, "
            f"{full['reactions']:,} reactions over {args.weeks} weeks, {args.members} members, "
            f"{size:.0f} MiB; digest window {full['window']:,} messages; built in {built:.1f}s"
        )
        rows = []
        results = {}
        for label, path in (("1 week only", week_db), (f"{total:,} messages", full_db)):
            r = measure(path)
            results[label] = r
            rows.append(
                (
                    label,
                    f"{r['idle_mb']:.0f}",
                    f"{r['peak_mb']:.0f}",
                    f"{r['hwm_mb']:.0f}",
                    f"{r['anon_mb']:.0f} + {r['file_mb']:.0f}",
                    f"{r['seconds']:.1f}",
                    int(r["recaps"]),
                    int(r["digest_items"]),
                )
            )
        head = (
            "archive",
            "idle MB",
            "peak RSS MB",
            "VmHWM MB",
            "end: heap + files MB",
            "run s",
            "recaps",
            "digest items",
        )
        table(head, rows)
    peak = results[f"{total:,} messages"]["peak_mb"]
    full = total >= 1_000_000 * 0.99
    verdict(
        "memory",
        peak < LIMIT_MB and full,
        f"peak RSS {peak:.0f} MB for digest + {args.members} recaps over {total:,} messages, "
        f"target < {LIMIT_MB} MB"
        + ("" if full else " over 1,000,000 messages; a smaller run does not count"),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
