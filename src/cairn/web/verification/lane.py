"""A short way through for the VC-API's verify requests, the hot path of a verifier (issue 19).

``POST /credentials/verify`` and ``POST /presentations/verify`` with a JSON body that the route would accept are
answered here, in front of the framework: the body is read, parsed and validated with the route's own model, and
:func:`cairn.web.verification.vcapi.verify_answer` (the route's own code, the one verification path) makes the
answer, which leaves with the security headers every answer gets (``finish_headers``). What the framework's layers
did on the way (matching some hundred routes, dependency solving, the body limit, the error wrappers, a send
wrapper a layer) took about a fifth of the server's time a verification.

Anything else goes the whole way, with the body it was sent: a body over ``max_body`` or of undeclared length, a
content type other than ``application/json``, a body that is not a JSON object, that the route's model refuses or
that holds a lone surrogate, an ``options.checks`` the route refuses, and any error before the answer starts. The
framework then answers as it always does (413, 422, 400, 500 in the API's one error shape), so the two ways can
never answer a request differently; tests/web/test_verify_lane.py compares them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cairn.web.limits import json_body_holds_lone_surrogate
from cairn.web.verification import vcapi

__all__ = ["LANE_PATHS", "VerifyLane"]

Headers = list[tuple[bytes, bytes]]


def _credential(parsed: dict[str, Any]) -> tuple[Any, vcapi.VerifyOptions]:
    request = vcapi.VerifyCredentialRequest.model_validate(parsed)
    return request.verifiableCredential, request.options


def _presentation(parsed: dict[str, Any]) -> tuple[Any, vcapi.VerifyOptions]:
    request = vcapi.VerifyPresentationRequest.model_validate(parsed)
    return request.verifiablePresentation, request.options


LANE_PATHS: dict[str, Callable[[dict[str, Any]], tuple[Any, vcapi.VerifyOptions]]] = {
    "/credentials/verify": _credential,
    "/presentations/verify": _presentation,
}
"""The paths answered here, each with what reads its body with the route's own request model (raising
:class:`pydantic.ValidationError` where the route would refuse it)."""


def _declared_json(scope: Scope) -> int | None:
    """The declared length of a body sent as ``application/json`` (None: anything else)."""
    length: int | None = None
    json_type = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            if length is not None or not value.isdigit():
                return None
            length = int(value)
        elif name == b"content-type":
            if json_type or value.split(b";", 1)[0].strip().lower() != b"application/json":
                return None
            json_type = True
    return length if json_type else None


class VerifyLane:
    """Answers a plain verify request (see the module) for ``app``; ``whole`` is the whole of ``app`` (every layer),
    for the rest."""

    def __init__(
        self, app: Any, whole: ASGIApp, *, max_body: int, finish_headers: Callable[[Scope, Headers], Headers]
    ) -> None:
        self.app = app
        self.whole = whole
        self.max_body = max_body
        self.finish_headers = finish_headers

    @staticmethod
    def takes(scope: Scope) -> bool:
        """Whether ``scope`` is a request this lane may answer (its body decides the rest)."""
        return (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] in LANE_PATHS
            and not scope.get("root_path")
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = _declared_json(scope)
        if declared is None or declared > self.max_body:
            await self.whole(scope, receive, send)
            return
        chunks: list[bytes] = []
        seen = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client left: nobody to answer
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > declared:  # more than declared: the whole way refuses it
                await self.whole(scope, _replay(b"".join(chunks) + chunk, receive, more=True), send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if not await self._answer(scope, body, send):
            await self.whole(scope, _replay(body, receive, more=False), send)

    async def _answer(self, scope: Scope, body: bytes, send: Send) -> bool:
        """Answer the request; False when it must go the whole way (nothing was sent)."""
        read = LANE_PATHS[scope["path"]]
        try:
            parsed = json.loads(body)
        except (ValueError, RecursionError):
            return False
        if not isinstance(parsed, dict) or json_body_holds_lone_surrogate(body):
            return False
        try:
            source, options = read(parsed)
        except ValidationError:
            return False
        scope["app"] = self.app  # as the framework sets it: routes find the instance through it
        started = False

        async def send_finished(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": self.finish_headers(scope, list(message.get("headers") or ()))}
            await send(message)

        try:
            response = await vcapi.verify_answer(Request(scope), source, options)
            await response(scope, _nothing_more, send_finished)
        except Exception:
            if started:
                raise
            return False  # the whole way answers it (an unknown check: 400; a failure: 500), as it always would
        return True


async def _nothing_more() -> Message:
    return {"type": "http.disconnect"}


def _replay(body: bytes, receive: Receive, *, more: bool) -> Receive:
    """A ``receive`` giving ``body`` first (``more``: the rest of it follows from ``receive``), then ``receive``."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": more}

    return replay
