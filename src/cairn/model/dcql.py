"""DCQL (the Digital Credentials Query Language of OpenID for Verifiable Presentations 1.0, section 6): the subset
Cairn writes, reads and matches. Pure: no database, no clock.

- :func:`build_query` turns what a verifier asks in simple terms (:class:`Ask`: formats, a minimum EQF level, some
  achievements, claims to disclose) into a query: one credential query per format, alternatives of one
  ``credential_sets`` entry when there are several.
- :func:`check_query` reads a raw query (from the API) and refuses what Cairn does not support, with a reason:
  ``credentials`` (1 to :data:`MAX_QUERIES`) with ``id``, ``format`` (:data:`FORMATS`), ``meta`` (``vct_values``
  or ``type_values``), ``claims`` (``path`` of strings, non-negative integers and ``null`` for every array
  element, optional ``values``), ``multiple`` and ``require_cryptographic_holder_binding``; ``credential_sets``
  (``options``, ``required``). ``claim_sets`` and ``trusted_authorities`` are refused (not supported yet).
- :func:`unmet` says why one credential (its claims as a JSON object) does not answer one credential query
  (``None`` when it does); :func:`satisfied` whether the credential query ids answered satisfy the query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = [
    "EQF_URL",
    "FORMATS",
    "JWT_VC_JSON",
    "LDP_VC",
    "MAX_QUERIES",
    "OB_TYPES",
    "SD_JWT",
    "VCT",
    "Ask",
    "DcqlError",
    "build_query",
    "check_query",
    "satisfied",
    "select",
    "unmet",
]

SD_JWT: Final = "dc+sd-jwt"
LDP_VC: Final = "ldp_vc"
JWT_VC_JSON: Final = "jwt_vc_json"
FORMATS: Final = (SD_JWT, LDP_VC, JWT_VC_JSON)
VCT: Final = "urn:eu.europa.ec.eudi:learning:credential:1"
OB_TYPES: Final = ("VerifiableCredential", "OpenBadgeCredential")
EQF_URL: Final = "http://data.europa.eu/snb/eqf/%d"
MAX_QUERIES: Final = 10
MAX_CLAIMS: Final = 40
MAX_VALUES: Final = 50
MAX_PATH: Final = 10
_ID: Final = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_QUERY_IDS: Final = {SD_JWT: "learning_credential", LDP_VC: "open_badge_ldp", JWT_VC_JSON: "open_badge_jwt"}
_ACHIEVEMENT_PATH: Final = ("credentialSubject", "achievement", "id")
_ALIGNMENT_PATH: Final = ("credentialSubject", "achievement", "alignment", None, "targetUrl")


class DcqlError(ValueError):
    """A query Cairn cannot read or does not support (the message says why, in English)."""


@dataclass(frozen=True, slots=True)
class Ask:
    """What a verifier asks, in simple terms."""

    formats: tuple[str, ...]
    min_eqf: int | None = None
    achievements: tuple[str, ...] = ()
    """Achievement ids (Open Badges ``credentialSubject.achievement.id``): asked of the W3C formats only."""
    claims: tuple[str, ...] = field(default=())
    """Learning Credential claims to disclose (the SD-JWT VC's selectively disclosable claims)."""


def build_query(ask: Ask) -> dict[str, Any]:
    """The DCQL query for ``ask`` (DcqlError when it asks nothing or something no format can say)."""
    formats = [f for f in FORMATS if f in ask.formats]
    if not formats:
        raise DcqlError("choose at least one credential format")
    if ask.min_eqf is not None and not 1 <= ask.min_eqf <= 8:
        raise DcqlError("the EQF level is a number from 1 to 8")
    if ask.achievements and formats == [SD_JWT]:
        raise DcqlError("specific achievements can be asked of the W3C formats only")
    queries = []
    for kind in formats:
        if ask.achievements and kind == SD_JWT:
            continue
        query: dict[str, Any] = {"id": _QUERY_IDS[kind], "format": kind}
        claims: list[dict[str, Any]] = []
        if kind == SD_JWT:
            query["meta"] = {"vct_values": [VCT]}
            if ask.min_eqf is not None:
                claims.append({"path": ["level_of_learning_experience"], "values": list(range(ask.min_eqf, 9))})
            claims += [{"path": [name]} for name in dict.fromkeys(ask.claims) if name != "level_of_learning_experience"]
        else:
            query["meta"] = {"type_values": [list(OB_TYPES)]}
            if ask.min_eqf is not None:
                levels = [EQF_URL % n for n in range(ask.min_eqf, 9)]
                claims.append({"path": list(_ALIGNMENT_PATH), "values": levels})
            if ask.achievements:
                claims.append({"path": list(_ACHIEVEMENT_PATH), "values": list(dict.fromkeys(ask.achievements))})
        if claims:
            query["claims"] = claims
        queries.append(query)
    dcql: dict[str, Any] = {"credentials": queries}
    if len(queries) > 1:
        dcql["credential_sets"] = [{"options": [[q["id"]] for q in queries], "required": True}]
    return check_query(dcql)


def _strings(value: Any, what: str, limit: int = MAX_VALUES) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > limit:
        raise DcqlError(f"{what} must be a list of 1 to {limit} strings")
    if not all(isinstance(v, str) and 0 < len(v) <= 500 for v in value):
        raise DcqlError(f"{what} must be a list of 1 to {limit} strings")
    return list(value)


def _claim(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise DcqlError(f"{where}: a claims query is a JSON object")
    unknown = set(raw) - {"id", "path", "values"}
    if unknown:
        raise DcqlError(f"{where}: unsupported claims query member {sorted(unknown)[0][:40]!r}")
    path = raw.get("path")
    if not isinstance(path, list) or not path or len(path) > MAX_PATH:
        raise DcqlError(f"{where}: path must be a list of 1 to {MAX_PATH} elements")
    for part in path:
        ok = part is None or (isinstance(part, str) and 0 < len(part) <= 200)
        ok = ok or (isinstance(part, int) and not isinstance(part, bool) and part >= 0)
        if not ok:
            raise DcqlError(f"{where}: a path element is a string, a non-negative integer or null")
    claim: dict[str, Any] = {"path": list(path)}
    if "id" in raw:
        if not isinstance(raw["id"], str) or not _ID.match(raw["id"]):
            raise DcqlError(f"{where}: a claim id is 1 to 64 letters, digits, _ or -")
        claim["id"] = raw["id"]
    if "values" in raw:
        values = raw["values"]
        if not isinstance(values, list) or not values or len(values) > MAX_VALUES:
            raise DcqlError(f"{where}: values must be a list of 1 to {MAX_VALUES} strings, numbers or booleans")
        if not all(isinstance(v, str | int | bool) and not isinstance(v, float) for v in values):
            raise DcqlError(f"{where}: values must be strings, integers or booleans")
        claim["values"] = list(values)
    return claim


def _credential(raw: Any, index: int) -> dict[str, Any]:
    where = f"credentials[{index}]"
    if not isinstance(raw, Mapping):
        raise DcqlError(f"{where} is not a JSON object")
    unknown = set(raw) - {"id", "format", "meta", "claims", "multiple", "require_cryptographic_holder_binding"}
    if unknown:
        raise DcqlError(f"{where}: unsupported member {sorted(unknown)[0][:40]!r}")
    query_id, kind = raw.get("id"), raw.get("format")
    if not isinstance(query_id, str) or not _ID.match(query_id):
        raise DcqlError(f"{where}: id is 1 to 64 letters, digits, _ or -")
    if kind not in FORMATS:
        raise DcqlError(f"{where}: format must be one of {', '.join(FORMATS)}")
    meta = raw.get("meta")
    if not isinstance(meta, Mapping):
        raise DcqlError(f"{where}: meta is required (vct_values or type_values)")
    out: dict[str, Any] = {"id": query_id, "format": kind}
    if kind == SD_JWT:
        if set(meta) != {"vct_values"}:
            raise DcqlError(f"{where}: the meta of dc+sd-jwt has vct_values only")
        out["meta"] = {"vct_values": _strings(meta["vct_values"], f"{where}.meta.vct_values")}
    else:
        if set(meta) != {"type_values"}:
            raise DcqlError(f"{where}: the meta of {kind} has type_values only")
        sets = meta["type_values"]
        if not isinstance(sets, list) or not sets or len(sets) > MAX_VALUES:
            raise DcqlError(f"{where}: type_values must be a list of lists of types")
        out["meta"] = {"type_values": [_strings(s, f"{where}.meta.type_values") for s in sets]}
    if "claims" in raw:
        claims = raw["claims"]
        if not isinstance(claims, list) or not claims or len(claims) > MAX_CLAIMS:
            raise DcqlError(f"{where}: claims must be a list of 1 to {MAX_CLAIMS} claims queries")
        out["claims"] = [_claim(c, f"{where}.claims[{i}]") for i, c in enumerate(claims)]
    for flag in ("multiple", "require_cryptographic_holder_binding"):
        if flag in raw:
            if not isinstance(raw[flag], bool):
                raise DcqlError(f"{where}: {flag} is true or false")
            out[flag] = raw[flag]
    if out.get("multiple"):
        raise DcqlError(f"{where}: multiple credentials for one query are not supported")
    if out.get("require_cryptographic_holder_binding") is False:
        raise DcqlError(f"{where}: Cairn always asks for holder binding")
    return out


def check_query(raw: Any) -> dict[str, Any]:
    """The query ``raw`` as Cairn keeps it (only the members it supports), or DcqlError saying what is wrong."""
    if not isinstance(raw, Mapping):
        raise DcqlError("a DCQL query is a JSON object")
    unknown = set(raw) - {"credentials", "credential_sets"}
    if unknown:
        raise DcqlError(f"unsupported DCQL member {sorted(unknown)[0][:40]!r}")
    credentials = raw.get("credentials")
    if not isinstance(credentials, list) or not credentials or len(credentials) > MAX_QUERIES:
        raise DcqlError(f"credentials must be a list of 1 to {MAX_QUERIES} credential queries")
    queries = [_credential(c, i) for i, c in enumerate(credentials)]
    ids = [q["id"] for q in queries]
    if len(set(ids)) != len(ids):
        raise DcqlError("credential query ids must be unique")
    out: dict[str, Any] = {"credentials": queries}
    if "credential_sets" in raw:
        sets = raw["credential_sets"]
        if not isinstance(sets, list) or not sets or len(sets) > MAX_QUERIES:
            raise DcqlError("credential_sets must be a list of credential set queries")
        kept = []
        for i, entry in enumerate(sets):
            if not isinstance(entry, Mapping) or set(entry) - {"options", "required", "purpose"}:
                raise DcqlError(f"credential_sets[{i}] has options and required only")
            options = entry.get("options")
            if not isinstance(options, list) or not options or len(options) > MAX_QUERIES:
                raise DcqlError(f"credential_sets[{i}].options must be a list of lists of credential query ids")
            checked = [_strings(o, f"credential_sets[{i}].options", MAX_QUERIES) for o in options]
            if any(name not in ids for option in checked for name in option):
                raise DcqlError(f"credential_sets[{i}] names a credential query that does not exist")
            required = entry.get("required", True)
            if not isinstance(required, bool):
                raise DcqlError(f"credential_sets[{i}].required is true or false")
            kept.append({"options": checked, "required": required})
        out["credential_sets"] = kept
    return out


def select(document: Any, path: Sequence[str | int | None]) -> list[Any]:
    """The values at ``path`` in ``document`` (DCQL claims path pointer: ``null`` selects every array element)."""
    current = [document]
    for part in path:
        found: list[Any] = []
        for node in current:
            if part is None and isinstance(node, list):
                found.extend(node)
            elif isinstance(part, str) and isinstance(node, Mapping):
                if part in node:
                    found.append(node[part])
            elif isinstance(part, int) and isinstance(node, list) and part < len(node):
                found.append(node[int(part)])
        current = found[:1000]
    return current


def _types(document: Mapping[str, Any]) -> set[str]:
    value = document.get("type")
    return (
        {value}
        if isinstance(value, str)
        else {t for t in value if isinstance(t, str)}
        if isinstance(value, list)
        else set()
    )


def unmet(query: Mapping[str, Any], document: Mapping[str, Any], kind: str) -> str | None:
    """Why the credential ``document`` (claims of an SD-JWT VC, or a W3C credential) of format ``kind`` does not
    answer the credential query ``query``; None when it does."""
    if kind != query.get("format"):
        return f"the query {query.get('id')} asks for {query.get('format')}, not {kind}"
    meta = query.get("meta") or {}
    if kind == SD_JWT:
        if document.get("vct") not in meta.get("vct_values", []):
            return f"the credential's type (vct) is not one the query {query.get('id')} asks for"
    else:
        types = _types(document)
        if not any(set(wanted) <= types for wanted in meta.get("type_values", [])):
            return f"the credential's type is not one the query {query.get('id')} asks for"
    for claim in query.get("claims", []):
        found = [v for v in select(document, claim["path"]) if v is not None]
        shown = "/".join("*" if p is None else str(p) for p in claim["path"])
        if not found:
            return f"the claim {shown} the query asks for is not in the credential"
        wanted = claim.get("values")
        if wanted is not None and not any(_equal(v, w) for v in found for w in wanted):
            return f"the claim {shown} does not have a value the query accepts"
    return None


def _equal(value: Any, wanted: Any) -> bool:
    return type(value) is type(wanted) and value == wanted


def satisfied(query: Mapping[str, Any], answered: Iterable[str]) -> bool:
    """Whether the credential queries ``answered`` satisfy ``query``: every required credential set has an option
    fully answered; without credential sets, every credential query is answered."""
    done = set(answered)
    sets = query.get("credential_sets")
    if not sets:
        return all(q["id"] in done for q in query["credentials"])
    return all(any(set(option) <= done for option in s["options"]) for s in sets if s.get("required", True))
