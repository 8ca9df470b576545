"""The authorisation endpoint of OpenID4VCI's authorization code flow: the learner's consent.

- ``GET /openid4vci/authorize?client_id=...&request_uri=...``: a wallet's pushed request (``POST /openid4vci/par``,
  in :mod:`cairn.web.openid4vci.api`). Without a session the browser goes to sign in and comes back; then the
  consent page: who asks (the ``client_id`` and the redirect URI's host, as given, marked as not verified), which
  credential configurations, and which credential of the wallet to send (radio buttons), Allow and Deny.
- ``POST /openid4vci/authorize`` (CSRF checked): the decision; 303 to the wallet's redirect URI with ``code`` or
  ``error=access_denied``, ``state`` and ``iss``.

A request that is unknown, used, expired or of another ``client_id`` is answered on a Cairn page (400), never by a
redirect: nothing is sent to a redirect URI before the request that named it is found. The consent page is never
cached, sends no referrer, cannot be framed, and may send its form on to the request's redirect URI only
(``form-action``).
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cairn.services.accounts.service import SignedIn
from cairn.services.openid4vci.authorization import AuthorizationPageError, PendingAuthorization
from cairn.web.deps import container, csrf_protect, current_account, optional_account
from cairn.web.i18n import LANGUAGES, reader_language
from cairn.web.render import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self' {target}"
)
Parameter = Annotated[str, Query(max_length=300)]
Field = Annotated[str, Form(max_length=300)]


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _refused(request: Request, signed_in: SignedIn | None, exc: AuthorizationPageError) -> Response:
    context = {"message": exc.message, "lang": reader_language(request)}
    page = render(request, "openid4vci/authorize_error.html", context, status=400, signed_in=signed_in)
    return _private(page)


def _consent(
    request: Request, signed_in: SignedIn, pending: PendingAuthorization, *, error: str | None = None
) -> Response:
    service = container(request).openid4vci_authorization
    query = urlencode({"client_id": pending.client_id, "request_uri": pending.request_uri})
    context = {
        "lang": reader_language(request),
        "pending": pending,
        "choices": service.choices(signed_in.account.id),
        "error": error,
        "path": f"/openid4vci/authorize?{query}",
    }
    page = render(
        request,
        "openid4vci/authorize.html",
        context,
        status=400 if error else 200,
        signed_in=signed_in,
        languages=LANGUAGES,
    )
    page.headers["Content-Security-Policy"] = _CSP.format(target=pending.redirect_source)
    return _private(page)


@router.get("/openid4vci/authorize", response_class=HTMLResponse)
def authorize(
    request: Request,
    signed_in: Annotated[SignedIn | None, Depends(optional_account)],
    client_id: Parameter = "",
    request_uri: Parameter = "",
) -> Response:
    """The consent page of a pushed authorisation request (after signing in)."""
    try:
        pending = container(request).openid4vci_authorization.pending(client_id, request_uri)
    except AuthorizationPageError as exc:
        return _refused(request, signed_in, exc)
    if signed_in is None:  # to the sign-in page, and back here
        back = urlencode({"client_id": client_id, "request_uri": request_uri})
        return RedirectResponse("/sign-in?next=" + quote(f"/openid4vci/authorize?{back}", safe=""), status_code=303)
    return _consent(request, signed_in, pending)


@router.post("/openid4vci/authorize", response_class=HTMLResponse, dependencies=[Depends(csrf_protect)])
def decide(
    request: Request,
    signed_in: Annotated[SignedIn, Depends(current_account)],
    client_id: Field,
    request_uri: Field,
    decision: Annotated[Literal["allow", "deny"], Form()],
    credential: Annotated[str | None, Form(max_length=100)] = None,
) -> Response:
    """Allow (with the chosen credential) or deny: back to the wallet."""
    service = container(request).openid4vci_authorization
    try:
        pending = service.pending(client_id, request_uri)
        if decision == "allow" and not credential:
            return _consent(request, signed_in, pending, error="Choose the credential to send.")
        chosen = credential if decision == "allow" else None
        target = service.decide(signed_in.account.id, client_id, request_uri, credential_id=chosen)
    except AuthorizationPageError as exc:
        return _refused(request, signed_in, exc)
    return _private(RedirectResponse(target, status_code=303))
