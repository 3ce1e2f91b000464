"""Markers and nonces of deliveries: how a sent message is found again after a crash."""

from __future__ import annotations

import hashlib

Embeds = list[list[dict[str, object]]]  # messages, each a list of embed dicts


def marker(period: str) -> str:
    """A line carried by every delivered message set, so a crashed send can be found."""
    return f"Hearth · {period}"


def nonce(guild_id: int, period: str, target: str) -> str:
    """Deterministic per delivery, ≤ 25 characters (Discord's limit)."""
    return hashlib.sha256(f"{guild_id}|{period}|{target}".encode()).hexdigest()[:25]


def stamp(messages: Embeds, mark: str) -> Embeds:
    """Put the marker in the footer of the first embed."""
    if not messages or not messages[0]:
        return messages
    first = dict(messages[0][0])
    footer = first.get("footer")
    text = footer.get("text", "") if isinstance(footer, dict) else ""
    stamped = f"{mark} · {text}".strip(" ·")[:2048]  # the marker first: never cut off
    # The renderer packs messages up to Discord's 6,000 characters; make room for the marker.
    excess = _size(messages[0]) - len(str(text)) + len(stamped) - MESSAGE_LIMIT
    description = str(first.get("description") or "")
    if excess > 0 and description:
        first["description"] = description[: max(0, len(description) - excess - 1)] + "…"
    first["footer"] = {"text": stamped}
    return [[first, *messages[0][1:]], *messages[1:]]


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
