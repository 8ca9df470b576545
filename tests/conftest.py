"""Shared fixtures: real objects in memory, deterministic clocks, and ../shared data when present."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ../shared/data folder; tests that need it skip with a reason when it is absent."""
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip("../shared/data is absent (a user's clone has no ../shared)")
    return data
