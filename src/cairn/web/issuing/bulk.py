"""Bulk awards from the browser: read the upload, check it, award it, and report on every row.

The routes are in :mod:`cairn.web.issuing.awards`; this module holds what they do with an upload.

- :func:`upload_form` parses the multipart form once (the CSRF check then reads the same form) and closes it
  when the request ends, whatever the answer, which deletes any temporary file the parser spooled to disk;
  :func:`read_upload` keeps the file's bytes in memory.
- A checked file is awarded by a job (:mod:`cairn.services.issuing.bulk_uploads`, :mod:`cairn.web.issuing.bulk_jobs`).
- :func:`report_csv` writes a row-by-row report as CSV, with cells that could be read as spreadsheet formulas
  made inert (:mod:`cairn.formats.csv_export`, as every CSV the app writes).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import Depends, Request
from starlette.datastructures import FormData, UploadFile

from cairn.formats.csv_export import csv_text
from cairn.services.issuing.bulk_files import COLUMNS

__all__ = [
    "CREATED",
    "EXISTING",
    "FAILED",
    "REPORT_COLUMNS",
    "RowResult",
    "Upload",
    "read_upload",
    "report_csv",
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


def report_csv(rows: Sequence[RowResult]) -> str:
    """The row-by-row report as CSV text (header first; safe to open in a spreadsheet)."""
    cells = ((str(r.row), r.status, r.award_id, r.email, r.did, r.name, r.external_id, r.claim_url) for r in rows)
    return csv_text(REPORT_COLUMNS, cells)


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
