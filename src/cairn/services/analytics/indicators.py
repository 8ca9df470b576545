"""The indicators of policy analytics: each one's formula, what it is counted over and what it breaks down by.

An indicator is computed over one fact view of the snapshot (:mod:`cairn.services.analytics.engine` makes the
views) and gives, for each cell of a breakdown, a ``value`` and ``n``, the number of people (distinct learners, or
the people behind the events counted) the cell is about: ``n`` is what the small-cell threshold *k* is applied to
(:mod:`cairn.services.analytics.privacy`). Ratios also carry their numerator and denominator, so that a ratio over
a small group, or one that would tell a small group's count, is suppressed too. docs/analytics.md states each
formula in words; the tests check each on a hand-made data set with known answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["DIMENSIONS", "INDICATORS", "Dimension", "Indicator"]

Kind = Literal["count", "ratio", "median"]


@dataclass(frozen=True, slots=True)
class Dimension:
    """A breakdown: its SQL expression over a fact view, and the views that have it; ``key`` writes a group's
    value as shown (applied once per group after grouping, not to every row: ``{}`` is the grouped value)."""

    name: str
    label: str
    expression: str
    views: tuple[str, ...]
    key: str = "{}"


_AWARDS: Final = ("award_facts", "skill_facts")
_ORG_LEVEL: Final = ("award_facts", "skill_facts", "share_facts", "pathway_facts", "recognition_facts")

DIMENSIONS: Final[dict[str, Dimension]] = {
    d.name: d
    for d in (
        Dimension("month", "Month", "month", _ORG_LEVEL, key="strftime({}, '%Y-%m')"),
        Dimension("issuer", "Issuer", "issuer", _ORG_LEVEL),
        Dimension("issuer_type", "Issuer type", "issuer_type", _ORG_LEVEL),
        Dimension("country", "Issuer country", "country", _ORG_LEVEL),
        Dimension("region", "Issuer region", "region", _ORG_LEVEL),
        Dimension("field", "Field of education (ISCED-F broad field)", "field_broad", _AWARDS),
        Dimension("eqf", "EQF level", "CAST(eqf AS VARCHAR)", _AWARDS),
        Dimension("nqf", "National qualifications framework level", "nqf", _AWARDS),
        Dimension("ects_band", "ECTS credits", "ects_band", _AWARDS),
        Dimension("language", "Language", "language", _AWARDS),
        Dimension("mode", "Mode of delivery", "mode", _AWARDS),
        Dimension("skill", "ESCO skill", "skill", ("skill_facts",)),
        Dimension("collection", "ESCO skill collection", "collection", ("skill_facts",)),
        Dimension("decision", "Decision", "decision", ("recognition_facts",)),
    )
}
"""Every breakdown, by name (the name is what URLs and downloads use)."""

FILTERS: Final = ("issuer_type", "country", "region", "field", "eqf", "ects_band", "language", "mode")
"""The dimensions a view may be filtered on, beside the period and the audience's scope of issuers."""


@dataclass(frozen=True, slots=True)
class Indicator:
    """One indicator: ``value`` and ``n`` as SQL aggregates over ``view``; ratios also ``numerator`` and
    ``denominator`` (``value`` is their quotient)."""

    id: str
    label: str
    view: str
    kind: Kind
    value: str
    n: str
    formula: str
    numerator: str | None = None
    denominator: str | None = None


def _ratio(numerator: str, denominator: str) -> str:
    return f"CAST({numerator} AS DOUBLE) / NULLIF({denominator}, 0)"


_LEARNERS: Final = "COUNT(DISTINCT learner)"
INDICATORS: Final[dict[str, Indicator]] = {
    i.id: i
    for i in (
        Indicator("awards", "Awards", "award_facts", "count", "COUNT(*)", _LEARNERS,
                  "number of micro-credentials awarded in the period (revoked ones included)"),
        Indicator("learners", "Learners", "award_facts", "count", _LEARNERS, _LEARNERS,
                  "number of distinct learners awarded at least one micro-credential in the period"),
        Indicator("claim_rate", "Claim rate", "award_facts", "ratio",
                  _ratio("COUNT(claimed)", "COUNT(*)"), _LEARNERS,
                  "awards of the period claimed by their learner by now / awards of the period",
                  numerator="COUNT(claimed)", denominator="COUNT(*)"),
        Indicator("days_to_claim", "Median days to claim", "award_facts", "median",
                  "MEDIAN(claim_days) FILTER (WHERE claimed IS NOT NULL)",
                  "COUNT(DISTINCT learner) FILTER (WHERE claimed IS NOT NULL)",
                  "median of (claim date - issue date) in days, over the period's awards that were claimed"),
        Indicator("revoked", "Revoked awards", "award_facts", "count", "COUNT(*) FILTER (WHERE revoked)",
                  "COUNT(DISTINCT learner) FILTER (WHERE revoked)",
                  "number of the period's awards revoked by now"),
        Indicator("skills_supplied", "Skills awarded", "skill_facts", "count", "COUNT(*)", _LEARNERS,
                  "awards of the period x ESCO skills their definition's learning outcomes are aligned to"),
        Indicator("shares", "Share links made", "share_facts", "count", "COUNT(*)", "COUNT(*)",
                  "share links made in the period of credentials in wallets (each by one learner)"),
        Indicator("share_views", "Share link views", "share_facts", "count", "COALESCE(SUM(views), 0)", "COUNT(*)",
                  "views so far of the share links made in the period"),
        Indicator("pathway_starts", "Pathway starts", "pathway_facts", "count", "COUNT(*)", "COUNT(*)",
                  "learners who started following a pathway in the period"),
        Indicator("pathway_completions", "Pathway completions", "pathway_facts", "count", "COUNT(completed)",
                  "COUNT(completed)", "of the period's starts, those completed (pathway credential awarded) by now"),
        Indicator("days_to_complete", "Median days to complete a pathway", "pathway_facts", "median",
                  "MEDIAN(complete_days) FILTER (WHERE completed IS NOT NULL)", "COUNT(completed)",
                  "median of (completion date - start date) in days, over the period's completed starts"),
        Indicator("recognition_applications", "Recognition applications", "recognition_facts", "count",
                  "COUNT(*)", "COUNT(*)", "applications for recognition made in the period"),
        Indicator("recognised_share", "Recognised share", "recognition_facts", "ratio",
                  _ratio("COUNT(*) FILTER (WHERE decision IN ('full', 'partial'))", "COUNT(decided)"), "COUNT(*)",
                  "applications recognised in full or in part / applications decided (of the period's)",
                  numerator="COUNT(*) FILTER (WHERE decision IN ('full', 'partial'))", denominator="COUNT(decided)"),
        Indicator("automatic_share", "Automatic share", "recognition_facts", "ratio",
                  _ratio("COUNT(*) FILTER (WHERE automatic AND decided IS NOT NULL)", "COUNT(decided)"), "COUNT(*)",
                  "applications decided automatically by recognition rules / applications decided",
                  numerator="COUNT(*) FILTER (WHERE automatic AND decided IS NOT NULL)", denominator="COUNT(decided)"),
        Indicator("days_to_decision", "Median days to a recognition decision", "recognition_facts", "median",
                  "MEDIAN(decision_days) FILTER (WHERE decided IS NOT NULL)", "COUNT(decided)",
                  "median of (decision date - application date) in days, over the period's decided applications"),
    )
}  # fmt: skip
"""Every indicator, by id."""
