"""Pure text builders for the member commands (testable without Discord)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import GuildSettings
from bot.recap.types import Summarizer

DM_CLOSED_NOTICE = (
    "I couldn't DM your weekly recap: your DMs are closed for this server. "
    "Allow direct messages from server members (Privacy Settings) or use /recap."
)


def about_lines(
    settings: GuildSettings,
    admin_ids: Sequence[int],
    *,
    excluded: int,
    digest_where: str,
    summarizer: Summarizer,
) -> list[tuple[str, str]]:
    """(heading, text) pairs for ``/about``; ``summarizer`` is the guild's (backend_for)."""
    retention = (
        f"Messages older than {settings.retention_days} days are deleted every day."
        if settings.retention_days
        else "Messages are kept until a member asks Hearth to forget them, or an admin sets a "
        "retention period."
    )
    admins = ", ".join(f"<@{a}>" for a in admin_ids[:20]) or "nobody with Manage Server"
    if len(admin_ids) > 20:
        admins += f" and {len(admin_ids) - 20} more"
    return [
        (
            "What Hearth does",
            "Hearth archives this server's conversations so it can tell each member what "
            f"mattered to them: `/recap` for you, a weekly digest {digest_where}, and weekly "
            "recaps by DM for members who opt in with `/dm on`.",
        ),
        (
            "What it stores",
            "Messages (text, replies, mentions, reactions) in channels and threads it can read, "
            "and members' names, roles and the choices they make here (DMs, interests). "
            f"{excluded} channel(s) are excluded by the admins. " + _where_text_goes(summarizer),
        ),
        ("Retention", retention),
        (
            "Your controls",
            "`/privacy status` shows what is stored about you, `/privacy pause` stops storing "
            "your messages, `/privacy export` sends you a copy and `/privacy forget` deletes it.",
        ),
        ("Admins", admins),
    ]


def _where_text_goes(summarizer: Summarizer) -> str:
    if summarizer.name == "extractive":
        return "Summaries are made here, offline: nothing is ever sent anywhere except Discord."
    endpoint = getattr(summarizer, "endpoint", "") or "its configured endpoint"
    return (
        f"To be summarized, conversations are sent to the model {summarizer.model} at "
        f"{endpoint}; nothing else is sent anywhere except Discord."
    )


def interests_text(topics: Sequence[str], limit: int) -> str:
    """The member's interests, or how to add some."""
    if not topics:
        return "You have no interests yet. Add one with `/interests add board games`."
    lines = [f"Your interests ({len(topics)}/{limit}):"]
    lines += [f"• {t}" for t in topics]
    lines.append("Recaps rank conversations about these higher.")
    return "\n".join(lines)
