"""Verify whatever a person hands over: JSON, a JWT, a baked image, a Cairn PDF, Open Badges 2.0, an ELM EDC.

:func:`verify_any` recognises the format and sends it to the right verifier; every path ends in a
:class:`~cairn.vc.report.Report`, never an exception. A baked PNG or SVG image, or a Cairn certificate PDF,
first gives up the credential it carries (:func:`cairn.vc.baking.unbake`); the ``readable`` check then says
where the credential came from, or why none could be read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from cairn.errors import CairnError
from cairn.vc.baking import sniff, unbake
from cairn.vc.fetch import Fetcher
from cairn.vc.report import Outcome, Report
from cairn.vc.verification import verify

__all__ = ["CONTAINERS", "verify_any"]

CONTAINERS = {"png": "a baked PNG image", "svg": "a baked SVG image", "pdf": "a Cairn certificate PDF"}
"""What :func:`verify_any` says a credential was read from."""


def verify_any(
    source: bytes | str | Mapping[str, Any],
    *,
    now: datetime,
    fetcher: Fetcher | None = None,
    challenge: str | None = None,
    domain: str | None = None,
) -> Report:
    """Verify ``source`` whatever its format (see the module's text)."""
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
            if source.startswith(("https://", "http://")):
                return _unreadable(
                    f"this Open Badges 2.0 image points to a hosted assertion ({source[:200]}); "
                    "open that address to check it"
                )
    report = verify(source, now=now, fetcher=fetcher, challenge=challenge, domain=domain)
    if kind is not None:
        _note_container(report, CONTAINERS[kind])
    return report


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
