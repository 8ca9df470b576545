"""The RP@k / MRR metric, the development-set readers and fitting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cairn.errors import InputError
from cairn.skills.esco import EscoData
from cairn.skills.evaluation import evaluate, label_resolver, rank_metrics, read_decorte, read_skillskape
from cairn.skills.index import SkillIndex
from cairn.skills.train import Example, fit_projection, fit_ranking
from tests.factories import SKILL, FakeEncoder, write_csv


def test_rank_metrics_by_hand() -> None:
    scores = np.array([[0.9, 0.8, 0.7, 0.1], [0.1, 0.2, 0.3, 0.4], [0.5, 0.5, 0.5, 0.5]], dtype=np.float32)
    result = rank_metrics(scores, [[1, 3], [0], [1]], ks=(1, 2))
    # row 0: gold ranks 1 and 3 -> rp@1 0, rp@2 1/2, rr 1/2; row 1: rank 3 -> 0, 0, 1/4;
    # row 2: ties broken by position -> skill 1 has rank 1 -> 0, 1, 1/2
    assert result == {"rp@1": 0.0, "rp@2": pytest.approx(100 * 1.5 / 3, abs=0.01), "mrr": 0.4167, "n": 3}
    with pytest.raises(InputError):
        rank_metrics(scores[:1], [[]])


def test_readers_drop_unusable_labels(tmp_path: Path, esco: EscoData) -> None:
    resolve = label_resolver(esco)
    decorte = tmp_path / "tech.csv"
    write_csv(
        decorte,
        ["sentence", "span", "sub_span", "label"],
        [
            ["javascript and sql", "javascript", "", "JavaScript"],
            ["javascript and sql", "sql", "", "SQL"],
            ["javascript and sql", "and", "", "LABEL NOT PRESENT"],
            ["smart people", "smart", "", "UNDERSPECIFIED"],
            ["old label", "x", "", "a label not in ESCO"],
        ],
    )
    examples, unresolved = read_decorte(decorte, resolve)
    assert examples == [Example("javascript and sql", frozenset({SKILL + "js", SKILL + "sql"}))]
    assert unresolved == 1
    skillskape = tmp_path / "skillskape.csv"
    write_csv(
        skillskape,
        ["", "sentence", "skills"],
        [["0", "Bake bread daily", "['bake bread', 'UNK']"], ["1", "x", "['UNK']"]],
    )
    examples, unresolved = read_skillskape(skillskape, resolve)
    assert examples == [Example("Bake bread daily", frozenset({SKILL + "bake"}))]
    assert unresolved == 0
    write_csv(skillskape, ["sentence"], [["x"]])
    with pytest.raises(InputError, match="missing column"):
        read_skillskape(skillskape, resolve)


def test_evaluate_and_fit_on_a_tiny_index(esco: EscoData) -> None:
    index = SkillIndex.build(esco, encoder=FakeEncoder())
    examples = [
        Example("we write ECMAScript", frozenset({SKILL + "js"})),
        Example("lead employees and build websites", frozenset({SKILL + "staff", SKILL + "web"})),
        Example("sort waste", frozenset({SKILL + "recycle"})),
        Example("make bread", frozenset({SKILL + "bake"})),
    ]
    result = evaluate(index, examples)
    assert result["n"] == 4
    assert result["rp@10"] == 100.0
    weights = fit_ranking(index, examples, candidates=5, steps=50)
    assert weights.shape == (4,)
    assert weights[0] == pytest.approx(1.0)
    assert np.all(np.isfinite(weights))
    projection = fit_projection(index, examples, ridge=1.0)
    assert projection.shape == (FakeEncoder.dim, FakeEncoder.dim)
    with pytest.raises(InputError):
        fit_projection(SkillIndex.build(esco, encoder=None), examples)
