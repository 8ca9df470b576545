"""Pages for people: the catalogue and each micro-credential, in the reader's language where the issuer gave it."""

from __future__ import annotations

import json
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cairn.errors import CairnError, NotFoundError
from cairn.model.types import pick
from cairn.services.accounts.service import Role
from cairn.services.catalog.service import CatalogService
from cairn.services.wallet.records import status_of
from cairn.web.catalog.views import annex_rows
from cairn.web.deps import check_role, container, optional_account
from cairn.web.i18n import LANGUAGES, reader_language
from cairn.web.render import render

__all__ = ["LANGUAGES", "router"]

router = APIRouter(include_in_schema=False)


def _catalog(request: Request) -> CatalogService:
    return container(request).catalog


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
def catalogue(request: Request, lang: str | None = Query(None, max_length=10)) -> HTMLResponse:
    """The catalogue with every Annex I element of every micro-credential."""
    reader = reader_language(request, lang)
    entries = _catalog(request).entries()
    items = [{"entry": e, "title": pick(e.definition.title, reader), "rows": annex_rows(e, reader)} for e in entries]
    context = {"lang": reader, "items": items, "path": "/"}
    return render(request, "catalogue.html", context, languages=LANGUAGES, forms=False, private=False)


@router.api_route("/micro-credentials/{slug}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def definition(
    request: Request,
    slug: str,
    version: int | None = Query(None, ge=1),
    lang: str | None = Query(None, max_length=10),
) -> Response:
    """One micro-credential, at a version (the latest by default)."""
    reader = reader_language(request, lang)
    service = _catalog(request)
    try:
        entry = service.entry(slug, version)
    except NotFoundError:
        preview = _draft_preview(request, slug)
        if preview is None:
            raise
        return RedirectResponse(preview, status_code=303)
    context = {
        "lang": reader,
        "entry": entry,
        "title": pick(entry.definition.title, reader),
        "description": pick(entry.definition.description, reader),
        "rows": annex_rows(entry, reader),
        "versions": service.versions(slug),
        "path": f"/micro-credentials/{slug}",
    }
    return render(request, "definition.html", context, languages=LANGUAGES, forms=False, private=False)


def _draft_preview(request: Request, slug: str) -> str | None:
    """Where a member of one of a draft's awarding bodies sees it (its preview); None for anyone else (404)."""
    signed_in = optional_account(request)
    if signed_in is None:
        return None
    try:
        draft = _catalog(request).entry(slug, drafts=True)
    except NotFoundError:
        return None
    for body in draft.definition.awarding_bodies:
        try:
            check_role(request, signed_in, body, Role.VIEWER)
        except CairnError:
            continue
        return f"/orgs/{quote(body)}/catalogue/{quote(slug)}/preview"
    return None


@router.get("/claim/{token}", response_class=HTMLResponse)
def claim(request: Request, token: str, lang: str | None = Query(None, max_length=10)) -> HTMLResponse:
    """The page a claim email links to: what was awarded, its status verified now (through the one verification
    use case: the instance's own status lists answer locally), and the credential to download. A plain ``def``:
    it runs in a worker thread, off the event loop."""
    reader = reader_language(request, lang)
    view = container(request).issuing.by_claim_token(token[:200])
    if view is None:
        raise NotFoundError("this claim link is not valid: check that you copied all of it")
    status = status_of(container(request).verification.verify(view.credential))
    credential = view.credential if isinstance(view.credential, dict) else {}
    achievement = credential.get("credentialSubject", {}).get("achievement", {})
    context = {
        "lang": reader,
        "award": view,
        "title": achievement.get("name") or credential.get("name") or view.definition,
        "issuer": credential.get("issuer", {}).get("name") if isinstance(credential.get("issuer"), dict) else None,
        "path": f"/claim/{token}",
        "token": token,
        "status": status,
    }
    response = render(request, "claim.html", context, languages=LANGUAGES, forms=False)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/claim/{token}/credential.json", include_in_schema=False)
def claim_download(request: Request, token: str) -> Response:
    """The awarded credential itself, as a file."""
    view = container(request).issuing.by_claim_token(token[:200])
    if view is None:
        raise NotFoundError("this claim link is not valid")
    if isinstance(view.credential, str):
        return Response(view.credential, media_type="application/vc+jwt")
    body = json.dumps(view.credential, indent=2, ensure_ascii=False)
    headers = {"Content-Disposition": f'attachment; filename="{view.definition}.json"', "Cache-Control": "no-store"}
    return Response(body, media_type="application/vc+ld+json", headers=headers)
