"""Co-awarding requests of an organisation: the definitions another organisation leads that name it as an
awarding body, for its owners to accept or decline (see :mod:`cairn.services.catalog.coawards`).

- ``GET /orgs/{slug}/co-awards``: every request, pending ones first, with its state (owners only);
- ``POST /orgs/{slug}/co-awards/{definition_id}/accept`` and ``…/decline``: answer one (owners; the CSRF token);
  the answer is audited and can be changed later.
"""

from __future__ import annotations

from typing import Annotated, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cairn.model.types import pick
from cairn.services.accounts.service import OrganisationAccess, Role, SignedIn
from cairn.services.catalog.coawards import PENDING
from cairn.web.deps import container, csrf_protect, current_account, require_role
from cairn.web.i18n import reader_language
from cairn.web.render import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

OwnerDep = Annotated[OrganisationAccess, Depends(require_role(Role.OWNER))]
SignedInDep = Annotated[SignedIn, Depends(current_account)]
LangQuery = Annotated[str | None, Query(max_length=10)]
Post = [Depends(require_role(Role.OWNER)), Depends(csrf_protect)]
"""Owner first (so nobody else's body is even read), then the CSRF token."""

_NOTICES: Final = {
    "accepted": (
        "You accepted: %(organisation)s co-awards “%(title)s”, which can be awarded once every co-awarding body "
        "has accepted."
    ),
    "declined": "You declined: “%(title)s” cannot be awarded while it names %(organisation)s.",
}


def _base(slug: str) -> str:
    return f"/orgs/{quote(slug)}/co-awards"


@router.get("/orgs/{slug}/co-awards", response_class=HTMLResponse)
def requests_page(request: Request, access: OwnerDep, signed_in: SignedInDep, lang: LangQuery = None) -> Response:
    """The organisation's co-awarding requests, to accept or decline."""
    reader = reader_language(request, lang)
    requests = container(request).coawards.requests(access.organisation)
    items = [
        {"request": r, "title": pick(r.definition.title, reader), "lead": pick(r.lead.legal_name, reader)[1]}
        for r in requests
    ]
    done = request.query_params.get("done", "")
    answered = request.query_params.get("definition", "")[:80]
    title = next((pick(r.definition.title, reader)[1] for r in requests if r.definition.id == answered), None)
    context = {
        "lang": reader,
        "access": access,
        "items": items,
        "pending": sum(1 for r in requests if r.state == PENDING),
        "base": _base(access.organisation),
        "notice": _NOTICES.get(done) if title else None,
        "notice_title": title,
        "query": f"?lang={reader}" if reader != "en" else "",
    }
    return render(request, "editor/co_awards.html", context, signed_in=signed_in)


def _answer(
    request: Request, access: OrganisationAccess, signed_in: SignedIn, definition_id: str, *, accept: bool
) -> Response:
    container(request).coawards.decide(
        organisation=access.organisation, definition_id=definition_id, accept=accept, actor=signed_in.account.actor
    )
    lang = reader_language(request)
    query = f"done={'accepted' if accept else 'declined'}&definition={quote(definition_id[:80])}"
    query += f"&lang={lang}" if lang != "en" else ""
    return RedirectResponse(f"{_base(access.organisation)}?{query}", status_code=303)  # the notice takes the focus


@router.post("/orgs/{slug}/co-awards/{definition_id}/accept", dependencies=Post)
def accept(request: Request, access: OwnerDep, signed_in: SignedInDep, definition_id: str) -> Response:
    """Accept co-awarding the definition."""
    return _answer(request, access, signed_in, definition_id, accept=True)


@router.post("/orgs/{slug}/co-awards/{definition_id}/decline", dependencies=Post)
def decline(request: Request, access: OwnerDep, signed_in: SignedInDep, definition_id: str) -> Response:
    """Decline co-awarding the definition."""
    return _answer(request, access, signed_in, definition_id, accept=False)
