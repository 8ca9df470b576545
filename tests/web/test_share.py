"""Sharing pages over HTTP: the owner shares a credential by link and QR code, downloads the baked PNG (which
verifies), withdraws the link (410), keeps a public profile; `cairn vc verify` accepts the baked PNG and SVG
and the PDF as downloaded; strangers get 404, posts need the CSRF token,
and public pages leak nothing private."""

from __future__ import annotations

import copy
import dataclasses
import html
import io
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import segno
from click.testing import CliRunner
from fastapi.testclient import TestClient
from PIL import Image

from cairn.bootstrap import Container
from cairn.cli.main import cli
from cairn.skills.labels import skill_label
from cairn.store.database import Database
from cairn.store.tables import WalletCredentialRow
from cairn.vc.formats.baking import unbake
from cairn.vc.intake import verify_any
from cairn.web.app import create_app
from cairn.web.wallet.share import skills_of
from tests.factories import (
    PUBLIC_URL,
    STATISTICS,
    ClientFetcher,
    FixedClock,
    learner_with_credential,
    make_container,
    stored_release,
)
from tests.helpers import new_link, sign_in, skill_links, skill_name_lookups

PUBLIC = PUBLIC_URL


@pytest.fixture
def container(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    return make_container(sqlite_database, clock, examples)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


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
    assert "Checked just now." in body
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
    assert verify_any(as_json.content, now=container.clock(), fetcher=container.verification.fetcher).verified

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
    assert "This link expired on 11 May 2026." in gone.text
    assert "wygasł 11 maja 2026" in client.get(f"/s/{token}?lang=pl").text


def test_baked_png_download_verifies(client: TestClient, container: Container) -> None:
    _, credential_id, credential = learner_with_credential(container)
    sign_in(client, "ann@example.org")
    page = client.get(f"/wallet/{credential_id}/share").text
    assert f"/wallet/{credential_id}/download/jwt" not in page  # issued as JSON: no VC-JWT to offer
    png = client.get(f"/wallet/{credential_id}/download/png")
    assert png.status_code == 200
    assert png.headers["content-disposition"].startswith("attachment;")
    assert verify_any(png.content, now=container.clock(), fetcher=container.verification.fetcher).verified
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
    fetcher = ClientFetcher(client)
    monkeypatch.setattr("cairn.vc.fetch.HttpsFetcher", lambda: fetcher)
    result = CliRunner().invoke(cli, ["vc", "verify", "--online", "--format", "text", str(saved)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Authentic, but nobody vouches for the issuer\n"), result.output
    assert {"svg": "SVG", "png": "PNG", "pdf": "PDF"}[kind] in result.output
    assert any("/status/revocation/" in url for url in fetcher.calls)


def second_credential(container: Container, credential_id: str, **changes: Any) -> str:
    """Another credential in the same wallet: a copy of ``credential_id`` with ``changes``."""
    with container.database.transaction() as session:
        row = session.get(WalletCredentialRow, credential_id)
        assert row is not None
        copy = WalletCredentialRow(
            **{c.key: getattr(row, c.key) for c in WalletCredentialRow.__table__.columns if c.key not in ("id",)}
        )
        copy.id = str(uuid.uuid4())
        copy.content_hash = uuid.uuid4().hex
        for name, value in changes.items():
            setattr(copy, name, value)
        session.add(copy)
        return copy.id


def test_profile_counts_what_is_true_and_each_card_opens_a_live_verification(
    client: TestClient, container: Container
) -> None:
    _, credential_id, credential = learner_with_credential(container)
    csrf = sign_in(client, "ann@example.org")
    client.post("/wallet/profile", data={"csrf_token": csrf, "public": "yes", "slug": "ann-example", "name": "Ann E."})
    hidden = f"/p/ann-example/{credential_id}"
    assert client.get(hidden).status_code == 404  # not marked public yet
    assert client.post(f"/wallet/{credential_id}/public", data={"csrf_token": csrf, "public": "yes"}).status_code == 303
    # A second one, shown while it verified, later found not to: tampered, no issuer name, status unverifiable.
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["achievement"]["name"] = "Rocket science"
    bad_id = second_credential(
        container,
        credential_id,
        title="Rocket science",
        original=json.dumps(tampered),
        document=tampered,
        issuer_name=None,
        status="unverifiable",
        public=True,
    )
    client.cookies.clear()
    page = client.get("/p/ann-example").text
    assert "2 credentials, shown by their holder: 1 verified." in page
    assert "verified credentials" not in page
    assert meta(page, "og:description") == "2 credentials, shown by their holder: 1 verified."
    assert f'<a href="/p/ann-example/{credential_id}">' in page
    assert f'<a href="/p/ann-example/{bad_id}">' in page
    assert "Not valid: unverifiable" in page
    assert "Authentic, but nobody vouches for the issuer</span>" in page
    assert not re.search(r"<p>\s*·", page), "no leading separator without an issuer"
    assert re.search(r'<time datetime="2026-05-04">Issued 4 May 2026</time>', page)
    assert "2 poświadczenia, pokazane przez posiadacza; zweryfikowane: 1." in client.get("/p/ann-example?lang=pl").text

    good = client.get(f"/p/ann-example/{credential_id}")
    assert good.status_code == 200, good.text
    assert "Checked just now." in good.text
    assert credential["credentialSubject"]["achievement"]["name"] in good.text
    assert meta(good.text, "og:url") == f"{PUBLIC}/p/ann-example/{credential_id}"
    assert meta(good.text, "og:image") == f"{PUBLIC}/p/ann-example/{credential_id}/preview.png"
    assert meta(good.text, "twitter:card") == "summary_large_image"
    assert 'href="https://cairn.example/p/ann-example">Credentials of Ann E.</a>' in good.text
    for private in ("ann@example.org", "identityHash", "sha256$", "did:key"):
        assert private not in good.text, private
    as_issued = client.get(f"/p/ann-example/{credential_id}/credential.json")
    assert f'href="/p/ann-example/{credential_id}/credential.json"' in good.text
    assert verify_any(as_issued.content, now=container.clock(), fetcher=container.verification.fetcher).verified
    bad = client.get(f"/p/ann-example/{bad_id}")
    assert bad.status_code == 200
    assert "Not verified" in bad.text
    assert "Checked just now." not in bad.text

    for missing in (f"/p/ann-example/{uuid.uuid4()}", f"/p/nobody-here/{credential_id}"):
        assert client.get(missing).status_code == 404, missing
    csrf = sign_in(client, "ann@example.org")
    client.post(f"/wallet/{credential_id}/public", data={"csrf_token": csrf, "public": "no"})
    assert client.get(f"/p/ann-example/{credential_id}").status_code == 404  # hidden again
    assert client.get(f"/p/ann-example/{credential_id}/credential.json").status_code == 404
    client.post("/wallet/profile", data={"csrf_token": csrf, "slug": "ann-example", "name": "Ann E."})
    assert client.get(f"/p/ann-example/{bad_id}").status_code == 404  # the profile is off


def test_a_credential_that_does_not_verify_cannot_be_made_public(client: TestClient, container: Container) -> None:
    _, credential_id, _ = learner_with_credential(container)
    with container.database.transaction() as session:
        row = session.get(WalletCredentialRow, credential_id)
        assert row is not None
        row.status = "revoked"
    csrf = sign_in(client, "ann@example.org")
    page = client.get(f"/wallet/{credential_id}/share").text
    assert "Show it on my profile" not in page
    assert "Only a credential that verifies can be shown on your public profile; this one is revoked." in page
    refused = client.post(f"/wallet/{credential_id}/public?lang=pl", data={"csrf_token": csrf, "public": "yes"})
    assert refused.status_code == 409
    assert "to jest: unieważnione" in refused.text
    assert 'role="alert"' in refused.text
    assert client.post(f"/wallet/{credential_id}/public", data={"csrf_token": csrf, "public": "no"}).status_code == 303


def test_skills_are_esco_labels_once_each(client: TestClient, container: Container) -> None:
    _, credential_id, credential = learner_with_credential(container)
    csrf = sign_in(client, "ann@example.org")
    token = new_link(client, credential_id, csrf).rsplit("/", 1)[1]
    page = client.get(f"/s/{token}").text
    section = page[page.index('<section aria-labelledby="skills-title">') :]
    section = section[: section.index("</section>")]
    skills = re.findall(r'<li><a href="([^"]+)"[^>]*>([^<]+)</a></li>', section)
    assert skills == [
        ("http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d", "Python (computer programming)"),
        ("http://data.europa.eu/esco/skill/2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f", "perform data analysis"),
        ("http://data.europa.eu/esco/skill/97bd1c21-66b2-4b7e-ad0f-e3cda590e378", "data analytics"),
        ("http://data.europa.eu/esco/skill/9ff9db9d-d14b-426e-83f3-e7449af6c79f", "manage data"),
    ]
    alignments = credential["credentialSubject"]["achievement"]["alignment"]
    statement = [a for a in alignments if a["targetType"] == "ext:LearningOutcome"][1]["targetName"]
    assert statement not in section
    unknown = "http://data.europa.eu/esco/skill/00000000-0000-0000-0000-000000000000"
    document = {
        "credentialSubject": {
            "achievement": {
                "alignment": [
                    {"targetType": "ext:ESCOSkill", "targetUrl": skills[0][0], "targetName": "An outcome sentence."},
                    {"targetType": "ext:ESCOSkill", "targetUrl": skills[0][0], "targetName": "Another sentence."},
                    {"targetType": "ext:ESCOSkill", "targetUrl": unknown, "targetName": "Welding"},
                ],
                "learningOutcome": [{"relatedESCOSkill": [skills[0][0], unknown]}],
            }
        }
    }
    python = skills[0][0]
    assert skills_of(document) == [("Python (computer programming)", python, "en"), ("Welding", unknown, "")]
    polish = skill_label(python, "pl")  # ESCO's Polish label where Cairn ships one; its language marks it
    assert polish is not None
    assert skills_of(document, "pl")[0] == (polish[1], python, polish[0])


@pytest.mark.parametrize(
    ("path", "current"),
    [("/wallet", "/wallet"), ("/wallet/profile", "/wallet/profile"), ("/wallet/import", "/wallet/import")],
)
def test_wallet_pages_link_to_every_part_of_the_wallet(
    client: TestClient, container: Container, path: str, current: str
) -> None:
    learner_with_credential(container)
    sign_in(client, "ann@example.org")
    page = client.get(path).text
    nav = re.search(r'<nav aria-label="Wallet" class="wallet-nav">(.*?)</nav>', page, re.S)
    assert nav, page
    links = re.findall(r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>', nav.group(1))
    hrefs = [href for href, _, _ in links]
    for wanted in ("/wallet", "/wallet/skills", "/wallet/occupations", "/jobs", "/wallet/profile", "/wallet/import"):
        assert wanted in hrefs, wanted
    assert "/wallet/import-export" in hrefs
    assert [href for href, mark, _ in links if mark] == [current]
    polish = client.get(f"{path}?lang=pl").text
    assert '<nav aria-label="Portfel" class="wallet-nav">' in polish
    assert '<a href="/jobs?lang=pl">Ogłoszenia o pracę</a>' in polish
    assert '<a href="/wallet/skills?lang=pl">Twoje umiejętności</a>' in polish


def test_a_profile_card_never_calls_a_signature_by_an_unconfirmed_key_authentic() -> None:
    """The card says what the stored report said when the issuer's key was not confirmed (issue #12)."""
    from datetime import UTC, datetime

    from cairn.services.wallet.sharing import HeldCredential
    from cairn.vc.report import UNSIGNED_BY_ISSUER
    from cairn.web.wallet.share import public_verdict

    when = datetime(2026, 12, 6, tzinfo=UTC)
    held = HeldCredential(
        id="c1", format="ob3-jwt", original="x", document={}, title="t", issuer_name="Example", issuer_id="https://x",
        issued_at=when, valid_until=None, status="valid", public=True, content_hash="h", checked_at=when,
        holder_match="", verdict=UNSIGNED_BY_ISSUER,
    )  # fmt: skip
    assert public_verdict(held, "en") == UNSIGNED_BY_ISSUER
    assert public_verdict(held, "pl") == "Podpisane, ale nie wykazano, że pochodzi od wskazanego wystawcy"
    plain = dataclasses.replace(held, verdict="Authentic, but nobody vouches for the issuer")
    assert public_verdict(plain, "en") == "Authentic, but nobody vouches for the issuer"
    assert public_verdict(dataclasses.replace(plain, status="revoked"), "en").startswith("Not valid")


def test_skill_labels_come_from_the_esco_release_in_the_store(
    client: TestClient, container: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once an operator imports an ESCO release with Polish skill labels, the wallet's credential page, the shared
    page and the public profile show them (as the careers pages do), each page looking its labels up once."""
    _, credential_id, _ = learner_with_credential(container, definition="um-applied-statistics")
    csrf = sign_in(client, "ann@example.org")
    page = f"/wallet/{credential_id}"
    assert skill_links(client.get(page, params={"lang": "pl"}).text, STATISTICS) == [("statistics", "EN")] * 2
    stored_release(container, tmp_path, {STATISTICS: ("statistics", "statystyka")})
    lookups = skill_name_lookups(monkeypatch)
    detail = client.get(page, params={"lang": "pl"}).text
    assert skill_links(detail, STATISTICS) == [("statystyka", "")] * 2  # the skills, and the outcome in the annex
    assert 'lang="pl">statystyka</a>' in detail
    assert len(lookups) == 1
    assert skill_links(client.get(page, params={"lang": "en"}).text, STATISTICS) == [("statistics", "")] * 2
    token = new_link(client, credential_id, csrf).rsplit("/", 1)[1]
    shared = client.get(f"/s/{token}", params={"lang": "pl"}).text
    assert skill_links(shared, STATISTICS) == [("statystyka", "")] * 2
    client.post("/wallet/profile", data={"csrf_token": csrf, "public": "yes", "slug": "ann-example", "name": "Ann"})
    client.post(f"/wallet/{credential_id}/public", data={"csrf_token": csrf, "public": "yes"})
    del lookups[:]
    profile = client.get("/p/ann-example", params={"lang": "pl"}).text
    assert '<span lang="pl">statystyka</span>' in profile
    assert "statistics" not in profile
    assert len(lookups) == 1


def test_the_verification_page_labels_skills_from_the_store_too(
    client: TestClient, container: Container, tmp_path: Path
) -> None:
    """Whoever verifies the credential (the page and its JSON report) reads the labels the holder reads."""
    _, _, credential = learner_with_credential(container, definition="um-applied-statistics")
    text = json.dumps(credential)
    assert skill_links(client.post("/verify", params={"lang": "pl"}, data={"text": text}).text, STATISTICS) == [
        ("statistics", "EN")
    ]
    stored_release(container, tmp_path, {STATISTICS: ("statistics", "statystyka")})
    page = client.post("/verify", params={"lang": "pl"}, data={"text": text}).text
    assert skill_links(page, STATISTICS) == [("statystyka", "")]
    report = client.post("/verify/report", params={"lang": "pl"}, data={"text": text}).json()
    assert "statystyka" in json.dumps(report["certifies"], ensure_ascii=False)
    assert "statistics" not in json.dumps(report["certifies"], ensure_ascii=False)
