"""Fault benchmark: a bulk award broken in the middle by a killed process or a PostgreSQL restart, which must then
finish with every row awarded once; prints one JSON line per fault.

``--mode queue`` (the default) strikes a bulk award as the web runs it: a private PostgreSQL cluster started for
each fault (``tests/pg_cluster.py``: PostgreSQL's own binaries, a temporary folder, a free port, removed at the
end), migrated, with the example catalogue; one ``cairn serve`` (``CAIRN_SERVE_WORKER`` off) and one ``cairn
worker``; the file (``--rows`` rows, default 2,000) posted to ``/orgs/SLUG/awards/bulk`` by a signed-in issuer, so
the job is on the queue. Once ``--kill-at`` of the rows (default 30 %) are awarded:

- ``kill-9-app``: SIGKILL of ``cairn serve``; the worker must go on (its next batch committed while no app runs,
  ``worker_went_on``); the app is started again and its job page and progress JSON must answer, to the session
  cookie from before the kill (``app_answer``);
- ``kill-9-worker``: SIGKILL of ``cairn worker``; a new worker is started, and the job left ``doing`` by the dead
  one must be queued again by the stalled-job check (``CAIRN_JOB_STALLED_SECONDS``, ``--stalled-seconds``,
  default 10 here) and resume (``retried_s``: from the kill to the second try's start);
- ``pg-restart-fast`` / ``pg-restart-immediate``: ``pg_ctl restart -m fast`` (clean) or ``-m immediate`` (a crash,
  recovered from the WAL). ``worker_survived`` says whether ``cairn worker`` outlived it; one that exited is
  started again, as a supervisor (systemd ``Restart=always``) would (``worker_restarted``).

``--mode cli`` strikes ``cairn award bulk`` (with ``--workers`` signing processes) on a throw-away database of
``--postgres-url`` / ``CAIRN_BENCH_POSTGRES_URL`` (else a private cluster): ``kill-9-app`` (the command),
``kill-9-worker`` (one signing process) and ``pg-connections-cut`` (``pg_terminate_backend`` of every connection),
then runs the same command again.

Each line checks the end: ``awards`` == ``rows``, no ``lost`` and no ``duplicates`` (row numbers and external ids),
the job ``done`` (and the queue's job ``succeeded``), ``cairn audit verify`` intact::

    {"bench": "faults", "mode": "queue", "fault": "pg-restart-immediate", "rows": 2000, "struck_at": 1000,
     "down_s": 1.7, "worker_survived": true, "awards": 2000, "duplicates": 0, "lost": 0, "job": "done",
     "queue_job": "succeeded", "audit_intact": true, "resume_s": 12.5, "ok": true}

The exit status is 1 when any fault lost or duplicated an award, or the job did not resume to ``done``. Without
PostgreSQL binaries (or, as root, a ``postgres`` user) the queue mode prints a ``"skipped"`` line and exits 0.

Run: ``.venv/bin/python bench/faults.py [--mode queue] [--rows 2000] [--fault pg-restart-immediate]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from cairn.store.database import Database, normalise_url
from cairn.store.tables import AwardRow, BulkJobRow, BulkUploadRow
from serving import child_pythonpath, free_port, loadavg, wait_ready

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))  # the private PostgreSQL cluster is the tests' own (tests/pg_cluster.py)
from tests.pg_cluster import PgCluster, unavailable  # noqa: E402

EXAMPLES = BENCH.parent / "examples" / "catalog"
DEFINITION = "um-python-data-analysis"
CLI_FAULTS = ("kill-9-app", "kill-9-worker", "pg-connections-cut")


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


def cli_fault(fault: str, args: argparse.Namespace, postgres_url: str, tmp: Path) -> dict[str, Any]:
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
            "mode": "cli",
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


# -- the queue path: cairn serve + cairn worker on a private cluster -------------------------------------------


ORG = "uniwersytet-mazowiecki"
ISSUER = "faults@example.org"
PASSWORD = "faults bench password"
QUEUE_FAULTS = ("kill-9-app", "kill-9-worker", "pg-restart-fast", "pg-restart-immediate")
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Instance:
    """The processes of one Cairn instance on a cluster: ``cairn serve`` and ``cairn worker``, started and struck."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd
        self.port = free_port()
        self.app: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []

    def cairn(self, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        command = [sys.executable, "-m", "cairn", *args]
        return subprocess.run(command, env=self.env, cwd=self.cwd, input=stdin, capture_output=True, check=False)

    def start_app(self) -> None:
        command = [sys.executable, "-m", "cairn", "serve", "--port", str(self.port)]
        out = subprocess.DEVNULL
        self.app = subprocess.Popen(command, env=self.env, cwd=self.cwd, stdout=out, stderr=out)
        wait_ready(self.port, time.monotonic() + 120, self.app)

    def start_worker(self) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "cairn", "worker"]
        log = (self.cwd / f"worker-{len(self.workers)}.log").open("wb")
        worker = subprocess.Popen(command, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(worker)
        return worker

    @property
    def worker(self) -> subprocess.Popen[bytes]:
        return self.workers[-1]

    def worker_log(self, index: int = -1) -> list[str]:
        path = self.cwd / f"worker-{len(self.workers) + index if index < 0 else index}.log"
        return path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]

    def stop(self) -> None:
        for process in [self.app, *self.workers]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [self.app, *self.workers]:
            if process is None:
                continue
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def sign_in(client: httpx.Client) -> None:
    token = _CSRF.search(client.get("/sign-in").text)
    assert token, "no CSRF token on /sign-in"
    answer = client.post("/sign-in", data={"email": ISSUER, "password": PASSWORD, "csrf_token": token.group(1)})
    assert answer.status_code == 303, answer.text[:300]


def post_file(client: httpx.Client, data: bytes) -> str:
    """Post the file as the bulk award form does; the job page's path."""
    token = _CSRF.search(client.get("/account").text)
    assert token, "no CSRF token on /account"
    form = {"definition": DEFINITION, "action": "award", "csrf_token": token.group(1)}
    files = {"file": ("faults.csv", data, "text/csv")}
    answer = client.post(f"/orgs/{ORG}/awards/bulk", data=form, files=files, timeout=120)
    assert answer.status_code == 303, answer.text[:500]
    return str(answer.headers["location"])


def upload_state(database: Database) -> tuple[str, int]:
    """The upload's status and rows done ("" and -1 while the database cannot be reached)."""
    try:
        with database.transaction() as session:
            row = session.execute(select(BulkUploadRow.status, BulkUploadRow.done_rows)).first()
    except OperationalError:
        return "", -1
    return (row[0], int(row[1])) if row else ("", 0)


def wait_rows(database: Database, at_least: int, timeout: float) -> int:
    """Wait until ``at_least`` rows are done (or the job is); the rows done then (-1: timed out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, done = upload_state(database)
        if done >= at_least or status in ("done", "failed"):
            return done
        time.sleep(0.05)
    return -1


def wait_retried(database: Database, timeout: float, since: float) -> float | None:
    """Wait until a second try of the job has started (the stalled check queued it again and a worker took it);
    the seconds from ``since`` (``time.perf_counter``), None when it did not come."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with database.transaction() as session:
                if (session.scalar(select(BulkUploadRow.attempts)) or 0) >= 2:
                    return round(time.perf_counter() - since, 2)
        except OperationalError:
            pass
        time.sleep(0.1)
    return None


def wait_done(database: Database, instance: Instance, timeout: float) -> str:
    """Wait for the job to end, starting the worker again whenever it exits (a supervisor's ``Restart=always``);
    the upload's last status."""
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        status, _ = upload_state(database)
        if status in ("done", "failed"):
            break
        if instance.worker.poll() is not None:
            instance.start_worker()
        time.sleep(0.2)
    return status


def queue_fault(fault: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    with PgCluster.started() as cluster:
        url = cluster.create_database("cairn")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
        env |= {
            "CAIRN_DATABASE_URL": url,
            "CAIRN_BASE_URL": "https://cairn.example",
            "CAIRN_SECRET_KEY": "faults-" + "x" * 40,
            "CAIRN_LOG_LEVEL": "warning",
            "CAIRN_SERVE_WORKER": "false",
            "CAIRN_SKILLS_INDEX": "none",
            "CAIRN_REGISTRY_SYNC_MINUTES": "0",
            "CAIRN_JOB_STALLED_SECONDS": str(args.stalled_seconds),
            "CAIRN_JOB_RETRY_SECONDS": str(args.retry_seconds),
            "PYTHONPATH": child_pythonpath(),
        }
        instance = Instance(env, tmp)
        for step in (("db", "upgrade"), ("catalog", "import", str(EXAMPLES)),
                     ("orgs", "add-member", ORG, ISSUER, "--role", "issuer", "--no-email")):  # fmt: skip
            done = instance.cairn(*step)
            assert done.returncode == 0, (step, done.stderr.decode()[-500:])
        done = instance.cairn("accounts", "set-password", ISSUER, "--password-stdin", stdin=PASSWORD.encode())
        assert done.returncode == 0, done.stderr.decode()[-500:]
        rows = "".join(f"learner{i}@example.org,Learner {i},ID-{i}\n" for i in range(args.rows))
        data = ("email,name,external_id\n" + rows).encode()
        database = Database(url)
        result: dict[str, Any] = {"bench": "faults", "mode": "queue", "fault": fault, "rows": args.rows}
        try:
            instance.start_app()
            instance.start_worker()
            client = httpx.Client(base_url=f"http://127.0.0.1:{instance.port}", timeout=30, follow_redirects=False)
            sign_in(client)
            started = time.perf_counter()
            job_page = post_file(client, data)
            struck_at = wait_rows(database, int(args.rows * args.kill_at), 300)
            result["struck_at"] = struck_at
            struck = time.perf_counter()
            if fault == "kill-9-app":
                assert instance.app is not None
                instance.app.send_signal(signal.SIGKILL)
                instance.app.wait()
                result["app_exit"] = instance.app.returncode
                went_on = wait_rows(database, struck_at + 1, 120)  # the next batch, committed with no app running
                result["worker_went_on"] = instance.worker.poll() is None and went_on > struck_at
                instance.start_app()
                result["app_restart_s"] = round(time.perf_counter() - struck, 2)
                page = client.get(job_page)  # the session cookie from before the kill
                progress = client.get(job_page + "/progress")
                body = progress.json() if progress.status_code == 200 else {}
                result["app_answer"] = [page.status_code, progress.status_code, body.get("status")]
                result["app_answer_ok"] = (
                    page.status_code == 200 and progress.status_code == 200
                    and body.get("status") in ("running", "done") and body.get("total_rows") == args.rows
                    and body.get("done_rows", 0) >= struck_at
                )  # fmt: skip
            elif fault == "kill-9-worker":
                killed = instance.worker
                killed.send_signal(signal.SIGKILL)
                killed.wait()
                result["worker_exit"] = killed.returncode
                instance.start_worker()
                result["retried_s"] = wait_retried(database, args.stalled_seconds * 4 + 60, struck)
            else:
                mode = fault.rsplit("-", 1)[1]
                result["down_s"] = round(cluster.restart(mode), 2)
                time.sleep(5)
                survived = instance.worker.poll() is None
                result["worker_survived"] = survived
                result["app_survived"] = instance.app is not None and instance.app.poll() is None
                if not survived:
                    result["worker_exit"] = instance.worker.returncode
                    result["worker_error"] = instance.worker_log()
            status = wait_done(database, instance, args.timeout)
            result["resume_s"] = round(time.perf_counter() - struck, 2)
            result["total_s"] = round(time.perf_counter() - started, 2)
            result["worker_restarted"] = len(instance.workers) - 1 - (fault == "kill-9-worker")
            progress = client.get(job_page + "/progress")
            body = progress.json() if progress.status_code == 200 else {}
            result["progress"] = {k: body.get(k) for k in ("status", "done_rows", "created", "existing", "failed")}
            client.close()
        finally:
            instance.stop()
        with database.transaction() as session:
            numbers = list(session.scalars(select(AwardRow.row_number)))
            external = list(session.scalars(select(AwardRow.external_id)))
            upload = session.execute(select(BulkUploadRow.status, BulkUploadRow.attempts)).one()
            jobs = list(session.scalars(select(BulkJobRow.status)))
            queue_jobs = list(
                session.execute(
                    text("SELECT status, attempts FROM procrastinate.procrastinate_jobs WHERE task_name = 'bulk.award'")
                )
            )
        database.dispose()
        audit = instance.cairn("audit", "verify")
        expected = set(range(2, args.rows + 2))
        duplicates = (len(numbers) - len(set(numbers))) + (len(external) - len(set(external)))
        result |= {
            "upload": status, "upload_attempts": upload[1], "jobs": jobs,
            "queue_job": [f"{s} ({a} attempts)" for s, a in queue_jobs],
            "awards": len(numbers), "duplicates": duplicates, "lost": len(expected - set(numbers)),
            "audit_intact": audit.returncode == 0, "load": loadavg(),
        }  # fmt: skip
        if audit.returncode != 0:
            result["audit_error"] = (audit.stdout + audit.stderr).decode(errors="replace").strip().splitlines()[-2:]
        result["ok"] = (
            0 <= struck_at < args.rows
            and result.get("retried_s", 0) is not None
            and status == "done" and jobs == ["done"] and [s for s, _ in queue_jobs] == ["succeeded"]
            and len(numbers) == args.rows and duplicates == 0 and result["lost"] == 0 and result["audit_intact"]
            and result["progress"]["status"] == "done" and result["progress"]["done_rows"] == args.rows
            and result.get("app_answer_ok", True) and result.get("worker_went_on", True)
            and result.get("worker_survived", True)
        )  # fmt: skip
        if not result["ok"]:
            result["server_log"] = cluster.log_tail(5)
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mode", choices=("queue", "cli"), default="queue", help="what runs the bulk award")
    parser.add_argument("--rows", type=int, default=2000, help="rows of the bulk award")
    parser.add_argument("--kill-at", type=float, default=0.3, help="strike once this share of rows is awarded")
    parser.add_argument("--fault", action="append", choices=QUEUE_FAULTS + CLI_FAULTS, help="default: all of the mode")
    parser.add_argument("--stalled-seconds", type=int, default=10, help="queue: CAIRN_JOB_STALLED_SECONDS")
    parser.add_argument("--retry-seconds", type=int, default=2, help="queue: CAIRN_JOB_RETRY_SECONDS")
    parser.add_argument("--timeout", type=float, default=600, help="queue: seconds the job may take after the fault")
    parser.add_argument("--workers", type=int, default=2, help="cli: signing worker processes")
    parser.add_argument("--batch-size", type=int, default=50, help="cli: rows a transaction")
    parser.add_argument("--postgres-url", help="cli: PostgreSQL server for throw-away databases")
    args = parser.parse_args()
    faults = args.fault or (QUEUE_FAULTS if args.mode == "queue" else CLI_FAULTS)
    wrong = [f for f in faults if f not in (QUEUE_FAULTS if args.mode == "queue" else CLI_FAULTS)]
    if wrong:
        parser.error(f"not faults of --mode {args.mode}: {', '.join(wrong)}")
    postgres_url = args.postgres_url or os.environ.get("CAIRN_BENCH_POSTGRES_URL")
    reason = unavailable()
    if reason and (args.mode == "queue" or not postgres_url):
        print(json.dumps({"bench": "faults", "mode": args.mode, "skipped": reason}), flush=True)
        return
    failed = False
    for fault in faults:
        with tempfile.TemporaryDirectory() as tmp:
            if args.mode == "queue":
                result = queue_fault(fault, args, Path(tmp))
            elif postgres_url:
                result = cli_fault(fault, args, postgres_url, Path(tmp))
            else:
                with PgCluster.started() as cluster:
                    result = cli_fault(fault, args, cluster.url(), Path(tmp))
        print(json.dumps(result), flush=True)
        failed = failed or not result["ok"]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
