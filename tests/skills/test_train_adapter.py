"""scripts/train_skill_adapter.py on a tiny input: the same seed gives the same bytes, another seed others, and
the adapter it trains ranks the training sentences' skills at least as well as the frozen (fake) encoder."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from cairn.errors import InputError
from cairn.skills.adapter import load_adapter, save_adapter
from cairn.skills.esco import EscoData
from cairn.skills.index import SkillIndex
from cairn.skills.train import Example, fit_adapter
from tests.factories import SKILL, FakeEncoder

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train_skill_adapter.py"


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("train_skill_adapter", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _examples() -> list[Example]:
    pairs = [
        ("We bake fresh bread every morning", "bake"),
        ("You will write SQL queries against our databases", "sql"),
        ("Build front ends in ECMAScript", "js"),
        ("Lead a small team of bakers", "team"),
        ("Recycle kitchen waste properly", "recycle"),
        ("Sort and recycle packaging", "recycle"),
        ("Work well with colleagues in a team", "team"),
        ("Maintain the SQL database schema", "sql"),
    ]
    return [Example(text, frozenset({SKILL + sid})) for text, sid in pairs]


def test_the_same_seed_trains_the_same_adapter(script: ModuleType, esco: EscoData, tmp_path: Path) -> None:
    made = [script.train(esco, _examples(), FakeEncoder(), seed=seed, epochs=3, draws=64)[0] for seed in (0, 0, 1)]
    prints = [save_adapter(adapter, tmp_path / f"{i}.npz") for i, adapter in enumerate(made)]
    assert prints[0] == prints[1] != prints[2]
    again = load_adapter(tmp_path / "0.npz")
    assert again.meta["seed"] == 0
    assert again.meta["epochs"] == 3
    assert again.ranking is not None
    assert again.ranking.floor is not None
    assert again.skill is not None
    assert not np.allclose(again.query, np.eye(FakeEncoder.dim))
    index = SkillIndex.build(esco, encoder=FakeEncoder(), adapter=again)
    assert index.suggest("bake bread", k=1)[0].uri == SKILL + "bake"


def test_fit_adapter_pulls_texts_towards_their_skills() -> None:
    rng = np.random.default_rng(3)
    skills = rng.standard_normal((20, 16)).astype(np.float32)
    skills /= np.linalg.norm(skills, axis=1, keepdims=True)
    mixing = rng.standard_normal((16, 16)) * 0.8  # the texts' vectors are a scrambled view of their skills'
    targets = [[i % 20] for i in range(200)]
    queries = np.stack([skills[t[0]] @ mixing + 0.1 * rng.standard_normal(16) for t in targets]).astype(np.float32)

    def hits(query_map: np.ndarray, skill_map: np.ndarray | None) -> float:
        q = queries @ query_map
        s = skills @ skill_map if skill_map is not None else skills
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        s /= np.linalg.norm(s, axis=1, keepdims=True)
        return float(np.mean(np.argmax(q @ s.T, axis=1) == [t[0] for t in targets]))

    before = hits(np.eye(16), None)
    query_map, skill_map = fit_adapter(
        queries, targets, skills, skill_side=True, epochs=30, batch=50, learning_rate=0.01
    )
    assert skill_map is not None
    assert hits(query_map, skill_map) > before + 0.2
    again = fit_adapter(queries, targets, skills, skill_side=True, epochs=30, batch=50, learning_rate=0.01)
    assert np.array_equal(again[0], query_map)
    with pytest.raises(InputError):
        fit_adapter(queries, [[]] * len(queries), skills)


def test_refit_all_keeps_the_held_out_fit_and_trains_the_maps_on_every_sentence(
    script: ModuleType, esco: EscoData
) -> None:
    """``--refit-all``: the fusion weights and the floor are those fitted on the held-out skills' sentences (the same
    as without it), and the maps are trained again on every sentence, so they differ."""
    held_out, held_summary = script.train(esco, _examples(), FakeEncoder(), seed=0, epochs=3, draws=64)
    refit, summary = script.train(esco, _examples(), FakeEncoder(), seed=0, epochs=3, draws=64, refit_all=True)
    assert held_out.ranking is not None
    assert refit.ranking is not None
    assert refit.ranking.as_dict() == held_out.ranking.as_dict()
    assert not np.allclose(refit.query, held_out.query)
    assert (summary["refit_all"], held_summary["refit_all"]) == (True, False)
    assert summary["adapter_sentences"] > held_summary["adapter_sentences"]
    assert summary["ranking_sentences"] == held_summary["ranking_sentences"]
    index = SkillIndex.build(esco, encoder=FakeEncoder(), adapter=refit)
    assert index.suggest("bake bread", k=1)[0].uri == SKILL + "bake"


def test_a_soup_averages_the_maps_of_its_seeds(script: ModuleType, esco: EscoData) -> None:
    """``--soup N``: N pairs of maps, seeds ``seed`` to ``seed + N - 1``, averaged; one of them alone is the pair of
    ``--soup 1`` with that seed; the description weight is what the adapter carries to the index."""
    singles = [
        script.train(esco, _examples(), FakeEncoder(), seed=seed, epochs=3, draws=64, soup=1, refit_all=True)[0]
        for seed in (0, 1)
    ]
    soup, summary = script.train(esco, _examples(), FakeEncoder(), seed=0, epochs=3, draws=64, soup=2, refit_all=True)
    assert (summary["soup"], summary["description_weight"], soup.description_weight) == (2, 0.25, 0.25)
    assert np.allclose(soup.query, (singles[0].query + singles[1].query) / 2, atol=1e-6)
    assert soup.skill is not None
    assert np.allclose(soup.skill, (singles[0].skill + singles[1].skill) / 2, atol=1e-6)
    assert not np.allclose(singles[0].query, singles[1].query)
