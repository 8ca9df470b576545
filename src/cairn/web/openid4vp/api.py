"""OpenID for Verifiable Presentations 1.0 over HTTP:

- ``GET /openid4vp/requests/{handle}``: the request object (``request_uri``), ``application/oauth-authz-req+jwt``;
  404 once answered or expired;
- ``POST /openid4vp/response``: the ``direct_post`` response endpoint (form: ``vp_token``, ``state``), at most
  :data:`~cairn.services.openid4vp.verifier.MAX_RESPONSE` bytes (413 above); ``{}`` when accepted, else
  ``{"error": ..., "error_description": ...}`` with 400;
- ``POST /api/v1/orgs/{org}/presentation-requests`` (``credentials:read`` token of that organisation): ``{"name",
  "purpose", "formats", "min_eqf", "achievements", "claims"}`` or ``{"name", "dcql_query"}``; 201 with the request;
- ``GET /api/v1/orgs/{org}/presentation-requests/{id}``: its state and, once answered, the verification report.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from cairn.errors import InputError, NotFoundError
from cairn.model.dcql import Ask, DcqlError, build_query
from cairn.services.accounts.access import TokenPrincipal
from cairn.services.openid4vci.protocol import OAuthError
from cairn.services.openid4vp.verifier import MAX_RESPONSE
from cairn.web.deps import bearer_token, body_at_most, container, token_of
from cairn.web.errors import answers_json

__all__ = ["api", "router"]

router = APIRouter(tags=["openid4vp"])
api = APIRouter(prefix="/api/v1", tags=["openid4vp"], dependencies=[Depends(answers_json)])

NO_STORE = {"Cache-Control": "no-store", "Access-Control-Allow-Origin": "*"}
ReadToken = Annotated[TokenPrincipal, Depends(bearer_token("credentials:read"))]
SlugPath = Annotated[str, Path(max_length=80)]


@router.get("/openid4vp/requests/{handle}", summary="An OpenID4VP request object, by reference")
def request_object(request: Request, handle: str) -> Response:
    """The signed request object (or unsigned, for a ``redirect_uri:`` client) while the request is open."""
    try:
        token = container(request).presentation_requests.request_object(handle[:100])
    except NotFoundError as exc:
        return JSONResponse({"error": "invalid_request_uri", "error_description": exc.message}, 404, headers=NO_STORE)
    return Response(token, media_type="application/oauth-authz-req+jwt", headers=NO_STORE)


@router.post("/openid4vp/response", summary="OpenID4VP response endpoint (direct_post)")
async def response_endpoint(request: Request) -> JSONResponse:
    """The wallet's ``direct_post`` response: verified, checked against the request's DCQL query, stored."""
    length = request.headers.get("content-length", "")
    too_big = {"error": "invalid_request", "error_description": f"the response is larger than {MAX_RESPONSE} bytes"}
    if length.isdigit() and int(length) > MAX_RESPONSE:
        return JSONResponse(too_big, 413, headers=NO_STORE)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_RESPONSE:
            return JSONResponse(too_big, 413, headers=NO_STORE)
    try:
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise OAuthError("invalid_request", "the response is a form (application/x-www-form-urlencoded)")
        try:
            fields = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        except (UnicodeDecodeError, ValueError):
            raise OAuthError("invalid_request", "the response is not a readable form") from None
        if any(len(values) > 1 for values in fields.values()):
            raise OAuthError("invalid_request", "a parameter is repeated")
        form = {name: values[0] for name, values in fields.items()}
        answer = await run_in_threadpool(container(request).presentation_requests.respond, form)
    except OAuthError as exc:
        return JSONResponse(exc.body(), exc.status, headers=NO_STORE)
    return JSONResponse(answer, headers=NO_STORE)


class NewRequest(BaseModel):
    """A presentation request in simple terms, or with a raw DCQL query."""

    name: str = Field(max_length=200)
    purpose: str = Field("", max_length=1000)
    formats: list[str] = Field(default_factory=list, max_length=3, description="dc+sd-jwt, ldp_vc, jwt_vc_json")
    min_eqf: int | None = Field(None, ge=1, le=8)
    achievements: list[str] = Field(default_factory=list, max_length=50)
    claims: list[str] = Field(default_factory=list, max_length=40)
    dcql_query: dict[str, Any] | None = None
    signed: bool = True


@api.post("/orgs/{org}/presentation-requests", status_code=201, dependencies=[Depends(body_at_most(64_000))])
def create(request: Request, org: SlugPath, body: NewRequest, principal: ReadToken) -> JSONResponse:
    """A new OpenID4VP presentation request of the organisation."""
    token_of(principal, org)
    if body.dcql_query is not None:
        query = body.dcql_query
    else:
        ask = Ask(tuple(body.formats), body.min_eqf, tuple(body.achievements), tuple(body.claims))
        try:
            query = build_query(ask)
        except DcqlError as exc:
            raise InputError("the request cannot be asked: %(reason)s", reason=str(exc)) from None
    view = container(request).presentation_requests.create(
        org, actor=f"token:{principal.token_id}", name=body.name, purpose=body.purpose, dcql=query, signed=body.signed
    )
    return JSONResponse(view.to_json(), 201)


@api.get("/orgs/{org}/presentation-requests/{request_id}")
def read(
    request: Request, org: SlugPath, request_id: Annotated[str, Path(max_length=36)], principal: ReadToken
) -> JSONResponse:
    """A request's state and, once answered, the verification report."""
    token_of(principal, org)
    return JSONResponse(container(request).presentation_requests.get(org, request_id).to_json())
