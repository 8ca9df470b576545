"""Small ESCO folders written from a few rows, and a deterministic fake encoder."""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from cairn.skills.esco import EscoData, load_esco

SKILL = "http://data.europa.eu/esco/skill/"
OCC = "http://data.europa.eu/esco/occupation/"

SKILLS_HEADER = [
    "conceptType", "conceptUri", "skillType", "reuseLevel", "preferredLabel", "altLabels", "hiddenLabels",
    "status", "modifiedDate", "scopeNote", "definition", "inScheme", "description",
]  # fmt: skip

#: (id, type, reuse level, preferred label, alternative labels, description)
SKILL_ROWS = [
    ("js", "knowledge", "sector-specific", "JavaScript", ["JS", "ECMAScript"], "A scripting language."),
    ("py", "knowledge", "sector-specific", "Python (computer programming)", ["Python"], "A language."),
    ("web", "skill/competence", "cross-sector", "develop web applications", ["build websites"], "Make sites."),
    ("team", "skill/competence", "transversal", "work in teams", ["teamwork", "collaborate"], "Cooperate."),
    ("staff", "skill/competence", "cross-sector", "manage staff", ["lead employees"], "Lead people."),
    ("bake", "skill/competence", "occupation-specific", "bake bread", ["make bread"], "Bake loaves."),
    ("recycle", "skill/competence", "cross-sector", "recycle waste", ["sort waste"], "Reuse things."),
    ("sql", "knowledge", "sector-specific", "SQL", ["structured query language"], "Query databases."),
]

COLLECTIONS = {"digital": ["js", "py", "web", "sql"], "green": ["recycle"], "transversal": ["team"]}


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Write a UTF-8 CSV file with a header row (multi-value cells newline-separated, as ESCO does)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_esco(folder: Path, *, lang: str = "en", v12: bool = False) -> Path:
    """A complete but tiny ESCO release in ``folder`` (v1.1 layout, or v1.2 with its extra columns)."""
    rows = [
        ["KnowledgeSkillCompetence", SKILL + sid, kind, reuse, label, "\n".join(alts), "", "released", "",
         "", "", "", desc]
        for sid, kind, reuse, label, alts, desc in SKILL_ROWS
    ]  # fmt: skip
    write_csv(folder / f"skills_{lang}.csv", SKILLS_HEADER, rows)
    write_csv(
        folder / f"skillGroups_{lang}.csv",
        ["conceptType", "conceptUri", "preferredLabel", "altLabels", "code"],
        [["SkillGroup", SKILL + "g-ict", "ICT", "", "06"]],
    )
    write_csv(
        folder / f"broaderRelationsSkillPillar_{lang}.csv",
        ["conceptType", "conceptUri", "broaderType", "broaderUri"],
        [["KnowledgeSkillCompetence", SKILL + sid, "SkillGroup", SKILL + "g-ict"] for sid in ("js", "py")],
    )
    for name, ids in COLLECTIONS.items():
        write_csv(
            folder / f"{name}SkillsCollection_{lang}.csv",
            ["conceptType", "conceptUri", "preferredLabel", "altLabels"],
            [["KnowledgeSkillCompetence", SKILL + sid, sid, "a | b"] for sid in ids],
        )
    occ_header = ["conceptType", "conceptUri", "iscoGroup", "preferredLabel", "altLabels", "code"]
    occ_rows = [["Occupation", OCC + "dev", "2512", "software developer", "programmer", "2512.1"]]
    if v12:
        occ_header.append("naceCode")
        occ_rows[0].append("J62")
    write_csv(folder / f"occupations_{lang}.csv", occ_header, occ_rows)
    write_csv(
        folder / f"ISCOGroups_{lang}.csv",
        ["conceptType", "conceptUri", "code", "preferredLabel"],
        [["ISCOGroup", "http://data.europa.eu/esco/isco/C2512", "2512", "Software developers"]],
    )
    rel_header = ["occupationUri", "relationType", "skillType", "skillUri"]
    rel_rows = [[OCC + "dev", "essential", "knowledge", SKILL + "js"], [OCC + "dev", "optional", "", SKILL + "sql"]]
    if v12:
        rel_header = ["occupationUri", "occupationLabel", "relationType", "skillType", "skillUri", "skillLabel"]
        rel_rows = [[r[0], "software developer", r[1], r[2], r[3], "x"] for r in rel_rows]
    write_csv(folder / f"occupationSkillRelations_{lang}.csv", rel_header, rel_rows)
    return folder


@pytest.fixture
def esco_dir(tmp_path: Path) -> Path:
    """A tiny ESCO v1.1.1 release (English) in a temporary folder."""
    return write_esco(tmp_path / "ESCO dataset - v1.1.1 - classification - en - csv")


@pytest.fixture
def esco(esco_dir: Path) -> EscoData:
    """The tiny release, loaded."""
    return load_esco(esco_dir)


class FakeEncoder:
    """Deterministic bag-of-words hashing vectors: texts sharing words get similar vectors."""

    name = "fake-hashing"
    dim = 64

    def _vector(self, text: str) -> NDArray[np.float32]:
        vector = np.zeros(self.dim, dtype=np.float32)
        for word in re.findall(r"\w+", text.casefold()):
            digest = hashlib.sha256(word.encode()).digest()
            vector[digest[0] % self.dim] += 1.0 if digest[1] % 2 else -1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def encode_queries(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_passages(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return self.encode_queries(texts)


@pytest.fixture
def fake_encoder() -> FakeEncoder:
    """A fresh fake encoder."""
    return FakeEncoder()
