"""The one finder of links and invites in untrusted text, shared by every renderer and the
model-answer sanitizer (the policy is docs/untrusted-text.md).

Discord links a URL wherever its scheme starts, even glued to the word before it
(``詳細はhttps://…``, ``here_https://…``), so nothing here assumes a word boundary. Before
matching, :func:`visible` removes what a reader cannot see (zero-width characters, bidi
overrides and isolates, soft hyphens), and matching runs on a *folded* copy in which full-width
forms (``ｈｔｔｐｓ：／／``) and ideographic full stops read as ASCII; folding maps one character
to one character, so a match's span is the same in the text itself.

Found: ``scheme://…`` for any scheme, the schemes that need no slashes (``javascript:``,
``data:``, ``vbscript:``, ``file:``, ``mailto:``…), ``www.`` forms and Discord invites
(``discord.gg/…``, ``discord(app).com/invite/…``). A URL ends where Discord's own linkifier ends
it: at whitespace, ``<``/``>`` or a square bracket (so a URL never swallows Markdown link
syntax), without trailing punctuation (a closing parenthesis stays when
the URL opened one).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

# Invisible: zero-width space/non-joiner, LRM/RLM, bidi embeddings, overrides and isolates, word
# joiner and invisible operators, BOM, Mongolian vowel separator, soft hyphen, combining grapheme
# joiner, Hangul fillers, Arabic letter mark. A zero-width *joiner* is kept only between two
# non-ASCII characters (emoji sequences such as 👨‍👩‍👧), never where it could split a scheme.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u180e\u200b\u200c\u200e\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufeff\uffa0]"
)
_JOINERS = re.compile("\u200d+")
# Every character that NFKC turns into one ASCII character (full-width forms, superscript and
# subscript digits, mathematical letters, ...) is matched as that character, and the
# ideographic full stops as dots: "ｈｔｔｐｓ：／／" and "A¹://" are schemes too.
_FOLD = {
    c: ord(n)
    for c in range(0x80, 0x10000)
    if len(n := unicodedata.normalize("NFKC", chr(c))) == 1 and n < "\x80"
} | {0x3002: 0x2E, 0xFF61: 0x2E}
_NO_SLASH = "https?|javascript|vbscript|data|file|blob|about|mailto|tel|sms|intent|view-source"
_PATTERN = re.compile(
    r"(?i)<?(?:"
    # A scheme starts a run of scheme characters, after any digits that open the run
    # ("9evil.example://"; the lookbehind keeps the search linear on long runs), or is a known
    # one glued after digits or dots ("9https://").
    r"(?:(?<![a-z0-9+.\-])[0-9]*(?P<scheme>[a-z][a-z0-9+.\-]*)"
    r"|(?P<known>https?|steam|discord|ftp|wss?))"
    r"://[^\s<>\[\]]*"
    rf"|(?<![a-z])(?P<bare>{_NO_SLASH}):[^\s<>\[\]]+"
    r"|(?P<invite>(?:discord(?:app)?\.com/invite|discord\.gg|discord\.gift)/[^\s<>\[\]]*)"
    r"|(?P<www>www\.[^\s<>\[\]]+)"
    r")>?"
)
_KNOWN_TAIL = re.compile(r"(?i)(?:https?|ftp|steam|discord|wss?)$")
_INVITE = re.compile(r"(?i)discord(?:app)?\.com/invite/|discord\.gg/|discord\.gift/")
_ESCAPED = re.compile(r"\\([\\:/.])")
_TRAILING = ".,:;!?'\"*_~\\"


@dataclass(frozen=True, slots=True)
class Link:
    """One link in a text: ``text[start:end]`` (brackets included), its folded ``target``."""

    start: int
    end: int
    target: str  # the URL as ASCII, without <> and trailing punctuation
    kind: str  # "url" (has a scheme), "invite" (bare invite), "www"

    @property
    def invite(self) -> bool:
        """A Discord invite, or anything with one in it (Discord finds invites anywhere)."""
        return self.kind == "invite" or _INVITE.search(self.target.replace("\\", "")) is not None


def visible(text: str) -> str:
    """``text`` without invisible and bidi control characters (see the module doc)."""
    text = _INVISIBLE.sub("", text)

    def _joiner(match: re.Match[str]) -> str:
        start, end = match.span()
        if start == 0 or end == len(text):
            return ""
        before, after = text[start - 1], text[end]
        # Between two visible non-ASCII characters; beside a (non-ASCII) space it would be left
        # at an edge once spaces collapse, and cleaning twice would not agree.
        inside = before > "\x7f" < after and not before.isspace() and not after.isspace()
        return "\u200d" if inside else ""

    return _JOINERS.sub(_joiner, text)


def fold(text: str) -> str:
    """Compatibility forms of ASCII (NFKC) and ideographic full stops as ASCII; one for one."""
    return text.translate(_FOLD)


def _trim(url: str) -> str:
    while url and url[-1] in _TRAILING + ")]":
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        if url[-1] == "]" and url.count("[") >= url.count("]"):
            break
        url = url[:-1]
    return url


def find_links(text: str) -> list[Link]:
    """Every link in ``text`` (already :func:`visible`), in order, none overlapping."""
    folded = fold(text)
    links: list[Link] = []
    for match in _PATTERN.finditer(folded):
        start, end = match.span()
        opened = folded[start] == "<"
        body_start = start + opened
        body = folded[body_start:end]
        closed = opened and body.endswith(">")
        body = body.removesuffix(">")
        scheme = match.group("scheme") or match.group("known")
        if match.group("scheme") and not opened:  # the link starts at the scheme's letter
            body_start = match.start("scheme")
            body = folded[body_start:end].removesuffix(">")
        if scheme:
            tail = _KNOWN_TAIL.search(scheme)
            if tail and tail.start() > 0:  # "abchttps://…": Discord links from "https"
                body_start += tail.start()
                body = body[tail.start() :]
                opened = closed = False
        if closed:  # "<…>": Discord's autolink takes all of it
            links.append(Link(start, end, body, _kind(match)))
            continue
        target = _trim(body)
        # "https://" alone links nothing, after trailing punctuation ("c://\\" once "<" was
        # escaped) is gone; but one glued to a bracket runs on in simple-markdown's URL rule
        # ("c://](c://", "c://>c://"), so it is still taken as a link.
        bare = scheme is not None and len(target) <= len(target.split("://", 1)[0]) + 3
        after = body_start + len(body)
        if bare and folded[after : after + 1] not in ("[", "]", ">"):
            continue
        if target:
            links.append(Link(body_start, body_start + len(target), target, _kind(match)))
    return links


def _kind(match: re.Match[str]) -> str:
    if match.group("scheme") or match.group("known") or match.group("bare"):
        return "url"
    return "invite" if match.group("invite") else "www"


def domain(target: str) -> str:
    """The host of a URL (``www.`` forms too), or "link"."""
    if target.lower().startswith("www."):
        target = "http://" + target
    try:
        host = urlsplit(target).hostname
    except ValueError:
        host = None
    return host or "link"


def replace_links(text: str, replace: Callable[[Link, str], str]) -> str:
    """``text`` with each link's span replaced by ``replace(link, original span)``."""
    out, pos = [], 0
    for link in find_links(text):
        out.append(text[pos : link.start])
        out.append(replace(link, text[link.start : link.end]))
        pos = link.end
    out.append(text[pos:])
    return "".join(out)


def drop_links(text: str) -> str:
    """Every link as its bare domain (not clickable), every invite as "(invite removed)".

    Markdown escapes are undone first (a model has no reason to write them, and
    ``https\\://…`` shows as a URL). What follows a URL's first non-ASCII character
    (``…/loginを参照``) is kept as text, and searched again for links (in another pass, not by
    recursion: texts can be long).
    """

    def _drop(link: Link, span: str) -> str:
        if link.invite:
            return "(invite removed)"
        cut = re.search(r"[^\x21-\x7e]", link.target)
        if cut is None:
            return domain(link.target)
        rest = span.removeprefix("<")[cut.start() :].removesuffix(">")
        return domain(link.target[: cut.start()]) + " " + rest

    # "https\://…" reads as a URL: undo those escapes first ("\\\\" stays a pair)
    text = _ESCAPED.sub(lambda m: m[0] if m[1] == "\\" else m[1], visible(text))
    # Until nothing changes: two domains left side by side ("a.example" + "b.example詳…") read
    # as one link next time, so one more pass is what makes dropping twice agree.
    # Each pass turns links into domains, or splits one at its first non-ASCII character;
    # neither can go on for ever (a link chain of n parts takes n passes).
    while True:
        dropped = replace_links(text, _drop)
        if dropped == text:  # a fixpoint: another pass would change nothing
            return text
        text = dropped
