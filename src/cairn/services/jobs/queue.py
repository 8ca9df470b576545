"""The job queue: one small wrapper around `procrastinate <https://procrastinate.readthedocs.io>`_.

Services name a task and its arguments; they never see the library. On PostgreSQL jobs are rows of
procrastinate's own tables, kept in a schema of their own (``procrastinate``, made by migration 0025),
so they survive restarts and any number of ``cairn worker`` processes share them. On SQLite the queue is
procrastinate's in-memory connector and the worker is a thread of the ``cairn serve`` process: nothing
else to run, and what the jobs do is kept in Cairn's own tables (a bulk award resumes from its
``bulk_jobs`` row; unsent emails wait in the outbox), so a restart loses no work, only the reminder.

- :meth:`JobQueue.task` registers a function (keyword arguments that JSON can carry), with retries;
  :meth:`JobQueue.periodic` registers one to run on a cron schedule.
- :meth:`JobQueue.defer` queues a job. ``idempotency_key`` is the job's lock: while one job with the key runs,
  another with the key waits for it. For a task without retries it is also the queueing lock: while a job with
  the key waits, deferring it again does nothing. (A task with retries gets the lock only: procrastinate cannot
  put a failed job back in the queue while another with its queueing lock waits there. Its jobs must be
  idempotent themselves, as the bulk award is: a second job finds the upload done, or resumes it.)
- :meth:`JobQueue.run_worker` runs jobs until ``stop`` is set (``cairn worker``, the in-process thread);
  :meth:`JobQueue.run_pending` runs every job due now and returns (tests, ``cairn worker --once``);
  :meth:`JobQueue.wait` waits, on a condition, until something a job does is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

import procrastinate
from procrastinate import exceptions as pq_exceptions
from procrastinate.testing import InMemoryConnector
from sqlalchemy.engine import make_url

__all__ = ["DEFAULT_RETRIES", "PG_SCHEMA", "JobQueue", "libpq_url"]

log = logging.getLogger("cairn.jobs")

PG_SCHEMA: Final = "procrastinate"
"""The PostgreSQL schema that holds the queue's tables and functions (migration 0025)."""
DEFAULT_RETRIES: Final = 5
DEFAULT_STALLED_SECONDS: Final = 30
STALLED: Final = "jobs.retry_stalled"
PRUNE: Final = "jobs.prune"
KEEP_FINISHED_HOURS: Final = 48
"""How long the queue keeps a job that succeeded (or was cancelled) before ``jobs.prune`` deletes its row; failed
jobs stay until an operator looks (``cairn worker`` logs them too)."""


def libpq_url(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as libpq reads it (without ``+psycopg``), password included."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _retry_stalled(stalled_seconds: int) -> Callable[[procrastinate.App], None]:
    """Queue again the jobs of workers that sent no heartbeat for ``stalled_seconds`` (killed, host lost): the
    library finds them but leaves retrying them to the application. Checked every third of that time (at most
    every minute): a stopped worker's job runs again within about 1.3 times ``stalled_seconds``."""
    every = max(1, min(60, stalled_seconds // 3))
    cron = "* * * * *" if every == 60 else f"* * * * * */{every}"

    def register(app: procrastinate.App) -> None:
        @app.periodic(cron=cron, periodic_id=STALLED)
        @app.task(name=STALLED, retry=False, queueing_lock=STALLED, lock=STALLED, pass_context=True)
        async def retry_stalled(context: procrastinate.JobContext, timestamp: int) -> None:
            stalled = await context.app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_seconds)
            for job in stalled:
                log.warning("job %s (%s) was left by a stopped worker: queued again", job.id, job.task_name)
                await context.app.job_manager.retry_job(job)

    return register


def _prune(app: procrastinate.App) -> None:
    """Hourly, delete the rows of jobs that succeeded more than :data:`KEEP_FINISHED_HOURS` ago: the periodic checks
    alone add thousands a day, which the queue's table would otherwise keep for ever."""

    @app.periodic(cron="41 * * * *", periodic_id=PRUNE)
    @app.task(name=PRUNE, retry=False, queueing_lock=PRUNE, lock=PRUNE, pass_context=True)
    async def prune(context: procrastinate.JobContext, timestamp: int) -> None:
        await context.app.job_manager.delete_old_jobs(nb_hours=KEEP_FINISHED_HOURS, include_cancelled=True)


class JobQueue:
    """Cairn's queue: register tasks, defer jobs, run workers (see the module's notes)."""

    def __init__(
        self, connector: Any, *, persistent: bool, retry_wait: int = 5, stalled_seconds: int = DEFAULT_STALLED_SECONDS
    ) -> None:
        self.persistent = persistent
        """True on PostgreSQL: jobs outlive the process and ``cairn worker`` runs them."""
        self.retry_wait = retry_wait
        self.stalled_seconds = max(3, stalled_seconds)
        """A worker silent this long (no heartbeat) is taken for stopped, and its jobs are queued again."""
        self._connector_factory: Callable[[], Any] | None = None
        self.app = procrastinate.App(connector=connector)
        self._opened = False
        self._lock = threading.Lock()
        self._ran = threading.Condition()
        self._started = 0.0
        self._retried: dict[str, bool] = {}
        self._registrations: list[Callable[[procrastinate.App], None]] = []

    @classmethod
    def for_database(
        cls, url: str, dialect: str, *, retry_wait: int = 5, stalled_seconds: int = DEFAULT_STALLED_SECONDS
    ) -> JobQueue:
        """The queue of a Cairn database: PostgreSQL tables on PostgreSQL, in memory on SQLite."""
        if dialect != "postgresql":
            return cls(InMemoryConnector(), persistent=False, retry_wait=retry_wait)

        def connector() -> Any:
            return procrastinate.PsycopgConnector(
                conninfo=libpq_url(url), kwargs={"options": f"-c search_path={PG_SCHEMA}"}, min_size=1, max_size=4
            )

        queue = cls(connector(), persistent=True, retry_wait=retry_wait, stalled_seconds=stalled_seconds)
        queue._connector_factory = connector
        queue._register(_retry_stalled(queue.stalled_seconds))
        queue._register(_prune)
        return queue

    # -- registration -------------------------------------------------------------------------------

    def _register(self, registration: Callable[[procrastinate.App], None]) -> None:
        self._registrations.append(registration)
        registration(self.app)

    def task(self, name: str, function: Callable[..., None], *, retries: int = DEFAULT_RETRIES) -> None:
        """Register ``function`` as task ``name``; a job that raises is tried again up to ``retries`` times."""
        strategy = procrastinate.RetryStrategy(max_attempts=retries, wait=self.retry_wait) if retries else False
        self._retried[name] = bool(retries)

        def run(**kwargs: Any) -> None:
            try:
                function(**kwargs)
            finally:
                with self._ran:
                    self._ran.notify_all()

        def register(app: procrastinate.App) -> None:
            app.task(name=name, retry=strategy, pass_context=False)(run)

        self._register(register)

    def periodic(self, name: str, function: Callable[[], object], *, cron: str, catch_up: bool = True) -> None:
        """Register ``function`` to run on the ``cron`` schedule (one job per tick across every worker); a name
        registered already is left as it is. ``catch_up=False``: a tick from before the worker started is skipped
        (else the latest missed tick of the last ten minutes runs at start)."""
        if name in self.app.tasks:
            return

        def run(timestamp: int) -> None:
            if catch_up or timestamp >= self._started:
                function()

        def register(app: procrastinate.App) -> None:
            task = app.task(name=name, retry=False, queueing_lock=name, lock=name)(run)
            app.periodic(cron=cron, periodic_id=name)(task)

        self._register(register)

    # -- deferring ----------------------------------------------------------------------------------

    def _open(self) -> None:
        with self._lock:
            if not self._opened:
                self.app.open()
                self._opened = True

    def defer(self, name: str, args: dict[str, Any] | None = None, *, idempotency_key: str | None = None) -> int | None:
        """Queue task ``name`` with ``args``; the job's id, or None when a job with ``idempotency_key`` already
        waits (tasks without retries; nothing was queued: that one will do the work). Called where an event loop
        runs (an ``async`` route, a test driving a browser), it defers from a helper thread: the library's sync API
        refuses that loop."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return self._defer(name, args, idempotency_key)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cairn-defer") as pool:
            return pool.submit(self._defer, name, args, idempotency_key).result()

    def _defer(self, name: str, args: dict[str, Any] | None, idempotency_key: str | None) -> int | None:
        self._open()
        options: dict[str, Any] = {}
        if idempotency_key:
            options["lock"] = idempotency_key
            if not self._retried.get(name, False):  # the library cannot retry a job while one with its queueing
                options["queueing_lock"] = idempotency_key  # lock waits: tasks with retries only get the lock
        try:
            return int(self.app.configure_task(name, **options).defer(**(args or {})))
        except pq_exceptions.AlreadyEnqueued:
            return None

    def status(self, job_id: int) -> str:
        """A job's status: todo, doing, succeeded, failed, cancelled, aborting, aborted."""
        self._open()
        return str(self.app.job_manager.get_job_status(job_id).value)

    def close(self) -> None:
        """Let go of the connections :meth:`defer` opened."""
        with self._lock:
            if self._opened:
                self.app.close()
                self._opened = False

    # -- running ------------------------------------------------------------------------------------

    def _worker_app(self) -> procrastinate.App:
        """The app a worker runs: on PostgreSQL a second app with a connector of its own (its pool belongs to the
        worker's event loop, and the tasks it defers go through it) and every task registered again; in memory
        this app, whose connector holds the jobs."""
        if self._connector_factory is None:
            return self.app
        app = procrastinate.App(connector=self._connector_factory())
        for registration in self._registrations:
            registration(app)
        return app

    def run_worker(self, stop: threading.Event, *, concurrency: int = 1, poll: float = 5.0) -> None:
        """Run jobs as they come until ``stop`` is set (blocks: a thread's target, or ``cairn worker``).

        The library's worker stops itself when one of its side tasks fails (heartbeat, periodic deferrer), as
        every query does while PostgreSQL restarts: it is started again, after a pause that grows from 1 s to
        30 s while the database stays away, so one restart of the server stops neither ``cairn worker`` nor the
        worker thread of ``cairn serve``. The job it was running is queued again (its try failed, or its worker
        went silent: ``stalled_seconds``) and resumes."""
        app = self._worker_app()
        self._started = time.time()

        async def run_once() -> None:
            async with app.open_async():
                worker = asyncio.create_task(
                    app.run_worker_async(
                        concurrency=concurrency,
                        install_signal_handlers=False,
                        fetch_job_polling_interval=poll,
                        name="cairn-worker",
                        update_heartbeat_interval=self.stalled_seconds / 3,
                        stalled_worker_timeout=self.stalled_seconds,
                    )
                )
                while not stop.is_set() and not worker.done():
                    await asyncio.sleep(0.2)
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker

        async def main() -> None:
            pause = 1.0
            while not stop.is_set():
                started = time.monotonic()
                try:
                    await run_once()
                except Exception as exc:  # the database away: the pool cannot open, or the worker failed
                    reason = f"{type(exc).__name__}: {exc}".strip()
                else:
                    reason = "it stopped itself (a failed query: the database away?)"
                if stop.is_set():
                    break
                pause = 1.0 if time.monotonic() - started > 60 else min(30.0, pause * 2)
                log.warning("the job worker stopped (%s); starting it again in %.0f s", reason[:300], pause)
                deadline = time.monotonic() + pause
                while not stop.is_set() and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)

        asyncio.run(main())

    def run_pending(self) -> None:
        """Run every job due now, then return (tests; ``cairn worker --once``). Called where an event loop runs (a
        test driving a browser), it runs them from a helper thread, as :meth:`defer` does."""
        app = self._worker_app()

        async def main() -> None:
            async with app.open_async():
                await app.run_worker_async(wait=False, install_signal_handlers=False, listen_notify=False)

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(main())
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cairn-jobs-once") as pool:
            pool.submit(asyncio.run, main()).result()

    def wait(self, done: Callable[[], bool], *, timeout: float) -> bool:
        """Wait until ``done()`` is true, checking it again whenever a job of a task (not a periodic one) ends;
        whether it came true within ``timeout`` seconds (tests, scripts)."""
        with self._ran:
            return self._ran.wait_for(done, timeout)

    def start_thread(self, stop: threading.Event, *, poll: float = 5.0) -> threading.Thread:
        """A daemon thread running :meth:`run_worker` until ``stop`` (the in-process worker of ``cairn serve``)."""
        thread = threading.Thread(target=self.run_worker, args=(stop,), kwargs={"poll": poll}, name="cairn-jobs")
        thread.daemon = True
        thread.start()
        return thread
