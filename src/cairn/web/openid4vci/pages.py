"""The learner's side of OpenID4VCI: sending a credential of their wallet, or of their claim link, to a wallet app.

- ``POST /wallet/{id}/openid4vci``: make a credential offer of the award behind wallet credential ``{id}`` (the
  signed-in owner only; CSRF checked) and show it once: a QR code and a link (``openid-credential-offer://``) for
  the other wallet, and the transaction code to type there, shown apart from them;
- ``POST /claim/{token}/openid4vci``: the same offer page for the award a claim link names, for a learner without
  an account: the claim token is their proof, checked as for claiming (unknown, expired, replaced or already
  claimed links answer 404; a revoked or suspended award 409). The form is CSRF-checked like every form (the
  session's token, or before sign-in the double-submit cookie the claim page sets);
- ``GET`` of either: back to the page where the form is.

The page is never cached and sends no referrer: it holds the offer's secrets until it is used or expires.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cairn.errors import NotFoundError
from cairn.formats.qr import qr_svg
from cairn.services.accounts.service import SignedIn
from cairn.services.openid4vci.service import MAX_TX_TRIES, OFFER_LIFETIME, MadeOffer
from cairn.web.deps import container, csrf_protect, current_account, optional_account
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
    made = container(request).openid4vci.make_offer(signed_in.account.id, str(credential_id))
    item = container(request).wallet.get(signed_in.account.id, str(credential_id))
    return _offer_page(request, made, item, f"/wallet/{credential_id}", signed_in, lang)


@router.get("/claim/{token}/openid4vci")
def claim_offer_form(token: str) -> Response:
    """The form is on the claim page."""
    return RedirectResponse(f"/claim/{quote(token[:200], safe='')}#app-wallet-title", status_code=303)


@router.post("/claim/{token}/openid4vci", response_class=HTMLResponse, dependencies=[Depends(csrf_protect)])
def make_claim_offer(request: Request, token: str, lang: LangQuery = None) -> Response:
    """Make a credential offer of the award a claim link names and show it, as the wallet's."""
    made = container(request).openid4vci.make_claim_offer(token[:200])
    view = container(request).issuing.by_claim_token(token[:200])
    if view is None:  # the link was replaced in between
        raise NotFoundError("this claim link is not valid: check that you copied all of it")
    document = view.credential if isinstance(view.credential, dict) else {}
    subject = document.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    names = (achievement.get("name") if isinstance(achievement, dict) else None, document.get("name"))
    held = Held(title=next((n for n in names if isinstance(n, str) and n), view.definition), document=document)
    back = f"/claim/{quote(token[:200], safe='')}"
    return _offer_page(request, made, held, back, optional_account(request), lang)


@dataclass(frozen=True, slots=True)
class Held:
    """What the offer page names the credential by (``title_of``): its title and document."""

    title: str
    document: dict[str, Any]


def _offer_page(
    request: Request, made: MadeOffer, held: Any, back: str, signed_in: SignedIn | None, lang: str | None
) -> Response:
    reader = reader_language(request, lang)
    svg = qr_svg(
        made.link,
        title=translate(reader, "QR code of the credential offer"),
        description=translate(reader, "Scan it with the wallet app that should receive the credential."),
    )
    context = {
        "lang": reader,
        "held": held,
        "back": back,
        "offer": made,
        "qr": "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii"),
        "minutes": int(OFFER_LIFETIME.total_seconds() // 60),
        "tries": MAX_TX_TRIES,
        "path": back,
    }
    response = render(request, "openid4vci/offer.html", context, signed_in=signed_in, languages=LANGUAGES)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
