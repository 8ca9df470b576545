"""The queue's wallet.refresh job, on SQLite and PostgreSQL: another issuer's revocation, fetched from its status list,
is found by the job and the learner emailed once; a revocation here defers the job, which makes the copy fresh without
a second email; the per-run cap holds; a credential whose check raises does not stop the others."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from cairn.bootstrap import Container
from cairn.model.awards import Recipient
from cairn.services.wallet.refresh import REFRESH_TASK, WalletRefresher
from cairn.store.tables import AccountRow, OutboxRow, WalletCredentialRow
from cairn.vc.report import Report
from cairn.web.app import create_app
from tests.factories import DEFINITION, ORG, PUBLIC_URL, ClientFetcher, FixedClock
from tests.helpers import rewired, text_of

ADA, BOB = "ada@example.org", "bob@example.org"


def _credential(container: Container, email: str = ADA) -> tuple[str, dict[str, Any]]:
    result = container.issuing.award(
        DEFINITION, Recipient(email=email, name="Ada"), actor="registrar", organisation=ORG
    )
    assert isinstance(result.credential, dict)
    return result.award_id, result.credential


def _outbox(container: Container) -> list[OutboxRow]:
    with container.database.transaction() as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def _copy(container: Container, credential_id: str) -> WalletCredentialRow:
    with container.database.transaction() as session:
        row = session.get(WalletCredentialRow, credential_id)
        assert row is not None
        session.expunge(row)
        return row


def _run_job(container: Container) -> None:
    container.jobs.defer(REFRESH_TASK, idempotency_key=REFRESH_TASK)
    container.jobs.run_pending()


def test_another_issuers_revocation_is_found_by_the_job_and_the_learner_emailed_once(
    container: Container, clock: FixedClock
) -> None:
    # The issuer is another Cairn, reached over "the web" (its app, in process): the wallet's verification fetches
    # its did.json and status list through the fetcher as it would from any issuer.
    fetcher = ClientFetcher(TestClient(create_app(container)))
    holder = rewired(container, fetcher=fetcher)
    award_id, credential = _credential(container)
    ada = holder.accounts.create_account(email=ADA).id
    bob = holder.accounts.create_account(email=BOB).id
    with holder.database.transaction() as session:  # Bob has not confirmed his address
        session.execute(update(AccountRow).where(AccountRow.id == bob).values(email_verified_at=None))
    item = holder.wallet.import_credential(ada, text_of(credential), source="paste")
    bobs = holder.wallet.import_credential(bob, text_of(credential), source="paste")
    assert (item.status, item.award_id) == ("valid", None)  # not claimed here: the issuer's email never reaches it
    before = len(_outbox(container))

    container.status_lists.revoke(award_id, reason="plagiarism", actor="registrar")
    assert len(_outbox(container)) == before  # nobody claimed it: the issuer has no address to write to
    clock.advance(minutes=61)  # older than the re-check age
    assert holder.wallet.list(ada)[0].status == "valid"  # a listing verifies nothing
    fetcher.calls.clear()
    _run_job(holder)

    assert any("/status/revocation/" in url for url in fetcher.calls)  # the status list, fetched again
    [listed] = holder.wallet.list(ada)
    assert (listed.status, listed.notice) == ("revoked", "revoked")
    assert _copy(holder, bobs.id).status == "revoked"
    [email] = _outbox(container)[before:]  # Ada's only: Bob's address is not confirmed
    assert email.to_address == ADA
    assert "revoked" in email.subject
    assert credential["credentialSubject"]["achievement"]["name"] in email.subject
    assert f"{PUBLIC_URL}/wallet" in email.body_text
    assert "/claim/" not in email.body_text
    assert "token" not in email.body_text.lower()
    assert "Reason given" not in email.body_text  # another issuer's status list gives none

    clock.advance(minutes=61)
    _run_job(holder)  # verified again, still revoked: the learner was told already
    assert _copy(holder, item.id).checked_at.replace(microsecond=0) == clock.now.replace(microsecond=0)
    assert len(_outbox(container)) == before + 1
    assert holder.wallet.dismiss_notice(ada, item.id).notice is None


def test_a_revocation_here_defers_the_job_which_makes_the_copy_fresh(container: Container) -> None:
    ada = container.accounts.create_account(email=ADA).id
    result = container.issuing.award(DEFINITION, Recipient(email=ADA), actor="registrar", organisation=ORG)
    assert result.claim_token
    item = container.wallet.add_from_claim(ada, ADA, result.claim_token)
    other, _ = _credential(container, BOB)
    container.status_lists.revoke(result.award_id, reason="plagiarism", actor="registrar")
    container.status_lists.revoke(other, reason="in error", actor="registrar")  # no copies: nothing deferred
    assert container.jobs.defer(REFRESH_TASK, idempotency_key=REFRESH_TASK) is None  # the commit queued one already
    mailed = len(_outbox(container))  # the revocation's own email
    container.jobs.run_pending()
    copy = _copy(container, item.id)
    assert copy.status == "revoked"
    assert copy.checked_at.replace(microsecond=0) == container.clock().replace(microsecond=0)
    assert len(_outbox(container)) == mailed  # no second email about it
    assert container.wallet.list(ada)[0].notice == "revoked"


def test_a_run_stops_at_its_cap_longest_unchecked_first(container: Container, clock: FixedClock) -> None:
    ada = container.accounts.create_account(email=ADA).id
    ids = []
    for n in range(5):
        credential = _credential(container, f"l{n}@example.org")[1]
        ids.append(container.wallet.import_credential(ada, text_of(credential), source="paste").id)
        clock.advance(minutes=1)
    clock.advance(hours=2)
    assert WalletRefresher(container.wallet, public_url=PUBLIC_URL, seconds=0).run().checked == 0  # out of time
    refresher = WalletRefresher(container.wallet, public_url=PUBLIC_URL, batch=2)
    done = refresher.run(cap=3)
    assert (done.checked, done.failed) == (3, 0)
    fresh = [
        i for i in ids if _copy(container, i).checked_at.replace(microsecond=0) == clock.now.replace(microsecond=0)
    ]
    assert fresh == ids[:3]  # the oldest checks first
    assert refresher.run().checked == 2
    assert refresher.run().checked == 0  # nothing due any more


def test_a_check_that_raises_does_not_stop_the_others(
    container: Container, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = container.accounts.create_account(email=ADA).id
    broken_text = text_of(_credential(container)[1])
    broken = container.wallet.import_credential(ada, broken_text, source="paste")
    others = [
        container.wallet.import_credential(ada, text_of(_credential(container, f"l{n}@example.org")[1]), source="paste")
        for n in range(2)
    ]
    clock.advance(hours=2)
    verify = container.wallet.verification.verify

    def failing(data: Any, *args: Any, **kwargs: Any) -> Report:
        if data == broken_text:
            raise RuntimeError("the issuer's server hung up")
        return verify(data, *args, **kwargs)

    monkeypatch.setattr(container.wallet.verification, "verify", failing)
    done = container.wallet_refresh.run()
    assert (done.checked, done.failed) == (2, 1)
    now = clock.now.replace(microsecond=0)
    assert all(_copy(container, o.id).checked_at.replace(microsecond=0) == now for o in others)
    assert _copy(container, broken.id).checked_at.replace(microsecond=0) < now  # left due, for the next run
    monkeypatch.setattr(container.wallet.verification, "verify", verify)
    assert container.wallet_refresh.run().checked == 1
