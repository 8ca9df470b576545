"""The verifier's status check fails closed: a status it cannot determine is never "verified".

Status lists secured with Data Integrity, as VC-JOSE JWTs, as Open Badges 3.0 JWTs (the list as the payload, as
openbadgeslib publishes it, or in a ``vc`` claim), the 1EdTech revocation list; lists out of reach, forged, signed
by someone else, hostile; and the one case where "not checked" is allowed: the caller chose not to go online.
"""

from __future__ import annotations

import copy
import gzip
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from cairn.errors import FetchError, OfflineError
from cairn.vc import status_check
from cairn.vc.dids import VerificationMethod, did_key, did_web_document
from cairn.vc.fetch import DictFetcher, Response
from cairn.vc.issuance import default_verification_method, issue
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.multibase import BASE64URL, encode
from cairn.vc.proofs import data_integrity
from cairn.vc.proofs.jose import sign_jwt, sign_ob3_jwt
from cairn.vc.report import UNCONFIRMED, Outcome, Report
from cairn.vc.status import BitstringStatusList, StatusEntry, status_list_credential
from cairn.vc.verification import verify

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ED = KeyPair.from_secret(KeyType.ED25519, bytes(range(32)))
OTHER = KeyPair.from_secret(KeyType.ED25519, bytes(range(5, 37)))
ISSUER = did_key(ED.public)
URL = "https://issuer.example/status/1"
INDEX = 4242


def _credential(status: Any = None, **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:5d0c6b4e-8a34-4a4e-9a8e-9f0b3c2a1d10",
        "type": ["VerifiableCredential"],
        "issuer": ISSUER,
        "validFrom": "2026-05-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner", "name": "A learner"},
    }
    if status is not None:
        doc["credentialStatus"] = status
    doc.update(changes)
    return doc


def _signed(doc: dict[str, Any], key: KeyPair = ED) -> Any:
    return issue(doc, key=key, suite="eddsa-jcs-2022", created="2026-05-04T09:30:00Z")


def _entry(purpose: str = "revocation", **changes: Any) -> dict[str, Any]:
    return {**StatusEntry(URL, INDEX, purpose).to_dict(), **changes}


def _list(*, revoked: bool, issuer: str = ISSUER, purpose: str = "revocation", **changes: Any) -> dict[str, Any]:
    bits = BitstringStatusList()
    if revoked:
        bits.set(INDEX)
    doc = status_list_credential(
        url=URL, issuer=issuer, purpose=purpose, status_list=bits, valid_from="2026-01-01T00:00:00Z"
    )
    doc.update(changes)
    return doc


def _status(report: Report) -> list[tuple[Outcome, str, bool]]:
    return [(c.outcome, str(c.reason), c.undetermined) for c in report.checks if c.name == "status"]


def _check(source: Any, documents: dict[str, Any]) -> Report:
    return verify(source, now=NOW, fetcher=DictFetcher(documents))


def _assert_unconfirmed(report: Report, why: str) -> None:
    assert not report.verified, report.text()
    assert report.verdict == UNCONFIRMED, report.text()
    assert report.outcome_of("proof") is Outcome.PASS
    [(outcome, reason, undetermined)] = _status(report)
    assert (outcome, undetermined) == (Outcome.FAIL, True)
    assert reason.startswith("cannot confirm it has not been revoked: "), reason
    assert why in reason, reason
    assert report.to_dict()["verdict"] == UNCONFIRMED
    json.dumps(report.to_dict())


# -- lists secured with Data Integrity -----------------------------------------------------------------------


@pytest.mark.parametrize("revoked", [False, True])
def test_a_data_integrity_list_gives_the_status(revoked: bool) -> None:
    report = _check(_signed(_credential(_entry())), {URL: _signed(_list(revoked=revoked))})
    assert report.verified is not revoked, report.text()
    [(outcome, reason, undetermined)] = _status(report)
    assert outcome is (Outcome.FAIL if revoked else Outcome.PASS)
    assert reason == ("the issuer has revoked this credential" if revoked else "not revoked")
    assert not undetermined
    assert report.verdict == ("Not verified" if revoked else "Verified")


def test_a_list_that_cannot_be_fetched_is_cannot_confirm() -> None:
    report = _check(_signed(_credential(_entry())), {})
    _assert_unconfirmed(report, "cannot get the status list: nothing at https://issuer.example/status/1")


def test_a_fetcher_that_raises_is_cannot_confirm() -> None:
    class Down:
        def fetch(self, url: str) -> Response:
            raise FetchError("connection refused")

    report = verify(_signed(_credential(_entry())), now=NOW, fetcher=Down())
    _assert_unconfirmed(report, "connection refused")


def test_a_forged_list_is_cannot_confirm_not_a_pass() -> None:
    forged = _signed(_list(revoked=True))
    forged["credentialSubject"]["encodedList"] = BitstringStatusList().encode()  # "nobody was revoked"
    report = _check(_signed(_credential(_entry())), {URL: forged})
    _assert_unconfirmed(report, "the status list credential does not verify")


def test_a_list_signed_by_a_key_its_issuer_does_not_control_is_refused() -> None:
    forged = issue(
        _list(revoked=False),
        key=OTHER,
        suite="eddsa-rdfc-2022",
        verification_method=default_verification_method(OTHER),
        created="2026-05-04T09:30:00Z",
    )
    report = _check(_signed(_credential(_entry())), {URL: forged})
    _assert_unconfirmed(report, "a key its issuer does not control")


def test_a_list_issued_by_someone_else_is_refused_and_says_so() -> None:
    theirs = _signed(_list(revoked=False, issuer=did_key(OTHER.public)), OTHER)
    report = _check(_signed(_credential(_entry())), {URL: theirs})
    _assert_unconfirmed(report, "the list was issued by someone else")


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"type": ["VerifiableCredential"]}, "not a BitstringStatusListCredential"),
        ({"validUntil": "2026-06-01T00:00:00Z"}, "the status list has expired (validUntil)"),
        ({"validFrom": "2027-01-01T00:00:00Z"}, "the status list is not valid yet (validFrom)"),
    ],
)
def test_a_list_of_the_wrong_type_or_out_of_its_validity_is_refused(changes: dict[str, Any], why: str) -> None:
    report = _check(_signed(_credential(_entry())), {URL: _signed(_list(revoked=False, **changes))})
    _assert_unconfirmed(report, why)


def test_a_list_for_another_purpose_is_refused() -> None:
    report = _check(_signed(_credential(_entry())), {URL: _signed(_list(revoked=False, purpose="suspension"))})
    _assert_unconfirmed(report, "the list is not for 'revocation'")


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"statusSize": 0}, "statusSize must be from 1 to 8"),
        ({"statusSize": 2}, "statusMessage is required when statusSize is more than 1"),
        ({"statusReference": "not a url"}, "statusReference must be a URL or an array of URLs"),
        ({"statusReference": ["https://x.example/why", 5]}, "statusReference must be a URL or an array of URLs"),
        ({"statusListIndex": "99999999999"}, "statusListIndex 99999999999 is outside the list"),
        ({"statusListIndex": "-3"}, "statusListIndex must be a non-negative base-10 integer string"),
    ],
)
def test_a_malformed_entry_or_an_index_out_of_range_is_cannot_confirm(changes: dict[str, Any], why: str) -> None:
    report = _check(_signed(_credential(_entry(**changes))), {URL: _signed(_list(revoked=False))})
    _assert_unconfirmed(report, why)


def test_a_message_list_reads_the_message_of_the_value() -> None:
    messages = [{"status": hex(v), "message": m} for v, m in enumerate(["pending", "accepted", "rejected", "other"])]
    entry = _entry("message", statusSize=2, statusMessage=messages, statusReference="https://issuer.example/why")
    bits = BitstringStatusList(65_536, status_size=2)
    bits.set(INDEX, 2)
    status = status_list_credential(url=URL, issuer=ISSUER, purpose="message", status_list=bits)
    report = _check(_signed(_credential(entry)), {URL: _signed(status)})
    assert _status(report) == [(Outcome.WARNING, "the issuer's message status is rejected (0x2)", False)]
    assert report.verdict == "Verified with warnings"


# -- hostile lists -------------------------------------------------------------------------------------------


def _raw_list(encoded: str) -> Any:
    doc = _list(revoked=False)
    doc["credentialSubject"]["encodedList"] = encoded
    return _signed(doc)


@pytest.mark.parametrize(
    ("encoded", "why"),
    [
        (encode(gzip.compress(bytes(64 * 1024 * 1024), mtime=0), BASE64URL), "encodedList expands past"),  # a gzip bomb
        ("zNotBase64url", "encodedList is not multibase base64url"),
        (encode(b"not gzip at all", BASE64URL), "encodedList is not valid GZIP"),
        (encode(gzip.compress(bytes(100)), BASE64URL), "the status list is shorter than 16 KB"),
    ],
    ids=["gzip-bomb", "wrong-encoding", "not-gzip", "too-short"],
)
def test_a_hostile_list_is_a_failing_check_never_an_error(encoded: str, why: str) -> None:
    report = _check(_signed(_credential(_entry())), {URL: _raw_list(encoded)})
    _assert_unconfirmed(report, why)


@pytest.mark.parametrize("body", [b"\xff\xfe", b"[1, 2]", b"not json", b"eyJhbGciOiJub25lIn0.e30.", b"{" * 10_000])
def test_an_unreadable_list_is_cannot_confirm(body: bytes) -> None:
    report = _check(_signed(_credential(_entry())), {URL: body})
    assert report.verdict == UNCONFIRMED, report.text()


# -- lists secured as JWTs -----------------------------------------------------------------------------------


def _jwt_credential(status: Any) -> str:
    doc = _credential(status)
    return sign_ob3_jwt(doc, key=ED, kid=default_verification_method(ED))


@pytest.mark.parametrize("revoked", [False, True])
@pytest.mark.parametrize("shape", ["vc+jwt", "ob3-vc-claim", "enveloped"])
def test_a_jwt_list_gives_the_status(revoked: bool, shape: str) -> None:
    status = _list(revoked=revoked)
    kid = default_verification_method(ED)
    if shape == "ob3-vc-claim":
        body: Any = sign_jwt({"iss": ISSUER, "jti": URL, "vc": status}, key=ED, kid=kid, typ="JWT")
    else:
        body = sign_jwt(status, key=ED, kid=kid, typ="vc+jwt", cty="vc")
    if shape == "enveloped":
        body = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": "EnvelopedVerifiableCredential",
            "id": "data:application/vc+jwt," + body,
        }
    report = _check(_signed(_credential(_entry())), {URL: body})
    assert report.verified is not revoked, report.text()
    assert _status(report)[0][1] == ("the issuer has revoked this credential" if revoked else "not revoked")


def _openbadgeslib_list(*, revoked: bool, key: KeyPair = ED) -> str:
    """The shape openbadgeslib publishes (ob3/status_list.py, sign_status_list_credential): the list credential at
    the top of the payload with iss / jti / nbf, signed with the issuer's public key in a ``jwk`` header."""
    status = _list(revoked=revoked)
    payload = {**status, "iss": ISSUER, "jti": URL, "nbf": 1_767_225_600}
    return sign_jwt(payload, key=key, kid=None, typ="JWT", extra_header={"jwk": key.public.to_jwk()})


def test_a_revoked_credential_whose_list_is_an_openbadgeslib_jwt_is_revoked() -> None:
    token = _jwt_credential(_entry())
    revoked = _check(token, {URL: _openbadgeslib_list(revoked=True)})
    assert not revoked.verified
    assert revoked.verdict == "Not verified"
    assert _status(revoked) == [(Outcome.FAIL, "the issuer has revoked this credential", False)]
    fine = _check(token, {URL: _openbadgeslib_list(revoked=False)})
    assert fine.verified, fine.text()


def test_a_jwt_list_carrying_a_key_other_than_the_credentials_is_refused() -> None:
    report = _check(_jwt_credential(_entry()), {URL: _openbadgeslib_list(revoked=False, key=OTHER)})
    _assert_unconfirmed(report, "not the key that signed the credential")


def test_a_jwt_list_whose_iss_is_not_its_issuer_is_refused() -> None:
    token = sign_jwt(
        {**_list(revoked=False), "iss": "did:example:else"}, key=ED, kid=default_verification_method(ED), typ="JWT"
    )
    report = _check(_signed(_credential(_entry())), {URL: token})
    _assert_unconfirmed(report, "iss claim is not the list's issuer")


def test_a_jwt_list_signed_by_another_key_is_refused() -> None:
    token = sign_jwt(_list(revoked=False), key=OTHER, kid=default_verification_method(OTHER), typ="vc+jwt")
    report = _check(_signed(_credential(_entry())), {URL: token})
    _assert_unconfirmed(report, "a key its issuer does not control")


def test_an_expired_jwt_list_is_refused() -> None:
    token = sign_jwt(
        {**_list(revoked=False), "exp": int(datetime(2026, 6, 1, tzinfo=UTC).timestamp())},
        key=ED,
        kid=default_verification_method(ED),
        typ="vc+jwt",
    )
    report = _check(_signed(_credential(_entry())), {URL: token})
    _assert_unconfirmed(report, "the token has expired (exp)")


@pytest.mark.parametrize("revoked", [False, True])
def test_the_older_status_list_2021_is_read_too(revoked: bool) -> None:
    """StatusList2021 (the CCG draft before Bitstring Status List): its encodedList is plain base64url."""
    bits = BitstringStatusList()
    if revoked:
        bits.set(INDEX)
    status = {
        "@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/vc/status-list/2021/v1"],
        "id": URL,
        "type": ["VerifiableCredential", "StatusList2021Credential"],
        "issuer": ISSUER,
        "issuanceDate": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "id": f"{URL}#list",
            "type": "StatusList2021",
            "statusPurpose": "revocation",
            "encodedList": bits.encode()[1:],
        },
    }
    token = sign_jwt({"iss": ISSUER, "vc": status}, key=ED, kid=default_verification_method(ED), typ="JWT")
    report = _check(_signed(_credential(_entry(type="StatusList2021Entry"))), {URL: token})
    assert report.verified is not revoked, report.text()
    assert not bits.encode()[1:].startswith("u")
    wrong = {**status, "type": ["VerifiableCredential", "BitstringStatusListCredential"]}
    token = sign_jwt({"iss": ISSUER, "vc": wrong}, key=ED, kid=default_verification_method(ED), typ="JWT")
    _assert_unconfirmed(
        _check(_signed(_credential(_entry(type="StatusList2021Entry"))), {URL: token}),
        "not a StatusList2021Credential",
    )


# -- the 1EdTech revocation list -----------------------------------------------------------------------------

REVOCATIONS = "https://issuer.example/revocations"
ONE_EDTECH = {"id": REVOCATIONS, "type": "1EdTechRevocationList"}


def _revocations(*ids: str, issuer: str = ISSUER) -> dict[str, Any]:
    return {
        "id": REVOCATIONS,
        "issuer": issuer,
        "revokedCredentials": [
            {"id": "urn:uuid:00000000-0000-4000-8000-000000000000"},
            *({"id": i, "revocationReason": "awarded in error"} for i in ids),
        ],
    }


def test_the_1edtech_revocation_list_revokes_the_credentials_it_names() -> None:
    doc = _signed(_credential(ONE_EDTECH))
    revoked = _check(doc, {REVOCATIONS: _revocations(doc["id"])})
    assert _status(revoked) == [(Outcome.FAIL, "the issuer has revoked this credential: awarded in error", False)]
    assert revoked.verdict == "Not verified"
    fine = _check(doc, {REVOCATIONS: _revocations()})
    assert fine.verified, fine.text()
    assert _status(fine) == [(Outcome.PASS, "not revoked", False)]


def test_a_signed_1edtech_revocation_list_must_verify() -> None:
    doc = _signed(_credential(ONE_EDTECH))
    signed_list = _signed({"@context": ["https://www.w3.org/ns/credentials/v2"], **_revocations(doc["id"])})
    revoked = _check(doc, {REVOCATIONS: signed_list})
    assert "revoked" in _status(revoked)[0][1]
    signed_list["revokedCredentials"] = []
    _assert_unconfirmed(_check(doc, {REVOCATIONS: signed_list}), "does not verify")


@pytest.mark.parametrize(
    ("documents", "changes", "why"),
    [
        ({}, {}, "cannot get the revocation list"),
        ({REVOCATIONS: _revocations(issuer="https://else.example")}, {}, "the list was issued by someone else"),
        ({REVOCATIONS: {"id": REVOCATIONS, "issuer": ISSUER}}, {}, "no revokedCredentials array"),
        ({REVOCATIONS: _revocations()}, {"id": None}, "the credential has no id"),
    ],
)
def test_a_1edtech_revocation_list_that_cannot_answer_is_cannot_confirm(
    documents: dict[str, Any], changes: dict[str, Any], why: str
) -> None:
    doc = _credential(ONE_EDTECH)
    for name, value in changes.items():
        doc.pop(name) if value is None else doc.update({name: value})
    _assert_unconfirmed(_check(_signed(doc), documents), why)


# -- what Cairn cannot read, and the offline caller ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["RevocationList2020Status", "CredentialStatusList2017"])
def test_a_status_type_cairn_cannot_read_is_cannot_confirm(kind: str) -> None:
    entry = {"id": "https://issuer.example/status#1", "type": kind}
    _assert_unconfirmed(_check(_signed(_credential(entry)), {}), "Cairn cannot read the status type")


def test_one_undetermined_entry_among_good_ones_is_enough() -> None:
    entries = [_entry(), _entry("suspension", statusListCredential="https://issuer.example/status/2")]
    report = _check(_signed(_credential(entries)), {URL: _signed(_list(revoked=False))})
    assert report.verdict == UNCONFIRMED
    assert [s[0] for s in _status(report)] == [Outcome.PASS, Outcome.FAIL]
    assert _status(report)[1][1].startswith("cannot confirm it has not been suspended: ")


def test_a_revoked_and_an_undetermined_status_is_not_verified() -> None:
    entries = [_entry(), _entry("suspension", statusListCredential="https://issuer.example/status/2")]
    report = _check(_signed(_credential(entries)), {URL: _signed(_list(revoked=True))})
    assert report.verdict == "Not verified"


def test_a_bad_signature_stays_not_verified_whatever_the_status() -> None:
    doc = _signed(_credential(_entry()))
    doc["credentialSubject"]["name"] = "Someone else"
    report = _check(doc, {})
    assert report.outcome_of("proof") is Outcome.FAIL
    assert report.verdict == "Not verified"


def test_without_a_fetcher_the_status_is_not_checked_and_says_so() -> None:
    report = verify(_signed(_credential(_entry())), now=NOW)
    assert _status(report) == [
        (Outcome.WARNING, f"not checked: the status list {URL} was not fetched (offline)", False)
    ]
    assert report.verified
    assert report.verdict == "Verified with warnings"


def test_a_fetcher_that_is_offline_by_choice_says_not_checked() -> None:
    class Offline:
        def fetch(self, url: str) -> Response:
            raise OfflineError(f"fetching {url} is not allowed here (no outbound fetches)")

    report = verify(_signed(_credential(_entry())), now=NOW, fetcher=Offline())
    assert _status(report)[0][0] is Outcome.WARNING
    assert report.verdict == "Verified with warnings"


def test_a_presentation_of_a_credential_whose_status_is_unknown_is_cannot_confirm() -> None:
    from cairn.vc.presentations import create_presentation

    vp = create_presentation(
        [_signed(_credential(_entry()))],
        holder=ISSUER,
        key=ED,
        verification_method=default_verification_method(ED),
        challenge="c-1",
        domain="verifier.example",
        created="2026-11-22T11:00:00Z",
    )
    report = verify(vp, now=NOW, fetcher=DictFetcher({}), challenge="c-1", domain="verifier.example")
    assert report.credentials[0].verdict == UNCONFIRMED
    assert report.verdict == UNCONFIRMED


def test_the_phrased_reasons_keep_their_parts_for_translation() -> None:
    report = _check(_signed(_credential(_entry())), {})
    [stored] = [c for c in report.to_dict()["checks"] if c["check"] == "status"]
    assert stored["undetermined"] is True
    assert stored["said"]["msgid"] == "cannot confirm it has not been revoked: %(why)s"
    copy.deepcopy(stored)


def test_a_list_that_breaks_the_reader_is_a_failing_check(monkeypatch: pytest.MonkeyPatch) -> None:
    import cairn.vc.status_check as status_check

    def explode(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError

    monkeypatch.setattr(status_check, "check_status", explode)
    report = _check(_signed(_credential(_entry())), {URL: _signed(_list(revoked=False))})
    _assert_unconfirmed(report, "the status list could not be processed (ZeroDivisionError)")


def test_a_clr_whose_inner_credential_status_is_unknown_is_cannot_confirm() -> None:
    inner = _signed(_credential(_entry()))
    clr = _credential(type=["VerifiableCredential", "ClrCredential"])
    clr["credentialSubject"] = {"id": "did:example:learner", "verifiableCredential": [inner]}
    report = _check(_signed(clr), {})
    assert report.credentials[0].verdict == UNCONFIRMED
    [nested] = [c for c in report.checks if c.name == "nested"]
    assert (nested.outcome, nested.undetermined) == (Outcome.FAIL, True)
    assert report.verdict == UNCONFIRMED
    revoked = _check(_signed(clr), {URL: _signed(_list(revoked=True))})
    assert revoked.verdict == "Not verified"


# -- lists remembered as verified ------------------------------------------------------------------------------

WEB = "did:web:lists.example"
WEB_KEY = KeyPair.from_secret(KeyType.ED25519, bytes(range(9, 41)))
WEB_DOC_URL = "https://lists.example/.well-known/did.json"
WEB_URL = "https://lists.example/status/1"


def _web_document(*keys: KeyPair) -> dict[str, Any]:
    methods = [VerificationMethod.multikey(WEB, k.public, fragment=f"key-{i}") for i, k in enumerate(keys, 1)]
    return did_web_document(WEB, methods)


def _web_signed(doc: dict[str, Any], key: KeyPair = WEB_KEY, fragment: str = "key-1") -> Any:
    return issue(doc, key=key, suite="eddsa-rdfc-2022", verification_method=f"{WEB}#{fragment}", created=NOW)


def _web_list(*, revoked: bool) -> Any:
    bits = BitstringStatusList()
    if revoked:
        bits.set(INDEX)
    unsigned = status_list_credential(
        url=WEB_URL, issuer=WEB, purpose="revocation", status_list=bits, valid_from="2026-01-01T00:00:00Z"
    )
    return _web_signed(unsigned)


def _web_credential() -> Any:
    return _web_signed(_credential({**StatusEntry(WEB_URL, INDEX, "revocation").to_dict()}, issuer=WEB))


def _list_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the documents whose proofs are checked from now on (credentials and status lists)."""
    checked: list[str] = []
    real = data_integrity.verify_proofs

    def counting(document: Any, **kwargs: Any) -> Any:
        checked.append(str(document.get("id")))
        return real(document, **kwargs)

    monkeypatch.setattr(data_integrity, "verify_proofs", counting)
    return checked


def test_a_list_whose_proof_verified_is_not_checked_again_while_its_bytes_and_keys_are_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    status_check._SIGNED_LISTS.clear()
    fetcher = DictFetcher({WEB_DOC_URL: _web_document(WEB_KEY), WEB_URL: _web_list(revoked=False)})
    checked = _list_checks(monkeypatch)
    first = verify(_web_credential(), now=NOW, fetcher=fetcher)
    assert first.verified, first.text()
    assert checked.count(WEB_URL + "#list") + checked.count(WEB_URL) == 1
    checked.clear()
    again = verify(_web_credential(), now=NOW, fetcher=fetcher)
    assert again.verified
    assert _status(again) == _status(first)
    assert WEB_URL not in checked, checked
    assert WEB_URL + "#list" not in checked, checked
    # the issuer revokes: the list's bytes change, the new list is checked and read
    fetcher.documents[WEB_URL] = _web_list(revoked=True)
    revoked = verify(_web_credential(), now=NOW, fetcher=fetcher)
    assert not revoked.verified
    assert _status(revoked)[0][1] == "the issuer has revoked this credential"


def test_a_remembered_list_is_refused_once_its_key_leaves_the_issuers_did_document() -> None:
    status_check._SIGNED_LISTS.clear()
    other = KeyPair.from_secret(KeyType.ED25519, bytes(range(13, 45)))
    listed = _web_list(revoked=False)
    fetcher = DictFetcher({WEB_DOC_URL: _web_document(WEB_KEY), WEB_URL: listed})
    assert verify(_web_credential(), now=NOW, fetcher=fetcher).verified
    assert len(status_check._SIGNED_LISTS) == 1
    # the same bytes, but key-1 now names another key: the list (and the credential) no longer verify
    fetcher.documents[WEB_DOC_URL] = _web_document(other)
    report = verify(_web_credential(), now=NOW, fetcher=fetcher)
    assert not report.verified
    [(outcome, reason, undetermined)] = _status(report)
    assert outcome is Outcome.FAIL
    assert undetermined
    assert "the status list credential does not verify" in reason


def test_a_remembered_list_is_not_taken_for_a_forged_one() -> None:
    status_check._SIGNED_LISTS.clear()
    fetcher = DictFetcher({WEB_DOC_URL: _web_document(WEB_KEY), WEB_URL: _web_list(revoked=True)})
    assert not verify(_web_credential(), now=NOW, fetcher=fetcher).verified  # revoked, remembered
    forged = _web_list(revoked=True)
    forged["credentialSubject"]["encodedList"] = BitstringStatusList().encode()  # "nobody was revoked"
    fetcher.documents[WEB_URL] = forged
    _assert_unconfirmed(verify(_web_credential(), now=NOW, fetcher=fetcher), "does not verify")
