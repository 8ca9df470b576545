"""cairn serve's protocol: an answer's head and body leave in one write, and nothing is lost or reordered."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from cairn.web.serving import OneWriteProtocol, OneWriteTransport

T = TypeVar("T")


class Recording:
    """A transport that records what is written to it."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = self.aborted = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 5)}.get(name, default)


def _in_a_loop_of_its_own(run: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``run()`` on a new event loop in a thread of its own (the test's thread may hold another test's loop)."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, run()).result(timeout=30)


def test_what_is_written_in_one_turn_leaves_in_one_write() -> None:
    async def run() -> Recording:
        inner = Recording()
        transport = OneWriteTransport(inner, asyncio.get_running_loop())  # type: ignore[arg-type]
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(memoryview(b"body"))
        assert inner.writes == []  # held until the loop turns
        await asyncio.sleep(0)
        assert inner.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
        transport.write(b"next")
        await asyncio.sleep(0)
        assert transport.get_extra_info("peername") == ("127.0.0.1", 5)  # the rest is the inner transport's
        return inner

    assert _in_a_loop_of_its_own(run).writes == [b"HTTP/1.1 200 OK\r\n\r\nbody", b"next"]


def test_closing_writes_what_is_held_and_aborting_drops_it() -> None:
    async def run() -> tuple[Recording, Recording]:
        loop = asyncio.get_running_loop()
        closed, aborted = Recording(), Recording()
        one = OneWriteTransport(closed, loop)  # type: ignore[arg-type]
        one.write(b"last words")
        one.close()
        two = OneWriteTransport(aborted, loop)  # type: ignore[arg-type]
        two.write(b"never sent")
        two.abort()
        await asyncio.sleep(0)  # the flushes scheduled earlier find nothing more to write
        return closed, aborted

    closed, aborted = _in_a_loop_of_its_own(run)
    assert closed.writes == [b"last words"]
    assert closed.closed
    assert aborted.writes == []
    assert aborted.aborted


def _app() -> Starlette:
    async def small(request: Request) -> Response:
        return PlainTextResponse(f"answer {request.query_params.get('n', '')}")

    async def streamed(_: Request) -> Response:
        async def parts() -> AsyncIterator[bytes]:
            for i in range(3):
                yield f"part {i};".encode()
                await asyncio.sleep(0.01)

        return StreamingResponse(parts(), media_type="text/plain")

    return Starlette(routes=[Route("/small", small), Route("/streamed", streamed)])


@pytest.fixture
def port() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = int(probe.getsockname()[1])
    config = uvicorn.Config(_app(), host="127.0.0.1", port=free, http=OneWriteProtocol, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        threading.Event().wait(0.02)
    yield free
    server.should_exit = True
    thread.join(timeout=10)


def _read_all(connection: socket.socket) -> bytes:
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def test_a_served_connection_answers_pipelined_streamed_and_closing_requests_in_order(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(
            b"GET /small?n=1 HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /streamed HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /small?n=3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        received = _read_all(connection)
    answers = received.split(b"HTTP/1.1 200 OK\r\n")[1:]
    assert len(answers) == 3, received
    assert answers[0].endswith(b"\r\n\r\nanswer 1")
    assert b"part 0;" in answers[1]
    assert b"part 2;" in answers[1]
    assert answers[1].endswith(b"0\r\n\r\n")  # the chunked body's end
    assert answers[2].endswith(b"\r\n\r\nanswer 3")
    assert b"connection: close" in answers[2]
