"""What a DCQL query asks, in words, for the verifier's request page and the wallet's answer page; and how an
answered request met each part of its query. Pure: the texts are English msgids the templates translate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from cairn.model.dcql import JWT_VC_JSON, LDP_VC, SD_JWT

__all__ = ["CLAIM_LABELS", "FORMAT_LABELS", "asked", "met"]

FORMAT_LABELS: Final = {
    SD_JWT: "SD-JWT VC Learning Credential (EU Digital Identity Wallets)",
    LDP_VC: "W3C Verifiable Credential (Open Badges 3.0, Data Integrity)",
    JWT_VC_JSON: "W3C Verifiable Credential as a JWT (Open Badges 3.0)",
}
CLAIM_LABELS: Final = {
    "given_name": "Given name",
    "family_name": "Family name",
    "achievement_title": "Title of the micro-credential",
    "issuing_authority": "Awarding body",
    "date_of_issuance": "Date of issuing",
    "learning_outcomes": "Learning outcomes",
    "expected_study_time": "Notional workload",
    "credit_points": "Credit points",
    "assessment_grade": "Grade",
    "field_of_education": "Field of education (ISCED-F), which issuers' accreditations are scoped by",
}
"""The Learning Credential claims the simple form offers to have disclosed, with their words."""
_EQF: Final = re.compile(r"^http://data\.europa\.eu/snb/eqf/(\d)$")
_LEVEL: Final = ["level_of_learning_experience"]
_ALIGNMENT: Final = ["credentialSubject", "achievement", "alignment", None, "targetUrl"]
_ACHIEVEMENT: Final = ["credentialSubject", "achievement", "id"]


def _path(path: list[Any]) -> str:
    return "/".join("*" if p is None else str(p) for p in path)


def _claim(claim: Mapping[str, Any]) -> dict[str, Any]:
    """One claims query in words: ``text`` (msgid), its ``values`` for the template, ``path`` for people."""
    path, values = list(claim.get("path", [])), claim.get("values")
    if path == _LEVEL and values and all(isinstance(v, int) for v in values):
        return {"text": "EQF level %(n)s or higher", "n": min(values), "path": _path(path)}
    if path == _ALIGNMENT and values:
        levels = [int(m.group(1)) for v in values if isinstance(v, str) and (m := _EQF.match(v))]
        if levels and len(levels) == len(values):
            return {"text": "EQF level %(n)s or higher", "n": min(levels), "path": _path(path)}
    if path == _ACHIEVEMENT and values:
        return {"text": "one of these achievements: %(list)s", "list": ", ".join(map(str, values)), "path": _path(path)}
    if len(path) == 1 and isinstance(path[0], str) and path[0] in CLAIM_LABELS and not values:
        return {"text": CLAIM_LABELS[path[0]], "path": _path(path), "claim": True}
    if values:
        shown = ", ".join(map(str, values[:5])) + (" …" if len(values) > 5 else "")
        return {"text": "%(path)s, one of: %(list)s", "list": shown, "path": _path(path)}
    return {"text": "%(path)s", "path": _path(path), "claim": True}


def asked(dcql: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each credential query: ``id``, ``format`` (words), ``claims`` (:func:`_claim`), ``disclose`` (the claims
    asked without a value: what is disclosed), ``optional`` (an alternative of a credential set)."""
    sets = dcql.get("credential_sets") or []
    alternatives = {name for s in sets if len(s.get("options", [])) > 1 for option in s["options"] for name in option}
    out = []
    for query in dcql.get("credentials", []):
        claims = [_claim(c) for c in query.get("claims", [])]
        out.append(
            {
                "id": query.get("id"),
                "format": FORMAT_LABELS.get(query.get("format", ""), str(query.get("format"))),
                "kind": query.get("format"),
                "claims": claims,
                "alternative": query.get("id") in alternatives,
            }
        )
    return out


def met(dcql: Mapping[str, Any], result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """For an answered request, each credential query: answered or not, and each claim asked with the values the
    holder disclosed (an accepted answer met every claim of each query it answers)."""
    disclosed = result.get("disclosed") or {}
    reports = result.get("reports") or {}
    out = []
    for query in asked(dcql):
        given = disclosed.get(query["id"]) or {}
        values = [c.get("values", []) for c in given.get("claims", [])]
        claims = [{**c, "found": values[i] if i < len(values) else []} for i, c in enumerate(query["claims"])]
        shown = given.get("shown") if isinstance(given.get("shown"), dict) else {}
        out.append({**query, "answered": query["id"] in reports, "claims": claims, "shown": shown})
    return out
