"""How ``cairn serve`` serves the application: uvicorn's httptools protocol, each answer sent in one write.

uvicorn writes an answer's status line and headers to the socket when the application starts it, then its body
when that comes: two system calls and, on a keep-alive connection, two TCP segments for the client to read, where
one would do. :class:`OneWriteProtocol` gives uvicorn a transport that holds what is written until the event loop
turns (the body of a small answer comes within the same turn) and then writes it at once: one system call a small
answer instead of two. A streamed answer is written a turn at a time, as before; closing or aborting the
connection writes (or drops) what is held first. About a tenth of a verification's server time went into those
socket writes in the soak profile (bench/soak.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["OneWriteProtocol", "OneWriteTransport"]


class OneWriteTransport:
    """A transport writing what it is given during one turn of the event loop in one write to ``transport``."""

    __slots__ = ("_held", "_loop", "transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self._loop = loop
        self._held: list[bytes] | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._held is None:
            self._held = [bytes(data)]
            self._loop.call_soon(self.flush)
        else:
            self._held.append(bytes(data))

    def flush(self) -> None:
        """Write what is held now."""
        held, self._held = self._held, None
        if held and not self.transport.is_closing():
            self.transport.write(held[0] if len(held) == 1 else b"".join(held))

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def abort(self) -> None:
        self._held = None
        self.transport.abort()

    def __getattr__(self, name: str) -> Any:  # everything else is the socket's transport's own
        return getattr(self.transport, name)


class OneWriteProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over a :class:`OneWriteTransport` (pass the class as uvicorn's ``http``)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(OneWriteTransport(transport, self.loop))  # type: ignore[arg-type]
