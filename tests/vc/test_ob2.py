"""Open Badges 2.0 verification: hosted and signed assertions against a fake issuer, and bad input.

The issuer (profile, badge class, key, revocation list, assertions) is built here with real keys
and served by :class:`DictFetcher`; the refusal of private addresses is tested with the real
:class:`HttpsFetcher` (which refuses before connecting, so no network is used).
"""

from __future__ import annotations

import copy
import hashlib
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from cairn.errors import FetchError
from cairn.vc.fetch import CachingFetcher, DictFetcher, HttpsFetcher, Response
from cairn.vc.formats.ob2 import OB2_CONTEXT, looks_like_ob2, recipient_matches, verify_ob2
from cairn.vc.multibase import b64url_encode
from cairn.vc.report import CHECK_TITLES, Outcome, Report

NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
BASE = "https://badges.example.org"
ISSUER = f"{BASE}/issuer"
BADGE = f"{BASE}/badges/python"
KEY = f"{BASE}/keys/1"
REVOCATIONS = f"{BASE}/revocations"
ASSERTION = f"{BASE}/assertions/123"
EMAIL = "Ada.Lovelace@example.net"
SALT = "s4lt-Y"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def hashed(email: str, salt: str = SALT, algorithm: str = "sha256") -> str:
    return f"{algorithm}${hashlib.new(algorithm, (email + salt).encode()).hexdigest()}"


def sign_jws(payload: dict[str, Any], key: PrivateKey, alg: str | None = None) -> str:
    if alg is None:
        alg = (
            "RS256"
            if isinstance(key, rsa.RSAPrivateKey)
            else "ES256"
            if isinstance(key, ec.EllipticCurvePrivateKey)
            else "EdDSA"
        )
    header = b64url_encode(json.dumps({"alg": alg}).encode())
    body = b64url_encode(json.dumps(payload).encode())
    message = f"{header}.{body}".encode()
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        signature = key.sign(message)
    return f"{header}.{body}.{b64url_encode(signature)}"


@dataclass
class Issuer:
    """A fake OB 2.0 issuer: its documents by URL, served by a DictFetcher."""

    key: PrivateKey
    documents: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.documents.update(
            {
                ISSUER: {
                    "@context": OB2_CONTEXT,
                    "type": "Issuer",
                    "id": ISSUER,
                    "name": "Example Academy",
                    "url": BASE,
                    "email": "badges@example.org",
                    "publicKey": KEY,
                    "revocationList": REVOCATIONS,
                },
                BADGE: {
                    "@context": OB2_CONTEXT,
                    "type": "BadgeClass",
                    "id": BADGE,
                    "name": "Python Basics",
                    "description": "Writes small, tested Python programs.",
                    "image": f"{BASE}/badges/python.png",
                    "criteria": {"narrative": "Passed the final project."},
                    "issuer": ISSUER,
                    "tags": ["python"],
                },
                KEY: {
                    "@context": OB2_CONTEXT,
                    "type": "CryptographicKey",
                    "id": KEY,
                    "owner": ISSUER,
                    "publicKeyPem": pem(self.key),
                },
                REVOCATIONS: {
                    "@context": OB2_CONTEXT,
                    "type": "RevocationList",
                    "id": REVOCATIONS,
                    "revokedAssertions": ["urn:uuid:00000000-0000-4000-8000-000000000001"],
                },
            }
        )

    def assertion(self, kind: str = "hosted", **changes: Any) -> dict[str, Any]:
        assertion: dict[str, Any] = {
            "@context": OB2_CONTEXT,
            "type": "Assertion",
            "id": ASSERTION if kind == "hosted" else "urn:uuid:5d6c1c3e-7e0b-4b8a-9a6e-2c1f0a1b2c3d",
            "recipient": {"type": "email", "hashed": True, "salt": SALT, "identity": hashed(EMAIL.lower())},
            "badge": BADGE,
            "issuedOn": "2025-06-01T12:00:00Z",
            "verification": {"type": "hosted"} if kind == "hosted" else {"type": "signed", "creator": KEY},
        }
        assertion.update(changes)
        return {k: v for k, v in assertion.items() if v is not None}

    def host(self, assertion: dict[str, Any]) -> dict[str, Any]:
        self.documents[assertion["id"]] = assertion
        return assertion

    def fetcher(self) -> DictFetcher:
        return DictFetcher(copy.deepcopy(self.documents))

    def fetcher_changing(self, url: str, **fields: Any) -> DictFetcher:
        """A fetcher serving the issuer's documents with the one at ``url`` changed by ``fields``."""
        documents = copy.deepcopy(self.documents)
        documents[url].update(fields)
        return DictFetcher(documents)


@pytest.fixture
def issuer(rsa_key: rsa.RSAPrivateKey) -> Issuer:
    return Issuer(rsa_key)


def check(report: Report, name: str) -> Outcome | None:
    return report.outcome_of(name)


def reasons(report: Report, name: str) -> str:
    return " | ".join(c.reason for c in report.checks if c.name == name)


# -- hosted ---------------------------------------------------------------------------------------


def test_hosted_assertion_verifies_from_url_dict_and_json_text(issuer: Issuer) -> None:
    given = issuer.host(issuer.assertion())
    for source in (ASSERTION, given, json.dumps(given), json.dumps(given).encode()):
        fetcher = issuer.fetcher()
        report = verify_ob2(source, now=NOW, fetcher=fetcher)
        assert report.verdict == "Verified", report.text()
        assert report.format == "ob2-hosted"
        assert [c.name for c in report.checks if c.outcome is Outcome.FAIL] == []
        assert "the issuer's server confirms" in reasons(report, "proof")
        assert report.issuer == {"id": ISSUER, "name": "Example Academy", "url": BASE, "email": "badges@example.org"}
        assert report.achievement["name"] == "Python Basics"
        assert report.achievement["criteria"] == {"narrative": "Passed the final project."}
        assert report.credential == given
        assert report.subject == {"type": "email", "hashed": True, "identity_hash": given["recipient"]["identity"]}
        assert EMAIL.lower() not in json.dumps(report.to_dict()).lower()
        assert fetcher.calls == [ASSERTION, BADGE, ISSUER, REVOCATIONS]  # each once, at most 6
        assert "Badge class and issuer profile" in report.text()


def test_hosted_altered_copy_fails_and_the_issuers_copy_counts(issuer: Issuer) -> None:
    hosted = issuer.host(issuer.assertion())
    altered = copy.deepcopy(hosted)
    altered["recipient"]["identity"] = hashed("mallory@example.net")
    report = verify_ob2(altered, now=NOW, fetcher=issuer.fetcher())
    assert check(report, "proof") is Outcome.FAIL
    assert "recipient" in reasons(report, "proof")

    cosmetic = dict(hosted, narrative="my own words")
    report = verify_ob2(cosmetic, now=NOW, fetcher=issuer.fetcher())
    assert report.verdict == "Verified with warnings"
    assert "narrative" in reasons(report, "proof")
    assert report.credential == hosted


def test_hosted_document_with_another_id_is_not_the_assertion(issuer: Issuer) -> None:
    issuer.documents[ASSERTION] = issuer.assertion(id=f"{BASE}/assertions/999")
    report = verify_ob2(ASSERTION, now=NOW, fetcher=issuer.fetcher())
    assert check(report, "proof") is Outcome.FAIL
    assert "is not this assertion" in reasons(report, "proof")


def test_hosted_revoked_flag_and_410_gone(issuer: Issuer) -> None:
    issuer.host(issuer.assertion(revoked=True, revocationReason="Issued in error"))
    report = verify_ob2(ASSERTION, now=NOW, fetcher=issuer.fetcher())
    assert check(report, "status") is Outcome.FAIL
    assert "Issued in error" in reasons(report, "status")
    assert not report.verified

    class Gone:
        def fetch(self, url: str) -> Response:
            raise FetchError("HTTP 410 from 'badges.example.org'")

    report = verify_ob2(issuer.assertion(), now=NOW, fetcher=Gone())
    assert check(report, "status") is Outcome.FAIL
    assert "410" in reasons(report, "status")
    assert report.achievement == {}
    assert not report.verified


def test_hosted_on_a_foreign_origin_is_refused_unless_the_policy_allows(issuer: Issuer) -> None:
    foreign = "https://badge-mirror.example.com/a/123"
    issuer.host(issuer.assertion(id=foreign))
    report = verify_ob2(foreign, now=NOW, fetcher=issuer.fetcher())
    assert check(report, "issuer-key") is Outcome.FAIL
    assert "badge-mirror.example.com" in reasons(report, "issuer-key")
    assert not report.verified

    issuer.documents[ISSUER]["verification"] = {"allowedOrigins": ["badge-mirror.example.com"]}
    report = verify_ob2(foreign, now=NOW, fetcher=issuer.fetcher())
    assert check(report, "issuer-key") is Outcome.PASS, report.text()
    assert report.verified

    issuer.documents[ISSUER]["verification"] = {
        "allowedOrigins": "badge-mirror.example.com",
        "startsWith": "https://badge-mirror.example.com/b/",
    }
    report = verify_ob2(foreign, now=NOW, fetcher=issuer.fetcher())
    assert check(report, "issuer-key") is Outcome.FAIL
    assert "prefix" in reasons(report, "issuer-key")


def test_badge_class_and_issuer_cross_checks(issuer: Issuer) -> None:
    issuer.host(issuer.assertion())
    wrong_id = issuer.fetcher_changing(BADGE, id=f"{BASE}/badges/other")
    report = verify_ob2(ASSERTION, now=NOW, fetcher=wrong_id)
    assert check(report, "badge") is Outcome.FAIL
    assert "another id" in reasons(report, "badge")

    not_issuer = issuer.fetcher_changing(ISSUER, type="BadgeClass")
    report = verify_ob2(ASSERTION, now=NOW, fetcher=not_issuer)
    assert check(report, "badge") is Outcome.FAIL

    missing = issuer.fetcher()
    del missing.documents[BADGE]
    report = verify_ob2(ASSERTION, now=NOW, fetcher=missing)
    assert check(report, "badge") is Outcome.FAIL
    assert "nothing at" in reasons(report, "badge")


def test_embedded_badge_class_and_issuer(issuer: Issuer) -> None:
    badge = dict(issuer.documents[BADGE], issuer=issuer.documents[ISSUER])
    issuer.host(issuer.assertion(badge=badge))
    fetcher = issuer.fetcher()
    report = verify_ob2(ASSERTION, now=NOW, fetcher=fetcher)
    assert report.verdict == "Verified", report.text()
    assert fetcher.calls == [ASSERTION, REVOCATIONS]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"expires": "2026-01-01T00:00:00Z"}, "expired on 2026-01-01"),
        ({"issuedOn": "2027-01-01T00:00:00+00:00"}, "issued in the future"),
    ],
)
def test_validity_period(issuer: Issuer, changes: dict[str, str], reason: str) -> None:
    issuer.host(issuer.assertion(**changes))
    report = verify_ob2(ASSERTION, now=NOW, fetcher=issuer.fetcher())
    assert check(report, "validity") is Outcome.FAIL
    assert reason in reasons(report, "validity")
    assert not report.verified


def test_hosted_without_a_fetcher_needs_the_network(issuer: Issuer) -> None:
    badge = dict(issuer.documents[BADGE], issuer=issuer.documents[ISSUER])
    report = verify_ob2(issuer.assertion(badge=badge), now=NOW, fetcher=None)
    assert report.format == "ob2-hosted"
    assert check(report, "proof") is Outcome.FAIL
    assert "needs the network" in reasons(report, "proof")
    assert report.issuer["name"] == "Example Academy"
    assert not report.verified
    report = verify_ob2(ASSERTION, now=NOW, fetcher=None)
    assert "needs the network" in reasons(report, "proof")


# -- private addresses (the real HttpsFetcher refuses before connecting) ----------------------------


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fails the test if it opened a connection, even when the verifier turned the failure into a report."""
    attempts: list[object] = []

    def refuse(address: object, *args: object, **kwargs: object) -> None:
        attempts.append(address)
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "create_connection", refuse)
    yield
    assert attempts == [], f"connections were attempted: {attempts}"


@pytest.mark.usefixtures("no_connections")
@pytest.mark.parametrize(
    ("url", "fetcher", "why"),
    [
        ("https://127.0.0.1/assertions/1", HttpsFetcher(), "non-public address"),
        ("https://[::1]/assertions/1", HttpsFetcher(), "non-public address"),
        ("https://10.1.2.3/assertions/1", CachingFetcher(HttpsFetcher()), "non-public address"),
        ("http://localhost/assertions/1", HttpsFetcher(), "only https"),
        (
            "http://localhost/assertions/1",
            HttpsFetcher(allow_http=True, resolver=lambda host, port: ["127.0.0.1"]),
            "non-public address",
        ),
        (
            "https://badges.internal.example/assertions/1",
            HttpsFetcher(resolver=lambda host, port: ["93.184.215.14", "192.168.1.10"]),
            "non-public address",
        ),
    ],
)
def test_hosted_assertion_at_a_private_address_is_refused(url: str, fetcher: Any, why: str) -> None:
    report = verify_ob2(url, now=NOW, fetcher=fetcher)  # refused before connecting (or waiting for an answer)
    assert check(report, "proof") is Outcome.FAIL
    assert why in reasons(report, "proof")
    assert "could not be asked" in reasons(report, "proof")


@pytest.mark.usefixtures("no_connections")
def test_signed_key_at_a_private_address_is_refused(issuer: Issuer) -> None:
    token = sign_jws(
        issuer.assertion("signed", verification={"type": "signed", "creator": "https://10.0.0.1/k"}), issuer.key
    )
    report = verify_ob2(token, now=NOW, fetcher=HttpsFetcher())
    assert check(report, "proof") is Outcome.FAIL
    assert "non-public address" in reasons(report, "proof")


# -- signed ---------------------------------------------------------------------------------------


def test_signed_rs256_assertion_verifies(issuer: Issuer) -> None:
    assertion = issuer.assertion("signed")
    fetcher = issuer.fetcher()
    report = verify_ob2(sign_jws(assertion, issuer.key), now=NOW, fetcher=fetcher)
    assert report.verdict == "Verified", report.text()
    assert report.format == "ob2-signed"
    assert "RS256" in reasons(report, "proof")
    assert check(report, "issuer-key") is Outcome.PASS
    assert check(report, "status") is Outcome.PASS
    assert report.credential == assertion
    assert report.issuer["id"] == ISSUER
    assert fetcher.calls == [KEY, BADGE, ISSUER, REVOCATIONS]


@pytest.mark.parametrize(
    "make_key", [lambda: ec.generate_private_key(ec.SECP256R1()), ed25519.Ed25519PrivateKey.generate]
)
def test_signed_with_p256_or_ed25519_keys(make_key: Callable[[], PrivateKey]) -> None:
    issuer = Issuer(make_key())
    issuer.documents[ISSUER]["publicKey"] = [{"id": KEY}]
    report = verify_ob2(sign_jws(issuer.assertion("signed"), issuer.key), now=NOW, fetcher=issuer.fetcher())
    assert report.verdict == "Verified", report.text()


def test_signed_tampered_payload_or_other_key_fails(issuer: Issuer) -> None:
    token = sign_jws(issuer.assertion("signed"), issuer.key)
    header, _, signature = token.split(".")
    forged = b64url_encode(json.dumps(issuer.assertion("signed", issuedOn="2025-01-01T00:00:00Z")).encode())
    report = verify_ob2(f"{header}.{forged}.{signature}", now=NOW, fetcher=issuer.fetcher())
    assert check(report, "proof") is Outcome.FAIL
    assert "does not verify" in reasons(report, "proof")

    other = ec.generate_private_key(ec.SECP256R1())
    report = verify_ob2(sign_jws(issuer.assertion("signed"), other, "RS256"), now=NOW, fetcher=issuer.fetcher())
    assert check(report, "proof") is Outcome.FAIL

    report = verify_ob2(sign_jws(issuer.assertion("signed"), issuer.key, "ES256"), now=NOW, fetcher=issuer.fetcher())
    assert "does not fit an RSA key" in reasons(report, "proof")

    none_header = b64url_encode(b'{"alg":"none"}')
    unsigned = f"{none_header}.{token.split('.')[1]}.AAAA"
    report = verify_ob2(unsigned, now=NOW, fetcher=issuer.fetcher())
    assert check(report, "proof") is Outcome.FAIL


def test_signed_short_rsa_key_is_refused() -> None:
    issuer = Issuer(rsa.generate_private_key(public_exponent=65537, key_size=1024))
    report = verify_ob2(sign_jws(issuer.assertion("signed"), issuer.key), now=NOW, fetcher=issuer.fetcher())
    assert "at least 2048" in reasons(report, "proof")


def test_signed_key_must_belong_to_the_issuer(issuer: Issuer) -> None:
    token = sign_jws(issuer.assertion("signed"), issuer.key)
    foreign_owner = issuer.fetcher_changing(KEY, owner="https://someone-else.example/issuer")
    report = verify_ob2(token, now=NOW, fetcher=foreign_owner)
    assert check(report, "proof") is Outcome.PASS
    assert check(report, "issuer-key") is Outcome.FAIL
    assert "someone-else" in reasons(report, "issuer-key")
    assert not report.verified

    unlisted = issuer.fetcher_changing(ISSUER, publicKey=f"{BASE}/keys/2")
    report = verify_ob2(token, now=NOW, fetcher=unlisted)
    assert check(report, "issuer-key") is Outcome.FAIL
    assert "publicKey" in reasons(report, "issuer-key")


def test_signed_revocation_list(issuer: Issuer) -> None:
    assertion = issuer.assertion("signed")
    issuer.documents[REVOCATIONS]["revokedAssertions"].append(
        {"id": assertion["id"], "revocationReason": "Academic misconduct"}
    )
    report = verify_ob2(sign_jws(assertion, issuer.key), now=NOW, fetcher=issuer.fetcher())
    assert check(report, "status") is Outcome.FAIL
    assert "Academic misconduct" in reasons(report, "status")

    plain = issuer.assertion("signed", id="urn:uuid:00000000-0000-4000-8000-000000000001")
    report = verify_ob2(sign_jws(plain, issuer.key), now=NOW, fetcher=issuer.fetcher())
    assert check(report, "status") is Outcome.FAIL

    unreachable = issuer.fetcher()
    del unreachable.documents[REVOCATIONS]
    report = verify_ob2(sign_jws(issuer.assertion("signed"), issuer.key), now=NOW, fetcher=unreachable)
    assert check(report, "status") is Outcome.FAIL  # fails closed: an unreachable list never passes
    assert reasons(report, "status").startswith("cannot confirm it has not been revoked: ")
    assert report.verdict == "Cannot confirm it has not been revoked"

    broken = issuer.fetcher()
    broken.documents[REVOCATIONS] = {"id": REVOCATIONS}
    report = verify_ob2(sign_jws(issuer.assertion("signed"), issuer.key), now=NOW, fetcher=broken)
    assert "no revokedAssertions" in reasons(report, "status")
    assert report.verdict == "Cannot confirm it has not been revoked"


def test_signed_without_a_fetcher_or_as_bare_json(issuer: Issuer) -> None:
    assertion = issuer.assertion("signed")
    report = verify_ob2(sign_jws(assertion, issuer.key), now=NOW, fetcher=None)
    assert report.format == "ob2-signed"
    assert "needs the network" in reasons(report, "proof")
    report = verify_ob2(assertion, now=NOW, fetcher=issuer.fetcher())
    assert report.format == "ob2-signed"
    assert "must be given as its JWS" in reasons(report, "proof")


# -- bad input --------------------------------------------------------------------------------------


def _deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels):
        value = {"a": value}
    return value


def test_bad_input_never_raises_and_costs_at_most_one_fetch(issuer: Issuer) -> None:
    """Every bad input gets a failing report, asking the network for one document at most (the hosted copy of an
    assertion that embeds its badge class); oversized and deeply nested input is refused as unreadable before
    anything is fetched. How long that takes, ``bench/verify_hostile.py`` measures."""
    good = issuer.assertion()
    header = b64url_encode(b'{"alg":"RS256"}')
    no_creator = issuer.assertion("signed", verification={"type": "signed"})
    bad: list[Any] = [
        None,
        5,
        b"\xff\xfe",
        b"{}",
        [],
        "",
        "   ",
        "{",
        "[1, 2]",
        "not a badge",
        "a.b.c",
        "ftp://badges.example.org/a",
        "https://",
        "x" * 3_000_000,
        "{" * 100_000,
        "[" * 100_000 + "]" * 100_000,
        _deep(5000),
        {"type": "Assertion"},
        {"type": ["Assertion"], "recipient": "me", "badge": 5, "verification": "hosted", "issuedOn": "yesterday"},
        dict(good, id=None),
        dict(good, id="urn:uuid:1"),
        dict(good, verification={"type": "magic"}),
        dict(good, badge={"type": "BadgeClass"}),
        f"{header}.{b64url_encode(b'[]')}.{b64url_encode(b'sig')}",
        f"{header}.{b64url_encode(b'{')}.{b64url_encode(b'sig')}",
        f"{b64url_encode(b'{}')}.{b64url_encode(json.dumps(good).encode())}.AAAA",
        f"{header}.{b64url_encode(json.dumps(no_creator).encode())}.AAAA",
    ]
    for source in bad:
        fetcher = issuer.fetcher()
        report = verify_ob2(source, now=NOW, fetcher=fetcher)
        assert isinstance(report, Report)
        assert not report.verified
        assert report.checks
        assert report.checks[-1].outcome is Outcome.FAIL
        assert len(fetcher.calls) <= 1, fetcher.calls
        report.to_dict()
        report.text()
    for oversized in ("x" * 3_000_000, "{" * 100_000, "[" * 100_000 + "]" * 100_000, _deep(5000)):
        fetcher = issuer.fetcher()
        report = verify_ob2(oversized, now=NOW, fetcher=fetcher)
        assert [(c.name, c.outcome) for c in report.checks] == [("readable", Outcome.FAIL)]
        assert fetcher.calls == []


def test_a_fetched_document_that_is_not_json_or_too_deep(issuer: Issuer) -> None:
    for content in (b"<html>", b"[]", json.dumps(_deep(100)).encode(), b"\xff\xfe"):
        fetcher = issuer.fetcher()
        fetcher.documents[ASSERTION] = Response(ASSERTION, content, "application/json")
        report = verify_ob2(ASSERTION, now=NOW, fetcher=fetcher)
        assert check(report, "proof") is Outcome.FAIL


def test_a_fetcher_that_misbehaves_gives_a_report(issuer: Issuer) -> None:
    class Broken:
        def fetch(self, url: str) -> Response:
            raise RuntimeError("boom")

    report = verify_ob2(issuer.assertion(), now=NOW, fetcher=Broken())
    assert not report.verified
    assert "could not be processed" in reasons(report, "readable")


# -- recognising and recipients ---------------------------------------------------------------------


def test_looks_like_ob2(issuer: Issuer) -> None:
    hosted = issuer.assertion()
    assert looks_like_ob2(hosted)
    assert looks_like_ob2(json.dumps(hosted))
    assert looks_like_ob2(sign_jws(issuer.assertion("signed"), issuer.key))
    assert looks_like_ob2(ASSERTION)
    assert looks_like_ob2(json.dumps(hosted).encode())
    no_context = {k: v for k, v in hosted.items() if k != "@context"}
    assert looks_like_ob2(no_context)
    ob3 = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
    }
    others: tuple[Any, ...] = (
        ob3,
        issuer.documents[BADGE],
        {},
        "",
        "hello",
        "a.b.c",
        "{",
        "http://x",
        5,
        None,
        b"\xff",
    )
    for other in others:  # not all of the types it takes: it must say no to anything, not fail
        assert not looks_like_ob2(other)


def test_recipient_matches() -> None:
    def assertion(**recipient: Any) -> dict[str, Any]:
        return {"recipient": recipient}

    salted = assertion(type="email", hashed=True, salt=SALT, identity=hashed(EMAIL.lower()))
    assert recipient_matches(salted, EMAIL) is True
    assert recipient_matches(salted, "  ada.lovelace@example.net ") is True
    assert recipient_matches(salted, "mallory@example.net") is False
    unsalted_md5 = assertion(type="email", hashed=True, identity=hashed("ada@example.net", "", "md5"))
    assert recipient_matches(unsalted_md5, "ada@example.net") is True
    upper_hash = assertion(type="email", hashed=True, salt=SALT, identity=hashed("ada@example.net").upper())
    assert recipient_matches(upper_hash, "ada@example.net") is True  # "SHA256$" and an upper-case digest are fine
    inferred = assertion(type="email", salt=SALT, identity=hashed("ada@example.net"))
    assert recipient_matches(inferred, "ada@example.net") is True
    dollar = assertion(type="email", hashed=False, identity="a$b@example.net")
    assert recipient_matches(dollar, "A$B@example.net") is True
    plain = assertion(type="email", hashed=False, identity="Ada@Example.net")
    assert recipient_matches(plain, "ada@example.net") is True
    assert recipient_matches(plain, "bob@example.net") is False
    assert recipient_matches(assertion(type="url", hashed=False, identity="https://ada.example"), "ada@x") is None
    assert recipient_matches(assertion(type="email", hashed=True, identity="sha1$abc"), "ada@x") is None
    assert recipient_matches({"recipient": "ada"}, "ada@x") is None
    assert recipient_matches({}, "ada@x") is None


def test_check_titles_cover_the_ob2_checks(issuer: Issuer) -> None:
    report = verify_ob2(sign_jws(issuer.assertion("signed"), issuer.key), now=NOW, fetcher=issuer.fetcher())
    assert {c.name for c in report.checks} <= set(CHECK_TITLES)


# -- the official OB 2.0 context (tests/data) ---------------------------------------------------------


def test_the_terms_read_here_are_in_the_official_ob2_context(test_data: Path) -> None:
    path = test_data / "ob3/digital-credentials-public-validator/inspector-vc/src/main/resources/contexts/ob-v2p0.json"
    terms = set(json.loads(path.read_text())["@context"])
    used = {
        "Assertion", "BadgeClass", "CryptographicKey", "Profile", "Issuer", "RevocationList", "recipient",
        "identity", "hashed", "salt", "badge", "verification", "creator", "issuedOn", "expires", "revoked",
        "revocationReason", "revocationList", "revokedAssertions", "publicKey", "publicKeyPem", "owner",
        "allowedOrigins", "startsWith", "criteria", "narrative", "issuer", "uid", "hosted", "signed",
    }  # fmt: skip
    assert used <= terms, sorted(used - terms)
