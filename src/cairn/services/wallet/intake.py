"""The wallet's key, and how a credential enters a wallet: read, verified by the one verification use case, and
stored with its report (the base of :class:`~cairn.services.wallet.service.WalletService`)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

from cairn.errors import ConflictError, InputError, NotFoundError
from cairn.services.issuing.keys import derive_key, open_secret, seal_secret
from cairn.services.issuing.service import IssuingService
from cairn.services.verification.service import VerificationService
from cairn.services.wallet.records import (
    _KIND,
    ALREADY,
    WALLET_KEY_INFO,
    _Checked,
    _clean_tags,
    _content_hash,
    cnf_did,
    issuer_unreachable,
    record_check,
    status_of,
)
from cairn.store.database import Database
from cairn.store.tables import WalletCredentialRow, WalletRow
from cairn.store.wallet.repository import WalletRepository
from cairn.vc.dids import did_key
from cairn.vc.formats.baking import sniff, unbake
from cairn.vc.holder import HOLDER, holder_match
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.report import Outcome, Report
from cairn.vc.values import parse_time

__all__ = ["WalletCore"]


class WalletCore:
    """A wallet's key, and reading, verifying and storing what enters it (the base of :class:`WalletService`)."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime],
        verification: VerificationService,
        secret_key: Callable[[], str],
        issuing: IssuingService | None = None,
        max_upload_bytes: int = 52_428_800,
        recheck_after: timedelta = timedelta(minutes=60),
        refresh_on_list: bool = True,
    ) -> None:
        self.database = database
        self.clock = clock
        self.verification = verification
        self._secret_key = secret_key
        self.issuing = issuing
        self.max_upload_bytes = max_upload_bytes
        self.recheck_after = recheck_after
        self.refresh_on_list = refresh_on_list
        """Whether listing the wallet verifies due credentials of this instance again; False where the re-check
        job of the queue refreshes them (:mod:`cairn.services.wallet.refresh`)."""
        self._sealing_key: bytes | None = None
        self._companions: dict[int, str] = {}
        """Wallet id → the did:key of its P-256 companion (derived from the sealed seed: opened once, not per check)."""

    # -- the wallet and its key ---------------------------------------------------------------------

    def _sealer(self) -> bytes:
        if self._sealing_key is None:
            self._sealing_key = derive_key(self._secret_key(), info=WALLET_KEY_INFO)
        return self._sealing_key

    @staticmethod
    def _existing_wallet(session: Session, account_id: int) -> WalletRow | None:
        """The account's wallet, None before its first use (what a read-only transaction may ask)."""
        return WalletRepository(session).by_account(account_id)

    def _wallet(self, session: Session, account_id: int) -> WalletRow:
        repo = WalletRepository(session)
        row = repo.by_account(account_id)
        if row is not None:
            return row
        if repo.account(account_id) is None:
            raise NotFoundError("no such account")
        key = KeyPair.generate(KeyType.ED25519)
        sealed = seal_secret(key.secret, key=self._sealer(), organisation_id=account_id, kind=_KIND)
        return repo.add(account_id=account_id, did=did_key(key.public), private_key_encrypted=sealed, now=self.clock())

    def wallet_for(self, account_id: int) -> str:
        """The did:key of the account's wallet (made, with its key, on first use)."""
        with self.database.transaction() as session:
            return self._wallet(session, account_id).did

    def _key(self, wallet: WalletRow) -> KeyPair:
        secret = open_secret(
            wallet.private_key_encrypted, key=self._sealer(), organisation_id=wallet.account_id, kind=_KIND
        )
        return KeyPair.from_secret(KeyType.ED25519, secret)

    def _keys(self, wallet: WalletRow) -> tuple[KeyPair, KeyPair]:
        """The wallet's Ed25519 key and its P-256 companion (for issuers and verifiers that take only ES256)."""
        key = self._key(wallet)
        return key, p256_companion(key)

    def _companion_did(self, wallet: WalletRow) -> str:
        did = self._companions.get(wallet.id)
        if did is None:
            did = self._companions[wallet.id] = did_key(self._keys(wallet)[1].public)
        return did

    # -- whom a credential is about -------------------------------------------------------------------

    def _holder_match(self, session: Session, wallet: WalletRow, document: Mapping[str, Any], source: str) -> str:
        """``holder`` when the credential names the wallet's holder: its subject is the wallet's DID, or a (hashed)
        email identifier is the account's address once that address is verified, or it came through this
        instance's claim flow (which checked the address); ``someone-else`` or ``unknown`` otherwise."""
        if source == "claim":
            return HOLDER
        dids = {wallet.did, self._companion_did(wallet)}  # the Ed25519 key's and its P-256 companion's
        if cnf_did(document) in dids:  # an SD-JWT VC bound to one of the wallet's keys
            return HOLDER
        account = WalletRepository(session).account(wallet.account_id)
        email = account.email if account is not None and account.email_verified_at is not None else None
        return holder_match(document, dids=dids, email=email)

    def keep_check(self, session: Session, wallet: WalletRow, row: WalletCredentialRow, report: Report) -> None:
        """Keep what verifying a stored credential again found (status, report, when) and whom it is about (the
        account's address may have been verified since): the one way a re-check is recorded."""
        record_check(row, report, self.clock())
        row.holder_match = self._holder_match(session, wallet, row.document or {}, row.source)

    # -- verifying input ----------------------------------------------------------------------------

    def _check(self, data: bytes | str) -> _Checked:
        """Read and verify ``data`` (text, JSON, a JWT, a baked image or PDF); refuse what must be kept out."""
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        if len(raw) > self.max_upload_bytes:
            raise InputError(f"the file is larger than the {self.max_upload_bytes:,} bytes this Cairn accepts")
        if not raw.strip():
            raise InputError("there is nothing to import: paste a credential or choose a file")
        if sniff(raw) is not None:
            text = unbake(raw).strip()  # a BakingError (an InputError) says why an image cannot be read
            report = self.verification.verify(raw)
            if text.startswith(("https://", "http://")) and report.credential is not None:
                text = json.dumps(report.credential, ensure_ascii=False)  # the issuer's copy of a hosted assertion
        else:
            try:
                text = raw.decode("utf-8-sig").strip()
            except UnicodeDecodeError:
                raise InputError("this is neither a credential (JSON or a JWT) nor a baked image or PDF") from None
            report = self.verification.verify(text)
        readable = next((c for c in report.checks if c.name == "readable" and c.outcome is Outcome.FAIL), None)
        if readable is not None:
            raise InputError(f"this is not a credential Cairn can read: {readable.reason}")
        if "VerifiablePresentation" in str(report.format) or (report.credentials and report.credential is None):
            raise InputError("this is a presentation, not a credential: import the credentials it carries one by one")
        proof = next((c for c in report.checks if c.name == "proof" and c.outcome is Outcome.FAIL), None)
        if proof is not None:
            unreachable = issuer_unreachable(report.to_dict())
            if unreachable is None:  # the signature itself is wrong (or missing): keep it out
                raise InputError(
                    f"this credential did not pass verification and was not added: {proof.reason}. "
                    "It may have been changed after it was issued; ask the issuer for a fresh copy"
                )
            if report.credential is None:  # nothing to keep: the issuer's server holds the credential itself
                raise InputError(
                    f"Cairn could not reach the issuer to check this credential, so it was not added: {unreachable}. "
                    "Try again later"
                )
            # The issuer's key could not be fetched: no sign of tampering. Kept as "unverifiable" (never shown
            # as valid, see status_of) and checked again when it is opened.
        return _Checked(text, report, _content_hash(text))

    def _values(self, checked: _Checked) -> dict[str, Any]:
        report = checked.report
        doc = dict(report.credential or {})
        title = str(report.achievement.get("name") or doc.get("name") or "Untitled credential")[:500]
        issuer_name = report.issuer.get("name")
        issuer_id = report.issuer.get("id")
        issued = parse_time(doc.get("validFrom")) or parse_time(doc.get("issuanceDate"))
        issued = issued or parse_time(doc.get("awardedDate")) or parse_time(doc.get("issuedOn"))
        until = parse_time(doc.get("validUntil")) or parse_time(doc.get("expirationDate"))
        return {
            "format": str(report.format)[:40],
            "document": doc,
            "title": title,
            "issuer_name": str(issuer_name)[:500] if issuer_name else None,
            "issuer_id": str(issuer_id)[:2000] if issuer_id else None,
            "issued_at": issued,
            "valid_until": until,
            "status": status_of(report),
            "report": report.to_dict(),
            "checked_at": self.clock(),
        }

    def _store(
        self,
        session: Session,
        wallet: WalletRow,
        checked: _Checked,
        *,
        source: str,
        award_id: str | None = None,
        tags: Sequence[str] = (),
    ) -> WalletCredentialRow:
        repo = WalletRepository(session)
        if repo.by_hash(wallet.id, checked.content_hash) is not None:
            raise ConflictError(ALREADY)
        values = self._values(checked)
        clean = _clean_tags(tags)
        now = self.clock()
        holder = self._holder_match(session, wallet, values["document"], source)
        return repo.add_credential(
            id=str(uuid.uuid4()),
            wallet_id=wallet.id,
            content_hash=checked.content_hash,
            source=source[:40],
            original=checked.text,
            added_at=now,
            tags={"tags": clean},
            search_text=self._search_text(values, clean),
            public=False,
            award_id=award_id,
            holder_match=holder,
            status_seen=values.get("status"),
            **values,
        )

    @staticmethod
    def _search_text(values: Mapping[str, Any], tags: Sequence[str]) -> str:
        report = values.get("report") or {}
        achievement = report.get("achievement") or {}
        words = [
            values.get("title") or "",
            values.get("issuer_name") or "",
            values.get("issuer_id") or "",
            str(achievement.get("description") or ""),
            *tags,
        ]
        return " ".join(w for w in words if w).lower()


P256_INFO: Final = b"cairn wallet P-256 companion key v1"


def p256_companion(key: KeyPair) -> KeyPair:
    """The wallet's P-256 key, derived from its Ed25519 seed with HKDF-SHA256 (so nothing more is stored, and the
    key is the same each time): EUDI issuers and HAIP verifiers take only ES256 key proofs and key bindings."""
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    okm = HKDF(algorithm=hashes.SHA256(), length=48, salt=None, info=P256_INFO).derive(key.secret)
    scalar = int.from_bytes(okm, "big") % (order - 1) + 1  # 48 bytes reduced: no measurable bias (FIPS 186-5 A.4.1)
    return KeyPair.from_secret(KeyType.P256, scalar.to_bytes(32, "big"))
