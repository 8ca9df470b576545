"""Bitstring Status List v1.0: bit order, encoding, entries, credentials, checks, allocation."""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cairn.errors import CredentialError, FetchError
from cairn.vc.status import (
    DEFAULT_LENGTH,
    BitstringStatusList,
    StatusEntry,
    StatusListCache,
    StatusMessage,
    StatusState,
    check_status,
    random_free_index,
    status_list_credential,
)

LIST_URL = "https://example.com/credentials/status/3"
ISSUER = "did:web:example.com"
# The example encodedList of the Bitstring Status List v1.0 specification (all 131,072 bits 0).
SPEC_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _u(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_bit_zero_is_the_most_significant_bit_of_byte_zero() -> None:
    bits = BitstringStatusList()
    assert len(bits) == DEFAULT_LENGTH
    assert len(bits.to_bytes()) == 16384
    bits.set(0)
    bits.set(7)
    bits.set(8)
    raw = bits.to_bytes()
    assert raw[:2] == b"\x81\x80"
    assert [bits.get(i) for i in range(10)] == [1, 0, 0, 0, 0, 0, 0, 1, 1, 0]
    bits.clear(7)
    assert bits.to_bytes()[0] == 0x80
    assert bits.set_indexes() == [0, 8]


def test_the_spec_example_decodes_to_an_empty_16kb_list() -> None:
    bits = BitstringStatusList.decode(SPEC_EXAMPLE)
    assert bits.to_bytes() == bytes(16384)
    assert bits.set_indexes() == []


def test_encoding_is_gzip_in_base64url_and_deterministic() -> None:
    bits = BitstringStatusList()
    bits.set(94567)
    encoded = bits.encode()
    assert encoded == bits.encode()
    assert encoded.startswith("uH4sI")
    assert gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "==")) == bits.to_bytes()


@settings(max_examples=40, deadline=None)
@given(st.sets(st.integers(min_value=0, max_value=DEFAULT_LENGTH - 1), max_size=50))
def test_round_trip_of_any_set_of_indexes(indexes: set[int]) -> None:
    bits = BitstringStatusList()
    for index in indexes:
        bits.set(index)
    decoded = BitstringStatusList.decode(bits.encode())
    assert decoded.set_indexes() == sorted(indexes)
    assert all(decoded.get(i) == 1 for i in indexes)


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.integers(min_value=0, max_value=65_535), st.integers(min_value=0, max_value=3), max_size=30))
def test_two_bit_statuses_round_trip(values: dict[int, int]) -> None:
    bits = BitstringStatusList(65_536, status_size=2)
    for index, value in values.items():
        bits.set(index, value)
    decoded = BitstringStatusList.decode(bits.encode(), status_size=2)
    assert all(decoded.get(i) == v for i, v in values.items())
    assert decoded.set_indexes() == sorted(i for i, v in values.items() if v)


def test_multi_bit_entries_are_written_most_significant_bit_first() -> None:
    bits = BitstringStatusList(65_536, status_size=2)
    bits.set(1, 2)  # bits 2 and 3 -> 10
    bits.set(3, 3)  # bits 6 and 7 -> 11
    assert bits.to_bytes()[0] == 0b0010_0011
    with pytest.raises(ValueError, match="from 0 to 3"):
        bits.set(0, 4)


def test_list_size_and_index_limits() -> None:
    with pytest.raises(CredentialError, match="131072 bits"):
        BitstringStatusList(1000)
    with pytest.raises(CredentialError, match="statusSize"):
        BitstringStatusList(status_size=0)
    with pytest.raises(CredentialError, match="statusSize"):
        BitstringStatusList(status_size=9)
    bits = BitstringStatusList()
    for index in (-1, DEFAULT_LENGTH, True):
        with pytest.raises(IndexError):
            bits.get(index)
    with pytest.raises(ValueError, match="from 0 to 1"):
        bits.set(0, 2)


@pytest.mark.parametrize(
    ("encoded", "reason"),
    [
        ("zH4sI", "base64url"),
        ("u!!!!", "base64url"),
        ("", "base64url"),
        (_u(b"plain bytes"), "not valid GZIP"),
        (_u(zlib.compress(bytes(16384))), "not valid GZIP"),
        (_u(gzip.compress(bytes(16384), mtime=0)[:-12]), "truncated"),
        (_u(gzip.compress(bytes(16384), mtime=0) + b"extra"), "after the GZIP"),
        (_u(gzip.compress(bytes(16384), mtime=0) * 2), "after the GZIP"),
    ],
)
def test_malformed_encoded_lists_are_refused(encoded: str, reason: str) -> None:
    with pytest.raises(CredentialError, match=reason):
        BitstringStatusList.decode(encoded)


def test_decompression_bombs_stop_at_the_limit() -> None:
    bomb = _u(gzip.compress(bytes(20 * 1024 * 1024), mtime=0))
    assert len(bomb) < 30_000
    with pytest.raises(CredentialError, match="expands past"):
        BitstringStatusList.decode(bomb)
    with pytest.raises(CredentialError, match="expands past 1000"):
        BitstringStatusList.decode(BitstringStatusList().encode(), max_bytes=1000)
    with pytest.raises(CredentialError, match="not a string"):
        BitstringStatusList.decode(["u"])  # type: ignore[arg-type]


def test_entry_round_trip_and_json_form() -> None:
    entry = StatusEntry(LIST_URL, 94567, "revocation")
    assert entry.to_dict() == {
        "id": f"{LIST_URL}#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": LIST_URL,
    }
    assert StatusEntry.from_dict(entry.to_dict()) == StatusEntry(LIST_URL, 94567, "revocation", f"{LIST_URL}#94567")
    messages = (
        StatusMessage(0, "pending"),
        StatusMessage(1, "accepted"),
        StatusMessage(2, "rejected"),
        StatusMessage(3, "undefined"),
    )
    message_entry = StatusEntry(LIST_URL, 7, "message", status_size=2, messages=messages, reference=("https://x/1",))
    data = message_entry.to_dict()
    assert data["statusSize"] == 2
    assert data["statusMessage"][2] == {"status": "0x2", "message": "rejected"}
    assert data["statusReference"] == ["https://x/1"]
    assert StatusEntry.from_dict(data).messages == messages


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"type": "RevocationList2020Status"}, "not a BitstringStatusListEntry"),
        ({"statusListIndex": "-1"}, "statusListIndex"),
        ({"statusListIndex": "1.5"}, "statusListIndex"),
        ({"statusListIndex": "１２"}, "statusListIndex"),
        ({"statusListIndex": "9" * 40}, "statusListIndex"),
        ({"statusListIndex": True}, "statusListIndex"),
        ({"statusListIndex": None}, "statusListIndex"),
        ({"statusListCredential": 5}, "statusListCredential"),
        ({"statusPurpose": ["revocation"]}, "statusPurpose"),
        ({"statusPurpose": "deletion"}, "statusPurpose"),
        ({"statusSize": 2}, "statusMessage is required"),
        ({"statusSize": "1"}, "statusSize"),
        ({"statusMessage": "x"}, "must be an array"),
        ({"statusMessage": [{"status": "0x0"}]}, "needs a status and a message"),
        ({"statusMessage": [{"status": "zz", "message": "m"}]}, "hex"),
        ({"statusMessage": [{"status": "0x0", "message": "m"}]}, "one message for each"),
    ],
)
def test_malformed_entries_are_refused(changes: dict[str, Any], reason: str) -> None:
    data = {**StatusEntry(LIST_URL, 3, "revocation").to_dict(), **changes}
    with pytest.raises(CredentialError, match=reason):
        StatusEntry.from_dict(data)
    result = check_status(data, fetch_list=lambda url: {})
    assert result.state is StatusState.ERROR
    assert result.code == "MALFORMED_VALUE_ERROR"


def _list_credential(bits: BitstringStatusList | None = None, **changes: Any) -> dict[str, Any]:
    credential = status_list_credential(
        url=LIST_URL,
        issuer=ISSUER,
        purpose="revocation",
        status_list=bits or BitstringStatusList(),
        valid_from=datetime(2024, 1, 1, tzinfo=UTC),
        valid_until="2026-01-01T00:00:00Z",
    )
    credential.update(changes)
    return credential


def test_status_list_credential_has_the_spec_shape() -> None:
    credential = status_list_credential(
        url=LIST_URL,
        issuer=ISSUER,
        purpose=["revocation", "suspension"],
        status_list=BitstringStatusList(),
        ttl_ms=300_000,
    )
    assert credential == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": ISSUER,
        "credentialSubject": {
            "id": f"{LIST_URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": ["revocation", "suspension"],
            "encodedList": BitstringStatusList().encode(),
            "ttl": 300_000,
        },
    }
    assert _list_credential()["validFrom"] == "2024-01-01T00:00:00Z"
    with pytest.raises(CredentialError, match="statusPurpose"):
        status_list_credential(url=LIST_URL, issuer=ISSUER, purpose="deletion", status_list=BitstringStatusList())
    with pytest.raises(CredentialError, match="timezone"):
        status_list_credential(
            url=LIST_URL,
            issuer={"id": ISSUER},
            purpose="revocation",
            status_list=BitstringStatusList(),
            valid_from=datetime(2024, 1, 1),
        )


def test_check_status_reports_set_and_not_set() -> None:
    bits = BitstringStatusList()
    bits.set(3)
    lists = {LIST_URL: _list_credential(bits)}
    revoked = check_status(StatusEntry(LIST_URL, 3, "revocation"), fetch_list=lists.__getitem__, now=NOW)
    assert revoked.state is StatusState.SET
    assert revoked.is_set
    assert (revoked.purpose, revoked.value, revoked.reason) == ("revocation", 1, None)
    fine = check_status(StatusEntry(LIST_URL, 4, "revocation").to_dict(), fetch_list=lists.__getitem__)
    assert fine.state is StatusState.NOT_SET
    assert not fine.is_set


def test_check_status_with_messages() -> None:
    bits = BitstringStatusList(65_536, status_size=2)
    bits.set(10, 2)
    credential = _list_credential(bits)
    credential["credentialSubject"]["statusPurpose"] = "message"
    messages = tuple(StatusMessage(i, m) for i, m in enumerate(["pending", "accepted", "rejected", "undefined"]))
    entry = StatusEntry(LIST_URL, 10, "message", status_size=2, messages=messages)
    result = check_status(entry, fetch_list=lambda url: credential)
    assert (result.state, result.value, result.message) == (StatusState.SET, 2, "rejected")


def test_the_1edtech_revoked_credential(test_data: Path) -> None:
    folder = test_data / "ob3/digital-credentials-public-validator/inspector-vc/src/test/resources/ob30/bit-string-list"
    credential = json.loads((folder / "credential-status-revoked.json").read_text())
    status_list = json.loads((folder / "testlist").read_text())
    entry = credential["credentialStatus"]
    result = check_status(
        entry,
        fetch_list=lambda url: status_list,
        expected_issuer=credential["issuer"]["id"],
        now=datetime(2025, 6, 1, tzinfo=UTC),
    )
    assert result.state is StatusState.SET
    assert BitstringStatusList.decode(status_list["credentialSubject"]["encodedList"]).set_indexes() == [23]


def _failing(url: str) -> dict[str, Any]:
    raise FetchError("connection refused")


@pytest.mark.parametrize(
    ("fetch_list", "options", "code", "reason"),
    [
        (_failing, {}, "STATUS_RETRIEVAL_ERROR", "connection refused"),
        (
            lambda url: _list_credential(type=["VerifiableCredential"]),
            {},
            "STATUS_VERIFICATION_ERROR",
            "not a Bitstring",
        ),
        (lambda url: [], {}, "STATUS_VERIFICATION_ERROR", "not a Bitstring"),
        (
            lambda url: _list_credential(credentialSubject={"type": "StatusList2021"}),
            {},
            "STATUS_VERIFICATION_ERROR",
            "subject",
        ),
        (
            lambda url: status_list_credential(
                url=url, issuer=ISSUER, purpose="suspension", status_list=BitstringStatusList()
            ),
            {},
            "STATUS_VERIFICATION_ERROR",
            "not for 'revocation'",
        ),
        (
            lambda url: _list_credential(),
            {"expected_issuer": "did:web:other.example"},
            "STATUS_VERIFICATION_ERROR",
            "someone else",
        ),
        (
            lambda url: _list_credential(),
            {"now": datetime(2027, 1, 1, tzinfo=UTC)},
            "STATUS_VERIFICATION_ERROR",
            "expired",
        ),
        (
            lambda url: _list_credential(),
            {"now": datetime(2023, 1, 1, tzinfo=UTC)},
            "STATUS_VERIFICATION_ERROR",
            "not valid yet",
        ),
        (lambda url: _list_credential(validUntil="soon"), {"now": NOW}, "STATUS_VERIFICATION_ERROR", "validUntil"),
        (lambda url: _list_credential(), {"now": datetime(2025, 1, 1)}, "STATUS_VERIFICATION_ERROR", "timezone"),
        (
            lambda url: {
                **_list_credential(),
                "credentialSubject": {"type": "BitstringStatusList", "statusPurpose": "revocation"},
            },
            {},
            "MALFORMED_VALUE_ERROR",
            "no encodedList",
        ),
        (
            lambda url: {
                **_list_credential(),
                "credentialSubject": {
                    "type": "BitstringStatusList",
                    "statusPurpose": "revocation",
                    "encodedList": "uAAAA",
                },
            },
            {},
            "MALFORMED_VALUE_ERROR",
            "GZIP",
        ),
        (
            lambda url: {
                **_list_credential(),
                "credentialSubject": {
                    "type": "BitstringStatusList",
                    "statusPurpose": "revocation",
                    "encodedList": _u(gzip.compress(bytes(1024))),
                },
            },
            {},
            "STATUS_LIST_LENGTH_ERROR",
            "shorter than 16 KB",
        ),
    ],
)
def test_check_status_errors_are_results(fetch_list: Any, options: dict[str, Any], code: str, reason: str) -> None:
    result = check_status(StatusEntry(LIST_URL, 3, "revocation"), fetch_list=fetch_list, **options)
    assert result.state is StatusState.ERROR
    assert result.code == code
    assert reason in (result.reason or ""), result.reason


def test_index_outside_the_list_is_a_range_error() -> None:
    result = check_status(
        StatusEntry(LIST_URL, DEFAULT_LENGTH, "revocation"), fetch_list=lambda url: _list_credential()
    )
    assert (result.state, result.code) == (StatusState.ERROR, "RANGE_ERROR")


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_status_list_cache_keeps_lists_for_the_ttl() -> None:
    calls: list[str] = []

    def fetch_list(url: str) -> dict[str, Any]:
        calls.append(url)
        if url.endswith("missing"):
            raise FetchError("gone")
        return _list_credential()

    clock = _Clock()
    cache = StatusListCache(fetch_list, ttl=60, max_entries=2, monotonic=clock)
    for _ in range(3):
        assert check_status(StatusEntry(LIST_URL, 1, "revocation"), fetch_list=cache).state is StatusState.NOT_SET
    assert calls == [LIST_URL]
    clock.now = 61
    cache(LIST_URL)
    assert len(calls) == 2
    for url in ("https://a/1", "https://a/2", LIST_URL):
        cache(url)
    assert calls.count(LIST_URL) == 3  # evicted by the bound of 2
    for _ in range(2):
        assert (
            check_status(StatusEntry("https://a/missing", 1, "revocation"), fetch_list=cache).code
            == "STATUS_RETRIEVAL_ERROR"
        )
    assert calls.count("https://a/missing") == 2
    with pytest.raises(ValueError, match="max_entries"):
        StatusListCache(fetch_list, max_entries=0)


def test_random_free_index_draws_only_free_indexes() -> None:
    taken = set(range(0, DEFAULT_LENGTH, 2))
    for _ in range(50):
        index = random_free_index(taken)
        assert index is not None
        assert index % 2 == 1
    assert random_free_index(set(range(9)), length=10) == 9
    assert random_free_index(set(range(10)), length=10) is None
    seen = {random_free_index(set(), length=4) for _ in range(200)}
    assert seen == {0, 1, 2, 3}


def test_a_decoded_list_is_kept_but_never_shared_for_writing() -> None:
    """The same encodedList decodes once (kept), yet each decode is its own list: setting a bit in one changes
    neither the kept bytes nor a later decode; another encodedList is decoded afresh, and a bad one still fails."""
    first = BitstringStatusList.decode(SPEC_EXAMPLE)
    first.set(5)
    again = BitstringStatusList.decode(SPEC_EXAMPLE)
    assert (first.get(5), again.get(5)) == (1, 0)
    changed = BitstringStatusList.decode(first.encode())
    assert changed.get(5) == 1
    assert BitstringStatusList.decode(SPEC_EXAMPLE).get(5) == 0
    for _ in range(2):
        with pytest.raises(CredentialError, match="GZIP"):
            BitstringStatusList.decode(_u(b"not gzip at all"))
