"""The fuzz suite's app: a real instance whose outward fetcher is spied on and can never open a connection."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import build
from cairn.model.awards import Recipient
from cairn.services.verification.local_fetch import InstanceFetcher
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.web.app import create_app
from tests.factories import EXAMPLES, FixedClock, SpyFetcher, copy_sqlite
from tests.helpers import Fuzzed, rewired


@pytest.fixture(scope="session")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Fuzzed]:
    """One instance for the whole fuzz suite (fixtures per example would dominate the time)."""
    database = Database(copy_sqlite(sqlite_template, tmp_path_factory.mktemp("fuzz") / "cairn.db"))
    settings = Settings(database_url="sqlite://", secret_key="f" * 48, base_url="https://cairn.example")
    container = build(settings, clock=FixedClock(), database=database)
    container.catalog.import_paths([EXAMPLES])
    award = container.issuing.award(
        "um-sql-databases",
        Recipient(email="ada@example.org", name="Ada"),
        actor="fuzz",
        organisation="uniwersytet-mazowiecki",
    )
    spy = SpyFetcher()
    fetcher = InstanceFetcher(
        public_url=settings.public_url,
        keys=container.keys,
        status_lists=container.status_lists,
        outward=spy,
    )
    app = create_app(rewired(container, fetcher=fetcher))
    with TestClient(app) as client:
        fuzzed = Fuzzed(client, spy, json.loads(json.dumps(award.credential)))
        # Warm up as a running worker is: the first page that names ESCO skills loads their labels (about a
        # second of CPU, once per process), which is start-up, not what a request costs.
        assert client.post("/verify", data={"text": json.dumps(award.credential)}).status_code == 200
        yield fuzzed
    database.dispose()
