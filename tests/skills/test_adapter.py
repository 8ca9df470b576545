"""The learnt skill adapter: saved and read back, applied when an index is built, recorded in the index so that a
stale index is known, optional (absent file: the frozen encoder as before), and the score floor it brings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import cairn.skills.adapter as adapter_module
from cairn.errors import InputError
from cairn.skills.adapter import (
    Adapter,
    load_adapter,
    save_adapter,
    shipped_adapter,
    shipped_fingerprint,
    with_descriptions,
)
from cairn.skills.esco import EscoData, Labels, Skill, load_esco
from cairn.skills.index import SkillIndex
from cairn.skills.suggest import Ranking
from tests.factories import SKILL, FakeEncoder, write_esco


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


def test_skill_vectors_blend_the_description_when_the_adapter_says_so(tmp_path: Path) -> None:
    """An adapter with a description weight: each skill's vector is its label's plus that share of its
    description's (read back from the file), and a skill without a description keeps its label's vector."""
    esco = load_esco(write_esco(tmp_path / "esco", labels={SKILL + "bricks": "lay bricks"}))  # no description
    eye = np.eye(FakeEncoder.dim, dtype=np.float32)
    weight = 0.5
    made = Adapter(FakeEncoder.name, eye, eye, description_weight=weight, description_template=0.99)
    save_adapter(made, tmp_path / "d.npz")
    blended = load_adapter(tmp_path / "d.npz")
    assert (blended.description_weight, blended.description_template) == (weight, 0.99)
    plain = SkillIndex.build(esco, encoder=FakeEncoder(), adapter=Adapter(FakeEncoder.name, eye, eye))
    index = SkillIndex.build(esco, encoder=FakeEncoder(), adapter=blended)
    assert plain.vectors is not None
    assert index.vectors is not None
    encoder = FakeEncoder()
    for row, uri in enumerate(index.uris):
        skill = esco.skills[uri]
        label = encoder.encode_passages([skill.label("en").preferred])[0]
        if skill.description("en"):
            expected = label + weight * encoder.encode_passages([skill.description("en")])[0]
            expected /= np.linalg.norm(expected)
            assert not np.allclose(index.vectors[row], plain.vectors[row])
        else:
            expected = label
        assert np.allclose(index.vectors[row], expected, atol=1e-6), uri
    assert any(not esco.skills[uri].description("en") for uri in index.uris)  # both kinds were checked
    assert index.adapter != plain.adapter  # another adapter: an index built with the other is stale


def test_with_descriptions_leaves_labels_alone_without_a_weight_or_a_description() -> None:
    encoder = FakeEncoder()
    labels = encoder.encode_passages(["bake bread", "recycle waste"])
    assert np.allclose(with_descriptions(encoder, labels, ["Bake loaves.", "Reuse things."], 0.0), labels)
    assert np.allclose(with_descriptions(encoder, labels, ["", "  "], 1.0), labels)
    mixed = with_descriptions(encoder, labels, ["Bake loaves.", ""], 1.0)
    assert np.allclose(mixed[1], labels[1])
    assert np.allclose(np.linalg.norm(mixed, axis=1), 1.0)
    assert not np.allclose(mixed[0], labels[0])


def test_a_skill_without_a_description_in_the_language_takes_another_languages() -> None:
    skill = Skill(
        uri=SKILL + "x",
        skill_type="skill/competence",
        reuse_level="cross-sector",
        labels={"en": Labels("bake bread", description="Bake loaves."), "pl": Labels("piec chleb")},
    )
    assert skill.description("pl") == "Bake loaves."
    assert skill.description("de") == "Bake loaves."
    polish = Skill(skill.uri, skill.skill_type, skill.reuse_level, {"pl": Labels("piec chleb", description="Piecze.")})
    assert polish.description("pl") == "Piecze."
    assert polish.description("en") == "Piecze."
    assert Skill(skill.uri, skill.skill_type, skill.reuse_level, {"en": Labels("x")}).description("en") == ""


def test_a_templated_description_is_left_out() -> None:
    """Two skills whose descriptions differ by one word ("... in Java", "... in Python") keep their labels'
    vectors under a template threshold; a description unlike any other is still blended in."""
    encoder = FakeEncoder()
    labels = encoder.encode_passages(["Java", "Python", "bake bread"])
    descriptions = [
        "The techniques and principles of software development and compiling of programming paradigms in Java.",
        "The techniques and principles of software development and compiling of programming paradigms in Python.",
        "Knead dough, let it rise and bake loaves in an oven.",
    ]
    every = with_descriptions(encoder, labels, descriptions, 0.5)
    assert not np.allclose(every[0], labels[0])
    distinct = with_descriptions(encoder, labels, descriptions, 0.5, template=0.8)
    assert np.allclose(distinct[:2], labels[:2])
    assert np.allclose(distinct[2], every[2])
    assert not np.allclose(distinct[2], labels[2])
