"""Shared fixtures: real objects in memory or on disk, deterministic clocks, the standards' test vectors and
fixtures shipped in tests/data, and ../shared data (the complete ESCO releases) when present.

Storage fixtures run every test on SQLite and, when CAIRN_TEST_POSTGRES_URL is set, on PostgreSQL
too (each test session gets a database of its own, dropped at the end).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cairn.store.database import Database, normalise_url
from cairn.store.tables import Base

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DATA = REPO / "tests" / "data"
EXAMPLES = REPO / "examples" / "catalog"
POSTGRES_ENV = "CAIRN_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def test_data() -> Path:
    """tests/data: the W3C, 1EdTech and EU (ELM) vectors and fixtures the tests read, shipped with the repository
    (see tests/data/README.md for where each file comes from)."""
    return DATA


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ../shared/data folder, for data too large to ship in tests/data (the complete ESCO releases); tests that
    need it skip with a reason when it is absent."""
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip("../shared/data is absent (a user's clone has none): the complete ESCO releases are not shipped")
    return data


class FixedClock:
    """A clock that says what it is told; ``advance`` moves it on."""

    def __init__(self, start: datetime = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FixedClock:
    """A deterministic clock."""
    return FixedClock()


class PostgresServer:
    """Creates throw-away databases on the test server."""

    def __init__(self, url: str) -> None:
        self.url = make_url(normalise_url(url))
        self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def new_database(self) -> str:
        name = f"cairn_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


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
