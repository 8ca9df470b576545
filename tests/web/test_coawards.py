"""Co-awarding requests over HTTP: the named organisation's owners accept or decline (CSRF, owners only, English
and Polish); the lead's award form refuses, naming the organisation, until it has accepted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container
from cairn.model.definitions import MicroCredentialDefinition
from cairn.store.database import Database
from cairn.web.app import create_app
from tests.factories import PASSWORD, FixedClock, make_container
from tests.helpers import audit, csrf_of, sign_in

UM, SB = "uniwersytet-mazowiecki", "skillbridge-europe"
REQUESTS = f"/orgs/{SB}/co-awards"
PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"


@pytest.fixture
def container(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    built = make_container(sqlite_database, clock, examples)
    for organisation, email, role in (
        (UM, "lead@example.org", "owner"),
        (SB, "owner@example.org", "owner"),
        (SB, "issuer@example.org", "issuer"),
    ):
        built.accounts.add_member(organisation=organisation, email=email, role=role, notify=False)
        built.accounts.set_password(email=email, password=PASSWORD)
    joint = MicroCredentialDefinition.model_validate(
        {
            "id": "um-joint",
            "title": {"en": "Joint data cleaning", "pl": "Wspólne czyszczenie danych"},
            "awarding_bodies": [UM, SB],
            "learning_outcomes": [{"text": {"en": "Cleans data sets with pandas."}, "esco_skills": [PYTHON]}],
            "workload": {"ects": 2},
            "level": {"eqf": 6},
            "assessment": {"types": ["project"]},
            "participation": {"mode": "online"},
            "quality_assurance": {"types": ["internal"]},
        }
    )
    built.editing.save(organisation=UM, definition=joint, actor="account:1", create=True)
    return built


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


def award_form(client: TestClient) -> tuple[int, str]:
    csrf = sign_in(client, "lead@example.org")
    answer = client.post(
        f"/orgs/{UM}/awards/new",
        data={"csrf_token": csrf, "definition": "um-joint", "email": "ada@example.org", "name": "Ada"},
    )
    return answer.status_code, answer.text


def test_attack_the_lead_cannot_award_before_the_co_awarder_accepts(client: TestClient, container: Container) -> None:
    status, page = award_form(client)
    assert status == 409
    refusal = "Micro-credential: &#39;um-joint&#39; cannot be awarded until every co-awarding body accepts"
    assert f"{refusal}; still to accept: {SB}." in page
    catalogue = client.get(f"/orgs/{UM}/catalogue").text
    assert '<span class="tag">has not accepted</span>' in catalogue

    csrf = sign_in(client, "owner@example.org")
    page = client.get(REQUESTS).text
    assert "1 request waits for your answer." in page
    assert 'aria-label="Accept co-awarding Joint data cleaning"' in page
    assert client.post(f"{REQUESTS}/um-joint/accept", data={}).status_code == 403  # no CSRF token
    accepted = client.post(f"{REQUESTS}/um-joint/accept", data={"csrf_token": csrf})
    assert accepted.status_code == 303
    page = client.get(accepted.headers["location"]).text
    assert 'role="status"' in page
    assert "You accepted: SkillBridge Europe GmbH co-awards “Joint data cleaning”" in page
    assert "0 requests wait for your answer." in page
    assert [e.action for e in audit(container.database) if e.action.startswith("coaward.")] == [
        "coaward.request",
        "coaward.accept",
    ]

    status, page = award_form(client)
    assert status == 201, page


def test_only_the_co_awarders_owners_answer(client: TestClient) -> None:
    sign_in(client, "issuer@example.org")
    assert client.get(REQUESTS).status_code == 403  # a member, but not an owner
    csrf = sign_in(client, "lead@example.org")
    assert client.get(REQUESTS).status_code == 404  # not a member of the co-awarding organisation
    assert client.post(f"{REQUESTS}/um-joint/accept", data={"csrf_token": csrf}).status_code == 404
    assert client.get(f"/orgs/{UM}/co-awards").text.count("um-joint") == 0  # the lead is never asked
    sign_in(client, "owner@example.org")
    assert "/orgs/skillbridge-europe/co-awards" in client.get("/account").text


def test_declining_in_polish(client: TestClient) -> None:
    sign_in(client, "owner@example.org")
    page = client.get(f"{REQUESTS}?lang=pl").text
    assert '<html lang="pl">' in page
    assert "Prośby o współprzyznawanie do" in page
    assert "1 prośba czeka na Twoją odpowiedź." in page
    assert "Wspólne czyszczenie danych" in page
    csrf = csrf_of(page)
    declined = client.post(f"{REQUESTS}/um-joint/decline?lang=pl", data={"csrf_token": csrf})
    assert declined.status_code == 303
    assert "lang=pl" in declined.headers["location"]
    page = client.get(declined.headers["location"]).text
    assert "Odmowa zapisana: „Wspólne czyszczenie danych”" in page
    assert re.search(r'<strong class="co-award-declined">Odmowa</strong>', page)
    assert "Zgadzam się" in page  # the answer can be changed
    status, refused = award_form(client)
    assert status == 409
    assert f"still to accept: {SB}" in refused
