"""Co-creation pages (see :mod:`cairn.services.catalog.cocreation`): the lead shares a draft for comments and
answers them; the reviewing organisation reads the draft and comments.

The lead (the definition's first awarding body):

- ``GET /orgs/{slug}/catalogue/{id}/review`` — who the draft is shared with, each thread, and (issuers and owners)
  the forms to share it, reply, mark a comment dealt with and end a share (viewer and up);
- ``POST …/review/share``, ``POST …/review/{share}/end``, ``POST …/review/{share}/comments``,
  ``POST …/review/{share}/comments/{comment}/resolve`` (issuer and up; the CSRF token).

The reviewing organisation (every member):

- ``GET /orgs/{slug}/shared-drafts`` — the drafts shared with it;
- ``GET /orgs/{slug}/shared-drafts/{share}`` — one draft, read-only, with every Annex I element, and its thread;
- ``POST /orgs/{slug}/shared-drafts/{share}/comments`` — a comment (the CSRF token).

Anyone else gets 404. Posted bodies are limited to :data:`MAX_BODY` bytes before they are read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cairn.errors import ConflictError, InputError, NotFoundError
from cairn.model.types import pick
from cairn.services.accounts.service import OrganisationAccess, Role, SignedIn
from cairn.services.catalog.cocreation import MAX_COMMENT, DraftShare
from cairn.web.catalog.views import entry_rows
from cairn.web.deps import RowId, body_at_most, container, csrf_protect, current_account, require_role
from cairn.web.i18n import LANGUAGES, reader_language
from cairn.web.render import error_text, render

__all__ = ["MAX_BODY", "router"]

router = APIRouter(include_in_schema=False)

MAX_BODY: Final = 64_000
"""The largest posted form, in bytes: a comment of :data:`MAX_COMMENT` characters, percent-encoded, fits."""

ViewerDep = Annotated[OrganisationAccess, Depends(require_role(Role.VIEWER))]
IssuerDep = Annotated[OrganisationAccess, Depends(require_role(Role.ISSUER))]
SignedInDep = Annotated[SignedIn, Depends(current_account)]
TextField = Annotated[str, Form(max_length=MAX_BODY)]
ReplyField = Annotated[str, Form(max_length=20)]
LeadPost = [Depends(require_role(Role.ISSUER)), Depends(body_at_most(MAX_BODY)), Depends(csrf_protect)]
ReviewerPost = [Depends(require_role(Role.VIEWER)), Depends(body_at_most(MAX_BODY)), Depends(csrf_protect)]
"""Membership first (so nobody else's body is even read), then the size, then the CSRF token."""

NOTICES: Final = {
    "shared": "Shared: the members of %(organisation)s can now read the draft and comment on it.",
    "ended": "Sharing with %(organisation)s has ended; its comments stay here.",
    "answered": "Your answer was added to the thread with %(organisation)s.",
    "resolved": "The comment is marked as dealt with.",
    "reopened": "The comment is open again.",
    "commented": "Your comment was sent to %(organisation)s.",
}


def _query(request: Request, **more: str) -> str:
    parts = [f"{k}={quote(v)}" for k, v in more.items()]
    lang = request.query_params.get("lang", "")
    if lang in LANGUAGES:
        parts.append(f"lang={lang}")
    return f"?{'&'.join(parts)}" if parts else ""


def _review_base(organisation: str, definition_id: str) -> str:
    return f"/orgs/{quote(organisation)}/catalogue/{quote(definition_id[:80])}/review"


def _shared_base(organisation: str) -> str:
    return f"/orgs/{quote(organisation)}/shared-drafts"


def _notice(request: Request, organisation: str) -> dict[str, str]:
    done = request.query_params.get("done", "")
    return {"notice": NOTICES[done], "notice_organisation": organisation} if done in NOTICES else {}


def _reply_choices(share: DraftShare, *, lead: bool) -> list[tuple[int, str, datetime]]:
    """The comments an answer may reply to (the other side's), newest first: (id, author, when)."""
    found = [(c.id, c.author_name, c.created_at) for c in reversed(share.comments) if c.by_lead != lead]
    return found[:50]


# -- the lead ---------------------------------------------------------------------------------------------


def _review_page(
    request: Request,
    access: OrganisationAccess,
    signed_in: SignedIn,
    definition_id: str,
    *,
    errors: dict[str, str] | None = None,
    kept: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    c = container(request)
    reader = reader_language(request)
    shares = c.cocreation.shares(access, definition_id)
    item = c.editing.entry(access.organisation, definition_id)
    active = {s.reviewer.id for s in shares if s.ended_at is None}
    others = [o for o in c.editing.organisations() if o.id != access.organisation and o.id not in active]
    done_for = request.query_params.get("share", "")
    named = next((pick(s.reviewer.legal_name, reader)[1] for s in shares if str(s.id) == done_for), "")
    context = {
        "access": access,
        "item": item,
        "definition_id": item.entry.definition.id,
        "title": pick(item.entry.definition.title, reader),
        "shares": shares,
        "others": [(o.id, pick(o.legal_name, reader)[1]) for o in others],
        "can_edit": access.role.covers(Role.ISSUER),
        "draft": item.entry.stored.state == "draft",
        "base": _review_base(access.organisation, definition_id),
        "catalogue": f"/orgs/{quote(access.organisation)}/catalogue",
        "query": _query(request),
        "errors": errors or {},
        "kept": kept or {},
        "max_comment": MAX_COMMENT,
        "reply_choices": {s.id: _reply_choices(s, lead=True) for s in shares},
        **_notice(request, named),
    }
    return render(request, "editor/review.html", context, status=status, signed_in=signed_in)


@router.get("/orgs/{slug}/catalogue/{definition_id}/review", response_class=HTMLResponse)
def review_page(request: Request, access: ViewerDep, signed_in: SignedInDep, definition_id: str) -> Response:
    """Who the draft is shared with, and what they said."""
    return _review_page(request, access, signed_in, definition_id)


def _done(request: Request, base: str, done: str, share: int) -> RedirectResponse:
    """Back to the page, whose notice takes the focus (no #fragment: a fragment's target would stop autofocus)."""
    return RedirectResponse(f"{base}{_query(request, done=done, share=str(share))}", status_code=303)


@router.post("/orgs/{slug}/catalogue/{definition_id}/review/share", dependencies=LeadPost)
def share(
    request: Request,
    access: IssuerDep,
    signed_in: SignedInDep,
    definition_id: str,
    organisation: Annotated[str, Form(max_length=600)] = "",
) -> Response:
    """Share the draft with another organisation."""
    try:
        shared = container(request).cocreation.share(access, definition_id, organisation, actor=signed_in.account.actor)
    except (InputError, ConflictError) as exc:
        errors = {"reviewer": error_text(reader_language(request), exc)}
        status = 409 if isinstance(exc, ConflictError) else 400
        return _review_page(request, access, signed_in, definition_id, errors=errors, status=status)
    base = _review_base(access.organisation, definition_id)
    return _done(request, base, "shared", shared.id)


@router.post("/orgs/{slug}/catalogue/{definition_id}/review/{share_id}/end", dependencies=LeadPost)
def end(request: Request, access: IssuerDep, signed_in: SignedInDep, definition_id: str, share_id: RowId) -> Response:
    """End a share: the organisation no longer sees the draft; its comments stay."""
    container(request).cocreation.unshare(access, definition_id, share_id, actor=signed_in.account.actor)
    return _done(request, _review_base(access.organisation, definition_id), "ended", share_id)


def _reply_to(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def _author(signed_in: SignedIn) -> str:
    return signed_in.account.display_name or signed_in.account.email


@router.post("/orgs/{slug}/catalogue/{definition_id}/review/{share_id}/comments", dependencies=LeadPost)
def answer(
    request: Request,
    access: IssuerDep,
    signed_in: SignedInDep,
    definition_id: str,
    share_id: RowId,
    text: TextField = "",
    reply_to: ReplyField = "",
) -> Response:
    """Answer in a thread (to one comment, or to the thread)."""
    c = container(request)
    if all(s.id != share_id for s in c.cocreation.shares(access, definition_id)):
        raise NotFoundError("There is nothing at this address.")
    try:
        c.cocreation.comment(
            access,
            share_id,
            text,
            actor=signed_in.account.actor,
            author_name=_author(signed_in),
            reply_to=_reply_to(reply_to),
        )
    except (InputError, ConflictError) as exc:
        errors = {f"answer-{share_id}": error_text(reader_language(request), exc)}
        status = 409 if isinstance(exc, ConflictError) else 400
        kept = {f"answer-{share_id}": text[:MAX_BODY]}
        return _review_page(request, access, signed_in, definition_id, errors=errors, kept=kept, status=status)
    base = _review_base(access.organisation, definition_id)
    return _done(request, base, "answered", share_id)


@router.post(
    "/orgs/{slug}/catalogue/{definition_id}/review/{share_id}/comments/{comment_id}/resolve", dependencies=LeadPost
)
def resolve(
    request: Request,
    access: IssuerDep,
    signed_in: SignedInDep,
    definition_id: str,
    share_id: RowId,
    comment_id: RowId,
    resolved: Annotated[str, Form(max_length=5)] = "yes",
) -> Response:
    """Mark a comment as dealt with, or open again."""
    done = resolved == "yes"
    container(request).cocreation.resolve(
        access, definition_id, share_id, comment_id, resolved=done, actor=signed_in.account.actor
    )
    base = _review_base(access.organisation, definition_id)
    return _done(request, base, "resolved" if done else "reopened", share_id)


# -- the reviewing organisation ---------------------------------------------------------------------------


@router.get("/orgs/{slug}/shared-drafts", response_class=HTMLResponse)
def shared_drafts(request: Request, access: ViewerDep, signed_in: SignedInDep) -> Response:
    """The drafts other organisations shared with this one for comments."""
    reader = reader_language(request)
    shares = container(request).cocreation.shared_with(access)
    context: dict[str, Any] = {
        "access": access,
        "shares": [(s, pick(s.entry.definition.title, reader), pick(s.lead.legal_name, reader)[1]) for s in shares],
        "base": _shared_base(access.organisation),
        "query": _query(request),
    }
    return render(request, "editor/shared_drafts.html", context, signed_in=signed_in)


def _shared_page(
    request: Request,
    access: OrganisationAccess,
    signed_in: SignedIn,
    share_id: int,
    *,
    errors: dict[str, str] | None = None,
    kept: str = "",
    status: int = 200,
) -> HTMLResponse:
    reader = reader_language(request)
    shared = container(request).cocreation.shared_draft(access, share_id)
    lead = pick(shared.lead.legal_name, reader)[1]
    context: dict[str, Any] = {
        "access": access,
        "share": shared,
        "title": pick(shared.entry.definition.title, reader),
        "lead": lead,
        "rows": entry_rows(request, shared.entry, reader),
        "base": _shared_base(access.organisation),
        "query": _query(request),
        "errors": errors or {},
        "kept": kept,
        "max_comment": MAX_COMMENT,
        "reply_choices": _reply_choices(shared, lead=False),
        **_notice(request, lead),
    }
    return render(request, "editor/shared_draft.html", context, status=status, signed_in=signed_in)


@router.get("/orgs/{slug}/shared-drafts/{share_id}", response_class=HTMLResponse)
def shared_draft(request: Request, access: ViewerDep, signed_in: SignedInDep, share_id: RowId) -> Response:
    """One shared draft, read-only, and its thread."""
    return _shared_page(request, access, signed_in, share_id)


@router.post("/orgs/{slug}/shared-drafts/{share_id}/comments", dependencies=ReviewerPost)
def comment(
    request: Request,
    access: ViewerDep,
    signed_in: SignedInDep,
    share_id: RowId,
    text: TextField = "",
    reply_to: ReplyField = "",
) -> Response:
    """Comment on a shared draft."""
    c = container(request)
    c.cocreation.shared_draft(access, share_id)  # 404 before anything else for a share not shared with it
    try:
        c.cocreation.comment(
            access,
            share_id,
            text,
            actor=signed_in.account.actor,
            author_name=_author(signed_in),
            reply_to=_reply_to(reply_to),
        )
    except (InputError, ConflictError) as exc:
        errors = {"comment-text": error_text(reader_language(request), exc)}
        status = 409 if isinstance(exc, ConflictError) else 400
        return _shared_page(request, access, signed_in, share_id, errors=errors, kept=text[:MAX_BODY], status=status)
    target = f"{_shared_base(access.organisation)}/{share_id}{_query(request, done='commented')}"
    return RedirectResponse(target, status_code=303)
