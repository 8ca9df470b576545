"""Accounts, sign-in, sessions, members and API tokens on SQLite and PostgreSQL, with a fixed clock."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Literal

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from cairn.errors import AuthenticationError, ConflictError, InputError
from cairn.services.accounts.purge import purge
from cairn.services.accounts.service import (
    AccountService,
    PendingPasswordError,
    RecentSignInRequiredError,
    SharedLimiter,
    TooManyAttemptsError,
    UnconfirmedEmailError,
    normalise_email,
    sha256_hex,
)
from cairn.store.audit import AuditRepository
from cairn.store.database import Database
from cairn.store.tables import (
    AccountRow,
    OutboxRow,
    RateLimitHitRow,
    SignInLinkRow,
    WebSessionRow,
)
from tests.factories import FixedClock, add_organisation, fast_hasher
from tests.helpers import audit, rows

PASSWORD = "correct horse battery"


class SpyHasher(PasswordHasher):
    """A cheap argon2 hasher that counts verifications (to see the unknown-email path does the work)."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified += 1
        return super().verify(hash, password)


@pytest.fixture
def hasher() -> SpyHasher:
    return SpyHasher()


@pytest.fixture
def service(database: Database, clock: FixedClock, hasher: SpyHasher) -> AccountService:
    add_organisation(database, clock, "uni", "Uniwersytet")
    add_organisation(database, clock, "other", "Other School")
    return AccountService(database, clock=clock, public_url="https://cairn.example/", password_hasher=hasher)


def link_token(database: Database) -> str:
    body = rows(database, OutboxRow)[-1].body_text
    found = re.search(r"https://cairn\.example/sign-in/link\?token=([A-Za-z0-9_-]+)", body)
    assert found, body
    return found.group(1)


# -- accounts and passwords -----------------------------------------------------------------------


def test_emails_are_normalised_and_checked() -> None:
    assert normalise_email("  Ada@Example.ORG ") == "ada@example.org"
    for bad in ("", "ada", "ada@", "@example.org", "a b@example.org", "ada@example", "<a@b.org>"):
        with pytest.raises(InputError):
            normalise_email(bad)


def test_an_account_keeps_only_an_argon2id_hash(service: AccountService, database: Database) -> None:
    account = service.create_account(email="Ada@Example.org", password=PASSWORD, display_name="Ada")
    assert account.email == "ada@example.org"
    assert account.has_password
    assert not account.disabled
    (row,) = rows(database, AccountRow)
    assert row.password_hash is not None
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash
    with pytest.raises(ConflictError):
        service.create_account(email="ADA@example.org")
    with pytest.raises(InputError, match="10 to 1024"):
        service.create_account(email="bob@example.org", password="short")
    assert [e.action for e in audit(database)] == ["account.create"]


def test_the_default_hasher_suits_a_two_core_server() -> None:
    from cairn.services.accounts.service import default_password_hasher

    hasher = default_password_hasher()
    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (2, 47_104, 1)


def test_sign_in_with_a_password_starts_a_session_of_which_only_the_hash_is_stored(
    service: AccountService, database: Database, clock: FixedClock
) -> None:
    service.create_account(email="ada@example.org", password=PASSWORD)
    new = service.sign_in(email=" ADA@example.org", password=PASSWORD, client="10.0.0.1")
    assert new.account.email == "ada@example.org"
    assert new.expires_at == clock() + timedelta(hours=12)
    (stored,) = rows(database, WebSessionRow)
    assert stored.token_hash == sha256_hex(new.token)
    assert new.token not in stored.token_hash
    signed_in = service.session(new.token)
    assert signed_in is not None
    assert signed_in.account.id == new.account.id
    assert signed_in.csrf_token == new.csrf_token
    (entry,) = audit(database, "sign-in.success")
    assert entry.details == {"email": "ada@example.org", "method": "password", "client": "10.0.0.1"}


def test_a_wrong_password_fails_and_is_audited_without_the_password(
    service: AccountService, database: Database
) -> None:
    service.create_account(email="ada@example.org", password=PASSWORD)
    with pytest.raises(AuthenticationError, match="wrong email or password"):
        service.sign_in(email="ada@example.org", password="not the password", client="10.0.0.1")
    (entry,) = audit(database, "sign-in.failure")
    assert entry.details["reason"] == "wrong password"
    everything = json.dumps([[e.actor, e.subject, e.details] for e in audit(database)])
    assert "not the password" not in everything
    assert PASSWORD not in everything
    assert rows(database, WebSessionRow) == []


def test_an_unknown_email_fails_the_same_way_after_the_same_work(
    service: AccountService, database: Database, hasher: SpyHasher
) -> None:
    service.create_account(email="nopass@example.org")
    for email in ("nobody@example.org", "nopass@example.org", "not an email"):
        before = hasher.verified
        with pytest.raises(AuthenticationError, match=r"^wrong email or password$"):
            service.sign_in(email=email, password=PASSWORD, client="10.0.0.1")
        assert hasher.verified == before + 1, email
    reasons = [e.details["reason"] for e in audit(database, "sign-in.failure")]
    assert reasons == ["unknown account", "wrong password", "unknown account"]


def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(service: AccountService, database: Database) -> None:
    service.create_account(email="ada@example.org", password=PASSWORD)
    new = service.sign_in(email="ada@example.org", password=PASSWORD, client="c")
    service.set_disabled(email="ada@example.org", disabled=True)
    assert service.session(new.token) is None
    with pytest.raises(AuthenticationError, match="disabled"):
        service.sign_in(email="ada@example.org", password=PASSWORD, client="c")
    service.request_sign_in_link(email="ada@example.org", client="c")
    assert rows(database, OutboxRow) == []
    service.set_disabled(email="ada@example.org", disabled=False)
    assert service.sign_in(email="ada@example.org", password=PASSWORD, client="c").account.email == "ada@example.org"
    actions = [e.action for e in audit(database)]
    assert "account.disable" in actions
    assert "account.enable" in actions


def test_a_hash_with_old_parameters_is_replaced_at_sign_in(database: Database, clock: FixedClock) -> None:
    old = AccountService(database, clock=clock, password_hasher=fast_hasher())
    old.create_account(email="ada@example.org", password=PASSWORD)
    (before,) = rows(database, AccountRow)
    new = AccountService(
        database, clock=clock, password_hasher=PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    )
    new.sign_in(email="ada@example.org", password=PASSWORD, client="c")
    (after,) = rows(database, AccountRow)
    assert after.password_hash != before.password_hash
    assert "m=16,t=2,p=1" in after.password_hash
    new.sign_in(email="ada@example.org", password=PASSWORD, client="c")
    assert rows(database, AccountRow)[0].password_hash == after.password_hash


def test_setting_a_password_ends_the_other_sessions(service: AccountService) -> None:
    service.create_account(email="ada@example.org", password=PASSWORD)
    new = service.sign_in(email="ada@example.org", password=PASSWORD, client="c")
    service.set_password(email="ada@example.org", password="another good password")
    assert service.session(new.token) is None
    with pytest.raises(AuthenticationError):
        service.sign_in(email="ada@example.org", password=PASSWORD, client="c")
    service.sign_in(email="ada@example.org", password="another good password", client="c")


# -- sign-in links --------------------------------------------------------------------------------


def test_a_sign_in_link_is_emailed_through_the_outbox_and_only_its_hash_is_stored(
    service: AccountService, database: Database
) -> None:
    service.create_account(email="ada@example.org")
    service.request_sign_in_link(email="Ada@Example.org", client="c")
    (mail,) = rows(database, OutboxRow)
    assert mail.to_address == "ada@example.org"
    assert mail.sent_at is None
    token = link_token(database)
    (link,) = rows(database, SignInLinkRow)
    assert link.token_hash == sha256_hex(token)
    assert link.purpose == "sign-in"
    new = service.redeem_sign_in_link(token=token, client="c")
    assert new.account.email == "ada@example.org"
    assert rows(database, AccountRow)[0].email_verified_at is not None
    (entry,) = audit(database, "sign-in.success")
    assert entry.details["method"] == "link"
    assert token not in json.dumps(entry.details)


def test_a_sign_in_link_works_once(service: AccountService, database: Database) -> None:
    service.create_account(email="ada@example.org")
    service.request_sign_in_link(email="ada@example.org", client="c")
    token = link_token(database)
    service.redeem_sign_in_link(token=token, client="c")
    with pytest.raises(AuthenticationError, match="not valid"):
        service.redeem_sign_in_link(token=token, client="c")
    assert audit(database, "sign-in.failure")[-1].details["reason"] == "link used already"


def test_an_expired_link_is_refused(service: AccountService, database: Database, clock: FixedClock) -> None:
    service.create_account(email="ada@example.org")
    service.request_sign_in_link(email="ada@example.org", client="c")
    clock.advance(minutes=15, seconds=1)
    with pytest.raises(AuthenticationError):
        service.redeem_sign_in_link(token=link_token(database), client="c")
    assert audit(database, "sign-in.failure")[-1].details["reason"] == "link expired"


def test_an_unknown_link_or_a_disabled_account_is_refused(service: AccountService, database: Database) -> None:
    with pytest.raises(AuthenticationError):
        service.redeem_sign_in_link(token="made-up", client="c")
    service.create_account(email="ada@example.org")
    service.request_sign_in_link(email="ada@example.org", client="c")
    service.set_disabled(email="ada@example.org", disabled=True)
    with pytest.raises(AuthenticationError):
        service.redeem_sign_in_link(token=link_token(database), client="c")
    assert [e.details["reason"] for e in audit(database, "sign-in.failure")] == ["unknown link", "disabled"]


def test_asking_a_link_for_an_unknown_email_sends_nothing_and_says_nothing(
    service: AccountService, database: Database
) -> None:
    service.request_sign_in_link(email="nobody@example.org", client="c")
    assert rows(database, OutboxRow) == []
    assert rows(database, SignInLinkRow) == []
    with pytest.raises(InputError):
        service.request_sign_in_link(email="not an email", client="c")


# -- sessions -------------------------------------------------------------------------------------


def test_sessions_expire_and_sign_out_ends_them(service: AccountService, database: Database, clock: FixedClock) -> None:
    service.create_account(email="ada@example.org", password=PASSWORD)
    first = service.sign_in(email="ada@example.org", password=PASSWORD, client="c")
    second = service.sign_in(email="ada@example.org", password=PASSWORD, client="c")
    service.sign_out(token=first.token, client="c")
    assert service.session(first.token) is None
    assert service.session(second.token) is not None
    service.sign_out(token=first.token, client="c")  # twice: nothing more
    assert len(audit(database, "sign-out")) == 1
    clock.advance(hours=12)
    assert service.session(second.token) is None
    assert service.session("") is None
    assert service.session("x" * 500) is None


# -- rate limits ----------------------------------------------------------------------------------


def _limiter(database: Database, clock: FixedClock, name: str, limit: int, window: timedelta) -> SharedLimiter:
    return SharedLimiter(database, name=name, limit=limit, window=window, clock=clock)


def test_wrong_passwords_stop_their_network_on_that_account(database: Database, clock: FixedClock) -> None:
    failures = _limiter(database, clock, "failure", 3, timedelta(minutes=15))
    service = AccountService(database, clock=clock, password_hasher=fast_hasher(), limiters={"failure": failures})
    service.create_account(email="ada@example.org", password=PASSWORD)
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            service.sign_in(email="ada@example.org", password="guess guess guess", client="203.0.113.9")
    clock.advance(minutes=5)
    with pytest.raises(TooManyAttemptsError) as caught:
        service.sign_in(email="ADA@example.org", password=PASSWORD, client="203.0.113.9")
    assert caught.value.status == 429
    assert caught.value.retry_after == 600
    service.request_sign_in_link(email="ada@example.org", client="203.0.113.9")  # links are not password attempts
    service.sign_in(email="ada@example.org", password=PASSWORD, client="203.0.113.10")  # nor is another network
    clock.advance(minutes=10)
    service.sign_in(email="ada@example.org", password=PASSWORD, client="203.0.113.9")
    assert failures.retry_after("ada@example.org\n203.0.113.9") is None  # a success starts the count again


def test_sign_in_attempts_are_limited_per_client(database: Database, clock: FixedClock) -> None:
    limiter = _limiter(database, clock, "client", 5, timedelta(minutes=1))
    service = AccountService(database, clock=clock, password_hasher=fast_hasher(), limiters={"client": limiter})
    for n in range(5):
        with pytest.raises(AuthenticationError):
            service.sign_in(email=f"user{n}@example.org", password=PASSWORD, client="203.0.113.9")
    with pytest.raises(TooManyAttemptsError):
        service.sign_in(email="someone@example.org", password=PASSWORD, client="203.0.113.9")
    with pytest.raises(AuthenticationError):
        service.sign_in(email="someone@example.org", password=PASSWORD, client="198.51.100.1")
    clock.advance(seconds=61)
    with pytest.raises(AuthenticationError):
        service.sign_in(email="someone@example.org", password=PASSWORD, client="203.0.113.9")


def test_hits_that_no_longer_count_are_purged(database: Database, clock: FixedClock) -> None:
    limiter = _limiter(database, clock, "test", 1, timedelta(seconds=10))
    limiter.hit("a")
    limiter.hit("b")
    clock.advance(seconds=11)
    limiter.hit("b")  # the key's own old hit goes with its next one
    assert len(rows(database, RateLimitHitRow)) == 2
    clock.advance(minutes=5)
    limiter.hit("c")  # a hit purges nothing but its own key's: no limiter scans the whole table
    assert len(rows(database, RateLimitHitRow)) == 3
    assert purge(database, now=clock())["rate_limit_hits"] == 2  # the hourly purge takes a's and b's
    assert len(rows(database, RateLimitHitRow)) == 1


def test_every_change_lands_in_an_unbroken_audit_chain(service: AccountService, database: Database) -> None:
    service.add_member(organisation="uni", email="owner@example.org")
    service.set_password(email="owner@example.org", password=PASSWORD)
    new = service.sign_in(email="owner@example.org", password=PASSWORD, client="c")
    token = service.create_token(organisation="uni", name="SIS", scopes=["credentials:issue"], actor=new.account.actor)
    service.revoke_token(organisation="uni", token_id=token.info.id, actor=new.account.actor)
    service.sign_out(token=new.token, client="c")
    actions = [e.action for e in audit(database)]
    assert actions == [
        "account.create",
        "member.add",
        "account.password",
        "sign-in.success",
        "token.create",
        "token.revoke",
        "sign-out",
    ]
    with database.transaction() as s:
        assert AuditRepository(s).first_broken() is None


# -- sign-up: a pending password, confirmed from the mailbox ------------------------------------------


def outbox(database: Database, to: str) -> list[OutboxRow]:
    with database.transaction() as s:
        return list(s.scalars(select(OutboxRow).where(OutboxRow.to_address == to).order_by(OutboxRow.id)))


def token_in(mail: OutboxRow) -> str:
    found = re.search(r"/sign-in/link\?token=([A-Za-z0-9_-]+)", mail.body_text)
    assert found, mail.body_text
    return found.group(1)


def account_row(database: Database, email: str) -> AccountRow:
    with database.transaction() as s:
        row = s.scalar(select(AccountRow).where(AccountRow.email == email))
        assert row is not None
        return row


def test_operators_make_verified_accounts_and_people_make_pending_ones(service: AccountService) -> None:
    assert service.create_account(email="op@example.org", password=PASSWORD).email_verified
    assert not service.create_account(email="later@example.org", verified=False).email_verified
    service.set_password(email="later@example.org", password=PASSWORD)  # an operator vouches for it
    assert service.find_account("later@example.org").email_verified  # type: ignore[union-attr]
    service.sign_up(email="Ada@Example.org", password=PASSWORD, display_name=" Ada ", client="c", next_path="/wallet")
    ada = service.find_account("ada@example.org")
    assert ada is not None
    assert not ada.email_verified
    assert ada.has_password
    assert ada.display_name == "Ada"
    with pytest.raises(UnconfirmedEmailError, match="not confirmed"):
        service.sign_in(email="ada@example.org", password=PASSWORD, client="c")
    with pytest.raises(AuthenticationError) as wrong:
        service.sign_in(email="ada@example.org", password="not the password", client="c")
    assert not isinstance(wrong.value, UnconfirmedEmailError)
    assert wrong.value.message == "wrong email or password"
    service.mark_verified(email="ada@example.org")
    assert service.sign_in(email="ada@example.org", password=PASSWORD, client="c").account.email_verified


def test_a_confirmation_link_confirms_the_pending_password(service: AccountService, database: Database) -> None:
    service.sign_up(email="ada@example.org", password=PASSWORD, client="c", next_path="/claim/x/wallet?done=welcome")
    (mail,) = outbox(database, "ada@example.org")
    assert mail.subject == "Finish creating your Cairn account"
    assert "&next=/claim/x/wallet%3Fdone%3Dwelcome" in mail.body_text
    (link,) = rows(database, SignInLinkRow)
    assert link.purpose == "sign-up"
    assert link.expires_at - link.created_at == timedelta(hours=24)
    with pytest.raises(PendingPasswordError):  # the password chosen is asked for, and the link stays unused
        service.redeem_sign_in_link(token=token_in(mail), client="c", password="not the password")
    assert service.confirms_sign_up(token_in(mail))
    new = service.redeem_sign_in_link(token=token_in(mail), client="c", password=PASSWORD)
    assert not service.confirms_sign_up(token_in(mail))
    assert new.account.email_verified
    assert new.account.has_password
    assert service.sign_in(email="ada@example.org", password=PASSWORD, client="c")
    assert audit(database, "account.verify")[-1].details["password_confirmed"] is True


def test_a_plain_sign_in_link_drops_a_pending_password_and_ends_other_sessions(
    service: AccountService, database: Database
) -> None:
    service.sign_up(email="victim@example.org", password="attacker password", client="attacker")
    # a session from before addresses were verified (or any other way in) must not outlive the confirmation
    with database.transaction() as s:
        row = s.scalar(select(AccountRow).where(AccountRow.email == "victim@example.org"))
        assert row is not None
        old = service._start(s, row, {})
    service.request_sign_in_link(email="victim@example.org", client="victim")
    sign_up_mail, sign_in_mail = outbox(database, "victim@example.org")
    service.redeem_sign_in_link(token=token_in(sign_in_mail), client="victim")
    assert service.session(old.token) is None
    row = account_row(database, "victim@example.org")
    assert row.password_hash is None
    assert row.email_verified_at is not None
    with pytest.raises(AuthenticationError, match="wrong email or password"):
        service.sign_in(email="victim@example.org", password="attacker password", client="attacker")
    with pytest.raises(AuthenticationError, match="not valid"):  # the attacker's confirmation is spent too
        service.redeem_sign_in_link(token=token_in(sign_up_mail), client="attacker")


def test_signing_up_again_replaces_a_pending_password_and_its_link(service: AccountService, database: Database) -> None:
    service.sign_up(email="victim@example.org", password="attacker password", client="attacker")
    service.sign_up(email="victim@example.org", password="victim's password", client="victim")
    attackers, victims = outbox(database, "victim@example.org")
    with pytest.raises(AuthenticationError):
        service.redeem_sign_in_link(token=token_in(attackers), client="attacker")
    service.redeem_sign_in_link(token=token_in(victims), client="victim", password="victim's password")
    assert service.sign_in(email="victim@example.org", password="victim's password", client="victim")
    with pytest.raises(AuthenticationError, match="wrong email or password"):
        service.sign_in(email="victim@example.org", password="attacker password", client="attacker")


def test_a_confirmation_link_used_without_the_password_drops_it(service: AccountService, database: Database) -> None:
    service.sign_up(email="victim@example.org", password="attacker password", client="attacker")
    (mail,) = outbox(database, "victim@example.org")
    assert service.redeem_sign_in_link(token=token_in(mail), client="victim").account.email_verified
    assert account_row(database, "victim@example.org").password_hash is None
    assert audit(database, "account.verify")[-1].details["password_confirmed"] is False


def test_signing_up_with_a_taken_address_changes_nothing_and_tells_its_owner(
    service: AccountService, database: Database
) -> None:
    service.create_account(email="ada@example.org", password=PASSWORD)
    service.create_account(email="gone@example.org", password=PASSWORD)
    service.set_disabled(email="gone@example.org", disabled=True)
    service.sign_up(email="ada@example.org", password="a new password!", client="c")
    service.sign_up(email="gone@example.org", password="a new password!", client="c")
    (mail,) = outbox(database, "ada@example.org")
    assert mail.subject == "You already have a Cairn account"
    assert outbox(database, "gone@example.org") == []
    assert service.sign_in(email="ada@example.org", password=PASSWORD, client="c")
    with pytest.raises(AuthenticationError):
        service.sign_in(email="ada@example.org", password="a new password!", client="c")
    assert service.redeem_sign_in_link(token=token_in(mail), client="c").account.email == "ada@example.org"
    outcomes = [e.details["outcome"] for e in audit(database, "sign-up")]
    assert outcomes == ["exists", "disabled"]
    assert "a new password!" not in json.dumps([e.details for e in audit(database)])


def test_sign_up_is_throttled_before_hashing(database: Database, clock: FixedClock) -> None:
    class Counting(PasswordHasher):
        hashed = 0

        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            Counting.hashed += 1
            return super().hash(password, salt=salt)

    hasher = Counting(time_cost=1, memory_cost=8, parallelism=1)
    per_address = _limiter(database, clock, "sign-up email", 2, timedelta(hours=1))
    service = AccountService(database, clock=clock, password_hasher=hasher, limiters={"sign-up email": per_address})
    for _ in range(2):
        service.sign_up(email="ada@example.org", password=PASSWORD, client="c")
    assert Counting.hashed == 2
    with pytest.raises(TooManyAttemptsError):
        service.sign_up(email="ADA@example.org", password=PASSWORD, client="c")
    assert Counting.hashed == 2
    with pytest.raises(InputError):  # a malformed request costs no hashing either
        service.sign_up(email="bob@example.org", password="short", client="c")
    assert Counting.hashed == 2


# -- people setting and changing their own password -----------------------------------------------


def _signed_in_by_link(service: AccountService, database: Database, email: str) -> str:
    service.request_sign_in_link(email=email, client="c")
    return service.redeem_sign_in_link(token=link_token(database), client="c").token


def test_a_link_only_account_sets_a_password_soon_after_a_link_sign_in(
    service: AccountService, database: Database, clock: FixedClock
) -> None:
    service.create_account(email="ada@example.org")
    other = _signed_in_by_link(service, database, "ada@example.org")
    clock.advance(minutes=1)
    mine = _signed_in_by_link(service, database, "ada@example.org")
    assert service.may_set_password(mine)
    clock.advance(minutes=14)
    service.change_password(session_token=mine, current=None, new="a brand new password", client="c")
    assert service.session(mine) is not None  # this session goes on
    assert service.session(other) is None  # every other one ends
    assert not service.may_set_password(mine)  # it has a password now: changing needs the current one
    (mail,) = [m for m in outbox(database, "ada@example.org") if "password" in m.subject]
    assert mail.subject == "Your Cairn password was changed"
    assert "was set just now" in mail.body_text
    assert "a brand new password" not in mail.body_text
    (entry,) = audit(database, "account.password")
    assert entry.actor == entry.subject == f"account:{account_row(database, 'ada@example.org').id}"
    assert entry.details == {"set": True, "by": "self", "had_password": False, "client": "c"}
    assert "a brand new password" not in json.dumps([e.details for e in audit(database)])
    service.sign_in(email="ada@example.org", password="a brand new password", client="c")


def test_a_password_is_not_set_without_the_current_one_once_the_window_has_passed(
    service: AccountService, database: Database, clock: FixedClock
) -> None:
    service.create_account(email="ada@example.org")
    mine = _signed_in_by_link(service, database, "ada@example.org")
    clock.advance(minutes=15, seconds=1)
    assert not service.may_set_password(mine)
    with pytest.raises(RecentSignInRequiredError, match="sign in again with an emailed link"):
        service.change_password(session_token=mine, current=None, new="a brand new password", client="c")
    assert account_row(database, "ada@example.org").password_hash is None
    assert audit(database, "account.password") == []
    assert audit(database, "account.password.failure")[-1].details["reason"] == "session too old"


def test_changing_a_password_needs_the_current_one(
    service: AccountService, database: Database, clock: FixedClock
) -> None:
    service.create_account(email="ada@example.org", password=PASSWORD)
    other = service.sign_in(email="ada@example.org", password=PASSWORD, client="c").token
    mine = service.sign_in(email="ada@example.org", password=PASSWORD, client="c").token
    for current in (None, "not the password at all"):
        with pytest.raises(AuthenticationError, match="current password is not right"):
            service.change_password(session_token=mine, current=current, new="a brand new password", client="c")
    assert service.session(other) is not None
    assert [m for m in outbox(database, "ada@example.org") if "password" in m.subject] == []
    with pytest.raises(InputError, match="10 to 1024"):
        service.change_password(session_token=mine, current=PASSWORD, new="too short", client="c")
    clock.advance(hours=1)  # no time window when the current password is given
    service.change_password(session_token=mine, current=PASSWORD, new="a brand new password", client="c")
    assert service.session(other) is None
    assert service.session(mine) is not None
    with pytest.raises(AuthenticationError):
        service.sign_in(email="ada@example.org", password=PASSWORD, client="c")
    assert audit(database, "account.password")[-1].details["had_password"] is True


def test_changing_a_password_is_throttled_like_sign_in(database: Database, clock: FixedClock) -> None:
    limiter = _limiter(database, clock, "failure", 2, timedelta(minutes=15))
    service = AccountService(database, clock=clock, password_hasher=fast_hasher(), limiters={"failure": limiter})
    service.create_account(email="ada@example.org", password=PASSWORD)
    mine = service.sign_in(email="ada@example.org", password=PASSWORD, client="c").token  # resets the count
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            service.change_password(session_token=mine, current="wrong guess", new="a brand new password", client="c")
    with pytest.raises(TooManyAttemptsError):
        service.change_password(session_token=mine, current=PASSWORD, new="a brand new password", client="c")


def test_a_password_change_needs_a_live_session(service: AccountService) -> None:
    service.create_account(email="ada@example.org", password=PASSWORD)
    token = service.sign_in(email="ada@example.org", password=PASSWORD, client="c").token
    service.sign_out(token=token, client="c")
    for session_token in (token, "", "x" * 500):
        with pytest.raises(AuthenticationError, match="session has ended"):
            service.change_password(session_token=session_token, current=PASSWORD, new="a brand new pw", client="c")
