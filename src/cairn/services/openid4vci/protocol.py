"""The protocol's pieces that hold no state: its error, hashing and comparing secrets, and ``c_nonce`` values.

:class:`OAuthError` is every refusal of the token, credential, notification and deferred endpoints: an error code of
RFC 6749 / RFC 6750 / OpenID4VCI 1.0 (``invalid_grant``, ``invalid_token``, ``invalid_proof``, ...), a description
safe to show, the HTTP status, and for ``invalid_nonce`` (and draft 13 ``invalid_proof``) a fresh ``c_nonce``.

A ``c_nonce`` is stateless: 16 random bytes and its expiry, MACed with a key derived from the instance's secret
(:class:`NonceMaker`); the nonce endpoint stores nothing. Using one records its SHA-256
(:class:`~cairn.store.tables.UsedNonceRow`), so it works once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import struct
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from cairn.errors import CairnError, CredentialError
from cairn.vc.fetch import loads_json
from cairn.vc.multibase import b64url_decode, b64url_encode

__all__ = [
    "MAX_BODY",
    "NONCE_LIFETIME",
    "PRE_AUTHORIZED_GRANT",
    "NonceMaker",
    "OAuthError",
    "digest",
    "json_body",
    "matches",
]

PRE_AUTHORIZED_GRANT: Final = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
NONCE_LIFETIME: Final = timedelta(minutes=5)
_NONCE_BYTES: Final = 16 + 8 + 16
MAX_BODY: Final = 64 * 1024
"""Largest request body of the credential, notification and deferred endpoints (bytes)."""


class OAuthError(CairnError):
    """A refused OpenID4VCI / OAuth request: ``error`` (the protocol's code), the description (``message``), the
    HTTP ``status`` (400; 401 for ``invalid_token``) and, where the wallet should retry with one, a ``c_nonce``
    (or, for draft 13's ``issuance_pending``, the ``interval`` to wait)."""

    def __init__(
        self,
        error: str,
        description: str,
        *,
        status: int = 400,
        c_nonce: str | None = None,
        interval: int | None = None,
    ) -> None:
        super().__init__(description)
        self.error = error
        self.status = status
        self.c_nonce = c_nonce
        self.interval = interval

    def body(self) -> dict[str, object]:
        """The JSON error answer: ``{"error": ..., "error_description": ...}`` (and ``c_nonce`` when given)."""
        body: dict[str, object] = {"error": self.error, "error_description": self.message}
        if self.c_nonce is not None:
            body["c_nonce"] = self.c_nonce
            body["c_nonce_expires_in"] = int(NONCE_LIFETIME.total_seconds())
        if self.interval is not None:
            body["interval"] = self.interval
        return body


def json_body(body: bytes, error: str) -> dict[str, Any]:
    """A request body that must be a JSON object of at most :data:`MAX_BODY` bytes, else ``error``."""
    if len(body) > MAX_BODY:
        raise OAuthError(error, f"the request body is larger than {MAX_BODY} bytes")
    try:
        parsed = loads_json(body, what="request")
    except CredentialError:
        raise OAuthError(error, "the request body is not JSON") from None
    if not isinstance(parsed, dict):
        raise OAuthError(error, "the request body is not a JSON object")
    return parsed


def digest(*parts: str) -> str:
    """The SHA-256 (hex) a secret is stored under (several parts joined by a unit separator)."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def matches(stored: str, *parts: str) -> bool:
    """Whether ``parts`` hash to ``stored``, compared in constant time."""
    return hmac.compare_digest(digest(*parts).encode("ascii"), stored.encode("ascii", "replace"))


class NonceMaker:
    """Makes and reads ``c_nonce`` values: random, expiring after :data:`NONCE_LIFETIME`, MACed with ``key()``."""

    def __init__(self, *, key: Callable[[], bytes], clock: Callable[[], datetime]) -> None:
        self._key = key
        self.clock = clock

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key(), b"cairn openid4vci c_nonce\x00" + body, hashlib.sha256).digest()[:16]

    def make(self) -> str:
        """A fresh ``c_nonce``."""
        expires = int((self.clock() + NONCE_LIFETIME).timestamp())
        body = secrets.token_bytes(16) + struct.pack(">Q", expires)
        return b64url_encode(body + self._mac(body))

    def valid(self, nonce: str) -> bool:
        """Whether ``nonce`` is one this instance made and it has not expired (whether it was used is stored)."""
        try:
            raw = b64url_decode(nonce, max_length=80)
        except CairnError:
            return False
        if len(raw) != _NONCE_BYTES:
            return False
        body, mac = raw[:24], raw[24:]
        if not hmac.compare_digest(mac, self._mac(body)):
            return False
        (expires,) = struct.unpack(">Q", body[16:24])
        return bool(self.clock().timestamp() < expires)
