"""Render recaps and digests as Markdown (the CLI), plain-text chunks or Discord embeds.

All user text goes through :func:`bot.recap.markup.clean` (no pings, no broken layout); the
embed renderer lives in :mod:`bot.recap.embeds` and is re-exported here.
"""

from __future__ import annotations

import logging

from bot.recap.compose import Digest, MemberRecap
from bot.recap.embeds import render_embeds
from bot.recap.markup import (
    TEXT_LIMIT,
    clean,
    count,
    counts_line,
    date_range,
    fit,
    item_lines,
    item_title,
    name,
    reasons_line,
    ref_line,
)

__all__ = ["render_embeds", "render_markdown", "render_text"]

log = logging.getLogger(__name__)


def _recap_markdown(recap: MemberRecap) -> list[str]:
    labels = recap.labels
    counts = recap.counts
    lines = [
        f"# Your recap · {name(recap.guild_name, labels, 100)}",
        f"_{date_range(recap.window.since, recap.window.until)} · "
        f"{counts_line(counts.messages, counts.conversations)}_",
        "",
    ]
    if not recap.items and not recap.waiting_for_you and not recap.questions_you_could_answer:
        lines.append("A quiet stretch: nothing needed you.")
    for n, item in enumerate(recap.items, 1):
        lines.append(f"## {n}. {item_title(item, labels)}")
        lines.extend(item_lines(item, labels))
        lines.append(f"Why: {reasons_line(item, labels)} · [open]({item.url})")
        lines.append("")
    if recap.waiting_for_you:
        lines.append("## Waiting for you")
        lines.extend(f"- {ref_line(r, labels)}" for r in recap.waiting_for_you)
        lines.append("")
    if recap.questions_you_could_answer:
        lines.append("## Questions you could answer")
        lines.extend(f"- {ref_line(r, labels)}" for r in recap.questions_you_could_answer)
        lines.append("")
    return lines


def _digest_markdown(digest: Digest) -> list[str]:
    labels = digest.labels
    lines = [
        f"# {name(digest.guild_name, labels, 100)} · digest",
        f"_{date_range(digest.window.since, digest.window.until)} · "
        f"{name(digest.activity.line, labels)}_",
    ]
    if digest.note:
        lines.append(f"_{clean(digest.note, labels, 300)}_")
    lines.append("")
    if not digest.items and not digest.note:  # a note says why it is empty: say it once
        lines.append("A quiet stretch: no conversations to show.")
    for n, item in enumerate(digest.items, 1):
        lines.append(f"## {n}. {item_title(item, labels)}")
        lines.extend(item_lines(item, labels))
        lines.append(f"{reasons_line(item, labels)} · [open]({item.url})")
        lines.append("")
    if digest.new_threads:
        lines.append("## New threads and posts")
        lines.extend(
            f"- [{name(t.name, labels, 100)}]({t.url}) in "
            f"{name(t.where, labels, 100, lead=False)} · "
            f"{count(t.messages, 'message')}"
            for t in digest.new_threads
        )
        lines.append("")
    if digest.joined:
        lines.append("## Say hello to")
        lines.append(", ".join(name(j.name, labels, 64) for j in digest.joined))
        lines.append("")
    if digest.unanswered:
        lines.append("## Still waiting for an answer")
        lines.extend(f"- {ref_line(r, labels)}" for r in digest.unanswered)
        lines.append("")
    return lines


def render_markdown(recap_or_digest: MemberRecap | Digest) -> str:
    """Markdown for the CLI (safe to paste into Discord too)."""
    if isinstance(recap_or_digest, MemberRecap):
        lines = _recap_markdown(recap_or_digest)
    else:
        lines = _digest_markdown(recap_or_digest)
    return "\n".join(lines).rstrip() + "\n"


def render_text(recap_or_digest: MemberRecap | Digest, limit: int = TEXT_LIMIT) -> list[str]:
    """The Markdown split into messages of at most ``limit`` characters, at line breaks."""
    chunks: list[str] = []
    current = ""
    for line in render_markdown(recap_or_digest).splitlines():
        line = fit(line, limit)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
            continue
        if current.strip():
            chunks.append(current)
        current = line
    if current.strip():
        chunks.append(current)
    return chunks
