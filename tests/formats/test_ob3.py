"""Open Badges 3.0 credentials from definitions: schema-valid, every Annex I element, canonicalisable."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cairn.formats.annex import Annex, Outcome, Target, read_annex
from cairn.formats.ob3 import OB3_CONTEXT, VC2_CONTEXT, build_credential, identity_hash
from cairn.model.awards import Award, Recipient
from cairn.model.catalog import Catalog, build_catalog
from cairn.model.types import pick
from cairn.services.catalog.service import read_files
from cairn.vc.canon.forms import fast_quads, rdfc, rdfc_reference
from cairn.vc.jsonld.documents import DEFAULT_LOADER

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "catalog"
SCHEMA = "ob3/openbadges-specification/gh-pages/docs/schema/achievementcredential.json"
DEFINITIONS = [p.stem for p in sorted((EXAMPLES / "micro-credentials").glob("*.yaml"))]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    files, _ = read_files([EXAMPLES])
    cat, problems = build_catalog(files)
    assert problems == []
    return cat


def credential_for(catalog: Catalog, def_id: str, **award: Any) -> dict[str, Any]:
    d = catalog.definitions[def_id]
    orgs = [catalog.organisations[b] for b in d.awarding_bodies]
    recipient = award.pop("recipient", Recipient(name="Anna Nowak", email="anna.nowak@example.org"))
    labels = award.pop("skill_labels", {"http://data.europa.eu/esco/skill/598de5b0-5b58-4ea7-8058-a4bc4d18c742": "SQL"})
    return build_credential(
        definition=d,
        version=3,
        organisations=orgs,
        issuer_ids={o.id: f"did:web:cairn.example:orgs:{o.id}" for o in orgs},
        award=Award(
            definition_id=d.id,
            version=3,
            recipient=recipient,
            issued_at=datetime(2026, 5, 4, 9, 30, tzinfo=UTC),
            **award,
        ),
        credential_id="urn:uuid:2f1b8e0c-1d9e-4a51-9f0a-6f6f4b1c9a11",
        achievement_id=f"https://cairn.example/micro-credentials/{d.id}/versions/3",
        salt="s4lt",
        skill_labels=labels,
    )


def test_identity_hash_follows_the_open_badges_example() -> None:
    expected = "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
    assert identity_hash("a@example.com", "Kosher") == expected


@pytest.mark.parametrize(
    "def_id",
    [p.stem for p in sorted((EXAMPLES / "micro-credentials").glob("*.yaml"))],
)
def test_every_demo_credential_is_valid_against_the_1edtech_schema(
    catalog: Catalog, test_data: Path, def_id: str
) -> None:
    schema = json.loads((test_data / SCHEMA).read_text(encoding="utf-8"))
    credential = credential_for(catalog, def_id, grade="5.0")
    errors = [e.message for e in jsonschema.Draft201909Validator(schema).iter_errors(credential)]
    assert errors == []


def test_every_annex_element_is_in_the_credential(catalog: Catalog) -> None:
    c = credential_for(catalog, "um-python-data-analysis", grade="4.5")
    subject = c["credentialSubject"]
    achievement = subject["achievement"]
    assert c["@context"] == [VC2_CONTEXT, OB3_CONTEXT]
    # 1 learner
    email, name = subject["identifier"]
    assert email["identityHash"] == identity_hash("anna.nowak@example.org", "s4lt")
    assert (email["identityType"], email["hashed"], email["salt"]) == ("emailAddress", True, "s4lt")
    assert (name["identityHash"], name["identityType"], name["hashed"]) == ("Anna Nowak", "name", False)
    # 2 title
    assert achievement["name"] == c["name"] == "Data analysis with Python"
    # 3 country and region, 4 awarding body
    issuer = c["issuer"]
    assert issuer["address"]["addressCountryCode"] == "PL"
    assert issuer["address"]["addressRegion"] == "PL-14"
    assert issuer["name"] == "Mazovian University in Warsaw"
    assert issuer["otherIdentifier"][0]["identifier"] == "0123"
    assert achievement["creator"]["id"] == issuer["id"] == "did:web:cairn.example:orgs:uniwersytet-mazowiecki"
    # 5 date of issuing
    assert c["validFrom"] == c["awardedDate"] == "2026-05-04T09:30:00Z"
    # 6-11 and the optional elements: Open Badges terms, the rest as alignments naming the element
    by_type: dict[str, list[dict[str, Any]]] = {}
    for alignment in achievement["alignment"]:
        by_type.setdefault(alignment["targetType"], []).append(alignment)
    assert len(by_type["ext:LearningOutcome"]) == 3
    assert {a["targetDescription"] for a in by_type["ext:ESCOSkill"]} == {
        a["targetName"] for a in by_type["ext:LearningOutcome"]
    }
    assert achievement["creditsAvailable"] == 5
    assert [a["targetCode"] for a in by_type["ext:NotionalWorkload"]] == ["PT125H"]
    assert [a["targetUrl"] for a in by_type["ext:EQFLevel"]] == ["http://data.europa.eu/snb/eqf/6"]
    assert [a["targetCode"] for a in by_type["ext:QFEHEACycle"]] == ["first"]
    assert [(a["targetFramework"], a["targetCode"]) for a in by_type["ext:NQFLevel"]] == [("NQF PL", "6")]
    assert [a["targetCode"] for a in by_type["ext:AssessmentType"]] == ["project", "online-test"]
    assert "Project" in achievement["criteria"]["narrative"]
    assert [a["targetCode"] for a in by_type["ext:ParticipationMode"]] == ["blended"]
    assert [a["targetCode"] for a in by_type["ext:QualityAssuranceType"]] == ["internal", "institutional-accreditation"]
    assert [a["targetCode"] for a in by_type["ext:SupervisionAndIdentityVerification"]] == ["supervised-with-id"]
    assert subject["result"] == [
        {"type": ["Result"], "value": "4.5", "resultDescription": achievement["resultDescription"][0]["id"]}
    ]
    assert [a["targetCode"] for a in by_type["ext:Stackability"]] == ["stackable"]
    assert [a["targetCode"] for a in by_type["ext:StacksTowards"]] == ["um-pg-applied-data-analysis"]
    assert by_type["ext:EntryRequirement"][0]["targetDescription"].startswith("Secondary-school mathematics")
    assert [a["targetUrl"] for a in by_type["ext:ISCEDF"]] == ["http://data.europa.eu/snb/isced-f/0613"]
    assert achievement["achievementType"] == "MicroCredential"
    ids = [a["id"] for a in achievement["alignment"]]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith(achievement["id"] + "#") for i in ids)


def expected_annex(catalog: Catalog, def_id: str, lang: str, grade: str | None) -> Annex:
    """What the definition says, as :func:`read_annex` must give it back from the credential."""
    d = catalog.definitions[def_id]

    def text(value: Any) -> str:
        return pick(value, lang)[1] if value else ""

    level, qa, part = d.level, d.quality_assurance, d.participation
    return Annex(
        outcomes=tuple(Outcome(text(o.text), tuple(o.esco_skills)) for o in d.learning_outcomes),
        skills=tuple(dict.fromkeys(s for o in d.learning_outcomes for s in o.esco_skills)),
        ects=None if d.workload.ects is None else float(d.workload.ects),
        volume=f"PT{d.workload.hours}H" if d.workload.hours is not None else "",
        eqf=level.eqf,
        eqf_uri=f"http://data.europa.eu/snb/eqf/{level.eqf}" if level.eqf else "",
        qf_ehea=level.qf_ehea or "",
        nqf_framework=level.nqf.framework if level.nqf else "",
        nqf_level=level.nqf.level if level.nqf else None,
        level_not_applicable=level.not_applicable,
        assessment_types=tuple(d.assessment.types),
        assessment_description=text(d.assessment.description),
        participation_mode=part.mode,
        participation_schedule=part.schedule or "",
        participation_description=text(part.description),
        quality_assurance_types=tuple(qa.types),
        quality_assurance_body=qa.body or ("Quality assurance" if qa.description or qa.url else ""),
        quality_assurance_description=text(qa.description),
        quality_assurance_url=qa.url or "",
        prerequisites=text(d.prerequisites),
        supervision=d.supervision or "",
        grade=grade or "",
        grading_scheme=text(d.grading),
        stackability=d.integration.stackability,
        towards=tuple(Target(text(t.title), t.identifier or "", t.url or "") for t in d.integration.towards),
        further_information=text(d.further_information),
        awarding_bodies=tuple(f"did:web:cairn.example:orgs:{b}" for b in d.awarding_bodies),
        languages=tuple(d.languages),
        isced=d.isced_f or "",
    )


@pytest.mark.parametrize("def_id", DEFINITIONS)
def test_every_annex_element_reads_back_as_the_definition_says(catalog: Catalog, def_id: str) -> None:
    credential = credential_for(catalog, def_id, grade="4.5", skill_labels={})
    assert read_annex(credential) == expected_annex(catalog, def_id, "en", "4.5")


@pytest.mark.parametrize("def_id", DEFINITIONS)
def test_new_awards_use_only_the_contexts_other_verifiers_bundle(catalog: Catalog, def_id: str) -> None:
    """VC 2.0 and Open Badges 3.0 only, and every term is one of theirs: the safe mode (pyld's, as jsonld.js's
    ``safe: true``) refuses a term it would drop, and the fast path gives the same quads."""
    credential = credential_for(catalog, def_id, grade="pass")
    assert credential["@context"] == [VC2_CONTEXT, OB3_CONTEXT]
    canonical = rdfc_reference(credential)
    assert canonical == rdfc(credential)
    assert fast_quads(credential, loader=DEFAULT_LOADER) is not None  # the compiled fast path takes it
    assert "cairn" not in canonical.replace("cairn.example", "")
    predicates = {line.split(" ")[1] for line in canonical.splitlines()}
    assert all(
        p.startswith(
            (
                "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#",
                "<https://www.w3.org/",
                "<https://schema.org/",
                "<https://w3id.org/security#",
                "<http://www.w3.org/1999/02/22-rdf-syntax-ns#",
            )
        )
        for p in predicates
    ), predicates


def test_language_of_the_credential(catalog: Catalog) -> None:
    d = catalog.definitions["um-sql-databases"]
    orgs = [catalog.organisations[b] for b in d.awarding_bodies]
    c = build_credential(
        definition=d,
        version=1,
        organisations=orgs,
        issuer_ids={orgs[0].id: "did:web:x"},
        award=Award(
            definition_id=d.id, version=1, recipient=Recipient(did="did:key:z6Mkabc"), issued_at=datetime.now(UTC)
        ),
        credential_id="urn:uuid:1",
        achievement_id="https://x/1",
        salt="s",
        lang="pl",
    )
    assert c["name"] == "Relacyjne bazy danych i język SQL"
    assert c["credentialSubject"]["achievement"]["inLanguage"] == "pl"
    assert c["credentialSubject"]["id"] == "did:key:z6Mkabc"
    assert "identifier" not in c["credentialSubject"]


def test_level_not_applicable_and_hours_only(catalog: Catalog) -> None:
    credential = credential_for(catalog, "bea-shift-team-leadership")
    achievement = credential["credentialSubject"]["achievement"]
    annex = read_annex(credential)
    assert (annex.level_not_applicable, annex.eqf, annex.ects, annex.hours) == (True, None, None, 24.0)
    assert "creditsAvailable" not in achievement
    assert [a["targetType"] for a in achievement["alignment"]].count("ext:EQFLevel") == 0


def test_skill_labels_name_the_alignments(catalog: Catalog) -> None:
    achievement = credential_for(catalog, "um-sql-databases")["credentialSubject"]["achievement"]
    names = {a["targetUrl"]: a["targetName"] for a in achievement["alignment"]}
    assert names["http://data.europa.eu/esco/skill/598de5b0-5b58-4ea7-8058-a4bc4d18c742"] == "SQL"


def test_the_wrong_lead_organisation_is_refused(catalog: Catalog) -> None:
    d = catalog.definitions["um-sql-databases"]
    with pytest.raises(ValueError, match="first awarding body"):
        build_credential(
            definition=d,
            version=1,
            organisations=[catalog.organisations["zsz7-lodz"]],
            issuer_ids={},
            award=Award(
                definition_id=d.id, version=1, recipient=Recipient(did="did:key:z"), issued_at=datetime.now(UTC)
            ),
            credential_id="urn:uuid:1",
            achievement_id="https://x/1",
            salt="s",
        )
