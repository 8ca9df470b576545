"""The learner's wallet: claim, import and verify credentials from anywhere, organise, present, export, erase.

Every credential that enters a wallet (from a claim link, pasted text, an uploaded file of any kind, a URL
or an export zip) goes through :func:`cairn.vc.intake.verify_any` and is kept with its report. A
credential whose signature fails, or that cannot be read as a credential, is kept out with the reason; an
expired, revoked or suspended one is kept and shown as such. The status is derived from the report
(:func:`status_of`) and re-checked when a credential is shown and its last check is older than the
configured age.

Each wallet holds an Ed25519 did:key, made on first use, whose secret is sealed at rest with AES-256-GCM
under a key derived from ``CAIRN_SECRET_KEY`` (as organisations' keys are, :mod:`cairn.services.issuing.keys`),
and signs the learner's Verifiable Presentations.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import io
import json
import re
import uuid
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from cairn.errors import CairnError, ConflictError, InputError, NotFoundError, PermissionDeniedError
from cairn.services.accounts.access import normalise_email
from cairn.services.issuing.keys import derive_key, open_secret, seal_secret
from cairn.services.issuing.service import IssuingService
from cairn.store.accounts.repository import AccountRepository, MembershipRepository
from cairn.store.audit import AuditRepository
from cairn.store.database import Database
from cairn.store.tables import WalletCredentialRow, WalletRow
from cairn.store.wallet.repository import WalletRepository, erase_account, redact_audit
from cairn.vc.dids import did_key
from cairn.vc.fetch import Fetcher
from cairn.vc.formats.baking import sniff, unbake
from cairn.vc.holder import email_matches
from cairn.vc.intake import verify_any
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.presentations import create_presentation, create_presentation_jwt
from cairn.vc.proofs.jose import is_compact_jws
from cairn.vc.report import Outcome, Report
from cairn.vc.values import parse_time

__all__ = [
    "STATUSES",
    "WALLET_KEY_INFO",
    "Collection",
    "LastOwnerError",
    "UnverifiedEmailError",
    "WalletImport",
    "WalletItem",
    "WalletService",
    "issuer_unreachable",
    "status_of",
]

WALLET_KEY_INFO: Final = b"cairn/v1/wallet-key-encryption"
"""HKDF ``info`` for the key that seals wallets' did:key secrets at rest."""
STATUSES: Final = ("valid", "expired", "revoked", "suspended", "unverifiable")
_KIND: Final = "wallet-ed25519"
MAX_ZIP_ENTRIES: Final = 1000
MAX_ZIP_RATIO: Final = 100
MAX_TAGS: Final = 20
MAX_TAG: Final = 50
MAX_COLLECTION_NAME: Final = 200
ALREADY: Final = "this credential is already in your wallet"
UNVERIFIED: Final = (
    "your email address is not confirmed yet: sign in with a link sent to the address this award was sent to"
)


class UnverifiedEmailError(PermissionDeniedError):
    """The account's email is not verified, so it cannot prove that an award sent to it is its own."""


class LastOwnerError(ConflictError):
    """The account is the only owner of these organisations: erasing it would leave them with nobody to run them."""

    MESSAGE: Final = (
        "you are the only owner of %(organisations)s: make another member an owner first, then delete your account"
    )

    def __init__(self, organisations: Sequence[str]) -> None:
        self.organisations = tuple(organisations)
        super().__init__(self.MESSAGE % {"organisations": ", ".join(self.organisations)})


def status_of(report: Report) -> str:
    """The wallet status a report gives: a failed or missing signature or an unreadable input is
    ``unverifiable`` (never shown as valid); then revoked, suspended, expired; else ``valid``."""
    proof = report.outcome_of("proof")
    readable = report.outcome_of("readable")
    if readable is Outcome.FAIL or proof is not Outcome.PASS or not all(r.verified for r in report.credentials):
        return "unverifiable"
    failed = [c for c in report.checks if c.outcome is Outcome.FAIL]
    for check in failed:
        if check.name == "status" and "revoked" in check.reason:
            return "revoked"
    for check in failed:
        if check.name == "status" and "suspended" in check.reason:
            return "suspended"
    for check in failed:
        if check.name == "validity" and "expired" in check.reason:
            return "expired"
    return "unverifiable" if failed else "valid"


_UNREACHABLE: Final = (
    "cannot be resolved",  # a Data Integrity or JWT key: the did:web document or key URL could not be had
    "could not be asked",  # an Open Badges 2.0 hosted assertion: the issuer's server did not answer
    "cannot be had",  # an Open Badges 2.0 signed assertion: its key could not be fetched
    "needs the network",  # a hosted assertion while this Cairn fetches nothing
)


def issuer_unreachable(report: Mapping[str, Any]) -> str | None:
    """Why the signature could not be checked, when every failed proof check (in a report's JSON form) failed
    because the issuer's key or server could not be reached, not because the signature is wrong; else None.

    A did:key issuer's key is read offline: a did:key that does not resolve is broken, not out of reach."""
    checks = [c for c in report.get("checks") or [] if isinstance(c, Mapping)]
    failed = [str(c.get("reason") or "") for c in checks if c.get("check") == "proof" and c.get("outcome") == "fail"]
    if not failed or not all(any(mark in reason for mark in _UNREACHABLE) for reason in failed):
        return None
    issuer = report.get("issuer")
    if isinstance(issuer, Mapping) and str(issuer.get("id") or "").startswith("did:key:"):
        return None
    return failed[0]


@dataclass(frozen=True, slots=True)
class Collection:
    """A named collection and how many credentials it holds."""

    id: int
    name: str
    count: int = 0


@dataclass(frozen=True, slots=True)
class WalletItem:
    """One credential in a wallet, as pages show it."""

    id: str
    format: str
    source: str
    title: str
    issuer_name: str | None
    issuer_id: str | None
    issued_at: datetime | None
    valid_until: datetime | None
    status: str
    report: dict[str, Any]
    checked_at: datetime
    added_at: datetime
    tags: tuple[str, ...]
    collections: tuple[Collection, ...]
    public: bool
    award_id: str | None
    document: dict[str, Any]
    original: str

    @property
    def is_jwt(self) -> bool:
        """Whether the credential is kept as a compact JWT."""
        return is_compact_jws(self.original)


@dataclass
class WalletImport:
    """What importing an export zip did: credentials added, ones already there, and ones refused (name, reason)."""

    added: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Checked:
    text: str
    report: Report
    content_hash: str


def _content_hash(text: str) -> str:
    """SHA-256 of the credential: of its canonical JSON (so whitespace does not matter), or of the JWT."""
    stripped = text.strip()
    if stripped.startswith("{"):
        with contextlib.suppress(ValueError, RecursionError):
            stripped = json.dumps(json.loads(stripped), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(stripped.encode("utf-8")).hexdigest()


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:40].strip("-") or "credential"


def _clean_tags(tags: Sequence[str]) -> list[str]:
    out: list[str] = []
    for tag in tags:
        cleaned = " ".join(str(tag).split())[:MAX_TAG]
        if cleaned and cleaned.lower() not in (t.lower() for t in out):
            out.append(cleaned)
    if len(out) > MAX_TAGS:
        raise InputError(f"a credential can have at most {MAX_TAGS} tags")
    return out


class WalletService:
    """Learners' wallets over one database."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime],
        fetcher: Fetcher | None,
        secret_key: Callable[[], str],
        issuing: IssuingService | None = None,
        max_upload_bytes: int = 52_428_800,
        recheck_after: timedelta = timedelta(minutes=60),
    ) -> None:
        self.database = database
        self.clock = clock
        self.fetcher = fetcher
        self._secret_key = secret_key
        self.issuing = issuing
        self.max_upload_bytes = max_upload_bytes
        self.recheck_after = recheck_after
        self._sealing_key: bytes | None = None

    # -- the wallet and its key ---------------------------------------------------------------------

    def _sealer(self) -> bytes:
        if self._sealing_key is None:
            self._sealing_key = derive_key(self._secret_key(), info=WALLET_KEY_INFO)
        return self._sealing_key

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

    # -- verifying input ----------------------------------------------------------------------------

    def _check(self, data: bytes | str) -> _Checked:
        """Read and verify ``data`` (text, JSON, a JWT, a baked image or PDF); refuse what must be kept out."""
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        if len(raw) > self.max_upload_bytes:
            raise InputError(f"the file is larger than the {self.max_upload_bytes:,} bytes this Cairn accepts")
        if not raw.strip():
            raise InputError("there is nothing to import: paste a credential or choose a file")
        now = self.clock()
        if sniff(raw) is not None:
            text = unbake(raw).strip()  # a BakingError (an InputError) says why an image cannot be read
            report = verify_any(raw, now=now, fetcher=self.fetcher)
            if text.startswith(("https://", "http://")) and report.credential is not None:
                text = json.dumps(report.credential, ensure_ascii=False)  # the issuer's copy of a hosted assertion
        else:
            try:
                text = raw.decode("utf-8-sig").strip()
            except UnicodeDecodeError:
                raise InputError("this is neither a credential (JSON or a JWT) nor a baked image or PDF") from None
            report = verify_any(text, now=now, fetcher=self.fetcher)
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

    # -- adding credentials -------------------------------------------------------------------------

    def add_from_claim(self, account_id: int, email: str, claim_token: str) -> WalletItem:
        """Add the award a claim link names to the wallet, when the account's email matches the hashed email
        (or the DID) the credential was issued to, and that email is verified (someone used a link sent to it,
        or an operator made the account): :class:`UnverifiedEmailError` otherwise, since anyone can sign up
        with any address. The address checked is the account's stored one; ``email`` must be it too."""
        if self.issuing is None:
            raise NotFoundError("claiming is not available on this instance")
        view = self.issuing.by_claim_token(claim_token[:200])
        if view is None:
            raise NotFoundError("this claim link is not valid: check that you copied all of it")
        text = view.credential if isinstance(view.credential, str) else json.dumps(view.credential)
        checked = self._check(text)
        credential = checked.report.credential or (view.credential if isinstance(view.credential, dict) else {})
        with self.database.transaction() as session:
            account = AccountRepository(session).get(account_id)
            if account is None or account.disabled_at is not None:
                raise NotFoundError("no such account")
            address = account.email
            if normalise_email(email) != address:
                raise InputError("this is not the signed-in account's email address")
            if account.email_verified_at is None:
                raise UnverifiedEmailError(UNVERIFIED)
            wallet = self._wallet(session, account_id)
            if not _recipient_matches(credential, address, wallet.did):
                raise InputError(
                    "this credential was awarded to another email address: sign in with the address the claim "
                    "email was sent to"
                )
            row = self._store(session, wallet, checked, source="claim", award_id=view.award_id)  # ConflictError if held
            WalletRepository(session).link_award(view.award_id, address, self.clock())
            return self._item(session, row)

    def import_credential(
        self,
        account_id: int,
        data: bytes | str,
        *,
        source: str = "upload",
        filename: str | None = None,
        tags: Sequence[str] = (),
    ) -> WalletItem:
        """Verify and add one credential (JSON, JWT, OB 2.0, ELM, baked PNG/SVG, PDF): InputError when it is
        not a credential or its signature fails, ConflictError when it is already in the wallet. One whose
        issuer's key cannot be fetched now is added as ``unverifiable`` (see :func:`issuer_unreachable`)."""
        del filename  # the content says what it is; the name is not trusted
        checked = self._check(data)
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            return self._item(session, self._store(session, wallet, checked, source=source, tags=tags))

    def import_url(self, account_id: int, url: str) -> WalletItem:
        """Fetch a credential (or an Open Badges 2.0 hosted assertion) from ``url`` and import it; private
        addresses are refused by the fetcher."""
        url = url.strip()
        parts = urlsplit(url)
        if len(url) > 2000 or parts.scheme not in ("https", "http") or not parts.hostname:
            raise InputError("enter a web address starting with https://")
        if self.fetcher is None:
            raise InputError("this Cairn does not fetch from the web")
        response = self.fetcher.fetch(url)
        return self.import_credential(account_id, response.content, source="url")

    # -- reading ------------------------------------------------------------------------------------

    def _item(self, session: Session, row: WalletCredentialRow) -> WalletItem:
        memberships = WalletRepository(session).memberships([row.id])
        return _to_item(row, memberships.get(row.id, []))

    def list(
        self,
        account_id: int,
        *,
        q: str | None = None,
        tag: str | None = None,
        collection: int | None = None,
        status: str | None = None,
    ) -> list[WalletItem]:
        """The wallet's credentials, newest first, filtered by words, a tag, a collection and a status."""
        if status and status not in STATUSES:
            raise InputError(f"unknown status {status[:20]!r}: use one of {', '.join(STATUSES)}")
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            repo = WalletRepository(session)
            if collection is not None and repo.collection(wallet.id, collection) is None:
                raise NotFoundError("no such collection in your wallet")
            rows = repo.credentials(wallet.id, q=q, status=status, collection=collection)
            memberships = repo.memberships([r.id for r in rows])
            items = [_to_item(r, memberships.get(r.id, [])) for r in rows]
        if tag:
            wanted = tag.strip().lower()
            items = [i for i in items if wanted in (t.lower() for t in i.tags)]
        return items

    def timeline(
        self, account_id: int, *, items: Sequence[WalletItem] | None = None
    ) -> builtins.list[tuple[int, builtins.list[WalletItem]]]:
        """The credentials (``items``, already read, or all of the wallet's) by year of issue (or of adding
        when the credential gives no date), newest first."""
        items = self.list(account_id) if items is None else items
        by_year: dict[int, list[WalletItem]] = {}
        for item in items:
            by_year.setdefault((item.issued_at or item.added_at).year, []).append(item)
        return [
            (year, sorted(found, key=lambda i: i.issued_at or i.added_at, reverse=True))
            for year, found in sorted(by_year.items(), reverse=True)
        ]

    def tags(self, account_id: int, *, items: Sequence[WalletItem] | None = None) -> builtins.list[str]:
        """Every tag used in the wallet (in ``items``, when already read), sorted."""
        seen: dict[str, str] = {}
        for item in self.list(account_id) if items is None else items:
            for tag in item.tags:
                seen.setdefault(tag.lower(), tag)
        return sorted(seen.values(), key=str.lower)

    def get(self, account_id: int, credential_id: str) -> WalletItem:
        """One credential; re-verified first when its last check is older than the re-check age."""
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            row = WalletRepository(session).credential(wallet.id, credential_id)
            if row is None:
                raise NotFoundError("no such credential in your wallet")
            if self.clock() - row.checked_at > self.recheck_after:
                self._recheck(row)
            return self._item(session, row)

    def recheck(self, account_id: int, credential_id: str) -> WalletItem:
        """Verify a credential again now (status lists, validity)."""
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            row = WalletRepository(session).credential(wallet.id, credential_id)
            if row is None:
                raise NotFoundError("no such credential in your wallet")
            self._recheck(row)
            return self._item(session, row)

    def _recheck(self, row: WalletCredentialRow) -> None:
        report = verify_any(row.original, now=self.clock(), fetcher=self.fetcher)
        if report.outcome_of("readable") is Outcome.FAIL and row.format:
            report.format = row.format
        row.status = status_of(report)
        row.report = report.to_dict()
        row.checked_at = self.clock()

    # -- organising ---------------------------------------------------------------------------------

    def set_tags(self, account_id: int, credential_id: str, tags: Sequence[str]) -> WalletItem:
        """Replace a credential's tags."""
        clean = _clean_tags(tags)
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            row = WalletRepository(session).credential(wallet.id, credential_id)
            if row is None:
                raise NotFoundError("no such credential in your wallet")
            row.tags = {"tags": clean}
            values = {"title": row.title, "issuer_name": row.issuer_name, "issuer_id": row.issuer_id}
            row.search_text = self._search_text({**values, "report": row.report}, clean)
            return self._item(session, row)

    def collections(self, account_id: int) -> builtins.list[Collection]:
        """The wallet's collections, by name."""
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            return [Collection(c.id, c.name, n) for c, n in WalletRepository(session).collections(wallet.id)]

    @staticmethod
    def _collection_name(name: str) -> str:
        cleaned = " ".join(name.split())
        if not cleaned or len(cleaned) > MAX_COLLECTION_NAME:
            raise InputError(f"a collection needs a name of 1 to {MAX_COLLECTION_NAME} characters")
        return cleaned

    def create_collection(self, account_id: int, name: str) -> Collection:
        """A new collection; ConflictError when the wallet has one of that name."""
        cleaned = self._collection_name(name)
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            repo = WalletRepository(session)
            if repo.collection_by_name(wallet.id, cleaned) is not None:
                raise ConflictError(f"you already have a collection called {cleaned!r}")
            row = repo.add_collection(wallet.id, cleaned, self.clock())
            return Collection(row.id, row.name, 0)

    def rename_collection(self, account_id: int, collection_id: int, name: str) -> Collection:
        """Rename a collection."""
        cleaned = self._collection_name(name)
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            repo = WalletRepository(session)
            row = repo.collection(wallet.id, collection_id)
            if row is None:
                raise NotFoundError("no such collection in your wallet")
            other = repo.collection_by_name(wallet.id, cleaned)
            if other is not None and other.id != row.id:
                raise ConflictError(f"you already have a collection called {cleaned!r}")
            row.name = cleaned
            return Collection(row.id, row.name)

    def delete_collection(self, account_id: int, collection_id: int) -> None:
        """Delete a collection (its credentials stay in the wallet)."""
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            row = WalletRepository(session).collection(wallet.id, collection_id)
            if row is None:
                raise NotFoundError("no such collection in your wallet")
            session.delete(row)

    def set_membership(self, account_id: int, collection_id: int, credential_id: str, *, member: bool) -> None:
        """Put a credential in a collection, or take it out."""
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            repo = WalletRepository(session)
            if repo.collection(wallet.id, collection_id) is None:
                raise NotFoundError("no such collection in your wallet")
            row = repo.credential(wallet.id, credential_id)
            if row is None:
                raise NotFoundError("no such credential in your wallet")
            if member:
                repo.add_member(collection_id, row.id)
            else:
                repo.remove_member(collection_id, row.id)

    def remove(self, account_id: int, credential_id: str) -> None:
        """Remove a credential from the wallet (its share links stop working)."""
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            repo = WalletRepository(session)
            row = repo.credential(wallet.id, credential_id)
            if row is None:
                raise NotFoundError("no such credential in your wallet")
            repo.delete_credential(row)

    # -- presenting ---------------------------------------------------------------------------------

    def present(
        self,
        account_id: int,
        ids: Sequence[str],
        challenge: str,
        domain: str,
        *,
        format: Literal["jwt", "di"] = "jwt",
    ) -> str | dict[str, Any]:
        """A Verifiable Presentation of the chosen credentials, signed by the wallet's did:key for the
        verifier's ``challenge`` and ``domain``: a ``vp+jwt`` string, or a Data Integrity JSON object."""
        challenge, domain = challenge.strip(), domain.strip()
        if not challenge or len(challenge) > 500:
            raise InputError("enter the challenge the verifier gave you (up to 500 characters)")
        if not domain or len(domain) > 500:
            raise InputError("enter the verifier's domain (up to 500 characters)")
        if not ids:
            raise InputError("choose at least one credential to present")
        if len(ids) > 50:
            raise InputError("choose at most 50 credentials")
        if format not in ("jwt", "di"):
            raise InputError("the presentation format must be jwt or di")
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            repo = WalletRepository(session)
            credentials: list[Mapping[str, Any] | str] = []
            for credential_id in dict.fromkeys(ids):
                row = repo.credential(wallet.id, credential_id)
                if row is None:
                    raise NotFoundError("no such credential in your wallet")
                original = row.original.strip()
                credentials.append(original if is_compact_jws(original) else json.loads(original))
            key, did = self._key(wallet), wallet.did
        method = f"{did}#{did.removeprefix('did:key:')}"
        now = self.clock()
        if format == "jwt":
            return create_presentation_jwt(
                credentials, holder=did, key=key, kid=method, challenge=challenge, domain=domain, issued_at=now
            )
        return create_presentation(
            credentials,
            holder=did,
            key=key,
            verification_method=method,
            challenge=challenge,
            domain=domain,
            created=now,
        )

    # -- export, import, erase ----------------------------------------------------------------------

    def export_zip(self, account_id: int) -> bytes:
        """Everything in the wallet: ``credentials/NNN-<slug>.json|.jwt`` and ``manifest.json``."""
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            repo = WalletRepository(session)
            rows = list(reversed(repo.credentials(wallet.id)))
            memberships = repo.memberships([r.id for r in rows])
            did = wallet.did
        buffer = io.BytesIO()
        items = []
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for number, row in enumerate(rows, 1):
                original = row.original.strip()
                extension = "jwt" if is_compact_jws(original) else "json"
                name = f"credentials/{number:03d}-{_slug(row.title)}.{extension}"
                archive.writestr(name, original)
                items.append(
                    {
                        "id": row.id,
                        "file": name,
                        "format": row.format,
                        "title": row.title,
                        "tags": list((row.tags or {}).get("tags", [])),
                        "collections": [n for _, n in memberships.get(row.id, [])],
                        "added_at": row.added_at.isoformat(),
                        "source": row.source,
                    }
                )
            manifest = {"version": 1, "exported_at": self.clock().isoformat(), "did": did, "items": items}
            archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        return buffer.getvalue()

    def import_zip(self, account_id: int, data: bytes) -> WalletImport:
        """Import an export zip (from this or another Cairn): each credential verified again; tags and
        collections from the manifest. Bounded: entries, total size, compression ratio."""
        entries = self._read_zip(data)
        manifest = _manifest(entries.pop("manifest.json", None))
        result = WalletImport()
        for name, content in entries.items():
            if not name.startswith("credentials/") or not name.endswith((".json", ".jwt")):
                continue
            meta = manifest.get(name, {})
            tags = [t for t in meta.get("tags", []) if isinstance(t, str)][:MAX_TAGS]
            try:
                item = self.import_credential(account_id, content, source="import", tags=tags)
            except ConflictError:
                result.duplicates.append(name)
                continue
            except CairnError as exc:
                result.refused.append((name, exc.message))
                continue
            result.added.append(item.id)
            for collection in meta.get("collections", []):
                if isinstance(collection, str) and collection.strip():
                    self._join_by_name(account_id, collection, item.id)
        return result

    def _join_by_name(self, account_id: int, name: str, credential_id: str) -> None:
        cleaned = self._collection_name(name[:MAX_COLLECTION_NAME])
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            repo = WalletRepository(session)
            row = repo.collection_by_name(wallet.id, cleaned) or repo.add_collection(wallet.id, cleaned, self.clock())
            repo.add_member(row.id, credential_id)

    def _read_zip(self, data: bytes) -> dict[str, bytes]:
        if len(data) > self.max_upload_bytes:
            raise InputError(f"the file is larger than the {self.max_upload_bytes:,} bytes this Cairn accepts")
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError):
            raise InputError("this is not a zip file: choose the file 'Download everything' gave you") from None
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > MAX_ZIP_ENTRIES:
            raise InputError(f"the zip holds more than {MAX_ZIP_ENTRIES} files")
        budget = self.max_upload_bytes
        out: dict[str, bytes] = {}
        with archive:
            for info in infos:
                limit = min(budget, max(info.compress_size, 1) * MAX_ZIP_RATIO, 2_000_000)
                if info.file_size > limit:
                    raise InputError(f"{info.filename[:100]} is too large or too compressed to be a credential")
                try:
                    with archive.open(info) as handle:
                        content = handle.read(limit + 1)
                except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError):
                    raise InputError(f"{info.filename[:100]} in the zip cannot be read") from None
                if len(content) > limit:
                    raise InputError(f"{info.filename[:100]} is too large or too compressed to be a credential")
                budget -= len(content)
                out[info.filename] = content
        return out

    def erase(self, account_id: int, confirm_email: str) -> None:
        """Delete the account and every piece of personal data about it (see
        :func:`cairn.store.wallet.repository.erase_account`); ``confirm_email`` must be the account's email. Audit
        entries naming the address are redacted and the chain re-linked; an ``account.erase`` entry records it.
        ConflictError when the account is the only owner of an organisation (it would be left with nobody to run
        it)."""
        with self.database.transaction() as session:
            repo = WalletRepository(session)
            account = repo.account(account_id)
            if account is None:
                raise NotFoundError("no such account")
            email = account.email.lower()
            if confirm_email.strip().lower() != email:
                raise InputError("type your email address exactly as you sign in with it to confirm")
            memberships = MembershipRepository(session)
            orphaned = [
                organisation.slug
                for membership, organisation in memberships.organisations(account_id)
                if membership.role == "owner" and memberships.count(organisation.id, role="owner") == 1
            ]
            if orphaned:
                raise LastOwnerError(sorted(orphaned))
            erase_account(session, account_id, email)
            redacted = redact_audit(session, email, f"erased-account-{account_id}")
            AuditRepository(session).append(
                at=self.clock(),
                actor=f"account:{account_id}",
                action="account.erase",
                subject=f"account:{account_id}",
                details={"audit_entries_redacted": redacted},
            )


def _recipient_matches(credential: Mapping[str, Any], email: str, did: str) -> bool:
    """Whether the credential names this wallet (its DID) or ``email`` as its holder."""
    subjects = credential.get("credentialSubject")
    subject = subjects[0] if isinstance(subjects, list) and subjects else subjects
    if isinstance(subject, Mapping) and subject.get("id") == did:
        return True
    return email_matches(credential, email) is True


def _manifest(raw: bytes | None) -> dict[str, dict[str, Any]]:
    if raw is None:
        return {}
    try:
        parsed = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return {}
    items = parsed.get("items") if isinstance(parsed, dict) else None
    found: dict[str, dict[str, Any]] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("file"), str):
            found[item["file"]] = item
    return found


def _to_item(row: WalletCredentialRow, memberships: Sequence[tuple[int, str]]) -> WalletItem:
    return WalletItem(
        id=row.id,
        format=row.format,
        source=row.source,
        title=row.title,
        issuer_name=row.issuer_name,
        issuer_id=row.issuer_id,
        issued_at=row.issued_at,
        valid_until=row.valid_until,
        status=row.status,
        report=dict(row.report or {}),
        checked_at=row.checked_at,
        added_at=row.added_at,
        tags=tuple(str(t) for t in (row.tags or {}).get("tags", [])),
        collections=tuple(Collection(i, n) for i, n in memberships),
        public=bool(row.public),
        award_id=row.award_id,
        document=dict(row.document or {}),
        original=row.original,
    )
