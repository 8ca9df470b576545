"""Everywhere a credential is shown, over HTTP: a credential about someone else is labelled and every page that
would show it as the holder's refuses (in English and Polish); profile cards, link previews, the claim page and
batch CSVs say the current status, re-checked after the re-check age, without the owner opening anything."""

from __future__ import annotations

import csv
import inspect
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pypdf import PdfReader

from cairn.bootstrap import Container
from cairn.formats import preview
from cairn.formats.ob3 import identity_hash
from cairn.model.awards import Recipient
from cairn.services.wallet import sharing
from cairn.store.database import Database
from cairn.vc.issuance import issue
from cairn.web.app import create_app
from cairn.web.catalog import pages as catalog_pages
from cairn.web.wallet import pages as wallet_pages
from cairn.web.wallet import share
from tests.factories import DEFINITION, ORG, OTHER_KEY, PASSWORD, FixedClock, csrf_of, foreign, make_container
from tests.helpers import sign_in
from tests.trust_network import build_network

ADA = "ada@example.org"
LABEL = "this credential names a different person, so it is not shown as yours."


@pytest.fixture
def container(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    return make_container(sqlite_database, clock, examples)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


def award_text(container: Container, recipient: Recipient) -> tuple[str, str]:
    """(credential text, award id) of a new award of the example definition."""
    result = container.issuing.award(DEFINITION, recipient, actor="test", organisation=ORG)
    text = result.credential if isinstance(result.credential, str) else json.dumps(result.credential)
    return text, result.award_id


def test_attack_someone_elses_credential_is_labelled_and_never_shared(client: TestClient, container: Container) -> None:
    ada = container.accounts.create_account(email=ADA, password=PASSWORD).id
    text, _ = award_text(container, Recipient(email="bob@example.org", name="Bob"))
    bobs = container.wallet.import_credential(ada, text).id
    csrf = sign_in(client, ADA)
    for page in (client.get("/wallet").text, client.get(f"/wallet/{bobs}").text):
        assert f"<strong>About someone else:</strong>\n  {LABEL}" in page
    polish = client.get(f"/wallet/{bobs}?lang=pl").text
    assert "Dotyczy innej osoby:" in polish
    assert "wskazuje inną osobę, więc nie jest pokazywane jako Twoje." in polish

    share = client.get(f"/wallet/{bobs}/share").text
    assert "Create a share link" not in share
    assert "linkedin.com" not in share
    assert f"/wallet/{bobs}/download/pdf" not in share
    assert "Show it on my profile" not in share
    assert "cannot be shared by link" in share

    refusal = "This credential names a different person, so it cannot be shown as yours"
    made = client.post(f"/wallet/{bobs}/share", data={"csrf_token": csrf})
    assert made.status_code == 409
    assert refusal in made.text
    public = client.post(f"/wallet/{bobs}/public?lang=pl", data={"csrf_token": csrf, "public": "yes"})
    assert public.status_code == 409
    assert "To poświadczenie wskazuje inną osobę, więc nie może być pokazane jako Twoje" in public.text
    pdf = client.get(f"/wallet/{bobs}/download/pdf")
    assert pdf.status_code == 409
    assert refusal in pdf.text
    assert not pdf.content.startswith(b"%PDF")
    assert client.get(f"/wallet/{bobs}/download/json").status_code == 200  # it is still theirs to keep


def _profile_with_one(client: TestClient, container: Container) -> tuple[str, str]:
    """Ada shows one of her awards on her profile: (wallet credential id, award id)."""
    ada = container.accounts.create_account(email=ADA, password=PASSWORD).id
    text, award_id = award_text(container, Recipient(email=ADA, name="Ada"))
    credential_id = container.wallet.import_credential(ada, text).id
    csrf = sign_in(client, ADA)
    client.post("/wallet/profile", data={"csrf_token": csrf, "public": "yes", "slug": "ada-example", "name": "Ada"})
    assert client.post(f"/wallet/{credential_id}/public", data={"csrf_token": csrf, "public": "yes"}).status_code == 303
    client.cookies.clear()
    return credential_id, award_id


def test_attack_a_revoked_credential_stops_showing_verified_on_cards_and_previews(
    client: TestClient, container: Container, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[dict[str, Any]] = []

    def drawing(**text: Any) -> bytes:
        drawn.append(text)
        return preview.preview_png(**text)

    monkeypatch.setattr(sharing, "preview_png", drawing)  # the text the card image is drawn with
    build_network(container)
    credential_id, award_id = _profile_with_one(client, container)
    card = re.compile(r'<span class="status status-(\w+)">([^<]+)</span>\s*<span class="note">([^<]+)</span>')
    vouched = "Authentic and vouched for"
    assert card.findall(client.get("/p/ada-example").text) == [("valid", vouched, "Checked 4 May 2026")]
    image = f"/p/ada-example/{credential_id}/preview.png"
    assert client.get(image).content.startswith(b"\x89PNG")
    assert (drawn[-1]["verdict"], drawn[-1]["verified"]) == (vouched, True)

    container.status_lists.revoke(award_id, reason="issued by mistake", actor="test", organisation=ORG)
    clock.advance(minutes=61)  # past the re-check age; nobody opened the wallet
    page = client.get("/p/ada-example").text
    assert card.findall(page) == [("revoked", "Not valid: revoked", "Checked 4 May 2026")]
    assert "1 credential, shown by its holder: 0 verified." in page
    client.get(image)
    assert (drawn[-1]["verdict"], drawn[-1]["verified"]) == ("Not valid: revoked", False)
    client.get(f"{image}?lang=pl")
    assert drawn[-1]["verdict"] == "Nieważne: unieważnione"


def test_a_card_left_unchecked_shows_when_it_was_last_checked(
    client: TestClient, container: Container, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _profile_with_one(client, container)
    monkeypatch.setattr(container.sharing, "max_rechecks", 0)  # as if the page had used up its re-checks
    clock.advance(days=2)
    page = client.get("/p/ada-example").text
    assert "Last checked 4 May 2026" in page
    assert "Ostatnio sprawdzono 4 maja 2026" in client.get("/p/ada-example?lang=pl").text


def test_the_claim_page_says_the_status_found_now(client: TestClient, container: Container) -> None:
    result = container.issuing.award(DEFINITION, Recipient(email=ADA), actor="test", organisation=ORG)
    page = client.get(f"/claim/{result.claim_token}").text
    assert "Verified just now: the signature, the issuer" in page
    assert "Zweryfikowane przed chwilą" in client.get(f"/claim/{result.claim_token}?lang=pl").text
    container.status_lists.revoke(result.award_id, reason="issued by mistake", actor="test", organisation=ORG)
    page = client.get(f"/claim/{result.claim_token}").text
    assert "The issuer has revoked this credential: issued by mistake." in page
    assert "Verified just now" not in page


def test_attack_a_batch_csv_is_never_made_from_old_results(
    client: TestClient, container: Container, clock: FixedClock
) -> None:
    text, award_id = award_text(container, Recipient(email=ADA))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("ada.json", text)
    page = client.post("/verify/batch", files={"file": ("batch.zip", archive.getvalue(), "application/zip")}).text
    assert "It can be downloaded for 60 minutes" in page
    found = re.search(r'name="rows" value="([^"]+)"', page)
    assert found
    rows = found.group(1).replace("&#34;", '"')
    token = (None, csrf_of(page))
    download = client.post("/verify/batch/csv", files={"rows": (None, rows), "csrf_token": token})
    assert download.status_code == 200
    assert download.text.splitlines()[0].endswith(',"checked_at"')
    assert "2026-05-04T09:30:00+00:00" in download.text
    container.status_lists.revoke(award_id, reason="issued by mistake", actor="test", organisation=ORG)
    clock.advance(minutes=61)
    stale = client.post("/verify/batch/csv?lang=pl", files={"rows": (None, rows), "csrf_token": token})
    assert stale.status_code == 409
    assert "Te wyniki sprawdzono ponad 60 min temu" in stale.text
    assert "text/csv" not in stale.headers["content-type"]


def test_pages_that_verify_run_off_the_event_loop() -> None:
    """Verifying may wait on the network: the routes that do it are plain functions, which FastAPI runs in a
    worker thread (an ``async def`` would block the event loop while it waits)."""
    verifying = {
        "/s/{token}",
        "/s/{token}/preview.png",
        "/p/{slug}",
        "/p/{slug}/{credential_id:uuid}",
        "/p/{slug}/{credential_id:uuid}/preview.png",
        "/wallet/{credential_id:uuid}/download/{kind}",
        "/claim/{token}",
        "/wallet/{credential_id:uuid}",
    }
    routes = {
        route.path: route.endpoint
        for router in (share.router, wallet_pages.router, catalog_pages.router)
        for route in router.routes
        if isinstance(route, APIRoute) and route.path in verifying
    }
    assert set(routes) == verifying
    assert [path for path, endpoint in routes.items() if inspect.iscoroutinefunction(endpoint)] == []


def test_attack_a_forgery_naming_the_university_is_never_shown_as_vouched_for(
    client: TestClient, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh did:key that calls itself the (accredited) university, awarding Ada: authentic, but on every
    surface nobody vouches for it, while the university's own award is vouched for."""
    build_network(container)  # the ministry vouches for the real university, through the agency
    forged = forged_award(ADA)
    drawn: list[dict[str, Any]] = []

    def drawing(**text: Any) -> bytes:
        drawn.append(text)
        return preview.preview_png(**text)

    monkeypatch.setattr(sharing, "preview_png", drawing)  # the text the card image is drawn with
    unvouched = "Authentic, but nobody vouches for the issuer"

    page = client.post("/verify", data={"text": json.dumps(forged)}).text  # the verify page
    assert re.search(r'<h2 id="verdict"[^>]*>\s*' + unvouched, page)
    api = client.post("/verify/report", data={"text": json.dumps(forged)}).json()  # its JSON answer
    assert (api["verified"], api["vouched"], api["verdict"]) == (True, False, unvouched)
    vcapi = client.post("/credentials/verify", json={"verifiableCredential": forged}).json()  # the VC-API
    assert any("nobody this instance trusts vouches" in w for w in map(str, vcapi.get("warnings", [])))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("forged.json", json.dumps(forged))
    batch = client.post("/api/v1/verify/batch?format=csv", files={"file": ("b.zip", archive.getvalue())}).text
    (row,) = csv.DictReader(io.StringIO(batch))  # the batch CSV
    assert (row["verdict"], row["issuer"], row["vouched_by"]) == (unvouched, "Uniwersytet Mazowiecki", "")

    ada = container.accounts.create_account(email=ADA, password=PASSWORD).id
    held = container.wallet.import_credential(ada, json.dumps(forged)).id
    own, _ = award_text(container, Recipient(email=ADA, name="Ada"))
    real = container.wallet.import_credential(ada, own).id
    csrf = sign_in(client, ADA)
    client.post("/wallet/profile", data={"csrf_token": csrf, "public": "yes", "slug": "ada-example", "name": "Ada"})
    for credential_id in (held, real):
        assert (
            client.post(f"/wallet/{credential_id}/public", data={"csrf_token": csrf, "public": "yes"}).status_code
            == 303
        )
    pdf = client.get(f"/wallet/{held}/download/pdf")
    real_pdf = client.get(f"/wallet/{real}/download/pdf")
    link = client.post(f"/wallet/{held}/share", data={"csrf_token": csrf}, follow_redirects=True).text
    token = re.search(r"/s/([A-Za-z0-9_-]{32,64})", link)
    assert token is not None
    client.cookies.clear()

    profile = client.get("/p/ada-example").text  # the public profile's cards
    statuses = re.findall(r'<span class="status status-\w+">([^<]+)</span>', profile)
    assert sorted(statuses) == sorted([unvouched, "Authentic and vouched for"])
    client.get(f"/p/ada-example/{held}/preview.png")  # the social card image
    assert (drawn[-1]["verdict"], drawn[-1]["verified"]) == (unvouched, False)
    shared = client.get(f"/s/{token.group(1)}").text  # the share page
    assert re.search(r'<h2 id="verdict-title"[^>]*>\s*' + unvouched, shared)
    polish = client.get(f"/s/{token.group(1)}?lang=pl").text  # why nobody vouches, in the reader's language
    assert "nikt, komu ta instancja ufa, nie poręcza za wystawcę: żaden rejestr" in polish
    assert "nobody this instance trusts" not in polish
    sign_in(client, ADA)
    wallet = client.get(f"/wallet/{held}?lang=pl").text  # the stored report's checks, said in Polish too
    assert "nikt, komu ta instancja ufa, nie poręcza za wystawcę: żaden rejestr" in wallet
    assert "nobody this instance trusts" not in wallet
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()  # the PDF certificate
    assert "Nobody this instance trusts vouches for this issuer" in " ".join(text.split())
    assert "Vouched for by Quality Agency" in " ".join(
        PdfReader(io.BytesIO(real_pdf.content)).pages[0].extract_text().split()
    )


def forged_award(email: str) -> dict[str, Any]:
    """An Open Badges 3.0 credential awarding ``email`` (hashed), signed by a fresh did:key that names itself the
    example university."""
    salt = "pepper"
    body = {k: v for k, v in foreign("Data analysis with Python").items() if k != "proof"}
    body["issuer"] = {**body["issuer"], "name": "Uniwersytet Mazowiecki"}
    body["credentialSubject"] = {
        **body["credentialSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityType": "emailAddress",
                "hashed": True,
                "salt": salt,
                "identityHash": identity_hash(email, salt),
            }
        ],
    }
    signed = issue(body, key=OTHER_KEY, suite="eddsa-rdfc-2022", created="2025-03-01T00:00:00Z")
    assert isinstance(signed, dict)
    return signed
