"""Build the compressed ESCO extract that ships inside Cairn (run by hand when ESCO changes).

    python scripts/make_esco_extract.py ../shared/data/esco src/cairn/skills/data/esco

Writes a folder of ESCO-layout CSV files, xz-compressed and keeping only the columns Cairn reads, so that
``cairn esco import --shipped`` reads it with the same code as the official download:

- ``en/``: from ESCO v1.1.1 (English, complete): skills (type, reuse level, labels, description), skill groups,
  the skills hierarchy, the skill collections, occupations (ISCO group, labels, description), ISCO groups,
  the occupation hierarchy and the occupation-skill relations;
- ``pl/``: from ESCO v1.2.1 (Polish): the labels of the occupations, ISCO groups and skill groups that v1.1.1
  has, and the Polish labels of v1.1.1's skills that v1.2.1's Polish skill collections give (that download has no
  ``skills_pl.csv``; the loader reads a language's collection files as skill labels when its skills file is
  absent).

This service uses the ESCO classification of the European Commission; see src/cairn/skills/data/NOTICE.txt.
"""

from __future__ import annotations

import csv
import io
import lzma
import sys
from collections.abc import Iterable
from pathlib import Path

# file base name -> columns kept
EN_FILES: dict[str, tuple[str, ...]] = {
    "skills": ("conceptUri", "skillType", "reuseLevel", "preferredLabel", "altLabels", "status", "description"),
    "skillGroups": ("conceptUri", "code", "preferredLabel", "altLabels", "description"),
    "broaderRelationsSkillPillar": ("conceptUri", "broaderUri"),
    "occupations": ("conceptUri", "code", "iscoGroup", "preferredLabel", "altLabels", "description"),
    "ISCOGroups": ("conceptUri", "code", "preferredLabel", "altLabels"),
    "broaderRelationsOccPillar": ("conceptUri", "broaderUri"),
    "occupationSkillRelations": ("occupationUri", "relationType", "skillType", "skillUri"),
}
COLLECTIONS = ("digital", "digComp", "green", "language", "research", "transversal")
PL_FILES: dict[str, tuple[str, ...]] = {
    "occupations": ("conceptUri", "code", "iscoGroup", "preferredLabel", "altLabels"),
    "ISCOGroups": ("conceptUri", "code", "preferredLabel", "altLabels"),
    "skillGroups": ("conceptUri", "code", "preferredLabel", "altLabels"),
}
PL_COLLECTION_COLUMNS = ("conceptUri", "preferredLabel", "altLabels")


def _read(path: Path, columns: Iterable[str], keep: set[str] | None = None) -> list[list[str]]:
    cols = tuple(columns)
    key = cols[0]
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = [[row[c] or "" for c in cols] for row in csv.DictReader(fh) if keep is None or row[key] in keep]
    return sorted(rows)


def _write(target: Path, columns: Iterable[str], rows: list[list[str]]) -> int:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(columns))
    writer.writerows(rows)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(lzma.compress(buffer.getvalue().encode("utf-8"), preset=9 | lzma.PRESET_EXTREME))
    return target.stat().st_size


def main(source: str, target: str) -> None:
    en = Path(source) / "v1.1.1" / "en"
    pl = Path(source) / "v1.2.1_partial" / "pl"
    out = Path(target)
    total = 0
    uris: dict[str, set[str]] = {}
    for base, cols in EN_FILES.items():
        rows = _read(en / f"{base}_en.csv", cols)
        uris[base] = {row[0] for row in rows}
        size = _write(out / "en" / f"{base}_en.csv.xz", cols, rows)
        total += size
        print(f"en/{base}: {len(rows)} rows, {size:,} bytes")
    for name in COLLECTIONS:
        base = f"{name}SkillsCollection"
        rows = _read(en / f"{base}_en.csv", ("conceptUri",))
        total += _write(out / "en" / f"{base}_en.csv.xz", ("conceptUri",), rows)
        print(f"en/{base}: {len(rows)} rows")
    for base, cols in PL_FILES.items():
        rows = _read(pl / f"{base}_pl.csv", cols, keep=uris[base])
        size = _write(out / "pl" / f"{base}_pl.csv.xz", cols, rows)
        total += size
        print(f"pl/{base}: {len(rows)} rows, {size:,} bytes")
    for name in COLLECTIONS:
        base = f"{name}SkillsCollection"
        rows = _read(pl / f"{base}_pl.csv", PL_COLLECTION_COLUMNS, keep=uris["skills"])
        size = _write(out / "pl" / f"{base}_pl.csv.xz", PL_COLLECTION_COLUMNS, rows)
        total += size
        print(f"pl/{base}: {len(rows)} rows, {size:,} bytes")
    print(f"total {total:,} bytes in {out}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
