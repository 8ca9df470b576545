"""The server's skill suggestion index: lexical answers at once, the full (multilingual) index built in a
background thread from a small ESCO release with the real encoder, published whole, switched to without
blocking a request, opened again by a second process, and rebuilt when the ESCO release changes."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from cairn.bootstrap import skills_index_folder
from cairn.services.careers.service import BUILDING, CareersService
from cairn.services.catalog.service import CatalogService
from cairn.settings import Settings
from cairn.skills.encoders import Encoder, UseEncoder
from cairn.skills.esco import EscoData
from cairn.skills.index import SkillIndex
from cairn.skills.labels import shipped_esco
from cairn.store.database import Database
from tests.factories import FixedClock

PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"
POLISH = "Student potrafi pisać programy w języku Python i analizować dane z nich"


@pytest.fixture(scope="module")
def small_esco() -> EscoData:
    """About 50 skills of the shipped extract, Python among them."""
    full = shipped_esco()
    uris = [PYTHON, *sorted(full.skills)[:49]]
    return EscoData("1.1.1", ("en",), {uri: full.skills[uri] for uri in uris})


@pytest.fixture
def db() -> Database:
    """An unused database: the index never touches it (no PostgreSQL variant needed)."""
    return Database("sqlite://")


class Gate:
    """An encoder factory that waits until opened (so the test sees the lexical phase) and counts calls."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.calls = 0

    def __call__(self) -> Encoder:
        self.calls += 1
        assert self.open.wait(60), "the test never opened the gate"
        return UseEncoder()


def service(database: Database, folder: Path, esco: EscoData, version: list[str], encoder: Gate) -> CareersService:
    return CareersService(
        database,
        catalog=CatalogService(database, clock=FixedClock()),
        index_folder=folder,
        esco_data=lambda: EscoData(version[0], esco.languages, esco.skills),
        esco_version=lambda: version[0],
        encoder=encoder,
        check_every=0.0,
    )


@pytest.mark.slow
def test_lexical_until_the_full_index_is_built_then_switch(db: Database, tmp_path: Path, small_esco: EscoData) -> None:
    folder = tmp_path / "data" / "skills-index"
    version = ["1.1.1"]
    gate = Gate()
    careers = service(db, folder, small_esco, version, gate)
    assert careers.start_background_build()
    # the build waits at the gate: requests get lexical answers at once, with a note
    english = careers.suggest("Write programs in Python", k=3)
    assert english.index == "lexical"
    assert english.skills[0].uri == PYTHON
    assert english.note == BUILDING
    polish = careers.suggest(POLISH, k=3)
    assert (polish.skills, polish.index) == ((), "lexical")
    assert polish.reason_message == BUILDING
    assert not (folder / "index.json").exists()
    gate.open.set()
    assert careers.wait_for_build(60)
    assert careers.build_error is None
    after = careers.suggest(POLISH, k=3)
    assert after.index == "full"
    assert after.note is None
    assert PYTHON in [s.uri for s in after.skills]
    meta = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    assert (meta["esco_version"], meta["encoder"]) == ("1.1.1", "use-multilingual-v3")
    # no temporary folder left behind; the builders' lock file stays (removing it would race another builder)
    assert sorted(p.name for p in folder.parent.iterdir()) == [".skills-index.lock", "skills-index"]

    # another process finds the published index: it opens it without building
    second_gate = Gate()
    second = service(db, folder, small_esco, version, second_gate)
    second.start_background_build()
    assert second.wait_for_build(60)
    assert second_gate.calls == 0
    assert second.suggest(POLISH, k=3).index == "full"

    # `cairn esco import` changed the release: the next request starts a rebuild and keeps answering meanwhile
    version[0] = "1.2.0"
    gate.open.clear()
    assert careers.suggest("Python", k=1).index == "full"  # the old index answers while the new one is built
    assert careers.building
    gate.open.set()
    assert careers.wait_for_build(60)
    assert careers.index().esco_version == "1.2.0"
    assert json.loads((folder / "index.json").read_text(encoding="utf-8"))["esco_version"] == "1.2.0"
    assert gate.calls == 2


def test_half_written_and_stale_indexes_are_not_opened(db: Database, tmp_path: Path, small_esco: EscoData) -> None:
    folder = tmp_path / "skills-index"
    lexical = SkillIndex.build(small_esco, encoder=None)
    lexical.save(folder)
    (folder / "index.json").unlink()  # as if the writer had stopped before its last file
    (tmp_path / ".skills-index.abc.tmp").mkdir()  # another process's build in progress
    careers = service(db, folder, small_esco, ["1.1.1"], Gate())
    assert careers.index() is not None
    assert careers.suggest("Python", k=1).skills[0].uri == PYTHON  # built in memory, not read from there

    SkillIndex.build(small_esco, encoder=None).publish(folder)
    stale = service(db, folder, small_esco, ["1.2.0"], Gate())
    assert stale._saved(full=False) is None  # the saved index is of ESCO 1.1.1, not 1.2.0
    fresh = service(db, folder, small_esco, ["1.1.1"], Gate())
    assert fresh._saved(full=False) is not None
    assert fresh._saved(full=True) is None  # lexical-only: the server still builds the full one


def test_publish_replaces_an_index_whole(tmp_path: Path, small_esco: EscoData) -> None:
    folder = tmp_path / "index"
    SkillIndex.build(small_esco, encoder=None).publish(folder)
    first = SkillIndex.load(folder)
    newer = EscoData("1.2.0", small_esco.languages, small_esco.skills)
    SkillIndex.build(newer, encoder=None).publish(folder)
    assert SkillIndex.load(folder).esco_version == "1.2.0"
    assert first.suggest("Python", k=1)[0].uri == PYTHON  # an index opened before still answers
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index"]


def test_no_background_build_without_an_encoder_or_a_folder(db: Database, tmp_path: Path) -> None:
    catalog = CatalogService(db, clock=FixedClock())
    assert not CareersService(db, catalog=catalog, index_folder=tmp_path).start_background_build()
    assert not CareersService(db, catalog=catalog, encoder=Gate()).start_background_build()
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}")
    assert skills_index_folder(settings) == tmp_path / "x-skills-index"
    assert skills_index_folder(settings.with_overrides(skills_index="none")) is None
    assert skills_index_folder(Settings(database_url="sqlite://")) is None


def test_an_index_built_without_the_shipped_adapter_is_built_again(
    db: Database, tmp_path: Path, small_esco: EscoData
) -> None:
    folder = tmp_path / "skills-index"
    SkillIndex.build(small_esco, encoder=UseEncoder(), adapter=None).publish(folder)  # as before the adapter shipped
    assert json.loads((folder / "index.json").read_text(encoding="utf-8"))["adapter"] is None
    gate = Gate()
    gate.open.set()
    careers = service(db, folder, small_esco, ["1.1.1"], gate)
    assert careers._saved(full=True) is None  # stale: the server builds the full index again
    assert careers.start_background_build()
    assert careers.wait_for_build(60)
    assert gate.calls == 1
    rebuilt = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    assert rebuilt["adapter"] is not None
    assert rebuilt["ranking"]["floor"] is not None
    assert careers._saved(full=True) is not None
    assert careers.suggest("Write programs in Python", k=5).skills[0].uri == PYTHON


def test_the_suggestion_api_path_applies_the_floor(db: Database, small_esco: EscoData) -> None:
    index = SkillIndex.build(small_esco, encoder=None)
    careers = CareersService(db, catalog=CatalogService(db, clock=FixedClock()), index=index)
    found = careers.suggest("Write programs in Python and manage a team", k=10).skills
    assert len(found) >= 2
    index.ranking = index.ranking.with_floor(found[0].score)
    kept = careers.suggest("Write programs in Python and manage a team", k=10).skills
    assert kept == tuple(s for s in found if s.score >= found[0].score)
    index.ranking = index.ranking.with_floor(found[0].score + 1)
    nothing = careers.suggest("Write programs in Python and manage a team", k=10)
    assert nothing.skills == ()
    assert nothing.reason == "no skill matched this text"


@pytest.mark.slow
def test_of_two_processes_starting_together_one_builds_and_the_other_opens_its_index(
    db: Database, tmp_path: Path, small_esco: EscoData
) -> None:
    """Two ``cairn serve`` processes on one fresh instance: each answers lexically at once, one builds the full
    index while the other waits for it (a lock beside the index folder) and then opens what it published, instead of
    both spending the same CPU seconds at the same moment."""
    folder = tmp_path / "data" / "skills-index"
    version = ["1.1.1"]
    gates = [Gate(), Gate()]
    first, second = (service(db, folder, small_esco, version, gate) for gate in gates)
    assert first.start_background_build()
    assert second.start_background_build()
    for careers in (first, second):
        assert careers.suggest("Write programs in Python", k=3).index == "lexical"
    for gate in gates:
        gate.open.set()
    assert first.wait_for_build(120)
    assert second.wait_for_build(120)
    assert sum(gate.calls for gate in gates) == 1, "both processes built the index"
    for careers in (first, second):
        assert careers.build_error is None
        found = careers.suggest(POLISH, k=3)
        assert found.index == "full"
        assert found.skills[0].uri == PYTHON


def test_a_file_system_without_locks_builds_without_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where ``flock`` is refused (some network file systems), ``building`` holds nothing and the build goes on, as
    it did before there was a lock; the lock is taken where it works."""
    import fcntl

    from cairn.skills.index import building

    folder = tmp_path / "skills-index"
    with building(folder):
        held = (tmp_path / ".skills-index.lock").open("a+b")
        with pytest.raises(BlockingIOError):  # another opener cannot take it meanwhile
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.close()

    def refused(*_args: object) -> None:
        raise OSError("flock not supported")

    monkeypatch.setattr(fcntl, "flock", refused)
    entered = False
    with building(folder):
        entered = True
    assert entered
    with building(None):  # no folder: nothing to hold
        entered = False
    assert not entered
