"""Markers and nonces of deliveries: how a sent message is found again after a crash."""

from __future__ import annotations

import hashlib

Embeds = list[list[dict[str, object]]]  # messages, each a list of embed dicts


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
    stamped = f"{mark} · {text}".strip(" ·")[:2048]  # the marker first: never cut off
    # The renderer packs messages up to Discord's 6,000 characters; make room for the marker.
    excess = _size(embeds) - len(str(text)) + len(stamped) - MESSAGE_LIMIT
    description = str(first.get("description") or "")
    if excess > 0 and description:
        first["description"] = description[: max(0, len(description) - excess - 1)] + "…"
    first["footer"] = {"text": stamped}
    return [first, *embeds[1:]]


MESSAGE_LIMIT = 6000


def _size(embeds: list[dict[str, object]]) -> int:
    """Characters Discord counts towards a message's 6,000 (title, description, fields, footer)."""
    total = 0
    for e in embeds:
        total += len(str(e.get("title") or "")) + len(str(e.get("description") or ""))
        footer = e.get("footer")
        total += len(str(footer.get("text") or "")) if isinstance(footer, dict) else 0
        for f in e.get("fields") or ():  # type: ignore[attr-defined]
            total += len(str(f.get("name") or "")) + len(str(f.get("value") or ""))
    return total
