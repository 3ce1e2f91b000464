"""``hearth demo``: the bundled sample community, through the real importer and recap engine."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from bot.db import Store
from bot.ingest.importer import import_export
from bot.recap import RecapService, render_markdown
from bot.recap.summarize.extractive import ExtractiveSummarizer
from bot.sample import DEMO_MEMBERS, build_exports
from bot.services.stats import render_stats
from bot.settings import Settings
from bot.timeutil import utcnow

RULE = "─" * 72


async def run_demo(settings: Settings, *, db_path: str | None = None) -> str:
    """Load a week of the sample server and return what Hearth makes of it, as Markdown."""
    if db_path is not None:
        return await _demo(db_path)
    with tempfile.TemporaryDirectory(prefix="hearth-demo-") as tmp:
        return await _demo(str(Path(tmp) / "demo.db"))


async def _demo(db_path: str) -> str:
    now = utcnow().replace(second=0, microsecond=0)
    async with await Store.open(db_path) as store:
        exports = build_exports(now)
        for export in exports:
            await import_export(store, export, source=f"sample #{export['channel']['name']}")
        guild_id = int(exports[0]["guild"]["id"])
        service = RecapService(store, ExtractiveSummarizer())
        since, until = now - dt.timedelta(days=7), now
        channel_id = int(exports[0]["channel"]["id"])  # #general hosts the digest
        parts = [
            "# Hearth demo: a week at the Kitchen Table (sample server, offline)",
            "",
            "```",
            render_stats(await store.stats.archive(guild_id), await store.guilds.list()),
            "```",
            "",
            RULE,
            render_markdown(await service.digest(guild_id, since, until, channel_id=channel_id)),
        ]
        for name in DEMO_MEMBERS:
            (member,) = await store.members.find(guild_id, name)
            recap = await service.recap(guild_id, member.user_id, since, until)
            parts += ["", RULE, f"*What {member.label} sees:*", "", render_markdown(recap)]
        parts += [
            "",
            RULE,
            "Every summary above was computed offline and once per conversation, shared by the "
            "digest and both recaps.",
        ]
        if db_path and not db_path.startswith(tempfile.gettempdir()):
            parts.append(f"The demo database is kept at {db_path}.")
        return "\n".join(parts)
