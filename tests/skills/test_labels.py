"""The shipped ESCO label extract: complete, looked up by URI, searched by words for the skill picker."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cairn.skills.labels import ESCO_SKILL_PREFIX, SkillLabels, shipped_labels

PYTHON = ESCO_SKILL_PREFIX + "ccd0a1d9-afda-43d9-b901-96344886e14d"


def test_the_extract_holds_every_esco_skill(shared_data: Path) -> None:
    with (shared_data / "esco/v1.1.1/en/skills_en.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    labels = shipped_labels()
    assert len(labels) == len(rows) == 13_896
    for row in rows[::500]:
        assert labels.label(row["conceptUri"]) == row["preferredLabel"].strip()
        assert labels.skill_type(row["conceptUri"]) == row["skillType"]


def test_lookup_and_search() -> None:
    labels = shipped_labels()
    assert labels.label(PYTHON) == "Python (computer programming)"
    assert labels.label("http://data.europa.eu/esco/skill/nope") is None
    first = labels.search("python", limit=3)[0]
    assert (first.uri, first.matched) == (PYTHON, "Python")
    exact = labels.search("Lead a team", limit=3)
    assert exact[0].label == "lead a team"
    assert all("sql" in r.matched.casefold() for r in labels.search("sql", limit=10))
    assert labels.search("   ") == []
    assert labels.search("x" * 10_000) == []
    knowledge = labels.search("statistics", limit=10, skill_type="knowledge")
    assert knowledge
    assert {r.skill_type for r in knowledge} == {"knowledge"}


def test_ranking_prefers_exact_then_prefix_then_preferred_labels() -> None:
    labels = SkillLabels(
        [
            ("00000000-0000-0000-0000-000000000001", "skill/competence", "cross-sector", "welding techniques", ()),
            (
                "00000000-0000-0000-0000-000000000002",
                "skill/competence",
                "sector-specific",
                "join metals",
                ("welding",),
            ),
            ("00000000-0000-0000-0000-000000000003", "knowledge", "sector-specific", "plastic welding", ()),
            ("00000000-0000-0000-0000-000000000004", "knowledge", "sector-specific", "Świętokrzyskie geology", ()),
        ]
    )
    found = [r.label for r in labels.search("welding")]
    assert found == ["join metals", "welding techniques", "plastic welding"]
    assert [r.label for r in labels.search("swietokrzyskie")] == ["Świętokrzyskie geology"]
    assert labels.search("weld tech")[0].label == "welding techniques"


@pytest.mark.parametrize("query", ["\x00\x01", "🙂", "a" * 300, "'; DROP TABLE skills; --"])
def test_odd_queries_are_harmless(query: str) -> None:
    assert shipped_labels().search(query) == []  # no label has those words; nothing breaks either


def test_a_long_query_is_cut_to_its_first_characters() -> None:
    labels = shipped_labels()
    assert labels.search("welding " + " " * 300 + "techniques") == labels.search("welding")  # the rest is cut off
