"""Multibase strings and multicodec prefixes, as Multikey, did:key and Data Integrity use them.

Two multibase encodings are supported: base58btc (prefix ``z``, used for keys and proof values)
and base64url without padding (prefix ``u``, used for status lists). Multicodec prefixes are
unsigned LEB128 varints (``0xed`` ed25519-pub is the two bytes ``ed 01``).

Every decoder raises :class:`~cairn.errors.KeyFormatError` with a reason on bad input, never
another exception type. Decoders are strict: base64url must use the URL-safe alphabet with no
padding and zero trailing bits, varints must be minimal, base58btc has a length bound because its
decoding cost grows with the square of the length.
"""

from __future__ import annotations

import binascii
from typing import Final

import base58

from cairn.errors import KeyFormatError

__all__ = [
    "BASE58BTC",
    "BASE64URL",
    "ED25519_PRIV",
    "ED25519_PUB",
    "MAX_BASE58_CHARS",
    "P256_PRIV",
    "P256_PUB",
    "P384_PRIV",
    "P384_PUB",
    "add_multicodec",
    "b64url_decode",
    "b64url_encode",
    "decode",
    "decode_varint",
    "encode",
    "encode_varint",
    "split_multicodec",
]

BASE58BTC: Final = "z"
"""Multibase prefix of base58btc (Bitcoin alphabet)."""
BASE64URL: Final = "u"
"""Multibase prefix of base64url without padding (RFC 4648 section 5)."""

ED25519_PUB: Final = 0xED
"""Multicodec ed25519-pub: 32-byte public key (varint bytes ``ed 01``)."""
ED25519_PRIV: Final = 0x1300
"""Multicodec ed25519-priv: 32-byte seed (varint bytes ``80 26``)."""
P256_PUB: Final = 0x1200
"""Multicodec p256-pub: 33-byte SEC1 compressed point (varint bytes ``80 24``)."""
P256_PRIV: Final = 0x1306
"""Multicodec p256-priv: 32-byte big-endian private scalar (varint bytes ``86 26``)."""
P384_PUB: Final = 0x1201
"""Multicodec p384-pub: 49-byte SEC1 compressed point (varint bytes ``81 24``)."""
P384_PRIV: Final = 0x1307
"""Multicodec p384-priv: 48-byte big-endian private scalar (varint bytes ``87 26``)."""

MAX_BASE58_CHARS: Final = 4096
"""Longest base58btc text decoded (decoding is quadratic; keys and signatures are < 200)."""
_MAX_VARINT_BYTES: Final = 9

_B64URL_INDEX: Final = {c: i for i, c in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")}
_TO_STD: Final = bytes.maketrans(b"-_", b"+/")
_TO_URL: Final = bytes.maketrans(b"+/", b"-_")
_B58_ALPHABET: Final = frozenset("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")


def b64url_encode(data: bytes) -> str:
    """Encode bytes as base64url without padding."""
    return binascii.b2a_base64(data, newline=False).translate(_TO_URL).rstrip(b"=").decode("ascii")


def b64url_decode(text: str | bytes, *, max_length: int | None = None) -> bytes:
    """Decode strict base64url without padding.

    Rejects padding, characters outside the URL-safe alphabet (whitespace included), impossible
    lengths and non-zero trailing bits (so each byte string has exactly one encoding).
    ``max_length`` bounds the text length. Raises :class:`KeyFormatError`.
    """
    if isinstance(text, str):
        try:
            raw = text.encode("ascii")
        except UnicodeEncodeError:
            raise KeyFormatError("base64url text holds a non-ASCII character") from None
    elif isinstance(text, bytes | bytearray):
        raw = bytes(text)
    else:
        raise KeyFormatError("base64url value is not a string")
    length = len(raw)
    if max_length is not None and length > max_length:
        raise KeyFormatError(f"base64url text is too long ({length} > {max_length} characters)")
    if b"+" in raw or b"/" in raw or b"=" in raw:
        raise KeyFormatError("base64url text holds '+', '/' or padding (standard base64, not base64url)")
    rest = length % 4
    if rest == 1:
        raise KeyFormatError("base64url text has an impossible length")
    if rest and _B64URL_INDEX.get(raw[-1], 0) & (0x0F if rest == 2 else 0x03):
        raise KeyFormatError("base64url text has non-zero trailing bits")
    try:
        return binascii.a2b_base64(raw.translate(_TO_STD) + b"=" * (-length % 4), strict_mode=True)
    except binascii.Error:
        raise KeyFormatError("base64url text holds a character outside A-Z a-z 0-9 - _") from None


def _b58_decode(text: str) -> bytes:
    if len(text) > MAX_BASE58_CHARS:
        raise KeyFormatError(f"base58btc text is too long ({len(text)} > {MAX_BASE58_CHARS} characters)")
    if not _B58_ALPHABET.issuperset(text):
        raise KeyFormatError("base58btc text holds a character outside the Bitcoin alphabet")
    try:
        return bytes(base58.b58decode(text))
    except ValueError as exc:  # pragma: no cover - excluded by the alphabet check
        raise KeyFormatError("base58btc text cannot be decoded") from exc


def encode(data: bytes, base: str = BASE58BTC) -> str:
    """Encode bytes as a multibase string, ``z`` (base58btc, default) or ``u`` (base64url)."""
    if base == BASE58BTC:
        return BASE58BTC + base58.b58encode(data).decode("ascii")
    if base == BASE64URL:
        return BASE64URL + b64url_encode(data)
    raise KeyFormatError(f"unsupported multibase prefix {base!r} (use 'z' or 'u')")


def decode(text: str, *, expect: str | None = None, max_length: int | None = None) -> tuple[str, bytes]:
    """Decode a multibase string into ``(prefix, bytes)``.

    ``expect`` (``"z"`` or ``"u"``) refuses any other encoding; ``max_length`` bounds the text
    length. Raises :class:`KeyFormatError` with the reason.
    """
    if not isinstance(text, str):
        raise KeyFormatError("multibase value is not a string")
    if not text:
        raise KeyFormatError("multibase value is empty")
    if max_length is not None and len(text) > max_length:
        raise KeyFormatError(f"multibase value is too long ({len(text)} > {max_length} characters)")
    prefix, body = text[0], text[1:]
    if expect is not None and prefix != expect:
        raise KeyFormatError(f"multibase value must start with {expect!r}, not {prefix[:1]!r}")
    if prefix == BASE58BTC:
        return prefix, _b58_decode(body)
    if prefix == BASE64URL:
        return prefix, b64url_decode(body)
    raise KeyFormatError(f"unsupported multibase prefix {prefix!r} (supported: 'z', 'u')")


def encode_varint(value: int) -> bytes:
    """Encode a non-negative integer as an unsigned LEB128 varint (multiformats style)."""
    if value < 0 or value >= 1 << (7 * _MAX_VARINT_BYTES):
        raise KeyFormatError("varint value is out of range")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode_varint(data: bytes) -> tuple[int, int]:
    """Decode an unsigned varint at the start of ``data``; returns ``(value, bytes used)``.

    Refuses truncated, over-long (more than 9 bytes) and non-minimal encodings.
    """
    value = 0
    for i, byte in enumerate(data[:_MAX_VARINT_BYTES]):
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if byte == 0 and i > 0:
                raise KeyFormatError("varint is not minimally encoded")
            return value, i + 1
    if len(data) >= _MAX_VARINT_BYTES:
        raise KeyFormatError("varint is longer than 9 bytes")
    raise KeyFormatError("varint is truncated")


def add_multicodec(code: int, data: bytes) -> bytes:
    """Prefix ``data`` with the varint of multicodec ``code``."""
    return encode_varint(code) + data


def split_multicodec(data: bytes) -> tuple[int, bytes]:
    """Split a multicodec-prefixed byte string into ``(code, payload)``."""
    code, used = decode_varint(data)
    return code, data[used:]
