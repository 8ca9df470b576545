"""Renewing an award from its page: ``POST /orgs/{slug}/awards/{award_id}/renew`` (issuer and up, CSRF token).

The form sends the learner's email when the award names one (Cairn keeps only its salted hash; not needed once
the learner has claimed the award); the answer goes to the new award's page, which links back to the old one.
See :mod:`cairn.services.issuing.renewal` for what a renewal is.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cairn.errors import ConflictError, InputError
from cairn.services.catalog.coawards import CoAwardPendingError
from cairn.web.deps import container
from cairn.web.i18n import reader_language
from cairn.web.issuing.awards import IssuerDep, IssuerPost, SignedInDep, award_page_response, awards_base
from cairn.web.render import error_text

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.post("/orgs/{slug}/awards/{award_id:uuid}/renew", response_class=HTMLResponse, dependencies=IssuerPost)
def renew(
    request: Request,
    access: IssuerDep,
    signed_in: SignedInDep,
    award_id: uuid.UUID,
    email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    """Re-issue the award to the same learner with a new validity; the old award stays valid until it ends."""
    try:
        result = container(request).issuing.renew(
            str(award_id), organisation=access.organisation, actor=signed_in.account.actor, email=email or None
        )
    except (ConflictError, InputError, CoAwardPendingError) as exc:
        key = "renew-email" if isinstance(exc, InputError) else "renew"
        errors = {key: error_text(reader_language(request), exc)}
        status = 400 if isinstance(exc, InputError) else 409
        return award_page_response(
            request, access, signed_in, award_id, errors=errors, form={"renew-email": email}, status=status
        )
    done = "renewed" if result.created else "renewed-before"
    return RedirectResponse(f"{awards_base(access.organisation)}/{result.award_id}?done={done}", status_code=303)
