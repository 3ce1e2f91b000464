"""Concurrent ``/recap`` work and the event loop: latency and loop lag, in one process.

The 10,000-message week of ``bench/recap_scale.py`` (50 members) in a real SQLite file; then,
for 1, 5, 20 and 50 concurrent requests, that many different members ask for their recap at
once through ``RecapService.recap`` + ``render_embeds`` on the same event loop the bot would
use, while a ticker task wakes every 10 ms and records how late it woke (the loop lag: how
long the loop could not run anything else, such as deferring another interaction inside
Discord's 3 seconds or answering a heartbeat). Extractive summarizer, warm summary cache after
the first level. Targets are issue #13's.

    python -m bench.loop_lag [--messages 10000] [--members 50] [--levels 1,5,20,50]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench.ingest import print_machine, table, verdict
from bench.latency import percentiles
from bench.recap_scale import GID, T0, WEEK, build_guild, summarizer
from bot.db import Store
from bot.recap import RecapService, render_embeds

TICK = 0.010


async def ticker(lags: list[float], stop: asyncio.Event) -> None:
    """Sleep TICK again and again; record how much later than asked each wake-up came."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        asked = loop.time()
        await asyncio.sleep(TICK)
        lags.append(max(0.0, loop.time() - asked - TICK))


async def level(service: RecapService, users: list[int]) -> tuple[list[float], float]:
    """Latencies of len(users) concurrent recaps, and the worst loop lag meanwhile."""
    lags: list[float] = []
    stop = asyncio.Event()
    tick = asyncio.create_task(ticker(lags, stop))
    await asyncio.sleep(0.05)

    async def one(user: int) -> float:
        started = time.perf_counter()
        render_embeds(await service.recap(GID, user, T0, T0 + WEEK))
        return time.perf_counter() - started

    times = await asyncio.gather(*(one(u) for u in users))
    stop.set()
    await tick
    return list(times), max(lags, default=0.0)


async def run(args: argparse.Namespace) -> list[tuple[int, float, float, float]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(str(Path(tmp) / "hearth.db"))
        try:
            await build_guild(store, args.members, args.messages)
            service = RecapService(store, summarizer())  # type: ignore[arg-type]
            users = list(range(1000, 1000 + args.members))
            await level(service, users[:1])  # warm the summary cache and the tokenizer
            for n in args.levels:
                times, lag = await level(service, [users[i % len(users)] for i in range(n)])
                q = percentiles(times)
                rows.append((n, q["p50"], q["p99"], lag))
        finally:
            await store.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--levels", default="1,5,20,50")
    args = parser.parse_args(argv)
    args.levels = [int(x) for x in args.levels.split(",")]
    print_machine()
    rows = asyncio.run(run(args))
    table(
        ["concurrent /recap", "p50", "p99", "max loop lag"],
        [(n, f"{p50 * 1000:,.0f} ms", f"{p99 * 1000:,.0f} ms", f"{lag * 1000:,.0f} ms")
         for n, p50, p99, lag in rows],
    )  # fmt: skip
    by = {n: (p50, p99, lag) for n, p50, p99, lag in rows}
    if 1 in by:
        verdict("1 alone p99 < 300 ms", by[1][1] < 0.3, f"{by[1][1] * 1000:.0f} ms")
    if 20 in by:
        verdict("20 concurrent p99 < 1,000 ms", by[20][1] < 1.0, f"{by[20][1] * 1000:.0f} ms")
    worst = max(lag for *_, lag in rows)
    verdict("max loop lag < 100 ms at every level", worst < 0.1, f"{worst * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
