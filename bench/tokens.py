"""Tokens of one weekly cycle with the chat-model summarizer, against the OpenAI double.

A synthetic week (same conversations for every size: 10 people talk, the other members read)
is written to a temporary SQLite store through the real ``Store``; ``RecapService`` with
``OpenAISummarizer`` (extractive fallback) then makes the digest and every member's recap, and
the double counts the tokens (an o200k-like approximation, see ``testing/openai_double``).

Compared with:

- floor: the tokens of the week's message text, which any model-based summary must read once;
- naive: one call per member over the raw messages they can read (no sharing, no cache);
- second run: the same cycle again over unchanged conversations (the summary cache).

Target: first run <= 1.5 x floor + 300 x members, second run <= 5% of the first.

    python -m bench.tokens [--members 10 50 200] [--seed 7]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.db import Store
from bot.models import (
    ChannelRecord,
    GuildRecord,
    MemberRecord,
    MessageRecord,
    ReactionRecord,
    RoleRecord,
)
from bot.recap.service import RecapService
from bot.recap.summarize.extractive import ExtractiveSummarizer
from bot.recap.summarize.llm import MemoryUsage, OpenAISummarizer, TokenBudget
from bot.recap.types import Conversation, Line
from bot.recap.visibility import READ
from bot.timeutil import snowflake_at
from testing.openai_double import OpenAIDouble, count_tokens

GUILD = 900_000_000_000_000_001
UNTIL = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
SINCE = UNTIL - dt.timedelta(days=7)
AUTHORS = ("Maya", "Leo", "Aiko", "Kenji", "Priya", "Tom", "Noor", "Sam", "Lucas", "Ines")
CHANNELS = {"general": 11, "kitchen": 12, "study": 13, "games": 14, "help": 15}
THREADS = {"Potluck planning": (21, "general"), "Book club": (22, "study")}

TOPICS = {
    "kitchen": [
        "my sourdough starter", "the miso batch", "braised pork belly", "rye flour",
        "the ramen broth", "pickled plums", "a cast iron pan", "the fermentation crock",
    ],
    "general": [
        "the potluck on Saturday", "the new park cafe", "the train strike", "our group photo",
        "the weekend hike", "the board game night", "the flat viewing", "the birthday cake",
    ],
    "study": [
        "the N4 grammar list", "kanji of the day", "the particle は versus が", "the study session",
        "the listening practice", "keigo forms", "the reading club book", "flash card decks",
    ],
    "games": [
        "the co-op campaign", "the new expansion", "Friday's raid", "the speedrun route",
        "the tabletop rules", "the patch notes", "the tournament bracket", "the loot tables",
    ],
    "help": [
        "the server roles", "the bot commands", "the calendar invite", "voice chat echo",
        "the shared drive", "notification settings", "the photo album link", "the wiki page",
    ],
}  # fmt: skip
OPENERS = [
    "Has anyone tried {t}?", "Quick question about {t}.", "So {t} finally happened!",
    "I have been thinking about {t} all week.", "Does {t} still work for everyone?",
    "Update on {t}: it went better than expected.",
]  # fmt: skip
REPLIES = [
    "Yes, I tried {t} last month and it was fine.", "Not yet, but I want to.",
    "I think we should keep {t} simple this time.", "Can we move it to the evening?",
    "Good idea, I will bring something for {t}.", "That sounds great, count me in.",
    "I had trouble with {t} too, the second attempt worked though.",
    "Let me check and get back to you tomorrow.", "Haha same here",
    "Could someone write down what we decided about {t}?", "Thanks, that helps a lot!",
    "I disagree a bit, {t} needs more time.", "Who else is coming?",
]  # fmt: skip
JA = [
    "{t}について質問があります。", "昨日の勉強会はとても楽しかったです。",
    "なるほど、ありがとうございます！", "この文法は難しいですね。",
    "来週も一緒に練習しましょう。", "例文を作ってみました。",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Week:
    """What a bench run needs to know about the synthetic week."""

    member_ids: list[int]
    texts: list[str]
    visible: tuple[Line, ...]  # every message, for the naive baseline (all channels are public)


def _conversation(rng: random.Random, channel: str) -> list[tuple[int, str, int | None]]:
    """(author index, text, reply-to position) for one conversation."""
    topic = rng.choice(TOPICS[channel])
    people = rng.sample(range(len(AUTHORS)), rng.randint(2, 5))
    lines: list[tuple[int, str, int | None]] = [
        (people[0], rng.choice(OPENERS).format(t=topic), None)
    ]
    for i in range(rng.randint(3, 24)):
        pool = JA if channel == "study" and rng.random() < 0.4 else REPLIES
        reply = rng.randrange(len(lines)) if rng.random() < 0.4 else None
        lines.append((people[(i + 1) % len(people)], rng.choice(pool).format(t=topic), reply))
    return lines


async def build_week(store: Store, members: int, seed: int) -> Week:
    """Write the guild, channels, members and the week's messages; return what runs need."""
    rng = random.Random(seed)
    react = random.Random(seed + 1)  # its own stream: the conversations do not depend on size
    member_ids = [1000 + i for i in range(members)]
    records: list[MessageRecord] = []
    reactions: list[ReactionRecord] = []
    where = {**CHANNELS, **{name: cid for name, (cid, _) in THREADS.items()}}
    for name, channel_id in where.items():
        topics = THREADS[name][1] if name in THREADS else name
        at = SINCE + dt.timedelta(minutes=rng.randint(10, 300))
        while at < UNTIL - dt.timedelta(hours=3):
            ids: list[int] = []
            for author, text, reply in _conversation(rng, topics):
                at += dt.timedelta(seconds=rng.randint(30, 420))
                ids.append(snowflake_at(at, len(records)))
                replied = ids[reply] if reply is not None else None
                records.append(
                    MessageRecord(
                        ids[-1], GUILD, channel_id, 1000 + author, at, text, None, replied
                    )
                )
                if react.random() < 0.2:
                    reactions.append(ReactionRecord(ids[-1], react.choice(member_ids), "👍"))
            at += dt.timedelta(hours=rng.uniform(2, 14 if name in THREADS else 7))
    records.sort(key=lambda m: m.id)
    async with store.transaction():
        await store.guilds.upsert(GuildRecord(GUILD, "Bench Community"))
        await store.guilds.replace_roles(GUILD, [RoleRecord(GUILD, GUILD, "@everyone", READ)])
        for name, cid in CHANNELS.items():
            await store.channels.upsert(ChannelRecord(cid, GUILD, "text", name, overwrites=()))
        for name, (cid, parent) in THREADS.items():
            thread = ChannelRecord(cid, GUILD, "thread", name, parent_id=CHANNELS[parent])
            await store.channels.upsert(thread)
        await store.members.upsert_many(
            MemberRecord(GUILD, uid, f"m{uid}", AUTHORS[i] if i < len(AUTHORS) else f"Reader {i}")
            for i, uid in enumerate(member_ids)
        )
        await store.messages.insert_many(records)
        await store.messages.add_reactions(reactions)
        await store.guilds.update_settings(GUILD, digest_channel_id=CHANNELS["general"])
    names = {1000 + i: n for i, n in enumerate(AUTHORS)}
    visible = tuple(
        Line(m.id, m.author_id, names[m.author_id], m.content, m.created_at) for m in records
    )
    return Week(member_ids, [m.content for m in records], visible)


def _summarizer(double: OpenAIDouble, usage: MemoryUsage, context: int) -> OpenAISummarizer:
    return OpenAISummarizer(
        api_key="bench",
        base_url=double.base_url,
        model="double-mini",
        fallback=ExtractiveSummarizer(),
        budget=TokenBudget(usage),
        context_tokens=context,
        max_retries=0,
    )


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table."""

    members: int
    messages: int
    calls: int
    floor: int
    first: int
    second: int
    naive: int

    @property
    def target(self) -> int:
        """1.5 x floor + 300 x members."""
        return int(1.5 * self.floor + 300 * self.members)


async def measure(members: int, seed: int) -> Row:
    """One size: build the week, run the cycle twice, then the naive baseline."""
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(str(Path(tmp) / "bench.db"))
        async with OpenAIDouble() as double:
            try:
                week = await build_week(store, members, seed)
                usage = MemoryUsage()
                async with _summarizer(double, usage, 6000) as summarizer:
                    service = RecapService(store, summarizer)
                    totals = []
                    for _ in range(2):
                        before = sum(usage.totals())
                        await service.run(
                            GUILD, SINCE, UNTIL, member_ids=week.member_ids, digest=True
                        )
                        totals.append(sum(usage.totals()) - before)
                    calls = len(usage.records)
                naive = MemoryUsage()
                async with _summarizer(double, naive, 200_000) as per_member:
                    everything = Conversation("naive", GUILD, 0, None, "week", False, week.visible)
                    await asyncio.gather(
                        *(per_member.summarize(everything) for _ in week.member_ids)
                    )
            finally:
                await store.close()
    floor = sum(count_tokens(text) for text in week.texts)
    return Row(members, len(week.texts), calls, floor, *totals, sum(naive.totals()))


def table(rows: list[Row]) -> str:
    """The results as a Markdown table."""
    out = [
        "| members | messages | floor (week text) | Hearth 1st run | target | within | "
        "2nd run (cache) | naive per-member |",
        "| ---: | ---: | ---: | ---: | ---: | :---: | ---: | ---: |",
    ]
    for r in rows:
        ok = r.first <= r.target and r.second <= 0.05 * r.first
        out.append(
            f"| {r.members} | {r.messages} | {r.floor:,} | {r.first:,} ({r.calls} calls) | "
            f"{r.target:,} | {'yes' if ok else 'NO'} | {r.second:,} | {r.naive:,} "
            f"({r.naive / max(1, r.first):.0f}x) |"
        )
    return "\n".join(out)


async def main(argv: list[str] | None = None) -> int:
    """Run every size and print the table; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rows = [await measure(n, args.seed) for n in args.members]
    print(table(rows))
    missed = [r for r in rows if r.first > r.target or r.second > 0.05 * r.first]
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
