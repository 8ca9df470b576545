"""Verify Open Badges 2.0 assertions: hosted (fetched from the issuer and cross-checked) and signed (JWS).

An OB 2.0 assertion (context ``https://w3id.org/openbadges/v2``) names its recipient (an e-mail
address, usually hashed with a salt), its badge class (a URL or an embedded object, whose
``issuer`` is the issuer profile) and how to verify it:

- **hosted**: the assertion lives at its ``id`` (an HTTP(S) URL) on the issuer's server. The
  fetched copy is the authority: its ``id`` must be the URL asked for, a given copy must agree
  with it, and the URL must be allowed by the issuer profile's verification policy
  (``allowedOrigins``, by default the origin of the issuer profile's ``id``, and ``startsWith``).
  ``revoked: true`` or an HTTP 410 answer means revoked.
- **signed**: a compact JWS whose payload is the assertion, signed with RS256 (ES256 and EdDSA are
  accepted when the key is of that type). ``verification.creator`` is the URL of a
  ``CryptographicKey`` whose ``owner`` must be the issuer profile, which must list the key in
  ``publicKey``; the issuer's ``revocationList`` is consulted.

:func:`verify_ob2` returns a :class:`~cairn.vc.report.Report` (format ``ob2-hosted`` or
``ob2-signed``) and never raises. Documents are fetched only through the ``fetcher`` passed in
(which enforces timeouts, size limits and the refusal of private addresses, see
:class:`~cairn.vc.fetch.HttpsFetcher`); at most :data:`MAX_FETCHES` documents per verification,
each at most :data:`MAX_DOCUMENT_BYTES` and :data:`MAX_DEPTH` levels deep. Checks: ``readable``,
``well-formed``, ``proof``, ``issuer-key``, ``badge`` (badge class and issuer profile
cross-checks), ``validity`` and ``status``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cairn.errors import CairnError, CredentialError, FetchError, OfflineError
from cairn.vc.fetch import Fetcher, loads_json
from cairn.vc.formats.ob2_documents import (
    _CORE_FIELDS,
    _HOSTED,
    _IGNORED_IN_COMPARISON,
    _JWS,
    _MAX_IMAGE_CHARS,
    _SIGNED,
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    MAX_FETCHES,
    OB2_CONTEXT,
    _has_ob2_context,
    _is_hashed,
    _is_http_url,
    _node_id,
    _origin,
    _parse_time,
    _Session,
    _short_type,
    _Stop,
    _strings,
    _text,
    _types,
    looks_like_ob2,
    recipient_matches,
)
from cairn.vc.formats.ob2_signed import _check_jws, _signed_policy
from cairn.vc.multibase import b64url_decode
from cairn.vc.report import Outcome, Report
from cairn.vc.values import nests_deeper_than

__all__ = [
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "MAX_FETCHES",
    "OB2_CONTEXT",
    "looks_like_ob2",
    "recipient_matches",
    "verify_ob2",
]


# -- the verifier --------------------------------------------------------------------------------


def verify_ob2(source: Mapping[str, Any] | str | bytes, *, now: datetime, fetcher: Fetcher | None) -> Report:
    """Verify an OB 2.0 assertion: its JSON (hosted), its hosted URL, or its JWS (signed).

    ``now`` (timezone-aware) judges ``issuedOn`` and ``expires``; ``fetcher`` is the only way to
    the network (without it, nothing can be confirmed and the report says it needs the network).
    Never raises: every problem is a failed check with a reason.
    """
    report = Report("ob2-hosted")
    try:
        if isinstance(source, bytes | bytearray):
            try:
                source = bytes(source).decode("utf-8")
            except UnicodeDecodeError:
                report.add("readable", Outcome.FAIL, "the input is not UTF-8 text")
                return report
        _verify(source, now if now.tzinfo is not None else now.replace(tzinfo=UTC), fetcher, report)
    except _Stop:
        pass
    except Exception as exc:  # a report, never an exception, whatever the input
        reason = (
            exc.message if isinstance(exc, CairnError) else f"the input could not be processed ({type(exc).__name__})"
        )
        report.add("readable", Outcome.FAIL, reason)
    return report


def _verify(source: object, now: datetime, fetcher: Fetcher | None, report: Report) -> None:
    given, url, token = _read(source, report)
    session = _Session(report, fetcher)
    if token is not None:
        report.format = "ob2-signed"
        assertion = _verify_jws(token, session)
    else:
        assertion = _verify_hosted(given, url, session)
    _finish(assertion, now, session)


def _read(source: object, report: Report) -> tuple[dict[str, Any] | None, str | None, str | None]:
    """The given assertion dict, hosted URL or JWS token; fails ``readable`` otherwise."""
    if isinstance(source, Mapping):
        document: object = dict(source)
        if nests_deeper_than(document, MAX_DEPTH):
            report.add("readable", Outcome.FAIL, f"the assertion is nested more than {MAX_DEPTH} levels deep")
            raise _Stop
    elif isinstance(source, str):
        text = source.strip()
        if len(text) > MAX_DOCUMENT_BYTES:
            report.add("readable", Outcome.FAIL, f"the input is larger than {MAX_DOCUMENT_BYTES} characters")
            raise _Stop
        if text.startswith("{"):
            try:
                document = loads_json(text, what="assertion")
            except CredentialError as exc:
                report.add("readable", Outcome.FAIL, exc.message)
                raise _Stop from None
            if nests_deeper_than(document, MAX_DEPTH):
                report.add("readable", Outcome.FAIL, f"the assertion is nested more than {MAX_DEPTH} levels deep")
                raise _Stop
        elif _is_http_url(text):
            report.add("readable", Outcome.PASS, "a hosted assertion address")
            return None, text, None
        elif _JWS.match(text):
            report.format = "ob2-signed"
            report.add("readable", Outcome.PASS, "a compact JWS")
            return None, None, text
        else:
            report.add(
                "readable", Outcome.FAIL, "not an Open Badges 2.0 assertion (JSON), its address (URL) or its JWS"
            )
            raise _Stop
    else:
        report.add("readable", Outcome.FAIL, "the input is not JSON, a URL or a JWS")
        raise _Stop
    if not isinstance(document, dict):
        report.add("readable", Outcome.FAIL, "the assertion is not a JSON object")
        raise _Stop
    report.add("readable", Outcome.PASS, "a JSON object")
    return document, None, None


def _verification_type(assertion: Mapping[str, Any]) -> str | None:
    verification = assertion.get("verification")
    kind = verification.get("type") if isinstance(verification, Mapping) else None
    if not isinstance(kind, str):
        return None
    kind = _short_type(kind).lower()
    if kind in _HOSTED:
        return "hosted"
    if kind in _SIGNED:
        return "signed"
    return kind


def _well_formed(assertion: dict[str, Any], report: Report, expected: str) -> None:
    """The OB 2.0 Assertion rules that matter to verification; stops when they fail."""
    report.credential = assertion
    problems: list[str] = []
    types = {_short_type(t) for t in _types(assertion.get("type"))}
    if "Assertion" not in types:
        problems.append("its type is not Assertion")
    if not isinstance(assertion.get("id"), str):
        problems.append("it has no id")
    recipient = assertion.get("recipient")
    if not isinstance(recipient, Mapping) or not isinstance(recipient.get("identity"), str):
        problems.append("it has no recipient identity")
    elif not isinstance(recipient.get("type"), str):
        problems.append("the recipient has no type (email, url, telephone...)")
    if not isinstance(assertion.get("badge"), str | Mapping):
        problems.append("it names no badge class")
    if _parse_time(assertion.get("issuedOn")) is None:
        problems.append("issuedOn is missing or not a date-time")
    if "expires" in assertion and _parse_time(assertion.get("expires")) is None:
        problems.append("expires is not a date-time")
    kind = _verification_type(assertion)
    if kind is None:
        problems.append("it has no verification type (hosted or signed)")
    elif kind != expected:
        problems.append(f"its verification type is {kind!r}, but it was given as a {expected} assertion")
    _fill_subject(assertion, report)
    if problems:
        report.add("well-formed", Outcome.FAIL, "not a valid Open Badges 2.0 assertion: " + "; ".join(problems))
        raise _Stop
    if not _has_ob2_context(assertion):
        report.add("well-formed", Outcome.WARNING, f"an Open Badges 2.0 assertion without the {OB2_CONTEXT} context")
    else:
        report.add("well-formed", Outcome.PASS, "an Open Badges 2.0 assertion")


def _fill_subject(assertion: Mapping[str, Any], report: Report) -> None:
    recipient = assertion.get("recipient")
    if not isinstance(recipient, Mapping):
        return
    hashed = _is_hashed(recipient)
    subject: dict[str, Any] = {"type": _text(recipient.get("type"), 40), "hashed": hashed}
    identity = _text(recipient.get("identity"), 200)
    if hashed and identity:
        subject["identity_hash"] = identity  # the hash only: the identity is never in clear here
    elif identity and _is_http_url(identity):
        subject["id"] = identity
    report.subject = subject


# -- hosted --------------------------------------------------------------------------------------


def _verify_hosted(given: dict[str, Any] | None, url: str | None, session: _Session) -> dict[str, Any]:
    report = session.report
    if given is not None:
        if _verification_type(given) == "signed":
            report.format = "ob2-signed"
            _well_formed(given, report, "signed")
            report.add(
                "proof",
                Outcome.FAIL,
                "a signed assertion must be given as its JWS: the JSON alone carries no signature",
            )
            raise _Stop
        _well_formed(given, report, "hosted")
        url = given["id"]
    assert url is not None
    if not _is_http_url(url):
        report.add("proof", Outcome.FAIL, f"a hosted assertion's id must be an http(s) URL, not {url[:80]!r}")
        raise _Stop
    if session.fetcher is None:
        if given is not None:
            _describe_embedded(given, report)
        report.add(
            "proof",
            Outcome.FAIL,
            f"needs the network: the issuer's server at {url[:200]} must confirm this assertion, and no fetching"
            " was allowed",
        )
        raise _Stop
    try:
        fetched = session.get(url, "hosted assertion")
    except CredentialError as exc:
        if given is not None:
            _describe_embedded(given, report)
        if isinstance(exc, FetchError) and exc.message.startswith("HTTP 410"):
            report.add("proof", Outcome.SKIPPED, "the issuer's server no longer serves this assertion")
            report.add("status", Outcome.FAIL, "the issuer has revoked this assertion (its server answers 410 Gone)")
        else:
            report.add("proof", Outcome.FAIL, f"the issuer's server could not be asked: {exc.message}")
        raise _Stop from None
    if fetched.get("id") != url:
        report.add(
            "proof",
            Outcome.FAIL,
            f"the document at {url[:200]} is not this assertion (its id is {str(fetched.get('id'))[:200]!r})",
        )
        raise _Stop
    if given is None:
        report.add("readable", Outcome.PASS, "the issuer's server returned a JSON object")
    _well_formed(fetched, report, "hosted")
    if given is not None:
        differing = sorted(
            k for k in set(given) | set(fetched) if k not in _IGNORED_IN_COMPARISON and given.get(k) != fetched.get(k)
        )
        core = [k for k in differing if k in _CORE_FIELDS]
        if core:
            report.add(
                "proof",
                Outcome.FAIL,
                "the copy given differs from the issuer's copy in " + ", ".join(core[:8]) + ": it was altered",
            )
            raise _Stop
        if differing:
            report.add(
                "proof",
                Outcome.WARNING,
                "the copy given differs from the issuer's (which counts) in "
                + ", ".join(d[:40] for d in differing[:8]),
            )
    report.add("proof", Outcome.PASS, f"the issuer's server confirms this assertion at {url[:200]}")
    return fetched


def _describe_embedded(assertion: Mapping[str, Any], report: Report) -> None:
    """Fill the report from what the assertion itself embeds (nothing fetched)."""
    badge = assertion.get("badge")
    if isinstance(badge, Mapping):
        report.achievement = _achievement(badge)
        issuer = badge.get("issuer")
        if isinstance(issuer, Mapping):
            report.issuer = _issuer(issuer)
        elif isinstance(issuer, str):
            report.issuer = {"id": issuer[:500]}


# -- signed --------------------------------------------------------------------------------------


# -- badge class, issuer, policy, validity, status -------------------------------------------------


def _verify_jws(token: str, session: _Session) -> dict[str, Any]:
    report = session.report
    h64, p64, s64 = token.split(".")
    try:
        header = loads_json(b64url_decode(h64, max_length=8192), what="JWS header")
        payload = loads_json(b64url_decode(p64), what="JWS payload")
        signature = b64url_decode(s64, max_length=2048)
    except CredentialError as exc:
        report.add("readable", Outcome.FAIL, exc.message)
        raise _Stop from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        report.add("readable", Outcome.FAIL, "the JWS header or payload is not a JSON object")
        raise _Stop
    if nests_deeper_than(payload, MAX_DEPTH):
        report.add("readable", Outcome.FAIL, f"the assertion is nested more than {MAX_DEPTH} levels deep")
        raise _Stop
    _well_formed(payload, report, "signed")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        report.add("proof", Outcome.FAIL, "the JWS names no algorithm (an unsigned token is refused)")
        raise _Stop
    if "crit" in header or "b64" in header:
        report.add("proof", Outcome.FAIL, "the JWS header has extensions this verifier does not understand")
        raise _Stop
    verification = payload["verification"]
    creator = verification.get("creator")
    if not isinstance(creator, str) or not _is_http_url(creator):
        report.add("proof", Outcome.FAIL, "verification.creator does not name the signing key's URL")
        raise _Stop
    try:
        key_doc = session.get(creator, "signing key")
    except CredentialError as exc:
        _describe_embedded(payload, report)
        report.add("proof", Outcome.FAIL, f"the signing key cannot be had: {exc.message}")
        raise _Stop from None
    problem = _check_jws(key_doc, creator, alg, (h64 + "." + p64).encode("ascii"), signature)
    if problem:
        report.add("proof", Outcome.FAIL, problem)
        raise _Stop
    report.add("proof", Outcome.PASS, f"the JWS signature ({alg}) verifies with the key {creator[:200]}")
    session.key_id, session.key_owner = creator, key_doc.get("owner")
    return payload


def _achievement(badge: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("id", "name", "description"):
        if isinstance(badge.get(name), str):
            out[name] = badge[name][:2000]
    criteria = badge.get("criteria")
    if isinstance(criteria, str):
        out["criteria"] = {"id": criteria[:2000]}
    elif isinstance(criteria, Mapping):
        out["criteria"] = {k: criteria[k][:5000] for k in ("id", "narrative") if isinstance(criteria.get(k), str)}
    image = _node_id(badge.get("image"))
    if image is not None and len(image) <= _MAX_IMAGE_CHARS:
        out["image"] = image
    tags = _strings(badge.get("tags"))
    if tags:
        out["tags"] = [t[:100] for t in tags[:50]]
    return out


def _issuer(profile: Mapping[str, Any]) -> dict[str, Any]:
    return {k: profile[k][:500] for k in ("id", "name", "url", "email") if isinstance(profile.get(k), str)}


def _badge_and_issuer(assertion: dict[str, Any], session: _Session) -> tuple[dict[str, Any], dict[str, Any]]:
    report = session.report
    badge_ref = assertion["badge"]
    try:
        if isinstance(badge_ref, str):
            badge = session.get(badge_ref, "badge class")
            if badge.get("id") != badge_ref:
                raise CredentialError(
                    f"the badge class at {badge_ref[:200]} has another id ({str(badge.get('id'))[:200]!r})"
                )
        else:
            badge = dict(badge_ref)
        if "BadgeClass" not in {_short_type(t) for t in _types(badge.get("type"))}:
            raise CredentialError("the badge is not a BadgeClass")
        missing = [k for k in ("name", "issuer") if not badge.get(k)]
        if missing:
            raise CredentialError("the badge class has no " + " or ".join(missing))
        report.achievement = _achievement(badge)
        issuer_ref = badge["issuer"]
        if isinstance(issuer_ref, str):
            profile = session.get(issuer_ref, "issuer profile")
            if profile.get("id") != issuer_ref:
                raise CredentialError(
                    f"the issuer profile at {issuer_ref[:200]} has another id ({str(profile.get('id'))[:200]!r})"
                )
        elif isinstance(issuer_ref, Mapping):
            profile = dict(issuer_ref)
        else:
            raise CredentialError("the badge class names no issuer profile")
        if not isinstance(profile.get("id"), str):
            raise CredentialError("the issuer profile has no id")
        if not {_short_type(t) for t in _types(profile.get("type"))} & {"Issuer", "Profile"}:
            raise CredentialError("the badge class's issuer is not an Issuer profile")
        report.issuer = _issuer(profile)
    except CredentialError as exc:
        report.add("badge", Outcome.FAIL, exc.message)
        raise _Stop from None
    issuer_name = str(profile.get("name") or profile["id"])[:200]
    report.add("badge", Outcome.PASS, f"the badge class {str(badge.get('name'))[:200]!r} is issued by {issuer_name}")
    return badge, profile


def _hosted_policy(assertion: Mapping[str, Any], profile: Mapping[str, Any], report: Report) -> None:
    url = assertion["id"]
    policy = profile.get("verification")
    policy = policy if isinstance(policy, Mapping) else {}
    origins = [o.lower().rstrip("/") for o in _strings(policy.get("allowedOrigins"))]
    origins = [urlsplit(o).netloc if "://" in o else o for o in origins]
    default = not origins
    if default:
        issuer_origin = _origin(profile["id"]) if _is_http_url(profile["id"]) else ""
        origins = [issuer_origin] if issuer_origin else []
    here = _origin(url)
    if here not in origins:
        where = "the issuer profile's own origin" if default else "the issuer's allowed origins"
        report.add(
            "issuer-key",
            Outcome.FAIL,
            f"the assertion is hosted at {here or '?'}, not on {where} ({', '.join(origins)[:200] or 'none'}):"
            " the issuer does not vouch for it",
        )
        return
    prefixes = _strings(policy.get("startsWith"))
    if prefixes and not any(url.startswith(p) for p in prefixes):
        report.add(
            "issuer-key",
            Outcome.FAIL,
            f"the assertion URL does not start with a prefix the issuer allows ({', '.join(prefixes)[:200]})",
        )
        return
    report.add("issuer-key", Outcome.PASS, f"the assertion is hosted where the issuer's policy allows ({here})")


def _validity(assertion: Mapping[str, Any], now: datetime, report: Report) -> None:
    issued = _parse_time(assertion.get("issuedOn"))
    expires = _parse_time(assertion.get("expires")) if "expires" in assertion else None
    if issued is not None and issued > now:
        report.add("validity", Outcome.FAIL, f"issued in the future ({issued.isoformat()})")
    elif expires is not None and expires <= now:
        report.add("validity", Outcome.FAIL, f"expired on {expires.isoformat()}")
    elif expires is not None:
        report.add("validity", Outcome.PASS, f"valid until {expires.isoformat()}")
    else:
        report.add("validity", Outcome.PASS, "valid with no end date")


def _status(assertion: Mapping[str, Any], profile: Mapping[str, Any], session: _Session) -> None:
    report = session.report
    if assertion.get("revoked") is True:
        reason = _text(assertion.get("revocationReason"), 300)
        report.add("status", Outcome.FAIL, "the issuer has revoked this assertion" + (f": {reason}" if reason else ""))
        return
    url = profile.get("revocationList")
    if not isinstance(url, str):
        if report.format == "ob2-hosted":
            report.add("status", Outcome.PASS, "the issuer's server does not say it is revoked")
        else:
            report.add("status", Outcome.SKIPPED, "the issuer publishes no revocation list")
        return
    try:
        revocations = session.get(url, "revocation list")
    except CredentialError as exc:
        if session.fetcher is None or isinstance(exc, OfflineError):  # the caller chose not to go online
            report.add("status", Outcome.WARNING, f"the revocation list could not be checked: {exc.message}")
        else:  # fails closed: a list out of reach never passes
            reason = f"cannot confirm it has not been revoked: the revocation list could not be had: {exc.message}"
            report.add("status", Outcome.FAIL, reason, undetermined=True)
        return
    entries = revocations.get("revokedAssertions")
    if not isinstance(entries, list):
        reason = "cannot confirm it has not been revoked: the revocation list has no revokedAssertions"
        report.add("status", Outcome.FAIL, reason, undetermined=True)
        return
    ids = {i for i in (assertion.get("id"), assertion.get("uid")) if isinstance(i, str)}
    for entry in entries:
        found = entry if isinstance(entry, str) else None
        if isinstance(entry, Mapping):
            found = next((v for v in (entry.get("id"), entry.get("uid")) if isinstance(v, str) and v in ids), None)
        if found is not None and found in ids:
            reason = _text(entry.get("revocationReason"), 300) if isinstance(entry, Mapping) else None
            report.add(
                "status",
                Outcome.FAIL,
                "the issuer's revocation list revokes this assertion" + (f": {reason}" if reason else ""),
            )
            return
    report.add("status", Outcome.PASS, "not on the issuer's revocation list")


def _finish(assertion: dict[str, Any], now: datetime, session: _Session) -> None:
    report = session.report
    _validity(assertion, now, report)
    _badge, profile = _badge_and_issuer(assertion, session)
    if report.format == "ob2-signed":
        _signed_policy(session, profile)
    else:
        _hosted_policy(assertion, profile, report)
    _status(assertion, profile, session)
