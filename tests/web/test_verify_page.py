"""The public verifier page: paste or upload, a verdict first, Annex I elements, each check explained, and JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import build
from cairn.model.awards import Recipient
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.web import verify_page
from cairn.web.app import create_app
from tests.conftest import FixedClock

UM = "uniwersytet-mazowiecki"
SECRET = "s" * 48


@pytest.fixture
def app_parts(database: Database, clock: FixedClock, examples: Path) -> Iterator[tuple[TestClient, Any]]:
    settings = Settings(database_url="sqlite://", secret_key=SECRET, base_url="https://cairn.example")
    container = build(settings, clock=clock, database=database)
    container.catalog.import_paths([examples])
    app = create_app(container)
    if not any(getattr(r, "path", None) == "/verify" for r in app.routes):
        app.include_router(verify_page.router)
    with TestClient(app) as client:
        yield client, container


def awarded(container: Any) -> dict[str, Any]:
    result = container.issuing.issuing.award(
        "um-sql-databases", Recipient(email="ada@example.org", name="Ada"), actor="test", organisation=UM
    )
    credential: dict[str, Any] = result.credential
    return credential


def verdict(html: str) -> str:
    start = html.index('<h2 id="verdict"')
    return html[html.index(">", start) + 1 : html.index("</h2>", start)].strip()


def test_the_form_is_public_and_labelled(app_parts: tuple[TestClient, Any]) -> None:
    client, _ = app_parts
    page = client.get("/verify")
    assert page.status_code == 200
    html = page.text
    assert '<label for="verify-text">' in html
    assert '<label for="verify-file">' in html
    assert 'id="verify-text"' in html
    assert 'id="verify-file"' in html
    assert 'aria-live="polite"' in html
    assert "PNG, SVG" in html
    assert "come later" in html


def test_a_pasted_award_is_verified_with_every_annex_element(app_parts: tuple[TestClient, Any]) -> None:
    client, container = app_parts
    credential = awarded(container)
    page = client.post("/verify", data={"text": json.dumps(credential)})
    assert page.status_code == 200, page.text
    html = page.text
    assert verdict(html) == "Verified"
    assert html.index('id="verdict"') < html.index("Who issued it") < html.index("What it certifies")
    assert "Mazovian University in Warsaw" in html
    assert "did:web:cairn.example:orgs:uniwersytet-mazowiecki" in html
    assert "no trust list configured" in html
    for element in ("Title of the micro-credential", "Learning outcomes", "Type of quality assurance"):
        assert element in html
    assert "Relational databases and SQL" in html
    assert "Poland" in html
    assert "5 ECTS credits" in html
    assert "125 hours of learning" in html
    assert 'href="http://data.europa.eu/esco/skill/fbafa41f-cd05-4109-a649-8b44d306d779"' in html
    assert "Integrated, stackable towards another credential" in html
    assert "Stacks towards: Postgraduate Certificate" in html
    assert "hashed (the learner can prove it" in html
    assert "nothing was changed after issuing" in html
    assert "not revoked" in html


def test_a_tampered_award_is_not_verified_and_says_why(app_parts: tuple[TestClient, Any]) -> None:
    client, container = app_parts
    credential = awarded(container)
    credential["credentialSubject"]["achievement"]["name"] = "Doctorate in everything"
    page = client.post("/verify", data={"text": json.dumps(credential)})
    assert page.status_code == 200
    html = page.text
    assert verdict(html) == "Not verified"
    assert "Why: Signature:" in html
    assert 'class="outcome-fail"' in html
    assert "nothing was changed after issuing" in html


def test_garbage_gets_a_readable_failure(app_parts: tuple[TestClient, Any]) -> None:
    client, _ = app_parts
    for text in ("not a credential at all", "{", "eyJhbGciOiJub25lIn0.e30.", '{"a": ' * 5000 + "1" + "}" * 5000):
        page = client.post("/verify", data={"text": text})
        assert page.status_code == 200, text[:20]
        assert verdict(page.text) == "Not verified"
        assert "Readable" in page.text or "Signature" in page.text
    empty = client.post("/verify", data={"text": "   "})
    assert empty.status_code == 400
    assert "Paste a credential or choose a file" in empty.text


def test_hostile_links_in_a_credential_are_not_rendered(app_parts: tuple[TestClient, Any]) -> None:
    client, container = app_parts
    credential = awarded(container)
    credential["issuer"]["url"] = "javascript:alert(1)"
    achievement = credential["credentialSubject"]["achievement"]
    achievement["learningOutcome"][0]["relatedESCOSkill"] = ["javascript:alert(2)"]
    achievement["name"] = "<script>alert(3)</script>"
    html = client.post("/verify", data={"text": json.dumps(credential)}).text
    assert 'href="javascript:' not in html
    assert "<script>alert(3)" not in html
    assert "&lt;script&gt;alert(3)" in html


def test_an_uploaded_json_file(app_parts: tuple[TestClient, Any]) -> None:
    client, container = app_parts
    body = json.dumps(awarded(container)).encode()
    page = client.post("/verify", files={"file": ("badge.json", body, "application/json")})
    assert page.status_code == 200, page.text
    assert verdict(page.text) == "Verified"
    assert "Relational databases and SQL" in page.text


def test_the_same_report_as_json(app_parts: tuple[TestClient, Any]) -> None:
    client, container = app_parts
    credential = awarded(container)
    answer = client.post("/verify/report", files={"file": ("badge.json", json.dumps(credential).encode())})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["verdict"] == "Verified"
    assert report["verified"] is True
    assert report["issuer"]["name"] == "Mazovian University in Warsaw"
    assert report["issuer"]["trust"] == "unknown"
    rows = {row["name"]: row for row in report["certifies"]}
    assert rows["Title of the micro-credential"]["items"][0]["text"] == "Relational databases and SQL"
    skills = [link for item in rows["Learning outcomes"]["items"] for link in item["links"]]
    assert any(uri.startswith("http://data.europa.eu/esco/skill/") for _, uri in skills)
    assert report["validity"]["status"] == "pass"
    assert all(check["explanation"] for check in report["checks"])

    credential["validFrom"] = "2020-01-01T00:00:00Z"
    failed = client.post("/verify/report", data={"text": json.dumps(credential)})
    assert failed.status_code == 400
    assert failed.json()["verdict"] == "Not verified"
    assert any(c["outcome"] == "fail" and c["check"] == "proof" for c in failed.json()["checks"])

    garbage = client.post("/verify/report", data={"text": "garbage"})
    assert garbage.status_code == 400
    assert garbage.json()["checks"][0]["check"] == "readable"
    assert client.post("/verify/report", data={}).json()["status"] == 400
