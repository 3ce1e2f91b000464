"""Latency of ``/recap`` over a 10,000-message week, from INTERACTION_CREATE to the follow-up.

The week is ``bench/recap_scale.py``'s synthetic guild (members, roles, public and private
channels, public and private threads, a forum, replies, mentions), rebuilt inside the Discord
double as offline history with its times moved into the last seven days. Hearth runs as its own
process (``python -m bot run``, the extensions of ``bot.app.client.EXTENSIONS``), backfills the
week through the REST history endpoint, and then this process sends ``/recap`` interactions one
after another as different members, timing each from the moment the double dispatches
INTERACTION_CREATE to the moment it receives the first follow-up (the recap itself; the
"thinking…" deferral comes first). Extractive summarizer, default options (7 days, private).

Then concurrent ``/recap``s (issue #13): for each of ``--levels`` (1, 5, 20, 50), that many
members press ``/recap`` at the same moment. The bot runs in its own process, so its event
loop's lag is read from the deferral: the handler defers at once, so the time from
INTERACTION_CREATE to the deferral is how long the bot's loop could not run it (plus the
round trip over loopback). For context, the same recaps without Discord
(``RecapService.recap`` + ``render_embeds`` on a copy of the bot's database).

    python -m bench.latency [--messages 10000] [--members 50] [--requests 50] [--levels 1,5,20,50]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.backfill import start_double, stored
from bench.ingest import print_machine, table, verdict
from bench.recap_scale import GID, T0, WEEK, build_guild, summarizer
from bot.app.client import EXTENSIONS
from bot.db import Store
from bot.recap import RecapService, render_embeds
from testing.discord_double import payloads as p
from testing.discord_double import perms
from testing.discord_double.seed import SeededGuild
from testing.discord_double.server import DiscordDouble
from tests.e2e.harness import BotProcess

TARGET_P99 = 1.0
_THREAD_TYPES = {"thread": p.PUBLIC_THREAD, "private_thread": p.PRIVATE_THREAD}


def percentiles(values: list[float]) -> dict[str, float]:
    """p50/p95/p99 (inclusive method) and the max."""
    if len(values) < 2:
        v = values[0] if values else 0.0
        return {"p50": v, "p95": v, "p99": v, "max": v}
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": q[49], "p95": q[94], "p99": q[98], "max": max(values)}


async def mirror_guild(
    double: DiscordDouble, seed: SeededGuild, folder: Path, members: int, messages: int
) -> list[int]:
    """Build the synthetic week and re-create it in the double; returns the member ids."""
    store = await Store.open(str(folder / "synthetic.db"))
    try:
        await build_guild(store, members, messages)
        channels = await store.channels.list(GID)
        people = await store.members.list(GID)
        roles = await store.members.all_role_ids(GID)
        threads = await store.recap.thread_members(GID)
        records = [m async for m in store.messages.iter_window(GID, T0, T0 + WEEK * 2)]
    finally:
        await store.close()
    state, gid = double.state, seed.guild_id
    role_map = {
        r: int(state.add_role(gid, name, 0)["id"]) for r, name in ((2, "mods"), (3, "crew"))
    }
    user_map = {}
    for m in people:
        user_id = int(state.add_user(m.name)["id"])
        state.add_member(
            gid, user_id, roles=[role_map[r] for r in sorted(roles.get(m.user_id, ()))]
        )
        user_map[m.user_id] = user_id
    chan_map: dict[int, int] = {}
    for c in sorted(channels, key=lambda c: (c.parent_id is not None, c.id)):
        if c.kind == "text":
            overwrites = None
            if c.overwrites:  # the private channels: one role (and the bot) may view
                allowed = [role_map[o.target_id] for o in c.overwrites if o.target_id in role_map]
                overwrites = [p.overwrite(gid, deny=perms.VIEW_CHANNEL)] + [
                    p.overwrite(r, allow=perms.VIEW_CHANNEL) for r in (*allowed, seed.bot_role_id)
                ]
            made = state.add_channel(gid, c.name, parent_id=seed.category_id, overwrites=overwrites)
        elif c.kind == "forum":
            made = state.add_channel(gid, c.name, p.GUILD_FORUM, parent_id=seed.category_id)
        else:
            inside = [user_map[u] for u in sorted(threads.get(c.id, ()))]
            made = state.add_thread(
                chan_map[c.parent_id or 0],
                c.name,
                owner_id=inside[0] if inside else user_map[people[0].user_id],
                thread_type=_THREAD_TYPES.get(c.kind, p.PUBLIC_THREAD),
                members=[*inside[1:], seed.bot_id],  # the bot was added to private threads
            )
        chan_map[c.id] = int(made["id"])
    first, last = records[0].created_at, records[-1].created_at
    end = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=15)
    scale = (dt.timedelta(days=7) - dt.timedelta(minutes=30)) / max(last - first, dt.timedelta(1))
    ids: dict[int, int] = {}
    for m in records:
        users = [user_map[x.target_id] for x in m.mentions if x.target_type == "user"]
        made = state.add_message(
            chan_map[m.channel_id],
            user_map[m.author_id],
            m.content,
            reply_to=ids.get(m.reply_to_id or 0),
            mentions=[u for u in users if u in state.users],
            mention_roles=[
                role_map[x.target_id]
                for x in m.mentions
                if x.target_type == "role" and x.target_id in role_map
            ],
            mention_everyone=any(x.target_type == "everyone" for x in m.mentions),
            mention_reply=False,
            at=end - (last - m.created_at) * scale,
        )
        ids[m.id] = int(made["id"])
    return [user_map[m.user_id] for m in people]


async def fire(double: DiscordDouble, user: int, channel: int) -> tuple[float, float, int]:
    """One /recap: seconds to the deferral and to the first follow-up, and its embed count."""
    sent = time.monotonic()
    record = await double.interaction("recap", user_id=user, channel_id=channel)
    await record.wait_for_response(timeout=30)
    deferred = time.monotonic() - sent
    followup = await record.wait_for_followup(timeout=60)
    return deferred, time.monotonic() - sent, len(followup.get("embeds") or [])


async def without_discord(db: Path, users: list[int], guild_id: int) -> list[float]:
    """RecapService.recap + render_embeds for ``users`` on a copy of the bot's database."""
    store = await Store.open(str(db))
    try:
        service = RecapService(store, summarizer())  # type: ignore[arg-type]
        times = []
        for user in users:
            until = dt.datetime.now(dt.UTC)
            started = time.perf_counter()
            render_embeds(await service.recap(guild_id, user, until - dt.timedelta(days=7), until))
            times.append(time.perf_counter() - started)
        return times
    finally:
        await store.close()


async def run(args: argparse.Namespace) -> dict[str, object]:
    double, seed = await start_double()
    result: dict[str, object] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            started = time.perf_counter()
            people = await mirror_guild(double, seed, folder, args.members, args.messages)
            seeded = sum(len(double.state.messages.get(c, {})) for c in list(double.state.channels))
            print(
                f"double: {seeded:,} messages of {len(people)} members in the last 7 days "
                f"(built in {time.perf_counter() - started:.1f}s)"
            )
            db = folder / "hearth.db"
            bot = BotProcess(double, db, folder / "bot.log")
            bot.start()
            try:
                for _ in range(900):  # up to 3 minutes for the backfill
                    if stored(db) >= seeded:
                        break
                    await asyncio.sleep(0.2)
                result["stored"] = stored(db)
                await asyncio.sleep(1.0)  # let the post-backfill catch-up settle
                order = random.Random(7).sample(people, len(people))
                users = [order[i % len(order)] for i in range(args.requests)]
                channel = seed.general_id
                timings = []
                if args.discord:
                    timings = [await fire(double, u, channel) for u in users]
                    levels: dict[int, list[tuple[float, float, int]]] = {}
                    for level in args.levels:
                        who = [order[i % len(order)] for i in range(level)]
                        levels[level] = list(
                            await asyncio.gather(*(fire(double, u, channel) for u in who))
                        )
                        await asyncio.sleep(0.5)
                    result["levels"] = levels
                result["deferred"] = [t[0] for t in timings]
                result["followup"] = [t[1] for t in timings]
                result["embeds"] = [t[2] for t in timings]
            finally:
                code = await asyncio.to_thread(bot.stop)
            result["exit"] = code
            errors = [ln for ln in bot.log().splitlines() if " ERROR " in ln]
            result["errors"] = errors
            copy = folder / "copy.db"
            shutil.copyfile(db, copy)
            result["direct"] = await without_discord(copy, users, seed.guild_id)
            result["seeded"] = seeded
    finally:
        await double.stop()
    return result


def concurrent_table(levels: dict[int, list[tuple[float, float, int]]]) -> None:
    """Issue #13's table and targets: concurrent /recap through Discord, loop lag from the
    deferral."""
    rows = []
    for level, shots in levels.items():
        follow = percentiles([t[1] for t in shots])
        rows.append(
            (
                level,
                f"{follow['p50'] * 1000:,.0f}",
                f"{follow['p99'] * 1000:,.0f}",
                f"{max(t[0] for t in shots) * 1000:,.0f}",
                sum(1 for t in shots if t[2]),
            )
        )
    print("concurrent /recap through the double (follow-up times; lag = slowest deferral):")
    table(("concurrent", "p50 ms", "p99 ms", "max deferral ms", "with embeds"), rows)
    if 20 in levels:
        twenty = percentiles([t[1] for t in levels[20]])["p99"]
        verdict("recap x20", twenty < 1.0, f"p99 {twenty * 1000:.0f} ms, target < 1,000 ms")
    lag = max(t[0] for shots in levels.values() for t in shots)
    verdict("recap loop lag", lag < 0.1, f"slowest deferral {lag * 1000:.0f} ms, target < 100 ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--levels", default="1,5,20,50", help="concurrent /recaps at once")
    args = parser.parse_args(argv)
    args.levels = [int(x) for x in args.levels.split(",")]
    args.discord = "cogs.members" in EXTENSIONS
    print_machine()
    if not args.discord:
        print("/recap is not loaded (cogs.members not in bot.app.client.EXTENSIONS): measuring the")
        print("same path WITHOUT Discord only (RecapService.recap + render_embeds)")
    r = asyncio.run(run(args))
    errors: list[str] = r["errors"]  # type: ignore[assignment]
    print(f"bot stored {r['stored']:,} of {r['seeded']:,}; exit {r['exit']}; {len(errors)} errors")
    for line in errors[:5]:
        print("  log:", line)
    rows = []
    for label, key in (
        ("/recap: INTERACTION_CREATE -> deferral", "deferred"),
        ("/recap: INTERACTION_CREATE -> follow-up", "followup"),
        ("RecapService.recap + render_embeds (no Discord)", "direct"),
    ):
        values: list[float] = r.get(key) or []  # type: ignore[assignment]
        if values:
            q = percentiles(values)
            cells = [f"{q[k] * 1000:.0f}" for k in ("p50", "p95", "p99", "max")]
            rows.append((label, len(values), *cells))
    table(("path", "n", "p50 ms", "p95 ms", "p99 ms", "max ms"), rows)
    measured: list[float] = r["followup"] if args.discord else r["direct"]  # type: ignore[assignment]
    if args.discord:
        embeds: list[int] = r["embeds"]  # type: ignore[assignment]
        print(
            f"first /recap (cold summary cache): {measured[0] * 1000:.0f} ms; follow-ups with "
            f"embeds: {sum(1 for e in embeds if e)} of {len(embeds)}"
        )
    levels: dict[int, list[tuple[float, float, int]]] = r.get("levels") or {}  # type: ignore[assignment]
    if levels:
        concurrent_table(levels)
        alone = percentiles(measured)["p99"]  # the sequential requests: each one alone
        verdict(
            "recap alone",
            alone < 0.3,
            f"p99 {alone * 1000:.0f} ms over {len(measured)} one at a time, target < 300 ms",
        )
    p99 = percentiles(measured)["p99"]
    how = "/recap via the double" if args.discord else "WITHOUT Discord (no /recap loaded)"
    verdict(
        "recap latency",
        p99 < TARGET_P99 and r["stored"] == r["seeded"],
        f"p99 {p99 * 1000:.0f} ms over {len(measured)} recaps, {how}, "
        f"{r['seeded']:,}-message week, target < {TARGET_P99 * 1000:.0f} ms",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
