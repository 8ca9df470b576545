"""Signatures already verified: a bounded memory of Data Integrity proofs that verified, so a document seen again
(a composite's components on every page that shows it, a status list named by every credential of its issuer) is
not canonicalised again.

Whether a signature verifies depends only on the signed data and the public key: the memory is keyed by a hash of
the suite, the curve, the public key, the signature, the proof's options and the document (as sorted JSON, tagged
with the encoder that wrote it), so the same answer is given for exactly the same input. Only successes are kept,
and only for the contexts Cairn bundles (no custom document loader). Key resolution, the proof's purpose, challenge,
domain and dates are checked every time, before this memory is asked.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Final

import orjson

from cairn.vc.keys import PublicKey

__all__ = ["fingerprint", "forget", "remember", "seen"]

MAX_REMEMBERED: Final = 4096
_PLAIN: Final = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
"""Only plain JSON is encoded by orjson (a datetime, a dataclass or a str subclass goes to json, which declines)."""
_remembered: OrderedDict[bytes, None] = OrderedDict()
_lock = threading.Lock()


def fingerprint(
    suite: str, key: object, signature: bytes, config: Mapping[str, Any], document: Mapping[str, Any]
) -> bytes | None:
    """The memory's key for this signature over this data, or None when it cannot be remembered (a key that is
    not a plain public key, data that is not plain JSON)."""
    if not isinstance(key, PublicKey):
        return None
    try:  # orjson's sorted JSON, ten times faster; what it declines (a big integer, a lone surrogate) goes to json,
        # and so does anything with a null in it: orjson writes NaN and infinities as null too, json does not
        data = b"o" + orjson.dumps([config, document], option=orjson.OPT_SORT_KEYS | _PLAIN)
        if b"null" in data:
            raise TypeError("null, NaN or an infinity: only json tells them apart")
    except (TypeError, orjson.JSONEncodeError):
        try:
            text = json.dumps([config, document], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError):
            return None
        data = b"j" + text.encode("utf-8", "surrogatepass")
    digest = hashlib.sha256()
    for part in (suite.encode(), key.kind.value.encode(), key.raw, signature, data):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.digest()


def seen(found: bytes | None) -> bool:
    """Whether the signature with this fingerprint verified before."""
    if found is None:
        return False
    with _lock:
        if found in _remembered:
            _remembered.move_to_end(found)
            return True
    return False


def remember(found: bytes | None) -> None:
    """Remember that the signature with this fingerprint verified."""
    if found is None:
        return
    with _lock:
        _remembered[found] = None
        while len(_remembered) > MAX_REMEMBERED:
            _remembered.popitem(last=False)


def forget() -> None:
    """Forget every signature remembered (for measuring, and for tests)."""
    with _lock:
        _remembered.clear()
