"""The verifier's pages of OpenID4VP: an organisation asks a learner for a credential.

- ``GET /orgs/{slug}/presentation-requests``: a form to ask in simple terms (name, purpose, formats, a minimum EQF
  level, specific achievements, claims to disclose) or with a raw DCQL query, and the organisation's requests
  (open, answered, expired);
- ``POST /orgs/{slug}/presentation-requests``: make one, then its page;
- ``GET /orgs/{slug}/presentation-requests/{id}``: the request: its DCQL query, the ``openid4vp://`` link for a
  wallet on the same device and a QR code for one on another, when it expires, a "Check for an answer" button
  (the page reloads: nothing refreshes by itself), and once answered the report: the holder, what was disclosed,
  whether each part of the query was met, and each presentation's verification report as /verify shows it;
- ``POST /orgs/{slug}/presentation-requests/{id}/again``: a fresh request like this one (requests last
  :data:`~cairn.services.openid4vp.verifier.REQUEST_LIFETIME`).

Every page needs an issuer (or owner) of the organisation: another organisation's member gets 404, a viewer 403,
nobody signed in is sent to sign in. Posts need the CSRF token.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from cairn.errors import CairnError
from cairn.formats.qr import qr_svg
from cairn.model.dcql import FORMATS, Ask, DcqlError, build_query
from cairn.services.accounts.service import OrganisationAccess, Role, SignedIn
from cairn.services.openid4vp.verifier import MAX_NAME, MAX_PURPOSE, REQUEST_LIFETIME, RequestView
from cairn.web.catalog.editor import form_size, posted_form
from cairn.web.deps import container, csrf_protect, current_account, require_role
from cairn.web.i18n import LANGUAGES, reader_language, translate
from cairn.web.openid4vp.views import CLAIM_LABELS, FORMAT_LABELS, asked, met
from cairn.web.render import error_text, render
from cairn.web.verification.page import stored_views, trust_list

__all__ = ["MAX_DCQL_CHARS", "router"]

router = APIRouter(include_in_schema=False)

IssuerDep = Annotated[OrganisationAccess, Depends(require_role(Role.ISSUER))]
SignedInDep = Annotated[SignedIn, Depends(current_account)]
FormDep = Annotated[FormData, Depends(posted_form)]
RequestPath = Annotated[str, Path(max_length=36)]
_POST = [Depends(form_size), Depends(csrf_protect)]

MAX_DCQL_CHARS: Final = 20_000
MAX_ACHIEVEMENTS: Final = 50
STATUS_LABELS: Final = {"open": "open", "answered": "answered", "expired": "expired"}


def _lang_query(request: Request) -> str:
    lang = request.query_params.get("lang", "")
    return f"?lang={lang}" if lang in LANGUAGES else ""


def _field(form: FormData, name: str) -> str:
    raw = form.get(name)
    return raw.strip() if isinstance(raw, str) else ""


def _list_page(
    request: Request,
    access: OrganisationAccess,
    signed_in: SignedIn,
    *,
    errors: Mapping[str, str] | None = None,
    posted: Mapping[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    base = f"/orgs/{quote(access.organisation)}/presentation-requests"
    context = {
        "access": access,
        "base": base,
        "lang_query": _lang_query(request),
        "requests": container(request).presentation_requests.list(access.organisation),
        "formats": FORMAT_LABELS,
        "claim_labels": CLAIM_LABELS,
        "errors": dict(errors or {}),
        "posted": dict(posted or {"formats": list(FORMATS[:2])}),
        "max_name": MAX_NAME,
        "max_purpose": MAX_PURPOSE,
        "max_dcql": MAX_DCQL_CHARS,
        "minutes": int(REQUEST_LIFETIME.total_seconds() // 60),
    }
    return render(request, "openid4vp/requests.html", context, signed_in=signed_in, status=status)


@router.get("/orgs/{slug}/presentation-requests", response_class=HTMLResponse)
def requests_page(request: Request, access: IssuerDep, signed_in: SignedInDep) -> Response:
    """The organisation's presentation requests and a form to make one."""
    return _list_page(request, access, signed_in)


def _query_of(form: FormData, lang: str, errors: dict[str, str]) -> dict[str, Any] | None:
    """The DCQL query the form asks for: the raw one when given, else built from the simple terms."""
    raw = _field(form, "dcql")
    if raw:
        if len(raw) > MAX_DCQL_CHARS:
            errors["dcql"] = translate(lang, "The text is longer than %(n)s characters.", n=MAX_DCQL_CHARS)
            return None
        try:
            parsed = json.loads(raw)
        except ValueError:
            errors["dcql"] = translate(lang, "The DCQL query is not valid JSON.")
            return None
        return parsed if isinstance(parsed, dict) else {"credentials": parsed}
    formats = tuple(f for f in form.getlist("formats") if isinstance(f, str) and f in FORMATS)
    level = _field(form, "min_eqf")
    lines = _field(form, "achievements").splitlines()
    achievements = tuple(a.strip()[:500] for a in lines if a.strip())[:MAX_ACHIEVEMENTS]
    claims = tuple(c for c in form.getlist("claims") if isinstance(c, str) and c in CLAIM_LABELS)
    try:
        return build_query(Ask(formats, int(level) if level.isdigit() else None, achievements, claims))
    except DcqlError as exc:
        key = "achievements" if "achievements" in str(exc) else "min_eqf" if "EQF" in str(exc) else "formats"
        errors[key] = translate(lang, str(exc)[:1].upper() + str(exc)[1:] + ".")
        return None


@router.post("/orgs/{slug}/presentation-requests", response_class=HTMLResponse, dependencies=_POST)
def create(request: Request, access: IssuerDep, signed_in: SignedInDep, form: FormDep) -> Response:
    """Make a presentation request, then show it."""
    lang = reader_language(request)
    name, purpose = _field(form, "name"), _field(form, "purpose")
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = translate(lang, "Give the request a name.")
    elif len(name) > MAX_NAME:
        errors["name"] = translate(lang, "The text is longer than %(n)s characters.", n=MAX_NAME)
    if len(purpose) > MAX_PURPOSE:
        errors["purpose"] = translate(lang, "The text is longer than %(n)s characters.", n=MAX_PURPOSE)
    query = _query_of(form, lang, errors)
    status = 400
    if not errors and query is not None:
        try:
            made = container(request).presentation_requests.create(
                access.organisation, actor=signed_in.account.actor, name=name, purpose=purpose, dcql=query
            )
        except CairnError as exc:
            if exc.status not in (400, 404, 409):
                raise
            key = "dcql" if "DCQL" in exc.message_id else "purpose" if "purpose" in exc.message_id else "name"
            errors[key], status = error_text(lang, exc), exc.status
        else:
            target = f"/orgs/{quote(access.organisation)}/presentation-requests/{made.id}{_lang_query(request)}"
            return RedirectResponse(target, 303)
    posted = {
        "name": name[:MAX_NAME],
        "purpose": purpose[:MAX_PURPOSE],
        "formats": [f for f in form.getlist("formats") if f in FORMATS],
        "min_eqf": _field(form, "min_eqf"),
        "achievements": _field(form, "achievements")[:5000],
        "claims": [c for c in form.getlist("claims") if c in CLAIM_LABELS],
        "dcql": _field(form, "dcql")[:MAX_DCQL_CHARS],
    }
    return _list_page(request, access, signed_in, errors=errors, posted=posted, status=status)


def _qr(view: RequestView, lang: str) -> str:
    svg = qr_svg(
        view.link,
        title=translate(lang, "QR code of the presentation request"),
        description=translate(lang, "Scan it with the wallet app that holds the credential."),
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


@router.get("/orgs/{slug}/presentation-requests/{request_id}", response_class=HTMLResponse)
def request_page(request: Request, access: IssuerDep, signed_in: SignedInDep, request_id: RequestPath) -> Response:
    """One request: link, QR code, DCQL query, expiry; once answered, the report."""
    lang = reader_language(request)
    view = container(request).presentation_requests.get(access.organisation, request_id)
    result = view.result or {}
    trust = trust_list(request)
    reports = stored_views(request, result.get("reports") or {}, lang, trust)
    context = {
        "access": access,
        "base": f"/orgs/{quote(access.organisation)}/presentation-requests",
        "lang_query": _lang_query(request),
        "view": view,
        "qr": _qr(view, lang) if view.status == "open" else "",
        "dcql_json": json.dumps(view.dcql, indent=2, ensure_ascii=False),
        "asked": asked(view.dcql),
        "met": met(view.dcql, result) if view.result else [],
        "alternatives": bool(view.dcql.get("credential_sets")),
        "result": result,
        "reports": reports,
        "minutes": int(REQUEST_LIFETIME.total_seconds() // 60),
        "done": request.query_params.get("done", "") == "again",
    }
    response = render(request, "openid4vp/request.html", context, signed_in=signed_in)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/orgs/{slug}/presentation-requests/{request_id}/again", response_class=HTMLResponse, dependencies=_POST)
def again(request: Request, access: IssuerDep, signed_in: SignedInDep, request_id: RequestPath) -> Response:
    """A fresh request with the same name, purpose and query (an open one lasts a few minutes)."""
    service = container(request).presentation_requests
    old = service.get(access.organisation, request_id)
    made = service.create(
        access.organisation,
        actor=signed_in.account.actor,
        name=old.name,
        purpose=old.purpose,
        dcql=old.dcql,
        signed=old.signed,
    )
    query = _lang_query(request)
    target = (
        f"/orgs/{quote(access.organisation)}/presentation-requests/{made.id}{query}{'&' if query else '?'}done=again"
    )
    return RedirectResponse(target, 303)
