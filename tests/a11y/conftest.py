"""A real Cairn server on loopback and headless Chromium driven by Playwright, for the axe-core checks.

Chromium is Debian's (``/usr/bin/chromium``, or ``CAIRN_TEST_CHROMIUM``); Playwright only drives it, nothing
is downloaded. Without a browser the checks skip and say why; ``.ci/run`` installs one when it is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from cairn.bootstrap import Container, build, demo_catalog_path
from cairn.services.demo import seed_demo
from cairn.settings import Settings
from cairn.web.app import create_app


def chromium_path() -> str | None:
    """The browser to drive: CAIRN_TEST_CHROMIUM, else Debian's chromium on the PATH."""
    configured = os.environ.get("CAIRN_TEST_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class LiveServer:
    """A Cairn instance serving on loopback, with its container for setting up data."""

    url: str
    container: Container


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    database = tmp_path_factory.mktemp("a11y") / "cairn.db"
    settings = Settings(database_url=f"sqlite:///{database}", secret_key="a" * 48, base_url=url)
    container = build(settings)
    container.database.upgrade()
    seed_demo(
        catalog=container.catalog, accounts=container.accounts, catalogue_path=demo_catalog_path(), demo_token=None
    )
    config = uvicorn.Config(create_app(container), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(url, container)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium found (install Debian's chromium or set CAIRN_TEST_CHROMIUM): axe checks skipped")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install .[dev])")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield launched
        finally:
            launched.close()
