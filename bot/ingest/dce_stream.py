"""Stream a DiscordChatExporter JSON file as (kind, value) items with ijson, chunk by chunk.

Yields ``("guild", {...})``, ``("channel", {...})`` and one ``("message", {...})`` per message,
so memory stays flat however large the file. Errors name the file and the byte position.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from typing import Any

import ijson
from ijson.common import ObjectBuilder

CHUNK_BYTES = 64 * 1024
_OPEN, _CLOSE = ("start_map", "start_array"), ("end_map", "end_array")
_TARGETS = {"guild": "guild", "channel": "channel", "messages.item": "message"}

Item = tuple[str, Any]
Items = AsyncGenerator[Item, None]


class ExportFormatError(Exception):
    """Not a readable, valid DCE export: the text names the file and the position.

    ``committed``: messages read by the batches committed before the error; those are kept.
    """

    def __init__(self, message: str, committed: int = 0) -> None:
        super().__init__(message)
        self.committed = committed


def _json_error(source: str, chunk: bytes, start: int, exc: Exception, after: int) -> str:
    """Name the byte of a yajl error, located from the context it prints (else the chunk end)."""
    text = exc.args[0] if exc.args else b""
    raw = text if isinstance(text, bytes) else str(text).encode("utf-8", "replace")
    lines, offset = raw.split(b"\n"), start + len(chunk)
    if len(lines) >= 3 and lines[2].endswith(b"^") and (body := lines[1].lstrip(b" ")):
        flat = chunk.replace(b"\n", b" ").replace(b"\r", b" ")
        at = flat.find(body)
        if at >= 0 and flat.find(body, at + 1) < 0:
            offset = start + at + len(lines[2]) - 1 - (len(lines[1]) - len(body))
    detail = lines[0].decode("utf-8", "replace") or type(exc).__name__
    where = f" (after message #{after})" if after else ""
    return f"{source}: invalid JSON near byte {offset}{where}: {detail}"


async def file_items(
    path: Path, source: str, done: list[int], on_bytes: Callable[[int, int], None] | None
) -> Items:
    """Parse a file chunk by chunk into header and message items; ``done[0]``: bytes parsed."""
    try:
        handle = await asyncio.to_thread(path.open, "rb")
    except OSError as exc:
        raise ExportFormatError(f"{source}: cannot read: {exc.strerror or exc}") from None
    events = ijson.sendable_list()
    parser = ijson.parse_coro(events, use_float=True)
    builder: ObjectBuilder | None = None
    depth, target, messages, started, listed = 0, "", 0, False, False
    with handle:
        total = os.fstat(handle.fileno()).st_size
        while True:
            chunk, start = await asyncio.to_thread(handle.read, CHUNK_BYTES), done[0]
            if not start and chunk[:2] in (b"", b"\xff\xfe", b"\xfe\xff"):
                problem = "is UTF-16; DCE writes UTF-8" if chunk else "is empty"
                raise ExportFormatError(f"{source}: the file {problem}")
            failure = None
            try:
                if not chunk:
                    parser.close()
                else:  # a UTF-8 byte order mark is not JSON: skip it
                    parser.send(chunk[3:] if not start and chunk[:3] == b"\xef\xbb\xbf" else chunk)
            except ijson.JSONError as exc:
                failure = exc
            for prefix, event, value in events:
                if builder is not None:  # inside a header object or a message
                    builder.event(event, value)
                    depth += (event in _OPEN) - (event in _CLOSE)
                    if not depth:
                        messages += target == "message"
                        yield target, builder.value
                        builder = None
                elif not started:
                    if event != "start_map":
                        found = "a list" if event == "start_array" else "a single value"
                        raise ExportFormatError(
                            f"{source}: not a DiscordChatExporter export (the file holds {found})"
                        )
                    started = True
                elif prefix == "messages" and event == "start_array":
                    listed = True
                elif (target := _TARGETS.get(prefix, "")) and event in _OPEN:
                    builder, depth = ObjectBuilder(), 1
                    builder.event(event, value)
                elif target:  # a scalar where an object belongs; validation will say so
                    messages += target == "message"
                    yield target, value
            del events[:]
            if failure is not None:
                raise ExportFormatError(_json_error(source, chunk, start, failure, messages))
            done[0] = start + len(chunk)
            if on_bytes is not None:
                on_bytes(done[0], total)
            if not chunk:
                break
    if not listed:
        raise ExportFormatError(f"{source}: not a DiscordChatExporter export (no 'messages')")
