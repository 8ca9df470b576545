"""Awards as European Digital Credentials (ELM 3 / EDC AP 1.2.0): the EDC SHACL shapes pass, every Annex I element is
at its ELM path (shared/standards/micro-credentials.md), and the definitions export as learning opportunities that
pass the shapes of ELM's Learning Opportunities and Qualifications profile (what Europass's QDR takes)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cairn.formats.edc import EDC_CONTEXTS, build_edc
from cairn.formats.elm_catalogue import catalogue_document, learning_opportunity
from cairn.formats.ob3 import build_credential
from cairn.model.awards import Award, Recipient
from cairn.model.catalog import Catalog, build_catalog
from cairn.services.catalog.service import read_files
from cairn.vc.formats.elm import verify_elm
from cairn.vc.formats.elm_shacl import check_loq_shapes, check_shapes

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "catalog"
DEFINITIONS = [p.stem for p in sorted((EXAMPLES / "micro-credentials").glob("*.yaml"))]
ISSUED = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    files, _ = read_files([EXAMPLES])
    cat, problems = build_catalog(files)
    assert problems == []
    return cat


def edc_for(catalog: Catalog, def_id: str, **award: Any) -> dict[str, Any]:
    d = catalog.definitions[def_id]
    orgs = [catalog.organisations[b] for b in d.awarding_bodies]
    did = {o.id: f"did:web:cairn.example:orgs:{o.id}" for o in orgs}
    credential = build_credential(
        definition=d,
        version=3,
        organisations=orgs,
        issuer_ids=did,
        award=Award(
            definition_id=d.id,
            version=3,
            recipient=Recipient(name="Anna Nowak", email="anna.nowak@example.org"),
            issued_at=ISSUED,
            **award,
        ),
        credential_id="urn:uuid:2f1b8e0c-1d9e-4a51-9f0a-6f6f4b1c9a11",
        achievement_id=f"https://cairn.example/micro-credentials/{d.id}/versions/3",
        salt="s4lt",
        skill_labels={"http://data.europa.eu/esco/skill/598de5b0-5b58-4ea7-8058-a4bc4d18c742": "SQL"},
    )
    return build_edc(
        credential,
        credential_id="urn:credential:2f1b8e0c-1d9e-4a51-9f0a-6f6f4b1c9a11",
        issuer_id=did[orgs[0].id],
        organisation=orgs[0],
    )


@pytest.mark.parametrize("def_id", DEFINITIONS)
def test_every_demo_award_passes_the_edc_shapes(catalog: Catalog, def_id: str) -> None:
    edc = edc_for(catalog, def_id, grade="4.5")
    found = check_shapes(edc)
    assert found.checked, found.reason
    assert found.ignored_terms == []  # every term is one the EDC context defines
    assert found.conforms, found.violations


def test_the_unsigned_export_reads_as_an_edc_with_no_seal(catalog: Catalog) -> None:
    report = verify_elm(edc_for(catalog, "um-sql-databases"), now=ISSUED)
    outcomes = {c.name: c.outcome.value for c in report.checks}
    assert outcomes["well-formed"] == "pass"
    assert outcomes["shapes"] == "pass"
    assert outcomes["proof"] == "fail"  # not sealed


def test_every_annex_element_is_at_its_elm_path(catalog: Catalog) -> None:
    edc = edc_for(catalog, "um-python-data-analysis", grade="4.5")
    assert edc["@context"] == list(EDC_CONTEXTS)
    assert edc["type"] == ["VerifiableCredential", "EuropeanDigitalCredential"]
    assert edc["credentialSchema"]["id"] == "http://data.europa.eu/snb/model/ap/edc-generic-full"
    subject = edc["credentialSubject"]
    claim = subject["hasClaim"]
    spec = claim["specifiedBy"]
    # 1 learner: name and the salted email hash the Open Badges credential carries
    assert subject["type"] == "Person"
    assert subject["fullName"] == {"en": "Anna Nowak"}
    assert subject["identifier"][0]["notation"].startswith("sha256$")
    # 2 title
    assert claim["title"]
    assert spec["title"] == claim["title"]
    # 3 country of the issuer (EU country authority), registration with its country
    country = edc["issuer"]["location"]["address"]["countryCode"]
    assert country["id"] == "http://publications.europa.eu/resource/authority/country/POL"
    assert edc["issuer"]["registration"]["spatial"]["id"] == country["id"]
    assert edc["issuer"]["eIDASIdentifier"]["notation"]
    # 4 awarding body
    body = claim["awardedBy"]["awardingBody"]
    bodies = body if isinstance(body, list) else [body]
    assert bodies[0]["id"] == "did:web:cairn.example:orgs:uniwersytet-mazowiecki"
    assert bodies[0]["legalName"]
    # 5 date of issuing
    assert edc["validFrom"] == edc["issued"] == "2026-05-04T09:30:00Z"
    # 6 learning outcomes, with ESCO skills
    outcomes = spec["learningOutcome"]
    assert outcomes
    assert all(o["type"] == "LearningOutcome" and o["title"]["en"] for o in outcomes)
    skills = [s for o in outcomes for s in o.get("relatedESCOSkill", [])]
    assert skills
    assert all(s["id"].startswith("http://data.europa.eu/esco/skill/") for s in skills)
    # 7 workload: ISO 8601 volume and ECTS credit points
    assert spec["volumeOfLearning"].startswith("PT")
    assert spec["creditPoint"]["framework"]["id"] == "http://data.europa.eu/snb/education-credit/6fcec5c5af"
    assert float(spec["creditPoint"]["point"]) > 0
    # 8 level: the EQF concept IRI; ISCED-F field
    assert spec["eqfLevel"]["id"].startswith("http://data.europa.eu/snb/eqf/")
    assert spec["eqfLevel"]["inScheme"]["id"] == "http://data.europa.eu/snb/eqf/25831c2"
    assert spec["thematicArea"]["id"].startswith("http://data.europa.eu/snb/isced-f/")
    # 9 type of assessment
    assessment = claim["provenBy"]
    assert assessment["type"] == "LearningAssessment"
    assert assessment["specifiedBy"]["dcType"]["id"].startswith("urn:cairn:vocabulary:assessment-type:")
    assert assessment["grade"]["noteLiteral"] == {"en": "4.5"}
    # 10 form of participation
    assert spec["mode"]["type"] == "Concept"
    subjects = {n["subject"]["id"].rsplit(":", 1)[-1] for n in spec["additionalNote"]}
    assert "participation" in subjects
    # 11 quality assurance
    assert "quality-assurance" in subjects
    # optional: language, prerequisites, stackability, profile, display
    assert spec["language"][0]["id"].startswith("http://publications.europa.eu/resource/authority/language/")
    assert isinstance(spec["isPartialQualification"], bool)
    assert edc["credentialProfiles"]["id"] == "http://data.europa.eu/snb/credential/e34929035b"
    image = edc["displayParameter"]["individualDisplay"]["displayDetail"]["image"]
    assert base64.b64decode(image["content"]).startswith(b"\x89PNG")


def test_joint_awarding_bodies_and_expiry(catalog: Catalog) -> None:
    first = catalog.definitions["um-sql-databases"]
    d = first.model_copy(update={"awarding_bodies": (*first.awarding_bodies, "skillbridge-europe")})
    orgs = [catalog.organisations[b] for b in d.awarding_bodies]
    did = {o.id: f"did:web:cairn.example:orgs:{o.id}" for o in orgs}
    credential = build_credential(
        definition=d,
        version=1,
        organisations=orgs,
        issuer_ids=did,
        award=Award(
            definition_id=d.id,
            version=1,
            recipient=Recipient(name="Jan Kowalski", did="did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"),
            issued_at=ISSUED,
            valid_until=datetime(2029, 5, 4, tzinfo=UTC),
        ),
        credential_id="urn:uuid:3f1b8e0c-1d9e-4a51-9f0a-6f6f4b1c9a11",
        achievement_id=f"https://cairn.example/micro-credentials/{d.id}/versions/1",
        salt="s4lt",
    )
    edc = build_edc(credential, credential_id="urn:credential:x-1", issuer_id=did[orgs[0].id], organisation=orgs[0])
    bodies = edc["credentialSubject"]["hasClaim"]["awardedBy"]["awardingBody"]
    assert [b["id"] for b in bodies[:1]] == [did[orgs[0].id]]
    assert len(bodies) == len(orgs)
    assert edc["credentialSubject"]["id"].startswith("did:key:")
    assert edc["expirationDate"] == "2029-05-04T00:00:00Z"
    assert check_shapes(edc).conforms


def opportunity_for(catalog: Catalog, def_id: str) -> dict[str, Any]:
    d = catalog.definitions[def_id]
    orgs = [catalog.organisations[b] for b in d.awarding_bodies]
    url = f"https://cairn.example/micro-credentials/{d.id}"
    return learning_opportunity(
        d,
        orgs,
        page_url=url,
        specification_id=f"{url}/versions/1",
        organisation_ids={o.id: f"did:web:cairn.example:orgs:{o.id}" for o in orgs},
    )


@pytest.mark.parametrize("def_id", DEFINITIONS)
def test_every_demo_definition_is_a_learning_opportunity_of_the_loq_profile(catalog: Catalog, def_id: str) -> None:
    found = check_loq_shapes(catalogue_document([opportunity_for(catalog, def_id)]))
    assert found.checked, found.reason
    assert found.ignored_terms == []
    assert found.conforms, found.violations


def test_the_loq_shapes_do_catch_a_missing_element(catalog: Catalog) -> None:
    opportunity = opportunity_for(catalog, "um-sql-databases")
    del opportunity["providedBy"]
    del opportunity["homepage"]  # (the profile deactivates its LearningAchievementSpecification shape)
    found = check_loq_shapes(catalogue_document([opportunity]))
    assert found.checked
    assert not found.conforms
    text = " ".join(found.violations)
    assert "providedBy is required" in text
    assert "homepage is required" in text


def test_a_learning_opportunity_carries_the_annex_elements(catalog: Catalog) -> None:
    opportunity = opportunity_for(catalog, "um-python-data-analysis")
    spec = opportunity["learningAchievementSpecification"]
    assert opportunity["type"] == "LearningOpportunity"
    assert opportunity["homepage"]["contentURL"] == "https://cairn.example/micro-credentials/um-python-data-analysis"
    assert opportunity["providedBy"]["id"] == "did:web:cairn.example:orgs:uniwersytet-mazowiecki"
    assert spec["type"] == "LearningAchievementSpecification"
    assert spec["id"].endswith("/versions/1")
    assert spec["educationLevel"]["id"].startswith("http://data.europa.eu/snb/eqf/")
    assert spec["creditPoint"]["point"]
    assert spec["learningOutcome"]
    assert spec["thematicArea"]["id"].startswith("http://data.europa.eu/snb/isced-f/")
