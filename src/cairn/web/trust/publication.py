"""What registries publish, to anyone and without sign-in (errors answer in the API's one JSON shape):

- ``GET|HEAD /registries/{slug}/trust-list`` — the registry's signed trust list (a VC 2.0 ``TrustList`` with a
  JCS Data Integrity proof), served as ``application/vc``: the media type the VC 2.0 Recommendation registers for
  a JSON-LD credential with an embedded proof (its drafts called it ``application/vc+ld+json``; Cairn's credential
  downloads use ``application/vc`` too). It carries an ``ETag`` and answers ``304 Not Modified`` to a matching
  ``If-None-Match``, with ``Cache-Control: public, max-age=300``, ``Last-Modified`` (when it was signed) and
  ``Expires`` (its ``validUntil``). An organisation that made no accreditation and is no anchor answers 404.
- ``GET /api/v1/trust/lookup?did=DID`` (or ``?certificate=SHA256``) — across every registry this instance knows:
  the accreditations naming the identifier (legal identity, scope, dates, status, registry) and the chain by which
  an anchor vouches for it today, or ``"vouched": false`` with the reason. Input is limited (a DID of at most
  500 characters in DID syntax, or an https issuer URL; a certificate as 64 hex digits): else 422.
- ``GET /api/v1/trust/registries`` — this instance's registries and where each publishes what.
- Digital Credentials Consortium formats (see :mod:`cairn.services.trust.publication` for the versions):
  ``GET /registries/{slug}/dcc/registry.json`` (dcc-legacy), and OpenID Federation:
  ``GET /registries/{slug}/.well-known/openid-federation``, ``/registries/{slug}/fetch?sub=DID``,
  ``/registries/{slug}/subordinate_listing``, whose errors take OpenID Federation's own shape
  (``{"error": "not_found", "error_description": ...}``).

Everything here may be read from any origin (``Access-Control-Allow-Origin: *``): verifiers run in browsers too.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email.utils import format_datetime
from typing import Any, Final
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from cairn.errors import NotFoundError
from cairn.model.trust import Accreditation
from cairn.services.trust.registry import LIST_LIFETIME, TrustLookup
from cairn.web.deps import container
from cairn.web.errors import answers_json, error_body

__all__ = ["CORS", "MAX_IDENTIFIER", "api", "conditional", "lookup_json", "read_identifier", "router"]

router = APIRouter(tags=["trust network"], dependencies=[Depends(answers_json)])
api = APIRouter(prefix="/api/v1/trust", tags=["trust network"], dependencies=[Depends(answers_json)])

LIST_TYPE: Final = "application/vc"
STATEMENT_TYPE: Final = "application/entity-statement+jwt"
CORS: Final = {"Access-Control-Allow-Origin": "*"}
LIST_CACHE: Final = "public, max-age=300"
LOOKUP_CACHE: Final = "public, max-age=60"
"""A lookup is a live answer (a suspension shows within a minute); lists are re-signed when anything changes."""
MAX_IDENTIFIER: Final = 500
_DID: Final = re.compile(r"did:[a-z0-9]+:(?:[A-Za-z0-9._:-]|%[0-9A-Fa-f]{2})*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})")
"""DID Core's syntax: ``did:`` method-name ``:`` method-specific-id (no path, query or fragment)."""
_URL: Final = re.compile(r"https://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?")
"""An https issuer URL (Open Badges 2.0 issuers are named by one), without query or fragment."""
_HEX: Final = re.compile(r"[0-9a-f]{64}")


def _matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match", "")[:2000]
    tags = {part.strip().removeprefix("W/") for part in header.split(",")}
    return "*" in tags or etag.removeprefix("W/") in tags  # the weak comparison RFC 9110 asks of If-None-Match


def conditional(
    request: Request, body: bytes, *, etag: str, media_type: str, cache: str, headers: dict[str, str] | None = None
) -> Response:
    """``body`` with its ETag and caching headers, or 304 when the client holds it already."""
    all_headers = {"ETag": etag, "Cache-Control": cache, **CORS, **(headers or {})}
    if _matches(request, etag):
        return Response(status_code=304, headers=all_headers)
    return Response(body, media_type=media_type, headers=all_headers)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


# -- the signed trust list ----------------------------------------------------------------------------------


@router.head("/registries/{slug}/trust-list", include_in_schema=False)
@router.get("/registries/{slug}/trust-list", summary="A registry's signed trust list")
def trust_list(request: Request, slug: str) -> Response:
    """The registry's signed trust list (``application/vc``), conditional on ``If-None-Match``."""
    published = container(request).publication.trust_list(slug)
    signed = published.valid_until - LIST_LIFETIME
    headers = {
        "Last-Modified": format_datetime(signed, usegmt=True),
        "Expires": format_datetime(published.valid_until, usegmt=True),
    }
    return conditional(
        request, published.body, etag=published.etag, media_type=LIST_TYPE, cache=LIST_CACHE, headers=headers
    )


# -- the lookup API -----------------------------------------------------------------------------------------


def _problem(path: str, message: str) -> JSONResponse:
    body = error_body(422, message, problems=[{"path": path, "message": message}])
    return JSONResponse(body, status_code=422, headers=CORS)


def read_identifier(did: str | None, certificate: str | None) -> tuple[str | None, str, str]:
    """``(identifier, field, problem)``: the identifier to look up (``cert:`` + fingerprint for a certificate),
    or None with the field at fault and what is wrong, in words."""
    if (did is None) == (certificate is None):
        return None, "did", "give one of did=DID or certificate=SHA-256 fingerprint"
    if did is not None:
        if len(did) > MAX_IDENTIFIER:
            return None, "did", f"a DID has at most {MAX_IDENTIFIER} characters"
        if not (_DID.fullmatch(did) or _URL.fullmatch(did)):
            return None, "did", "write a DID as did:METHOD:IDENTIFIER (or an https issuer URL)"
        return did, "did", ""
    assert certificate is not None
    if len(certificate) > 200:
        return None, "certificate", "a certificate fingerprint has 64 hex digits"
    fingerprint = certificate.replace(":", "").strip().lower()
    if not _HEX.fullmatch(fingerprint):
        return None, "certificate", "a certificate is named by its SHA-256 fingerprint (64 hex digits)"
    return "cert:" + fingerprint, "certificate", ""


def _accreditation_json(request: Request, accreditation: Accreditation) -> dict[str, Any]:
    out = accreditation.to_dict()
    out["scopeText"] = accreditation.scope.describe()
    out["registry"] = _registry_url(request, accreditation.registry, accreditation.accredited_by)
    return out


def _registry_url(request: Request, registry: str, accredited_by: str) -> str:
    if registry:
        return registry
    publication = container(request).publication
    slug = publication.local_slug(accredited_by)
    return publication.list_url(slug) if slug else ""


def lookup_json(request: Request, found: TrustLookup, today: datetime) -> dict[str, Any]:
    """The lookup API's answer for ``found``."""
    vouching = found.vouching
    chain = vouching.chain
    links = []
    for link in found.chain:
        links.append({**link, "registry": _registry_url(request, link["registry"], link["accredited_by_did"])})
    identity = vouching.identity or (found.accreditations[0].identity if found.accreditations else None)
    return {
        "ok": True,
        "identifier": found.identifier,
        "date": today.date().isoformat(),
        "vouched": vouching.vouched,
        "reason": None if vouching.vouched else vouching.reason,
        "anchor": {"did": chain.anchor, "name": chain.anchor_name} if chain is not None else None,
        "chainText": chain.describe() if chain is not None else "",
        "chain": links,
        "identity": identity.to_dict() if identity is not None else None,
        "accreditations": [_accreditation_json(request, a) for a in found.accreditations],
    }


@api.get("/lookup", summary="Who vouches for an issuer, by its DID or seal certificate")
def lookup(request: Request) -> Response:
    """Every accreditation naming the DID (or certificate) across the registries this instance knows, and the
    chain by which an anchor vouches for it today (or why nobody does)."""
    params = dict(parse_qsl(request.url.query[:4000], keep_blank_values=True))
    identifier, field, problem = read_identifier(params.get("did"), params.get("certificate"))
    if identifier is None:
        return _problem(field, problem)
    instance = container(request)
    found = instance.registry.lookup(identifier)
    raw = next((value for name, value in _raw_params(request) if name == "did"), "")
    if not found.accreditations and field == "did" and raw != identifier and _DID.fullmatch(raw):
        # an unencoded did:web:host%3A8443 arrives decoded; the DID as sent may be the one meant
        again = instance.registry.lookup(raw)
        found = again if again.accreditations else found
    body = orjson.dumps(lookup_json(request, found, instance.clock()))
    return conditional(request, body, etag=_etag(body), media_type="application/json", cache=LOOKUP_CACHE)


@api.get("/registries", summary="This instance's registries and what each publishes")
def registries(request: Request) -> Response:
    """Each registry's DID and the addresses of its trust list and its DCC and OpenID Federation documents."""
    instance = container(request)
    publication = instance.publication
    items = [
        {
            "slug": slug,
            "did": instance.keys.did(slug),
            "trustList": publication.list_url(slug),
            "dccLegacy": f"{publication.entity_id(slug)}/dcc/registry.json",
            "openidFederation": f"{publication.entity_id(slug)}/.well-known/openid-federation",
        }
        for slug in publication.registries()
    ]
    tir = instance.tir.base
    body = orjson.dumps({"ok": True, "registries": items, "trustedIssuersRegistry": tir})
    return conditional(request, body, etag=_etag(body), media_type="application/json", cache=LOOKUP_CACHE)


# -- Digital Credentials Consortium ----------------------------------------------------------------------------


@router.get("/registries/{slug}/dcc/registry.json", summary="A registry in DCC's legacy format")
def dcc_legacy(request: Request, slug: str) -> Response:
    """``{"meta": ..., "registry": {DID: {name, url, location}}}``: the DIDs the registry vouches for today."""
    document = container(request).publication.dcc_legacy(slug)
    return conditional(request, document.body, etag=document.etag, media_type="application/json", cache=LIST_CACHE)


def _oidf_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status, headers=CORS)


def _statement(token: str) -> Response:
    return Response(token, media_type=STATEMENT_TYPE, headers={**CORS, "Cache-Control": "no-cache"})


@router.get("/registries/{slug}/.well-known/openid-federation", summary="A registry's OpenID Federation entity")
def oidf_configuration(request: Request, slug: str) -> Response:
    """The registry's entity configuration (a signed JWT), as DCC's registry client reads it."""
    try:
        return _statement(container(request).publication.oidf_configuration(slug))
    except NotFoundError:
        return _oidf_error(404, "not_found", "There is no registry at this address.")


@router.get("/registries/{slug}/fetch", summary="The registry's statement about one DID (OpenID Federation)")
def oidf_fetch(request: Request, slug: str) -> Response:
    """A subordinate statement about ``sub``; 404 when the registry does not vouch for it today."""
    raw = [value for name, value in _raw_params(request) if name == "sub"]
    decoded = request.query_params.getlist("sub")
    if not decoded:
        return _oidf_error(400, "invalid_request", "The sub parameter is required.")
    if len(decoded) > 1 or len(decoded[0]) > MAX_IDENTIFIER:
        return _oidf_error(400, "invalid_request", "Give one sub of at most 500 characters.")
    publication = container(request).publication
    # DCC's client does not encode the DID: did:web:host%3A8443 arrives with its %3A, which decoding would lose.
    for candidate in dict.fromkeys([*raw[:1], decoded[0]]):
        try:
            return _statement(publication.oidf_statement(slug, candidate))
        except NotFoundError:
            continue
    return _oidf_error(404, "not_found", "The requested Entity Identifier cannot be found.")


def _raw_params(request: Request) -> list[tuple[str, str]]:
    """The query's parameters with their values as sent (``+`` and ``%XX`` left alone)."""
    pairs = []
    for part in request.url.query[:4000].split("&"):
        name, _, value = part.partition("=")
        pairs.append((name, value))
    return pairs


@router.get("/registries/{slug}/subordinate_listing", summary="The DIDs a registry vouches for (OpenID Federation)")
def oidf_listing(request: Request, slug: str) -> Response:
    """A JSON array of the DIDs the registry vouches for today."""
    try:
        listing = container(request).publication.oidf_listing(slug)
    except NotFoundError:
        return _oidf_error(404, "not_found", "There is no registry at this address.")
    body = orjson.dumps(listing)
    return conditional(request, body, etag=_etag(body), media_type="application/json", cache=LOOKUP_CACHE)
