"""Badge images and logos over HTTP.

Routes (include :data:`router` in the app):

- ``GET /images/{sha256}.{svg|png}`` — a stored image, by content: cached for a year, ``immutable``;
- ``GET /micro-credentials/{slug}/badge?version=N&lang=pl`` — a definition version's badge (uploaded, else
  generated, titled in ``lang`` where the title has it);
- ``GET /orgs/{slug}/logo`` — an organisation's logo (uploaded, else a monogram of its name);
- ``POST /orgs/{slug}/logo`` (multipart ``logo`` file) and ``POST /orgs/{slug}/logo/remove`` — owners only, CSRF
  checked, bodies over :data:`MAX_LOGO_FORM_BYTES` refused before they are read.

Every image answers with its exact type, ``X-Content-Type-Options: nosniff`` and, for SVG, a Content Security
Policy that lets it run nothing and load nothing (``default-src 'none'; style-src 'unsafe-inline'``).
:func:`install` gives templates ``badge_src(credential)`` (see ``templates/_badge.html``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData, UploadFile

from cairn.bootstrap import Container
from cairn.errors import InputError, NotFoundError
from cairn.formats.images import MAX_IMAGE_BYTES, extension_of
from cairn.services.accounts.service import OrganisationAccess, Role
from cairn.services.catalog.badges import Picture
from cairn.web.deps import container, csrf_protect, require_role

__all__ = [
    "IMAGE_CSP",
    "MAX_LOGO_FORM_BYTES",
    "closing_form",
    "image_response",
    "install",
    "read_upload",
    "router",
    "upload_size",
]

router = APIRouter(include_in_schema=False)

IMAGE_CSP: Final = "default-src 'none'; style-src 'unsafe-inline'"
"""The policy an SVG is served under: it may style itself, nothing else."""
MAX_LOGO_FORM_BYTES: Final = MAX_IMAGE_BYTES + 64 * 1024
"""Largest logo form accepted: the image and the form around it."""
_YEAR: Final = "public, max-age=31536000, immutable"
_SHORT: Final = "public, max-age=300"

OwnerDep = Annotated[OrganisationAccess, Depends(require_role(Role.OWNER))]


def image_response(picture: Picture, *, cache: str) -> Response:
    """``picture`` with its type, ``nosniff``, the image CSP and ``cache`` as its Cache-Control."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": IMAGE_CSP,
        "Cache-Control": cache,
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    return Response(picture.content, media_type=picture.media_type, headers=headers)


@router.api_route("/images/{name}", methods=["GET", "HEAD"])
def image(request: Request, name: str) -> Response:
    """A stored image by its SHA-256 and extension."""
    sha, dot, ext = name.partition(".")
    if not dot or ext not in ("svg", "png") or len(sha) != 64:
        raise NotFoundError("There is nothing at this address.")
    picture = container(request).badges.image(sha.lower())
    if extension_of(picture.media_type) != ext:
        raise NotFoundError("There is nothing at this address.")
    return image_response(picture, cache=_YEAR)


@router.api_route("/micro-credentials/{slug}/badge", methods=["GET", "HEAD"])
def definition_badge(
    request: Request,
    slug: str,
    version: int | None = Query(None, ge=1, le=1_000_000),
    lang: str | None = Query(None, max_length=10),
) -> Response:
    """The badge of a micro-credential version (the latest by default), its title in ``lang`` when it has one."""
    return image_response(container(request).badges.badge(slug, version, lang=lang), cache=_SHORT)


@router.api_route("/orgs/{slug}/logo", methods=["GET", "HEAD"])
def organisation_logo(request: Request, slug: str) -> Response:
    """The organisation's logo, or its monogram."""
    return image_response(container(request).badges.logo(slug), cache=_SHORT)


async def closing_form(request: Request) -> AsyncIterator[None]:
    """A dependency (list it first) that closes the request's form when the route is done, whatever happened:
    an uploaded file waits in a temporary file until then."""
    try:
        yield
    finally:
        await request.close()


def upload_size(request: Request) -> None:
    """Refuse a logo form larger than :data:`MAX_LOGO_FORM_BYTES` (413) or of unknown length (411), unread."""
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise HTTPException(411, "Send the form with its length (Content-Length).")
    if int(length) > MAX_LOGO_FORM_BYTES:
        raise HTTPException(413, "The form is too large to accept.")


def read_upload(value: object) -> bytes | None:
    """The bytes of an uploaded file field (at most one byte past the image limit), or None when no file was
    chosen."""
    if not isinstance(value, UploadFile):
        return None
    data = value.file.read(MAX_IMAGE_BYTES + 1)
    return data or None


async def _posted(request: Request) -> FormData:
    return await request.form()


def _back(slug: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/orgs/{quote(slug)}/members?done={done}#logo-title", status_code=303)


@router.post("/orgs/{slug}/logo", dependencies=[Depends(closing_form), Depends(upload_size), Depends(csrf_protect)])
def upload_logo(request: Request, access: OwnerDep, form: Annotated[FormData, Depends(_posted)]) -> Response:
    """Upload the organisation's logo (PNG or SVG, checked and cleaned)."""
    data = read_upload(form.get("logo"))
    if data is None:
        raise InputError("choose a PNG or SVG file to upload")
    container(request).badges.set_logo(access, data)
    return _back(access.organisation, "logo")


@router.post("/orgs/{slug}/logo/remove", dependencies=[Depends(csrf_protect)])
def remove_logo(request: Request, access: OwnerDep) -> Response:
    """Remove the organisation's logo (its monogram shows again)."""
    container(request).badges.set_logo(access, None)
    return _back(access.organisation, "logo-removed")


def install(templates: Jinja2Templates, built: Container) -> None:
    """Give templates ``badge_src(credential)``: the image a page shows for any credential."""
    templates.env.globals["badge_src"] = built.badges.badge_src
