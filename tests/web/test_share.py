"""Sharing pages over HTTP: the owner shares a credential by link and QR code, downloads the baked PNG (which
verifies), withdraws the link (410), keeps a public profile; `cairn vc verify` accepts the baked PNG and SVG
and the PDF as downloaded; strangers get 404, posts need the CSRF token,
and public pages leak nothing private."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import segno
from click.testing import CliRunner
from fastapi.testclient import TestClient
from PIL import Image

from cairn.bootstrap import Container
from cairn.cli import cli
from cairn.store.database import Database
from cairn.vc.baking import unbake
from cairn.vc.intake import verify_any
from cairn.web.app import create_app
from tests.conftest import FixedClock
from tests.helpers import csrf_of
from tests.services.test_sharing import PASSWORD, PUBLIC, learner_with_credential, make_container
from tests.test_newcomer_wallet import InstanceFetcher


@pytest.fixture
def container(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    return make_container(sqlite_database, clock, examples)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


def sign_in(client: TestClient, email: str) -> str:
    client.cookies.clear()
    token = csrf_of(client.get("/sign-in").text)
    answer = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/account").text)


def new_link(client: TestClient, credential_id: str, csrf: str, expires: str = "") -> str:
    answer = client.post(f"/wallet/{credential_id}/share", data={"csrf_token": csrf, "expires": expires})
    assert answer.status_code == 303, answer.text
    page = client.get(f"/wallet/{credential_id}/share").text
    found = re.search(r'id="share-url" type="text" readonly value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def meta(page: str, key: str) -> str:
    found = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', page)
    assert found, key
    return html.unescape(found.group(1))


def test_share_by_link_and_qr_then_withdraw(client: TestClient, container: Container) -> None:
    _, credential_id, credential = learner_with_credential(container)
    csrf = sign_in(client, "ann@example.org")
    url = new_link(client, credential_id, csrf)
    token = url.rsplit("/", 1)[1]
    assert url == f"{PUBLIC}/s/{token}"
    page = client.get(f"/wallet/{credential_id}/share").text
    assert f'alt="QR code that opens {url}"' in page
    assert "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME" in page

    client.cookies.clear()  # a friend opens it
    shared = client.get(f"/s/{token}")
    assert shared.status_code == 200, shared.text
    body = shared.text
    assert "Verified just now" in body
    assert credential["credentialSubject"]["achievement"]["name"] in body
    assert "Ann Example" in body  # the name the credential states in clear
    for private in ("ann@example.org", "identityHash", "sha256$", credential_id, "salt", "did:key"):
        assert private not in body, private
    assert meta(body, "og:image") == f"{PUBLIC}/s/{token}/preview.png"
    assert meta(body, "og:url") == url
    assert meta(body, "twitter:card") == "summary_large_image"
    assert meta(body, "og:title") == credential["credentialSubject"]["achievement"]["name"]
    assert 'href="/verify"' in body
    client.get(f"/s/{token}")

    svg = client.get(f"/s/{token}/qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "<title>" in svg.text
    assert f"<desc>Scan it to open {url}</desc>" in svg.text
    png = client.get(f"/s/{token}/qr.png")
    assert png.content.startswith(b"\x89PNG")
    expected = segno.make(url, error="m", micro=False)  # the same symbol, so it decodes to the URL
    out = io.BytesIO()
    expected.save(out, kind="png", scale=8, border=4)
    assert png.content == out.getvalue()
    preview = client.get(f"/s/{token}/preview.png")
    assert Image.open(io.BytesIO(preview.content)).size == (1200, 630)
    as_json = client.get(f"/s/{token}/credential.json")
    assert verify_any(as_json.content, now=container.clock(), fetcher=container.fetcher).verified

    csrf = sign_in(client, "ann@example.org")
    page = client.get(f"/wallet/{credential_id}/share").text
    assert re.search(r"<td>2<span class=\"note\">", page), "two views counted"
    link_id = re.search(rf"/wallet/{credential_id}/share/(\d+)/revoke", page)
    assert link_id
    assert (
        client.post(f"/wallet/{credential_id}/share/{link_id.group(1)}/revoke", data={"csrf_token": csrf}).status_code
        == 303
    )
    client.cookies.clear()
    gone = client.get(f"/s/{token}")
    assert gone.status_code == 410
    assert "withdrawn by its owner" in gone.text
    assert credential["credentialSubject"]["achievement"]["name"] not in gone.text
    for path in ("qr.svg", "qr.png", "preview.png", "credential.json"):
        assert client.get(f"/s/{token}/{path}").status_code == 410, path
    assert client.get("/s/" + "A" * 43).status_code == 404
    assert client.get("/s/nope").status_code == 404


def test_an_expired_link_says_when(client: TestClient, container: Container, clock: FixedClock) -> None:
    _, credential_id, _ = learner_with_credential(container)
    csrf = sign_in(client, "ann@example.org")
    token = new_link(client, credential_id, csrf, expires="7").rsplit("/", 1)[1]
    clock.advance(days=8)
    gone = client.get(f"/s/{token}")
    assert gone.status_code == 410
    assert "This link expired on May 11, 2026." in gone.text
    assert "wygasł 11 maja 2026" in client.get(f"/s/{token}?lang=pl").text


def test_baked_png_download_verifies(client: TestClient, container: Container) -> None:
    _, credential_id, credential = learner_with_credential(container)
    sign_in(client, "ann@example.org")
    page = client.get(f"/wallet/{credential_id}/share").text
    assert f"/wallet/{credential_id}/download/jwt" not in page  # issued as JSON: no VC-JWT to offer
    png = client.get(f"/wallet/{credential_id}/download/png")
    assert png.status_code == 200
    assert png.headers["content-disposition"].startswith("attachment;")
    assert verify_any(png.content, now=container.clock(), fetcher=container.fetcher).verified
    assert unbake(png.content) == json.dumps(credential)
    assert client.get(f"/wallet/{credential_id}/download/jwt").status_code == 400
    assert client.get(f"/wallet/{credential_id}/download/exe").status_code == 404


def test_strangers_get_404_and_posts_need_csrf(client: TestClient, container: Container) -> None:
    _, credential_id, _ = learner_with_credential(container)
    learner_with_credential(container, "bob@example.org", name="Bob")
    assert client.get(f"/wallet/{credential_id}/share").status_code == 303  # sign in first
    csrf = sign_in(client, "bob@example.org")
    assert client.get(f"/wallet/{credential_id}/share").status_code == 404
    assert client.get(f"/wallet/{credential_id}/download/png").status_code == 404
    assert client.post(f"/wallet/{credential_id}/share", data={"csrf_token": csrf}).status_code == 404
    assert client.post(f"/wallet/{credential_id}/public", data={"csrf_token": csrf, "public": "yes"}).status_code == 404
    csrf = sign_in(client, "ann@example.org")
    assert client.post(f"/wallet/{credential_id}/share", data={"expires": ""}).status_code == 403
    assert client.post(f"/wallet/{credential_id}/share", data={"csrf_token": "wrong"}).status_code == 403
    assert client.post("/wallet/profile", data={"public": "yes", "slug": "ann"}).status_code == 403
    bad = client.post(f"/wallet/{credential_id}/share", data={"csrf_token": csrf, "expires": "forever"})
    assert bad.status_code == 400
    assert 'aria-invalid="true"' in bad.text


def test_public_profile(client: TestClient, container: Container) -> None:
    _, credential_id, credential = learner_with_credential(container)
    csrf = sign_in(client, "ann@example.org")
    assert client.get("/p/ann-example").status_code == 404
    saved = client.post(
        "/wallet/profile", data={"csrf_token": csrf, "public": "yes", "slug": "ann-example", "name": "Ann E."}
    )
    assert saved.status_code == 303
    bad = client.post("/wallet/profile", data={"csrf_token": csrf, "public": "yes", "slug": "No Spaces"})
    assert bad.status_code == 400
    assert "lowercase letters" in bad.text
    assert "Nothing is shown here yet." in client.get("/p/ann-example").text
    assert client.post(f"/wallet/{credential_id}/public", data={"csrf_token": csrf, "public": "yes"}).status_code == 303
    client.cookies.clear()
    page = client.get("/p/ann-example")
    assert page.status_code == 200
    title = credential["credentialSubject"]["achievement"]["name"]
    assert title in page.text
    assert "Credentials of Ann E." in page.text
    assert "ann@example.org" not in page.text
    assert "identityHash" not in page.text
    assert meta(page.text, "og:image") == f"{PUBLIC}/p/ann-example/{credential_id}/preview.png"
    assert meta(page.text, "og:url") == f"{PUBLIC}/p/ann-example"
    preview = client.get(f"/p/ann-example/{credential_id}/preview.png")
    assert Image.open(io.BytesIO(preview.content)).size == (1200, 630)
    polish = client.get("/p/ann-example?lang=pl").text
    assert "Poświadczenia: Ann E." in polish
    csrf = sign_in(client, "ann@example.org")
    client.post("/wallet/profile", data={"csrf_token": csrf, "slug": "ann-example", "name": "Ann E."})
    assert client.get("/p/ann-example").status_code == 404
    assert client.get(f"/p/ann-example/{credential_id}/preview.png").status_code == 404


@pytest.mark.parametrize("kind", ["png", "svg", "pdf"])
def test_cairn_vc_verify_accepts_the_downloads(
    client: TestClient, container: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """The baked PNG and SVG and the PDF certificate, saved as downloaded, verify with `cairn vc verify --online`
    (the issuer's did:web document and status lists served by the instance itself, not the network)."""
    _, credential_id, _ = learner_with_credential(container)
    sign_in(client, "ann@example.org")
    download = client.get(f"/wallet/{credential_id}/download/{kind}")
    assert download.status_code == 200, download.text
    saved = tmp_path / f"credential.{kind}"
    saved.write_bytes(download.content)
    fetcher = InstanceFetcher(client)
    monkeypatch.setattr("cairn.vc.fetch.HttpsFetcher", lambda: fetcher)
    result = CliRunner().invoke(cli, ["vc", "verify", "--online", "--format", "text", str(saved)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Verified\n"), result.output
    assert {"svg": "SVG", "png": "PNG", "pdf": "PDF"}[kind] in result.output
    assert any("/status/revocation/" in url for url in fetcher.calls)
