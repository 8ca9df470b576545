"""Batch verification: a zip of credentials or a CSV of URLs, a table of results, and the same as CSV or JSON.

- ``GET /verify/batch``: the form.
- ``POST /verify/batch``: the table (verdict, issuer, title, learner, reason per credential); a "Download as CSV"
  button posts the rows shown back to ``POST /verify/batch/csv``, which returns them as ``text/csv`` (each row with
  when it was checked), or 409 once they are older than the re-check age (verify the batch again). Nothing is kept
  on the server (the results name learners), so the download works whichever worker answers. That form carries the
  CSRF token (403 without it): another site cannot make a browser download a file of its choosing under this
  instance's name.
- ``POST /api/v1/verify/batch``: ``{"summary": ..., "rows": [...]}``, or CSV with ``?format=csv``.

Limits (see :mod:`cairn.services.verification.batch`): at most ``MAX_ITEMS`` credentials and ``MAX_BYTES`` bytes a
batch, and a time budget after which rows say "not checked".
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from cairn.errors import ConflictError, InputError
from cairn.services.verification.batch import COLUMNS, BatchResult, BatchVerifier, rows_to_csv
from cairn.web.deps import container, csrf_protect
from cairn.web.errors import answers_json, error_body
from cairn.web.i18n import LANGUAGES, reader_language, translate
from cairn.web.render import error_text, render
from cairn.web.verification.counted import verifier_of

__all__ = ["MAX_BYTES", "MAX_ITEMS", "api", "router"]

router = APIRouter()
api = APIRouter(dependencies=[Depends(answers_json)])
"""The JSON routes: errors in the API\'s shape."""

MAX_ITEMS = 500
MAX_BYTES = 20_000_000
_EMPTY = "Choose a zip file of credentials or a CSV file of web addresses."
_CSV_HEADERS = {"Content-Disposition": 'attachment; filename="verification.csv"', "Cache-Control": "no-store"}

FileField = Annotated[UploadFile | None, File()]
UrlsField = Annotated[str | None, Form(max_length=MAX_ITEMS * 2100)]
LangQuery = Annotated[str | None, Query(max_length=10)]


def _verifier(request: Request) -> BatchVerifier:
    return container(request).batch


async def _run(request: Request, file: UploadFile | None, urls: str | None) -> BatchResult | None:
    """Verify the uploaded file, else the pasted URLs (one a line); None when neither was given."""
    counts, who = container(request).verification_counts, verifier_of(request)
    verifier = _verifier(request).observed(lambda report: counts.add(report, channel="batch", who=who))
    if file is not None and file.filename:
        data = await file.read(MAX_BYTES + 1)
        if data:
            return await run_in_threadpool(verifier.verify_file, data)
    lines = [line.strip() for line in (urls or "").splitlines() if line.strip()]
    if lines:
        return await run_in_threadpool(verifier.verify_urls, lines)
    return None


def _page(request: Request, lang: str, status: int = 200, **context: Any) -> HTMLResponse:
    minutes = int(_verifier(request).max_age.total_seconds() // 60)
    full = {
        "lang": lang,
        "path": "/verify/batch",
        "max_items": MAX_ITEMS,
        "max_bytes": MAX_BYTES,
        "recheck_minutes": minutes,
        **context,
    }
    return render(request, "verify/batch.html", full, status=status, languages=LANGUAGES)


@router.get("/verify/batch", response_class=HTMLResponse, include_in_schema=False)
def batch_form(request: Request, lang: LangQuery = None) -> HTMLResponse:
    """The empty form."""
    return _page(request, reader_language(request, lang))


@router.post("/verify/batch", response_class=HTMLResponse, include_in_schema=False)
async def batch_page(
    request: Request, file: FileField = None, urls: UrlsField = None, lang: LangQuery = None
) -> HTMLResponse:
    """The table of results; a refused batch (a zip bomb, too many rows) is a 400 page saying why."""
    reader = reader_language(request, lang)
    try:
        result = await _run(request, file, urls)
    except InputError as exc:
        return _page(request, reader, 400, message=exc.message)
    if result is None:
        return _page(request, reader, 400, message=translate(reader, _EMPTY))
    rows_json = json.dumps([r.to_dict() for r in result.rows], ensure_ascii=False)
    return _page(request, reader, result=result, summary=result.summary, rows_json=rows_json)


RowsField = Annotated[str, Form(max_length=5_000_000)]


@router.post("/verify/batch/csv", include_in_schema=False, dependencies=[Depends(csrf_protect)])
def batch_csv(request: Request, rows: RowsField, lang: LangQuery = None) -> Response:
    """The rows the page showed (posted back by its download button) as CSV; nothing is verified again, and rows
    checked longer ago than the re-check age are refused (409) rather than written down as current."""
    try:
        parsed = json.loads(rows)
    except ValueError:
        raise InputError("the rows to download are not valid JSON") from None
    if not isinstance(parsed, list) or len(parsed) > MAX_ITEMS or not all(isinstance(r, dict) for r in parsed):
        raise InputError(f"give at most {MAX_ITEMS} rows, each an object with {', '.join(COLUMNS)}")
    try:
        body = _verifier(request).csv_of(parsed)
    except ConflictError as exc:  # too old to be written down as current: the form, to verify them again
        reader = reader_language(request, lang)
        return _page(request, reader, exc.status, message=error_text(reader, exc))
    return Response(body, media_type="text/csv; charset=utf-8", headers=_CSV_HEADERS)


@api.post("/api/v1/verify/batch", tags=["verification"], summary="Verify a batch of credentials")
async def batch_api(
    request: Request,
    file: FileField = None,
    urls: UrlsField = None,
    format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None,
) -> Response:
    """A zip of credentials or a CSV of https URLs (``file``), or URLs one a line (``urls``): one row each.

    At most 500 credentials or 20 MB; rows not reached within the time budget say ``Not checked``.
    """
    try:
        result = await _run(request, file, urls)
    except InputError as exc:
        return JSONResponse(error_body(400, exc.message), status_code=400)
    if result is None:
        return JSONResponse(error_body(400, _EMPTY), status_code=400)
    if format == "csv":
        return Response(rows_to_csv(result.rows), media_type="text/csv; charset=utf-8", headers=_CSV_HEADERS)
    return JSONResponse({"ok": True, **result.to_dict()})
