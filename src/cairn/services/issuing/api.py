"""Issue a credential posted through the VC-API, as the organisation whose token calls.

A posted credential is first held to the VC Data Model rules (:mod:`cairn.vc.datamodel`, the rules Cairn's own
verifier applies): a malformed one is refused, never signed. What it lacks that a first-class credential needs is
added: an ``id`` (``urn:uuid``), the start of its validity (now), and (VCDM 2.0) a revocation and a suspension
``BitstringStatusListEntry`` in the organisation's status lists. A VCDM 1.1 credential gets the Data Integrity
context it needs for its proof. The signed credential is stored as an award without a definition version, so it is
listed with the organisation's awards and revoked or suspended like them (pages and ``POST /credentials/status``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy.exc import IntegrityError

from cairn.errors import CredentialError, InputError, NotFoundError, StorageError
from cairn.services.issuing.keys import KeyService, suite_of
from cairn.services.issuing.status_lists import PURPOSES, Slot, StatusListService
from cairn.store.catalog.repository import OrganisationRepository
from cairn.store.database import Database
from cairn.store.issuing.repository import (
    AuditRecord,
    AwardRepository,
    StatusListRepository,
    append_audit,
)
from cairn.store.tables import OrganisationRow
from cairn.vc.datamodel import VC2, check_credential, credential_version, with_proof_context
from cairn.vc.issuance import DATA_INTEGRITY_SUITES, SUITES, issue
from cairn.vc.values import as_list, id_of, nests_deeper_than, parse_time

__all__ = ["MAX_DEPTH", "ApiIssuingService"]

MAX_DEPTH: Final = 64
"""Deepest nesting of objects and arrays a posted credential may have."""
MAX_SLOT_RETRIES: Final = 100
MAX_EXTERNAL_ID: Final = 500


def _fresh_uuid(value: object) -> str | None:
    """The uuid of a ``urn:uuid:`` id (lower case), or None."""
    if not isinstance(value, str) or not value.lower().startswith("urn:uuid:"):
        return None
    try:
        return str(uuid.UUID(value[9:]))
    except ValueError:
        return None


def _stamp(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


class ApiIssuingService:
    """Checks, completes, signs and stores posted credentials with an organisation's current key; audits each."""

    def __init__(
        self,
        database: Database,
        *,
        keys: KeyService,
        clock: Callable[[], datetime],
        status_lists: StatusListService | None = None,
    ) -> None:
        self.database = database
        self.keys = keys
        self.clock = clock
        self.status_lists = status_lists or StatusListService(database, keys=keys, clock=clock)

    def suite_of(self, organisation: str) -> str:
        """The cryptosuite the organisation signs with by default."""
        return suite_of(self._organisation(organisation))

    def _organisation(self, organisation: str) -> OrganisationRow:
        with self.database.transaction(read_only=True) as session:
            row = OrganisationRepository(session).row(organisation)
            if row is None:
                raise NotFoundError(f"no organisation '{organisation}'")
            session.expunge(row)
            return row

    def prepare(self, credential: Mapping[str, Any], *, organisation: str, now: datetime) -> dict[str, Any]:
        """The credential as it will be signed, before its status entries: issuer, ``id`` and the start of its
        validity added when missing, then checked against the data model (InputError when it breaks it).

        A credential naming another issuer than the organisation is refused."""
        if nests_deeper_than(credential, MAX_DEPTH):
            raise InputError(f"the credential nests deeper than {MAX_DEPTH} levels")
        did = self.keys.did(organisation)
        document = dict(credential)
        if "issuer" not in document:
            document["issuer"] = did
        elif id_of(document.get("issuer")) != did:
            named = id_of(document.get("issuer"))
            raise InputError(f"this token issues as {did}; a credential naming issuer {str(named)[:200]} is refused")
        if "id" not in document:
            document["id"] = f"urn:uuid:{uuid.uuid4()}"
        version = credential_version(document)
        start, end = ("issuanceDate", "expirationDate") if version == 1 else ("validFrom", "validUntil")
        if start not in document:
            until = parse_time(document.get(end))
            document[start] = _stamp(min(now, until) if until is not None else now)
        try:
            check_credential(document)
        except CredentialError as exc:
            raise InputError(exc.message) from None
        lists = f"{self.keys.public_url}/orgs/"
        for entry in as_list(document.get("credentialStatus")):
            if isinstance(entry, Mapping) and str(entry.get("statusListCredential", "")).startswith(lists):
                raise InputError("entries in this instance's status lists are given by Cairn, not by the caller")
        return document

    def issue(
        self,
        credential: Mapping[str, Any],
        *,
        organisation: str,
        suite: str | None,
        actor: str,
        key_type: str | None = None,
        mandatory_pointers: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """The signed credential (a JWT comes back as an EnvelopedVerifiableCredential), stored as an award.

        ``key_type`` ("P-256" or "P-384") picks the ECDSA key; ``mandatory_pointers`` are the JSON Pointers an
        ecdsa-sd-2023 base proof always discloses.
        """
        org = self._organisation(organisation)
        chosen = suite or suite_of(org)
        if chosen not in SUITES:
            raise InputError(f"unknown cryptosuite {chosen[:60]!r}; use one of: {', '.join(SUITES)}")
        now = self.clock()
        document = self.prepare(credential, organisation=organisation, now=now)
        if chosen in DATA_INTEGRITY_SUITES:
            document = with_proof_context(document)
        own = _fresh_uuid(document["id"])
        award_id = own if own is not None and not self._taken(own) else str(uuid.uuid4())
        signing = self.keys.ensure_key(organisation, suite=chosen, actor=actor, key_type=key_type)
        # Only VCDM 2.0 defines BitstringStatusListEntry; a 1.1 credential is stored without status entries.
        slotted = credential_version(document) == 2
        for _ in range(MAX_SLOT_RETRIES):
            slots = tuple(self.status_lists.allocate(org.id, p)[0] for p in PURPOSES) if slotted else ()
            unsigned = dict(document)
            if slots:
                entries = [self.status_lists.entry(organisation, s) for s in slots]
                unsigned["credentialStatus"] = [*as_list(document.get("credentialStatus")), *entries]
            secured = self._sign(unsigned, signing.key, chosen, now, signing.verification_method, mandatory_pointers)
            # A credential id that is not this award's own urn:uuid is kept, to find the award by it again.
            text = str(document["id"])
            external = None if own == award_id or len(text) > MAX_EXTERNAL_ID else text
            row = self._row(org.id, award_id, unsigned, secured, slots, chosen, now, external)
            if self._store(row, slots, actor=actor, now=now, suite=chosen):
                break
            if self._taken(award_id):
                award_id = str(uuid.uuid4())
            for purpose in PURPOSES:
                self.status_lists.refresh(org.id, purpose)  # a status index was taken by another process
        else:
            raise StorageError("could not find a free status list index; try again")
        if isinstance(secured, str):
            return {
                "@context": [VC2],
                "type": "EnvelopedVerifiableCredential",
                "id": f"data:application/vc+jwt,{secured}",
            }
        return secured

    def _sign(
        self,
        document: dict[str, Any],
        key: Any,
        suite: str,
        now: datetime,
        method: str,
        mandatory_pointers: Sequence[str] | None,
    ) -> dict[str, Any] | str:
        try:
            return issue(
                document,
                key=key,
                suite=suite,
                created=_stamp(now),
                verification_method=method,
                mandatory_pointers=mandatory_pointers,
            )
        except CredentialError as exc:
            raise InputError(exc.message) from None

    def _taken(self, award_id: str) -> bool:
        with self.database.transaction(read_only=True) as session:
            return AwardRepository(session).get(award_id) is not None

    def _row(
        self,
        organisation_id: int,
        award_id: str,
        unsigned: Mapping[str, Any],
        secured: dict[str, Any] | str,
        slots: tuple[Slot, ...],
        suite: str,
        now: datetime,
        external_id: str | None,
    ) -> dict[str, Any]:
        subjects = as_list(unsigned.get("credentialSubject"))
        subject = subjects[0].get("id") if subjects and isinstance(subjects[0], Mapping) else None
        revocation = slots[0] if slots else None
        suspension = slots[1] if slots else None
        return {
            "id": award_id,
            "definition_version_id": None,
            "learner_id": None,
            "recipient_key": self.keys.recipient_key("vc-api", award_id),
            "recipient_hash": None,
            "recipient_did": subject if isinstance(subject, str) and len(subject) <= 2000 else None,
            "external_id": external_id,
            "issued_at": now.replace(microsecond=0),
            "grade": None,
            "credential": json.dumps(
                unsigned if isinstance(secured, str) else secured, ensure_ascii=False, separators=(",", ":")
            ),
            "revocation_list_id": revocation.list_id if revocation else None,
            "revocation_index": revocation.index if revocation else None,
            "suspension_list_id": suspension.list_id if suspension else None,
            "suspension_index": suspension.index if suspension else None,
            "suspended": False,
            "organisation_id": organisation_id,
            "suite": suite,
            "credential_jwt": secured if isinstance(secured, str) else None,
            "claim_token_hash": None,
            "bulk_job_id": None,
            "row_number": None,
        }

    def _store(self, row: dict[str, Any], slots: tuple[Slot, ...], *, actor: str, now: datetime, suite: str) -> bool:
        """Write the award, its status indexes and the audit entry; False when a UNIQUE constraint refused it."""
        with self.database.transaction() as session:
            try:
                with session.begin_nested():
                    AwardRepository(session).insert_many([row])
            except IntegrityError:
                return False
            lists = StatusListRepository(session)
            for slot in slots:
                lists.add_allocated(slot.list_id, 1)
            details = {"suite": suite, "vc-api": True}
            append_audit(session, [AuditRecord(now, actor, "credential.issue", row["id"], details)])
        return True

    def award_id_for(self, credential_id: str, *, organisation: str) -> str:
        """The award a ``credentialId`` of ``POST /credentials/status`` names: an award id (``urn:uuid`` or
        bare), or the ``id`` a credential issued through the VC-API carried. Only the organisation's own."""
        own = _fresh_uuid(credential_id) or _fresh_uuid(f"urn:uuid:{credential_id}")
        org = self._organisation(organisation)
        with self.database.transaction(read_only=True) as session:
            awards = AwardRepository(session)
            if own is not None:
                found = awards.get(own)
                if found is not None and found.organisation_id == org.id:
                    return found.id
            row = awards.issued_through_api(org.id, credential_id)
            if row is not None:
                return row.id
        raise NotFoundError(f"no award '{credential_id[:200]}'")
