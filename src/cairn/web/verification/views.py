"""What a verified credential certifies, per format, for the verifier's page and its JSON report.

- :func:`elm_rows`: a European Digital Credential's Annex I elements (from :func:`cairn.vc.formats.elm.annex_rows`, in
  the reader's language), learning outcomes with their ESCO skills as links;
- :func:`seal_view`: an EDC's electronic seal: the certificate chain (each link as checked), the trust mark
  (unknown unless the operator configured trusted seal certificates) and the signing time;
- :func:`achievement_view`: an Open Badges 3.0 achievement's name, type, description and criteria (its Annex I
  elements come from :func:`cairn.web.verification.rows.credential_rows`);
- :func:`badge_view`: an Open Badges 2.0 badge class (name, description, criteria, issuer, image as text) and
  the kind of recipient identity, never the identity or its hash.

Everything here reads untrusted input: only strings are shown, only http(s) URLs become links, and the
template escapes all of it. Texts that Cairn adds go through :func:`cairn.web.i18n.translate`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from cairn.formats.annex import localized
from cairn.model.definitions import ANNEX_I
from cairn.model.types import pick
from cairn.skills.labels import skill_label
from cairn.vc.formats.elm import annex_rows
from cairn.vc.report import Report
from cairn.web.catalog.views import Item, Row
from cairn.web.i18n import human_date, translate

__all__ = ["ELM_ELEMENTS", "achievement_view", "badge_view", "elm_rows", "seal_view"]

_SAFE_LINK: Final = re.compile(r"^https?://", re.IGNORECASE)
_CELL: Final = 2000

ELM_ELEMENTS: Final[dict[str, int | str]] = {
    "Learner": 1,
    "Title of the micro-credential": 2,
    "Country/region of the issuer": 3,
    "Awarding body": 4,
    "Date of issuing": 5,
    "Learning outcomes": 6,
    "Notional workload": 7,
    "Level (EQF)": 8,
    "Level (national framework)": 8,
    "Type of assessment": 9,
    "Form of participation": 10,
    "Quality assurance": 11,
    "Prerequisites": "Prerequisites",
    "Supervision and identity verification": "Supervision",
    "Grade": "Grade",
    "Integration/stackability": "Integration",
}
"""Each row name of :func:`cairn.vc.formats.elm.annex_rows` -> its Annex I element (number, or the optional element's
name prefix)."""

_PREFIXES: Final = {
    "Level (EQF)": "EQF: %(value)s",
    "Level (national framework)": "National framework: %(value)s",
}
"""Rows that share an element say which they are."""

_STACKING: Final = ("partial qualification", "not a partial qualification", "entitles to further learning")
"""The phrases :func:`cairn.vc.formats.elm.annex_rows` uses for stackability (translated for the page)."""

RECIPIENT_KINDS: Final = {"email": "an email address", "url": "a web address", "telephone": "a telephone number"}
"""How an Open Badges 2.0 badge can name its recipient."""


def _str(value: Any) -> str:
    return value[:_CELL] if isinstance(value, str) else ""


def _link(value: Any) -> str:
    text = _str(value)
    return text if _SAFE_LINK.match(text) else ""


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _words(value: Any, lang: str) -> str:
    """A readable string from an ELM language map (``{"en": "..."}``, values strings or lists) or a string."""
    if isinstance(value, str):
        return value[:_CELL]
    if isinstance(value, list):
        return "; ".join(t for t in (_words(v, lang) for v in value) if t)
    if not isinstance(value, Mapping):
        return ""
    texts = {k: _words(v, lang) for k, v in value.items() if isinstance(k, str) and len(k) <= 8}
    return pick({k: v for k, v in texts.items() if v}, lang)[1]


def _element(key: int | str) -> tuple[int, str, bool]:
    for element in ANNEX_I:
        if (isinstance(key, int) and element.number == key) or (
            isinstance(key, str) and not element.mandatory and element.name.startswith(key)
        ):
            return element.number, element.name, element.mandatory
    raise KeyError(key)


def _elm_outcomes(edc: Mapping[str, Any], lang: str) -> list[Item]:
    """Each learning outcome of the EDC's claim, its ESCO skills as links (labels in ``lang`` where given)."""
    claim = _map(_first(_map(edc.get("credentialSubject")).get("hasClaim")))
    spec = _map(_first(claim.get("specifiedBy")))
    items = []
    for outcome in _list(spec.get("learningOutcome"))[:200]:
        outcome = _map(outcome)
        links = []
        for skill in _list(outcome.get("relatedESCOSkill"))[:50]:
            skill = _map(skill)
            uri = _link(skill.get("id"))
            if uri:
                given = _words(skill.get("prefLabel"), lang)
                known = skill_label(uri, lang)
                if given and lang != "en":
                    links.append((given, uri, ""))
                else:
                    links.append((known[1], uri, known[0]) if known else (given or uri, uri, ""))
        text = _words(outcome.get("title"), lang)
        if text or links:
            items.append(Item(text or translate(lang, "(no statement)"), links=tuple(links)))
    return items


def _learner(rows: Mapping[str, str], lang: str) -> str:
    """The learner as the EDC names them, with their date of birth and national ID in the reader's language."""
    parts = [rows.get("Learner", "")]
    if born := rows.get("Learner's date of birth"):
        parts.append(translate(lang, "born %(date)s", date=human_date(born, lang) or born))
    if national := rows.get("Learner's national ID"):
        parts.append(translate(lang, "national ID %(value)s", value=national))
    return ", ".join(p for p in parts if p)


def elm_rows(edc: Mapping[str, Any], lang: str) -> list[Row]:
    """Every Annex I element, as the EDC states it, in the reader's language (see the module's text)."""
    found: dict[int | str, list[Item]] = {}
    annex = annex_rows(edc, lang)
    learner = _learner(dict(annex), lang)
    if learner:
        found[1] = [Item(learner)]
    for name, value in annex:
        if name.startswith("Learner"):
            continue
        key = ELM_ELEMENTS.get(name)
        if key is None:
            continue
        if name == "Integration/stackability":
            parts = [p for p in value.split("; ") if p]
            items = [Item(translate(lang, p) if p in _STACKING else p) for p in parts]
        elif name in _PREFIXES:
            items = [Item(translate(lang, _PREFIXES[name], value=value))]
        elif key == 5:  # the date of issuing, written for people as on every other credential
            items = [Item(human_date(value, lang) or value)]
        else:
            items = [Item(value)]
        found.setdefault(key, []).extend(items)
    outcomes = _elm_outcomes(edc, lang)
    if outcomes:
        found[6] = outcomes
    rows = []
    for key in (*range(1, 12), "Prerequisites", "Supervision", "Grade", "Integration", "Further information"):
        number, name, mandatory = _element(key)
        rows.append(Row(number, name, found.get(key, []), mandatory=mandatory))
    return rows


def _fingerprint(value: Any) -> str:
    text = _str(value).lower()
    return ":".join(text[i : i + 2] for i in range(0, len(text), 2)) if re.fullmatch(r"[0-9a-f]{64}", text) else ""


_CERTIFICATE_FIELDS: Final = ("subject", "issuer", "organisation", "organisation_identifier", "country", "serial")


def seal_view(report: Report, trusted_certificates: int) -> dict[str, Any]:
    """An EDC's seal: whether it has one, the chain as verified, the trust mark and its reason, the signing time.

    ``trusted_certificates``: how many seal certificates the operator trusts (0: none configured).
    """
    chain = [_map(c) for c in _list(report.issuer.get("certificate_chain"))[:10]]
    certificates = [
        {
            **{name: _str(c.get(name)) for name in _CERTIFICATE_FIELDS},
            "not_before": _str(c.get("not_before")),
            "not_after": _str(c.get("not_after")),
            "sha256": _fingerprint(c.get("sha256")),
            "link": _str(c.get("link")),
        }
        for c in chain
    ]
    trusted = report.issuer.get("trust") == "trusted"
    if not certificates:
        reason = "this credential carries no electronic seal"
    elif trusted:
        reason = "the certificate chain reaches a seal certificate this instance's operator trusts"
    elif trusted_certificates:
        reason = (
            "none of the seal certificates this instance's operator trusts is in this chain; "
            "EU trusted lists are not consulted"
        )
    else:
        reason = (
            "this instance's operator has configured no trusted seal certificates, "
            "and EU trusted lists are not consulted"
        )
    return {
        "sealed": bool(certificates),
        "trust": "trusted" if trusted else "unknown",
        "trust_reason": reason,
        "signing_time": _str(report.issuer.get("signing_time")) or None,
        "certificate_chain": certificates,
    }


def badge_view(report: Report) -> dict[str, Any]:
    """An Open Badges 2.0 badge class and how the badge names its recipient (never the identity or its hash)."""
    badge = report.achievement
    criteria = _map(badge.get("criteria"))
    image = _str(badge.get("image"))
    kind = _str(report.subject.get("type")).lower()
    return {
        "name": _str(badge.get("name")),
        "description": _str(badge.get("description")),
        "criteria": _str(criteria.get("narrative")),
        "criteria_url": _link(criteria.get("id")),
        "issuer": _str(report.issuer.get("name")) or _str(report.issuer.get("id")),
        "issuer_url": _link(report.issuer.get("url")),
        "image": "link" if _link(image) else "embedded" if image.startswith("data:") else "",
        "image_url": _link(image),
        "tags": [t for t in (_str(t)[:100] for t in _list(badge.get("tags"))[:50]) if t],
        "recipient": {
            "kind": RECIPIENT_KINDS.get(kind, "an identity of another kind") if report.subject else "",
            "hashed": report.subject.get("hashed") is True,
        },
    }


def achievement_view(credential: Mapping[str, Any], lang: str = "en") -> dict[str, str] | None:
    """An Open Badges 3.0 achievement: name, type, description, criteria (narrative and page); None without one.
    Name and description in the reader's ``lang`` where the credential gives it (``*_lang``: the language of
    each; ``written``: the language of the achievement's own texts)."""
    subject = _map(_first(credential.get("credentialSubject")))
    achievement = _map(subject.get("achievement"))
    if not achievement:
        return None
    criteria = _map(achievement.get("criteria"))
    kind = _str(achievement.get("achievementType"))
    name_lang, name = localized(achievement, "name", lang)
    description_lang, description = localized(achievement, "description", lang)
    return {
        "name": name,
        "name_lang": name_lang,
        "type": re.sub(r"(?<=[a-z])(?=[A-Z])", " ", kind.removeprefix("ext:")) if len(kind) <= 100 else "",
        "description": description,
        "description_lang": description_lang,
        "written": _str(achievement.get("inLanguage")),
        "criteria": _str(criteria.get("narrative")),
        "criteria_url": _link(criteria.get("id")),
    }
