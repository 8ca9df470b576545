"""An outbound client for the wallet's OpenID4VCI receiving that the app under test answers (in process, no
network): requests to https://cairn.example go to a TestClient, anything else is refused; a test may answer a request
itself (a hostile issuer)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from cairn.errors import FetchError
from cairn.vc.fetch import Response

__all__ = ["AppOutbound", "Made", "Rewrite"]

Rewrite = Callable[[str, str, bytes], "Made | None"]


class AppOutbound:
    """The limited client's interface, answered by the app under test for https://cairn.example (anything else is
    refused as the real client would refuse an unknown host). ``rewrite`` may answer a request itself (a hostile
    issuer); every request is recorded, bodies included, so a test can look for secrets."""

    def __init__(self, client: TestClient, rewrite: Rewrite | None = None) -> None:
        self.client = client
        self.rewrite = rewrite
        self.calls: list[tuple[str, str, bytes, dict[str, str]]] = []

    def _path(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme != "https" or parts.hostname != "cairn.example":
            raise FetchError(f"no such host in this test: {parts.hostname}")
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def _answer(self, url: str, answer: Any, limit: int | None) -> Response:
        if limit is not None and len(answer.content) > limit:
            raise FetchError(f"the response is larger than {limit} bytes")
        media = answer.headers.get("content-type", "").split(";")[0] or None
        return Response(url, answer.content, media, status=answer.status_code)

    def fetch_with(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
        timeout: float | None = None,
    ) -> Response:
        self.calls.append(("GET", url, b"", dict(headers or {})))
        if self.rewrite is not None and (made := self.rewrite("GET", url, b"")) is not None:
            return self._answer(url, made, max_bytes)
        answer = self.client.get(self._path(url))
        if answer.status_code != 200:
            raise FetchError(f"HTTP {answer.status_code}")
        return self._answer(url, answer, max_bytes)

    def post(
        self,
        url: str,
        body: bytes,
        *,
        content_type: str,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
        timeout: float | None = None,
    ) -> Response:
        self.calls.append(("POST", url, body, dict(headers or {})))
        if self.rewrite is not None and (made := self.rewrite("POST", url, body)) is not None:
            return self._answer(url, made, max_bytes)
        answer = self.client.post(
            self._path(url), content=body, headers={**(headers or {}), "Content-Type": content_type}
        )
        return self._answer(url, answer, max_bytes)


class Made:
    """A hand-made answer (what a hostile issuer sends)."""

    def __init__(self, content: bytes | dict[str, Any], status_code: int = 200) -> None:
        self.content = content if isinstance(content, bytes) else json.dumps(content).encode()
        self.status_code = status_code
        self.headers = {"content-type": "application/json"}
