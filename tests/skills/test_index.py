"""Building, saving, loading and querying a skill index (fake encoder, tiny ESCO)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cairn.errors import InputError
from cairn.skills.esco import EscoData
from cairn.skills.index import SkillIndex
from cairn.skills.suggest import Ranking, Suggestion
from tests.factories import SKILL, FakeEncoder


@pytest.fixture
def index(esco: EscoData, fake_encoder: FakeEncoder) -> SkillIndex:
    return SkillIndex.build(esco, encoder=fake_encoder)


def test_suggests_the_matching_skill_with_the_label_that_matched(index: SkillIndex) -> None:
    found = index.suggest("Experience with ECMAScript and SQL databases", k=3)
    assert [s.uri for s in found[:2]] == [SKILL + "sql", SKILL + "js"] or [s.uri for s in found[:2]] == [
        SKILL + "js",
        SKILL + "sql",
    ]
    js = next(s for s in found if s.uri == SKILL + "js")
    assert isinstance(js, Suggestion)
    assert (js.label, js.matched_label, js.skill_type) == ("JavaScript", "ECMAScript", "knowledge")
    assert found[0].score >= found[1].score >= found[2].score
    assert found[0].as_dict()["uri"] == found[0].uri


def test_filters_by_type_and_collection(index: SkillIndex) -> None:
    everything = index.suggest("teamwork and recycling waste", k=20)
    assert len(everything) == len(index) == 8
    knowledge = index.suggest("teamwork and recycling waste", k=20, types={"knowledge"})
    assert {s.skill_type for s in knowledge} == {"knowledge"}
    green = index.suggest("teamwork and recycling waste", k=20, collections=["green"])
    assert [s.uri for s in green] == [SKILL + "recycle"]
    both = index.suggest("teamwork", k=20, types=["knowledge"], collections=["green", "transversal"])
    assert both == []
    assert index.suggest("teamwork", k=0) == []
    with pytest.raises(InputError, match="unknown skill type"):
        index.suggest("teamwork", types=["competence"])
    with pytest.raises(InputError, match="unknown collection"):
        index.suggest("teamwork", collections=["blue"])
    with pytest.raises(InputError, match="k must be"):
        index.suggest("teamwork", k=-1)


@pytest.mark.parametrize("text", ["", "\x00\x07\x1b", "x" * 1_000_000, "Опыт разработки на Python"])
def test_bad_text_gets_a_clear_error(index: SkillIndex, text: str) -> None:
    with pytest.raises(InputError):
        index.suggest(text)


def test_control_characters_inside_text_are_ignored(index: SkillIndex) -> None:
    assert index.suggest("bake\x00 bread\x1b", k=1)[0].uri == SKILL + "bake"


def test_save_and_load_memory_maps_the_vectors(index: SkillIndex, tmp_path: Path) -> None:
    folder = index.save(tmp_path / "skills.index")
    assert sorted(p.name for p in folder.iterdir()) == ["arrays.npz", "index.json", "vectors.npy"]
    again = SkillIndex.load(folder, encoder=FakeEncoder())
    assert isinstance(again.vectors, np.memmap)
    assert again.esco_version == "1.1.1"
    text = "lead employees in a bakery"
    assert again.suggest(text, k=5) == index.suggest(text, k=5)
    with pytest.raises(InputError, match="built with"):
        SkillIndex.load(folder, encoder=_Renamed())
    (folder / "index.json").write_text('{"format": 99}', encoding="utf-8")
    with pytest.raises(InputError, match="format 99"):
        SkillIndex.load(folder, encoder=FakeEncoder())
    with pytest.raises(InputError, match="cannot read"):
        SkillIndex.load(tmp_path / "missing")


def test_alternative_labels_can_be_embedded_and_projected(esco: EscoData, tmp_path: Path) -> None:
    index = SkillIndex.build(esco, encoder=FakeEncoder(), embed_alternatives=True)
    assert index.vectors is not None
    assert len(index.vectors) == len(index.labels)
    index.projection = np.eye(FakeEncoder.dim, dtype=np.float32)
    before = index.suggest("collaborate", k=1)
    again = SkillIndex.load(index.save(tmp_path / "alt"), encoder=FakeEncoder())
    assert again.projection is not None
    assert again.suggest("collaborate", k=1) == before == [before[0]]
    assert before[0].uri == SKILL + "team"


def test_lexical_only_index_rrf_and_priors(esco: EscoData, tmp_path: Path) -> None:
    index = SkillIndex.build(esco, encoder=None)
    assert index.suggest("make bread", k=1)[0].uri == SKILL + "bake"
    again = SkillIndex.load(index.save(tmp_path / "lexical"))
    assert again.vectors is None
    assert again.encoder is None
    assert again.suggest("make bread", k=1)[0].matched_label == "make bread"
    with pytest.raises(InputError, match="matches words only, in English; the text looks like German"):
        again.suggest("Er kann das Brot mit der Hand backen")
    with_vectors = SkillIndex.build(esco, encoder=FakeEncoder(), ranking=Ranking(fusion="rrf"))
    assert with_vectors.suggest("bake bread", k=1)[0].uri == SKILL + "bake"
    with_vectors.ranking = Ranking(priors={"reuse:transversal": 5.0})
    assert with_vectors.suggest("bake bread", k=1)[0].uri == SKILL + "team"
    assert with_vectors.scores(["bake bread", "sql"]).shape == (2, 8)


class _Renamed(FakeEncoder):
    name = "another-model"
