"""The organisation's seal certificate, and awards downloaded as sealed European Digital Credentials.

Routes (include :data:`router` in the app; every ``POST`` needs the CSRF token):

- ``GET /orgs/{slug}/seal`` — the seal certificate the organisation seals EDCs with (owners only): its subject,
  issuer, validity and chain, or a form to add one;
- ``POST /orgs/{slug}/seal`` (multipart: ``certificate`` PEM chain, ``private_key`` PEM, ``passphrase``) — install
  it (owners only; bodies over :data:`MAX_SEAL_FORM_BYTES` refused unread); the key is stored encrypted and never
  shown again; ``POST /orgs/{slug}/seal/remove`` retires it;
- ``GET /orgs/{slug}/awards/{award_id}/edc.jsonld`` — the award as a sealed EDC (viewer and up), 409 when the
  organisation has no seal certificate;
- ``GET /wallet/{credential_id}/edc.jsonld`` — the same for the learner whose wallet holds the award.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from cairn.errors import InputError, NotFoundError
from cairn.services.accounts.service import OrganisationAccess, Role, SignedIn
from cairn.web.catalog.badges import closing_form
from cairn.web.deps import container, csrf_protect, current_account, require_role
from cairn.web.i18n import reader_language
from cairn.web.render import error_text, render

__all__ = ["MAX_SEAL_FORM_BYTES", "edc_response", "router"]

router = APIRouter(include_in_schema=False)

MAX_SEAL_FORM_BYTES: Final = 256 * 1024
"""Largest seal form accepted: a certificate chain and a private key, in PEM."""
_MAX_FILE: Final = 100_000
_NOTICES: Final = {
    "installed": "The seal certificate is installed: awards can now be downloaded as sealed European Digital "
    "Credentials.",
    "removed": "The seal certificate is removed and its private key forgotten.",
}

OwnerDep = Annotated[OrganisationAccess, Depends(require_role(Role.OWNER))]
ViewerDep = Annotated[OrganisationAccess, Depends(require_role(Role.VIEWER))]
SignedInDep = Annotated[SignedIn, Depends(current_account)]


def _size(request: Request) -> None:
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise HTTPException(411, "Send the form with its length (Content-Length).")
    if int(length) > MAX_SEAL_FORM_BYTES:
        raise HTTPException(413, "The form is too large to accept.")


async def _posted(request: Request) -> FormData:
    return await request.form()


def _file(value: object) -> bytes:
    if isinstance(value, UploadFile):
        return value.file.read(_MAX_FILE + 1)
    return value.encode("utf-8") if isinstance(value, str) else b""


def _page(
    request: Request,
    access: OrganisationAccess,
    signed_in: SignedIn,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "access": access,
        "seal": container(request).seals.info(access.organisation),
        "errors": errors or {},
        "notice": _NOTICES.get(request.query_params.get("done", "")),
        "base": f"/orgs/{quote(access.organisation)}/seal",
    }
    return render(request, "seal/seal.html", context, status=status, signed_in=signed_in)


def _back(request: Request, access: OrganisationAccess, done: str) -> RedirectResponse:
    lang = reader_language(request)
    suffix = f"&lang={lang}" if lang != "en" else ""
    return RedirectResponse(f"/orgs/{quote(access.organisation)}/seal?done={done}{suffix}", status_code=303)


@router.get("/orgs/{slug}/seal", response_class=HTMLResponse)
def seal_page(request: Request, access: OwnerDep, signed_in: SignedInDep) -> Response:
    """The organisation's seal certificate, or the form to add one."""
    return _page(request, access, signed_in)


@router.post(
    "/orgs/{slug}/seal",
    response_class=HTMLResponse,
    dependencies=[Depends(closing_form), Depends(_size), Depends(csrf_protect)],
)
def install_seal(
    request: Request, access: OwnerDep, signed_in: SignedInDep, form: Annotated[FormData, Depends(_posted)]
) -> Response:
    """Install the seal certificate chain and its private key."""
    chain, key = _file(form.get("certificate")), _file(form.get("private_key"))
    passphrase = form.get("passphrase")
    errors: dict[str, str] = {}
    lang = reader_language(request)
    if not chain.strip():
        errors["certificate"] = error_text(lang, InputError("choose the certificate chain file (PEM)"))
    if not key.strip():
        errors["private_key"] = error_text(lang, InputError("choose the private key file (PEM)"))
    if not errors:
        try:
            container(request).seals.install(
                access.organisation,
                chain_pem=chain,
                key_pem=key,
                passphrase=passphrase if isinstance(passphrase, str) and passphrase else None,
                actor=signed_in.account.actor,
            )
        except InputError as exc:
            errors["certificate"] = error_text(lang, exc)
    if errors:
        return _page(request, access, signed_in, errors=errors, status=400)
    return _back(request, access, "installed")


@router.post("/orgs/{slug}/seal/remove", dependencies=[Depends(csrf_protect)])
def remove_seal(request: Request, access: OwnerDep, signed_in: SignedInDep) -> Response:
    """Retire the seal certificate and forget its key."""
    container(request).seals.remove(access.organisation, actor=signed_in.account.actor)
    return _back(request, access, "removed")


def edc_response(sealed: dict[str, Any], award_id: str) -> Response:
    """A sealed EDC as a file to download (JAdES JWS JSON serialization)."""
    headers = {
        "Content-Disposition": f'attachment; filename="credential-{award_id}-edc.jsonld"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    body = json.dumps(sealed, ensure_ascii=False)
    return Response(body, media_type="application/jose+json", headers=headers)


@router.get("/orgs/{slug}/awards/{award_id:uuid}/edc.jsonld")
def award_edc(request: Request, access: ViewerDep, award_id: uuid.UUID) -> Response:
    """The award as a sealed European Digital Credential."""
    sealed = container(request).seals.export_award(str(award_id), organisation=access.organisation)
    return edc_response(sealed, str(award_id))


@router.get("/wallet/{credential_id:uuid}/edc.jsonld")
def wallet_edc(request: Request, signed_in: SignedInDep, credential_id: uuid.UUID) -> Response:
    """The learner's award as a sealed European Digital Credential (awards of this instance only)."""
    item = container(request).wallet.get(signed_in.account.id, str(credential_id))
    if item.award_id is None:
        raise NotFoundError("this credential was not awarded here, so it cannot be sealed here")
    return edc_response(container(request).seals.export_award(item.award_id), item.award_id)
