"""The recap pipeline: select -> segment -> rank -> summarize -> compose -> render.

Public API::

    service = RecapService(store, summarizer)
    digest = await service.digest(guild_id, since, until, channel_id=None)
    recap = await service.recap(guild_id, member_id, since, until)
    recaps = await service.recaps(guild_id, member_ids, since, until)
    render_markdown(recap) / render_text(recap) / render_embeds(recap)
"""

from bot.recap.compose import (
    Activity,
    Digest,
    Labels,
    MemberRecap,
    MemberRef,
    MessageRef,
    RecapCounts,
    RecapItem,
    ThreadRef,
    Window,
)
from bot.recap.rank import Reason
from bot.recap.render import render_embeds, render_markdown, render_text
from bot.recap.service import RecapOptions, RecapService, RunResult
from bot.recap.visibility import (
    GuildFacts,
    common_readable,
    digest_channels,
    readable_channels,
)

__all__ = [
    "Activity",
    "Digest",
    "GuildFacts",
    "Labels",
    "MemberRecap",
    "MemberRef",
    "MessageRef",
    "Reason",
    "RecapCounts",
    "RecapItem",
    "RecapOptions",
    "RecapService",
    "RunResult",
    "ThreadRef",
    "Window",
    "common_readable",
    "digest_channels",
    "readable_channels",
    "render_embeds",
    "render_markdown",
    "render_text",
]
