"""The wallet's pending receipts: credentials another issuer will issue later (OpenID4VCI deferred issuance).

The access token and the transaction id are secrets of the learner's: both are kept only encrypted
(:func:`cairn.services.issuing.keys.seal_secret`, a key derived from ``CAIRN_SECRET_KEY`` for this purpose, the
account as associated data). The row goes once the credentials are stored; an ended one keeps why it ended."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from cairn.store.base import Base, BigId, UtcDateTime

__all__ = ["PendingReceiptRow"]


class PendingReceiptRow(Base):
    """A deferred transaction the wallet waits on: the issuer, its deferred (and notification) endpoint, the
    configuration asked, the wallet key proved (``holder_did``, ``key_type``), the sealed token and transaction id,
    when to ask next; ``ended_at`` and ``ended`` (a phrase: ``msgid`` and ``args``) once the issuer refused."""

    __tablename__ = "wallet_pending_receipts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("wallets.id", ondelete="CASCADE"), index=True)
    credential_issuer: Mapped[str] = mapped_column(String(2000))
    issuer_name: Mapped[str | None] = mapped_column(String(500))
    deferred_endpoint: Mapped[str] = mapped_column(String(2000))
    notification_endpoint: Mapped[str | None] = mapped_column(String(2000))
    configuration: Mapped[str] = mapped_column(String(200))
    configuration_name: Mapped[str] = mapped_column(String(500))
    draft13: Mapped[bool] = mapped_column(Boolean)
    holder_did: Mapped[str] = mapped_column(String(200))
    key_type: Mapped[str] = mapped_column(String(20))
    token_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    transaction_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    next_check_at: Mapped[datetime] = mapped_column(UtcDateTime())
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended: Mapped[dict[str, Any] | None]
