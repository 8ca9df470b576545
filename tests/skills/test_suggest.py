"""Fusion helpers: top-k, standardising, rankings."""

from __future__ import annotations

import numpy as np
import pytest

from cairn.errors import InputError
from cairn.skills.suggest import DEFAULT_RANKINGS, Ranking, fuse, ranking_for, standardise, top_k


def test_top_k_is_best_first_with_ties_by_position_and_honours_the_mask() -> None:
    scores = np.array([0.1, 0.9, 0.5, 0.9, 0.0], dtype=np.float32)
    assert top_k(scores, 3).tolist() == [1, 3, 2]
    assert top_k(scores, 10).tolist() == [1, 3, 2, 0, 4]
    assert top_k(scores, 2, np.array([True, False, True, False, True])).tolist() == [2, 0]
    assert top_k(scores, 0).tolist() == []
    assert top_k(scores, 3, np.zeros(5, dtype=bool)).tolist() == []


def test_standardise_handles_a_flat_row() -> None:
    out = standardise(np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]], dtype=np.float32))
    assert out[0].tolist() == pytest.approx([-0.1224745, 0.0, 0.1224745], abs=1e-6)
    assert out[1].tolist() == [0.0, 0.0, 0.0]


def test_fuse_linear_and_rrf() -> None:
    features = np.array([[0.2, 1.0, 1.0, 0.7], [0.3, 0.0, 0.0, 0.7]], dtype=np.float32)
    linear = fuse(features, prior=None, ranking=Ranking(semantic=1, lexical=0.5))
    assert linear.tolist() == pytest.approx([0.7, 0.3])
    prior = np.array([0.0, 1.0], dtype=np.float32)
    assert fuse(features, prior=prior, ranking=Ranking()).argmax() == 1
    rrf = fuse(features, prior=None, ranking=Ranking(fusion="rrf", rrf_k=10))
    assert rrf.tolist() == pytest.approx([1 / 11 + 1 / 10, 1 / 10 + 1 / 11])


def test_ranking_round_trips_and_validates() -> None:
    ranking = Ranking(lexical=0.3, priors={"reuse:transversal": -0.1})
    assert Ranking.from_dict(ranking.as_dict() | {"unknown": 1}) == ranking
    assert ranking.with_weights(np.array([1, 2, 3, 4])).weights.tolist() == [1, 2, 3, 4]
    assert ranking_for("something-else") == DEFAULT_RANKINGS["use-multilingual-v3"]
    with pytest.raises(InputError):
        Ranking(fusion="max")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        Ranking(alternative_weight=2.0)
