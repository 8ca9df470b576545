"""This instance's accreditations as an EBSI Trusted Issuers Registry: the read side of the TIR API v5.

Follows the TIR API v5 OpenAPI (``apis/trusted-issuers-registry-v5/api/openapi.yaml``, ``version: 5.0.0``, as
mirrored in ``oaripay/ebsi-core-services`` at 95fa9fc) and what ``@cef-ebsi/verifiable-credential`` 5.5.0's
``validateAccreditations`` reads. Each accredited DID is an *issuer*; each accreditation naming it is one of its
*attributes*::

    {"did": "did:...", "attribute": {"hash": sha256(body), "body": "<VC-JWT>", "issuerType": "TI",
                                     "tao": "<accrediting DID>", "rootTao": "<anchor DID>"}}

- ``issuerType``: ``RootTAO`` for a trust anchor of this instance (a self-signed attribute, as EBSI's roots have),
  ``TAO`` for an accreditation body (``kind="body"``), ``TI`` for an issuer, and ``Revoked`` while the
  accreditation is suspended or once it is withdrawn (the EBSI client refuses exactly that value).
- ``body``: the accreditation as an EBSI Verifiable Accreditation (VCDM 1.1, ``vc`` claim; schema
  ``@cef-ebsi/vcdm1.1-accreditation-schema`` 1.3.0) signed as a JWT by the accrediting organisation's key
  (EdDSA for Ed25519 keys, ES256 for P-256), with ``credentialStatus`` pointing at the attribute
  (``EbsiAccreditationEntry``) and ``termsOfUse`` at the accreditor's own attribute (``IssuanceCertificate``).
  Cairn's own terms travel beside EBSI's: the scope (``credentialSubject.scope``), the legal identity and the
  evidence. An accreditation without an end date carries no ``expirationDate`` (the schema asks for one; the
  client reads none as open-ended); one naming only seal certificates has no DID, so no TIR issuer.

Only accreditations made on this instance are published (federated registries publish their own).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from cairn.errors import NotFoundError
from cairn.model.trust import MAX_DEPTH, Accreditation
from cairn.services.issuing.keys import KeyService
from cairn.services.trust.network import TrustIndex, TrustNetwork
from cairn.services.trust.publication import stamp
from cairn.vc.proofs.jose import sign_jwt

__all__ = ["ACCREDITATION_SCHEMA", "MAX_PAGE_SIZE", "TirAttribute", "TrustedIssuersRegistry"]

MAX_PAGE_SIZE: Final = 50
"""``page[size]`` above this answers 400, as EBSI's API does."""
ACCREDITATION_SCHEMA: Final = (
    "https://api-pilot.ebsi.eu/trusted-schemas-registry/v3/schemas/zG6xY9DG2CWyhsSc544hEezbQRmkQCfvgXGdCqt69v8TA"
)
"""EBSI's Verifiable Accreditation schema (VCDM 1.1) in its Trusted Schemas Registry."""
OB3_SCHEMA: Final = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
"""What an accredited issuer issues: Open Badges 3.0 achievement credentials (Cairn's micro-credentials)."""
CAIRN_TYPES: Final = ("OpenBadgeCredential", "AchievementCredential")
"""The credential types an accreditation covers when its scope names none (every type Cairn issues)."""
_BASE_TYPES: Final = ("VerifiableCredential", "VerifiableAttestation")
_ALPHA3: Final = {
    "AT": "AUT", "BE": "BEL", "BG": "BGR", "CH": "CHE", "CY": "CYP", "CZ": "CZE", "DE": "DEU", "DK": "DNK",
    "EE": "EST", "EL": "GRC", "ES": "ESP", "FI": "FIN", "FR": "FRA", "GB": "GBR", "GR": "GRC", "HR": "HRV",
    "HU": "HUN", "IE": "IRL", "IS": "ISL", "IT": "ITA", "LI": "LIE", "LT": "LTU", "LU": "LUX", "LV": "LVA",
    "MT": "MLT", "NL": "NLD", "NO": "NOR", "PL": "POL", "PT": "PRT", "RO": "ROU", "SE": "SWE", "SI": "SVN",
    "SK": "SVK", "UA": "UKR", "UK": "GBR",
}  # fmt: skip
"""EU, EEA and neighbouring countries: the EU's authority tables name them by ISO 3166-1 alpha-3 codes."""


def jurisdiction(country: str) -> str | None:
    """The EU authority-table URI of a country (``https://publications.europa.eu/resource/authority/atu/POL``)."""
    code = _ALPHA3.get(country.upper())
    return f"https://publications.europa.eu/resource/authority/atu/{code}" if code else None


@dataclass(frozen=True, slots=True)
class TirAttribute:
    """One attribute of a TIR issuer: an accreditation naming it (or an anchor's own root attribute)."""

    id: str
    did: str
    issuer_type: str
    tao: str
    root_tao: str
    body: str

    @property
    def hash(self) -> str:
        """SHA-256 of the body, in hex (no ``0x``)."""
        return hashlib.sha256(self.body.encode("ascii")).hexdigest()

    def to_dict(self) -> dict[str, str]:
        """The ``attribute`` object of EBSI's answers."""
        return {
            "hash": self.hash,
            "body": self.body,
            "issuerType": self.issuer_type,
            "tao": self.tao,
            "rootTao": self.root_tao,
        }


@dataclass(frozen=True, slots=True)
class _Entry:
    """An attribute before it is signed: the accreditation (None for a root's own) and who signs it."""

    id: str
    did: str
    issuer_type: str
    tao: str
    root_tao: str
    accreditation: Accreditation | None
    parent: str | None
    """The attribute id of the accreditor's own attribute (for ``termsOfUse``), when this instance has one."""
    since: datetime
    """When the attribute starts: the accreditation's start; for a root, when it first accredited (else today)."""


def attribute_id(seed: str) -> str:
    """A stable 64-hex attribute id."""
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


class TrustedIssuersRegistry:
    """The TIR v5 view of this instance's accreditations and anchors."""

    def __init__(
        self,
        *,
        keys: KeyService,
        network: TrustNetwork,
        clock: Callable[[], datetime],
        public_url: str,
        local_slug: Callable[[str], str | None],
    ) -> None:
        self.keys = keys
        self.network = network
        self.clock = clock
        self.public_url = public_url.rstrip("/")
        self.local_slug = local_slug
        self._lock = threading.Lock()
        self._built: tuple[TrustIndex | None, dict[str, list[_Entry]]] = (None, {})
        self._bodies: dict[tuple[str, str], str] = {}

    @property
    def base(self) -> str:
        """``{public_url}/trusted-issuers-registry/v5/issuers``."""
        return f"{self.public_url}/trusted-issuers-registry/v5/issuers"

    def attribute_url(self, did: str, attribute: str) -> str:
        """Where one attribute is served."""
        return f"{self.base}/{did}/attributes/{attribute}"

    # -- the index ---------------------------------------------------------------------------------------

    def _issuers(self) -> dict[str, list[_Entry]]:
        index = self.network.index()
        with self._lock:
            if self._built[0] is index:
                return self._built[1]
        issuers = self._build(index)
        with self._lock:
            self._built = (index, issuers)
        return issuers

    def _root_of(self, index: TrustIndex, did: str) -> str:
        """The anchor at the top of ``did``'s chain of bodies, following the first accreditation that may
        accredit at each step ("" when none leads to an anchor)."""
        seen: set[str] = set()
        current = did
        for _ in range(MAX_DEPTH):
            if current in index.anchors:
                return current
            seen.add(current)
            upward = next((a for a in index.lookup(current) if a.may_accredit and a.accredited_by not in seen), None)
            if upward is None:
                return ""
            current = upward.accredited_by
        return ""

    def _build(self, index: TrustIndex) -> dict[str, list[_Entry]]:
        local: dict[str, Accreditation] = {}
        for found in index.by_identifier.values():
            for accreditation in found:
                if not accreditation.registry:
                    local.setdefault(accreditation.id, accreditation)
        issuers: dict[str, list[_Entry]] = {}
        roots = {did for did in index.anchors if self.local_slug(did) is not None}
        ordered = sorted(local.values(), key=lambda a: (a.valid_from, a.id))
        today = self.clock().replace(hour=0, minute=0, second=0, microsecond=0)
        for did in sorted(roots):
            since = next((a.valid_from for a in ordered if a.accredited_by == did), today)
            issuers[did] = [_Entry(attribute_id(f"root {did}"), did, "RootTAO", did, did, None, None, since)]
        own: dict[str, str] = {}  # subject DID -> the attribute id of the first accreditation naming it
        for accreditation in ordered:
            for did in accreditation.subjects:
                if did.startswith("did:"):
                    own.setdefault(did, attribute_id(f"{accreditation.id} {did}"))
        for accreditation in ordered:
            tao = accreditation.accredited_by
            parent = issuers[tao][0].id if tao in roots else own.get(tao)
            for did in accreditation.subjects:
                if not did.startswith("did:"):
                    continue
                kind = "Revoked" if accreditation.status != "active" else "TAO" if accreditation.may_accredit else "TI"
                entry = _Entry(
                    attribute_id(f"{accreditation.id} {did}"),
                    did,
                    kind,
                    tao,
                    self._root_of(index, tao),
                    accreditation,
                    parent,
                    accreditation.valid_from,
                )
                issuers.setdefault(did, []).append(entry)
        return issuers

    # -- reading -----------------------------------------------------------------------------------------

    def issuers(self) -> list[str]:
        """Every issuer's DID, sorted."""
        return sorted(self._issuers())

    def attributes(self, did: str) -> list[TirAttribute]:
        """The attributes of ``did``; NotFoundError when it is no issuer here."""
        entries = self._issuers().get(did)
        if entries is None:
            raise NotFoundError("Issuer %(did)s not found", did=did[:200])
        return [self._attribute(e) for e in entries]

    def attribute(self, did: str, attribute: str) -> TirAttribute:
        """One attribute (``attribute`` with or without ``0x``); NotFoundError when there is none."""
        entries = self._issuers().get(did)
        if entries is None:
            raise NotFoundError("Issuer %(did)s not found", did=did[:200])
        wanted = attribute.lower().removeprefix("0x")
        for entry in entries:
            if entry.id == wanted:
                return self._attribute(entry)
        raise NotFoundError("Attribute %(id)s not found", id=attribute[:80])

    # -- signing -----------------------------------------------------------------------------------------

    def _attribute(self, entry: _Entry) -> TirAttribute:
        vc = self._credential(entry)
        fingerprint = hashlib.sha256(json.dumps(vc, sort_keys=True).encode()).hexdigest()
        key = (entry.id, fingerprint)
        with self._lock:
            body = self._bodies.get(key)
        if body is None:
            body = self._sign(entry, vc)
            with self._lock:
                if len(self._bodies) > 10_000:
                    self._bodies.clear()
                self._bodies[key] = body
        return TirAttribute(entry.id, entry.did, entry.issuer_type, entry.tao, entry.root_tao, body)

    def _sign(self, entry: _Entry, vc: dict[str, Any]) -> str:
        slug = self.local_slug(entry.tao)
        if slug is None:
            raise NotFoundError("Attribute %(id)s not found", id=entry.id)
        signing = self.keys.ensure_key(slug)
        start = int(datetime.fromisoformat(vc["validFrom"].replace("Z", "+00:00")).timestamp())
        claims: dict[str, Any] = {"iss": entry.tao, "sub": entry.did, "iat": start, "nbf": start, "jti": vc["id"]}
        if "expirationDate" in vc:
            claims["exp"] = int(datetime.fromisoformat(vc["expirationDate"].replace("Z", "+00:00")).timestamp())
        claims["vc"] = vc
        return sign_jwt(claims, key=signing.key, kid=signing.verification_method, typ="JWT")

    def _credential(self, entry: _Entry) -> dict[str, Any]:
        """The EBSI Verifiable Accreditation (VCDM 1.1) an attribute's body carries."""
        accreditation = entry.accreditation
        accredited_for: dict[str, Any] = {"schemaId": OB3_SCHEMA}
        subject: dict[str, Any] = {"id": entry.did, "reservedAttributeId": entry.id, "accreditedFor": [accredited_for]}
        if accreditation is None:  # a root: self-accredited for the trust chain, as EBSI's roots are
            kind = "VerifiableAccreditationToAttest"
            accredited_for["types"] = [*_BASE_TYPES, "VerifiableAuthorisationForTrustChain"]
            issued = stamp(entry.since)
        else:
            body = accreditation.may_accredit
            kind = "VerifiableAccreditationToAccredit" if body else "VerifiableAccreditationToAttest"
            types = [*_BASE_TYPES, *(accreditation.scope.types or CAIRN_TYPES)]
            accredited_for["types"] = [*types, "VerifiableAccreditation"] if body else types
            if place := jurisdiction(accreditation.identity.country):
                accredited_for["limitJurisdiction"] = place
            issued = stamp(accreditation.valid_from)
            identity, scope = accreditation.identity, accreditation.scope
            if scope.to_dict():
                subject["scope"] = {**scope.to_dict(), "text": scope.describe()}
            subject["legalName"] = identity.legal_name
            subject["country"] = identity.country
            if identity.identifiers:
                subject["identifiers"] = [{"kind": k, "value": v} for k, v in identity.identifiers]
        vc: dict[str, Any] = {
            "@context": ["https://www.w3.org/2018/credentials/v1"],
            "id": accreditation.id if accreditation is not None else f"urn:ebsi:root:{entry.id}",
            "type": [*_BASE_TYPES, "VerifiableAccreditation", kind],
            "issuer": entry.tao,
            "issuanceDate": issued,
            "issued": issued,
            "validFrom": issued,
            "credentialSubject": subject,
            "credentialStatus": {"id": self.attribute_url(entry.did, entry.id), "type": "EbsiAccreditationEntry"},
            "credentialSchema": {"id": ACCREDITATION_SCHEMA, "type": "FullJsonSchemaValidator2021"},
        }
        if accreditation is not None and accreditation.valid_until is not None:
            vc["expirationDate"] = stamp(accreditation.valid_until)
        if entry.parent is not None:
            vc["termsOfUse"] = [{"id": self.attribute_url(entry.tao, entry.parent), "type": "IssuanceCertificate"}]
        if accreditation is not None and accreditation.evidence:
            vc["evidence"] = [
                {"type": ["Evidence"], "name": e.name, **({"id": e.url} if e.url else {})}
                for e in accreditation.evidence
            ]
        return vc
