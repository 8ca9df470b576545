"""Forgetting what has served its purpose: expired or ended web sessions, expired one-time links, rate-limit hits
that no longer count, emails sent a while ago, and bulk-award uploads finished a while ago (their job page and
report; the awards stay). :func:`purge` runs from ``cairn purge`` (for cron) and every hour as a job."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.engine import CursorResult
from sqlalchemy.sql.dml import Delete

from cairn.store.database import Database
from cairn.store.job_tables import BulkUploadRow
from cairn.store.limit_tables import RateLimitHitRow
from cairn.store.tables import OutboxRow, SignInLinkRow, WebSessionRow

__all__ = ["FINISHED_UPLOAD_RETENTION", "SENT_EMAIL_RETENTION", "purge"]

log = logging.getLogger("cairn.maintenance")

SENT_EMAIL_RETENTION = timedelta(days=7)
"""How long a sent email is kept (its links already removed when it was sent), for ``cairn mail list --sent``."""
FINISHED_UPLOAD_RETENTION = timedelta(days=30)
"""How long a finished (done or failed) bulk-award upload is kept: its job page, its per-row report (megabytes for a
100,000-row file) and, for a failed one, its encrypted file, which re-posting the same file would resume."""


def purge(database: Database, *, now: datetime, sent_retention: timedelta = SENT_EMAIL_RETENTION) -> dict[str, int]:
    """Delete the sessions that have expired or ended, the one-time links and rate-limit hits that have expired, the
    emails sent more
    than ``sent_retention`` ago and the bulk uploads finished more than :data:`FINISHED_UPLOAD_RETENTION` ago; how
    many rows of each table went."""
    statements: dict[str, Delete] = {
        "web_sessions": delete(WebSessionRow).where(
            or_(WebSessionRow.expires_at <= now, WebSessionRow.revoked_at.is_not(None))
        ),
        "sign_in_links": delete(SignInLinkRow).where(SignInLinkRow.expires_at <= now),
        "rate_limit_hits": delete(RateLimitHitRow).where(RateLimitHitRow.expires_at <= now),
        "outbox": delete(OutboxRow).where(OutboxRow.sent_at.is_not(None), OutboxRow.sent_at <= now - sent_retention),
        "bulk_uploads": delete(BulkUploadRow).where(
            BulkUploadRow.finished_at.is_not(None), BulkUploadRow.finished_at <= now - FINISHED_UPLOAD_RETENTION
        ),
    }
    counts: dict[str, int] = {}
    with database.transaction() as session:
        for table, statement in statements.items():
            result = session.execute(statement.execution_options(synchronize_session=False))
            counts[table] = int(result.rowcount) if isinstance(result, CursorResult) else 0
    if any(counts.values()):
        log.info("purged %s", ", ".join(f"{n} {table}" for table, n in counts.items()))
    return counts
