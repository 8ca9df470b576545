"""What the credential endpoint can issue: a small registry of credential configurations, format by format.

Each :class:`CredentialConfiguration` says its id (``credential_configuration_id``), its ``format``, its metadata
(what ``credential_configurations_supported`` lists) and how to issue the award as it, bound to the wallet's key.
Cairn registers three: the award's Open Badges 3.0 credential as a VC-JWT (``jwt_vc_json``) and with a Data Integrity
proof (``ldp_vc``), both made by :class:`BoundCopies`, and the award as an SD-JWT VC of the EUDI Learning Credential
type (``dc+sd-jwt``, :data:`SD_JWT_VC`, registered by :func:`cairn.bootstrap.build` with
:meth:`cairn.services.issuing.sdjwt.SdJwtVcService.issue`). Another format is one ``register`` call.

A bound copy is the award's own credential (same id, issuer, achievement, dates and status entries, so a
revocation of the award shows in every copy) with ``credentialSubject.id`` set to the holder's DID, signed again by
the organisation's current key. The award as stored is never changed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from cairn.errors import NotFoundError
from cairn.formats.ob3 import OB3_CONTEXT
from cairn.services.issuing.keys import KeyService
from cairn.store.database import Database
from cairn.store.tables import AwardRow, OrganisationRow
from cairn.vc.keyproof import PROOF_ALGS

__all__ = [
    "JWT_VC_JSON",
    "LDP_VC",
    "OB3_TYPES",
    "SD_JWT_VC",
    "BoundCopies",
    "CredentialConfiguration",
    "FormatRegistry",
    "IssueFunction",
    "w3c_formats",
]

JWT_VC_JSON: Final = "OpenBadgeCredential_jwt_vc_json"
LDP_VC: Final = "OpenBadgeCredential_ldp_vc"
SD_JWT_VC: Final = "LearningCredential_dc_sd_jwt"
"""The SD-JWT VC configuration (the EUDI Learning Credential, :mod:`cairn.services.issuing.sdjwt`), registered by
:func:`cairn.bootstrap.build`."""
SD_JWT_FORMAT: Final = "dc+sd-jwt"
DRAFT13_SD_JWT_FORMATS: Final = (SD_JWT_FORMAT, "vc+sd-jwt")
"""The SD-JWT VC format's names: 1.0's ``dc+sd-jwt`` and draft 13's ``vc+sd-jwt`` (still sent by deployed wallets)."""
OB3_TYPES: Final = ("VerifiableCredential", "OpenBadgeCredential")
VC_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
DI_SUITES: Final = ("eddsa-rdfc-2022", "eddsa-jcs-2022", "ecdsa-rdfc-2019", "ecdsa-jcs-2019")
"""The suites a bound ``ldp_vc`` copy is signed with: the organisation's own, except a selective-disclosure base
proof (a holder would have to derive it first) and the JWT suites, which sign it with ``eddsa-rdfc-2022``."""
_COLOURS: Final = {"background_color": "#12355b", "text_color": "#ffffff"}
_DISPLAY: Final = (
    {"name": "Micro-credential (Open Badges 3.0)", "locale": "en", **_COLOURS},
    {"name": "Mikropoświadczenie (Open Badges 3.0)", "locale": "pl", **_COLOURS},
)


class IssueFunction(Protocol):
    """Issue the award ``award_id`` bound to the wallet's key: a compact token (a string) or a JSON credential."""

    def __call__(self, award_id: str, *, holder_jwk: Mapping[str, Any], holder_did: str) -> str | dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class CredentialConfiguration:
    """One entry of ``credential_configurations_supported``, and how to issue it."""

    id: str
    format: str
    metadata: Callable[[], dict[str, Any]]
    issue: IssueFunction

    def matches_draft13(self, request: Mapping[str, Any]) -> bool:
        """Whether a draft 13 request (``format`` and ``credential_definition``, or ``vct``) asks for this. Draft 13
        named SD-JWT VCs ``vc+sd-jwt`` (1.0: ``dc+sd-jwt``): either name asks for an SD-JWT VC of the same ``vct``."""
        fmt = request.get("format")
        if self.format == SD_JWT_FORMAT and fmt in DRAFT13_SD_JWT_FORMATS:
            vct = request.get("vct")
            return vct is None or vct == self.metadata().get("vct")
        if fmt != self.format:
            return False
        wanted = request.get("credential_definition")
        if not isinstance(wanted, Mapping):
            return True
        types = wanted.get("type")
        offered = self.metadata().get("credential_definition", {}).get("type", [])
        return isinstance(types, list) and bool(types) and set(types) <= set(offered)


class FormatRegistry:
    """The credential configurations the issuer offers, by id, in the order registered."""

    def __init__(self) -> None:
        self._by_id: dict[str, CredentialConfiguration] = {}

    def register(self, configuration: CredentialConfiguration) -> None:
        """Add (or replace) a configuration."""
        self._by_id[configuration.id] = configuration

    def get(self, configuration_id: str) -> CredentialConfiguration | None:
        """The configuration with this id, or None."""
        return self._by_id.get(configuration_id)

    def ids(self) -> list[str]:
        """Every configuration id."""
        return list(self._by_id)

    def __iter__(self) -> Iterator[CredentialConfiguration]:
        return iter(list(self._by_id.values()))

    def supported(self) -> dict[str, dict[str, Any]]:
        """``credential_configurations_supported``: each with its ``scope`` (the authorization code flow's scope
        for it: its id)."""
        return {c.id: {**c.metadata(), "scope": c.id} for c in self}


def _w3c_metadata(fmt: str, *, context: bool, signing: list[str]) -> dict[str, Any]:
    definition: dict[str, Any] = {"type": list(OB3_TYPES)}
    if context:
        definition = {"@context": [VC_CONTEXT, OB3_CONTEXT], **definition}
    display = [dict(d) for d in _DISPLAY]
    return {
        "format": fmt,
        "cryptographic_binding_methods_supported": ["did:key", "jwk"],
        "credential_signing_alg_values_supported": signing,
        "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGS)}},
        "credential_definition": definition,
        "credential_metadata": {"display": display},
        "display": display,  # draft 13 wallets read it here
    }


class BoundCopies:
    """The award's Open Badges 3.0 credential, bound to a holder and signed again by its organisation."""

    def __init__(self, database: Database, *, keys: KeyService) -> None:
        self.database = database
        self.keys = keys

    def _unsigned(self, award_id: str, holder_did: str) -> tuple[str, str, dict[str, Any]]:
        with self.database.transaction(read_only=True) as session:
            award = session.get(AwardRow, award_id[:36])
            org = session.get(OrganisationRow, award.organisation_id) if award and award.organisation_id else None
            if award is None or org is None or not award.credential:
                raise NotFoundError(f"no award '{award_id}'")
            stored = award.credential
            credential = json.loads(stored) if isinstance(stored, str) else copy.deepcopy(dict(stored))
            slug, suite = org.slug, org.signing_suite
        credential.pop("proof", None)
        subject = credential.get("credentialSubject")
        if isinstance(subject, list):  # an award names one subject; bind the first, keep the form
            subject = subject[0] if subject else {}
        bound = {**(subject if isinstance(subject, dict) else {}), "id": holder_did}
        bound = {"id": holder_did, **{k: v for k, v in bound.items() if k != "id"}}
        credential["credentialSubject"] = bound
        return slug, suite, credential

    def jwt_vc_json(self, award_id: str, *, holder_jwk: Mapping[str, Any], holder_did: str) -> str:
        """An Open Badges 3.0 VC-JWT (``vc`` claim, ``sub`` the holder's DID), signed with EdDSA or ES256/384."""
        slug, _, credential = self._unsigned(award_id, holder_did)
        signed = self.keys.sign(slug, credential, suite="ob3-jwt")
        assert isinstance(signed, str)
        return signed

    def ldp_vc(self, award_id: str, *, holder_jwk: Mapping[str, Any], holder_did: str) -> dict[str, Any]:
        """The credential with a Data Integrity proof (see :data:`DI_SUITES`)."""
        slug, suite, credential = self._unsigned(award_id, holder_did)
        if suite not in DI_SUITES:
            suite = "ecdsa-rdfc-2019" if suite == "ecdsa-sd-2023" else "eddsa-rdfc-2022"
        signed = self.keys.sign(slug, credential, suite=suite)
        assert isinstance(signed, dict)
        return signed


def w3c_formats(copies: BoundCopies) -> FormatRegistry:
    """The registry with the two W3C configurations Cairn issues."""
    registry = FormatRegistry()
    jose_algs = ["EdDSA", "ES256", "ES384"]
    registry.register(
        CredentialConfiguration(
            JWT_VC_JSON,
            "jwt_vc_json",
            lambda: _w3c_metadata("jwt_vc_json", context=False, signing=jose_algs),
            copies.jwt_vc_json,
        )
    )
    registry.register(
        CredentialConfiguration(
            LDP_VC, "ldp_vc", lambda: _w3c_metadata("ldp_vc", context=True, signing=list(DI_SUITES)), copies.ldp_vc
        )
    )
    return registry
