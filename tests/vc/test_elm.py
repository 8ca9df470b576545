"""European Digital Credentials: the EU's samples, self-sealed EDCs, SHACL violations, Annex I rows."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cairn.vc.formats.elm import annex_rows, looks_like_elm, verify_elm
from cairn.vc.report import Outcome
from tests.factories import make_ca, make_leaf, seal

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SAMPLES = Path("elm/european-learning-model/Credentials/JSON-LD Examples (ELM v3)")


def sample(test_data: Path, name: str) -> dict[str, Any]:
    return dict(json.loads((test_data / SAMPLES / name).read_text(encoding="utf-8")))


def outcomes(report: Any) -> dict[str, str]:
    return {c.name: c.outcome.value for c in report.checks}


def test_the_eu_signed_sample_verifies_with_warnings(test_data: Path) -> None:
    jws = sample(test_data, "Sample-MC-Annex1-signed.jsonld")
    assert looks_like_elm(jws)
    report = verify_elm(jws, now=NOW)  # how long it takes: bench/elm.py
    assert outcomes(report) == {
        "readable": "pass",
        "well-formed": "pass",
        "shapes": "pass",
        "proof": "pass",
        "issuer-key": "warning",
        "validity": "pass",
        "status": "skipped",
    }
    assert report.verdict == "Verified with warnings"
    key = next(c for c in report.checks if c.name == "issuer-key")
    assert "claimed signing time 2023-09-27" in key.reason
    assert "has since expired" in key.reason
    assert "trust unknown" in key.reason
    assert report.issuer["trust"] == "unknown"
    assert report.issuer["certificate_chain"][0]["organisation_identifier"] == "VATES-A00000000"
    assert report.achievement["name"] == "Digital micro-credential creation"
    assert report.achievement["workload"] == "60 hours"
    assert report.subject["name"] == "Ana Andromeda"


def test_the_eu_unsigned_sample_is_read_but_not_verified(test_data: Path) -> None:
    edc = sample(test_data, "Sample-MC-Annex1-unsigned.jsonld")
    assert looks_like_elm(edc)
    assert looks_like_elm(json.dumps(edc))
    report = verify_elm(edc, now=NOW)
    assert report.verdict == "Not verified"
    proof = next(c for c in report.checks if c.name == "proof")
    assert proof.outcome is Outcome.FAIL
    assert "not signed" in proof.reason
    shapes = next(c for c in report.checks if c.name == "shapes")
    # The upload form lacks what the EU issuer adds when sealing.
    assert "issued is required but missing" in shapes.reason
    assert "eIDASIdentifier is required but missing" in shapes.reason
    assert report.issuer["name"] == "University of Zed"
    assert report.issuer["country"] == "Ireland"


def test_removing_a_required_property_fails_the_shapes_naming_it(test_data: Path) -> None:
    payload = json.loads(sample(test_data, "Sample-MC-Annex1-signed.jsonld")["payload"])
    del payload["credentialSubject"]["hasClaim"]["title"]
    report = verify_elm(payload, now=NOW)
    shapes = next(c for c in report.checks if c.name == "shapes")
    assert shapes.outcome is Outcome.FAIL
    assert "urn:epass:learningAchievement:1 (LearningAchievement): title is required but missing" in shapes.reason


def test_annex_rows_of_the_eu_sample(test_data: Path) -> None:
    rows = dict(annex_rows(sample(test_data, "Sample-MC-Annex1-unsigned.jsonld")))
    assert rows["Learner"] == "Ana Andromeda"  # the name only: the words around it are the page's
    assert rows["Learner's date of birth"] == "1999-10-01"
    assert rows["Title of the micro-credential"] == "Digital micro-credential creation"
    assert rows["Country/region of the issuer"] == "Ireland"
    assert rows["Awarding body"] == "University of Zed"
    assert rows["Notional workload"] == "60 hours; 2 European Credit Transfer System"
    assert rows["Level (EQF)"] == "Level 6"
    assert "http://data.europa.eu/esco/skill/" in rows["Learning outcomes"]
    assert rows["Form of participation"] == "Blended; non-formal learning"
    assert rows["Supervision and identity verification"] == "Unsupervised without ID Verification"
    assert rows["Grade"] == "Pass"
    assert rows["Integration/stackability"] == "not a partial qualification"


def test_a_self_sealed_edc_with_a_trusted_root_is_verified(test_data: Path) -> None:
    payload = json.loads(sample(test_data, "Sample-MC-Annex1-signed.jsonld")["payload"])
    payload["issuer"]["eIDASIdentifier"]["notation"] = "VATIE-1234567X"
    ca_key, ca = make_ca()
    key, leaf = make_leaf(ca_key, ca)
    jws = seal(payload, key, [leaf, ca], sig_t=NOW)
    unknown = verify_elm(jws, now=NOW)
    assert unknown.verdict == "Verified with warnings"
    root = unknown.issuer["certificate_chain"][1]["sha256"]
    trusted = verify_elm(jws, now=NOW, trusted=[root])
    assert trusted.verdict == "Verified", trusted.text()
    assert trusted.issuer["trust"] == "trusted"
    tampered = copy.deepcopy(jws)
    tampered["payload"] = tampered["payload"].replace("Ana Andromeda", "Eve Andromeda")
    report = verify_elm(tampered, now=NOW, trusted=[root])
    assert report.outcome_of("proof") is Outcome.FAIL
    assert report.verdict == "Not verified"


def test_bad_input_gives_a_report_never_an_exception() -> None:
    for bad in ("", "{", "[]", "a.b.c", {"payload": "x", "signatures": [{}]}, {"type": "EuropeanDigitalCredential"}):
        report = verify_elm(bad, now=NOW)
        assert report.verdict == "Not verified"
        assert report.checks
    assert not looks_like_elm({"type": ["VerifiableCredential", "OpenBadgeCredential"]})
    assert not looks_like_elm("not a credential")
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(200):
        node["x"] = {}
        node = node["x"]
    assert verify_elm(deep, now=NOW).outcome_of("readable") is Outcome.FAIL
    assert annex_rows({"credentialSubject": "nonsense"}) == []


@pytest.mark.parametrize("name", ["Sample-CertOfPart-signed.jsonld"])
def test_other_eu_signed_samples_verify(test_data: Path, name: str) -> None:
    report = verify_elm(sample(test_data, name), now=NOW)
    assert report.outcome_of("proof") is Outcome.PASS
    assert report.outcome_of("shapes") is Outcome.PASS


def test_a_status_service_cairn_does_not_consult_fails_closed_online(test_data: Path) -> None:
    edc = sample(test_data, "Sample-MC-Annex1-unsigned.jsonld")
    edc["credentialStatus"] = {"id": "https://status.example/list/1", "type": "TrustedCredentialStatusList"}
    online = next(c for c in verify_elm(edc, now=NOW, online=True).checks if c.name == "status")
    assert (online.outcome, online.undetermined) == (Outcome.FAIL, True)
    assert online.reason.startswith("cannot confirm it has not been revoked: Cairn does not consult")
    offline = next(c for c in verify_elm(edc, now=NOW).checks if c.name == "status")
    assert offline.outcome is Outcome.WARNING
    assert "not consulted offline" in offline.reason


def test_the_learner_row_is_said_in_the_readers_language(test_data: Path) -> None:
    """The EDC states a name and a date of birth; "born" is Cairn's word, so a Polish reader reads it in Polish."""
    from cairn.web.verification.views import elm_rows

    edc = sample(test_data, "Sample-MC-Annex1-unsigned.jsonld")
    edc["credentialSubject"]["nationalID"] = {"notation": "99100112345"}
    said = {lang: [str(item.text) for item in elm_rows(edc, lang)[0].items] for lang in ("en", "pl")}
    assert said["en"] == ["Ana Andromeda, born 1 October 1999, national ID 99100112345"]
    assert said["pl"] == ["Ana Andromeda, ur. 1 października 1999, nr identyfikacyjny 99100112345"]
