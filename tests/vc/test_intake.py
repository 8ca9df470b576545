"""verify_any: baked images and Cairn PDFs are read out, then verified; hostile files get a reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cairn.formats.pdf import certificate_pdf
from cairn.vc import intake
from cairn.vc.formats.baking import bake_png, bake_svg
from cairn.vc.intake import verify_any
from cairn.vc.report import Outcome, Report
from tests import hostile
from tests.factories import NOW, OB3_FIXTURES, signed_json, signed_jwt


@pytest.mark.parametrize(
    ("container", "bake", "said"),
    [
        ("png", lambda text: bake_png(hostile.tiny_png(), text), "read from a baked PNG image"),
        ("svg", lambda text: bake_svg(hostile.tiny_svg(), text), "read from a baked SVG image"),
        (
            "pdf",
            lambda text: certificate_pdf(
                json.loads(signed_json()), credential_text=text, verify_url="https://x.example/v"
            ),
            "read from a Cairn certificate PDF",
        ),
    ],
)
@pytest.mark.parametrize("credential", [signed_json, signed_jwt], ids=["json", "jwt"])
def test_baked_credentials_verify_and_say_where_they_came_from(container, bake, said, credential) -> None:  # type: ignore[no-untyped-def]
    report = verify_any(bake(credential()), now=NOW)
    assert report.verified, report.text()
    readable = [c for c in report.checks if c.name == "readable"]
    assert len(readable) == 1
    assert readable[0].reason.endswith(said)


def test_a_tampered_baked_credential_does_not_verify() -> None:
    tampered = signed_json().replace("Data analysis with Python", "Data analysis with Rust")
    assert tampered != signed_json()
    report = verify_any(bake_png(hostile.tiny_png(), tampered), now=NOW)
    assert not report.verified
    assert report.outcome_of("proof") is Outcome.FAIL
    assert report.outcome_of("readable") is Outcome.PASS


def test_plain_credentials_still_go_straight_through() -> None:
    for source in (signed_json(), signed_jwt(), signed_json().encode(), json.loads(signed_json())):
        report = verify_any(source, now=NOW)
        assert report.verified
        assert "read from" not in report.checks[0].reason


def test_svg_text_is_recognised() -> None:
    assert verify_any(bake_svg(hostile.tiny_svg(), signed_jwt()).decode(), now=NOW).verified


def test_an_ob2_image_pointing_to_a_hosted_assertion_goes_to_the_ob2_verifier() -> None:
    url = b"https://example.org/assertions/1"
    report = verify_any(hostile.tiny_png(hostile.chunk(b"iTXt", b"openbadges\0\0\0\0\0" + url)), now=NOW)
    assert report.format == "ob2-hosted"
    assert not report.verified
    assert "network" in " ".join(c.reason for c in report.checks if c.outcome is Outcome.FAIL)
    assert "read from a baked PNG image" in report.checks[0].reason


def test_the_eu_micro_credential_sample_goes_to_the_elm_verifier(test_data: Path) -> None:
    folder = test_data / "elm" / "european-learning-model" / "Credentials" / "JSON-LD Examples (ELM v3)"
    signed = verify_any((folder / "Sample-MC-Annex1-signed.jsonld").read_bytes(), now=NOW)
    assert signed.format == "elm-edc"
    assert signed.verified
    assert signed.outcome_of("shapes") is Outcome.PASS
    unsigned = verify_any((folder / "Sample-MC-Annex1-unsigned.jsonld").read_text(), now=NOW)
    assert unsigned.format == "elm-edc"
    assert not unsigned.verified


def test_an_ob2_assertion_given_as_json_goes_to_the_ob2_verifier() -> None:
    assertion = {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": "https://example.org/assertions/1",
        "recipient": {"type": "email", "hashed": False, "identity": "ada@example.org"},
        "badge": "https://example.org/badges/1",
        "verification": {"type": "hosted"},
        "issuedOn": "2026-01-01T00:00:00Z",
    }
    report = verify_any(json.dumps(assertion), now=NOW)
    assert report.format == "ob2-hosted"
    assert not report.verified  # no fetcher: the issuer's server cannot be asked


def test_the_1edtech_baked_json_reaches_the_verifier(test_data: Path) -> None:
    report = verify_any((test_data / OB3_FIXTURES / "simple-json.png").read_bytes(), now=NOW)
    assert report.outcome_of("readable") is Outcome.PASS
    assert report.issuer["id"] == "https://example.com/issuers/876543"
    # its key is the 1EdTech https://issuer#<multikey> form: authentic, but the issuer never confirmed the key
    assert report.verified
    assert report.outcome_of("issuer-key") is Outcome.WARNING


@pytest.mark.parametrize("name", sorted(hostile.CORPUS))
def test_hostile_files_get_a_report_with_a_reason(name: str) -> None:
    report = verify_any(hostile.CORPUS[name](), now=NOW)
    assert not report.verified
    failed = [c for c in report.checks if c.outcome is Outcome.FAIL]
    assert failed
    assert all(c.reason for c in failed)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("png_credential_bomb", "decompresses to more than"),
        ("pdf_attachment_bomb", "decompresses to more than"),
        ("svg_billion_laughs", "declares XML entities"),
        ("png_two_credentials", "may carry only one"),
        ("png_bad_crc", "checksum is wrong"),
    ],
)
def test_hostile_containers_are_unreadable(name: str, reason: str) -> None:
    report = verify_any(hostile.CORPUS[name](), now=NOW)
    assert report.outcome_of("readable") is Outcome.FAIL
    assert reason in report.checks[0].reason


def test_a_registered_format_is_recognised_and_formats_can_be_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(intake, "FORMATS", list(intake.FORMATS))  # registrations end with the test
    seen: list[str] = []

    def recognises(source: Any) -> bool:
        return isinstance(source, dict) and source.get("type") == "ExampleFormat"

    def verify(source: Any, **_: Any) -> Report:
        seen.append(str(source.get("id")))
        report = Report("example")
        report.add("proof", Outcome.PASS, "checked by the example format")
        return report

    intake.register_format(intake.CredentialFormat("example", recognises, verify), first=True)
    assert intake.FORMATS[0].name == "example"
    document = {"type": "ExampleFormat", "id": "urn:x:1"}
    assert verify_any(json.dumps(document), now=NOW).format == "example"
    assert seen == ["urn:x:1"]
    only_vc = verify_any(document, now=NOW, formats=(intake.VC,))
    assert only_vc.format != "example"
    assert not only_vc.verified
    assert seen == ["urn:x:1"]
    again = intake.CredentialFormat("example", recognises, verify)
    intake.register_format(again)
    assert [f.name for f in intake.FORMATS].count("example") == 1
    assert intake.FORMATS[-1] is again
