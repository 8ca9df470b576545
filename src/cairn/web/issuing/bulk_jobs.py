"""The page of a bulk award running as a job: live progress, then the report.

- ``GET /orgs/{slug}/awards/bulk/jobs/{id}`` — the job: while it runs, a ``<progress>`` bar with the count in
  words (``aria-live="polite"``) and a "Refresh" link (the page itself is the no-script fallback; with scripts,
  ``static/bulk-job.js`` polls the progress JSON every 1.5 s and reloads the page once the job ends); when done,
  the counts and the row-by-row report as today's bulk page shows them, less the one-time claim links (they
  went to the learners by email: Cairn keeps them only hashed).
- ``GET /orgs/{slug}/awards/bulk/jobs/{id}/progress`` — ``{"status", "done_rows", "total_rows", "percent", ...}``.
- ``GET /orgs/{slug}/awards/bulk/jobs/{id}/report.csv`` — every row: row, status, award id.

Issuers (and owners) of the organisation only, as the bulk page; another organisation's job answers 404.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from cairn.formats.csv_export import csv_text
from cairn.services.issuing.bulk_uploads import UploadView
from cairn.web.deps import container
from cairn.web.issuing.awards import SHOWN_ROWS, IssuerDep, SignedInDep
from cairn.web.render import render

__all__ = ["job_url", "router"]

router = APIRouter(include_in_schema=False)

POLL_MS: Final = 1500


def job_url(slug: str, upload_id: int) -> str:
    """The page of a bulk award job."""
    return f"/orgs/{quote(slug)}/awards/bulk/jobs/{upload_id}"


def _view(request: Request, slug: str, upload_id: int) -> UploadView:
    return container(request).bulk_uploads.get(slug, upload_id)


@router.get("/orgs/{slug}/awards/bulk/jobs/{upload_id}", response_class=HTMLResponse)
def job_page(request: Request, upload_id: int, access: IssuerDep, signed_in: SignedInDep) -> Response:
    """The job's progress while it runs; its report when done."""
    job = _view(request, access.organisation, upload_id)
    rows = job.report.get("rows", [])
    context = {
        "access": access,
        "base": f"/orgs/{quote(access.organisation)}/awards",
        "job": job,
        "job_url": job_url(access.organisation, upload_id),
        "rows": rows[:SHOWN_ROWS],
        "row_count": len(rows),
        "poll_ms": POLL_MS,
    }
    return render(request, "awards/bulk_job.html", context, signed_in=signed_in)


@router.get("/orgs/{slug}/awards/bulk/jobs/{upload_id}/progress")
def job_progress(request: Request, upload_id: int, access: IssuerDep) -> Response:
    """How far the job is, as JSON (polled by the page)."""
    return JSONResponse(_view(request, access.organisation, upload_id).to_dict())


@router.get("/orgs/{slug}/awards/bulk/jobs/{upload_id}/report.csv")
def job_report(request: Request, upload_id: int, access: IssuerDep) -> Response:
    """Every row of a finished job: its number, status and award id."""
    job = _view(request, access.organisation, upload_id)
    text = csv_text(("row", "status", "award_id"), ([str(r[0]), r[1], r[2]] for r in job.report.get("rows", [])))
    stem = job.filename.rsplit(".", 1)[0][:60] or "upload"
    headers = {"Content-Disposition": f'attachment; filename="{quote(stem)}-award-report.csv"'}
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)
