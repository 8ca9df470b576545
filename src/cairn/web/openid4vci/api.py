"""The OpenID4VCI endpoints wallets call (OpenID4VCI 1.0; draft 13 requests understood):

- ``GET /.well-known/openid-credential-issuer`` and ``GET /.well-known/oauth-authorization-server``: metadata;
- ``GET /openid4vci/offers/{handle}``: a credential offer, by reference (``credential_offer_uri``);
- ``POST /openid4vci/par``: a pushed authorisation request of the authorization code flow (a form), answered with
  a ``request_uri`` for ``GET /openid4vci/authorize`` (:mod:`cairn.web.openid4vci.authorize`);
- ``POST /openid4vci/token``: the pre-authorised code and its transaction code, or an authorisation code and its
  PKCE verifier, for an access token (a form);
- ``POST /openid4vci/nonce``: a fresh ``c_nonce``;
- ``POST /openid4vci/credential``: the award bound to the wallet's keys (Bearer access token, JSON);
- ``POST /openid4vci/notification``: the wallet says it accepted, failed or deleted what it got (204);
- ``POST /openid4vci/deferred``: the credentials of a deferred transaction (an offer at enrolment), once the award
  is made (202 with ``transaction_id`` and ``interval`` while it is pending).

Errors answer the protocol's shape, ``{"error": CODE, "error_description": TEXT}`` (not Cairn's API shape: wallets
read these codes), with 400, or 401 and ``WWW-Authenticate: Bearer error="invalid_token"``. Every answer is
``Cache-Control: no-store`` and may be read from any origin (``Access-Control-Allow-Origin: *``, never with
credentials: a browser never sends Cairn's session cookie along), with preflights answered for the POSTs.
Bodies are read up to a limit (a form of 16 KiB, JSON of 64 KiB) and refused above it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from cairn.errors import NotFoundError
from cairn.services.openid4vci.issuance import MAX_BODY
from cairn.services.openid4vci.metadata import authorization_server_metadata, issuer_metadata
from cairn.services.openid4vci.protocol import OAuthError
from cairn.web.deps import container

__all__ = ["MAX_FORM", "router"]

router = APIRouter(tags=["openid4vci"])

MAX_FORM: Final = 16 * 1024
"""Largest token request (bytes)."""
CORS: Final = {"Access-Control-Allow-Origin": "*"}
NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache", **CORS}
PREFLIGHT: Final = {
    **CORS,
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, DPoP",
    "Access-Control-Max-Age": "600",
}


def _json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})


def _refusal(exc: OAuthError) -> JSONResponse:
    headers = {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{exc.error}"'
        headers["Access-Control-Expose-Headers"] = "WWW-Authenticate"
    return _json(exc.body(), exc.status, headers)


async def _read(request: Request, limit: int, error: str) -> bytes:
    """The request body, refused with ``error`` when over ``limit`` bytes (declared or sent)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise OAuthError(error, f"the request body is larger than {limit} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise OAuthError(error, f"the request body is larger than {limit} bytes")
    return body


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


@router.get("/.well-known/openid-credential-issuer", summary="OpenID4VCI credential issuer metadata")
def credential_issuer(request: Request) -> JSONResponse:
    """The credential issuer's metadata: endpoints, batch size, display names and the configurations it issues."""
    body = issuer_metadata(container(request).openid4vci)
    return JSONResponse(body, headers={**CORS, "Cache-Control": "max-age=300"})


@router.get("/.well-known/oauth-authorization-server", summary="OAuth authorisation server metadata (RFC 8414)")
def authorization_server(request: Request) -> JSONResponse:
    """The authorisation server's metadata: the token endpoint of the pre-authorised code flow."""
    body = authorization_server_metadata(container(request).openid4vci)
    return JSONResponse(body, headers={**CORS, "Cache-Control": "max-age=300"})


@router.get("/openid4vci/offers/{handle}", summary="A credential offer, by reference")
def offer(request: Request, handle: str) -> JSONResponse:
    """The credential offer a learner made (while it is open; 404 after)."""
    try:
        document = container(request).openid4vci.offer_document(handle[:200])
    except NotFoundError as exc:
        return _json({"error": "not_found", "error_description": exc.message}, 404)
    return _json(document)


async def _form(request: Request) -> dict[str, str]:
    """The request's form fields (``application/x-www-form-urlencoded``, each at most once), else invalid_request."""
    body = await _read(request, MAX_FORM, "invalid_request")
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise OAuthError("invalid_request", "the request is a form (application/x-www-form-urlencoded)")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "the request is not a readable form") from None
    if any(len(values) > 1 for values in fields.values()):
        raise OAuthError("invalid_request", "a parameter is repeated")
    return {name: values[0] for name, values in fields.items()}


@router.post("/openid4vci/par", summary="Pushed authorisation request (RFC 9126)")
async def pushed_authorization_request(request: Request) -> JSONResponse:
    """A wallet's authorisation request, pushed (a form): ``request_uri`` for the authorisation endpoint (201)."""
    try:
        form = await _form(request)
        answer = await run_in_threadpool(container(request).openid4vci_authorization.push, form)
    except OAuthError as exc:
        return _refusal(exc)
    return _json(answer, 201)


@router.post("/openid4vci/token", summary="OAuth token endpoint (pre-authorised code, authorization code)")
async def token(request: Request) -> JSONResponse:
    """An access token for a pre-authorised code and its transaction code, or for an authorisation code and its
    PKCE verifier (``application/x-www-form-urlencoded``)."""
    try:
        form = await _form(request)
        answer = await run_in_threadpool(container(request).openid4vci_authorization.token, form)
    except OAuthError as exc:
        return _refusal(exc)
    return _json(answer)


@router.post("/openid4vci/nonce", summary="OpenID4VCI nonce endpoint")
def nonce(request: Request) -> JSONResponse:
    """A fresh ``c_nonce`` for key proofs."""
    return _json(container(request).openid4vci.nonce())


async def _with_token(request: Request, call: Callable[[str | None, bytes], Any], error: str) -> Any:
    body = await _read(request, MAX_BODY, error)
    return await run_in_threadpool(call, _bearer(request), body)


@router.post("/openid4vci/credential", summary="OpenID4VCI credential endpoint")
async def credential(request: Request) -> JSONResponse:
    """The award of the access token's offer, one copy per key proof, bound to each proof's key; for an offer at
    enrolment made before its award, a deferred transaction (202 with ``transaction_id`` and ``interval``; draft 13:
    200 with ``transaction_id``)."""
    try:
        answer = await _with_token(request, container(request).credential_endpoint.issue, "invalid_credential_request")
    except OAuthError as exc:
        return _refusal(exc)
    deferred = "transaction_id" in answer and "c_nonce" not in answer
    return _json(answer, 202 if deferred else 200)


@router.post("/openid4vci/notification", summary="OpenID4VCI notification endpoint")
async def notification(request: Request) -> Response:
    """The wallet says what became of the credentials it got (recorded in the audit log)."""
    try:
        await _with_token(request, container(request).credential_endpoint.notify, "invalid_notification_request")
    except OAuthError as exc:
        return _refusal(exc)
    return Response(status_code=204, headers=NO_STORE)


@router.post("/openid4vci/deferred", summary="OpenID4VCI deferred credential endpoint")
async def deferred(request: Request) -> Response:
    """A deferred transaction's credentials once its award is made; 202 with ``transaction_id`` and ``interval``
    while it is pending (draft 13: the error ``issuance_pending``)."""
    try:
        answer = await _with_token(
            request, container(request).credential_endpoint.deferred, "invalid_credential_request"
        )
    except OAuthError as exc:
        return _refusal(exc)
    return _json(answer, 202 if "transaction_id" in answer else 200)


@router.options("/openid4vci/{endpoint}", include_in_schema=False)
@router.options("/.well-known/{document}", include_in_schema=False)
def preflight(request: Request) -> Response:
    """CORS preflights: any origin, no credentials."""
    return Response(status_code=204, headers=PREFLIGHT)
