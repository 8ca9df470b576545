"""The Verifiable Credentials Data Model rules a credential must follow, in one place for issuer and verifier.

:func:`credential_problems` lists what breaks the VCDM 2.0 rules (or the 1.1 rules, for a credential whose first
context is the 1.1 one): the verifier's ``well-formed`` check reports them, and the VC-API issuer refuses to sign a
credential that has any, so what Cairn issues is what Cairn (and every conforming verifier) accepts.
:func:`with_proof_context` adds the Data Integrity context to a VCDM 1.1 credential before it is signed, as the
Data Integrity specification asks (the 1.1 context does not define the proof's terms).

The checks are on the JSON shape only (no JSON-LD processing, no network); they are linear in the size of the
credential and report at most :data:`MAX_PROBLEMS` problems.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from cairn.errors import CredentialError
from cairn.vc.values import as_list, id_of, parse_time

__all__ = [
    "DATA_INTEGRITY_V2",
    "MAX_PROBLEMS",
    "VC1",
    "VC2",
    "check_credential",
    "credential_problems",
    "credential_version",
    "is_url",
    "with_proof_context",
]

VC1: Final = "https://www.w3.org/2018/credentials/v1"
VC2: Final = "https://www.w3.org/ns/credentials/v2"
DATA_INTEGRITY_V2: Final = "https://w3id.org/security/data-integrity/v2"
MAX_PROBLEMS: Final = 20

_URL: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|^`\\\x7f\s]*")
# XML Schema 1.1 dateTimeStamp: a dateTime whose time zone is required.
_DATE_TIME_STAMP: Final = re.compile(
    r"-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+\-][0-9]{2}:[0-9]{2})"
)
_SRI: Final = re.compile(r"(?:sha256|sha384|sha512)-[A-Za-z0-9+/]+={0,2}")
_MULTIBASE: Final = re.compile(r"[zmuMfFbB][A-Za-z0-9+/_\-]+={0,2}")
_LANGUAGE_KEYS: Final = frozenset({"@value", "@language", "@direction"})
_TYPED: Final = ("credentialStatus", "termsOfUse", "evidence", "refreshService", "credentialSchema")
"""Properties whose every object MUST say its type."""


def is_url(value: object) -> bool:
    """Whether ``value`` is an absolute URL (a scheme, then no spaces or characters a URL cannot hold)."""
    return isinstance(value, str) and _URL.fullmatch(value) is not None


def credential_version(document: Mapping[str, Any]) -> int:
    """2 or 1 by the first ``@context`` (VCDM 2.0 or 1.1); 0 when it is neither."""
    contexts = as_list(document.get("@context"))
    first = contexts[0] if contexts else None
    return 2 if first == VC2 else 1 if first == VC1 else 0


def _is_time(value: object) -> bool:
    return isinstance(value, str) and _DATE_TIME_STAMP.fullmatch(value) is not None and parse_time(value) is not None


def _is_language_value(value: object) -> bool:
    if isinstance(value, str):
        return True
    if not isinstance(value, Mapping) or not isinstance(value.get("@value"), str):
        return False
    if not _LANGUAGE_KEYS.issuperset(value):
        return False
    if "@language" in value and not isinstance(value["@language"], str):
        return False
    return "@direction" not in value or value["@direction"] in ("ltr", "rtl")


def _texts(problems: list[str], owner: Mapping[str, Any], where: str) -> None:
    for name in ("name", "description"):
        if name in owner:
            values = owner[name] if isinstance(owner[name], list) else [owner[name]]
            if not values or not all(_is_language_value(v) for v in values):
                problems.append(f"{where}{name} must be a string or language value objects (@value, @language)")


def _context_problems(problems: list[str], contexts: list[Any], version: int) -> None:
    if version == 0:
        problems.append(f"the first @context must be {VC2} (or {VC1})")
    for item in contexts[1:]:
        if not (is_url(item) or isinstance(item, Mapping)):
            problems.append("each @context must be a URL or an object")
            return


def _typed_problems(problems: list[str], document: Mapping[str, Any]) -> None:
    for name in _TYPED:
        if name not in document:
            continue
        values = as_list(document[name])
        if not values:
            problems.append(f"{name} must not be empty")
        for value in values:
            if not isinstance(value, Mapping):
                problems.append(f"each {name} must be an object")
                break
            types = as_list(value.get("type"))
            if not types or not all(isinstance(t, str) and t for t in types):
                problems.append(f"each {name} must specify its type")
                break
            if "id" in value and not is_url(value["id"]):
                problems.append(f"the id of a {name} must be a URL")
                break
            if name == "credentialSchema" and not is_url(value.get("id")):
                problems.append("each credentialSchema needs an id URL")
                break


def _related_problems(problems: list[str], related: object) -> None:
    values = as_list(related)
    if not values:
        problems.append("relatedResource must not be empty")
    seen: set[str] = set()
    for value in values:
        if not isinstance(value, Mapping):
            problems.append("each relatedResource must be an object")
            return
        ident = value.get("id")
        if not is_url(ident):
            problems.append("each relatedResource needs an id URL")
            return
        assert isinstance(ident, str)
        if ident in seen:
            problems.append(f"relatedResource {ident[:120]} is listed twice")
            return
        seen.add(ident)
        sri, multibase = value.get("digestSRI"), value.get("digestMultibase")
        if sri is None and multibase is None:
            problems.append("each relatedResource needs a digestSRI or a digestMultibase")
            return
        if sri is not None and not all(isinstance(s, str) and _SRI.fullmatch(s) for s in str(sri).split()):
            problems.append("a relatedResource's digestSRI must be sha256-, sha384- or sha512- and base64")
            return
        if multibase is not None and not (isinstance(multibase, str) and _MULTIBASE.fullmatch(multibase)):
            problems.append("a relatedResource's digestMultibase must be a multibase string")
            return


def credential_problems(document: Mapping[str, Any]) -> list[str]:
    """What in ``document`` breaks the VCDM rules of its version (empty: none), at most :data:`MAX_PROBLEMS`."""
    problems: list[str] = []
    contexts = as_list(document.get("@context"))
    version = credential_version(document)
    _context_problems(problems, contexts, version)
    types = as_list(document.get("type"))
    if "VerifiableCredential" not in types:
        problems.append("type must include VerifiableCredential")
    elif not all(isinstance(t, str) and t for t in types):
        problems.append("every type must be a string")
    issuer = document.get("issuer")
    if not is_url(id_of(issuer)):
        problems.append("the issuer must be a URL or an object with an id URL")
    if isinstance(issuer, Mapping):
        _texts(problems, issuer, "the issuer's ")
    _texts(problems, document, "")
    subjects = as_list(document.get("credentialSubject"))
    if not subjects or not all(isinstance(s, Mapping) and s for s in subjects):
        problems.append("credentialSubject must be one or more non-empty objects")
    if "id" in document and not is_url(document["id"]):
        problems.append("id must be a URL")
    if version == 1:
        if "issuanceDate" not in document:
            problems.append("a VCDM 1.1 credential needs issuanceDate")
        start_name, end_name = "issuanceDate", "expirationDate"
    else:
        start_name, end_name = "validFrom", "validUntil"
    for name in (start_name, end_name):
        if name in document and not _is_time(document[name]):
            problems.append(f"{name} must be an XML Schema dateTimeStamp (date, time and time zone)")
    start, end = parse_time(document.get(start_name)), parse_time(document.get(end_name))
    if start is not None and end is not None and end < start:
        problems.append(f"{end_name} is before {start_name}")
    _typed_problems(problems, document)
    if "relatedResource" in document:
        _related_problems(problems, document["relatedResource"])
    return problems[:MAX_PROBLEMS]


def check_credential(document: Mapping[str, Any]) -> None:
    """Refuse (:class:`~cairn.errors.CredentialError`) a credential that breaks the VCDM rules."""
    problems = credential_problems(document)
    if problems:
        raise CredentialError("the credential is not well-formed: " + "; ".join(problems))


def with_proof_context(document: Mapping[str, Any]) -> dict[str, Any]:
    """``document``, with the Data Integrity context appended when it is a VCDM 1.1 credential without it.

    The 1.1 context does not define ``DataIntegrityProof``, ``cryptosuite`` or ``proofValue``; the Data
    Integrity specification says such a credential SHOULD get the Data Integrity context added before signing.
    """
    copy = dict(document)
    contexts = as_list(copy.get("@context"))
    if credential_version(copy) == 1 and DATA_INTEGRITY_V2 not in contexts:
        copy["@context"] = [*contexts, DATA_INTEGRITY_V2]
    return copy
