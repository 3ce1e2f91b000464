"""What Discord would make of a text: its clickable links, invites and resolvable pings.

Written from Discord's Markdown rules (simple-markdown's ``url``, ``autolink`` and ``link``
rules as Discord's client uses them, and the server's invite and mention syntax), on purpose
apart from Hearth's own finder (``bot/recap/links.py``): a check that reused the code under test
could not fail where that code is wrong.

- A bare URL is ``https?://`` followed by non-space, wherever it starts (no word boundary), and
  is previewed; here every ``scheme://`` counts, to be safe.
- ``<scheme:/…>`` is an autolink: clickable, never previewed, shows its own target.
- ``[label](scheme:target)`` with an unescaped ``[`` is a masked link.
- A backslash before a non-alphanumeric character escapes it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# simple-markdown's LINK_INSIDE and LINK_HREF_AND_TITLE, as Discord's client uses them: inside
# a label a backslash escapes nothing, so "\\]" ends it like "]".
_INSIDE = r"(?:\[[^\]]*\]|[^\[\]]|\](?=[^\[]*\]))*"
_HREF = r"\s*<?((?:\([^)]*\)|[^\s\\])*?)>?(?:\s+['\"]([\s\S]*?)['\"])?\s*"
_MASKED = re.compile(rf"(?<!\\)\[({_INSIDE})\]\(({_HREF})\)")
_SCHEMED = re.compile(r"(?i)\s*<?[a-z][a-z0-9+.\-]*:")
_AUTO = re.compile(r"<([^: >]+:/[^ >]+)>")
_BARE = re.compile(r"(?i)[a-z][a-z0-9+.\-]*://[^\s<]*[^<.,:;\"')\]\s]")
_INVITE = re.compile(r"(?i)discord(?:app)?\.com/invite/|discord\.gg/|discord\.gift/")
_PING = re.compile(r"<@[!&]?\d+>|<#\d+>|@(?:everyone|here)", re.I)
_ESCAPE = re.compile(r"\\([^0-9A-Za-z\s])")
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")


@dataclass(frozen=True)
class Found:
    """One link Discord would make: ``kind`` is "masked", "auto" or "bare"."""

    kind: str
    target: str
    label: str = ""


def links(text: str) -> list[Found]:
    """Every link Discord would make clickable in ``text``."""
    found: list[Found] = []
    for match in _MASKED.finditer(text):  # on the raw text: escapes do not count in a label
        if _SCHEMED.match(match[2]):
            found.append(Found("masked", match[3], match[1]))
    rest = _ESCAPE.sub("\x00", _MASKED.sub(" ", text))  # an escaped character starts nothing
    for match in _AUTO.finditer(rest):
        found.append(Found("auto", match[1]))
    rest = _AUTO.sub(" ", rest)
    found += [Found("bare", m.group()) for m in _BARE.finditer(rest)]
    return found


def clickable(text: str) -> list[str]:
    """The targets of every link in ``text``."""
    return [f.target for f in links(text)]


def invites(text: str) -> list[str]:
    """Invite syntax Discord would resolve (and preview) in ``text`` as sent."""
    return _INVITE.findall(_ESCAPE.sub(r"\1", text))


def pings(text: str) -> list[str]:
    """Mention syntax Discord would resolve in ``text`` as sent."""
    return _PING.findall(text)


def plain(text: str) -> str:
    """What a reader sees, compared loosely: escapes undone, invisibles gone, NFKC-folded."""
    return unicodedata.normalize("NFKC", _INVISIBLE.sub("", _ESCAPE.sub(r"\1", text)))
