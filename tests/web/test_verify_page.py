"""The public verifier page: paste or upload, a verdict first, Annex I elements, each check explained, and JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import cairn.web.verification.page as verify_page
import cairn.web.verification.rows as credential_annex
from cairn.bootstrap import build
from cairn.model.awards import Recipient
from cairn.services.trust.operator import TrustList, load_trust_list
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.vc.fetch import CachingFetcher, Fetcher
from cairn.vc.verification import MAX_INPUT_BYTES
from cairn.web.app import create_app
from tests.factories import FixedClock
from tests.helpers import rewired
from tests.trust_network import build_network
from tests.web import ob2_hosted

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
    result = container.issuing.award(
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
    assert '<label for="verify-url">' in html
    assert '<label for="verify-email">' in html
    assert "PNG or SVG" in html
    assert 'href="/verify/batch"' in html


def test_a_pasted_award_is_verified_with_every_annex_element(app_parts: tuple[TestClient, Any]) -> None:
    client, container = app_parts
    credential = awarded(container)
    page = client.post("/verify", data={"text": json.dumps(credential)})
    assert page.status_code == 200, page.text
    html = page.text
    assert verdict(html) == "Authentic, but nobody vouches for the issuer"
    assert html.index('id="verdict"') < html.index("Who issued it") < html.index("What it certifies")
    assert "Mazovian University in Warsaw" in html
    assert "did:web:cairn.example:orgs:uniwersytet-mazowiecki" in html
    assert "nobody this instance trusts vouches for the issuer" in html
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
    assert "Paste a credential, choose a file" in empty.text


def test_hostile_links_in_a_credential_are_not_rendered(app_parts: tuple[TestClient, Any]) -> None:
    client, container = app_parts
    credential = awarded(container)
    credential["issuer"]["url"] = "javascript:alert(1)"
    achievement = credential["credentialSubject"]["achievement"]
    esco = next(a for a in achievement["alignment"] if a["targetType"] == "ext:ESCOSkill")
    esco["targetUrl"] = "javascript:alert(2)"
    achievement["learningOutcome"] = [{"outcomeStatement": "x", "relatedESCOSkill": ["javascript:alert(4)"]}]
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
    assert verdict(page.text) == "Authentic, but nobody vouches for the issuer"
    assert "Relational databases and SQL" in page.text


def test_the_same_report_as_json(app_parts: tuple[TestClient, Any]) -> None:
    client, container = app_parts
    credential = awarded(container)
    answer = client.post("/verify/report", files={"file": ("badge.json", json.dumps(credential).encode())})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["verdict"] == "Authentic, but nobody vouches for the issuer"
    assert report["verified"] is True
    assert report["issuer"]["name"] == "Mazovian University in Warsaw"
    assert report["issuer"]["vouched"] is False
    rows = {row["name"]: row for row in report["certifies"]}
    assert rows["Title of the micro-credential"]["items"][0]["text"] == "Relational databases and SQL"
    skills = [link for item in rows["Learning outcomes"]["items"] for link in item["links"]]
    assert any(uri.startswith("http://data.europa.eu/esco/skill/") for _, uri, _ in skills)
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


def _client_with(container: Any, *, fetcher: Fetcher | None = None, trust: TrustList | None = None) -> TestClient:
    return TestClient(create_app(rewired(container, fetcher=fetcher, trust=trust)))


def test_a_credential_given_by_its_web_address(app_parts: tuple[TestClient, Any]) -> None:
    _, container = app_parts
    url = "https://badges.example/ada.json"
    fetcher = ob2_hosted.Server(container.verification.fetcher, {url: json.dumps(awarded(container)).encode()})
    with _client_with(container, fetcher=fetcher) as client:
        page = client.post("/verify", data={"url": url})
        assert page.status_code == 200, page.text
        assert verdict(page.text) == "Authentic, but nobody vouches for the issuer"
        assert url in fetcher.calls
        assert (
            client.post("/verify/report", data={"url": url}).json()["verdict"]
            == "Authentic, but nobody vouches for the issuer"
        )


def test_a_web_address_that_cannot_be_fetched_is_a_readable_400(app_parts: tuple[TestClient, Any]) -> None:
    client, _ = app_parts
    for url, expected in [
        ("https://127.0.0.1/badge.json", "non-public address"),
        ("https://10.1.2.3/x", "non-public address"),
        ("ftp://example.org/badge.json", "starting with https://"),
        ("file:///etc/passwd", "starting with https://"),
    ]:
        page = client.post("/verify", data={"url": url})
        assert page.status_code == 400, url
        assert 'role="alert"' in page.text
        assert expected in page.text, (url, page.text[-2000:])
        answer = client.post("/verify/report", data={"url": url})
        assert answer.status_code == 400
        assert expected in answer.json()["error"]


def test_a_hosted_document_that_is_too_large_is_refused(app_parts: tuple[TestClient, Any]) -> None:
    _, container = app_parts
    url = "https://badges.example/huge.json"
    fetcher = ob2_hosted.Server(container.verification.fetcher, {url: b" " * (MAX_INPUT_BYTES + 1)})
    with _client_with(container, fetcher=fetcher) as client:
        page = client.post("/verify", data={"url": url})
        assert page.status_code == 400
        assert "larger than" in page.text


def test_the_holder_check_says_whether_an_email_matches(app_parts: tuple[TestClient, Any]) -> None:
    client, container = app_parts
    text = json.dumps(awarded(container))
    same = client.post("/verify", data={"text": text, "email": "  Ada@Example.org "})
    assert "the email address matches the person this credential was awarded to" in same.text
    other = client.post("/verify", data={"text": text, "email": "eve@example.org"})
    assert "does not match the person" in other.text
    result = other.text[: other.text.index('id="verify-form-title"')]  # the form below echoes the pasted text
    assert "eve@example.org" not in other.text
    assert "sha256$" not in result
    none = client.post("/verify", data={"text": text})
    assert "Holder check</strong>" not in none.text
    report = client.post("/verify/report", data={"text": text, "email": "ada@example.org"}).json()
    assert report["holder"]["result"] == "match"
    unnamed = json.loads(text)
    unnamed["credentialSubject"].pop("identifier")
    answer = client.post("/verify/report", data={"text": json.dumps(unnamed), "email": "ada@example.org"}).json()
    assert answer["holder"]["result"] == "not-named"


def test_the_page_says_who_vouches_for_the_issuer(app_parts: tuple[TestClient, Any], tmp_path: Path) -> None:
    _, container = app_parts
    credential = awarded(container)
    did = credential["issuer"]["id"]
    listed = tmp_path / "trust.yaml"
    listed.write_text(f"issuers:\n  - did: {did}\n    note: accredited by the QA agency\n", encoding="utf-8")
    trust = load_trust_list(listed, own_prefix="did:web:cairn.example:orgs:")
    with _client_with(container, trust=trust) as client:
        html = client.post("/verify", data={"text": json.dumps(credential)}).text
        assert "Who vouches for the issuer" in html
        assert "<dt>Name, as the credential states it</dt>" in html  # the signer's text, said to be that
        assert "lists the issuer&#39;s identifier directly" in html or "lists the issuer's identifier directly" in html
        assert "Issued by this instance" in html
        report = client.post("/verify/report", data={"text": json.dumps(credential)}).json()
        assert report["verdict"] == "Authentic and vouched for"
        assert report["issuer"]["vouched"] is True
        tampered = dict(credential, name="Changed")
        forged = client.post("/verify/report", data={"text": json.dumps(tampered)}).json()
        assert forged["issuer"]["vouched"] is False
        assert forged["verdict"] == "Not verified"
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"issuers": [{"did": "did:web:elsewhere.example"}]}), encoding="utf-8")
    with _client_with(container, trust=load_trust_list(other)) as client:
        report = client.post("/verify/report", data={"text": json.dumps(credential)}).json()
        assert report["issuer"]["vouched"] is False
        assert report["issuer"]["trust_reason"].startswith("nobody this instance trusts vouches for the issuer")
    build_network(container)
    with _client_with(container) as client:
        html = client.post("/verify", data={"text": json.dumps(credential)}).text
        assert verdict(html) == "Authentic and vouched for"
        assert 'accredited by <span lang="">Ministry of Science' in html  # a name from data, marked as such
        assert "Legal name, as the registry records it" in html
        report = client.post("/verify/report", data={"text": json.dumps(credential)}).json()
        assert [link["accredited_by"] for link in report["issuer"]["chain"]] == [
            "Quality Agency",
            "Ministry of Science",
        ]
        # in Polish, the words around the names and dates are Polish (the sentence is said from its parts)
        polish = client.post("/verify/report?lang=pl", data={"text": json.dumps(credential)}).json()["issuer"]
        assert polish["trust_reason"] == (
            "akredytowany w łańcuchu, któremu ta instancja ufa: akredytowany przez: Quality Agency w zakresie "
            "dziedziny ISCED-F 061, ten z kolei akredytowany przez: Ministry of Science w zakresie EQF 5-6 w "
            "dziedzinach ISCED-F 06 do 2028-01-01"
        )
        assert [link["scope"] for link in polish["chain"]] == [
            "dziedziny ISCED-F 061",
            "EQF 5-6 w dziedzinach ISCED-F 06",
        ]
        page = client.post("/verify?lang=pl", data={"text": json.dumps(credential)}).text
        assert (
            page.count('akredytowany przez: <span lang="">Quality Agency</span> w zakresie dziedziny ISCED-F 061') == 2
        )  # row, check
        statistics = container.issuing.award(
            "um-applied-statistics", Recipient(email="ada@example.org", name="Ada"), actor="test", organisation=UM
        )
        outside = client.post("/verify/report?lang=pl", data={"text": json.dumps(statistics.credential)}).json()
        assert outside["issuer"]["trust_reason"] == (
            "nikt, komu ta instancja ufa, nie poręcza za wystawcę: dziedzina poświadczenia ISCED-F 0542 jest poza "
            "ISCED-F 061"
        )


def test_the_page_speaks_polish(app_parts: tuple[TestClient, Any]) -> None:
    client, container = app_parts
    page = client.post("/verify?lang=pl", data={"text": json.dumps(awarded(container))})
    assert verdict(page.text) == "Autentyczne, ale nikt nie poręcza za wystawcę"
    assert "Kto je wydał" in page.text
    assert "Sprawdź poświadczenie" in client.get("/verify?lang=pl").text


# -- what it certifies, by format ------------------------------------------------------------------------------

ELM = "elm/european-learning-model/Credentials/JSON-LD Examples (ELM v3)"


def test_a_european_digital_credential_shows_its_annex_rows_and_its_seal(
    app_parts: tuple[TestClient, Any], test_data: Path, tmp_path: Path
) -> None:
    client, container = app_parts
    signed = (test_data / ELM / "Sample-MC-Annex1-signed.jsonld").read_bytes()
    report = client.post("/verify/report", files={"file": ("mc.jsonld", signed)}).json()
    assert report["format"] == "elm-edc"
    assert report["verdict"] == "Authentic, but nobody vouches for the issuer"
    assert "certificate_chain" not in report["issuer"]
    seal = report["seal"]
    assert seal["sealed"] is True
    assert seal["trust"] == "unknown"
    assert "configured no trusted seal certificates" in seal["trust_reason"]
    assert seal["signing_time"] == "2023-09-27T11:54:17+00:00"
    leaf = seal["certificate_chain"][0]
    assert leaf["organisation"] == "ORGANIZACION TEST"
    assert leaf["not_after"] == "2025-05-10T14:31:15+00:00"
    assert leaf["link"] == "issuer certificate not included"
    assert len(leaf["sha256"]) == 95  # 32 bytes, colon-separated
    rows = {row["name"]: [item["text"] for item in row["items"]] for row in report["certifies"]}
    assert rows["Title of the micro-credential"] == ["Digital micro-credential creation"]
    assert rows["Learning outcomes"][0] == "Communication, collaboration and creativity"
    assert "EQF: Level 6" in rows[credential_annex._name(8)]
    assert rows["Integration/stackability options"] == ["not a partial qualification"]
    assert rows["Type of quality assurance used to underpin the micro-credential"] == []  # shown as "Not stated"
    outcomes = next(row for row in report["certifies"] if row["number"] == 6)
    links = [uri for item in outcomes["items"] for _, uri, _ in item["links"]]
    assert "http://data.europa.eu/esco/skill/5fd5c985-eaaa-47aa-8314-62359c54505a" in links

    listed = tmp_path / "trust.yaml"
    listed.write_text(f'certificates:\n  - "{leaf["sha256"]}"\n', encoding="utf-8")
    with _client_with(container, trust=load_trust_list(listed)) as trusting:
        trusted = trusting.post("/verify/report", files={"file": ("mc.jsonld", signed)}).json()
        assert trusted["seal"]["trust"] == "trusted"
        assert trusted["issuer"]["vouched"] is True
        assert trusted["verdict"] == "Authentic and vouched for, with warnings"
        assert "seal certificate is one this instance's operator trusts" in trusted["issuer"]["trust_reason"]
        html = trusting.post("/verify", files={"file": ("mc.jsonld", signed)}).text
        assert "Trusted: the certificate chain reaches a seal certificate" in " ".join(html.split())
    other = tmp_path / "other.yaml"
    other.write_text('certificates:\n  - "' + "ab" * 32 + '"\n', encoding="utf-8")
    with _client_with(container, trust=load_trust_list(other)) as elsewhere:
        unknown = elsewhere.post("/verify/report", files={"file": ("mc.jsonld", signed)}).json()
        assert unknown["seal"]["trust"] == "unknown"
        assert unknown["seal"]["trust_reason"].startswith("none of the seal certificates")
        assert unknown["issuer"]["vouched"] is False


def test_the_european_digital_credential_page_in_polish(app_parts: tuple[TestClient, Any], test_data: Path) -> None:
    client, _ = app_parts
    signed = (test_data / ELM / "Sample-MC-Annex1-signed.jsonld").read_bytes()
    html = client.post("/verify?lang=pl", files={"file": ("mc.jsonld", signed)}).text
    assert verdict(html) == "Autentyczne, ale nikt nie poręcza za wystawcę"
    for text in ("Pieczęć elektroniczna", "Efekty uczenia się", "ERK: Level 6", "nie jest kwalifikacją cząstkową"):
        assert text in html, text
    assert "brak certyfikatu wystawcy w łańcuchu" in html
    assert 'href="http://data.europa.eu/esco/skill/5fd5c985-eaaa-47aa-8314-62359c54505a"' in html


def test_an_open_badges_2_hosted_assertion_by_its_address(app_parts: tuple[TestClient, Any]) -> None:
    _, container = app_parts
    server = ob2_hosted.Server(container.verification.fetcher, ob2_hosted.documents())
    with _client_with(container, fetcher=CachingFetcher(server)) as client:
        data = {"url": ob2_hosted.ASSERTION, "email": ob2_hosted.EMAIL}
        report = client.post("/verify/report", data=data).json()
        assert report["format"] == "ob2-hosted"
        assert report["verdict"] == "Authentic, but nobody vouches for the issuer", report["checks"]
        assert report["checks"][0]["reason"] == "a hosted assertion address"  # verified by its URL, cross-checked
        assert server.calls.count(ob2_hosted.ASSERTION) == 1  # the second fetch came from the cache
        assert {ob2_hosted.BADGE, ob2_hosted.ISSUER} <= set(server.calls)
        assert report["certifies"] == []
        badge = report["badge"]
        assert (badge["name"], badge["criteria"], badge["issuer"]) == (
            "Python Basics",
            "Passed the final project.",
            "Example Academy",
        )
        assert badge["image"] == "link"
        assert badge["recipient"] == {"kind": "an email address", "hashed": True}
        assert report["holder"]["result"] == "match"
        assert ob2_hosted.HASH.split("$")[1] not in json.dumps(report)
        page = client.post("/verify", data=data).text
        result = page[: page.index('id="verify-form-title"')]
        assert verdict(page) == "Authentic, but nobody vouches for the issuer"
        for text in ("Python Basics", "Writes small, tested Python programs.", "Passed the final project."):
            assert text in result
        assert "open the image of Python Basics" in result
        assert "<img" not in result  # the issuer's image is not loaded: a link with a text alternative
        assert "hashed: the hash is not shown" in result
        assert ob2_hosted.HASH.split("$")[1] not in page
        pasted = client.post("/verify/report", data={"text": ob2_hosted.documents()[ob2_hosted.ASSERTION].decode()})
        assert pasted.json()["badge"]["name"] == "Python Basics"


def test_each_credential_inside_a_presentation_has_its_own_section(app_parts: tuple[TestClient, Any]) -> None:
    client, container = app_parts
    good = awarded(container)
    tampered = awarded(container)
    tampered["credentialSubject"]["achievement"]["name"] = "Doctorate in everything"
    presentation = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "verifiableCredential": [good, tampered],
    }
    report = client.post("/verify/report", data={"text": json.dumps(presentation)}).json()
    inner = report["credentials"]
    assert [c["verdict"] for c in inner] == ["Authentic, but nobody vouches for the issuer", "Not verified"]
    assert all(c["checks"] and c["certifies"] for c in inner)
    assert inner[1]["certifies"][1]["items"][0]["text"] == "Doctorate in everything"
    html = " ".join(client.post("/verify", data={"text": json.dumps(presentation)}).text.split())
    unvouched = "Authentic, but nobody vouches for the issuer"
    assert f"Credential 1: {unvouched} · issued by Mazovian University in Warsaw" in html
    assert "Credential 2: Not verified" in html
    assert "The checks of credential 2" in html
    assert html.count("The European standard elements (Annex I)") == 2


def test_an_open_badges_3_achievement_shows_its_criteria(app_parts: tuple[TestClient, Any]) -> None:
    client, container = app_parts
    credential = awarded(container)
    report = client.post("/verify/report", data={"text": json.dumps(credential)}).json()
    achievement = report["achievement"]
    assert achievement["name"] == "Relational databases and SQL"
    assert achievement["criteria"] or achievement["criteria_url"]
    assert report["badge"] is None
    assert report["seal"] is None


def test_what_a_credential_says_is_shown_as_written_never_translated(app_parts: tuple[TestClient, Any]) -> None:
    """A credential's own words (its issuer's name, an outcome) in a language it does not state: shown as written and
    marked ``lang=""`` on a Polish page, even when they happen to be words Cairn's catalogue translates."""
    client, container = app_parts
    credential = awarded(container)
    credential["issuer"]["name"] = "Not stated"  # words the Polish catalogue has ("Nie podano")
    del credential["credentialSubject"]["achievement"]["inLanguage"]  # so nothing says what language it is in
    html = client.post("/verify?lang=pl", data={"text": json.dumps(credential)}).text
    assert verdict(html) == "Nie zweryfikowano"
    annex = html[html.index('<table class="annex">') :]
    issuer = re.search(
        r'<li( lang="[^"]*")?>\s*<a href="https://uniwersytet-mazowiecki\.example\.pl"[^>]*>([^<]*)</a>', annex
    )
    assert issuer is not None
    assert (issuer[1], issuer[2]) == (' lang=""', "Not stated")
