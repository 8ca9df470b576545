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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from cairn.errors import NotFoundError, PermissionDeniedError
from cairn.formats.badges import badge_png, badge_svg, default_design, monogram_svg
from cairn.formats.images import MEDIA_TYPES, CheckedImage, check_image, data_url_image, extension_of
from cairn.model.definitions import MicroCredentialDefinition, Organisation
from cairn.model.types import pick
from cairn.services.accounts.access import OrganisationAccess, Role
from cairn.store.audit import AuditRepository
from cairn.store.catalog.images import ImageRepository
from cairn.store.catalog.repository import DefinitionRepository, OrganisationRepository
from cairn.store.database import Database

__all__ = ["BadgeService", "Picture", "badge_picture", "generated_src", "image_path", "stored_badge"]

_IMAGE_PATH = re.compile(r"/images/([0-9a-f]{64})\.(svg|png)$")
_OWN_ACHIEVEMENT = re.compile(r"^/micro-credentials/([A-Za-z0-9._-]{1,200})/versions/([0-9]{1,9})$")


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


def badge_picture(
    definition: MicroCredentialDefinition, issuer: Organisation | None, lang: str | None = None
) -> CheckedImage:
    """The generated badge of ``definition`` (its own colour and shape, else its default design), titled in
    ``lang`` when the title has it, else in its first language, with the issuer's name."""
    lang = lang if lang and lang in definition.title else next(iter(definition.title))
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
        with self.database.transaction(read_only=True) as session:
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

    def generate_logo(self, organisation: str, *, actor: str) -> str | None:
        """Store the monogram of an organisation that has no logo as its logo (how the demo's issuers get
        theirs); its SHA-256, or None when the organisation has a logo already."""
        now = self.clock()
        with self.database.transaction() as session:
            orgs = OrganisationRepository(session)
            org, row = orgs.get(organisation), orgs.row(organisation)
            if org.logo or row is None:
                return None
            svg = monogram_svg(_name(org, next(iter(org.legal_name))))
            image, _ = ImageRepository(session).put(
                CheckedImage(MEDIA_TYPES["svg"], svg, 96, 96), organisation_id=row.id, now=now
            )
            orgs.set_logo(organisation, image.sha256, now=now)
            AuditRepository(session).append(
                at=now, actor=actor, action="organisation.logo", subject=organisation, details={"image": image.sha256}
            )
            return image.sha256

    # -- reading -----------------------------------------------------------------------------------

    def image(self, sha256: str) -> Picture:
        """A stored image; NotFoundError when there is none."""
        with self.database.transaction(read_only=True) as session:
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

    def badge(self, definition_id: str, version: int | None = None, *, lang: str | None = None) -> Picture:
        """The badge of a definition version (the latest unless given): the uploaded image, or the generated
        one (in ``lang`` where the title has it). NotFoundError when there is no such definition."""
        with self.database.transaction(read_only=True) as session:
            stored = DefinitionRepository(session).get(definition_id, version)
            definition = stored.definition
            if definition.badge is not None and definition.badge.image:
                row = ImageRepository(session).get(definition.badge.image)
                if row is not None:
                    return Picture(row.content, row.media_type, row.sha256)
            orgs = OrganisationRepository(session)
            issuer = orgs.get(definition.awarding_bodies[0]) if orgs.row(definition.awarding_bodies[0]) else None
        picture = badge_picture(definition, issuer, lang)
        return Picture(picture.content, picture.media_type)

    def logo(self, organisation: str) -> Picture:
        """The organisation's uploaded logo, else a monogram of its name; NotFoundError when there is no such
        organisation."""
        with self.database.transaction(read_only=True) as session:
            row = OrganisationRepository(session).row(organisation)
            if row is None:
                raise NotFoundError(f"no organisation '{organisation}'")
            document = dict(row.document)
            logo = document.get("logo")
            image = ImageRepository(session).get(logo) if isinstance(logo, str) else None
            if image is not None:
                return Picture(image.content, image.media_type, image.sha256)
        names = document.get("legal_name")
        name = next(iter(names.values()), organisation) if isinstance(names, dict) and names else organisation
        return Picture(monogram_svg(str(name)), MEDIA_TYPES["svg"])

    def image_url(self, sha256: str, media_type: str) -> str:
        """The public, content-addressed URL of a stored image."""
        return self.public_url + image_path(sha256, media_type)

    def image_for(self, credential: Mapping[str, Any], kind: str) -> bytes:
        """The badge of a credential as ``kind`` (``png`` or ``svg``) bytes, for baked files and PDFs: the image
        it names when this instance stores it in that type; for this instance's own award, its definition
        version's uploaded image or its design drawn in that type; an embedded ``data:`` image of that type that
        passes the checks; else a badge generated from its title and issuer. Nothing is fetched."""
        media_type = MEDIA_TYPES["png" if kind == "png" else "svg"]
        achievement, url = _achievement_image(credential)
        stored = self.image_at(url)
        if stored is not None and stored.media_type == media_type:
            return stored.content
        match = _OWN_ACHIEVEMENT.match(str(achievement.get("id", ""))[len(self.public_url) :])
        if str(achievement.get("id", "")).startswith(self.public_url) and match:
            try:
                own = self._own_badge(match.group(1), int(match.group(2)), media_type)
            except NotFoundError:
                own = None
            if own is not None:
                return own
        embedded = data_url_image(url)
        if embedded is not None and embedded.media_type == media_type:
            return embedded.content
        title, issuer = _title_and_issuer(credential, achievement)
        colour, shape = default_design(title)
        draw = badge_png if kind == "png" else badge_svg
        return draw(title=title[:300] or "?", issuer=issuer[:200], colour=colour, shape=shape)

    def _own_badge(self, slug: str, version: int, media_type: str) -> bytes | None:
        with self.database.transaction(read_only=True) as session:
            stored = DefinitionRepository(session).get(slug, version)
            definition = stored.definition
            if definition.badge is not None and definition.badge.image:
                row = ImageRepository(session).get(definition.badge.image)
                if row is not None and row.media_type == media_type:
                    return row.content
            orgs = OrganisationRepository(session)
            issuer = orgs.get(definition.awarding_bodies[0]) if orgs.row(definition.awarding_bodies[0]) else None
        if media_type == MEDIA_TYPES["svg"]:
            return badge_picture(definition, issuer).content
        lang = next(iter(definition.title))
        colour, shape = default_design(definition.id)
        if definition.badge is not None:
            colour, shape = definition.badge.colour or colour, definition.badge.shape or shape
        title = pick(definition.title, lang)[1]
        return badge_png(title=title, issuer=_name(issuer, lang), colour=colour, shape=shape)

    def badge_src(self, credential: object) -> str:
        """What a page shows as the badge of a credential (any issuer's): this instance's stored image by its
        path, an embedded ``data:`` PNG or SVG that passes the upload checks (cleaned), else a badge generated
        from its title and issuer. A remote image is never fetched."""
        document = credential if isinstance(credential, Mapping) else {}
        achievement, url = _achievement_image(document)
        if isinstance(url, str):
            if url.startswith(self.public_url + "/images/") and _IMAGE_PATH.search(url):
                return url[len(self.public_url) :]
            if (embedded := data_url_image(url)) is not None:
                return embedded.data_url()
        return generated_src(*_title_and_issuer(document, achievement))


def _achievement_image(credential: Mapping[str, Any]) -> tuple[Mapping[str, Any], object]:
    """A credential's achievement (or an empty mapping) and the URL its ``image`` names (or None)."""
    subject = credential.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    achievement = achievement if isinstance(achievement, Mapping) else {}
    image = achievement.get("image")
    return achievement, image.get("id") if isinstance(image, Mapping) else image


def _title_and_issuer(credential: Mapping[str, Any], achievement: Mapping[str, Any]) -> tuple[str, str]:
    title = achievement.get("name") or credential.get("name")
    issuer = credential.get("issuer")
    name = issuer.get("name") if isinstance(issuer, Mapping) else None
    return (title if isinstance(title, str) else "", name if isinstance(name, str) else "")


@lru_cache(maxsize=512)
def generated_src(title: str, issuer: str) -> str:
    """A ``data:`` URL of the badge generated from a title and issuer name (the design picked from the title)."""
    colour, shape = default_design(title)
    svg = badge_svg(title=title[:300] or "?", issuer=issuer[:200], colour=colour, shape=shape)
    return CheckedImage(MEDIA_TYPES["svg"], svg, 256, 256).data_url()
