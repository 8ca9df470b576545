"""/verify of a credential whose micro-credential an organisation of this instance endorses: the endorsement is
listed with its own verification, in English and Polish, under the registry's name of the endorser; a withdrawn one
is gone, and an edited one is said not to verify."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cairn.bootstrap import Container, build
from cairn.model.awards import Recipient
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.store.tables import EndorsementRow
from cairn.web.app import create_app
from tests.factories import FixedClock

UM, SB = "uniwersytet-mazowiecki", "skillbridge-europe"
PYTHON = "um-python-data-analysis"


@pytest.fixture
def app_parts(database: Database, clock: FixedClock, examples: Path) -> Iterator[tuple[TestClient, Container]]:
    settings = Settings(database_url="sqlite://", secret_key="s" * 48, base_url="https://cairn.example")
    container = build(settings, clock=clock, database=database)
    container.catalog.import_paths([examples])
    with TestClient(create_app(container)) as client:
        yield client, container


def _endorse(container: Container, comment: str) -> str:
    container.accounts.add_member(organisation=SB, email="hr@skillbridge.example", actor="t", notify=False)
    account = container.accounts.find_account("hr@skillbridge.example")
    assert account is not None
    access = container.accounts.access(account=account, organisation=SB, min_role="issuer")
    return container.endorsements.endorse(SB, PYTHON, comment=comment, relation="co-created", access=access).award_id


def _credential(container: Container) -> str:
    result = container.issuing.award(PYTHON, Recipient(email="ada@example.org", name="Ada"), actor="t", organisation=UM)
    return json.dumps(result.credential)


def test_verify_lists_the_endorsement_in_english_and_polish(app_parts: tuple[TestClient, Container]) -> None:
    client, container = app_parts
    award_id = _endorse(container, "Built with our data team.")
    text = _credential(container)
    english = html.unescape(client.post("/verify", data={"text": text}).text)
    assert "Endorsements" in english
    assert "Endorsed by SkillBridge Europe GmbH" in english
    assert "co-created it" in english
    assert '<q lang="">Built with our data team.</q>' in english  # its language is the writer's, unknown
    polish = html.unescape(client.post("/verify?lang=pl", data={"text": text}).text)
    assert "Rekomendacje" in polish
    assert "Rekomenduje: SkillBridge Europe GmbH" in polish
    assert "współtworzyła je" in polish
    assert "Endorsed by" not in polish
    # edited after signing: said not to verify, its words not shown
    with container.database.transaction() as session:
        row = session.scalars(select(EndorsementRow).where(EndorsementRow.award_id == award_id)).one()
        edited = json.loads(row.credential)
        edited["credentialSubject"]["endorsementComment"] = "The best in Europe."
        row.credential = json.dumps(edited)
        row.comment = "The best in Europe."
    page = html.unescape(client.post("/verify", data={"text": text}).text)
    assert "An endorsement by SkillBridge Europe GmbH could not be verified" in page
    assert "The best in Europe." not in page
    assert "Endorsed by" not in page


def test_a_credential_of_another_micro_credential_shows_no_endorsement(
    app_parts: tuple[TestClient, Container],
) -> None:
    client, container = app_parts
    _endorse(container, "Built with our data team.")
    result = container.issuing.award(
        "um-sql-databases", Recipient(email="ada@example.org", name="Ada"), actor="t", organisation=UM
    )
    page = client.post("/verify", data={"text": json.dumps(result.credential)}).text
    assert "Endorsements" not in page


def test_the_json_report_carries_the_endorsements_the_page_shows(app_parts: tuple[TestClient, Container]) -> None:
    client, container = app_parts
    text = _credential(container)
    assert client.post("/verify/report", data={"text": text}).json()["endorsements"] == []
    award_id = _endorse(container, "Built with our data team.")
    [shown] = client.post("/verify/report", data={"text": text}).json()["endorsements"]
    assert shown["organisation"] == SB
    assert shown["name"] == "SkillBridge Europe GmbH"
    assert shown["relation"] == "co-created"
    assert shown["verified"] is True
    assert shown["comment"] == "Built with our data team."
    endorsement = shown["credential"]  # the signed credential itself, for a verifier to check for itself
    assert "EndorsementCredential" in endorsement["type"]
    assert container.verification.verify(endorsement).verified
    with container.database.transaction() as session:  # edited after signing: not verified, its words not given
        row = session.scalars(select(EndorsementRow).where(EndorsementRow.award_id == award_id)).one()
        edited = json.loads(row.credential)
        edited["credentialSubject"]["endorsementComment"] = "The best in Europe."
        row.credential = json.dumps(edited)
        row.comment = "The best in Europe."
    [refused] = client.post("/verify/report", data={"text": text}).json()["endorsements"]
    assert refused["verified"] is False
    assert refused["reason"]
    assert "comment" not in refused
    assert "credential" not in refused
