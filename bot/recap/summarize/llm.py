"""The OpenAI-compatible summarizer backend: the only module that imports ``openai``.

``OpenAISummarizer.summarize`` sends one conversation as a compact transcript (map-reduce when
it exceeds ``context_tokens``: each chunk is summarized, then the partial JSON summaries are
merged, never the raw messages again), validates the JSON answer (one corrective retry) and
sanitizes it. It never raises for a model problem: on an exhausted weekly token budget, an
unreachable or failing endpoint (after the client's own retries with backoff) or invalid output
it returns the fallback (extractive) summary with a ``note``. After ``threshold`` consecutive
failures a circuit breaker skips the endpoint for ``cooldown`` seconds, so a digest of 100
conversations with the endpoint down costs a few timeouts, not 100.

Requests send ``max_tokens`` (not ``max_completion_tokens``): every OpenAI-compatible server
(Ollama, llama.cpp, vLLM) and the chat models such as gpt-4o-mini accept it; a server that
rejects ``response_format`` is asked again without it, once, and never again.

The API key is handed to the client and never stored, formatted or logged here; failures are
logged as one warning line per kind (exception class and HTTP status, never the server's text,
which for a 401 echoes part of the key).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import openai

from bot.recap.summarize import prompt as prompt
from bot.recap.summarize.breaker import CircuitBreaker
from bot.recap.summarize.budget import (
    BudgetExhaustedError,
    MemoryUsage,
    StoreUsageSink,
    TokenBudget,
    UsageRecord,
    UsageSink,
    usage_period,
)
from bot.recap.summarize.prompt import Draft, InvalidOutputError
from bot.recap.text import detect_language, excerpt
from bot.recap.types import Conversation, KeyMessage, Summarizer, Summary
from bot.settings import Settings, SettingsError, public_host

__all__ = [
    "NOTE_BUDGET",
    "NOTE_INVALID",
    "NOTE_UNAVAILABLE",
    "BudgetExhaustedError",
    "CircuitBreaker",
    "MemoryUsage",
    "OpenAISummarizer",
    "StoreUsageSink",
    "TokenBudget",
    "UsageRecord",
    "UsageSink",
    "build_summarizer",
    "usage_period",
]

log = logging.getLogger(__name__)

NOTE_BUDGET = "token budget reached; extractive summary"
NOTE_UNAVAILABLE = "model unavailable; extractive summary"
NOTE_INVALID = "model output invalid; extractive summary"


class _UnavailableError(Exception):
    """A request failed for good (after the client's retries); ``kind`` is safe to log."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _kind(exc: openai.APIError) -> str:
    status = getattr(exc, "status_code", None)
    return f"{type(exc).__name__} (HTTP {status})" if status else type(exc).__name__


class OpenAISummarizer:
    """A :class:`~bot.recap.types.Summarizer` backed by an OpenAI-compatible chat endpoint."""

    name = "openai"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        model: str,
        fallback: Summarizer,
        context_tokens: int = 6000,
        max_output_tokens: int = 400,
        timeout: float = 30.0,
        max_retries: int = 2,
        budget: TokenBudget | None = None,
        breaker: CircuitBreaker | None = None,
        concurrency: int = 4,
        min_lines: int = 2,
    ) -> None:
        """``context_tokens`` bounds each request's prompt (estimated, see
        ``bot.recap.summarize.prompt``); conversations with fewer than ``min_lines`` messages
        go to the fallback without a note.
        """
        self.model = model
        self.fallback = fallback
        self.context_tokens = context_tokens
        self.max_output_tokens = max_output_tokens
        self.budget = budget if budget is not None else TokenBudget()
        self.breaker = breaker if breaker is not None else CircuitBreaker()
        self.min_lines = min_lines
        self.client = openai.AsyncOpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )
        # Where conversations go, for members to be told (``/about``): host and port only,
        # never the path or any user:password@ a proxy URL may carry.
        self.endpoint = public_host(str(self.client.base_url))
        self._overhead = prompt.estimate_tokens(prompt.SYSTEM) + 60
        self._capacity = context_tokens - self._overhead
        if self._capacity < 100:
            raise ValueError(f"context_tokens={context_tokens} leaves no room for a transcript")
        self._slots = asyncio.Semaphore(concurrency)
        self._calls = asyncio.Semaphore(concurrency)
        self._json_mode = True
        self._warned: set[str] = set()

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.client.close()

    async def __aenter__(self) -> OpenAISummarizer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def summarize(
        self, conversation: Conversation, *, language: str | None = None
    ) -> Summary:
        """Summarize one conversation; never raises for a model, budget or network problem."""
        if len(conversation.lines) < max(1, self.min_lines):
            return await self.fallback.summarize(conversation, language=language)
        chunks = prompt.chunk(prompt.transcript_lines(conversation), self._capacity)
        async with self._slots:
            outcome = await self._attempt(conversation, chunks, language)
        if isinstance(outcome, str):
            summary = await self.fallback.summarize(conversation, language=language)
            return replace(summary, note=outcome)
        return self._summary(conversation, outcome, language)

    async def chat(self, guild_id: int, messages: list[dict[str, str]]) -> str | None:
        """One request for /ask's grounded answer (same budget and breaker); None if not now."""
        need = self.max_output_tokens + sum(prompt.estimate_tokens(m["content"]) for m in messages)
        try:
            async with self.budget.reserve(guild_id, need):
                if not self.breaker.allow():
                    return None
                try:
                    content = await self._complete(guild_id, messages)
                except asyncio.CancelledError:  # a pending probe must not keep the circuit shut
                    self.breaker.abandon()
                    raise
        except (BudgetExhaustedError, _UnavailableError) as exc:
            if isinstance(exc, _UnavailableError):
                self._failed(exc)
            return None
        self.breaker.success()
        return content

    def _estimate(self, chunks: Sequence[Sequence[str]]) -> int:
        per_call = self._overhead + self.max_output_tokens
        total = sum(prompt.estimate_tokens("\n".join(c)) + per_call for c in chunks)
        if len(chunks) > 1:
            total += len(chunks) * self.max_output_tokens + per_call
        return total

    async def _attempt(
        self, conv: Conversation, chunks: list[list[str]], language: str | None
    ) -> Draft | str:
        """The validated draft, or the note of the fallback to use instead."""
        try:
            async with self.budget.reserve(conv.guild_id, self._estimate(chunks)):
                if not self.breaker.allow():
                    log.debug("circuit open; %s gets the fallback", conv.key)
                    return NOTE_UNAVAILABLE
                try:
                    draft = await self._run(conv, chunks, language)
                except _UnavailableError as exc:
                    self._failed(exc)
                    return NOTE_UNAVAILABLE
                except InvalidOutputError:
                    self.breaker.success()
                    self._warn_once("invalid output", "model output invalid twice; extractive")
                    return NOTE_INVALID
                except BaseException:  # cancelled: a pending probe must not keep the circuit shut
                    self.breaker.abandon()
                    raise
        except BudgetExhaustedError as exc:
            self._warn_once(
                f"budget:{conv.guild_id}:{exc}",
                f"guild {conv.guild_id} reached its token budget for {exc}; extractive summaries",
            )
            return NOTE_BUDGET
        self.breaker.success()
        self._warned = {k for k in self._warned if k.startswith("budget:")}
        return draft

    def _failed(self, exc: _UnavailableError) -> None:
        kind = exc.kind
        self._warn_once(kind, f"model request failed: {kind}; extractive summaries meanwhile")
        if self.breaker.failure():
            log.warning(
                "model endpoint failed %d times in a row; skipping it for %.0f s",
                self.breaker.failures,
                self.breaker.cooldown,
            )

    def _warn_once(self, kind: str, message: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            log.warning("%s", message)

    async def _run(
        self, conv: Conversation, chunks: list[list[str]], language: str | None
    ) -> Draft:
        guild, count = conv.guild_id, len(conv.lines)
        if len(chunks) == 1:
            messages = prompt.map_messages(conv, chunks[0], 1, 1, language)
            return await self._ask(guild, messages, range(1, count + 1))
        tasks: list[asyncio.Task[Draft]] = []
        start = 1
        try:
            async with asyncio.TaskGroup() as tg:
                for part, lines in enumerate(chunks, start=1):
                    messages = prompt.map_messages(conv, lines, part, len(chunks), language)
                    allowed = range(start, start + len(lines))
                    tasks.append(tg.create_task(self._ask(guild, messages, allowed)))
                    start += len(lines)
        except ExceptionGroup as group:  # one failed chunk fails the conversation
            raise (group.subgroup(_UnavailableError) or group).exceptions[0] from None
        return await self._reduce(guild, [t.result() for t in tasks], count, language)

    async def _reduce(
        self, guild: int, drafts: list[Draft], count: int, language: str | None
    ) -> Draft:
        """Merge partial drafts; in rounds when they do not fit one request."""
        allowed = range(1, count + 1)
        while True:
            messages = prompt.reduce_messages(drafts, language)
            size = sum(prompt.estimate_tokens(m["content"]) for m in messages)
            if size <= self.context_tokens or len(drafts) <= 2:
                return await self._ask(guild, messages, allowed)
            groups = prompt.group(
                drafts, lambda d: prompt.estimate_tokens(d.to_json(0)) + 1, self._capacity
            )
            if len(groups) >= len(drafts):
                groups = [drafts[i : i + 2] for i in range(0, len(drafts), 2)]
            drafts = [
                await self._ask(guild, prompt.reduce_messages(g, language), allowed) for g in groups
            ]

    async def _ask(
        self, guild: int, messages: list[dict[str, str]], allowed: Sequence[int] | range
    ) -> Draft:
        """One request, validated; one corrective retry on invalid output."""
        answer = await self._complete(guild, messages)
        try:
            return prompt.parse(answer, allowed)
        except InvalidOutputError as exc:
            log.debug("invalid model output (%s); asking again", exc)
            retry = prompt.corrective(messages, answer or "", str(exc))
            return prompt.parse(await self._complete(guild, retry), allowed)

    async def _complete(self, guild: int, messages: list[dict[str, str]]) -> str | None:
        """The answer's text; usage is recorded. Raises :class:`_UnavailableError`."""
        args: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": self.max_output_tokens,
        }
        async with self._calls:
            try:
                if not self._json_mode:
                    response = await self.client.chat.completions.create(**args)
                else:
                    try:
                        response = await self.client.chat.completions.create(
                            **args, response_format={"type": "json_object"}
                        )
                    except openai.BadRequestError:
                        # Some compatible servers reject response_format; try once without.
                        response = await self.client.chat.completions.create(**args)
                        self._json_mode = False
                        log.info("the model endpoint rejects response_format; not sending it")
            except openai.APIError as exc:
                raise _UnavailableError(_kind(exc)) from None
        choices = getattr(response, "choices", None) or []
        content = choices[0].message.content if choices and choices[0].message else None
        usage = getattr(response, "usage", None)
        if usage is not None:
            used = (usage.prompt_tokens or 0, usage.completion_tokens or 0)
        else:
            sent = sum(prompt.estimate_tokens(m["content"]) for m in messages)
            used = (sent, prompt.estimate_tokens(content or ""))
        await self.budget.record(guild, self.model, *used)
        return content

    def _summary(self, conv: Conversation, draft: Draft, language: str | None) -> Summary:
        names = {line.author_id: line.author_name for line in conv.lines}

        def clean(text: str, cap: int) -> str:
            return excerpt(prompt.sanitize(text, guild_id=conv.guild_id, names=names), cap)

        lang = language or detect_language(" ".join(line.content for line in conv.lines[:60]))
        points = tuple(
            KeyMessage(line.message_id, line.author_id, line.author_name, excerpt(line.content))
            for line in (conv.lines[ref - 1] for ref in draft.refs)
        )
        return Summary(
            title=clean(draft.title, prompt.TITLE_MAX) or excerpt(conv.name, prompt.TITLE_MAX),
            points=points,
            language=lang,
            backend=self.name,
            model=self.model,
            bullets=tuple(b for b in (clean(b, prompt.BULLET_MAX) for b in draft.bullets) if b),
        )


def build_summarizer(
    settings: Settings,
    fallback: Summarizer,
    *,
    usage: UsageSink | None = None,
    weekly_tokens: int | Callable[[int], int | None] | None = None,
) -> Summarizer:
    """The process-wide summarizer: ``fallback`` for ``HEARTH_SUMMARIZER=extractive``, else an
    :class:`OpenAISummarizer` (falling back to ``fallback``). Raises :class:`SettingsError`
    when the OpenAI backend is selected without ``OPENAI_API_KEY``.
    """
    if settings.summarizer == "extractive":
        return fallback
    settings.require_openai()
    if settings.openai_api_key is None:  # pragma: no cover - require_openai raised
        raise SettingsError("OPENAI_API_KEY is not set")
    return OpenAISummarizer(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        model=settings.model,
        fallback=fallback,
        budget=TokenBudget(usage, weekly_tokens),
    )
