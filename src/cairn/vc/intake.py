"""Verify whatever a person hands over: JSON, a JWT, a baked image, a Cairn PDF, Open Badges 2.0, an ELM EDC.

:func:`verify_any` recognises the format and sends it to the right verifier; every path ends in a
:class:`~cairn.vc.report.Report`, never an exception. Formats are a small registry (:data:`FORMATS`, extended
with :func:`register_format`): each :class:`CredentialFormat` says whether it recognises an input and verifies
it; the W3C Verifiable Credentials verifier (:func:`cairn.vc.verification.verify`, which also reads VC-JWTs,
presentations and CLR 2.0) takes whatever no registered format recognises.

A baked PNG or SVG image, or a Cairn certificate PDF, first gives up the credential it carries
(:func:`cairn.vc.formats.baking.unbake`); the ``readable`` check then says where the credential came from, or
why none could be read.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from cairn.errors import CairnError
from cairn.vc.fetch import Fetcher, loads_json
from cairn.vc.formats.baking import sniff, unbake
from cairn.vc.formats.elm import looks_like_elm, verify_elm
from cairn.vc.formats.ob2 import looks_like_ob2, verify_ob2
from cairn.vc.formats.sdjwt_vc import looks_like_sd_jwt_vc, verify_sd_jwt_vc
from cairn.vc.report import Outcome, Report
from cairn.vc.verification import verify

__all__ = ["CONTAINERS", "FORMATS", "VC", "CredentialFormat", "register_format", "verify_any"]

MAX_SNIFF_BYTES = 4 * 1024 * 1024
"""Larger inputs go straight to :func:`verify`, which refuses them with its own reason."""

CONTAINERS = {"png": "a baked PNG image", "svg": "a baked SVG image", "pdf": "a Cairn certificate PDF"}
"""What :func:`verify_any` says a credential was read from."""

VC = "vc"
"""The name of the fallback format: W3C Verifiable Credentials 1.1 / 2.0 (OB 3.0, CLR 2.0, VC-JWT, presentations)."""


class FormatVerifier(Protocol):
    """How a registered format verifies a recognised input (never raises; a report says what went wrong)."""

    def __call__(
        self,
        source: Mapping[str, Any] | str,
        *,
        now: datetime,
        fetcher: Fetcher | None,
        challenge: str | None,
        domain: str | None,
        trusted: Collection[str],
    ) -> Report: ...


@dataclass(frozen=True, slots=True)
class CredentialFormat:
    """One credential format :func:`verify_any` can recognise: its ``name``, a cheap ``recognises`` test over
    the parsed JSON object or the text, and its ``verify``."""

    name: str
    recognises: Callable[[Mapping[str, Any] | str], bool]
    verify: FormatVerifier


def _elm(
    source: Mapping[str, Any] | str, *, now: datetime, fetcher: Fetcher | None, trusted: Collection[str], **_: Any
) -> Report:
    return verify_elm(source, now=now, trusted=trusted, online=fetcher is not None)


def _ob2(source: Mapping[str, Any] | str, *, now: datetime, fetcher: Fetcher | None, **_: Any) -> Report:
    return verify_ob2(source, now=now, fetcher=fetcher)


FORMATS: list[CredentialFormat] = [
    CredentialFormat("elm-edc", looks_like_elm, _elm),
    CredentialFormat("ob2", looks_like_ob2, _ob2),
    CredentialFormat("sd-jwt-vc", looks_like_sd_jwt_vc, verify_sd_jwt_vc),
]
"""The registered formats, tried in order before the Verifiable Credentials fallback."""


def register_format(credential_format: CredentialFormat, *, first: bool = False) -> None:
    """Add ``credential_format`` to :data:`FORMATS` (replacing one of the same name), last or ``first``."""
    FORMATS[:] = [f for f in FORMATS if f.name != credential_format.name]
    FORMATS.insert(0 if first else len(FORMATS), credential_format)


def verify_any(
    source: bytes | str | Mapping[str, Any],
    *,
    now: datetime,
    fetcher: Fetcher | None = None,
    challenge: str | None = None,
    domain: str | None = None,
    trusted_certificates: Collection[str] = (),
    formats: Collection[str] | None = None,
    checks: Collection[str] | None = None,
) -> Report:
    """Verify ``source`` whatever its format (see the module's text).

    ``formats`` limits what is recognised to the named formats (:data:`FORMATS` names and :data:`VC`); an
    input none of them recognises goes to the Verifiable Credentials verifier, which says why it is not one.

    A European Digital Credential goes to :func:`cairn.vc.formats.elm.verify_elm` (``trusted_certificates``: the
    operator's trusted seal certificates, SHA-256 fingerprints or subject names); an Open Badges 2.0 assertion,
    its JWS or its hosted address (an ``https`` URL) to :func:`cairn.vc.formats.ob2.verify_ob2`; everything else
    (Verifiable Credentials 1.1 and 2.0, Open Badges 3.0, CLR 2.0, presentations) to
    :func:`cairn.vc.verification.verify`, which alone reads ``checks`` (the checks to run beyond ``readable``
    and ``proof``, see there).
    """
    kind: str | None = None
    if not isinstance(source, Mapping):
        data = source.encode("utf-8") if isinstance(source, str) else bytes(source)
        kind = sniff(data)
        if kind is not None:
            try:
                source = unbake(data)
            except CairnError as exc:
                return _unreadable(exc.message)
            except Exception as exc:  # a report, never an exception, whatever the file
                return _unreadable(f"the {kind.upper()} file could not be read ({type(exc).__name__})")
    report = _route(
        source,
        now=now,
        fetcher=fetcher,
        challenge=challenge,
        domain=domain,
        trusted=trusted_certificates,
        formats=formats,
        checks=checks,
    )
    if kind is not None:
        _note_container(report, CONTAINERS[kind])
    return report


def _route(
    source: bytes | str | Mapping[str, Any],
    *,
    now: datetime,
    fetcher: Fetcher | None,
    challenge: str | None,
    domain: str | None,
    trusted: Collection[str],
    formats: Collection[str] | None,
    checks: Collection[str] | None = None,
) -> Report:
    candidate: Mapping[str, Any] | str | None = source if not isinstance(source, bytes) else None
    if candidate is None and len(source) <= MAX_SNIFF_BYTES:
        try:
            candidate = source.decode("utf-8")  # type: ignore[union-attr]
        except UnicodeDecodeError:
            candidate = None
    if isinstance(candidate, str) and len(candidate) <= MAX_SNIFF_BYTES and candidate.lstrip().startswith("{"):
        try:  # parsed once here, for recognising and for verifying alike
            parsed = loads_json(candidate, what="credential")
        except (CairnError, RecursionError):
            parsed = None  # verify() below says why it cannot be read
        if isinstance(parsed, dict):
            source = candidate = parsed
    if candidate is not None and (isinstance(candidate, Mapping) or len(candidate) <= MAX_SNIFF_BYTES):
        for known in FORMATS:
            if (formats is None or known.name in formats) and known.recognises(candidate):
                return known.verify(
                    candidate, now=now, fetcher=fetcher, challenge=challenge, domain=domain, trusted=trusted
                )
    return verify(source, now=now, fetcher=fetcher, challenge=challenge, domain=domain, checks=checks)


def _unreadable(reason: str) -> Report:
    report = Report("unknown")
    report.add("readable", Outcome.FAIL, reason)
    return report


def _note_container(report: Report, container: str) -> None:
    """Say in the ``readable`` check that the credential was read out of ``container``."""
    for i, check in enumerate(report.checks):
        if check.name == "readable":
            report.checks[i] = replace(check, reason=f"{check.reason}, read from {container}")
            return
    report.add("readable", Outcome.PASS, f"read from {container}")
