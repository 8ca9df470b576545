"""The tables of OpenID for Verifiable Presentations: an organisation's presentation requests and what answered
them.

The request's handle (the address of its request object), ``state`` and ``nonce`` are derived from its random id
with a key from ``CAIRN_SECRET_KEY``; only the handle's and the state's SHA-256 are kept, to find the request.
The presentation itself is never kept: only the verification report (JSON), the holder's identifier and the
credential queries it answered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from cairn.store.base import Base, UtcDateTime

__all__ = ["PresentationRequestRow"]


class PresentationRequestRow(Base):
    """One presentation request of an organisation. ``dcql``: the DCQL query; ``client_prefix``:
    ``decentralized_identifier`` (signed by the organisation's key) or ``redirect_uri`` (unsigned);
    ``answered_at`` and ``result`` (the report and the queries answered) once a presentation was accepted: the
    nonce is then used up."""

    __tablename__ = "presentation_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(1000))
    dcql: Mapped[dict[str, Any]]
    client_prefix: Mapped[str] = mapped_column(String(40))
    handle_hash: Mapped[str] = mapped_column(String(64), unique=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    result: Mapped[dict[str, Any] | None]
