"""Bulk awards posted from the web, run as jobs of the queue (:mod:`cairn.services.jobs`).

:meth:`BulkUploads.submit` keeps the checked file (encrypted: it names learners) in ``bulk_uploads``, one row per
organisation, micro-credential and file SHA-256, and defers the job ``bulk.award`` with that row as its
idempotency key: posting the same file twice, or a double click, finds the same row and queues nothing more.
:meth:`BulkUploads.run` (the job) awards the file with :meth:`BulkAwardService.run
<cairn.services.issuing.bulk.BulkAwardService.run>`, which resumes after the last committed batch, so a job tried
again after a failure awards no row twice; it records the rows done after each batch (what the job page shows),
and at the end the counts and each row's status and award id, and forgets the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.orm import defer as not_loaded

from cairn.errors import NotFoundError
from cairn.services.issuing.bulk import BulkAwardService
from cairn.services.issuing.bulk_files import FileCheck, read_rows
from cairn.services.issuing.keys import derive_key
from cairn.services.issuing.queries import AwardQueryService
from cairn.services.issuing.service import AwardPlan, IssuingService, Prepared, WriteOutcome
from cairn.services.jobs.queue import JobQueue
from cairn.store.database import Database
from cairn.store.issuing.queries import AwardQueryRepository
from cairn.store.tables import BulkUploadRow, OrganisationRow

__all__ = ["TASK", "BulkUploads", "UploadView"]

TASK: Final = "bulk.award"
_NONCE: Final = 12


@dataclass(frozen=True, slots=True)
class UploadView:
    """A bulk upload as its page shows it."""

    id: int
    organisation: str
    definition: str
    filename: str
    status: str
    total_rows: int
    done_rows: int
    error: str
    report: dict[str, Any]

    @property
    def finished(self) -> bool:
        """Done, or failed for good."""
        return self.status in ("done", "failed")

    @property
    def percent(self) -> int:
        """Rows done, in per cent of the file."""
        return 100 if self.status == "done" else (100 * self.done_rows // self.total_rows if self.total_rows else 0)

    def to_dict(self) -> dict[str, Any]:
        """The progress JSON the job page polls (the row-by-row report is left out)."""
        counts = {k: self.report.get(k, 0) for k in ("created", "existing", "failed")}
        return {"id": self.id, "status": self.status, "total_rows": self.total_rows, "done_rows": self.done_rows,
                "percent": self.percent, "error": self.error, **counts}  # fmt: skip


class _Recorder(IssuingService):
    """The instance's issuing service, remembering the ids of the awards it creates (created vs already there)."""

    def __init__(self, inner: IssuingService) -> None:
        super().__init__(
            inner.database, keys=inner.keys, status_lists=inner.status_lists, clock=inner.clock,
            skill_labels=inner.skill_labels,
        )  # fmt: skip
        self.created: set[str] = set()

    def write(
        self, session: Any, plan: AwardPlan, items: Sequence[Prepared], *, actor: str, now: datetime,
        job_id: int | None = None,
    ) -> WriteOutcome:  # fmt: skip
        outcome = super().write(session, plan, items, actor=actor, now=now, job_id=job_id)
        self.created.update(item.spec.award_id for item in outcome.created)
        return outcome


class BulkUploads:
    """Bulk uploads from the web: keep, queue, run and report them."""

    def __init__(
        self,
        database: Database,
        *,
        bulk: BulkAwardService,
        queries: AwardQueryService,
        jobs: JobQueue,
        secret_key: Callable[[], str],
        clock: Callable[[], datetime],
    ) -> None:
        self.database = database
        self.bulk = bulk
        self.queries = queries
        self.jobs = jobs
        self._secret_key = secret_key
        self.clock = clock

    # -- the file, encrypted -------------------------------------------------------------------------

    def _cipher(self) -> AESGCM:
        return AESGCM(derive_key(self._secret_key(), info=b"cairn-bulk-upload:v1"))

    def _seal(self, data: bytes, sha256: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._cipher().encrypt(nonce, data, sha256.encode("ascii"))

    def _open(self, sealed: bytes, sha256: str) -> bytes:
        return self._cipher().decrypt(sealed[:_NONCE], sealed[_NONCE:], sha256.encode("ascii"))

    # -- submitting and reading ----------------------------------------------------------------------

    def submit(
        self, data: bytes, *, filename: str, definition: str, organisation: str, actor: str,
        check: FileCheck | None = None,
    ) -> int:  # fmt: skip
        """Keep a checked file (``check``: its check, when the caller made it already) and queue its job; the upload's
        id. The same file for the same micro-credential finds the upload made before (queued again only if it
        failed); NotFoundError/ConflictError: see ``plan``."""
        check = check or self.bulk.check(data, filename=filename)
        plan = self.bulk.issuing.plan(definition, organisation=organisation)
        now = self.clock()
        with self.database.transaction() as session:
            row = session.scalar(
                select(BulkUploadRow).where(
                    BulkUploadRow.organisation_id == plan.organisation_id,
                    BulkUploadRow.definition == plan.definition,
                    BulkUploadRow.file_sha256 == check.sha256,
                )
            )
            if row is None:
                row = BulkUploadRow(
                    organisation_id=plan.organisation_id, definition=plan.definition, file_sha256=check.sha256,
                    filename=filename[:500], actor=actor[:200], data=self._seal(data, check.sha256), status="queued",
                    total_rows=check.rows, done_rows=0, attempts=0, report={}, created_at=now,
                )  # fmt: skip
                session.add(row)
            elif row.status == "failed" and row.data is not None:
                row.status, row.error = "queued", None
            else:
                return row.id
            session.flush()
            upload_id = row.id
        self.defer(upload_id)
        return upload_id

    def defer(self, upload_id: int) -> int | None:
        """Queue the job of an upload (nothing when one already waits for it)."""
        return self.jobs.defer(TASK, {"upload_id": upload_id}, idempotency_key=f"bulk-upload-{upload_id}")

    def get(self, organisation: str, upload_id: int) -> UploadView:
        """An upload of ``organisation``; NotFoundError for any other."""
        with self.database.transaction(read_only=True) as session:
            org_id = AwardQueryRepository(session).organisation_id(organisation)
            # never the file itself (up to the upload limit): the page and its progress poll show counts and rows
            row = session.get(BulkUploadRow, upload_id, options=[not_loaded(BulkUploadRow.data)])
            if row is None or org_id is None or row.organisation_id != org_id:
                raise NotFoundError("no such bulk award")
            return UploadView(
                row.id, organisation, row.definition, row.filename, row.status, row.total_rows, row.done_rows,
                row.error or "", dict(row.report),
            )  # fmt: skip

    # -- the job -------------------------------------------------------------------------------------

    def _update(self, upload_id: int, **values: Any) -> None:
        with self.database.transaction() as session:
            row = session.get(BulkUploadRow, upload_id)
            if row is not None:
                for name, value in values.items():
                    setattr(row, name, value)

    def run(self, upload_id: int) -> None:
        """The job: award the upload's file (resuming where an earlier try stopped) and record the report."""
        with self.database.transaction() as session:
            row = session.get(BulkUploadRow, upload_id)
            if row is None or row.status == "done" or row.data is None:
                return
            org = session.get(OrganisationRow, row.organisation_id)
            if org is None:
                return
            row.status, row.attempts = "running", row.attempts + 1
            data = self._open(row.data, row.file_sha256)
            organisation, definition, filename, actor = org.slug, row.definition, row.filename, row.actor
            earlier = set(row.report.get("created_ids", []))  # awards made by an earlier, failed try of this job
            submitted = row.created_at
        recorder = _Recorder(self.bulk.issuing)
        runner = BulkAwardService(
            recorder, max_upload_bytes=self.bulk.max_upload_bytes, max_rows=self.bulk.max_rows,
            batch_size=self.bulk.batch_size, workers=self.bulk.workers,
        )  # fmt: skip

        def progress(done: int, total: int) -> None:
            self._update(upload_id, done_rows=done, total_rows=total)

        try:
            report = runner.run(
                data, definition=definition, actor=actor, filename=filename, organisation=organisation,
                progress=progress,
            )  # fmt: skip
        except Exception as exc:
            created_ids = sorted(earlier | recorder.created)
            self._update(
                upload_id, status="queued", error=f"{type(exc).__name__}: {exc}"[:1000],
                report={"created_ids": created_ids},
            )  # fmt: skip
            raise  # the queue tries again; the service resumes after the last committed batch
        if not report.ok:
            self._update(upload_id, status="failed", error="the file has problems", finished_at=self.clock())
            return
        check = runner.check(data, filename=filename)
        rows = list(read_rows(data, kind=check.kind))
        keys = [recorder.recipient_key(r.recipient, r.external_id) for r in rows]
        found = self.queries.by_recipient_keys(
            organisation, definition=report.definition, version=report.version or 0, recipient_keys=keys
        )
        created = earlier | recorder.created
        if report.job_id is not None:  # and by a try that died before it could note them (killed, database gone)
            with self.database.transaction(read_only=True) as session:
                created |= AwardQueryRepository(session).made_by_bulk_job(report.job_id, since=submitted)
        each = []
        for bulk_row, key in zip(rows, keys, strict=True):
            award = found.get(key, "")
            status = "failed" if not award else "created" if award in created else "already awarded"
            each.append([bulk_row.row, status, award])
        failed = sum(1 for r in each if r[1] == "failed")
        summary = {"created": sum(1 for r in each if r[1] == "created"), "failed": failed, "rows": each,
                   "existing": sum(1 for r in each if r[1] == "already awarded"), "resumed_from": report.resumed_from,
                   "version": report.version}  # fmt: skip
        self._update(
            upload_id, status="done", done_rows=report.rows, total_rows=report.rows, report=summary, data=None,
            error=None, finished_at=self.clock(),
        )  # fmt: skip
