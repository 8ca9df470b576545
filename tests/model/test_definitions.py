"""The definition model: every Annex I element, each vocabulary, bad values, versioning rules."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from cairn.model.awards import Award, Recipient
from cairn.model.catalog import validation_problems
from cairn.model.definitions import (
    ANNEX_I,
    MicroCredentialDefinition,
    Organisation,
    SaveAction,
    content_hash,
    plan_save,
)
from cairn.model.vocabularies import (
    ASSESSMENT_TYPES,
    ORGANISATION_TYPES,
    PARTICIPATION_FORMS,
    QF_EHEA_CYCLES,
    QUALITY_ASSURANCE_TYPES,
    SCHEDULES,
    STACKABILITY,
    SUPERVISION,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "catalog"


def _load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    data.pop("kind")
    return dict(data)


@pytest.fixture
def definition() -> dict[str, Any]:
    return _load("micro-credentials/um-python-data-analysis.yaml")


@pytest.fixture
def organisation() -> dict[str, Any]:
    return _load("organisations/uniwersytet-mazowiecki.yaml")


def problems_of(model: type[MicroCredentialDefinition] | type[Organisation], data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return [str(p) for p in validation_problems("f.yaml", model, info.value)]


def test_the_demo_definition_is_valid(definition: dict[str, Any]) -> None:
    d = MicroCredentialDefinition.model_validate(definition)
    assert d.title["pl"] == "Analiza danych w języku Python"
    assert d.workload.ects == 5
    assert d.level.eqf == 6
    assert d.integration.stackability == "stackable"
    assert d.learning_outcomes[0].esco_skills[0].startswith("http://data.europa.eu/esco/skill/")


def test_annex_i_lists_eleven_mandatory_elements() -> None:
    mandatory = [e for e in ANNEX_I if e.mandatory]
    assert [e.number for e in mandatory] == list(range(1, 12))
    assert mandatory[5].name == "Learning outcomes"


@pytest.mark.parametrize(
    ("field", "element"),
    [
        ("title", "Title of the micro-credential"),
        ("awarding_bodies", "Awarding body(ies)"),
        ("learning_outcomes", "Learning outcomes"),
        ("workload", "Notional workload"),
        ("level", "Level of the learning experience"),
        ("assessment", "Type of assessment"),
        ("participation", "Form of participation in the learning activity"),
        ("quality_assurance", "Type of quality assurance used"),
    ],
)
def test_each_mandatory_element_missing_is_named(definition: dict[str, Any], field: str, element: str) -> None:
    del definition[field]
    problems = problems_of(MicroCredentialDefinition, definition)
    assert len(problems) == 1
    assert f"f.yaml: {field}: missing: {element}" in problems[0]
    assert f"[Annex I: {element}]" in problems[0]


@pytest.mark.parametrize(
    ("field", "element"),
    [("country", "Country(ies)/Region(s) of the issuer"), ("legal_name", "Awarding body(ies)")],
)
def test_organisation_elements_missing_are_named(organisation: dict[str, Any], field: str, element: str) -> None:
    del organisation[field]
    problems = problems_of(Organisation, organisation)
    assert any(element in p and field in p for p in problems)


@pytest.mark.parametrize("field", ["registration", "website", "type"])
def test_organisation_needs_registration_website_and_type(organisation: dict[str, Any], field: str) -> None:
    del organisation[field]
    assert any(f"'{field}' is required" in p for p in problems_of(Organisation, organisation))


def test_learner_identification_and_date_of_issuing_belong_to_the_award() -> None:
    issued = datetime(2026, 6, 1, 12, tzinfo=UTC)
    award = Award(definition_id="x", version=1, recipient=Recipient(email="Ada@Example.org"), issued_at=issued)
    assert award.recipient.email == "ada@example.org"
    with pytest.raises(ValidationError, match="identify the learner by email, by DID, or both"):
        Recipient(name="Ada Lovelace")
    with pytest.raises(ValidationError, match="needs a time zone"):
        Award(
            definition_id="x",
            version=1,
            recipient=Recipient(did="did:key:z6Mk"),
            issued_at=datetime(2026, 6, 1),
        )
    with pytest.raises(ValidationError, match="not an email address"):
        Recipient(email="not-an-email")
    with pytest.raises(ValidationError, match="recipient"):
        Award.model_validate({"definition_id": "x", "version": 1, "issued_at": issued})


@pytest.mark.parametrize("level", range(1, 9))
def test_eqf_levels_one_to_eight(definition: dict[str, Any], level: int) -> None:
    definition["level"] = {"eqf": level}
    assert MicroCredentialDefinition.model_validate(definition).level.eqf == level


@pytest.mark.parametrize("level", [0, 9, -1])
def test_eqf_levels_outside_one_to_eight_are_refused(definition: dict[str, Any], level: int) -> None:
    definition["level"] = {"eqf": level}
    (problem,) = problems_of(MicroCredentialDefinition, definition)
    assert "level.eqf" in problem
    assert "Level of the learning experience" in problem


def test_level_must_be_stated_or_declared_not_applicable(definition: dict[str, Any]) -> None:
    definition["level"] = {}
    assert "not_applicable" in problems_of(MicroCredentialDefinition, definition)[0]
    definition["level"] = {"not_applicable": True, "eqf": 4}
    assert "cannot also give" in problems_of(MicroCredentialDefinition, definition)[0]
    definition["level"] = {"not_applicable": True}
    assert MicroCredentialDefinition.model_validate(definition).level.not_applicable


VOCABULARY_FIELDS = [
    (QF_EHEA_CYCLES, lambda d, code: d.__setitem__("level", {"qf_ehea": code}), lambda m: m.level.qf_ehea),
    (
        ASSESSMENT_TYPES,
        lambda d, code: d.__setitem__("assessment", {"types": [code]}),
        lambda m: m.assessment.types[0],
    ),
    (
        PARTICIPATION_FORMS,
        lambda d, code: d.__setitem__("participation", {"mode": code}),
        lambda m: m.participation.mode,
    ),
    (
        SCHEDULES,
        lambda d, code: d.__setitem__("participation", {"mode": "online", "schedule": code}),
        lambda m: m.participation.schedule,
    ),
    (
        QUALITY_ASSURANCE_TYPES,
        lambda d, code: d.__setitem__("quality_assurance", {"types": [code]}),
        lambda m: m.quality_assurance.types[0],
    ),
    (SUPERVISION, lambda d, code: d.__setitem__("supervision", code), lambda m: m.supervision),
]


@pytest.mark.parametrize(("vocabulary", "put", "get"), VOCABULARY_FIELDS, ids=lambda v: getattr(v, "name", ""))
def test_every_code_of_each_vocabulary_is_accepted_and_others_refused(
    definition: dict[str, Any], vocabulary: Any, put: Any, get: Any
) -> None:
    for term in vocabulary:
        data = copy.deepcopy(definition)
        put(data, term.code)
        assert get(MicroCredentialDefinition.model_validate(data)) == term.code
        assert term.label("en")
        assert term.label("pl")
    put(definition, "no-such-code")
    (problem,) = problems_of(MicroCredentialDefinition, definition)
    assert "'no-such-code' is not a known" in problem
    assert vocabulary.codes()[0] in problem


def test_stackability_vocabulary(definition: dict[str, Any]) -> None:
    assert STACKABILITY.codes() == ("stand-alone", "stackable")
    definition["integration"] = {"stackability": "stackable"}
    assert "names what it stacks towards" in problems_of(MicroCredentialDefinition, definition)[0]
    definition["integration"] = {"stackability": "stand-alone", "towards": [{"title": {"en": "X"}}]}
    assert "has no 'towards'" in problems_of(MicroCredentialDefinition, definition)[0]
    del definition["integration"]
    assert MicroCredentialDefinition.model_validate(definition).integration.stackability == "stand-alone"


@pytest.mark.parametrize("code", ORGANISATION_TYPES.codes())
def test_every_organisation_type(organisation: dict[str, Any], code: str) -> None:
    organisation["type"] = code
    assert Organisation.model_validate(organisation).type == code


def test_organisation_country_and_region_codes(organisation: dict[str, Any]) -> None:
    organisation["country"] = "XX"
    assert "ISO 3166-1" in problems_of(Organisation, organisation)[0]
    organisation["country"] = "DE"
    assert "not an ISO 3166-2 subdivision of DE" in problems_of(Organisation, organisation)[0]
    organisation["region"] = "DE-BY"
    assert Organisation.model_validate(organisation).region == "DE-BY"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.__setitem__("title", {"english": "Data"}), "not a valid BCP 47 language tag"),
        (lambda d: d.__setitem__("title", {"en": "   "}), "the 'en' text is empty"),
        (lambda d: d.__setitem__("title", {}), "at least one language"),
        (lambda d: d.__setitem__("title", 42), "valid dictionary"),
        (lambda d: d.__setitem__("title", {"en": 42}), "valid string"),
        (lambda d: d["workload"].__setitem__("ects", -5), "greater than 0"),
        (lambda d: d.__setitem__("workload", {"ects": float("nan")}), "finite number"),
        (lambda d: d.__setitem__("workload", {}), "ECTS credits (ects), notional hours (hours), or both"),
        (lambda d: d["workload"].__setitem__("hours", "many"), "valid integer"),
        (lambda d: d.__setitem__("learning_outcomes", []), "at least 1 item"),
        (
            lambda d: d["learning_outcomes"][0].__setitem__("esco_skills", ["http://x"]),
            "not an ESCO skill URI",
        ),
        (lambda d: d.__setitem__("colour", "red"), "unknown field 'colour'"),
        (lambda d: d.__setitem__("id", "Bad Id!"), "not a valid identifier"),
        (lambda d: d.__setitem__("url", "javascript:alert(1)"), "not a web address"),
        (lambda d: d.__setitem__("languages", ["pl", "zz-!!"]), "not a valid BCP 47 language tag"),
        (lambda d: d.__setitem__("isced_f", "61"), "should match pattern"),
    ],
)
def test_bad_values_are_explained(definition: dict[str, Any], change: Any, expected: str) -> None:
    change(definition)
    problems = problems_of(MicroCredentialDefinition, definition)
    assert any(expected in p for p in problems), problems


def test_several_problems_are_reported_at_once(definition: dict[str, Any]) -> None:
    del definition["learning_outcomes"], definition["workload"]
    definition["level"] = {"eqf": 9}
    problems = problems_of(MicroCredentialDefinition, definition)
    assert len(problems) == 3
    joined = "\n".join(problems)
    assert "Learning outcomes" in joined
    assert "Notional workload" in joined
    assert "level.eqf" in joined


def test_content_hash_changes_with_content_only(definition: dict[str, Any]) -> None:
    first = MicroCredentialDefinition.model_validate(definition)
    again = MicroCredentialDefinition.model_validate(copy.deepcopy(definition))
    assert content_hash(first) == content_hash(again)
    definition["workload"]["ects"] = 6
    assert content_hash(MicroCredentialDefinition.model_validate(definition)) != content_hash(first)


def test_awarded_versions_are_immutable() -> None:
    assert plan_save(latest_hash=None, latest_awarded=False, new_hash="a") is SaveAction.CREATE
    assert plan_save(latest_hash="a", latest_awarded=True, new_hash="a") is SaveAction.UNCHANGED
    assert plan_save(latest_hash="a", latest_awarded=False, new_hash="b") is SaveAction.REPLACE
    assert plan_save(latest_hash="a", latest_awarded=True, new_hash="b") is SaveAction.NEW_VERSION


def test_definitions_are_frozen(definition: dict[str, Any]) -> None:
    d = MicroCredentialDefinition.model_validate(definition)
    with pytest.raises(ValidationError):
        d.id = "other"  # type: ignore[misc]
