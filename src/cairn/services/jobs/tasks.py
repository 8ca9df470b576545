"""The tasks Cairn runs on its queue, registered once by bootstrap.

- ``bulk.award``: a bulk award posted from the web (:meth:`BulkUploads.run
  <cairn.services.issuing.bulk_uploads.BulkUploads.run>`), retried by the queue; the service resumes.
- ``mail.send``: send every email due in the outbox. Deferred when a transaction that queued an email commits
  (with one idempotency key, so a burst of emails makes one waiting job); every minute as well, for emails that
  failed and are due again. The outbox stays the source of truth: each email is locked while sent and marked
  sent, so no job sends one twice.
- ``status.sign``: sign and store the status-list forms a revocation, suspension or reinstatement made stale
  (:meth:`StatusListService.sign_changed <cairn.services.issuing.status_lists.StatusListService.sign_changed>`).
  Deferred after the change commits, with one idempotency key per list, so a burst of changes makes one waiting
  job. A reader that comes first signs inline anyway: the job only spares readers the signing.
- ``status.resign`` (every ten minutes): tokens past half their lifetime and forms whose signing key was rotated.
- ``accounts.purge`` (hourly, the first an hour after the worker starts): expired sessions and links, old sent
  emails.
- ``analytics.refresh`` (``CAIRN_ANALYTICS_REFRESH``, nightly by default; also deferred by ``cairn analytics
  refresh --queue``): a new analytics snapshot, one at a time (its idempotency key).
- ``wallet.refresh``: verify again the wallet credentials whose last check is older than the re-check age
  (:class:`~cairn.services.wallet.refresh.WalletRefresher`), in batches, each in short transactions of its own,
  and tell learners of status changes. Deferred when a transaction that made an award's wallet copies due (its
  status changed here) commits, with one idempotency key, so a burst makes one job; periodic (``wallet.due``)
  every ``CAIRN_WALLET_REFRESH_MINUTES``. With that set to 0 neither runs, and listing a wallet re-checks its
  due copies of this instance's awards instead.
- ``registry.sync`` (every minute; a peer is fetched when ``CAIRN_REGISTRY_SYNC_MINUTES`` have passed since any
  process last checked it): the trust lists of federated registries, the first at once.

The periodic ones are registered by :func:`schedule`, with the settings of the process that runs the worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.orm import Session

from cairn.services.accounts.purge import purge
from cairn.services.analytics.service import REFRESH_TASK as ANALYTICS_TASK
from cairn.services.analytics.service import AnalyticsService
from cairn.services.issuing.bulk_uploads import TASK as BULK_TASK
from cairn.services.issuing.bulk_uploads import BulkUploads
from cairn.services.issuing.status_lists import StatusListService
from cairn.services.jobs.queue import JobQueue
from cairn.services.mail import Mailer
from cairn.services.trust.federation import FederationService
from cairn.services.wallet.refresh import REFRESH_TASK, WalletRefresher
from cairn.store.database import Database
from cairn.store.issuing.claims import WALLET_COPIES_DUE
from cairn.store.tables import OutboxRow

__all__ = [
    "MAIL_TASK",
    "REFRESH_TASK",
    "STATUS_TASK",
    "refresh_cron",
    "register_status_tasks",
    "register_tasks",
    "schedule",
]

log = logging.getLogger("cairn.jobs")

MAIL_TASK: Final = "mail.send"
_MAIL_QUEUED: Final = "cairn.mail_queued"
STATUS_TASK: Final = "status.sign"


def _defer_mail_on_commit(database: Database, jobs: JobQueue) -> None:
    """Defer ``mail.send`` after each commit of a transaction that added an outbox email."""

    def after_flush(session: Session, _context: Any) -> None:
        if any(isinstance(obj, OutboxRow) for obj in session.new):
            session.info[_MAIL_QUEUED] = True

    def after_commit(session: Session) -> None:
        if session.info.pop(_MAIL_QUEUED, False):
            try:
                jobs.defer(MAIL_TASK, idempotency_key=MAIL_TASK)
            except Exception:  # the minute's job sends it anyway
                log.exception("could not queue the mail job")

    def after_rollback(session: Session) -> None:
        session.info.pop(_MAIL_QUEUED, None)

    event.listen(database.sessions, "after_flush", after_flush)
    event.listen(database.sessions, "after_commit", after_commit)
    event.listen(database.sessions, "after_soft_rollback", lambda s, _t: after_rollback(s))


def _defer_refresh_on_commit(database: Database, jobs: JobQueue) -> None:
    """Defer ``wallet.refresh`` after each commit of a transaction that made wallet copies due (an award's status
    changed). The flag is read, not taken, on commit (every instance built over the database defers to its own
    queue; on PostgreSQL they share one, where the idempotency key makes one job) and dropped when the session
    begins again or rolls back."""

    def after_commit(session: Session) -> None:
        if session.info.get(WALLET_COPIES_DUE):
            try:
                jobs.defer(REFRESH_TASK, idempotency_key=REFRESH_TASK)
            except Exception:  # the periodic run re-checks them anyway
                log.exception("could not queue the wallet refresh job")

    def forget(session: Session) -> None:
        session.info.pop(WALLET_COPIES_DUE, None)

    event.listen(database.sessions, "after_commit", after_commit)
    event.listen(database.sessions, "after_begin", lambda s, _t, _c: forget(s))
    event.listen(database.sessions, "after_soft_rollback", lambda s, _t: forget(s))


def register_status_tasks(jobs: JobQueue, status_lists: StatusListService) -> None:
    """Register ``status.sign`` and defer it for a list after a change to it commits (one waiting job a list)."""

    def sign(list_id: int) -> None:
        log.debug("signed %s status list forms", status_lists.sign_changed(list_id))

    jobs.task(STATUS_TASK, sign, retries=0)  # a failed job is not retried: the next reader signs inline

    def changed(list_id: int) -> None:
        jobs.defer(STATUS_TASK, {"list_id": list_id}, idempotency_key=f"{STATUS_TASK}:{list_id}")

    status_lists.on_change = changed


def register_tasks(
    jobs: JobQueue,
    *,
    database: Database,
    mailer: Mailer,
    uploads: BulkUploads,
    refresher: WalletRefresher | None = None,
    wallet_refresh_minutes: int = 0,
    analytics: AnalyticsService | None = None,
    status_lists: StatusListService | None = None,
) -> None:
    """Register the tasks that are deferred (bootstrap, once per instance)."""
    jobs.task(BULK_TASK, uploads.run)
    if analytics is not None:
        jobs.task(ANALYTICS_TASK, lambda: log.info("analytics refreshed: %s", analytics.refresh().rows), retries=2)
    if status_lists is not None:
        register_status_tasks(jobs, status_lists)

    def send_mail() -> None:
        mailer.send_pending(limit=1000)

    jobs.task(MAIL_TASK, send_mail, retries=0)
    if mailer.enabled:
        _defer_mail_on_commit(database, jobs)
    if refresher is not None:

        def refresh() -> None:
            refresher.run()

        jobs.task(REFRESH_TASK, refresh, retries=0)  # no retries: the idempotency key is a queueing lock too
        if wallet_refresh_minutes > 0:
            _defer_refresh_on_commit(database, jobs)


def refresh_cron(minutes: int) -> str:
    """The cron schedule of a run every ``minutes`` (1 to 60)."""
    return "0 * * * *" if minutes >= 60 else f"*/{minutes} * * * *"


def schedule(
    jobs: JobQueue,
    *,
    database: Database,
    clock: Callable[[], datetime],
    mailer: Mailer,
    federation: FederationService,
    registry_sync_minutes: int,
    refresher: WalletRefresher | None = None,
    wallet_refresh_minutes: int = 0,
    analytics: AnalyticsService | None = None,
    analytics_refresh: str = "none",
    status_lists: StatusListService | None = None,
) -> None:
    """Register the periodic tasks, as the settings of the process that runs the worker say (``cairn serve``,
    ``cairn worker``); a second call changes nothing."""
    if mailer.enabled:  # emails that failed and are due again, or were queued while no worker ran
        jobs.periodic("mail.due", lambda: mailer.send_pending(limit=1000), cron="* * * * *")
    jobs.periodic(
        "accounts.purge", lambda: log.debug("purged %s", purge(database, now=clock())), cron="17 * * * *",
        catch_up=False,
    )  # fmt: skip
    if analytics is not None and analytics_refresh.strip().lower() not in ("", "none"):
        jobs.periodic(
            "analytics.nightly", lambda: log.info("analytics refreshed: %s", analytics.refresh().rows),
            cron=analytics_refresh.strip(), catch_up=False,
        )  # fmt: skip
    if status_lists is not None:
        jobs.periodic("status.resign", status_lists.resign_due, cron="*/10 * * * *")  # tokens, rotated keys
    if registry_sync_minutes > 0:
        due = timedelta(minutes=registry_sync_minutes) - timedelta(seconds=30)

        def sync() -> None:
            federation.sync_all(actor="scheduler", skip_checked_within=due)

        jobs.periodic("registry.sync", sync, cron="* * * * *")
    if refresher is not None and wallet_refresh_minutes > 0:
        jobs.periodic("wallet.due", refresher.run, cron=refresh_cron(wallet_refresh_minutes))
