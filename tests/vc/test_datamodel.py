"""The VCDM rules of cairn.vc.datamodel, which the verifier's well-formed check and the VC-API issuer share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cairn.vc.datamodel import (
    DATA_INTEGRITY_V2,
    MAX_PROBLEMS,
    VC1,
    VC2,
    credential_problems,
    is_url,
    with_proof_context,
)
from cairn.vc.report import Outcome
from cairn.vc.verification import verify

NOW = datetime(2026, 5, 4, tzinfo=UTC)


def _vc(**extra: Any) -> dict[str, Any]:
    body = {
        "@context": [VC2],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:subject"},
    }
    body.update(extra)
    return body


@pytest.mark.parametrize(
    "stamp",
    ["2023-02-26T01:02:58Z", "2023-02-26T01:02:58.447Z", "2023-02-26T01:02:58-08:00", "2023-02-26T01:02:58.1+14:00"],
)
def test_xml_schema_date_time_stamps_are_accepted(stamp: str) -> None:
    assert credential_problems(_vc(validFrom=stamp)) == []


@pytest.mark.parametrize(
    "stamp",
    [
        "2023-02-26T01:02:58",  # no time zone: a dateTime, not a dateTimeStamp
        "2023-02-26 01:02:58Z",  # ISO 8601 allows the space, XML Schema does not
        "2023-02-26T01:02:58+0100",  # the offset needs its colon
        "20230226T010258Z",  # the basic format
        "2023-02-26",
        "2023-02-30T00:00:00Z",  # no such day
        "Sat 25 Feb 2023 07:16:31 PM CST",
        20230226,
    ],
)
def test_other_dates_are_refused_by_issuer_and_verifier(stamp: object) -> None:
    problems = credential_problems(_vc(validFrom=stamp))
    assert problems
    assert "validFrom" in problems[0]
    report = verify(_vc(validFrom=stamp), now=NOW)
    assert report.outcome_of("well-formed") is Outcome.FAIL


def test_a_well_formed_credential_passes_the_verifiers_check_with_its_version() -> None:
    assert verify(_vc(), now=NOW).outcome_of("well-formed") is Outcome.PASS
    old = _vc(**{"@context": [VC1], "issuanceDate": "2020-01-01T00:00:00Z"})
    report = verify(old, now=NOW)
    assert report.outcome_of("well-formed") is Outcome.PASS
    assert any("1.1" in c.reason for c in report.checks if c.name == "well-formed")
    assert credential_problems({**old, "issuanceDate": "yesterday"})
    assert credential_problems({k: v for k, v in old.items() if k != "issuanceDate"})


def test_the_1_1_rules_use_its_own_date_names() -> None:
    old = _vc(**{"@context": [VC1], "issuanceDate": "2021-01-01T00:00:00Z", "expirationDate": "2020-01-01T00:00:00Z"})
    assert credential_problems(old) == ["expirationDate is before issuanceDate"]


def test_the_data_integrity_context_is_added_to_1_1_credentials_only_once() -> None:
    old = _vc(**{"@context": [VC1, "https://www.w3.org/2018/credentials/examples/v1"]})
    added = with_proof_context(old)
    assert added["@context"] == [VC1, "https://www.w3.org/2018/credentials/examples/v1", DATA_INTEGRITY_V2]
    assert with_proof_context(added) == added
    assert old["@context"] == [VC1, "https://www.w3.org/2018/credentials/examples/v1"]  # the input is not changed
    assert with_proof_context(_vc()) == _vc()


def test_language_values() -> None:
    good: list[object] = [
        "plain",
        {"@value": "x"},
        {"@value": "x", "@language": "en"},
        {"@value": "x", "@language": "ar", "@direction": "rtl"},
        [{"@value": "Dog", "@language": "en"}, {"@value": "Chien", "@language": "fr"}],
    ]
    for value in good:
        assert credential_problems(_vc(name=value, description=value)) == [], value
    bad: list[object] = [
        {"@value": 3},
        {"@value": "x", "@direction": "up"},
        {"@value": "x", "@language": 7},
        [],
        [{"a": 1}],
        None,
    ]
    for wrong in bad:
        assert credential_problems(_vc(name=wrong)), wrong


def test_urls() -> None:
    assert is_url("https://example.org/a?b=c#d")
    assert is_url("urn:uuid:0f9a2c44-5c0e-4d1f-9a3a-6d0f2b9b7e11")
    assert is_url("did:web:example.org%3A8443:orgs:a")
    for value in ("https ://not-a-url", "no-scheme", "", "https://a b", None, 5, "https://x/<y>"):
        assert not is_url(value), value


def test_problems_are_bounded_and_linear() -> None:
    many = _vc(
        evidence=[{"id": f"https://e.org/{i}"} for i in range(100_000)],
        termsOfUse=[{}] * 100_000,
        relatedResource=[{"id": f"https://e.org/{i}", "digestSRI": "sha256-AAAA"} for i in range(100_000)],
        **{"@context": ["nope"]},
        type=["Nope"],
        credentialSubject=[{}] * 1000,
        validFrom="x",
        validUntil="y",
        name=5,
        description=6,
        id="z z",
        issuer=None,
    )
    problems = credential_problems(many)
    assert 10 <= len(problems) <= MAX_PROBLEMS
