"""Badge images and organisation logos: upload (checked and cleaned), serve, and the image a credential names.

A definition's badge is generated (:func:`cairn.formats.badges.badge_svg`, in the colour and shape its
``badge`` chose, else a design picked from its id) or an image the organisation uploaded (``badge.image``, its
SHA-256). Uploads go through :func:`cairn.formats.images.check_image` and are stored once per content in the
``images`` table, owned by the organisation that stored them; only its members with editing rights (issuer and
up) upload a badge, only its owners a logo. Every upload and logo change is audited.

A credential names its badge by a content-addressed URL (``{public_url}/images/{sha256}.{svg|png}``): at
issuing, a generated badge is stored like an upload (:func:`stored_badge`), so the image a credential points at
never changes, and a baked file or PDF finds it here again (:meth:`BadgeService.image_at`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from cairn.errors import NotFoundError, PermissionDeniedError
from cairn.formats.badges import badge_svg, default_design, monogram_svg
from cairn.formats.images import MEDIA_TYPES, CheckedImage, check_image, extension_of
from cairn.model.definitions import MicroCredentialDefinition, Organisation
from cairn.model.types import pick
from cairn.services.accounts.access import OrganisationAccess, Role
from cairn.store.audit import AuditRepository
from cairn.store.catalog.images import ImageRepository
from cairn.store.catalog.repository import DefinitionRepository, OrganisationRepository
from cairn.store.database import Database

__all__ = ["BadgeService", "Picture", "badge_picture", "image_path", "stored_badge"]

_IMAGE_PATH = re.compile(r"/images/([0-9a-f]{64})\.(svg|png)$")


@dataclass(frozen=True, slots=True)
class Picture:
    """An image to serve: its bytes, media type, and its SHA-256 when it is stored (content-addressed)."""

    content: bytes
    media_type: str
    sha256: str | None = None


def image_path(sha256: str, media_type: str) -> str:
    """The path an image is served at: ``/images/{sha256}.{svg|png}``."""
    return f"/images/{sha256}.{extension_of(media_type)}"


def _name(organisation: Organisation | None, lang: str) -> str:
    return pick(organisation.legal_name, lang)[1] if organisation else ""


def badge_picture(definition: MicroCredentialDefinition, issuer: Organisation | None) -> CheckedImage:
    """The generated badge of ``definition`` (its own colour and shape, else its default design), titled in
    its first language, with the issuer's name."""
    lang = next(iter(definition.title))
    colour, shape = default_design(definition.id)
    badge = definition.badge
    if badge is not None and badge.colour:
        colour = badge.colour
    if badge is not None and badge.shape:
        shape = badge.shape
    svg = badge_svg(title=pick(definition.title, lang)[1], issuer=_name(issuer, lang), colour=colour, shape=shape)
    return CheckedImage(MEDIA_TYPES["svg"], svg, 256, 256)


def stored_badge(
    session: Session,
    definition: MicroCredentialDefinition,
    issuer: Organisation,
    *,
    organisation_id: int,
    now: datetime,
) -> tuple[str, str]:
    """The SHA-256 and media type of ``definition``'s badge as stored: its uploaded image, or its generated
    badge stored now (once per content) so that a credential can name it by a URL that never changes."""
    images = ImageRepository(session)
    if definition.badge is not None and definition.badge.image:
        row = images.get(definition.badge.image)
        if row is not None:
            return row.sha256, row.media_type
    picture = badge_picture(definition, issuer)
    row, _ = images.put(picture, organisation_id=organisation_id, now=now)
    return row.sha256, row.media_type


class BadgeService:
    """Badge images and logos over one database."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime], public_url: str) -> None:
        self.database = database
        self.clock = clock
        self.public_url = public_url.rstrip("/")

    # -- uploads -----------------------------------------------------------------------------------

    def upload(self, access: OrganisationAccess, data: bytes, *, purpose: str = "badge") -> CheckedImage:
        """Check, clean and store an image for ``access.organisation``; the stored image.

        PermissionDeniedError unless the account may edit the catalogue (issuer and up; owner for a
        ``purpose="logo"``); InputError (with the reason) when the image is refused."""
        needed = Role.OWNER if purpose == "logo" else Role.ISSUER
        if not access.role.covers(needed):
            raise PermissionDeniedError(f"only the organisation's {needed.value}s may upload a {purpose}")
        checked = check_image(data)
        now = self.clock()
        with self.database.transaction() as session:
            _, new = ImageRepository(session).put(checked, organisation_id=access.organisation_id, now=now)
            if new:
                AuditRepository(session).append(
                    at=now,
                    actor=access.account.actor,
                    action="image.upload",
                    subject=checked.sha256,
                    details={"organisation": access.organisation, "media_type": checked.media_type, "purpose": purpose},
                )
        return checked

    def may_use(self, organisation: str, sha256: str) -> bool:
        """True when the image exists and ``organisation`` stored it."""
        with self.database.transaction() as session:
            return ImageRepository(session).owner(sha256) == organisation

    def set_logo(self, access: OrganisationAccess, data: bytes | None) -> str | None:
        """Upload ``data`` as the organisation's logo (None removes the logo); the logo's SHA-256 or None."""
        if not access.role.covers(Role.OWNER):
            raise PermissionDeniedError("only the organisation's owners may change its logo")
        sha = self.upload(access, data, purpose="logo").sha256 if data is not None else None
        now = self.clock()
        with self.database.transaction() as session:
            if OrganisationRepository(session).set_logo(access.organisation, sha, now=now):
                AuditRepository(session).append(
                    at=now,
                    actor=access.account.actor,
                    action="organisation.logo" if sha else "organisation.logo-removed",
                    subject=access.organisation,
                    details={"image": sha} if sha else {},
                )
        return sha

    # -- reading -----------------------------------------------------------------------------------

    def image(self, sha256: str) -> Picture:
        """A stored image; NotFoundError when there is none."""
        with self.database.transaction() as session:
            row = ImageRepository(session).get(sha256)
            if row is None:
                raise NotFoundError("There is nothing at this address.")
            return Picture(row.content, row.media_type, row.sha256)

    def image_at(self, url: object) -> Picture | None:
        """The stored image a URL of this instance names (``{public_url}/images/{sha}.{ext}``), else None: how
        a baked file or a PDF finds the badge a credential names without fetching anything."""
        if not isinstance(url, str) or not url.startswith(self.public_url + "/images/"):
            return None
        match = _IMAGE_PATH.search(url)
        if match is None:
            return None
        try:
            picture = self.image(match.group(1))
        except NotFoundError:
            return None
        return picture if extension_of(picture.media_type) == match.group(2) else None

    def badge(self, definition_id: str, version: int | None = None) -> Picture:
        """The badge of a definition version (the latest unless given): the uploaded image, or the generated
        one. NotFoundError when there is no such definition."""
        with self.database.transaction() as session:
            stored = DefinitionRepository(session).get(definition_id, version)
            definition = stored.definition
            if definition.badge is not None and definition.badge.image:
                row = ImageRepository(session).get(definition.badge.image)
                if row is not None:
                    return Picture(row.content, row.media_type, row.sha256)
            orgs = OrganisationRepository(session)
            issuer = orgs.get(definition.awarding_bodies[0]) if orgs.row(definition.awarding_bodies[0]) else None
        picture = badge_picture(definition, issuer)
        return Picture(picture.content, picture.media_type)

    def logo(self, organisation: str) -> Picture:
        """The organisation's uploaded logo, else a monogram of its name; NotFoundError when there is no such
        organisation."""
        with self.database.transaction() as session:
            org = OrganisationRepository(session).get(organisation)
            if org.logo:
                row = ImageRepository(session).get(org.logo)
                if row is not None:
                    return Picture(row.content, row.media_type, row.sha256)
        return Picture(monogram_svg(_name(org, next(iter(org.legal_name)))), MEDIA_TYPES["svg"])

    def image_url(self, sha256: str, media_type: str) -> str:
        """The public, content-addressed URL of a stored image."""
        return self.public_url + image_path(sha256, media_type)
