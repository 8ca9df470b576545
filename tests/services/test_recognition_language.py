"""The decision credential speaks the learner's language: its texts, the course's and rules' titles and the
institution's name in Polish for a Polish applicant (and ``inLanguage`` says so), English otherwise; it verifies
either way."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cairn.bootstrap import Container
from cairn.formats.recognition import decision_credential
from cairn.store.recognition_tables import RecognitionApplicationRow
from tests.factories import recognition_course, recognition_rules, wallet_holder

UM = "uniwersytet-mazowiecki"
REVIEWED = "um-da-reviewed"


@pytest.fixture
def rec(container: Container) -> Container:
    store = container.recognition.store
    store.save(recognition_course(), organisation=UM, actor="registrar")
    store.save(recognition_rules(REVIEWED), organisation=UM, actor="registrar")
    return container


def _decided(container: Container, language: str | None) -> dict[str, Any]:
    account, ids = wallet_holder(container, ["um-python-data-analysis"])
    application = container.recognition.apply_from_wallet(account, REVIEWED, ids, language=language or "en")
    assert application.language == (language if language in ("en", "pl") else "en")
    if language not in ("en", "pl"):  # an application made before languages were kept, or another language
        with container.database.transaction() as session:
            row = session.query(RecognitionApplicationRow).filter_by(public_id=application.public_id).one()
            row.language = language
    decided = container.recognition.decide(
        application.public_id,
        organisation=UM,
        decision="partial",
        ects=2.5,
        differences=["brak modelowania statystycznego"],
        actor="reviewer@um",
    )
    assert decided.award_id
    credential = container.issuing.get(decided.award_id).credential
    assert isinstance(credential, dict)
    assert container.verification.verify(credential).verified
    return credential


def test_a_polish_applicant_gets_the_decision_in_polish(rec: Container) -> None:
    credential = _decided(rec, "pl")
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["inLanguage"] == "pl"
    assert (
        credential["name"]
        == "Uznanie: 2,5 ECTS na poczet: Analiza danych, uznane przez: Uniwersytet Mazowiecki w Warszawie"
    )
    assert achievement["name"] == "Uznanie: Analiza danych"
    assert achievement["criteria"]["narrative"].startswith("Uznane częściowo przez: Uniwersytet Mazowiecki w Warszawie")
    assert "„Mikropoświadczenia na poczet Analizy danych”" in achievement["criteria"]["narrative"]
    assert credential["credentialSubject"]["narrative"] == "Istotne różnice: brak modelowania statystycznego"
    assert [a["targetFramework"] for a in achievement["alignment"]][1] == "Zasady uznawania"
    assert "zaliczone na poczet: Analiza danych" in credential["evidence"][0]["description"]


@pytest.mark.parametrize("language", [None, "en", "de"])
def test_otherwise_the_decision_is_in_the_courses_first_language(rec: Container, language: str | None) -> None:
    credential = _decided(rec, language)
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["inLanguage"] == "en"
    assert (
        credential["name"] == "Recognition: 2.5 ECTS towards Data analysis, recognised by Mazovian University in Warsaw"
    )
    assert achievement["criteria"]["narrative"].startswith("Recognised in part by Mazovian University in Warsaw")


def test_a_language_without_texts_falls_back_to_english() -> None:
    made = decision_credential(
        credential_id="urn:uuid:1",
        issuer={"id": "did:example:um", "type": ["Profile"], "name": "UM"},
        holder="did:example:learner",
        decision="full",
        ects=0,
        full_ects=0,
        course_id="c",
        course_title="{ects} C",
        course_url="https://example.org/c",
        rules_id="r",
        rules_version=1,
        rules_title="R",
        rules_url="https://example.org/r",
        counted=(),
        issued=datetime(2026, 1, 1, tzinfo=UTC),
        language="fr",
    )
    # a title with braces is written as it is, not read as a placeholder
    assert made["name"] == "Recognition: {ects} C, recognised by UM"
    assert made["credentialSubject"]["achievement"]["inLanguage"] == "en"
    assert "creditsEarned" not in made["credentialSubject"]
