"""Verify European Digital Credentials (ELM 3 / EDC): JAdES seal, x5c chain, SHACL shapes, Annex I view.

An EDC is a VCDM 1.1 credential (``@context`` ``https://www.w3.org/2018/credentials/v1`` and
``http://data.europa.eu/snb/model/context/edc-ap``, type ``EuropeanDigitalCredential``). The EU's issuer seals
it with a JAdES JWS (:mod:`cairn.vc.formats.jades`); the structure is checked against the EDC application profile's
SHACL shapes (:mod:`cairn.vc.formats.elm_shacl`).

:func:`verify_elm` returns a :class:`~cairn.vc.report.Report` (format ``elm-edc``) and never raises; its checks:
``readable``, ``well-formed``, ``shapes``, ``proof`` (the JAdES signature), ``issuer-key`` (certificate chain,
validity at the signing time, trust), ``validity`` and ``status``. An unsigned EDC is read and checked, and
is "Not verified" because it is not signed. :func:`annex_rows` lists the Council Recommendation's Annex I
elements for display.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, Final

from cairn.vc.formats.elm_shacl import MAX_LISTED, SHAPES_PROFILE, check_shapes
from cairn.vc.formats.jades import MAX_JWS_LENGTH, JadesResult, as_utc, parse_jws, verify_jades
from cairn.vc.report import Outcome, Report
from cairn.vc.values import as_list, nests_deeper_than, parse_time

__all__ = ["EDC_CONTEXT", "annex_rows", "looks_like_elm", "verify_elm"]

EDC_CONTEXT: Final = "http://data.europa.eu/snb/model/context/edc-ap"
VC1_CONTEXT: Final = "https://www.w3.org/2018/credentials/v1"
_EDC_TYPES: Final = ("EuropeanDigitalCredential", "EuropeanDigitalPresentation")
_MAX_DEPTH: Final = 64


def _is_edc(obj: object) -> bool:
    if not isinstance(obj, Mapping):
        return False
    types = [t for t in as_list(obj.get("type")) if isinstance(t, str)]
    contexts = [c for c in as_list(obj.get("@context")) if isinstance(c, str)]
    return any(t in _EDC_TYPES for t in types) or EDC_CONTEXT in contexts


def _looks_like_jws(obj: object) -> bool:
    if isinstance(obj, str):
        return obj.count(".") >= 2 and not obj.lstrip().startswith("{")
    return isinstance(obj, Mapping) and "payload" in obj and ("signatures" in obj or "signature" in obj)


def _payload_object(source: Mapping[str, Any] | str) -> dict[str, Any] | None:
    try:
        _header, payload = parse_jws(source)
        value = json.loads(payload.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError, TypeError):
        return None
    return value if isinstance(value, dict) else None


def looks_like_elm(obj: Mapping[str, Any] | str) -> bool:
    """Whether ``obj`` is an EDC, or a JWS (JSON or compact) whose payload is one. Never raises."""
    try:
        if isinstance(obj, str):
            text = obj.strip()
            if len(text) > MAX_JWS_LENGTH:
                return False
            if text.startswith("{"):
                parsed = json.loads(text)
                return isinstance(parsed, dict) and looks_like_elm(parsed)
            return _looks_like_jws(text) and _is_edc(_payload_object(text))
        if _is_edc(obj):
            return True
        return _looks_like_jws(obj) and _is_edc(_payload_object(obj))
    except (ValueError, TypeError, RecursionError):
        return False


def verify_elm(
    source: Mapping[str, Any] | str, *, now: datetime, trusted: Collection[str] = (), online: bool = False
) -> Report:
    """Verify an EDC, sealed (JAdES JWS) or not (see the module's text); never raises. ``online``: the caller
    would have fetched a status service, so a status Cairn cannot consult fails closed ("not checked" offline)."""
    report = Report(format="elm-edc")
    try:
        _verify(report, source, as_utc(now), tuple(trusted), online)
    except Exception as exc:  # the last guard: a report, never a crash
        report.add("readable", Outcome.FAIL, f"the credential could not be processed ({type(exc).__name__})")
    return report


def _verify(
    report: Report, source: Mapping[str, Any] | str, now: datetime, trusted: tuple[str, ...], online: bool = False
) -> None:
    if isinstance(source, str):
        text = source.strip()
        if len(text) > MAX_JWS_LENGTH:
            report.add("readable", Outcome.FAIL, "the input is too long")
            return
        if text.startswith("{"):
            try:
                parsed = json.loads(text)
            except (ValueError, RecursionError):
                report.add("readable", Outcome.FAIL, "the input is not valid JSON")
                return
            if not isinstance(parsed, dict):
                report.add("readable", Outcome.FAIL, "the input is not a JSON object")
                return
            source = parsed
        else:
            source = text
    if not isinstance(source, str) and nests_deeper_than(source, _MAX_DEPTH):
        report.add("readable", Outcome.FAIL, "the input is nested too deeply")
        return
    jades: JadesResult | None = None
    if _looks_like_jws(source):
        jades = verify_jades(source, now=now, trusted=trusted)
        if not jades.readable or jades.payload is None:
            report.add("readable", Outcome.FAIL, f"the JAdES signature cannot be read: {jades.signature_reason}")
            return
        try:
            document = json.loads(jades.payload.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError):
            report.add("readable", Outcome.FAIL, "the signed payload is not JSON")
            return
        if not isinstance(document, dict) or nests_deeper_than(document, _MAX_DEPTH):
            report.add("readable", Outcome.FAIL, "the signed payload is not a usable JSON object")
            return
        report.add("readable", Outcome.PASS, f"a JAdES-sealed EDC ({jades.form})")
    elif isinstance(source, Mapping):
        document = dict(source)
        report.add("readable", Outcome.PASS, "an unsigned EDC (plain JSON-LD)")
    else:
        report.add("readable", Outcome.FAIL, "not a European Digital Credential or a JWS")
        return
    _describe(report, document)
    _well_formed(report, document)
    _shapes(report, document)
    if jades is None:
        report.add("proof", Outcome.FAIL, "not signed: this EDC carries no JAdES seal")
        report.add("issuer-key", Outcome.SKIPPED, "not signed, so there is no certificate to check")
    else:
        _proof(report, jades, document)
    _validity(report, document, now)
    _status(report, document, online)


def _well_formed(report: Report, doc: Mapping[str, Any]) -> None:
    problems: list[str] = []
    contexts = as_list(doc.get("@context"))
    if contexts[:1] != [VC1_CONTEXT]:
        problems.append(f"the first @context must be {VC1_CONTEXT}")
    if EDC_CONTEXT not in contexts:
        problems.append(f"the @context must include {EDC_CONTEXT}")
    types = as_list(doc.get("type"))
    if "VerifiableCredential" not in types or "EuropeanDigitalCredential" not in types:
        problems.append("type must include VerifiableCredential and EuropeanDigitalCredential")
    issuer = doc.get("issuer")
    if not isinstance(issuer, Mapping) or not isinstance(issuer.get("id"), str):
        problems.append("the issuer must be an Organisation object with an id")
    subject = doc.get("credentialSubject")
    if not isinstance(subject, Mapping) or not subject:
        problems.append("credentialSubject must be a Person object")
    if not isinstance(doc.get("id"), str) or ":" not in str(doc.get("id")):
        problems.append("id must be a URI")
    for name in ("validFrom", "issuanceDate", "issued", "expirationDate", "validUntil"):
        if name in doc and parse_time(doc[name]) is None:
            problems.append(f"{name} must be a date-time with a time zone")
    if "validFrom" not in doc and "issuanceDate" not in doc:
        problems.append("validFrom is required")
    if problems:
        report.add("well-formed", Outcome.FAIL, "; ".join(problems))
    else:
        report.add("well-formed", Outcome.PASS, "follows the VCDM 1.1 rules for a European Digital Credential")


def _shapes(report: Report, doc: Mapping[str, Any]) -> None:
    found = check_shapes(doc)
    if not found.checked:
        report.add("shapes", Outcome.FAIL, f"not checked against the shapes: {found.reason}")
        return
    ignored = ""
    if found.ignored_terms:
        ignored = (
            f"; terms the @context does not define were left out: {', '.join(t[:40] for t in found.ignored_terms[:8])}"
        )
    if found.conforms:
        outcome = Outcome.WARNING if found.ignored_terms else Outcome.PASS
        report.add("shapes", outcome, f"conforms to the {SHAPES_PROFILE} SHACL shapes{ignored}")
        return
    more = f" (first {MAX_LISTED} listed)" if found.total > MAX_LISTED else ""
    listed = "; ".join(found.violations)
    report.add(
        "shapes",
        Outcome.FAIL,
        f"{found.total} violation{'s' if found.total != 1 else ''} of the {SHAPES_PROFILE} shapes{more}: "
        f"{listed}{ignored}",
    )


def _identifiers(issuer: Mapping[str, Any]) -> set[str]:
    out: set[str] = set()
    for key in ("eIDASIdentifier", "eidasLegalIdentifier", "vatIdentifier", "registration", "identifier"):
        for item in as_list(issuer.get(key)):
            if isinstance(item, Mapping) and isinstance(item.get("notation"), str):
                out.add(item["notation"].strip().upper())
    return out


def _proof(report: Report, jades: JadesResult, doc: Mapping[str, Any]) -> None:
    notes = f" ({'; '.join(jades.notes)})" if jades.notes else ""
    if not jades.signature_ok:
        report.add("proof", Outcome.FAIL, jades.signature_reason + notes)
    else:
        report.add("proof", Outcome.PASS, jades.signature_reason + notes)
    report.issuer["certificate_chain"] = jades.chain
    report.issuer["trust"] = jades.trust
    if jades.signing_time is not None:
        report.issuer["signing_time"] = jades.signing_time.isoformat()
    if not jades.chain:
        report.add("issuer-key", Outcome.FAIL, "there is no signing certificate to check")
        return
    failures = [r for ok, r in ((jades.chain_ok, jades.chain_reason), (jades.cert_time_ok, jades.cert_time_reason))]
    failures = [r for ok, r in zip((jades.chain_ok, jades.cert_time_ok), failures, strict=True) if not ok]
    leaf = jades.chain[0]
    issuer = doc.get("issuer") if isinstance(doc.get("issuer"), Mapping) else {}
    assert isinstance(issuer, Mapping)
    org_id = (leaf.get("organisation_identifier") or "").strip().upper()
    if org_id and org_id in _identifiers(issuer):
        match = f"the seal's organisation identifier {org_id} matches the issuer's identifier"
    elif org_id:
        match = f"the seal's organisation identifier {org_id} is not among the issuer's identifiers"
    else:
        match = "the seal certificate names no organisation identifier"
    if failures:
        report.add("issuer-key", Outcome.FAIL, "; ".join(failures))
        return
    parts = [jades.chain_reason, jades.cert_time_reason, match, jades.trust_reason]
    trusted = jades.trust == "trusted" and "not among" not in match
    outcome = Outcome.PASS if trusted and not jades.cert_expired_now else Outcome.WARNING
    report.add("issuer-key", outcome, "; ".join(parts))


def _validity(report: Report, doc: Mapping[str, Any], now: datetime) -> None:
    start = parse_time(doc.get("validFrom", doc.get("issuanceDate")))
    end = parse_time(doc.get("expirationDate", doc.get("validUntil")))
    if start is not None and start > now:
        report.add("validity", Outcome.FAIL, f"not valid until {start.isoformat()}")
    elif end is not None and end < now:
        report.add("validity", Outcome.FAIL, f"expired on {end.isoformat()}")
    elif end is not None:
        report.add("validity", Outcome.PASS, f"valid until {end.isoformat()}")
    elif start is not None:
        report.add("validity", Outcome.PASS, f"valid from {start.date().isoformat()} with no end date")
    else:
        report.add("validity", Outcome.FAIL, "the credential gives no valid date-time validFrom")


def _status(report: Report, doc: Mapping[str, Any], online: bool = False) -> None:
    entries = as_list(doc.get("credentialStatus"))
    if not entries:
        report.add("status", Outcome.SKIPPED, "the issuer gives no way to revoke or suspend this credential")
        return
    kinds = sorted({str(e.get("type"))[:40] for e in entries if isinstance(e, Mapping)}) or ["(no type)"]
    if online:  # fails closed: a status service Cairn does not consult never passes
        reason = f"cannot confirm it has not been revoked: Cairn does not consult the status service ({kinds[0]})"
        report.add("status", Outcome.FAIL, reason, undetermined=True)
        return
    report.add(
        "status",
        Outcome.WARNING,
        f"not checked: the credential names a status service ({', '.join(kinds)}) that is not consulted offline",
    )


# -- what the credential says --------------------------------------------------------------------------------


def _text(value: object, language: str = "en") -> str:
    """A readable string from an ELM language map, a Note, a Concept or a plain value."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "; ".join(t for t in (_text(v, language) for v in value) if t)
    if not isinstance(value, Mapping):
        return ""
    for key in ("prefLabel", "noteLiteral", "title", "legalName", "fullName"):
        if key in value:
            return _text(value[key], language)
    if value and all(isinstance(k, str) and len(k) <= 8 and not k.startswith("@") for k in value):
        picked = value.get(language) or next(iter(value.values()))
        return _text(picked, language)
    notation = value.get("notation")
    return notation if isinstance(notation, str) else ""


def _concept(value: object, language: str = "en") -> str:
    """A Concept's label with its IRI when it has one (ESCO and EU vocabularies)."""
    parts = []
    for item in as_list(value):
        label = _text(item, language)
        ident = item.get("id") if isinstance(item, Mapping) else None
        if isinstance(ident, str) and ident.startswith("http"):
            parts.append(f"{label} <{ident}>" if label else ident)
        elif label:
            parts.append(label)
    return "; ".join(parts)


def _get(value: object, *path: str) -> Any:
    for key in path:
        if isinstance(value, list):
            value = value[0] if value else None
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _claim(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    claim = _get(doc, "credentialSubject", "hasClaim")
    return claim if isinstance(claim, Mapping) else {}


def _duration(value: object) -> str:
    if not isinstance(value, str):
        return ""
    match = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?", value)
    if match is None or value in ("P", "PT"):
        return value
    units = ("year", "month", "week", "day", "hour", "minute")
    words = [f"{n} {unit}{'s' if n != '1' else ''}" for n, unit in zip(match.groups(), units, strict=True) if n]
    return ", ".join(words) or value


def _country(org: object, language: str) -> str:
    for location in as_list(_get(org, "location")):
        found = _text(_get(location, "address", "countryCode"), language)
        if found:
            return found
    return _text(_get(org, "registration", "spatial"), language)


def _describe(report: Report, doc: Mapping[str, Any]) -> None:
    report.credential = dict(doc)
    issuer = doc.get("issuer")
    if isinstance(issuer, Mapping):
        report.issuer = {
            "id": issuer.get("id") if isinstance(issuer.get("id"), str) else None,
            "name": _text(issuer.get("legalName") or issuer.get("prefLabel") or issuer.get("altLabel")) or None,
            "country": _country(issuer, "en") or None,
        }
    subject = doc.get("credentialSubject")
    if isinstance(subject, Mapping):
        name = _text(subject.get("fullName")) or " ".join(
            t for t in (_text(subject.get("givenName")), _text(subject.get("familyName"))) if t
        )
        report.subject = {k: v for k, v in (("id", subject.get("id")), ("name", name)) if isinstance(v, str) and v}
    claim = _claim(doc)
    spec = claim.get("specifiedBy") if isinstance(claim.get("specifiedBy"), Mapping) else {}
    assert isinstance(spec, Mapping)
    outcomes = [
        {"title": _text(o.get("title")), "skills": _concept(o.get("relatedESCOSkill"))}
        for o in as_list(spec.get("learningOutcome"))
        if isinstance(o, Mapping)
    ]
    credit = spec.get("creditPoint")
    achievement: dict[str, Any] = {
        "name": _text(claim.get("title")) or _text(spec.get("title")),
        "type": _text(spec.get("dcType")),
        "learning_outcomes": outcomes,
        "workload": _duration(spec.get("volumeOfLearning")),
        "credits": " ".join(t for t in (_text(_get(credit, "point")), _text(_get(credit, "framework"))) if t),
        "eqf_level": _text(spec.get("eqfLevel")),
        "nqf_level": _text(spec.get("nqfLevel")),
        "mode": _text(spec.get("mode")),
        "grade": _text(_get(claim, "provenBy", "grade")),
    }
    report.achievement = {k: v for k, v in achievement.items() if v}


def annex_rows(edc: Mapping[str, Any], language: str = "en") -> list[tuple[str, str]]:
    """The Council Recommendation (2022/C 243/02) Annex I elements found in ``edc``, as (element, value) rows."""
    try:
        return _annex_rows(edc, language)
    except Exception:  # display only: a strange credential shows fewer rows, never an error
        return []


def _annex_rows(edc: Mapping[str, Any], language: str) -> list[tuple[str, str]]:

    def t(value: object) -> str:
        return _text(value, language)

    subject = edc.get("credentialSubject") if isinstance(edc.get("credentialSubject"), Mapping) else {}
    assert isinstance(subject, Mapping)
    claim = _claim(edc)
    spec = claim.get("specifiedBy") if isinstance(claim.get("specifiedBy"), Mapping) else {}
    assert isinstance(spec, Mapping)
    proven = claim.get("provenBy")
    issuer = edc.get("issuer")
    learner = t(subject.get("fullName")) or " ".join(
        x for x in (t(subject.get("givenName")), t(subject.get("familyName"))) if x
    )
    birth = parse_time(subject.get("dateOfBirth"))
    national = _get(subject, "nationalID", "notation")
    outcomes = []
    for item in as_list(spec.get("learningOutcome")):
        if isinstance(item, Mapping):
            skills = _concept(item.get("relatedESCOSkill"), language)
            outcomes.append(t(item.get("title")) + (f" (ESCO: {skills})" if skills else ""))
    credit = spec.get("creditPoint")
    workload = "; ".join(
        x
        for x in (
            _duration(spec.get("volumeOfLearning")),
            " ".join(y for y in (t(_get(credit, "point")), t(_get(credit, "framework"))) if y),
        )
        if x
    )
    assessment = "; ".join(
        x
        for x in (
            t(_get(proven, "specifiedBy", "dcType")),
            t(_get(proven, "specifiedBy", "mode")),
            t(_get(proven, "title")),
        )
        if x
    )
    awarding = as_list(_get(claim, "awardedBy", "awardingBody"))
    partial = spec.get("isPartialQualification")
    stack = []
    if isinstance(partial, bool):
        stack.append("partial qualification" if partial else "not a partial qualification")
    if spec.get("entitlesTo") or claim.get("entitlesTo"):
        stack.append("entitles to further learning")
    accreditation = as_list(spec.get("accreditation") or _get(issuer, "accreditation"))
    rows = [
        ("Learner", learner),
        ("Learner's date of birth", birth.date().isoformat() if birth is not None else ""),
        ("Learner's national ID", national if isinstance(national, str) else ""),
        ("Title of the micro-credential", t(claim.get("title")) or t(spec.get("title"))),
        ("Country/region of the issuer", _country(issuer, language)),
        ("Awarding body", "; ".join(t(o.get("legalName")) for o in awarding if isinstance(o, Mapping))),
        ("Date of issuing", str(edc.get("issued") or edc.get("issuanceDate") or edc.get("validFrom") or "")),
        ("Learning outcomes", "; ".join(o for o in outcomes if o)),
        ("Notional workload", workload),
        ("Level (EQF)", t(spec.get("eqfLevel"))),
        ("Level (national framework)", t(spec.get("nqfLevel"))),
        ("Type of assessment", assessment),
        ("Form of participation", "; ".join(x for x in (t(spec.get("mode")), t(spec.get("learningSetting"))) if x)),
        ("Prerequisites", t(spec.get("entryRequirement"))),
        ("Supervision and identity verification", t(_get(proven, "idVerification"))),
        ("Grade", t(_get(proven, "grade"))),
        ("Integration/stackability", "; ".join(stack)),
        (
            "Quality assurance",
            "; ".join(t(a.get("title")) or t(a.get("id")) for a in accreditation if isinstance(a, Mapping)),
        ),
    ]
    return [(name, value) for name, value in rows if value]
