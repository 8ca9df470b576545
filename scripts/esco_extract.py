"""Build the compressed ESCO skills extract that ships inside Cairn (run by hand when ESCO changes).

    python scripts/esco_extract.py ../shared/data/esco/v1.1.1/en src/cairn/skills/data/esco-skills-en.tsv.gz

Keeps, for every released skill: the UUID of its concept URI, skill type, reuse level, preferred label and
alternative labels (joined with " | "). This service uses the ESCO classification of the European
Commission; see src/cairn/skills/data/NOTICE.txt.
"""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path

PREFIX = "http://data.europa.eu/esco/skill/"


def main(source: str, target: str) -> None:
    rows = []
    with (Path(source) / "skills_en.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            uri = row["conceptUri"]
            if not uri.startswith(PREFIX) or row.get("status", "released") != "released":
                continue
            alts = " | ".join(a.strip() for a in row["altLabels"].splitlines() if a.strip())
            fields = [
                uri.removeprefix(PREFIX),
                row["skillType"],
                row["reuseLevel"],
                row["preferredLabel"].strip(),
                alts,
            ]
            rows.append("\t".join(f.replace("\t", " ") for f in fields))
    rows.sort()
    with gzip.GzipFile(target, "wb", mtime=0, compresslevel=9) as out:
        out.write(("uuid\tskillType\treuseLevel\tpreferredLabel\taltLabels\n" + "\n".join(rows) + "\n").encode("utf-8"))
    print(f"{len(rows)} skills -> {target} ({Path(target).stat().st_size:,} bytes)")


if __name__ == "__main__":
    main(*sys.argv[1:3])
