"""Signed authorisation request objects (RFC 9101 JAR, as OpenID for Verifiable Presentations 1.0 uses them):
``typ: oauth-authz-req+jwt``, signed by the verifier's key named by ``kid`` (a DID URL for the
``decentralized_identifier:`` client identifier prefix).

:func:`sign_request_object` signs; :func:`verify_request_object` checks the header, the signature with the key the
``kid`` resolves to (through the fetcher the caller passes: the one verification path's), ``exp``, and that the
``kid`` belongs to the DID the ``client_id`` names. It never raises for a bad token: the result says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from cairn.vc.fetch import Fetcher
from cairn.vc.keys import KeyPair
from cairn.vc.proofs.jose import JwtResult, kid_resolver, sign_jwt, verify_jwt

__all__ = ["DID_PREFIX", "REQUEST_OBJECT_TYP", "sign_request_object", "verify_request_object"]

REQUEST_OBJECT_TYP: Final = "oauth-authz-req+jwt"
DID_PREFIX: Final = "decentralized_identifier:"
MAX_REQUEST_OBJECT: Final = 64_000


def sign_request_object(claims: Mapping[str, Any], *, key: KeyPair, kid: str) -> str:
    """The request object: ``claims`` signed with ``key`` (``kid``: its DID URL)."""
    return sign_jwt(claims, key=key, kid=kid, typ=REQUEST_OBJECT_TYP)


def verify_request_object(token: str, *, fetcher: Fetcher | None, now: datetime) -> JwtResult:
    """Verify a request object of a ``decentralized_identifier:`` client: its type, signature (the key ``kid``
    names, resolved as a DID URL), ``exp``, and that ``kid`` is a key of the DID in ``client_id``."""
    result = verify_jwt(
        token,
        resolve_key=kid_resolver(fetcher=fetcher, purpose="authentication"),
        typ=REQUEST_OBJECT_TYP,
        now=now,
        max_length=MAX_REQUEST_OBJECT,
    )
    if not result.ok or result.payload is None or result.header is None:
        return result
    client_id = result.payload.get("client_id")
    if not isinstance(client_id, str) or not client_id.startswith(DID_PREFIX):
        return result.failed("the request object's client_id is not a decentralized_identifier: one")
    kid = str(result.header.get("kid", ""))
    if kid.split("#", 1)[0] != client_id.removeprefix(DID_PREFIX):
        return result.failed("the request object is signed by a key of another DID than its client_id")
    if result.payload.get("exp") is None:
        return result.failed("the request object has no expiry (exp)")
    return result
