"""Policy analytics on the hand-made data set of tests/analytics_parts.py: every indicator's known answer, from a
snapshot exported from SQLite or PostgreSQL, stored in the database and read back by another process's service."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cairn.errors import InputError
from cairn.services.analytics.engine import Query, Table
from cairn.services.analytics.indicators import INDICATORS
from cairn.services.analytics.service import AnalyticsService
from cairn.store.database import Database
from tests.analytics_parts import S1, S2, S3, build_dataset
from tests.factories import FixedClock


@pytest.fixture
def analytics(database: Database, tmp_path: Path) -> tuple[AnalyticsService, dict[str, int]]:
    ids = build_dataset(database)
    writer = AnalyticsService(database, tmp_path / "writer", clock=FixedClock())
    writer.refresh()
    # another process: its own cache folder, nothing but the database in common
    return AnalyticsService(database, tmp_path / "reader", clock=FixedClock(), k=2), ids


def _open(service: AnalyticsService, query: Query) -> Table:
    """The table as computed, before suppression (tests/services/test_analytics_privacy.py checks that)."""
    engine = service.engine()
    assert engine is not None
    return engine.table(query)


def _values(table: Table) -> dict[tuple[str, ...], float | None]:
    return {c.keys: c.value for c in table.cells}


def test_totals_of_every_award_indicator(analytics: tuple[AnalyticsService, dict[str, int]]) -> None:
    service, _ = analytics
    expected = {"awards": 19, "learners": 14, "claim_rate": 6 / 19, "days_to_claim": 3.5, "revoked": 1,
                "skills_supplied": 12 * 2 + 5 + 2}  # fmt: skip
    for indicator, value in expected.items():
        total = _open(service, Query(indicator)).total
        assert total.value == pytest.approx(value), indicator
    claim = _open(service, Query("claim_rate")).total
    assert (claim.numerator, claim.denominator) == (6, 19)


def test_breakdowns_of_awards(analytics: tuple[AnalyticsService, dict[str, int]]) -> None:
    service, _ = analytics
    assert _values(_open(service, Query("awards", ("issuer",)))) == {("train-b",): 2, ("uni-a",): 17}
    assert _values(_open(service, Query("awards", ("month",)))) == {("2026-01",): 13, ("2026-02",): 6}
    assert _values(_open(service, Query("awards", ("field",)))) == {("04",): 5, ("06",): 14}
    assert _values(_open(service, Query("awards", ("eqf",)))) == {("4",): 2, ("5",): 5, ("6",): 12}
    assert _values(_open(service, Query("awards", ("nqf",)))) == {("",): 7, ("PL-6",): 12}
    assert _values(_open(service, Query("awards", ("ects_band",)))) == {("1-2.9",): 5, ("3-5.9",): 12, ("none",): 2}
    assert _values(_open(service, Query("awards", ("language",)))) == {("en",): 5, ("pl",): 14}
    assert _values(_open(service, Query("awards", ("mode",)))) == {("blended",): 5, ("in-person",): 2, ("online",): 12}
    assert _values(_open(service, Query("awards", ("region",)))) == {("PL-12",): 2, ("PL-14",): 17}
    assert _values(_open(service, Query("awards", ("issuer_type",)))) == {("company",): 2, ("university",): 17}
    learners = _open(service, Query("learners", ("issuer",)))
    assert _values(learners) == {("train-b",): 2, ("uni-a",): 12}
    assert learners.total.value == 14  # not 2 + 12 + ...: L1..L5 hold awards of d1 and d2 and count once


def test_two_way_breakdown_has_margins(analytics: tuple[AnalyticsService, dict[str, int]]) -> None:
    service, _ = analytics
    table = _open(service, Query("awards", ("issuer", "month")))
    assert _values(table) == {("train-b", "2026-02"): 2, ("uni-a", "2026-01"): 13, ("uni-a", "2026-02"): 4}
    assert {key: cell.value for key, cell in table.margins.items()} == {
        (0, "train-b"): 2, (0, "uni-a"): 17, (1, "2026-01"): 13, (1, "2026-02"): 6,
    }  # fmt: skip
    assert table.total.value == 19


def test_claims_and_time_to_claim(analytics: tuple[AnalyticsService, dict[str, int]]) -> None:
    service, _ = analytics
    rate = _open(service, Query("claim_rate", ("month",)))
    assert _values(rate) == {("2026-01",): pytest.approx(5 / 13), ("2026-02",): pytest.approx(1 / 6)}
    days = _open(service, Query("days_to_claim", ("month",)))
    assert _values(days) == {("2026-01",): 4.0, ("2026-02",): 2.0}  # (1, 3, 4, 5, 10) and (2)


def test_period_filters_and_scope(analytics: tuple[AnalyticsService, dict[str, int]]) -> None:
    service, ids = analytics
    february = Query("awards", start=date(2026, 2, 1), end=date(2026, 2, 28))
    assert _open(service, february).total.value == 6
    assert _open(service, Query("awards", filters={"field": "06", "language": "pl"})).total.value == 14
    assert _open(service, Query("awards", filters={"eqf": "5"})).total.value == 5
    own = _open(service, Query("awards", ("issuer",), scope=(ids["train-b"],)))
    assert _values(own) == {("train-b",): 2}
    assert _open(service, Query("awards", scope=())).total.value == 0


def test_skills_supplied(analytics: tuple[AnalyticsService, dict[str, int]]) -> None:
    service, _ = analytics
    assert _values(_open(service, Query("skills_supplied", ("skill",)))) == {(S1,): 17, (S2,): 12, (S3,): 2}
    by_collection = _values(_open(service, Query("skills_supplied", ("collection",))))
    assert by_collection == {("digital",): 17, ("green",): 2, ("other",): 12}


def test_sharing_pathways_and_recognition(analytics: tuple[AnalyticsService, dict[str, int]]) -> None:
    service, _ = analytics
    assert _values(_open(service, Query("shares", ("issuer",)))) == {("",): 1, ("uni-a",): 3}
    assert _open(service, Query("share_views")).total.value == 8
    assert _open(service, Query("pathway_starts")).total.value == 4
    assert _open(service, Query("pathway_completions")).total.value == 2
    assert _open(service, Query("days_to_complete")).total.value == 15.0
    assert _open(service, Query("recognition_applications")).total.value == 5
    recognised = _open(service, Query("recognised_share")).total
    assert (recognised.numerator, recognised.denominator) == (3, 4)
    assert _open(service, Query("automatic_share")).total.value == pytest.approx(1 / 4)
    assert _open(service, Query("days_to_decision")).total.value == 2.0  # 0, 1, 3, 6


def test_verifications_and_cross_border_use(analytics: tuple[AnalyticsService, dict[str, int]]) -> None:
    service, ids = analytics
    assert _open(service, Query("verifications")).total.value == 17
    assert _values(_open(service, Query("verifications", ("channel",)))) == {("api",): 10, ("web",): 7}
    assert _values(_open(service, Query("verifications", ("outcome",)))) == {("not verified",): 2, ("verified",): 15}
    assert _values(_open(service, Query("verifications", ("country", "verifier_country")))) == {
        ("FR", ""): 2, ("PL", ""): 5, ("PL", "DE"): 7, ("PL", "PL"): 3,
    }  # fmt: skip
    assert _values(_open(service, Query("verifications", ("verifier_kind", "verifier_type")))) == {
        ("anonymous", ""): 7, ("organisation", "company"): 7, ("organisation", "university"): 3,
    }  # fmt: skip
    own = _open(service, Query("verifications", ("month",), scope=(ids["uni-a"],)))
    assert _values(own) == {("2026-01",): 7, ("2026-02",): 8}  # the French credential is no one's here
    share = _open(service, Query("cross_border_share")).total
    assert (share.numerator, share.denominator) == (7, 10)
    assert _open(service, Query("cross_border_awards")).total.value == 3


def test_consented_characteristics(analytics: tuple[AnalyticsService, dict[str, int]]) -> None:
    service, _ = analytics
    assert _values(_open(service, Query("awards", ("gender",)))) == {("",): 16, ("female",): 3}
    assert _values(_open(service, Query("awards", ("age_band", "learner_country")))) == {
        ("", ""): 16, ("25-34", "DE"): 3,
    }  # fmt: skip
    assert _values(_open(service, Query("awards", ("education",))))[("6",)] == 3
    assert _values(_open(service, Query("awards", ("employment",))))[("employed",)] == 3


def test_skills_demanded(analytics: tuple[AnalyticsService, dict[str, int]]) -> None:
    service, _ = analytics
    assert _values(_open(service, Query("skills_demanded", ("skill",)))) == {(S1,): 6, (S3,): 1}
    assert _values(_open(service, Query("skills_demanded", ("collection",)))) == {("digital",): 6, ("green",): 1}
    assert _values(_open(service, Query("skills_demanded", ("month",)))) == {("2026-01",): 4, ("2026-02",): 3}


def test_an_issuers_or_a_registrys_scope_sees_every_job_ads_demand(
    analytics: tuple[AnalyticsService, dict[str, int]],
) -> None:
    service, ids = analytics  # job ads belong to no organisation: the demand an issuer's skills meet is everyone's
    for scope in ((ids["train-b"],), tuple(ids.values()), ()):
        scoped = _open(service, Query("skills_demanded", ("collection",), scope=scope))
        assert _values(scoped) == {("digital",): 6, ("green",): 1}


def test_every_indicator_has_a_test_above() -> None:
    tested = {"awards", "learners", "claim_rate", "days_to_claim", "revoked", "skills_supplied", "shares",
              "share_views", "pathway_starts", "pathway_completions", "days_to_complete", "recognition_applications",
              "recognised_share", "automatic_share", "days_to_decision", "verifications", "cross_border_share",
              "cross_border_awards", "skills_demanded"}  # fmt: skip
    assert set(INDICATORS) == tested


def test_unknown_names_are_refused(analytics: tuple[AnalyticsService, dict[str, int]]) -> None:
    service, _ = analytics
    for query in (Query("nope"), Query("awards", ("colour",)), Query("shares", ("field",)),
                  Query("awards", filters={"skill": S1}), Query("awards", ("month", "issuer", "eqf")),
                  Query("awards", start=date(2026, 3, 1), end=date(2026, 1, 1))):  # fmt: skip
        with pytest.raises(InputError):
            _open(service, query)
        with pytest.raises(InputError):
            service.table(query)


def test_nothing_before_the_first_refresh(database: Database, tmp_path: Path) -> None:
    service = AnalyticsService(database, tmp_path / "cache", clock=FixedClock())
    assert service.table(Query("awards")) is None
    assert service.freshness() is None


def test_docs_state_every_indicator_with_its_formula() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "analytics.md").read_text(encoding="utf-8")
    section = docs.split("\n## Indicators\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0].strip("`")] = cells[2]
    assert rows == {i.id: i.formula for i in INDICATORS.values()}


def test_a_dimensions_values_within_a_scope(analytics: tuple[AnalyticsService, dict[str, int]]) -> None:
    service, ids = analytics
    engine = service.engine()
    assert engine is not None
    assert engine.values("mode") == [("blended", 1), ("in-person", 1), ("online", 1)]  # definitions awarded
    assert engine.values("mode", scope=(ids["train-b"],)) == [("in-person", 1)]
    assert engine.values("mode", scope=()) == []
    assert engine.values("region", view="share_facts") == [("PL-14", 3)]  # the foreign credential's share: no region
    assert engine.values("field", limit=1) == [("04", 1)]
    with pytest.raises(InputError):
        engine.values("field", view="share_facts")
    with pytest.raises(InputError):
        engine.values("nothing")
    # the service offers the values of the definitions awarded (public facts about courses), whatever k
    assert service.values("mode", scope=(ids["train-b"],)) == ["in-person"]
    assert AnalyticsService(service.database, service.cache, clock=FixedClock(), k=3).values("mode") == [
        "blended", "in-person", "online"
    ]  # fmt: skip


def test_an_instance_with_empty_tables_refreshes(database: Database, tmp_path: Path) -> None:
    """A table with no rows (no share links yet, as in the demo) exports an empty file, which is read as no rows."""
    service = AnalyticsService(database, tmp_path / "empty", clock=FixedClock(), k=2)
    info = service.refresh()
    assert {t: n for t, n in info.rows.items() if n and t != "precomputed"} == {}  # (panels, not rows)
    table = service.table(Query("shares", ("month",)))
    assert table is not None
    assert table.cells == []
    assert table.total.value == 0
