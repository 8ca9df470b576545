"""Ed25519Signature2018 (a detached JWS over the URDNA2015 hashes) and Ed25519Signature2020 proofs, judged by
credentials other implementations signed: credo-ts's Ed25519Signature2018 fixtures and the 1EdTech validator's
Ed25519Signature2020 fixture. Cairn never signs either; it reads them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cairn.vc.dids import VerificationMethod, did_key, key_in_documents
from cairn.vc.fetch import DictFetcher
from cairn.vc.jsonld.documents import OfflineLoader
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.proofs.suites import b58encode
from cairn.vc.report import Outcome
from cairn.vc.verification import verify

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ODRL_URL = "https://www.w3.org/ns/odrl.jsonld"  # imported by https://www.w3.org/2018/credentials/examples/v1
ODRL = "ob3/digital-credentials-public-validator/inspector-vc/src/main/resources/contexts/odrl.jsonld"
VECTORS = "vectors/ed25519-signature-2018/credo-ts-fixtures.json"


@pytest.fixture(scope="module")
def loader(test_data: Path) -> OfflineLoader:
    odrl = json.loads((test_data / ODRL).read_text(encoding="utf-8"))

    def fetch(url: str) -> dict[str, Any]:
        assert url == ODRL_URL
        return dict(odrl)

    return OfflineLoader(allow_remote=fetch)


@pytest.fixture(scope="module")
def vectors(test_data: Path) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = json.loads((test_data / VECTORS).read_text(encoding="utf-8"))
    return found


def test_an_ed25519signature2018_credential_verifies(vectors: dict[str, Any], loader: OfflineLoader) -> None:
    report = verify(vectors["TEST_LD_DOCUMENT_SIGNED"], now=NOW, loader=loader)
    assert report.verdict == "Verified", report.text()
    assert "Ed25519Signature2018 signature by did:key:z6Mkgg342" in " ".join(str(c.reason) for c in report.checks)


def test_a_bad_ed25519signature2018_signature_is_refused(vectors: dict[str, Any], loader: OfflineLoader) -> None:
    report = verify(vectors["TEST_LD_DOCUMENT_BAD_SIGNED"], now=NOW, loader=loader)
    assert not report.verified
    assert report.outcome_of("proof") is Outcome.FAIL
    assert "does not verify" in next(str(c.reason) for c in report.checks if c.name == "proof")


def _tampered(vectors: dict[str, Any], **proof: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(vectors["TEST_LD_DOCUMENT_SIGNED"]))
    doc["proof"].update(proof)
    return dict(doc)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"created": "2022-04-18T23:13:11Z"}, "does not verify"),  # the proof options are signed too
        ({"jws": None}, "has no jws"),
        ({"jws": "eyJhbGciOiJFZERTQSIsImI2NCI6ZmFsc2UsImNyaXQiOlsiYjY0Il19.e30.AAAA"}, "detached"),
        # a header without b64:false would sign the base64url payload instead: refused, not guessed
        (
            {
                "jws": "eyJhbGciOiJFZERTQSJ9.."
                + "ECQsj_lABelr1jkehSkqaYpc5CBvbSjbi3ZvgiVVKxZFDYfj5xZmeXb_awa4aw_cGEVaoypeN2uCFmeG6WKkBw"
            },
            "header",
        ),
        ({"jws": "eyJhbGciOiJub25lIiwiYjY0IjpmYWxzZSwiY3JpdCI6WyJiNjQiXX0..AAAA"}, "header"),
    ],
)
def test_a_changed_ed25519signature2018_proof_is_refused(
    vectors: dict[str, Any], loader: OfflineLoader, change: dict[str, Any], reason: str
) -> None:
    report = verify(_tampered(vectors, **change), now=NOW, loader=loader)
    assert not report.verified
    assert reason in next(str(c.reason) for c in report.checks if c.name == "proof")


def test_the_changed_subject_breaks_the_2018_signature(vectors: dict[str, Any], loader: OfflineLoader) -> None:
    doc = json.loads(json.dumps(vectors["TEST_LD_DOCUMENT_SIGNED"]))
    doc["credentialSubject"]["degree"]["name"] = "Master of Science and Arts"
    assert verify(doc, now=NOW, loader=loader).outcome_of("proof") is Outcome.FAIL


def test_an_ed25519signature2020_credential_verifies(test_data: Path) -> None:
    """The 1EdTech validator's VCDM 1.1 fixture signed with Ed25519Signature2020 (bundled 2020 suite context)."""
    path = test_data / "ob3/digital-credentials-public-validator/inspector-vc/src/test/resources/ob30/simple_v1.json"
    report = verify(path.read_bytes(), now=NOW)
    assert report.verified, report.text()
    assert "Ed25519Signature2020 signature" in next(str(c.reason) for c in report.checks if c.name == "proof")


def test_ed25519verificationkey2018_methods_are_read() -> None:
    """Issuers that sign Ed25519Signature2018 publish Ed25519VerificationKey2018 keys (publicKeyBase58)."""
    key = KeyPair.generate(KeyType.ED25519).public
    issuer = "https://issuer.example/profile"
    entry = {
        "id": f"{issuer}#key-1",
        "type": "Ed25519VerificationKey2018",
        "controller": issuer,
        "publicKeyBase58": b58encode(key.raw),
    }
    assert VerificationMethod.from_dict(entry).public_key == key
    document = {"id": issuer, "verificationMethod": [entry], "assertionMethod": [entry["id"]]}
    found = key_in_documents(issuer, key, fetcher=DictFetcher({issuer: document}), purpose="assertionMethod")
    assert found == f"{issuer}#key-1"
    with pytest.raises(Exception, match="publicKeyBase58"):
        VerificationMethod.from_dict({**entry, "publicKeyBase58": 5})
    assert did_key(key).startswith("did:key:z6Mk")
