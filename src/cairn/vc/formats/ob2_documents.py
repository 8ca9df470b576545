"""Open Badges 2.0 documents: recognising an assertion, matching its recipient, and fetching the documents it
names (badge class, issuer profile, key, revocation list) within the limits of one verification.

Used by :mod:`cairn.vc.formats.ob2` (the verifier) and :mod:`cairn.vc.formats.ob2_signed` (JWS assertions).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

from cairn.errors import CredentialError, FetchError
from cairn.vc.fetch import Fetcher, loads_json
from cairn.vc.multibase import b64url_decode
from cairn.vc.report import Report
from cairn.vc.values import nests_deeper_than

__all__ = ["MAX_DEPTH", "MAX_DOCUMENT_BYTES", "MAX_FETCHES", "OB2_CONTEXT", "looks_like_ob2", "recipient_matches"]

OB2_CONTEXT: Final = "https://w3id.org/openbadges/v2"
MAX_FETCHES: Final = 6
"""Most documents fetched for one verification (assertion, badge class, issuer, key, revocation list)."""
MAX_DOCUMENT_BYTES: Final = 1_000_000
"""Largest input or fetched document, in bytes."""
MAX_DEPTH: Final = 32
"""Deepest JSON nesting accepted."""
_MAX_IMAGE_CHARS: Final = 4096
_MIN_RSA_BITS: Final = 2048
_JWS: Final = re.compile(r"^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}$")
_HOSTED: Final = frozenset({"hosted", "hostedbadge"})
_SIGNED: Final = frozenset({"signed", "signedbadge"})
_CORE_FIELDS: Final = ("recipient", "badge", "issuedOn", "expires", "verification")
_IGNORED_IN_COMPARISON: Final = frozenset({"revoked", "revocationReason"})
_HASHES: Final = frozenset({"sha256", "md5"})
_HASHED_IDENTITY: Final = re.compile(r"^(?i:sha256|md5)\$[0-9a-fA-F]+$")


class _Stop(Exception):
    """Ends a verification early; the report already says why."""


# -- recognising ---------------------------------------------------------------------------------


def _types(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for t in value if isinstance(t, str)]
    return []


def _short_type(name: str) -> str:
    for prefix in (OB2_CONTEXT + "#", "obi:", "https://w3id.org/openbadges#"):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _has_ob2_context(document: Mapping[str, Any]) -> bool:
    context = document.get("@context")
    contexts = context if isinstance(context, list) else [context]
    return any(isinstance(c, str) and c.rstrip("/") == OB2_CONTEXT for c in contexts)


def _is_assertion_dict(document: object) -> bool:
    if not isinstance(document, Mapping):
        return False
    types = {_short_type(t) for t in _types(document.get("type"))}
    if "VerifiableCredential" in types:
        return False
    if _has_ob2_context(document):
        return "Assertion" in types or ("recipient" in document and "badge" in document)
    return "Assertion" in types and all(k in document for k in ("recipient", "badge", "verification"))


def _jws_payload(token: str) -> Any:
    """The payload of a compact JWS, not verified (for recognising it); None when unreadable."""
    if len(token) > 2 * MAX_DOCUMENT_BYTES or not _JWS.match(token):
        return None
    try:
        return loads_json(b64url_decode(token.split(".")[1]), what="JWS payload")
    except CredentialError:
        return None


def _is_http_url(value: object) -> bool:
    if not isinstance(value, str) or len(value) > 4096:
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def looks_like_ob2(document: Mapping[str, Any] | str | bytes) -> bool:
    """Whether ``document`` looks like an OB 2.0 assertion: the JSON, a JWS of it, or an assertion URL.

    A dict (or JSON text) with the OB 2.0 context and type ``Assertion`` (or with ``recipient`` and
    ``badge``), or type ``Assertion`` with ``recipient``, ``badge`` and ``verification``; a compact
    JWS whose payload is such a dict; an ``https`` URL (a hosted assertion's address).
    """
    try:
        if isinstance(document, bytes | bytearray):
            document = document.decode("utf-8")
        if isinstance(document, Mapping):
            return _is_assertion_dict(document)
        if not isinstance(document, str):
            return False
        text = document.strip()
        if text.startswith("{"):
            if len(text) > MAX_DOCUMENT_BYTES:
                return False
            return _is_assertion_dict(loads_json(text))
        if text.lower().startswith("https://"):
            return _is_http_url(text)
        return _is_assertion_dict(_jws_payload(text))
    except Exception:  # recognising never raises
        return False


# -- recipients ---------------------------------------------------------------------------------


def _is_hashed(recipient: Mapping[str, Any]) -> bool:
    """Whether the identity is a hash: ``hashed: true``, or no ``hashed`` and an ``alg$hex`` identity."""
    flag = recipient.get("hashed")
    if isinstance(flag, bool):
        return flag
    identity = recipient.get("identity")
    return isinstance(identity, str) and bool(_HASHED_IDENTITY.match(identity))


def recipient_matches(assertion: Mapping[str, Any], email: str) -> bool | None:
    """Whether the assertion's recipient is ``email`` (hashed with sha256 or md5 and the salt, or plain).

    E-mail addresses are compared without case and surrounding spaces (the hash of the address as
    written is tried too). None when the recipient is not an e-mail identity or cannot be read.
    """
    try:
        recipient = assertion.get("recipient") if isinstance(assertion, Mapping) else None
        if not isinstance(recipient, Mapping) or not isinstance(email, str):
            return None
        if str(recipient.get("type", "")).lower() != "email":
            return None
        identity = recipient.get("identity")
        if not isinstance(identity, str) or not identity:
            return None
        salt = recipient.get("salt")
        salt = salt if isinstance(salt, str) else ""
        candidates = dict.fromkeys([email.strip().lower(), email.strip(), email])
        if not _is_hashed(recipient):
            return any(identity.strip().lower() == c.lower() for c in candidates)
        algorithm, _, digest = identity.partition("$")
        algorithm = algorithm.lower()
        if algorithm not in _HASHES or not digest:
            return None
        wanted = digest.strip().lower()
        return any(
            hmac.compare_digest(hashlib.new(algorithm, (c + salt).encode(), usedforsecurity=False).hexdigest(), wanted)
            for c in candidates
        )
    except Exception:
        return None


# -- documents and fetching ----------------------------------------------------------------------


class _Session:
    """One verification: the report, the fetcher and the documents fetched so far."""

    def __init__(self, report: Report, fetcher: Fetcher | None) -> None:
        self.report = report
        self.fetcher = fetcher
        self.fetched: dict[str, dict[str, Any]] = {}
        self.count = 0
        self.key_id: str | None = None
        self.key_owner: object = None

    def get(self, url: str, what: str) -> dict[str, Any]:
        """Fetch ``url`` as a JSON object; raises :class:`CredentialError` with a reason."""
        key = url.split("#", 1)[0]
        if key in self.fetched:
            return self.fetched[key]
        if self.fetcher is None:
            raise CredentialError(f"needs the network: the {what} at {url[:200]} must be fetched")
        if not _is_http_url(key):
            raise CredentialError(f"the {what} address {url[:120]!r} is not an http(s) URL")
        if self.count >= MAX_FETCHES:
            raise CredentialError(f"more than {MAX_FETCHES} documents would have to be fetched")
        self.count += 1
        response = self.fetcher.fetch(key)
        if len(response.content) > MAX_DOCUMENT_BYTES:
            raise FetchError(f"the {what} is larger than {MAX_DOCUMENT_BYTES} bytes")
        document = loads_json(response.content, what=what, error=FetchError)
        if not isinstance(document, dict):
            raise FetchError(f"the {what} at {key[:200]} is not a JSON object")
        if nests_deeper_than(document, MAX_DEPTH):
            raise FetchError(f"the {what} is nested too deeply")
        self.fetched[key] = document
        return document


def _text(value: object, limit: int = 500) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def _node_id(value: object) -> str | None:
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) else None


def _parse_time(value: object) -> datetime | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):  # OB 1.x wrote Unix timestamps; tolerated
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _origin(url: str) -> str:
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return ""


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []
