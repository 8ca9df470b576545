"""Fixtures of the skills tests: a tiny ESCO release on disk and loaded, and a deterministic fake encoder."""

from __future__ import annotations

from pathlib import Path

import pytest

from cairn.skills.esco import EscoData, load_esco
from tests.factories import FakeEncoder, write_esco


@pytest.fixture
def esco_dir(tmp_path: Path) -> Path:
    """A tiny ESCO v1.1.1 release (English) in a temporary folder."""
    return write_esco(tmp_path / "ESCO dataset - v1.1.1 - classification - en - csv")


@pytest.fixture
def esco(esco_dir: Path) -> EscoData:
    """The tiny release, loaded."""
    return load_esco(esco_dir)


@pytest.fixture
def fake_encoder() -> FakeEncoder:
    """A fresh fake encoder."""
    return FakeEncoder()
