"""Pages for people: the catalogue and each micro-credential, in the reader's language where the issuer gave it."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cairn.errors import CairnError, InputError, NotFoundError
from cairn.model.catalog import CatalogueQuery, parse_query
from cairn.model.types import pick
from cairn.model.vocabularies import ORGANISATION_TYPES
from cairn.services.accounts.service import Role
from cairn.services.catalog.service import CatalogService
from cairn.services.wallet.records import status_of
from cairn.web.careers.names import page_names
from cairn.web.catalog.search import filter_choices, summary
from cairn.web.catalog.views import annex_rows, country_name, definition_skills, entry_rows
from cairn.web.deps import check_role, container, optional_account
from cairn.web.i18n import LANGUAGES, credential_language, credential_title, marked, reader_language
from cairn.web.issuing.claiming import claim_download_file
from cairn.web.render import error_text, render

__all__ = ["LANGUAGES", "router"]

router = APIRouter(include_in_schema=False)


def _catalog(request: Request) -> CatalogService:
    return container(request).catalog


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
@router.api_route("/catalogue", methods=["GET", "HEAD"], response_class=HTMLResponse)
def catalogue(request: Request, lang: str | None = Query(None, max_length=10)) -> HTMLResponse:
    """The published catalogue: a search box and filters (a plain GET form, so a search is a link to share), the
    counts each filter value would find, and every Annex I element of each micro-credential found. A value no
    definition could have answers 400 with the form and the reason."""
    reader = reader_language(request, lang)
    error, status = "", 200
    try:
        query = parse_query(request.query_params)
    except InputError as exc:
        query, error, status = CatalogueQuery(), error_text(reader, exc), 400
    found = _catalog(request).search(query)
    names = page_names(request, definition_skills(found.entries), reader)
    items = [
        {
            "entry": e,
            "title": pick(e.definition.title, reader),
            "rows": annex_rows(e, reader, names),
            "facts": summary(e, reader),
            "issuers": [(o.id, pick(o.legal_name, reader)) for o in e.organisations],
        }
        for e in found.entries
    ]
    context = {
        "lang": reader,
        "items": items,
        "total": found.total,
        "query": query,
        "choices": filter_choices(found, query, reader),
        "error": error,
        "path": "/catalogue",
    }
    return render(request, "catalogue.html", context, status=status, languages=LANGUAGES, forms=False, private=False)


@router.api_route("/orgs/{slug}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def organisation(request: Request, slug: str, lang: str | None = Query(None, max_length=10)) -> HTMLResponse:
    """An organisation's public page: who it is, who vouches for it (from the trust network, through the one
    verification service: never from what it wrote about itself), its published micro-credentials, and the
    recognition rules it publishes (an employer's job profiles, an institution's courses)."""
    reader = reader_language(request, lang)
    org, entries = _catalog(request).organisation(slug[:80])
    did = container(request).keys.did(org.id)
    items = [{"entry": e, "title": pick(e.definition.title, reader), "facts": summary(e, reader)} for e in entries]
    context = {
        "lang": reader,
        "org": org,
        "name": pick(org.legal_name, reader),
        "about": pick(org.description, reader) if org.description else None,
        "country": country_name(org.country, org.region, reader),
        "org_type": ORGANISATION_TYPES.label(org.type, reader),
        "did": did,
        "trust": container(request).verification.standing(did),
        "items": items,
        "recognises": container(request).recognition.store.all_rules(organisation=org.id),
        "path": f"/orgs/{org.id}",
    }
    return render(request, "org.html", context, languages=LANGUAGES, forms=False, private=False)


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
        "rows": entry_rows(request, entry, reader),
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
    title = achievement.get("name") or credential.get("name") or view.definition
    issuer = credential.get("issuer", {}).get("name") if isinstance(credential.get("issuer"), dict) else None
    title_lang, title_text = credential_title(credential, str(title), reader)
    context = {
        "lang": reader,
        "award": view,
        # the credential's words, marked with the language they are written in where it is not the page's
        "title": marked(title_text, title_lang, reader),
        "issuer": marked(issuer, credential_language(credential), reader) if isinstance(issuer, str) else None,
        "path": f"/claim/{token}",
        "token": token,
        "status": status,
        "download_url": f"{container(request).settings.public_url}/claim/{token}/credential.json",
    }
    # forms: the wallet-app offer's form (CSRF: the session's token, or the double-submit cookie without one)
    response = render(request, "claim.html", context, signed_in=optional_account(request), languages=LANGUAGES)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/claim/{token}/credential.json", include_in_schema=False)
def claim_download(request: Request, token: str) -> Response:
    """The awarded credential itself, as a file (a JWT for JWT issuers); downloading does not use the link up."""
    return claim_download_file(request, token, "json")
