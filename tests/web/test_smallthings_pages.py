"""Issue #14's small things over HTTP: an award's validity and renewal (issuers only, CSRF), draft definitions
(hidden, not awardable, published by an action) and the editor's "Award it" after saving, with a validity."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from cairn.bootstrap import Container, build
from cairn.model.awards import Recipient
from cairn.services.accounts.service import AccountService
from cairn.settings import Settings
from cairn.store.catalog.repository import DefinitionRepository
from cairn.store.database import Database
from tests.factories import FixedClock
from tests.helpers import csrf_of, sign_in

PASSWORD = "correct horse battery"
UM = "uniwersytet-mazowiecki"
DEFINITION = "um-python-data-analysis"
BASE = f"/orgs/{UM}/awards"
EMAIL = "ada@example.org"
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"


def valid_form(csrf: str, **changes: Any) -> dict[str, Any]:
    """The editor's form for a new micro-credential with every mandatory element, as it posts it."""
    data: dict[str, Any] = {
        "csrf_token": csrf,
        "action": "save",
        "outcome_rows": "3",
        "target_rows": "1",
        "id": "um-data-cleaning",
        "title.en": "Data cleaning",
        "title.pl": "Czyszczenie danych",
        "learning_outcomes.0.text.en": "Cleans data sets with pandas.",
        "learning_outcomes.0.esco_skills": [PYTHON],
        "workload.ects": "2",
        "level.eqf": "6",
        "assessment.types": ["project"],
        "participation.mode": "online",
        "quality_assurance.types": ["internal"],
        "integration.stackability": "stand-alone",
    }
    return data | changes


@pytest.fixture
def container(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    settings = Settings(database_url="sqlite://", secret_key="k" * 48, base_url="https://cairn.example")
    built = build(settings, clock=clock, database=sqlite_database)
    built.catalog.import_paths([examples])
    with sqlite_database.transaction() as session:
        repo = DefinitionRepository(session)
        definition = repo.get(DEFINITION).definition
        repo.save(definition.model_copy(update={"validity_months": 6}), now=clock())
    accounts = AccountService(sqlite_database, clock=clock, password_hasher=FAST)
    for email, role in (("issuer@example.org", "issuer"), ("viewer@example.org", "viewer")):
        accounts.add_member(organisation=UM, email=email, role=role)
        accounts.set_password(email=email, password=PASSWORD)
    return dataclasses.replace(built, accounts=accounts)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    from cairn.web.app import create_app

    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


def test_the_award_page_shows_expiry_and_renews(client: TestClient, container: Container, clock: FixedClock) -> None:
    award = container.issuing.award(DEFINITION, Recipient(email=EMAIL, name="Ada"), actor="t", organisation=UM)
    url = f"{BASE}/{award.award_id}"
    sign_in(client, "viewer@example.org", PASSWORD)
    page = client.get(url).text
    assert '<time datetime="2026-11-04T09:30:00Z">4 November 2026</time>' in page
    assert "/renew" not in page  # a viewer cannot renew
    token = csrf_of(page)
    assert client.post(f"{url}/renew", data={"email": EMAIL, "csrf_token": token}).status_code == 403

    clock.now += timedelta(days=200)
    token = sign_in(client, "issuer@example.org", PASSWORD)
    page = client.get(url + "?lang=pl").text
    assert "wygasłe" in page, page[page.find("<main") :][:3000]  # expired, in Polish
    assert client.post(f"{url}/renew", data={"email": EMAIL}).status_code == 403  # no CSRF token
    wrong = client.post(f"{url}/renew", data={"email": "eve@example.org", "csrf_token": token})
    assert wrong.status_code == 400
    assert "not the one this award was given to" in wrong.text
    done = client.post(f"{url}/renew", data={"email": EMAIL, "csrf_token": token})
    assert done.status_code == 303
    target = done.headers["location"]
    assert target.endswith("?done=renewed")
    new_id = re.search(r"/awards/([0-9a-f-]{36})", target)
    assert new_id is not None
    assert new_id.group(1) != award.award_id
    page = client.get(target).text
    assert f'href="{BASE}/{award.award_id}"' in page  # "Renews": a link back to the old award
    assert "The award is renewed" in page
    assert "expired" not in page
    old = client.get(url).text
    assert f'href="{BASE}/{new_id.group(1)}"' in old  # "Renewed by"
    assert 'action="' + url + '/renew"' not in old  # renewed once: the page links to the renewal instead


def test_a_new_definition_is_a_draft_until_published_and_then_offers_to_award_it(
    client: TestClient, container: Container
) -> None:
    token = sign_in(client, "issuer@example.org", PASSWORD)
    catalogue = f"/orgs/{UM}/catalogue"
    saved = client.post(f"{catalogue}/new", data=valid_form(token, validity_months="24"))
    assert saved.status_code == 303
    edit = client.get(saved.headers["location"]).text
    assert 'id="draft"' in edit
    assert 'id="award-next"' not in edit  # a draft cannot be awarded: no award link
    draft = "um-data-cleaning"
    assert container.catalog.entry(draft, drafts=True).definition.validity_months == 24
    assert f"/micro-credentials/{draft}" not in client.get("/").text
    assert client.get(f"/api/v1/micro-credentials/{draft}").status_code == 404
    member = client.get(f"/micro-credentials/{draft}")  # a member is sent to the preview
    assert member.status_code == 303
    assert member.headers["location"] == f"{catalogue}/{draft}/preview"
    listing = client.get(catalogue).text
    assert f'action="{catalogue}/{draft}/publish"' in listing
    assert f"awards/new?definition={draft}" not in listing
    assert f'value="{draft}"' not in client.get(f"{BASE}/new").text  # not among the awardable
    refused = client.post(f"{BASE}/new", data={"definition": draft, "email": EMAIL, "csrf_token": token})
    assert refused.status_code == 400  # the service refuses too (tests/services/test_drafts.py)
    assert "choose one from the list" in refused.text
    assert client.post(f"{catalogue}/{draft}/publish").status_code == 403  # no CSRF token

    client.cookies.clear()
    assert client.get(f"/micro-credentials/{draft}").status_code == 404  # nobody else sees it at all

    token = sign_in(client, "issuer@example.org", PASSWORD)
    published = client.post(f"{catalogue}/{draft}/publish", data={"csrf_token": token})
    assert published.status_code == 303
    page = client.get(published.headers["location"]).text
    assert "It is published" in page
    assert f'href="/orgs/{UM}/awards/new?definition={draft}"' in page  # "Award it" straight away
    assert f"/micro-credentials/{draft}" in client.get("/").text
    assert client.get(f"/micro-credentials/{draft}").status_code == 200


def test_save_and_publish_in_one_step_then_award_it(client: TestClient) -> None:
    token = sign_in(client, "issuer@example.org", PASSWORD)
    saved = client.post(f"/orgs/{UM}/catalogue/new", data=valid_form(token, action="save-publish"))
    assert saved.status_code == 303
    page = client.get(saved.headers["location"] + "&lang=pl").text
    assert 'id="draft"' not in page
    assert "Przyznaj je" in page  # "Award it", in Polish
    assert 'href="/orgs/uniwersytet-mazowiecki/awards/new?definition=um-data-cleaning"' in page
    form = client.get("/orgs/uniwersytet-mazowiecki/catalogue/um-data-cleaning/edit").text
    assert 'value="save-publish"' not in form  # published: one Save button
    assert client.get("/micro-credentials/um-data-cleaning").status_code == 200
