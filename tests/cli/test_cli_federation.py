"""``cairn registry peers add|list|remove`` and ``cairn registry sync``, through the real ``cairn`` command, with
registries of the instance itself (their lists are answered without the network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cairn.bootstrap import build
from cairn.cli.main import cli
from cairn.model.trust import LegalIdentity
from cairn.settings import Settings
from cairn.store.database import Database
from tests.factories import ORG, PUBLIC_URL, SECRET, FixedClock, add_organisation, load_examples


@pytest.fixture
def env(database: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """The example catalogue and a ministry on this instance accrediting the university."""
    load_examples(database, clock)
    add_organisation(database, clock, "ministry", "Ministry of Science")
    add_organisation(database, clock, "agency", "Quality Agency")
    container = build(Settings(database_url=database.url, secret_key=SECRET, base_url=PUBLIC_URL), database=database)
    university = container.keys.did(ORG)
    identity = LegalIdentity("Uniwersytet Mazowiecki", "PL")
    container.registry.accredit("ministry", actor="t", kind="issuer", subjects=[university], identity=identity)
    monkeypatch.chdir(tmp_path)
    for name in ("CAIRN_DATABASE_URL", "CAIRN_SECRET_KEY", "CAIRN_BASE_URL", "CAIRN_FETCH_ALLOW_PRIVATE"):
        monkeypatch.delenv(name, raising=False)
    return {"CAIRN_DATABASE_URL": database.url, "CAIRN_SECRET_KEY": SECRET, "CAIRN_BASE_URL": PUBLIC_URL}


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, ["registry", *args], env=env, catch_exceptions=False)


MINISTRY_LIST = f"{PUBLIC_URL}/registries/ministry/trust-list"
AGENCY_LIST = f"{PUBLIC_URL}/registries/agency/trust-list"
MINISTRY_DID = "did:web:cairn.example:orgs:ministry"


def test_peers_are_added_listed_synced_and_removed(env: dict[str, str]) -> None:
    added = run(env, "peers", "add", MINISTRY_LIST, "--did", MINISTRY_DID, "--name", "Ministry of Science")
    assert added.exit_code == 0, added.output
    assert added.output.startswith("Added registry #1 Ministry of Science")
    assert "#1 Ministry of Science: no list yet" in run(env, "peers", "list").output

    synced = run(env, "sync")
    assert synced.exit_code == 0, synced.output
    assert synced.output == f"#1 Ministry of Science ({MINISTRY_LIST}): ok, 1 entry\n"
    again = run(env, "sync", "--peer", "1")
    assert again.exit_code == 0
    # another process, which signs its own copy of the list: the same weak ETag, so nothing is fetched again
    assert (
        again.output
        == f"#1 Ministry of Science ({MINISTRY_LIST}): unchanged: the list has not changed since the last sync\n"
    )

    # the agency's list, expected signed by the ministry: refused, exit 1, and the good peer still synced
    assert run(env, "peers", "add", AGENCY_LIST, "--did", MINISTRY_DID, "--name", "Impostor").exit_code == 0
    mixed = run(env, "sync")
    assert mixed.exit_code == 1
    lines = mixed.output.splitlines()
    assert lines[0].endswith(": unchanged: the list has not changed since the last sync")
    assert lines[1].startswith(
        f"#2 Impostor ({AGENCY_LIST}): refused: the list's issuer is did:web:cairn.example:orgs:agency"
    )

    listing = run(env, "peers", "list").output
    assert "#1 Ministry of Science: 1 entries, valid until" in listing
    assert "last check refused: the list's issuer is" in listing
    rows = json.loads(run(env, "peers", "list", "--format", "json").output)
    assert [(r["id"], r["state"], r["entries"]) for r in rows] == [(1, "in use", 1), (2, "none", 0)]

    assert run(env, "peers", "remove", "2").output == "Removed registry #2\n"
    assert run(env, "sync").exit_code == 0


def test_bad_input_gives_an_error_and_exit_code(env: dict[str, str]) -> None:
    plain = run(env, "peers", "add", "http://registry.example/list", "--did", MINISTRY_DID, "--name", "R")
    assert (plain.exit_code, plain.output) == (
        1,
        "error: the URL must be https (plain http only where CAIRN_FETCH_ALLOW_PRIVATE is on)\n",
    )
    assert run(env, "sync", "--peer", "9").output == "error: no federated registry 9\n"
    assert run(env, "peers", "remove", "9").exit_code == 1
    assert run(env, "sync").output == "No federated registries.\n"
