"""Recaps and digests as Discord embed dicts, within Discord's limits.

Returns a list of messages, each a list of embed dicts that ``discord.Embed.from_dict``
accepts. Limits (characters, as discord.py counts them): title 256, description 4096, field
name 256 and value 1024, 25 fields, footer 2048, at most 10 embeds and 6000 characters per
message. Nothing is dropped silently: long descriptions continue in another embed, many fields
in another embed, many embeds in another message; single texts are cut at a word with "…".
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from bot.recap.compose import Digest, Labels, MemberRecap, MessageRef, RecapItem
from bot.recap.markup import (
    clean,
    count,
    counts_line,
    date_range,
    fit,
    item_lines,
    item_title,
    name,
    reasons_line,
)

log = logging.getLogger(__name__)

TITLE = 256
DESCRIPTION = 4096
FIELD_NAME = 256
FIELD_VALUE = 1024
FIELDS = 25
FOOTER = 2048
EMBEDS_PER_MESSAGE = 10
MESSAGE_TOTAL = 6000
FOOTER_USED = 300  # we never need more; keeps title + description + footer under 6000
COLOR = 0xE07A3F  # embers

Embed = dict[str, Any]


def embed_size(embed: Embed) -> int:
    """Characters Discord counts towards the 6000 limit."""
    size = len(embed.get("title", "")) + len(embed.get("description", ""))
    size += len(embed.get("footer", {}).get("text", ""))
    size += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", ()))
    return size


def _chunks(lines: Iterable[str], limit: int) -> list[str]:
    """Join lines into texts of at most ``limit`` characters (a long line is cut)."""
    chunks: list[str] = []
    current = ""
    for raw in lines:
        line = fit(raw, limit)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
        else:
            chunks.append(current)
            current = line
    if current:
        chunks.append(current)
    return chunks


def build(
    title: str,
    lines: Sequence[str] = (),
    *,
    url: str | None = None,
    fields: Sequence[tuple[str, str]] = (),
    footer: str | None = None,
) -> list[Embed]:
    """One logical embed, split into as many real embeds as the limits require."""
    head = fit(title, TITLE)
    texts = _chunks(lines, DESCRIPTION) or [""]
    embeds: list[Embed] = []
    for n, text in enumerate(texts):
        embed: Embed = {"title": head if n == 0 else fit(f"{title} (continued)", TITLE)}
        if text:
            embed["description"] = text
        embed["color"] = COLOR
        if url and n == 0:
            embed["url"] = url
        embeds.append(embed)
    current = embeds[-1]
    for heading, value in fields:
        field = {
            "name": fit(heading, FIELD_NAME) or "\u200b",
            "value": fit(value, FIELD_VALUE) or "\u200b",
            "inline": False,
        }
        used = current.get("fields", [])
        extra = len(str(field["name"])) + len(str(field["value"]))
        if len(used) >= FIELDS or embed_size(current) + extra + FOOTER_USED > MESSAGE_TOTAL:
            current = {"title": fit(f"{title} (continued)", TITLE), "color": COLOR}
            embeds.append(current)
        current.setdefault("fields", []).append(field)
    if footer:
        embeds[-1]["footer"] = {"text": fit(footer, min(FOOTER, FOOTER_USED))}
    return embeds


def pack(embeds: Iterable[Embed], *, reserve: int = 0) -> list[list[Embed]]:
    """Group embeds into messages: at most 10 and 6000 characters each, order kept;
    ``reserve`` characters of each message are left free (a delivery's marker)."""
    limit = MESSAGE_TOTAL - reserve
    messages: list[list[Embed]] = []
    current: list[Embed] = []
    total = 0
    for embed in embeds:
        size = embed_size(embed)
        if current and (len(current) >= EMBEDS_PER_MESSAGE or total + size > limit):
            messages.append(current)
            current, total = [], 0
        current.append(embed)
        total += size
    if current:
        messages.append(current)
    return messages


def _item(item: RecapItem, labels: Labels, why: str) -> list[Embed]:
    lines = item_lines(item, labels)
    reasons = reasons_line(item, labels)
    if reasons:
        lines.append(f"**{why}** {reasons}" if why else reasons)
    people = ", ".join(name(p, labels, 40) for p in item.participants)
    footer = f"{count(item.messages, 'message')} · {people}"
    return build(item_title(item, labels), lines, url=item.url, footer=footer)


def _refs(title: str, refs: Sequence[MessageRef], labels: Labels) -> list[Embed]:
    fields = [
        (
            f"{name(r.author_name, labels, 64)} in {name(r.where, labels, 150, lead=False)}",
            f"{clean(r.text, labels, 700)}\n[Jump to message]({r.url})",
        )
        for r in refs
    ]
    return build(title, fields=fields)


def _recap(recap: MemberRecap) -> list[Embed]:
    labels, counts = recap.labels, recap.counts
    intro = [
        f"{date_range(recap.window.since, recap.window.until)} · "
        f"{counts_line(counts.messages, counts.conversations)}."
    ]
    if not recap.items and not recap.waiting_for_you and not recap.questions_you_could_answer:
        intro.append("A quiet stretch: nothing needed you.")
    embeds = build(f"Your recap · {name(recap.guild_name, labels, 200)}", intro)
    for item in recap.items:
        embeds += _item(item, labels, "Why:")
    if recap.waiting_for_you:
        embeds += _refs("Waiting for you", recap.waiting_for_you, labels)
    if recap.questions_you_could_answer:
        embeds += _refs("Questions you could answer", recap.questions_you_could_answer, labels)
    return embeds


def _digest(digest: Digest) -> list[Embed]:
    labels = digest.labels
    intro = [
        date_range(digest.window.since, digest.window.until),
        name(digest.activity.line, labels),
    ]
    if digest.note:
        intro.append(f"_{clean(digest.note, labels, 300)}_")
    elif not digest.items:  # a note says why it is empty (/summary): say it once
        intro.append("A quiet stretch: no conversations to show.")
    embeds = build(f"{name(digest.guild_name, labels, 200)} · digest", intro)
    for item in digest.items:
        embeds += _item(item, labels, "")
    if digest.new_threads:
        lines = [
            f"• [{name(t.name, labels, 100)}]({t.url}) in "
            f"{name(t.where, labels, 100, lead=False)} · "
            f"{count(t.messages, 'message')}"
            for t in digest.new_threads
        ]
        embeds += build("New threads and posts", lines)
    if digest.joined:
        names = [name(j.name, labels, 64) for j in digest.joined]
        lines = [", ".join(names[i : i + 10]) for i in range(0, len(names), 10)]
        embeds += build("Say hello to", lines)
    if digest.unanswered:
        embeds += _refs("Still waiting for an answer", digest.unanswered, labels)
    return embeds


def render_embeds(recap_or_digest: MemberRecap | Digest, *, reserve: int = 0) -> list[list[Embed]]:
    """Messages of embed dicts for a recap or a digest (see module doc for the limits);
    ``reserve`` characters of each message stay free for a marker added after rendering."""
    if isinstance(recap_or_digest, MemberRecap):
        embeds = _recap(recap_or_digest)
    else:
        embeds = _digest(recap_or_digest)
    return pack(embeds, reserve=reserve)
