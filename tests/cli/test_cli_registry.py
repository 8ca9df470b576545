"""``cairn registry``: accredit, list, show, suspend, withdraw, reinstate, anchors, lookup and export, with exit
codes and the audit log, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from cairn.bootstrap import Container
from cairn.cli.main import cli
from cairn.cli.registry import registry
from cairn.store.database import Database
from cairn.store.tables import AuditEntry
from cairn.vc.report import Outcome
from tests.factories import ORG, PUBLIC_URL
from tests.helpers import outcomes
from tests.trust_network import AGENCY, MINISTRY, Network

FINGERPRINT = "cd" * 32


@pytest.fixture
def env(database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)
    for name in ("CAIRN_DATABASE_URL", "CAIRN_SECRET_KEY", "CAIRN_BASE_URL", "CAIRN_TRUST_LIST"):
        monkeypatch.delenv(name, raising=False)
    return {"CAIRN_DATABASE_URL": database.url, "CAIRN_SECRET_KEY": "s" * 48, "CAIRN_BASE_URL": PUBLIC_URL}


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, ["registry", *args], env=env, catch_exceptions=False)


def audit(database: Database) -> list[tuple[str, str]]:
    with database.transaction() as session:
        return [(e.actor, e.action) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_the_group_is_registered_and_importable_for_other_commands() -> None:
    assert cli.commands["registry"] is registry
    assert {"accredit", "list", "show", "suspend", "withdraw", "reinstate", "anchor", "lookup", "export"} <= set(
        registry.commands
    )


def test_accredit_with_every_option_then_list_and_show(
    env: dict[str, str], network: Network, container: Container, database: Database
) -> None:
    result = run(
        env,
        "accredit",
        "--as",
        AGENCY,
        "--kind",
        "issuer",
        "--did",
        "did:web:poli.example",
        "--certificate",
        FINGERPRINT,
        "--legal-name",
        "Politechnika Przykładowa",
        "--country",
        "pl",
        "--national",
        "KRS 0000123456",
        "--vat",
        "PL5260250995",
        "--lei",
        "259400DZXF7UJKK2AY35",
        "--eidas",
        "VATPL-5260250995",
        "--isced",
        "06,0613",
        "--eqf",
        "6",
        "--eqf",
        "7",
        "--nqf",
        "PL-6",
        "--type",
        "MicroCredential",
        "--valid-from",
        "2026-06-01",
        "--valid-until",
        "2029-05-31",
        "--evidence-name",
        "Decision 40/2026",
        "--evidence-url",
        "https://agency.example/decisions/40",
        "--actor",
        "ops@agency",
    )
    assert result.exit_code == 0, result.output
    new_id = result.stdout.strip()
    assert new_id.startswith("urn:uuid:")
    made = container.registry.get(new_id).accreditation
    assert made.subjects == ("did:web:poli.example",)
    assert made.certificates == (FINGERPRINT,)
    assert made.identity.country == "PL"
    assert dict(made.identity.identifiers) == {
        "national": "KRS 0000123456",
        "vat": "PL5260250995",
        "lei": "259400DZXF7UJKK2AY35",
        "eidas": "VATPL-5260250995",
    }
    assert made.scope.describe() == "EQF 6-7 PL-6 in ISCED-F 06, 0613 (MicroCredential)"
    assert made.valid_until is not None
    assert made.valid_until.isoformat() == "2029-05-31T23:59:59+00:00"
    assert ("ops@agency", "registry.accredit") in audit(database)

    listing = run(env, "list", "--registry", AGENCY)
    assert listing.exit_code == 0
    lines = listing.stdout.splitlines()
    assert len(lines) == 2
    assert "Politechnika Przykładowa" in lines[0]
    as_json = json.loads(run(env, "list", "--format", "json").stdout)
    assert {item["registry"] for item in as_json} == {MINISTRY, AGENCY}

    shown = run(env, "show", new_id.removeprefix("urn:uuid:"))
    assert shown.exit_code == 0
    assert "certificate:  " + FINGERPRINT in shown.stdout
    assert "evidence:     Decision 40/2026 <https://agency.example/decisions/40>" in shown.stdout
    credential = json.loads(run(env, "show", new_id, "--credential").stdout)
    assert credential["type"] == ["VerifiableCredential", "VerifiableAccreditation"]
    assert outcomes(container.verification.verify(credential), "proof") == [Outcome.PASS]  # signed now, not then


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--did", "Mazovian University"], "is not a DID"),
        (["--did", "did:web:x.example", "--country", "Poland"], "two-letter code"),
        (["--certificate", "12:34"], "SHA-256 fingerprint"),
        (["--did", "did:web:x.example", "--isced", "ict"], "ISCED-F codes"),
        (["--did", "did:web:x.example", "--evidence-url", "https://x.example"], "name the evidence"),
        ([], "at least one DID"),
    ],
)
def test_bad_accreditations_are_refused_with_a_message(
    env: dict[str, str], network: Network, args: list[str], says: str
) -> None:
    base = ["accredit", "--as", AGENCY, "--legal-name", "X", "--country", "PL"]
    result = CliRunner().invoke(cli, ["registry", *base, *args], env=env)
    assert result.exit_code in (1, 2), result.output
    assert says in result.output


def test_an_unknown_organisation_or_accreditation_exits_1(env: dict[str, str], network: Network) -> None:
    unknown = run(
        env, "accredit", "--as", "nobody", "--did", "did:web:x.example", "--legal-name", "X", "--country", "PL"
    )
    assert unknown.exit_code == 1
    assert "no organisation 'nobody'" in unknown.stderr
    assert run(env, "show", "urn:uuid:00000000-0000-4000-8000-000000000000").exit_code == 1


def test_suspend_reinstate_withdraw(
    env: dict[str, str], network: Network, container: Container, database: Database
) -> None:
    assert run(env, "suspend", network.issuer, "--reason", "annual review").exit_code == 0
    assert container.registry.get(network.issuer).accreditation.status == "suspended"
    again = run(env, "suspend", network.issuer, "--reason", "twice")
    assert again.exit_code == 1
    assert "already suspended" in again.stderr
    assert run(env, "reinstate", network.issuer, "--reason", "passed").exit_code == 0
    assert run(env, "withdraw", network.issuer, "--reason", "closed").exit_code == 0
    assert container.registry.get(network.issuer).accreditation.status == "withdrawn"
    assert run(env, "reinstate", network.issuer, "--reason", "please").exit_code == 1
    assert CliRunner().invoke(cli, ["registry", "suspend", network.issuer], env=env).exit_code == 2  # no --reason
    actions = [action for actor, action in audit(database) if actor == "cli" and action.startswith("registry.")]
    assert actions == ["registry.suspended", "registry.active", "registry.withdrawn"]


def test_anchors_add_list_remove(env: dict[str, str], network: Network, container: Container) -> None:
    added = run(env, "anchor", "add", ORG)
    assert added.exit_code == 0
    assert container.keys.did(ORG) in added.stdout
    listed = run(env, "anchor", "list").stdout
    assert network.ministry_did in listed
    assert container.keys.did(ORG) in listed
    assert run(env, "anchor", "remove", network.ministry_did).exit_code == 0
    assert network.ministry_did not in run(env, "anchor", "list").stdout
    assert run(env, "anchor", "remove", "did:key:z6MkNobody").exit_code == 1
    assert run(env, "anchor", "add", "nobody").exit_code == 1


def test_lookup_prints_the_chain_in_words_and_exits_by_the_answer(env: dict[str, str], network: Network) -> None:
    found = run(env, "lookup", network.university_did)
    assert found.exit_code == 0, found.output
    lines = found.stdout.splitlines()
    assert lines[0] == f"{network.university_did}: vouched for by Ministry of Science (a trust anchor)"
    assert lines[1] == "  1. Uniwersytet Mazowiecki: accredited as an issuer by Quality Agency for ISCED-F 061"
    assert lines[2] == (
        "  2. Quality Agency: itself accredited as an accreditation body by Ministry of Science "
        "for EQF 5-6 in ISCED-F 06 until 2028-01-01"
    )
    as_json = json.loads(run(env, "lookup", network.university_did, "--format", "json").stdout)
    assert as_json["vouched"] is True
    assert as_json["anchor"]["did"] == network.ministry_did
    nobody = run(env, "lookup", "did:key:z6MkNobody")
    assert nobody.exit_code == 1
    assert "nobody this instance trusts vouches for it" in nobody.stdout
    assert "a trust anchor of this instance" in run(env, "lookup", network.ministry_did).stdout


def test_export_prints_the_signed_trust_list(
    env: dict[str, str], network: Network, container: Container, tmp_path: Path
) -> None:
    printed = run(env, "export", MINISTRY)
    assert printed.exit_code == 0
    document = json.loads(printed.stdout)
    assert document["type"] == ["VerifiableCredential", "TrustList"]
    assert len(document["credentialSubject"]["accreditations"]) == 2
    assert outcomes(container.verification.verify(document), "proof") == [Outcome.PASS]
    target = tmp_path / "list.json"
    assert run(env, "export", AGENCY, "--output", str(target)).exit_code == 0
    assert json.loads(target.read_bytes())["issuer"]["id"] == network.agency_did
    refused = run(env, "export", ORG)
    assert refused.exit_code == 1
    assert "publishes no trust list" in refused.stderr
