"""A bulk award running on ``cairn worker`` survives a real PostgreSQL crash (issue #19, point 5): the server of a
private cluster (:mod:`tests.pg_cluster`) restarted with ``pg_ctl restart -m immediate`` while the job's second batch
is being signed. The worker must outlive it and finish the job: every row awarded once, the audit chain intact.
``bench/faults.py`` strikes the same path with more faults and more rows."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from cairn.bootstrap import build
from cairn.services.audit import AuditService
from cairn.settings import Settings
from cairn.store.database import Database
from tests.factories import DEFINITION, EXAMPLES, ORG, PUBLIC_URL, REPO, SECRET
from tests.pg_cluster import PgCluster, unavailable

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(bool(unavailable()), reason=unavailable() or "-"),
]

ROWS = 700  # two batches of 500: the crash comes while the second is signed, after the first is committed


def _upload_state(database: Database) -> tuple[str, int]:
    from cairn.store.tables import BulkUploadRow

    try:
        with database.transaction() as session:
            row = session.execute(select(BulkUploadRow.status, BulkUploadRow.done_rows)).one()
            return str(row[0]), int(row[1])
    except OperationalError:  # the server is restarting
        return "", -1


def _wait(database: Database, done: Callable[[tuple[str, int]], bool], timeout: float) -> tuple[str, int]:
    deadline = time.monotonic() + timeout
    state = _upload_state(database)
    while time.monotonic() < deadline:
        state = _upload_state(database)
        if done(state):
            break
        time.sleep(0.05)
    return state


def test_a_bulk_award_on_the_queue_resumes_after_a_postgresql_crash_and_the_worker_outlives_it(tmp_path: Path) -> None:
    from cairn.store.tables import AwardRow, BulkJobRow

    with PgCluster.started() as cluster:
        url = cluster.create_database("cairn")
        database = Database(url)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
        env |= {
            "PYTHONPATH": str(REPO / "src"), "CAIRN_DATABASE_URL": url, "CAIRN_SECRET_KEY": SECRET,
            "CAIRN_BASE_URL": PUBLIC_URL, "CAIRN_LOG_LEVEL": "warning", "CAIRN_REGISTRY_SYNC_MINUTES": "0",
            "CAIRN_SKILLS_INDEX": "none", "CAIRN_JOB_RETRY_SECONDS": "1", "CAIRN_JOB_STALLED_SECONDS": "6",
        }  # fmt: skip
        worker: subprocess.Popen[bytes] | None = None
        log = (tmp_path / "worker.log").open("wb")
        try:
            database.upgrade()
            settings = Settings(database_url=url, secret_key=SECRET, base_url=PUBLIC_URL, registry_sync_minutes=0)
            container = build(settings, database=database)
            container.catalog.import_paths([EXAMPLES])  # with the instance's key: its audit entries are chained
            rows = "".join(f"l{i}@example.org,Learner {i},ID-{i}\n" for i in range(ROWS))
            data = ("email,name,external_id\n" + rows).encode()
            container.bulk_uploads.submit(data, filename="people.csv", definition=DEFINITION, organisation=ORG,
                                          actor="test")  # fmt: skip
            container.jobs.close()
            command = [sys.executable, "-m", "cairn", "worker"]
            worker = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)

            status, done = _wait(database, lambda s: s[1] >= 500 or s[0] == "done", 60)
            assert (status, done) == ("running", 500), "the first batch was not committed in time"
            cluster.restart("immediate")  # a crash: every connection cut, recovery from the WAL

            status, done = _wait(database, lambda s: s[0] in ("done", "failed") or worker.poll() is not None, 60)
            log_text = (tmp_path / "worker.log").read_text(errors="replace")[-3000:]
            assert worker.poll() is None, f"cairn worker exited ({worker.returncode}) after the restart:\n{log_text}"
            assert (status, done) == ("done", ROWS), log_text

            with database.transaction() as session:
                numbers = list(session.scalars(select(AwardRow.row_number)))
                external = list(session.scalars(select(AwardRow.external_id)))
                jobs = list(session.scalars(select(BulkJobRow.status)))
                queue = list(session.scalars(text("SELECT status FROM procrastinate.procrastinate_jobs "
                                                  "WHERE task_name = 'bulk.award'")))  # fmt: skip
            assert Counter(numbers) == Counter(range(2, ROWS + 2))  # no row lost, none awarded twice
            assert Counter(external) == Counter(f"ID-{i}" for i in range(ROWS))
            assert jobs == ["done"]
            assert queue == ["succeeded"]
            audit = AuditService(database).verify()  # what 'cairn audit verify' checks
            assert audit.ok, audit.describe()
        finally:
            if worker is not None and worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=20)
            log.close()
            database.dispose()
