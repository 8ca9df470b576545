"""What the benchmarks that start Cairn servers share (bench scripts import it as a sibling module, as
``timing``): free loopback ports, waiting for ``/healthz``, the ``PYTHONPATH`` for ``cairn`` children, the load
average, and reading one HTTP/1.1 answer off a keep-alive connection's buffer."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import time
from pathlib import Path

__all__ = ["child_pythonpath", "free_port", "loadavg", "take_answer", "wait_ready"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(port: int, deadline: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until the server on ``port`` answers ``/healthz``; give up at ``deadline`` (``time.monotonic``) or when
    ``process`` (its server) has exited."""
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"cairn serve on port {port} exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"cairn serve on port {port} did not start in time")


def child_pythonpath() -> str:
    """PYTHONPATH for the ``cairn`` children: the Cairn this bench imported first (they run in another folder,
    where a relative ``PYTHONPATH=src`` would find another checkout's, or the installed, Cairn)."""
    import cairn

    return os.pathsep.join([str(Path(cairn.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text(encoding="ascii").split()[:3]]


def take_answer(buffer: bytearray) -> tuple[bytes, bytes] | None:
    """The first whole answer in ``buffer`` as (its head, lower-cased; its body), removed from the buffer; None while
    it is incomplete. ValueError for an answer without ``Content-Length`` (Cairn always sends one)."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).lower()
    marker = head.find(b"\r\ncontent-length:")
    if marker < 0:
        raise ValueError("an answer without Content-Length")
    line_end = head.find(b"\r\n", marker + 2)
    length = int(head[marker + 17 : line_end if line_end > 0 else len(head)])
    if len(buffer) < end + 4 + length:
        return None
    body = bytes(buffer[end + 4 : end + 4 + length])
    del buffer[: end + 4 + length]
    return head, body
