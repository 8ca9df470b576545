"""The site's own assets: /api/docs runs the vendored Swagger UI under the strict CSP, and the favicon is served."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container
from cairn.store.database import Database
from cairn.web.app import create_app
from tests.factories import EXAMPLES, FixedClock, make_container


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path = tmp_path_factory.mktemp("assets") / "cairn.db"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    container: Container = make_container(database, FixedClock(), EXAMPLES)
    with TestClient(create_app(container)) as client:
        yield client


def test_api_docs_load_local_assets_under_the_csp(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    scripts = re.search(r"script-src ([^;]*)", csp)
    assert scripts is not None
    assert scripts.group(1).strip() == "'self'"
    html = page.text
    assert "<script>" not in html
    assert "onload=" not in html
    sources = re.findall(r'<script src="([^"]+)"', html)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert len(sources) == 2
    assert len(styles) == 1
    for url in sources + styles:
        assert url.startswith("/static/"), url  # served by Cairn itself, never a CDN
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 200
    bundle = client.get(sources[0]).text
    assert "SwaggerUIBundle" in bundle
    assert "SwaggerUIBundle(" in client.get(sources[1]).text
    spec = re.search(r'data-openapi-url="([^"]+)"', html)
    assert spec is not None
    assert client.get(spec.group(1)).json()["info"]["title"] == "Cairn"


def test_favicon_ico_and_svg_icon(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file header
    home = client.get("/").text
    link = re.search(r'<link rel="icon" href="([^"]+\.svg)"', home)
    assert link is not None
    svg = client.get(link.group(1))
    assert svg.status_code == 200
    assert svg.text.lstrip().startswith("<svg")
