"""The operator's trust list: read and validated at start-up, matched by DID only (never by a name)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cairn.bootstrap import build
from cairn.errors import ConfigurationError
from cairn.services.trust.operator import TrustList, load_trust_list, parse_trust_list
from cairn.settings import Settings

YAML = """
issuers:
  - did: did:web:uni.example:orgs:maths
    name: Example University
    note: accredited by the QA agency
    organisation: PL-REGON-012345678
certificates:
  - "AB:CD:EF"
"""


def test_a_yaml_list_matches_by_did_only(tmp_path: Path) -> None:
    path = tmp_path / "trust.yaml"
    path.write_text(YAML, encoding="utf-8")
    trust = load_trust_list(path)
    assert trust.configured
    assert trust.certificates == frozenset({"AB:CD:EF"})
    status, entry = trust.status({"id": "did:web:uni.example:orgs:maths", "name": "Anything"})
    assert status == "trusted"
    assert entry is not None
    assert entry.note == "accredited by the QA agency"
    assert trust.status({"id": "did:web:uni.example:orgs:physics"}) == ("unknown", None)
    # a forger writing the listed organisation's name or register number into its credential matches nothing
    assert trust.match({"id": "did:key:z6Mk", "otherIdentifier": [{"identifier": "PL-REGON-012345678"}]}) is None
    assert trust.match({"id": "did:key:z6Mk", "name": "Example University"}) is None
    assert trust.status({"id": 5, "name": ["x"]}) == ("unknown", None)  # untrusted shapes


def test_a_json_list_and_no_list(tmp_path: Path) -> None:
    path = tmp_path / "trust.json"
    path.write_text(json.dumps([{"did": "https://issuer.example/profile"}]), encoding="utf-8")
    assert load_trust_list(path).status({"id": "https://issuer.example/profile"})[0] == "trusted"
    empty = load_trust_list("")
    assert not empty.configured
    assert empty.status({"id": "did:web:uni.example:orgs:maths"}) == ("unknown", None)


def test_this_instances_own_organisations_are_recognised_but_not_trusted() -> None:
    trust = TrustList(own_prefix="did:web:cairn.example:orgs:")
    assert trust.own({"id": "did:web:cairn.example:orgs:um"})
    assert not trust.own({"id": "did:web:cairn.example.evil:orgs:um"})
    assert trust.status({"id": "did:web:cairn.example:orgs:um"}) == ("unknown", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("issuers: {did: x}", "must be lists"),
        ("issuers:\n  - {note: only a note}", "give the issuer's 'did'"),
        ("issuers:\n  - {organisation: PL-REGON-012345678}", "trust never comes from a name"),
        ("issuers:\n  - Kraków School of Data", "trust never comes from a name"),
        ("issuers:\n  - {did: 'not-a-did'}", "must be a DID"),
        ("issuers:\n  - {did: 'did:web:a', colour: red}", "unknown field 'colour'"),
        ("issuers:\n  - {did: 5}", "must be text"),
        ("trusted: []", "unknown section 'trusted'"),
        ("certificates: [5]", "certificates[0]"),
        ("issuers: [", "not valid YAML"),
    ],
)
def test_a_bad_file_fails_at_start_up_with_a_clear_error(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "trust.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError, match="CAIRN_TRUST_LIST") as info:
        load_trust_list(path)
    assert expected in info.value.message


def test_a_missing_file_and_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load_trust_list(tmp_path / "absent.yaml")
    assert Settings.from_environ({"CAIRN_TRUST_LIST": "/etc/cairn/trust.yaml"}).trust_list == "/etc/cairn/trust.yaml"
    path = tmp_path / "trust.yaml"
    path.write_text(YAML, encoding="utf-8")
    settings = Settings(database_url="sqlite://", trust_list=str(path), base_url="https://cairn.example")
    container = build(settings)
    try:
        assert container.verification.trust.operator.status({"id": "did:web:uni.example:orgs:maths"})[0] == "trusted"
        assert container.verification.trust.own({"id": "did:web:cairn.example:orgs:um"})
    finally:
        container.database.dispose()
    with pytest.raises(ConfigurationError):
        build(Settings(database_url="sqlite://", trust_list=str(tmp_path / "absent.yaml")))
    assert parse_trust_list(None, source="x").entries == ()
