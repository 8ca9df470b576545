"""Open Badges 3.0 credentials from definitions: schema-valid, every Annex I element, canonicalisable."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cairn.formats.ob3 import CONTEXTS, build_credential, identity_hash
from cairn.model.awards import Award, Recipient
from cairn.model.catalog import Catalog, build_catalog
from cairn.services.catalog.service import read_files
from cairn.vc.canon.forms import rdfc, rdfc_reference

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "catalog"
SCHEMA = "ob3/openbadges-specification/gh-pages/docs/schema/achievementcredential.json"


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
        skill_labels={"http://data.europa.eu/esco/skill/598de5b0-5b58-4ea7-8058-a4bc4d18c742": "SQL"},
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
    assert c["@context"] == list(CONTEXTS)
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
    assert achievement["awardingBody"] == ["did:web:cairn.example:orgs:uniwersytet-mazowiecki"]
    # 5 date of issuing
    assert c["validFrom"] == c["awardedDate"] == "2026-05-04T09:30:00Z"
    # 6 learning outcomes with ESCO
    assert len(achievement["learningOutcome"]) == 3
    esco = [a for a in achievement["alignment"] if a["targetFramework"] == "ESCO"]
    assert {a["targetUrl"] for a in esco} == {
        uri for o in achievement["learningOutcome"] for uri in o["relatedESCOSkill"]
    }
    # 7 workload, 8 level
    assert achievement["creditsAvailable"] == achievement["ectsCredits"] == 5
    assert achievement["volumeOfLearning"] == "PT125H"
    assert achievement["eqfLevel"] == "http://data.europa.eu/snb/eqf/6"
    assert achievement["qfEheaCycle"] == "first"
    assert achievement["nqfLevel"]["nqfLevelNumber"] == 6
    # 9 assessment, 10 participation, 11 quality assurance
    assert achievement["assessmentType"] == ["project", "online-test"]
    assert "Project" in achievement["criteria"]["narrative"]
    assert (achievement["participationMode"], achievement["participationSchedule"]) == ("blended", "mixed")
    assert achievement["qualityAssurance"]["qualityAssuranceType"] == ["internal", "institutional-accreditation"]
    # optional elements
    assert achievement["supervisionAndIdentityVerification"] == "supervised-with-id"
    assert subject["grade"] == "4.5"
    assert achievement["stackability"] == "stackable"
    assert achievement["stacksTowards"][0]["targetIdentifier"] == "um-pg-applied-data-analysis"
    assert achievement["entryRequirement"].startswith("Secondary-school mathematics")
    assert achievement["achievementType"] == "MicroCredential"


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
    achievement = credential_for(catalog, "bea-shift-team-leadership")["credentialSubject"]["achievement"]
    assert achievement["levelNotApplicable"] is True
    assert "eqfLevel" not in achievement
    assert "creditsAvailable" not in achievement
    assert achievement["volumeOfLearning"] == "PT24H"


def test_skill_labels_name_the_alignments(catalog: Catalog) -> None:
    achievement = credential_for(catalog, "um-sql-databases")["credentialSubject"]["achievement"]
    names = {a["targetUrl"]: a["targetName"] for a in achievement["alignment"]}
    assert names["http://data.europa.eu/esco/skill/598de5b0-5b58-4ea7-8058-a4bc4d18c742"] == "SQL"


@pytest.mark.parametrize("def_id", ["um-python-data-analysis", "bea-shift-team-leadership", "sb-cloud-applications"])
def test_every_term_is_defined_so_rdfc_keeps_everything(catalog: Catalog, def_id: str) -> None:
    credential = credential_for(catalog, def_id, grade="pass")
    canonical = rdfc(credential)
    assert canonical == rdfc_reference(credential)
    assert "https://w3id.org/cairn/vocab#qualityAssurance" in canonical
    assert "http://data.europa.eu/snb/model/elm/relatedESCOSkill" in canonical
    assert '"pass"' in canonical


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
