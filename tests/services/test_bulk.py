"""Bulk awards on SQLite and PostgreSQL: row-by-row reports, nothing half-written, idempotent, resumable."""

from __future__ import annotations

from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook
from sqlalchemy import func, select

import cairn.services.issuing.bulk as bulk_module
import cairn.services.issuing.credentials as credentials_module
from cairn.errors import CairnError, NotFoundError
from cairn.services.catalog.service import CatalogService
from cairn.services.issuing.bulk_files import check_file, read_rows
from cairn.services.issuing.setup import IssuingServices
from cairn.store.database import Database
from cairn.store.tables import AuditEntry, AwardRow, BulkJobRow, DefinitionVersionRow, OutboxRow
from tests.factories import DEFINITION, EXAMPLES, FixedClock, load_examples, make_services
from tests.helpers import assert_authentic, verify_award

GOOD = "email,name,external_id,grade\n" + "".join(f"l{i}@example.org,Learner {i},S{i},{i % 5 + 1}\n" for i in range(12))


@pytest.fixture
def services(database: Database, clock: FixedClock) -> IssuingServices:
    load_examples(database, clock)
    return make_services(database, clock)


def _write(tmp_path: Path, text: str | bytes, name: str = "rows.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def _xlsx(tmp_path: Path, rows: list[list[Any]], name: str = "rows.xlsx") -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def _count(database: Database, table: Any) -> int:
    with database.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _problems(path: Path, limit: int = 50_000_000, max_rows: int = 1000) -> list[tuple[int | None, str | None, str]]:
    check = check_file(path, filename=path.name, max_bytes=limit, max_rows=max_rows)
    return [(p.row, p.column, p.message) for p in check.problems]


def test_a_good_file_awards_every_row(
    services: IssuingServices, database: Database, clock: FixedClock, tmp_path: Path
) -> None:
    path = _write(tmp_path, GOOD)
    seen: list[tuple[int, int]] = []
    report = services.bulk.run(
        path, definition=DEFINITION, actor="registrar", batch_size=5, progress=lambda d, t: seen.append((d, t))
    )
    assert report.ok
    assert report.status == "done"
    assert (report.rows, report.created, report.existing, report.resumed_from) == (12, 12, 0, 0)
    assert seen == [(0, 12), (5, 12), (10, 12), (12, 12)]
    assert report.columns == ["email", "name", "external_id", "grade"]
    with database.transaction() as session:
        rows = session.execute(select(AwardRow.row_number, AwardRow.external_id, AwardRow.grade)).all()
        job = session.scalars(select(BulkJobRow)).one()
        credential = session.scalars(select(AwardRow.credential).where(AwardRow.row_number == 2)).one()
        details = session.scalars(select(AuditEntry.details).where(AuditEntry.action == "award.create")).all()
    assert sorted(rows) == [(n + 2, f"S{n}", str(n % 5 + 1)) for n in range(12)]
    assert (job.status, job.done_rows, job.total_rows, job.file_sha256) == ("done", 12, 12, report.file_sha256)
    assert _count(database, OutboxRow) == 12
    assert sorted(d["row"] for d in details) == list(range(2, 14))
    assert {d["job"] for d in details} == {job.id}
    assert services.audit.verify().ok
    assert credential is not None
    assert_authentic(verify_award(services, credential, clock()))
    again = services.bulk.run(path, definition=DEFINITION, actor="registrar")
    assert again.ok
    assert (again.job_id, again.created, again.resumed_from) == (report.job_id, 12, 12)
    assert _count(database, AwardRow) == 12


def test_rows_awarded_before_are_not_awarded_again(
    services: IssuingServices, database: Database, tmp_path: Path
) -> None:
    first = services.bulk.run(_write(tmp_path, GOOD, "first.csv"), definition=DEFINITION, actor="r")
    more = GOOD + "new@example.org,New,S99,3\n"
    second = services.bulk.run(_write(tmp_path, more, "second.csv"), definition=DEFINITION, actor="r")
    assert first.job_id != second.job_id
    assert (second.created, second.existing) == (1, 12)
    assert _count(database, AwardRow) == 13
    assert _count(database, OutboxRow) == 13


def test_a_bad_file_is_refused_whole_with_every_problem(
    services: IssuingServices, database: Database, tmp_path: Path
) -> None:
    text = (
        "Email,NAME,external_id,grade\n"
        "ok@example.org,Ok,1,5\n"
        "not-an-email,Bad,2,5\n"
        "ok@example.org,Again,1,4\n"
        '=cmd|"/c calc"!A1,Formula,3,5\n'
        "f@example.org,@SUM(A1),4,5\n"
        "g@example.org,Grade,5,-1\n"
        "h@example.org,Grade,6,+2+3\n"
        ",Nobody,7,5\n"
    )
    report = services.bulk.run(_write(tmp_path, text), definition=DEFINITION, actor="r")
    assert not report.ok
    assert report.status == "refused"
    assert report.job_id is None
    found = [(p.row, p.column) for p in report.problems]
    assert found == [(3, "email"), (4, None), (5, "email"), (6, "name"), (8, "grade"), (9, None)]
    messages = {(p.row): p.message for p in report.problems}
    assert "not an email address" in messages[3]
    assert "as row 2" in messages[4]
    assert "formula" in messages[6]
    assert "formula" in messages[8]
    assert "email, by DID, or both" in messages[9]
    assert report.to_dict()["problem_count"] == 6
    assert _count(database, AwardRow) == 0
    assert _count(database, BulkJobRow) == 0
    assert _count(database, OutboxRow) == 0


def test_formula_in_the_first_column_is_reported_in_that_column(tmp_path: Path) -> None:
    path = _write(tmp_path, 'email,name\n"=HYPERLINK(""http://x"")",A\n')
    assert _problems(path) == [(2, "email", "looks like a spreadsheet formula (starts with = + - or @); refused")]


def test_columns_are_checked(tmp_path: Path) -> None:
    assert [p[2][:40] for p in _problems(_write(tmp_path, "name,grade\nAnn,5\n"))] == [
        "the file needs an 'email' or a 'did' col",
        "identify the learner by email, by DID, o",
    ]
    unknown = _problems(_write(tmp_path, "email,mail,email\na@example.org,b,c\n"))
    assert [(p[0], p[1]) for p in unknown] == [(1, "mail"), (1, "email"), (2, None), (2, None)]
    assert "unknown column 'mail'" in unknown[0][2]
    assert "appears twice" in unknown[1][2]
    assert _problems(_write(tmp_path, "")) == [(None, None, "the file is empty; the first row must name the columns")]
    assert _problems(_write(tmp_path, "email\n\n\n")) == [(None, None, "the file has a header but no rows")]


def test_text_that_is_not_utf8_is_reported_by_row(tmp_path: Path) -> None:
    data = b"email,name\na@example.org,Zofia\n" + b"b@example.org,Zosia \xb3\xf3dka\nc@example.org,C\n"
    assert _problems(_write(tmp_path, data)) == [(3, None, "holds text that is not UTF-8; save the file as CSV UTF-8")]


def test_size_and_row_limits(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    [(row, _, message)] = _problems(path, limit=100)
    assert row is None
    assert "the limit is 100 (CAIRN_MAX_UPLOAD_BYTES)" in message
    past = "the file goes on past row 11; the limit is 10 rows after the header (empty rows count); split the file"
    assert _problems(path, max_rows=10) == [(12, None, past)]
    assert _problems(_write(tmp_path, b"email,name\na@example.org,x\x00y\n")) == [
        (2, "name", "contains control characters")
    ]
    huge = _write(tmp_path, "email,name\na@example.org," + "x" * 200_000 + "\n")
    [(row, _, message)] = _problems(huge)
    assert row is None
    assert message.startswith("not a readable CSV file near line 2")


def test_excel_dialects_and_a_bom(services: IssuingServices, tmp_path: Path) -> None:
    text = "\ufeffE-Mail;Name;External ID;DID\r\nann@example.org;Ann;;\r\n;Bob;x;did:example:bob\r\n\r\n"
    path = _write(tmp_path, text)
    check = check_file(path, filename="rows.csv", max_bytes=10_000)
    assert check.ok, check.problems
    assert check.columns == ["email", "name", "external_id", "did"]
    assert check.rows == 2
    rows = list(read_rows(path, kind="csv"))
    assert [(r.row, r.recipient.email, r.recipient.did, r.external_id) for r in rows] == [
        (2, "ann@example.org", None, None),
        (3, None, "did:example:bob", "x"),
    ]
    assert services.bulk.run(path, definition=DEFINITION, actor="r").created == 2


def test_xlsx_files(services: IssuingServices, database: Database, tmp_path: Path) -> None:
    good = _xlsx(
        tmp_path,
        [["Email", "Name", "Grade"], ["a@example.org", "Ann", 5], [None, None, None], ["b@example.org", "Bob", 4.5]],
    )
    report = services.bulk.run(good, definition=DEFINITION, actor="r")
    assert report.ok
    assert report.created == 2
    assert report.rows == 2
    with database.transaction() as session:
        assert sorted(g or "" for g in session.scalars(select(AwardRow.grade))) == ["4.5", "5"]
    bad = _xlsx(tmp_path, [["email", "name"], ["c@example.org", "=1+1"], ["d@example", "D"]], "bad.xlsx")
    assert [(p[0], p[1]) for p in _problems(bad)] == [(2, "name"), (3, "email")]
    broken = _write(tmp_path, b"PK\x03\x04 not really a zip", "broken.xlsx")
    assert _problems(broken)[0][2].startswith("not a readable XLSX file")


def test_an_upload_given_as_bytes(services: IssuingServices) -> None:
    report = services.bulk.run(GOOD.encode(), definition=DEFINITION, actor="r", filename="upload.csv")
    assert report.ok
    assert report.created == 12
    assert report.filename == "upload.csv"


def test_an_unknown_definition_is_not_found(services: IssuingServices, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        services.bulk.run(_write(tmp_path, GOOD), definition="nothing", actor="r")
    with pytest.raises(NotFoundError):
        services.bulk.run(_write(tmp_path, GOOD), definition=DEFINITION, actor="r", organisation="skillbridge-europe")


def test_a_failed_batch_leaves_the_job_to_resume(
    services: IssuingServices, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, GOOD)
    original = bulk_module.BulkAwardService._commit
    calls = {"n": 0}

    def failing(self: Any, *args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        original(self, *args, **kwargs)

    monkeypatch.setattr(bulk_module.BulkAwardService, "_commit", failing)
    with pytest.raises(RuntimeError):
        services.bulk.run(path, definition=DEFINITION, actor="r", batch_size=5)
    with database.transaction() as session:
        job = session.scalars(select(BulkJobRow)).one()
        assert (job.status, job.done_rows) == ("running", 5)
    assert _count(database, AwardRow) == 5
    assert _count(database, OutboxRow) == 5
    monkeypatch.setattr(bulk_module.BulkAwardService, "_commit", original)
    report = services.bulk.run(path, definition=DEFINITION, actor="r", batch_size=5)
    assert report.ok
    assert (report.resumed_from, report.created) == (5, 12)
    with database.transaction() as session:
        numbers = list(session.scalars(select(AwardRow.row_number).order_by(AwardRow.row_number)))
    assert numbers == list(range(2, 14))
    assert _count(database, OutboxRow) == 12
    assert services.audit.verify().ok


def test_an_interrupted_job_resumes_at_its_own_version(
    services: IssuingServices,
    database: Database,
    clock: FixedClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = _write(tmp_path, GOOD)
    original = bulk_module.BulkAwardService._commit

    def fail_second(self: Any, *args: Any, **kwargs: Any) -> None:
        if self.__dict__.setdefault("_calls", 0) == 1:
            raise RuntimeError("power cut")
        self.__dict__["_calls"] += 1
        original(self, *args, **kwargs)

    monkeypatch.setattr(bulk_module.BulkAwardService, "_commit", fail_second)
    with pytest.raises(RuntimeError):
        services.bulk.run(path, definition=DEFINITION, actor="r", batch_size=5)
    monkeypatch.setattr(bulk_module.BulkAwardService, "_commit", original)
    changed = yaml.safe_load((EXAMPLES / "micro-credentials" / f"{DEFINITION}.yaml").read_text(encoding="utf-8"))
    changed["description"] = {"en": "A second version, published while the bulk award was interrupted."}
    (tmp_path / "v2.yaml").write_text(yaml.safe_dump(changed, allow_unicode=True), encoding="utf-8")
    CatalogService(database, clock=clock).import_paths([tmp_path / "v2.yaml"])
    assert services.issuing.plan(DEFINITION).version == 2
    report = services.bulk.run(path, definition=DEFINITION, actor="r", batch_size=5)
    assert report.ok
    assert (report.version, report.resumed_from, report.created) == (1, 5, 12)
    with database.transaction() as session:
        versions = set(session.scalars(select(DefinitionVersionRow.version).join(AwardRow)))
    assert versions == {1}
    fresh = services.bulk.run(path, definition=DEFINITION, actor="r")
    assert (fresh.version, fresh.created, fresh.existing) == (2, 12, 0)  # a finished job does not pin the version


@pytest.mark.slow
def test_signing_in_worker_processes(database: Database, clock: FixedClock, tmp_path: Path) -> None:
    load_examples(database, clock)
    services = make_services(database, clock)
    report = services.bulk.run(_write(tmp_path, GOOD), definition=DEFINITION, actor="r", batch_size=4, workers=2)
    assert report.ok
    assert report.created == 12
    with database.transaction() as session:
        credential = session.scalars(select(AwardRow.credential).where(AwardRow.row_number == 7)).one()
    assert credential is not None
    assert_authentic(verify_award(services, credential, clock()))


def test_a_signing_worker_lost_mid_job_is_said_in_words_and_the_job_resumes(
    services: IssuingServices, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, GOOD)
    calls = {"n": 0}

    class Pool:  # a pool whose worker dies on the second batch (as kill -9 of a worker leaves it)
        def __init__(self, context: Any, *, workers: int) -> None:
            self.context = context

        def submit(self, specs: list[Any]) -> list[Future[Any]]:
            calls["n"] += 1
            future: Future[Any] = Future()
            if calls["n"] == 2:
                future.set_exception(BrokenProcessPool("A process in the process pool was terminated abruptly"))
            else:
                future.set_result(credentials_module.sign_awards(self.context, specs))
            return [future]

        def close(self) -> None:
            pass

    monkeypatch.setattr(bulk_module, "SigningPool", Pool)
    with pytest.raises(CairnError, match="a signing worker stopped before this batch was signed"):
        services.bulk.run(path, definition=DEFINITION, actor="r", batch_size=5, workers=2)
    assert _count(database, AwardRow) == 5
    monkeypatch.undo()
    report = services.bulk.run(path, definition=DEFINITION, actor="r", batch_size=5)
    assert (report.resumed_from, report.created) == (5, 12)
