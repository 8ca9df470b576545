"""EscoService: importing an ESCO folder (complete release, extra language), idempotence, replacement by a
newer release, all-or-nothing on bad input, reading back, occupation search, and the demo's shipped import."""

from __future__ import annotations

import csv
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cairn.errors import InputError
from cairn.services.careers.esco import EscoService, version_key
from cairn.services.demo.instance import seed_esco
from cairn.skills.esco import EscoData
from cairn.store.careers.esco import ESCO_TABLES, EscoStore
from cairn.store.database import Database
from tests.factories import FixedClock, cut_polish, cut_release, write_rows


def _dump(database: Database) -> dict[str, list[dict[str, object]]]:
    with database.transaction() as session:
        store = EscoStore(session)
        return {name: sorted(store.all(name), key=repr) for name in ESCO_TABLES}


@pytest.fixture
def esco(database: Database, clock: FixedClock) -> EscoService:
    return EscoService(database, clock=clock)


def test_import_a_release_and_read_it_back(esco: EscoService, tmp_path: Path) -> None:
    folder = cut_release(tmp_path)
    messages: list[str] = []
    summary = esco.import_folder(folder, progress=messages.append)
    assert summary.version == "1.1.1"
    assert summary.languages == ("en",)
    assert summary.counts["occupations"] == 12
    assert summary.counts["occupation_skills"] > 100
    assert summary.counts["skills"] > 50
    assert any("relations" in m for m in messages)
    assert esco.version() == "1.1.1"
    [release] = esco.releases()
    assert release.languages == ("en",)
    assert release.counts == summary.counts

    data = esco.data()
    assert data.version == "1.1.1"
    assert len(data.skills) == summary.counts["skills"]
    assert len(data.occupation_skills) == summary.counts["occupation_skills"]
    assert {"essential", "optional"} == {r.relation for r in data.occupation_skills}
    with_broader = [s for s in data.skills.values() if s.broader]
    assert with_broader
    assert any(set(s.broader) & set(data.skill_groups) for s in with_broader)
    assert data.collections.get("transversal") or data.collections.get("digital")
    for name, uris in data.collections.items():
        assert all(name in data.skills[u].collections for u in uris if u in data.skills)
    occupation = next(iter(data.occupations.values()))
    assert occupation.isco_group
    assert occupation.code.startswith(occupation.isco_group)
    assert occupation.labels["en"].preferred
    assert len(data.isco_groups) == 619
    assert esco.data() is data  # cached until the next import

    skill = esco.skill(data.occupation_skills[0].skill_uri)
    assert skill is not None
    assert skill.skill_type in {"skill/competence", "knowledge"}
    assert skill.labels["en"].description
    assert esco.skill("http://data.europa.eu/esco/skill/nope") is None


def test_requests_that_meet_a_cold_cache_read_the_release_once(
    esco: EscoService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every page that names a skill reads the stored release (its labels): the requests that arrive together
    after a start or an import wait for one read of it, not one each."""
    esco.import_folder(cut_release(tmp_path, occupations=2))
    fresh = EscoService(esco.database, clock=esco.clock)
    reads = []
    read = EscoService._read

    def slow_read(self: EscoService, store: EscoStore) -> EscoData:
        reads.append(store)
        time.sleep(0.3)  # long enough for the other requests to arrive meanwhile
        return read(self, store)

    monkeypatch.setattr(EscoService, "_read", slow_read)
    with ThreadPoolExecutor(4) as pool:
        found = list(pool.map(lambda _: fresh.data(), range(4)))
    assert len(reads) == 1
    assert all(data is found[0] for data in found)


def test_importing_twice_leaves_the_same_rows(esco: EscoService, database: Database, tmp_path: Path) -> None:
    folder = cut_release(tmp_path)
    esco.import_folder(folder)
    first = _dump(database)
    esco.import_folder(folder)
    assert _dump(database) == first
    assert len(esco.releases()) == 2


def test_polish_occupations_merge_into_the_english_ones(esco: EscoService, tmp_path: Path) -> None:
    esco.import_folder(cut_release(tmp_path))
    summary = esco.import_folder(cut_polish(tmp_path))
    assert summary.version == "1.2.1"
    assert summary.counts["occupations"] == 12  # labels merged; no Polish-only occupations added
    assert esco.version() == "1.1.1"  # the skills are still v1.1.1
    data = esco.data()
    assert data.languages == ("en", "pl")
    occupation = next(iter(data.occupations.values()))
    assert set(occupation.labels) == {"en", "pl"}
    assert occupation.labels["en"].description  # English kept

    polish = occupation.labels["pl"].preferred
    found = esco.search_occupations(polish, language="pl")
    assert found[0].uri == occupation.uri
    assert found[0].label == polish
    english = esco.search_occupations(occupation.labels["en"].preferred.upper(), language="en", limit=3)
    assert english[0].uri == occupation.uri
    assert esco.search_occupations("   ") == []
    assert esco.search_occupations("zzzqqq") == []
    assert esco.search_occupations(polish, language="de") == []


def test_polish_partial_download_merges(esco: EscoService, tmp_path: Path, shared_data: Path) -> None:
    esco.import_folder(cut_release(tmp_path))
    esco.import_folder(shared_data / "esco" / "v1.2.1_partial" / "pl")
    data = esco.data()
    assert all("pl" in o.labels for o in data.occupations.values())
    assert esco.search_occupations(next(iter(data.occupations.values())).labels["pl"].preferred, language="pl")
    # The Polish download has no skills file: its collections label the skills they hold, and its skill groups
    # their groups; English stays, and no skill comes from labels alone.
    polish = {uri for uri, skill in data.skills.items() if "pl" in skill.labels}
    assert polish
    assert all("en" in data.skills[uri].labels for uri in polish)
    assert all("pl" in group.labels and "en" in group.labels for group in data.skill_groups.values())
    assert set(data.skills) == set(esco.data().skills)


def test_a_newer_release_replaces_concepts_but_keeps_dropped_ones(esco: EscoService, tmp_path: Path) -> None:
    old = cut_release(tmp_path / "old", occupations=12)
    esco.import_folder(old)
    before = esco.data()
    new = cut_release(tmp_path / "new", occupations=6, version="1.2.0")
    skills_file = new / "skills_en.csv"
    with skills_file.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    renamed = rows[0]["conceptUri"]
    rows[0]["preferredLabel"] = "a renamed skill"
    write_rows(skills_file, list(rows[0]), rows)
    summary = esco.import_folder(new)
    assert summary.version == "1.2.0"
    assert esco.version() == "1.2.0"
    after = esco.data()
    assert after.skills[renamed].preferred_label == "a renamed skill"
    assert set(after.skills) == set(before.skills)  # ESCO URIs are kept for good
    assert set(after.occupations) == set(before.occupations)
    assert {r.occupation_uri for r in after.occupation_skills} < {r.occupation_uri for r in before.occupation_skills}


@pytest.mark.parametrize(
    ("damage", "named"),
    [
        (lambda f: (f / "occupationSkillRelations_en.csv").unlink(), "occupationSkillRelations_en.csv"),
        (lambda f: (f / "ISCOGroups_en.csv").unlink(), "ISCOGroups_en.csv"),
        (
            lambda f: (f / "occupations_en.csv").write_text("conceptUri,preferredLabel,altLabels\nx,y,z\n"),
            "iscoGroup",
        ),
        (lambda f: (f / "skills_en.csv").write_bytes(b"conceptUri,skillType\n\xff\xfe\n"), "skills_en.csv"),
    ],
)
def test_a_bad_folder_names_the_problem_and_changes_nothing(
    esco: EscoService, database: Database, tmp_path: Path, damage: object, named: str
) -> None:
    esco.import_folder(cut_release(tmp_path / "good"))
    before = _dump(database)
    broken = cut_release(tmp_path / "bad", occupations=3, version="1.2.0")
    damage(broken)  # type: ignore[operator]
    with pytest.raises(InputError, match=named):
        esco.import_folder(broken)
    assert _dump(database) == before
    assert len(esco.releases()) == 1


def test_a_folder_without_skills_or_occupations_is_refused(esco: EscoService, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match="neither skills"):
        esco.import_folder(tmp_path)
    with pytest.raises(InputError, match="not found"):
        esco.import_folder(tmp_path / "nowhere")


def test_a_failure_while_writing_rolls_everything_back(
    esco: EscoService, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    esco.import_folder(cut_release(tmp_path / "a", occupations=3))
    before = _dump(database)
    original = EscoStore.replace

    def failing(self: EscoStore, name: str, rows: object) -> int:
        if name == "occupation_skills":
            raise RuntimeError("disk full")
        return original(self, name, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(EscoStore, "replace", failing)
    with pytest.raises(RuntimeError):
        esco.import_folder(cut_release(tmp_path / "b", occupations=8, version="1.2.0"))
    assert _dump(database) == before
    assert esco.version() == "1.1.1"


@pytest.mark.slow
def test_the_demo_imports_the_shipped_extract_once(esco: EscoService, database: Database) -> None:
    if database.dialect != "sqlite":
        pytest.skip("the full shipped import runs once, on SQLite, to keep the suite quick")
    assert esco.version() is None
    summary = seed_esco(esco)
    assert summary is not None
    assert summary.counts["skills"] == 13_896
    assert summary.counts["occupations"] == 3_007
    assert summary.counts["occupation_skills"] == 123_855
    assert summary.languages == ("en", "pl")
    assert seed_esco(esco) is None
    data = esco.data()
    assert {"digital", "green", "transversal", "language"} <= set(data.collections)
    assert esco.search_occupations("programista", language="pl")
    assert esco.search_occupations("software developer")[0].label == "software developer"
    polish = [skill for skill in data.skills.values() if "pl" in skill.labels]
    assert len(polish) == 2_235  # the v1.1.1 skills that ESCO v1.2.1's Polish collections label
    assert all("pl" in group.labels for group in data.skill_groups.values())


def test_version_key_orders_releases() -> None:
    assert version_key("1.2.1") > version_key("1.1.1") > version_key("1.1") > version_key(None)
