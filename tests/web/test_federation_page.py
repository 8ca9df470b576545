"""The administrators' page of federated registries, the public trust-list route, and the background sync."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container
from cairn.model.trust import LegalIdentity
from cairn.store.database import Database
from cairn.web.app import create_app
from tests.factories import ORG, PASSWORD, FixedClock, add_organisation, make_container
from tests.helpers import audit, csrf_of, sign_in

ADMIN = "admin@example.org"
PAGE = "/admin/federation"


def _instance(database: Database, clock: FixedClock, examples: Path, *, sync_minutes: int = 0) -> Container:
    """The example catalogue, an administrator, and a ministry on this instance accrediting the university."""
    container = make_container(database, clock, examples)
    container = dataclasses.replace(
        container, settings=dataclasses.replace(container.settings, registry_sync_minutes=sync_minutes)
    )
    container.accounts.create_account(email=ADMIN, password=PASSWORD, is_admin=True)
    container.accounts.create_account(email="owner@example.org", password=PASSWORD)
    add_organisation(database, clock, "ministry", "Ministry of Science")
    container.registry.accredit(
        "ministry",
        actor="t",
        kind="issuer",
        subjects=[container.keys.did(ORG)],
        identity=LegalIdentity("Uniwersytet Mazowiecki", "PL"),
    )
    return container


@pytest.fixture
def instance(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    return _instance(sqlite_database, clock, examples)


@pytest.fixture
def client(instance: Container) -> Iterator[TestClient]:
    with TestClient(create_app(instance), base_url="https://cairn.example", follow_redirects=False) as client:
        yield client


def test_only_administrators_see_the_page(client: TestClient) -> None:
    assert client.get(PAGE).status_code == 303  # sign in first
    sign_in(client, "owner@example.org")
    page = client.get(PAGE)
    assert page.status_code == 403
    assert "administrators" in page.text


def test_an_administrator_adds_syncs_and_removes_a_registry(client: TestClient, instance: Container) -> None:
    csrf = sign_in(client, ADMIN)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "This instance federates with no registry yet." in page.text
    url = instance.registry.list_url("ministry")
    did = instance.keys.did("ministry")
    form = {"url": url, "did": did, "name": "Ministry (here)", "csrf_token": csrf}
    assert client.post(f"{PAGE}/peers", data={**form, "csrf_token": "forged"}).status_code == 403
    added = client.post(f"{PAGE}/peers", data=form)
    assert (added.status_code, added.headers["location"]) == (303, f"{PAGE}?done=added")
    listed = client.get(added.headers["location"]).text
    assert "The registry was added." in listed
    assert "Ministry (here)" in listed
    assert "no list yet" in listed
    [peer] = instance.federation.peers()

    synced = client.post(f"{PAGE}/peers/{peer.id}/sync", data={"csrf_token": csrf})
    assert synced.status_code == 200
    assert "Sync results" in synced.text
    assert "<strong>Ministry (here)</strong>: new list checked and in use, 1 accreditation" in synced.text
    assert "list in use" in synced.text
    again = client.post(f"{PAGE}/sync", data={"csrf_token": csrf}).text
    assert "<strong>Ministry (here)</strong>: unchanged since the last sync" in again

    removed = client.post(f"{PAGE}/peers/{peer.id}/remove", data={"csrf_token": csrf})
    assert removed.status_code == 303
    assert "its accreditations no longer count here" in client.get(removed.headers["location"]).text
    assert instance.federation.peers() == []
    assert [e.actor for e in audit(instance.database, "registry.peer.add")] == [f"account:{_admin_id(instance)}"]


def _admin_id(instance: Container) -> int:
    account = instance.accounts.find_account(ADMIN)
    assert account is not None
    return account.id


def test_a_bad_registry_is_refused_with_the_error_by_its_field_in_polish_too(client: TestClient) -> None:
    csrf = sign_in(client, ADMIN)
    form = {"url": "http://registry.example/list", "did": "did:key:z6Mk", "name": "R", "csrf_token": csrf}
    answer = client.post(f"{PAGE}/peers?lang=pl", data=form)
    assert answer.status_code == 400
    assert 'href="#peer-url"' in answer.text
    assert "Adres URL musi używać https" in answer.text
    assert 'value="http://registry.example/list"' in answer.text  # what was typed stays
    form["url"] = "https://registry.example/list"
    answer = client.post(f"{PAGE}/peers", data=form)
    assert answer.status_code == 400
    assert 'href="#peer-did"' in answer.text


def test_a_refused_list_shows_why_and_that_the_last_good_list_stays(client: TestClient, instance: Container) -> None:
    csrf = sign_in(client, ADMIN)
    url = instance.registry.list_url("ministry")
    peer = instance.federation.add_peer(url, instance.keys.did("ministry"), "Ministry", actor="t")
    instance.federation.sync(peer.id)
    instance.federation.remove_peer(peer.id, actor="t")
    # the same list, expected to be signed by another DID: refused, and said so
    wrong = instance.federation.add_peer(url, instance.keys.did(ORG), "Impostor", actor="t")
    page = client.post(f"{PAGE}/peers/{wrong.id}/sync?lang=pl", data={"csrf_token": csrf}).text
    assert "<strong>Impostor</strong>: odrzucona: the list&#39;s issuer is" in page
    assert "Rejestry w federacji" in page
    assert "jeszcze bez listy" in page


def test_the_trust_list_is_public_with_an_etag(client: TestClient, instance: Container) -> None:
    first = client.get("/registries/ministry/trust-list")
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/vc"
    assert first.content == instance.registry.trust_list("ministry").body
    etag = first.headers["etag"]
    assert client.get("/registries/ministry/trust-list", headers={"If-None-Match": etag}).status_code == 304
    missing = client.get("/registries/nobody/trust-list")
    assert missing.status_code == 404
    assert missing.json()["ok"] is False


def test_the_app_syncs_federated_registries_in_the_background(
    sqlite_database: Database, clock: FixedClock, examples: Path
) -> None:
    instance = _instance(sqlite_database, clock, examples, sync_minutes=60)
    url = instance.registry.list_url("ministry")
    peer = instance.federation.add_peer(url, instance.keys.did("ministry"), "Ministry", actor="t")
    with TestClient(create_app(instance)) as client:
        deadline = time.monotonic() + 20
        while instance.federation.peer(peer.id).state != "in use":
            assert time.monotonic() < deadline, "the background sync did not run"
            time.sleep(0.05)
        assert client.get("/healthz").status_code == 200  # the loop still answers
    assert audit(instance.database, "registry.peer.sync")[0].actor == "scheduler"


def test_the_page_reads_in_polish(client: TestClient, instance: Container) -> None:
    sign_in(client, ADMIN)
    url = instance.registry.list_url("ministry")
    instance.federation.add_peer(url, instance.keys.did("ministry"), "Ministerstwo", actor="t")
    page = client.get(f"{PAGE}?lang=pl").text
    assert '<html lang="pl">' in page
    polish = ("Rejestry w federacji", "1 rejestr", "Dodaj rejestr", "Adres URL listy zaufania", "Synchronizuj teraz")
    assert [text for text in polish if text not in page] == []
    assert csrf_of(page)
