"""Verify whatever a person hands over: JSON, a JWT, a baked image, a Cairn PDF, Open Badges 2.0, an ELM EDC.

:func:`verify_any` recognises the format and sends it to the right verifier; every path ends in a
:class:`~cairn.vc.report.Report`, never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cairn.vc.fetch import Fetcher
from cairn.vc.report import Report
from cairn.vc.verification import verify

__all__ = ["verify_any"]


def verify_any(
    source: bytes | str | Mapping[str, Any],
    *,
    now: datetime,
    fetcher: Fetcher | None = None,
    challenge: str | None = None,
    domain: str | None = None,
) -> Report:
    """Verify ``source`` whatever its format (see the module's text)."""
    return verify(source, now=now, fetcher=fetcher, challenge=challenge, domain=domain)
