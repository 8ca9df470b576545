"""Sign-in pages, sessions, CSRF, roles and API bearer tokens through a small FastAPI app of our own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from importlib import resources
from types import SimpleNamespace
from typing import Annotated

import pytest
from argon2 import PasswordHasher
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.testclient import TestClient
from sqlalchemy import select

import cairn.web.accounts.pages as auth
import cairn.web.deps as deps
import cairn.web.render as render
from cairn.errors import InputError, TooManyAttemptsError
from cairn.services.accounts.service import (
    AccountService,
    OrganisationAccess,
    SharedLimiter,
    TokenPrincipal,
    sha256_hex,
)
from cairn.services.catalog.badges import BadgeService
from cairn.store.database import Database
from cairn.store.tables import ApiTokenRow, AuditEntry, OrganisationRow, OutboxRow
from cairn.web.errors import answers_json, install_error_handlers
from cairn.web.i18n import make_templates
from tests.factories import FixedClock
from tests.helpers import csrf_of

PASSWORD = "correct horse battery"
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _org(database: Database, clock: FixedClock, slug: str, name: str) -> None:
    with database.transaction() as s:
        document = {"id": slug, "legal_name": {"en": name}}
        s.add(
            OrganisationRow(
                slug=slug, country="PL", type="school", document=document, created_at=clock(), updated_at=clock()
            )
        )


def make_app(service: AccountService) -> FastAPI:
    app = FastAPI()
    badges = BadgeService(service.database, clock=service.clock, public_url="https://cairn.example")
    app.state.container = SimpleNamespace(accounts=service, badges=badges)
    package = resources.files("cairn.web")
    app.state.templates = make_templates(version="test", languages={"en": "English", "pl": "Polski"})
    app.mount("/static", StaticFiles(directory=str(package / "static")), name="static")
    install_error_handlers(app)
    app.include_router(auth.router)

    @app.post("/credentials/issue", dependencies=[Depends(answers_json)])  # as the VC-API router declares
    def issue(principal: Annotated[TokenPrincipal, Depends(deps.bearer_token("credentials:issue"))]) -> dict[str, str]:
        return {"organisation": principal.organisation}

    @app.post("/orgs/{slug}/awards", dependencies=[Depends(deps.csrf_protect)])
    def award(access: Annotated[OrganisationAccess, Depends(deps.require_role("issuer"))]) -> dict[str, str]:
        return {"organisation": access.organisation, "role": access.role.value}

    return app


@pytest.fixture
def service(sqlite_database: Database, clock: FixedClock) -> AccountService:
    _org(sqlite_database, clock, "uni", "Uniwersytet")
    _org(sqlite_database, clock, "other", "Other School")
    limiter = SharedLimiter(sqlite_database, name="failure", limit=3, window=timedelta(minutes=15), clock=clock)
    service = AccountService(sqlite_database, clock=clock, password_hasher=FAST, limiters={"failure": limiter})
    service.add_member(organisation="uni", email="owner@example.org")
    service.set_password(email="owner@example.org", password=PASSWORD)
    service.add_member(organisation="uni", email="viewer@example.org", role="viewer")
    service.set_password(email="viewer@example.org", password=PASSWORD)
    service.add_member(organisation="other", email="stranger@example.org")
    return service


@pytest.fixture
def client(service: AccountService) -> Iterator[TestClient]:
    with TestClient(make_app(service), follow_redirects=False) as client:
        yield client


def sign_in(client: TestClient, email: str = "owner@example.org") -> str:
    """Sign in through the pages; the session's CSRF token."""
    token = csrf_of(client.get("/sign-in").text)
    answer = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/account").text)


# -- sign-in and sessions -------------------------------------------------------------------------


def test_the_sign_in_page_offers_a_password_and_a_link_with_labels(client: TestClient) -> None:
    page = client.get("/sign-in")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert '<label for="email">' in html
    assert '<label for="password">' in html
    assert '<label for="link-email">' in html
    assert 'action="/sign-in"' in html
    assert 'action="/sign-in/link"' in html
    assert 'autocomplete="current-password"' in html
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("cairn_csrf=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie


def test_signing_in_sets_a_safe_session_cookie_and_goes_on(client: TestClient) -> None:
    token = csrf_of(client.get("/sign-in").text)
    answer = client.post(
        "/sign-in",
        data={"email": "Owner@Example.org", "password": PASSWORD, "csrf_token": token, "next": "/orgs/uni/members"},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/orgs/uni/members"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("cairn_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    account = client.get("/account")
    assert account.status_code == 200
    assert "owner@example.org" in account.text
    assert "Uniwersytet" in account.text
    assert client.get("/sign-in").headers["location"] == "/account"


def test_the_session_cookie_is_secure_over_https(service: AccountService) -> None:
    with TestClient(make_app(service), base_url="https://testserver", follow_redirects=False) as client:
        token = csrf_of(client.get("/sign-in").text)
        answer = client.post("/sign-in", data={"email": "owner@example.org", "password": PASSWORD, "csrf_token": token})
        assert "Secure" in answer.headers["set-cookie"]


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "account"])
def test_after_sign_in_only_local_paths_are_followed(client: TestClient, target: str) -> None:
    token = csrf_of(client.get("/sign-in").text)
    data = {"email": "owner@example.org", "password": PASSWORD, "csrf_token": token, "next": target}
    assert client.post("/sign-in", data=data).headers["location"] == "/account"


def test_a_wrong_password_shows_the_error_next_to_the_field(client: TestClient) -> None:
    token = csrf_of(client.get("/sign-in").text)
    answer = client.post("/sign-in", data={"email": "owner@example.org", "password": "nope nope", "csrf_token": token})
    assert answer.status_code == 401
    html = answer.text
    assert "<title>Error: Sign in · Cairn</title>" in html
    assert 'role="alert"' in html
    assert 'tabindex="-1" autofocus' in html
    assert 'href="#email"' in html
    assert 'id="email-error"' in html
    assert 'aria-describedby="email-error"' in html
    assert 'aria-invalid="true"' in html
    assert "Wrong email or password." in html
    assert 'value="owner@example.org"' in html
    assert "nope nope" not in html
    missing = client.post("/sign-in", data={"email": "", "password": "", "csrf_token": token})
    assert missing.status_code == 400
    assert 'id="password-error"' in missing.text


def test_an_unknown_email_gets_the_same_answer(client: TestClient) -> None:
    token = csrf_of(client.get("/sign-in").text)
    known = client.post("/sign-in", data={"email": "owner@example.org", "password": "wrong one", "csrf_token": token})
    unknown = client.post("/sign-in", data={"email": "who@example.org", "password": "wrong one", "csrf_token": token})
    assert known.status_code == unknown.status_code == 401
    assert known.text.replace("owner@", "X@") == unknown.text.replace("who@", "X@")


def test_guessing_is_slowed_down(client: TestClient) -> None:
    token = csrf_of(client.get("/sign-in").text)
    for _ in range(3):
        data = {"email": "owner@example.org", "password": "guess guess", "csrf_token": token}
        assert client.post("/sign-in", data=data).status_code == 401
    blocked = client.post("/sign-in", data={"email": "owner@example.org", "password": PASSWORD, "csrf_token": token})
    assert blocked.status_code == 429
    assert blocked.headers["retry-after"] == "900"
    assert "Too many attempts. Try again in 15 minutes." in blocked.text
    link = client.post("/sign-in/link", data={"email": "owner@example.org", "csrf_token": token})
    assert link.status_code == 200  # wrong passwords never stop the emailed link (issue #19)


def test_sign_out_asks_then_ends_the_session(client: TestClient) -> None:
    csrf = sign_in(client)
    form = client.get("/sign-out")
    assert form.status_code == 200
    assert 'action="/sign-out"' in form.text
    answer = client.post("/sign-out", data={"csrf_token": csrf})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?done=signed-out"
    assert 'cairn_session=""' in answer.headers["set-cookie"]
    assert "Max-Age=0" in answer.headers["set-cookie"]
    assert "You have signed out." in client.get("/sign-in?done=signed-out").text
    assert client.get("/account").status_code == 303


def test_an_old_session_cookie_no_longer_works_after_sign_out(client: TestClient) -> None:
    csrf = sign_in(client)
    cookie = client.cookies["cairn_session"]
    client.post("/sign-out", data={"csrf_token": csrf})
    client.cookies.set("cairn_session", cookie)
    assert client.get("/account").status_code == 303


def test_pages_send_people_to_sign_in_and_json_clients_get_401(client: TestClient) -> None:
    answer = client.get("/orgs/uni/members?x=1")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sign-in?next=%2Forgs%2Funi%2Fmembers%3Fx%3D1"
    page = client.get(answer.headers["location"])
    assert 'name="next" value="/orgs/uni/members?x=1"' in page.text
    api = client.get("/account", headers={"Accept": "application/json"})
    assert api.status_code == 401
    assert api.json() == {"ok": False, "error": "sign in first", "status": 401}


# -- sign-in links --------------------------------------------------------------------------------


def _emailed_token(service: AccountService) -> str:
    with service.database.transaction() as s:
        body = s.scalars(select(OutboxRow.body_text).order_by(OutboxRow.id.desc())).first()
    found = re.search(r"/sign-in/link\?token=([A-Za-z0-9_-]+)", body or "")
    assert found
    return found.group(1)


def test_a_sign_in_link_lands_on_a_button_and_works_once(client: TestClient, service: AccountService) -> None:
    token = csrf_of(client.get("/sign-in").text)
    sent = client.post("/sign-in/link", data={"email": "viewer@example.org", "csrf_token": token})
    assert sent.status_code == 200
    assert "Check your email" in sent.text
    assert "15 minutes" in sent.text
    link = _emailed_token(service)
    fresh = TestClient(make_app(service), follow_redirects=False)  # another browser, as from the email
    landing = fresh.get(f"/sign-in/link?token={link}")
    assert landing.status_code == 200
    assert "<button" in landing.text
    csrf = csrf_of(landing.text)
    used = fresh.post("/sign-in/link/use", data={"token": link, "csrf_token": csrf})
    assert used.status_code == 303
    assert used.headers["location"] == "/account"
    assert fresh.get("/account").status_code == 200
    again = TestClient(make_app(service), follow_redirects=False)
    csrf = csrf_of(again.get(f"/sign-in/link?token={link}").text)
    reused = again.post("/sign-in/link/use", data={"token": link, "csrf_token": csrf})
    assert reused.status_code == 400
    assert "not valid" in reused.text
    assert 'role="alert"' in reused.text


def test_a_link_used_while_signed_in_replaces_the_old_session(client: TestClient, service: AccountService) -> None:
    sign_in(client, "owner@example.org")
    old = client.cookies["cairn_session"]
    service.request_sign_in_link(email="viewer@example.org", client="c")
    landing = client.get(f"/sign-in/link?token={_emailed_token(service)}")
    used = client.post(
        "/sign-in/link/use", data={"token": _emailed_token(service), "csrf_token": csrf_of(landing.text)}
    )
    assert used.status_code == 303
    assert service.session(old) is None
    assert "viewer@example.org" in client.get("/account").text


def test_an_unknown_address_gets_the_same_check_your_email_page(client: TestClient, service: AccountService) -> None:
    token = csrf_of(client.get("/sign-in").text)
    known = client.post("/sign-in/link", data={"email": "viewer@example.org", "csrf_token": token})
    unknown = client.post("/sign-in/link", data={"email": "nobody@example.org", "csrf_token": token})
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("viewer@", "X@") == unknown.text.replace("nobody@", "X@")
    bad = client.post("/sign-in/link", data={"email": "not-an-email", "csrf_token": token})
    assert bad.status_code == 400
    assert 'aria-describedby="link-email-hint link-email-error"' in bad.text


# -- CSRF -----------------------------------------------------------------------------------------


def test_forms_without_or_with_a_wrong_csrf_token_are_refused(client: TestClient) -> None:
    client.get("/sign-in")
    data = {"email": "owner@example.org", "password": PASSWORD}
    missing = client.post("/sign-in", data=data)
    wrong = client.post("/sign-in", data={**data, "csrf_token": "forged"})
    assert missing.status_code == wrong.status_code == 403
    assert "This form has expired" in missing.text
    assert "<h1>Not allowed</h1>" in missing.text
    fresh = TestClient(make_app(client.app.state.container.accounts), follow_redirects=False)  # type: ignore[attr-defined]
    assert fresh.post("/sign-in", data={**data, "csrf_token": "x"}).status_code == 403  # no cookie at all


def test_signed_in_forms_need_the_session_token(client: TestClient) -> None:
    csrf = sign_in(client)
    pre_session = client.cookies["cairn_csrf"]
    assert pre_session != csrf
    for data in ({}, {"csrf_token": "forged"}, {"csrf_token": pre_session}):
        answer = client.post("/orgs/uni/tokens", data={"name": "x", "scopes": "credentials:read", **data})
        assert answer.status_code == 403
    assert client.post("/sign-out", data={}).status_code == 403
    assert client.post("/orgs/uni/awards", headers={"X-CSRF-Token": csrf}).json() == {
        "organisation": "uni",
        "role": "owner",
    }
    assert client.post("/orgs/uni/awards", headers={"X-CSRF-Token": "forged"}).status_code == 403


# -- roles and organisations ----------------------------------------------------------------------


def test_another_organisation_answers_404_like_a_missing_one(client: TestClient) -> None:
    csrf = sign_in(client)
    other = client.get("/orgs/other/members")
    missing = client.get("/orgs/no-such-org/members")
    assert other.status_code == missing.status_code == 404
    assert other.text == missing.text
    assert client.post("/orgs/other/awards", data={"csrf_token": csrf}).status_code == 404
    assert client.post("/orgs/other/tokens", data={"csrf_token": csrf, "name": "x"}).status_code == 404


def test_a_viewer_reads_members_but_changes_nothing(client: TestClient) -> None:
    csrf = sign_in(client, "viewer@example.org")
    page = client.get("/orgs/uni/members")
    assert page.status_code == 200
    assert "owner@example.org" in page.text
    assert "API tokens" not in page.text
    assert "Add member" not in page.text
    assert client.post("/orgs/uni/members", data={"csrf_token": csrf, "email": "x@example.org"}).status_code == 403
    denied = client.post("/orgs/uni/awards", data={"csrf_token": csrf})
    assert denied.status_code == 403
    assert "issuer" in denied.text


def test_an_owner_adds_members_and_changes_roles(client: TestClient, service: AccountService) -> None:
    csrf = sign_in(client)
    added = client.post("/orgs/uni/members", data={"csrf_token": csrf, "email": "New@example.org", "role": "issuer"})
    assert added.status_code == 303
    assert added.headers["location"] == "/orgs/uni/members?done=added"
    member = next(m for m in service.members("uni") if m.email == "new@example.org")
    assert member.role.value == "issuer"
    changed = client.post(f"/orgs/uni/members/{member.account_id}/role", data={"csrf_token": csrf, "role": "viewer"})
    assert changed.status_code == 303
    twice = client.post("/orgs/uni/members", data={"csrf_token": csrf, "email": "new@example.org", "role": "viewer"})
    assert twice.status_code == 409
    assert 'id="member-email-error"' in twice.text
    owner = service.find_account("owner@example.org")
    assert owner is not None
    last = client.post(f"/orgs/uni/members/{owner.id}/role", data={"csrf_token": csrf, "role": "viewer"})
    assert last.status_code == 409
    assert "needs an owner" in last.text
    assert f'id="role-{owner.id}-error"' in last.text
    removed = client.post(f"/orgs/uni/members/{member.account_id}/remove", data={"csrf_token": csrf})
    assert removed.status_code == 303
    assert "The member was removed." in client.get("/orgs/uni/members?done=removed").text


# -- API tokens -----------------------------------------------------------------------------------


def test_a_token_is_shown_once_then_only_its_prefix(client: TestClient, service: AccountService) -> None:
    csrf = sign_in(client)
    created = client.post(
        "/orgs/uni/tokens",
        data={
            "csrf_token": csrf,
            "name": "SIS",
            "scopes": ["credentials:issue", "credentials:read"],
            "expires_days": "30",
        },
    )
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    token = re.search(r'value="(cairn_[A-Za-z0-9_-]{43})"', created.text)
    assert token
    value = token.group(1)
    with service.database.transaction() as s:
        row = s.scalars(select(ApiTokenRow)).one()
        assert row.token_hash == sha256_hex(value)
        assert row.prefix == value[:12]
        assert row.expires_at is not None
        assert row.created_by is not None
    later = client.get("/orgs/uni/members")
    assert value not in later.text
    assert value[:12] in later.text
    assert client.post("/credentials/issue", headers={"Authorization": f"Bearer {value}"}).json() == {
        "organisation": "uni"
    }


def test_token_form_errors_sit_next_to_their_fields(client: TestClient) -> None:
    csrf = sign_in(client)
    no_scope = client.post("/orgs/uni/tokens", data={"csrf_token": csrf, "name": "SIS"})
    assert no_scope.status_code == 400
    assert 'id="token-scopes-error"' in no_scope.text
    bad_days = client.post(
        "/orgs/uni/tokens", data={"csrf_token": csrf, "name": "SIS", "scopes": "credentials:read", "expires_days": "-3"}
    )
    assert bad_days.status_code == 400
    assert 'aria-describedby="token-days-hint token-days-error"' in bad_days.text
    assert 'value="SIS"' in bad_days.text


def test_a_revoked_token_stops_working(client: TestClient, service: AccountService) -> None:
    csrf = sign_in(client)
    new = service.create_token(organisation="uni", name="SIS", scopes=["credentials:issue"])
    other = service.create_token(organisation="other", name="theirs", scopes=["credentials:issue"])
    assert client.post(f"/orgs/uni/tokens/{other.info.id}/revoke", data={"csrf_token": csrf}).status_code == 404
    revoked = client.post(f"/orgs/uni/tokens/{new.info.id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 303
    assert revoked.headers["location"] == "/orgs/uni/members?done=revoked"
    answer = client.post("/credentials/issue", headers={"Authorization": f"Bearer {new.token}"})
    assert answer.status_code == 401
    assert answer.json()["error"] == "the API token has been revoked"
    assert client.post("/credentials/issue", headers={"Authorization": f"Bearer {other.token}"}).status_code == 200


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Basic dXNlcjpwYXNz", "Bearer cairn_wrong", "Bearer " + "x" * 300],
)
def test_missing_or_wrong_bearer_tokens_get_401_in_the_json_shape(client: TestClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    answer = client.post("/credentials/issue", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith('Bearer realm="cairn"')
    body = answer.json()
    assert body["ok"] is False
    assert body["status"] == 401
    assert body["error"]


def test_expired_tokens_get_401_and_missing_scopes_403(
    client: TestClient, service: AccountService, clock: FixedClock
) -> None:
    expiring = service.create_token(
        organisation="uni", name="short", scopes=["credentials:issue"], expires_at=clock() + timedelta(hours=1)
    )
    reader = service.create_token(organisation="uni", name="reader", scopes=["credentials:read"])
    clock.advance(hours=1)
    expired = client.post("/credentials/issue", headers={"Authorization": f"Bearer {expiring.token}"})
    assert expired.status_code == 401
    assert 'error="invalid_token"' in expired.headers["www-authenticate"]
    assert expired.json() == {"ok": False, "error": "the API token has expired", "status": 401}
    scoped = client.post("/credentials/issue", headers={"Authorization": f"Bearer {reader.token}"})
    assert scoped.status_code == 403
    assert 'error="insufficient_scope"' in scoped.headers["www-authenticate"]


def test_a_link_asked_for_with_a_next_page_leads_there_and_only_to_local_pages(
    client: TestClient, service: AccountService
) -> None:
    token = csrf_of(client.get("/sign-in").text)
    data = {"email": "viewer@example.org", "next": "/orgs/uni/members?x=1", "csrf_token": token}
    assert client.post("/sign-in/link", data=data).status_code == 200
    with service.database.transaction() as s:
        body = s.scalars(select(OutboxRow.body_text).order_by(OutboxRow.id.desc())).first() or ""
    assert "&next=/orgs/uni/members%3Fx%3D1" in body
    link = _emailed_token(service)
    landing = client.get(f"/sign-in/link?token={link}&next=/orgs/uni/members%3Fx%3D1")
    assert 'name="next" value="/orgs/uni/members?x=1"' in landing.text
    used = client.post(
        "/sign-in/link/use", data={"token": link, "next": "//evil.example/", "csrf_token": csrf_of(landing.text)}
    )
    assert used.status_code == 303
    assert used.headers["location"] == "/account"  # a next page elsewhere is never followed


# -- setting and changing one's own password --------------------------------------------------------


def _link_sign_in(service: AccountService, email: str, query: str = "") -> tuple[TestClient, str]:
    """A fresh browser signed in with an emailed link; its CSRF token."""
    service.request_sign_in_link(email=email, client="test")
    browser = TestClient(make_app(service), follow_redirects=False)
    link = _emailed_token(service)
    csrf = csrf_of(browser.get(f"/sign-in/link?token={link}").text)
    assert browser.post(f"/sign-in/link/use{query}", data={"token": link, "csrf_token": csrf}).status_code == 303
    return browser, csrf_of(browser.get("/account").text)


def _password_mails(database: Database, to: str) -> list[OutboxRow]:
    with database.transaction() as s:
        rows = s.scalars(select(OutboxRow).where(OutboxRow.to_address == to).order_by(OutboxRow.id))
        return [r for r in rows if r.subject == "Your Cairn password was changed"]


def test_right_after_a_link_sign_in_a_password_can_be_set(
    service: AccountService, sqlite_database: Database, clock: FixedClock
) -> None:
    elsewhere, _ = _link_sign_in(service, "stranger@example.org")
    browser, csrf = _link_sign_in(service, "stranger@example.org")
    page = browser.get("/account").text
    assert '<label for="new-password">New password (at least 10 characters)</label>' in page
    assert '<label for="again-password">' in page
    assert 'id="current-password"' not in page  # there is none to give
    assert 'autocomplete="new-password"' in page
    assert "Set password" in page
    data = {"new": "a brand new password", "again": "another password", "csrf_token": csrf}
    mismatch = browser.post("/account/password", data=data)
    assert mismatch.status_code == 400
    assert 'id="again-password-error"' in mismatch.text
    assert 'aria-invalid="true"' in mismatch.text
    assert "The two new passwords are not the same." in mismatch.text
    short = browser.post("/account/password", data={**data, "new": "short", "again": "short"})
    assert "A password needs 10 to 1024 characters." in short.text
    assert browser.post("/account/password", data={**data, "csrf_token": "forged"}).status_code == 403
    clock.advance(minutes=14)
    done = browser.post("/account/password", data={**data, "again": data["new"]})
    assert done.status_code == 303
    assert done.headers["location"] == "/account?done=password-set"
    assert "Your password is set." in browser.get(done.headers["location"]).text
    assert elsewhere.get("/account").status_code == 303  # the other session ended
    assert browser.get("/account").status_code == 200  # this one goes on
    (mail,) = _password_mails(sqlite_database, "stranger@example.org")
    assert "a brand new password" not in mail.body_text
    with sqlite_database.transaction() as s:
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "account.password")))
        assert [e.details.get("by") for e in entries] == [None, None, "self"]  # the fixture's two, then this
    assert service.sign_in(email="stranger@example.org", password="a brand new password", client="c")


def test_a_password_is_not_set_long_after_the_link_sign_in(
    service: AccountService, sqlite_database: Database, clock: FixedClock
) -> None:
    browser, csrf = _link_sign_in(service, "stranger@example.org")
    clock.advance(minutes=16)
    page = browser.get("/account").text
    assert "sign in again with an emailed link" in page
    assert 'name="new"' not in page
    data = {"new": "a brand new password", "again": "a brand new password", "csrf_token": csrf}
    refused = browser.post("/account/password", data=data)
    assert refused.status_code == 403
    assert "first sign in again with an emailed link" in refused.text
    account = service.find_account("stranger@example.org")
    assert account is not None
    assert not account.has_password
    assert _password_mails(sqlite_database, "stranger@example.org") == []


def test_changing_a_password_needs_the_current_one(
    client: TestClient, service: AccountService, sqlite_database: Database
) -> None:
    other = TestClient(make_app(service), follow_redirects=False)
    sign_in(other)
    csrf = sign_in(client)
    page = client.get("/account").text
    assert '<label for="current-password">Current password</label>' in page
    assert "Change password" in page
    data = {"current": "not my password", "new": "a brand new password", "again": "a brand new password"}
    wrong = client.post("/account/password", data={**data, "csrf_token": csrf})
    assert wrong.status_code == 401
    assert 'id="current-password-error"' in wrong.text
    assert "The current password is not right." in wrong.text
    assert other.get("/account").status_code == 200
    assert _password_mails(sqlite_database, "owner@example.org") == []
    done = client.post("/account/password", data={**data, "current": PASSWORD, "csrf_token": csrf})
    assert done.headers["location"] == "/account?done=password-changed"
    assert other.get("/account").status_code == 303
    assert client.get("/account").status_code == 200
    assert len(_password_mails(sqlite_database, "owner@example.org")) == 1


def test_password_changes_are_throttled(client: TestClient) -> None:
    csrf = sign_in(client)  # a successful sign-in resets the count (3 attempts here)
    data = {"current": "guess guess", "new": "a brand new password", "again": "a brand new password"}
    for _ in range(3):
        assert client.post("/account/password", data={**data, "csrf_token": csrf}).status_code == 401
    blocked = client.post("/account/password", data={**data, "current": PASSWORD, "csrf_token": csrf})
    assert blocked.status_code == 429
    assert blocked.headers["retry-after"]


# -- Polish pages -------------------------------------------------------------------------------------


def test_service_messages_are_in_polish_on_polish_pages(client: TestClient, service: AccountService) -> None:
    page = client.get("/sign-in?lang=pl").text
    assert 'action="/sign-in?lang=pl"' in page
    token = csrf_of(page)
    wrong = client.post("/sign-in?lang=pl", data={"email": "owner@example.org", "password": "x", "csrf_token": token})
    assert "Nieprawidłowy adres e-mail lub hasło." in wrong.text
    empty = client.post("/sign-in?lang=pl", data={"email": "", "password": "", "csrf_token": token})
    assert "Wpisz hasło albo poproś poniżej o link logowania." in empty.text
    bad = client.post("/sign-in/link?lang=pl", data={"email": "not an address", "csrf_token": token})
    assert "Wpisz adres e-mail, na przykład imie@example.org." in bad.text
    used = client.post("/sign-in/link/use?lang=pl", data={"token": "nothing", "csrf_token": token})
    assert used.status_code == 400
    assert "Ten link logowania jest nieważny" in used.text
    assert "Wylogowano." in client.get("/sign-in?lang=pl&done=signed-out").text
    browser, csrf = _link_sign_in(service, "stranger@example.org")
    page = browser.get("/account?lang=pl").text
    assert "Nowe hasło (co najmniej 10 znaków)" in page
    assert "Ustaw hasło" in page
    assert 'action="/account/password?lang=pl"' in page
    data = {"new": "a brand new password", "again": "something else", "csrf_token": csrf}
    assert "Oba nowe hasła nie są takie same." in browser.post("/account/password?lang=pl", data=data).text
    done = browser.post("/account/password?lang=pl", data={**data, "again": data["new"]})
    assert done.headers["location"] == "/account?done=password-set&lang=pl"
    assert "Hasło zostało ustawione." in browser.get(done.headers["location"]).text


def test_error_text_translates_messages_with_numbers() -> None:
    assert render.error_text("pl", TooManyAttemptsError(61)) == "Zbyt wiele prób. Spróbuj ponownie za 2 min."
    message = InputError("a password needs %(min)s to %(max)s characters", min=10, max=1024)  # as the service raises it
    assert message.message == "a password needs 10 to 1024 characters"
    assert render.error_text("pl", message) == "Hasło musi mieć od 10 do 1024 znaków."
    assert render.error_text("en", message) == "A password needs 10 to 1024 characters."
