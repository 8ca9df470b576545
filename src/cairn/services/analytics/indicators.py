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
_ORG_LEVEL: Final = (
    "award_facts", "skill_facts", "share_facts", "pathway_facts", "recognition_facts", "verification_facts",
)  # fmt: skip
_VERIFY: Final = ("verification_facts",)

DIMENSIONS: Final[dict[str, Dimension]] = {
    d.name: d
    for d in (
        Dimension("month", "Month", "month", (*_ORG_LEVEL, "demand_facts"), key="strftime({}, '%Y-%m')"),
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
        Dimension("age_band", "Age band (learners who consented)", "age_band", _AWARDS),
        Dimension("gender", "Gender (learners who consented)", "gender", _AWARDS),
        Dimension("education", "Education level, ISCED 2011 (learners who consented)", "education", _AWARDS),
        Dimension("employment", "Employment status (learners who consented)", "employment", _AWARDS),
        Dimension("learner_country", "Learner country (learners who consented)", "learner_country", _AWARDS),
        Dimension("skill", "ESCO skill", "skill", ("skill_facts", "demand_facts")),
        Dimension("collection", "ESCO skill collection", "collection", ("skill_facts", "demand_facts")),
        Dimension("channel", "Where it was verified", "channel", _VERIFY),
        Dimension("verifier_kind", "Who verified", "verifier_kind", _VERIFY),
        Dimension("verifier_type", "Verifier's organisation type", "verifier_type", _VERIFY),
        Dimension("verifier_country", "Verifier country", "verifier_country", _VERIFY),
        Dimension("outcome", "Outcome", "CASE WHEN verified THEN 'verified' ELSE 'not verified' END", _VERIFY),
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
_KNOWN: Final = "COALESCE(SUM(count) FILTER (WHERE verifier_country IS NOT NULL AND country IS NOT NULL), 0)"
_CROSS: Final = "COALESCE(SUM(count) FILTER (WHERE verifier_country <> country), 0)"
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
        Indicator("verifications", "Verifications", "verification_facts", "count", "COALESCE(SUM(count), 0)",
                  "COALESCE(SUM(count), 0)",
                  "verifications of credentials by someone else (a verifier page or API, a share link, a presentation) "
                  "in the period; a wallet checking its own credentials is not counted"),
        Indicator("cross_border_share", "Cross-border verifications", "verification_facts", "ratio",
                  _ratio(_CROSS, _KNOWN), "COALESCE(SUM(count), 0)",
                  "verifications where the verifier's country differs from the issuer's / verifications where both "
                  "countries are known", numerator=_CROSS, denominator=_KNOWN),
        Indicator("cross_border_awards", "Awards to learners from abroad", "award_facts", "count",
                  "COUNT(*) FILTER (WHERE learner_country <> country)",
                  "COUNT(DISTINCT learner) FILTER (WHERE learner_country <> country)",
                  "the period's awards whose learner (who consented) lives in another country than the issuer"),
        Indicator("skills_demanded", "Skills in job ads", "demand_facts", "count", "COALESCE(SUM(count), 0)",
                  "COALESCE(SUM(count), 0)", "ESCO skills found in job advertisements analysed in the period "
                  "(one per skill per advertisement)"),
    )
}  # fmt: skip
"""Every indicator, by id."""
