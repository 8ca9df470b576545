"""Bulk files carrying per-learner evidence, narrative and grade (SQLite and PostgreSQL): into the credential as
Open Badges 3.0 ``evidence``, ``credentialSubject.narrative`` and ``result``; bad cells reported by row."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from cairn.services.issuing.bulk_files import check_file
from cairn.services.issuing.setup import IssuingServices
from cairn.store.database import Database
from cairn.store.tables import AwardRow
from cairn.vc.report import Outcome
from tests.factories import DEFINITION, FixedClock, load_examples, make_services
from tests.helpers import assert_authentic, outcomes, verify_award

SAMPLE = Path(__file__).parents[2] / "examples" / "bulk-awards-with-evidence.csv"


@pytest.fixture
def services(database: Database, clock: FixedClock) -> IssuingServices:
    load_examples(database, clock)
    return make_services(database, clock)


def test_the_sample_file_puts_evidence_narrative_and_grade_into_each_credential(
    services: IssuingServices, database: Database, clock: FixedClock
) -> None:
    report = services.bulk.run(SAMPLE, definition=DEFINITION, actor="registrar")
    assert report.ok, report.problems
    assert report.columns == ["email", "name", "external_id", "grade", "evidence", "evidence_narrative", "narrative"]
    with database.transaction() as session:
        stored = dict(session.execute(select(AwardRow.row_number, AwardRow.credential)).tuples().all())
    assert sorted(stored) == [2, 3, 4]
    ada = stored[2]
    assert ada is not None
    assert ada["evidence"] == [
        {
            "type": ["Evidence"],
            "id": "https://portfolio.example.org/ada/sales-forecast",
            "narrative": "A notebook that cleans two years of sales data and forecasts the next quarter.",
        }
    ]
    subject = ada["credentialSubject"]
    assert subject["narrative"] == "Led the team's data cleaning.\nPresented the forecast to the board."
    assert subject["result"][0]["value"] == "5.0"
    report_now = verify_award(services, ada, clock())
    assert_authentic(report_now)
    assert outcomes(report_now, "schema") == [Outcome.PASS], report_now.text()
    alan = stored[3]
    assert alan is not None
    assert alan["evidence"] == [{"type": ["Evidence"], "narrative": "Oral examination, 30 minutes."}]
    assert "narrative" not in alan["credentialSubject"]
    grace = stored[4]
    assert grace is not None
    assert "evidence" not in grace
    assert grace["credentialSubject"]["result"][0]["value"] == "4.5"


def test_bad_evidence_rows_are_reported_by_row_and_nothing_is_awarded(
    services: IssuingServices, database: Database, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (
        ["Email", "Evidence", "Evidence narrative", "Narrative", "Grade"],
        ["ok@example.org", "https://example.org/work", "Fine.", "Line one\nline two", "5"],
        ["a@example.org", "javascript:alert(1)", None, None, None],
        ["b@example.org", None, None, "x" * 5001, None],
        ["c@example.org", None, '=HYPERLINK("https://evil.example")', None, None],
        ["d@example.org", None, "tab\there", None, None],
        ["e@example.org", "https://example.org/" + "p" * 2000, None, None, None],
    ):
        sheet.append(row)
    path = tmp_path / "evidence.xlsx"
    book.save(path)
    report = services.bulk.run(path, definition=DEFINITION, actor="r")
    assert not report.ok
    found = [(p.row, p.column) for p in report.problems]
    assert found == [
        (3, "evidence"),
        (4, "narrative"),
        (5, "evidence_narrative"),
        (6, "evidence_narrative"),
        (7, "evidence"),
    ]
    messages = {p.row: p.message for p in report.problems}
    assert "web address" in messages[3]
    assert "longer than 5000" in messages[4]
    assert "formula" in messages[5]
    assert "control characters" in messages[6]
    assert "longer than 2000" in messages[7]
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AwardRow)) == 0


def test_the_sample_file_checks_clean() -> None:
    check = check_file(SAMPLE, filename=SAMPLE.name, max_bytes=1_000_000)
    assert check.ok, check.problems
    assert check.rows == 3
