"""How the recap pipeline scales: a synthetic guild in a real SQLite file, all recaps at once.

For each (members, messages) pair a deterministic guild is written through the real store:
public and private channels, public and private threads, replies, mentions (users, roles,
@everyone), reactions, questions, a little Japanese. Then one ``RecapService.run`` builds the
digest and EVERY member's recap with the extractive summarizer (cold cache), timed end to end,
and a second run shows the warm cache. Summarizer calls are counted to show each conversation
is summarized once, not once per member.

    python -m bench.recap_scale            # 50/200/500 members x 5k/20k/50k messages
    python -m bench.recap_scale --quick    # a smaller grid
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import tempfile
import time
from pathlib import Path

from bot.db import Store
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
from bot.recap.service import RecapService
from bot.recap.types import Conversation, Summary
from bot.timeutil import snowflake_at

GID = 1
EVERYONE_PERMS = (1 << 10) | (1 << 16)
MODS, CREW = 2, 3
T0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
WEEK = dt.timedelta(days=7)
TOPICS = [
    "board games friday night wingspan catan",
    "sourdough starter bread flour oven",
    "climbing gym bouldering shoes route",
    "python script error pandas csv",
    "ramen place downtown tonkotsu noodles",
    "cat vet scratching post kitten",
    "minecraft server village update",
    "hiking trail weekend mountain weather",
    "book club novel chapter ending",
    "garden tomatoes seeds compost",
    "ボードゲーム 金曜日 カタン",
    "ラーメン 屋 駅前 とんこつ",
]
QUESTIONS = ["anyone know {}?", "what do you think about {}?", "{} ですか?", "how do I fix {}?"]


class CountingSummarizer:
    """Wraps a summarizer and counts calls per conversation key."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name = inner.name  # type: ignore[attr-defined]
        self.model = inner.model  # type: ignore[attr-defined]
        self.calls: dict[str, int] = {}

    async def summarize(
        self, conversation: Conversation, *, language: str | None = None
    ) -> Summary:
        self.calls[conversation.key] = self.calls.get(conversation.key, 0) + 1
        return await self.inner.summarize(conversation, language=language)  # type: ignore[attr-defined]


def summarizer() -> object:
    """The extractive backend (a trivial one if it cannot be imported)."""
    try:
        from bot.recap.summarize.extractive import ExtractiveSummarizer

        return ExtractiveSummarizer()
    except ImportError:  # pragma: no cover - before the extractive backend existed
        from bot.recap.types import KeyMessage

        class Trivial:
            name, model = "trivial", ""

            async def summarize(self, c: Conversation, *, language: str | None = None) -> Summary:
                first = c.lines[0]
                point = KeyMessage(
                    first.message_id, first.author_id, first.author_name, first.content
                )
                return Summary(c.name, (point,), "en", "trivial")

        return Trivial()


async def build_guild(store: Store, members: int, messages: int, seed: int = 7) -> None:
    """Write a deterministic synthetic guild into ``store``."""
    rng = random.Random(seed * 1_000_003 + members * 7 + messages)
    users = list(range(1000, 1000 + members))
    weights = [1.0 / (i + 1) ** 0.8 for i in range(members)]  # a few talk a lot
    n_channels = max(6, members // 25)
    public = list(range(100, 100 + n_channels))
    private = [90, 91]  # mods and crew only
    threads: list[tuple[int, str, int]] = []  # (id, kind, parent)
    for i in range(max(4, messages // 400)):
        kind = rng.choice(["thread", "thread", "private_thread", "forum_post"])
        threads.append((5000 + i, kind, 99 if kind == "forum_post" else rng.choice(public)))
    lock = Overwrite(GID, "role", deny=1 << 10)
    async with store.transaction():
        await store.guilds.upsert(GuildRecord(GID, "Synthetic Hearth", owner_id=users[0]))
        await store.guilds.replace_roles(
            GID,
            [
                RoleRecord(GID, GID, "@everyone", EVERYONE_PERMS),
                RoleRecord(MODS, GID, "mods", 1 << 34),
                RoleRecord(CREW, GID, "crew"),
            ],
        )
        for cid in public:
            await store.channels.upsert(
                ChannelRecord(cid, GID, "text", f"chan-{cid}", overwrites=())
            )
        await store.channels.upsert(ChannelRecord(99, GID, "forum", "forum", overwrites=()))
        for cid, role in zip(private, (MODS, CREW), strict=True):
            ows = (lock, Overwrite(role, "role", allow=1 << 10))
            await store.channels.upsert(
                ChannelRecord(cid, GID, "text", f"private-{cid}", overwrites=ows)
            )
        for tid, kind, parent in threads:
            created = T0 + rng.random() * WEEK
            await store.channels.upsert(
                ChannelRecord(tid, GID, kind, f"thread {tid}", parent_id=parent, created_at=created)  # type: ignore[arg-type]
            )
            if kind == "private_thread":
                await store.channels.add_thread_members(tid, rng.sample(users, min(5, members)))
        await store.members.upsert_many(
            MemberRecord(
                GID,
                u,
                f"user{u}",
                f"Member {u}",
                joined_at=T0 + rng.random() * WEEK if rng.random() < 0.02 else T0 - WEEK * 10,
                role_ids=tuple(r for r, p in ((MODS, 0.1), (CREW, 0.2)) if rng.random() < p),
            )
            for u in users
        )
        places = public * 6 + private + [t[0] for t in threads] * 2
        batch: list[MessageRecord] = []
        reactions: list[ReactionRecord] = []
        n = 0
        while n < messages:
            channel = rng.choice(places)
            people = rng.choices(users, weights=weights, k=rng.randint(2, 6))
            topic = rng.choice(TOPICS).split()
            at = T0 + rng.random() * (WEEK - dt.timedelta(hours=3))
            ids: list[tuple[int, int]] = []
            for _ in range(min(rng.randint(3, 30), messages - n)):
                n += 1
                author = rng.choice(people)
                words = " ".join(rng.sample(topic, k=min(3, len(topic))))
                text = rng.choice(QUESTIONS).format(words) if rng.random() < 0.1 else f"{words} lol"
                reply = rng.choice(ids)[0] if ids and rng.random() < 0.4 else None
                mentions: list[Mention] = []
                if ids and rng.random() < 0.1:
                    mentions.append(Mention("user", rng.choice(ids)[1]))
                if rng.random() < 0.01:
                    mentions.append(
                        Mention(rng.choice(["role", "everyone"]), rng.choice([MODS, 0]))
                    )
                mid = snowflake_at(at, n)
                batch.append(
                    MessageRecord(
                        mid,
                        GID,
                        channel,
                        author,
                        at,
                        text,
                        reply_to_id=reply,
                        mentions=tuple(mentions),
                    )
                )
                ids.append((mid, author))
                if rng.random() < 0.2:
                    reactions.extend(
                        ReactionRecord(mid, u, "👍")
                        for u in set(rng.sample(users, min(3, members)))
                    )
                at += dt.timedelta(seconds=rng.randint(10, 400))
        batch.sort(key=lambda m: m.id)
        for start in range(0, len(batch), 5000):
            await store.messages.insert_many(batch[start : start + 5000])
        await store.messages.add_reactions(reactions)


async def measure(members: int, messages: int) -> dict[str, float]:
    """Build one guild and time the cold and warm runs."""
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(str(Path(tmp) / "scale.db"))
        try:
            started = time.perf_counter()
            await build_guild(store, members, messages)
            built = time.perf_counter() - started
            counting = CountingSummarizer(summarizer())
            service = RecapService(store, counting)  # type: ignore[arg-type]
            ids = [m.user_id for m in await store.members.list(GID, present_only=True)]
            started = time.perf_counter()
            result = await service.run(GID, T0, T0 + WEEK, member_ids=ids, digest=True)
            cold = time.perf_counter() - started
            started = time.perf_counter()
            await service.run(GID, T0, T0 + WEEK, member_ids=ids, digest=True)
            warm = time.perf_counter() - started
        finally:
            await store.close()
    shown = {i.key for r in result.recaps.values() for i in r.items}
    assert result.digest is not None
    shown |= {i.key for i in result.digest.items}
    conversations = sum(
        r.counts.conversations for r in result.recaps.values() if r.member_id == ids[0]
    )
    return {
        "members": members,
        "messages": messages,
        "conversations": conversations,
        "build": built,
        "cold": cold,
        "warm": warm,
        "per_member_ms": 1000 * cold / len(ids),
        "calls": sum(counting.calls.values()),
        "max_calls": max(counting.calls.values(), default=0),
        "shown": len(shown),
    }


def main(argv: list[str] | None = None) -> int:
    """Print the scale table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    sizes = ([50, 200], [2000, 8000]) if args.quick else ([50, 200, 500], [5000, 20000, 50000])
    print(
        f"{'members':>7} {'messages':>8} {'convs':>6} {'build s':>7} {'cold s':>7} "
        f"{'warm s':>7} {'ms/member':>9} {'summaries':>9} {'shown':>6} {'max/conv':>8}"
    )
    for members in sizes[0]:
        for messages in sizes[1]:
            r = asyncio.run(measure(members, messages))
            print(
                f"{r['members']:>7} {r['messages']:>8} {r['conversations']:>6} {r['build']:>7.2f} "
                f"{r['cold']:>7.2f} {r['warm']:>7.2f} {r['per_member_ms']:>9.2f} "
                f"{r['calls']:>9} {r['shown']:>6} {r['max_calls']:>8}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
