"""What pathway rules read of a credential: Cairn's own Open Badges 3.0 awards (now and before issue #12), an ELM
European Digital Credential (as it is and sealed), a catalogue definition, and junk."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cairn.formats.facts import Facts, facts_of, facts_of_definition
from cairn.model.catalog import build_catalog
from cairn.model.pathways import evaluate, load_pathway
from cairn.model.trust import Scope
from cairn.services.catalog.service import read_files
from tests.factories import DEFINITION, EXAMPLES, unsigned

ELM = "elm/european-learning-model/Credentials/JSON-LD Examples (ELM v3)"
PYTHON_SKILLS = (
    "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d",
    "http://data.europa.eu/esco/skill/2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f",
    "http://data.europa.eu/esco/skill/97bd1c21-66b2-4b7e-ad0f-e3cda590e378",
    "http://data.europa.eu/esco/skill/9ff9db9d-d14b-426e-83f3-e7449af6c79f",
)


def test_cairns_open_badges_award() -> None:
    credential = unsigned()
    credential["validUntil"] = "2031-05-04T09:30:00Z"
    credential["credentialSubject"]["id"] = "did:key:z6MkLearner"
    scope = Scope(isced=("06",))
    facts = facts_of(credential, valid=True, trusted_scopes=[scope], definition=DEFINITION)
    assert facts == Facts(
        credential_id="urn:uuid:7c5b0e44-52d1-4f0f-9a8e-9f0b3c2a1d10",
        achievement_id="https://cairn.example/micro-credentials/um-python-data-analysis/versions/1",
        definition=DEFINITION,
        issuer_id=credential["issuer"]["id"],
        issuer_name="Mazovian University in Warsaw",
        title="Data analysis with Python",
        skills=PYTHON_SKILLS,
        eqf=6,
        nqf_framework="PL",
        nqf_level=6,
        ects=5.0,
        hours=125.0,
        awarded_at=datetime(2026, 5, 4, 9, 30, tzinfo=UTC),
        grade="",
        valid=True,
        trusted_scopes=(scope,),
        holder="did:key:z6MkLearner",
        valid_until=datetime(2031, 5, 4, 9, 30, tzinfo=UTC),
        isced="0613",
        assessment_types=("project", "online-test"),
        assessed=True,
        supervision="supervised-with-id",
        participation="blended",
        quality_assurance=("internal", "institutional-accreditation"),
    )
    assert facts.identity_checked is True


def test_what_recognition_reads_of_assessment_identity_and_quality() -> None:
    credential = unsigned()
    achievement = credential["credentialSubject"]["achievement"]
    kept = [
        a
        for a in achievement["alignment"]
        if a.get("targetType") not in ("ext:AssessmentType", "ext:SupervisionAndIdentityVerification")
    ]
    achievement["alignment"] = [
        *kept,
        {
            "type": ["Alignment"],
            "targetType": "ext:SupervisionAndIdentityVerification",
            "targetCode": "supervised-no-id",
            "targetName": "x",
            "targetUrl": "https://x",
        },
    ]
    facts = facts_of(credential, valid=True)
    assert facts.assessment_types == ()
    assert facts.assessed is None  # not stated is not "not assessed"
    assert (facts.supervision, facts.identity_checked) == ("supervised-no-id", False)
    achievement["alignment"] = [
        *kept,
        {
            "type": ["Alignment"],
            "targetType": "ext:SupervisionAndIdentityVerification",
            "targetCode": "trust me",
            "targetName": "x",
            "targetUrl": "https://x",
        },
    ]
    facts = facts_of(credential, valid=True)
    assert (facts.supervision, facts.identity_checked) == ("", None)  # a code outside the vocabulary is not read


def test_the_grade_and_the_callers_findings() -> None:
    credential = unsigned()
    credential["credentialSubject"]["result"] = [{"type": ["Result"], "value": "4.5"}]
    facts = facts_of(credential, valid=False, invalid_reason="revoked on 2026-06-01")
    assert facts.grade == "4.5"
    assert not facts.valid
    assert facts.invalid_reason == "revoked on 2026-06-01"
    assert facts.definition == ""
    assert facts.trusted_scopes == ()


def test_an_award_from_before_issue_12(test_data: Path) -> None:
    old = json.loads((test_data / "cairn/award-cairn-context-v1-um-python-data-analysis.json").read_text())
    facts = facts_of(old, valid=True)
    assert facts.achievement_id.endswith("/micro-credentials/um-python-data-analysis/versions/2")
    assert (facts.eqf, facts.ects, facts.hours, facts.grade) == (6, 5.0, 125.0, "4.5")
    assert facts.skills == PYTHON_SKILLS
    assert facts.awarded_at == datetime(2026, 3, 2, 10, tzinfo=UTC)


def test_a_decoded_vc_jwt_payload() -> None:
    facts = facts_of({"iss": "did:key:z6Mk", "vc": unsigned()}, valid=True)
    assert facts.title == "Data analysis with Python"
    assert facts.ects == 5.0


@pytest.mark.parametrize(
    ("name", "issuer"),
    [
        ("Sample-MC-Annex1-unsigned.jsonld", ("urn:epass:org:1", "University of Zed")),
        (  # sealed: the credential is the JWS payload
            "Sample-MC-Annex1-signed.jsonld",
            ("urn:epass:org:1f0de2587-9348-4fa9-b4d7-a77e34a9ac8a", "ORGANIZACION TEST"),
        ),
    ],
)
def test_an_elm_european_digital_credential(test_data: Path, name: str, issuer: tuple[str, str]) -> None:
    document = json.loads((test_data / ELM / name).read_text(encoding="utf-8"))
    facts = facts_of(document, valid=True)
    assert facts.credential_id.startswith("urn:credential:")
    assert facts.achievement_id == "urn:epass:qualification:1"
    assert facts.title == "Digital micro-credential creation"
    assert (facts.issuer_id, facts.issuer_name) == issuer
    assert (facts.eqf, facts.ects, facts.hours, facts.grade) == (6, 2.0, 60.0, "Pass")
    assert facts.skills == (
        "http://data.europa.eu/esco/skill/ccdf3597-5c80-410f-896d-e1bdfa223de9",
        "http://data.europa.eu/esco/skill/80f308e6-0e09-404a-80cd-ec5f50f6f304",
        "http://data.europa.eu/esco/skill/326809fc-238d-40c2-881e-40042f7f2f0d",
        "http://data.europa.eu/esco/skill/5fd5c985-eaaa-47aa-8314-62359c54505a",
    )
    assert facts.holder == "urn:epass:person:1"
    assert facts.isced == "003"
    assert (facts.assessed, facts.supervision, facts.identity_checked) == (True, "unsupervised-no-id", False)
    assert facts.participation == "blended"
    assert facts.awarded_at is not None
    assert facts.awarded_at.year in (2022, 2023)


def test_an_elm_credential_meets_a_pathway_by_its_specification_id(test_data: Path) -> None:
    document = json.loads((test_data / ELM / "Sample-MC-Annex1-unsigned.jsonld").read_text(encoding="utf-8"))
    pathway = load_pathway(
        {
            "id": "p",
            "title": {"en": "P"},
            "issuer": "org",
            "target": "t",
            "rules": {
                "all": [
                    {"component": {"achievement": "urn:epass:qualification:1"}},
                    {"criteria": {"skills": list(PYTHON_SKILLS[:1]), "eqf_at_least": 6}},
                ]
            },
        }
    )
    now = datetime(2026, 6, 1, tzinfo=UTC)
    both = [facts_of(document, valid=True), facts_of(unsigned(), valid=True, definition=DEFINITION)]
    result = evaluate(pathway, both, now=now)
    assert result.met
    assert result.ects_done == 7.0


@pytest.mark.parametrize(
    "junk",
    [
        {},
        {"credentialSubject": "nobody", "issuer": 7, "validFrom": "yesterday"},
        {"credentialSubject": {"achievement": {"alignment": "x", "creditsAvailable": "lots"}}},
        {"type": "EuropeanDigitalCredential", "credentialSubject": {"hasClaim": [[]]}},
        {"type": ["EuropeanDigitalCredential"], "credentialSubject": {"hasClaim": {"specifiedBy": {"creditPoint": 5}}}},
        {"payload": "not base64!", "signatures": []},
        {"vc": {"credentialSubject": None}},
    ],
)
def test_junk_gives_empty_facts_never_an_error(junk: dict[str, Any]) -> None:
    facts = facts_of(junk, valid=True)
    assert facts.skills == ()
    assert facts.ects is None
    assert facts.awarded_at is None
    assert (facts.assessed, facts.identity_checked, facts.quality_assurance) == (None, None, ())


def test_an_elm_certificate_of_participation_states_no_assessment(test_data: Path) -> None:
    document = json.loads((test_data / ELM / "Sample-CertOfPart-signed.jsonld").read_text(encoding="utf-8"))
    facts = facts_of(document, valid=True)
    assert (facts.assessed, facts.identity_checked, facts.participation) == (None, None, "online")


def test_a_catalogue_definition_as_the_credential_it_would_give() -> None:
    files, _ = read_files([EXAMPLES])
    catalog, _ = build_catalog(files)
    definition = catalog.definitions[DEFINITION]
    when = datetime(2026, 6, 1, tzinfo=UTC)
    facts = facts_of_definition(
        definition, "did:web:cairn.example", issuer_name="Mazovian University in Warsaw", awarded_at=when, lang="pl"
    )
    assert facts.credential_id == "definition:um-python-data-analysis"
    assert facts.definition == DEFINITION
    assert facts.title == "Analiza danych w języku Python"
    assert (facts.eqf, facts.nqf_framework, facts.nqf_level, facts.ects, facts.hours) == (6, "PL", 6, 5.0, 125.0)
    assert facts.skills == PYTHON_SKILLS
    assert facts.isced == "0613"
    assert facts.awarded_at == when
    assert facts.valid
    assert facts.grade == ""
    assert facts.assessment_types == definition.assessment.types
    assert facts.assessed is True
    assert (facts.supervision, facts.participation) == (definition.supervision or "", definition.participation.mode)
    assert facts.quality_assurance == definition.quality_assurance.types
