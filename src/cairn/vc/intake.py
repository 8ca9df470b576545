"""Verify whatever a person hands over: JSON, a JWT, a baked image, a Cairn PDF, Open Badges 2.0, an ELM EDC.

:func:`verify_any` recognises the format and sends it to the right verifier; every path ends in a
:class:`~cairn.vc.report.Report`, never an exception. A baked PNG or SVG image, or a Cairn certificate PDF,
first gives up the credential it carries (:func:`cairn.vc.formats.baking.unbake`); the ``readable`` check then says
where the credential came from, or why none could be read.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from cairn.errors import CairnError
from cairn.vc.fetch import Fetcher, loads_json
from cairn.vc.formats.baking import sniff, unbake
from cairn.vc.formats.elm import looks_like_elm, verify_elm
from cairn.vc.formats.ob2 import looks_like_ob2, verify_ob2
from cairn.vc.report import Outcome, Report
from cairn.vc.verification import verify

__all__ = ["CONTAINERS", "verify_any"]

MAX_SNIFF_BYTES = 4 * 1024 * 1024
"""Larger inputs go straight to :func:`verify`, which refuses them with its own reason."""

CONTAINERS = {"png": "a baked PNG image", "svg": "a baked SVG image", "pdf": "a Cairn certificate PDF"}
"""What :func:`verify_any` says a credential was read from."""


def verify_any(
    source: bytes | str | Mapping[str, Any],
    *,
    now: datetime,
    fetcher: Fetcher | None = None,
    challenge: str | None = None,
    domain: str | None = None,
    trusted_certificates: Collection[str] = (),
) -> Report:
    """Verify ``source`` whatever its format (see the module's text).

    A European Digital Credential goes to :func:`cairn.vc.formats.elm.verify_elm` (``trusted_certificates``: the
    operator's trusted seal certificates, SHA-256 fingerprints or subject names); an Open Badges 2.0 assertion,
    its JWS or its hosted address (an ``https`` URL) to :func:`cairn.vc.formats.ob2.verify_ob2`; everything else
    (Verifiable Credentials 1.1 and 2.0, Open Badges 3.0, CLR 2.0, presentations) to
    :func:`cairn.vc.verification.verify`.
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
    report = _route(source, now=now, fetcher=fetcher, challenge=challenge, domain=domain, trusted=trusted_certificates)
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
        if looks_like_elm(candidate):
            return verify_elm(candidate, now=now, trusted=trusted)
        if looks_like_ob2(candidate):
            return verify_ob2(candidate, now=now, fetcher=fetcher)
    return verify(source, now=now, fetcher=fetcher, challenge=challenge, domain=domain)


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
