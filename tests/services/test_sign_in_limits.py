"""Sign-in limits (issue #19): an attacker's wrong passwords never lock the owner out, an IPv6 /64 is one client,
and the counts live in the database, so every process of an instance shares them. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from cairn.errors import AuthenticationError
from cairn.services.accounts.service import AccountService, SharedLimiter, TooManyAttemptsError
from cairn.store.database import Database
from cairn.store.tables import OutboxRow
from tests.factories import FixedClock, fast_hasher
from tests.helpers import rows

PASSWORD = "correct horse battery"
OWNER = "owner@example.org"
ATTACKER = "203.0.113.9"


def _service(database: Database, clock: FixedClock, slept: list[float] | None = None) -> AccountService:
    sleep = (slept if slept is not None else []).append
    return AccountService(
        database, clock=clock, public_url="https://cairn.example", password_hasher=fast_hasher(), sleep=sleep
    )


def _link(database: Database) -> str:
    found = re.search(r"/sign-in/link\?token=([A-Za-z0-9_-]+)", rows(database, OutboxRow)[-1].body_text)
    assert found
    return found.group(1)


def test_wrong_passwords_from_one_network_do_not_lock_the_owner_out(database: Database, clock: FixedClock) -> None:
    slept: list[float] = []
    service = _service(database, clock, slept)
    service.create_account(email=OWNER, password=PASSWORD)
    for _ in range(10):
        with pytest.raises((AuthenticationError, TooManyAttemptsError)):
            service.sign_in(email=OWNER, password="guess guess guess", client=ATTACKER)
    with pytest.raises(TooManyAttemptsError):  # the network that failed is stopped, even with the right password
        service.sign_in(email=OWNER, password=PASSWORD, client=ATTACKER)
    assert slept == []
    assert service.sign_in(email=OWNER, password=PASSWORD, client="198.51.100.7").account.email == OWNER
    assert slept == [1.0]  # ten failures on the account from anywhere slow every password attempt down, no more
    service.request_sign_in_link(email=OWNER, client="2001:db8:aa::1")
    assert service.redeem_sign_in_link(token=_link(database), client="2001:db8:aa::1").account.email == OWNER


def test_every_address_of_an_ipv6_64_shares_one_budget(database: Database, clock: FixedClock) -> None:
    per_network = SharedLimiter(database, name="client", limit=10, window=timedelta(minutes=15), clock=clock)
    service = AccountService(database, clock=clock, password_hasher=fast_hasher(), limiters={"client": per_network})
    refused = 0
    for n in range(100):
        try:
            service.sign_in(email=f"user{n}@example.org", password=PASSWORD, client=f"2001:db8:1:2::{n + 1:x}")
        except TooManyAttemptsError:
            refused += 1
        except AuthenticationError:
            pass
    assert refused == 90
    with pytest.raises(AuthenticationError):  # another /64 is another client
        service.sign_in(email="x@example.org", password=PASSWORD, client="2001:db8:1:3::1")
    for n in range(10):  # an IPv4-mapped IPv6 address is its IPv4 address
        address = "::ffff:192.0.2.1" if n % 2 else "192.0.2.1"
        with pytest.raises(AuthenticationError):
            service.sign_in(email=f"x{n}@example.org", password=PASSWORD, client=address)
    with pytest.raises(TooManyAttemptsError):
        service.sign_in(email="x@example.org", password=PASSWORD, client="::ffff:192.0.2.1")


def test_two_instances_on_one_database_share_the_counts(database: Database, clock: FixedClock) -> None:
    first = _service(database, clock)
    first.create_account(email=OWNER, password=PASSWORD)
    other_process = Database(database.url)
    try:
        second = _service(other_process, clock)
        for n in range(10):
            with pytest.raises((AuthenticationError, TooManyAttemptsError)):
                (first if n % 2 else second).sign_in(email=OWNER, password="guess guess guess", client=ATTACKER)
        with pytest.raises(TooManyAttemptsError):
            second.sign_in(email=OWNER, password=PASSWORD, client=ATTACKER)
        with pytest.raises(TooManyAttemptsError):
            first.sign_in(email=OWNER, password=PASSWORD, client=ATTACKER)
        clock.advance(minutes=16)  # the window passed: both instances let the network try again
        assert second.sign_in(email=OWNER, password=PASSWORD, client=ATTACKER).account.email == OWNER
    finally:
        other_process.dispose()
