"""Shared fixtures: real objects in memory or on disk, deterministic clocks, the standards' test vectors and
fixtures shipped in tests/data, and ../shared data (the complete ESCO releases) when present.

Storage fixtures run every test on SQLite and, when CAIRN_TEST_POSTGRES_URL is set, on PostgreSQL too. The
schema is migrated once per session into a template (a SQLite file; a PostgreSQL database) and each test gets a
copy of its own (``shutil.copyfile``; ``CREATE DATABASE ... TEMPLATE``), dropped after the test. Tests of the
migrations themselves start from ``empty_database_url`` instead.

``make test`` runs the files on every core (pytest-xdist, a file on one worker so its module fixtures are built
once); :func:`pytest_xdist_make_scheduler` keeps the browser tests together and hands out the slow files first.

The fast loop leaves out the tests marked slow (more than about two seconds each)::

    PYTHONPATH=src .venv/bin/python -m pytest -m "not slow"
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cairn.bootstrap import Container
from cairn.store.database import Database, forbid_sqlite_reader_writes
from tests.factories import (
    EXAMPLES,
    SHARED,
    FixedClock,
    PostgresServer,
    copy_sqlite,
    make_container,
    migrate_sqlite_template,
)
from tests.trust_network import Network, build_network

forbid_sqlite_reader_writes()  # a transaction declared read-only that writes fails its tests every time (see there)

DATA = Path(__file__).resolve().parent / "data"

# The order files are handed to the workers in: the browser tests first (two units, each with a live server and a
# browser),
# then the folders of slow tests, and last the thousands of quick ones, which fill in while the others finish.
FIRST_TO_LAST = ("a11y", "interop", "cli", "web", "services", "store", "skills", "fuzz", "formats", "model", "vc")
POSTGRES_ENV = "CAIRN_TEST_POSTGRES_URL"


def _folder_rank(nodeid: str) -> int:
    parts = nodeid.split("/")
    folder = parts[1] if len(parts) > 2 else ""  # "" for the end-to-end files in tests/ itself
    return FIRST_TO_LAST.index(folder) if folder in FIRST_TO_LAST else FIRST_TO_LAST.index("services")


SECOND_BROWSER_UNIT = frozenset(
    {
        "test_axe.py",
        "test_reflow.py",
        "test_recognition_a11y.py",
        "test_recognition_apply_a11y.py",
        "test_endorsement_a11y.py",
        "test_openid4vci_a11y.py",
        "test_openid4vci_consent_a11y.py",
        "test_openid4vp_a11y.py",
        "test_wallet_receive_a11y.py",
    }
)
"""The browser test files of the second unit (the walk, the pathway and registry pages and the rest are the first):
two units of about equal length, one per worker, each with its own live server and browser. As one unit they had
grown to the longest stretch of the run (a worker on them alone while the other ran out of files)."""


def _browser_unit(nodeid: str) -> str:
    name = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    return "tests/a11y (2)" if name in SECOND_BROWSER_UNIT else "tests/a11y"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """pytest-xdist's file-by-file scheduling, with the files of ``tests/a11y`` in two units (they share a live server
    and a browser that take seconds to start: once per unit, on one worker, in a fixed order) and the units handed out
    heaviest folders first rather than by their number of tests (which left the slow files for last, one
    worker busy with them while the other sat idle)."""
    from xdist.scheduler import LoadFileScheduling

    class Scheduling(LoadFileScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith("tests/a11y/"):
                return _browser_unit(nodeid)
            return str(super()._split_scope(nodeid))

        def schedule(self) -> None:
            if self.collection is None and self.collection_is_completed:
                self.config.option.loadscopereorder = False
                for node, collection in self.registered_collections.items():
                    self.registered_collections[node] = sorted(collection, key=_folder_rank)
            super().schedule()

    return Scheduling(config, log)


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


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the head revision once per session; tests copy it, never open it."""
    return migrate_sqlite_template(tmp_path_factory.mktemp("template") / "cairn.db")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Which database a storage test runs on."""
    return str(request.param)


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a brand-new, never-migrated database on ``backend`` (for the tests of the migrations)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'cairn.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.new_database()
    yield url
    server.drop(url)


@pytest.fixture
def migrated_sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """The URL of a migrated, empty SQLite file of this test's own (``tmp_path / "cairn.db"``)."""
    return copy_sqlite(sqlite_template, tmp_path / "cairn.db")


@pytest.fixture
def database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A migrated, empty database on ``backend``, this test's own."""
    if backend == "sqlite":
        db = Database(request.getfixturevalue("migrated_sqlite_url"))
        yield db
        db.dispose()
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.lease()
    db = Database(url)
    yield db
    db.dispose()
    server.give_back(url)


@pytest.fixture
def sqlite_database(migrated_sqlite_url: str) -> Iterator[Database]:
    """A migrated SQLite database (for tests about the edges, not about storage)."""
    db = Database(migrated_sqlite_url)
    yield db
    db.dispose()


@pytest.fixture
def examples() -> Path:
    """The example catalogue shipped with Cairn."""
    return EXAMPLES


@pytest.fixture
def container(database: Database, clock: FixedClock, examples: Path) -> Container:
    """An instance with the example catalogue (modules that need another kind define their own)."""
    return make_container(database, clock, examples)


@pytest.fixture
def network(container: Container) -> Network:
    """The small trust network of :mod:`tests.trust_network` on ``container``'s instance."""
    return build_network(container)
