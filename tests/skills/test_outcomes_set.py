"""The English learning-outcome development set in bench/data: well formed, every URI a skill of ESCO v1.1.1."""

from __future__ import annotations

import csv
from pathlib import Path

from cairn.skills.evaluation import read_outcomes
from cairn.skills.labels import shipped_esco

OUTCOMES = Path(__file__).resolve().parents[2] / "bench" / "data" / "outcomes_en.csv"


def test_every_outcome_names_one_to_three_existing_skills_with_their_labels() -> None:
    with OUTCOMES.open(encoding="utf-8", newline="") as handle:
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
        assert row["source"].startswith("written for Cairn, modelled on typical ")
    examples = read_outcomes(OUTCOMES)
    assert len(examples) == len(rows)
    assert all(example.gold for example in examples)
