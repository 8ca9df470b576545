"""The routes that record policy analytics: verifications by someone else are counted (the JSON API, the /verify
page, batches, share links; who by the token they carried), a wallet's own re-check is not, the counts are written
when the server stops; and /wallet/statistics lets a learner give, change and withdraw consent."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cairn.bootstrap import Container
from cairn.model.awards import Recipient
from cairn.services.wallet.statistics import LearnerAnswers
from cairn.store.analytics_tables import LearnerProfileRow, VerificationCountRow
from cairn.store.database import Database
from cairn.web.app import create_app
from tests.factories import (
    DEFINITION,
    ORG,
    PASSWORD,
    PUBLIC_URL,
    FixedClock,
    csrf_of,
    learner_with_credential,
    make_container,
)
from tests.helpers import new_link, rows, sign_in


@pytest.fixture
def container(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    return make_container(sqlite_database, clock, examples)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


def by_channel(container: Container) -> dict[tuple[str, str], int]:
    container.verification_counts.flush()
    found: dict[tuple[str, str], int] = {}
    for row in rows(container.database, VerificationCountRow):
        key = (row.channel, row.verifier_kind)
        found[key] = found.get(key, 0) + row.count
    return found


def test_each_way_of_verifying_counts_once(client: TestClient, container: Container) -> None:
    _, _, credential = learner_with_credential(container)
    token = container.accounts.create_token(
        organisation="skillbridge-europe", name="checks", scopes=("credentials:read",)
    ).token
    assert client.post("/credentials/verify", json={"verifiableCredential": credential}).status_code == 200
    answer = client.post(
        "/credentials/verify",
        json={"verifiableCredential": credential},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200
    assert client.post("/credentials/verify", json={"verifiableCredential": "not a jwt"}).status_code == 400
    assert client.post("/verify", data={"text": json.dumps(credential)}).status_code == 200
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("one.json", json.dumps(credential))
        zipped.writestr("two.json", json.dumps(credential))
    batch = client.post("/api/v1/verify/batch", files={"file": ("batch.zip", archive.getvalue(), "application/zip")})
    assert batch.status_code == 200, batch.text
    assert by_channel(container) == {
        ("api", "anonymous"): 1,  # the string that is no JWT was never verified
        ("api", "organisation"): 1,
        ("web", "anonymous"): 1,
        ("batch", "anonymous"): 2,
    }
    with container.database.transaction() as session:
        kinds = set(session.scalars(select(VerificationCountRow.verifier_type)))
    assert kinds == {None, "training-platform"}


def test_a_share_link_counts_and_the_owners_recheck_does_not(client: TestClient, container: Container) -> None:
    container.accounts.create_account(email="bob@example.org", password=PASSWORD)
    award = container.issuing.award(DEFINITION, Recipient(email="bob@example.org"), actor="test", organisation=ORG)
    credential = container.issuing.get(award.award_id, organisation=ORG).credential
    csrf = sign_in(client, "bob@example.org")
    imported = client.post("/wallet/import", data={"text": json.dumps(credential), "csrf_token": csrf})
    assert imported.status_code == 303, imported.text
    item = imported.headers["location"].split("?")[0].rsplit("/", 1)[-1]
    assert client.post(f"/wallet/{item}/recheck", data={"csrf_token": csrf}).status_code == 303
    assert client.get(f"/wallet/{item}").status_code == 200
    assert by_channel(container) == {}
    url = new_link(client, item, csrf)
    client.cookies.clear()
    assert client.get(url.removeprefix(PUBLIC_URL)).status_code == 200
    assert by_channel(container) == {("share-link", "anonymous"): 1}


def test_counts_left_in_memory_are_written_when_the_server_stops(container: Container) -> None:
    _, _, credential = learner_with_credential(container)
    with TestClient(create_app(container)) as client:
        client.post("/credentials/verify", json={"verifiableCredential": credential})
        assert container.verification_counts.pending() == 1
    assert container.verification_counts.pending() == 0
    assert [r.count for r in rows(container.database, VerificationCountRow)] == [1]


# -- /wallet/statistics -----------------------------------------------------------------------------------------

GIVEN = {
    "age_band": "25-34",
    "gender": "female",
    "education_level": "6",
    "employment_status": "employed",
    "country": "PL",
    "region": "PL-14",
}


def test_a_learner_gives_changes_and_withdraws_consent(client: TestClient, container: Container) -> None:
    account = container.accounts.create_account(email="ann@example.org", password=PASSWORD).id
    assert client.get("/wallet/statistics").status_code == 303  # sign in first
    csrf = sign_in(client, "ann@example.org")
    page = client.get("/wallet/statistics").text
    assert "never" in page.lower() or "nobody" in page.lower()
    assert 'href="/wallet/statistics"' in client.get("/wallet").text
    assert "Withdraw my consent" not in page
    assert client.post("/wallet/statistics", data=GIVEN).status_code == 403  # no CSRF token
    assert rows(container.database, LearnerProfileRow) == []
    given = client.post("/wallet/statistics", data={**GIVEN, "csrf_token": csrf})
    assert given.status_code == 303
    assert given.headers["location"] == "/wallet/statistics?done=given"
    [row] = rows(container.database, LearnerProfileRow)
    assert (row.account_id, row.age_band, row.region, row.consent_version) == (account, "25-34", "PL-14", "2026-12")
    page = client.get(given.headers["location"]).text
    assert "your answers will be counted" in page
    assert "Withdraw my consent" in page
    assert 'value="25-34" checked' in page
    wrong = client.post("/wallet/statistics", data={**GIVEN, "gender": "robot", "csrf_token": csrf})
    assert wrong.status_code == 400
    assert 'href="#gender"' in wrong.text
    changed = client.post("/wallet/statistics", data={**GIVEN, "gender": "not-said", "csrf_token": csrf})
    assert changed.headers["location"] == "/wallet/statistics?done=changed"
    assert [r.gender for r in rows(container.database, LearnerProfileRow)] == ["not-said"]
    assert client.post("/wallet/statistics/withdraw", data={}).status_code == 403
    withdrawn = client.post("/wallet/statistics/withdraw?lang=pl", data={"csrf_token": csrf})
    assert withdrawn.headers["location"] == "/wallet/statistics?done=withdrawn&lang=pl"
    assert rows(container.database, LearnerProfileRow) == []
    polish = client.get(withdrawn.headers["location"]).text
    assert "Zgoda została wycofana" in polish
    assert "Wolę nie podawać" in polish


def test_answers_are_only_ever_the_learners_own(client: TestClient, container: Container) -> None:
    ann = container.accounts.create_account(email="ann@example.org", password=PASSWORD).id
    container.accounts.create_account(email="bob@example.org", password=PASSWORD)
    container.learner_statistics.consent(ann, LearnerAnswers("65+", "male", "3", "inactive", None, None))
    csrf = sign_in(client, "bob@example.org")
    page = client.get("/wallet/statistics").text
    assert "checked" not in page.split("<form", 1)[1].split("</form>", 1)[0].replace('name="csrf_token"', "")
    assert client.post("/wallet/statistics/withdraw", data={"csrf_token": csrf}).status_code == 303
    assert [r.account_id for r in rows(container.database, LearnerProfileRow)] == [ann]  # Bob withdrew nothing


def test_the_statistics_page_reads_csrf_from_the_signed_in_session(client: TestClient, container: Container) -> None:
    container.accounts.create_account(email="ann@example.org", password=PASSWORD)
    csrf = sign_in(client, "ann@example.org")
    assert csrf_of(client.get("/wallet/statistics").text) == csrf
