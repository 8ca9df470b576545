"""The OB 3.0 schema check with the achievement judged apart (and remembered) says what the whole document says.

Each document is judged both ways: by the compiled validator of the whole schema (then, if it fails, the
reference validator's errors), which is what ``ob3_schema_errors`` did before the split, and by
``ob3_schema_errors`` itself, with the achievement memo empty and again with it filled. The documents are the
1EdTech fixtures and examples, Cairn's awards for every example definition, and an award broken in every place
(each member removed, each value replaced by one of the wrong kind), in its achievement and outside it.
"""

from __future__ import annotations

import copy
import enum
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest

from cairn.formats.ob3 import build_credential
from cairn.model.awards import Award, Recipient
from cairn.model.catalog import build_catalog
from cairn.services.catalog.service import read_files
from cairn.vc import ob3_schema
from cairn.vc.ob3_schema import (
    ACHIEVEMENT_MEMO_LIMIT,
    ACHIEVEMENT_MEMO_MAX_BYTES,
    _explained,
    _fast_valid,
    _ob3_fast,
    _ob3_schema,
    _ob3_split,
    _ob3_validator,
    ob3_schema_errors,
    split_schemas,
)
from cairn.vc.report import Outcome
from cairn.vc.verification import verify
from tests.factories import EXAMPLES, OB3_FIXTURES, signed_json, unsigned

OB3 = "ob3"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def empty_memo() -> Iterator[None]:
    ob3_schema._achievement_verdicts.clear()
    yield
    ob3_schema._achievement_verdicts.clear()


def whole_document_errors(document: Any) -> list[str]:
    """What ``ob3_schema_errors`` answered before the split: the whole schema, compiled, then the reference."""
    try:
        _ob3_fast()(document)
    except fastjsonschema.JsonSchemaException:
        return _explained(document)
    return []


def awards() -> list[dict[str, Any]]:
    """An award of every example definition, as Cairn builds it (proof left out: the schema check's input)."""
    files, _ = read_files([EXAMPLES])
    catalog, problems = build_catalog(files)
    assert not problems
    built = []
    for definition in catalog.definitions.values():
        organisations = [catalog.organisations[body] for body in definition.awarding_bodies]
        built.append(
            build_credential(
                definition=definition,
                version=2,
                organisations=organisations,
                issuer_ids={o.id: f"did:web:cairn.example:orgs:{o.id}" for o in organisations},
                award=Award(
                    definition_id=definition.id,
                    version=2,
                    recipient=Recipient(name="Anna Nowak", email="anna.nowak@example.org"),
                    issued_at=datetime(2026, 5, 4, 9, 30, tzinfo=UTC),
                    grade="4.5",
                ),
                credential_id="urn:uuid:2f1b8e0c-1d9e-4a51-9f0a-6f6f4b1c9a11",
                achievement_id=f"https://cairn.example/micro-credentials/{definition.id}/versions/2",
                salt="s4lt",
            )
        )
    assert len(built) >= 5
    return built


def fixtures(test_data: Path) -> list[Any]:
    """Every OB 3.0 JSON credential among the 1EdTech validator's fixtures and the specification's examples."""
    paths = sorted((test_data / OB3_FIXTURES).rglob("*.json")) + sorted(
        (test_data / OB3 / "openbadges-specification" / "extracted-examples").glob("*.json")
    )
    documents = []
    for path in paths:
        document = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(document, dict) and "credentialSubject" in document:
            if isinstance(document.get("proof"), dict):
                document["proof"] = [document["proof"]]  # as the verifier shapes it
            documents.append(document)
    return documents


def wrong_kind(value: Any) -> Any:
    """A value of another JSON kind than ``value``."""
    if isinstance(value, str):
        return 7
    if isinstance(value, bool | int | float):
        return "7"
    if isinstance(value, list):
        return {"not": "a list"}
    return ["not an object"]


def places(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from places(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from places(child, (*path, index))


def mutants(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """``document`` broken in every place: each member removed, each value of the wrong kind, each list emptied."""
    for path in places(document):
        if not path:
            continue
        parent_path, last = path[:-1], path[-1]
        for change in ("remove", "replace", "empty"):
            broken = copy.deepcopy(document)
            parent: Any = broken
            for step in parent_path:
                parent = parent[step]
            if change == "remove":
                if not isinstance(parent, dict):
                    continue
                del parent[last]
            elif change == "replace":
                parent[last] = wrong_kind(parent[last])
            elif isinstance(parent[last], list) and parent[last]:
                parent[last] = []
            else:
                continue
            yield broken


def assert_same_verdict(document: Any) -> list[str]:
    expected = whole_document_errors(document)
    ob3_schema._achievement_verdicts.clear()
    assert ob3_schema_errors(document) == expected  # the memo empty
    assert ob3_schema_errors(document) == expected  # the achievement's verdict remembered
    return expected


def test_the_bundled_schema_is_split() -> None:
    """The split is in use: with the bundled schema, the achievement is judged apart."""
    assert _ob3_split() is not None
    ob3_schema_errors(unsigned())
    assert len(ob3_schema._achievement_verdicts) == 1


def test_the_1edtech_documents_are_judged_as_a_whole(test_data: Path) -> None:
    verdicts = [assert_same_verdict(document) for document in fixtures(test_data)]
    assert len(verdicts) >= 30
    assert [] in verdicts
    assert any(verdicts)  # some fixtures are invalid, and say why
    assert any("credentialSubject/achievement" in e for errors in verdicts for e in errors)


def test_cairn_awards_are_judged_as_a_whole() -> None:
    secured = json.loads(signed_json())
    secured["proof"] = [secured["proof"]]  # as the verifier shapes it
    for award in [*awards(), unsigned(), secured]:
        assert assert_same_verdict(award) == []
        assert not list(_ob3_validator().iter_errors(award))


def test_an_award_broken_anywhere_gets_the_whole_documents_errors() -> None:
    award = unsigned()
    award["proof"] = [json.loads(signed_json())["proof"]]
    # the valid award first, so its achievement's verdict is remembered while the broken ones are judged
    assert ob3_schema_errors(award) == []
    broken_achievement = broken_rest = 0
    for broken in mutants(award):
        expected = whole_document_errors(broken)
        assert ob3_schema_errors(broken) == expected  # the valid award's achievement remembered
        ob3_schema._achievement_verdicts.clear()
        assert _fast_valid(broken) == (expected == [])  # the memo empty (the errors are the reference's, as above)
        assert _fast_valid(broken) == (expected == [])  # this achievement's verdict remembered
        assert ob3_schema_errors(award) == []
        if expected:
            in_achievement = all(e.startswith("credentialSubject/achievement") for e in expected)
            broken_achievement += in_achievement
            broken_rest += not in_achievement
    assert broken_achievement > 100
    assert broken_rest > 30


def test_a_document_broken_in_both_halves_names_both() -> None:
    broken = unsigned()
    broken["validFrom"] = 20260504
    broken["credentialSubject"]["achievement"]["alignment"][3]["targetType"] = "Competency"
    errors = assert_same_verdict(broken)
    assert any(e.startswith("validFrom") for e in errors)
    assert any(e.startswith("credentialSubject/achievement/alignment/3/targetType") for e in errors)


@pytest.mark.parametrize(
    "subject",
    [
        [{"type": ["AchievementSubject"], "achievement": {}}],
        "did:example:learner",
        {"type": ["AchievementSubject"]},
        {"type": ["AchievementSubject"], "achievement": None},
        {"type": ["AchievementSubject"], "achievement": "https://example.org/achievement"},
        {"type": ["AchievementSubject"], "achievement": ("not", "JSON")},
    ],
    ids=["list", "string", "no achievement", "null", "a reference", "a tuple"],
)
def test_subjects_the_split_cannot_use_are_judged_as_a_whole(subject: Any) -> None:
    document = unsigned()
    document["credentialSubject"] = subject
    assert assert_same_verdict(document)


class Text(str):
    pass


class Kind(enum.Enum):
    ACHIEVEMENT = "Achievement"


UUID_TEXT = "00000000-0000-0000-0000-000000000001"


@pytest.mark.parametrize(
    ("member", "plain", "odd"),
    [
        ("id", UUID_TEXT, uuid.UUID(UUID_TEXT)),
        ("achievementType", "Achievement", Kind.ACHIEVEMENT),
        ("name", "Python", Text("Python")),
        ("type", ["Achievement"], ("Achievement",)),
        ("creditsAvailable", None, float("nan")),
        ("creditsAvailable", 1, 1.0),
        ("creditsAvailable", 1, True),
        ("creditsAvailable", "1", 1),
        ("creditsAvailable", 2**70, 2.0**70),
        ("alignment", [], [{1: "a member name that is not a string"}]),
    ],
    ids=["UUID", "enum", "str subclass", "tuple", "NaN", "1.0", "true", "'1'", "huge", "non-string key"],
)
def test_values_json_text_would_write_alike_are_remembered_apart(member: str, plain: Any, odd: Any) -> None:
    """What orjson or json would write as the same text (or refuse) the validator may judge apart; each gets the
    whole document's verdict, whichever was remembered first."""
    for first, second in ((plain, odd), (odd, plain)):
        ob3_schema._achievement_verdicts.clear()
        for value in (first, second, first):
            document = unsigned()
            document["credentialSubject"]["achievement"][member] = value
            assert ob3_schema_errors(document) == whole_document_errors(document)
        assert len(ob3_schema._achievement_verdicts) == 2


def test_a_value_that_cannot_be_pickled_is_judged_without_the_memo() -> None:
    document = unsigned()
    document["credentialSubject"]["achievement"]["name"] = (n for n in range(3))  # a generator: not picklable
    assert assert_same_verdict(document)
    assert not ob3_schema._achievement_verdicts


def test_equal_looking_values_are_remembered_apart() -> None:
    """1, 1.0 and true are different values to the validator, so one's verdict is never another's."""
    document = unsigned()
    achievement = document["credentialSubject"]["achievement"]
    verdicts = {}
    for value in (1, 1.0, True, "1", 1.5):
        achievement["creditsAvailable"] = value
        assert ob3_schema_errors(document) == whole_document_errors(document)
        verdicts[repr(value)] = assert_same_verdict(document) == []
    assert verdicts == {"1": True, "1.0": True, "True": False, "'1'": False, "1.5": True}


def test_the_memo_is_bounded() -> None:
    document = unsigned()
    achievement = document["credentialSubject"]["achievement"]
    for number in range(ACHIEVEMENT_MEMO_LIMIT + 10):
        achievement["name"] = f"Python {number}"
        assert ob3_schema_errors(document) == []
        assert len(ob3_schema._achievement_verdicts) <= ACHIEVEMENT_MEMO_LIMIT
    ob3_schema._achievement_verdicts.clear()
    achievement["description"] = "x" * ACHIEVEMENT_MEMO_MAX_BYTES
    assert assert_same_verdict(document) == []
    achievement["criteria"] = "not an object"
    assert assert_same_verdict(document)
    assert not ob3_schema._achievement_verdicts  # too long to remember


def test_a_remembered_verdict_is_what_judges_the_achievement() -> None:
    """The memo is consulted (so it must hold only the validator's own verdicts); the errors, if any, are still
    the reference validator's, over the whole document."""
    document = unsigned()
    assert ob3_schema_errors(document) == []
    (text,) = ob3_schema._achievement_verdicts
    ob3_schema._achievement_verdicts[text] = False
    assert not _fast_valid(document)
    assert ob3_schema_errors(document) == []  # the reference validator finds nothing


def test_verify_reports_the_same_schema_failure_after_a_valid_award() -> None:
    """Through verify: a valid award and then one with the same definition but a broken alignment."""
    good = json.loads(signed_json())
    assert verify(good, now=NOW).outcome_of("schema") is Outcome.PASS
    bad = copy.deepcopy(good)
    bad["credentialSubject"]["achievement"]["alignment"][0]["targetUrl"] = 42
    check = next(c for c in verify(bad, now=NOW).checks if c.name == "schema")
    assert check.outcome is Outcome.FAIL
    errors = "; ".join(whole_document_errors({**bad, "proof": [bad["proof"]]}))
    assert check.reason == f"the 1EdTech Open Badges 3.0 JSON Schema finds: {errors}"
    assert "alignment/0/targetUrl" in check.reason


def schema_variant(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    schema = copy.deepcopy(_ob3_schema())
    change(schema)
    return schema


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s["$defs"]["Result"]["properties"].update(achievement={"$ref": "#/$defs/Achievement"}),
        lambda s: s["$defs"]["AchievementSubject"].update(
            patternProperties={"^ach": {"type": "object", "required": ["foo"]}}
        ),
        lambda s: s["$defs"]["AchievementSubject"].update(allOf=[{"required": ["achievement"]}]),
        lambda s: s.update(oneOf=[{"required": ["id"]}, {"required": ["name"]}]),
        lambda s: s["properties"].update(credentialSubject={"anyOf": [{"$ref": "#/$defs/AchievementSubject"}]}),
        lambda s: s["$defs"]["AchievementSubject"].update(additionalProperties={"type": "string"}),
        lambda s: s["$defs"]["AchievementSubject"]["properties"].update(achievement={"type": "object"}),
        lambda s: s["$defs"].update(Other={"items": {"$ref": "#/$defs/AchievementSubject"}}),
    ],
    ids=[
        "achievement referenced twice",
        "patternProperties",
        "allOf",
        "oneOf at the root",
        "anyOf around the subject",
        "additionalProperties schema",
        "no reference",
        "subject referenced twice",
    ],
)
def test_a_schema_the_split_would_not_follow_exactly_is_not_split(change: Callable[[dict[str, Any]], None]) -> None:
    assert split_schemas(_ob3_schema()) is not None
    assert split_schemas(schema_variant(change)) is None
