"""The web app: catalogue pages with every Annex I element, languages, health, the one JSON error shape."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container, build
from cairn.model.definitions import ANNEX_I
from cairn.settings import Settings
from cairn.web.app import SECURITY_HEADERS, create_app
from tests.factories import STATISTICS, FixedClock, stored_release
from tests.helpers import skill_links, skill_name_lookups


@pytest.fixture
def container(migrated_sqlite_url: str, examples: Path) -> Container:
    built = build(Settings(database_url=migrated_sqlite_url), clock=FixedClock())
    built.catalog.import_paths([examples])
    return built


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as client:
        yield client


def test_the_first_page_lists_every_micro_credential_with_every_annex_element(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert html.count('<article class="mc"') == 11
    for element in ANNEX_I:
        assert html.count(element.name.replace("'", "&#39;")) >= 10, element.name
    assert "Data analysis with Python" in html
    assert "EQF level 6" in html
    assert "5 ECTS credits" in html
    assert "Poland (Mazowieckie)" in html
    assert "Germany (Berlin)" in html
    assert "Stacks towards: Postgraduate Certificate in Applied Data Analysis" in html
    assert 'href="http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"' in html
    assert ">Python (computer programming)</a>" in html


def test_skills_are_labelled_as_the_esco_release_in_the_store_labels_them(
    client: TestClient, container: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An imported release's Polish label replaces the shipped extract's English one (and its EN tag) in the
    catalogue's Annex I rows, as on the careers pages; a page looks its skills up once."""
    page = "/micro-credentials/um-applied-statistics"
    assert skill_links(client.get(page, params={"lang": "pl"}).text, STATISTICS) == [("statistics", "EN")]
    stored_release(container, tmp_path, {STATISTICS: ("statistics", "statystyka")})
    lookups = skill_name_lookups(monkeypatch)
    assert skill_links(client.get(page, params={"lang": "pl"}).text, STATISTICS) == [("statystyka", "")]
    assert skill_links(client.get("/", params={"lang": "pl"}).text, STATISTICS) == [("statystyka", "")]
    assert len(lookups) == 2


def test_polish_readers_get_polish_text(client: TestClient) -> None:
    html = client.get("/?lang=pl").text
    assert '<html lang="pl">' in html
    assert "Analiza danych w języku Python" in html
    assert "Poziom 6 ERK" in html
    by_header = client.get("/", headers={"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.8"}).text
    assert "Analiza danych w języku Python" in by_header


def test_text_in_another_language_is_marked(client: TestClient) -> None:
    html = client.get("/micro-credentials/um-python-data-analysis?lang=en").text
    assert "<h1>Data analysis with Python</h1>" in html
    org = client.get("/micro-credentials/sb-cyber-security-essentials?lang=pl").text
    assert 'lang="de"' not in org.split("Organ")[0] or "SkillBridge" in org


def test_a_definition_page(client: TestClient) -> None:
    page = client.get("/micro-credentials/zsz7-photovoltaic-installer")
    assert page.status_code == 200
    assert "Installing and commissioning photovoltaic systems" in page.text
    assert "120 hours of learning" in page.text
    assert "Supervised online or on site, with identity verification" in page.text
    assert "Integrated Qualifications Register" in page.text


def test_pages_are_accessible_in_structure(client: TestClient) -> None:
    html = client.get("/").text
    assert '<a class="skip" href="#main">' in html
    assert '<main id="main"' in html
    assert len(re.findall(r"<h1[ >]", html)) == 1
    assert '<th scope="row">' in html
    assert '<nav aria-label="Language"' in html
    assert "<caption>" in html


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"ok": True}  # nothing about the version or the database
    assert client.head("/healthz").status_code == 200


def test_the_api_lists_and_shows(client: TestClient) -> None:
    listing = client.get("/api/v1/micro-credentials").json()
    assert listing["ok"] is True
    assert listing["count"] == 11
    one = client.get("/api/v1/micro-credentials/um-sql-databases").json()
    assert one["version"] == 1
    assert one["versions"] == [1]
    assert one["definition"]["workload"] == {"ects": 5.0, "hours": 125}
    assert one["awarding_bodies"][0]["country"] == "PL"


def test_one_json_error_shape(client: TestClient) -> None:
    missing = client.get("/api/v1/micro-credentials/nope")
    assert missing.status_code == 404
    assert missing.json() == {"ok": False, "error": "no micro-credential 'nope'", "status": 404}
    unknown = client.get("/api/v1/nothing-here")
    assert unknown.json() == {"ok": False, "error": "There is nothing at this address.", "status": 404}
    bad = client.get("/api/v1/micro-credentials/um-sql-databases?version=zero")
    assert bad.status_code == 422
    body = bad.json()
    assert body["ok"] is False
    assert body["status"] == 422
    assert body["problems"][0]["path"] == "query.version"


def test_pages_answer_errors_as_pages(client: TestClient) -> None:
    page = client.get("/micro-credentials/nope")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "no micro-credential &#39;nope&#39;" in page.text
    assert client.get("/micro-credentials/um-sql-databases?version=7").status_code == 404


def test_security_headers_on_every_answer(client: TestClient) -> None:
    for path in ("/", "/healthz", "/api/v1/micro-credentials", "/nope"):
        response = client.get(path)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value


def test_an_unmigrated_database_is_a_503_without_sql(tmp_path: Path) -> None:
    container = build(Settings(database_url=f"sqlite:///{tmp_path / 'unmigrated.db'}"))
    with TestClient(create_app(container)) as client:
        response = client.get("/api/v1/micro-credentials")
        assert response.status_code == 503
        assert response.json() == {"ok": False, "error": "the database failed: OperationalError", "status": 503}
        assert client.get("/healthz").json() == {"ok": True}  # the database answers; /admin/health says more


def test_an_unexpected_error_is_a_500_without_details(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode() -> None:
        raise RuntimeError("internal detail: password=hunter2")

    monkeypatch.setattr(client.app.state.container.catalog, "entries", explode)  # type: ignore[attr-defined]
    monkeypatch.setattr(client.app.state.container.catalog, "search", lambda query: explode())  # type: ignore[attr-defined]
    with TestClient(client.app, raise_server_exceptions=False) as broken:
        response = broken.get("/api/v1/micro-credentials")
        page = broken.get("/")
    assert response.status_code == 500
    assert response.json() == {
        "ok": False,
        "error": "Something went wrong on our side; it has been logged.",
        "status": 500,
    }
    assert page.status_code == 500
    assert "hunter2" not in page.text
    assert "hunter2" not in response.text
    assert "unexpected error on GET /api/v1/micro-credentials" in caplog.text


def test_static_css_is_served_from_the_package(client: TestClient) -> None:
    css = client.get("/static/cairn.css")
    assert css.status_code == 200
    assert ":focus-visible" in css.text


def test_openapi_is_published(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/micro-credentials" in spec["paths"]


def test_a_skill_no_release_knows_is_named_in_the_readers_words() -> None:
    """The catalogue's and the recognition pages' skill lists label one way (it was English on Polish catalogue
    pages)."""
    from cairn.web.careers.names import labelled

    unknown = "http://data.europa.eu/esco/skill/00000000-0000-4000-8000-000000000000"
    assert labelled([unknown], "pl") == (("Umiejętność ESCO 1", unknown, "pl"),)
    assert labelled((unknown, unknown), "pl")[1] == ("Umiejętność ESCO 2", unknown, "pl")  # numbered in the list
    assert labelled([unknown], "en") == (("ESCO skill 1", unknown, "en"),)
