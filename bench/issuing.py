"""Issuing benchmark: bulk award of one definition from a CSV file; prints one JSON line per run.

python bench/issuing.py                          # 100,000 rows, SQLite (+ PostgreSQL when a URL is known)
python bench/issuing.py --rows 2000 --suite eddsa-jcs-2022 --database sqlite

Budgets (issue 4): 100,000 rows in at most 90 s into SQLite and 120 s into PostgreSQL on a 2-core machine,
peak memory under 500 MB, with eddsa-jcs-2022 and with eddsa-rdfc-2022. Each run happens in a fresh child
process, so its peak RSS is its own; ``peak_rss_mb`` is the parent's peak plus, for each signing worker,
the largest worker's peak (an upper bound of the whole at any moment).
PostgreSQL runs need ``--postgres-url`` (or CAIRN_BENCH_POSTGRES_URL / CAIRN_TEST_POSTGRES_URL): a server
where a throw-away database may be created and dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cairn.services.audit import AuditService
from cairn.services.catalog.service import CatalogService
from cairn.services.issuing.bulk import BulkAwardService
from cairn.services.issuing.keys import KeyService
from cairn.services.issuing.service import IssuingService
from cairn.services.issuing.status_lists import StatusListService
from cairn.store.database import Database, normalise_url

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "catalog"
DEFINITION = "um-python-data-analysis"
ORGANISATION = "uniwersytet-mazowiecki"
BUDGET_SECONDS = {"sqlite": 90, "postgresql": 120}
BUDGET_MB = 500
SUITES = ("eddsa-jcs-2022", "eddsa-rdfc-2022")


def clock() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


def write_csv(path: Path, rows: int) -> None:
    """A bulk file of ``rows`` distinct learners, written as a stream."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("email,name,external_id,grade\n")
        for i in range(rows):
            fh.write(f"learner{i}@example.org,Learner {i},S{i:07d},{i % 5 + 1}\n")


def one_run(url: str, suite: str, rows: int, workers: int | None, batch_size: int) -> dict[str, object]:
    """Award ``rows`` rows into the (empty, migrated) database at ``url``; runs in a child process."""
    database = Database(url)
    database.upgrade()
    CatalogService(database, clock=clock).import_paths([EXAMPLES])
    keys = KeyService(
        database, secret_key=lambda: "bench-secret-" + "x" * 40, public_url="https://bench.example", clock=clock
    )
    keys.set_suite(ORGANISATION, suite, actor="bench")
    lists = StatusListService(database, keys=keys, clock=clock)
    issuing = IssuingService(database, keys=keys, status_lists=lists, clock=clock)
    bulk = BulkAwardService(issuing, max_upload_bytes=52_428_800, max_rows=1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.csv"
        write_csv(path, rows)
        start = time.perf_counter()
        report = bulk.run(path, definition=DEFINITION, actor="bench", workers=workers, batch_size=batch_size)
        seconds = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert report.ok, report.to_dict()
    assert report.created == rows, report.to_dict()
    start = time.perf_counter()
    audit_ok = AuditService(database).verify().ok
    audit_seconds = time.perf_counter() - start
    database.dispose()
    pool = (workers if workers is not None else os.cpu_count() or 1) if worker_peak else 0
    return {
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "peak_rss_mb": round(own + pool * worker_peak, 1),
        "parent_rss_mb": round(own, 1),
        "workers": pool,
        "worker_rss_mb": round(worker_peak, 1),
        "audit_chain_ok": audit_ok,
        "audit_verify_seconds": round(audit_seconds, 2),
        "audit_verify_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def fresh_database(kind: str, postgres_url: str | None, tmp: Path) -> tuple[str, Callable[[], None]]:
    """A new empty database URL, and what to call to drop it."""
    if kind == "sqlite":
        return f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:8]}.db'}", lambda: None
    assert postgres_url
    base = make_url(normalise_url(postgres_url))
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"cairn_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the file (default 100,000)")
    parser.add_argument("--suite", action="append", choices=SUITES, help="suite(s) to run (default both)")
    parser.add_argument("--database", action="append", choices=("sqlite", "postgresql"), help="default: both")
    parser.add_argument("--postgres-url", help="PostgreSQL server for throw-away databases")
    parser.add_argument("--workers", type=int, help="signing processes (default: one per core)")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--child", nargs=2, metavar=("URL", "SUITE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, suite = args.child
        print(json.dumps(one_run(url, suite, args.rows, args.workers, args.batch_size)))
        return
    postgres_url = (
        args.postgres_url or os.environ.get("CAIRN_BENCH_POSTGRES_URL") or os.environ.get("CAIRN_TEST_POSTGRES_URL")
    )
    databases = args.database or (["sqlite", "postgresql"] if postgres_url else ["sqlite"])
    for kind in databases:
        if kind == "postgresql" and not postgres_url:
            print(json.dumps({"bench": "bulk_award", "database": kind, "skipped": "no PostgreSQL URL"}))
            continue
        for suite in args.suite or SUITES:
            with tempfile.TemporaryDirectory() as tmp:
                url, drop = fresh_database(kind, postgres_url, Path(tmp))
                try:
                    command = [sys.executable, __file__, "--rows", str(args.rows), "--batch-size", str(args.batch_size)]
                    if args.workers is not None:
                        command += ["--workers", str(args.workers)]
                    load = os.getloadavg()[0]
                    done = subprocess.run(
                        [*command, "--child", url, suite], capture_output=True, text=True, check=False
                    )
                    if done.returncode != 0:
                        raise SystemExit(done.stderr)
                    result = json.loads(done.stdout.strip().splitlines()[-1])
                finally:
                    drop()
            line = {
                "bench": "bulk_award",
                "database": kind,
                "suite": suite,
                "rows": args.rows,
                **result,
                "cpus": os.cpu_count(),
                "load_before": round(load, 2),
                "budget_seconds": BUDGET_SECONDS[kind],
                "within_budget": result["seconds"] <= BUDGET_SECONDS[kind] * args.rows / 100_000
                and result["peak_rss_mb"] < BUDGET_MB,
            }
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
