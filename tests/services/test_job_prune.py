"""The queue deletes the rows of jobs that succeeded long ago (``jobs.prune``), and keeps recent and failed ones:
without it the periodic checks alone would add thousands of rows a day to ``procrastinate_jobs`` for ever."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from cairn.services.jobs.queue import KEEP_FINISHED_HOURS, PRUNE, JobQueue
from cairn.store.database import Database


def _jobs(database: Database) -> dict[str, str]:
    with database.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT task_name, status FROM procrastinate.procrastinate_jobs WHERE task_name LIKE 'test.%'")
        ).all()
    return {str(name): str(status) for name, status in rows}


def test_prune_deletes_old_succeeded_jobs_only(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("the queue keeps its jobs in memory on SQLite: nothing to prune there")
    jobs = JobQueue.for_database(database.url, database.dialect, retry_wait=0)
    try:
        jobs.task("test.old", lambda: None, retries=0)
        jobs.task("test.recent", lambda: None, retries=0)

        def broken() -> None:
            raise RuntimeError("fails on purpose")

        jobs.task("test.failed", broken, retries=0)
        for name in ("test.old", "test.failed"):
            jobs.defer(name)
        jobs.run_pending()
        with database.engine.begin() as connection:  # both finished two days and an hour ago
            connection.execute(
                text(
                    "UPDATE procrastinate.procrastinate_events SET at = at - make_interval(hours => :hours)"
                    " WHERE job_id IN (SELECT id FROM procrastinate.procrastinate_jobs WHERE task_name IN"
                    " ('test.old', 'test.failed'))"
                ),
                {"hours": KEEP_FINISHED_HOURS + 1},
            )
        jobs.defer("test.recent")
        jobs.run_pending()
        assert _jobs(database) == {"test.old": "succeeded", "test.failed": "failed", "test.recent": "succeeded"}
        jobs.defer(PRUNE, {"timestamp": 0})
        jobs.run_pending()
        left = _jobs(database)
        assert "test.old" not in left
        assert (left["test.failed"], left["test.recent"]) == ("failed", "succeeded")
    finally:
        jobs.close()
