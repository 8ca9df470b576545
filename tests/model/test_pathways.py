"""Pathways: the file format, the rule engine (each credential counted once) and the static checks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from cairn.formats.facts import Facts
from cairn.model.pathways import (
    Criteria,
    Evaluation,
    Held,
    NodeResult,
    PathwayDefinition,
    Rule,
    check_pathway,
    content_hash,
    evaluate,
    evaluate_many,
    group_key,
    leaf_matches,
    leaves,
    load_pathway,
)
from cairn.model.trust import Scope
from cairn.phrases import Phrase

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SKILL = [f"http://data.europa.eu/esco/skill/{n:08x}-0000-4000-8000-000000000000" for n in range(6)]

EXAMPLE = """
kind: pathway
id: um-data-analyst
title: {en: Data analyst, pl: Analityk danych}
description: {en: Three courses and an elective., pl: Trzy kursy i jeden do wyboru.}
issuer: uniwersytet-mazowiecki
target: um-data-analyst-certificate
qualification:
  register: ZRK
  country: PL
  code: "12345"
  level: 5
  url: https://kwalifikacje.gov.pl/k/12345
  title: {pl: Analiza danych}
review: automatic
rules:
  all:
    - component: {definition: um-sql-databases}
    - component: {achievement: "https://other.example/achievements/1"}
      label: {en: Statistics at another university}
    - n_of:
        n: 1
        of:
          - component: {definition: um-python-data-analysis}
          - criteria:
              skills: [http://data.europa.eu/esco/skill/00000001-0000-4000-8000-000000000000]
              eqf_at_least: 5
              nqf_at_least: {framework: PL, level: 5}
              ects_at_least: 3
              hours_at_least: 60
              accredited_for: {isced: "06"}
              awarded_within: {months: 36}
              min_grade: {scale: [A, B, C, D, E], at_least: C}
              title: {en: Any accredited ICT course}
totals: {ects_at_least: 15, hours_at_least: 300}
"""


def pathway(rules: dict[str, Any], **extra: Any) -> PathwayDefinition:
    return load_pathway(
        {"id": "p", "title": {"en": "P"}, "issuer": "org", "target": "composite", "rules": rules, **extra}
    )


def comp(slug: str, **extra: Any) -> dict[str, Any]:
    return {"component": {"definition": slug}, **extra}


def crit(**criteria: Any) -> dict[str, Any]:
    return {"criteria": criteria}


def held(credential_id: str, definition: str = "", **fields: Any) -> Facts:
    return Facts(credential_id, definition=definition, title=fields.pop("title", credential_id.upper()), **fields)


def nodes(result: NodeResult) -> list[NodeResult]:
    return [result, *(n for child in result.children for n in nodes(child))]


def leaf(path: str, result: Evaluation) -> NodeResult:
    return next(n for n in nodes(result.root) if n.path == path)


def errors(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        load_pathway(data)
    return {".".join(str(part) for part in e["loc"]): e["msg"] for e in caught.value.errors()}


BASE = {"id": "p", "title": {"en": "P"}, "issuer": "org", "target": "composite"}


# -- the file format ---------------------------------------------------------------------------------------------


def test_the_documented_example_loads_with_every_part() -> None:
    p = load_pathway(yaml.safe_load(EXAMPLE))
    assert p.id == "um-data-analyst"
    assert p.review == "automatic"
    assert p.target == "um-data-analyst-certificate"
    assert p.qualification is not None
    assert p.qualification.register_ == "ZRK"
    assert p.qualification.level == 5
    assert p.model_dump(mode="json", exclude_none=True)["qualification"]["register"] == "ZRK"
    assert [c.kind for c in p.rules.children] == ["component", "component", "n_of"]
    elective = p.rules.children[2].children[1].criteria
    assert elective is not None
    assert elective.min_grade is not None
    assert elective.min_grade.at_least == "C"
    assert p.totals is not None
    assert p.totals.hours_at_least == 300


def test_review_waits_for_the_issuer_unless_the_file_says_automatic() -> None:
    assert pathway(comp("a")).review == "issuer"


@pytest.mark.parametrize(
    ("rules", "where", "says"),
    [
        ({"all": [comp("a"), {"n_of": {"n": 3, "of": [comp("b")]}}]}, "rules.all.1.n_of", "only 1 rules"),
        ({"all": [{"component": {"definition": "a"}, "criteria": {"eqf_at_least": 3}}]}, "rules.all.0", "exactly one"),
        ({"any": []}, "rules.any", "at least 1"),
        ({"all": [comp("a"), {"comp": {}}]}, "rules.all.1", "exactly one"),
        ({"all": [comp("Bad Slug")]}, "rules.all.0.component.definition", "not a valid identifier"),
        ({"component": {"definition": "a", "achievement": "urn:x:1"}}, "rules.component", "one of them"),
        ({"component": {"achievement": "not an id"}}, "rules.component.achievement", "not an identifier"),
        ({"criteria": {"skills": ["http://example.org/skill"]}}, "rules.criteria.skills.0", "not an ESCO skill"),
        ({"criteria": {"title": {"en": "t"}}}, "rules.criteria", "at least one criterion"),
        ({"criteria": {"eqf_at_least": 9}}, "rules.criteria.eqf_at_least", "less than or equal to 8"),
        ({"criteria": {"skills": [SKILL[0]], "skills_coverage": 0}}, "rules.criteria.skills_coverage", "greater"),
        (
            {"criteria": {"awarded_within": {"months": 3, "after": "2024-01-01"}}},
            "rules.criteria.awarded_within",
            "not both",
        ),
        (
            {"criteria": {"min_grade": {"scale": ["A", "B"], "at_least": "C"}}},
            "rules.criteria.min_grade",
            "not on the scale",
        ),
        ({"criteria": {"min_grade": {"value": 4, "at_least": "C"}}}, "rules.criteria.min_grade", "not both"),
        ({"criteria": {"accredited_for": {"isced": "6"}}}, "rules.criteria.accredited_for.isced", "pattern"),
        ({"all": [comp("a")], "label": {"en": " "}}, "rules.label", "empty"),
    ],
)
def test_a_bad_rule_is_refused_at_its_exact_path(rules: dict[str, Any], where: str, says: str) -> None:
    found = errors({**BASE, "rules": rules})
    assert where in found, found
    assert says in found[where]


def test_unknown_fields_kind_and_totals_are_refused() -> None:
    assert "colour" in errors({**BASE, "rules": comp("a"), "colour": "red"})
    assert "a pathway document" in errors({**BASE, "kind": "micro-credential", "rules": comp("a")})["kind"]
    assert "give ects_at_least" in errors({**BASE, "rules": comp("a"), "totals": {}})["totals"]
    assert "review" in errors({**BASE, "rules": comp("a"), "review": "sometimes"})
    assert "qualification.level" in errors(
        {**BASE, "rules": comp("a"), "qualification": {"register": "ZRK", "country": "PL", "code": "1", "level": 9}}
    )


def test_depth_and_leaf_limits() -> None:
    deep: dict[str, Any] = comp("a")
    for _ in range(7):
        deep = {"all": [deep]}
    assert pathway(deep).rules.kind == "all"  # 8 levels
    message = errors({**BASE, "rules": {"any": [deep]}})["rules"]
    assert "deeper than 8" in message
    assert "rules.any[0].all[0]" in message
    many = {"any": [comp(f"c{i}") for i in range(200)]}
    assert len(pathway(many).rules.children) == 200
    assert "at most 200" in errors({**BASE, "rules": {"all": [many, comp("extra")]}})["rules"]
    hostile: dict[str, Any] = comp("a")
    for _ in range(400):
        hostile = {"all": [hostile]}
    assert "deeper" in errors({**BASE, "rules": hostile})["rules"]


def test_the_content_hash_follows_the_content() -> None:
    a, b = pathway({"all": [comp("a"), comp("b")]}), pathway({"all": [comp("a"), comp("b")]})
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash(pathway({"all": [comp("b"), comp("a")]}))
    assert content_hash(a) != content_hash(pathway({"all": [comp("a"), comp("b")]}, review="automatic"))


# -- the engine: rule kinds --------------------------------------------------------------------------------------


def test_all_needs_every_part() -> None:
    p = pathway({"all": [comp("a"), comp("b")]})
    partial = evaluate(p, [held("x", "a")], now=NOW)
    assert not partial.met
    assert partial.progress == 0.5
    assert partial.used == ("x",)
    assert partial.root.explanation == "1 of 2 parts met"
    assert [m.definition for m in partial.missing] == ["b"]
    full = evaluate(p, [held("x", "a"), held("y", "b")], now=NOW)
    assert full.met
    assert full.progress == 1.0
    assert full.used == ("x", "y")
    assert full.explanation == "met: 2 of 2 parts"
    assert full.root.explanation == "all 2 parts met"


def test_any_needs_one_part_and_follows_the_most_advanced_branch() -> None:
    p = pathway({"any": [{"all": [comp("a"), comp("b"), comp("c")]}, {"all": [comp("d"), comp("e")]}]})
    nothing = evaluate(p, [], now=NOW)
    assert not nothing.met
    assert nothing.root.needed == 2
    assert nothing.root.explanation == "none of 2 options met yet"
    on_the_long_way = evaluate(p, [held("x", "a"), held("y", "b")], now=NOW)
    assert on_the_long_way.root.done == 2
    assert on_the_long_way.root.needed == 3
    assert on_the_long_way.explanation == "missing 1 part"
    missing = {m.definition: m.alternative for m in on_the_long_way.missing}
    assert missing == {"c": False, "d": True, "e": True}
    met = evaluate(p, [held("x", "d"), held("y", "e")], now=NOW)
    assert met.met
    assert met.root.explanation == "met by one of 2 options"
    assert met.missing == ()


def test_n_of_needs_n_parts() -> None:
    p = pathway({"n_of": {"n": 2, "of": [comp("a"), comp("b"), comp("c")]}})
    one = evaluate(p, [held("x", "b")], now=NOW)
    assert not one.met
    assert one.progress == 0.5
    assert one.root.explanation == "1 of 3 met, 2 needed"
    assert {m.definition for m in one.missing} == {"a", "c"}
    two = evaluate(p, [held("x", "b"), held("y", "c")], now=NOW)
    assert two.met
    assert two.root.explanation == "2 of 3 met, 2 needed"
    assert two.missing == ()
    three = evaluate(p, [held("x", "b"), held("y", "c"), held("z", "a")], now=NOW)
    assert three.met
    assert set(three.used) == {"x", "y", "z"}


def test_a_component_of_another_issuer_by_achievement_id() -> None:
    p = pathway({"component": {"achievement": "https://other.example/a/1", "title": {"en": "Statistics"}}})
    elsewhere = held("x", achievement_id="https://other.example/a/1/", issuer_name="Other University")
    result = evaluate(p, [elsewhere], now=NOW)
    assert result.met
    assert result.root.explanation == "met by X from Other University"
    unmet = evaluate(p, [held("y", achievement_id="https://other.example/a/2")], now=NOW)
    assert not unmet.met
    assert unmet.missing[0].achievement == "https://other.example/a/1"
    assert unmet.missing[0].explanation == "the credential Statistics"
    assert unmet.root.explanation == "not met yet: needs the credential Statistics"
    assert unmet.missing[0].label == {"en": "Statistics"}


def test_a_criteria_leaf_is_met_by_any_credential_meeting_all_its_criteria() -> None:
    p = pathway(crit(skills=SKILL[:2], eqf_at_least=5, ects_at_least=3))
    good = held("x", skills=(SKILL[1], SKILL[0], SKILL[3]), eqf=6, ects=4.0)
    assert evaluate(p, [good], now=NOW).met
    result = evaluate(p, [replace(good, eqf=4)], now=NOW)
    assert not result.met
    assert result.root.explanation == "not met: X does not count: it is at EQF level 4, below 5"
    missing = result.missing[0]
    assert missing.kind == "criteria"
    assert missing.criteria is not None
    assert missing.criteria.eqf_at_least == 5
    assert missing.explanation == (
        "a credential covering the 2 ESCO skills listed, at EQF level 5 or higher, of at least 3 ECTS"
    )


# -- one credential counts once ----------------------------------------------------------------------------------


def test_one_credential_never_meets_two_leaves() -> None:
    p = pathway({"all": [crit(eqf_at_least=5), crit(ects_at_least=3)]})
    only = held("x", eqf=6, ects=5.0)
    result = evaluate(p, [only], now=NOW)
    assert not result.met
    assert result.used == ("x",)
    counted = [n for n in nodes(result.root) if n.used and not n.children]
    assert len(counted) == 1
    blocked = next(n for n in nodes(result.root) if not n.children and not n.met)
    assert blocked.not_counted[0].credential_id == "x"
    assert blocked.not_counted[0].reason.startswith("it already counts for a credential")
    assert evaluate(p, [only, held("y", eqf=2, ects=3.0)], now=NOW).met


def test_the_assignment_is_searched_not_greedy() -> None:
    # The first leaf would take x greedily; only giving it y lets the second leaf have x.
    p = pathway({"all": [crit(eqf_at_least=5), comp("a")]})
    x, y = held("x", "a", eqf=6), held("y", "b", eqf=5)
    result = evaluate(p, [x, y], now=NOW)
    assert result.met
    assert leaf("rules.all[0]", result).used == ("y",)
    assert leaf("rules.all[1]", result).used == ("x",)


def test_competing_leaves_under_any_choose_the_way_that_meets_the_rules() -> None:
    # x fits both the shared leaf and the branch; only one assignment meets the tree.
    p = pathway({"all": [crit(eqf_at_least=5), {"any": [{"all": [comp("a"), comp("b")]}, comp("c")]}]})
    facts = [held("x", "c", eqf=6), held("y", "a"), held("z", "b", eqf=5)]
    result = evaluate(p, facts, now=NOW)
    assert result.met
    assert sorted(result.used) == ["x", "y", "z"]


def test_the_richer_credential_is_counted_when_the_totals_need_it() -> None:
    p = pathway({"all": [crit(eqf_at_least=5), crit(eqf_at_least=4)]}, totals={"ects_at_least": 12})
    facts = [held("small", eqf=5, ects=2.0), held("big", eqf=6, ects=10.0), held("mid", eqf=4, ects=2.0)]
    result = evaluate(p, facts, now=NOW)
    assert result.met
    assert set(result.used) == {"big", "small"}
    assert result.ects_done == 12
    assert result.explanation == "met: 2 of 2 parts, 12 of 12 ECTS"


def test_two_credentials_of_one_achievement_count_once() -> None:
    p = pathway({"n_of": {"n": 2, "of": [crit(ects_at_least=5), crit(ects_at_least=5)]}})
    v1 = held("v1", "a", ects=5.0, achievement_id="https://cairn.example/micro-credentials/a/versions/1")
    v2 = held("v2", "a", ects=5.0, achievement_id="https://cairn.example/micro-credentials/a/versions/2")
    result = evaluate(p, [v1, v2], now=NOW)
    assert not result.met
    assert result.used == ("v1",)
    met_leaf = next(n for n in nodes(result.root) if n.met and not n.children)
    assert met_leaf.not_counted[0].reason == "it is the same achievement as V1, counted once"
    foreign = [held("f1", achievement_id="urn:x:1", ects=5.0), held("f2", achievement_id="urn:x:1", ects=5.0)]
    assert not evaluate(p, foreign, now=NOW).met
    assert evaluate(p, [v1, *foreign], now=NOW).met


# -- totals ------------------------------------------------------------------------------------------------------


def test_totals_sum_the_credentials_counted() -> None:
    p = pathway({"all": [comp("a"), comp("b")]}, totals={"ects_at_least": 15, "hours_at_least": 300})
    result = evaluate(p, [held("x", "a", ects=5.0, hours=125.0), held("y", "b", ects=5.0, hours=125.0)], now=NOW)
    assert result.root.met
    assert not result.met
    assert (result.ects_done, result.ects_needed, result.hours_done, result.hours_needed) == (10, 15, 250, 300)
    assert result.explanation == "missing 5 ECTS, 50 hours"
    assert result.missing == ()
    extra = held("z", "c", ects=5.0, hours=50.0)  # not in the rules: it does not count towards the totals
    assert evaluate(p, [held("x", "a", ects=5.0), held("y", "b", ects=5.0), extra], now=NOW).ects_done == 10
    done = evaluate(p, [held("x", "a", ects=10.0, hours=200.0), held("y", "b", ects=7.5, hours=100.0)], now=NOW)
    assert done.met
    assert done.explanation == "met: 2 of 2 parts, 17.5 of 15 ECTS, 300 of 300 hours"
    missing = evaluate(p, [held("x", "a", ects=5.0, hours=299.0)], now=NOW)
    assert missing.explanation == "missing 1 part, 10 ECTS, 1 hour"


# -- each criterion, with its reason -----------------------------------------------------------------------------


def _leaf(**criteria: Any) -> Rule:
    return Rule(criteria=Criteria.model_validate(criteria))


@pytest.mark.parametrize(
    ("criteria", "good", "bad", "why"),
    [
        (
            {"skills": SKILL[:4], "skills_coverage": 0.5},
            {"skills": (SKILL[0], SKILL[3])},
            {"skills": (SKILL[0], SKILL[5])},
            "it covers 1 of the 4 ESCO skills asked, 2 needed",
        ),
        ({"skills": SKILL[:2]}, {"skills": tuple(SKILL[:2])}, {"skills": ()}, "it covers 0 of the 2 ESCO skills"),
        ({"eqf_at_least": 5}, {"eqf": 5}, {"eqf": None}, "it states no EQF level"),
        (
            {"nqf_at_least": {"framework": "PL", "level": 5}},
            {"nqf_framework": "PL", "nqf_level": 6},
            {"nqf_framework": "PL", "nqf_level": 4},
            "it is at level 4 of the PL national framework, below 5",
        ),
        (
            {"nqf_at_least": {"framework": "PL", "level": 5}},
            {"nqf_framework": "PL", "nqf_level": 5},
            {"nqf_framework": "DE", "nqf_level": 6},
            "it states no level of the PL national framework",
        ),
        ({"ects_at_least": 3}, {"ects": 3.0}, {"ects": 2.5}, "it carries 2.5 ECTS, fewer than 3"),
        ({"hours_at_least": 60}, {"hours": 60.0}, {"hours": None}, "it states no workload in hours"),
        (
            {"accredited_for": {"isced": "06"}},
            {"trusted_scopes": (Scope(isced=("0613",)),)},
            {"trusted_scopes": ()},
            "its issuer is not accredited by anyone this instance trusts",
        ),
        (
            {"accredited_for": {"isced": "06", "eqf": 6}},
            {"trusted_scopes": (Scope(isced=("04",)), Scope(isced=("06",), eqf=(5, 6)))},
            {"trusted_scopes": (Scope(isced=("06",), eqf=(4, 5)),)},
            "its issuer is accredited, but not for ISCED-F 06 at EQF 6",
        ),
        ({"accredited_for": {}}, {"trusted_scopes": (Scope(),)}, {}, "its issuer is not accredited"),
        (
            {"awarded_within": {"months": 36}},
            {"awarded_at": datetime(2023, 6, 1, 12, tzinfo=UTC)},
            {"awarded_at": datetime(2023, 5, 31, tzinfo=UTC)},
            "it was awarded on 2023-05-31, more than 36 months ago",
        ),
        (
            {"awarded_within": {"after": "2024-01-01", "before": "2027-01-01"}},
            {"awarded_at": datetime(2024, 1, 1, tzinfo=UTC)},
            {"awarded_at": datetime(2023, 12, 31, 23, tzinfo=UTC)},
            "it was awarded on 2023-12-31, before 2024-01-01",
        ),
        (
            {"awarded_within": {"before": "2026-01-01"}},
            {"awarded_at": datetime(2025, 12, 31, tzinfo=UTC)},
            {"awarded_at": datetime(2026, 1, 1, tzinfo=UTC)},
            "it was awarded on 2026-01-01, not before 2026-01-01",
        ),
        ({"awarded_within": {"months": 1}}, {"awarded_at": NOW}, {}, "it states no date of award"),
        ({"min_grade": {"value": 4.0}}, {"grade": "4,5"}, {"grade": "3.5"}, "its grade 3.5 is below 4"),
        ({"min_grade": {"value": 4.0}}, {"grade": "5.0/5"}, {"grade": "Pass"}, "its grade Pass is not a number"),
        ({"min_grade": {"value": 4.0}}, {"grade": "4"}, {}, "it states no grade"),
        (
            {"min_grade": {"scale": ["A", "B", "C", "D", "E"], "at_least": "C"}},
            {"grade": "b"},
            {"grade": "D"},
            "its grade D is below C",
        ),
        (
            {"min_grade": {"scale": ["A", "B", "C"], "at_least": "C"}},
            {"grade": "C"},
            {"grade": "F"},
            "its grade F is not on the scale A, B, C",
        ),
    ],
)
def test_each_criterion_with_its_reason(
    criteria: dict[str, Any], good: dict[str, Any], bad: dict[str, Any], why: str
) -> None:
    rule = _leaf(**criteria)
    assert leaf_matches(rule, Facts("c", **good), NOW) is None
    reason = leaf_matches(rule, Facts("c", **bad), NOW)
    assert isinstance(reason, Phrase)
    assert reason.startswith(why)
    result = evaluate(pathway(crit(**criteria)), [Facts("c", title="Course", **bad)], now=NOW)
    assert not result.met
    assert evaluate(pathway(crit(**criteria)), [Facts("c", **good)], now=NOW).met


def test_a_component_leaf_names_what_it_is_not() -> None:
    assert leaf_matches(Rule.model_validate(comp("a")), Facts("x", definition="a"), NOW) is None
    assert leaf_matches(Rule.model_validate(comp("a")), Facts("x", definition="b"), NOW) == (
        "it is not the micro-credential a"
    )
    with pytest.raises(ValueError, match="component or criteria"):
        leaf_matches(Rule.model_validate({"all": [comp("a")]}), Facts("x"), NOW)


# -- credentials that do not count -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "why"),
    [
        (Facts("x", definition="a", title="SQL", valid=False, invalid_reason="revoked on 2026-02-01"), "revoked"),
        (
            Facts("x", definition="a", title="SQL", valid=False, invalid_reason=Phrase("the signature does not match")),
            "it is not valid: the signature does not match",
        ),
        (Facts("x", definition="a", title="SQL", valid=False), "it did not verify"),
        (
            Facts("x", definition="a", title="SQL", valid_until=datetime(2026, 5, 31, tzinfo=UTC)),
            "it expired on 2026-05-31",
        ),
    ],
)
def test_an_invalid_credential_is_not_counted_and_says_why(facts: Facts, why: str) -> None:
    result = evaluate(pathway({"all": [comp("a"), comp("b")]}), [facts], now=NOW)
    assert not result.met
    assert result.used == ()
    first = leaf("rules.all[0]", result)
    assert first.not_counted[0].credential_id == "x"
    assert why in first.not_counted[0].reason
    assert first.explanation.startswith("not met: SQL does not count: ")
    assert why in first.explanation
    assert leaf_matches(Rule.model_validate(comp("a")), facts, NOW) is not None


def test_an_invalid_duplicate_does_not_hide_a_valid_one() -> None:
    p = pathway(comp("a"))
    revoked = Facts("old", definition="a", title="SQL", valid=False, invalid_reason="revoked")
    result = evaluate(p, [revoked, Facts("new", definition="a", title="SQL")], now=NOW)
    assert result.met
    assert result.used == ("new",)
    assert result.root.not_counted[0].credential_id == "old"


def test_every_node_and_outcome_is_explained_and_phrases_survive_storage() -> None:
    p = load_pathway(yaml.safe_load(EXAMPLE))
    facts = [
        held("sql", "um-sql-databases", ects=5.0, hours=125.0),
        held("py", "um-python-data-analysis", ects=5.0, hours=125.0, valid=False, invalid_reason="revoked"),
    ]
    result = evaluate(p, facts, now=NOW)
    assert not result.met
    for node in nodes(result.root):
        assert isinstance(node.explanation, Phrase)
        assert node.explanation.strip()
        assert node.explanation.to_json()["msgid"]
    assert result.explanation == "missing 2 parts, 10 ECTS, 175 hours"
    assert [m.path for m in result.missing] == [
        "rules.all[1]",
        "rules.all[2].n_of.of[0]",
        "rules.all[2].n_of.of[1]",
    ]
    assert result.missing[2].explanation.startswith("Any accredited ICT course (a credential covering the 1 ESCO")


def test_evaluate_many_leaves_out_the_pathways_nothing_touches() -> None:
    ps = [pathway(comp("a")), pathway(comp("b")), pathway(crit(eqf_at_least=7, ects_at_least=10))]
    ps = [p.model_copy(update={"id": f"p{i}"}) for i, p in enumerate(ps)]
    facts = [held("x", "a"), held("y", eqf=7, ects=1.0)]
    found = evaluate_many(ps, facts, now=NOW)
    assert [e.pathway for e in found] == ["p0", "p2"]
    assert not found[1].met
    assert "fewer than 10" in found[1].root.explanation
    everything = evaluate_many(ps, facts, now=NOW, untouched=True)
    assert [e.touched for e in everything] == [True, False, True]


def test_a_catalogue_definition_can_be_asked_whether_it_would_close_a_gap() -> None:
    rule = _leaf(eqf_at_least=5, min_grade={"value": 4}, awarded_within={"months": 12})
    course = Facts("definition:c", definition="c", eqf=6)
    assert leaf_matches(rule, course, NOW, hypothetical=True) is None
    assert leaf_matches(rule, course, NOW) == "it states no date of award"
    low = Facts("definition:d", definition="d", eqf=4, valid=False)
    assert leaf_matches(rule, low, NOW, hypothetical=True) == "it is at EQF level 4, below 5"


# -- static checks -----------------------------------------------------------------------------------------------


def known(*slugs: str) -> Any:
    return lambda slug: slug in {"composite", *slugs}


def test_unknown_definitions_are_named_with_their_path() -> None:
    p = pathway({"all": [comp("a"), {"any": [comp("ghost"), comp("b")]}]})
    problems = check_pathway(p, known_definitions=known("a", "b"), pathways_by_target={})
    assert [(x.source, x.path, x.message) for x in problems] == [
        ("p", "rules.all[1].any[0]", "ghost is not a definition of this instance")
    ]
    assert isinstance(problems[0].message, Phrase)
    orphan = check_pathway(p, known_definitions=lambda s: s in {"a", "b", "ghost"}, pathways_by_target={})
    assert [(x.path, x.message) for x in orphan] == [("target", "composite is not a definition of this instance")]
    assert check_pathway(p, known_definitions=known("a", "b", "ghost"), pathways_by_target={}) == []


def test_cycles_directly_and_through_other_pathways() -> None:
    own = pathway({"all": [comp("a"), comp("composite")]})
    assert [x.message for x in check_pathway(own, known_definitions=known("a"), pathways_by_target={})] == [
        "the rules require the pathway's own target, composite"
    ]
    p = pathway({"all": [comp("a"), comp("middle")]})
    q = load_pathway({**BASE, "id": "q", "target": "middle", "rules": {"any": [comp("b"), comp("top")]}})
    r = load_pathway({**BASE, "id": "r", "target": "top", "rules": comp("composite")})
    problems = check_pathway(
        p,
        known_definitions=known("a", "b", "middle", "top"),
        pathways_by_target={"middle": q, "top": r, "composite": p},
    )
    assert [(x.path, x.message) for x in problems] == [
        (
            "rules.all[1]",
            "a cycle: middle is awarded through a pathway that requires this pathway's target "
            "(middle → top → composite)",
        )
    ]
    fine = load_pathway({**BASE, "id": "r", "target": "top", "rules": comp("b")})
    assert not check_pathway(
        p, known_definitions=known("a", "b", "middle", "top"), pathways_by_target={"middle": q, "top": fine}
    )


def test_contradictions_that_can_never_be_met() -> None:
    p = pathway(
        {
            "all": [
                comp("a"),
                {"all": [comp("b"), comp("a")]},
                {"any": [comp("a"), comp("b")]},  # fine: either
                {"n_of": {"n": 2, "of": [comp("c"), comp("c")]}},
                crit(awarded_within={"after": "2027-01-01", "before": "2026-01-01"}),
            ]
        }
    )
    problems = check_pathway(p, known_definitions=known("a", "b", "c"), pathways_by_target={})
    assert [(x.path, x.message) for x in problems] == [
        (
            "rules.all[1].all[1]",
            "the micro-credential a is also required at rules.all[0]; one credential counts once, "
            "so both can never be met",
        ),
        ("rules.all[3].n_of", "n_of asks for 2 of 1 different rules, which can never be met"),
        ("rules.all[4].criteria.awarded_within", "no day is on or after 2027-01-01 and before 2026-01-01"),
    ]


def test_structures_the_loader_refuses_are_still_caught_when_built_in_code() -> None:
    empty = Rule.model_construct(all=(), any=None, n_of=None, component=None, criteria=None, label=None)
    p = pathway(comp("a")).model_copy(update={"rules": empty})
    assert [(x.path, x.message) for x in check_pathway(p, known_definitions=known(), pathways_by_target={})] == [
        ("rules", "all has no rules")
    ]


def test_totals_beyond_every_component_together() -> None:
    p = pathway({"any": [comp("a"), comp("b")]}, totals={"ects_at_least": 15, "hours_at_least": 100})
    workload = {"a": Facts("definition:a", ects=5.0, hours=125.0), "b": Facts("definition:b", ects=5.0, hours=20.0)}
    problems = check_pathway(p, known_definitions=known("a", "b"), pathways_by_target={}, definition_facts=workload.get)
    assert [(x.path, x.message) for x in problems] == [
        ("totals.ects_at_least", "even if every component counted, they carry 10 ECTS, fewer than 15")
    ]
    with_criteria = pathway({"any": [comp("a"), crit(eqf_at_least=4)]}, totals={"ects_at_least": 15})
    assert not check_pathway(
        with_criteria, known_definitions=known("a"), pathways_by_target={}, definition_facts=workload.get
    )


def test_window_dates_are_days() -> None:
    rule = _leaf(awarded_within={"after": "2024-01-01"})
    assert rule.criteria is not None
    assert rule.criteria.awarded_within is not None
    assert rule.criteria.awarded_within.after == date(2024, 1, 1)


# -- properties --------------------------------------------------------------------------------------------------

SLUGS = ["a", "b", "c", "d"]
_leaves = st.one_of(
    st.sampled_from(SLUGS).map(comp),
    st.integers(3, 6).map(lambda n: crit(eqf_at_least=n)),
    st.integers(1, 5).map(lambda n: crit(ects_at_least=n)),
    st.tuples(st.integers(3, 6), st.integers(1, 5)).map(lambda t: crit(eqf_at_least=t[0], ects_at_least=t[1])),
    st.integers(6, 48).map(lambda m: crit(awarded_within={"months": m})),
    st.sampled_from([3.0, 4.0, 4.5]).map(lambda v: crit(min_grade={"value": v})),
    st.sampled_from([{"isced": "06"}, {"eqf": 5}, {}]).map(lambda a: crit(accredited_for=a)),
    st.sampled_from([0.5, 1.0]).map(lambda c: crit(skills=SKILL[:2], skills_coverage=c)),
    st.integers(4, 6).map(lambda n: crit(nqf_at_least={"framework": "PL", "level": n}, hours_at_least=50)),
)


def _node(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    many = st.lists(children, min_size=1, max_size=3)
    return st.one_of(
        many.map(lambda c: {"all": c}),
        many.map(lambda c: {"any": c}),
        many.flatmap(lambda c: st.integers(1, len(c)).map(lambda n: {"n_of": {"n": n, "of": c}})),
    )


_rules = st.recursive(_leaves, _node, max_leaves=6)
_facts = st.builds(
    lambda i, slug, achievement, eqf, ects, valid, days, grade, scopes, skills, nqf, expired: Facts(
        f"c{i}",
        definition=slug,
        achievement_id=achievement,
        eqf=eqf,
        ects=ects,
        valid=valid,
        awarded_at=None if days is None else NOW - timedelta(days=days),
        grade=grade,
        trusted_scopes=scopes,
        skills=skills,
        nqf_framework="PL" if nqf else "",
        nqf_level=nqf,
        hours=60.0,
        valid_until=NOW - timedelta(days=1) if expired else None,
    ),
    st.integers(0, 10**6),
    st.sampled_from(["", *SLUGS]),
    st.sampled_from(["", "urn:x:1", "urn:x:2"]),
    st.one_of(st.none(), st.integers(1, 8)),
    st.one_of(st.none(), st.integers(1, 6).map(float)),
    st.booleans(),
    st.one_of(st.none(), st.integers(0, 1800)),
    st.sampled_from(["", "3.0", "4,5", "Pass", "5"]),
    st.sampled_from([(), (Scope(isced=("06",)),), (Scope(isced=("0613",), eqf=(5,)),), (Scope(eqf=(4,)),)]),
    st.sampled_from([(), (SKILL[0],), (SKILL[1], SKILL[0]), (SKILL[3],)]),
    st.one_of(st.none(), st.integers(3, 7)),
    st.booleans(),
)
_wallets = st.lists(_facts, max_size=6, unique_by=lambda f: f.credential_id)
_totals = st.one_of(st.none(), st.integers(1, 12).map(lambda n: {"ects_at_least": n}))


def _oracle_met(rule: Rule, facts: list[Facts], totals: float | None) -> bool:
    """Brute force: is there any assignment of distinct credential groups to leaves that meets the rules? (Leaves
    are matched with :func:`leaf_matches`, the words; the engine indexes with the checks' wordless fast paths.)"""
    rules = _walk_leaves(rule)
    groups: dict[str, list[Facts]] = {}
    for f in facts:
        if f.valid and (f.valid_until is None or f.valid_until >= NOW):
            groups.setdefault(group_key(f), []).append(f)

    def fits(leaf: Rule, key: str) -> Facts | None:
        return next((f for f in groups[key] if leaf_matches(leaf, f, NOW) is None), None)

    def tree_met(node: Rule, met: dict[int, bool]) -> bool:
        if node.is_leaf:
            return met[id(node)]
        results = [tree_met(c, met) for c in node.children]
        if node.all is not None:
            return all(results)
        return sum(results) >= (node.n_of.n if node.n_of is not None else 1)

    def search(i: int, used: set[str], met: dict[int, bool], ects: float) -> bool:
        if i == len(rules):
            return tree_met(rule, met) and (totals is None or ects >= totals)
        leaf = rules[i]
        for key in groups:
            if key not in used and (f := fits(leaf, key)) is not None:
                met[id(leaf)] = True
                if search(i + 1, used | {key}, met, ects + (f.ects or 0.0)):
                    return True
        met[id(leaf)] = False
        return search(i + 1, used, met, ects)

    return search(0, set(), {}, 0.0)


def _walk_leaves(rule: Rule) -> list[Rule]:
    return [rule] if rule.is_leaf else [x for c in rule.children for x in _walk_leaves(c)]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=_rules, wallet=_wallets, extra=_facts, totals=_totals)
def test_no_credential_counts_twice_met_is_exact_and_monotone(
    rules: dict[str, Any], wallet: list[Facts], extra: Facts, totals: dict[str, Any] | None
) -> None:
    p = pathway(rules, totals=totals)
    result = evaluate(p, wallet, now=NOW)
    by_id = {f.credential_id: f for f in wallet}
    leaf_nodes = [n for n in nodes(result.root) if not n.children and n.kind in ("component", "criteria")]
    counted = [u for n in leaf_nodes for u in n.used]
    assert len(counted) == len(set(counted)) == len(result.used)
    assert set(counted) == set(result.used)
    assert len({group_key(by_id[u]) for u in counted}) == len(counted)  # duplicates count once
    rules_by_path = dict(leaves(p.rules))
    for n in leaf_nodes:
        assert len(n.used) <= 1
        assert n.met == bool(n.used)
        for u in n.used:
            assert by_id[u].valid
            assert by_id[u].valid_until is None
            assert leaf_matches(rules_by_path[n.path], by_id[u], NOW) is None
    assert result.met == _oracle_met(p.rules, wallet, totals["ects_at_least"] if totals else None)
    if result.met:
        bigger = [*wallet, replace(extra, credential_id="extra", valid=True, valid_until=None)]
        assert evaluate(p, bigger, now=NOW).met


def test_an_evaluation_cannot_be_changed_and_makes_its_tree_once() -> None:
    result = evaluate(pathway({"all": [comp("a"), comp("b")]}), [held("x", "a")], now=NOW)
    assert result.root is result.root
    assert result.missing is result.missing
    with pytest.raises(AttributeError, match="cannot be changed"):
        result.met = True
    assert "pathway='p'" in repr(result)


def test_one_index_of_the_wallet_serves_many_pathways_at_its_time() -> None:
    facts = [held("x", "a", valid_until=datetime(2026, 7, 1, tzinfo=UTC)), held("y", "b")]
    index = Held(facts, now=NOW)
    p = pathway({"all": [comp("a"), comp("b")]})
    assert evaluate(p, index, now=NOW).used == evaluate(p, facts, now=NOW).used == ("x", "y")
    later = evaluate(p, index, now=datetime(2026, 8, 1, tzinfo=UTC))  # another time: indexed again
    assert later.used == ("y",)
    assert leaf("rules.all[0]", later).not_counted[0].reason == "it expired on 2026-07-01"


def test_a_changed_copy_of_a_pathway_is_evaluated_by_its_own_rules() -> None:
    p = pathway(comp("a"))
    assert evaluate(p, [held("x", "a")], now=NOW).met
    q = p.model_copy(update={"rules": Rule.model_validate(comp("b"))})
    assert not evaluate(q, [held("x", "a")], now=NOW).met
    assert evaluate(p, [held("x", "a")], now=NOW).met


def test_yaml_days_in_an_award_window() -> None:
    document = yaml.safe_load(
        "id: p\ntitle: {en: P}\nissuer: org\ntarget: t\n"
        "rules: {criteria: {awarded_within: {after: 2024-01-01, before: 2027-01-01}}}\n"
    )
    p = load_pathway(document)
    assert evaluate(p, [Facts("x", awarded_at=datetime(2025, 3, 1, tzinfo=UTC))], now=NOW).met
    assert not evaluate(p, [Facts("x", awarded_at=datetime(2027, 1, 1, tzinfo=UTC))], now=NOW).met
