"""HTTP verification benchmark: ``POST /credentials/verify`` of eddsa-jcs-2022 credentials against a real server.

Builds a throw-away SQLite instance, signs ``--credentials`` Open Badges 3.0 credentials with a did:key issuer
(verifying them needs no network), starts ``uvicorn`` with ``--workers`` worker processes on 127.0.0.1 (the app
made by :func:`app_factory` from ``CAIRN_*`` variables, as ``cairn serve`` does; httptools and uvloop when
installed, no access log), then drives it from ``--clients`` load-generator processes, each keeping
``--connections`` keep-alive HTTP/1.1 connections busy (closed loop: a connection sends its next request when
the answer to the last one has arrived). Each request is a full POST of a distinct credential from the pool;
each answer must be ``200`` with ``"verified":true`` or it counts as an error. The load generator is a small
asyncio client writing pre-encoded requests, so it takes little of the CPU the server needs; its share is
printed (``client_cpu``, in cores) beside the server's (``server_cpu``, in cores, read from /proc).

After ``--warmup`` seconds it measures for ``--seconds`` and prints one JSON line per round::

    {"bench": "verify_http", "workers": 2, "concurrency": 8, "requests": N, "seconds": S, "per_second": X,
     "p50_ms": ..., "p95_ms": ..., "p99_ms": ..., "errors": 0, "loadavg": [1.2, 0.9, 0.7], "target_met": true}

``--trust-entries N`` turns the trust network on: before the server starts, the instance federates (through
``FederationService.sync``) a registry whose signed list holds N accreditations, the benchmark's did:key issuer
among them through a body, so every verification walks issuer -> body -> registry in the trust index (each
worker builds the index once, in the warm-up) and every answer must also say ``"vouched":true``. Run it beside
a plain run for the baseline.

Target (issue 6): at least 1,000 verifications a second with two workers, p99 under 50 ms. The load generator
shares the machine with the server (and ``loadavg`` shows what else ran), so the figure is a lower bound;
``--rounds`` repeats the measurement and the best round is printed last with ``"best": true``. A miss prints
``"target_met": false`` (the bench still exits 0).

Run: ``.venv/bin/python bench/verify_http.py [--seconds 5] [--rounds 3] [--workers 2] [--connections 4]
[--trust-entries 100000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from serving import free_port, loadavg, take_answer, wait_ready

TARGET_PER_SECOND = 1000
TARGET_P99_MS = 50.0
BENCH = Path(__file__).resolve().parent
PATH = "/credentials/verify"


def app_factory() -> Any:
    """The ASGI app from the environment's ``CAIRN_*`` settings (what ``uvicorn --factory`` calls per worker)."""
    from cairn.bootstrap import build, load_settings
    from cairn.web.app import create_app

    return create_app(build(load_settings()))


ISSUER_KEY_SEED = bytes(range(32))


def federate(settings: dict[str, str], entries: int) -> None:
    """Federate the instance of ``settings`` with a registry whose signed list holds ``entries`` accreditations, the
    benchmark's issuer among them (through a body): every verification then finds a chain in the trust index."""
    sys.path.insert(0, str(BENCH))
    from cairn.bootstrap import build
    from cairn.services.trust.federation import FederationService
    from cairn.settings import Settings
    from cairn.vc.dids import did_key
    from cairn.vc.fetch import Response
    from cairn.vc.keys import KeyPair, KeyType
    from trust import entries_for, registry_key, signed_list

    key = registry_key(9)
    registry = did_key(key.public)
    issuer = did_key(KeyPair.from_secret(KeyType.ED25519, ISSUER_KEY_SEED).public)
    started = datetime.now(UTC)
    body = signed_list(key, entries_for(registry, entries - 21, tag="r9", also=(issuer,)), valid_from=started)

    def fetch_list(url: str, *, etag: str | None, max_bytes: int, timeout: float) -> Response:
        return Response(url, body, "application/vc+ld+json")

    container = build(
        Settings(
            database_url=settings["CAIRN_DATABASE_URL"],
            secret_key=settings["CAIRN_SECRET_KEY"],
            base_url=settings["CAIRN_BASE_URL"],
        )
    )
    service = FederationService(
        container.database,
        clock=container.clock,
        network=container.trust,
        verification=container.verification,
        fetch_list=fetch_list,
        max_list_bytes=len(body) + 1,
    )
    url = "https://registry.example.eu/registries/big/trust-list"
    peer = service.add_peer(url, registry, "Registry", actor="bench")
    result = service.sync(peer.id, actor="bench")
    container.database.dispose()
    if result.outcome != "ok":
        raise SystemExit(f"the benchmark's trust list was not merged: {result.line()}")


def signed_bodies(count: int) -> list[bytes]:
    """``count`` request bodies, each an eddsa-jcs-2022 credential signed by a did:key issuer."""
    sys.path.insert(0, str(BENCH))
    from cairn.vc.dids import did_key
    from cairn.vc.issuance import issue
    from cairn.vc.keys import KeyPair, KeyType
    from vc import micro_credential

    key = KeyPair.from_secret(KeyType.ED25519, ISSUER_KEY_SEED)
    base = micro_credential()
    unsigned = dict(base, issuer=dict(base["issuer"], id=did_key(key.public)))
    created = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
    bodies = []
    for i in range(count):
        credential = dict(unsigned, id=f"urn:uuid:00000000-0000-4000-8000-{i:012d}")
        secured = issue(credential, key=key, suite="eddsa-jcs-2022", created=created)
        bodies.append(json.dumps({"verifiableCredential": secured}).encode())
    return bodies


def requests_for(bodies: list[bytes], port: int) -> list[bytes]:
    """Each body as a complete, pre-encoded HTTP/1.1 keep-alive request."""
    head = f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
    return [(head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body for body in bodies]


class _Connection(asyncio.Protocol):
    """One keep-alive connection: sends a request, reads the whole answer, checks it, sends the next."""

    def __init__(
        self,
        requests: list[bytes],
        offset: int,
        start: float,
        stop: float,
        done: asyncio.Future[None],
        expect: tuple[bytes, ...] = (b'"verified":true',),
    ):
        self.expect = expect
        self.requests = requests
        self.index = offset
        self.start = start
        self.stop = stop
        self.done = done
        self.latencies: list[float] = []
        self.errors = 0
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.sent_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not asyncio classes
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        request = self.requests[self.index % len(self.requests)]
        self.index += 1
        self.sent_at = time.perf_counter()
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        try:
            answer = take_answer(self.buffer)
        except ValueError:  # the server always sends Content-Length for these answers
            self._finish(ok=False)
            return
        if answer is None:
            return
        head, body = answer
        self._finish(ok=head.startswith(b"http/1.1 200 ") and all(marker in body for marker in self.expect))

    def _finish(self, *, ok: bool) -> None:
        now = time.perf_counter()
        if self.sent_at >= self.start and now <= self.stop:  # after the warm-up, inside the window
            self.latencies.append(now - self.sent_at)
            self.errors += 0 if ok else 1
        if not ok:
            self.buffer.clear()
        if now >= self.stop:
            assert self.transport is not None
            self.transport.close()
            return
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if time.perf_counter() < self.stop:
            self.errors += 1
        if not self.done.done():
            self.done.set_result(None)


async def _drive(
    port: int,
    requests: list[bytes],
    connections: int,
    offset: int,
    start: float,
    stop: float,
    expect: tuple[bytes, ...],
) -> Any:
    loop = asyncio.get_running_loop()
    protocols = []
    waits = []
    for n in range(connections):
        done: asyncio.Future[None] = loop.create_future()
        protocol = _Connection(requests, offset + n * 13, start, stop, done, expect)
        await loop.create_connection(lambda protocol=protocol: protocol, "127.0.0.1", port)  # type: ignore[misc]
        protocols.append(protocol)
        waits.append(done)
    await asyncio.wait_for(asyncio.gather(*waits), timeout=stop - time.perf_counter() + 30)
    return protocols


def _client(
    port: int,
    requests: list[bytes],
    connections: int,
    offset: int,
    start: float,
    stop: float,
    out: Any,
    expect: tuple[bytes, ...],
) -> None:
    """One load-generator process (uvloop when installed); reports latencies, errors and its own CPU time."""
    if importlib.util.find_spec("uvloop") is not None:
        import uvloop

        runner: Any = uvloop.run
    else:
        runner = asyncio.run
    cpu_before = time.process_time()
    protocols = runner(_drive(port, requests, connections, offset, start, stop, expect))
    cpu = time.process_time() - cpu_before
    latencies = [x for p in protocols for x in p.latencies]
    out.put((latencies, sum(p.errors for p in protocols), cpu))


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid``'s live children (the uvicorn workers)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # ppid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def measure(
    port: int,
    server_pid: int,
    requests: list[bytes],
    *,
    clients: int,
    connections: int,
    warmup: float,
    seconds: float,
    expect: tuple[bytes, ...] = (b'"verified":true',),
) -> dict[str, Any]:
    """One round: verifications a second, latency percentiles and CPU use over ``seconds`` after ``warmup``."""
    queue: Any = multiprocessing.Queue()
    start = time.perf_counter() + 0.5 + warmup  # perf_counter is system-wide (CLOCK_MONOTONIC) on Linux
    stop = start + seconds
    procs = [
        multiprocessing.Process(
            target=_client,
            args=(port, requests, connections, c * len(requests) // clients, start, stop, queue, expect),
        )
        for c in range(clients)
    ]
    for p in procs:
        p.start()
    time.sleep(max(0.0, start - time.perf_counter()))
    server_before = _tree_cpu(server_pid)
    time.sleep(max(0.0, stop - time.perf_counter()))
    server_cpu = _tree_cpu(server_pid) - server_before
    load = loadavg()
    latencies: list[float] = []
    errors = 0
    client_cpu = 0.0
    for _ in procs:
        lat, err, cpu = queue.get(timeout=stop - time.perf_counter() + 60)
        latencies.extend(lat)
        errors += err
        client_cpu += cpu
    for p in procs:
        p.join()
    latencies.sort()
    n = len(latencies)

    def pct(q: float) -> float | None:
        return round(latencies[min(n - 1, int(q * n))] * 1000, 2) if n else None

    per_second = n / seconds
    p99 = pct(0.99)
    return {
        "bench": "verify_http",
        "suite": "eddsa-jcs-2022",
        "concurrency": clients * connections,
        "requests": n,
        "seconds": seconds,
        "per_second": round(per_second, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": p99,
        "errors": errors,
        "server_cpu": round(server_cpu / seconds, 2),
        "client_cpu": round(client_cpu / (seconds + warmup + 0.5), 2),
        "loadavg": load,
        "target_met": per_second >= TARGET_PER_SECOND and p99 is not None and p99 < TARGET_P99_MS and errors == 0,
    }


def _server_command(port: int, workers: int) -> list[str]:
    command = [sys.executable, "-m", "uvicorn", "verify_http:app_factory", "--factory", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    if importlib.util.find_spec("httptools") is not None:
        command += ["--http", "httptools"]
    if importlib.util.find_spec("uvloop") is not None:
        command += ["--loop", "uvloop"]
    return command


def main() -> None:
    """Start the server, measure, print JSON lines, stop the server."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--clients", type=int, default=2, help="load-generator processes")
    parser.add_argument("--connections", type=int, default=4, help="keep-alive connections per client process")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured time per round")
    parser.add_argument("--warmup", type=float, default=1.5, help="warm-up time per round (not measured)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (the best is printed again last)")
    parser.add_argument("--credentials", type=int, default=200, help="distinct signed credentials to send")
    parser.add_argument(
        "--trust-entries", type=int, default=0, help="federate a registry list of this many entries (0: trust off)"
    )
    args = parser.parse_args()

    port = free_port()
    requests = requests_for(signed_bodies(args.credentials), port)
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "CAIRN_DATABASE_URL": f"sqlite:///{Path(tmp) / 'cairn.db'}",
            "CAIRN_BASE_URL": f"http://127.0.0.1:{port}",
            "CAIRN_SECRET_KEY": "bench-" + "x" * 40,
            "CAIRN_LOG_LEVEL": "warning",
            "PYTHONPATH": os.pathsep.join([str(BENCH), os.environ.get("PYTHONPATH", "")]),
        }
        migrate = "from cairn.bootstrap import build, load_settings; build(load_settings()).database.upgrade()"
        subprocess.run([sys.executable, "-c", migrate], env=env, check=True)
        expect: tuple[bytes, ...] = (b'"verified":true',)
        if args.trust_entries:
            federate(env, args.trust_entries)
            expect += (b'"vouched":true',)
        server = subprocess.Popen(_server_command(port, args.workers), env=env)
        try:
            wait_ready(port, time.monotonic() + 60)
            results = []
            for _ in range(args.rounds):
                result = measure(
                    port,
                    server.pid,
                    requests,
                    clients=args.clients,
                    connections=args.connections,
                    warmup=args.warmup,
                    seconds=args.seconds,
                    expect=expect,
                )
                result["workers"] = args.workers
                result["trust_entries"] = args.trust_entries
                result["cpus"] = os.cpu_count()
                results.append(result)
                print(json.dumps(result), flush=True)
            best = max(results, key=lambda r: (r["target_met"], r["per_second"]))
            print(json.dumps({**best, "best": True}), flush=True)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
