"""Shared fixtures: real objects in memory or on disk, deterministic clocks, ../shared data when present.

Storage fixtures run every test on SQLite and, when CAIRN_TEST_POSTGRES_URL is set, on PostgreSQL
too (each test session gets a database of its own, dropped at the end).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from cairn.store.database import Database
from cairn.store.tables import Base
from tests.factories import EXAMPLES, SHARED, FixedClock, PostgresServer

POSTGRES_ENV = "CAIRN_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ../shared/data folder; tests that need it skip with a reason when it is absent."""
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip("../shared/data is absent (a user's clone has no ../shared)")
    return data


@pytest.fixture
def clock() -> FixedClock:
    """A deterministic clock."""
    return FixedClock()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The PostgreSQL test server; skips with a reason when CAIRN_TEST_POSTGRES_URL is not set."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set: PostgreSQL variant skipped (SQLite ran)")
    server = PostgresServer(url)
    try:
        yield server
    finally:
        server.drop_all()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Which database a storage test runs on."""
    return str(request.param)


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The URL of a brand-new, never-migrated database on ``backend``."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'cairn.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()


@pytest.fixture(scope="session")
def _migrated_postgres(request: pytest.FixtureRequest) -> Iterator[Database]:
    server: PostgresServer = request.getfixturevalue("postgres_server")
    db = Database(server.new_database())
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture
def database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A migrated, empty database on ``backend``."""
    if backend == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'cairn.db'}")
        db.upgrade()
        yield db
        db.dispose()
        return
    db = request.getfixturevalue("_migrated_postgres")
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    yield db


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database (for tests about the edges, not about storage)."""
    db = Database(f"sqlite:///{tmp_path / 'cairn.db'}")
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture
def examples() -> Path:
    """The example catalogue shipped with Cairn."""
    return EXAMPLES
