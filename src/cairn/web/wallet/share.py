"""Sharing pages: a learner shares one credential (link, QR code, LinkedIn, downloads) and keeps a public profile.

For the owner (signed in; another account gets 404; every ``POST`` needs the CSRF token):

- ``GET|POST /wallet/{id}/share``: the credential's share links with their view counts, a form for a new one
  (optionally expiring), the QR code, the "Add to LinkedIn" link, downloads and the public-profile switch;
  ``POST /wallet/{id}/share/{link}/revoke`` withdraws a link; ``POST /wallet/{id}/public`` shows or hides the
  credential on the public profile;
- ``GET /wallet/{id}/download/{json|jwt|png|svg|pdf}``: the credential as a file (baked images carry it);
- ``GET|POST /wallet/profile``: switch the public profile on or off, its address and the name it shows.

For anyone:

- ``GET /s/{token}``: the shared credential, verified live, with Open Graph and Twitter card metadata (a view
  is counted); an expired or withdrawn link answers 410, an unknown one 404; ``…/qr.svg``, ``…/qr.png``,
  ``…/preview.png`` (the 1200x630 card) and ``…/credential.json`` (to verify it yourself);
- ``GET /p/{slug}``: the public profile (404 while it is off); ``/p/{slug}/{id}``: one credential it shows,
  verified live like a share link (404 unless the credential is marked public), with ``…/preview.png`` and
  ``…/credential.json``.

Public pages show no email, no hashed identity and no DID of the learner: only a name the credential states
in clear and what the issuer certified. They never show a credential about someone else, and what they say of
its status is current (see :mod:`cairn.services.wallet.sharing`). Every route here is a plain ``def``: FastAPI
runs it in a worker thread, so a verification waiting on the network never blocks the event loop.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cairn.errors import ConflictError, InputError, NotFoundError
from cairn.formats.annex import achievement_of, alignments, read_annex
from cairn.formats.preview import PREVIEW_SIZE
from cairn.formats.qr import qr_png, qr_svg
from cairn.model.definitions import Organisation
from cairn.services.accounts.service import SignedIn
from cairn.services.wallet.records import AboutSomeoneElseError
from cairn.services.wallet.sharing import (
    DOWNLOADS,
    HeldCredential,
    NotShownError,
    OpenedLink,
    PublicProfile,
    SharingService,
    linkedin_url,
)
from cairn.vc.report import CHECK_TITLES, UNSIGNED_BY_ISSUER
from cairn.web.careers.names import SkillNames, credential_names, name_of
from cairn.web.catalog.views import Item, Row, country_name
from cairn.web.deps import RowId, container, csrf_protect, csrf_token, current_account
from cairn.web.i18n import LANGUAGES, long_date, reader_language, translate
from cairn.web.render import error_text, render
from cairn.web.verification.counted import count_verification
from cairn.web.verification.page import local_awarders
from cairn.web.verification.rows import credential_rows

__all__ = ["router", "sharing_service"]

router = APIRouter(include_in_schema=False)

EXPIRY_CHOICES: Final = (("", "No end date"), ("1", "1 day"), ("7", "7 days"), ("30", "30 days"), ("365", "1 year"))
_NOTICES: Final = {
    "created": "A new share link is ready: copy it or show its QR code.",
    "revoked": "The link is withdrawn: whoever opens it now reads that you withdrew it.",
    "public": "The credential is now on your public profile.",
    "private": "The credential is no longer on your public profile.",
    "profile": "Your profile settings are saved.",
}
_CHOOSE: Final = "Choose how long the link lasts from the list."
_GONE_CACHE: Final = {"Cache-Control": "no-store"}

SignedInDep = Annotated[SignedIn, Depends(current_account)]
LangQuery = Annotated[str | None, Query(max_length=10)]
Post = [Depends(current_account), Depends(csrf_protect)]
"""Signed in first (so nobody else's body is even read), then the CSRF token."""


def sharing_service(request: Request) -> SharingService:
    """The instance's sharing service."""
    return container(request).sharing


def _render(request: Request, template: str, context: dict[str, Any], *, status: int = 200) -> HTMLResponse:
    return render(request, template, context, status=status, languages=LANGUAGES, forms=False, private=False)


# -- what public pages show of a credential ----------------------------------------------------------


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _subject(document: Mapping[str, Any]) -> Mapping[str, Any]:
    subject = document.get("credentialSubject")
    return _map(subject[0] if isinstance(subject, list) and subject else subject)


def holder_names(document: Mapping[str, Any]) -> list[str]:
    """Names the credential states in clear for its holder (never a hashed identity, an email or a DID)."""
    names = []
    for ident in _subject(document).get("identifier") or []:
        ident = _map(ident)
        value = ident.get("identityHash")
        if ident.get("identityType") == "name" and ident.get("hashed") is False and isinstance(value, str):
            names.append(value[:200])
    name = _subject(document).get("name")
    if isinstance(name, str) and name and name not in names:
        names.append(name[:200])
    return names


def public_rows(
    document: Mapping[str, Any],
    lang: str,
    local: Mapping[str, Organisation] | None = None,
    names: SkillNames | None = None,
) -> list[Row]:
    """The Annex I rows, with the learner shown by stated name only (``local``, ``names``: see
    :func:`credential_rows`)."""
    rows = credential_rows(document, lang, local, names)
    holders = [Item(n) for n in holder_names(document)]
    return [Row(r.number, r.name, holders, r.mandatory) if r.number == 1 else r for r in rows]


def issuer_country(document: Mapping[str, Any], lang: str = "en") -> str:
    """The issuer's country (and region) as the credential states it, by name; "" when it states none."""
    address = _map(_map(document.get("issuer")).get("address"))
    code, region = address.get("addressCountryCode"), address.get("addressRegion")
    if not isinstance(code, str) or not code:
        country = address.get("addressCountry")
        return country[:100] if isinstance(country, str) else ""
    try:
        return country_name(code[:2].upper(), region[:10] if isinstance(region, str) and region else None, lang)
    except (KeyError, LookupError, ValueError):
        return code[:10]


def skills_of(
    document: Mapping[str, Any], lang: str = "en", names: SkillNames | None = None
) -> list[tuple[str, str, str]]:
    """(label, ESCO URI, the label's language) of every skill the credential aligns to, once per URI: ESCO's own
    label for a reader of ``lang`` (from the page's ``names``: :func:`credential_names`; an alignment's
    ``targetName`` may be the learning outcome's sentence), else the ``targetName`` (its language not known)."""
    achievement = achievement_of(document)
    named = {_map(a).get("targetUrl"): _map(a).get("targetName") for a in alignments(achievement, "ext:ESCOSkill")}
    found: dict[str, tuple[str, str]] = {}
    for url in read_annex(document).skills:
        if url.startswith("http") and url not in found:
            known = name_of(url, lang, names)
            name = named.get(url)
            found[url] = known or ((name[:300], "") if isinstance(name, str) and name else (url, ""))
    return [(label, url, label_lang) for url, (label, label_lang) in found.items()]


def _preview_text(held: HeldCredential, lang: str) -> dict[str, str]:
    issued = long_date(held.issued_at, lang)
    return {
        "title": held.title,
        "issuer": held.issuer_name or held.issuer_id or "",
        "date": translate(lang, "Issued %(date)s", date=issued) if issued else "",
        "verdict": public_verdict(held, lang),
    }


def public_verdict(held: HeldCredential, lang: str) -> str:
    """What profile cards and social cards say: the verification's verdict, never "verified" for an issuer
    nobody this instance trusts vouches for."""
    if held.status != "valid":
        return translate(lang, "Not valid: %(status)s", status=translate(lang, held.status))
    if held.verdict == UNSIGNED_BY_ISSUER:  # the stored report's own words: never "authentic" for such a key
        return translate(lang, UNSIGNED_BY_ISSUER)
    return translate(
        lang, "Authentic and vouched for" if held.vouched else "Authentic, but nobody vouches for the issuer"
    )


def _png(body: bytes, *, max_age: int = 300) -> Response:
    return Response(body, media_type="image/png", headers={"Cache-Control": f"public, max-age={max_age}"})


# -- the owner's pages ---------------------------------------------------------------------------------


def _share_page(
    request: Request,
    signed_in: SignedIn,
    credential_id: str,
    lang: str,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    service = sharing_service(request)
    account = signed_in.account.id
    held = service.credential(account_id=account, credential_id=credential_id)
    links = service.links(account_id=account, credential_id=credential_id)
    active = next((link for link in links if link.state == "active" and link.url), None)  # one we can show again
    shown = not held.about_someone_else
    context = {
        "lang": lang,
        "held": held,
        "shown": shown,
        "issued": long_date(held.issued_at, lang),
        "links": links,
        "active": active,
        "linkedin": linkedin_url(held, cert_url=active.url) if active and shown else None,
        "downloads": [k for k in DOWNLOADS if (k != "jwt" or held.is_jwt) and (k != "pdf" or shown)],
        "expiry_choices": EXPIRY_CHOICES,
        "profile": service.profile_settings(account_id=account),
        "notice": _NOTICES.get(request.query_params.get("done", "")),
        "errors": errors or {},
        "csrf_token": csrf_token(request, signed_in),
        "date": lambda value: long_date(value, lang),
    }
    response = _render(request, "share/manage.html", context, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/wallet/profile", response_class=HTMLResponse)
def profile_settings_page(request: Request, signed_in: SignedInDep, lang: LangQuery = None) -> Response:
    """The public profile's settings."""
    return _profile_settings(request, signed_in, reader_language(request, lang))


def _profile_settings(
    request: Request,
    signed_in: SignedIn,
    lang: str,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    settings = sharing_service(request).profile_settings(account_id=signed_in.account.id)
    context = {
        "lang": lang,
        "settings": settings,
        "form": form or {},
        "errors": errors or {},
        "notice": _NOTICES.get(request.query_params.get("done", "")),
        "csrf_token": csrf_token(request, signed_in),
        "public_url": sharing_service(request).public_url,
    }
    response = _render(request, "share/profile_settings.html", context, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/wallet/profile", response_class=HTMLResponse, dependencies=Post)
def save_profile(
    request: Request,
    signed_in: SignedInDep,
    public: Annotated[str, Form(max_length=10)] = "",
    slug: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=1000)] = "",
    lang: LangQuery = None,
) -> Response:
    """Save the profile settings."""
    reader = reader_language(request, lang)
    try:
        sharing_service(request).update_profile(
            account_id=signed_in.account.id, public=public == "yes", slug=slug, name=name
        )
    except (InputError, ConflictError) as exc:
        form = {"public": public == "yes", "slug": slug, "name": name}
        status = 409 if isinstance(exc, ConflictError) else 400
        return _profile_settings(request, signed_in, reader, errors={"profile": exc.message}, form=form, status=status)
    return RedirectResponse("/wallet/profile?done=profile", status_code=303)


@router.get("/wallet/{credential_id:uuid}/share", response_class=HTMLResponse)
def share_page(request: Request, signed_in: SignedInDep, credential_id: uuid.UUID, lang: LangQuery = None) -> Response:
    """The owner's sharing page for one credential."""
    return _share_page(request, signed_in, str(credential_id), reader_language(request, lang))


@router.post("/wallet/{credential_id:uuid}/share", response_class=HTMLResponse, dependencies=Post)
def create_link(
    request: Request,
    signed_in: SignedInDep,
    credential_id: uuid.UUID,
    expires: Annotated[str, Form(max_length=10)] = "",
    lang: LangQuery = None,
) -> Response:
    """A new share link (optionally expiring)."""
    reader = reader_language(request, lang)
    days = int(expires) if expires.isdigit() else None
    if expires and days is None:
        return _share_page(request, signed_in, str(credential_id), reader, errors={"expires": _CHOOSE}, status=400)
    try:
        sharing_service(request).create_link(
            account_id=signed_in.account.id, credential_id=str(credential_id), expires_in_days=days
        )
    except (InputError, ConflictError) as exc:
        status = 409 if isinstance(exc, ConflictError) else 400
        errors = {"expires": error_text(reader, exc)}
        return _share_page(request, signed_in, str(credential_id), reader, errors=errors, status=status)
    return RedirectResponse(f"/wallet/{credential_id}/share?done=created#links", status_code=303)


@router.post("/wallet/{credential_id:uuid}/share/{link_id:int}/revoke", dependencies=Post)
def revoke_link(request: Request, signed_in: SignedInDep, credential_id: uuid.UUID, link_id: RowId) -> Response:
    """Withdraw a share link."""
    sharing_service(request).revoke_link(
        account_id=signed_in.account.id, credential_id=str(credential_id), link_id=link_id
    )
    return RedirectResponse(f"/wallet/{credential_id}/share?done=revoked#links", status_code=303)


@router.post("/wallet/{credential_id:uuid}/public", response_class=HTMLResponse, dependencies=Post)
def set_public(
    request: Request,
    signed_in: SignedInDep,
    credential_id: uuid.UUID,
    public: Annotated[str, Form(max_length=10)] = "",
    lang: LangQuery = None,
) -> Response:
    """Show the credential on the public profile (``public=yes``; only one that verifies) or hide it."""
    shown = public == "yes"
    try:
        sharing_service(request).set_public(
            account_id=signed_in.account.id, credential_id=str(credential_id), public=shown
        )
    except (NotShownError, AboutSomeoneElseError) as exc:
        reader = reader_language(request, lang)
        return _share_page(
            request, signed_in, str(credential_id), reader, errors={"public": _refusal(reader, exc)}, status=409
        )
    return RedirectResponse(f"/wallet/{credential_id}/share?done={'public' if shown else 'private'}", status_code=303)


def _refusal(lang: str, exc: ConflictError) -> str:
    """Why a credential is not shown, in ``lang`` (a status named in it translated too)."""
    if isinstance(exc, NotShownError):
        return translate(lang, exc.message_id, status=translate(lang, exc.credential_status))
    return error_text(lang, exc)


@router.get("/wallet/{credential_id:uuid}/download/{kind}")
def download(
    request: Request, signed_in: SignedInDep, credential_id: uuid.UUID, kind: str, lang: LangQuery = None
) -> Response:
    """The credential as a file: JSON, VC-JWT (when it is one), baked PNG or SVG, or a PDF certificate."""
    reader = reader_language(request, lang)
    if kind not in DOWNLOADS:
        raise NotFoundError(f"no download '{kind[:20]}': choose one of {', '.join(DOWNLOADS)}")
    try:
        got = sharing_service(request).download(
            account_id=signed_in.account.id, credential_id=str(credential_id), kind=kind, language=reader
        )
    except (NotShownError, AboutSomeoneElseError) as exc:
        errors = {"downloads": _refusal(reader, exc)}
        return _share_page(request, signed_in, str(credential_id), reader, errors=errors, status=409)
    headers = {"Content-Disposition": f'attachment; filename="{got.filename}"', "Cache-Control": "no-store"}
    return Response(got.body, media_type=got.media_type, headers=headers)


# -- public pages ----------------------------------------------------------------------------------


def _gone(request: Request, opened: OpenedLink, lang: str) -> HTMLResponse:
    link = opened.link
    if link.state == "revoked":
        message = translate(lang, "This link was withdrawn by its owner.")
    else:
        message = translate(lang, "This link expired on %(date)s.", date=long_date(link.expires_at, lang))
    context = {"lang": lang, "message": message}
    response = _render(request, "share/gone.html", context, status=410)
    response.headers.update({**_GONE_CACHE, "Referrer-Policy": "no-referrer"})
    return response


def _opened(request: Request, token: str, *, count: bool = False, current: bool = True) -> OpenedLink:
    return sharing_service(request).open_link(token[:100], count_view=count, current=current)


def _gone_plain(opened: OpenedLink) -> Response | None:
    if opened.link.state == "active":
        return None
    text = "this link was withdrawn by its owner" if opened.link.state == "revoked" else "this link expired"
    return Response(text, status_code=410, media_type="text/plain", headers=_GONE_CACHE)


def _verification_page(
    request: Request,
    held: HeldCredential,
    lang: str,
    *,
    page_url: str,
    download_url: str,
    expires: str = "",
    profile: PublicProfile | None = None,
) -> HTMLResponse:
    """A credential verified now, as visitors see it (a share link or a public profile's credential); what
    the verification found is stored, so profile cards and previews say it too."""
    report, held = sharing_service(request).verify(held)
    count_verification(request, report, "share-link")
    document = report.credential or held.document
    names = credential_names(request, [document], lang)
    context = {
        "lang": lang,
        "held": held,
        "issued": long_date(held.issued_at, lang),
        "expires": expires,
        "report": report,
        "check_titles": CHECK_TITLES,
        "rows": public_rows(document, lang, local_awarders(request, [document]), names),
        "skills": skills_of(document, lang, names),
        "holders": holder_names(document),
        "issuer_country": issuer_country(document, lang),
        "share_url": page_url,
        "image_url": f"{page_url}/preview.png",
        "image_size": PREVIEW_SIZE,
        "download_url": download_url,
        "profile": profile,
    }
    return _render(request, "share/shared.html", context)


@router.api_route("/s/{token}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def shared(request: Request, token: str, lang: LangQuery = None) -> Response:
    """The shared credential, verified now; a GET counts a view."""
    reader = reader_language(request, lang)
    opened = _opened(request, token, count=request.method == "GET", current=False)  # verified below
    if opened.link.state != "active":
        return _gone(request, opened, reader)
    token = opened.link.token
    response = _verification_page(
        request,
        opened.credential,
        reader,
        page_url=sharing_service(request).link_url(token),
        download_url=f"/s/{token}/credential.json",
        expires=long_date(opened.link.expires_at, reader),
    )
    response.headers.update({"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@router.get("/s/{token}/qr.svg")
def shared_qr_svg(request: Request, token: str, lang: LangQuery = None) -> Response:
    """The link's QR code as SVG (with a title and description)."""
    reader = reader_language(request, lang)
    opened = _opened(request, token, current=False)  # says nothing of the status
    gone = _gone_plain(opened)
    if gone is not None:
        return gone
    title = translate(reader, "QR code of a shared credential: %(title)s", title=opened.credential.title)
    description = translate(reader, "Scan it to open %(url)s", url=opened.link.url)
    body = qr_svg(opened.link.url, title=title, description=description)
    return Response(body, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=300"})


@router.get("/s/{token}/qr.png")
def shared_qr_png(request: Request, token: str) -> Response:
    """The link's QR code as PNG."""
    opened = _opened(request, token, current=False)  # says nothing of the status
    gone = _gone_plain(opened)
    if gone is not None:
        return gone
    headers = {"Cache-Control": "private, max-age=300", "Content-Disposition": 'inline; filename="qr-code.png"'}
    return Response(qr_png(opened.link.url), media_type="image/png", headers=headers)


@router.get("/s/{token}/preview.png")
def shared_preview(request: Request, token: str, lang: LangQuery = None) -> Response:
    """The 1200x630 card social networks show for the link."""
    opened = _opened(request, token)
    gone = _gone_plain(opened)
    if gone is not None:
        return gone
    held = opened.credential
    return _png(sharing_service(request).preview(held, **_preview_text(held, reader_language(request, lang))))


@router.get("/s/{token}/credential.json")
def shared_credential(request: Request, token: str) -> Response:
    """The credential exactly as issued (JSON, or a JWT), to verify it yourself."""
    opened = _opened(request, token, current=False)  # says nothing of the status
    gone = _gone_plain(opened)
    if gone is not None:
        return gone
    return _as_issued(opened.credential)


def _as_issued(held: HeldCredential) -> Response:
    media_type = "application/vc+jwt" if held.is_jwt else "application/vc+ld+json"
    suffix = "jwt" if held.is_jwt else "json"
    headers = {"Content-Disposition": f'attachment; filename="credential.{suffix}"', "Cache-Control": "no-store"}
    return Response(held.original.strip(), media_type=media_type, headers=headers)


@router.api_route("/p/{slug}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def profile(request: Request, slug: str, lang: LangQuery = None) -> Response:
    """A learner's public profile: the credentials they chose to show, each with its status and a link to it."""
    reader = reader_language(request, lang)
    service = sharing_service(request)
    found = service.public_profile(slug[:100])
    names = credential_names(request, [held.document for held in found.credentials], reader)
    cards = [
        {
            "held": held,
            "issued": long_date(held.issued_at, reader),
            "url": f"/p/{found.slug}/{held.id}",
            "image": f"/p/{found.slug}/{held.id}/preview.png",
            "skills": skills_of(held.document, reader, names),
            "verdict": public_verdict(held, reader),
            "checked": long_date(held.checked_at, reader),
            "current": service.is_current(held),
        }
        for held in found.credentials
    ]
    context = {
        "lang": reader,
        "profile": found,
        "cards": cards,
        "verified": sum(1 for held in found.credentials if held.status == "valid"),
        "image_url": f"{service.public_url}{cards[0]['image']}" if cards else None,
        "image_size": PREVIEW_SIZE,
    }
    response = _render(request, "share/profile.html", context)
    response.headers["Cache-Control"] = "no-cache"
    return response


@router.api_route("/p/{slug}/{credential_id:uuid}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def profile_credential(request: Request, slug: str, credential_id: uuid.UUID, lang: LangQuery = None) -> Response:
    """One credential of a public profile, verified now (404 unless the profile is on and the credential public)."""
    reader = reader_language(request, lang)
    service = sharing_service(request)
    found = service.public_profile(slug[:100], str(credential_id), current=False)  # verified below
    held = found.credentials[0]
    page_url = f"{found.url}/{held.id}"
    response = _verification_page(
        request,
        held,
        reader,
        page_url=page_url,
        download_url=f"/p/{found.slug}/{held.id}/credential.json",
        profile=found,
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@router.get("/p/{slug}/{credential_id:uuid}/preview.png")
def profile_preview(request: Request, slug: str, credential_id: uuid.UUID, lang: LangQuery = None) -> Response:
    """The 1200x630 card of one credential on a public profile."""
    service = sharing_service(request)
    held = service.public_credential(slug[:100], str(credential_id))
    return _png(service.preview(held, **_preview_text(held, reader_language(request, lang))))


@router.get("/p/{slug}/{credential_id:uuid}/credential.json")
def profile_credential_file(request: Request, slug: str, credential_id: uuid.UUID) -> Response:
    """A public profile's credential exactly as issued (JSON, or a JWT), to verify it yourself."""
    held = sharing_service(request).public_credential(slug[:100], str(credential_id), current=False)
    return _as_issued(held)
