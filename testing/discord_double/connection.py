"""One gateway websocket connection and its transport compression."""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .gateway import GatewaySession


class Compressor:
    """Per-connection transport compression (one stream context per connection)."""

    def __init__(self, mode: str | None) -> None:
        self.mode = mode
        self._zlib: Any = None
        self._zstd: Any = None
        self._flush: Any = None
        if mode == "zlib-stream":
            self._zlib = zlib.compressobj()
        elif mode == "zstd-stream":
            try:
                import zstandard  # type: ignore[import-not-found]

                self._zstd = zstandard.ZstdCompressor().compressobj()
                self._flush = zstandard.COMPRESSOBJ_FLUSH_BLOCK
            except ImportError:
                from compression import zstd  # type: ignore[import-not-found]

                self._zstd = zstd.ZstdCompressor()
                self._flush = None

    def encode(self, text: str) -> bytes | str:
        """Compress one payload, flushed so the client can decode it on its own."""
        raw = text.encode()
        if self._zlib is not None:
            return self._zlib.compress(raw) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
        if self._zstd is not None:
            if self._flush is None:
                return self._zstd.compress(raw, mode=self._zstd.FLUSH_BLOCK)
            return self._zstd.compress(raw) + self._zstd.flush(self._flush)
        return text


def zstd_available() -> bool:
    """Whether this interpreter can produce zstd-stream frames."""
    for name in ("zstandard", "compression.zstd"):
        with contextlib.suppress(ImportError):
            __import__(name)
            return True
    return False


@dataclass(eq=False)
class Connection:
    """One websocket connection from a client."""

    ws: web.WebSocketResponse
    transport: asyncio.BaseTransport | None
    compressor: Compressor
    path: str
    session: GatewaySession | None = None
    dead: bool = False

    async def send(self, frame: str, *, split: bool = False) -> None:
        """Send one serialized frame; raises ``ConnectionError`` when the socket is gone."""
        if self.dead or self.ws.closed:
            raise ConnectionResetError("connection closed")
        data = self.compressor.encode(frame)
        if isinstance(data, str):
            await self.ws.send_str(data)
        elif split and self.compressor.mode == "zlib-stream" and len(data) > 8:
            half = len(data) // 2
            await self.ws.send_bytes(data[:half])
            await self.ws.send_bytes(data[half:])
        else:
            await self.ws.send_bytes(data)

    def abort(self) -> None:
        """Kill the TCP connection without a close frame (client sees code 1006)."""
        self.dead = True
        if self.transport is not None:
            self.transport.abort()
