"""The catalogue in ELM, for Europass's Qualification Dataset Register (learning opportunities, LOQ profile).

- ``GET /micro-credentials/{slug}/elm.jsonld`` — one published micro-credential as an ELM ``LearningOpportunity``;
- ``GET /catalogue/elm.jsonld?page=N`` — the published catalogue, :data:`~cairn.services.catalog.elm.PAGE_SIZE` a
  page; a ``Link: <…?page=N+1>; rel="next"`` header names the next page while there is one.

Both answer ``application/ld+json``, public and cacheable for five minutes.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from cairn.web.deps import container

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _json_ld(document: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    all_headers = {"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*", **(headers or {})}
    body = json.dumps(document, ensure_ascii=False, indent=1)
    return Response(body, media_type="application/ld+json", headers=all_headers)


@router.api_route("/micro-credentials/{slug}/elm.jsonld", methods=["GET", "HEAD"])
def definition_elm(request: Request, slug: str) -> Response:
    """One published micro-credential as an ELM learning opportunity."""
    return _json_ld(container(request).elm_catalogue.one(slug))


@router.api_route("/catalogue/elm.jsonld", methods=["GET", "HEAD"])
def catalogue_elm(request: Request, page: int = Query(1, ge=1, le=100_000)) -> Response:
    """The published catalogue as ELM learning opportunities, one page."""
    found = container(request).elm_catalogue.page(page)
    headers = {"Link": f'</catalogue/elm.jsonld?page={found.page + 1}>; rel="next"'} if found.more else {}
    return _json_ld(found.document, headers)
