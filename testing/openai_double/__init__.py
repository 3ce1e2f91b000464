"""A test double of the OpenAI chat completions API, for the real ``openai`` client.

Use the fixture from a test module::

    from testing.openai_double import openai_double  # noqa: F401

then point ``AsyncOpenAI(base_url=openai_double.base_url)`` (or ``OPENAI_BASE_URL``) at it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from .server import (
    MALICIOUS,
    Action,
    OpenAIDouble,
    RecordedCall,
    count_tokens,
    prompt_tokens,
    summarize_transcript,
)

__all__ = [
    "MALICIOUS",
    "Action",
    "OpenAIDouble",
    "RecordedCall",
    "count_tokens",
    "openai_double",
    "prompt_tokens",
    "summarize_transcript",
]


@pytest_asyncio.fixture
async def openai_double() -> AsyncIterator[OpenAIDouble]:
    """A running double on 127.0.0.1 (any API key accepted); stopped after the test."""
    async with OpenAIDouble() as double:
        yield double
