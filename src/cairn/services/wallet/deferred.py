"""Deferred issuance, Cairn's wallet as the client (OpenID4VCI 1.0 section 9; draft 13's ``issuance_pending``).

When an issuer's credential endpoint answers a ``transaction_id`` instead of credentials (1.0: HTTP 202 with
``interval``; draft 13: 200), :class:`~cairn.services.wallet.receiving.CredentialReceiver` keeps a **pending
receipt** (:class:`~cairn.store.wallet_receipt_tables.PendingReceiptRow`): the issuer, its deferred endpoint (on
the issuer's origin, like every other endpoint), the configuration, the wallet key it proved, the access token and
the transaction id (both sealed with a key derived from ``CAIRN_SECRET_KEY``, the account as associated data), when
to ask next (the issuer's ``interval`` kept within :data:`MIN_INTERVAL` and :data:`MAX_INTERVAL`) and when to stop
waiting (:data:`MAX_WAIT`).

:meth:`DeferredReceipts.check` asks the deferred endpoint, never before the time the issuer asked for:

- ``issuance_pending`` (or 202 again): still waiting, asked again after the new interval;
- credentials: verified on the one verification path and refused unless bound to the key proved, exactly as an
  immediate receipt; stored (``wallet.receive``, ``deferred: true``), the issuer told ``credential_accepted`` or
  ``credential_failure``, the receipt gone;
- ``invalid_transaction_id``, ``credential_request_denied``, ``invalid_token`` (the token expired) or the wait over:
  the receipt ends with the reason in plain words (``wallet.receive_ended``, never a token or transaction id).

An answer that says nothing (the issuer unreachable, HTTP 5xx) changes nothing but the time of the next check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from cairn.errors import ConflictError, InputError, NotFoundError
from cairn.services.issuing.keys import derive_key, open_secret, seal_secret
from cairn.services.wallet.offers import (
    MAX_CREDENTIAL_ANSWER,
    Offer,
    OfferedConfiguration,
    clean_text,
    credentials_of,
    parse_json,
)
from cairn.services.wallet.records import ALREADY, WalletItem, _to_item
from cairn.store.audit import AuditRepository
from cairn.store.tables import WalletRow
from cairn.store.wallet.repository import WalletRepository
from cairn.store.wallet_receipt_tables import PendingReceiptRow
from cairn.vc.fetch import Response
from cairn.vc.keys import KeyType

if TYPE_CHECKING:
    from cairn.services.wallet.receiving import CredentialReceiver

__all__ = ["MAX_INTERVAL", "MAX_WAIT", "MIN_INTERVAL", "Deferral", "DeferredReceipts", "Outcome", "PendingReceipt"]

MIN_INTERVAL: Final = 30
"""Seconds at least between two checks of one receipt, whatever the issuer asks (the spec's default is 5)."""
MAX_INTERVAL: Final = 7 * 24 * 3600
"""Seconds at most the wallet waits between checks, whatever the issuer asks."""
MAX_WAIT: Final = timedelta(days=90)
"""How long the wallet waits on a deferred transaction before it stops."""
RECEIPT_KEY_INFO: Final = b"cairn/v1/wallet-receipt-secrets"
"""HKDF ``info`` for the key that seals a pending receipt's access token and transaction id."""
_TOKEN, _TRANSACTION = "openid4vci-access-token", "openid4vci-transaction-id"
_PLAIN: Final = {
    "invalid_transaction_id": "The issuer no longer knows this request (it was cancelled or already delivered)",
    "credential_request_denied": "The issuer will not issue it: %(why)s",
    "invalid_token": "The issuer no longer accepts this wallet's access to the request (it has expired)",
}


@dataclass(frozen=True, slots=True)
class Deferral:
    """A credential endpoint's deferred answer: the transaction id (a secret) and the interval asked for."""

    transaction_id: str
    interval: int | None


@dataclass(frozen=True, slots=True)
class PendingReceipt:
    """A pending receipt as the learner sees it; ``ended`` is why it ended (a phrase: ``msgid`` and ``args``)."""

    id: int
    credential_issuer: str
    issuer_name: str | None
    configuration_name: str
    created_at: datetime
    next_check_at: datetime
    checked_at: datetime | None
    expires_at: datetime
    ended_at: datetime | None
    ended: dict[str, Any] | None

    @property
    def issuer_host(self) -> str:
        """The issuer's host name, the one thing about it that is not self-declared."""
        return urlsplit(self.credential_issuer).hostname or ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a check found: ``pending`` (still waiting), ``received`` (``items`` stored) or ``ended``."""

    state: str
    receipt: PendingReceipt | None
    items: list[WalletItem]


def deferral_of(response: Response) -> Deferral | None:
    """The deferred answer in ``response`` (1.0's 202, draft 13's 200 with only a ``transaction_id``), else None."""
    if response.status not in (200, 202):
        return None
    answer = parse_json(response.content, "credential answer") if response.content else {}
    if not isinstance(answer, dict) or "credentials" in answer or "credential" in answer:
        if response.status == 202:
            raise InputError("the issuer's deferred answer has no transaction_id")
        return None
    transaction = answer.get("transaction_id")
    if not isinstance(transaction, str) or not transaction or len(transaction) > 4096 or not transaction.isprintable():
        if response.status == 202:
            raise InputError("the issuer's deferred answer has no transaction_id")
        return None
    return Deferral(transaction, _interval(answer))


def _interval(answer: dict[str, Any]) -> int | None:
    value = answer.get("interval")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _clamped(interval: int | None) -> timedelta:
    return timedelta(seconds=min(max(interval or MIN_INTERVAL, MIN_INTERVAL), MAX_INTERVAL))


def _view(row: PendingReceiptRow) -> PendingReceipt:
    return PendingReceipt(
        row.id,
        row.credential_issuer,
        row.issuer_name,
        row.configuration_name,
        row.created_at,
        row.next_check_at,
        row.checked_at,
        row.expires_at,
        row.ended_at,
        dict(row.ended) if row.ended is not None else None,
    )


class DeferredReceipts:
    """Keeps, lists, checks and drops pending receipts for a :class:`CredentialReceiver`."""

    def __init__(self, receiver: CredentialReceiver) -> None:
        self.receiver = receiver
        self.wallet = receiver.wallet
        self._sealing_key: bytes | None = None

    def _key(self) -> bytes:
        if self._sealing_key is None:
            self._sealing_key = derive_key(self.wallet._secret_key(), info=RECEIPT_KEY_INFO)
        return self._sealing_key

    def _seal(self, account_id: int, text: str, kind: str) -> bytes:
        return seal_secret(text.encode("utf-8"), key=self._key(), organisation_id=account_id, kind=kind)

    def _open(self, account_id: int, sealed: bytes, kind: str) -> str:
        return open_secret(sealed, key=self._key(), organisation_id=account_id, kind=kind).decode("utf-8")

    # -- keeping ----------------------------------------------------------------------------------------------

    def keep(
        self,
        session: Session,
        wallet: WalletRow,
        offer: Offer,
        configuration: OfferedConfiguration,
        key_type: KeyType,
        did: str,
        access: str,
        deferral: Deferral,
    ) -> PendingReceipt:
        """Store a pending receipt for ``deferral`` (in the caller's transaction)."""
        now = self.wallet.clock()
        row = PendingReceiptRow(
            wallet_id=wallet.id,
            credential_issuer=offer.credential_issuer,
            issuer_name=offer.issuer_name,
            deferred_endpoint=self.receiver.deferred_endpoint(offer),
            notification_endpoint=offer.notification_endpoint,
            configuration=configuration.id,
            configuration_name=clean_text(configuration.name, 500),
            draft13=offer.draft13,
            holder_did=did,
            key_type=key_type.value,
            token_sealed=self._seal(wallet.account_id, access, _TOKEN),
            transaction_sealed=self._seal(wallet.account_id, deferral.transaction_id, _TRANSACTION),
            created_at=now,
            next_check_at=now + _clamped(deferral.interval),
            expires_at=now + MAX_WAIT,
        )
        session.add(row)
        session.flush()
        return _view(row)

    def list(self, account_id: int) -> list[PendingReceipt]:
        """The account's pending (and ended, not yet dropped) receipts, oldest first."""
        with self.wallet.database.transaction(read_only=True) as session:
            wallet = WalletRepository(session).by_account(account_id)
            if wallet is None:
                return []
            query = select(PendingReceiptRow).where(PendingReceiptRow.wallet_id == wallet.id)
            return [_view(r) for r in session.scalars(query.order_by(PendingReceiptRow.id))]

    def drop(self, account_id: int, receipt_id: int) -> None:
        """Forget a pending receipt (the issuer is not told: it has no way to hear it)."""
        with self.wallet.database.transaction() as session:
            session.delete(self._row(session, account_id, receipt_id))

    def _row(self, session: Session, account_id: int, receipt_id: int, lock: bool = False) -> PendingReceiptRow:
        wallet = self.wallet._wallet(session, account_id)
        row = session.get(PendingReceiptRow, receipt_id, with_for_update=lock)  # two clicks: one asks, one waits
        if row is None or row.wallet_id != wallet.id:
            raise NotFoundError("no such pending credential in your wallet")
        return row

    # -- checking ---------------------------------------------------------------------------------------------

    def check(self, account_id: int, receipt_id: int) -> Outcome:
        """Ask the issuer's deferred endpoint now (see the module's description)."""
        now = self.wallet.clock()
        with self.wallet.database.transaction() as session:
            row = self._row(session, account_id, receipt_id, lock=True)
            if row.ended_at is not None:
                raise InputError("Cairn no longer waits for this credential")
            if now < row.next_check_at:
                raise InputError(
                    "the issuer asked to wait: check again after %(when)s",
                    when=row.next_check_at.strftime("%Y-%m-%d %H:%M UTC"),
                )
            if now >= row.expires_at:
                return self._end(session, row, {"msgid": "Cairn stopped waiting: the issuer did not issue it in time"})
            row.checked_at, row.next_check_at = now, now + _clamped(None)  # a failed request is not asked again at once
            access = self._open(account_id, row.token_sealed, _TOKEN)
            transaction = self._open(account_id, row.transaction_sealed, _TRANSACTION)
            endpoint, issuer, notification = row.deferred_endpoint, row.credential_issuer, row.notification_endpoint
            did, key_type, configuration = row.holder_did, row.key_type, row.configuration
        body = json.dumps({"transaction_id": transaction}).encode("utf-8")
        response = self.receiver._post(
            endpoint, body, "application/json", MAX_CREDENTIAL_ANSWER, Authorization=f"Bearer {access}"
        )
        error = _error(response)
        if response.status in (200, 202) and (deferral := deferral_of(response)) is not None:
            return self._wait(account_id, receipt_id, deferral.interval)
        if error.get("error") == "issuance_pending":
            return self._wait(account_id, receipt_id, _interval(error))
        if response.status == 200:
            return self._deliver(
                account_id, receipt_id, response, access, (issuer, notification, did, key_type, configuration)
            )
        code = error.get("error") if isinstance(error.get("error"), str) else None
        if response.status == 401 and code is None:
            code = "invalid_token"
        if code is None or response.status >= 500:
            raise InputError(
                "the issuer could not answer now (HTTP %(status)s): try again later", status=str(response.status)
            )
        why = error.get("error_description")
        words = clean_text(why, 200) if isinstance(why, str) and why.strip() else clean_text(code, 80)
        phrase: dict[str, Any] = (
            {"msgid": _PLAIN[code], "args": {"why": words}}
            if code in _PLAIN
            else {
                "msgid": "The issuer refused: %(error)s (%(description)s)",
                "args": {"error": clean_text(code, 80), "description": words},
            }
        )
        with self.wallet.database.transaction() as session:
            return self._end(session, self._row(session, account_id, receipt_id), phrase, code)

    def _wait(self, account_id: int, receipt_id: int, interval: int | None) -> Outcome:
        with self.wallet.database.transaction() as session:
            row = self._row(session, account_id, receipt_id)
            row.next_check_at = self.wallet.clock() + _clamped(interval)
            return Outcome("pending", _view(row), [])

    def _end(
        self, session: Session, row: PendingReceiptRow, phrase: dict[str, Any], code: str | None = None
    ) -> Outcome:
        now = self.wallet.clock()
        row.ended_at, row.ended = now, phrase
        wallet = session.get(WalletRow, row.wallet_id)
        account = wallet.account_id if wallet is not None else 0
        AuditRepository(session).append(
            at=now,
            actor=f"account:{account}",
            action="wallet.receive_ended",
            subject=f"account:{account}",
            details={
                "credential_issuer": row.credential_issuer,
                "configuration": row.configuration,
                "error": clean_text(code, 80) if code else None,
            },
        )
        return Outcome("ended", _view(row), [])

    def _deliver(
        self,
        account_id: int,
        receipt_id: int,
        response: Response,
        access: str,
        about: tuple[str, str | None, str, str, str],
    ) -> Outcome:
        issuer, notification_endpoint, did, key_type, configuration = about
        receiver = self.receiver
        answer = receiver._json(response, "credential answer")
        notification = answer.get("notification_id")
        ids = [notification] if isinstance(notification, str) and 0 < len(notification) <= 500 else []
        refused: str | None
        if receiver.wallet.holder_key(account_id, KeyType(key_type))[1] != did:
            refused = "the wallet's key changed since the request"
            checked = []
        else:
            found = [receiver._checked(c, did) for c in credentials_of(answer)]
            refused = next((why for c, why in found if c is None), None)
            checked = [c for c, _ in found if c is not None]
        if refused is not None:
            receiver._notify(notification_endpoint, issuer, access, ids, "credential_failure", refused)
            with self.wallet.database.transaction() as session:
                phrase = {"msgid": "The credential was refused and not added: %(why)s", "args": {"why": refused}}
                return self._end(session, self._row(session, account_id, receipt_id), phrase, "refused")
        wallet = self.wallet
        try:
            with wallet.database.transaction() as session:
                row = self._row(session, account_id, receipt_id)
                wallet_row = wallet._wallet(session, account_id)
                rows = [wallet._store(session, wallet_row, c, source="openid4vci") for c in checked]
                session.delete(row)
                memberships = WalletRepository(session).memberships([r.id for r in rows])
                AuditRepository(session).append(
                    at=wallet.clock(),
                    actor=f"account:{account_id}",
                    action="wallet.receive",
                    subject=f"account:{account_id}",
                    details={
                        "credential_issuer": issuer,
                        "configurations": [configuration],
                        "credentials": [r.id for r in rows],
                        "deferred": True,
                    },
                )
                items = [_to_item(r, memberships.get(r.id, [])) for r in rows]
        except ConflictError:
            receiver._notify(notification_endpoint, issuer, access, ids, "credential_failure", ALREADY)
            with self.wallet.database.transaction() as session:
                row = self._row(session, account_id, receipt_id)
                return self._end(session, row, {"msgid": ALREADY[:1].upper() + ALREADY[1:]}, "already")
        receiver._notify(notification_endpoint, issuer, access, ids, "credential_accepted", None)
        return Outcome("received", None, items)


def _error(response: Response) -> dict[str, Any]:
    if response.status in (200, 202):
        return {}
    try:
        body = json.loads(response.content.decode("utf-8", "replace"))
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
