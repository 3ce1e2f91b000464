"""Self-tests of the double's less common paths (the smoke test covers the main flows)."""

from __future__ import annotations

import asyncio
import io
import json
import time
import zlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import aiohttp
import discord
import pytest
import pytest_asyncio

from testing.discord_double.connection import zstd_available

if TYPE_CHECKING:
    from testing.discord_double.fixtures import SeededDouble


class _Client(discord.Client):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """No 5 s sleep before re-IDENTIFY."""


@pytest_asyncio.fixture
async def client(discord_double: SeededDouble) -> AsyncIterator[discord.Client]:
    """A READY client with default intents plus members (no message content)."""
    intents = discord.Intents.default()
    intents.members = True
    with discord_double.patch_discord():
        bot = _Client(intents=intents, guild_ready_timeout=0.05)
        await bot.login(discord_double.token)
        runner = asyncio.create_task(bot.connect())
        try:
            await asyncio.wait_for(bot.wait_until_ready(), 5)
            yield bot
        finally:
            await bot.close()
            await asyncio.wait_for(runner, 5)


async def _ws_frames(url: str, count: int) -> list[str]:
    frames = []
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        inflate = zlib.decompressobj()
        await ws.receive()  # HELLO
        await ws.send_json({"op": 1, "d": None})
        for _ in range(count):
            msg = await ws.receive()
            data = msg.data if msg.type is aiohttp.WSMsgType.TEXT else inflate.decompress(msg.data)
            frames.append(data if isinstance(data, str) else data.decode())
    return frames


async def test_plain_text_frames_without_compress(discord_double: SeededDouble) -> None:
    (ack,) = await _ws_frames(f"{discord_double.gateway_url}?v=10&encoding=json", 1)
    assert json.loads(ack) == {"op": 11, "d": None, "s": None, "t": None}


async def test_bad_query_is_refused_loudly(discord_double: SeededDouble) -> None:
    query = "v=9&encoding=json"
    if not zstd_available():
        query = "v=10&encoding=json&compress=zstd-stream"
    url = f"{discord_double.gateway_url}?{query}"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        msg = await ws.receive()
    assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 4012
    assert len(discord_double.gateway.errors) == 1
    discord_double.gateway.errors.clear()


async def test_files_edits_reactions_and_threads_over_rest(
    client: discord.Client, discord_double: SeededDouble
) -> None:
    seed = discord_double.seed
    channel = client.get_channel(seed.general_id)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("report", file=discord.File(io.BytesIO(b"a,b\n"), "r.csv"))
    (req,) = discord_double.find_requests("POST", "/channels/*/messages")
    assert [(f.filename, f.data) for f in req.files] == [("r.csv", b"a,b\n")]
    assert sent.attachments[0].filename == "r.csv" and sent.attachments[0].size == 4
    edited = await sent.edit(content="report v2")
    assert edited.content == "report v2" and edited.edited_at is not None
    await sent.add_reaction("✅")
    fetched = await channel.fetch_message(sent.id)
    assert [(str(r.emoji), r.count, r.me) for r in fetched.reactions] == [("✅", 1, True)]
    thread = await sent.create_thread(name="discussion")
    assert thread.id == sent.id and thread.parent_id == channel.id
    forum = client.get_channel(seed.forum_id)
    assert isinstance(forum, discord.ForumChannel)
    post = await forum.create_thread(name="Weekly digest", content="Here it is")
    assert post.thread.id == post.message.id and post.message.content == "Here it is"
    active = await channel.guild.active_threads()
    assert {t.id for t in active} >= {seed.thread_id, thread.id, post.thread.id}
    await thread.edit(archived=True)
    archived = [t async for t in channel.archived_threads()]
    assert [t.id for t in archived] == [thread.id]
    members = [m async for m in channel.guild.fetch_members(limit=None)]
    assert len(members) == 6
    await sent.delete()
    assert discord_double.state.get_message(channel.id, sent.id) is None
    with pytest.raises(discord.NotFound) as caught:
        await channel.fetch_message(sent.id)
    assert caught.value.code == 10008
    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send("x" * 2001)
    assert too_long.value.code == 50035 and too_long.value.status == 400


async def test_content_needs_the_intent_and_chunking_answers(
    client: discord.Client, discord_double: SeededDouble
) -> None:
    seed = discord_double.seed
    waiter = asyncio.ensure_future(client.wait_for("message", timeout=3))
    await discord_double.send_message(seed.general_id, seed.member("bob"), "secret words")
    message = await waiter
    assert message.content == ""  # no MESSAGE_CONTENT intent
    guild = client.get_guild(seed.guild_id)
    assert guild is not None
    members = await guild.query_members(user_ids=[seed.member("erin")])
    assert [m.id for m in members] == [seed.member("erin")]


async def test_pacing_global_429_and_ephemeral_interactions(
    client: discord.Client, discord_double: SeededDouble
) -> None:
    seed = discord_double.seed
    channel = client.get_channel(seed.general_id)
    assert isinstance(channel, discord.TextChannel)
    discord_double.set_rate_limit("POST", "/channels/*/messages", limit=2, window=0.3)
    started = time.monotonic()
    for i in range(4):
        await channel.send(f"paced {i}")
    assert time.monotonic() - started >= 0.25
    assert discord_double.find_requests(status=429) == []  # discord.py paced itself
    discord_double.clear_faults()
    discord_double.rate_limit_next("GET", "/channels/*", is_global=True, retry_after=0.1)
    assert (await client.fetch_channel(seed.general_id)).id == seed.general_id
    assert [r.status for r in discord_double.find_requests("GET", "/channels/*")] == [429, 200]

    async def on_interaction(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("only you", ephemeral=True)
        await interaction.edit_original_response(content="only you (edited)")
        note = await interaction.followup.send("psst", ephemeral=True, wait=True)
        await note.delete()

    client.event(on_interaction)
    before = len(discord_double.messages(seed.general_id))
    record = await discord_double.interaction(
        "whatever", user_id=seed.member("carol"), channel_id=seed.general_id
    )
    await record.wait(lambda r: bool(r.deleted))
    assert record.response_type == 4 and record.responses[0]["data"]["flags"] == 64
    assert record.original is not None and record.original["content"] == "only you (edited)"
    assert [m["content"] for m in record.followups] == ["psst"]
    assert len(discord_double.messages(seed.general_id)) == before  # ephemeral: not in history


class _NoteModal(discord.ui.Modal, title="Note"):
    note: discord.ui.TextInput[discord.ui.Modal] = discord.ui.TextInput(
        label="Note", custom_id="note"
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"got {self.note.value}")


async def test_modal_round_trip(client: discord.Client, discord_double: SeededDouble) -> None:
    seed = discord_double.seed
    shown = asyncio.Event()

    async def on_interaction(interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.application_command:
            await interaction.response.send_modal(_NoteModal())
            shown.set()

    client.event(on_interaction)
    record = await discord_double.interaction(
        "note", user_id=seed.member("bob"), channel_id=seed.general_id
    )
    response = await record.wait_for_response()
    await asyncio.wait_for(shown.wait(), 3)
    assert response["type"] == 9 and response["data"]["title"] == "Note"
    submit = await discord_double.modal_submit(
        response["data"]["custom_id"],
        {"note": "hello"},
        user_id=seed.member("bob"),
        channel_id=seed.general_id,
    )
    answer = await submit.wait_for_response()
    assert answer["type"] == 4 and answer["data"]["content"] == "got hello"


async def test_unknown_route_auth_and_headers(discord_double: SeededDouble) -> None:
    auth = {"Authorization": f"Bot {discord_double.token}"}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{discord_double.api_base}/nope/1", headers=auth) as resp:
            assert resp.status == 404 and resp.headers["Content-Type"] == "application/json"
            assert await resp.json() == {"message": "404: Not Found", "code": 0}
        async with session.get(f"{discord_double.api_base}/users/@me") as resp:
            assert resp.status == 401
        async with session.get(f"{discord_double.api_base}/users/@me", headers=auth) as resp:
            assert resp.headers["Content-Type"] == "application/json"
            assert {"X-RateLimit-Bucket", "X-RateLimit-Remaining"} <= set(resp.headers)
    (unknown,) = discord_double.unknown_requests()
    assert unknown.path == "/nope/1" and "Authorization" not in unknown.headers
