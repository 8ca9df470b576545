"""The dashboards: which tables each audience's page shows first, before anyone changes a filter.

An audience is who looks: an ``issuer`` (an organisation's own figures), a ``registry`` (the organisations it
accredits), the ``ministry`` (the whole instance) and ``open`` data (anyone; the same tables, released with the
same suppression). A view is the list of tables a page computes at once: the performance goal of issue 18 is that
computing every table of a view takes under a second on the national data set (bench/analytics.py measures it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["AUDIENCES", "VIEWS", "Audience", "Panel"]

Audience = Literal["issuer", "registry", "ministry", "open"]
AUDIENCES: Final[tuple[Audience, ...]] = ("issuer", "registry", "ministry", "open")


@dataclass(frozen=True, slots=True)
class Panel:
    """One chart and its table: an indicator, broken down by ``by``."""

    indicator: str
    by: tuple[str, ...]


_OUTCOMES: Final = (
    Panel("awards", ("month",)),
    Panel("learners", ()),
    Panel("claim_rate", ("month",)),
    Panel("days_to_claim", ()),
    Panel("skills_supplied", ("collection",)),
    Panel("shares", ("month",)),
    Panel("verifications", ("month",)),
    Panel("verifications", ("verifier_kind",)),
)
_POLICY: Final = (
    Panel("awards", ("field",)),
    Panel("awards", ("eqf",)),
    Panel("awards", ("ects_band",)),
    Panel("awards", ("mode",)),
    Panel("awards", ("issuer_type",)),
    Panel("awards", ("region",)),
    Panel("pathway_starts", ("month",)),
    Panel("pathway_completions", ()),
    Panel("recognised_share", ()),
    Panel("automatic_share", ()),
    Panel("days_to_decision", ()),
    Panel("cross_border_share", ()),
    Panel("cross_border_awards", ()),
    Panel("skills_demanded", ("collection",)),
    Panel("awards", ("age_band",)),
    Panel("awards", ("gender",)),
)

VIEWS: Final[dict[Audience, tuple[Panel, ...]]] = {
    "issuer": (*_OUTCOMES, Panel("awards", ("field",)), Panel("awards", ("language",)), Panel("pathway_starts", ())),
    "registry": (*_OUTCOMES, Panel("awards", ("issuer",)), *_POLICY[:6]),
    "ministry": (*_OUTCOMES, *_POLICY),
    "open": (*_OUTCOMES, *_POLICY),
}
"""Each audience's first view."""
