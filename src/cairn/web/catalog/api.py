"""The JSON API of the catalogue (read-only for now)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from cairn.services.catalog.service import CatalogEntry, CatalogService
from cairn.web.deps import container
from cairn.web.errors import answers_json

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["catalogue"], dependencies=[Depends(answers_json)])


def _catalog(request: Request) -> CatalogService:
    return container(request).catalog


def _entry_json(entry: CatalogEntry) -> dict[str, Any]:
    return {
        "id": entry.definition.id,
        "version": entry.stored.version,
        "latest_version": entry.stored.latest_version,
        "content_hash": entry.stored.content_hash,
        "definition": entry.definition.model_dump(mode="json", exclude_none=True),
        "awarding_bodies": [o.model_dump(mode="json", exclude_none=True) for o in entry.organisations],
    }


@router.get("/micro-credentials", summary="Every micro-credential in the catalogue, latest versions")
def list_definitions(request: Request) -> dict[str, Any]:
    """The catalogue: each definition's latest version with its awarding bodies."""
    entries = _catalog(request).entries()
    return {"ok": True, "count": len(entries), "items": [_entry_json(e) for e in entries]}


@router.get("/micro-credentials/{slug}", summary="One micro-credential")
def get_definition(
    request: Request,
    slug: str,
    version: int | None = Query(None, ge=1, le=1_000_000, description="a version; the latest if absent"),
) -> dict[str, Any]:
    """One definition at a version, with the list of its versions."""
    service = _catalog(request)
    entry = service.entry(slug, version)
    return {"ok": True, **_entry_json(entry), "versions": service.versions(slug)}
