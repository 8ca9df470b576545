"""Who vouches for an issuer: accreditations, their scope, and the chain from an issuer to a trust anchor.

Pure: no database, no clock, no network. The registry service stores accreditations and the trust network
indexes them; this module decides.

An **accreditation** binds identifiers (DIDs, or SHA-256 fingerprints of the X.509 certificates that seal
European Digital Credentials) to a legal identity and a **scope**, for a period, by an accrediting body.
Chains work as EBSI's trusted-issuer chain does: a *root* (a ministry; a trust anchor of this instance)
accredits *accreditation bodies* (quality-assurance agencies; ``kind="body"``, allowed to accredit others),
which accredit *issuers* (``kind="issuer"``). An issuer's credential is vouched for when a chain of
accreditations leads from its issuer to an anchor, every link active when the credential was awarded, the
credential inside every link's scope.

Nothing here reads a name: an issuer is found by the identifier whose key signed the credential (its DID,
or its seal certificate's fingerprint). What the credential says about itself is used only to check it
against the scope (its level, field and type, its award date): an accredited issuer states them under its
own signature, and the accreditation limits what it may state.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Final, Literal

from cairn.formats.annex import read_annex
from cairn.phrases import Phrase

__all__ = [
    "KINDS",
    "STATUSES",
    "Accreditation",
    "Chain",
    "Claim",
    "Evidence",
    "LegalIdentity",
    "Scope",
    "StatusChange",
    "Vouching",
    "claim_of",
    "vouch",
]

Kind = Literal["root", "body", "issuer"]
Status = Literal["active", "suspended", "withdrawn"]
KINDS: Final[tuple[Kind, ...]] = ("root", "body", "issuer")
"""EBSI's RootTAO, TAO and TI: a root and an accreditation body may accredit others; an issuer may not."""
STATUSES: Final[tuple[Status, ...]] = ("active", "suspended", "withdrawn")
MAX_DEPTH: Final = 6
"""The longest chain followed (root, bodies, issuer): deeper is refused as a likely loop."""

IDENTIFIER_KINDS: Final = {
    "national": "national register number",
    "vat": "VAT number",
    "lei": "LEI",
    "eidas": "eIDAS identifier",
}
_EQF_URI = re.compile(r"^https?://data\.europa\.eu/snb/eqf/(\d)$")
_ISCED_URI = re.compile(r"/isced-f/(\d{2,4})$")
_DIGITS = re.compile(r"^\d{2,4}$")


def _day(value: datetime) -> str:
    return value.date().isoformat()


@dataclass(frozen=True, slots=True)
class Scope:
    """What an accreditation covers; an empty part covers everything of its kind.

    ``isced`` are ISCED-F 2013 codes (``"06"`` broad, ``"061"`` narrow, ``"0613"`` detailed: a broader code
    covers the narrower ones); ``eqf`` EQF levels 1 to 8; ``nqf`` national levels as ``"PL-5"``;
    ``types`` credential types (``"MicroCredential"``, an Open Badges achievement type, ...)."""

    isced: tuple[str, ...] = ()
    eqf: tuple[int, ...] = ()
    nqf: tuple[str, ...] = ()
    types: tuple[str, ...] = ()

    def covers(self, claim: Claim) -> Phrase | None:
        """None when ``claim`` is inside this scope, else why not (a plain sentence)."""
        if not claim.scoped:
            return None
        if self.eqf:
            levels = _levels(self.eqf)
            if claim.eqf is None:
                return Phrase(
                    "the accreditation covers EQF %(levels)s but the credential states no EQF level", levels=levels
                )
            if claim.eqf not in self.eqf:
                return Phrase(
                    "the credential is at EQF %(level)s, outside the accredited EQF %(levels)s",
                    level=str(claim.eqf),
                    levels=levels,
                )
        if self.isced:
            fields = ", ".join(self.isced)
            if not claim.isced:
                return Phrase(
                    "the accreditation covers ISCED-F %(fields)s but the credential states no field", fields=fields
                )
            if not any(claim.isced.startswith(code) for code in self.isced):
                return Phrase(
                    "the credential's field ISCED-F %(field)s is outside ISCED-F %(fields)s",
                    field=claim.isced,
                    fields=fields,
                )
        if self.nqf and claim.nqf and claim.nqf not in self.nqf:
            return Phrase(
                "the credential's national level %(level)s is outside %(levels)s",
                level=claim.nqf,
                levels=", ".join(self.nqf),
            )
        if self.types and not set(self.types) & set(claim.types):
            return Phrase("the accreditation covers %(types)s only", types=", ".join(self.types))
        return None

    def describe(self) -> Phrase:
        """``"EQF 5-6 in ISCED-F 06"``, or ``"any level and field"``."""
        levels = " ".join(
            part for part in (f"EQF {_levels(self.eqf)}" if self.eqf else "", ", ".join(self.nqf)) if part
        )
        fields = ", ".join(self.isced)
        if levels and fields:
            phrase = Phrase("%(levels)s in ISCED-F %(fields)s", levels=levels, fields=fields)
        elif levels or fields:
            phrase = Phrase("%(levels)s", levels=levels) if levels else Phrase("ISCED-F %(fields)s", fields=fields)
        else:
            phrase = Phrase("any level and field")
        return Phrase("%(scope)s (%(types)s)", scope=phrase, types=", ".join(self.types)) if self.types else phrase

    def to_dict(self) -> dict[str, Any]:
        """JSON form (only the parts given)."""
        out: dict[str, Any] = {}
        for name in ("isced", "eqf", "nqf", "types"):
            if value := getattr(self, name):
                out[name] = list(value)
        return out

    @classmethod
    def of(cls, data: Mapping[str, Any] | None) -> Scope:
        """From :meth:`to_dict`'s form (ValueError on a bad part)."""
        if not data:
            return cls()
        isced = tuple(str(c) for c in data.get("isced") or ())
        if any(not _DIGITS.match(c) for c in isced):
            raise ValueError("ISCED-F codes are 2 to 4 digits")
        eqf = tuple(sorted({int(level) for level in data.get("eqf") or ()}))
        if any(not 1 <= level <= 8 for level in eqf):
            raise ValueError("EQF levels are 1 to 8")
        return cls(
            isced, eqf, tuple(str(n) for n in data.get("nqf") or ()), tuple(str(t) for t in data.get("types") or ())
        )


def _levels(levels: Sequence[int]) -> str:
    ordered = sorted(levels)
    if len(ordered) > 1 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{ordered[0]}-{ordered[-1]}"
    return ", ".join(str(level) for level in ordered)


@dataclass(frozen=True, slots=True)
class LegalIdentity:
    """Who an accredited organisation is in law: legal name, country, and register identifiers."""

    legal_name: str
    country: str
    identifiers: tuple[tuple[str, str], ...] = ()
    """``(kind, value)`` pairs; kinds are :data:`IDENTIFIER_KINDS` (``national``, ``vat``, ``lei``, ``eidas``)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "legalName": self.legal_name,
            "country": self.country,
            "identifiers": [{"kind": k, "value": v} for k, v in self.identifiers],
        }

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> LegalIdentity:
        """From :meth:`to_dict`'s form."""
        ids = tuple((str(i["kind"]), str(i["value"])) for i in data.get("identifiers") or ())
        return cls(str(data["legalName"]), str(data["country"]), ids)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What an accreditation rests on, for example a quality-assurance decision."""

    name: str
    url: str | None = None
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {k: v for k, v in (("name", self.name), ("url", self.url), ("description", self.description)) if v}


@dataclass(frozen=True, slots=True)
class StatusChange:
    """An accreditation's status from ``at`` on, and why."""

    status: Status
    at: datetime
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"status": self.status, "at": self.at.isoformat().replace("+00:00", "Z"), "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Accreditation:
    """One accreditation: ``accredited_by`` vouches for ``subjects`` (DIDs) or ``certificates`` for ``scope``."""

    id: str
    kind: Kind
    subjects: tuple[str, ...]
    identity: LegalIdentity
    scope: Scope
    accredited_by: str
    valid_from: datetime
    valid_until: datetime | None = None
    certificates: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    history: tuple[StatusChange, ...] = ()
    """Status changes, oldest first; none means active since ``valid_from``."""
    registry: str = ""
    """The registry that published it (its trust-list URL, or ``""`` for this instance's own)."""
    accreditor_name: str = ""
    """The accrediting body's legal name as its own accreditation gives it (for sentences; never for trust)."""

    @property
    def status(self) -> Status:
        """The status now (the last change)."""
        return self.history[-1].status if self.history else "active"

    @property
    def may_accredit(self) -> bool:
        """Roots and accreditation bodies may accredit others."""
        return self.kind in ("root", "body")

    def status_at(self, when: datetime) -> StatusChange | None:
        """The change in force at ``when`` (None: active, nothing changed yet)."""
        current = None
        for change in self.history:
            if change.at <= when:
                current = change
        return current

    def active_at(self, when: datetime) -> Phrase | None:
        """None when the accreditation was in force at ``when``, else why not (a plain sentence)."""
        if when < self.valid_from:
            return Phrase(
                "the accreditation starts on %(day)s, after the credential was awarded", day=_day(self.valid_from)
            )
        if self.valid_until is not None and when > self.valid_until:
            return Phrase(
                "the accreditation ended on %(day)s, before the credential was awarded", day=_day(self.valid_until)
            )
        change = self.status_at(when)
        if change is not None and change.status != "active":
            day, why = _day(change.at), f" ({change.reason})" if change.reason else ""
            if change.status == "suspended":
                return Phrase(
                    "the accreditation was suspended on %(day)s%(why)s, before the credential was awarded",
                    day=day,
                    why=why,
                )
            return Phrase(
                "the accreditation was withdrawn on %(day)s%(why)s, before the credential was awarded", day=day, why=why
            )
        return None

    def with_status(self, change: StatusChange) -> Accreditation:
        """A copy with ``change`` appended."""
        return replace(self, history=(*self.history, change))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form trust lists carry."""
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "subjects": list(self.subjects),
            **self.identity.to_dict(),
            "scope": self.scope.to_dict(),
            "accreditedBy": self.accredited_by,
            "validFrom": _stamp(self.valid_from),
            "status": self.status,
        }
        if self.accreditor_name:
            out["accreditedByName"] = self.accreditor_name
        if self.valid_until is not None:
            out["validUntil"] = _stamp(self.valid_until)
        if self.certificates:
            out["certificates"] = list(self.certificates)
        if self.evidence:
            out["evidence"] = [e.to_dict() for e in self.evidence]
        if self.history:
            out["history"] = [c.to_dict() for c in self.history]
        return out

    @classmethod
    def of(cls, data: Mapping[str, Any], *, registry: str = "") -> Accreditation:
        """From :meth:`to_dict`'s form (ValueError, KeyError or TypeError on bad data)."""
        kind = data["kind"]
        if kind not in KINDS:
            raise ValueError(f"unknown kind {str(kind)[:20]!r}")
        subjects = tuple(str(s) for s in data.get("subjects") or ())
        certificates = tuple(str(c).lower() for c in data.get("certificates") or ())
        if not subjects and not certificates:
            raise ValueError("an accreditation names at least one DID or certificate")
        history = tuple(
            StatusChange(_status(c["status"]), _parse(c["at"]), str(c.get("reason") or ""))
            for c in data.get("history") or ()
        )
        return cls(
            id=str(data["id"]),
            kind=kind,
            subjects=subjects,
            identity=LegalIdentity.of(data),
            scope=Scope.of(data.get("scope")),
            accredited_by=str(data["accreditedBy"]),
            valid_from=_parse(data["validFrom"]),
            valid_until=_parse(data["validUntil"]) if data.get("validUntil") else None,
            certificates=certificates,
            evidence=tuple(
                Evidence(str(e["name"]), e.get("url"), e.get("description")) for e in data.get("evidence") or ()
            ),
            history=history,
            registry=registry,
            accreditor_name=str(data.get("accreditedByName") or ""),
        )


def _status(value: object) -> Status:
    for status in STATUSES:
        if value == status:
            return status
    raise ValueError(f"unknown status {str(value)[:20]!r}")


def _stamp(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _parse(value: object) -> datetime:
    if not isinstance(value, str):
        raise TypeError("a date must be text")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("a date needs its time zone")
    return parsed


@dataclass(frozen=True, slots=True)
class Claim:
    """What a credential states that an accreditation's scope and dates are checked against."""

    awarded_at: datetime | None
    eqf: int | None = None
    isced: str | None = None
    nqf: str | None = None
    types: tuple[str, ...] = ()
    scoped: bool = True
    """False for a registry's own documents (accreditations, trust lists): only dates are checked for them."""


REGISTRY_TYPES: Final = frozenset({"VerifiableAccreditation", "TrustList"})


def claim_of(credential: Mapping[str, Any] | None, *, fallback: datetime) -> Claim:
    """The :class:`Claim` of a credential document (Open Badges 3.0 / VC, ELM); ``fallback`` is the award time
    when the credential gives none (the time of verification)."""
    if not isinstance(credential, Mapping):
        return Claim(fallback)
    if isinstance(credential.get("vct"), str):
        return _sd_jwt_claim(credential, fallback)
    subject = credential.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else {}
    subject = subject if isinstance(subject, Mapping) else {}
    parts: list[Mapping[str, Any]] = [credential, subject]
    for key in ("achievement", "hasClaim", "hasAchievement"):
        value = subject.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Mapping):
                parts.append(item)
                spec = item.get("specifiedBy")
                if isinstance(spec, Mapping):
                    parts.append(spec)
    types = _types(credential.get("type")) + [t for p in parts[2:] for t in _types(p.get("achievementType"))]
    return Claim(
        awarded_at=_when(credential) or fallback,
        eqf=_eqf(parts),
        isced=_isced(parts),
        nqf=_first_text(parts, ("nqfLevel",)) or read_annex(credential).nqf or None,
        types=tuple(dict.fromkeys(types)),
        scoped=not REGISTRY_TYPES & set(types),
    )


def _sd_jwt_claim(claims: Mapping[str, Any], fallback: datetime) -> Claim:
    """The claim of an SD-JWT VC's disclosed claims (the EUDI Learning Credential's: ``level_of_learning_experience``
    is the EQF level, ``field_of_education`` the ISCED-F code, ``nqf_level`` as ``PL-6``); ``iat`` is the award."""
    iat = claims.get("iat")
    awarded = datetime.fromtimestamp(iat, UTC) if isinstance(iat, int | float) and not isinstance(iat, bool) else None
    eqf = claims.get("level_of_learning_experience")
    isced, nqf = claims.get("field_of_education"), claims.get("nqf_level")
    return Claim(
        awarded_at=awarded or fallback,
        eqf=eqf if isinstance(eqf, int) and not isinstance(eqf, bool) and 1 <= eqf <= 8 else None,
        isced=isced if isinstance(isced, str) and _DIGITS.match(isced) else None,
        nqf=nqf if isinstance(nqf, str) and nqf else None,
        types=(str(claims["vct"]),),
    )


def _types(value: object) -> list[str]:
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]


def _when(credential: Mapping[str, Any]) -> datetime | None:
    for key in ("validFrom", "issuanceDate", "awardedDate", "issued"):
        value = credential.get(key)
        if isinstance(value, str):
            try:
                return _parse(value)
            except (ValueError, TypeError):
                continue
    return None


def _eqf(parts: Iterable[Mapping[str, Any]]) -> int | None:
    for part in parts:
        for key in ("eqfLevel", "EQFLevel", "level"):
            value = part.get(key)
            value = value.get("id") if isinstance(value, Mapping) else value
            if isinstance(value, str) and (m := _EQF_URI.match(value)):
                return int(m.group(1))
        alignment = part.get("alignment")
        for item in alignment if isinstance(alignment, list) else []:
            url = item.get("targetUrl") if isinstance(item, Mapping) else None
            if isinstance(url, str) and (m := _EQF_URI.match(url)):
                return int(m.group(1))
    return None


def _isced(parts: Iterable[Mapping[str, Any]]) -> str | None:
    for part in parts:
        for key in ("iscedFieldCode", "ISCEDFCode", "thematicArea"):
            value = part.get(key)
            value = value[0] if isinstance(value, list) and value else value
            value = value.get("id") if isinstance(value, Mapping) else value
            if isinstance(value, str):
                if _DIGITS.match(value):
                    return value
                if m := _ISCED_URI.search(value):
                    return m.group(1)
        alignment = part.get("alignment")
        for item in alignment if isinstance(alignment, list) else []:
            if isinstance(item, Mapping) and "ISCED" in str(item.get("targetFramework", "")):
                code = item.get("targetCode")
                if isinstance(code, str) and _DIGITS.match(code):
                    return code
    return None


def _first_text(parts: Iterable[Mapping[str, Any]], keys: Sequence[str]) -> str | None:
    for part in parts:
        for key in keys:
            if isinstance(value := part.get(key), str):
                return value
    return None


@dataclass(frozen=True, slots=True)
class Chain:
    """A chain of accreditations from the issuer (first) to the one an anchor made (last)."""

    links: tuple[Accreditation, ...]
    anchor: str
    anchor_name: str = ""

    def describe(self) -> Phrase:
        """``"accredited by X for EQF 5-6 in ISCED-F 06 until 2027-09-30, itself accredited by Y"``."""
        parts = []
        for i, link in enumerate(self.links):
            who = link.accreditor_name or link.accredited_by
            if i + 1 == len(self.links) and self.anchor_name:
                who = self.anchor_name
            until = Phrase(" until %(day)s", day=_day(link.valid_until)) if link.valid_until else ""
            scope = Phrase(" for %(scope)s", scope=link.scope.describe()) if link.scope.to_dict() else ""
            if i == 0:
                parts.append(Phrase("accredited by %(who)s%(scope)s%(until)s", who=who, scope=scope, until=until))
            else:
                parts.append(
                    Phrase("itself accredited by %(who)s%(scope)s%(until)s", who=who, scope=scope, until=until)
                )
        return Phrase("%(links)s", links=parts)


@dataclass(frozen=True, slots=True)
class Vouching:
    """The answer to "who vouches for this issuer": a chain, or why nobody does."""

    chain: Chain | None
    reason: str
    """Why nobody vouches (empty when a chain was found): the closest miss, in words."""
    identity: LegalIdentity | None = None

    @property
    def vouched(self) -> bool:
        """True when a chain to an anchor holds."""
        return self.chain is not None


Lookup = Callable[[str], Sequence[Accreditation]]
"""Accreditations naming an identifier (a DID, or ``"cert:" + fingerprint``)."""


@dataclass(slots=True)
class _Search:
    lookup: Lookup
    anchors: Mapping[str, str]
    claim: Claim
    misses: list[Phrase] = field(default_factory=list)

    def walk(self, subject: str, depth: int, seen: frozenset[str], as_accreditor: bool) -> Chain | None:
        if depth >= MAX_DEPTH:
            self.misses.append(Phrase("the chain of accreditations is longer than Cairn follows (a loop?)"))
            return None
        when = self.claim.awarded_at
        assert when is not None
        for link in self.lookup(subject):
            if link.id in seen:
                self.misses.append(Phrase("the chain of accreditations loops"))
                continue
            if as_accreditor and not link.may_accredit:
                self.misses.append(
                    Phrase("%(name)s is accredited as an issuer, not to accredit others", name=link.identity.legal_name)
                )
                continue
            why = link.active_at(when) or link.scope.covers(self.claim)
            if why:
                self.misses.append(why)
                continue
            if link.accredited_by in self.anchors:
                return Chain((link,), link.accredited_by, self.anchors[link.accredited_by])
            found = self.walk(link.accredited_by, depth + 1, seen | {link.id}, True)
            if found is not None:
                return Chain((link, *found.links), found.anchor, found.anchor_name)
        return None


def vouch(
    identifiers: Sequence[str],
    claim: Claim,
    *,
    lookup: Lookup,
    anchors: Mapping[str, str],
) -> Vouching:
    """Who vouches for the issuer known by ``identifiers`` (its DID; ``"cert:<sha256>"`` for a seal) for
    ``claim``: the first chain of accreditations that leads to one of ``anchors`` (DID -> name), each link in
    force when the credential was awarded and covering it. An anchor itself is vouched for by this instance."""
    for ident in identifiers:
        if ident in anchors:
            return Vouching(Chain((), ident, anchors[ident]), "")
    search = _Search(lookup, anchors, claim)
    identity = None
    for ident in identifiers:
        links = lookup(ident)
        if links and identity is None:
            identity = links[0].identity
        chain = search.walk(ident, 0, frozenset(), False)
        if chain is not None:
            return Vouching(chain, "", chain.links[0].identity if chain.links else None)
    if search.misses:
        return Vouching(None, search.misses[0], identity)
    return Vouching(None, Phrase("no registry this instance trusts accredits the issuer"), None)
