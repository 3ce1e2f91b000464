"""The weekly fan-out of a hosted instance: many small guilds due at the same moment.

N guilds x 30 members x 300 messages a week in ONE SQLite file (three public channels and a
private one each, replies, mentions, every member opted in to weekly DMs, a digest channel).
All N guilds keep the default slot (Monday 09:00 UTC) and are due at once, as after the
scheduler fires; ``HearthScheduler.run_now`` runs each through the real ``DeliveryService``,
``RecapContent`` and ``RecapService`` (extractive), ``max_parallel`` guilds at a time. The
publisher records what it is given instead of calling Discord, and DMs are not paced
(``dm_interval=0``), so the time is Hearth's own work: every digest, every DM recap, the
ledger. A ticker measures the event loop's lag meanwhile. Each size runs in a fresh child
process, so its peak RSS is its own.

    python -m bench.fanout [--guilds 50,100,200] [--members 30] [--messages 300]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.ingest import print_machine, table, verdict
from bench.loop_lag import ticker
from bench.recap_scale import QUESTIONS, TOPICS, summarizer
from bot.db import Store
from bot.delivery.content import RecapContent
from bot.delivery.scheduler import HearthScheduler
from bot.delivery.service import DeliveryService
from bot.models import (
    ChannelRecord,
    GuildRecord,
    MemberRecord,
    Mention,
    MessageRecord,
    Overwrite,
    RoleRecord,
)
from bot.recap import RecapService
from bot.timeutil import snowflake_at

SLOT = dt.datetime(2026, 3, 9, 9, 0, tzinfo=dt.UTC)  # a Monday 09:00
NOW = SLOT + dt.timedelta(minutes=1)
WEEK = dt.timedelta(days=7)
VIEW = (1 << 10) | (1 << 16)  # VIEW_CHANNEL | READ_MESSAGE_HISTORY


async def build(store: Store, guilds: int, members: int, messages: int) -> None:
    """N deterministic small guilds; ids never collide across guilds."""
    rng = random.Random(guilds * 31 + members * 7 + messages)
    serial = 0
    for g in range(1, guilds + 1):
        gid, crew = 10_000 + g, 20_000 + g
        users = [1_000_000 + g * 1_000 + i for i in range(members)]
        public = [g * 100 + c for c in range(1, 4)]
        private = g * 100 + 9
        async with store.transaction():
            await store.guilds.upsert(GuildRecord(gid, f"Circle {g}", owner_id=users[0]))
            await store.guilds.replace_roles(
                gid, [RoleRecord(gid, gid, "@everyone", VIEW), RoleRecord(crew, gid, "crew")]
            )
            for cid in public:
                await store.channels.upsert(ChannelRecord(cid, gid, "text", f"chat-{cid}"))
            lock = (Overwrite(gid, "role", deny=1 << 10), Overwrite(crew, "role", allow=1 << 10))
            await store.channels.upsert(
                ChannelRecord(private, gid, "text", "crew", overwrites=lock)
            )
            await store.members.upsert_many(
                MemberRecord(
                    gid,
                    u,
                    f"user{u}",
                    f"Member {u}",
                    joined_at=SLOT - WEEK * 10,
                    role_ids=(crew,) if i % 4 == 0 else (),
                )
                for i, u in enumerate(users)
            )
            for u in users:
                await store.members.set_dm(gid, u, True, "weekly")
            await store.guilds.update_settings(
                gid, digest_channel_id=public[0], digest_hour=9, digest_weekday=0
            )
            batch: list[MessageRecord] = []
            while len(batch) < messages:
                channel = rng.choice([*public, *public, private])
                people = rng.sample(users, k=rng.randint(2, 5))
                topic = rng.choice(TOPICS).split()
                at = SLOT - WEEK + rng.random() * (WEEK - dt.timedelta(hours=3))
                ids: list[tuple[int, int]] = []
                for _ in range(min(rng.randint(3, 15), messages - len(batch))):
                    serial += 1
                    author = rng.choice(people)
                    words = " ".join(rng.sample(topic, k=min(3, len(topic))))
                    text = rng.choice(QUESTIONS).format(words) if rng.random() < 0.15 else words
                    reply = rng.choice(ids)[0] if ids and rng.random() < 0.4 else None
                    mention = (
                        (Mention("user", rng.choice(ids)[1]),)
                        if ids and rng.random() < 0.15
                        else ()
                    )
                    mid = snowflake_at(at, serial)
                    batch.append(
                        MessageRecord(
                            mid, gid, channel, author, at, text, reply_to_id=reply, mentions=mention
                        )
                    )
                    ids.append((mid, author))
                    at += dt.timedelta(seconds=rng.randint(20, 600))
            batch.sort(key=lambda m: m.id)
            await store.messages.insert_many(batch)


class RecordingPublisher:
    """Takes every delivery as Discord would, without a network: counts and ids."""

    def __init__(self) -> None:
        self.digests = 0
        self.dms = 0
        self.messages = 0
        self._next = 1

    def _ids(self, messages: list[object]) -> tuple[int, ...]:
        self._next += len(messages)
        self.messages += len(messages)
        return tuple(range(self._next - len(messages), self._next))

    async def post(self, channel_id: int, messages: list[object], *, nonce: str) -> tuple[int, ...]:
        self.digests += 1
        return self._ids(messages)

    async def dm(self, user_id: int, messages: list[object], *, nonce: str) -> tuple[int, ...]:
        self.dms += 1
        return self._ids(messages)

    async def find_marker(self, place: object, marker: str, *, since: dt.datetime) -> tuple[()]:
        return ()


def _hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def child(args: argparse.Namespace) -> dict[str, float]:
    """One size, in this (fresh) process: build, then the fan-out, measured."""
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(str(Path(tmp) / "hosted.db"))
        try:
            started = time.perf_counter()
            await build(store, args.guilds, args.members, args.messages)
            built = time.perf_counter() - started
            publisher = RecordingPublisher()
            recaps = RecapService(store, summarizer())  # type: ignore[arg-type]
            delivery = DeliveryService(
                store, RecapContent(recaps), publisher, clock=lambda: NOW, dm_interval=0
            )
            scheduler = HearthScheduler(
                store, delivery, clock=lambda: NOW, max_parallel=args.parallel
            )
            rss_before = _hwm_mb()
            lags: list[float] = []
            stop = asyncio.Event()
            tick = asyncio.create_task(ticker(lags, stop))
            await asyncio.sleep(0.05)
            started = time.perf_counter()
            guild_ids = [10_000 + g for g in range(1, args.guilds + 1)]
            reports = await asyncio.gather(*(scheduler.run_now(g, ("weekly",)) for g in guild_ids))
            elapsed = time.perf_counter() - started
            stop.set()
            await tick
            failed = sum(len(r.failed) for rs in reports for r in rs)
            return {
                "guilds": args.guilds,
                "built_s": built,
                "seconds": elapsed,
                "digests": publisher.digests,
                "dms": publisher.dms,
                "messages": publisher.messages,
                "failed": failed,
                "lag_ms": max(lags, default=0.0) * 1000,
                "rss_before_mb": rss_before,
                "peak_mb": _hwm_mb(),
            }
        finally:
            await store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guilds", default="50,100,200")
    parser.add_argument("--members", type=int, default=30)
    parser.add_argument("--messages", type=int, default=300, help="per guild per week")
    parser.add_argument("--parallel", type=int, default=2, help="guild runs at a time")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        args.guilds = int(args.guilds)
        print(json.dumps(asyncio.run(child(args))))
        return 0
    print_machine()
    print(
        f"each guild: {args.members} members (all opted in to weekly DMs), {args.messages} "
        f"messages in the week, 3 public channels + 1 private; {args.parallel} guild runs at a "
        "time; one SQLite file; extractive; no Discord round trip, DMs not paced"
    )
    results = []
    for n in (int(x) for x in args.guilds.split(",")):
        out = subprocess.run(
            [sys.executable, "-m", "bench.fanout", "--child", "--guilds", str(n), "--members",
             str(args.members), "--messages", str(args.messages), "--parallel",
             str(args.parallel)],
            capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parent.parent,
        )  # fmt: skip
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    rows = [
        (
            int(r["guilds"]),
            int(r["guilds"]) * args.messages,
            f"{r['built_s']:.1f}",
            f"{r['seconds']:.1f}",
            f"{r['seconds'] / r['guilds'] * 1000:.0f}",
            int(r["digests"]),
            int(r["dms"]),
            int(r["failed"]),
            f"{r['lag_ms']:.0f}",
            f"{r['rss_before_mb']:.0f}",
            f"{r['peak_mb']:.0f}",
        )
        for r in results
    ]
    table(
        ("guilds", "messages", "build s", "fan-out s", "ms/guild", "digests", "DMs", "failed",
         "max lag ms", "RSS before MB", "peak MB"),
        rows,
    )  # fmt: skip
    largest = results[-1]
    per_guild = [r["seconds"] / r["guilds"] for r in results]
    verdict(
        "fan-out time",
        largest["seconds"] < 30,
        f"{int(largest['guilds'])} guilds in {largest['seconds']:.1f} s, target < 30 s",
    )
    verdict(
        "fan-out linear",
        max(per_guild) <= 1.5 * min(per_guild),
        "per guild " + " / ".join(f"{p * 1000:.0f}" for p in per_guild) + " ms, within 1.5 x",
    )
    worst = max(r["lag_ms"] for r in results)
    verdict("fan-out loop lag", worst < 100, f"max {worst:.0f} ms, target < 100 ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
