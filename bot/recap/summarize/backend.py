"""The recap service as the process configures it: one place for the bot and the CLI."""

from __future__ import annotations

from bot.db import Store
from bot.recap import RecapService
from bot.recap.summarize.budget import StoreUsageSink
from bot.recap.summarize.extractive import ExtractiveSummarizer
from bot.recap.summarize.llm import build_summarizer
from bot.settings import Settings


def build_recaps(store: Store, settings: Settings) -> RecapService:
    """RecapService with the configured summarizer, its token budget and usage records.

    The extractive backend is always available by name, so a guild's ``/hearth setup`` can
    keep its messages away from a model even when the process default is one.
    """
    extractive = ExtractiveSummarizer()
    summarizer = build_summarizer(
        settings, extractive, usage=StoreUsageSink(store), weekly_tokens=settings.weekly_tokens
    )
    backends = {extractive.name: extractive, summarizer.name: summarizer}
    return RecapService(store, summarizer, backends=backends)


async def close_recaps(recaps: RecapService) -> None:
    """Close the summarizer's HTTP client, if it has one."""
    aclose = getattr(recaps.summarizer, "aclose", None)
    if aclose is not None:
        await aclose()
