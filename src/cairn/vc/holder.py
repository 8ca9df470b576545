"""The holder check: does an email address match the person a credential was awarded to?

Open Badges 3.0 names the learner in ``credentialSubject.identifier[]`` with ``IdentityObject`` entries. An
entry of ``identityType`` ``emailAddress`` is either plain (``hashed: false``, the address itself in
``identityHash``) or hashed (``hashed: true``, ``identityHash`` ``sha256$<hex>`` or ``md5$<hex>`` of the address
followed by ``salt``), as Cairn writes it (:func:`cairn.formats.ob3.identity_hash`). Open Badges 2.0 assertions
name it in ``recipient``; :func:`cairn.vc.formats.ob2.recipient_matches` answers for those.

:func:`holder_match` answers the wallet's question with the same checks: is this credential about the person
whose DIDs and (verified) email address are given, about someone else, or about nobody it names?

Pure: no network, no clock. The hash is never returned, so a page cannot echo it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any, Final, Literal

from cairn.vc.formats.ob2 import recipient_matches

__all__ = ["HOLDER", "SOMEONE_ELSE", "UNKNOWN", "HolderMatch", "email_matches", "holder_match", "names_subject"]

HolderMatch = Literal["holder", "someone-else", "unknown"]
HOLDER: Final = "holder"
"""The credential names the holder (by a DID of theirs or their email address)."""
SOMEONE_ELSE: Final = "someone-else"
"""The credential names a subject, and it is not the holder (as far as the holder's identifiers show)."""
UNKNOWN: Final = "unknown"
"""The credential names no subject at all: no id, no identifier, no recipient."""

MAX_EMAIL_LENGTH = 320
_ALGORITHMS: dict[str, Callable[[bytes], Any]] = {"sha256": hashlib.sha256, "md5": hashlib.md5}


def _subjects(credential: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    subject = credential.get("credentialSubject")
    for item in subject if isinstance(subject, list) else [subject]:
        if isinstance(item, Mapping):
            yield item


def _email_identities(credential: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for subject in _subjects(credential):
        identifiers = subject.get("identifier")
        for ident in identifiers if isinstance(identifiers, list) else [identifiers]:
            if isinstance(ident, Mapping) and str(ident.get("identityType", "")).lower() in ("emailaddress", "email"):
                yield ident


def _candidates(email: str) -> list[str]:
    stripped = email.strip()
    return list(dict.fromkeys([stripped, stripped.lower()]))


def _identity_matches(ident: Mapping[str, Any], candidates: list[str]) -> bool | None:
    value = ident.get("identityHash")
    if not isinstance(value, str) or not value:
        return None
    if ident.get("hashed") is not True:
        return any(hmac.compare_digest(value.strip().lower().encode(), c.lower().encode()) for c in candidates)
    algorithm, sep, digest = value.partition("$")
    hasher = _ALGORITHMS.get(algorithm.lower())
    if not sep or hasher is None:
        return None
    salt = ident.get("salt")
    salt = salt if isinstance(salt, str) else ""
    expected = digest.strip().lower().encode()
    return any(
        hmac.compare_digest(hasher((c + salt).encode("utf-8")).hexdigest().encode(), expected) for c in candidates
    )


def email_matches(credential: Mapping[str, Any], email: str) -> bool | None:
    """Whether ``email`` is the holder's address: True, False, or None when the credential names no email.

    The comparison ignores surrounding spaces and letter case (Cairn stores addresses in lower case).
    """
    if not isinstance(email, str) or not email.strip() or len(email) > MAX_EMAIL_LENGTH:
        return None
    candidates = _candidates(email)
    answers = [_identity_matches(ident, candidates) for ident in _email_identities(credential)]
    known = [a for a in answers if a is not None]
    if known:
        return any(known)
    if "recipient" in credential and "credentialSubject" not in credential:
        return recipient_matches(credential, email)
    return None


def names_subject(credential: Mapping[str, Any]) -> bool:
    """Whether the credential names whom it is about: a subject ``id``, an ``identifier`` with a value, or an
    Open Badges 2.0 ``recipient`` identity."""
    for subject in _subjects(credential):
        if isinstance(subject.get("id"), str) and subject["id"].strip():
            return True
        identifiers = subject.get("identifier")
        for ident in identifiers if isinstance(identifiers, list) else [identifiers]:
            if isinstance(ident, Mapping) and isinstance(ident.get("identityHash"), str) and ident["identityHash"]:
                return True
    recipient = credential.get("recipient")
    return isinstance(recipient, Mapping) and isinstance(recipient.get("identity"), str) and bool(recipient["identity"])


def holder_match(credential: Mapping[str, Any], *, dids: Collection[str], email: str | None) -> HolderMatch:
    """Whether ``credential`` is about the person with ``dids`` and ``email`` (give only an address they have
    proved is theirs): :data:`HOLDER` when a subject's ``id`` is one of ``dids`` or a (hashed) email identifier
    or OB 2.0 recipient is ``email``; :data:`UNKNOWN` when it names no subject at all; else
    :data:`SOMEONE_ELSE`."""
    for subject in _subjects(credential):
        if isinstance(subject.get("id"), str) and subject["id"] in dids:
            return HOLDER
    if email and email_matches(credential, email) is True:
        return HOLDER
    return SOMEONE_ELSE if names_subject(credential) else UNKNOWN
