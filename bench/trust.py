"""Trust network benchmarks: who-vouches lookups across federated registries, and syncing a big trust list.

    .venv/bin/python bench/trust.py [--issuers 100000] [--lookups 20000] [--entries 100000]

Prints one JSON line per part:

``lookup``
    Three federated registries (their lists held as a sync leaves them) accredit 100,000 issuers in all, each
    through a body (issuer -> body -> registry root). Builds the :class:`~cairn.services.trust.network.TrustIndex`
    (``build_ms``) and times ``TrustIndex.vouch`` for random issuers with a scoped credential claim:
    ``p50_us``, ``p99_us``. Budget: p99 under 1 ms, in process.
``sync``
    A registry's signed trust list of 100,000 entries (Cairn's own entry form, an eddsa-jcs-2022 proof by a
    did:key) served by a real HTTP server on loopback; a fresh child process with a migrated SQLite instance
    federates it and runs one sync through ``FederationService.sync`` (conditional GET, size limit, the whole
    verification, the subtree rule, storing). ``sync_s`` and ``peak_rss_growth_mb`` (the child's peak RSS less
    its RSS just before the sync: the peak, VmHWM, is reset first through /proc/self/clear_refs, so start-up
    does not count; ``resource.getrusage`` where that is not possible) against budgets of 30 s and 300 MB;
    then the index rebuild that the next verification pays (``index_ms``, and the growth including it).
    ``list_mb`` is the list's size: ``max_list_bytes`` is raised above the 32 MiB default when the list needs it.

The throughput of verification with trust on is ``bench/verify_http.py --trust-entries 100000``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import random
import resource
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cairn.model.trust import Accreditation, LegalIdentity, Scope
from cairn.services.trust.network import RegistryInfo, build_index
from cairn.vc.dids import did_key
from cairn.vc.issuance import issue
from cairn.vc.keys import KeyPair, KeyType

BUDGET_LOOKUP_P99_US = 1000
BUDGET_SYNC_S = 30
BUDGET_SYNC_MB = 300
NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
CONTEXTS = ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/undefined-terms/v2"]
DEFAULT_MAX = 33_554_432


def registry_key(number: int) -> KeyPair:
    """Registry ``number``'s signing key (a did:key: its lists verify without fetching a DID document)."""
    return KeyPair.from_secret(KeyType.ED25519, bytes([100 + number]) * 32)


def entries_for(
    registry: str, issuers: int, *, bodies: int = 20, tag: str = "r0", also: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """A registry's list entries as Cairn publishes them: ``bodies`` bodies accredited by ``registry`` (ISCED-F
    06, EQF 4-7), and ``issuers`` issuers spread over them (ISCED-F 061), each an Accreditation in its JSON form.
    ``also``: more issuer DIDs accredited by the first body (a bench's own issuer)."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    body_dids = [f"did:web:quality-{tag}-{b}.example.eu" for b in range(bodies)]
    out = [
        Accreditation(
            id=f"urn:uuid:00000000-0000-4000-8{tag[-1]}00-{b:012d}",
            kind="body",
            subjects=(did,),
            identity=LegalIdentity(f"Quality Agency {tag}-{b}", "PL", (("national", f"KRS {b:010d}"),)),
            scope=Scope(isced=("06",), eqf=(4, 5, 6, 7)),
            accredited_by=registry,
            valid_from=start,
            accreditor_name=f"Ministry {tag}",
        ).to_dict()
        for b, did in enumerate(body_dids)
    ]
    subjects = [f"did:web:school-{tag}-{i}.example.eu" for i in range(issuers)] + list(also)
    for i, subject in enumerate(subjects):
        body = 0 if i >= issuers else i % bodies
        out.append(
            Accreditation(
                id=f"urn:uuid:{i:08d}-0000-4000-9{tag[-1]}00-{body:012d}",
                kind="issuer",
                subjects=(subject,),
                identity=LegalIdentity(f"School {tag}-{i}", "PL", (("national", f"REGON {i:09d}"),)),
                scope=Scope(isced=("061",)),
                accredited_by=body_dids[body],
                valid_from=start,
                accreditor_name=f"Quality Agency {tag}-{body}",
            ).to_dict()
        )
    return out


def signed_list(
    key: KeyPair,
    entries: list[dict[str, Any]],
    *,
    url: str = "https://registry.example.eu/list",
    valid_from: datetime = NOW - timedelta(hours=1),
) -> bytes:
    """``entries`` as a registry's signed trust list (VC 2.0 TrustList, eddsa-jcs-2022, valid for a week from
    ``valid_from``), compact JSON bytes."""
    import orjson

    did = did_key(key.public)
    document = {
        "@context": CONTEXTS,
        "id": url,
        "type": ["VerifiableCredential", "TrustList"],
        "issuer": {"id": did, "name": "Ministry"},
        "validFrom": valid_from.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "validUntil": (valid_from + timedelta(days=7)).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "credentialSubject": {"id": url.rsplit("/", 1)[0], "accreditations": entries},
    }
    signed = issue(document, key=key, suite="eddsa-jcs-2022", created=valid_from)
    return bytes(orjson.dumps(signed))


# -- (a) lookups -------------------------------------------------------------------------------------------------


def lookup(issuers: int, lookups: int) -> dict[str, Any]:
    per = issuers // 3
    peers = []
    all_issuers: list[str] = []
    for number in range(3):
        did = did_key(registry_key(number).public)
        count = per if number < 2 else issuers - 2 * per
        entries = entries_for(did, count, tag=f"r{number}")
        all_issuers += [e["subjects"][0] for e in entries if e["kind"] == "issuer"]
        info = RegistryInfo(f"https://registry-{number}.example.eu/list", did, f"Registry {number}", len(entries))
        peers.append((RegistryInfo(info.url, did, info.name, info.entries, NOW, NOW + timedelta(days=7)), entries))
    started = time.perf_counter()
    index = build_index(1, local=[], peers=peers, anchors={}, now=NOW)
    build_ms = (time.perf_counter() - started) * 1000
    credential = {
        "validFrom": "2026-05-04T09:30:00Z",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "credentialSubject": {"achievement": {"eqfLevel": "http://data.europa.eu/snb/eqf/5", "iscedFieldCode": "0613"}},
    }
    chosen = random.Random(7).choices(all_issuers, k=lookups)
    timings = []
    vouched = 0
    for issuer in chosen:
        started = time.perf_counter()
        answer = index.vouch([issuer], credential, NOW)
        timings.append(time.perf_counter() - started)
        vouched += answer.vouched
    timings.sort()
    p99 = timings[int(0.99 * (len(timings) - 1))] * 1e6
    return {
        "bench": "trust_lookup",
        "registries": 3,
        "issuers": issuers,
        "accreditations": index.size,
        "lookups": lookups,
        "vouched": vouched,
        "build_ms": round(build_ms),
        "p50_us": round(statistics.median(timings) * 1e6, 1),
        "p99_us": round(p99, 1),
        "budget_p99_us": BUDGET_LOOKUP_P99_US,
        "within_budget": p99 < BUDGET_LOOKUP_P99_US and vouched == lookups,
    }


# -- (b) syncing a big list --------------------------------------------------------------------------------------


def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    """The peak RSS since :func:`_reset_peak` (VmHWM), else since the process started (``getrusage``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _reset_peak() -> None:
    """Start the peak RSS (VmHWM) afresh from the current RSS (Linux 4.0 and later), so what came before the
    measured step (imports, migrations) does not count."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _serve(body: bytes) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            etag = '"bench-list"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/vc+ld+json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def _sync_child(url: str, did: str, database: str, max_bytes: int, out: Any) -> None:
    """In a fresh process: a migrated instance federating ``url``; one sync, then the index rebuild."""
    from cairn.bootstrap import build
    from cairn.settings import Settings

    settings = Settings(
        database_url=database,
        secret_key="bench-" + "x" * 40,
        base_url="https://cairn.example",
        fetch_allow_private=True,
        registry_list_max_bytes=max_bytes,
        registry_sync_minutes=0,
    )
    container = build(settings, clock=lambda: NOW)
    container.database.upgrade()
    peer = container.federation.add_peer(url, did, "Big registry", actor="bench")
    container.trust.index()  # warm: the index of an instance with no list yet
    peak_before = _peak_mb()
    _reset_peak()
    before = _rss_mb()
    started = time.perf_counter()
    result = container.federation.sync(peer.id, actor="bench")
    sync_s = time.perf_counter() - started
    sync_peak = _peak_mb()
    started = time.perf_counter()
    index = container.trust.index()
    index_ms = (time.perf_counter() - started) * 1000
    again = container.federation.sync(peer.id, actor="bench")
    out.put(
        {
            "outcome": result.outcome,
            "reason": result.reason,
            "entries": result.entries,
            "indexed": index.size,
            "sync_s": sync_s,
            "growth": sync_peak - before,
            "rss_before": before,
            "peak_before": peak_before,
            "index_ms": index_ms,
            "growth_with_index": _peak_mb() - before,
            "second": again.outcome,
        }
    )


def sync(entries: int) -> dict[str, Any]:
    key = registry_key(9)
    did = did_key(key.public)
    body = signed_list(key, entries_for(did, entries - 20, tag="r9"))
    max_bytes = max(DEFAULT_MAX, len(body) + 2**20)
    httpd = _serve(body)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/registries/big/trust-list"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            queue: Any = multiprocessing.get_context("spawn").Queue()
            child = multiprocessing.get_context("spawn").Process(
                target=_sync_child, args=(url, did, f"sqlite:///{Path(tmp) / 'c.db'}", max_bytes, queue)
            )
            child.start()
            measured = queue.get(timeout=600)
            child.join()
    finally:
        httpd.shutdown()
        httpd.server_close()
    return {
        "bench": "trust_sync",
        "entries": entries,
        "list_mb": round(len(body) / 2**20, 1),
        "max_list_bytes": max_bytes,
        "outcome": measured["outcome"],
        "reason": measured["reason"],
        "accepted": measured["entries"],
        "second_sync": measured["second"],
        "sync_s": round(measured["sync_s"], 2),
        "peak_rss_growth_mb": round(measured["growth"]),
        "rss_before_mb": round(measured["rss_before"]),
        "peak_before_mb": round(measured["peak_before"]),
        "index_ms": round(measured["index_ms"]),
        "peak_rss_growth_with_index_mb": round(measured["growth_with_index"]),
        "budget_s": BUDGET_SYNC_S,
        "budget_mb": BUDGET_SYNC_MB,
        "within_budget": measured["outcome"] == "ok"
        and measured["sync_s"] < BUDGET_SYNC_S
        and measured["growth"] < BUDGET_SYNC_MB,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--issuers", type=int, default=100_000, help="accredited issuers across three registries")
    parser.add_argument("--lookups", type=int, default=20_000, help="timed vouch lookups")
    parser.add_argument("--entries", type=int, default=100_000, help="entries of the synced list")
    parser.add_argument("--only", choices=["lookup", "sync"], help="run one part")
    args = parser.parse_args()
    if args.only in (None, "lookup"):
        print(json.dumps(lookup(args.issuers, args.lookups)), flush=True)
    if args.only in (None, "sync"):
        print(json.dumps(sync(args.entries)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
