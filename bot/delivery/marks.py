"""Markers and nonces of deliveries: how a sent message is found again after a crash."""

from __future__ import annotations

import hashlib

from bot.recap.embeds import FOOTER, MESSAGE_TOTAL, embed_size

Embeds = list[list[dict[str, object]]]  # messages, each a list of embed dicts
# Characters each rendered message leaves free for its marker: "Hearth · weekly:2026-11-23 ·
# 1a2b3c4d · 10/10 · " is 47; a daily period or a longer count still fits.
MARK_ROOM = 64


def marker(period: str, guild_id: int) -> str:
    """A line carried by every delivered message, so a crashed send can be found again.

    It names the guild (as a short tag), so one member's DM recaps from two servers are told
    apart; each part of a multi-message delivery adds `` · k/n`` after it.
    """
    tag = hashlib.sha256(f"guild|{guild_id}".encode()).hexdigest()[:8]
    return f"Hearth · {period} · {tag}"


def nonce(guild_id: int, period: str, target: str, part: int = 0) -> str:
    """Deterministic per delivery and part, ≤ 25 characters (Discord's limit)."""
    key = f"{guild_id}|{period}|{target}" + (f"|{part}" if part else "")
    return hashlib.sha256(key.encode()).hexdigest()[:25]


def stamp(messages: Embeds, mark: str) -> Embeds:
    """Put the marker (and ``k/n`` when there are several) in each message's first footer."""
    n = len(messages)
    return [
        _stamp_one(message, mark if n == 1 else f"{mark} · {k}/{n}")
        for k, message in enumerate(messages, 1)
    ]


def _stamp_one(embeds: list[dict[str, object]], mark: str) -> list[dict[str, object]]:
    if not embeds:
        return embeds
    first = dict(embeds[0])
    footer = first.get("footer")
    text = footer.get("text", "") if isinstance(footer, dict) else ""
    stamped = f"{mark} · {text}".strip(" ·")[:FOOTER]  # the marker first: never cut off
    first["footer"] = {"text": stamped}
    out = [first, *embeds[1:]]
    # Rendering left MARK_ROOM free (render_embeds(reserve=)); a message built elsewhere that
    # did not is cut at its first description rather than refused by Discord.
    excess = sum(embed_size(e) for e in out) - MESSAGE_TOTAL
    description = str(first.get("description") or "")
    if excess > 0 and description:
        first["description"] = description[: max(0, len(description) - excess - 1)] + "…"
    return out
