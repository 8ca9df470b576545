"""The learner's side of OpenID4VP: answering an organisation's presentation request from Cairn's wallet.

- ``GET /wallet/presentation-requests``: a form to paste an ``openid4vp://`` link; with ``?request_uri=...``
  (and ``client_id``), as a same-device link opens it, the request itself;
- ``POST /wallet/presentation-requests``: read the pasted link and show the request: who asks (the organisation's
  name from the registry, and whether the request was signed and the signature verified), exactly what it asks
  (formats, claims disclosed, EQF level), and the wallet's credentials that answer it, to choose from;
- ``POST /wallet/presentation-requests/share``: present the chosen credentials to the verifier (only on this
  button: nothing is shared before) and show its answer: accepted, or refused and why.

Requests of this instance only for now: another host's link is refused with the wallet service's message. Every
page needs a session; posts need the CSRF token.
"""

from __future__ import annotations

from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from cairn.errors import CairnError
from cairn.services.accounts.service import SignedIn
from cairn.services.openid4vp.holder import Incoming
from cairn.web.catalog.editor import form_size, posted_form
from cairn.web.deps import container, csrf_protect, current_account
from cairn.web.i18n import reader_language, translate
from cairn.web.openid4vp.views import asked
from cairn.web.render import error_text, render

__all__ = ["MAX_LINK", "router"]

router = APIRouter(include_in_schema=False)

SignedInDep = Annotated[SignedIn, Depends(current_account)]
FormDep = Annotated[FormData, Depends(posted_form)]
_POST = [Depends(current_account), Depends(form_size), Depends(csrf_protect)]
MAX_LINK: Final = 8000
"""A request by value holds its DCQL query in the link."""
PATH: Final = "/wallet/presentation-requests"


def _field(form: FormData, name: str) -> str:
    raw = form.get(name)
    return raw.strip() if isinstance(raw, str) else ""


def _page(request: Request, signed_in: SignedIn, status: int = 200, **context: Any) -> HTMLResponse:
    full = {"path": PATH, "max_link": MAX_LINK, "errors": {}, "link": "", "incoming": None, **context}
    response = render(request, "openid4vp/wallet.html", full, signed_in=signed_in, status=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _choose(request: Request, signed_in: SignedIn, link: str) -> HTMLResponse:
    """The request behind ``link`` with the credentials that answer it, or the form with why it cannot be read."""
    lang = reader_language(request)
    services = container(request)
    try:
        incoming: Incoming = services.wallet_answers.read(link)
    except CairnError as exc:
        if exc.status not in (400, 404):
            raise
        return _page(request, signed_in, exc.status, link=link, errors={"link": error_text(lang, exc)})
    found = services.wallet_answers.candidates(signed_in.account.id, incoming)
    items = asked(incoming.dcql)
    alternatives = any(q["alternative"] for q in items)
    chosen: dict[str, str] = {}
    for query in items:  # one credential set of alternatives: the first that the wallet can answer
        if found.get(query["id"]) and not (alternatives and chosen):
            chosen[query["id"]] = found[query["id"]][0].id
    return _page(
        request,
        signed_in,
        link=link,
        incoming=incoming,
        asked=items,
        alternatives=alternatives,
        found=found,
        chosen=chosen,
        none_found=not any(found.values()),
    )


@router.get(PATH, response_class=HTMLResponse)
def answer_page(
    request: Request,
    signed_in: SignedInDep,
    request_uri: Annotated[str, Query(max_length=MAX_LINK)] = "",
    client_id: Annotated[str, Query(max_length=MAX_LINK)] = "",
) -> Response:
    """The form to paste a link; with ``request_uri``, the request (a same-device link opens this)."""
    if not request_uri:
        return _page(request, signed_in)
    link = f"openid4vp://?request_uri={quote(request_uri, safe='')}"
    if client_id:
        link += f"&client_id={quote(client_id, safe='')}"
    return _choose(request, signed_in, link)


@router.post(PATH, response_class=HTMLResponse, dependencies=_POST)
def read_link(request: Request, signed_in: SignedInDep, form: FormDep) -> Response:
    """Read the pasted link and show the request (nothing is sent to the verifier)."""
    lang = reader_language(request)
    link = _field(form, "link")
    if not link:
        message = translate(lang, "Paste the link the organisation gave you (it starts with openid4vp://).")
        return _page(request, signed_in, 400, errors={"link": message})
    if len(link) > MAX_LINK:
        message = translate(lang, "The text is longer than %(n)s characters.", n=MAX_LINK)
        return _page(request, signed_in, 400, errors={"link": message}, link=link[:MAX_LINK])
    return _choose(request, signed_in, link)


@router.post(f"{PATH}/share", response_class=HTMLResponse, dependencies=_POST)
def share(request: Request, signed_in: SignedInDep, form: FormDep) -> Response:
    """Present the chosen credentials and show the verifier's answer."""
    lang = reader_language(request)
    link = _field(form, "link")[:MAX_LINK]
    chosen = {
        key.removeprefix("choice-")[:64]: value[:40]
        for key, value in form.multi_items()
        if key.startswith("choice-") and isinstance(value, str) and value
    }
    services = container(request)
    try:
        incoming = services.wallet_answers.read(link)
    except CairnError as exc:
        if exc.status not in (400, 404):
            raise
        return _page(request, signed_in, exc.status, errors={"link": error_text(lang, exc)})
    try:
        confirmed = _field(form, "confirm") == "yes"
        services.wallet_answers.answer(signed_in.account.id, incoming, chosen, confirmed=confirmed)
    except CairnError as exc:
        if exc.status not in (400, 404, 409):
            raise
        return _page(request, signed_in, 200, incoming=incoming, refused=error_text(lang, exc), answered=True)
    return _page(request, signed_in, incoming=incoming, accepted=True, answered=True)
