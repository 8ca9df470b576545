"""The learnt skill adapter: saved and read back, applied when an index is built, recorded in the index so that a
stale index is known, optional (absent file: the frozen encoder as before), and the score floor it brings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import cairn.skills.adapter as adapter_module
from cairn.errors import InputError
from cairn.skills.adapter import Adapter, load_adapter, save_adapter, shipped_adapter, shipped_fingerprint
from cairn.skills.esco import EscoData
from cairn.skills.index import SkillIndex
from cairn.skills.suggest import Ranking
from tests.factories import SKILL, FakeEncoder


def _adapter(seed: int = 0, *, floor: float | None = 0.05) -> Adapter:
    rng = np.random.default_rng(seed)
    dim = FakeEncoder.dim
    query = (np.eye(dim) + 0.3 * rng.standard_normal((dim, dim))).astype(np.float32)
    skill = (np.eye(dim) + 0.3 * rng.standard_normal((dim, dim))).astype(np.float32)
    ranking = Ranking(semantic=1.0, lexical=0.2, coverage=0.05, length=-0.1, floor=floor)
    return Adapter(FakeEncoder.name, query, skill, ranking, {"seed": seed})


@pytest.fixture
def shipped_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Where the 'shipped' adapter of the fake encoder is read from (absent until a test writes it)."""
    folder = tmp_path / "package-data"
    folder.mkdir()
    monkeypatch.setattr(adapter_module, "adapter_path", lambda name: folder / f"adapter-{name}.npz")
    shipped_adapter.cache_clear()
    yield folder / f"adapter-{FakeEncoder.name}.npz"
    shipped_adapter.cache_clear()


def test_saved_and_read_back_with_a_fingerprint_of_its_bytes(tmp_path: Path) -> None:
    made = _adapter()
    fingerprint = save_adapter(made, tmp_path / "a.npz")
    again = load_adapter(tmp_path / "a.npz")
    assert again.fingerprint == fingerprint
    assert len(fingerprint) == 16
    assert np.array_equal(again.query, made.query)
    assert again.skill is not None
    assert made.skill is not None
    assert np.array_equal(again.skill, made.skill)
    assert again.ranking == made.ranking
    assert again.meta == {"seed": 0}
    assert save_adapter(made, tmp_path / "b.npz") == fingerprint  # same adapter, same bytes
    assert save_adapter(_adapter(1), tmp_path / "c.npz") != fingerprint
    (tmp_path / "bad.npz").write_bytes(b"not an npz")
    with pytest.raises(InputError, match="cannot read the skill adapter"):
        load_adapter(tmp_path / "bad.npz")
    with pytest.raises(InputError, match="square"):
        Adapter("x", np.zeros((3, 4), dtype=np.float32))


def test_the_adapter_changes_vectors_and_rankings(esco: EscoData, tmp_path: Path) -> None:
    made = _adapter()
    plain = SkillIndex.build(esco, encoder=FakeEncoder(), adapter=None)
    adapted = SkillIndex.build(esco, encoder=FakeEncoder(), adapter=made)
    assert plain.vectors is not None
    assert adapted.vectors is not None
    assert not np.allclose(plain.vectors, adapted.vectors)
    assert np.allclose(np.linalg.norm(adapted.vectors, axis=1), 1.0, atol=1e-5)
    query = FakeEncoder().encode_queries(["bake bread"])
    assert not np.allclose(plain.query_vectors(["bake bread"]), adapted.query_vectors(["bake bread"]))
    assert np.allclose(adapted.query_vectors(["bake bread"]), made.map_queries(query))
    assert adapted.ranking == made.ranking
    assert plain.adapter is None
    assert adapted.adapter == ""  # an adapter not read from a file has no fingerprint
    with pytest.raises(InputError, match="trained for"):
        SkillIndex.build(esco, encoder=FakeEncoder(), adapter=Adapter("other", made.query))

    save_adapter(made, tmp_path / "a.npz")
    from_file = load_adapter(tmp_path / "a.npz")
    built = SkillIndex.build(esco, encoder=FakeEncoder(), adapter=from_file)
    again = SkillIndex.load(built.save(tmp_path / "index"), encoder=FakeEncoder())
    assert again.adapter == from_file.fingerprint
    assert made.ranking is not None
    assert again.ranking.floor == made.ranking.floor
    assert again.suggest("bake bread", k=3) == built.suggest("bake bread", k=3)


def test_without_a_shipped_file_the_index_is_as_before(esco: EscoData, shipped_here: Path) -> None:
    assert shipped_adapter(FakeEncoder.name) is None
    assert shipped_fingerprint(FakeEncoder.name) is None
    default = SkillIndex.build(esco, encoder=FakeEncoder())
    plain = SkillIndex.build(esco, encoder=FakeEncoder(), adapter=None)
    assert default.adapter is None
    assert default.projection is None
    assert default.ranking == plain.ranking
    assert default.ranking.floor is None
    assert default.is_current()
    text = "lead employees in a bakery"
    assert default.suggest(text, k=5) == plain.suggest(text, k=5)


def test_an_index_built_with_another_adapter_is_stale(esco: EscoData, shipped_here: Path, tmp_path: Path) -> None:
    before = SkillIndex.build(esco, encoder=FakeEncoder())  # nothing shipped yet
    folder = before.save(tmp_path / "old")
    save_adapter(_adapter(), shipped_here)
    shipped_adapter.cache_clear()
    assert SkillIndex.load(folder, encoder=FakeEncoder()).is_current() is False
    fresh = SkillIndex.build(esco, encoder=FakeEncoder())  # picks up the shipped adapter
    assert fresh.adapter == shipped_fingerprint(FakeEncoder.name) is not None
    assert SkillIndex.load(fresh.save(tmp_path / "new"), encoder=FakeEncoder()).is_current()
    save_adapter(_adapter(7), shipped_here)  # retrained: the index of the previous adapter is stale again
    shipped_adapter.cache_clear()
    assert not SkillIndex.load(tmp_path / "new", encoder=FakeEncoder()).is_current()
    assert SkillIndex.build(esco, encoder=None).is_current()  # a lexical index has no adapter to be stale about


def test_the_floor_removes_low_scores_only(esco: EscoData) -> None:
    index = SkillIndex.build(esco, encoder=FakeEncoder(), adapter=None)
    everything = index.suggest("bake bread for the team", k=8)
    assert len(everything) == 8
    floor = everything[2].score
    kept = index.suggest("bake bread for the team", k=8, min_score=floor)
    assert kept == [s for s in everything if s.score >= floor]
    assert len(kept) < len(everything)
    assert index.suggest("bake bread for the team", k=2, min_score=floor) == everything[:2]  # k still applies
    assert index.suggest("bake bread for the team", k=8, min_score=everything[0].score + 1) == []
    assert index.suggest("bake bread", k=1)[0].uri == SKILL + "bake"
