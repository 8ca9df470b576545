"""The award page shows an award's validity and renews it (issuers only, CSRF); bulk files with evidence."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

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
    assert '<time datetime="2026-11-04T09:30:00+00:00">4 November 2026</time>' in page
    assert "/renew" not in page  # a viewer cannot renew
    token = csrf_of(page)
    assert client.post(f"{url}/renew", data={"email": EMAIL, "csrf_token": token}).status_code == 403

    clock.now += timedelta(days=200)
    token = sign_in(client, "issuer@example.org", PASSWORD)
    page = client.get(url + "?lang=pl").text
    assert "wygasło" in page, page[page.find("<main") :][:3000]  # expired, in Polish
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
