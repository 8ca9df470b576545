"""The learner's side of OpenID4VCI: sending a credential of their wallet to another wallet.

- ``POST /wallet/{id}/openid4vci``: make a credential offer of the award behind wallet credential ``{id}`` (the
  signed-in owner only; CSRF checked) and show it once: a QR code and a link (``openid-credential-offer://``) for
  the other wallet, and the transaction code to type there, shown apart from them;
- ``GET /wallet/{id}/openid4vci``: back to the credential's page, where the form is.

The page is never cached and sends no referrer: it holds the offer's secrets until it is used or expires.
"""

from __future__ import annotations

import base64
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cairn.formats.qr import qr_svg
from cairn.services.accounts.service import SignedIn
from cairn.services.openid4vci.service import MAX_TX_TRIES, OFFER_LIFETIME
from cairn.web.deps import container, csrf_protect, current_account
from cairn.web.i18n import LANGUAGES, reader_language, translate
from cairn.web.render import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

SignedInDep = Annotated[SignedIn, Depends(current_account)]
LangQuery = Annotated[str | None, Query(max_length=10)]


@router.get("/wallet/{credential_id:uuid}/openid4vci")
def offer_form(credential_id: uuid.UUID, signed_in: SignedInDep) -> Response:
    """The form is on the credential's page."""
    return RedirectResponse(f"/wallet/{credential_id}#other-wallet-title", status_code=303)


@router.post(
    "/wallet/{credential_id:uuid}/openid4vci",
    response_class=HTMLResponse,
    dependencies=[Depends(current_account), Depends(csrf_protect)],
)
def make_offer(request: Request, signed_in: SignedInDep, credential_id: uuid.UUID, lang: LangQuery = None) -> Response:
    """Make a credential offer and show it: QR code, link, transaction code."""
    reader = reader_language(request, lang)
    made = container(request).openid4vci.make_offer(signed_in.account.id, str(credential_id))
    item = container(request).wallet.get(signed_in.account.id, str(credential_id))
    svg = qr_svg(
        made.link,
        title=translate(reader, "QR code of the credential offer"),
        description=translate(reader, "Scan it with the wallet app that should receive the credential."),
    )
    context = {
        "lang": reader,
        "item": item,
        "offer": made,
        "qr": "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii"),
        "minutes": int(OFFER_LIFETIME.total_seconds() // 60),
        "tries": MAX_TX_TRIES,
        "path": f"/wallet/{credential_id}",
    }
    response = render(request, "openid4vci/offer.html", context, signed_in=signed_in, languages=LANGUAGES)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
