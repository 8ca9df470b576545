"""Deferred OpenID4VCI issuance on SQLite and PostgreSQL: an offer at enrolment, before the award, is redeemed; the
credential request is deferred with the proved keys; the deferred endpoint says it is pending until the award is
made, then delivers credentials bound to those keys (verified on the one verification path) once; another token,
a withdrawn offer, a revoked award, an ended wait and draft 13's shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cairn.bootstrap import Container
from cairn.errors import ConflictError, NotFoundError
from cairn.model.awards import Recipient
from cairn.services.openid4vci.deferred import DEFERRED_INTERVAL
from cairn.services.openid4vci.enrolment import DEFER_LIFETIME, EnrolmentOffer
from cairn.services.openid4vci.formats import JWT_VC_JSON, LDP_VC
from cairn.services.openid4vci.issuance import MAX_BODY
from cairn.services.openid4vci.protocol import OAuthError
from cairn.services.wallet.records import status_of
from cairn.store.database import Database
from cairn.store.tables import AuditEntry, DeferredIssueRow, IssuedCopyRow, OfferTokenRow, UsedNonceRow
from cairn.vc.dids import did_key
from cairn.vc.keys import KeyPair
from tests.factories import FixedClock
from tests.openid4vci_parts import ADA, DEFINITION, UM, issuer, proof, redeem, request


@pytest.fixture
def container(database: Database, clock: FixedClock, examples: Path) -> Container:
    return issuer(database, clock, examples)


def enrol(container: Container, email: str = ADA) -> EnrolmentOffer:
    return container.enrolment_offers.make(UM, DEFINITION, Recipient(email=email), actor="token:1")


def award(container: Container, email: str = ADA) -> str:
    return container.issuing.award(DEFINITION, Recipient(email=email), actor="test", organisation=UM).award_id


def deferred(container: Container, token: str, transaction_id: str) -> dict[str, Any]:
    return container.credential_endpoint.deferred(token, json.dumps({"transaction_id": transaction_id}).encode())


def refused(code: str, call: Any, *args: Any) -> OAuthError:
    with pytest.raises(OAuthError) as caught:
        call(*args)
    assert caught.value.error == code, caught.value.message
    return caught.value


def state(container: Container) -> tuple[int, ...]:
    """Rows of the deferred, issued, nonce and audit tables, and deliveries: what a refusal must not change."""
    tables = (DeferredIssueRow, IssuedCopyRow, UsedNonceRow, AuditEntry)
    delivered = select(func.count()).select_from(DeferredIssueRow).where(DeferredIssueRow.delivered_at.is_not(None))
    with container.database.transaction() as session:
        counts = [int(session.scalar(select(func.count()).select_from(t)) or 0) for t in tables]
        return (*counts, int(session.scalar(delivered) or 0))


def start(container: Container, clock: FixedClock, keys: int = 1, email: str = ADA) -> tuple[str, str, list[KeyPair]]:
    """Enrol ``email``, redeem the offer and ask for the credential with ``keys`` key proofs: (token, transaction
    id, the keys)."""
    offer = enrol(container, email)
    token = redeem(container, offer.offer_uri, offer.tx_code)
    nonce = container.openid4vci.nonce()["c_nonce"]
    proved = [proof(clock, nonce) for _ in range(keys)]
    answer = container.credential_endpoint.issue(token, request([j for j, _ in proved]))
    assert answer == {"transaction_id": answer["transaction_id"], "interval": DEFERRED_INTERVAL}
    return token, answer["transaction_id"], [k for _, k in proved]


def test_deferred_until_the_award_then_delivered_once_bound_to_the_proved_keys(
    container: Container, clock: FixedClock
) -> None:
    token, transaction, keys = start(container, clock, keys=2)
    assert deferred(container, token, transaction) == {"transaction_id": transaction, "interval": DEFERRED_INTERVAL}
    clock.advance(days=3)  # long past the token's 10 minutes: it still works at the deferred endpoint, only there
    refused("invalid_token", container.credential_endpoint.issue, token, request([proof(clock, "n")[0]]))
    assert deferred(container, token, transaction)["interval"] == DEFERRED_INTERVAL
    award_id = award(container)
    answer = deferred(container, token, transaction)
    assert set(answer) == {"credentials", "notification_id"}
    issued = [c["credential"] for c in answer["credentials"]]
    assert len(issued) == 2
    for credential, key in zip(issued, keys, strict=True):
        report = container.verification.verify(credential)
        assert status_of(report) == "valid", report.to_dict()
        assert report.credential is not None
        assert report.credential["credentialSubject"]["id"] == did_key(key.public)
        assert report.credential["id"] == f"urn:uuid:{award_id}"
    container.credential_endpoint.notify(
        token, json.dumps({"notification_id": answer["notification_id"], "event": "credential_accepted"}).encode()
    )
    before = state(container)
    refused("invalid_transaction_id", deferred, container, token, transaction)  # delivered once
    assert state(container) == before
    with container.database.transaction() as session:
        entries = [(e.action, e.subject, e.details) for e in session.scalars(select(AuditEntry))]
    [(_, _, waited)] = [e for e in entries if e[0] == "openid4vci.deferred"]
    assert waited["count"] == 2
    [(_, subject, issue)] = [e for e in entries if e[0] == "openid4vci.issue"]
    assert (subject, issue["deferred"], issue["configuration"]) == (award_id, True, JWT_VC_JSON)
    assert sorted(issue["holders"]) == sorted(did_key(k.public) for k in keys)
    assert [e[2]["event"] for e in entries if e[0] == "openid4vci.notification"] == ["credential_accepted"]
    assert not any(transaction in json.dumps(e[2]) or token in json.dumps(e[2]) for e in entries)


def test_another_token_a_wrong_id_and_bad_bodies_change_nothing(container: Container, clock: FixedClock) -> None:
    token, transaction, _ = start(container, clock)
    other, _, _ = start(container, clock)
    award(container)
    before = state(container)
    refused("invalid_transaction_id", deferred, container, other, transaction)
    refused("invalid_transaction_id", deferred, container, token, "not-a-transaction")
    refused("invalid_transaction_id", deferred, container, token, "x" * 500)
    endpoint = container.credential_endpoint
    refused("invalid_credential_request", endpoint.deferred, token, b"{}")
    refused("invalid_credential_request", endpoint.deferred, token, b"[1]")
    refused("invalid_credential_request", endpoint.deferred, token, b"{not json")
    refused("invalid_credential_request", endpoint.deferred, token, b" " * (MAX_BODY + 1))
    refused("invalid_token", endpoint.deferred, "wrong-token", json.dumps({"transaction_id": transaction}).encode())
    assert state(container) == before
    assert "credentials" in deferred(container, token, transaction)  # still deliverable to its own token


def test_withdrawn_revoked_or_ended_is_denied(container: Container, clock: FixedClock) -> None:
    token, transaction, _ = start(container, clock)
    award_id = award(container)
    container.status_lists.revoke(award_id, reason="withdrawn", actor="test", organisation=UM)
    before = state(container)
    refused("credential_request_denied", deferred, container, token, transaction)
    assert state(container) == before
    # a withdrawn offer: refused at the deferred endpoint, and its offer can no longer be redeemed
    withdrawn = enrol(container, "grace@example.org")
    grace = redeem(container, withdrawn.offer_uri, withdrawn.tx_code)
    jwt, _ = proof(clock, container.openid4vci.nonce()["c_nonce"])
    waiting = container.credential_endpoint.issue(grace, request([jwt]))["transaction_id"]
    container.enrolment_offers.withdraw(UM, withdrawn.offer_id, actor="token:1")
    container.enrolment_offers.withdraw(UM, withdrawn.offer_id, actor="token:1")  # twice: harmless
    refused("credential_request_denied", deferred, container, grace, waiting)
    unredeemed = enrol(container, "grace@example.org")
    container.enrolment_offers.withdraw(UM, unredeemed.offer_id, actor="token:1")
    with pytest.raises(NotFoundError):
        container.openid4vci.offer_document(unredeemed.offer_uri.rsplit("/", 1)[1])
    with pytest.raises(NotFoundError):
        container.enrolment_offers.withdraw("skillbridge-europe", unredeemed.offer_id, actor="token:2")
    # the wait is over: denied, even when the award comes
    late_token, late, _ = start(container, clock, email="hopper@example.org")
    clock.advance(days=DEFER_LIFETIME.days + 1)
    award(container, "hopper@example.org")
    refused("credential_request_denied", deferred, container, late_token, late)


def test_draft_13_shapes(container: Container, clock: FixedClock) -> None:
    offer = enrol(container)
    token = redeem(container, offer.offer_uri, offer.tx_code)
    jwt, key = proof(clock, container.openid4vci.nonce()["c_nonce"])
    body = {"format": "ldp_vc", "proof": {"proof_type": "jwt", "jwt": jwt}}
    answer = container.credential_endpoint.issue(token, json.dumps(body).encode())
    assert set(answer) == {"transaction_id", "c_nonce", "c_nonce_expires_in"}
    pending = refused("issuance_pending", deferred, container, token, answer["transaction_id"])
    assert pending.body()["interval"] == DEFERRED_INTERVAL
    award(container)
    delivered = deferred(container, token, answer["transaction_id"])
    assert set(delivered) == {"credential", "notification_id"}
    assert delivered["credential"]["credentialSubject"]["id"] == did_key(key.public)
    assert delivered["credential"]["proof"]["type"] == "DataIntegrityProof"


def test_an_award_made_before_the_request_is_issued_at_once(container: Container, clock: FixedClock) -> None:
    offer = enrol(container)
    award_id = award(container)
    token = redeem(container, offer.offer_uri, offer.tx_code)
    jwt, key = proof(clock, container.openid4vci.nonce()["c_nonce"])
    answer = container.credential_endpoint.issue(token, request([jwt], LDP_VC))
    [credential] = [c["credential"] for c in answer["credentials"]]
    assert credential["id"] == f"urn:uuid:{award_id}"
    assert credential["credentialSubject"]["id"] == did_key(key.public)


def test_offers_only_for_the_organisations_published_definitions(container: Container) -> None:
    with pytest.raises(NotFoundError):
        container.enrolment_offers.make("skillbridge-europe", DEFINITION, Recipient(email=ADA), actor="token:2")
    with pytest.raises(NotFoundError):
        container.enrolment_offers.make(UM, "no-such-definition", Recipient(email=ADA), actor="token:1")
    with pytest.raises(ConflictError):
        container.enrolment_offers.make(UM, DEFINITION, Recipient(email=ADA), actor="t", configurations=("nope",))
    made = enrol(container)
    assert made.link.startswith("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fcairn.example%2F")
    assert (len(made.tx_code), made.tx_code.isdigit()) == (6, True)
    document = container.openid4vci.offer_document(made.offer_uri.rsplit("/", 1)[1])
    grant = next(iter(document["grants"].values()))
    assert grant["tx_code"]["description"] == "The code given to you with this offer"
    with container.database.transaction() as session:
        [token_rows] = [session.scalar(select(func.count()).select_from(OfferTokenRow))]
    assert token_rows == 0
