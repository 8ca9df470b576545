"""The EBSI Trusted Issuers Registry API v5, read side, over this instance's accreditations (public).

Follows ``apis/trusted-issuers-registry-v5/api/openapi.yaml`` (``version: 5.0.0``; the shapes are described in
:mod:`cairn.services.trust.ebsi`):

- ``GET /trusted-issuers-registry/v5/issuers?page[after]=N&page[size]=M`` — ``{self, items: [{did, href}],
  total, pageSize, links: {first, prev, next, last}}``; ``page[after]`` is the 1-based page, ``page[size]`` 1 to
  50 (10 by default);
- ``GET /trusted-issuers-registry/v5/issuers/{did}`` — ``{did, attributes: URL, hasAttributes}``, or with
  ``?version=deprecated`` the older ``{did, attributes: [{hash, body, issuerType, tao, rootTao}]}``;
- ``GET /trusted-issuers-registry/v5/issuers/{did}/attributes`` — a page of ``{id, href}``;
- ``GET /trusted-issuers-registry/v5/issuers/{did}/attributes/{attributeId}`` — ``{did, attribute: {hash, body,
  issuerType, tao, rootTao}}`` (the id with or without ``0x``).

Errors answer as EBSI's do: ``application/problem+json`` ``{type: "about:blank", title, status, detail}``.
The write side (``POST .../jsonrpc``: EBSI's ledger transactions) is not offered: Cairn's registries are written
through their own pages and commands.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final
from urllib.parse import unquote

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from cairn.errors import NotFoundError
from cairn.services.trust.ebsi import MAX_PAGE_SIZE, TirAttribute, TrustedIssuersRegistry
from cairn.web.deps import container
from cairn.web.errors import answers_json
from cairn.web.trust.publication import CORS, MAX_IDENTIFIER, conditional

__all__ = ["router"]

PREFIX: Final = "/trusted-issuers-registry/v5/issuers"
router = APIRouter(prefix=PREFIX, tags=["EBSI Trusted Issuers Registry v5"], dependencies=[Depends(answers_json)])

CACHE: Final = "public, max-age=300"
DEFAULT_PAGE_SIZE: Final = 10


def _problem(status: int, title: str, detail: str) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=CORS)


def _json(request: Request, value: Any) -> Response:
    body = orjson.dumps(value)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return conditional(request, body, etag=etag, media_type="application/json", cache=CACHE)


def _tir(request: Request) -> TrustedIssuersRegistry:
    return container(request).tir


def _page(request: Request, items: list[Any], url: str) -> Response:
    """One page of ``items`` (already as JSON values) in EBSI's paged shape, or 400."""
    raw_after = request.query_params.get("page[after]", "1")
    raw_size = request.query_params.get("page[size]", str(DEFAULT_PAGE_SIZE))
    if not raw_after.isdigit() or not 1 <= int(raw_after) <= 1_000_000:
        return _problem(400, "Bad Request", "page[after] must be a page number from 1")
    if not raw_size.isdigit() or not 1 <= int(raw_size) <= MAX_PAGE_SIZE:
        return _problem(400, "Bad Request", f"page[size] must be between 1 and {MAX_PAGE_SIZE}")
    after, size = int(raw_after), int(raw_size)
    last = max(1, -(-len(items) // size))

    def link(page: int) -> str:
        return f"{url}?page[after]={page}&page[size]={size}"

    return _json(
        request,
        {
            "self": link(after),
            "items": items[(after - 1) * size : after * size],
            "total": len(items),
            "pageSize": size,
            "links": {
                "first": link(1),
                "prev": link(max(1, after - 1)),
                "next": link(min(last, after + 1)),
                "last": link(last),
            },
        },
    )


def _candidates(request: Request, did: str) -> list[str]:
    """``did`` as routed (percent-decoded), and as sent when that differs: EBSI's clients put a DID into the path
    unencoded, so ``did:web:host%3A8443`` arrives with its ``%3A``, which routing decodes."""
    raw = bytes(request.scope.get("raw_path") or b"").decode("ascii", "replace")
    tail = raw.split(PREFIX + "/", 1)[-1].split("/", 1)[0]
    return list(dict.fromkeys([did, tail] if tail and unquote(tail) == did else [did]))


def _attributes(request: Request, did: str) -> tuple[str, list[TirAttribute]] | JSONResponse:
    if len(did) > MAX_IDENTIFIER or not did.startswith("did:"):
        return _problem(400, "Bad Request", "did must be a valid DID")
    for candidate in _candidates(request, did):
        try:
            return candidate, _tir(request).attributes(candidate)
        except NotFoundError:
            continue
    return _problem(404, "Issuer Not Found", f"Issuer {did[:200]} not found")


@router.get("", summary="Every issuer (EBSI TIR v5)")
def issuers(request: Request) -> Response:
    """The DIDs of every accredited issuer and trust anchor of this instance, in pages."""
    tir = _tir(request)
    items = [{"did": did, "href": f"{tir.base}/{did}"} for did in tir.issuers()]
    return _page(request, items, tir.base)


@router.get("/{did}", summary="One issuer (EBSI TIR v5)")
def issuer(request: Request, did: str) -> Response:
    """The issuer and the address of its attributes (``?version=deprecated``: the attributes themselves)."""
    version = request.query_params.get("version", "latest")
    if version not in ("latest", "deprecated"):
        return _problem(400, "Bad Request", "version must be latest or deprecated")
    found = _attributes(request, did)
    if isinstance(found, JSONResponse):
        return found
    name, attributes = found
    if version == "deprecated":
        return _json(request, {"did": name, "attributes": [a.to_dict() for a in attributes]})
    url = f"{_tir(request).base}/{name}/attributes"
    return _json(request, {"did": name, "attributes": url, "hasAttributes": bool(attributes)})


@router.get("/{did}/attributes", summary="An issuer's attributes (EBSI TIR v5)")
def attributes(request: Request, did: str) -> Response:
    """The ids of the issuer's attributes (its accreditations), in pages."""
    found = _attributes(request, did)
    if isinstance(found, JSONResponse):
        return found
    name, listed = found
    tir = _tir(request)
    items = [{"id": a.id, "href": tir.attribute_url(name, a.id)} for a in listed]
    return _page(request, items, f"{tir.base}/{name}/attributes")


@router.get("/{did}/attributes/{attribute_id}", summary="One attribute of an issuer (EBSI TIR v5)")
def attribute(request: Request, did: str, attribute_id: str) -> Response:
    """The attribute: the accreditation as a signed VC-JWT, its hash, issuer type, accreditor and root."""
    found = _attributes(request, did)
    if isinstance(found, JSONResponse):
        return found
    name, _ = found
    if len(attribute_id) > 80:
        return _problem(400, "Bad Request", "attributeId must be 64 hex digits")
    try:
        item = _tir(request).attribute(name, attribute_id)
    except NotFoundError:
        return _problem(404, "Attribute Not Found", f"Attribute {attribute_id} not found")
    return _json(request, {"did": name, "attribute": item.to_dict()})
