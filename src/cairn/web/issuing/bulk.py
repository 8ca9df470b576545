"""Bulk awards from the browser: read the upload, check it, award it, and report on every row.

The routes are in :mod:`cairn.web.issuing.awards`; this module holds what they do with an upload.

- :func:`upload_form` parses the multipart form once (the CSRF check then reads the same form) and closes it
  when the request ends, whatever the answer, which deletes any temporary file the parser spooled to disk;
  :func:`read_upload` keeps the file's bytes in memory.
- :func:`run_bulk` hands the bytes to :meth:`BulkAwardService.run <cairn.services.issuing.bulk.BulkAwardService.run>`
  (checked again, resumable, idempotent) through an issuing service that remembers the claim token of
  each award it writes, then finds every row's award again by its recipient key, so each row is reported
  as created (with its claim link), already awarded or failed.
- :func:`report_csv` writes that report as CSV, with cells that could be read as spreadsheet formulas
  made inert (:mod:`cairn.formats.csv_export`, as every CSV the app writes).
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import Depends, Request
from starlette.datastructures import FormData, UploadFile

from cairn.errors import StorageError
from cairn.formats.csv_export import csv_text
from cairn.services.issuing.bulk import BulkAwardService, BulkReport
from cairn.services.issuing.bulk_files import COLUMNS, BulkRow, FileCheck, read_rows
from cairn.services.issuing.queries import AwardQueryService
from cairn.services.issuing.service import AwardPlan, IssuingService, Prepared, WriteOutcome

__all__ = [
    "CREATED",
    "EXISTING",
    "FAILED",
    "REPORT_COLUMNS",
    "BulkOutcome",
    "ClaimRecorder",
    "RowResult",
    "Upload",
    "data_url",
    "read_upload",
    "report_csv",
    "run_bulk",
    "template_csv",
    "upload_form",
]

CREATED: Final = "created"
EXISTING: Final = "already awarded"
FAILED: Final = "failed"
REPORT_COLUMNS: Final = ("row", "status", "award_id", "email", "did", "name", "external_id", "claim_url")


@dataclass(frozen=True, slots=True)
class Upload:
    """What the bulk form posted: the button pressed, the definition chosen, and the file (None if none)."""

    action: str
    definition: str
    filename: str
    data: bytes | None


async def upload_form(request: Request) -> AsyncIterator[FormData]:
    """The posted multipart form, closed when the request ends (deleting any temporary file), answered or not."""
    form = await request.form()
    try:
        yield form
    finally:
        await form.close()


async def read_upload(form: Annotated[FormData, Depends(upload_form)]) -> Upload:
    """The bulk form's fields and the file's bytes, read into memory."""
    action = form.get("action")
    definition = form.get("definition")
    upload = form.get("file")
    data: bytes | None = None
    filename = ""
    if isinstance(upload, UploadFile):
        filename = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1][:200]
        data = await upload.read()
        await upload.close()
        if not filename and not data:
            data = None  # the browser sends an empty part when no file was chosen
    return Upload(
        action=action if isinstance(action, str) else "",
        definition=definition.strip() if isinstance(definition, str) else "",
        filename=filename or "upload",
        data=data,
    )


class ClaimRecorder(IssuingService):
    """The instance's issuing service, remembering the claim token of each award it writes.

    The claim token is stored only as a hash, so the report must learn it while the award is written.
    It shares the instance's keys, status lists and clock; only :meth:`write` is extended.
    """

    def __init__(self, inner: IssuingService) -> None:
        super().__init__(
            inner.database,
            keys=inner.keys,
            status_lists=inner.status_lists,
            clock=inner.clock,
            skill_labels=inner.skill_labels,
        )
        self.claims: dict[str, str] = {}
        """Award id -> claim token, for the awards written through this service."""

    def write(
        self,
        session: Any,
        plan: AwardPlan,
        items: Sequence[Prepared],
        *,
        actor: str,
        now: datetime,
        job_id: int | None = None,
    ) -> WriteOutcome:
        """Write as the issuing service does, and remember each created award's claim token."""
        outcome = super().write(session, plan, items, actor=actor, now=now, job_id=job_id)
        for item in outcome.created:
            self.claims[item.spec.award_id] = item.claim_token
        return outcome


@dataclass(frozen=True, slots=True)
class RowResult:
    """What became of one row of the file."""

    row: int
    status: str
    award_id: str
    email: str
    did: str
    name: str
    external_id: str
    claim_url: str

    @property
    def recipient(self) -> str:
        """The learner as the file names them: email, else DID."""
        return self.email or self.did


@dataclass
class BulkOutcome:
    """A bulk award as the page reports it: the service's report, each row, and an error if it stopped."""

    report: BulkReport | None
    rows: list[RowResult] = field(default_factory=list)
    error: str = ""

    def count(self, status: str) -> int:
        """How many rows ended with ``status``."""
        return sum(1 for r in self.rows if r.status == status)

    @property
    def created(self) -> int:
        """Rows awarded by this upload."""
        return self.count(CREATED)

    @property
    def existing(self) -> int:
        """Rows whose learner already had this award (sent before, or by an interrupted upload)."""
        return self.count(EXISTING)

    @property
    def failed(self) -> int:
        """Rows without an award."""
        return self.count(FAILED)


def run_bulk(
    bulk: BulkAwardService,
    queries: AwardQueryService,
    upload: Upload,
    check: FileCheck,
    *,
    organisation: str,
    actor: str,
) -> BulkOutcome:
    """Award every row of a checked file and report each row (NotFoundError: not this organisation's)."""
    assert upload.data is not None
    recorder = ClaimRecorder(bulk.issuing)
    runner = BulkAwardService(
        recorder,
        max_upload_bytes=bulk.max_upload_bytes,
        max_rows=bulk.max_rows,
        batch_size=bulk.batch_size,
        workers=bulk.workers,
    )
    outcome = BulkOutcome(report=None)
    try:
        outcome.report = runner.run(
            upload.data, definition=upload.definition, actor=actor, filename=upload.filename, organisation=organisation
        )
    except StorageError as exc:
        outcome.error = exc.message
    report = outcome.report
    if report is not None and not report.ok:
        return outcome
    plan = recorder.plan(upload.definition, report.version if report else None, organisation=organisation)
    rows: list[BulkRow] = list(read_rows(upload.data, kind=check.kind))
    keys = [recorder.recipient_key(r.recipient, r.external_id) for r in rows]
    found = queries.by_recipient_keys(
        organisation, definition=plan.definition, version=plan.version, recipient_keys=keys
    )
    for row, key in zip(rows, keys, strict=True):
        award_id = found.get(key, "")
        token = recorder.claims.get(award_id) if award_id else None
        status = FAILED if not award_id else CREATED if token else EXISTING
        outcome.rows.append(
            RowResult(
                row=row.row,
                status=status,
                award_id=award_id,
                email=row.recipient.email or "",
                did=row.recipient.did or "",
                name=row.recipient.name or "",
                external_id=row.external_id or "",
                claim_url=recorder.claim_url(token) if token else "",
            )
        )
    return outcome


def report_csv(rows: Sequence[RowResult]) -> str:
    """The row-by-row report as CSV text (header first; safe to open in a spreadsheet)."""
    cells = ((str(r.row), r.status, r.award_id, r.email, r.did, r.name, r.external_id, r.claim_url) for r in rows)
    return csv_text(REPORT_COLUMNS, cells)


def data_url(text: str, media_type: str = "text/csv") -> str:
    """A ``data:`` URL holding ``text``, for a download link that needs nothing stored on the server."""
    encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"data:{media_type};charset=utf-8;base64,{encoded}"


def template_csv() -> str:
    """An example file with every column the bulk award reads."""
    ada = [
        "ada@example.org",
        "",
        "Ada Lovelace",
        "S-1001",
        "A",
        "https://portfolio.example.org/ada/forecast",
        "A notebook that forecasts next quarter's sales.",
        "Led the team's data cleaning.",
    ]
    return csv_text(COLUMNS, [ada, ["", "did:example:grace", "Grace Hopper", "S-1002", "B", "", "", ""]])
