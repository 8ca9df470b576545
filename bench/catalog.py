"""Catalogue benchmark: validate and import the example catalogue repeatedly; prints JSON lines.

python bench/catalog.py
"""

from __future__ import annotations

import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from cairn.model.catalog import build_catalog
from cairn.services.catalog.service import CatalogService, read_files
from cairn.store.database import Database

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "catalog"


def main() -> None:
    files, _ = read_files([EXAMPLES])
    definitions = sum(1 for name, _ in files if "micro-credentials" in name)
    rounds = 200
    start = time.perf_counter()
    for _ in range(rounds):
        _, problems = build_catalog(files)
        assert not problems
    elapsed = time.perf_counter() - start
    print(json.dumps({"bench": "catalog_validate", "definitions_per_second": round(rounds * definitions / elapsed)}))

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        db.upgrade()
        service = CatalogService(db, clock=lambda: datetime.now(UTC))
        start = time.perf_counter()
        service.import_paths([EXAMPLES])
        first = time.perf_counter() - start
        start = time.perf_counter()
        service.import_paths([EXAMPLES])
        again = time.perf_counter() - start
        db.dispose()
    print(
        json.dumps(
            {
                "bench": "catalog_import",
                "database": "sqlite",
                "definitions": definitions,
                "first_import_ms": round(first * 1000, 1),
                "unchanged_import_ms": round(again * 1000, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
