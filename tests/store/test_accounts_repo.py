"""Repositories for people and access on SQLite and PostgreSQL: one-time consumption, throttled touches,
joins, and the mailer's queue."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cairn.store.accounts.repository import (
    AccountRepository,
    ApiTokenRepository,
    MembershipRepository,
    OutboxQueue,
    SignInLinkRepository,
    WebSessionRepository,
)
from cairn.store.database import Database
from cairn.store.mail import OutboxRepository
from cairn.store.tables import ApiTokenRow, OrganisationRow, SignInLinkRow
from tests.factories import FixedClock


def _org(database: Database, clock: FixedClock, slug: str) -> int:
    with database.transaction() as s:
        row = OrganisationRow(
            slug=slug, country="PL", type="school", document={"id": slug}, created_at=clock(), updated_at=clock()
        )
        s.add(row)
        s.flush()
        return row.id


def test_accounts_and_memberships(database: Database, clock: FixedClock) -> None:
    uni, other = _org(database, clock, "uni"), _org(database, clock, "other")
    with database.transaction() as s:
        accounts, members = AccountRepository(s), MembershipRepository(s)
        ada = accounts.add(email="ada@example.org", password_hash=None, display_name="Ada", is_admin=False, now=clock())
        bob = accounts.add(email="bob@example.org", password_hash=None, display_name=None, is_admin=False, now=clock())
        members.add(account_id=bob.id, organisation_id=uni, role="owner", now=clock())
        members.add(account_id=ada.id, organisation_id=uni, role="viewer", now=clock())
        members.add(account_id=ada.id, organisation_id=other, role="issuer", now=clock())
    with database.transaction() as s:
        accounts, members = AccountRepository(s), MembershipRepository(s)
        found = accounts.by_email("ada@example.org")
        assert found is not None
        assert accounts.get(found.id) is not None
        assert accounts.by_email("x@example.org") is None
        assert [a.email for a in accounts.list()] == ["ada@example.org", "bob@example.org"]
        assert [(m.role, a.email) for m, a in members.members(uni)] == [
            ("viewer", "ada@example.org"),
            ("owner", "bob@example.org"),
        ]
        assert [o.slug for _, o in members.organisations(found.id)] == ["other", "uni"]
        assert (members.count(uni), members.count(uni, role="owner"), members.count(other, role="owner")) == (2, 1, 0)
        membership = members.get(account_id=found.id, organisation_id=uni)
        assert membership is not None
        members.remove(membership)
        assert members.get(account_id=found.id, organisation_id=uni) is None


def test_a_link_is_consumed_once(database: Database, clock: FixedClock) -> None:
    with database.transaction() as s:
        link = SignInLinkRepository(s).add(
            token_hash="a" * 64, email="ada@example.org", purpose="sign-in", now=clock(), expires_at=clock()
        )
        link_id = link.id
    with database.transaction() as s:
        links = SignInLinkRepository(s)
        assert links.by_hash("a" * 64, purpose="claim") is None
        assert links.by_hash("a" * 64, purpose="sign-in") is not None
        assert links.consume(link_id, now=clock()) is True
    with database.transaction() as s:
        assert SignInLinkRepository(s).consume(link_id, now=clock()) is False
        stored = s.scalar(select(SignInLinkRow))
        assert stored is not None
        assert stored.used_at == clock()


def test_token_lookup_is_by_hash_and_scoped_to_its_organisation(database: Database, clock: FixedClock) -> None:
    uni, other = _org(database, clock, "uni"), _org(database, clock, "other")
    with database.transaction() as s:
        row = ApiTokenRepository(s).add(
            organisation_id=uni,
            created_by=None,
            name="SIS",
            token_hash="b" * 64,
            prefix="cairn_abcdef",
            scopes=["credentials:issue"],
            expires_at=None,
            now=clock(),
        )
        token_id = row.id
    with database.transaction() as s:
        tokens = ApiTokenRepository(s)
        found = tokens.by_hash("b" * 64)
        assert found is not None
        assert found[1].slug == "uni"
        assert found[0].scopes == {"scopes": ["credentials:issue"]}
        assert tokens.by_hash("c" * 64) is None
        assert tokens.get(organisation_id=other, token_id=token_id) is None
        assert [t.id for t in tokens.of_organisation(uni)] == [token_id]
        assert tokens.of_organisation(other) == []


def test_a_token_touch_is_skipped_while_fresh(database: Database, clock: FixedClock) -> None:
    uni = _org(database, clock, "uni")
    with database.transaction() as s:
        token_id = (
            ApiTokenRepository(s)
            .add(
                organisation_id=uni,
                created_by=None,
                name="x",
                token_hash="d" * 64,
                prefix="cairn_x",
                scopes=[],
                expires_at=None,
                now=clock(),
            )
            .id
        )
    window = timedelta(minutes=5)
    with database.transaction() as s:
        assert ApiTokenRepository(s).touch(token_id, now=clock(), stale_before=clock() - window) is True
    clock.advance(minutes=1)
    with database.transaction() as s:
        assert ApiTokenRepository(s).touch(token_id, now=clock(), stale_before=clock() - window) is False
    clock.advance(minutes=5)
    with database.transaction() as s:
        assert ApiTokenRepository(s).touch(token_id, now=clock(), stale_before=clock() - window) is True
        assert s.scalar(select(ApiTokenRow.last_used_at)) == clock()


def test_sessions_are_found_by_hash_and_revoked(database: Database, clock: FixedClock) -> None:
    with database.transaction() as s:
        ada = AccountRepository(s).add(
            email="ada@example.org", password_hash=None, display_name=None, is_admin=False, now=clock()
        )
        sessions = WebSessionRepository(s)
        for h in ("e" * 64, "f" * 64):
            sessions.add(token_hash=h, account_id=ada.id, csrf_token="t", now=clock(), expires_at=clock())
        ada_id = ada.id
    with database.transaction() as s:
        sessions = WebSessionRepository(s)
        found = sessions.by_hash("e" * 64)
        assert found is not None
        assert found[1].email == "ada@example.org"
        assert sessions.revoke("e" * 64, now=clock()) == ada_id
        assert sessions.revoke("e" * 64, now=clock()) is None
        assert sessions.revoke_all(ada_id, now=clock()) == 1
        assert sessions.by_hash("0" * 64) is None


def test_the_outbox_queue_claims_unsent_mail_in_order(database: Database, clock: FixedClock) -> None:
    with database.transaction() as s:
        outbox = OutboxRepository(s)
        first = outbox.enqueue(to="a@example.org", subject="1", body="one", now=clock())
        second = outbox.enqueue(to="b@example.org", subject="2", body="two", now=clock())
        third = outbox.enqueue(to="c@example.org", subject="3", body="three", now=clock())
        s.flush()
        first.sent_at = clock()
        second.attempts = 5
    with database.transaction() as s:
        queue = OutboxQueue(s)
        claimed = queue.claim_next(max_attempts=5)
        assert claimed is not None
        assert claimed.id == third.id
        assert queue.claim_next(max_attempts=5, after_id=third.id) is None
        again = queue.claim_next(max_attempts=6)
        assert again is not None
        assert again.id == second.id
        assert [r.subject for r in queue.list(limit=10, include_sent=False)] == ["3", "2"]
        assert [r.subject for r in queue.list(limit=2, include_sent=True)] == ["3", "2"]
        assert len(queue.list(limit=10, include_sent=True)) == 3
