"""CBOR (RFC 8949) as ecdsa-sd-2023 proof values use it, through the cbor2 library.

A proof value holds unsigned integers, byte strings, text strings, arrays and maps with integer keys; the
specification forbids tags. :func:`cbor_encode` writes maps in key order (the deterministic encoding the
specification's vectors use); :func:`cbor_decode` reads one value that uses nothing else, no deeper than a proof
value goes, in the preferred serialisation, with no bytes after it, and raises
:class:`~cairn.errors.CredentialError` for anything else (the library reads any CBOR: these checks make it strict).
"""

from __future__ import annotations

import io
from typing import Any, Final

import cbor2

from cairn.errors import CredentialError

__all__ = ["cbor_decode", "cbor_encode"]

MAX_DEPTH: Final = 4
"""A proof value is an array of arrays and maps of byte strings: nothing nests deeper."""


def cbor_encode(value: Any) -> bytes:
    """CBOR of ``value``: bytes, str, non-negative int, list, or dict with int keys (in key order)."""
    _check(value, 0, "encode")
    return cbor2.dumps(value, canonical=True)


def cbor_decode(data: bytes) -> Any:
    """The value of the CBOR ``data`` (the subset :func:`cbor_encode` writes); CredentialError otherwise."""
    stream = io.BytesIO(data)
    try:
        value = cbor2.CBORDecoder(stream).decode()
    except cbor2.CBORDecodeEOF:
        raise CredentialError("the CBOR data ends early") from None
    except (cbor2.CBORError, ValueError, OverflowError, RecursionError) as exc:
        raise CredentialError(f"the CBOR data cannot be read: {str(exc)[:120]}") from None
    if stream.tell() != len(data):
        raise CredentialError("the CBOR data has bytes after its value")
    _check(value, 0, "read")
    # Producers write CBOR's preferred serialisation (definite lengths, shortest heads); the value written so is as
    # long as the data only if the data was too, whatever its map order. An indefinite length or a longer head makes
    # the data longer, a repeated map key (read as one) shorter: both are refused.
    if len(cbor2.dumps(value, canonical=True)) != len(data):
        raise CredentialError("the CBOR data is not in its preferred serialisation (or repeats a map key)")
    return value


def _check(value: Any, depth: int, doing: str) -> None:
    if depth > MAX_DEPTH:
        raise CredentialError("the CBOR data is nested too deeply")
    if isinstance(value, bytes | str):
        return
    if isinstance(value, bool) or not isinstance(value, int | list | dict):
        if isinstance(value, cbor2.CBORTag) or doing == "read":
            raise CredentialError(f"the CBOR data holds a {type(value).__name__}, which ecdsa-sd-2023 does not use")
        raise CredentialError(f"cannot encode {type(value).__name__} in an ecdsa-sd-2023 proof value")
    if isinstance(value, int):
        if value < 0:
            raise CredentialError("negative numbers do not occur in ecdsa-sd-2023 proof values")
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1, doing)
    else:
        for key, item in value.items():
            if isinstance(key, bool) or not isinstance(key, int | str):
                raise CredentialError("a CBOR map has an unusable key")
            _check(item, depth + 1, doing)
