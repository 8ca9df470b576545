"""Bulk awards from a CSV or XLSX file: all rows checked first, then awarded in resumable batches.

A file with any problem is refused with its row-by-row report and nothing is written. A good file
becomes a bulk job (``bulk_jobs``) keyed by the definition version and the file's SHA-256; rows are
awarded ``batch_size`` at a time, each batch in one transaction that also moves the job's ``done_rows``
on. Killed in the middle (even ``kill -9``), the same command with the same file resumes after the last
committed batch; awards are idempotent (definition version + recipient + external id), so no row is
awarded twice and none is skipped.

Signing is the slow part: with ``workers`` > 0, credentials are signed in a pool of processes while
this process prepares the next batch and writes the previous one.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import BrokenExecutor, Future
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Final

from cairn.errors import CairnError
from cairn.services.issuing.bulk_files import DEFAULT_MAX_ROWS, BulkRow, FileCheck, RowProblem, check_file, read_rows
from cairn.services.issuing.credentials import SignedAward, SigningPool, sign_awards
from cairn.services.issuing.service import AwardPlan, IssuingService, Prepared
from cairn.store.issuing.repository import AwardRepository, BulkJobRepository
from cairn.store.tables import BulkJobRow

__all__ = ["DEFAULT_BATCH_SIZE", "BulkAwardService", "BulkReport"]

DEFAULT_BATCH_SIZE: Final = 500
POOL_THRESHOLD: Final = 2000
"""Files with fewer rows are signed in this process (starting workers costs about a second)."""

Progress = Callable[[int, int], None]
"""``progress(done, total)``: rows finished so far (including by an earlier, interrupted run) and in all."""


@dataclass
class BulkReport:
    """What a bulk award did, or why the file was refused."""

    status: str
    filename: str
    file_sha256: str
    definition: str
    version: int | None
    rows: int = 0
    created: int = 0
    existing: int = 0
    resumed_from: int = 0
    job_id: int | None = None
    columns: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    problem_count: int = 0

    @property
    def ok(self) -> bool:
        """True when every row was awarded (or had been already)."""
        return self.status == "done" and self.problem_count == 0

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "ok": self.ok,
            "status": self.status,
            "filename": self.filename,
            "file_sha256": self.file_sha256,
            "definition": self.definition,
            "version": self.version,
            "job_id": self.job_id,
            "rows": self.rows,
            "created": self.created,
            "existing": self.existing,
            "resumed_from": self.resumed_from,
            "columns": self.columns,
            "problem_count": self.problem_count,
            "problems": [p.to_dict() for p in self.problems],
        }


def _batches(rows: Iterable[BulkRow], size: int) -> Iterator[list[BulkRow]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


@dataclass
class _Batch:
    rows: list[BulkRow]
    items: list[Prepared]
    existing: int
    futures: list[Future[list[SignedAward]]] = field(default_factory=list)


class BulkAwardService:
    """Check and run bulk awards."""

    def __init__(
        self,
        issuing: IssuingService,
        *,
        max_upload_bytes: int,
        max_rows: int = DEFAULT_MAX_ROWS,
        batch_size: int = DEFAULT_BATCH_SIZE,
        workers: int | None = None,
    ) -> None:
        self.issuing = issuing
        self.database = issuing.database
        self.max_upload_bytes = max_upload_bytes
        self.max_rows = max_rows
        self.batch_size = batch_size
        self.workers = workers

    def check(self, source: Path | bytes, *, filename: str | None = None) -> FileCheck:
        """Check a file row by row without writing anything."""
        name = filename or (source.name if isinstance(source, Path) else "upload")
        return check_file(source, filename=name, max_bytes=self.max_upload_bytes, max_rows=self.max_rows)

    def run(
        self,
        source: Path | bytes,
        *,
        definition: str,
        actor: str,
        version: int | None = None,
        filename: str | None = None,
        organisation: str | None = None,
        progress: Progress | None = None,
        batch_size: int | None = None,
        workers: int | None = None,
    ) -> BulkReport:
        """Check the file, then award every row (resuming a job interrupted earlier).

        Without ``version``, an unfinished job for this file resumes at its own version (even if a newer
        one was published meanwhile); otherwise the latest version is awarded. ``progress(done, total)``
        is called once the file is checked, then after each batch. ``workers``: signing processes (0:
        sign here; default: one per core for files of more than 2,000 rows).
        """
        check = self.check(source, filename=filename)
        if check.ok and version is None:
            version = self._unfinished_version(definition, check.sha256)
        plan = self.issuing.plan(definition, version, organisation=organisation)
        report = BulkReport(
            status="refused",
            filename=check.filename,
            file_sha256=check.sha256,
            definition=plan.definition,
            version=plan.version,
            rows=check.rows,
            columns=check.columns,
            problems=check.problems,
            problem_count=check.problem_count,
        )
        if not check.ok:
            return report
        job = self._job(plan, check, actor)
        report.job_id, report.resumed_from = job.id, job.done_rows
        report.created = int(job.report.get("created", 0))
        report.existing = int(job.report.get("existing", 0))
        if progress:
            progress(job.done_rows, job.total_rows)
        if job.status != "done":
            size = batch_size or self.batch_size
            remaining = islice(read_rows(source, kind=check.kind), job.done_rows, None)
            count = workers if workers is not None else self.workers
            if count is None:
                count = (os.cpu_count() or 1) if check.rows - job.done_rows > POOL_THRESHOLD else 0
            self._award(plan, job.id, _batches(remaining, size), report, actor=actor, workers=count, progress=progress)
        report.status = "done"
        return report

    def _unfinished_version(self, definition: str, file_sha256: str) -> int | None:
        with self.database.transaction(read_only=True) as session:
            return BulkJobRepository(session).unfinished_version(definition, file_sha256)

    def _job(self, plan: AwardPlan, check: FileCheck, actor: str) -> BulkJobRow:
        with self.database.transaction() as session:
            jobs = BulkJobRepository(session)
            jobs.lock_key(plan.version_id, check.sha256)
            job = jobs.find(plan.version_id, check.sha256)
            if job is None:
                job = BulkJobRow(
                    organisation_id=plan.organisation_id,
                    definition_version_id=plan.version_id,
                    filename=check.filename[:500],
                    file_sha256=check.sha256,
                    status="running",
                    total_rows=check.rows,
                    done_rows=0,
                    failed_rows=0,
                    report={"created": 0, "existing": 0, "actor": actor, "columns": check.columns},
                    created_at=self.issuing.clock(),
                )
                session.add(job)
                session.flush()
            session.expunge(job)
            return job

    def _prepare(self, plan: AwardPlan, rows: list[BulkRow]) -> _Batch:
        keys = {row.row: self.issuing.recipient_key(row.recipient, row.external_id) for row in rows}
        with self.database.transaction(read_only=True) as session:
            done = AwardRepository(session).existing(plan.version_id, set(keys.values()))
        now = self.issuing.now()
        items = [
            self.issuing.prepare(
                plan,
                row.recipient,
                issued_at=now,
                grade=row.grade,
                external_id=row.external_id,
                recipient_key=keys[row.row],
                row_number=row.row,
                evidence=row.evidence,
                narrative=row.narrative,
            )
            for row in rows
            if keys[row.row] not in done
        ]
        return _Batch(rows, items, len(rows) - len(items))

    def _award(
        self,
        plan: AwardPlan,
        job_id: int,
        batches: Iterator[list[BulkRow]],
        report: BulkReport,
        *,
        actor: str,
        workers: int,
        progress: Progress | None,
    ) -> None:
        pool = SigningPool(plan.context, workers=workers) if workers > 0 else None
        try:
            pending: deque[_Batch] = deque()
            for rows in batches:
                batch = self._prepare(plan, rows)
                if pool is not None:
                    batch.futures = pool.submit([item.spec for item in batch.items])
                else:
                    for item, signed in zip(
                        batch.items, sign_awards(plan.context, [i.spec for i in batch.items]), strict=True
                    ):
                        item.signed = signed
                pending.append(batch)
                if len(pending) > 1 or pool is None:
                    self._commit(plan, job_id, pending.popleft(), report, actor=actor, progress=progress)
            while pending:
                self._commit(plan, job_id, pending.popleft(), report, actor=actor, progress=progress)
            with self.database.transaction() as session:
                job = BulkJobRepository(session).get(job_id)
                assert job is not None
                job.status, job.finished_at = "done", self.issuing.clock()
        finally:
            if pool is not None:
                pool.close()

    def _commit(
        self, plan: AwardPlan, job_id: int, batch: _Batch, report: BulkReport, *, actor: str, progress: Progress | None
    ) -> None:
        if batch.futures:
            try:
                signed = [s for future in batch.futures for s in future.result()]
            except BrokenExecutor:  # a signing worker was killed (or ran out of memory): the job is left to resume
                raise CairnError(
                    "a signing worker stopped before this batch was signed; nothing of the batch was stored: run the "
                    "same award again to resume after the last stored row"
                ) from None
            for item, result in zip(batch.items, signed, strict=True):
                item.signed = result
        now = batch.items[0].spec.issued_at if batch.items else self.issuing.now()
        with self.database.transaction() as session:
            outcome = self.issuing.write(session, plan, batch.items, actor=actor, now=now, job_id=job_id)
            job = BulkJobRepository(session).get(job_id)
            assert job is not None
            created, existing = len(outcome.created), batch.existing + len(outcome.existing)
            job.done_rows += len(batch.rows)
            done, total = job.done_rows, job.total_rows
            job.report = {
                **job.report,
                "created": int(job.report.get("created", 0)) + created,
                "existing": int(job.report.get("existing", 0)) + existing,
            }
        report.created += created
        report.existing += existing
        if progress:
            progress(done, total)
