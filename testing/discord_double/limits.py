"""Message body validation (Discord's documented limits) and allowed-mentions handling."""

from __future__ import annotations

import re
from typing import Any

from . import payloads
from .rest_core import ApiError, UploadedFile

JSON = dict[str, Any]
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
_EMBED_FIELD_LIMITS = {"title": 256, "description": 4096}


def _invalid(path: str, code: str, message: str) -> ApiError:
    errors: JSON = {}
    node = errors
    parts = path.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = {"_errors": [{"code": code, "message": message}]}
    return ApiError(400, 50035, "Invalid Form Body", errors)


def embed_length(embed: JSON) -> int:
    """Characters counted towards the 6000-character embed total."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for fld in embed.get("fields") or []:
        total += len(fld.get("name") or "") + len(fld.get("value") or "")
    return total


def validate_message(
    body: JSON, files: list[UploadedFile], *, require_content: bool = True
) -> None:
    """Raise :class:`ApiError` (400) where Discord would reject the message body."""
    content = body.get("content") or ""
    if len(content) > CONTENT_MAX:
        raise _invalid("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
    embeds = body.get("embeds") or []
    if len(embeds) > EMBEDS_MAX:
        raise _invalid("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
    total = 0
    for index, embed in enumerate(embeds):
        for key, limit in _EMBED_FIELD_LIMITS.items():
            if len(embed.get(key) or "") > limit:
                raise _invalid(
                    f"embeds.{index}.{key}",
                    "BASE_TYPE_MAX_LENGTH",
                    f"Must be {limit} or fewer in length.",
                )
        fields = embed.get("fields") or []
        if len(fields) > 25:
            raise _invalid(f"embeds.{index}.fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer.")
        for fi, fld in enumerate(fields):
            if len(fld.get("name") or "") > 256 or len(fld.get("value") or "") > 1024:
                raise _invalid(
                    f"embeds.{index}.fields.{fi}", "BASE_TYPE_MAX_LENGTH", "Field too long."
                )
            if not fld.get("name") or not fld.get("value"):
                raise _invalid(f"embeds.{index}.fields.{fi}", "BASE_TYPE_REQUIRED", "Required.")
        total += embed_length(embed)
    if total > EMBED_TOTAL_MAX:
        raise _invalid(
            "embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"
        )
    has_body = content or embeds or files or body.get("components") or body.get("sticker_ids")
    if require_content and not has_body and not body.get("poll"):
        raise ApiError(400, 50006, "Cannot send an empty message")


def resolve_mentions(
    content: str, allowed: JSON | None, *, known_users: set[int]
) -> tuple[list[int], list[int], bool, bool]:
    """Apply ``allowed_mentions``: returns (user ids, role ids, mention_everyone, ping reply)."""
    users = [int(u) for u in _USER_MENTION.findall(content) if int(u) in known_users]
    roles = [int(r) for r in _ROLE_MENTION.findall(content)]
    everyone = "@everyone" in content or "@here" in content
    if allowed is None:
        return users, roles, everyone, True
    parse = allowed.get("parse") or []
    allowed_users = {int(u) for u in allowed.get("users") or []}
    allowed_roles = {int(r) for r in allowed.get("roles") or []}
    if "users" not in parse:
        users = [u for u in users if u in allowed_users]
    if "roles" not in parse:
        roles = [r for r in roles if r in allowed_roles]
    everyone = everyone and "everyone" in parse
    return users, roles, everyone, bool(allowed.get("replied_user", False))


def attachments_from(
    body: JSON, files: list[UploadedFile], new_id: Any, uploads: dict[int, bytes]
) -> list[JSON]:
    """Attachment objects for uploaded ``files[n]`` parts (stores their bytes in ``uploads``)."""
    described = {str(a.get("id")): a for a in body.get("attachments") or []}
    result = []
    for upload in files:
        index = upload.field_name.removeprefix("files[").removesuffix("]")
        meta = described.get(index, {})
        filename = meta.get("filename") or upload.filename or f"file{index}"
        attachment_id = new_id()
        uploads[attachment_id] = upload.data
        item = payloads.attachment(attachment_id, filename, upload.data, upload.content_type)
        if meta.get("description"):
            item["description"] = meta["description"]
        result.append(item)
    return result
