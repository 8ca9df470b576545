"""What a claim link offers without an account: the credential baked into its badge image, and a QR code of
its download link (to take it into another wallet from a phone).

- ``GET /claim/{token}/credential.png`` and ``…/credential.svg``: the credential baked into its badge image;
- ``GET /claim/{token}/qr.svg``: a QR code of ``…/credential.json``, the credential's download link.

The page itself (``GET /claim/{token}``) and ``…/credential.json`` are in :mod:`cairn.web.catalog.pages`;
adding to a Cairn wallet is ``…/wallet`` (:mod:`cairn.web.wallet.pages`). Downloading never uses the link up:
it works until the learner claims the credential into a wallet (then downloads answer 404: the wallet has
it) or the link expires or is replaced by a fresh one. Every answer is ``no-store`` and sends no referrer.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cairn.errors import NotFoundError
from cairn.formats.qr import qr_svg
from cairn.services.issuing.claims import claim_file
from cairn.services.issuing.service import AwardView
from cairn.web.deps import container
from cairn.web.i18n import reader_language, translate

__all__ = ["claim_download_file", "claimable", "router"]

router = APIRouter(include_in_schema=False)

_HEADERS: Final = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def claimable(request: Request, token: str) -> AwardView:
    """The award a claim link names while it can still be downloaded: NotFoundError when the link is unknown,
    expired or replaced, or the award was claimed into a wallet already."""
    view = container(request).issuing.by_claim_token(token[:200])
    if view is None:
        raise NotFoundError("this claim link is not valid: check that you copied all of it")
    if view.claimed_at is not None:
        raise NotFoundError("this credential has been claimed into a wallet: download it from there")
    return view


def _texts(view: AwardView) -> tuple[str, str]:
    credential = view.credential if isinstance(view.credential, dict) else {}
    issuer = credential.get("issuer")
    name = issuer.get("name") if isinstance(issuer, dict) else None
    title = credential.get("name")
    return (str(title) if isinstance(title, str) else view.definition), (str(name) if isinstance(name, str) else "")


def claim_download_file(request: Request, token: str, kind: str) -> Response:
    """The credential a claim link names as ``kind`` (``json``, ``png``, ``svg``), as an attachment."""
    view = claimable(request, token)
    title, issuer = _texts(view)
    got = claim_file(view.credential, kind, title=title, issuer=issuer)
    stem = view.definition or "credential"
    headers = {"Content-Disposition": f'attachment; filename="{stem}.{got.suffix}"', **_HEADERS}
    return Response(got.body, media_type=got.media_type, headers=headers)


@router.get("/claim/{token}/credential.png")
def claim_png(request: Request, token: str) -> Response:
    """The credential baked into its badge image (PNG)."""
    return claim_download_file(request, token, "png")


@router.get("/claim/{token}/credential.svg")
def claim_svg(request: Request, token: str) -> Response:
    """The credential baked into its badge image (SVG)."""
    return claim_download_file(request, token, "svg")


@router.get("/claim/{token}/qr.svg")
def claim_qr(request: Request, token: str, lang: str | None = None) -> Response:
    """A QR code of the credential's download link, to open it on another device or in another wallet."""
    claimable(request, token)
    reader = reader_language(request, (lang or "")[:10] or None)
    url = f"{container(request).settings.public_url}/claim/{token[:200]}/credential.json"
    body = qr_svg(
        url,
        title=translate(reader, "QR code of the credential's download link"),
        description=translate(reader, "Scan it to download the credential on another device or into another wallet."),
    )
    return Response(body, media_type="image/svg+xml", headers=dict(_HEADERS))
