"""IETF Token Status List (draft-ietf-oauth-status-list): the Status List Token and a referenced token's status.

A Status List Token is a JWT (``typ: statuslist+jwt``) whose payload holds ``sub`` (the list's own URI), ``iat``,
``exp``, ``ttl`` and ``status_list: {"bits": 1|2|4|8, "lst": base64url(zlib(bytes))}``. Entry ``i`` of a
one-bit list is bit ``i % 8`` of byte ``i // 8`` counting from the least significant bit, the opposite of W3C
Bitstring Status List (most significant first): :func:`from_bitstring` turns the one into the other, so one
status list of Cairn's serves both. A referenced token names its entry as ``status: {"status_list": {"idx": n,
"uri": ...}}``; status values are 0 VALID, 1 INVALID, 2 SUSPENDED (3 and above: application-specific).
A two-bit list holds four entries a byte, again from the least significant bits up (:func:`pack_statuses`);
:func:`revocation_and_suspension` makes one from a revocation bitstring and the suspended indexes.

Pure: signing keys, the clock and fetching are the caller's. Decoding is bounded against decompression bombs.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from cairn.errors import CredentialError
from cairn.vc.keys import KeyPair
from cairn.vc.multibase import b64url_decode, b64url_encode
from cairn.vc.proofs.jose import KeyResolver, sign_jwt, verify_jwt

__all__ = [
    "MEDIA_TYPE",
    "STATUS_NAMES",
    "TYP",
    "TokenStatus",
    "from_bitstring",
    "pack_statuses",
    "read_reference",
    "revocation_and_suspension",
    "sign_status_list_token",
    "status_at",
    "verify_status_list_token",
]

TYP: Final = "statuslist+jwt"
MEDIA_TYPE: Final = "application/statuslist+jwt"
STATUS_NAMES: Final = {0: "VALID", 1: "INVALID", 2: "SUSPENDED"}
VALID: Final = 0
INVALID: Final = 1
SUSPENDED: Final = 2
MAX_DECODED_BYTES: Final = 16 * 1024 * 1024
_BITS: Final = (1, 2, 4, 8)
_REVERSED: Final = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))
"""Each byte with its bits in the opposite order: MSB-first bitstrings become LSB-first ones and back."""


def from_bitstring(bits: bytes) -> bytes:
    """A W3C Bitstring Status List (one bit an entry, most significant bit first) as a one-bit Token Status List
    byte array (least significant bit first): the same entries, the same indexes."""
    return bytes(bits).translate(_REVERSED)


def pack_statuses(values: Mapping[int, int], *, length: int, bits: int) -> bytes:
    """A Token Status List byte array of ``length`` entries of ``bits`` bits each (entry ``i`` in bits
    ``(i % (8 // bits)) * bits`` and up of byte ``i // (8 // bits)``), holding ``values`` (the rest VALID)."""
    if bits not in _BITS:
        raise CredentialError("bits must be 1, 2, 4 or 8")
    per_byte = 8 // bits
    out = bytearray(-(-length // per_byte))
    for idx, value in values.items():
        if not 0 <= idx < length or not 0 <= value < 1 << bits:
            raise CredentialError(f"no entry {idx} of value {value} fits a {bits}-bit list of {length}")
        out[idx // per_byte] |= value << ((idx % per_byte) * bits)
    return bytes(out)


def revocation_and_suspension(revocation: bytes, suspended: Iterable[int]) -> bytes:
    """A two-bit Token Status List over the entries of a W3C revocation bitstring (most significant bit first):
    INVALID where its bit is set, SUSPENDED at the ``suspended`` indexes that are not revoked, VALID elsewhere."""
    values: dict[int, int] = {}
    for number, byte in enumerate(revocation):
        if byte:
            values.update((number * 8 + bit, INVALID) for bit in range(8) if byte & (0x80 >> bit))
    length = len(revocation) * 8
    for idx in suspended:
        if 0 <= idx < length:
            values.setdefault(idx, SUSPENDED)
    return pack_statuses(values, length=length, bits=2)


def sign_status_list_token(
    lst: bytes,
    *,
    uri: str,
    issuer: str | None,
    key: KeyPair,
    kid: str | None,
    iat: datetime,
    ttl: int,
    exp: datetime | None = None,
    bits: int = 1,
) -> str:
    """The signed Status List Token of ``lst`` (already in Token Status List order), for ``uri``."""
    if bits not in _BITS:
        raise CredentialError("bits must be 1, 2, 4 or 8")
    payload: dict[str, Any] = {"sub": uri, "iat": int(iat.timestamp())}
    if issuer is not None:
        payload["iss"] = issuer
    if exp is not None:
        payload["exp"] = int(exp.timestamp())
    payload["ttl"] = int(ttl)
    payload["status_list"] = {"bits": bits, "lst": b64url_encode(zlib.compress(bytes(lst), 9))}
    return sign_jwt(payload, key=key, kid=kid, typ=TYP)


@dataclass(frozen=True, slots=True)
class TokenStatus:
    """A verified Status List Token: its claims, the decoded byte array and ``bits`` per entry."""

    claims: dict[str, Any]
    header: dict[str, Any]
    lst: bytes
    bits: int


def read_reference(claims: Mapping[str, Any]) -> tuple[int, str] | None:
    """``(idx, uri)`` of a referenced token's ``status.status_list``; None when it has no ``status`` claim.
    Raises :class:`CredentialError` for a malformed one."""
    status = claims.get("status")
    if status is None:
        return None
    entry = status.get("status_list") if isinstance(status, Mapping) else None
    if not isinstance(entry, Mapping):
        raise CredentialError("the status claim has no status_list object")
    idx, uri = entry.get("idx"), entry.get("uri")
    if isinstance(idx, bool) or not isinstance(idx, int) or idx < 0:
        raise CredentialError("status_list.idx is not a non-negative integer")
    if not isinstance(uri, str) or not uri.startswith(("https://", "http://")):
        raise CredentialError("status_list.uri is not an http(s) URI")
    return idx, uri


def verify_status_list_token(
    token: str, *, uri: str, resolve_key: KeyResolver, now: datetime, max_bytes: int = MAX_DECODED_BYTES
) -> TokenStatus:
    """Verify a Status List Token fetched from ``uri``: its signature (``typ: statuslist+jwt``), ``sub`` equal to
    ``uri``, ``exp`` not passed, and its list decodable. Raises :class:`CredentialError` saying what is wrong."""
    result = verify_jwt(token, resolve_key=resolve_key, typ=TYP, now=now)
    if not result.ok or result.payload is None or result.header is None:
        raise CredentialError(f"the Status List Token does not verify: {result.reason}")
    claims = result.payload
    if claims.get("sub") != uri:
        raise CredentialError("the Status List Token's sub is not the URI it was fetched from")
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise CredentialError("the Status List Token has no iat")
    status_list = claims.get("status_list")
    if not isinstance(status_list, Mapping):
        raise CredentialError("the Status List Token has no status_list")
    bits, lst = status_list.get("bits"), status_list.get("lst")
    if bits not in _BITS or isinstance(bits, bool):
        raise CredentialError("status_list.bits is not 1, 2, 4 or 8")
    if not isinstance(lst, str):
        raise CredentialError("status_list.lst is not a string")
    try:
        compressed = b64url_decode(lst, max_length=max_bytes * 2)
        inflater = zlib.decompressobj()
        data = inflater.decompress(compressed, max_bytes)
        if inflater.unconsumed_tail:
            raise CredentialError(f"the status list is larger than {max_bytes:,} bytes")
        if not inflater.eof:
            raise CredentialError("the status list is truncated")
    except zlib.error:
        raise CredentialError("status_list.lst is not zlib-compressed data") from None
    return TokenStatus(claims, result.header, data, int(bits))


def status_at(status: TokenStatus, idx: int) -> int:
    """The status value of entry ``idx``; :class:`CredentialError` when the list has no such entry."""
    per_byte = 8 // status.bits
    byte = idx // per_byte
    if byte >= len(status.lst):
        raise CredentialError(f"the status list has no entry {idx}")
    shift = (idx % per_byte) * status.bits
    return (status.lst[byte] >> shift) & ((1 << status.bits) - 1)
