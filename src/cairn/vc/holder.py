"""The holder check: does an email address match the person a credential was awarded to?

Open Badges 3.0 names the learner in ``credentialSubject.identifier[]`` with ``IdentityObject`` entries. An
entry of ``identityType`` ``emailAddress`` is either plain (``hashed: false``, the address itself in
``identityHash``) or hashed (``hashed: true``, ``identityHash`` ``sha256$<hex>`` or ``md5$<hex>`` of the address
followed by ``salt``), as Cairn writes it (:func:`cairn.formats.ob3.identity_hash`). Open Badges 2.0 assertions
name it in ``recipient``; :func:`cairn.vc.formats.ob2.recipient_matches` answers for those.

Pure: no network, no clock. The hash is never returned, so a page cannot echo it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from cairn.vc.formats.ob2 import recipient_matches

__all__ = ["email_matches"]

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
