"""The demo employer's open OpenID4VP presentation request, so the demo shows a request page with its link and QR
code at once (``/orgs/baltyk-energia-akademia/presentation-requests``).

A request is open :data:`~cairn.services.openid4vp.verifier.REQUEST_LIFETIME` (ten minutes): each start of the demo
makes a fresh one unless one is still open, and the request page's "Make a fresh request like this one" button
makes another later.
"""

from __future__ import annotations

from typing import Final

from cairn.errors import InputError, NotFoundError
from cairn.model.dcql import LDP_VC, SD_JWT, Ask, build_query
from cairn.services.demo.instance import DEMO_EMPLOYER
from cairn.services.openid4vp.verifier import OpenID4VPVerifier, RequestView

__all__ = ["DEMO_REQUEST", "seed_presentation_request"]

DEMO_REQUEST: Final = "Data analyst: show a micro-credential at EQF 5 or higher"
_PURPOSE: Final = (
    "We hire data analysts for our offshore wind operations; a micro-credential at EQF level 5 or higher lets you skip "
    "the first interview."
)


def seed_presentation_request(requests: OpenID4VPVerifier) -> RequestView | None:
    """An open :data:`DEMO_REQUEST` of the demo employer: the one still open, else a new one (None when the
    organisation is missing). Idempotent while one is open."""
    try:
        found = [r for r in requests.list(DEMO_EMPLOYER) if r.name == DEMO_REQUEST and r.status == "open"]
        if found:
            return found[0]
        # the field of education too: the issuers' accreditations are scoped by field, so without it nobody vouches
        claims = ("given_name", "family_name", "achievement_title", "field_of_education")
        query = build_query(Ask((SD_JWT, LDP_VC), 5, (), claims))
        return requests.create(DEMO_EMPLOYER, actor="demo", name=DEMO_REQUEST, purpose=_PURPOSE, dcql=query)
    except (NotFoundError, InputError):
        return None
