"""SD-JWT (RFC 9901) and SD-JWT VC: the spec's own Disclosure digests, issuing, key binding, and every bad input
refused (through the one verifier, :func:`cairn.vc.intake.verify_any`), plus the IETF Token Status List."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cairn.errors import CredentialError
from cairn.vc.fetch import DictFetcher
from cairn.vc.intake import verify_any
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.multibase import b64url_decode, b64url_encode
from cairn.vc.proofs.jose import sign_jwt
from cairn.vc.report import Outcome, Report
from cairn.vc.sdjwt import (
    add_key_binding,
    digest_of,
    issue_sd_jwt,
    make_disclosure,
    present,
    present_claims,
    split_sd_jwt,
    verify_sd_jwt,
)
from cairn.vc.status import BitstringStatusList
from cairn.vc.token_status import (
    from_bitstring,
    sign_status_list_token,
    status_at,
    verify_status_list_token,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
ISSUER = KeyPair.generate(KeyType.P256)
HOLDER = KeyPair.generate(KeyType.ED25519)
DID = f"did:key:{ISSUER.public.multibase}"
KID = f"{DID}#{ISSUER.public.multibase}"
AUD, NONCE = "https://verifier.example", "n-0S6_WzA2Mj"
STATUS_URI = "https://issuer.example/status/1/token"


def _claims(**extra: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": DID,
        "iat": int(NOW.timestamp()) - 3600,
        "vct": "urn:eu.europa.ec.eudi:learning:credential:1",
        "cnf": {"jwk": HOLDER.public.to_jwk()},
        "family_name": "Kowalska",
        "given_name": "Anna",
        "achievement_title": "Data analysis",
        "learning_outcomes": ["reads data", "draws charts"],
    }
    claims.update(extra)
    return claims


def _issued(**extra: Any) -> str:
    return issue_sd_jwt(_claims(**extra), key=ISSUER, kid=KID, array_elements={"learning_outcomes"}, decoys=2)


def _bound(sd_jwt: str, *, key: KeyPair = HOLDER, iat: datetime = NOW, aud: str = AUD, nonce: str = NONCE) -> str:
    return add_key_binding(sd_jwt, holder_key=key, aud=aud, nonce=nonce, iat=int(iat.timestamp()))


def _verify(text: str, fetcher: DictFetcher | None = None, **kwargs: Any) -> Report:
    kwargs.setdefault("challenge", NONCE)
    kwargs.setdefault("domain", AUD)
    return verify_any(text, now=kwargs.pop("now", NOW), fetcher=fetcher, **kwargs)


def _outcome(report: Report, name: str) -> Outcome | None:
    return report.outcome_of(name)


# -- the spec's own vectors ----------------------------------------------------------------------------------


def test_the_spec_example_disclosures_have_the_specs_digests() -> None:
    """RFC 9901 (and its drafts): the Disclosure of ``given_name: John`` and of the array element ``"FR"``."""
    vectors = {
        "WyIyR0xDNDJzS1F2ZUNmR2ZyeU5STjl3IiwgImdpdmVuX25hbWUiLCAiSm9obiJd": (
            "jsu9yVulwQQlhFlM_3JlzMaSFzglhQG0DpfayQwLUK4"
        ),
        "WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0": "w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs",
    }
    for disclosure, digest in vectors.items():
        assert digest_of(disclosure) == digest
    assert json.loads(b64url_decode(next(iter(vectors)))) == ["2GLC42sKQveCfGfryNRN9w", "given_name", "John"]


def test_a_spec_disclosure_is_put_in_place_of_its_digest() -> None:
    payload: dict[str, Any] = {"iss": DID, "vct": "urn:x", "_sd_alg": "sha-256"}
    payload["_sd"] = ["jsu9yVulwQQlhFlM_3JlzMaSFzglhQG0DpfayQwLUK4"]
    payload["nationalities"] = [{"...": "w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs"}, "DE"]
    jwt = sign_jwt(payload, key=ISSUER, kid=KID, typ="dc+sd-jwt")
    text = (
        jwt
        + "~WyIyR0xDNDJzS1F2ZUNmR2ZyeU5STjl3IiwgImdpdmVuX25hbWUiLCAiSm9obiJd"
        + "~WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0~"
    )
    result = verify_sd_jwt(text, resolve_key=lambda _: ISSUER.public, now=NOW)
    assert result.ok, result.reason
    assert result.claims == {"iss": DID, "vct": "urn:x", "given_name": "John", "nationalities": ["FR", "DE"]}
    hidden = verify_sd_jwt(jwt + "~", resolve_key=lambda _: ISSUER.public, now=NOW)
    assert hidden.claims == {"iss": DID, "vct": "urn:x", "nationalities": ["DE"]}


# -- issuing and verifying -----------------------------------------------------------------------------------


def test_an_issued_sd_jwt_vc_with_key_binding_verifies() -> None:
    text = _bound(_issued())
    report = _verify(text)
    assert report.format == "sd-jwt-vc"
    assert report.verified, report.text()
    assert _outcome(report, "key-binding") is Outcome.PASS
    assert _outcome(report, "issuer-key") is Outcome.PASS
    assert report.credential is not None
    assert report.credential["learning_outcomes"] == ["reads data", "draws charts"]
    assert report.subject["name"] == "Anna Kowalska"
    assert report.achievement["name"] == "Data analysis"
    jwt, disclosures, kb = split_sd_jwt(text)
    payload = json.loads(b64url_decode(jwt.split(".")[1]))
    header = json.loads(b64url_decode(jwt.split(".")[0]))
    assert header["typ"] == "dc+sd-jwt"
    assert header["kid"] == KID
    assert header["alg"] == "ES256"
    assert payload["_sd_alg"] == "sha-256"
    assert "family_name" not in payload
    assert "given_name" not in payload
    assert {"iss", "vct", "cnf", "iat"} <= set(payload)
    assert len(payload["_sd"]) == 4 + 2  # family and given name, title, outcomes, and two decoys
    assert len(disclosures) == 6
    assert kb is not None


def test_the_holder_may_leave_claims_out() -> None:
    text = present(_issued(), keep=lambda d: d.name in ("achievement_title",))
    report = _verify(_bound(text))
    assert report.verified, report.text()
    assert report.credential is not None
    assert "family_name" not in report.credential
    assert report.credential["achievement_title"] == "Data analysis"


@pytest.mark.parametrize(
    ("paths", "shown"),
    [
        ([["given_name"]], {"given_name": "Anna"}),
        ([["learning_outcomes"]], {"learning_outcomes": ["reads data", "draws charts"]}),
        ([["learning_outcomes", None]], {"learning_outcomes": ["reads data", "draws charts"]}),
        ([["learning_outcomes", 1]], {"learning_outcomes": ["draws charts"]}),
        ([["cnf", "jwk"], ["unknown"]], {}),
        ([], {}),
    ],
)
def test_present_claims_discloses_what_the_paths_reach(paths: list[list[Any]], shown: dict[str, Any]) -> None:
    report = _verify(_bound(present_claims(_issued(), paths)))
    assert report.verified, report.text()
    document = report.credential or {}
    hidden = ("family_name", "given_name", "achievement_title", "learning_outcomes")
    assert {k: v for k, v in document.items() if k in hidden} == shown
    assert document["vct"]  # what is in the clear stays
    assert document["cnf"]


def test_without_key_binding_it_verifies_with_a_warning() -> None:
    report = _verify(_issued())
    assert report.verified
    assert _outcome(report, "key-binding") is Outcome.WARNING


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ("tampered", "referenced by no digest"),
        ("duplicated", "same"),
        ("not-json", "not base64url JSON"),
        ("not-base64", "not base64url"),
        ("empty", "empty Disclosure"),
    ],
)
def test_bad_disclosures_are_refused(change: str, why: str) -> None:
    jwt, disclosures, _ = split_sd_jwt(_issued())
    if change == "tampered":
        salt, name, _value = json.loads(b64url_decode(disclosures[0]))
        disclosures[0] = b64url_encode(json.dumps([salt, name, "Mallory"]).encode())
    elif change == "duplicated":
        disclosures.append(disclosures[0])
    elif change == "not-json":
        disclosures[0] = b64url_encode(b"[not json")
    elif change == "not-base64":
        disclosures[0] = "not*base64"
    else:
        disclosures.insert(1, "")
    text = jwt + "~" + "~".join(disclosures) + "~"
    report = _verify(text)
    assert not report.verified
    failed = [c for c in report.checks if c.outcome is Outcome.FAIL]
    assert failed, report.text()
    assert why in failed[0].reason, report.text()


def test_dropping_a_disclosure_keeps_the_rest_verifiable_but_hides_it() -> None:
    jwt, disclosures, _ = split_sd_jwt(_issued())
    report = _verify(jwt + "~" + "~".join(disclosures[1:]) + "~")
    assert report.verified
    assert report.credential is not None
    assert len(report.credential) < len(_claims())


def test_a_key_binding_over_another_presentation_fails() -> None:
    """Dropping a Disclosure after the holder signed its KB-JWT: the sd_hash no longer matches."""
    full = _bound(_issued())
    jwt, disclosures, kb = split_sd_jwt(full)
    assert kb is not None
    report = _verify(jwt + "~" + "~".join(disclosures[1:]) + "~" + kb)
    assert _outcome(report, "key-binding") is Outcome.FAIL
    assert "sd_hash" in str(report.checks)


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"key": KeyPair.generate(KeyType.ED25519)}, "does not verify with the holder key"),
        ({"nonce": "another"}, "another nonce"),
        ({"aud": "https://elsewhere.example"}, "another audience"),
        ({"iat": NOW - timedelta(hours=1)}, "too old"),
        ({"iat": NOW + timedelta(hours=1)}, "future"),
    ],
)
def test_a_bad_key_binding_fails(kwargs: dict[str, Any], why: str) -> None:
    report = _verify(_bound(_issued(), **kwargs))
    assert _outcome(report, "key-binding") is Outcome.FAIL
    assert not report.verified
    assert why in next(c.reason for c in report.checks if c.name == "key-binding")


def test_expired_and_not_yet_valid() -> None:
    expired = _verify(_bound(_issued(exp=int((NOW - timedelta(days=1)).timestamp()))))
    assert _outcome(expired, "validity") is Outcome.FAIL
    assert not expired.verified
    early = _verify(_bound(_issued(nbf=int((NOW + timedelta(days=1)).timestamp()))))
    assert _outcome(early, "validity") is Outcome.FAIL


def test_alg_none_and_a_wrong_typ_are_refused() -> None:
    jwt, disclosures, _ = split_sd_jwt(_issued())
    header = b64url_encode(json.dumps({"alg": "none", "typ": "dc+sd-jwt"}).encode())
    unsigned = header + "." + jwt.split(".")[1] + "."
    report = _verify(unsigned + "x~" + "~".join(disclosures) + "~")
    assert _outcome(report, "proof") is Outcome.FAIL
    assert "none" in report.text()
    other = issue_sd_jwt(_claims(), key=ISSUER, kid=KID, typ="JWT")
    assert _outcome(_verify(other), "proof") is Outcome.FAIL


def test_another_signer_is_refused() -> None:
    forger = KeyPair.generate(KeyType.P256)
    report = _verify(issue_sd_jwt(_claims(), key=forger, kid=KID))
    assert _outcome(report, "proof") is Outcome.FAIL


def test_sd_and_ellipsis_clashes_and_hidden_iss_are_refused() -> None:
    bad_name = make_disclosure("_sd", ["x"])
    clash = make_disclosure("family_name", "Other")
    hidden_iss = make_disclosure("iss", "did:example:else")
    for disclosure, extra, why in (
        (bad_name, {}, "may not disclose"),
        (clash, {"family_name": "Kowalska"}, "already in its object"),
        (hidden_iss, {}, "forbids"),
    ):
        payload = {"vct": "urn:x", "_sd_alg": "sha-256", "_sd": [disclosure.digest], **extra}
        if disclosure is not hidden_iss:
            payload["iss"] = DID
        jwt = sign_jwt(payload, key=ISSUER, kid=KID, typ="dc+sd-jwt")
        report = _verify(jwt + "~" + disclosure.encoded + "~")
        assert _outcome(report, "proof") is Outcome.FAIL, report.text()
        assert why in report.text()
    element = make_disclosure(None, "x")
    payload = {"iss": DID, "vct": "urn:x", "_sd": [element.digest]}
    jwt = sign_jwt(payload, key=ISSUER, kid=KID, typ="dc+sd-jwt")
    assert "array element" in _verify(jwt + "~" + element.encoded + "~").text()
    twice = {"iss": DID, "vct": "urn:x", "_sd": [clash.digest], "list": [{"...": clash.digest}]}
    jwt = sign_jwt(twice, key=ISSUER, kid=KID, typ="dc+sd-jwt")
    assert "twice" in _verify(jwt + "~").text()
    sha512 = sign_jwt({"iss": DID, "vct": "urn:x", "_sd_alg": "sha-512"}, key=ISSUER, kid=KID, typ="dc+sd-jwt")
    assert "sha-256" in _verify(sha512 + "~").text()


def test_huge_input_is_refused_early() -> None:
    jwt, _, _ = split_sd_jwt(_issued())
    many = jwt + "~" + "~".join([make_disclosure("x", 1).encoded] * 1001) + "~"
    assert "more than 1000" in _verify(many).text()
    big = jwt + "~" + "A" * 70_000 + "~"
    assert _outcome(_verify(big), "readable") is Outcome.FAIL
    assert _outcome(_verify(jwt + "~" + "A" * 1_100_000), "readable") is Outcome.FAIL


def test_issuing_refuses_to_hide_what_sd_jwt_vc_keeps_clear() -> None:
    with pytest.raises(CredentialError):
        issue_sd_jwt(_claims(), key=ISSUER, kid=KID, disclosable={"iss"})
    with pytest.raises(CredentialError):
        issue_sd_jwt({"_sd": []}, key=ISSUER, kid=KID)


# -- the Token Status List -----------------------------------------------------------------------------------


def _status_token(revoked: set[int], *, key: KeyPair = ISSUER, kid: str = KID, uri: str = STATUS_URI) -> str:
    bits = BitstringStatusList()
    for index in revoked:
        bits.set(index)
    return sign_status_list_token(
        from_bitstring(bits.to_bytes()), uri=uri, issuer=DID, key=key, kid=kid, iat=NOW, ttl=300,
        exp=NOW + timedelta(days=1),
    )  # fmt: skip


def test_the_token_status_list_is_least_significant_bit_first() -> None:
    bits = BitstringStatusList()
    bits.set(1)
    bits.set(8)
    lst = from_bitstring(bits.to_bytes())
    assert bits.to_bytes()[:2] == bytes([0b0100_0000, 0b1000_0000])  # Bitstring Status List: MSB first
    assert lst[:2] == bytes([0b0000_0010, 0b0000_0001])  # Token Status List: LSB first
    token = _status_token({1, 8, 130_000})
    status = verify_status_list_token(token, uri=STATUS_URI, resolve_key=lambda _: ISSUER.public, now=NOW)
    assert [status_at(status, i) for i in (0, 1, 2, 8, 130_000, 130_001)] == [0, 1, 0, 1, 1, 0]
    payload = json.loads(b64url_decode(token.split(".")[1]))
    assert payload["sub"] == STATUS_URI
    assert payload["status_list"]["bits"] == 1
    assert payload["ttl"] == 300
    assert zlib.decompress(b64url_decode(payload["status_list"]["lst"]))[:2] == lst[:2]
    assert json.loads(b64url_decode(token.split(".")[0]))["typ"] == "statuslist+jwt"


def test_a_revoked_sd_jwt_vc_fails_its_status_check() -> None:
    text = _bound(_issued(status={"status_list": {"idx": 42, "uri": STATUS_URI}}))
    clear = _verify(text, DictFetcher({STATUS_URI: _status_token({7})}))
    assert _outcome(clear, "status") is Outcome.PASS, clear.text()
    assert clear.verified
    revoked = _verify(text, DictFetcher({STATUS_URI: _status_token({42})}))
    assert _outcome(revoked, "status") is Outcome.FAIL
    assert "revoked" in revoked.text()
    offline = _verify(text)
    assert _outcome(offline, "status") is Outcome.WARNING


def test_a_status_list_token_from_elsewhere_is_not_believed() -> None:
    text = _bound(_issued(status={"status_list": {"idx": 42, "uri": STATUS_URI}}))
    other = KeyPair.generate(KeyType.P256)
    other_kid = f"did:key:{other.public.multibase}#{other.public.multibase}"
    for token in (
        _status_token(set(), key=other, kid=other_kid),  # another issuer's list
        _status_token(set(), uri="https://issuer.example/other"),  # sub is not the URI
        "not a token",
    ):
        report = _verify(text, DictFetcher({STATUS_URI: token}))
        assert _outcome(report, "status") is Outcome.FAIL, report.text()
        assert report.unconfirmed


def test_a_decompression_bomb_is_refused() -> None:
    payload = {
        "sub": STATUS_URI,
        "iat": int(NOW.timestamp()),
        "status_list": {"bits": 1, "lst": b64url_encode(zlib.compress(bytes(64 * 1024 * 1024), 9))},
    }
    token = sign_jwt(payload, key=ISSUER, kid=KID, typ="statuslist+jwt")
    with pytest.raises(CredentialError, match="larger"):
        verify_status_list_token(token, uri=STATUS_URI, resolve_key=lambda _: ISSUER.public, now=NOW)
