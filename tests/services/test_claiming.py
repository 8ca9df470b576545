"""Claiming after the award, on SQLite and PostgreSQL: claim links sent again or made afresh (the old token stops
working, rate limit, only the issuer's organisation, only the award's own address), bulk re-sends, the claim
figures, link expiry, and the learner told when the issuer revokes, suspends or reinstates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from cairn.bootstrap import Container
from cairn.errors import ConflictError, InputError, NotFoundError, TooManyAttemptsError
from cairn.model.awards import Recipient
from cairn.services.issuing.claim_emails import claim_email, credential_language, status_email
from cairn.services.issuing.claims import CLAIM_LINK_LIFETIME, RESEND_INTERVAL
from cairn.store.tables import AuditEntry, AwardRow, OutboxRow, WalletRow
from tests.factories import DEFINITION, ORG, PUBLIC_URL, FixedClock

ADA = "ada@example.org"


def _award(container: Container, email: str = ADA, definition: str = DEFINITION) -> tuple[str, str]:
    result = container.issuing.award(
        definition, Recipient(email=email, name="Ada"), actor="registrar", organisation=ORG
    )
    assert result.claim_token
    return result.award_id, result.claim_token


def _outbox(container: Container) -> list[OutboxRow]:
    with container.database.transaction() as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def _token_of(body: str) -> str:
    return body.split(f"{PUBLIC_URL}/claim/", 1)[1].split()[0]


def _row(container: Container, award_id: str) -> AwardRow:
    with container.database.transaction() as session:
        row = session.get(AwardRow, award_id)
        assert row is not None
        session.expunge(row)
        return row


def test_a_resend_makes_a_fresh_link_and_the_old_one_stops_working(container: Container, clock: FixedClock) -> None:
    award_id, old = _award(container)
    made = _row(container, award_id)
    assert (made.claim_sent_at, made.claim_sends) == (clock.now.replace(microsecond=0), 1)
    claims = container.claims
    with pytest.raises(TooManyAttemptsError):  # the award's own email went out just now
        claims.resend(award_id, organisation=ORG, email=ADA, actor="registrar")
    clock.advance(minutes=11)
    with pytest.raises(InputError, match="not the email address"):
        claims.resend(award_id, organisation=ORG, email="mallory@example.org", actor="registrar")
    with pytest.raises(NotFoundError):  # another organisation cannot touch it
        claims.resend(award_id, organisation="another-org", email=ADA, actor="registrar")
    claims.resend(award_id, organisation=ORG, email=" Ada@Example.org ", actor="registrar")
    assert container.issuing.by_claim_token(old) is None
    email = _outbox(container)[-1]
    assert email.to_address == ADA
    assert "earlier claim link" in email.body_text
    fresh = _token_of(email.body_text)
    view = container.issuing.by_claim_token(fresh)
    assert view is not None
    assert view.award_id == award_id
    row = _row(container, award_id)
    assert row.claim_sends == 2
    assert row.claim_sent_at == clock.now.replace(microsecond=0)
    with pytest.raises(TooManyAttemptsError) as limited:
        claims.resend(award_id, organisation=ORG, email=ADA, actor="registrar")
    assert 0 < limited.value.retry_after <= RESEND_INTERVAL.total_seconds()
    with container.database.transaction() as session:
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.subject == award_id)))
    assert actions == ["award.create", "award.claim-resend"]


def test_a_regenerated_link_is_shown_once_and_refused_for_claimed_or_revoked_awards(
    container: Container, clock: FixedClock
) -> None:
    award_id, old = _award(container)
    clock.advance(minutes=11)
    emails = len(_outbox(container))
    url = container.claims.regenerate(award_id, organisation=ORG, actor="registrar")
    assert url.startswith(f"{PUBLIC_URL}/claim/")
    assert len(_outbox(container)) == emails  # shown, not emailed
    assert container.issuing.by_claim_token(old) is None
    assert container.issuing.by_claim_token(url.rsplit("/", 1)[1]) is not None
    with pytest.raises(NotFoundError):
        container.claims.regenerate(award_id, organisation="another-org", actor="registrar")

    clock.advance(minutes=11)
    with container.database.transaction() as session:
        session.execute(update(AwardRow).where(AwardRow.id == award_id).values(claimed_at=clock.now))
    with pytest.raises(ConflictError, match="already claimed"):
        container.claims.regenerate(award_id, organisation=ORG, actor="registrar")
    revoked, _ = _award(container, "bob@example.org")
    container.status_lists.revoke(revoked, reason="in error", actor="registrar")
    clock.advance(minutes=11)
    with pytest.raises(ConflictError, match="revoked"):
        container.claims.resend(revoked, organisation=ORG, email="bob@example.org", actor="registrar")


def test_a_claim_link_expires_a_year_after_it_was_last_sent(container: Container, clock: FixedClock) -> None:
    _, token = _award(container)
    clock.advance(days=CLAIM_LINK_LIFETIME.days - 1)
    assert container.issuing.by_claim_token(token) is not None
    clock.advance(days=2)
    assert container.issuing.by_claim_token(token) is None


def test_a_bulk_job_is_sent_again_to_its_unclaimed_learners_only(container: Container, clock: FixedClock) -> None:
    data = b"email,name\nann@example.org,Ann\nbob@example.org,Bob\ncyd@example.org,Cyd\n"
    report = container.bulk.run(data, definition=DEFINITION, actor="registrar", organisation=ORG, workers=0)
    assert report.created == 3
    with container.database.transaction() as session:
        rows = {r.row_number: r.id for r in session.scalars(select(AwardRow))}
        session.execute(update(AwardRow).where(AwardRow.id == rows[2]).values(claimed_at=clock.now))  # Ann claimed
    container.status_lists.revoke(rows[4], reason="in error", actor="registrar")  # Cyd's is revoked
    clock.advance(minutes=11)
    before = len(_outbox(container))
    resent = container.claims.resend_job(data, filename="x.csv", organisation=ORG, actor="registrar", max_bytes=10**6)
    assert (resent.sent, resent.recent, resent.unmatched) == (1, 0, 0)
    [email] = _outbox(container)[before:]
    assert email.to_address == "bob@example.org"
    assert container.issuing.by_claim_token(_token_of(email.body_text)).award_id == rows[3]  # type: ignore[union-attr]
    again = container.claims.resend_job(data, filename="x.csv", organisation=ORG, actor="registrar", max_bytes=10**6)
    assert (again.sent, again.recent) == (0, 1)  # rate-limited, per award
    with pytest.raises(NotFoundError):
        container.claims.resend_job(
            b"email\nzed@example.org\n", filename="y.csv", organisation=ORG, actor="registrar", max_bytes=10**6
        )
    with pytest.raises(NotFoundError):  # another organisation's job is not found from this file
        container.claims.resend_job(data, filename="x.csv", organisation="another-org", actor="r", max_bytes=10**6)


def test_claim_figures_overall_per_definition_and_filtered(container: Container, clock: FixedClock) -> None:
    start = clock.now.replace(microsecond=0)
    ids = [_award(container, f"learner{i}@example.org")[0] for i in range(3)]  # python: 3 awards
    other = _award(container, "learner9@example.org", "um-sql-databases")[0]  # sql: 1 award, never claimed
    with container.database.transaction() as session:
        for award_id, hours in ((ids[0], 1), (ids[1], 3)):
            session.execute(
                update(AwardRow).where(AwardRow.id == award_id).values(claimed_at=start + timedelta(hours=hours))
            )
    figures = container.award_queries.claim_statistics(ORG)
    assert (figures.overall.issued, figures.overall.claimed) == (4, 2)
    assert figures.overall.rate == 0.5
    assert figures.overall.median_time_to_claim == timedelta(hours=2)  # median of 1 h and 3 h
    python, sql = figures.by_definition[DEFINITION], figures.by_definition["um-sql-databases"]
    assert (python.issued, python.claimed, python.unclaimed) == (3, 2, 1)
    assert python.rate == pytest.approx(2 / 3)
    assert (sql.issued, sql.claimed, sql.rate, sql.median_time_to_claim) == (1, 0, 0.0, None)
    container.status_lists.revoke(other, reason="in error", actor="registrar")
    valid_only = container.award_queries.claim_statistics(ORG, status="valid")
    assert (valid_only.overall.issued, valid_only.overall.claimed) == (3, 2)
    assert list(valid_only.by_definition) == [DEFINITION]
    assert container.award_queries.claim_statistics(ORG, definition="um-sql-databases").to_dict()["overall"] == {
        "issued": 1,
        "claimed": 0,
        "claimRate": 0.0,
        "medianSecondsToClaim": None,
    }
    with pytest.raises(InputError):
        container.award_queries.claim_statistics(ORG, status="shiny")


def test_the_learner_is_told_when_the_issuer_revokes_suspends_or_reinstates(
    container: Container, clock: FixedClock
) -> None:
    wallet = container.wallet
    ada = container.accounts.create_account(email=ADA).id
    unclaimed, _ = _award(container, "bob@example.org")
    award_id, token = _award(container)
    item = wallet.add_from_claim(ada, ADA, token)
    assert item.notice is None
    before = len(_outbox(container))
    container.status_lists.revoke(unclaimed, reason="in error", actor="registrar")
    assert len(_outbox(container)) == before  # nobody claimed it: Cairn has no address to write to

    container.status_lists.suspend(award_id, reason="under review", actor="registrar")
    email = _outbox(container)[-1]
    assert email.to_address == ADA
    assert "suspended" in email.subject
    assert "under review" in email.body_text
    clock.advance(minutes=1)
    [listed] = wallet.list(ada)
    assert listed.status == "valid"  # a listing verifies nothing: the queue's job does
    container.jobs.run_pending()  # deferred when the suspension committed
    [listed] = wallet.list(ada)
    assert (listed.status, listed.notice) == ("suspended", "suspended")  # the wallet verified it again
    assert wallet.dismiss_notice(ada, item.id).notice is None
    assert wallet.list(ada)[0].notice is None

    container.status_lists.unsuspend(award_id, reason="cleared", actor="registrar")
    clock.advance(minutes=1)
    assert wallet.get(ada, item.id).notice == "reinstated"
    assert "valid again" in _outbox(container)[-1].subject
    container.status_lists.revoke(award_id, reason="plagiarism", actor="registrar")
    clock.advance(minutes=1)
    mailed = len(_outbox(container))
    container.jobs.run_pending()
    assert wallet.list(ada)[0].notice == "revoked"
    assert len(_outbox(container)) == mailed  # the revocation's own email told them: the job sends no second one
    with pytest.raises(NotFoundError):
        wallet.dismiss_notice(container.accounts.create_account(email="eve@example.org").id, item.id)


def test_a_claimed_award_cannot_be_claimed_into_a_second_wallet(container: Container) -> None:
    ada = container.accounts.create_account(email=ADA).id
    bob = container.accounts.create_account(email="bob@example.org").id
    assert container.wallet.list(bob) == []  # makes Bob's wallet and its DID
    with container.database.transaction() as session:
        bob_did = session.scalar(select(WalletRow.did).where(WalletRow.account_id == bob))
    result = container.issuing.award(DEFINITION, Recipient(email=ADA, did=bob_did), actor="registrar", organisation=ORG)
    assert result.claim_token
    container.wallet.add_from_claim(ada, ADA, result.claim_token)
    with pytest.raises(ConflictError, match="another wallet"):  # the DID names Bob, but Ada's wallet has it
        container.wallet.add_from_claim(bob, "bob@example.org", result.claim_token)


def test_the_learners_emails_speak_the_credentials_language() -> None:
    assert credential_language({"inLanguage": ["pl-PL", "en"]}) == "pl"
    assert credential_language({"inLanguage": "de"}) == credential_language(None) == "en"
    subject, body = status_email(
        language="pl", change="revoked", title="SQL", issuer="UM", reason="plagiat", wallet_url="https://x/wallet"
    )
    assert subject == "Twoje mikropoświadczenie zostało unieważnione: SQL"
    assert "UM unieważnia" in body
    assert "plagiat" in body
    subject, body = claim_email(
        language="en", title="SQL", issuer="UM", name=None, link="https://x/claim/t", again=True
    )
    assert subject == "Your micro-credential: SQL"
    assert body.startswith("Hello,\n")
    assert "https://x/claim/t" in body
    assert "no longer works" in body
