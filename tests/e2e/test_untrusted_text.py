"""Hostile model answers and names through the real bot, the Discord double and the OpenAI
double: what reaches Discord carries no link Hearth did not build, no invite and no ping."""

from __future__ import annotations

import re
from typing import Any

import pytest

from testing.openai_double import openai_double  # noqa: F401 - fixture
from tests.e2e.harness import running_bot, settle
from tests.e2e.interact import EXTENSIONS, assert_never_pinged, invoke
from tests.e2e.test_commands import seed_conversations
from tests.linkcheck import clickable, invites, pings

pytestmark = pytest.mark.e2e

EVIL = "[free nitro](https://evil.example) 詳細はhttps://evil.example/login discord.gg/evil"


def _texts(message: dict[str, Any]) -> list[str]:
    texts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        texts += [embed.get("title", ""), embed.get("description", "")]
        texts += [(embed.get("footer") or {}).get("text", "")]
        texts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields", [])]
    return texts


async def test_hostile_answers_and_names_reach_discord_without_links(
    discord_double,
    openai_double,  # noqa: F811
    tmp_path,
):
    seed = discord_double.seed
    carol, dave = seed.member("carol"), seed.member("dave")
    seed_conversations(discord_double)
    answer = {
        "title": "詳細はhttps://evil.example/login",
        "bullets": [
            "here_https://evil.example/x and ｈｔｔｐｓ：／／evil.example",
            f"詳細はdiscord.gg/evil [jump](https://discord.com/channels/{seed.guild_id}/1/2) "
            f"@everyone <@{carol}> <@&{seed.guild_id}>",
        ],
        "key_message_ids": [1],
        "participants": ["@everyone"],
    }
    openai_double.next_content(answer, times=50)
    async with running_bot(
        discord_double,
        tmp_path / "hearth.db",
        extensions=EXTENSIONS,
        HEARTH_SUMMARIZER="openai",
        OPENAI_API_KEY="sk-test",
        OPENAI_BASE_URL=openai_double.base_url,
    ) as bot:
        await discord_double.member_update(dave, nick=f"{EVIL} @everyone")
        await settle(bot)
        replies = []
        for command in ("recap", "summary"):
            call = await invoke(
                discord_double, command, user=carol, channel=seed.general_id, options={"days": 3}
            )
            replies.append(await call.deferred(ephemeral=True))
        await settle(bot)
    assert openai_double.calls, "the OpenAI double was never asked: the test proves nothing"
    jump = re.compile(rf"https://discord\.com/channels/{seed.guild_id}/\d+(?:/\d+)?")
    built = 0
    for reply in replies:
        for text in _texts(reply):
            for target in clickable(text):
                assert jump.fullmatch(target), (text, target)
                built += 1
            assert not invites(text) and not pings(text), text
    assert built, "no jump link at all: the oracle saw nothing to judge"
    shown = "\n".join(t for reply in replies for t in _texts(reply))
    assert "here\\_evil.example and evil.example" in shown  # the model's glued URLs: domains
    assert "https:\u200b//evil.example" in shown  # the nickname's: shown, inert
    assert_never_pinged(discord_double)
