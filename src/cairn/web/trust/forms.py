"""The accreditation form: its fields read and checked, each problem in plain words (in the reader's language)
keyed by the id of the field it belongs to, so a page shows it next to the field and in the error summary."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from cairn.errors import CairnError
from cairn.model.trust import Evidence, LegalIdentity, Scope
from cairn.web.i18n import translate
from cairn.web.render import say

__all__ = [
    "FIELDS",
    "IDENTIFIERS",
    "MAX_IDENTIFIERS",
    "MAX_REASON",
    "MAX_TEXT",
    "AccreditFields",
    "AccreditForm",
    "error_field",
    "read_accreditation",
    "read_reason",
]

MAX_TEXT: Final = 500
"""Longest legal name, identifier, evidence name or URL, and reason, in characters."""
MAX_REASON: Final = 500
MAX_IDENTIFIERS: Final = 20
"""DIDs and certificate fingerprints together, as the registry service allows."""
IDENTIFIERS: Final = (
    ("national", "National register number", "For example a KRS or REGON number."),
    ("vat", "VAT number", "With its country prefix, for example PL5260250995."),
    ("lei", "LEI", "The Legal Entity Identifier: 20 letters and digits."),
    ("eidas", "eIDAS identifier", "As in the organisation's qualified seal certificate, for example VATPL-5260250995."),
)
"""The register identifiers the form asks for: (field, label, hint)."""
FIELDS: Final = (
    "kind",
    "legal_name",
    "country",
    "dids",
    "certificates",
    *(name for name, _, _ in IDENTIFIERS),
    "isced",
    "eqf",
    "nqf",
    "types",
    "valid_from",
    "valid_until",
    "evidence_name",
    "evidence_url",
)
"""Every field of the form, in the order the page shows them (and problems are listed)."""

_DID: Final = re.compile(r"did:[a-z0-9]+:(?:[A-Za-z0-9._:-]|%[0-9A-Fa-f]{2})*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})")
_URL: Final = re.compile(r"https://[A-Za-z0-9.-]+(?::\d{1,5})?(?:/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?")
_HEX: Final = re.compile(r"[0-9a-f]{64}")
_ISCED: Final = re.compile(r"\d{2,4}")
_NQF: Final = re.compile(r"[A-Z]{2}-[0-9A-Za-z]{1,6}")
_TYPE: Final = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,99}")
_LEI: Final = re.compile(r"[A-Z0-9]{18}[0-9]{2}")
_COUNTRY: Final = re.compile(r"[A-Za-z]{2}")
_SERVICE_FIELDS: Final = {
    "an organisation cannot accredit itself": "dids",
    "the accreditation must end after it starts": "valid_until",
    "the country is a two-letter code (ISO 3166-1), for example PL": "country",
    "give at least one DID or seal certificate fingerprint of the accredited organisation": "dids",
    "a certificate is named by its SHA-256 fingerprint (64 hex digits)": "certificates",
}


_Text = Field(default="", max_length=20_000)


class AccreditFields(BaseModel):
    """The accreditation form as posted (every field text, bounded; the EQF levels ticked)."""

    model_config = ConfigDict(extra="ignore")
    kind: str = Field(default="", max_length=20)
    legal_name: str = _Text
    country: str = _Text
    dids: str = _Text
    certificates: str = _Text
    national: str = _Text
    vat: str = _Text
    lei: str = _Text
    eidas: str = _Text
    isced: str = _Text
    eqf: list[str] = Field(default_factory=list, max_length=20)
    nqf: str = _Text
    types: str = _Text
    valid_from: str = Field(default="", max_length=40)
    valid_until: str = Field(default="", max_length=40)
    evidence_name: str = _Text
    evidence_url: str = _Text

    def text(self) -> dict[str, str]:
        """The text fields by name (to fill the form in again)."""
        return {k: v for k, v in self.model_dump().items() if isinstance(v, str)}


@dataclass(slots=True)
class AccreditForm:
    """The accreditation as the registry service takes it, read from a valid form."""

    kind: str
    subjects: list[str]
    certificates: list[str]
    identity: LegalIdentity
    scope: Scope
    valid_from: datetime | None
    valid_until: datetime | None
    evidence: list[Evidence] = field(default_factory=list)


def _items(raw: str) -> list[str]:
    """The entries of a list field: one a line, or separated by commas or spaces."""
    return [item for item in re.split(r"[\s,;]+", raw) if item]


def _one_line(value: str) -> bool:
    return not any(ord(c) < 32 or ord(c) == 127 for c in value)


def _text(errors: dict[str, str], key: str, value: str, lang: str, *, label: str) -> str:
    value = value.strip()
    if _one_line(value):
        value = " ".join(value.split())
    if len(value) > MAX_TEXT:
        errors[key] = say(lang, "%(label)s: at most %(max)s characters", label=translate(lang, label), max=MAX_TEXT)
    elif not _one_line(value):
        errors[key] = say(lang, "%(label)s: remove the control characters", label=translate(lang, label))
    return value


def _date(errors: dict[str, str], key: str, value: str, lang: str, *, end: bool) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        errors[key] = say(lang, "Enter the date as year-month-day, for example 2027-09-30")
        return None
    if not 2000 <= day.year <= 2200:
        errors[key] = say(lang, "Enter a date between the years 2000 and 2200")
        return None
    return datetime.combine(day, time(23, 59, 59) if end else time(0, 0), tzinfo=UTC)


def _identifiers(form: Mapping[str, str], errors: dict[str, str], lang: str) -> tuple[list[str], list[str]]:
    dids = _items(form.get("dids", ""))
    certificates = [c.replace(":", "").lower() for c in _items(form.get("certificates", ""))]
    for number, did in enumerate(dids, start=1):
        if len(did) > MAX_TEXT or not (_DID.fullmatch(did) or _URL.fullmatch(did)):
            errors["dids"] = say(
                lang, "DID number %(number)s is not a DID: write did:METHOD:IDENTIFIER or an https URL", number=number
            )
            break
    for number, certificate in enumerate(certificates, start=1):
        if not _HEX.fullmatch(certificate):
            errors["certificates"] = say(
                lang, "Fingerprint number %(number)s is not a SHA-256 fingerprint (64 hex digits)", number=number
            )
            break
    if not dids and not certificates and "dids" not in errors:
        errors["dids"] = say(lang, "Give at least one DID or seal certificate fingerprint of the organisation")
    elif len(set(dids)) + len(set(certificates)) > MAX_IDENTIFIERS:
        errors["dids"] = say(lang, "Give at most %(max)s DIDs and fingerprints together", max=MAX_IDENTIFIERS)
    return list(dict.fromkeys(dids)), list(dict.fromkeys(certificates))


def _scope(form: Mapping[str, str], levels: list[str], errors: dict[str, str], lang: str) -> Scope:
    isced = _items(form.get("isced", ""))
    if any(not _ISCED.fullmatch(code) for code in isced) or len(isced) > 50:
        errors["isced"] = say(lang, "ISCED-F codes have 2 to 4 digits, for example 06, 061 or 0613")
    eqf = sorted({int(level) for level in levels if level.isdigit() and 1 <= int(level) <= 8})
    if len(eqf) != len(set(levels)):
        errors["eqf"] = say(lang, "Choose EQF levels from 1 to 8")
    nqf = [level.upper() for level in _items(form.get("nqf", ""))]
    if any(not _NQF.fullmatch(level) for level in nqf) or len(nqf) > 50:
        errors["nqf"] = say(lang, "Write national levels as a country code and a level, for example PL-5")
    types = _items(form.get("types", ""))
    if any(not _TYPE.fullmatch(kind) for kind in types) or len(types) > 50:
        errors["types"] = say(lang, "Write credential types as single words, for example MicroCredential")
    return Scope(tuple(dict.fromkeys(isced)), tuple(eqf), tuple(dict.fromkeys(nqf)), tuple(dict.fromkeys(types)))


def read_accreditation(
    form: Mapping[str, str], levels: list[str], lang: str
) -> tuple[AccreditForm | None, dict[str, str]]:
    """The accreditation the form describes, or None and the problems (field id -> sentence in ``lang``).

    ``form`` holds the text fields; ``levels`` the ticked EQF levels."""
    errors: dict[str, str] = {}
    kind = form.get("kind", "")
    if kind not in ("issuer", "body"):
        errors["kind"] = say(lang, "Choose whether the organisation is accredited as an issuer or as a body")
    legal_name = _text(errors, "legal_name", form.get("legal_name", ""), lang, label="Legal name")
    if not legal_name and "legal_name" not in errors:
        errors["legal_name"] = say(lang, "Enter the organisation's legal name")
    country = form.get("country", "").strip()
    if not _COUNTRY.fullmatch(country):
        errors["country"] = say(lang, "Enter the country as a two-letter code, for example PL")
    subjects, certificates = _identifiers(form, errors, lang)
    identifiers = []
    for name, label, _ in IDENTIFIERS:
        value = _text(errors, name, form.get(name, ""), lang, label=label)
        if value and name == "lei" and not _LEI.fullmatch(value.upper()):
            errors[name] = say(lang, "An LEI has 20 characters: 18 letters or digits, then 2 check digits")
        if value:
            identifiers.append((name, value.upper() if name == "lei" else value))
    scope = _scope(form, levels, errors, lang)
    start = _date(errors, "valid_from", form.get("valid_from", ""), lang, end=False)
    until = _date(errors, "valid_until", form.get("valid_until", ""), lang, end=True)
    if start and until and until <= start and "valid_until" not in errors:
        errors["valid_until"] = say(lang, "The accreditation must end after it starts")
    evidence_name = _text(errors, "evidence_name", form.get("evidence_name", ""), lang, label="Evidence")
    evidence_url = form.get("evidence_url", "").strip()
    if evidence_url and (len(evidence_url) > MAX_TEXT or not _URL.fullmatch(evidence_url)):
        errors["evidence_url"] = say(lang, "Give an address that starts with https:// for the evidence")
    elif evidence_url and not evidence_name and "evidence_name" not in errors:
        errors["evidence_name"] = say(lang, "Name the evidence the address points to, for example the decision")
    if errors:
        ordered = {key: errors[key] for key in FIELDS if key in errors}
        return None, ordered
    evidence = [Evidence(evidence_name, evidence_url or None)] if evidence_name else []
    identity = LegalIdentity(legal_name, country.upper(), tuple(identifiers))
    return AccreditForm(kind, subjects, certificates, identity, scope, start, until, evidence), {}


def error_field(exc: CairnError) -> str:
    """The form field a registry service's refusal is about (``dids`` when it names none)."""
    return _SERVICE_FIELDS.get(exc.message_id, "dids")


def read_reason(raw: str, lang: str, *, required: bool = True) -> tuple[str, str | None]:
    """A status change's reason on one line, and the problem with it (None when fine)."""
    reason = " ".join(raw.split())
    if required and not reason:
        return reason, say(lang, "Say why; the reason is kept in the audit log and published with the status")
    if len(reason) > MAX_REASON:
        return reason, say(lang, "The reason has at most %(max)s characters", max=MAX_REASON)
    return reason, None
