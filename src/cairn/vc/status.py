"""W3C Bitstring Status List v1.0: the bitstring, its credential, entries and status checks.

- :class:`BitstringStatusList`: a mutable list of at least 131,072 entries of ``status_size``
  bits (16 KB for one bit each). Entry 0 is the left-most (most significant) bit of byte 0.
  ``encodedList`` is the multibase base64url (``u``) of the GZIP of the bitstring; decoding is
  bounded against decompression bombs.
- :func:`status_list_credential` builds the unsigned ``BitstringStatusListCredential`` (signing
  is done elsewhere); :class:`StatusEntry` is a ``BitstringStatusListEntry``.
- :func:`check_status` looks an entry up through an injected ``fetch_list`` function (wrap it in
  :class:`StatusListCache` to cache) and returns a :class:`StatusResult`, never raising for a bad
  list or entry; :attr:`StatusResult.code` carries the spec's error name.
- :func:`check_revocation_list` reads the 1EdTech Revocation List Status Method (``1EdTechRevocationList``, used
  by Open Badges 3.0 and CLR 2.0): a list of the ids of revoked credentials, ``revokedCredentials``.
- :func:`random_free_index` draws an unused index with :mod:`secrets`, uniformly over the free
  ones, so positions in a list do not reveal issuance order (herd privacy).
"""

from __future__ import annotations

import gzip
import secrets
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from cairn.errors import CredentialError
from cairn.vc import multibase
from cairn.vc.values import id_of

__all__ = [
    "DEFAULT_LENGTH",
    "ENTRY_TYPES",
    "MAX_DECODED_BYTES",
    "PURPOSES",
    "REVOCATION_LIST",
    "BitstringStatusList",
    "StatusEntry",
    "StatusListCache",
    "StatusMessage",
    "StatusResult",
    "StatusState",
    "check_revocation_list",
    "check_status",
    "random_free_index",
    "status_list_credential",
]

DEFAULT_LENGTH: Final = 131_072
"""Entries in a new list, and the minimum number of bits (16 KB) a list must have."""
MAX_DECODED_BYTES: Final = 16 * 1024 * 1024
"""Largest uncompressed bitstring decoded by default (16 MiB, 134 million one-bit entries)."""
PURPOSES: Final = ("revocation", "suspension", "refresh", "message")
ENTRY_TYPES: Final = {"BitstringStatusListEntry": "BitstringStatusList", "StatusList2021Entry": "StatusList2021"}
"""The entry types read, each with the type of its list's subject (its list credential is that + ``Credential``).
``StatusList2021Entry`` is the W3C CCG draft Bitstring Status List grew out of, still in credentials issued
before 2024: the same bits, its ``encodedList`` plain base64url without the multibase prefix."""
REVOCATION_LIST: Final = "1EdTechRevocationList"
"""The ``credentialStatus`` type of the 1EdTech Revocation List Status Method."""
MAX_REVOKED: Final = 1_000_000
"""Most entries read from a 1EdTech revocation list."""
VC_CONTEXT_V2: Final = "https://www.w3.org/ns/credentials/v2"
_MAX_STATUS_SIZE: Final = 8


def _check_size(status_size: int) -> None:
    if isinstance(status_size, bool) or not isinstance(status_size, int):
        raise CredentialError("statusSize must be an integer")
    if not 1 <= status_size <= _MAX_STATUS_SIZE:
        raise CredentialError(f"statusSize must be from 1 to {_MAX_STATUS_SIZE}")


class BitstringStatusList:
    """A mutable status bitstring of ``length`` entries, each ``status_size`` bits wide."""

    __slots__ = ("_bits", "length", "status_size")

    def __init__(self, length: int = DEFAULT_LENGTH, *, status_size: int = 1) -> None:
        _check_size(status_size)
        if isinstance(length, bool) or not isinstance(length, int) or length * status_size < DEFAULT_LENGTH:
            raise CredentialError(f"a status list needs at least {DEFAULT_LENGTH} bits (16 KB)")
        self.length = length
        self.status_size = status_size
        self._bits = bytearray((length * status_size + 7) // 8)

    @classmethod
    def from_bytes(cls, data: bytes, *, status_size: int = 1) -> BitstringStatusList:
        """Wrap an uncompressed bitstring (any length; entries that fit whole are usable)."""
        _check_size(status_size)
        instance = cls.__new__(cls)
        instance.status_size = status_size
        instance.length = len(data) * 8 // status_size
        instance._bits = bytearray(data)
        return instance

    def __len__(self) -> int:
        return self.length

    def _check_index(self, index: int) -> None:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < self.length:
            raise IndexError(f"status index {index!r} is outside 0..{self.length - 1}")

    def get(self, index: int) -> int:
        """The status value of entry ``index`` (0 or 1 for one-bit lists)."""
        self._check_index(index)
        size, bits = self.status_size, self._bits
        if size == 1:
            return (bits[index >> 3] >> (7 - (index & 7))) & 1
        value = 0
        for bit in range(index * size, index * size + size):
            value = (value << 1) | ((bits[bit >> 3] >> (7 - (bit & 7))) & 1)
        return value

    def set(self, index: int, value: int = 1) -> None:
        """Set entry ``index`` to ``value`` (default 1: revoked or suspended)."""
        self._check_index(index)
        size = self.status_size
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << size:
            raise ValueError(f"a status value must be from 0 to {(1 << size) - 1}")
        for offset in range(size):
            bit = index * size + offset
            mask = 0x80 >> (bit & 7)
            if (value >> (size - 1 - offset)) & 1:
                self._bits[bit >> 3] |= mask
            else:
                self._bits[bit >> 3] &= ~mask & 0xFF

    def clear(self, index: int) -> None:
        """Set entry ``index`` back to 0 (reinstated)."""
        self.set(index, 0)

    def set_indexes(self) -> list[int]:
        """The indexes whose value is not 0, in order."""
        found: list[int] = []
        size = self.status_size
        for byte_index, byte in enumerate(self._bits):
            if not byte:
                continue
            first = max(byte_index * 8 // size, found[-1] + 1 if found else 0)
            last = min(self.length - 1, (byte_index * 8 + 7) // size)
            found.extend(i for i in range(first, last + 1) if self.get(i))
        return found

    def to_bytes(self) -> bytes:
        """The uncompressed bitstring."""
        return bytes(self._bits)

    def encode(self) -> str:
        """The ``encodedList`` value: ``u`` + base64url(GZIP(bitstring)); deterministic (mtime 0)."""
        return multibase.encode(gzip.compress(bytes(self._bits), compresslevel=9, mtime=0), multibase.BASE64URL)

    @classmethod
    def decode(cls, encoded: str, *, status_size: int = 1, max_bytes: int = MAX_DECODED_BYTES) -> BitstringStatusList:
        """Read an ``encodedList`` value; raises :class:`CredentialError` when malformed or too large."""
        if not isinstance(encoded, str):
            raise CredentialError("encodedList is not a string")
        return cls.from_bytes(_expand(encoded, max_bytes), status_size=status_size)


_EXPANDED: OrderedDict[tuple[str, int], bytes] = OrderedDict()
_EXPANDED_LOCK = threading.Lock()
_EXPANDED_ENTRIES: Final = 32
_EXPANDED_MAX_BYTES: Final = 1024 * 1024
"""Decoded bitstrings kept (the last 32, each up to 1 MiB): every verification of a credential reads its list
again, and the list of a busy issuer changes far less often than it is read. Bytes never change; a changed
list is another ``encodedList``."""


def _expand(encoded: str, max_bytes: int) -> bytes:
    key = (encoded, max_bytes)
    with _EXPANDED_LOCK:
        found = _EXPANDED.get(key)
        if found is not None:
            _EXPANDED.move_to_end(key)
            return found
    data = _inflate(encoded, max_bytes)
    if len(data) <= _EXPANDED_MAX_BYTES:
        with _EXPANDED_LOCK:
            _EXPANDED[key] = data
            while len(_EXPANDED) > _EXPANDED_ENTRIES:
                _EXPANDED.popitem(last=False)
    return data


def _inflate(encoded: str, max_bytes: int) -> bytes:
    try:
        _, compressed = multibase.decode(encoded, expect=multibase.BASE64URL, max_length=4 * max_bytes)
    except CredentialError as exc:
        raise CredentialError(f"encodedList is not multibase base64url: {exc.message}") from None
    inflater = zlib.decompressobj(wbits=31)  # GZIP only
    try:
        data = inflater.decompress(compressed, max_bytes + 1)
    except zlib.error:
        raise CredentialError("encodedList is not valid GZIP") from None
    if len(data) > max_bytes:
        raise CredentialError(f"encodedList expands past {max_bytes} bytes")
    if not inflater.eof:
        raise CredentialError("encodedList GZIP data is truncated")
    if inflater.unused_data:
        raise CredentialError("encodedList has data after the GZIP stream")
    return data


def _timestamp(value: str | datetime) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise CredentialError("date-times must be timezone-aware")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def status_list_credential(
    *,
    url: str,
    issuer: str | Mapping[str, Any],
    purpose: str | Sequence[str],
    status_list: BitstringStatusList,
    valid_from: str | datetime | None = None,
    valid_until: str | datetime | None = None,
    ttl_ms: int | None = None,
    subject_id: str | None = None,
) -> dict[str, Any]:
    """The unsigned ``BitstringStatusListCredential`` published at ``url`` (its ``id``).

    ``purpose`` is one purpose or several; ``ttl_ms`` is the spec's ``ttl`` (milliseconds a
    verifier may cache the list); ``subject_id`` defaults to ``url#list``.
    """
    purposes = [purpose] if isinstance(purpose, str) else list(purpose)
    if not purposes or any(p not in PURPOSES for p in purposes):
        raise CredentialError(f"statusPurpose must be among {', '.join(PURPOSES)}")
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer if isinstance(issuer, str) else dict(issuer),
    }
    if valid_from is not None:
        credential["validFrom"] = _timestamp(valid_from)
    if valid_until is not None:
        credential["validUntil"] = _timestamp(valid_until)
    subject: dict[str, Any] = {
        "id": subject_id or f"{url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purposes[0] if len(purposes) == 1 else purposes,
        "encodedList": status_list.encode(),
    }
    if ttl_ms is not None:
        subject["ttl"] = ttl_ms
    credential["credentialSubject"] = subject
    return credential


@dataclass(frozen=True, slots=True)
class StatusMessage:
    """One ``statusMessage`` element: a status value and what it means."""

    status: int
    message: str

    def to_dict(self) -> dict[str, str]:
        """The JSON form (the status as a hex string such as ``"0x1"``)."""
        return {"status": hex(self.status), "message": self.message}


def _parse_index(value: object) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 15:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise CredentialError("statusListIndex must be a non-negative base-10 integer string")


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """A ``BitstringStatusListEntry``: where a credential's status lives and what it means."""

    list_credential: str
    index: int
    purpose: str
    id: str | None = None
    status_size: int = 1
    messages: tuple[StatusMessage, ...] = ()
    reference: str | tuple[str, ...] | None = None
    kind: str = "BitstringStatusListEntry"
    """``BitstringStatusListEntry``, or the older ``StatusList2021Entry`` (read, never written by Cairn)."""

    def __post_init__(self) -> None:
        if self.kind not in ENTRY_TYPES:
            raise CredentialError(f"a status entry is one of {', '.join(ENTRY_TYPES)}")
        _check_size(self.status_size)
        if self.purpose not in PURPOSES:
            raise CredentialError(f"statusPurpose must be one of {', '.join(PURPOSES)}")
        if isinstance(self.index, bool) or not isinstance(self.index, int) or self.index < 0:
            raise CredentialError("statusListIndex must be a non-negative integer")
        if self.status_size > 1 and not self.messages:
            raise CredentialError("statusMessage is required when statusSize is more than 1")
        if self.messages and sorted(m.status for m in self.messages) != list(range(1 << self.status_size)):
            raise CredentialError("statusMessage must give one message for each possible status value")

    def to_dict(self) -> dict[str, Any]:
        """The ``credentialStatus`` object (``statusListIndex`` as a base-10 string)."""
        data: dict[str, Any] = {
            "id": self.id or f"{self.list_credential}#{self.index}",
            "type": self.kind,
            "statusPurpose": self.purpose,
            "statusListIndex": str(self.index),
            "statusListCredential": self.list_credential,
        }
        if self.status_size != 1:
            data["statusSize"] = self.status_size
        if self.messages:
            data["statusMessage"] = [m.to_dict() for m in self.messages]
        if self.reference is not None:
            data["statusReference"] = self.reference if isinstance(self.reference, str) else list(self.reference)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StatusEntry:
        """Read a ``credentialStatus`` object; raises :class:`CredentialError` when malformed."""
        kind = data.get("type") if isinstance(data, Mapping) else None
        if not isinstance(kind, str) or kind not in ENTRY_TYPES:
            raise CredentialError("not a BitstringStatusListEntry")
        url, purpose = data.get("statusListCredential"), data.get("statusPurpose")
        if not isinstance(url, str) or not url:
            raise CredentialError("statusListCredential must be a URL")
        if not isinstance(purpose, str):
            raise CredentialError("statusPurpose must be a string")
        size = data.get("statusSize", 1)
        raw_messages = data.get("statusMessage", [])
        if not isinstance(raw_messages, list):
            raise CredentialError("statusMessage must be an array")
        messages = []
        for item in raw_messages:
            status, message = (item.get("status"), item.get("message")) if isinstance(item, Mapping) else (0, 0)
            if not isinstance(status, str) or not isinstance(message, str):
                raise CredentialError("each statusMessage needs a status and a message string")
            try:
                messages.append(StatusMessage(int(status, 16), message))
            except ValueError:
                raise CredentialError("a statusMessage status is not a hex value") from None
        entry_id, reference = data.get("id"), data.get("statusReference")
        if isinstance(reference, list):
            reference = tuple(reference)
        if reference is not None and not all(
            isinstance(r, str) and _is_url(r) for r in (reference if isinstance(reference, tuple) else (reference,))
        ):
            raise CredentialError("statusReference must be a URL or an array of URLs")
        return cls(
            url,
            _parse_index(data.get("statusListIndex")),
            purpose,
            entry_id if isinstance(entry_id, str) else None,
            size,
            tuple(messages),
            reference,
            kind,
        )


def _is_url(value: str) -> bool:
    scheme, colon, rest = value.partition(":")
    return bool(colon and rest and scheme[:1].isalpha() and scheme.replace("+", "").replace("-", "").isalnum())


class StatusState(StrEnum):
    """What a status check found."""

    SET = "set"
    NOT_SET = "not-set"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class StatusResult:
    """A status check: ``state``, the raw ``value`` and its ``message``, or an error ``reason``/``code``."""

    state: StatusState
    purpose: str | None = None
    value: int | None = None
    message: str | None = None
    reason: str | None = None
    code: str | None = None

    @property
    def is_set(self) -> bool:
        """Whether the status bit(s) are set (revoked, suspended, or a non-zero message)."""
        return self.state is StatusState.SET


def _error(code: str, reason: str, purpose: str | None = None) -> StatusResult:
    return StatusResult(StatusState.ERROR, purpose, reason=reason, code=code)


def _as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def check_status(
    entry: StatusEntry | Mapping[str, Any],
    *,
    fetch_list: Callable[[str], Mapping[str, Any]],
    now: datetime | None = None,
    expected_issuer: str | None = None,
    max_bytes: int = MAX_DECODED_BYTES,
) -> StatusResult:
    """Look up a credential's status; never raises for a bad entry or list.

    ``fetch_list(url)`` returns the status list credential, already verified (its proof) by
    the caller, or raises :class:`CredentialError`. With ``now`` (timezone-aware) the list's
    ``validFrom``/``validUntil`` are checked; with ``expected_issuer`` the list's issuer must be it.
    """
    try:
        parsed = entry if isinstance(entry, StatusEntry) else StatusEntry.from_dict(entry)
    except CredentialError as exc:
        return _error("MALFORMED_VALUE_ERROR", exc.message)
    purpose = parsed.purpose
    try:
        credential = fetch_list(parsed.list_credential)
    except CredentialError as exc:
        return _error("STATUS_RETRIEVAL_ERROR", f"cannot get the status list: {exc.message}", purpose)
    list_type = ENTRY_TYPES[parsed.kind]
    if not isinstance(credential, Mapping) or list_type + "Credential" not in _as_list(credential.get("type")):
        return _error("STATUS_VERIFICATION_ERROR", f"not a {list_type}Credential", purpose)
    subject = credential.get("credentialSubject")
    if not isinstance(subject, Mapping) or subject.get("type") != list_type:
        return _error("STATUS_VERIFICATION_ERROR", f"the list's subject is not a {list_type}", purpose)
    if purpose not in _as_list(subject.get("statusPurpose")):
        return _error("STATUS_VERIFICATION_ERROR", f"the list is not for {purpose!r}", purpose)
    problem = _issuer_or_validity_problem(credential, expected_issuer, now)
    if problem:
        return _error("STATUS_VERIFICATION_ERROR", problem, purpose)
    encoded = subject.get("encodedList")
    if not isinstance(encoded, str):
        return _error("MALFORMED_VALUE_ERROR", "the list has no encodedList string", purpose)
    if parsed.kind == "StatusList2021Entry" and not encoded.startswith("u"):
        encoded = "u" + encoded.rstrip("=")  # StatusList2021: plain base64url, the same GZIP bits
    try:
        bitstring = BitstringStatusList.decode(encoded, status_size=parsed.status_size, max_bytes=max_bytes)
    except CredentialError as exc:
        return _error("MALFORMED_VALUE_ERROR", exc.message, purpose)
    if len(bitstring.to_bytes()) * 8 < DEFAULT_LENGTH:
        return _error("STATUS_LIST_LENGTH_ERROR", "the status list is shorter than 16 KB", purpose)
    if parsed.index >= len(bitstring):
        return _error("RANGE_ERROR", f"statusListIndex {parsed.index} is outside the list", purpose)
    value = bitstring.get(parsed.index)
    message = next((m.message for m in parsed.messages if m.status == value), None)
    state = StatusState.SET if value else StatusState.NOT_SET
    return StatusResult(state, purpose, value, message)


def _issuer_or_validity_problem(
    document: Mapping[str, Any], expected_issuer: str | None, now: datetime | None
) -> str | None:
    """Why a list may not be used: issued by someone other than ``expected_issuer``, or not valid at ``now``."""
    if expected_issuer is not None and id_of(document.get("issuer")) != expected_issuer:
        return "the list was issued by someone else"
    return _validity_problem(document, now) if now is not None else None


def check_revocation_list(
    document: object,
    *,
    credential_id: str | None,
    expected_issuer: str | None = None,
    now: datetime | None = None,
) -> StatusResult:
    """Look the credential ``credential_id`` up in a 1EdTech revocation list (``{"id", "issuer",
    "revokedCredentials": [{"id", "revocationReason"?}]}``, already fetched, and verified by the caller where
    it is signed); never raises. An item whose ``revoked`` is ``false`` does not revoke."""
    purpose = "revocation"
    if not isinstance(document, Mapping):
        return _error("STATUS_VERIFICATION_ERROR", "the revocation list is not a JSON object", purpose)
    if not credential_id:
        return _error("MALFORMED_VALUE_ERROR", "the credential has no id for a revocation list to name", purpose)
    revoked = document.get("revokedCredentials")
    if not isinstance(revoked, list):
        return _error("STATUS_VERIFICATION_ERROR", "the revocation list has no revokedCredentials array", purpose)
    if len(revoked) > MAX_REVOKED:
        return _error("STATUS_VERIFICATION_ERROR", f"the revocation list names more than {MAX_REVOKED:,}", purpose)
    problem = _issuer_or_validity_problem(document, expected_issuer, now)
    if problem:
        return _error("STATUS_VERIFICATION_ERROR", problem, purpose)
    for item in revoked:
        if isinstance(item, Mapping) and item.get("id") == credential_id and item.get("revoked") is not False:
            reason = item.get("revocationReason")
            return StatusResult(StatusState.SET, purpose, 1, reason[:500] if isinstance(reason, str) else None)
    return StatusResult(StatusState.NOT_SET, purpose, 0)


def _validity_problem(credential: Mapping[str, Any], now: datetime) -> str | None:
    if now.tzinfo is None:
        return "now must be timezone-aware"
    for name, late in (("validFrom", False), ("validUntil", True), ("expirationDate", True)):  # 1.1: expirationDate
        value = credential.get(name)
        if value is None:
            continue
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            return f"the list's {name} is not a date-time with a time zone"
        if late and now > moment:
            return f"the status list has expired ({name})"
        if not late and now < moment:
            return "the status list is not valid yet (validFrom)"
    return None


class StatusListCache:
    """Cache status list credentials from ``fetch_list`` for ``ttl`` seconds (bounded, thread-safe).

    Use an instance as the ``fetch_list`` of :func:`check_status`. Failures are not cached.
    """

    def __init__(
        self,
        fetch_list: Callable[[str], Mapping[str, Any]],
        *,
        ttl: float = 300.0,
        max_entries: int = 64,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl < 0 or max_entries < 1:
            raise ValueError("ttl must not be negative and max_entries must be at least 1")
        self._fetch = fetch_list
        self._ttl = ttl
        self._max = max_entries
        self._monotonic = monotonic
        self._entries: OrderedDict[str, tuple[float, Mapping[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, url: str) -> Mapping[str, Any]:
        """Return the cached list credential for ``url`` while fresh, else fetch it."""
        with self._lock:
            hit = self._entries.get(url)
            if hit is not None and hit[0] > self._monotonic():
                self._entries.move_to_end(url)
                return hit[1]
        credential = self._fetch(url)
        with self._lock:
            self._entries[url] = (self._monotonic() + self._ttl, credential)
            self._entries.move_to_end(url)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return credential


def random_free_index(taken: Container[int], *, length: int = DEFAULT_LENGTH, tries: int = 64) -> int | None:
    """A uniformly random index in ``0..length-1`` not in ``taken``, drawn with :mod:`secrets`.

    Draws at random first; when the list is nearly full it picks among the free indexes
    listed. Returns ``None`` when every index is taken (start a new list).
    """
    for _ in range(tries):
        index = secrets.randbelow(length)
        if index not in taken:
            return index
    free = [i for i in range(length) if i not in taken]
    return secrets.choice(free) if free else None
