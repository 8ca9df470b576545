"""Badge images and logos organisations upload, checked and cleaned before they get here, by SHA-256."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cairn.formats.images import CheckedImage
from cairn.store.tables import ImageRow, OrganisationRow

__all__ = ["ImageRepository"]


class ImageRepository:
    """The ``images`` table: one row per distinct content, owned by the organisation that stored it first."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, sha256: str) -> ImageRow | None:
        """The image with this SHA-256, or None."""
        return self.session.scalar(select(ImageRow).where(ImageRow.sha256 == sha256))

    def owner(self, sha256: str) -> str | None:
        """The id (slug) of the organisation that stored the image, or None when there is no such image."""
        return self.session.scalar(
            select(OrganisationRow.slug)
            .join(ImageRow, ImageRow.organisation_id == OrganisationRow.id)
            .where(ImageRow.sha256 == sha256)
        )

    def put(self, image: CheckedImage, *, organisation_id: int, now: datetime) -> tuple[ImageRow, bool]:
        """Store ``image`` for the organisation unless the same content is stored already; the row and whether
        it is new (identical bytes stored by another organisation stay that organisation's)."""
        sha = image.sha256
        row = self.get(sha)
        if row is not None:
            return row, False
        row = ImageRow(
            sha256=sha,
            organisation_id=organisation_id,
            media_type=image.media_type,
            content=image.content,
            width=image.width,
            height=image.height,
            created_at=now,
        )
        try:
            with self.session.begin_nested():  # two first awards at once may both draw the same badge
                self.session.add(row)
        except IntegrityError:
            stored = self.get(sha)
            assert stored is not None
            return stored, False
        return row, True

    def of(self, organisation_id: int) -> list[ImageRow]:
        """The images an organisation stored, newest first."""
        return list(
            self.session.scalars(
                select(ImageRow).where(ImageRow.organisation_id == organisation_id).order_by(ImageRow.id.desc())
            )
        )
