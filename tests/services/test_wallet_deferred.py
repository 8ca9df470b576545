"""Cairn's wallet and deferred issuance, on SQLite and PostgreSQL, against Cairn's own issuer side in process: an
offer at enrolment is accepted into a pending receipt (token and transaction id sealed), checked before the award
(still waiting, rate-limited by the interval), then after it (the credential verified, bound, stored, the issuer
told); a withdrawn offer ends the receipt with the issuer's reason; the learner drops a receipt."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container
from cairn.errors import InputError
from cairn.services.wallet.receiving import CredentialReceiver
from cairn.store.database import Database
from cairn.store.tables import AuditEntry, PendingReceiptRow
from tests.app_outbound import AppOutbound
from tests.factories import FixedClock
from tests.helpers import rows
from tests.vcapi_parts import auth, vc_api_app

ENROLMENT = {"definition": "um-sql-databases", "recipient": {"email": "ada@example.org"}, "external_id": "lms-77"}
CONFIGURATION = "OpenBadgeCredential_jwt_vc_json"


@pytest.fixture
def parts(database: Database, clock: FixedClock, examples: Path) -> Iterator[tuple[TestClient, Container]]:
    with vc_api_app(database, clock, examples) as made:
        yield made


def accepted(client: TestClient, container: Container) -> tuple[CredentialReceiver, AppOutbound, int, Any]:
    """An offer at enrolment, accepted by Ada's wallet: (the receiver, its outbound spy, the account, the offer)."""
    offer = client.post("/api/v1/offers", json=ENROLMENT, headers=auth())
    assert offer.status_code == 201, offer.text
    made = offer.json()
    ada = container.accounts.create_account(email="ada@example.org").id
    spy = AppOutbound(client)
    receiver = CredentialReceiver(wallet=container.wallet, outbound=spy)
    received = receiver.receive(ada, made["link"], made["tx_code"], [CONFIGURATION])
    assert received.items == []
    assert [p.configuration_name for p in received.pending]
    return receiver, spy, ada, made


def no_secrets(container: Container, spy: AppOutbound, made: dict[str, Any]) -> None:
    tokens = {h["Authorization"].removeprefix("Bearer ") for *_, h in spy.calls if "Authorization" in h}
    transactions = {json.loads(b).get("transaction_id") for _, u, b, _ in spy.calls if u.endswith("/deferred")}
    secrets = {made["tx_code"], *tokens, *(t for t in transactions if t)}
    assert tokens
    audit = json.dumps([a.details for a in rows(container.database, AuditEntry)])
    stored = [
        (r.token_sealed, r.transaction_sealed, json.dumps(r.ended)) for r in rows(container.database, PendingReceiptRow)
    ]
    for secret in secrets:
        assert secret not in audit
        for token_sealed, transaction_sealed, ended in stored:
            assert secret.encode() not in token_sealed + transaction_sealed
            assert secret not in ended


def test_a_deferred_offer_waits_then_the_credential_arrives_bound_and_valid(
    parts: tuple[TestClient, Container], clock: FixedClock
) -> None:
    client, container = parts
    receiver, spy, ada, made = accepted(client, container)
    [pending] = receiver.pending.list(ada)
    assert pending.issuer_host == "cairn.example"
    assert pending.next_check_at == clock() + timedelta(seconds=3600)
    with pytest.raises(InputError, match="asked to wait"):
        receiver.pending.check(ada, pending.id)  # the issuer's interval holds
    clock.advance(hours=2)
    waiting = receiver.pending.check(ada, pending.id)
    assert waiting.state == "pending"
    award = {**ENROLMENT, "recipient": {"email": "Ada@Example.org"}}
    assert client.post("/api/v1/awards", json=award, headers=auth()).status_code == 201
    clock.advance(hours=2)
    outcome = receiver.pending.check(ada, pending.id)
    assert outcome.state == "received"
    [item] = outcome.items
    assert item.status == "valid", item.report
    assert item.document["credentialSubject"]["id"] == container.wallet.wallet_for(ada)
    assert not item.about_someone_else
    assert receiver.pending.list(ada) == []
    events = [json.loads(b)["event"] for _, u, b, _ in spy.calls if u.endswith("/notification")]
    assert events == ["credential_accepted"]
    [entry] = [
        a for a in rows(container.database, AuditEntry) if a.action == "wallet.receive" and a.details.get("credentials")
    ]
    assert entry.details["deferred"] is True
    no_secrets(container, spy, made)


def test_a_withdrawn_offer_ends_the_receipt_with_the_issuers_reason_and_it_can_be_dropped(
    parts: tuple[TestClient, Container], clock: FixedClock
) -> None:
    client, container = parts
    receiver, spy, ada, made = accepted(client, container)
    [pending] = receiver.pending.list(ada)
    assert client.delete(f"/api/v1/offers/{made['offer_id']}", headers=auth()).status_code == 204
    clock.advance(hours=2)
    outcome = receiver.pending.check(ada, pending.id)
    assert outcome.state == "ended"
    assert outcome.receipt is not None
    assert outcome.receipt.ended == {
        "msgid": "The issuer will not issue it: %(why)s",
        "args": {"why": "this offer was withdrawn or has ended"},
    }
    with pytest.raises(InputError, match="no longer waits"):
        receiver.pending.check(ada, pending.id)
    no_secrets(container, spy, made)
    bob = container.accounts.create_account(email="bob@example.org").id
    with pytest.raises(Exception, match="no such pending"):
        receiver.pending.drop(bob, pending.id)  # only the learner's own
    receiver.pending.drop(ada, pending.id)
    assert receiver.pending.list(ada) == []
