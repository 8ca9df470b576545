"""Receiving a credential another issuer offers (OpenID4VCI, Cairn's wallet as the client).

- ``GET /wallet/receive``: the form to paste an offer link; with ``?credential_offer_uri=`` or ``?credential_offer=``
  (a same-device link an issuer's page opens) the offer itself. A GET only reads and shows an offer, never accepts.
- ``POST /wallet/receive``: read the pasted link and show the offer: the issuer as it names itself, what it offers,
  the transaction code field when the issuer asks for one.
- ``POST /wallet/receive/accept``: redeem the offer for the chosen credentials, verify them and add them; then the
  (first) received credential's wallet page, with its verification; when the issuer defers them all, this page
  saying so (the pending receipts are listed on the wallet under "Waiting for issuers").
- ``POST /wallet/receive/pending/{id}/check``: ask the issuer's deferred endpoint now (not before the interval it
  asked for); ``POST /wallet/receive/pending/{id}/drop``: stop waiting.

Signed in for every request; each POST checks the CSRF token. The transaction code is never put back on a page.
"""

from __future__ import annotations

from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from cairn.errors import CairnError
from cairn.services.accounts.service import SignedIn
from cairn.services.wallet.deferred import PendingReceipt
from cairn.services.wallet.offers import MAX_LINK, Offer
from cairn.services.wallet.receiving import CredentialReceiver
from cairn.web.deps import RowId, container, csrf_protect, current_account
from cairn.web.i18n import LANGUAGES, reader_language, said_html
from cairn.web.render import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

SignedInDep = Annotated[SignedIn, Depends(current_account)]
LangQuery = Annotated[str | None, Query(max_length=10)]
Post = [Depends(current_account), Depends(csrf_protect)]
LinkField = Annotated[str, Form(max_length=MAX_LINK)]
MAX_QUERY: Final = MAX_LINK


def error_text(lang: str, exc: CairnError) -> Markup:
    """The service's error as a sentence in ``lang``; its values (the issuer's own words, names, reasons from other
    checks) inside ``<span lang="">``, since their language is not known."""
    template = exc.message_id[:1].upper() + exc.message_id[1:]
    return said_html(lang, {"msgid": template, "args": exc.values}) + "."


def _receiver(request: Request) -> CredentialReceiver:
    return container(request).receiving


def _page(
    request: Request,
    signed_in: SignedIn,
    lang: str,
    *,
    offer: Offer | None = None,
    link: str = "",
    errors: dict[str, Markup] | None = None,
    chosen: list[str] | None = None,
    pending: list[PendingReceipt] | None = None,
    status: int = 200,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "lang": lang,
        "offer": offer,
        "link": link,
        "errors": errors or {},
        "chosen": chosen,
        "pending": pending or [],
        "path": "/wallet/receive",
    }
    return render(request, "wallet/receive.html", context, status=status, signed_in=signed_in, languages=LANGUAGES)


def _read(request: Request, signed_in: SignedIn, lang: str, link: str) -> HTMLResponse:
    try:
        offer = _receiver(request).read_offer(signed_in.account.id, link, lang=lang)
    except CairnError as exc:
        if exc.status not in (400, 409, 422):
            raise
        return _page(request, signed_in, lang, link=link, errors={"offer": error_text(lang, exc)}, status=exc.status)
    return _page(request, signed_in, lang, offer=offer, link=offer.link)


@router.get("/wallet/receive", response_class=HTMLResponse)
def receive_form(
    request: Request,
    signed_in: SignedInDep,
    credential_offer_uri: Annotated[str | None, Query(max_length=MAX_QUERY)] = None,
    credential_offer: Annotated[str | None, Query(max_length=MAX_QUERY)] = None,
    lang: LangQuery = None,
) -> Response:
    """The paste form; the offer a same-device link names (shown, never accepted)."""
    reader = reader_language(request, lang)
    if credential_offer_uri or credential_offer:
        query = {"credential_offer_uri": credential_offer_uri} if credential_offer_uri else {}
        query = query or {"credential_offer": credential_offer or ""}
        return _read(request, signed_in, reader, "openid-credential-offer://?" + urlencode(query))
    return _page(request, signed_in, reader)


@router.post("/wallet/receive", response_class=HTMLResponse, dependencies=Post)
def read_offer(request: Request, signed_in: SignedInDep, offer: LinkField = "", lang: LangQuery = None) -> Response:
    """Read the pasted offer link and show the offer."""
    return _read(request, signed_in, reader_language(request, lang), offer)


@router.post("/wallet/receive/accept", response_class=HTMLResponse, dependencies=Post)
def accept(
    request: Request,
    signed_in: SignedInDep,
    offer: LinkField,
    tx_code: Annotated[str, Form(max_length=100)] = "",
    configuration: Annotated[list[str] | None, Form(max_length=200)] = None,
    lang: LangQuery = None,
) -> Response:
    """Receive the chosen credentials; the first one's wallet page, or the offer again with the reason."""
    reader = reader_language(request, lang)
    receiver = _receiver(request)
    account = signed_in.account.id
    chosen = list(configuration or [])
    try:
        read = receiver.read_offer(account, offer, lang=reader)
    except CairnError as exc:
        if exc.status not in (400, 409, 422):
            raise
        return _page(request, signed_in, reader, link=offer, errors={"offer": error_text(reader, exc)}, status=400)
    try:
        received = receiver.receive(account, read, tx_code, chosen)
    except CairnError as exc:
        if exc.status not in (400, 409, 422):
            raise
        about_code = exc.values.get("error") == "invalid_grant" or "transaction code" in exc.message_id
        field = "tx_code" if read.tx_code is not None and about_code else "configurations"
        errors = {field: error_text(reader, exc)}
        return _page(
            request, signed_in, reader, offer=read, link=read.link, errors=errors, chosen=chosen, status=exc.status
        )
    suffix = f"&lang={reader}" if reader != "en" else ""
    if not received.items:  # the issuer will issue later: say so here
        return _page(request, signed_in, reader, pending=received.pending)
    return RedirectResponse(f"/wallet/{received.items[0].id}?done=received{suffix}", status_code=303)


@router.post("/wallet/receive/pending/{receipt_id}/check", dependencies=Post)
def check_pending(request: Request, signed_in: SignedInDep, receipt_id: RowId, lang: LangQuery = None) -> Response:
    """Ask the issuer for a deferred credential now: its page once received, else the wallet saying what happened."""
    reader = reader_language(request, lang)
    suffix = f"&lang={reader}" if reader != "en" else ""
    try:
        outcome = _receiver(request).pending.check(signed_in.account.id, receipt_id)
    except CairnError as exc:
        if exc.status not in (400, 422):
            raise
        return RedirectResponse(f"/wallet?done=not-checked{suffix}#waiting", status_code=303)
    if outcome.items:
        return RedirectResponse(f"/wallet/{outcome.items[0].id}?done=received{suffix}", status_code=303)
    done = "still-waiting" if outcome.state == "pending" else "receipt-ended"
    return RedirectResponse(f"/wallet?done={done}{suffix}#waiting", status_code=303)


@router.post("/wallet/receive/pending/{receipt_id}/drop", dependencies=Post)
def drop_pending(request: Request, signed_in: SignedInDep, receipt_id: RowId, lang: LangQuery = None) -> Response:
    """Stop waiting for a deferred credential."""
    reader = reader_language(request, lang)
    _receiver(request).pending.drop(signed_in.account.id, receipt_id)
    suffix = f"&lang={reader}" if reader != "en" else ""
    return RedirectResponse(f"/wallet?done=receipt-dropped{suffix}", status_code=303)
