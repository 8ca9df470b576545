"""Issue a credential posted through the VC-API, as the organisation whose token calls."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from cairn.errors import CredentialError, InputError, NotFoundError
from cairn.services.issuing.keys import KeyService, suite_of
from cairn.store.audit import AuditRepository
from cairn.store.catalog.repository import OrganisationRepository
from cairn.store.database import Database
from cairn.vc.issuance import SUITES, issue

__all__ = ["ApiIssuingService"]

VC2 = "https://www.w3.org/ns/credentials/v2"


def _issuer_id(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


class ApiIssuingService:
    """Signs posted credentials with an organisation's current key; audits each one."""

    def __init__(self, database: Database, *, keys: KeyService, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.keys = keys
        self.clock = clock

    def suite_of(self, organisation: str) -> str:
        """The cryptosuite the organisation signs with by default."""
        with self.database.transaction() as session:
            row = OrganisationRepository(session).row(organisation)
            if row is None:
                raise NotFoundError(f"no organisation '{organisation}'")
            return suite_of(row)

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
        """The signed credential (a JWT comes back as an EnvelopedVerifiableCredential).

        A credential without an issuer is issued by ``organisation``; one naming another issuer is refused.
        ``key_type`` ("P-256" or "P-384") picks the ECDSA key; ``mandatory_pointers`` are the JSON Pointers
        an ecdsa-sd-2023 base proof always discloses.
        """
        did = self.keys.did(organisation)
        document = dict(credential)
        named = _issuer_id(document.get("issuer"))
        if "issuer" not in document:
            document["issuer"] = did
        elif named != did:
            raise InputError(f"this token issues as {did}; a credential naming issuer {str(named)[:200]} is refused")
        chosen = suite or self.suite_of(organisation)
        if chosen not in SUITES:
            raise InputError(f"unknown cryptosuite {chosen[:60]!r}; use one of: {', '.join(SUITES)}")
        signing = self.keys.ensure_key(organisation, suite=chosen, actor=actor, key_type=key_type)
        now = self.clock()
        created = now.replace(microsecond=0).isoformat().replace("+00:00", "Z")
        try:
            secured = issue(
                document,
                key=signing.key,
                suite=chosen,
                created=created,
                verification_method=signing.verification_method,
                mandatory_pointers=mandatory_pointers,
            )
        except CredentialError as exc:
            raise InputError(exc.message) from None
        with self.database.transaction() as session:
            AuditRepository(session).append(
                at=now,
                actor=actor,
                action="credential.issue",
                subject=str(document.get("id", ""))[:500],
                details={"suite": chosen, "organisation": organisation, "key_type": signing.key.kind.value},
            )
        if isinstance(secured, str):
            return {
                "@context": [VC2],
                "type": "EnvelopedVerifiableCredential",
                "id": f"data:application/vc+jwt,{secured}",
            }
        return secured
