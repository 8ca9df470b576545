"""CLR 2.0: the wrapper's proof and each credential inside it are checked; one bad credential inside fails it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cairn.vc.dids import did_key
from cairn.vc.issuance import issue
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.report import Outcome
from cairn.vc.verification import verify
from tests.factories import ED, NOW, ob3_vector_resolver, signed_json, signed_jwt

CLR_VECTOR = "vectors/ob3-1edtech/clrv2p0/linked-data-proof-clr-4.json"
CLR_KEY = KeyPair.from_secret(KeyType.ED25519, bytes(range(32, 64)))


def _clr(inner: list[Any]) -> dict[str, Any]:
    issuer = did_key(CLR_KEY.public)
    unsigned = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:2f6a7c0e-1b44-4b39-9a2b-0c7d3c1e5a11",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Uniwersytet Mazowiecki"},
        "validFrom": "2026-06-01T00:00:00Z",
        "name": "Transcript",
        "credentialSubject": {
            "id": "did:example:learner",
            "type": ["ClrSubject"],
            "verifiableCredential": inner,
        },
    }
    signed = issue(unsigned, key=CLR_KEY, suite="eddsa-jcs-2022", created="2026-06-01T00:00:00Z")
    assert isinstance(signed, dict)
    return signed


def test_a_clr_with_good_credentials_inside_verifies_each_of_them() -> None:
    report = verify(_clr([json.loads(signed_json()), signed_jwt()]), now=NOW)
    assert [r.verified for r in report.credentials] == [True, True]
    assert report.outcome_of("nested") is Outcome.PASS
    assert report.verified, report.text()
    assert "Credentials inside: each of the 2 credentials inside verifies on its own" in report.text()


def test_one_tampered_credential_inside_fails_the_clr_though_its_own_proof_holds() -> None:
    tampered = json.loads(signed_json())
    tampered["credentialSubject"]["achievement"]["name"] = "Something never awarded"
    report = verify(_clr([json.loads(signed_json()), tampered]), now=NOW)
    assert report.outcome_of("proof") is Outcome.PASS  # the wrapper itself is intact
    assert report.credentials[1].outcome_of("proof") is Outcome.FAIL
    assert report.outcome_of("nested") is Outcome.FAIL
    assert not report.verified
    assert report.to_dict()["credentials"][1]["verified"] is False


def test_the_1edtech_clr_vector_is_checked_inside(test_data: Path) -> None:
    clr = json.loads((test_data / CLR_VECTOR).read_text())
    report = verify(clr, now=NOW, resolve_key=ob3_vector_resolver)
    [inner] = report.credentials
    assert report.outcome_of("proof") is Outcome.PASS
    assert inner.outcome_of("proof") is Outcome.PASS
    assert inner.achievement.get("name") == "Achievement 1"
    clr["credentialSubject"]["verifiableCredential"][0]["credentialSubject"]["id"] = "did:example:someone-else"
    [forged] = verify(clr, now=NOW, resolve_key=ob3_vector_resolver).credentials
    assert forged.outcome_of("proof") is Outcome.FAIL


def test_a_clr_with_nothing_inside_is_flagged() -> None:
    report = verify(_clr([]), now=NOW)
    assert report.outcome_of("nested") is Outcome.WARNING
    assert ED.public != CLR_KEY.public
