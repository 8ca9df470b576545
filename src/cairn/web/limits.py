"""Request size limits: every body is bounded before any route reads it.

Uploads (``multipart/form-data`` to a route that takes files: :data:`UPLOAD_PATHS`) may be as large as
``CAIRN_MAX_UPLOAD_BYTES``; every other body (JSON for the API, plain forms, multipart sent anywhere else) at
most ``max_body`` bytes. A declared Content-Length over the limit is
refused at once; a body that streams past it is cut off. Either way the answer is 413 in the one
JSON error shape.

A JSON body is also read for text that is not Unicode: a lone surrogate (``"\\ud800"``) parses in Python but
can never be written out again, so it answers 400 before any route sees it.
"""

from __future__ import annotations

import contextlib
import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cairn.vc.fetch import holds_lone_surrogate as parsed_holds_lone_surrogate

__all__ = ["UPLOAD_PATHS", "BodyLimit", "json_body_holds_lone_surrogate"]

UPLOAD_PATHS = re.compile(
    r"^/(?:verify(?:/report|/batch)?|api/v1/verify/batch|wallet/import(?:-export)?|orgs/[^/]+/awards/bulk)$"
)
"""The routes that take file uploads; a multipart body anywhere else gets the ordinary limit."""


MAX_BODY = 2_000_000
"""The largest request body, in bytes, but for the uploads of :data:`UPLOAD_PATHS`."""


class _Refused(Exception):
    """The body was refused (too large, or not Unicode) and the refusal already answered."""


_NOT_UNICODE = "the request holds text that is not valid Unicode (a lone surrogate such as \\ud800)"


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _json_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip()
    return media == "application/json" or media.endswith("+json")


def json_body_holds_lone_surrogate(body: bytes) -> bool:
    """Whether a JSON body holds a string with a lone surrogate (a body that is not JSON: ``False``)."""
    if _SURROGATE_ESCAPE.search(body) is None:  # the common case: one scan, nothing parsed
        return False
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return False  # not JSON: the route answers that itself
    return parsed_holds_lone_surrogate(parsed)


class BodyLimit:
    """ASGI middleware bounding request bodies."""

    def __init__(self, app: ASGIApp, *, max_body: int = MAX_BODY, max_upload: int = 52_428_800) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        upload = content_type.startswith("multipart/form-data") and UPLOAD_PATHS.match(scope.get("path", ""))
        limit = self.max_upload if upload else self.max_body
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(send, limit)
            return
        seen = 0
        started = refused = False
        chunks: list[bytes] | None = [] if _json_type(content_type) else None

        async def bounded_receive() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                seen += len(body)
                if seen > limit:
                    # Answer 413 now: the app may turn the exception into an answer of its own (FastAPI makes
                    # it "400 error parsing the body"), which tracking_send then drops.
                    if not started and not refused:
                        refused = True
                        await self._refuse(send, limit)
                    raise _Refused
                if chunks is not None:
                    chunks.append(body)
                    if not message.get("more_body", False) and json_body_holds_lone_surrogate(b"".join(chunks)):
                        if not started and not refused:
                            refused = True
                            await self._answer(send, 400, _NOT_UNICODE)
                        raise _Refused
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with contextlib.suppress(_Refused):  # answered (413) in bounded_receive, or the answer had already started
            await self.app(scope, bounded_receive, tracking_send)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        await BodyLimit._answer(send, 413, f"the request body is larger than {limit:,} bytes")

    @staticmethod
    async def _answer(send: Send, status: int, error: str) -> None:
        body = json.dumps({"ok": False, "error": error, "status": status}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
