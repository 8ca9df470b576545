"""Issuer identity: each organisation's did:web and its signing keys, encrypted at rest.

Each organisation is ``did:web:HOST:orgs:SLUG`` under the instance's public URL (a port is written
``%3A``; a base path adds segments), and its ``did.json`` lists every key it ever signed with: rotation
retires the current key (no longer used to sign) and keeps it in the document, so credentials signed
with it still verify.

Keys are Ed25519, or P-256 when the organisation signs with an ``ecdsa-*`` suite; ``ecdsa-rdfc-2019`` and
``ecdsa-jcs-2019`` can sign with P-384 instead (a request may ask for it, and an organisation that chose
P-384 with :meth:`KeyService.set_suite` signs with it by default: its ``signing_key_type`` column says so, see
:func:`organisation_suite`).
``ecdsa-sd-2023`` is P-256 only (its derived proofs hold a 64-byte base signature). The secret (32 bytes;
48 for P-384) is sealed with AES-256-GCM under a key derived by HKDF-SHA256 from ``CAIRN_SECRET_KEY``
(``info`` names the purpose), with the organisation's id as associated data, so a sealed key moved to
another organisation does not open. Stored form: version byte ``0x01`` | 12-byte nonce | ciphertext and
tag. Opened keys are cached per process and never logged (a :class:`~cairn.vc.keys.KeyPair`'s ``repr``
hides its secret).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy.orm import Session

from cairn.errors import ConfigurationError, InputError, NotFoundError
from cairn.store.catalog.repository import OrganisationRepository
from cairn.store.database import Database
from cairn.store.issuing.repository import (
    AuditRecord,
    KeyRepository,
    append_audit,
    lock_organisation,
    stamp_of,
)
from cairn.store.issuing.seals import SealRepository
from cairn.store.tables import KeyRow, OrganisationRow, SealCertificateRow
from cairn.vc.dids import VerificationMethod, did_web, did_web_document
from cairn.vc.issuance import SUITES, issue
from cairn.vc.keys import KeyPair, KeyType, PublicKey

__all__ = [
    "KEY_ENCRYPTION_INFO",
    "P384_SUITES",
    "RECIPIENT_KEY_INFO",
    "SEAL_VERSION",
    "KeyInfo",
    "KeyService",
    "SigningKey",
    "derive_key",
    "did_for",
    "key_type_for",
    "open_secret",
    "organisation_suite",
    "preferred_key_type",
    "seal_fragment",
    "seal_secret",
    "suite_of",
]

SEAL_VERSION: Final = 1
KEY_ENCRYPTION_INFO: Final = b"cairn/v1/signing-key-encryption"
"""HKDF ``info`` for the key that seals signing keys at rest."""
RECIPIENT_KEY_INFO: Final = b"cairn/v1/recipient-key"
"""HKDF ``info`` for the HMAC key that turns a recipient into an award's idempotency key."""
_NONCE: Final = 12
_DOCUMENTS_KEPT: Final = 256
_KeptDocument = tuple[tuple[tuple[Any, ...], ...], dict[str, Any], bytes]
"""A DID document kept by :class:`KeyService`: the stamp it was built from, the document, and its JSON."""
"""DID documents kept built, one per organisation (all are forgotten when more organisations are asked for)."""


def derive_key(secret_key: str, *, info: bytes, length: int = 32) -> bytes:
    """A key for one purpose (``info``), derived with HKDF-SHA256 from the instance's secret key."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(secret_key.encode("utf-8"))


def _aad(organisation_id: int, kind: str) -> bytes:
    return f"cairn-signing-key:v{SEAL_VERSION}:org:{organisation_id}:{kind}".encode()


def seal_secret(secret: bytes, *, key: bytes, organisation_id: int, kind: str) -> bytes:
    """Encrypt a signing key's secret for storage (AES-256-GCM, the organisation and key type as AAD)."""
    nonce = os.urandom(_NONCE)
    return bytes([SEAL_VERSION]) + nonce + AESGCM(key).encrypt(nonce, secret, _aad(organisation_id, kind))


def open_secret(sealed: bytes, *, key: bytes, organisation_id: int, kind: str) -> bytes:
    """Decrypt what :func:`seal_secret` wrote; ConfigurationError when it does not open."""
    if len(sealed) < 1 + _NONCE + 16 or sealed[0] != SEAL_VERSION:
        raise ConfigurationError("a stored signing key has an unknown encryption format")
    nonce, body = sealed[1 : 1 + _NONCE], sealed[1 + _NONCE :]
    try:
        return AESGCM(key).decrypt(nonce, body, _aad(organisation_id, kind))
    except InvalidTag:
        raise ConfigurationError(
            "a stored signing key cannot be decrypted: CAIRN_SECRET_KEY is not the one it was encrypted with"
        ) from None


def seal_fragment(thumbprint: str) -> str:
    """The fragment of a seal certificate's key in the organisation's DID document: ``seal-`` and the first 16
    hex digits of the certificate's SHA-256 (see :meth:`KeyService.did_document`)."""
    return f"seal-{thumbprint[:16]}"


def _seal_methods(did: str, rows: list[SealCertificateRow]) -> list[VerificationMethod]:
    """The P-256 keys of the organisation's seal certificates (retired ones too: SD-JWT VCs signed with them
    keep verifying), as Multikey verification methods."""
    methods = []
    for row in rows:
        if row.key_type != "P-256":
            continue
        try:
            public = x509.load_pem_x509_certificates(row.chain_pem.encode("ascii"))[0].public_key()
        except (ValueError, IndexError):
            continue
        if not isinstance(public, ec.EllipticCurvePublicKey) or not isinstance(public.curve, ec.SECP256R1):
            continue
        point = public.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
        methods.append(
            VerificationMethod.multikey(did, PublicKey(KeyType.P256, point), fragment=seal_fragment(row.thumbprint))
        )
    return methods


def did_for(public_url: str, slug: str) -> str:
    """The organisation's DID under the instance: ``did:web:HOST[%3APORT][:PATH...]:orgs:SLUG``."""
    parts = urlsplit(public_url)
    if not parts.hostname:
        raise ConfigurationError(f"the public URL {public_url!r} has no host name (set CAIRN_BASE_URL)")
    base = [p for p in parts.path.split("/") if p]
    try:
        return did_web(parts.hostname, [*base, "orgs", slug], port=parts.port)
    except (InputError, ValueError) as exc:
        raise ConfigurationError(f"the public URL {public_url!r} cannot make a did:web: {exc}") from None


P384_SUITES: Final = ("ecdsa-rdfc-2019", "ecdsa-jcs-2019")
"""The suites an organisation may sign with a P-384 key."""


def key_type_for(suite: str, key_type: KeyType | str | None = None) -> KeyType:
    """The key type a suite signs with: P-256 for ``ecdsa-*`` (or P-384 when ``key_type`` asks and the
    suite takes it), Ed25519 otherwise (EdDSA for JWTs). InputError for a key type the suite cannot use."""
    if suite not in SUITES:
        raise InputError(f"unknown signing suite {suite!r}; use one of: {', '.join(SUITES)}")
    default = KeyType.P256 if suite.startswith("ecdsa") else KeyType.ED25519
    if key_type is None or key_type == default:
        return default
    if key_type == KeyType.P384 and suite in P384_SUITES:
        return KeyType.P384
    allowed = "P-256 or P-384" if suite in P384_SUITES else default.value
    raise InputError(f"{suite} cannot sign with a {str(key_type)[:20]} key (it takes {allowed})")


def organisation_suite(organisation: OrganisationRow) -> tuple[str, KeyType | None]:
    """The suite an organisation signs with, and the key type it chose (None: the suite's own)."""
    chosen = organisation.signing_key_type
    return organisation.signing_suite, KeyType.P384 if chosen == KeyType.P384 else None


def preferred_key_type(signing_suite: str, signing_key_type: str | None, suite: str, key_type: str | None) -> KeyType:
    """The key type an organisation (its ``signing_suite`` and ``signing_key_type`` columns) signs ``suite`` with:
    ``key_type`` when given; else the organisation's choice (see :meth:`KeyService.set_suite`) when it signs that
    suite; else the suite's own."""
    chosen = KeyType.P384 if signing_key_type == KeyType.P384 else None
    if key_type is None and chosen is not None and suite == signing_suite:
        return chosen
    return key_type_for(suite, key_type)


def suite_of(organisation: OrganisationRow) -> str:
    """The cryptosuite the organisation signs with by default."""
    return organisation.signing_suite


@dataclass(frozen=True, slots=True)
class SigningKey:
    """The key an organisation signs with now: the pair, its verification method and its row id."""

    key: KeyPair
    verification_method: str
    key_row_id: int
    organisation_id: int


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A key as shown to people: never the secret."""

    verification_method: str
    type: str
    public_key_multibase: str
    created_at: datetime
    retired_at: datetime | None


def _stamp_key(slug: str) -> tuple[str, str]:
    """Where :meth:`Database.while_unchanged` keeps the stamp of ``slug``'s DID document."""
    return ("key stamp", slug)


class KeyService:
    """Signing keys and did:web documents of organisations.

    ``secret_key`` is called when a key must be sealed or opened (pass ``settings.require_secret_key``
    so a missing ``CAIRN_SECRET_KEY`` fails with its ConfigurationError only when issuing starts).
    """

    def __init__(
        self,
        database: Database,
        *,
        secret_key: Callable[[], str],
        public_url: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.database = database
        self.public_url = public_url.rstrip("/")
        self.clock = clock
        self._secret_key = secret_key
        self._sealing_key: bytes | None = None
        self._recipient_mac_key: bytes | None = None
        self._opened: dict[int, KeyPair] = {}
        self._lock = threading.Lock()
        self._documents: dict[str, _KeptDocument] = {}

    # -- secrets ------------------------------------------------------------------------------------

    def _key(self) -> bytes:
        if self._sealing_key is None:
            self._sealing_key = derive_key(self._secret_key(), info=KEY_ENCRYPTION_INFO)
        return self._sealing_key

    def recipient_key(self, *parts: str | None) -> str:
        """A keyed hash of who receives an award (email, DID, external id): the idempotency key."""
        if self._recipient_mac_key is None:
            self._recipient_mac_key = derive_key(self._secret_key(), info=RECIPIENT_KEY_INFO)
        message = "\x1f".join(p or "" for p in parts).encode("utf-8")
        return hmac.new(self._recipient_mac_key, message, hashlib.sha256).hexdigest()

    def _open(self, row: KeyRow) -> KeyPair:
        with self._lock:
            cached = self._opened.get(row.id)
        if cached is not None:
            return cached
        secret = open_secret(
            row.private_key_encrypted, key=self._key(), organisation_id=row.organisation_id, kind=row.type
        )
        pair = KeyPair.from_secret(row.type, secret)
        if pair.public_multibase != row.public_key_multibase:
            raise ConfigurationError("a stored signing key does not match its public key")
        with self._lock:
            self._opened[row.id] = pair
        return pair

    def check_secret(self, sealed: Iterable[tuple[int, str, bytes]]) -> int:
        """Open each (organisation id, key type, sealed secret) with this instance's secret key, as a restored
        backup's keys must open: how many opened; ConfigurationError when CAIRN_SECRET_KEY is missing or not the one
        they were sealed with."""
        opened = 0
        for organisation_id, kind, secret in sealed:
            open_secret(secret, key=self._key(), organisation_id=organisation_id, kind=kind)
            opened += 1
        return opened

    # -- identity -----------------------------------------------------------------------------------

    def did(self, slug: str) -> str:
        """The organisation's did:web."""
        return did_for(self.public_url, slug)

    def did_document_url(self, slug: str) -> str:
        """Where the did.json is served: ``{public_url}/orgs/{slug}/did.json``."""
        return f"{self.public_url}/orgs/{slug}/did.json"

    def _method(self, did: str, row: KeyRow) -> VerificationMethod:
        fragment = row.key_id.rsplit("#", 1)[-1]
        return VerificationMethod.multikey(did, PublicKey.from_multibase(row.public_key_multibase), fragment=fragment)

    def did_document(self, slug: str) -> dict[str, Any]:
        """The organisation's DID document, listing every key, and the P-256 key of every seal certificate it has
        had (``#seal-...``, the key SD-JWT VCs are signed with while such a certificate is current: see
        :class:`cairn.services.issuing.sdjwt.SdJwtVcService`). The key the organisation signs with by default
        (its status lists, its awards) is made first when it has none yet: a verifier that reads the document
        once and keeps it (as verifiers do) must find in it the key of a status list published after.

        Only public keys are read, so serving (or resolving locally) a document with keys needs no secret key.
        """
        return copy.deepcopy(self._kept_document(slug)[1])

    def did_document_json(self, slug: str) -> bytes:
        """:meth:`did_document` as served (``json.dumps``, UTF-8), encoded once for each version of the document."""
        return self._kept_document(slug)[2]

    def kept_document_json(self, slug: str) -> bytes | None:
        """:meth:`did_document_json` when this process can answer it without the database (the document it keeps
        was built from the stamp it keeps, and nothing was committed since that stamp was read), else None."""
        box = self.database.kept(_stamp_key(slug))
        if box is None:
            return None
        with self._lock:
            kept = self._documents.get(slug)
        return kept[2] if kept is not None and kept[0] == box[0] else None

    def _kept_document(self, slug: str) -> _KeptDocument:
        kept = self._document(slug)
        if kept is None:
            self.ensure_key(slug)
            kept = self._document(slug)
        assert kept is not None
        return kept

    def _document(self, slug: str) -> _KeptDocument | None:
        """The document as it is now (kept: never changed), or None when the organisation has no current key to sign
        with by default.

        Every call reads the stamp of what the document is made of (:meth:`KeyRepository.stamp`, one query of
        short columns, on a connection of its own; on SQLite not even that while nothing was committed since the
        last read, :meth:`~cairn.store.database.Database.while_unchanged`); the document is built again only when
        it differs from the one the last document of ``slug`` was built from. A key rotated or a seal added by
        another process is seen by the next call."""
        stamp = self.database.while_unchanged(_stamp_key(slug), lambda: self._stamp(slug))
        with self._lock:
            kept = self._documents.get(slug)
        if kept is not None and kept[0] == stamp:
            return kept
        with self.database.transaction(read_only=True) as session:
            stamp = KeyRepository(session).stamp(slug)
            document = self._build_document(session, slug)
        if document is None:
            return None
        kept = (stamp, document, json.dumps(document).encode("utf-8"))
        with self._lock:
            if len(self._documents) >= _DOCUMENTS_KEPT:
                self._documents.clear()
            self._documents[slug] = kept
        return kept

    def _stamp(self, slug: str) -> tuple[tuple[Any, ...], ...]:
        with self.database.single_read() as connection:
            return stamp_of(connection, slug)

    def _build_document(self, session: Session, slug: str) -> dict[str, Any] | None:
        org = _organisation_row(session, slug)
        did = self.did(slug)
        rows = KeyRepository(session).all(org.id)
        default = self._preferred(org, suite_of(org), None).value
        if not any(row.type == default and row.retired_at is None for row in rows):
            return None  # made by did_document, then read again
        seals = _seal_methods(did, SealRepository(session).all(org.id))
        return did_web_document(did, [self._method(did, row) for row in rows] + seals)

    def keys(self, slug: str) -> list[KeyInfo]:
        """Every key of the organisation, oldest first."""
        with self.database.transaction(read_only=True) as session:
            org = _organisation_row(session, slug)
            did = self.did(slug)
            return [
                KeyInfo(self._method(did, r).id, r.type, r.public_key_multibase, r.created_at, r.retired_at)
                for r in KeyRepository(session).all(org.id)
            ]

    # -- signing keys -------------------------------------------------------------------------------

    @staticmethod
    def _preferred(organisation: OrganisationRow, suite: str, key_type: str | None) -> KeyType:
        """The key type to sign ``suite`` with (:func:`preferred_key_type`)."""
        return preferred_key_type(organisation.signing_suite, organisation.signing_key_type, suite, key_type)

    def signing_key(
        self,
        session: Session,
        organisation: OrganisationRow,
        *,
        suite: str | None = None,
        actor: str = "system",
        key_type: str | None = None,
    ) -> SigningKey:
        """The key to sign with now for ``suite`` (default: the organisation's) and ``key_type`` (default:
        the organisation's choice, see :meth:`set_suite`), inside the caller's transaction; made when the
        organisation has no current key of that type."""
        wanted = self._preferred(organisation, suite or suite_of(organisation), key_type)
        row = KeyRepository(session).current(organisation.id, wanted.value)
        if row is None:
            row = self._make(session, organisation.id, organisation.slug, wanted, actor=actor)
        return SigningKey(self._open(row), self._method(self.did(organisation.slug), row).id, row.id, organisation.id)

    def ensure_key(
        self, slug: str, *, suite: str | None = None, actor: str = "system", key_type: str | None = None
    ) -> SigningKey:
        """The organisation's current signing key (for ``suite`` and ``key_type``), made and committed when it
        has none."""
        with self.database.transaction() as session:
            org = _organisation_row(session, slug)
            return self.signing_key(session, org, suite=suite, actor=actor, key_type=key_type)

    def sign(
        self,
        slug: str,
        credential: Mapping[str, Any],
        *,
        suite: str | None = None,
        created: datetime | None = None,
        key_type: str | None = None,
    ) -> dict[str, Any] | str:
        """Sign any credential as the organisation (for the VC-API): its current key, its suite unless
        ``suite`` names another. A credential without an issuer gets the organisation's DID; one naming
        another issuer is refused (InputError)."""
        did = self.did(slug)
        issuer = credential.get("issuer")
        issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
        if issuer is None:
            credential = {**credential, "issuer": did}
        elif issuer_id != did:
            raise InputError(f"the credential names another issuer; this organisation issues as {did}")
        with self.database.transaction() as session:
            org = _organisation_row(session, slug)
            chosen = suite or suite_of(org)
            signing = self.signing_key(session, org, suite=chosen, key_type=key_type)
        return issue(
            credential,
            key=signing.key,
            suite=chosen,
            created=created or self.clock(),
            verification_method=signing.verification_method,
        )

    def rotate(self, slug: str, *, actor: str) -> KeyInfo:
        """Retire every current key and make a new one for the organisation's suite; credentials signed
        with the old keys keep verifying (a key for another suite is made again when first needed)."""
        with self.database.transaction() as session:
            org = _organisation_row(session, slug)
            kind = self._preferred(org, suite_of(org), None)
            row = self._make(session, org.id, slug, kind, actor=actor, rotate=True)
            return KeyInfo(
                self._method(self.did(slug), row).id, row.type, row.public_key_multibase, row.created_at, None
            )

    def set_suite(self, slug: str, suite: str, *, actor: str, key_type: str | None = None) -> None:
        """Change the suite an organisation signs with (a key of the right type is made when needed).

        ``key_type="P-384"`` (ecdsa-rdfc-2019 and ecdsa-jcs-2019) makes the organisation sign with P-384 by
        default; its P-256 key stays for what asks for P-256 (ecdsa-sd-2023, a request's keyType).
        """
        wanted = key_type_for(suite, key_type)
        chosen = wanted.value if wanted is KeyType.P384 else None
        with self.database.transaction() as session:
            org = _organisation_row(session, slug)
            if (org.signing_suite, org.signing_key_type) == (suite, chosen):
                return
            org.signing_suite, org.signing_key_type = suite, chosen
            details: dict[str, Any] = {"suite": suite, "key_type": wanted.value}
            append_audit(session, [AuditRecord(self.clock(), actor, "organisation.suite", slug, details)])
            self.signing_key(session, org, actor=actor)

    def _make(
        self, session: Session, organisation_id: int, slug: str, kind: KeyType, *, actor: str, rotate: bool = False
    ) -> KeyRow:
        lock_organisation(session, organisation_id)  # one key change at a time per organisation
        keys = KeyRepository(session)
        current = keys.current(organisation_id, kind.value)
        if current is not None and not rotate:
            return current  # another process made it while we waited for the lock
        now = self.clock()
        retired = [row.key_id for row in keys.retire_all(organisation_id, now=now)] if rotate else []
        pair = KeyPair.generate(kind)
        row = keys.add(
            organisation_id=organisation_id,
            key_id=f"{self.did(slug)}#{pair.public_multibase}",
            kind=kind.value,
            public_key_multibase=pair.public_multibase,
            private_key_encrypted=seal_secret(
                pair.secret, key=self._key(), organisation_id=organisation_id, kind=kind.value
            ),
            now=now,
        )
        with self._lock:
            self._opened[row.id] = pair
        details: dict[str, Any] = {"verification_method": row.key_id, "type": kind.value}
        if rotate:
            details["retired"] = retired
        append_audit(session, [AuditRecord(now, actor, "key.rotate" if rotate else "key.create", slug, details)])
        return row


def _organisation_row(session: Session, slug: str) -> OrganisationRow:
    row = OrganisationRepository(session).row(slug)
    if row is None:
        raise NotFoundError(f"no organisation '{slug}'")
    return row
