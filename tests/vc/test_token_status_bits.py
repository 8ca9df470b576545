"""Two-bit IETF Token Status Lists: the draft's own example lists (draft-ietf-oauth-status-list, "Status List"),
revocation and suspension packed into one list, and Cairn's SD-JWT VC verifier reading SUSPENDED as suspended."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

import pytest

from cairn.errors import CredentialError
from cairn.vc.fetch import DictFetcher
from cairn.vc.intake import verify_any
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.multibase import b64url_decode, b64url_encode
from cairn.vc.report import Outcome
from cairn.vc.sdjwt import issue_sd_jwt
from cairn.vc.status import BitstringStatusList
from cairn.vc.token_status import (
    INVALID,
    SUSPENDED,
    VALID,
    pack_statuses,
    revocation_and_suspension,
    sign_status_list_token,
    status_at,
    verify_status_list_token,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
ISSUER = KeyPair.generate(KeyType.P256)
DID = f"did:key:{ISSUER.public.multibase}"
KID = f"{DID}#{ISSUER.public.multibase}"
URI = "https://issuer.example/status/combined/1/token"


def test_the_drafts_one_bit_example() -> None:
    # 16 entries: 1 0 0 1 1 1 0 1 1 1 0 0 0 1 0 1 -> [0xB9, 0xA3] -> "eNrbuRgAAhcBXQ"
    statuses = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
    packed = pack_statuses(dict(enumerate(statuses)), length=16, bits=1)
    assert packed == bytes([0xB9, 0xA3]) == zlib.decompress(b64url_decode("eNrbuRgAAhcBXQ"))
    assert b64url_encode(zlib.compress(packed, 9)) == "eNrbuRgAAhcBXQ"


def test_the_drafts_two_bit_example() -> None:
    # 12 entries of two bits: 1 2 0 3 0 1 0 1 1 2 3 3 -> [0xC9, 0x44, 0xF9] -> "eNo76fITAAPfAgc"
    statuses = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]
    packed = pack_statuses(dict(enumerate(statuses)), length=12, bits=2)
    assert packed == bytes([0xC9, 0x44, 0xF9]) == zlib.decompress(b64url_decode("eNo76fITAAPfAgc"))
    assert b64url_encode(zlib.compress(packed, 9)) == "eNo76fITAAPfAgc"
    token = sign_status_list_token(packed, uri=URI, issuer=DID, key=ISSUER, kid=KID, iat=NOW, ttl=300, bits=2)
    read = verify_status_list_token(token, uri=URI, resolve_key=lambda _: ISSUER.public, now=NOW)
    assert read.bits == 2
    assert [status_at(read, i) for i in range(12)] == statuses
    with pytest.raises(CredentialError):
        status_at(read, 12)


def test_pack_refuses_what_does_not_fit() -> None:
    with pytest.raises(CredentialError):
        pack_statuses({0: 4}, length=8, bits=2)
    with pytest.raises(CredentialError):
        pack_statuses({8: 1}, length=8, bits=2)
    with pytest.raises(CredentialError):
        pack_statuses({}, length=8, bits=3)


def test_revocation_wins_over_suspension() -> None:
    revocation = BitstringStatusList.from_bytes(bytes(8))
    revocation.set(5)
    revocation.set(63)
    lst = revocation_and_suspension(revocation.to_bytes(), [5, 9, 1000])  # 1000: not in this list
    assert len(lst) == 16  # 64 entries, four a byte
    token = sign_status_list_token(lst, uri=URI, issuer=DID, key=ISSUER, kid=KID, iat=NOW, ttl=300, bits=2)
    read = verify_status_list_token(token, uri=URI, resolve_key=lambda _: ISSUER.public, now=NOW)
    values = {i: status_at(read, i) for i in range(64)}
    assert values[5] == values[63] == INVALID
    assert values[9] == SUSPENDED
    assert {i for i, v in values.items() if v != VALID} == {5, 9, 63}


def _report(value: int) -> tuple[Outcome | None, str]:
    credential = issue_sd_jwt(
        {
            "iss": DID,
            "iat": int(NOW.timestamp()) - 60,
            "vct": "urn:eu.europa.ec.eudi:learning:credential:1",
            "status": {"status_list": {"idx": 6, "uri": URI}},
            "achievement_title": "Data analysis",
        },
        key=ISSUER,
        kid=KID,
    )
    lst = pack_statuses({6: value, 7: INVALID}, length=64, bits=2)
    token = sign_status_list_token(lst, uri=URI, issuer=DID, key=ISSUER, kid=KID, iat=NOW, ttl=300, bits=2)
    report = verify_any(credential, now=NOW, fetcher=DictFetcher({URI: token}))
    statuses = " / ".join(str(c.reason) for c in report.checks if c.name == "status")
    return report.outcome_of("status"), statuses


@pytest.mark.parametrize(
    ("value", "outcome", "said"),
    [
        (VALID, Outcome.PASS, "not revoked / not suspended"),
        (INVALID, Outcome.FAIL, "the issuer has revoked this credential"),
        (SUSPENDED, Outcome.FAIL, "the issuer has suspended this credential"),
        (3, Outcome.WARNING, "the issuer's status is 0x3"),
    ],
)
def test_the_verifier_reads_a_two_bit_list(value: int, outcome: Outcome, said: str) -> None:
    assert _report(value) == (outcome, said)
