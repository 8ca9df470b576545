"""Recognition rules: the documents and their problems, the engine (full, partial, refused with the substantial
differences), credentials that do not count, combining, precedents, and hostile input."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cairn.formats.facts import Facts, facts_of
from cairn.model.pathways import Criteria, Rule, leaf_matches
from cairn.model.recognition import (
    Assessment,
    Course,
    RecognitionRules,
    assess,
    check_recognition,
    evidence_key,
    load_course,
    load_recognition,
    precedent_key,
)
from cairn.model.trust import Scope
from cairn.phrases import Phrase
from tests.factories import DEFINITION, unsigned

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LEARNER = "did:key:z6MkLearner"
SKILL = [f"http://data.europa.eu/esco/skill/{n:08x}-0000-4000-8000-000000000000" for n in range(8)]
ICT = (Scope(isced=("06",)),)
DEEP: dict[str, Any] = {}
for _ in range(30):
    DEEP = {"a": DEEP}

COURSE = f"""
kind: course
id: wi-data-analysis
title: {{en: Data analysis, pl: Analiza danych}}
institution: um-informatics
ects: 5
hours: 125
eqf: 6
nqf: {{framework: PL, level: 6}}
isced_f: "0613"
assessment: [written-exam]
learning_outcomes:
  - text: {{en: Cleans and explores data sets}}
    esco_skills: ["{SKILL[0]}", "{SKILL[1]}"]
  - text: {{en: Models and reports}}
    esco_skills: ["{SKILL[2]}", "{SKILL[3]}", "{SKILL[4]}"]
"""

RULES = """
kind: recognition
id: wi-data-analysis-micro
title: {en: Micro-credentials towards Data analysis, pl: Mikropoświadczenia na poczet Analizy danych}
institution: um-informatics
course: wi-data-analysis
conditions:
  accredited_for: {isced: "06"}
  eqf_at_least: 5
  ects_at_least: 3
  assessed: true
  identity_verified: true
  quality_assurance: any
  skills_coverage: 0.8
  awarded_within: {months: 60}
outcome:
  ects: 3
  review: automatic
  combine: true
  partial:
    - {skills_coverage: 0.6, ects: 2}
"""


def document(text: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(text)
    for path, value in changes.items():
        *parents, last = path.split("__")
        here = data
        for part in parents:
            here = here[part]
        if value is None:
            here.pop(last, None)
        else:
            here[last] = value
    return data


def course_of(text: str = COURSE, **changes: Any) -> Course:
    course, problems = load_course(document(text, **changes))
    assert problems == []
    assert course is not None
    return course


def rules_of(text: str = RULES, **changes: Any) -> RecognitionRules:
    rules, problems = load_recognition(document(text, **changes))
    assert problems == []
    assert rules is not None
    return rules


def held(credential_id: str, skills: list[str], **fields: Any) -> Facts:
    """A valid credential of the learner meeting every per-credential condition of RULES unless told otherwise."""
    base: dict[str, Any] = {
        "achievement_id": f"https://other.example/achievements/{credential_id}",
        "issuer_id": "did:web:other.example",
        "issuer_name": "Other University",
        "title": f"Micro-credential {credential_id}",
        "skills": tuple(skills),
        "eqf": 6,
        "ects": 3.0,
        "hours": 75.0,
        "awarded_at": datetime(2025, 9, 1, tzinfo=UTC),
        "trusted_scopes": ICT,
        "holder": LEARNER,
        "assessment_types": ("project",),
        "assessed": True,
        "supervision": "supervised-with-id",
        "quality_assurance": ("internal",),
    }
    base.update(fields)
    return Facts(credential_id=f"urn:uuid:{credential_id}", **base)


def run(facts: list[Facts], rules: RecognitionRules | None = None, **kwargs: Any) -> Assessment:
    return assess(rules or rules_of(), course_of(), facts, NOW, **kwargs)


def condition(result: Assessment, key: str) -> bool:
    return next(c.met for c in result.conditions if c.key == key)


# -- the documents ------------------------------------------------------------------------------------------------


def test_the_documents_load() -> None:
    course = course_of()
    assert course.skills == tuple(SKILL[:5])
    assert (course.ects, course.eqf, course.isced_f, course.type) == (5.0, 6, "0613", "course")
    rules = rules_of()
    assert rules.conditions.skills_coverage == 0.8
    assert rules.conditions.quality_assurance == ("any",)
    assert rules.outcome.review == "automatic"
    assert rules.outcome.partial[0].ects == 2
    assert check_recognition(rules, course) == []


def test_the_documented_example_loads_and_fits_its_course() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "recognition.md").read_text(encoding="utf-8")
    course_text, rules_text = re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)
    course, course_problems = load_course(yaml.safe_load(course_text))
    rules, problems = load_recognition(yaml.safe_load(rules_text))
    assert course_problems == problems == []
    assert course is not None
    assert rules is not None
    assert check_recognition(rules, course) == []
    result = assess(rules, course, [held("a", list(course.skills[:3]))], NOW)
    assert (result.decision, result.ects) == ("partial", 2.0)  # 3 of 4 skills: 75 %, under 80 %, over 60 %


@pytest.mark.parametrize(
    ("changes", "path", "words"),
    [
        ({"conditions__eqf_at_least_typo": 5}, "conditions.eqf_at_least_typo", "unknown field"),
        ({"conditions__ects_at_least": "three"}, "conditions.ects_at_least", "number"),
        ({"conditions__ects_at_least": -3}, "conditions.ects_at_least", "greater than 0"),
        ({"conditions__skills_coverage": 1.5}, "conditions.skills_coverage", "less than or equal to 1"),
        ({"conditions__skills_coverage": 0}, "conditions.skills_coverage", "greater than 0"),
        ({"conditions__quality_assurance": ["trust-me"]}, "conditions.quality_assurance[0]", "trust-me"),
        ({"outcome__ects": -1}, "outcome.ects", "greater than 0"),
        ({"outcome__review": "sometimes"}, "outcome.review", "automatic"),
        ({"outcome__partial": [{"ects": 4, "skills_coverage": 0.5}]}, "outcome.partial[0].ects", "fewer than 3"),
        ({"outcome__partial": [{"ects": 1, "skills_coverage": 0.9}]}, "outcome.partial[0].skills_coverage", "above"),
        ({"outcome__partial": [{"ects": 1, "hours_at_least": 10}]}, "outcome.partial[0].hours_at_least", "no"),
        ({"outcome__partial": [{"ects": 1}]}, "outcome.partial[0]", "lower"),
        ({"course": "Not A Slug"}, "course", "not a valid identifier"),
        ({"title": None}, "title", "required"),
        ({"kind": "pathway"}, "kind", "kind: recognition"),
        ({"conditions__accepted": {}}, "conditions.accepted", "give definitions"),
    ],
)
def test_rules_problems_name_their_path(changes: dict[str, Any], path: str, words: str) -> None:
    rules, problems = load_recognition(document(RULES, **changes), source="rules.yaml")
    assert rules is None
    assert any(p.path == path and words in p.message for p in problems), problems
    assert all(p.source == "rules.yaml" for p in problems)


@pytest.mark.parametrize(
    ("changes", "path", "words"),
    [
        ({"learning_outcomes": [{"text": {"en": "Talks"}}]}, "", "no ESCO skill"),
        ({"learning_outcomes": [{"text": {"en": "T"}, "esco_skills": ["esco:x"]}]}, "learning_outcomes[0]", "ESCO"),
        ({"ects": -5}, "ects", "greater than 0"),
        ({"eqf": 9}, "eqf", "less than or equal to 8"),
        ({"isced_f": "ICT"}, "isced_f", "pattern"),
        ({"colour": "blue"}, "colour", "unknown field"),
    ],
)
def test_course_problems_name_their_path(changes: dict[str, Any], path: str, words: str) -> None:
    course, problems = load_course(document(COURSE, **changes))
    assert course is None
    assert any(p.path.startswith(path) and words in p.message for p in problems), problems


def test_rules_are_checked_against_their_course() -> None:
    course = course_of()
    problems = check_recognition(
        rules_of(course="other-course", institution="someone-else", outcome__ects=6, outcome__partial=None), course
    )
    assert [p.path for p in problems] == ["course", "institution", "outcome.ects"]
    assert all(isinstance(p.message, Phrase) for p in problems)
    # a partial tier that asks as many of this course's 5 skills as the full outcome can never differ from it
    rules = rules_of(conditions__skills_coverage=0.8, outcome__partial=[{"skills_coverage": 0.7, "ects": 1}])
    assert [p.path for p in check_recognition(rules, course)] == ["outcome.partial[0].skills_coverage"]


@pytest.mark.parametrize(
    "junk",
    [
        None,
        "kind: recognition",
        [1, 2, 3],
        {"kind": ["recognition"]},
        {"id": 5, "title": "x", "conditions": [], "outcome": "yes"},
        {"id": "r", "title": {"en": "R"}, "institution": "i", "course": "c", "conditions": {"assessed": "yes"}},
        {"conditions": {"skills_coverage": float("nan"), "ects_at_least": float("inf")}},
        {"conditions": {"accepted": {"issuers": ["x"] * 100_000}}},
        {"conditions": {"accepted": {"definitions": [f"slug-{n}" for n in range(201)]}}},
        {"title": {f"l{n}": "x" for n in range(10_000)}},
        {"conditions": DEEP},
    ],
)
def test_hostile_documents_give_problems_never_an_exception(junk: Any) -> None:
    started = time.perf_counter()
    rules, problems = load_recognition(junk)
    course, course_problems = load_course(junk)
    assert rules is None
    assert course is None
    assert problems
    assert course_problems
    assert len(problems) <= 50
    assert time.perf_counter() - started < 2  # a huge list is refused before validation


def test_a_huge_list_is_refused_with_its_path() -> None:
    _, problems = load_recognition(document(RULES, conditions__accepted={"issuers": ["did:web:x"] * 100_000}))
    assert [(p.path, p.message) for p in problems] == [
        ("conditions.accepted.issuers", "more than 200 items: a list this long is never needed")
    ]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(["id", "title", "institution", "course", "conditions", "outcome", "kind", "x"]), json_values
    )
)
def test_any_json_loads_or_gives_problems(data: dict[str, Any]) -> None:
    rules, problems = load_recognition(data)
    assert (rules is None) == bool(problems)


# -- the engine -----------------------------------------------------------------------------------------------------


def test_automatic_full_recognition() -> None:
    result = run([held("a", SKILL[:5])])
    assert (result.decision, result.ects, result.full_ects, result.automatic) == ("full", 3.0, 3.0, True)
    assert result.counted == ("urn:uuid:a",)
    assert all(c.met for c in result.conditions)
    assert [c.key for c in result.conditions] == [
        "accredited_for",
        "eqf_at_least",
        "ects_at_least",
        "assessed",
        "identity_verified",
        "quality_assurance",
        "skills_coverage",
        "awarded_within",
    ]
    assert result.differences == ()
    assert (result.skills.share, result.skills.missing) == (1.0, ())
    assert result.explanation == "recognised: 3 ECTS towards Data analysis (decided by the rules)"
    assert result.explanation.to_json()["msgid"] == "%(outcome)s (%(review)s)"
    assert result.credentials[0].explanation == "counts"


def test_reviewer_rules_propose_but_do_not_decide() -> None:
    result = run([held("a", SKILL[:5])], rules_of(outcome__review="reviewer"))
    assert (result.decision, result.automatic) == ("full", False)
    assert result.explanation.endswith("(for a reviewer to decide)")


def test_partial_recognition_when_the_rules_allow_it() -> None:
    result = run([held("a", SKILL[:3])])  # 3 of 5 skills: 60 %, 80 % asked, the partial tier asks 60 %
    assert (result.decision, result.ects, result.automatic) == ("partial", 2.0, True)
    assert condition(result, "skills_coverage") is False
    skills = next(c for c in result.conditions if c.key == "skills_coverage")
    assert skills.explanation == "not met: 3 of the course's 5 ESCO skills covered (60%)"
    assert skills.needs == "credentials covering together 80% of the course's ESCO skills"
    (difference,) = result.differences
    assert (difference.aspect, difference.path) == ("outcomes", "conditions.skills_coverage")
    assert difference.skills == tuple(SKILL[3:5])
    assert result.skills.missing == tuple(SKILL[3:5])
    assert result.explanation.startswith("partly recognised: 2 of 3 ECTS towards Data analysis")


def test_sixty_percent_is_not_eighty_without_a_partial_tier() -> None:
    result = run([held("a", SKILL[:3])], rules_of(outcome__partial=None))
    assert (result.decision, result.ects, result.automatic) == ("none", 0.0, False)
    assert result.counted == ()
    assert [d.aspect for d in result.differences] == ["outcomes"]
    assert result.credentials[0].reasons == (
        "the credentials together fall short: 3 of the course's 5 ESCO skills covered (60%)",
    )
    assert "learning outcomes of the course not covered" in result.explanation


def test_refused_with_the_substantial_differences() -> None:
    weak = held("a", SKILL[:2], eqf=4, ects=1.0, supervision="unsupervised-no-id", trusted_scopes=())
    result = run([weak])
    assert (result.decision, result.automatic) == ("none", False)
    assert [(d.aspect, d.path) for d in result.differences] == [
        ("issuer", "conditions.accredited_for"),
        ("level", "conditions.eqf_at_least"),
        ("workload", "conditions.ects_at_least"),
        ("identity", "conditions.identity_verified"),
        ("outcomes", "conditions.skills_coverage"),
    ]
    assert all(d.credentials == ("urn:uuid:a",) for d in result.differences)
    assert result.explanation == (
        "not recognised towards Data analysis: the issuer is not accredited as the rules ask, a lower level, "
        "a smaller workload, no verification of the learner's identity, learning outcomes of the course not covered "
        "(for a reviewer to decide)"
    )
    level = result.differences[1]
    assert level.explanation == "a lower level (not met: Micro-credential a: it is at EQF level 4, below 5)"
    # the words of a per-credential condition are the pathways' own for the same criterion
    pathway_words = leaf_matches(Rule(criteria=Criteria(eqf_at_least=5)), weak, NOW)
    assert pathway_words is not None
    assert pathway_words in level.explanation
    assert result.credentials[0].counted is False
    assert len(result.credentials[0].reasons) == 3  # issuer, level, identity; the totals are the bundle's
    sides = {side.aspect: side for side in result.comparison}
    assert sides["level"].course == "EQF 6, level 6 of the PL framework"
    assert sides["level"].presented == "Micro-credential a: EQF 4"
    assert sides["level"].met is False
    assert sides["issuer"].course == "ISCED-F 0613; asked: an issuer accredited for ISCED-F 06"
    assert sides["issuer"].presented == "Micro-credential a: not accredited by anyone this instance trusts"
    assert sides["identity"].presented == "Micro-credential a: Unsupervised, with no identity verification"
    assert sides["assessment"].met is True
    assert sides["outcomes"].presented == "2 of the course's 5 ESCO skills covered (40%); 3 missing"


def test_unknown_identity_check_and_assessment_are_not_met() -> None:
    result = run([held("a", SKILL[:5], supervision="", assessed=None, assessment_types=())])
    assert result.decision == "none"
    reasons = result.credentials[0].reasons
    assert "it does not state how the learning was assessed" in reasons
    assert "it does not state whether the learner's identity was verified at the assessment" in reasons


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"holder": "did:key:z6MkSomeoneElse"}, "it is about someone else"),
        ({"holder": ""}, "it names no holder"),
        ({"valid": False, "invalid_reason": "revoked on 2026-05-01"}, "it is not valid: revoked on 2026-05-01"),
        ({"valid_until": datetime(2026, 1, 1, tzinfo=UTC)}, "it expired on 2026-01-01"),
        ({"awarded_at": datetime(2019, 1, 1, tzinfo=UTC)}, "it was awarded on 2019-01-01, more than 60 months ago"),
    ],
)
def test_credentials_that_do_not_count(fields: dict[str, Any], reason: str) -> None:
    result = run([held("a", SKILL[:5], **fields)], holder=LEARNER)
    assert result.decision == "none"
    assert result.counted == ()
    (credential,) = result.credentials
    assert credential.counted is False
    assert reason in credential.reasons
    assert credential.explanation.startswith("does not count: ")


def test_someone_elses_credential_is_never_combined_with_the_applicants() -> None:
    mine = held("a", SKILL[:3], ects=2.0)
    theirs = held("b", SKILL[3:5], ects=2.0, holder="did:key:z6MkSomeoneElse")
    result = run([mine, theirs])  # no holder given: the first credential's holder applies
    assert result.counted == ()
    assert result.credentials[1].reasons == ("it is about someone else",)
    assert run([mine, replace(theirs, holder=LEARNER)], holder=LEARNER).decision == "full"


def test_combining_two_credentials_skills_and_ects() -> None:
    first = held("a", SKILL[:3], ects=3.0)
    second = held("b", [SKILL[3], SKILL[4], SKILL[6]], ects=2.0)
    extra = held("c", SKILL[:2], ects=1.0)
    result = run([extra, first, second])
    assert (result.decision, result.ects) == ("full", 3.0)
    assert result.counted == ("urn:uuid:a", "urn:uuid:b")  # the most new skills first; the third is not needed
    assert result.credentials[0].explanation == "not needed: the credentials counted reach the outcome without it"
    assert result.skills.by_credential == (("urn:uuid:a", tuple(SKILL[:3])), ("urn:uuid:b", tuple(SKILL[3:5])))
    ects = next(c for c in result.conditions if c.key == "ects_at_least")
    assert ects.explanation == "met: 5 ECTS"
    alone = run([extra, first, second], rules_of(outcome__combine=False))
    assert (alone.decision, alone.ects, alone.counted) == ("partial", 2.0, ("urn:uuid:a",))
    assert alone.credentials[2].explanation.startswith("not needed")
    strict = run([first], rules_of(outcome__combine=False, outcome__partial=None))
    assert strict.credentials[0].reasons == ("it falls short: 3 of the course's 5 ESCO skills covered (60%)",)


def test_one_credential_per_micro_credential() -> None:
    twice = [
        held("a", SKILL[:3]),
        replace(held("b", SKILL[:3]), achievement_id=held("a", []).achievement_id),
    ]
    result = run(twice)
    assert result.counted == ("urn:uuid:a",)
    assert result.credentials[1].reasons == ("another credential of the same micro-credential is Micro-credential a",)


def test_accepted_credentials_and_grades() -> None:
    rules = rules_of(
        conditions__accepted={"issuers": ["did:web:trusted.example"], "definitions": [DEFINITION]},
        conditions__min_grade={"value": 4},
    )
    result = run([held("a", SKILL[:5], grade="3.5")], rules)
    assert result.decision == "none"
    assert {d.aspect for d in result.differences} == {"accepted", "grade"}
    good = held("b", SKILL[:5], grade="4.5", issuer_id="did:web:trusted.example")
    assert run([good], rules).decision == "full"


def test_nothing_presented_or_nothing_usable() -> None:
    result = run([])
    assert (result.decision, result.differences, result.evidence) == ("none", (), ())
    assert result.explanation.startswith(
        "not recognised towards Data analysis: none of the credentials presented counts"
    )
    assert len(result.conditions) == 8
    assert {(c.met, c.explanation) for c in result.conditions} == {(False, "no credential to compare")}
    assert {side.presented for side in result.comparison} >= {"no credential to compare"}


def test_a_job_profile_without_ects() -> None:
    profile = course_of(type="job-profile", ects=None, hours=None)
    rules = rules_of(outcome={"review": "automatic"}, conditions={"skills_coverage": 0.6})
    result = assess(rules, profile, [held("a", SKILL[:3])], NOW)
    assert (result.decision, result.ects) == ("full", 0.0)
    assert result.explanation == "recognised towards Data analysis (decided by the rules)"


def test_a_credential_as_cairn_issues_it() -> None:
    credential = unsigned()
    credential["credentialSubject"]["id"] = LEARNER
    facts = facts_of(credential, valid=True, trusted_scopes=ICT, definition=DEFINITION)
    course = course_of(
        learning_outcomes=[{"text": {"en": "Python"}, "esco_skills": list(facts.skills)}], institution="um-informatics"
    )
    result = assess(rules_of(), course, [facts], NOW)
    assert (result.decision, result.ects, result.automatic) == ("full", 3.0, True)


def test_the_wrong_course_is_the_callers_mistake() -> None:
    with pytest.raises(ValueError, match="not other"):
        assess(rules_of(), course_of(id="other"), [], NOW)


# -- precedents -----------------------------------------------------------------------------------------------------


def test_precedent_keys_are_stable_and_follow_the_evidence() -> None:
    first = run([held("a", SKILL[:5])])
    again = run([held("a", SKILL[:5])])
    key = precedent_key(first, version=1)
    assert len(key) == 64
    assert int(key, 16) >= 0
    assert key == precedent_key(again, version=1)
    # another learner's credential of the same micro-credential is the same evidence
    other = run([replace(held("a", SKILL[:5]), credential_id="urn:uuid:z", holder="did:key:z6MkOther")])
    assert precedent_key(other, version=1) == key
    assert evidence_key(other, version=1) == evidence_key(first, version=1)
    # other rules versions, other evidence, another decision
    assert precedent_key(first, version=2) != key
    changed = run([replace(held("a", SKILL[:5]), achievement_id="https://other.example/achievements/b")])
    assert precedent_key(changed, version=1) != key
    assert precedent_key(first, version=1, decision="partial", ects=2) != key
    assert evidence_key(first, version=1) != key
    # a reviewer refusing takes no ECTS
    assert precedent_key(first, version=1, decision="none") == precedent_key(first, version=1, decision="none", ects=0)
    # a course with other skills is other evidence; a reworded course is not
    reworded = assess(rules_of(), course_of(title={"en": "Analysing data"}), [held("a", SKILL[:5])], NOW)
    assert precedent_key(reworded, version=1) == key
    assert reworded.course_digest == first.course_digest


def test_a_credential_naming_no_achievement_is_itself_the_evidence() -> None:
    bare = replace(held("a", SKILL[:5]), achievement_id="")
    result = run([bare])
    plain = evidence_key(result, version=1)
    assert evidence_key(result, version=1, digests={"urn:uuid:a": "sha384-abc"}) != plain
    assert evidence_key(run([replace(bare, credential_id="urn:uuid:b")]), version=1) != plain


# -- hostile facts ---------------------------------------------------------------------------------------------------


def broken(name: str, **fields: Any) -> Facts:
    """A credential's facts with fields of the wrong types, as a careless caller might build them."""
    return replace(held(name, SKILL[:5]), **fields)


def test_facts_of_the_wrong_types_do_not_count_and_never_raise() -> None:
    junk: list[Any] = [
        "not facts",
        None,
        broken("a", ects="lots"),
        broken("b", skills=None),
        broken("c", eqf=True),
        broken("d", ects=float("nan")),
        broken("e", trusted_scopes=("06",)),
        broken("f", awarded_at="2025-09-01"),
    ]
    result = run(junk)
    assert result.decision == "none"
    assert [c.reasons for c in result.credentials] == [("what it states cannot be read",)] * len(junk)


def test_huge_applications_are_capped() -> None:
    many = [held(f"n{n}", SKILL[:1], ects=0.5) for n in range(1_000)]
    huge = held("big", [*SKILL[:5], *(f"http://data.europa.eu/esco/skill/x{n}" for n in range(100_000))])
    started = time.perf_counter()
    result = run([huge, *many])
    assert time.perf_counter() - started < 2
    assert (len(result.credentials), result.ignored) == (50, 951)
    assert result.decision == "full"
    assert result.counted == ("urn:uuid:big",)
