"""Multibase (base58btc, base64url) and multicodec varints: round trips and hostile input."""

from __future__ import annotations

import base64
import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairn.errors import KeyFormatError
from cairn.vc import multibase
from cairn.vc.multibase import (
    add_multicodec,
    b64url_decode,
    b64url_encode,
    decode,
    decode_varint,
    encode,
    encode_varint,
    split_multicodec,
)


@given(st.binary(max_size=300))
def test_base58btc_round_trip(data: bytes) -> None:
    text = encode(data)
    assert text.startswith("z")
    assert decode(text) == ("z", data)


@given(st.binary(max_size=3000))
def test_base64url_round_trip_matches_the_standard_library(data: bytes) -> None:
    text = encode(data, "u")
    assert text == "u" + base64.urlsafe_b64encode(data).decode().rstrip("=")
    assert decode(text) == ("u", data)
    assert b64url_decode(b64url_encode(data)) == data


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_varint_round_trip(value: int) -> None:
    data = encode_varint(value) + b"rest"
    assert decode_varint(data) == (value, len(data) - 4)


def test_multicodec_prefixes_are_the_published_varint_bytes() -> None:
    assert encode_varint(multibase.ED25519_PUB) == bytes.fromhex("ed01")
    assert encode_varint(multibase.ED25519_PRIV) == bytes.fromhex("8026")
    assert encode_varint(multibase.P256_PUB) == bytes.fromhex("8024")
    assert encode_varint(multibase.P256_PRIV) == bytes.fromhex("8626")
    assert split_multicodec(add_multicodec(multibase.P256_PUB, b"\x02" * 33)) == (0x1200, b"\x02" * 33)


def test_ed25519_multikey_from_the_w3c_vector_starts_with_ed01() -> None:
    _, data = decode("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
    assert split_multicodec(data)[0] == multibase.ED25519_PUB
    assert len(data) == 34


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("z0OIl", "alphabet"),
        ("z6Mk rJV", "alphabet"),
        ("f00ff", "unsupported multibase prefix"),
        ("uAA==", "padding"),
        ("uAB+/", "padding"),
        ("uA", "impossible length"),
        ("uAB", "trailing bits"),
        ("uAAB", "trailing bits"),
        ("uA\nA", "outside"),
        ("uÀÀ", "non-ASCII"),
    ],
)
def test_bad_multibase_text_is_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(KeyFormatError, match=reason):
        decode(text)


def test_decode_enforces_the_expected_prefix_and_length() -> None:
    with pytest.raises(KeyFormatError, match="must start with 'z'"):
        decode("uAA", expect="z")
    with pytest.raises(KeyFormatError, match="too long"):
        decode("z" + "2" * 100, max_length=50)


def test_overlong_base58_is_refused_before_quadratic_decoding() -> None:
    with pytest.raises(KeyFormatError, match="too long"):
        decode("z" + "2" * (multibase.MAX_BASE58_CHARS + 1))


def test_non_strings_are_refused() -> None:
    with pytest.raises(KeyFormatError):
        decode(b"z6Mk")  # type: ignore[arg-type]
    with pytest.raises(KeyFormatError):
        b64url_decode(123)  # type: ignore[arg-type]
    with pytest.raises(KeyFormatError, match="outside"):
        b64url_decode(b"\xff\xfe")


def test_unknown_encoding_for_encode_is_refused() -> None:
    with pytest.raises(KeyFormatError, match="unsupported"):
        encode(b"x", "f")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "truncated"),
        (b"\x80", "truncated"),
        (b"\xed", "truncated"),
        (b"\x80\x00", "minimally"),
        (b"\xff" * 9, "longer than 9"),
        (b"\xff" * 20, "longer than 9"),
    ],
)
def test_bad_varints_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(KeyFormatError, match=reason):
        decode_varint(data)


def test_varint_out_of_range_is_refused() -> None:
    with pytest.raises(KeyFormatError):
        encode_varint(-1)
    with pytest.raises(KeyFormatError):
        encode_varint(2**63)


@given(st.text(max_size=80))
def test_decoders_raise_only_key_format_error_on_any_text(text: str) -> None:
    for candidate in (text, "z" + text, "u" + text):
        with contextlib.suppress(KeyFormatError):
            decode(candidate)


@given(st.binary(max_size=20))
def test_varint_decoder_raises_only_key_format_error(data: bytes) -> None:
    try:
        value, used = decode_varint(data)
    except KeyFormatError:
        return
    assert encode_varint(value) == data[:used]
