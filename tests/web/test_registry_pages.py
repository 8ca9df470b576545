"""Registry pages on SQLite and PostgreSQL: who may accredit and change statuses (operators and owners of the
organisation), the accreditation form's checks, status changes with reasons, trust anchors for administrators,
CSRF, and Polish."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cairn.bootstrap import Container
from cairn.store.database import Database
from cairn.store.tables import AccreditationRow, AuditEntry
from cairn.web.app import create_app
from tests.factories import ORG, PASSWORD, FixedClock
from tests.helpers import csrf_of
from tests.trust_network import AGENCY, MINISTRY, Network

BASE = f"/orgs/{AGENCY}/registry"
MEMBERS = (
    (AGENCY, "owner@example.org", "owner"),
    (AGENCY, "operator@example.org", "operator"),
    (AGENCY, "issuer@example.org", "issuer"),
    (AGENCY, "viewer@example.org", "viewer"),
    (MINISTRY, "minister@example.org", "owner"),
)
ADMIN = "admin@example.org"
GOOD = {
    "kind": "issuer",
    "legal_name": "Politechnika Przykładowa",
    "country": "pl",
    "dids": "did:web:poli.example\ndid:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
    "certificates": "",
    "national": "KRS 0000123456",
    "vat": "PL5260250995",
    "lei": "259400DZXF7UJKK2AY35",
    "eidas": "",
    "isced": "06, 0613",
    "nqf": "pl-6",
    "types": "MicroCredential",
    "valid_from": "2026-06-01",
    "valid_until": "2029-05-31",
    "evidence_name": "Decision 40/2026",
    "evidence_url": "https://agency.example/decisions/40",
}


@pytest.fixture
def members(container: Container, network: Network) -> Network:
    """The network, with members of each role and an administrator who sign in with :data:`PASSWORD`."""
    for organisation, email, role in MEMBERS:
        container.accounts.add_member(organisation=organisation, email=email, role=role, notify=False)
        container.accounts.set_password(email=email, password=PASSWORD)
    container.accounts.create_account(email=ADMIN, password=PASSWORD, is_admin=True)
    return network


@pytest.fixture
def client(container: Container, members: Network) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


def sign_in(client: TestClient, email: str) -> str:
    """Sign in through the pages; the session's CSRF token."""
    client.cookies.clear()
    token = csrf_of(client.get("/sign-in").text)
    answer = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/account").text)


def field_error(page: str, key: str) -> str:
    found = re.search(rf'<span class="field-error" id="{re.escape(key)}-error">([^<]*)</span>', page)
    assert found, f"no error at {key}"
    return html.unescape(found.group(1))


def accreditations(database: Database) -> list[AccreditationRow]:
    with database.transaction() as session:
        return list(session.scalars(select(AccreditationRow)))


def audit_actions(database: Database) -> list[tuple[str, str]]:
    with database.transaction() as session:
        return [(e.actor, e.action) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def short(accreditation_id: str) -> str:
    return accreditation_id.removeprefix("urn:uuid:")


# -- who may do what -----------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient, network: Network) -> None:
    detail = f"{BASE}/{short(network.issuer)}"
    for path in (BASE, f"{BASE}/new", detail, f"{detail}/credential", "/admin/trust-anchors"):
        answer = client.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/sign-in?next="), path
    assert client.post(f"{BASE}/new", data=GOOD).status_code == 303
    assert client.post(f"{detail}/suspend", data={"reason": "x"}).status_code == 303


def test_viewers_and_issuers_may_not_see_or_change_the_registry(
    client: TestClient, network: Network, database: Database
) -> None:
    before = len(accreditations(database))
    detail = f"{BASE}/{short(network.issuer)}"
    for email in ("viewer@example.org", "issuer@example.org"):
        csrf = sign_in(client, email)
        for path in (BASE, f"{BASE}/new", detail, f"{detail}/credential"):
            assert client.get(path).status_code == 403, (email, path)
        assert client.post(f"{BASE}/new", data={**GOOD, "csrf_token": csrf}).status_code == 403
        for action in ("suspend", "withdraw", "reinstate"):
            data = {"csrf_token": csrf, "reason": "because", "confirm": "yes"}
            assert client.post(f"{detail}/{action}", data=data).status_code == 403, (email, action)
    assert len(accreditations(database)) == before
    assert all(row.status == "active" for row in accreditations(database))


def test_another_organisations_operators_get_nothing(client: TestClient, network: Network) -> None:
    csrf = sign_in(client, "minister@example.org")
    detail = f"{BASE}/{short(network.issuer)}"
    assert client.get(BASE).status_code == 404
    assert client.get(detail).status_code == 404
    assert client.post(f"{detail}/suspend", data={"csrf_token": csrf, "reason": "mine now"}).status_code == 404
    # the ministry's own registry does not show the agency's accreditation either
    assert client.get(f"/orgs/{MINISTRY}/registry/{short(network.issuer)}").status_code == 404
    assert client.get(f"/orgs/{MINISTRY}/registry/{short(network.body)}").status_code == 200


def test_posts_without_the_csrf_token_are_refused(client: TestClient, network: Network, database: Database) -> None:
    sign_in(client, "operator@example.org")
    before = len(accreditations(database))
    assert client.post(f"{BASE}/new", data=GOOD).status_code == 403
    assert client.post(f"{BASE}/new", data={**GOOD, "csrf_token": "forged"}).status_code == 403
    detail = f"{BASE}/{short(network.issuer)}"
    assert client.post(f"{detail}/suspend", data={"reason": "no token"}).status_code == 403
    assert len(accreditations(database)) == before
    assert all(row.status == "active" for row in accreditations(database))


# -- the registry and accrediting ------------------------------------------------------------------------------


def test_the_registry_lists_what_the_organisation_accredited(client: TestClient, network: Network) -> None:
    sign_in(client, "operator@example.org")
    page = client.get(BASE)
    assert page.status_code == 200
    text = page.text
    assert "Uniwersytet Mazowiecki" in text
    assert "ISCED-F 061" in text
    assert "status-valid" in text
    assert f'href="{BASE}/{short(network.issuer)}"' in text
    # its own standing: the ministry vouches for the agency
    assert "Vouched for today" in text
    assert "https://cairn.example/registries/qa-agency/trust-list" in text


def test_an_owner_accredits_through_the_form_and_it_is_audited(
    client: TestClient, container: Container, network: Network, database: Database
) -> None:
    csrf = sign_in(client, "owner@example.org")
    assert client.get(f"{BASE}/new").status_code == 200
    answer = client.post(f"{BASE}/new", data={**GOOD, "eqf": ["6", "7"], "csrf_token": csrf})
    assert answer.status_code == 303, answer.text
    target = answer.headers["location"]
    assert target.endswith("?done=accredited")
    stored = container.registry.get("urn:uuid:" + target.split("/")[-1].split("?")[0])
    made = stored.accreditation
    assert stored.registry == AGENCY
    assert made.kind == "issuer"
    assert made.subjects == ("did:web:poli.example", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
    assert made.identity.country == "PL"
    assert made.identity.identifiers == (
        ("national", "KRS 0000123456"),
        ("vat", "PL5260250995"),
        ("lei", "259400DZXF7UJKK2AY35"),
    )
    assert made.scope.isced == ("06", "0613")
    assert made.scope.eqf == (6, 7)
    assert made.scope.nqf == ("PL-6",)
    assert made.scope.types == ("MicroCredential",)
    assert made.valid_from.isoformat() == "2026-06-01T00:00:00+00:00"
    assert made.valid_until is not None
    assert made.valid_until.isoformat() == "2029-05-31T23:59:59+00:00"
    assert made.evidence[0].url == "https://agency.example/decisions/40"
    owner = container.accounts.find_account("owner@example.org")
    assert owner is not None
    assert (owner.actor, "registry.accredit") in audit_actions(database)
    page = client.get(target)
    assert page.status_code == 200
    assert "The organisation is accredited" in page.text
    assert "EQF 6-7 PL-6 in ISCED-F 06, 0613 (MicroCredential)" in page.text


PROBLEMS: list[tuple[dict[str, str], str, str]] = [
    ({"kind": "root"}, "kind", "as an issuer or as a body"),
    ({"legal_name": "  "}, "legal_name", "legal name"),
    ({"legal_name": "x" * 501}, "legal_name", "at most 500"),
    ({"country": "Poland"}, "country", "two-letter code"),
    ({"dids": "", "certificates": ""}, "dids", "at least one DID"),
    ({"dids": "did:web:ok.example\nUniwersytet"}, "dids", "DID number 2 is not a DID"),
    ({"certificates": "12:34"}, "certificates", "not a SHA-256 fingerprint"),
    ({"dids": "\n".join(f"did:key:z{i}" for i in range(21))}, "dids", "at most 20"),
    ({"lei": "NOT-AN-LEI"}, "lei", "20 characters"),
    ({"isced": "6, ict"}, "isced", "2 to 4 digits"),
    ({"nqf": "level five"}, "nqf", "PL-5"),
    ({"types": "Micro Credential!"}, "types", "single words"),
    ({"valid_from": "01/06/2026"}, "valid_from", "year-month-day"),
    ({"valid_until": "2026-05-01"}, "valid_until", "end after it starts"),
    ({"evidence_url": "http://agency.example"}, "evidence_url", "https://"),
    ({"evidence_name": ""}, "evidence_name", "Name the evidence"),
    ({"national": "line\u0000break"}, "national", "control characters"),
]
"""A form change, the field it is wrong in, and what the page must say there."""


def test_problems_are_shown_next_to_their_field_and_nothing_is_stored(
    client: TestClient, network: Network, database: Database
) -> None:
    """Every problem in one signed-in session (one app per storage backend: the cases share it, none stores)."""
    csrf = sign_in(client, "operator@example.org")
    before = len(accreditations(database))
    for changes, field, says in PROBLEMS:
        answer = client.post(f"{BASE}/new", data={**GOOD, **changes, "csrf_token": csrf})
        assert answer.status_code == 400, changes
        assert says in field_error(answer.text, field), changes
        assert f'href="#{field}"' in answer.text, changes  # the error summary links to the field
        assert 'aria-invalid="true"' in answer.text or field in ("kind",), changes
    assert len(accreditations(database)) == before


def test_eqf_levels_outside_one_to_eight_are_refused(client: TestClient, network: Network) -> None:
    csrf = sign_in(client, "operator@example.org")
    answer = client.post(f"{BASE}/new", data={**GOOD, "eqf": ["5", "9"], "csrf_token": csrf})
    assert answer.status_code == 400
    assert "1 to 8" in field_error(answer.text, "eqf")
    assert 'id="eqf-5" name="eqf" value="5" checked' in answer.text  # what was ticked stays ticked


def test_an_organisation_cannot_accredit_itself(client: TestClient, container: Container, network: Network) -> None:
    csrf = sign_in(client, "operator@example.org")
    answer = client.post(f"{BASE}/new", data={**GOOD, "dids": network.agency_did, "csrf_token": csrf})
    assert answer.status_code == 400
    assert field_error(answer.text, "dids") == "Error: An organisation cannot accredit itself."


# -- one accreditation ---------------------------------------------------------------------------------------------


def test_the_accreditation_page_shows_its_chain_history_and_credential(
    client: TestClient, container: Container, network: Network
) -> None:
    sign_in(client, "operator@example.org")
    detail = f"{BASE}/{short(network.issuer)}"
    page = client.get(detail)
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "In the trust network today" in text
    assert "Uniwersytet Mazowiecki, accredited as an issuer by Quality Agency for ISCED-F 061" in text
    agency = "Quality Agency, accredited as an accreditation body by Ministry of Science for EQF 5-6 in ISCED-F 06"
    assert agency in text
    assert "REGON 012345678" in text
    assert "Decision 12/2026" in text
    download = client.get(f"{detail}/credential")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/vc"
    assert "attachment" in download.headers["content-disposition"]
    assert container.verification.verify(download.json()).verified


def test_suspend_reinstate_and_withdraw_with_reasons(
    client: TestClient, container: Container, network: Network, database: Database, clock: FixedClock
) -> None:
    csrf = sign_in(client, "operator@example.org")
    detail = f"{BASE}/{short(network.issuer)}"
    missing = client.post(f"{detail}/suspend", data={"csrf_token": csrf, "reason": "   "})
    assert missing.status_code == 400
    assert "Say why" in field_error(missing.text, "suspend-reason")
    clock.advance(hours=1)
    done = client.post(f"{detail}/suspend", data={"csrf_token": csrf, "reason": "annual review"})
    assert done.status_code == 303
    assert done.headers["location"].endswith("?done=suspended")
    page = client.get(done.headers["location"]).text
    assert "The accreditation is suspended" in page
    assert "annual review" in page
    assert container.registry.get(network.issuer).accreditation.status == "suspended"
    clock.advance(hours=1)
    assert client.post(f"{detail}/reinstate", data={"csrf_token": csrf, "reason": ""}).status_code == 400
    assert client.post(f"{detail}/reinstate", data={"csrf_token": csrf, "reason": "review passed"}).status_code == 303
    assert container.registry.get(network.issuer).accreditation.status == "active"
    unconfirmed = client.post(f"{detail}/withdraw", data={"csrf_token": csrf, "reason": "closed down"})
    assert unconfirmed.status_code == 400
    assert "cannot be undone" in field_error(unconfirmed.text, "withdraw-confirm")
    clock.advance(hours=1)
    withdrawn = client.post(f"{detail}/withdraw", data={"csrf_token": csrf, "reason": "closed down", "confirm": "yes"})
    assert withdrawn.status_code == 303
    history = container.registry.get(network.issuer).accreditation.history
    assert [(c.status, c.reason) for c in history] == [
        ("suspended", "annual review"),
        ("active", "review passed"),
        ("withdrawn", "closed down"),
    ]
    again = client.post(f"{detail}/suspend", data={"csrf_token": csrf, "reason": "too late"})
    assert again.status_code == 409
    assert "withdrawn" in field_error(again.text, "change-status")
    actions = [action for _, action in audit_actions(database)]
    assert actions[-3:] == ["registry.suspended", "registry.active", "registry.withdrawn"]
    assert client.post(f"{detail}/delete", data={"csrf_token": csrf, "reason": "x"}).status_code == 404


# -- trust anchors ---------------------------------------------------------------------------------------------


def test_only_administrators_choose_trust_anchors(client: TestClient, network: Network) -> None:
    csrf = sign_in(client, "owner@example.org")
    assert client.get("/admin/trust-anchors").status_code == 403
    assert client.post("/admin/trust-anchors", data={"csrf_token": csrf, "organisation": ORG}).status_code == 403
    data = {"csrf_token": csrf, "did": network.ministry_did}
    assert client.post("/admin/trust-anchors/remove", data=data).status_code == 403


def test_an_administrator_adds_and_removes_a_trust_anchor(
    client: TestClient, container: Container, network: Network, database: Database
) -> None:
    csrf = sign_in(client, ADMIN)
    account = client.get("/account").text  # an administrator finds both trust pages from the account page
    assert '<a href="/admin/trust-anchors">' in account
    assert '<a href="/admin/federation">' in account
    page = client.get("/admin/trust-anchors")
    assert page.status_code == 200
    assert "Ministry of Science" in page.text
    assert network.ministry_did in page.text
    assert client.post("/admin/trust-anchors", data={"organisation": ORG}).status_code == 403  # no CSRF token
    refused = client.post("/admin/trust-anchors", data={"csrf_token": csrf, "organisation": "nowhere"})
    assert refused.status_code == 400
    assert "Choose one of this instance's organisations" in field_error(refused.text, "organisation")
    added = client.post("/admin/trust-anchors", data={"csrf_token": csrf, "organisation": ORG})
    assert added.status_code == 303
    assert container.keys.did(ORG) in dict(container.registry.anchors())
    removed = client.post("/admin/trust-anchors/remove", data={"csrf_token": csrf, "did": network.ministry_did})
    assert removed.status_code == 303
    assert network.ministry_did not in dict(container.registry.anchors())
    unknown = client.post("/admin/trust-anchors/remove", data={"csrf_token": csrf, "did": "did:key:z6MkNobody"})
    assert unknown.status_code == 400
    actions = [action for _, action in audit_actions(database)]
    assert actions[-2:] == ["registry.anchor", "registry.unanchor"]
    account = client.get("/account").text
    assert 'href="/admin/trust-anchors"' in account


# -- Polish ------------------------------------------------------------------------------------------------------


def test_the_pages_and_their_errors_speak_polish(client: TestClient, network: Network) -> None:
    csrf = sign_in(client, "operator@example.org")
    page = client.get(f"{BASE}?lang=pl").text
    assert '<html lang="pl">' in page
    assert "Rejestr" in page
    form = client.get(f"{BASE}/new?lang=pl").text
    assert "Akredytuj" in form
    answer = client.post(f"{BASE}/new?lang=pl", data={**GOOD, "country": "Polska", "csrf_token": csrf})
    assert answer.status_code == 400
    assert "dwuliterowy" in field_error(answer.text, "country")
    detail = client.get(f"{BASE}/{short(network.issuer)}?lang=pl").text
    assert "Historia statusu" in detail
