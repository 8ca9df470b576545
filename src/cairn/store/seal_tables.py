"""The seal certificates of organisations: the X.509 chain a European Digital Credential is sealed with (JAdES),
and its private key, encrypted at rest like every signing key (:func:`cairn.services.issuing.keys.seal_secret`).

The ``keys`` table cannot hold them: its public part is a 200-character multikey and every row of it is published
in the organisation's did.json; a seal key is RSA or EC with a certificate chain, published only inside the seals
it makes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cairn.store.base import Base, BigId, UtcDateTime

__all__ = ["SealCertificateRow"]


class SealCertificateRow(Base):
    """One seal certificate of an organisation. ``chain_pem``: the certificates, signing certificate first (public);
    ``key_encrypted``: the PKCS#8 DER of its private key, AES-256-GCM sealed (never shown, never logged);
    ``thumbprint``: the SHA-256 of the signing certificate (hex); ``retired_at``: when another replaced it or
    the owner removed it (a retired row keeps no key)."""

    __tablename__ = "seal_certificates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    chain_pem: Mapped[str] = mapped_column(Text)
    key_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_type: Mapped[str] = mapped_column(String(20))
    thumbprint: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(1000))
    not_before: Mapped[datetime] = mapped_column(UtcDateTime())
    not_after: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(320))
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
