"""Make user text safe to show, and the pieces every renderer shares.

Everything people wrote passes through :func:`clean` before it is shown, so a recap never pings
and never breaks its own layout:

- ``<@id>``, ``<@!id>``, ``<@&id>`` and ``<#id>`` become ``@name``, ``@role`` and ``#channel``
  (a channel the reader cannot see is ``#unknown-channel``); custom emoji become ``:name:``;
- ``@everyone`` and ``@here`` get a zero-width space after the ``@``, as does any ``<@`` left;
- newlines collapse to spaces and Markdown marks (``* _ ~ ` | [ ] \\``, a leading ``#``, ``>``
  or ``-``) are escaped, except inside URLs, which are wrapped in ``<…>`` (no previews);
- cutting to a limit happens at a word boundary when there is one, and always ends in "…".

The cogs also send with ``AllowedMentions.none()``; this is the second lock on the door.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from bot.recap.compose import Labels, MessageRef, RecapItem
from bot.timeutil import from_ms

log = logging.getLogger(__name__)

ZWSP = "\u200b"
TEXT_LIMIT = 2000
_USER = re.compile(r"<@!?(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")
_CHANNEL = re.compile(r"<#(\d+)>")
_EMOJI = re.compile(r"<a?:(\w{1,32}):\d+>")
_COMMAND = re.compile(r"</([\w -]{1,100}):\d+>")
_TIMESTAMP = re.compile(r"<t:(-?\d{1,13})(?::[tTdDfFR])?>")
_URL = re.compile(r"<?(https?://[^\s<>]+)>?")
_MARKS = re.compile(r"([\\*_~`|\[\]])")
_LEADING = re.compile(r"^([#>\-+]|\d+\.)")
_PINGS = re.compile(r"@(everyone|here)", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def _timestamp(match: re.Match[str]) -> str:
    try:
        return from_ms(int(match[1]) * 1000).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError):
        return "a date"


def resolve(text: str, labels: Labels | None) -> str:
    """Raw Discord markup to plain names (no escaping yet)."""
    if labels is not None:
        text = _USER.sub(lambda m: "@" + labels.user(int(m[1])), text)
        text = _ROLE.sub(lambda m: "@" + labels.role(int(m[1])), text)
        text = _CHANNEL.sub(lambda m: "#" + labels.channel(int(m[1])), text)
    else:
        text = _USER.sub("@someone", text)
        text = _ROLE.sub("@some-role", text)
        text = _CHANNEL.sub("#some-channel", text)
    text = _EMOJI.sub(r":\1:", text)
    text = _COMMAND.sub(r"/\1", text)
    return _TIMESTAMP.sub(_timestamp, text)


def defuse(text: str) -> str:
    """Make @everyone, @here and any ``<@`` inert (idempotent)."""
    text = _PINGS.sub(lambda m: f"@{ZWSP}{m[1]}", text)
    return text.replace("<@", f"<{ZWSP}@")


def _escape(text: str, *, lead: bool = True) -> str:
    out, pos = [], 0
    for match in _URL.finditer(text):
        out.append(_MARKS.sub(r"\\\1", text[pos : match.start()]))
        url, tail = match[1], ""
        while (
            url and url[-1] in ").,!?;:'\"" and (url[-1] != ")" or url.count("(") < url.count(")"))
        ):
            url, tail = url[:-1], url[-1] + tail
        out.append(f"<{url}>" + _MARKS.sub(r"\\\1", tail))
        pos = match.end()
    out.append(_MARKS.sub(r"\\\1", text[pos:]))
    joined = "".join(out)
    return _LEADING.sub(r"\\\1", joined) if lead else joined


def fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a word boundary when possible, with "…"."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return "…"[:limit]
    head = text[: limit - 1]
    space = head.rfind(" ")
    if not text[limit - 1].isspace() and space >= int(limit * 0.6):
        head = head[:space]  # do not end mid-word
    return head.rstrip(" \\" + ZWSP) + "…"


def clean(
    text: str, labels: Labels | None = None, limit: int | None = None, *, lead: bool = True
) -> str:
    """User text made safe to show on one line: resolved, escaped, defused, cut.

    ``lead=False`` keeps a leading ``#`` (our own "#channel" labels, never at a line start).
    """
    flat = _SPACE.sub(" ", resolve(text, labels)).strip()
    safe = defuse(_escape(flat, lead=lead))
    return fit(safe, limit) if limit is not None else safe


def date_range(since: dt.datetime, until: dt.datetime) -> str:
    """'2024-05-01 – 2024-05-08' (the window's own timezone)."""
    return f"{since:%Y-%m-%d} – {until:%Y-%m-%d}"


def reasons_line(item: RecapItem, labels: Labels, limit: int = 3) -> str:
    """The top reasons, joined for people."""
    return " · ".join(clean(r.text, labels) for r in item.reasons[:limit])


def item_lines(item: RecapItem, labels: Labels, *, quote: int = 200) -> list[str]:
    """The summary of one conversation as Markdown lines (bullets, else key messages)."""
    lines = [f"- {clean(b, labels, quote)}" for b in item.summary.bullets]
    if not lines:
        lines = [
            f"> **{clean(p.author_name, labels, 64)}**: {clean(p.text, labels, quote)}"
            for p in item.summary.points
        ]
    if item.summary.note:
        lines.append(f"_{clean(item.summary.note, labels, 200)}_")
    return lines


def item_title(item: RecapItem, labels: Labels) -> str:
    """'#general › thread · what it was about' (a title repeating the thread name is cut)."""
    title = item.summary.title.strip()
    name = item.where.rsplit(" › ", 1)[-1] if item.is_thread else ""
    if name and title.startswith(name):
        title = title[len(name) :].lstrip(" ·:-—")
    where = clean(item.where, labels, 120, lead=False)
    return f"{where} · {clean(title, labels, 180)}" if title else where


def ref_line(ref: MessageRef, labels: Labels, quote: int = 200) -> str:
    """One quoted message with author, place and jump link."""
    return (
        f"**{clean(ref.author_name, labels, 64)}** in {clean(ref.where, labels, 100, lead=False)}: "
        f"{clean(ref.text, labels, quote)} ([jump]({ref.url}))"
    )
