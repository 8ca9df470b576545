"""Fault benchmark: a bulk award (``cairn award bulk`` with signing workers, on PostgreSQL) broken in the middle,
then the same command run again; prints one JSON line per fault.

Faults (each on a fresh throw-away database with the example catalogue, ``--rows`` rows, default 2,000):

- ``kill-9-app``: SIGKILL of the ``cairn award bulk`` process itself (its signing workers leave with it);
- ``kill-9-worker``: SIGKILL of one of its signing worker processes (the run stops: its pool is broken);
- ``pg-connections-cut``: every connection to the job's database cut at once with ``pg_terminate_backend`` (the
  run's and the bench's own watching one: ``struck`` counts both), what a PostgreSQL restart does to a client.
  The server is shared with other work, so the bench does not restart it; a real restart also refuses new
  connections for a few seconds, which the resumed run (started after) never sees.

Each fault strikes once ``--kill-at`` of the rows (default 30 %) are awarded. The first run must then stop (a
run that ends well anyway is reported, ``"first_exit"`` says how); the same command is run again and must
finish the job: every row awarded once (``awards`` == ``rows``, ``lost`` and ``duplicates`` counted over the row
numbers and external ids), the job ``done``, and ``cairn audit verify`` intact::

    {"bench": "faults", "fault": "kill-9-app", "rows": 2000, "killed_at": 650, "first_exit": -9,
     "resumed_from": 650, "awards": 2000, "duplicates": 0, "lost": 0, "job": "done", "audit_intact": true,
     "resume_s": 9.1, "ok": true}

The exit status is 1 when any fault lost or duplicated an award, or the job did not resume to ``done``.
PostgreSQL only: ``--postgres-url`` or ``CAIRN_BENCH_POSTGRES_URL`` (a server where a database may be created and
dropped); without one it prints a ``"skipped"`` line and exits 0.

Run: ``.venv/bin/python bench/faults.py [--rows 600] [--workers 2] [--batch-size 50] [--fault kill-9-app]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from cairn.store.database import Database, normalise_url
from cairn.store.tables import AwardRow, BulkJobRow
from serving import child_pythonpath

BENCH = Path(__file__).resolve().parent
EXAMPLES = BENCH.parent / "examples" / "catalog"
DEFINITION = "um-python-data-analysis"
FAULTS = ("kill-9-app", "kill-9-worker", "pg-connections-cut")


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="latin-1").rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def workers_of(pid: int) -> list[int]:
    """The signing workers (multiprocessing ``spawn`` children) of ``pid``."""
    found = []
    for child in children(pid):
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def done_rows(database: Database) -> int:
    with database.transaction() as session:
        return int(session.scalar(select(func.coalesce(func.max(BulkJobRow.done_rows), 0))) or 0)


def cut_connections(admin_url: str, name: str) -> int:
    """Terminate every connection to database ``name`` (what a PostgreSQL restart does to its clients)."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            query = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :name"
            return int(conn.execute(text(query + " AND pid <> pg_backend_pid()"), {"name": name}).scalar() or 0)
    finally:
        engine.dispose()


def one_fault(fault: str, args: argparse.Namespace, postgres_url: str, tmp: Path) -> dict[str, Any]:
    sys.path.insert(0, str(BENCH))
    from issuing import fresh_database

    url, drop = fresh_database("postgresql", postgres_url, tmp)
    admin_url = make_url(normalise_url(postgres_url)).render_as_string(hide_password=False)
    name = make_url(url).database or ""
    env = {
        **os.environ,
        "CAIRN_DATABASE_URL": url,
        "CAIRN_BASE_URL": "https://cairn.example",
        "CAIRN_SECRET_KEY": "faults-" + "x" * 40,
        "CAIRN_LOG_LEVEL": "warning",
        "PYTHONPATH": child_pythonpath(),
    }
    database = Database(url)
    try:
        subprocess.run(
            [sys.executable, "-m", "cairn", "catalog", "import", str(EXAMPLES)],
            env=env,
            check=True,
            capture_output=True,
        )
        path = tmp / f"{fault}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["email", "name", "external_id"])
            writer.writerows([f"learner{i}@example.org", f"Learner {i}", f"ID-{i}"] for i in range(args.rows))
        command = [sys.executable, "-m", "cairn", "award", "bulk", "--definition", DEFINITION]
        command += ["--batch-size", str(args.batch_size), "--workers", str(args.workers), str(path)]
        process = subprocess.Popen(command, env=env, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        kill_at = int(args.rows * args.kill_at)
        struck = ""
        try:
            deadline = time.monotonic() + 300
            while process.poll() is None and time.monotonic() < deadline and done_rows(database) < kill_at:
                time.sleep(0.02)
            workers = workers_of(process.pid)
            if process.poll() is None:
                if fault == "kill-9-app":
                    process.send_signal(signal.SIGKILL)
                    struck = f"pid {process.pid}"
                elif fault == "kill-9-worker":
                    if workers:
                        os.kill(workers[0], signal.SIGKILL)
                        struck = f"worker {workers[0]} of {len(workers)}"
                else:
                    struck = f"{cut_connections(admin_url, name)} connections"
            try:
                _, err = process.communicate(timeout=120)
            except subprocess.TimeoutExpired:  # a run that hangs after the fault is a finding too
                process.kill()
                _, err = process.communicate()
                struck += "; hung, killed after 120 s"
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        deadline = time.monotonic() + 10
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        orphans = sum(alive(w) for w in workers)
        with database.transaction() as session:
            killed_at = int(session.scalar(select(func.count()).select_from(AwardRow)) or 0)
        started = time.perf_counter()
        again = subprocess.run(command, env=env, cwd=tmp, capture_output=True, timeout=600, check=False)
        resume_s = time.perf_counter() - started
        report: dict[str, Any] = {}
        if again.returncode == 0:
            report = json.loads(again.stdout)
        with database.transaction() as session:
            numbers = list(session.scalars(select(AwardRow.row_number)))
            external = list(session.scalars(select(AwardRow.external_id)))
            jobs = list(session.scalars(select(BulkJobRow)))
        audit = subprocess.run(
            [sys.executable, "-m", "cairn", "audit", "verify"], env=env, capture_output=True, check=False
        )
        expected = set(range(2, args.rows + 2))
        duplicates = (len(numbers) - len(set(numbers))) + (len(external) - len(set(external)))
        lost = len(expected - set(numbers))
        result = {
            "bench": "faults",
            "fault": fault,
            "rows": args.rows,
            "workers": args.workers,
            "batch_size": args.batch_size,
            "struck": struck,
            "killed_at": killed_at,
            "first_exit": process.returncode,
            "first_error": err.decode(errors="replace").strip().splitlines()[-1:] if process.returncode > 0 else [],
            "orphan_workers": orphans,
            "resumed_from": report.get("resumed_from"),
            "resume_exit": again.returncode,
            "awards": len(numbers),
            "duplicates": duplicates,
            "lost": lost,
            "jobs": len(jobs),
            "job": jobs[0].status if len(jobs) == 1 else [j.status for j in jobs],
            "audit_intact": audit.returncode == 0,
            "resume_s": round(resume_s, 2),
        }
        if audit.returncode != 0:
            result["audit_error"] = (audit.stdout + audit.stderr).decode(errors="replace").strip().splitlines()[-2:]
        if again.returncode != 0:
            result["resume_error"] = again.stderr.decode(errors="replace").strip().splitlines()[-3:]
        result["ok"] = (
            bool(struck)  # a fault was applied (not a run that ended first, nor a worker that could not be found)
            and killed_at < args.rows
            and process.returncode != 0  # and the first run died of it
            and again.returncode == 0
            and len(numbers) == args.rows
            and duplicates == 0
            and lost == 0
            and result["job"] == "done"
            and result["audit_intact"]
            and orphans == 0
        )
        return result
    finally:
        database.dispose()
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000, help="rows of the bulk award")
    parser.add_argument("--workers", type=int, default=2, help="signing worker processes")
    parser.add_argument("--batch-size", type=int, default=50, help="rows a transaction")
    parser.add_argument("--kill-at", type=float, default=0.3, help="strike once this share of rows is awarded")
    parser.add_argument("--fault", action="append", choices=FAULTS, help="default: all three")
    parser.add_argument("--postgres-url", help="PostgreSQL server for throw-away databases")
    args = parser.parse_args()
    postgres_url = args.postgres_url or os.environ.get("CAIRN_BENCH_POSTGRES_URL")
    if not postgres_url:
        print(json.dumps({"bench": "faults", "skipped": "no PostgreSQL URL (CAIRN_BENCH_POSTGRES_URL)"}), flush=True)
        return
    failed = False
    for fault in args.fault or FAULTS:
        with tempfile.TemporaryDirectory() as tmp:
            result = one_fault(fault, args, postgres_url, Path(tmp))
        print(json.dumps(result), flush=True)
        failed = failed or not result["ok"]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
