"""Make user text safe to show, and the pieces every renderer shares.

Everything people wrote passes through :func:`clean` before it is shown, so a recap never pings
and never breaks its own layout:

- ``<@id>``, ``<@!id>``, ``<@&id>`` and ``<#id>`` become ``@name``, ``@role`` and ``#channel``
  (a channel the reader cannot see is ``#unknown-channel``); custom emoji become ``:name:``;
- ``@everyone`` and ``@here`` get a zero-width space after the ``@``, as does any ``<@`` left;
- newlines collapse to spaces and Markdown marks (``* _ ~ ` | < \\``, a leading ``#``,
  ``>``, ``-``, ``+`` or ``1.``) are escaped, square brackets shown full-width; links follow
  docs/untrusted-text.md: members' web links as ``<…>`` (no previews), names never links
  (:func:`name`), model text no links at all (:func:`model_text`), all found by the one
  finder in :mod:`bot.recap.links`;
- cutting to a limit happens at a word boundary when there is one, and always ends in "…".

The cogs also send with ``AllowedMentions.none()``; this is the second lock on the door.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from bot.recap.compose import Labels, MessageRef, RecapItem
from bot.recap.links import drop_links, find_links, visible
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
_WEB = re.compile(r"(?i)https?://")
_MARKS = re.compile(r"\\[^0-9A-Za-z\s]|[\\*_~`|\[\]<]")
_LEADING = re.compile(r"^([#>\-+]|\d+\.)")
_BRACKETS = str.maketrans("[]", "［］")
_UNLINK = re.compile(r"(?i)(?<=:)(?=\\?/)|(?<=discord)(?=\\?\.)")
_PINGS = re.compile(r"@(everyone|here)", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def _timestamp(match: re.Match[str]) -> str:
    try:
        return from_ms(int(match[1]) * 1000).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError):
        return "a date"


def _unlink(label: str) -> str:
    return _inert(visible(label))


def resolve(text: str, labels: Labels | None) -> str:
    """Raw Discord markup to plain names (no escaping yet)."""
    if labels is not None:  # names put into text never become links there
        text = _USER.sub(lambda m: "@" + _unlink(labels.user(int(m[1]))), text)
        text = _ROLE.sub(lambda m: "@" + _unlink(labels.role(int(m[1]))), text)
        text = _CHANNEL.sub(lambda m: "#" + _unlink(labels.channel(int(m[1]))), text)
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


def _escape_text(text: str) -> str:
    """Escape Markdown marks; an existing escape (``\\`` and a non-alphanumeric) stays.

    Square brackets become full-width ones instead: Discord ends a link label at any later
    ``]``, escaped or not, so an untrusted ``\\](https:…)`` could capture Hearth's own
    ``[open](…)`` link; untrusted text carries no ASCII square bracket at all.
    """
    text = text.translate(_BRACKETS)
    return _MARKS.sub(lambda m: m[0] if len(m[0]) == 2 else "\\" + m[0], text)


def _inert(span: str) -> str:
    """A link shown as text that no Discord client links: zero-width spaces break every
    ``:/`` and every ``discord.`` in it."""
    return _UNLINK.sub(ZWSP, span)


def _escape(text: str, *, lead: bool = True, links: str = "keep") -> str:
    """Escape everything but kept links, which are wrapped in ``<…>`` (see :func:`clean`)."""
    out, pending, pos = [], [], 0
    for link in find_links(text):
        pending.append(_inert(text[pos : link.start]))  # "https://[…" is no link here either
        span = text[link.start : link.end]
        shown = span[1:-1] if span[0] == "<" and span[-1] == ">" else span
        if links == "keep" and _WEB.match(shown) and not link.invite:
            out += [_escape_text("".join(pending)), f"<{shown}>"]
            pending = []
        else:
            pending.append(_inert(span))
        pos = link.end
    pending.append(_inert(text[pos:]))
    out.append(_escape_text("".join(pending)))
    joined = "".join(out)
    return _LEADING.sub(_lead, joined) if lead else joined


def _lead(match: re.Match[str]) -> str:
    mark = match[0]
    return mark[:-1] + "\\." if mark[-1] == "." else "\\" + mark


def fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a word boundary when possible, with "…"."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return "…"[:limit]
    head = text[: limit - 1]
    opened = head.rfind("<")
    if opened >= 0 and ">" not in head[opened:] and _WEB.match(head, opened + 1):
        head = head[:opened]  # never half a <link>: what is left would be a bare, previewed URL
    space = head.rfind(" ")
    if not text[limit - 1].isspace() and space >= int(limit * 0.6):
        head = head[:space]  # do not end mid-word
    return head.rstrip(" \\" + ZWSP) + "…"


def clean(
    text: str,
    labels: Labels | None = None,
    limit: int | None = None,
    *,
    lead: bool = True,
    links: str = "keep",
) -> str:
    """Untrusted text made safe to show on one line: resolved, escaped, defused, cut.

    ``links`` is the policy of docs/untrusted-text.md: "keep" (what members wrote: web links
    stay, as ``<url>`` so they never preview; any other scheme and invites are shown inert),
    "inert" (names: no link at all, the text shown) or "drop" (model answers: every link is its
    bare domain, every invite gone). ``lead=False`` keeps a leading ``#`` (our own "#channel"
    labels, never at a line start). Escaping is stable: cleaning twice gives the same text.
    """
    # Without "<" there is no mention, channel, emoji or timestamp markup, so ``labels`` play
    # no part and the answer can be remembered: a week's recaps show the same names and key
    # messages to many members (bench/fanout.py: a third of a guild's run was this).
    key = (text, limit, lead, links) if "<" not in text else None
    if key is not None and (known := _CLEANED.get(key)) is not None:
        return known
    flat = _SPACE.sub(" ", resolve(visible(text), labels)).strip()
    if links == "drop":
        flat = drop_links(flat)
    safe = defuse(_escape(flat, lead=lead, links=links))
    out = fit(safe, limit) if limit is not None else safe
    if key is not None:
        if len(_CLEANED) >= _CLEANED_MAX:
            _CLEANED.clear()
        _CLEANED[key] = out
    return out


_CLEANED: dict[tuple[str, int | None, bool, str], str] = {}
_CLEANED_MAX = 20_000


def name(
    text: str, labels: Labels | None = None, limit: int | None = None, *, lead: bool = True
) -> str:
    """A nickname, channel, thread, role or server name: escaped, and never a link."""
    return clean(text, labels, limit, lead=lead, links="inert")


def model_text(text: str, labels: Labels | None = None, limit: int | None = None) -> str:
    """Text a model wrote: no link at all (Hearth adds its own jump links beside it)."""
    return clean(text, labels, limit, links="drop")


def plain(text: str, labels: Labels | None = None, *, model: bool = False) -> str:
    """Text for JSON: mentions resolved to names, on one line, no Markdown escaping; text a
    model wrote loses its links (as everywhere: Hearth's own jump links stand beside it)."""
    flat = _SPACE.sub(" ", resolve(visible(text), labels)).strip()
    return drop_links(flat) if model else flat


def count(n: int, noun: str) -> str:
    """``1 message``, ``2 messages`` (English nouns with a plain plural only)."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def counts_line(messages: int, conversations: int) -> str:
    """What a member could read in a window, as the recap says it."""
    return f"{count(messages, 'message')} in {count(conversations, 'conversation')} you can read"


def date_range(since: dt.datetime, until: dt.datetime) -> str:
    """'2024-05-01 – 2024-05-08' (the window's own timezone)."""
    return f"{since:%Y-%m-%d} – {until:%Y-%m-%d}"


def reasons_line(item: RecapItem, labels: Labels, limit: int = 3) -> str:
    """The top reasons, joined for people."""
    return " · ".join(name(r.text, labels) for r in item.reasons[:limit])


def item_lines(item: RecapItem, labels: Labels, *, quote: int = 200) -> list[str]:
    """The summary of one conversation as Markdown lines (bullets, else key messages)."""
    lines = [f"- {model_text(b, labels, quote)}" for b in item.summary.bullets]
    if not lines:
        lines = [
            f"> **{name(p.author_name, labels, 64)}**: {clean(p.text, labels, quote)}"
            for p in item.summary.points
        ]
    if item.summary.note:
        lines.append(f"_{clean(item.summary.note, labels, 200)}_")
    return lines


def item_title(item: RecapItem, labels: Labels) -> str:
    """'#general › thread · what it was about' (a title repeating the thread name is cut)."""
    title = item.summary.title.strip()
    thread = item.where.rsplit(" › ", 1)[-1] if item.is_thread else ""
    if thread and title.startswith(thread):
        title = title[len(thread) :].lstrip(" ·:-—")
    where = name(item.where, labels, 120, lead=False)
    if not title:
        return where
    written = clean if item.summary.backend == "extractive" else model_text
    return f"{where} · {written(title, labels, 180)}"


def ref_line(ref: MessageRef, labels: Labels, quote: int = 200) -> str:
    """One quoted message with author, place and jump link."""
    return (
        f"**{name(ref.author_name, labels, 64)}** in {name(ref.where, labels, 100, lead=False)}: "
        f"{clean(ref.text, labels, quote)} ([jump]({ref.url}))"
    )
