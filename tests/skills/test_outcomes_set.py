"""The learning-outcome development sets in bench/data (English, Polish): well formed, every URI a skill of ESCO
v1.1.1."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cairn.skills.evaluation import read_outcomes
from cairn.skills.labels import shipped_esco

DATA = Path(__file__).resolve().parents[2] / "bench" / "data"
SOURCES = {
    "outcomes_en.csv": "written for Cairn, modelled on typical ",
    "outcomes_pl.csv": "written for Cairn (2026-12), modelled on the learning outcomes (efekty uczenia się) of Polish ",
}


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_outcome_names_one_to_three_existing_skills_with_their_labels(name: str) -> None:
    outcomes = DATA / name
    with outcomes.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert 40 <= len(rows) <= 80
    assert len({row["sentence"] for row in rows}) == len(rows)
    skills = shipped_esco().skills  # ESCO v1.1.1, English
    for row in rows:
        uris = row["uris"].split()
        labels = [label.strip() for label in row["labels"].split("|")]
        assert 1 <= len(uris) <= 3, row["sentence"]
        assert len(set(uris)) == len(uris)
        assert all(uri in skills for uri in uris), row["sentence"]
        assert [skills[uri].preferred_label.strip() for uri in uris] == labels
        assert row["source"].startswith(SOURCES[name])
    examples = read_outcomes(outcomes)
    assert len(examples) == len(rows)
    assert all(example.gold for example in examples)
