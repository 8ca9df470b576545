"""A registry: an organisation of this instance whose operators accredit issuers, and the lists it publishes.

Every accreditation is stored with its signed credential (a W3C Verifiable Credential, ``VerifiableAccreditation``,
signed by the accrediting organisation's key, with only W3C contexts: its own terms are issuer-dependent) and
audited. Suspending, withdrawing and reinstating append to its status history; the history travels in the trust
list, so a verifier learns it on the next sync, and the accreditation stays valid for credentials awarded before
the change (see :meth:`cairn.model.trust.Accreditation.active_at`).

Each registry publishes a **signed trust list** (:meth:`RegistryService.trust_list`): a VC 2.0 credential of type
``TrustList`` secured with a JCS Data Integrity proof (``eddsa-jcs-2022``, or ``ecdsa-jcs-2019`` for a P-256 key)
that carries every accreditation the registry made and those made by the bodies it accredited on this instance
(its subtree), with an expiry. Federated registries pull it (:mod:`.federation`).
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final

from cairn.errors import InputError, NotFoundError
from cairn.model.trust import (
    KINDS,
    STATUSES,
    Accreditation,
    Claim,
    Evidence,
    LegalIdentity,
    Scope,
    StatusChange,
    Vouching,
    vouch,
)
from cairn.services.issuing.keys import KeyService, suite_of
from cairn.services.trust.network import TrustNetwork
from cairn.store.catalog.repository import OrganisationRepository
from cairn.store.database import Database
from cairn.store.issuing.repository import AuditRecord, append_audit
from cairn.store.tables import AccreditationRow, OrganisationRow, TrustAnchorRow
from cairn.store.trust.repository import TrustRepository
from cairn.vc.fetch import loads_json
from cairn.vc.issuance import issue

__all__ = ["LIST_LIFETIME", "PublishedList", "RegistryService", "StoredAccreditation", "TrustLookup"]

LIST_LIFETIME: Final = timedelta(days=7)
"""How long a published trust list is valid: a federated registry keeps it at most this long without news."""
CONTEXTS: Final = ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/undefined-terms/v2"]
"""Accreditations and trust lists use W3C's contexts only: VC 2.0, and its undefined-terms context for the
registry's own terms (issuer-dependent IRIs), so no private context is needed to read or verify them."""
_MAX_TEXT: Final = 500
_MAX_IDS: Final = 20


@dataclass(frozen=True, slots=True)
class StoredAccreditation:
    """An accreditation made here, with the organisation that made it and its signed credential."""

    accreditation: Accreditation
    registry: str
    credential: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PublishedList:
    """A registry's signed trust list as served: the JSON bytes, its ETag and when it stops being valid."""

    body: bytes
    etag: str
    valid_until: datetime
    entries: int


@dataclass(frozen=True, slots=True)
class TrustLookup:
    """What the trust network knows about an identifier: the accreditations naming it and who vouches for it."""

    identifier: str
    accreditations: tuple[Accreditation, ...]
    vouching: Vouching
    chain: list[dict[str, Any]]


def _text(value: object, what: str, *, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise InputError(f"give the {what}")
    if len(text) > _MAX_TEXT:
        raise InputError(f"the {what} is longer than {_MAX_TEXT} characters")
    return text


def _stamp(value: datetime) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


class RegistryService:
    """Accredit, suspend, withdraw and reinstate; publish signed trust lists; trust anchors; look up DIDs."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime],
        keys: KeyService,
        network: TrustNetwork,
        public_url: str,
    ) -> None:
        self.database = database
        self.clock = clock
        self.keys = keys
        self.network = network
        self.public_url = public_url.rstrip("/")
        self._lists: dict[str, tuple[int, int, PublishedList]] = {}
        self._lock = threading.Lock()

    # -- urls ----------------------------------------------------------------------------------------

    def list_url(self, registry: str) -> str:
        """Where ``registry`` publishes its signed trust list."""
        return f"{self.public_url}/registries/{registry}/trust-list"

    # -- accrediting ---------------------------------------------------------------------------------

    def _registry_row(self, session: Any, slug: str) -> OrganisationRow:
        row = OrganisationRepository(session).row(slug)
        if row is None:
            raise NotFoundError(f"no organisation '{slug}'")
        return row

    @staticmethod
    def _legal_name(row: OrganisationRow) -> str:
        names = row.document.get("legal_name") or {}
        return str(names.get("en") or next(iter(names.values()), row.slug))

    def accredit(
        self,
        registry: str,
        *,
        actor: str,
        kind: str,
        subjects: Sequence[str],
        identity: LegalIdentity,
        scope: Scope | None = None,
        certificates: Sequence[str] = (),
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        evidence: Sequence[Evidence] = (),
    ) -> StoredAccreditation:
        """Accredit the organisation known by ``subjects`` (DIDs) and/or ``certificates`` (SHA-256 fingerprints of
        seal certificates) as ``registry``; signed, stored and audited."""
        if kind not in KINDS or kind == "root":
            raise InputError("kind must be 'body' (may accredit others) or 'issuer'")
        clean_subjects = tuple(dict.fromkeys(_text(s, "DID") for s in subjects if str(s).strip()))
        clean_certs = tuple(dict.fromkeys(_text(c, "certificate").replace(":", "").lower() for c in certificates))
        if not clean_subjects and not clean_certs:
            raise InputError("give at least one DID or seal certificate fingerprint of the accredited organisation")
        if len(clean_subjects) + len(clean_certs) > _MAX_IDS:
            raise InputError(f"an accreditation names at most {_MAX_IDS} identifiers")
        for did in clean_subjects:
            if not did.startswith(("did:", "https://")) or any(ch.isspace() for ch in did):
                raise InputError(f"{did[:60]!r} is not a DID (did:...) or an https issuer URL")
        for cert in clean_certs:
            if len(cert) != 64 or any(ch not in "0123456789abcdef" for ch in cert):
                raise InputError("a certificate is named by its SHA-256 fingerprint (64 hex digits)")
        if len(identity.country) != 2 or not identity.country.isalpha():
            raise InputError("the country is a two-letter code (ISO 3166-1), for example PL")
        _text(identity.legal_name, "legal name")
        now = self.clock()
        start = (valid_from or now).replace(microsecond=0)  # credentials state their award time to the second
        if valid_until is not None and valid_until <= start:
            raise InputError("the accreditation must end after it starts")
        with self.database.transaction() as session:
            org = self._registry_row(session, registry)
            did = self.keys.did(registry)
            if did in clean_subjects:
                raise InputError("an organisation cannot accredit itself")
            accreditation = Accreditation(
                id=f"urn:uuid:{uuid.uuid4()}",
                kind="body" if kind == "body" else "issuer",
                subjects=clean_subjects,
                identity=LegalIdentity(
                    identity.legal_name.strip(), identity.country.upper(), tuple(identity.identifiers)
                ),
                scope=scope or Scope(),
                accredited_by=did,
                valid_from=start,
                valid_until=valid_until,
                certificates=clean_certs,
                evidence=tuple(evidence),
                accreditor_name=self._legal_name(org),
            )
            credential = self._sign(session, org, accreditation)
            row = AccreditationRow(
                id=accreditation.id,
                organisation_id=org.id,
                kind=accreditation.kind,
                status=accreditation.status,
                legal_name=accreditation.identity.legal_name,
                document=accreditation.to_dict(),
                credential=credential,
                created_at=now,
                updated_at=now,
            )
            TrustRepository(session).add(row)
            append_audit(
                session,
                [
                    AuditRecord(
                        now,
                        actor,
                        "registry.accredit",
                        accreditation.id,
                        {"registry": registry, "kind": accreditation.kind, "subjects": list(clean_subjects)},
                    )
                ],
            )
        self.network.invalidate()
        return StoredAccreditation(accreditation, registry, credential, now)

    def _sign(self, session: Any, org: OrganisationRow, accreditation: Accreditation) -> dict[str, Any]:
        did = accreditation.accredited_by
        subject = {k: v for k, v in accreditation.to_dict().items() if k != "id"}
        credential: dict[str, Any] = {
            "@context": CONTEXTS,
            "id": accreditation.id,
            "type": ["VerifiableCredential", "VerifiableAccreditation"],
            "issuer": {"id": did, "name": accreditation.accreditor_name},
            "validFrom": _stamp(accreditation.valid_from),
            "credentialSubject": {"id": (accreditation.subjects or (did,))[0], **subject},
        }
        if accreditation.valid_until is not None:
            credential["validUntil"] = _stamp(accreditation.valid_until)
        signing = self.keys.signing_key(session, org)
        signed = issue(
            credential,
            key=signing.key,
            suite=suite_of(org),
            created=self.clock(),
            verification_method=signing.verification_method,
        )
        assert isinstance(signed, dict)
        return signed

    def change_status(
        self, registry: str, accreditation_id: str, *, status: str, reason: str, actor: str
    ) -> StoredAccreditation:
        """Suspend, withdraw or reinstate (``active``) an accreditation ``registry`` made, from now on."""
        if status not in STATUSES:
            raise InputError("status must be active, suspended or withdrawn")
        reason = _text(reason, "reason", required=status != "active")
        now = self.clock()
        with self.database.transaction() as session:
            org = self._registry_row(session, registry)
            repo = TrustRepository(session)
            row = repo.accreditation(accreditation_id)
            if row is None or row.organisation_id != org.id:
                raise NotFoundError("no such accreditation in this registry")
            current = Accreditation.of(row.document)
            if current.status == "withdrawn":
                raise InputError("a withdrawn accreditation stays withdrawn: accredit again instead")
            if current.status == status:
                raise InputError(f"the accreditation is already {status}")
            changed = current.with_status(StatusChange(status, now, reason))
            row.document = changed.to_dict()
            row.status = changed.status
            row.updated_at = now
            repo.bump()
            append_audit(
                session,
                [
                    AuditRecord(
                        now, actor, f"registry.{status}", accreditation_id, {"registry": registry, "reason": reason}
                    )
                ],
            )
            credential = row.credential
            created = row.created_at
        self.network.invalidate()
        return StoredAccreditation(changed, registry, credential, created)

    # -- reading -------------------------------------------------------------------------------------

    def accreditations(self, registry: str | None = None) -> list[StoredAccreditation]:
        """Accreditations made here (by ``registry``), newest first."""
        with self.database.transaction(read_only=True) as session:
            slugs = {o.id: o.slug for o in session.query(OrganisationRow).all()}  # small table
            org_id = self._registry_row(session, registry).id if registry else None
            rows = TrustRepository(session).accreditations(org_id)
            return [
                StoredAccreditation(Accreditation.of(r.document), slugs[r.organisation_id], r.credential, r.created_at)
                for r in rows
            ]

    def get(self, accreditation_id: str) -> StoredAccreditation:
        """One accreditation made here (NotFoundError when none)."""
        with self.database.transaction(read_only=True) as session:
            row = TrustRepository(session).accreditation(accreditation_id)
            if row is None:
                raise NotFoundError("no such accreditation")
            slug = session.get(OrganisationRow, row.organisation_id).slug  # type: ignore[union-attr]
            return StoredAccreditation(Accreditation.of(row.document), slug, row.credential, row.created_at)

    def lookup(self, identifier: str) -> TrustLookup:
        """Every accreditation naming ``identifier`` across this instance and its federated registries, and the
        chain (if any) by which an anchor vouches for it today.

        No credential is in question, so only dates, statuses and who may accredit are checked, not scopes: an
        issuer accredited for ISCED-F 061 only is vouched for (for that scope), which the chain's links say."""
        index = self.network.index()
        found = index.lookup(identifier)
        today = Claim(self.clock(), scoped=False)
        vouching = vouch([identifier], today, lookup=index.lookup, anchors=index.anchors)
        if not vouching.vouched:  # the model words its reasons for a credential; a lookup has none
            reason = vouching.reason
            for about_a_credential in (", before the credential was awarded", ", after the credential was awarded"):
                reason = reason.replace(about_a_credential, "")
            vouching = replace(vouching, reason=reason)
        chain = self.network.describe(vouching.chain) if vouching.chain is not None else []
        return TrustLookup(identifier, found, vouching, chain)

    def accredited_organisations(self, registry: str) -> tuple[int, ...]:
        """The ids of this instance's organisations that ``registry`` accredits today (an accreditation of its in
        force now names the organisation's DID), by id: whose figures the registry's analytics may show. An
        organisation accredited only by a seal certificate, or only through a body the registry accredited, is not
        among them. NotFoundError for an unknown registry."""
        now = self.clock()
        subjects: set[str] = set()
        for stored in self.accreditations(registry):
            if stored.accreditation.active_at(now) is None:
                subjects.update(stored.accreditation.subjects)
        with self.database.transaction(read_only=True) as session:
            rows = session.query(OrganisationRow).all()  # small table
            return tuple(sorted(r.id for r in rows if self.keys.did(r.slug) in subjects))

    def organisations(self) -> list[tuple[str, str]]:
        """``(slug, legal name)`` of every organisation of this instance, by name: those an administrator may make
        a trust anchor."""
        with self.database.transaction(read_only=True) as session:
            rows = session.query(OrganisationRow).all()  # small table
            return sorted(((r.slug, self._legal_name(r)) for r in rows), key=lambda item: item[1].lower())

    # -- anchors -------------------------------------------------------------------------------------

    def anchors(self) -> list[tuple[str, str]]:
        """``(DID, name)`` of every root this instance trusts (its own registries and federated ones)."""
        return sorted(self.network.index().anchors.items(), key=lambda item: item[1].lower())

    def add_anchor(self, registry: str, *, actor: str) -> str:
        """Trust this instance's organisation ``registry`` as a root (an administrator's decision)."""
        now = self.clock()
        with self.database.transaction() as session:
            org = self._registry_row(session, registry)
            did = self.keys.did(registry)
            repo = TrustRepository(session)
            if repo.anchor(did) is None:
                repo.add_anchor(TrustAnchorRow(did=did, name=self._legal_name(org), added_at=now))
                append_audit(session, [AuditRecord(now, actor, "registry.anchor", did, {"registry": registry})])
        self.network.invalidate()
        return did

    def remove_anchor(self, did: str, *, actor: str) -> None:
        """Stop trusting a root of this instance."""
        now = self.clock()
        with self.database.transaction() as session:
            repo = TrustRepository(session)
            row = repo.anchor(did)
            if row is None:
                raise NotFoundError("no such trust anchor")
            repo.remove_anchor(row)
            append_audit(session, [AuditRecord(now, actor, "registry.unanchor", did, {})])
        self.network.invalidate()

    # -- publishing ----------------------------------------------------------------------------------

    def trust_list(self, registry: str) -> PublishedList:
        """``registry``'s signed trust list: re-signed when accreditations changed and every half of its life (in
        fixed periods counted from the epoch, the same in every process).

        Its ETag is weak and the same in every process for the same entries in the same period: each process signs
        its own copy (the signing time differs, and ECDSA signatures are randomised), and those copies are
        equivalent, so a verifier's ``If-None-Match`` gets a 304 whichever process answers."""
        now = self.clock()
        period = int(now.timestamp() // (LIST_LIFETIME / 2).total_seconds())
        with self.database.transaction(read_only=True) as session:
            revision = TrustRepository(session).revision()
            org = self._registry_row(session, registry)
        with self._lock:
            cached = self._lists.get(registry)
            if cached is not None and cached[0] == revision and cached[1] == period:
                return cached[2]
        published = self._publish(registry, org.id, now, period)
        with self._lock:
            self._lists[registry] = (revision, period, published)
        return published

    def _subtree(self, did: str, documents: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The accreditations ``did`` made, and those made by the bodies it accredited (recursively)."""
        by_accreditor: dict[str, list[Mapping[str, Any]]] = {}
        for doc in documents:
            by_accreditor.setdefault(str(doc.get("accreditedBy")), []).append(doc)
        out: list[Mapping[str, Any]] = []
        seen = {did}
        frontier = [did]
        while frontier:
            accreditor = frontier.pop()
            for doc in by_accreditor.get(accreditor, ()):
                out.append(doc)
                if doc.get("kind") == "body":
                    for subject in doc.get("subjects") or ():
                        if subject not in seen:
                            seen.add(subject)
                            frontier.append(subject)
        return out

    def _publish(self, registry: str, organisation_id: int, now: datetime, period: int) -> PublishedList:
        did = self.keys.did(registry)
        with self.database.transaction() as session:
            org = session.get(OrganisationRow, organisation_id)
            assert org is not None
            documents = [doc for _, doc in TrustRepository(session).all_documents()]
            entries = self._subtree(did, documents)
            until = now + LIST_LIFETIME
            document: dict[str, Any] = {
                "@context": CONTEXTS,
                "id": self.list_url(registry),
                "type": ["VerifiableCredential", "TrustList"],
                "issuer": {"id": did, "name": self._legal_name(org)},
                "validFrom": _stamp(now),
                "validUntil": _stamp(until),
                "credentialSubject": {
                    "id": f"{self.public_url}/registries/{registry}",
                    "accreditations": entries,
                },
            }
            suite = "ecdsa-jcs-2019" if org.signing_suite.startswith("ecdsa") else "eddsa-jcs-2022"
            signing = self.keys.signing_key(session, org, suite=suite)
        signed = issue(
            document, key=signing.key, suite=suite, created=now, verification_method=signing.verification_method
        )
        body = json.dumps(signed, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        content = json.dumps([did, period, entries], ensure_ascii=False, sort_keys=True).encode("utf-8")
        etag = 'W/"' + hashlib.sha256(content).hexdigest()[:32] + '"'
        return PublishedList(body, etag, until, len(entries))

    @staticmethod
    def parse_list(body: bytes) -> Any:
        """A published list's JSON (for tests and tools)."""
        return loads_json(body, what="trust list")
