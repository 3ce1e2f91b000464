"""Rendering: safe text, Discord limits under adversarial input, Markdown and text chunks."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.recap.compose import (
    Activity,
    Digest,
    Labels,
    MemberRecap,
    MemberRef,
    MessageRef,
    RecapCounts,
    RecapItem,
    ThreadRef,
    Window,
)
from bot.recap.embeds import embed_size
from bot.recap.markup import ZWSP, clean, fit
from bot.recap.rank import Reason
from bot.recap.render import render_embeds, render_markdown, render_text
from bot.recap.types import KeyMessage, Summary

T0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
WINDOW = Window(T0, T0 + dt.timedelta(days=7))
LABELS = Labels(
    users={1: "Ana", 2: "Bo", 3: "everyone"},
    roles={1000: "@everyone", 7: "mods", 8: "here"},
    channels={4: "general", 5: "secret"},
    visible=frozenset({4}),
)


def test_clean_resolves_mentions_and_hides_unseen_channels():
    text = "<@1> hi <@!2> <@&7> <#4> <#5> <:blob:123> </recap:9>"
    assert clean(text, LABELS) == "@Ana hi @Bo @mods #general #unknown-channel :blob: /recap"


def test_clean_never_pings():
    for raw in ("@everyone", "@here", "<@3>", "<@&1000>", "<@&8>", "@EVERYONE", "<@abc>", "<@"):
        out = clean(raw, LABELS)
        assert "@everyone" not in out.lower() and "@here" not in out.lower()
        assert "<@" not in out
    assert clean("@everyone", LABELS) == f"@{ZWSP}everyone"
    assert clean(clean("@here now", LABELS), LABELS).count(ZWSP) == 1  # idempotent defuse


def test_clean_escapes_markdown_but_keeps_urls_and_collapses_newlines():
    out = clean("**bold** `code` [x](http://evil.example) ~~s~~ ||spoiler||\n# Title\n> quote")
    assert out.startswith(r"\*\*bold\*\* \`code\` ［x］(<http://evil.example>)")
    assert "\n" not in out and r"\~\~s\~\~" in out and r"\|\|spoiler\|\|" in out
    assert clean("# header") == r"\# header" and clean("> quote") == r"\> quote"
    assert clean("see https://x.example/a_b_c ok") == "see <https://x.example/a_b_c> ok"
    assert clean("ラーメン食べたい？ \n 行こう") == "ラーメン食べたい？ 行こう"


def test_fit_cuts_at_a_word_with_an_ellipsis():
    assert fit("short", 10) == "short"
    assert fit("the quick brown fox jumps", 16) == "the quick brown…"
    assert len(fit("x" * 500, 100)) == 100 and fit("x" * 500, 100).endswith("…")


def summary(title: str, points: list[tuple[str, str]], bullets: tuple[str, ...] = ()) -> Summary:
    return Summary(
        title=title,
        points=tuple(KeyMessage(i, i, n, t) for i, (n, t) in enumerate(points)),
        language="en",
        backend="fake",
        bullets=bullets,
    )


def item(
    n: int, title: str, text: str, name: str = "Ana", bullets: tuple[str, ...] = ()
) -> RecapItem:
    return RecapItem(
        key=f"4:{n}",
        guild_id=1,
        channel_id=4,
        where=f"#general › {name}",
        is_thread=True,
        first_message_id=100 + n,
        messages=3,
        participants=(name, "Bo"),
        last_at=T0,
        summary=summary(title, [(name, text), ("Bo", text[::-1])], bullets),
        reasons=(
            Reason("mentioned", f"{name} mentioned you", 4.0),
            Reason("topic", f"about {text[:20]}", 2.0),
        ),
        score=6.0,
    )


def ref(n: int, text: str, name: str = "Bo") -> MessageRef:
    return MessageRef(1, 4, 500 + n, 2, name, f"#general {name}", text, T0)


def recap(items, refs, guild="Hearth") -> MemberRecap:
    return MemberRecap(
        guild_id=1,
        guild_name=guild,
        member_id=1,
        member_name="Ana",
        window=WINDOW,
        items=tuple(items),
        waiting_for_you=tuple(refs),
        questions_you_could_answer=tuple(refs[:3]),
        counts=RecapCounts(10, 3, 1, len(refs), min(3, len(refs))),
        labels=LABELS,
    )


def digest(items, refs, names, guild="Hearth", note="") -> Digest:
    return Digest(
        guild_id=1,
        guild_name=guild,
        window=WINDOW,
        channel_id=4,
        items=tuple(items),
        new_threads=tuple(
            ThreadRef(1, 300 + i, n, f"#general {n}", T0, 2) for i, n in enumerate(names)
        ),
        joined=tuple(MemberRef(i, n, T0) for i, n in enumerate(names)),
        unanswered=tuple(refs),
        activity=Activity(312, 9, 5, "general"),
        labels=LABELS,
        note=note,
    )


def check_outputs(obj) -> list[list[dict]]:
    messages = render_embeds(obj)
    texts: list[str] = [render_markdown(obj), *render_text(obj)]
    for chunk in render_text(obj):
        assert len(chunk) <= 2000
    for message in messages:
        assert 1 <= len(message) <= 10
        assert sum(embed_size(e) for e in message) <= 6000
        for e in message:
            assert len(e["title"]) <= 256
            assert len(e.get("description", "")) <= 4096
            assert len(e.get("fields", [])) <= 25
            assert len(e.get("footer", {}).get("text", "")) <= 2048
            for f in e.get("fields", []):
                assert 0 < len(f["name"]) <= 256 and 0 < len(f["value"]) <= 1024
                texts += [f["name"], f["value"]]
            texts += [e["title"], e.get("description", ""), e.get("footer", {}).get("text", "")]
    for text in texts:
        lowered = text.lower()
        assert "@everyone" not in lowered and "@here" not in lowered and "<@" not in text
    return messages


NASTY = st.sampled_from(
    [
        "@everyone",
        "@here",
        "<@1>",
        "<@!2>",
        "<@&1000>",
        "<@&8>",
        "<#5>",
        "<@",
        "<",
        "@",
        "\n",
        "**",
        "_",
        "`",
        "```",
        "|",
        "[",
        "](http://x)",
        "> ",
        "# ",
        "https://x.example/a_b",
        "ラーメン",
        "🔥",
        "\u200b",
        " ",
        "word",
        "\\",
    ]
)
texts = st.lists(st.one_of(NASTY, st.text(max_size=30)), max_size=40).map("".join)
huge = st.builds(lambda t, k: (t or "x") * k, texts, st.integers(1, 400))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.one_of(texts, huge), st.one_of(texts, huge), texts), max_size=30),
    st.lists(st.one_of(texts, huge), max_size=30),
    st.one_of(texts, huge),
)
def test_recap_rendering_stays_within_limits_and_never_pings(entries, quotes, guild):
    items = [item(n, t, x, name or "?") for n, (t, x, name) in enumerate(entries)]
    refs = [ref(n, q, q[:50] or "Bo") for n, q in enumerate(quotes)]
    messages = check_outputs(recap(items, refs, guild))
    urls = {e.get("url") for m in messages for e in m}
    assert {i.url for i in items} <= urls  # every conversation made it, none dropped
    values = " ".join(f["value"] for m in messages for e in m for f in e.get("fields", []))
    assert all(r.url in values for r in refs)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.one_of(texts, huge), texts), max_size=12),
    st.lists(st.one_of(texts, huge), max_size=30),
    st.lists(texts, max_size=80),
    st.one_of(texts, huge),
)
def test_digest_rendering_stays_within_limits_and_never_pings(entries, quotes, names, note):
    items = [item(n, t, x, bullets=(x, t, "@everyone look")) for n, (t, x) in enumerate(entries)]
    check_outputs(digest(items, [ref(n, q) for n, q in enumerate(quotes)], names, note=note))


def test_many_conversations_split_into_several_messages():
    items = [item(n, "long " * 50, "word " * 300) for n in range(25)]
    messages = check_outputs(recap(items, [ref(n, "hi") for n in range(5)]))
    assert len(messages) >= 3
    assert sum(len(m) for m in messages) >= 1 + 25 + 2


def test_markdown_shape_and_jump_links():
    text = render_markdown(
        recap([item(1, "Game night", "<@2> bring <@&7> snacks")], [ref(1, "@here ping")])
    )
    assert text.startswith("# Your recap · Hearth\n")
    assert "## 1. #general › Ana · Game night" in text
    assert "> **Ana**: @Bo bring @mods snacks" in text
    assert "Why: Ana mentioned you · about @Bo bring @mods sn" in text
    assert "(https://discord.com/channels/1/4/101)" in text
    assert "## Waiting for you" in text and f"@{ZWSP}here ping" in text
    quiet = render_markdown(recap([], []))
    assert "nothing needed you" in quiet
    d = render_markdown(digest([], [], ["Cy"], note="late: Hearth was offline"))
    assert "312 messages from 9 members in 5 channels; busiest: #general" in d
    assert "## Say hello to\nCy" in d and "late: Hearth was offline" in d


def test_counts_read_in_the_singular_for_one():
    # "1 messages in 1 conversations" read as a bug to a new user (issue #16).
    one = dataclasses.replace(recap([], []), counts=RecapCounts(1, 1, 1, 0, 0))
    many = recap([], [])
    for text in (render_markdown(one), str(render_embeds(one))):
        assert "1 message in 1 conversation you can read" in text, text
    for text in (render_markdown(many), str(render_embeds(many))):
        assert "10 messages in 3 conversations you can read" in text, text


def test_an_empty_digest_with_a_note_says_it_once():
    # /summary of a quiet channel showed its note and "A quiet stretch" under it (issue #16).
    quiet = digest([], [], [], note="Nothing to summarize in #general in this period.")
    for text in (str(render_embeds(quiet)), render_markdown(quiet)):
        assert "Nothing to summarize in #general" in text and "quiet stretch" not in text
    assert "quiet stretch" in str(render_embeds(digest([], [], [])))
