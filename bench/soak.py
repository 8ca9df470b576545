"""Soak benchmark: ``cairn serve`` answering ``POST /credentials/verify`` at a steady rate for a long time.

Makes a throw-away instance (SQLite, or PostgreSQL when ``CAIRN_BENCH_POSTGRES_URL`` / ``--postgres-url`` names a
server where a database may be created and dropped), imports the example catalogue and awards ``--credentials``
credentials with ``cairn award bulk`` (did:web of the instance itself, with a status list entry: a verification
resolves the issuer and reads the status list locally, no network). It then starts ``--processes`` ``cairn serve``
processes (default one per core; ``cairn serve`` is one uvicorn process, so each listens on a port of its own,
all with the same ``CAIRN_BASE_URL``) and drives them from an asyncio client keeping ``--connections`` keep-alive
HTTP/1.1 connections (spread over the processes), paced so that together they send ``--rate`` requests a second
(default 1,000). The servers start with the skill suggestion index already built (as after ``cairn esco import``),
so what is measured is verification, not that start-up work. A connection sends its next request when both its
answer has come and its turn has come, so a server that cannot keep up shows as a lower achieved ``rate``, never as
a queue in the client. Every answer must be
``200`` with ``"verified":true``; anything else, a connection lost or a server process gone counts as an error.

Every ``--sample`` seconds (10) it prints one JSON line::

    {"bench": "soak", "t": 10.0, "requests": 9990, "rate": 999.0, "p50_ms": 2.1, "p99_ms": 9.8, "errors": 0,
     "rss_mb": [151.2, 149.8], "loadavg": [...]}

and at the end a summary line (``"summary": true``): the achieved rate over the run, the total of errors, p50/p99
over all the requests, and the servers' resident memory (sum over the processes) averaged over the first and the
last third of the samples (the first sample, the warm-up, left out when there are four or more), with the growth
between them (``rss_growth_mb``, ``rss_growth_pct``; ``rss_steady`` is true below 10 %), and the CPU time the
servers used per answered request (``server_cpu_ms_per_request``: what a verification costs, whatever the load of
the machine, where the rate is not). The exit status is 1
when any request failed, 0 otherwise.

Duration: ``--seconds``, default ``SOAK_SECONDS`` from the environment, else 600 (the 10 minutes of issue 19).
``make bench`` runs it with ``SOAK_SECONDS=60``; ``make soak`` runs the full 600 s.

Run: ``.venv/bin/python bench/soak.py [--seconds 60] [--rate 1000] [--processes 2] [--connections 16]``.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from serving import child_pythonpath, free_port, loadavg, take_answer, wait_ready

BENCH = Path(__file__).resolve().parent
EXAMPLES = BENCH.parent / "examples" / "catalog"
DEFINITION = "um-python-data-analysis"
PATH = "/credentials/verify"
RSS_STEADY_PCT = 10.0


def cairn(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run ``cairn ARGS`` (this interpreter's) and fail loudly if it fails."""
    done = subprocess.run([sys.executable, "-m", "cairn", *args], env=env, capture_output=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"cairn {' '.join(args)} exited {done.returncode}: {done.stderr.decode()[-2000:]}")
    return done


def issue_credentials(env: dict[str, str], count: int, tmp: Path) -> list[dict[str, Any]]:
    """Import the example catalogue, award ``count`` credentials with the CLI, return them as stored."""
    from sqlalchemy import select

    from cairn.store.database import Database
    from cairn.store.tables import AwardRow

    cairn(env, "catalog", "import", str(EXAMPLES))
    path = tmp / "learners.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["email", "name", "external_id"])
        writer.writerows([f"soak{i}@example.org", f"Learner {i}", f"SOAK-{i}"] for i in range(count))
    cairn(env, "award", "bulk", "--definition", DEFINITION, "--workers", "0", str(path))
    database = Database(env["CAIRN_DATABASE_URL"])
    try:
        with database.transaction() as session:
            credentials = [c for c in session.scalars(select(AwardRow.credential)) if c]
    finally:
        database.dispose()
    if len(credentials) != count:
        raise SystemExit(f"expected {count} credentials, found {len(credentials)}")
    return credentials


def build_skill_index(env: dict[str, str]) -> None:
    """Build the ESCO skill suggestion index the servers would each build in a background thread on start (tens of
    seconds of CPU per process, competing with the verifications of the first minute), as ``cairn esco import``
    does: the servers then open the saved one."""
    from cairn.bootstrap import build
    from cairn.settings import Settings

    container = build(
        Settings(
            database_url=env["CAIRN_DATABASE_URL"], secret_key=env["CAIRN_SECRET_KEY"], base_url=env["CAIRN_BASE_URL"]
        )
    )
    try:
        if container.careers.start_background_build():
            container.careers.wait_for_build()
    finally:
        container.database.dispose()


def rss_mb(pid: int) -> float | None:
    """Resident memory of ``pid`` in MB (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


class Stats:
    """What the connections report between two samples (one event loop: no locks)."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0
        self.first_errors: list[str] = []

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.first_errors) < 5:
            self.first_errors.append(what)


class PacedConnection(asyncio.Protocol):
    """One keep-alive connection sending a request every ``interval`` seconds (later if its answer is late)."""

    def __init__(self, requests: list[bytes], offset: int, interval: float, stop: float, stats: Stats):
        self.requests = requests
        self.index = offset
        self.interval = interval
        self.stop = stop
        self.stats = stats
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.sent_at = 0.0
        self.next_at = 0.0
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not asyncio classes
        self.next_at = time.perf_counter() + (self.index % 97) / 97 * self.interval  # spread the first requests
        self._schedule()

    def _schedule(self) -> None:
        now = time.perf_counter()
        if now >= self.stop:
            assert self.transport is not None
            self.transport.close()
            return
        if self.next_at < now - self.interval:  # behind: do not burst to catch up, just go on from now
            self.next_at = now
        loop = asyncio.get_running_loop()
        loop.call_later(max(0.0, self.next_at - now), self._send)
        self.next_at += self.interval

    def _send(self) -> None:
        assert self.transport is not None
        if self.transport.is_closing():
            return
        request = self.requests[self.index % len(self.requests)]
        self.index += 1
        self.sent_at = time.perf_counter()
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        try:
            answer = take_answer(self.buffer)
        except ValueError as exc:
            self.stats.error(str(exc))
            self.buffer.clear()
            self._schedule()
            return
        if answer is None:
            return
        head, body = answer
        self.stats.latencies.append(time.perf_counter() - self.sent_at)
        if not (head.startswith(b"http/1.1 200 ") and b'"verified":true' in body):
            self.stats.error(
                head.split(b"\r\n", 1)[0].decode(errors="replace") + " " + body[:200].decode("utf-8", "replace")
            )
        self._schedule()

    def connection_lost(self, exc: Exception | None) -> None:
        if time.perf_counter() < self.stop:
            self.stats.error(f"connection lost: {exc!r}")
        if not self.closed.done():
            self.closed.set_result(None)


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) ``pid`` has used, in seconds (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values: list[float], q: float) -> float | None:
    n = len(sorted_values)
    return round(sorted_values[min(n - 1, int(q * n))] * 1000, 2) if n else None


async def drive(
    ports: list[int],
    requests: dict[int, list[bytes]],
    pids: list[int],
    *,
    rate: float,
    connections: int,
    seconds: float,
    sample: float,
    emit: Callable[[dict[str, Any]], None],
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    stop = start + seconds
    stats = Stats()
    interval = connections / rate
    protocols = []
    for n in range(connections):
        port = ports[n % len(ports)]
        protocol = PacedConnection(requests[port], n * 7, interval, stop, stats)
        await loop.create_connection(lambda protocol=protocol: protocol, "127.0.0.1", port)  # type: ignore[misc]
        protocols.append(protocol)
    every: list[float] = []
    samples: list[dict[str, Any]] = []
    total_errors = 0
    first_errors: list[str] = []
    cpu_before = time.process_time()
    server_cpu_before = [cpu_seconds(pid) for pid in pids]
    last = start
    while True:
        now = time.perf_counter()
        await asyncio.sleep(max(0.0, min(last + sample, stop) - now))
        now = time.perf_counter()
        latencies, stats.latencies = sorted(stats.latencies), []
        errors, stats.errors = stats.errors, 0
        first_errors += stats.first_errors
        stats.first_errors = []
        rss = [rss_mb(pid) for pid in pids]
        gone = sum(r is None for r in rss)
        if gone:
            errors += gone
            first_errors.append(f"{gone} server process(es) gone")
        total_errors += errors
        every += latencies
        line = {
            "bench": "soak",
            "t": round(now - start, 1),
            "requests": len(latencies),
            "rate": round(len(latencies) / (now - last), 1),
            "p50_ms": percentile(latencies, 0.50),
            "p99_ms": percentile(latencies, 0.99),
            "errors": errors,
            "rss_mb": rss,
            "loadavg": loadavg(),
        }
        samples.append(line)
        emit(line)
        last = now
        if now >= stop - 0.01:
            break
    await asyncio.wait([p.closed for p in protocols], timeout=30)
    client_cpu = time.process_time() - cpu_before
    server_cpu = sum(
        (after - before)
        for before, after in zip(server_cpu_before, [cpu_seconds(pid) for pid in pids], strict=True)
        if before is not None and after is not None
    )
    every.sort()
    totals = [sum(r for r in s["rss_mb"] if r is not None) for s in samples]
    if len(totals) >= 4:  # the first sample holds the start (warm-up, caches filling): not steady state yet
        totals = totals[1:]
    third = max(1, len(totals) // 3)
    first = sum(totals[:third]) / third
    last_third = sum(totals[-third:]) / third
    growth = last_third - first
    return {
        "bench": "soak",
        "summary": True,
        "seconds": round(time.perf_counter() - start, 1),
        "target_rate": rate,
        "requests": len(every),
        "rate": round(len(every) / seconds, 1),
        "target_met": len(every) / seconds >= 0.98 * rate,
        "p50_ms": percentile(every, 0.50),
        "p99_ms": percentile(every, 0.99),
        "errors": total_errors,
        "first_errors": first_errors[:5],
        "rss_first_third_mb": round(first, 1),
        "rss_last_third_mb": round(last_third, 1),
        "rss_growth_mb": round(growth, 1),
        "rss_growth_pct": round(100 * growth / first, 1) if first else None,
        "rss_steady": bool(first) and 100 * growth / first < RSS_STEADY_PCT,
        "client_cpu": round(client_cpu / seconds, 2),
        "server_cpu_ms_per_request": round(1000 * server_cpu / len(every), 2) if every else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    default_seconds = float(os.environ.get("SOAK_SECONDS") or 600)
    parser.add_argument("--seconds", type=float, default=default_seconds, help="how long (default SOAK_SECONDS/600)")
    parser.add_argument("--rate", type=float, default=1000.0, help="verifications a second to send")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2, help="cairn serve processes")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections, over all processes")
    parser.add_argument("--credentials", type=int, default=5, help="credentials awarded, then verified in turn")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between two sample lines")
    parser.add_argument("--postgres-url", help="PostgreSQL server for a throw-away database (else SQLite)")
    args = parser.parse_args()
    postgres_url = args.postgres_url or os.environ.get("CAIRN_BENCH_POSTGRES_URL")

    ports = [free_port() for _ in range(args.processes)]
    servers: list[subprocess.Popen[bytes]] = []
    drop: Callable[[], None] = lambda: None  # noqa: E731
    summary: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        try:
            if postgres_url:
                sys.path.insert(0, str(BENCH))
                from issuing import fresh_database

                url, drop = fresh_database("postgresql", postgres_url, tmp)
            else:
                url = f"sqlite:///{tmp / 'cairn.db'}"
            env = {
                **os.environ,
                "CAIRN_DATABASE_URL": url,
                "CAIRN_BASE_URL": f"http://127.0.0.1:{ports[0]}",
                "CAIRN_SECRET_KEY": "soak-" + "x" * 40,
                "CAIRN_LOG_LEVEL": "warning",  # no access log: a line a request would be the bench's cost
                "PYTHONPATH": child_pythonpath(),
            }
            credentials = issue_credentials(env, args.credentials, tmp)
            build_skill_index(env)
            bodies = [json.dumps({"verifiableCredential": c}).encode() for c in credentials]
            requests = {}
            for port in ports:
                head = f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                requests[port] = [(head + f"Content-Length: {len(b)}\r\n\r\n").encode() + b for b in bodies]
            for port in ports:
                command = [sys.executable, "-m", "cairn", "serve", "--host", "127.0.0.1", "--port", str(port)]
                servers.append(subprocess.Popen(command, env=env, cwd=tmp, stdout=subprocess.DEVNULL))
            for port, server in zip(ports, servers, strict=True):
                wait_ready(port, time.monotonic() + 120, server)

            def emit(line: dict[str, Any]) -> None:
                print(json.dumps(line), flush=True)

            if importlib.util.find_spec("uvloop") is not None:
                import uvloop

                runner: Any = uvloop.run
            else:
                runner = asyncio.run
            summary = runner(
                drive(
                    ports,
                    requests,
                    [s.pid for s in servers],
                    rate=args.rate,
                    connections=args.connections,
                    seconds=args.seconds,
                    sample=args.sample,
                    emit=emit,
                )
            )
            summary.update(
                processes=args.processes,
                connections=args.connections,
                database="postgresql" if postgres_url else "sqlite",
                cpus=os.cpu_count(),
            )
            print(json.dumps(summary), flush=True)
        finally:
            for server in servers:
                server.send_signal(signal.SIGTERM)
            for server in servers:
                try:
                    server.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    server.kill()
            drop()
    sys.exit(1 if summary.get("errors", 1) else 0)


if __name__ == "__main__":
    main()
