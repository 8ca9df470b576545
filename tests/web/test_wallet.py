"""The wallet pages: sign-up and claiming, importing (forgeries refused), the list and detail, organising,
presenting, export and import, erasing; sign-in, CSRF and another learner's wallet (404)."""

from __future__ import annotations

import copy
import dataclasses
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select

from cairn.bootstrap import Container, build
from cairn.model.awards import Recipient
from cairn.services.accounts.service import AccountService, SharedLimiter
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.store.tables import OutboxRow
from cairn.web.app import create_app
from cairn.web.deps import SESSION_COOKIE
from tests.factories import FixedClock, foreign
from tests.helpers import csrf_of, emailed_link, sign_in, use_link

PASSWORD = "correct horse battery"
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
UM, DEFINITION = "uniwersytet-mazowiecki", "um-python-data-analysis"


@pytest.fixture
def container(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    settings = Settings(
        database_url="sqlite://", secret_key="s" * 48, base_url="https://cairn.example", max_upload_bytes=200_000
    )
    built = build(settings, clock=clock, database=sqlite_database)
    built.catalog.import_paths([examples])
    return dataclasses.replace(built, accounts=AccountService(sqlite_database, clock=clock, password_hasher=FAST))


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


def ask_to_sign_up(client: TestClient, email: str, password: str = PASSWORD, next_path: str = "/wallet") -> Response:
    token = csrf_of(client.get("/sign-up").text)
    data = {"email": email, "password": password, "name": "Ada", "next": next_path, "csrf_token": token}
    return client.post("/sign-up", data=data)


def sign_up(client: TestClient, database: Database, email: str, next_path: str = "/wallet") -> str:
    """Sign up in a fresh browser, follow the confirmation link from the outbox; the CSRF token of the session."""
    client.cookies.clear()
    answer = ask_to_sign_up(client, email, next_path=next_path)
    assert answer.status_code == 200, answer.text
    assert "Check your email" in answer.text
    assert SESSION_COOKIE not in client.cookies  # nobody is signed in before the address is confirmed
    used = use_link(client, emailed_link(database, email), password=PASSWORD)
    assert used.status_code == 303, used.text
    assert used.headers["location"].startswith(next_path)
    assert "done=welcome" in used.headers["location"]
    return csrf_of(client.get("/wallet/import").text)


def password_works(client: TestClient, email: str, password: str) -> bool:
    """Whether a password sign-in for ``email`` succeeds in this (cleared) browser."""
    client.cookies.clear()
    token = csrf_of(client.get("/sign-in").text)
    answer = client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})
    return answer.status_code == 303


def test_pages_need_sign_in(client: TestClient) -> None:
    for path in ("/wallet", "/wallet/import", "/wallet/present", "/wallet/export", "/account/delete"):
        answer = client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/sign-in?next=")


def test_sign_up_claim_and_see_the_credential(client: TestClient, container: Container) -> None:
    result = container.issuing.award(DEFINITION, Recipient(email="ada@example.org"), actor="test", organisation=UM)
    claim_page = client.get(f"/claim/{result.claim_token}").text
    assert f"/claim/{result.claim_token}/wallet" in claim_page
    csrf = sign_up(client, container.database, "ada@example.org", f"/claim/{result.claim_token}/wallet")
    assert "Add to my wallet" in client.get(f"/claim/{result.claim_token}/wallet").text
    assert client.post(f"/claim/{result.claim_token}/wallet", data={}).status_code == 403
    answer = client.post(f"/claim/{result.claim_token}/wallet", data={"csrf_token": csrf})
    assert answer.status_code == 303
    detail_path = answer.headers["location"].split("?")[0]
    page = client.get(detail_path).text
    assert "status-valid" in page
    assert "Annex I" in page
    assert "Python" in page
    again = client.post(f"/claim/{result.claim_token}/wallet", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert "already in your wallet" in again.text
    listing = client.get("/wallet").text
    assert detail_path in listing
    assert client.get("/wallet?view=timeline").status_code == 200
    polish = client.get("/wallet?lang=pl").text
    assert 'lang="pl"' in polish
    assert "Twój portfel" in polish

    # another learner: the claim does not match their email, and the credential is not theirs to see
    other = sign_up(client, container.database, "bob@example.org")
    refused = client.post(f"/claim/{result.claim_token}/wallet", data={"csrf_token": other})
    assert refused.status_code == 400
    assert "another email address" in refused.text
    assert client.get(detail_path).status_code == 404
    assert client.post(detail_path + "/remove", data={"csrf_token": other}).status_code == 404


def test_import_organise_present_export_and_delete(client: TestClient, container: Container) -> None:
    csrf = sign_up(client, container.database, "ada@example.org")
    good = foreign()
    tampered = copy.deepcopy(good)
    tampered["name"] = "Forged"
    refused = client.post("/wallet/import", data={"text": json.dumps(tampered), "csrf_token": csrf})
    assert refused.status_code == 400
    assert "did not pass verification" in refused.text
    assert 'aria-invalid="true"' in refused.text
    big = client.post(
        "/wallet/import",
        data={"csrf_token": csrf},
        files={"file": ("big.json", b"{" + b" " * 150_000 + b"}" * 60_000, "application/json")},
    )
    assert big.status_code in (400, 413)
    answer = client.post(
        "/wallet/import",
        data={"csrf_token": csrf},
        files={"file": ("badge.json", json.dumps(good).encode(), "application/json")},
    )
    assert answer.status_code == 303
    detail = answer.headers["location"].split("?")[0]
    credential_id = detail.rsplit("/", 1)[1]
    assert client.post(detail + "/tags", data={"tags": "Metal, Work", "csrf_token": csrf}).status_code == 303
    assert client.post("/wallet/collections", data={"name": "Jobs", "csrf_token": csrf}).status_code == 303
    assert "Jobs" in client.get("/wallet/collections").text
    assert "Metal" in client.get("/wallet?tag=Metal").text
    assert "Welding" not in client.get("/wallet?q=zzz").text

    vp = client.post(
        "/wallet/present",
        data={
            "ids": [credential_id],
            "challenge": "n-1",
            "domain": "verifier.example",
            "format": "di",
            "csrf_token": csrf,
        },
    )
    assert vp.status_code == 200
    assert vp.json()["proof"]["challenge"] == "n-1"
    missing = client.post("/wallet/present", data={"challenge": "", "domain": "x", "csrf_token": csrf})
    assert missing.status_code == 400

    exported = client.get("/wallet/export")
    assert exported.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        assert "manifest.json" in archive.namelist()

    csrf_bob = sign_up(client, container.database, "bob@example.org")
    imported = client.post(
        "/wallet/import-export",
        data={"csrf_token": csrf_bob},
        files={"file": ("cairn-wallet.zip", exported.content, "application/zip")},
    )
    assert imported.status_code == 200
    assert "Added: 1." in imported.text
    assert client.get(detail).status_code == 404  # Ada's copy is still Ada's

    wrong = client.post("/account/delete", data={"confirm_email": "ada@example.org", "csrf_token": csrf_bob})
    assert wrong.status_code == 400
    gone = client.post("/account/delete", data={"confirm_email": "bob@example.org", "csrf_token": csrf_bob})
    assert gone.status_code == 200
    assert container.accounts.find_account("bob@example.org") is None
    assert client.get("/wallet").status_code == 303


# -- sign-up: confirmed from the mailbox, no enumeration, throttled, sessions rotated -----------------


def test_sign_up_answers_alike_for_a_new_and_a_taken_address(client: TestClient, container: Container) -> None:
    sign_up(client, container.database, "taken@example.org")
    pages = {}
    for email in ("taken@example.org", "fresh@example.org"):
        client.cookies.clear()
        answer = ask_to_sign_up(client, email, password="another long password")
        assert answer.status_code == 200
        assert SESSION_COOKIE not in client.cookies
        pages[email] = re.sub(r'name="csrf_token" value="[^"]*"', "", answer.text.replace(email, "ADDRESS"))
    assert pages["taken@example.org"] == pages["fresh@example.org"]
    assert "We sent a link to finish creating your account to" in pages["fresh@example.org"]
    # the owner of the taken address is told by email, and their password did not change
    taken = emailed_link(container.database, "taken@example.org")
    with container.database.transaction() as s:
        subjects = dict(
            s.execute(select(OutboxRow.to_address, OutboxRow.subject).order_by(OutboxRow.id)).tuples().all()
        )
    assert subjects["taken@example.org"] == "You already have a Cairn account"
    assert subjects["fresh@example.org"] == "Finish creating your Cairn account"
    assert password_works(client, "taken@example.org", PASSWORD)
    assert not password_works(client, "taken@example.org", "another long password")
    assert use_link(client, taken).status_code == 303  # a plain sign-in link
    assert password_works(client, "taken@example.org", PASSWORD)


def test_a_password_waiting_for_confirmation_signs_nobody_in(client: TestClient, container: Container) -> None:
    assert ask_to_sign_up(client, "ada@example.org").status_code == 200
    first = emailed_link(container.database, "ada@example.org")
    token = csrf_of(client.get("/sign-in").text)
    refused = client.post("/sign-in", data={"email": "ada@example.org", "password": PASSWORD, "csrf_token": token})
    assert refused.status_code == 401
    assert "not confirmed yet" in refused.text
    assert SESSION_COOKIE not in client.cookies
    again = emailed_link(container.database, "ada@example.org")  # the link was sent again; the first stops
    assert again != first
    wrong = client.post("/sign-in", data={"email": "ada@example.org", "password": "x" * 12, "csrf_token": token})
    unknown = client.post("/sign-in", data={"email": "nobody@example.org", "password": "x" * 12, "csrf_token": token})
    assert wrong.status_code == unknown.status_code == 401
    assert "not confirmed" not in wrong.text  # without the password, the same answer as an unknown address
    assert use_link(client, first).status_code == 400
    assert use_link(client, again, password="not the password").status_code == 401
    assert use_link(client, again, password=PASSWORD).status_code == 303  # a wrong try did not spend the link
    assert password_works(client, "ada@example.org", PASSWORD)


def test_an_attacker_who_signed_up_first_loses_to_a_sign_in_link(client: TestClient, container: Container) -> None:
    victim = "victim@example.org"
    assert ask_to_sign_up(client, victim, password="attacker password 1").status_code == 200
    assert not password_works(client, victim, "attacker password 1")
    # the owner of the mailbox asks for a sign-in link, uses it, and claims an award
    client.cookies.clear()
    token = csrf_of(client.get("/sign-in").text)
    assert client.post("/sign-in/link", data={"email": victim, "csrf_token": token}).status_code == 200
    assert use_link(client, emailed_link(container.database, victim)).status_code == 303
    result = container.issuing.award(DEFINITION, Recipient(email=victim), actor="test", organisation=UM)
    csrf = csrf_of(client.get("/wallet/import").text)
    assert client.post(f"/claim/{result.claim_token}/wallet", data={"csrf_token": csrf}).status_code == 303
    assert not password_works(client, victim, "attacker password 1")  # the unconfirmed password is gone
    assert client.get("/wallet/export").status_code == 303


def test_when_both_sign_up_only_the_confirmed_password_works(client: TestClient, container: Container) -> None:
    victim = "victim@example.org"
    assert ask_to_sign_up(client, victim, password="attacker password 1").status_code == 200
    attackers_link = emailed_link(container.database, victim)
    client.cookies.clear()
    assert ask_to_sign_up(client, victim, password="victim password 22").status_code == 200
    assert use_link(client, emailed_link(container.database, victim), password="victim password 22").status_code == 303
    assert not password_works(client, victim, "attacker password 1")
    assert password_works(client, victim, "victim password 22")
    assert use_link(client, attackers_link).status_code == 400  # replaced, and spent once the address was confirmed


def test_the_attackers_own_confirmation_link_does_not_adopt_the_attackers_password(
    client: TestClient, container: Container
) -> None:
    """The owner of the mailbox opens the confirmation an attacker caused: without the attacker's password the
    link only signs them in, and the password nobody confirmed is dropped."""
    victim = "victim@example.org"
    assert ask_to_sign_up(client, victim, password="attacker password 1").status_code == 200
    link = emailed_link(container.database, victim)
    client.cookies.clear()
    assert "Sign in without the password" in client.get(link).text
    assert use_link(client, link, password="a guess at it!").status_code == 401
    assert use_link(client, link).status_code == 303  # the plain button
    assert "victim@example.org" in client.get("/account").text
    assert not password_works(client, victim, "attacker password 1")


def test_signing_up_or_using_a_link_ends_the_session_this_browser_held(
    client: TestClient, container: Container
) -> None:
    sign_up(client, container.database, "ada@example.org")
    old = client.cookies[SESSION_COOKIE]
    token = csrf_of(client.get("/wallet/import").text)
    data = {"email": "bob@example.org", "password": PASSWORD, "csrf_token": token}
    answer = client.post("/sign-up", data=data)
    assert answer.status_code == 200
    assert container.accounts.session(old) is None
    assert client.get("/wallet").status_code == 303
    client.cookies.set(SESSION_COOKIE, old)  # an old cookie kept around does not work either
    assert client.get("/wallet").status_code == 303
    assert use_link(client, emailed_link(container.database, "bob@example.org"), password=PASSWORD).status_code == 303
    assert "bob@example.org" in client.get("/account").text


class CountingHasher(PasswordHasher):
    """A cheap argon2 hasher that counts the hashes it makes."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.hashed = 0

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.hashed += 1
        return super().hash(password, salt=salt)


def test_sign_up_is_throttled_before_any_password_is_hashed(container: Container, clock: FixedClock) -> None:
    hasher = CountingHasher()
    hour, database = timedelta(hours=1), container.database
    per_address = SharedLimiter(database, name="sign-up email", limit=2, window=hour, clock=clock)
    per_client = SharedLimiter(database, name="sign-up client", limit=3, window=hour, clock=clock)
    accounts = AccountService(
        database,
        clock=clock,
        password_hasher=hasher,
        limiters={"sign-up email": per_address, "sign-up client": per_client},
    )
    with TestClient(create_app(dataclasses.replace(container, accounts=accounts)), follow_redirects=False) as client:
        assert ask_to_sign_up(client, "ada@example.org").status_code == 200
        assert ask_to_sign_up(client, "ada@example.org").status_code == 200
        hashed = hasher.hashed
        limited = ask_to_sign_up(client, "ada@example.org")
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) > 0
        assert "Too many accounts were asked for" in limited.text
        assert 'aria-invalid="true"' in limited.text
        assert hasher.hashed == hashed
        assert ask_to_sign_up(client, "bob@example.org").status_code == 200  # the third from this client
        assert ask_to_sign_up(client, "eve@example.org").status_code == 429  # the fourth is one too many
        assert hasher.hashed == hashed + 1
        clock.advance(hours=1, seconds=1)
        assert ask_to_sign_up(client, "eve@example.org").status_code == 200


def test_the_list_page_verifies_nothing_the_queues_job_does(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = TestClient(create_app(container), follow_redirects=False)  # no lifespan: no worker thread, the test
    ada = container.accounts.create_account(email="ada@example.org", password=PASSWORD).id  # runs the job itself
    result = container.issuing.award(DEFINITION, Recipient(email="ada@example.org"), actor="test", organisation=UM)
    assert result.claim_token
    item = container.wallet.add_from_claim(ada, "ada@example.org", result.claim_token)
    container.status_lists.revoke(result.award_id, reason="plagiarism", actor="registrar")  # its copy is due now
    calls: list[object] = []
    verify = container.wallet.verification.verify

    def counted(data: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(data)
        return verify(data, *args, **kwargs)

    monkeypatch.setattr(container.wallet.verification, "verify", counted)
    sign_in(client, "ada@example.org", PASSWORD)
    listing = client.get("/wallet")
    assert listing.status_code == 200
    assert f"/wallet/{item.id}" in listing.text
    assert calls == []  # the page request verified nothing
    assert "status-revoked" not in listing.text
    container.jobs.run_pending()  # deferred when the revocation committed
    assert len(calls) == 1
    assert "status-revoked" in client.get("/wallet").text
    assert calls[1:] == []
