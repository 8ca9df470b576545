"""``GET /registries/{slug}/trust-list``: a registry's signed trust list, for the registries that federate it.

The list is a Verifiable Credential (``TrustList``) secured with a JCS Data Integrity proof by the registry's
DID (:meth:`cairn.services.trust.registry.RegistryService.trust_list`); it carries an ETag, and a caller whose
copy is current (``If-None-Match``) gets ``304 Not Modified``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response

from cairn.web.deps import container
from cairn.web.errors import answers_json

__all__ = ["router"]

router = APIRouter(tags=["trust"], dependencies=[Depends(answers_json)])


@router.get("/registries/{slug}/trust-list", summary="A registry's signed trust list")
def trust_list(request: Request, slug: str, if_none_match: Annotated[str | None, Header()] = None) -> Response:
    """Every accreditation the registry made and those of the bodies it accredited, signed, valid for a week."""
    published = container(request).registry.trust_list(slug)
    headers = {"ETag": published.etag, "Cache-Control": "public, max-age=300"}
    if if_none_match is not None and published.etag in (tag.strip() for tag in if_none_match.split(",")):
        return Response(status_code=304, headers=headers)
    return Response(published.body, media_type="application/vc+ld+json", headers=headers)
