"""Untrusted text (docs/untrusted-text.md): the named failures, one test each.

The property tests over hostile strings are in ``tests/bot/recap/test_hostile_text.py``; the
oracle that says what Discord would make clickable is ``tests/linkcheck.py``, written apart
from the code it checks.
"""

from __future__ import annotations

import dataclasses

import pytest

from bot.recap.compose import Digest, jump_url
from bot.recap.markup import clean, name
from bot.recap.render import render_embeds, render_markdown
from bot.recap.summarize import prompt as prompt
from tests.bot.recap.test_render import digest, item, ref
from tests.linkcheck import clickable, invites, plain

GUILD = 42


def digest_with(
    *,
    title: str = "Game night",
    bullets: tuple[str, ...] = ("bring snacks",),
    backend: str = "fake",
    thread_name: str = "Ana",
) -> Digest:
    """One conversation in a thread called ``thread_name`` (also a new thread and a member)."""
    one = item(1, title, "hello there", thread_name, bullets)
    one = dataclasses.replace(one, summary=dataclasses.replace(one.summary, backend=backend))
    return digest([one], [ref(1, "a question?", thread_name)], [thread_name])


HEARTH_LINKS = {
    jump_url(1, 4, 101),
    jump_url(1, 300),
    jump_url(1, 4, 501),
}

GLUED = [
    "詳細はhttps://evil.example/login",
    "here_https://evil.example/login",
    "caféhttps://evil.example/login",
    "page2https://evil.example/login",
    "abchttps://evil.example/login",
    "(https://evil.example/login)",
    "ｈｔｔｐｓ：／／evil.example/login",
    "https\u200b://evil.example/login",
    "ht\u200dtps://evil.example/login",
    "\u202ehttps://evil.example/login",
    "見てjavascript:alert(1)",
    "steam://run/570",
    "data:text/html;base64,PHNjcmlwdD4=",
    "詳細はwww.evil.example/login",
    "<https://evil.example/login>",
    "詳細はhttps\\://evil.example/login",
    f"詳細はhttps://discord.com/channels/{GUILD}/5/6",
]


@pytest.mark.parametrize("text", GLUED)
def test_model_answers_carry_no_link_however_glued(text: str) -> None:
    out = prompt.sanitize(text, guild_id=GUILD, names={})
    assert not clickable(out), out
    assert "://" not in plain(out) and "javascript:" not in plain(out).lower(), out


@pytest.mark.parametrize("text", ["詳細はdiscord.gg/x", "招待discordapp.com/invite/x", "dsc.gg/x"])
def test_model_answers_carry_no_invite_however_glued(text: str) -> None:
    out = prompt.sanitize(text, guild_id=GUILD, names={})
    assert not invites(out), out


def test_model_answer_text_around_a_removed_link_stays() -> None:
    out = prompt.sanitize("詳細はhttps://evil.example/loginを参照", guild_id=GUILD, names={})
    assert out.startswith("詳細は") and out.endswith("を参照") and "evil.example" in out


@pytest.mark.parametrize("text", GLUED)
def test_a_cached_model_summary_renders_no_link(text: str) -> None:
    """Summaries cached before the shared finder still render without a link."""
    digest = digest_with(title=text, bullets=(text, f"x {text}"), backend="openai")
    for message in render_embeds(digest):
        for embed in message:
            for value in _texts(embed):
                assert all(url in HEARTH_LINKS for url in clickable(value)), value
    assert all(url in HEARTH_LINKS for url in clickable(render_markdown(digest)))


def _texts(embed: dict) -> list[str]:
    texts = [embed.get("title", ""), embed.get("description", "")]
    texts += [embed.get("footer", {}).get("text", "")]
    texts += [f["name"] for f in embed.get("fields", ())] + [
        f["value"] for f in embed.get("fields", ())
    ]
    return texts


@pytest.mark.parametrize(
    "raw",
    [
        "https://evil.example/login",
        "[free nitro](https://evil.example)",
        "# heading",
        "- list",
        "1. list",
        "```code```",
        "||spoiler||",
        "> quote",
        "-# subtext",
        "discord.gg/x",
        "**bold**_it_",
    ],
)
def test_names_cannot_open_markdown_or_links(raw: str) -> None:
    out = name(raw)
    assert not clickable(out) and not invites(out)
    shown = out.replace("\u200b", "").replace("\\", "").replace("［", "[").replace("］", "]")
    assert shown == raw.replace("\u200b", "")
    digest = digest_with(thread_name=raw)
    text = render_markdown(digest)
    assert all(url in HEARTH_LINKS for url in clickable(text)), text


def test_member_links_stay_links_without_preview_and_unglued() -> None:
    assert clean("詳細はhttps://x.example/a") == "詳細は<https://x.example/a>"
    assert clean("abchttps://x.example/a") == "abc<https://x.example/a>"
    assert clean("[label](https://evil.example)") == "［label］(<https://evil.example>)"
    assert clickable(clean("javascript:alert(1) steam://run/1")) == []


def test_numbered_list_marker_is_escaped_on_its_dot() -> None:
    assert clean("1. not a list") == r"1\. not a list"


@pytest.mark.parametrize(
    "raw", ["*", "\\*", "a\\", "1. x", "# x", "@everyone", "https://x.example/_"]
)
def test_escaping_twice_shows_the_same_text(raw: str) -> None:
    assert clean(clean(raw)) == clean(raw)
    assert name(name(raw)) == name(raw)


def test_model_titles_from_older_caches_keep_their_words() -> None:
    text = render_markdown(digest_with(title="Plan for https://evil.example/x", backend="openai"))
    assert "Plan for evil.example" in text and "evil.example/x" not in text


def test_a_thread_name_cannot_close_hearths_link_label() -> None:
    """Discord ends a link label at "]" even when escaped: labels carry no square brackets."""
    text = render_markdown(digest_with(thread_name="Free Nitro](https:evil.com) [x"))
    assert all(url in HEARTH_LINKS for url in clickable(text)), text
    assert jump_url(1, 300) in clickable(text)


@pytest.mark.parametrize("raw", [r"discord\.gg/abc", "discord.gift/abc", r"x:\/\/discord.gg/y"])
def test_escaped_or_gift_invites_are_inert(raw: str) -> None:
    for out in (clean(raw), name(raw)):
        assert not invites(out), out
