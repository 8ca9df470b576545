"""The newcomer's path through the demo, end to end over HTTP, on SQLite and PostgreSQL:

sign in to the demo, describe a micro-credential, award it to three people from a CSV, revoke one, and see
the status change in the verify answer; the demo API token issues through the VC-API.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fastapi.testclient import TestClient

from cairn.bootstrap import build, demo_catalog_path
from cairn.services.demo.instance import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.web.app import create_app
from tests.factories import FixedClock
from tests.helpers import csrf_of

ORG = "uniwersytet-mazowiecki"
TOKEN = "cairn_demo_token_for_the_newcomer_test_0123"
PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"
PEOPLE = "email,name,external_id\nada@example.org,Ada Lovelace,S-1\nalan@example.org,Alan Turing,S-2\n" + (
    "grace@example.org,Grace Hopper,S-3\n"
)


def test_a_newcomer_awards_three_from_a_csv_and_revokes_one(
    database: Database, clock: FixedClock, tmp_path: Path
) -> None:
    settings = Settings(
        database_url="sqlite://",
        secret_key="n" * 48,
        base_url="http://127.0.0.1:8000",
        demo_token=TOKEN,
        serve_worker=True,  # on PostgreSQL too, the app runs the queued bulk award itself
    )
    container = build(settings, clock=clock, database=database)
    seeded = seed_demo(
        catalog=container.catalog, accounts=container.accounts, catalogue_path=demo_catalog_path(), demo_token=TOKEN
    )
    assert ORG in seeded.organisations
    assert seeded.token_installed

    with TestClient(create_app(container), follow_redirects=False) as client:
        # Sign in to the demo.
        token = csrf_of(client.get("/sign-in").text)
        signed_in = client.post("/sign-in", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "csrf_token": token})
        assert signed_in.status_code == 303, signed_in.text
        csrf = csrf_of(client.get("/account").text)

        # Describe a micro-credential and publish it (a new one saved without publishing is a draft).
        form = {
            "csrf_token": csrf,
            "action": "save-publish",
            "outcome_rows": "3",
            "target_rows": "1",
            "id": "um-newcomer-course",
            "title.en": "Data cleaning",
            "title.pl": "Czyszczenie danych",
            "learning_outcomes.0.text.en": "Cleans data sets with Python.",
            "learning_outcomes.0.esco_skills": [PYTHON],
            "workload.ects": "2",
            "level.eqf": "6",
            "assessment.types": ["project"],
            "participation.mode": "online",
            "quality_assurance.types": ["internal"],
            "integration.stackability": "stand-alone",
        }
        created = client.post(f"/orgs/{ORG}/catalogue/new", data=form)
        assert created.status_code == 303, created.text

        # Award it to three people from a CSV.
        bulk = client.post(
            f"/orgs/{ORG}/awards/bulk",
            data={"csrf_token": csrf, "definition": "um-newcomer-course", "action": "award"},
            files={"file": ("people.csv", PEOPLE.encode(), "text/csv")},
        )
        assert bulk.status_code == 303, bulk.text
        job = bulk.headers["location"]
        upload_id = int(job.rsplit("/", 1)[1])
        assert container.jobs.wait(lambda: container.bulk_uploads.get(ORG, upload_id).finished, timeout=20)
        assert "<strong>3</strong> awarded now" in client.get(job).text
        rows = list(csv.DictReader(io.StringIO(client.get(f"{job}/report.csv").text)))
        award_ids = [r["award_id"] for r in rows]
        assert len(set(award_ids)) == 3

        def verify(award_id: str) -> dict[str, object]:
            view = container.issuing.get(award_id, organisation=ORG)
            answer = client.post("/credentials/verify", json={"verifiableCredential": view.credential})
            body: dict[str, object] = answer.json()
            body["http_status"] = answer.status_code
            return body

        before = verify(award_ids[0])
        assert before["verified"] is True, before
        assert before["http_status"] == 200

        # Revoke one.
        revoked = client.post(
            f"/orgs/{ORG}/awards/{award_ids[0]}/revoke",
            data={"csrf_token": csrf, "reason": "awarded by mistake", "confirm": "yes"},
        )
        assert revoked.status_code == 303, revoked.text

        # The verify answer changes for that one only.
        after = verify(award_ids[0])
        assert after["verified"] is False
        assert after["http_status"] == 400
        assert any("revoked" in str(e) for e in after["errors"])  # type: ignore[attr-defined]
        assert verify(award_ids[1])["verified"] is True

        # The demo token issues through the VC-API.
        issued = client.post(
            "/credentials/issue",
            json={
                "credential": {
                    "@context": [
                        "https://www.w3.org/ns/credentials/v2",
                        "https://www.w3.org/ns/credentials/examples/v2",
                    ],
                    "type": ["VerifiableCredential"],
                    "credentialSubject": {"id": "did:example:learner", "passed": "yes"},
                }
            },
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert issued.status_code == 201, issued.text
        assert client.post("/credentials/verify", json=issued.json()).status_code == 200
