"""Awarding pages of an organisation: the list of awards, a single award, bulk awards from a CSV or XLSX
upload, and each award with its credential, a verification and revocation or suspension.

Routes (include :data:`router` in the app; every ``POST`` needs the CSRF token, as a ``csrf_token`` form
field or an ``X-CSRF-Token`` header):

- ``GET /orgs/{slug}/awards`` — the awards, newest first, with their status, a filter and pages (viewer and
  up; issuers also see the links to award);
- ``GET|POST /orgs/{slug}/awards/new`` — award one learner (issuer and up); the answer shows the award
  and its claim link, which the learner is also sent by email;
- ``GET|POST /orgs/{slug}/awards/bulk`` — upload a CSV or XLSX file (multipart, at most
  ``CAIRN_MAX_UPLOAD_BYTES``): every row is checked first and nothing is written while any has a
  problem; a clean file is awarded by a job whose page (:mod:`cairn.web.issuing.bulk_jobs`) shows its progress
  live, then reports it row by row (issuer and up);
  ``GET /orgs/{slug}/awards/bulk/template.csv`` is an example file;
- ``GET /orgs/{slug}/awards/{award_id}`` — the award, its status and its credential (viewer and up), with
  forms to revoke, suspend and reinstate it for issuers; ``…/credential`` downloads the credential,
  ``…/verify`` verifies it as anyone would; ``POST …/revoke``, ``…/suspend``, ``…/unsuspend`` change its
  status (issuer and up; a reason is required, and revoking asks for confirmation);
- ``POST /orgs/{slug}/awards/{award_id}/claim/resend`` emails the learner a fresh claim link (the issuer types
  the address the award was made to; Cairn keeps only its hash) and ``…/claim/regenerate`` shows a fresh one
  once, to hand over another way; either makes the old link stop working, at most once every ten minutes an
  award (issuer and up); the bulk form's ``action=resend`` re-sends to every unclaimed learner of the bulk job
  that awarded the uploaded file.

Another organisation's award answers 404, as does an organisation the caller is no member of.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any, Final
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cairn.errors import ConflictError, InputError, NotFoundError, TooManyAttemptsError
from cairn.model.types import pick
from cairn.services.accounts.service import OrganisationAccess, Role, SignedIn
from cairn.services.issuing.queries import DEFAULT_PER_PAGE, MAX_QUERY, STATUSES
from cairn.services.issuing.status_lists import MAX_REASON
from cairn.vc.report import CHECK_TITLES
from cairn.web.deps import container, csrf_protect, current_account, require_role
from cairn.web.i18n import reader_language
from cairn.web.issuing.bulk import Upload, read_upload, template_csv, upload_form
from cairn.web.issuing.forms import check_text, definition_choices, edc_offer, read_recipient
from cairn.web.render import error_text, render

__all__ = ["SHOWN_ROWS", "IssuerDep", "IssuerPost", "SignedInDep", "award_page_response", "awards_base", "router"]

router = APIRouter(include_in_schema=False)

SHOWN_ROWS: Final = 200
"""Rows of a bulk report shown on the page (the CSV has them all)."""
_NOTICES: Final = {
    "revoked": "The award is revoked. Verifiers see it as revoked from now on; this cannot be undone.",
    "suspended": "The award is suspended. Verifiers see it as suspended until it is reinstated.",
    "unsuspended": "The award is reinstated: it is valid again.",
    "unchanged": "Nothing changed: the award already had that status.",
    "resent": "A fresh claim link is on its way to the learner; the earlier link no longer works.",
    "renewed": "The award is renewed: this is the new credential, with its own claim link sent to the learner.",
    "renewed-before": "The award was already renewed: this is its renewal.",
}

_viewer = require_role(Role.VIEWER)
_issuer = require_role(Role.ISSUER)
ViewerDep = Annotated[OrganisationAccess, Depends(_viewer)]
IssuerDep = Annotated[OrganisationAccess, Depends(_issuer)]
IssuerPost = [Depends(_issuer), Depends(csrf_protect)]
"""Issuer role first (so nobody else's body is even read), then the CSRF token."""
SignedInDep = Annotated[SignedIn, Depends(current_account)]
UploadDep = Annotated[Upload, Depends(read_upload)]


def _render(
    request: Request, template: str, context: dict[str, Any], *, signed_in: SignedIn, status: int = 200
) -> HTMLResponse:
    full = {**context, "base": _base(context["access"].organisation)}
    return render(request, template, full, status=status, signed_in=signed_in)


def _base(slug: str) -> str:
    return f"/orgs/{quote(slug)}/awards"


# -- the list ---------------------------------------------------------------------------------------


@router.get("/orgs/{slug}/awards", response_class=HTMLResponse)
def awards_page(
    request: Request,
    access: ViewerDep,
    signed_in: SignedInDep,
    q: Annotated[str, Query(max_length=1000)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    definition: Annotated[str, Query(max_length=80)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """The organisation's awards, newest first, with their status; filter by text and status, in pages."""
    errors: dict[str, str] = {}
    query = " ".join(q.split())
    if len(query) > MAX_QUERY:
        errors["q"] = f"The filter is longer than {MAX_QUERY} characters; use a few words, an id or an email."
        query = ""
    if status and status not in STATUSES:
        errors["status"] = f"Choose a status: {', '.join(STATUSES)}, or any."
        status = ""
    listing = container(request).award_queries.list_awards(
        access.organisation,
        query=query,
        status=status or None,
        definition=definition or None,
        page=page,
        per_page=DEFAULT_PER_PAGE,
    )
    filters = {k: v for k, v in (("q", listing.query), ("status", status), ("definition", definition)) if v}
    figures = container(request).award_queries.claim_statistics(
        access.organisation, query=query, status=status or None, definition=definition or None
    )
    context = {
        "figures": figures,
        "access": access,
        "listing": listing,
        "errors": errors,
        "form": {"q": q if errors.get("q") else query, "status": status, "definition": definition},
        "statuses": STATUSES,
        "definitions": definition_choices(request, access.organisation),
        "can_award": access.role.covers(Role.ISSUER),
        "page_url": lambda n: "?" + urlencode({**filters, "page": n}),
    }
    return _render(request, "awards/list.html", context, signed_in=signed_in, status=400 if errors else 200)


# -- one award --------------------------------------------------------------------------------------


def _new_page(
    request: Request,
    access: OrganisationAccess,
    signed_in: SignedIn,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    definitions = definition_choices(request, access.organisation)
    values = form or {"definition": request.query_params.get("definition", "")[:80]}
    context = {"access": access, "definitions": definitions, "form": values, "errors": errors or {}}
    return _render(request, "awards/new.html", context, signed_in=signed_in, status=status)


@router.get("/orgs/{slug}/awards/new", response_class=HTMLResponse)
def new_award_page(request: Request, access: IssuerDep, signed_in: SignedInDep) -> Response:
    """The single-award form."""
    return _new_page(request, access, signed_in)


@router.post("/orgs/{slug}/awards/new", response_class=HTMLResponse, dependencies=IssuerPost)
def award_one(
    request: Request,
    access: IssuerDep,
    signed_in: SignedInDep,
    definition: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=5000)] = "",
    email: Annotated[str, Form(max_length=5000)] = "",
    did: Annotated[str, Form(max_length=5000)] = "",
    external_id: Annotated[str, Form(max_length=5000)] = "",
    grade: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Award a micro-credential to one learner (asking twice answers the award already made)."""
    form = {"definition": definition, "name": name, "email": email, "did": did}
    form |= {"external_id": external_id, "grade": grade}
    errors: dict[str, str] = {}
    choices = {c.id: c for c in definition_choices(request, access.organisation)}
    if definition not in choices:
        errors["definition"] = "Micro-credential: choose one from the list."
    recipient = read_recipient(form, errors)
    external = check_text(errors, "external_id", "External id", external_id)
    grade_given = check_text(errors, "grade", "Grade", grade)
    if errors or recipient is None:
        return _new_page(request, access, signed_in, form=form, errors=errors, status=400)
    try:
        result = container(request).issuing.award(
            definition,
            recipient,
            actor=signed_in.account.actor,
            external_id=external,
            grade=grade_given,
            organisation=access.organisation,
            language=reader_language(request),
        )
    except NotFoundError:
        errors["definition"] = "Micro-credential: it is not one your organisation awards; choose one from the list."
        return _new_page(request, access, signed_in, form=form, errors=errors, status=400)
    except ConflictError as exc:  # co-awarding bodies that have not accepted, or a draft
        errors["definition"] = f"Micro-credential: {error_text(reader_language(request), exc)}"
        return _new_page(request, access, signed_in, form=form, errors=errors, status=exc.status)
    context = {
        "access": access,
        "result": result,
        "award": container(request).award_queries.get(access.organisation, result.award_id),
        "recipient": recipient,
        "choice": choices[definition],
    }
    return _render(request, "awards/created.html", context, signed_in=signed_in, status=201 if result.created else 200)


# -- bulk awards ------------------------------------------------------------------------------------


def _bulk_page(
    request: Request,
    access: OrganisationAccess,
    signed_in: SignedIn,
    *,
    upload: Upload | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    settings = container(request).settings
    full = {
        "access": access,
        "definitions": definition_choices(request, access.organisation),
        "form": {"definition": upload.definition if upload else request.query_params.get("definition", "")[:80]},
        "filename": upload.filename if upload and upload.data is not None else "",
        "max_bytes": settings.max_upload_bytes,
        "shown_rows": SHOWN_ROWS,
        "check": None,
        "resent": None,
        **context,
    }
    return _render(request, "awards/bulk.html", full, signed_in=signed_in, status=status)


@router.get("/orgs/{slug}/awards/bulk", response_class=HTMLResponse)
def bulk_page(request: Request, access: IssuerDep, signed_in: SignedInDep) -> Response:
    """The bulk-award form: a definition and a CSV or XLSX file."""
    return _bulk_page(request, access, signed_in)


@router.get("/orgs/{slug}/awards/bulk/template.csv")
def bulk_template(access: IssuerDep) -> Response:
    """An example file with every column a bulk award reads."""
    headers = {"Content-Disposition": 'attachment; filename="cairn-bulk-award-template.csv"'}
    return Response(template_csv(), media_type="text/csv; charset=utf-8", headers=headers)


@router.post(
    "/orgs/{slug}/awards/bulk",
    response_class=HTMLResponse,
    dependencies=[Depends(_issuer), Depends(upload_form), Depends(csrf_protect)],
)
def bulk_award(request: Request, access: IssuerDep, signed_in: SignedInDep, upload: UploadDep) -> Response:
    """Check the file row by row; with ``action=award`` and no problem, queue the award as a job and go to its page."""
    errors: dict[str, str] = {}
    choices = {c.id for c in definition_choices(request, access.organisation)}
    if upload.definition not in choices:
        errors["definition"] = "Micro-credential: choose one from the list."
    if upload.data is None:
        errors["file"] = "File: choose a CSV or XLSX file to upload."
    elif not upload.data:
        errors["file"] = "File: the file is empty."
    if errors or upload.data is None:
        return _bulk_page(request, access, signed_in, upload=upload, errors=errors, status=400)
    services = container(request)
    check = services.bulk.check(upload.data, filename=upload.filename)
    if not check.ok:
        errors["file"] = (
            f"File: {check.problem_count} problem{'s' if check.problem_count != 1 else ''} found; "
            "nothing was awarded. Each is listed below with its row and column."
        )
        return _bulk_page(request, access, signed_in, upload=upload, errors=errors, check=check, status=400)
    if upload.action == "resend":
        return _bulk_resend(request, access, signed_in, upload)
    if upload.action != "award":
        return _bulk_page(request, access, signed_in, upload=upload, check=check)
    try:
        upload_id = services.bulk_uploads.submit(
            upload.data,
            filename=upload.filename,
            definition=upload.definition,
            organisation=access.organisation,
            actor=signed_in.account.actor,
            check=check,
        )
    except NotFoundError:
        errors["definition"] = "Micro-credential: it is not one your organisation awards; choose one from the list."
        return _bulk_page(request, access, signed_in, upload=upload, errors=errors, status=400)
    except ConflictError as exc:  # co-awarding bodies that have not accepted, or a draft
        errors["definition"] = f"Micro-credential: {error_text(reader_language(request), exc)}"
        return _bulk_page(request, access, signed_in, upload=upload, errors=errors, status=exc.status)
    return RedirectResponse(f"{_base(access.organisation)}/bulk/jobs/{upload_id}", status_code=303)


def _bulk_resend(request: Request, access: OrganisationAccess, signed_in: SignedIn, upload: Upload) -> Response:
    """Re-send claim links to the unclaimed learners of the bulk job that awarded the uploaded file."""
    services = container(request)
    assert upload.data is not None
    try:
        resent = services.claims.resend_job(
            upload.data,
            filename=upload.filename,
            organisation=access.organisation,
            actor=signed_in.account.actor,
            max_bytes=services.settings.max_upload_bytes,
        )
    except (NotFoundError, InputError) as exc:
        errors = {"file": f"File: {error_text(reader_language(request), exc)}"}
        return _bulk_page(request, access, signed_in, upload=upload, errors=errors, status=exc.status)
    return _bulk_page(request, access, signed_in, upload=upload, resent=resent)


# -- one award: show, download, verify, revoke, suspend ---------------------------------------------


def _title_shown(request: Request, title: str, definition: str | None, version: int) -> str:
    """The awarded version's title in the reader's language where it is given in it, else the award's (for the
    page's <title>, where no ``lang`` can mark it)."""
    if not definition:
        return title
    try:
        given = container(request).catalog.entry(definition, version).definition.title
    except NotFoundError:
        return title
    lang = reader_language(request)
    found_lang, found = pick(given, lang)
    return found if found and found_lang.split("-")[0] == lang else title


def _award_page(
    request: Request,
    access: OrganisationAccess,
    signed_in: SignedIn,
    award_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    view = container(request).issuing.get(str(award_id), organisation=access.organisation)
    credential = view.credential
    award = container(request).award_queries.get(access.organisation, view.award_id)
    context = {
        "access": access,
        "view": view,
        "award": award,
        "title_shown": _title_shown(request, award.title, award.definition, award.version),
        "credential_text": credential if isinstance(credential, str) else json.dumps(credential, indent=2),
        "is_jwt": isinstance(credential, str),
        "can_change": access.role.covers(Role.ISSUER),
        "errors": errors or {},
        "form": form or {},
        "notice": _NOTICES.get(request.query_params.get("done", "")),
        "max_reason": MAX_REASON,
        "expired": view.valid_until is not None and view.valid_until <= container(request).issuing.now(),
        "claim_link": None,
        "edc": edc_offer(request, access),
        **extra,
    }
    return _render(request, "awards/award.html", context, signed_in=signed_in, status=status)


award_page_response = _award_page
"""One award's page (with ``errors`` and ``form`` when a form on it was refused): for the renewal route."""
awards_base = _base


@router.get("/orgs/{slug}/awards/{award_id:uuid}", response_class=HTMLResponse)
def award_page(request: Request, access: ViewerDep, signed_in: SignedInDep, award_id: uuid.UUID) -> Response:
    """One award: status, facts, the credential; for issuers, forms to revoke, suspend or reinstate."""
    return _award_page(request, access, signed_in, award_id)


@router.get("/orgs/{slug}/awards/{award_id:uuid}/credential")
def credential_download(request: Request, access: ViewerDep, award_id: uuid.UUID) -> Response:
    """The signed credential as a file: JSON-LD with its proof, or a JWT."""
    view = container(request).issuing.get(str(award_id), organisation=access.organisation)
    if isinstance(view.credential, str):
        body, media_type, suffix = view.credential, "application/vc+jwt", "jwt"
    else:
        body, media_type, suffix = json.dumps(view.credential, indent=2, ensure_ascii=False), "application/vc", "json"
    headers = {"Content-Disposition": f'attachment; filename="credential-{view.award_id}.{suffix}"'}
    headers["Cache-Control"] = "no-store"
    return Response(body, media_type=media_type, headers=headers)


@router.get("/orgs/{slug}/awards/{award_id:uuid}/verify", response_class=HTMLResponse)
def verify_page(request: Request, access: ViewerDep, signed_in: SignedInDep, award_id: uuid.UUID) -> Response:
    """Verify the award's credential now, as a verifier would: proof, issuer key, validity, status."""
    instance = container(request)
    view = instance.issuing.get(str(award_id), organisation=access.organisation)
    report = instance.verification.verify(view.credential)
    context = {"access": access, "view": view, "report": report, "check_titles": CHECK_TITLES}
    context["award"] = container(request).award_queries.get(access.organisation, view.award_id)
    return _render(request, "awards/verify.html", context, signed_in=signed_in)


def _change(
    request: Request,
    access: OrganisationAccess,
    signed_in: SignedIn,
    award_id: uuid.UUID,
    *,
    action: str,
    reason: str,
    confirmed: bool = True,
) -> Response:
    errors: dict[str, str] = {}
    reason = " ".join(reason.split())
    if not reason:
        errors[f"{action}-reason"] = "Reason: say why; it is kept in the audit log."
    elif len(reason) > MAX_REASON:
        errors[f"{action}-reason"] = f"Reason: at most {MAX_REASON} characters."
    if not confirmed:
        errors[f"{action}-confirm"] = "Confirm: tick the box to confirm that the revocation cannot be undone."
    form = {f"{action}-reason": reason}
    if errors:
        return _award_page(request, access, signed_in, award_id, errors=errors, form=form, status=400)
    lists = container(request).status_lists
    change = {"revoke": lists.revoke, "suspend": lists.suspend, "unsuspend": lists.unsuspend}[action]
    try:
        done = change(str(award_id), reason=reason, actor=signed_in.account.actor, organisation=access.organisation)
    except (ConflictError, InputError) as exc:
        key = "change-status" if isinstance(exc, ConflictError) else f"{action}-reason"
        errors[key] = exc.message[0].upper() + exc.message[1:] + "."
        status = 409 if isinstance(exc, ConflictError) else 400
        return _award_page(request, access, signed_in, award_id, errors=errors, form=form, status=status)
    notice = {"revoke": "revoked", "suspend": "suspended", "unsuspend": "unsuspended"}[action]
    target = f"{_base(access.organisation)}/{award_id}?done={notice if done.changed else 'unchanged'}"
    return RedirectResponse(target, status_code=303)


ReasonField = Annotated[str, Form(max_length=20_000)]


@router.post("/orgs/{slug}/awards/{award_id:uuid}/revoke", response_class=HTMLResponse, dependencies=IssuerPost)
def revoke(
    request: Request,
    access: IssuerDep,
    signed_in: SignedInDep,
    award_id: uuid.UUID,
    reason: ReasonField = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Revoke the award for good (a reason and a ticked confirmation are required)."""
    return _change(request, access, signed_in, award_id, action="revoke", reason=reason, confirmed=confirm == "yes")


@router.post("/orgs/{slug}/awards/{award_id:uuid}/suspend", response_class=HTMLResponse, dependencies=IssuerPost)
def suspend(
    request: Request, access: IssuerDep, signed_in: SignedInDep, award_id: uuid.UUID, reason: ReasonField = ""
) -> Response:
    """Suspend the award until it is reinstated (a reason is required)."""
    return _change(request, access, signed_in, award_id, action="suspend", reason=reason)


@router.post("/orgs/{slug}/awards/{award_id:uuid}/unsuspend", response_class=HTMLResponse, dependencies=IssuerPost)
def unsuspend(
    request: Request, access: IssuerDep, signed_in: SignedInDep, award_id: uuid.UUID, reason: ReasonField = ""
) -> Response:
    """Reinstate a suspended award (a reason is required)."""
    return _change(request, access, signed_in, award_id, action="unsuspend", reason=reason)


# -- claim links ------------------------------------------------------------------------------------


def _claim_refused(
    request: Request,
    access: OrganisationAccess,
    signed_in: SignedIn,
    award_id: uuid.UUID,
    exc: InputError | ConflictError | TooManyAttemptsError,
    form: dict[str, str],
) -> Response:
    key = "claim-email" if isinstance(exc, InputError) else "claim"
    errors = {key: error_text(reader_language(request), exc)}
    response = _award_page(request, access, signed_in, award_id, errors=errors, form=form, status=exc.status)
    if isinstance(exc, TooManyAttemptsError):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@router.post("/orgs/{slug}/awards/{award_id:uuid}/claim/resend", response_class=HTMLResponse, dependencies=IssuerPost)
def resend_claim(
    request: Request,
    access: IssuerDep,
    signed_in: SignedInDep,
    award_id: uuid.UUID,
    email: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Email the learner a fresh claim link (the old one stops working)."""
    form = {"claim-email": email.strip()}
    try:
        container(request).claims.resend(
            str(award_id), organisation=access.organisation, email=email, actor=signed_in.account.actor
        )
    except (InputError, ConflictError, TooManyAttemptsError) as exc:
        return _claim_refused(request, access, signed_in, award_id, exc, form)
    return RedirectResponse(f"{_base(access.organisation)}/{award_id}?done=resent#claim", status_code=303)


@router.post(
    "/orgs/{slug}/awards/{award_id:uuid}/claim/regenerate", response_class=HTMLResponse, dependencies=IssuerPost
)
def regenerate_claim(request: Request, access: IssuerDep, signed_in: SignedInDep, award_id: uuid.UUID) -> Response:
    """A fresh claim link, shown once on the page answered, to hand to the learner another way."""
    try:
        link = container(request).claims.regenerate(
            str(award_id), organisation=access.organisation, actor=signed_in.account.actor
        )
    except (InputError, ConflictError, TooManyAttemptsError) as exc:
        return _claim_refused(request, access, signed_in, award_id, exc, {})
    response = _award_page(request, access, signed_in, award_id, claim_link=link)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
