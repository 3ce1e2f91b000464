"""Hostile strings through every text path: model answers, message content and names.

The invariants of docs/untrusted-text.md, judged by the independent oracle in
``tests/linkcheck.py``: no clickable link Hearth did not build (for model text none at all), no
previewed or masked link from member text, no ping syntax Discord would resolve, no Markdown a
name could open, every embed within Discord's limits, and escaping twice gives the same text.
"""

from __future__ import annotations

import dataclasses
import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.recap.compose import jump_url
from bot.recap.markup import clean, model_text, name
from bot.recap.render import render_embeds, render_markdown, render_text
from bot.recap.summarize import prompt as prompt
from tests.bot.recap.test_render import LABELS, check_outputs, digest, item, recap, ref
from tests.linkcheck import clickable, invites, links, pings, plain

PIECES = [
    *"詳細は見てラーメンcaféÉñ_9０",
    "https://evil.example/login",
    "http://evil.example",
    "HTTPS://EVIL.EXAMPLE/X",
    "ｈｔｔｐｓ：／／evil.example",
    "https：//evil.example",
    "https://evil。example/x",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "steam://run/570",
    "data:text/html,hi",
    "www.evil.example/x",
    "discord.gg/evil",
    "discord.com/invite/evil",
    "discord\\.gg/evil",
    "discord.gift/evil",
    "](https:evil.example)",
    "https:evil.example",
    "https://discord.gg/evil",
    "[free nitro](https://evil.example)",
    "[https://good.example](https://evil.example)",
    "](",
    "<https://evil.example>",
    "<",
    ">",
    "://",
    "<@1>",
    "<@!2>",
    "<@&7>",
    "<#5>",
    "<@",
    "@everyone",
    "@here",
    "@EveryOne",
    "*",
    "**",
    "_",
    "__",
    "~~",
    "`",
    "```",
    "||",
    "#",
    "# ",
    "-# ",
    "> ",
    ">>> ",
    "- ",
    "1. ",
    "\\",
    "\n",
    " ",
    "\u200b",
    "\u200d",
    "\u202e",
    "\u2066",
    "\ufeff",
    "\u00ad",
    "🔥",
    "👨\u200d👩\u200d👧",
]
hostile = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=24).map(
    "".join
)
long_runs = st.builds(lambda t, k: (t or "x") * k, hostile, st.integers(1, 300))
any_text = st.one_of(hostile, long_runs)
some_text = st.one_of(hostile, st.builds(lambda t, k: (t or "x") * k, hostile, st.integers(1, 40)))

_WEB = re.compile(r"(?i)https?://")
_OPENERS = set("*_~`|[]")
_SCHEME = re.compile(r"(?i)[a-z][a-z0-9+.\-]*:/+[^\s<>/]|(?<![a-z])(?:javascript|data|vbscript):\S")


def hearth_link(target: str) -> bool:
    return re.fullmatch(r"https://discord\.com/channels/1/\d+(?:/\d+)?", target) is not None


def assert_no_opener(text: str) -> None:
    """Every Markdown mark is escaped; nothing at the start opens a heading, list or quote."""
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and not text[i + 1].isalnum():
            i += 2
            continue
        assert text[i] not in _OPENERS, (text, i)
        i += 1
    assert not re.match(r"[#>+\-]|\d+\.", text), text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text)
@example("://A¹://A¹")  # a superscript digit in a scheme (found by CI on a fresh clone)
@example("詳www.evil.example/x<https://evil.example>" * 2)  # a domain glued to text (CI)
@example("9<https://evil.example>://詳")  # a scheme after a digit, once the link went (CI)
@example("](c://](c://")  # "c://" glued to a bracket runs on as a URL (hypothesis, main)
@example(">c://>c://")  # and glued to ">" (hypothesis, main)
@example("<c://<c://")  # escaping "<" made "c://\\" look longer than a bare scheme (main)
def test_a_model_answer_carries_no_link_no_invite_no_ping(raw: str) -> None:
    out = prompt.sanitize(raw, guild_id=1, names={1: "Ana"})
    shown = model_text(out, LABELS)
    for text in (out, shown):
        assert not clickable(text), text
        assert not _SCHEME.search(plain(text)) and not invites(plain(text)), text
        assert not pings(text), text
    assert model_text(shown, LABELS) == shown
    assert model_text(model_text(raw)) == model_text(raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text)
def test_member_text_keeps_web_links_unpreviewed_and_nothing_else(raw: str) -> None:
    out = clean(raw, LABELS)
    for found in links(out):
        assert found.kind == "auto" and _WEB.match(found.target), (out, found)
    assert not invites(out) and not pings(out), out
    assert "\n" not in out
    assert clean(out, LABELS) == out  # stable
    assert clean(clean(raw)) == clean(raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text, st.sampled_from([None, 40, 100]))
@example("\xa0\u200d詳", None)  # a joiner beside a non-ASCII space: left at the edge once
@example("\xa0\u200d詳", 40)
def test_a_name_opens_nothing(raw: str, limit: int | None) -> None:
    out = name(raw, LABELS, limit)
    assert not clickable(out) and not invites(out) and not pings(out), out
    assert_no_opener(out)
    again = name(out, LABELS, limit)
    assert again == out if limit is None else plain(again) == plain(out)
    assert name(name(raw)) == name(raw)


def _only_hearth_and_members(texts: list[str], member_text: str) -> None:
    """Masked links are Hearth's jump links; the rest are unpreviewed web links members wrote
    (model answers are judged alone above: they may not carry even those)."""
    for text in texts:
        for found in links(text):
            if found.kind == "masked":
                assert hearth_link(found.target), (text, found)
            else:
                assert "model.example" not in found.target, (text, found)
                assert found.kind == "auto" and _WEB.match(found.target), (text, found)
                assert found.target[:15] in member_text, (text, found)
        assert not invites(text) and not pings(text), text


def _all_texts(obj) -> list[str]:
    texts = [render_markdown(obj), *render_text(obj)]
    for message in render_embeds(obj):
        for e in message:
            texts += [e["title"], e.get("description", ""), e.get("footer", {}).get("text", "")]
            texts += [f["name"] for f in e.get("fields", ())]
            texts += [f["value"] for f in e.get("fields", ())]
    return texts


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(some_text, some_text, hostile), min_size=1, max_size=6),
    st.lists(hostile, max_size=6),
    hostile,
)
def test_every_renderer_holds_with_hostile_model_answers_and_names(entries, names, guild):
    """Digest, recap (the DM is the same embeds) and Markdown: model text as an "openai"
    summary's title and bullets, member text as quotes, names as thread, author, member and
    server names."""
    items = []
    for n, (answer, content, thread) in enumerate(entries):
        answer = answer.replace("evil", "model")  # a model.example link could only be the model's
        one = item(n, answer, content, thread or "t", bullets=(answer, answer[::-1]))
        summary = dataclasses.replace(one.summary, backend="openai")
        items.append(dataclasses.replace(one, summary=summary))
    refs = [ref(n, text, who or "Bo") for n, (_, text, who) in enumerate(entries)]
    members = " ".join(content for _, content, _ in entries)
    for obj in (digest(items, refs, names, guild=guild), recap(items, refs, guild=guild)):
        check_outputs(obj)
        _only_hearth_and_members(_all_texts(obj), members)


def test_hearth_builds_the_only_links() -> None:
    """The oracle sees Hearth's own links in a rendered digest: the checks above can fail."""
    text = render_markdown(digest([item(1, "t", "x")], [ref(1, "q")], ["n"]))
    assert jump_url(1, 4, 101) in clickable(text)
