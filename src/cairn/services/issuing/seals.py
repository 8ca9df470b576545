"""Seal certificates of organisations, and awards exported as sealed European Digital Credentials (JAdES).

An owner uploads the organisation's X.509 seal certificate chain (PEM, signing certificate first) and its private
key (PEM, optionally encrypted with a passphrase): :meth:`SealService.install` checks that the key belongs to the
signing certificate, that the certificate is valid now and may sign (key usage), and that each certificate of the
chain is signed by the next; it stores the chain and the key, re-encoded as PKCS#8 DER and sealed with AES-256-GCM
under a key derived from ``CAIRN_SECRET_KEY`` for this purpose (:data:`SEAL_KEY_INFO`), with the organisation and the
certificate's thumbprint as associated data (:func:`cairn.services.issuing.keys.seal_secret`). The key is never
shown again, never logged, and never in the audit log (which records the certificate's thumbprint and subject).
Installing another certificate, or removing it, retires the old one and forgets its key.

:meth:`SealService.export_award` maps an award's Open Badges 3.0 credential to ELM (:func:`cairn.formats.edc.build_edc`)
with the certificate's ``organizationIdentifier`` as the issuer's eIDAS legal identifier (a composite's components
as ``hasPart``: :mod:`cairn.formats.edc_parts`, with what this instance holds of those it awarded), and seals it
(:func:`cairn.vc.formats.jades_seal.seal_jades`, JAdES baseline B, ``sigT`` = now).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtensionOID, NameOID
from pydantic import ValidationError

from cairn.errors import ConflictError, CredentialError, InputError, KeyFormatError, NotFoundError
from cairn.formats.composite import digest_matches, read_composite
from cairn.formats.edc import build_edc
from cairn.formats.edc_parts import LocalPart, with_parts
from cairn.model.definitions import Organisation
from cairn.services.issuing.keys import KeyService, derive_key, open_secret, seal_fragment, seal_secret
from cairn.services.issuing.service import IssuingService
from cairn.store.catalog.repository import OrganisationRepository
from cairn.store.database import Database
from cairn.store.issuing.repository import AuditRecord, append_audit, lock_organisation
from cairn.store.issuing.seals import SealRepository
from cairn.store.tables import OrganisationRow, SealCertificateRow
from cairn.vc.formats.jades_seal import SealKey, alg_for, key_matches, load_chain, load_seal_key, seal_jades
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.multibase import b64url_decode

__all__ = ["SEAL_KEY_INFO", "JwtSealKey", "SealInfo", "SealService"]

SEAL_KEY_INFO: Final = b"cairn/v1/seal-key-encryption"
"""HKDF ``info`` for the key that encrypts seal certificates' private keys at rest."""
_MAX_PASSPHRASE: Final = 1024


@dataclass(frozen=True, slots=True)
class SealInfo:
    """An organisation's seal certificate as pages show it: never the key."""

    subject: str
    issuer: str
    organisation_identifier: str
    thumbprint: str
    not_before: datetime
    not_after: datetime
    key_type: str
    chain: tuple[str, ...]
    """Each certificate's subject, signing certificate first."""
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class JwtSealKey:
    """A seal certificate's P-256 key for signing JWTs: the pair, the ``x5c`` header (base64 DER, signing
    certificate first, a self-signed root left out as HAIP asks) and the DID URL fragment it is listed under."""

    key: KeyPair
    x5c: list[str]
    fragment: str


def _name(value: x509.Name) -> str:
    try:
        return value.rfc4514_string()
    except ValueError:  # pragma: no cover - a name cryptography cannot write
        return "(unreadable name)"


def _org_identifier(cert: x509.Certificate) -> str:
    found = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)
    return str(found[0].value) if found else ""


def _key_type(key: SealKey) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return f"RSA-{key.key_size}"
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}[key.curve.name]


def _check_chain(chain: list[x509.Certificate], now: datetime) -> None:
    """InputError unless the signing certificate is valid now and may sign, and each link is signed by the next."""
    leaf = chain[0]
    if now < leaf.not_valid_before_utc:
        raise InputError(
            "the seal certificate is not valid yet (valid from %(start)s)", start=str(leaf.not_valid_before_utc.date())
        )
    if now > leaf.not_valid_after_utc:
        raise InputError("the seal certificate expired on %(end)s", end=str(leaf.not_valid_after_utc.date()))
    try:
        usage = leaf.extensions.get_extension_for_oid(ExtensionOID.KEY_USAGE).value
    except x509.ExtensionNotFound:
        usage = None
    if isinstance(usage, x509.KeyUsage) and not (usage.digital_signature or usage.content_commitment):
        raise InputError("the seal certificate may not be used for signatures (its key usage)")
    for index, (cert, parent) in enumerate(itertools.pairwise(chain)):
        try:
            cert.verify_directly_issued_by(parent)
        except (ValueError, TypeError, InvalidSignature):
            raise InputError(
                "certificate %(n)s of the chain is not signed by the one after it (give the chain in order, "
                "signing certificate first)",
                n=index + 1,
            ) from None


class SealService:
    """Seal certificates of organisations; awards as sealed European Digital Credentials."""

    def __init__(
        self,
        database: Database,
        *,
        issuing: IssuingService,
        keys: KeyService,
        secret_key: Callable[[], str],
        clock: Callable[[], datetime],
    ) -> None:
        self.database = database
        self.issuing = issuing
        self.keys = keys
        self.clock = clock
        self._secret_key = secret_key
        self._sealing_key: bytes | None = None
        self._opened: dict[int, SealKey] = {}
        self._lock = threading.Lock()

    def _key(self) -> bytes:
        if self._sealing_key is None:
            self._sealing_key = derive_key(self._secret_key(), info=SEAL_KEY_INFO)
        return self._sealing_key

    # -- the certificate ----------------------------------------------------------------------------

    def install(
        self, slug: str, *, chain_pem: bytes, key_pem: bytes, passphrase: str | None = None, actor: str
    ) -> SealInfo:
        """Check and store the organisation's seal certificate chain and private key (see the module's text);
        InputError saying what is wrong. The previous certificate is retired."""
        if passphrase is not None and len(passphrase) > _MAX_PASSPHRASE:
            raise InputError("the passphrase is too long")
        try:
            chain = load_chain(chain_pem)
            key = load_seal_key(key_pem, passphrase.encode("utf-8") if passphrase else None)
            alg_for(key)
        except KeyFormatError as exc:
            raise InputError(str(exc)) from None
        if not key_matches(key, chain[0]):
            raise InputError("the private key does not belong to the seal certificate (the first of the chain)")
        now = self.clock()
        _check_chain(chain, now)
        leaf_der = chain[0].public_bytes(serialization.Encoding.DER)
        thumbprint = hashlib.sha256(leaf_der).hexdigest()
        secret = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        pem = "".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in chain)
        with self.database.transaction() as session:
            org = _organisation_row(session, slug)
            lock_organisation(session, org.id)
            seals = SealRepository(session)
            retired = seals.retire(org.id, now=now)
            row = seals.add(
                SealCertificateRow(
                    organisation_id=org.id,
                    chain_pem=pem,
                    key_encrypted=seal_secret(secret, key=self._key(), organisation_id=org.id, kind=_kind(thumbprint)),
                    key_type=_key_type(key),
                    thumbprint=thumbprint,
                    subject=_name(chain[0].subject)[:1000],
                    not_before=chain[0].not_valid_before_utc,
                    not_after=chain[0].not_valid_after_utc,
                    created_at=now,
                    created_by=actor[:320],
                )
            )
            details: dict[str, Any] = {
                "thumbprint": thumbprint,
                "subject": row.subject,
                "not_after": row.not_after.isoformat(),
                "replaced": retired,
            }
            append_audit(session, [AuditRecord(now, actor, "seal.install", slug, details)])
            info = _info(row)
        with self._lock:
            self._opened.clear()
        return info

    def remove(self, slug: str, *, actor: str) -> bool:
        """Retire the organisation's seal certificate and forget its key; False when it had none."""
        now = self.clock()
        with self.database.transaction() as session:
            org = _organisation_row(session, slug)
            count = SealRepository(session).retire(org.id, now=now)
            if count:
                append_audit(session, [AuditRecord(now, actor, "seal.remove", slug, {})])
        with self._lock:
            self._opened.clear()
        return count > 0

    def info(self, slug: str) -> SealInfo | None:
        """The organisation's seal certificate, or None. NotFoundError for an unknown organisation."""
        with self.database.transaction(read_only=True) as session:
            org = _organisation_row(session, slug)
            row = SealRepository(session).current(org.id)
            return _info(row) if row is not None else None

    def has_seal(self, slug: str) -> bool:
        """Whether the organisation can seal European Digital Credentials now."""
        try:
            found = self.info(slug)
        except NotFoundError:
            return False
        return found is not None and found.not_after > self.clock()

    def exportable(self, award_id: str) -> bool:
        """Whether the award's organisation can seal it now (False for an unknown award)."""
        try:
            view = self.issuing.get(award_id)
        except NotFoundError:
            return False
        return self.has_seal(view.organisation)

    # -- sealing ------------------------------------------------------------------------------------

    def _signer(self, slug: str) -> tuple[SealKey, list[x509.Certificate], str]:
        with self.database.transaction(read_only=True) as session:
            org = _organisation_row(session, slug)
            row = SealRepository(session).current(org.id)
            if row is None or row.key_encrypted is None:
                raise ConflictError("this organisation has no seal certificate: an owner can add one")
            row_id, sealed, thumbprint, pem = row.id, row.key_encrypted, row.thumbprint, row.chain_pem
            organisation_id = org.id
        chain = load_chain(pem.encode("ascii"))
        if chain[0].not_valid_after_utc < self.clock():
            raise ConflictError("the organisation's seal certificate has expired: an owner can add a new one")
        with self._lock:
            key = self._opened.get(row_id)
        if key is None:
            secret = open_secret(sealed, key=self._key(), organisation_id=organisation_id, kind=_kind(thumbprint))
            loaded = serialization.load_der_private_key(secret, password=None)
            assert isinstance(loaded, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
            key = loaded
            with self._lock:
                self._opened[row_id] = key
        return key, chain, _org_identifier(chain[0])

    def jwt_key(self, slug: str) -> JwtSealKey | None:
        """The organisation's seal certificate key when it can sign SD-JWT VCs (ES256): a current certificate,
        not expired, certifying a P-256 key; None otherwise (no certificate, an RSA or other-curve key)."""
        try:
            key, chain, _ = self._signer(slug)
        except ConflictError:
            return None
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            return None
        pair = KeyPair.from_secret(KeyType.P256, key.private_numbers().private_value.to_bytes(32, "big"))
        certificates = chain[:-1] if len(chain) > 1 and chain[-1].issuer == chain[-1].subject else chain
        x5c = [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii") for c in certificates]
        thumbprint = hashlib.sha256(chain[0].public_bytes(serialization.Encoding.DER)).hexdigest()
        return JwtSealKey(pair, x5c, seal_fragment(thumbprint))

    def seal(self, slug: str, document: Mapping[str, Any]) -> dict[str, Any]:
        """``document`` sealed with the organisation's certificate (JAdES JWS JSON serialization)."""
        key, chain, _ = self._signer(slug)
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        return seal_jades(text, key=key, chain=chain, signing_time=self.clock())

    def export_award(self, award_id: str, *, organisation: str | None = None) -> dict[str, Any]:
        """The award as a sealed European Digital Credential. NotFoundError for an unknown award (or another
        organisation's), ConflictError when the organisation has no seal certificate, the award no credential, or
        the award is revoked or suspended (an EDC carries no status of its own)."""
        view = self.issuing.get(award_id, organisation=organisation)
        if view.revoked_at is not None or view.suspended:
            # the EDC carries no status of its own: a sealed copy of a withdrawn award would look valid
            raise ConflictError("a revoked or suspended award cannot be exported as a European Digital Credential")
        credential = _credential(view.credential)
        if not credential:
            raise ConflictError("this award has no credential to export")
        key, chain, legal = self._signer(view.organisation)
        edc = build_edc(
            credential,
            credential_id=f"urn:credential:{view.award_id}",
            issuer_id=self.keys.did(view.organisation),
            organisation=self._organisation(view.organisation),
            legal_identifier=legal,
        )
        edc = with_parts(edc, credential, local=self._local_parts(credential))
        text = json.dumps(edc, ensure_ascii=False, separators=(",", ":"))
        return seal_jades(text, key=key, chain=chain, signing_time=self.clock())

    def _local_parts(self, credential: Mapping[str, Any]) -> dict[str, LocalPart]:
        """The components of a composite ``credential`` that are awards of this instance (credential id
        ``urn:uuid:<award>``, stored with the digest the composite pins), by credential id."""
        try:
            ref = read_composite(credential)
        except CredentialError:
            return {}
        found: dict[str, LocalPart] = {}
        for component in ref.components if ref is not None else ():
            if not component.credential_id.startswith("urn:uuid:"):
                continue
            try:
                view = self.issuing.get(component.credential_id.removeprefix("urn:uuid:"))
            except NotFoundError:
                continue
            if not digest_matches(view.credential, component.digest):
                continue  # another credential than the one the composite was awarded for
            found[component.credential_id] = LocalPart(
                _credential(view.credential), self.keys.did(view.organisation), self._organisation(view.organisation)
            )
        return found

    def _organisation(self, slug: str) -> Organisation | None:
        with self.database.transaction(read_only=True) as session:
            try:
                return OrganisationRepository(session).get(slug)
            except (NotFoundError, ValidationError, KeyError, TypeError):
                return None  # an organisation without a full catalogue entry: the credential's issuer profile


def _kind(thumbprint: str) -> str:
    return f"seal-certificate:{thumbprint}"


def _info(row: SealCertificateRow) -> SealInfo:
    chain = load_chain(row.chain_pem.encode("ascii"))
    return SealInfo(
        subject=row.subject,
        issuer=_name(chain[0].issuer),
        organisation_identifier=_org_identifier(chain[0]),
        thumbprint=row.thumbprint,
        not_before=row.not_before,
        not_after=row.not_after,
        key_type=row.key_type,
        chain=tuple(_name(c.subject) for c in chain),
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _organisation_row(session: Any, slug: str) -> OrganisationRow:
    row = OrganisationRepository(session).row(slug)
    if row is None:
        raise NotFoundError(f"no organisation '{slug}'")
    return row


def _credential(stored: Mapping[str, Any] | str) -> dict[str, Any]:
    """The award's credential: as stored, or the payload of its JWT (its ``vc`` claim in the Open Badges form)."""
    if isinstance(stored, Mapping):
        return dict(stored)
    try:
        payload = json.loads(b64url_decode(stored.split(".")[1]))
    except (ValueError, IndexError, KeyFormatError):
        return {}
    inner = payload.get("vc") if isinstance(payload, dict) else None
    return dict(inner) if isinstance(inner, dict) else payload if isinstance(payload, dict) else {}
