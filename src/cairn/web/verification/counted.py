"""The one call a route makes after a verification by someone else: :func:`count_verification` (policy analytics;
see :mod:`cairn.services.verification.counting`). It costs a dictionary update: who verified is worked out later,
from the API token or session cookie the request carried, by the background writer."""

from __future__ import annotations

from starlette.requests import Request

from cairn.services.verification.counting import Who
from cairn.vc.report import Report
from cairn.web.deps import SESSION_COOKIE, container

__all__ = ["count_verification", "counted", "verifier_of"]


def verifier_of(request: Request) -> Who | None:
    """What the request says about who verifies: its bearer token, else its session cookie; None: nothing."""
    authorization = request.headers.get("authorization", "")
    if authorization[:7].lower() == "bearer " and 0 < len(authorization) <= 300:
        return ("token", authorization[7:].strip())
    if "cookie" in request.headers:
        session = request.cookies.get(SESSION_COOKIE, "")
        if 0 < len(session) <= 200:
            return ("session", session)
    return None


def count_verification(request: Request, report: Report, channel: str) -> None:
    """Count ``report`` as one verification through ``channel`` by whoever the request names."""
    container(request).verification_counts.add(report, channel=channel, who=verifier_of(request))


def counted(request: Request, report: Report, channel: str) -> Report:
    """:func:`count_verification`, then ``report``."""
    count_verification(request, report, channel)
    return report
