"""HttpsFetcher.post (the wallet's OpenID4VCI requests): the body and headers arrive, an error status comes back
with its body (so the issuer's OAuth error can be shown), a redirect is refused rather than followed, the size limit
holds, and a private address is refused before anything is sent."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from cairn.errors import FetchError
from cairn.vc.fetch import HttpsFetcher


class _Handler(BaseHTTPRequestHandler):
    received: ClassVar[list[bytes]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        _Handler.received.append(body)
        if self.path == "/echo":
            answer = {
                "body": body.decode(),
                "type": self.headers.get("Content-Type"),
                "auth": self.headers.get("Authorization"),
            }
            self._send(200, json.dumps(answer).encode(), {"Content-Type": "application/json"})
        elif self.path == "/refuse":
            self._send(400, b'{"error": "invalid_grant"}', {"Content-Type": "application/json"})
        elif self.path == "/redirect":
            self._send(307, b"", {"Location": "/echo"})
        else:
            self._send(200, b"x" * 5000)


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _resolver(host: str, port: int) -> Sequence[str]:
    return ["127.0.0.1"]


def _local() -> HttpsFetcher:
    return HttpsFetcher(allow_http=True, allow_private=True, resolver=_resolver, timeout=5)


def test_the_body_and_headers_arrive(server: int) -> None:
    answer = _local().post(
        f"http://issuer.test:{server}/echo",
        b"grant_type=x",
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": "Bearer t"},
    )
    assert answer.status == 200
    assert answer.json() == {"body": "grant_type=x", "type": "application/x-www-form-urlencoded", "auth": "Bearer t"}


def test_an_error_status_comes_back_with_its_body(server: int) -> None:
    answer = _local().post(f"http://issuer.test:{server}/refuse", b"{}", content_type="application/json")
    assert answer.status == 400
    assert answer.json() == {"error": "invalid_grant"}


def test_a_redirect_is_refused_and_the_body_sent_once(server: int) -> None:
    before = len(_Handler.received)
    with pytest.raises(FetchError, match="redirect"):
        _local().post(f"http://issuer.test:{server}/redirect", b"secret", content_type="application/json")
    assert len(_Handler.received) == before + 1


def test_the_size_limit_holds(server: int) -> None:
    with pytest.raises(FetchError, match="larger than 1000 bytes"):
        _local().post(f"http://issuer.test:{server}/big", b"", content_type="application/json", max_bytes=1000)


def test_a_private_address_or_plain_http_is_refused_before_anything_is_sent(server: int) -> None:
    before = len(_Handler.received)
    guarded = HttpsFetcher(resolver=_resolver, timeout=5)
    with pytest.raises(FetchError, match="non-public"):
        guarded.post(f"https://issuer.test:{server}/echo", b"code", content_type="application/json")
    with pytest.raises(FetchError, match="only https"):
        guarded.post(f"http://issuer.test:{server}/echo", b"code", content_type="application/json")
    with pytest.raises(FetchError, match="cannot be sent"):
        _local().post(f"http://issuer.test:{server}/echo", b"", content_type="a\r\nX: y")
    assert len(_Handler.received) == before
