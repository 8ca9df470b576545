"""European Digital Credential verification speed: the EU's signed micro-credential sample, cold and warm.

    .venv/bin/python bench/elm.py [--rounds 5]

Verifies ``Sample-MC-Annex1-signed.jsonld`` (../shared/data/elm) with :func:`cairn.vc.formats.elm.verify_elm`:
once in a fresh process (``cold_ms``: the SHACL shapes are parsed and compiled on first use) and then
``--rounds`` times (``warm_ms``, the median), and prints::

    {"bench": "elm_verify", "verdict": "Verified with warnings", "cold_ms": X, "warm_ms": Y,
     "budget_ms": 2000, "within_budget": true}

Budget: one verification within 2 s, cold. It was once asserted in tests/vc/test_elm.py, where a loaded
machine made it fail at random; the test now checks the report, and this script reports the speed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from cairn.vc.formats.elm import verify_elm

SAMPLE = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "elm/european-learning-model/Credentials/JSON-LD Examples (ELM v3)/Sample-MC-Annex1-signed.jsonld"
)
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
BUDGET_MS = 2000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not args.sample.is_file():
        print(json.dumps({"bench": "elm_verify", "skipped": f"{args.sample} is absent"}))
        return 0
    jws = json.loads(args.sample.read_text(encoding="utf-8"))
    started = time.perf_counter()
    report = verify_elm(jws, now=NOW)
    cold_ms = (time.perf_counter() - started) * 1000
    warm: list[float] = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        verify_elm(jws, now=NOW)
        warm.append((time.perf_counter() - started) * 1000)
    print(
        json.dumps(
            {
                "bench": "elm_verify",
                "verdict": report.verdict,
                "cold_ms": round(cold_ms),
                "warm_ms": round(statistics.median(warm), 1),
                "budget_ms": BUDGET_MS,
                "within_budget": cold_ms <= BUDGET_MS,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
