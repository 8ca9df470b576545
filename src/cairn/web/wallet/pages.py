"""The learner's wallet pages, learner sign-up, claiming into the wallet, and erasing an account.

- ``GET|POST /sign-up``: ask for a learner account (email, password, optional name); nothing is signed in
  until the link emailed to the address is used, and the answer never tells whether the address had an account.
- ``GET|POST /claim/{token}/wallet``: add a claimed award to the signed-in learner's wallet.
- ``GET /wallet``: every credential with its status in words, search, filters by tag, collection and status,
  and a timeline view (``?view=timeline``).
- ``GET|POST /wallet/import``: paste text, upload a file (JSON, JWT, baked PNG/SVG, PDF) or give a URL.
- ``GET /wallet/{id}``: the verdict, every Annex I element, skills in plain language, tags, collections;
  ``POST /wallet/{id}/tags|collections|recheck|notice|remove`` (``notice``: dismiss the notice about a changed
  status).
- ``GET|POST /wallet/collections`` (and ``/wallet/collections/{cid}/rename|delete``).
- ``GET|POST /wallet/present``: a Verifiable Presentation for a verifier's challenge and domain, as a file.
- ``GET /wallet/export`` (a zip), ``GET|POST /wallet/import-export`` (import such a zip).
- ``GET|POST /account/delete``: erase the account after typing its email.

Every page needs a session (a learner sees only their own wallet: another's credential answers 404) and
every form POST checks the CSRF token.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from cairn.errors import CairnError, ConflictError, InputError
from cairn.services.accounts.service import SignedIn, TooManyAttemptsError
from cairn.services.wallet.records import STATUSES, LastOwnerError, WalletItem, issuer_unreachable
from cairn.services.wallet.service import WalletService
from cairn.vc.report import CHECK_TITLES
from cairn.web.careers.names import credential_names
from cairn.web.deps import (
    MAX_ROW_ID,
    SESSION_COOKIE,
    RowId,
    accounts_service,
    client_address,
    container,
    csrf_protect,
    current_account,
    optional_account,
)
from cairn.web.i18n import LANGUAGES, reader_language
from cairn.web.render import error_text, render, safe_next, say
from cairn.web.verification.page import EXPLANATIONS
from cairn.web.verification.rows import credential_rows
from cairn.web.wallet.share import skills_of

__all__ = ["router", "wallet_service"]

router = APIRouter(include_in_schema=False)

SignedInDep = Annotated[SignedIn, Depends(current_account)]
MaybeSignedIn = Annotated[SignedIn | None, Depends(optional_account)]
LangQuery = Annotated[str | None, Query(max_length=10)]
Post = [Depends(current_account), Depends(csrf_protect)]
"""Signed in first (so nobody else's body is even read), then the CSRF token."""

STATUS_LABELS: Final = {
    "valid": "Valid",
    "expired": "Expired",
    "revoked": "Revoked",
    "suspended": "Suspended",
    "unverifiable": "Cannot be verified",
}
_NOTICES: Final = {
    "added": "The credential is in your wallet.",
    "received": "The issuer sent the credential; it was verified and is in your wallet.",
    "tags": "The tags are saved.",
    "collections": "The collections are saved.",
    "removed": "The credential was removed from your wallet.",
    "rechecked": "The credential was checked again just now.",
    "created": "The collection was created.",
    "renamed": "The collection was renamed.",
    "deleted": "The collection was deleted; its credentials stay in your wallet.",
    "welcome": "Welcome to Cairn: your account is ready.",
    "still-waiting": "The issuer has not issued it yet: Cairn keeps waiting.",
    "receipt-ended": "The issuer will not issue it: the reason is under Waiting for issuers.",
    "not-checked": "Not checked: the issuer asked to wait until the time shown, or could not be reached.",
    "receipt-dropped": "Cairn no longer waits for that credential.",
    "unreachable": (
        "The credential is in your wallet, but Cairn could not reach its issuer to check the signature (the "
        "reason is under Checks). It is marked as not verifiable, never as valid, and is checked again later."
    ),
}
MAX_TEXT: Final = 2_000_000


def wallet_service(request: Request) -> WalletService:
    """The instance's wallet service."""
    return container(request).wallet


def _render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    signed_in: SignedIn | None,
    lang: str,
    status: int = 200,
) -> HTMLResponse:
    notice = _NOTICES.get(request.query_params.get("done", ""))
    full = {"lang": lang, "status_labels": STATUS_LABELS, "notice": notice, **context}
    return render(request, template, full, status=status, signed_in=signed_in, languages=LANGUAGES)


# -- sign-up ------------------------------------------------------------------------------------------


@router.get("/sign-up", response_class=HTMLResponse)
def sign_up_form(
    request: Request,
    signed_in: MaybeSignedIn,
    next: Annotated[str | None, Query(max_length=2000)] = None,
    lang: LangQuery = None,
) -> Response:
    """Make a learner account to keep credentials in a wallet."""
    if signed_in is not None:
        return RedirectResponse(safe_next(next, "/wallet"), status_code=303)
    context = {"next": safe_next(next, "/wallet"), "form": {}}
    return _render(request, "wallet/sign_up.html", context, signed_in=None, lang=reader_language(request, lang))


@router.post("/sign-up", response_class=HTMLResponse, dependencies=[Depends(csrf_protect)])
def sign_up(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    name: Annotated[str, Form(max_length=500)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
    lang: LangQuery = None,
) -> Response:
    """Ask for an account: nothing is signed in; a link to finish it goes to the address, and the answer is
    the same whether or not the address has an account (see AccountService.sign_up). Any session this
    browser held ends. Errors next to their fields; 429 when too many accounts are asked for."""
    reader = reader_language(request, lang)
    service = accounts_service(request)
    errors: dict[str, str] = {}
    status = 400
    retry_after: int | None = None
    if not email.strip():
        errors["email"] = say(reader, "Enter your email address")
    if not password:
        errors["password"] = say(reader, "Choose a password")
    target = safe_next(next, "/wallet")
    if not errors:
        try:
            service.sign_up(
                email=email,
                password=password,
                display_name=name.strip() or None,
                client=client_address(request),
                next_path=target + ("&" if "?" in target else "?") + "done=welcome",
                language=reader,
            )
        except TooManyAttemptsError as exc:
            message = "Too many accounts were asked for from here or for this address. Try again in %(minutes)s minutes"
            errors["email"] = say(reader, message, minutes=exc.minutes)
            status, retry_after = 429, exc.retry_after
        except InputError as exc:
            field = "password" if "password" in exc.message else "email"
            errors[field] = error_text(reader, exc)
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:  # whoever was signed in here is not who is making this account
        service.sign_out(token=previous, client=client_address(request))
    if errors:
        context = {"next": target, "form": {"email": email, "name": name}, "errors": errors}
        response = _render(request, "wallet/sign_up.html", context, signed_in=None, lang=reader, status=status)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
    else:
        hours = int(service.sign_up_lifetime.total_seconds() // 3600)
        sent = {"email": email.strip().lower(), "hours": str(hours), "next": target}
        response = _render(request, "wallet/sign_up_sent.html", sent, signed_in=None, lang=reader)
    if previous:
        secure = request.url.scheme == "https"
        response.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="lax")
    return response


# -- claiming -----------------------------------------------------------------------------------------


@router.get("/claim/{token}/wallet", response_class=HTMLResponse)
def claim_to_wallet_form(request: Request, token: str, signed_in: SignedInDep, lang: LangQuery = None) -> Response:
    """Confirm adding a claimed award to the signed-in learner's wallet."""
    reader = reader_language(request, lang)
    view = container(request).issuing.by_claim_token(token[:200])
    if view is None:
        return _render(
            request,
            "wallet/claim.html",
            {"token": "", "errors": {"claim": say(reader, "This claim link is not valid")}},
            signed_in=signed_in,
            lang=reader,
            status=404,
        )
    context = {"token": token[:200], "definition": view.definition}
    return _render(request, "wallet/claim.html", context, signed_in=signed_in, lang=reader)


@router.post("/claim/{token}/wallet", response_class=HTMLResponse, dependencies=Post)
def claim_to_wallet(request: Request, token: str, signed_in: SignedInDep, lang: LangQuery = None) -> Response:
    """Add the award to the wallet when the account's email is the one it was awarded to and is verified
    (403 otherwise: the page offers a sign-in link sent to the address the award went to)."""
    reader = reader_language(request, lang)
    try:
        item = wallet_service(request).add_from_claim(signed_in.account.id, signed_in.account.email, token[:200])
    except CairnError as exc:
        if exc.status not in (400, 403, 404, 409):
            raise
        context = {"token": token[:200], "errors": {"claim": say(reader, exc.message)}}
        return _render(request, "wallet/claim.html", context, signed_in=signed_in, lang=reader, status=exc.status)
    return RedirectResponse(f"/wallet/{item.id}?done=added", status_code=303)


# -- the wallet -----------------------------------------------------------------------------------------


@router.get("/wallet", response_class=HTMLResponse)
def wallet_page(
    request: Request,
    signed_in: SignedInDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    tag: Annotated[str | None, Query(max_length=60)] = None,
    collection: Annotated[str | None, Query(max_length=20)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    view: Annotated[str | None, Query(max_length=20)] = None,
    lang: LangQuery = None,
) -> Response:
    """The credentials, filtered, as a list, a timeline or a collection of badges."""
    reader = reader_language(request, lang)
    service = wallet_service(request)
    account = signed_in.account.id
    chosen = int(collection) if collection and collection.isdigit() else None
    wanted = status if status in STATUSES else None
    items = service.list(account, q=q or None, tag=tag or None, collection=chosen, status=wanted)
    filtered = bool(q or tag or chosen or wanted)
    everything = service.list(account) if filtered else items  # one more read only when a filter narrowed it
    timeline = service.timeline(account, items=everything) if view == "timeline" else []
    shown = view if view in ("timeline", "collection") else "list"
    context = {
        "items": items,
        "timeline": timeline,
        "view": shown,
        "q": q or "",
        "tag": tag or "",
        "collection": chosen,
        "status": wanted or "",
        "filtered": filtered,
        "tags": service.tags(account, items=everything),
        "collections": service.collections(account),
        "statuses": STATUSES,
        "pending": container(request).receiving.pending.list(account),
    }
    return _render(request, "wallet/list.html", context, signed_in=signed_in, lang=reader)


def _import_page(
    request: Request, signed_in: SignedIn, lang: str, *, errors: dict[str, str] | None = None, status: int = 200
) -> HTMLResponse:
    context = {"errors": errors or {}, "max_bytes": wallet_service(request).max_upload_bytes}
    return _render(request, "wallet/import.html", context, signed_in=signed_in, lang=lang, status=status)


@router.get("/wallet/import", response_class=HTMLResponse)
def import_form(request: Request, signed_in: SignedInDep, lang: LangQuery = None) -> Response:
    """Paste, upload or give a URL."""
    return _import_page(request, signed_in, reader_language(request, lang))


@router.post("/wallet/import", response_class=HTMLResponse, dependencies=Post)
def import_credential(
    request: Request,
    signed_in: SignedInDep,
    text: Annotated[str | None, Form(max_length=MAX_TEXT)] = None,
    url: Annotated[str | None, Form(max_length=2000)] = None,
    file: Annotated[UploadFile | None, File()] = None,
    lang: LangQuery = None,
) -> Response:
    """Verify and add one credential; a forgery, a duplicate or an oversize file is refused with the reason.

    A plain ``def`` (FastAPI runs it in its thread pool): verifying, fetching the URL and storing block."""
    reader = reader_language(request, lang)
    service = wallet_service(request)
    account = signed_in.account.id
    field = "text"
    try:
        if file is not None and file.filename:
            field = "file"
            data = file.file.read(service.max_upload_bytes + 1)
            item = service.import_credential(account, data, source="upload", filename=file.filename)
        elif url and url.strip():
            field = "url"
            item = service.import_url(account, url)
        elif text and text.strip():
            item = service.import_credential(account, text, source="paste")
        else:
            raise InputError("paste a credential, choose a file or enter a web address")
    except CairnError as exc:
        if exc.status not in (400, 409, 422):
            raise
        return _import_page(request, signed_in, reader, errors={field: say(reader, exc.message)}, status=exc.status)
    done = "unreachable" if issuer_unreachable(item.report) else "added"
    return RedirectResponse(f"/wallet/{item.id}?done={done}", status_code=303)


def _detail(
    request: Request,
    signed_in: SignedIn,
    item: WalletItem,
    lang: str,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    service = wallet_service(request)
    checks = [
        {
            **c,
            "title": CHECK_TITLES.get(str(c.get("check")), str(c.get("check"))),
            "why": EXPLANATIONS.get(c["check"], ""),
        }
        for c in item.report.get("checks", [])
        if isinstance(c, Mapping) and "check" in c
    ]
    member_of = {c.id for c in item.collections}
    names = credential_names(request, [item.document], lang)
    context = {
        "item": item,
        "rows": credential_rows(item.document, lang, names=names) if item.document else [],
        "skills": skills_of(item.document, lang, names),
        "checks": checks,
        "collections": service.collections(signed_in.account.id),
        "member_of": member_of,
        "errors": errors or {},
        "edc_available": bool(item.award_id) and container(request).seals.exportable(item.award_id or ""),
    }
    return _render(request, "wallet/detail.html", context, signed_in=signed_in, lang=lang, status=status)


@router.get("/wallet/{credential_id:uuid}", response_class=HTMLResponse)
def detail(request: Request, signed_in: SignedInDep, credential_id: uuid.UUID, lang: LangQuery = None) -> Response:
    """One credential: verdict, Annex I elements, skills, tags and collections (re-checked when old)."""
    reader = reader_language(request, lang)
    item = wallet_service(request).get(signed_in.account.id, str(credential_id))
    return _detail(request, signed_in, item, reader)


@router.post("/wallet/{credential_id:uuid}/tags", response_class=HTMLResponse, dependencies=Post)
def save_tags(
    request: Request,
    signed_in: SignedInDep,
    credential_id: uuid.UUID,
    tags: Annotated[str, Form(max_length=2000)] = "",
    lang: LangQuery = None,
) -> Response:
    """Replace the tags (comma-separated)."""
    reader = reader_language(request, lang)
    service = wallet_service(request)
    try:
        service.set_tags(signed_in.account.id, str(credential_id), [t for t in tags.split(",") if t.strip()])
    except InputError as exc:
        item = service.get(signed_in.account.id, str(credential_id))
        return _detail(request, signed_in, item, reader, errors={"tags": say(reader, exc.message)}, status=400)
    return RedirectResponse(f"/wallet/{credential_id}?done=tags#organise", status_code=303)


@router.post("/wallet/{credential_id:uuid}/collections", dependencies=Post)
def save_collections(
    request: Request,
    signed_in: SignedInDep,
    credential_id: uuid.UUID,
    collection: Annotated[list[Annotated[int, Field(ge=0, le=MAX_ROW_ID)]] | None, Form(max_length=200)] = None,
) -> Response:
    """Set which collections the credential is in (the ticked ones)."""
    service = wallet_service(request)
    account = signed_in.account.id
    item = service.get(account, str(credential_id))
    wanted = set((collection or [])[:200])
    for known in service.collections(account):
        service.set_membership(account, known.id, item.id, member=known.id in wanted)
    return RedirectResponse(f"/wallet/{credential_id}?done=collections#organise", status_code=303)


@router.post("/wallet/{credential_id:uuid}/recheck", dependencies=Post)
def recheck(request: Request, signed_in: SignedInDep, credential_id: uuid.UUID) -> Response:
    """Verify the credential again now."""
    wallet_service(request).recheck(signed_in.account.id, str(credential_id))
    return RedirectResponse(f"/wallet/{credential_id}?done=rechecked", status_code=303)


@router.post("/wallet/{credential_id:uuid}/notice", dependencies=Post)
def dismiss_notice(
    request: Request,
    signed_in: SignedInDep,
    credential_id: uuid.UUID,
    back: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """The learner has read the notice about the credential's changed status: it is not shown again."""
    wallet_service(request).dismiss_notice(signed_in.account.id, str(credential_id))
    target = "/wallet" if back == "list" else f"/wallet/{credential_id}"
    return RedirectResponse(target, status_code=303)


@router.post("/wallet/{credential_id:uuid}/remove", dependencies=Post)
def remove(request: Request, signed_in: SignedInDep, credential_id: uuid.UUID) -> Response:
    """Remove the credential from the wallet."""
    wallet_service(request).remove(signed_in.account.id, str(credential_id))
    return RedirectResponse("/wallet?done=removed", status_code=303)


# -- collections --------------------------------------------------------------------------------------


def _collections_page(
    request: Request, signed_in: SignedIn, lang: str, *, errors: dict[str, str] | None = None, status: int = 200
) -> HTMLResponse:
    context = {"collections": wallet_service(request).collections(signed_in.account.id), "errors": errors or {}}
    return _render(request, "wallet/collections.html", context, signed_in=signed_in, lang=lang, status=status)


@router.get("/wallet/collections", response_class=HTMLResponse)
def collections_page(request: Request, signed_in: SignedInDep, lang: LangQuery = None) -> Response:
    """The collections, with forms to add, rename and delete."""
    return _collections_page(request, signed_in, reader_language(request, lang))


@router.post("/wallet/collections", response_class=HTMLResponse, dependencies=Post)
def create_collection(
    request: Request, signed_in: SignedInDep, name: Annotated[str, Form(max_length=300)] = "", lang: LangQuery = None
) -> Response:
    """Create a collection."""
    reader = reader_language(request, lang)
    try:
        wallet_service(request).create_collection(signed_in.account.id, name)
    except (InputError, ConflictError) as exc:
        errors = {"collection-name": say(reader, exc.message)}
        return _collections_page(request, signed_in, reader, errors=errors, status=exc.status)
    return RedirectResponse("/wallet/collections?done=created", status_code=303)


@router.post("/wallet/collections/{collection_id:int}/rename", response_class=HTMLResponse, dependencies=Post)
def rename_collection(
    request: Request,
    signed_in: SignedInDep,
    collection_id: RowId,
    name: Annotated[str, Form(max_length=300)] = "",
    lang: LangQuery = None,
) -> Response:
    """Rename a collection."""
    reader = reader_language(request, lang)
    try:
        wallet_service(request).rename_collection(signed_in.account.id, collection_id, name)
    except (InputError, ConflictError) as exc:
        errors = {f"rename-{collection_id}": say(reader, exc.message)}
        return _collections_page(request, signed_in, reader, errors=errors, status=exc.status)
    return RedirectResponse("/wallet/collections?done=renamed", status_code=303)


@router.post("/wallet/collections/{collection_id:int}/delete", dependencies=Post)
def delete_collection(request: Request, signed_in: SignedInDep, collection_id: RowId) -> Response:
    """Delete a collection (the credentials stay)."""
    wallet_service(request).delete_collection(signed_in.account.id, collection_id)
    return RedirectResponse("/wallet/collections?done=deleted", status_code=303)


# -- presenting -------------------------------------------------------------------------------------


def _present_page(
    request: Request,
    signed_in: SignedIn,
    lang: str,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = {
        "items": wallet_service(request).list(signed_in.account.id),
        "form": form or {"format": "jwt", "ids": []},
        "errors": errors or {},
    }
    return _render(request, "wallet/present.html", context, signed_in=signed_in, lang=lang, status=status)


@router.get("/wallet/present", response_class=HTMLResponse)
def present_form(request: Request, signed_in: SignedInDep, lang: LangQuery = None) -> Response:
    """Choose credentials and enter the verifier's challenge and domain."""
    return _present_page(request, signed_in, reader_language(request, lang))


@router.post("/wallet/present", response_class=HTMLResponse, dependencies=Post)
def present(
    request: Request,
    signed_in: SignedInDep,
    ids: Annotated[list[str] | None, Form(max_length=50)] = None,
    challenge: Annotated[str, Form(max_length=500)] = "",
    domain: Annotated[str, Form(max_length=500)] = "",
    format: Annotated[str, Form(max_length=10)] = "jwt",
    lang: LangQuery = None,
) -> Response:
    """The signed presentation, as a file to hand to the verifier."""
    reader = reader_language(request, lang)
    chosen = [i[:36] for i in (ids or [])][:50]
    kind: Literal["jwt", "di"] = "di" if format == "di" else "jwt"
    try:
        vp = wallet_service(request).present(signed_in.account.id, chosen, challenge, domain, format=kind)
    except InputError as exc:
        message = exc.message
        field = "challenge" if "challenge" in message else "domain" if "domain" in message else "credentials"
        form = {"ids": chosen, "challenge": challenge, "domain": domain, "format": kind}
        errors = {field: say(reader, message)}
        return _present_page(request, signed_in, reader, form=form, errors=errors, status=400)
    headers = {"Cache-Control": "no-store"}
    if isinstance(vp, str):
        headers["Content-Disposition"] = 'attachment; filename="presentation.jwt"'
        return Response(vp, media_type="application/vp+jwt", headers=headers)
    headers["Content-Disposition"] = 'attachment; filename="presentation.json"'
    body = json.dumps(vp, indent=2, ensure_ascii=False)
    return Response(body, media_type="application/vp+ld+json", headers=headers)


# -- export, import, erase -------------------------------------------------------------------------


@router.get("/wallet/export")
def export(request: Request, signed_in: SignedInDep) -> Response:
    """Everything in the wallet as a zip (credentials and a JSON manifest)."""
    data = wallet_service(request).export_zip(signed_in.account.id)
    headers = {"Content-Disposition": 'attachment; filename="cairn-wallet.zip"', "Cache-Control": "no-store"}
    return Response(data, media_type="application/zip", headers=headers)


@router.get("/wallet/import-export", response_class=HTMLResponse)
def import_export_form(request: Request, signed_in: SignedInDep, lang: LangQuery = None) -> Response:
    """Download everything, or bring a zip from another Cairn."""
    reader = reader_language(request, lang)
    return _render(request, "wallet/import_export.html", {"result": None}, signed_in=signed_in, lang=reader)


@router.post("/wallet/import-export", response_class=HTMLResponse, dependencies=Post)
def import_zip(
    request: Request, signed_in: SignedInDep, file: Annotated[UploadFile | None, File()] = None, lang: LangQuery = None
) -> Response:
    """Import an export zip: each credential verified again; a summary of what was added and refused.

    A plain ``def`` (FastAPI runs it in its thread pool): reading the zip and verifying each credential block."""
    reader = reader_language(request, lang)
    service = wallet_service(request)
    try:
        if file is None or not file.filename:
            raise InputError("choose the zip file to import")
        data = file.file.read(service.max_upload_bytes + 1)
        result = service.import_zip(signed_in.account.id, data)
    except InputError as exc:
        context = {"result": None, "errors": {"zip": say(reader, exc.message)}}
        return _render(request, "wallet/import_export.html", context, signed_in=signed_in, lang=reader, status=400)
    return _render(request, "wallet/import_export.html", {"result": result}, signed_in=signed_in, lang=reader)


@router.get("/account/delete", response_class=HTMLResponse)
def delete_form(request: Request, signed_in: SignedInDep, lang: LangQuery = None) -> Response:
    """Ask for the email before deleting the account and everything in it."""
    reader = reader_language(request, lang)
    return _render(request, "wallet/delete.html", {"done": False}, signed_in=signed_in, lang=reader)


@router.post("/account/delete", response_class=HTMLResponse, dependencies=Post)
def delete_account(
    request: Request,
    signed_in: SignedInDep,
    confirm_email: Annotated[str, Form(max_length=320)] = "",
    lang: LangQuery = None,
) -> Response:
    """Erase the account when the typed email matches; the session ends with it."""
    reader = reader_language(request, lang)
    try:
        wallet_service(request).erase(signed_in.account.id, confirm_email)
    except (InputError, ConflictError) as exc:
        message = (
            say(reader, LastOwnerError.MESSAGE, organisations=", ".join(exc.organisations))
            if isinstance(exc, LastOwnerError)
            else say(reader, exc.message)
        )
        context = {"done": False, "errors": {"confirm-email": message}}
        return _render(request, "wallet/delete.html", context, signed_in=signed_in, lang=reader, status=exc.status)
    response = _render(request, "wallet/delete.html", {"done": True}, signed_in=None, lang=reader)
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=request.url.scheme == "https", httponly=True, samesite="lax"
    )
    return response
