"""What a wallet holds, as the rest of Cairn sees it: items, collections, statuses, and the wallet's errors."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from cairn.errors import CairnError, ConflictError, InputError, PermissionDeniedError
from cairn.store.tables import WalletCredentialRow
from cairn.vc.dids import did_key
from cairn.vc.holder import HOLDER, holder_match
from cairn.vc.keys import PublicKey
from cairn.vc.proofs.jose import is_compact_jws
from cairn.vc.report import Outcome, Report

__all__ = [
    "ABOUT_SOMEONE_ELSE",
    "STATUSES",
    "WALLET_KEY_INFO",
    "AboutSomeoneElseError",
    "Collection",
    "LastOwnerError",
    "UnverifiedEmailError",
    "WalletImport",
    "WalletItem",
    "cnf_did",
    "issuer_unreachable",
    "record_check",
    "status_notice",
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


ABOUT_SOMEONE_ELSE: Final = (
    "this credential names a different person, so it cannot be shown as yours: it stays in your wallet, but it "
    "cannot go on your public profile or be shared by link, as a certificate or on LinkedIn"
)


class AboutSomeoneElseError(ConflictError):
    """The credential is about someone other than the wallet's holder (or about nobody it names): it stays in
    the wallet but is never shown as the holder's (public profile, share links, certificate, LinkedIn)."""

    def __init__(self) -> None:
        super().__init__(ABOUT_SOMEONE_ELSE)


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
    ``unverifiable`` (never shown as valid); then revoked, suspended, expired; a status that could not be
    determined is ``unverifiable`` too (never valid, never revoked); else ``valid``."""
    proof = report.outcome_of("proof")
    readable = report.outcome_of("readable")
    if readable is Outcome.FAIL or proof is not Outcome.PASS or not all(r.verified for r in report.credentials):
        return "unverifiable"
    failed = [c for c in report.checks if c.outcome is Outcome.FAIL]
    known = [c for c in failed if not c.undetermined]  # "cannot confirm it has not been revoked" is not revoked
    for check in known:
        if check.name == "status" and "revoked" in check.reason:
            return "revoked"
    for check in known:
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
    holder_match: str = "someone-else"
    status_seen: str | None = None

    @property
    def notice(self) -> str | None:
        """What the learner has not been shown yet (see :func:`status_notice`)."""
        return status_notice(self.status, self.status_seen)

    @property
    def is_jwt(self) -> bool:
        """Whether the credential is kept as a compact JWT."""
        return is_compact_jws(self.original)

    @property
    def about_someone_else(self) -> bool:
        """True unless the credential names the wallet's holder: it is then never shown as theirs."""
        return self.holder_match != HOLDER


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


def cnf_did(document: Mapping[str, Any]) -> str | None:
    """The did:key of the key an SD-JWT VC binds (its ``cnf.jwk``), or None when it binds none this wallet reads."""
    cnf = document.get("cnf")
    jwk = cnf.get("jwk") if isinstance(cnf, Mapping) else None
    if not isinstance(jwk, Mapping):
        return None
    try:
        return did_key(PublicKey.from_jwk(jwk))
    except (CairnError, ValueError, TypeError):
        return None


def _recipient_matches(credential: Mapping[str, Any], email: str, did: str) -> bool:
    """Whether the credential names this wallet (its DID) or ``email`` as its holder."""
    return holder_match(credential, dids={did}, email=email) == HOLDER


def status_notice(status: str, seen: str | None) -> str | None:
    """The change of status the learner is to be told about: ``revoked`` or ``suspended`` when the credential's
    status (as verifying it last found) is that and the learner last saw another, ``reinstated`` when it is
    valid again after they saw it suspended; None otherwise (nothing seen recorded yet counts as seen)."""
    if seen is None or status == seen:
        return None
    if status in ("revoked", "suspended"):
        return status
    return "reinstated" if status == "valid" and seen == "suspended" else None


def record_check(row: WalletCredentialRow, report: Report, now: datetime) -> None:
    """Keep what verifying a stored credential again found: its status, report and when (an unreadable result
    keeps the format the credential was read as)."""
    if report.outcome_of("readable") is Outcome.FAIL and row.format:
        report.format = row.format
    row.status = status_of(report)
    row.report = report.to_dict()
    row.checked_at = now


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
        holder_match=row.holder_match,
        status_seen=row.status_seen,
    )
