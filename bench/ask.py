"""How fast ``/ask`` answers over a large archive, and what the word index costs on disk.

A deterministic synthetic guild (``bench/recap_scale.py``'s: public and private channels and
threads, English and Japanese, replies, mentions) is written through the real store into a
real SQLite file. The indexer then fills the word index (timed), and ``search()`` answers
questions built from the guild's own topics as members with different permissions, timed one
by one (warm: the way a bot answers after its first question). Size: the search tables'
pages (dbstat) against the rest of the file.

    python -m bench.ask                      # 1,000,000 messages, 300 questions
    python -m bench.ask --messages 100000    # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench.recap_scale import GID, TOPICS, build_guild
from bot.db import Store
from bot.recap.ask import index_pending, search


async def measure(messages: int, members: int, queries: int) -> dict[str, float]:
    """Build, index and query; the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "ask.db")
        async with await Store.open(path) as store:
            t = time.perf_counter()
            await build_guild(store, members, messages)
            built = time.perf_counter() - t
            t = time.perf_counter()
            indexed = await index_pending(store)
            index_s = time.perf_counter() - t
            await store.checkpoint()
            search_bytes, total = await store.search.footprint()
            rng = random.Random(11)
            words = sorted({w for topic in TOPICS for w in topic.split()})
            askers = [1000 + i for i in (0, 1, 5, 20, members - 1)]
            times = []
            found = 0
            for i in range(queries):
                question = " ".join(rng.sample(words, rng.choice((1, 2, 3))))
                t = time.perf_counter()
                answer = await search(store, GID, askers[i % len(askers)], question)
                times.append(time.perf_counter() - t)
                found += bool(answer.passages)
    times.sort()
    base = total - search_bytes
    return {
        "build_s": built,
        "indexed": indexed,
        "index_s": index_s,
        "p50_ms": 1000 * statistics.median(times),
        "p99_ms": 1000 * times[min(len(times) - 1, int(0.99 * len(times)))],
        "max_ms": 1000 * times[-1],
        "answered": found / queries,
        "base_mb": base / 2**20,
        "search_mb": search_bytes / 2**20,
        "growth": search_bytes / base if base else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args(argv)
    r = asyncio.run(measure(args.messages, args.members, args.queries))
    print(f"{args.messages:,} messages, {args.members} members: built in {r['build_s']:.0f} s")
    rate = r["indexed"] / r["index_s"] if r["index_s"] else 0.0
    print(f"indexed {r['indexed']:,.0f} messages in {r['index_s']:.1f} s ({rate:,.0f} msg/s)")
    print(
        f"/ask over {args.queries} questions: p50 {r['p50_ms']:.0f} ms, "
        f"p99 {r['p99_ms']:.0f} ms, max {r['max_ms']:.0f} ms; "
        f"{100 * r['answered']:.0f}% found something"
    )
    print(
        f"size: archive {r['base_mb']:.1f} MB, search tables {r['search_mb']:.1f} MB "
        f"(+{100 * r['growth']:.0f}%)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
