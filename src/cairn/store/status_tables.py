"""The signed forms of the status lists, stored so that every process serves what one of them signed (see
:mod:`cairn.services.issuing.status_publications`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cairn.store.base import Base, BigId, UtcDateTime

__all__ = ["StatusPublicationRow"]


class StatusPublicationRow(Base):
    """One published form of a status list: ``form`` ``vc`` (the Bitstring Status List credential), ``token``
    (the IETF Status List Token) or ``combined`` (the two-bit token of a revocation list and the suspensions).

    The version it was signed for: the list's ``revision``, the signing key's row id (``key_id``), the ``suite``
    (``ES256`` for tokens) and, for ``combined``, the ``suspensions`` (the revisions of the organisation's
    suspension lists by sequence, comma separated; empty otherwise). ``signed_at``: when it was signed (a token's
    ``iat``); ``expires_at``: a token's ``exp`` (None for the credential, which does not expire)."""

    __tablename__ = "status_list_publications"
    __table_args__ = (UniqueConstraint("list_id", "form", name="uq_status_list_publications_form"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("status_lists.id", ondelete="CASCADE"))
    form: Mapped[str] = mapped_column(String(20))
    revision: Mapped[int] = mapped_column(Integer)
    key_id: Mapped[int] = mapped_column(Integer)
    suite: Mapped[str] = mapped_column(String(40))
    suspensions: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[bytes] = mapped_column(LargeBinary)
    etag: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
