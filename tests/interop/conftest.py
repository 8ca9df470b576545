"""Fixtures of the interop tests: the installed npm packages, and a Cairn instance over HTTPS on loopback."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn.bootstrap import build
from cairn.settings import Settings
from cairn.web.app import create_app
from tests.factories import EXAMPLES, SECRET, ShiftedClock, free_port, loopback_tls, serve
from tests.interop.node import Instance, install


@pytest.fixture(scope="module")
def harness_folder() -> Path:
    return install()


@pytest.fixture
def cairn(tmp_path: Path) -> Iterator[Instance]:
    """A Cairn instance over HTTPS on loopback with the example catalogue (its DID documents at
    ``/orgs/{slug}/did.json``, so its did:web DIDs resolve as anywhere else)."""
    tls = loopback_tls(tmp_path / "tls")
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    config = Settings(
        database_url=f"sqlite:///{tmp_path / 'cairn.db'}",
        secret_key=SECRET,
        base_url=url,
        fetch_allow_private=True,
        registry_sync_minutes=0,
    )
    container = build(config, clock=ShiftedClock(), ssl_context=ssl.create_default_context(cafile=tls[0]))
    container.database.upgrade()
    container.catalog.import_paths([EXAMPLES])
    running = serve(create_app(container), port, tls)
    try:
        yield Instance(url, container, running, tls)
    finally:
        running.stop()
        container.database.dispose()
