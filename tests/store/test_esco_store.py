"""EscoStore: chunked replacement of a table, counts, releases, and the relation lookups by occupation and
by skill."""

from __future__ import annotations

import pytest

import cairn.store.careers.esco as esco_store
from cairn.store.careers.esco import EscoStore
from cairn.store.database import Database
from tests.factories import FixedClock

OCC = "http://data.europa.eu/esco/occupation/"
SKILL = "http://data.europa.eu/esco/skill/"


def _relations() -> list[dict[str, str]]:
    return [
        {"occupation_uri": OCC + "a", "skill_uri": SKILL + "1", "relation": "optional", "skill_type": "knowledge"},
        {"occupation_uri": OCC + "a", "skill_uri": SKILL + "2", "relation": "essential", "skill_type": ""},
        {"occupation_uri": OCC + "b", "skill_uri": SKILL + "1", "relation": "essential", "skill_type": ""},
        {"occupation_uri": OCC + "c", "skill_uri": SKILL + "3", "relation": "essential", "skill_type": ""},
    ]


def test_replace_in_chunks_and_look_up_both_ways(
    database: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(esco_store, "CHUNK", 3)  # four rows: two INSERT statements
    with database.transaction() as session:
        store = EscoStore(session)
        assert store.replace("occupation_skills", _relations()) == 4
        store.replace(
            "skills",
            [
                {
                    "uri": SKILL + "1",
                    "skill_type": "knowledge",
                    "reuse_level": "cross-sector",
                    "status": "released",
                    "labels": {"en": {"preferred": "statistics"}, "pl": {"preferred": "statystyka"}},
                }
            ],
        )
    with database.transaction() as session:
        store = EscoStore(session)
        assert store.counts()["occupation_skills"] == 4
        assert [r.skill_uri for r in store.skills_of_occupation(OCC + "a")] == [SKILL + "2", SKILL + "1"]
        found = store.occupations_of_skills([SKILL + "1", SKILL + "3", SKILL + "1"])
        assert [(r.occupation_uri, r.relation) for r in found] == [
            (OCC + "a", "optional"),
            (OCC + "b", "essential"),
            (OCC + "c", "essential"),
        ]
        skill = store.skill(SKILL + "1")
        assert skill is not None
        assert skill.labels["pl"]["preferred"] == "statystyka"
        assert store.skill(SKILL + "9") is None
        assert store.latest_release_id() is None
        # replacing drops the old rows
        store.replace("occupation_skills", _relations()[:1])
        assert store.counts()["occupation_skills"] == 1
        release = store.add_release(
            version="1.1.1", languages=["en"], parts=["skills"], counts={"skills": 1}, source="x" * 600, now=clock()
        )
        assert store.latest_release_id() == release.id
    with database.transaction() as session:
        [stored] = EscoStore(session).releases()
        assert (stored.version, stored.languages, len(stored.source)) == ("1.1.1", ["en"], 500)
        assert stored.imported_at == clock()
