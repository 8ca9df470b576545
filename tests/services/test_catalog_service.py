"""Catalogue import on SQLite and PostgreSQL: all or nothing, idempotent, versioned."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from cairn.errors import CatalogError, ConflictError
from cairn.services.catalog.service import CatalogService
from cairn.store.audit import AuditRepository
from cairn.store.database import Database
from cairn.store.tables import AuditEntry, DefinitionRow, OrganisationRow
from tests.factories import FixedClock


def _count(database: Database, table: type[OrganisationRow] | type[DefinitionRow] | type[AuditEntry]) -> int:
    with database.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


@pytest.fixture
def service(database: Database, clock: FixedClock) -> CatalogService:
    return CatalogService(database, clock=clock)


def test_import_the_examples_then_again(service: CatalogService, database: Database, examples: Path) -> None:
    first = service.import_paths([examples])
    assert first.organisations["create"] == 4
    assert first.definitions["create"] >= 8
    second = service.import_paths([examples])
    assert second.definitions["unchanged"] == first.definitions["create"]
    assert "11 micro-credentials (11 unchanged)" in second.summary()
    entries = service.entries()
    assert len(entries) == first.definitions["create"]
    assert all(e.organisations for e in entries)
    with database.transaction() as s:
        assert AuditRepository(s).first_broken() is None
    assert first.recognition["created"] == 4  # the university's course, the academy's job profile, their rules
    assert second.recognition["unchanged"] == 4
    imported = first.definitions["create"] + first.pathways["created"] + first.recognition["created"]
    assert _count(database, AuditEntry) == 4 + imported


def test_an_invalid_file_means_nothing_is_stored(
    service: CatalogService, database: Database, examples: Path, tmp_path: Path
) -> None:
    shutil.copytree(examples, tmp_path / "cat")
    broken = tmp_path / "cat" / "micro-credentials" / "zsz7-mag-welding.yaml"
    data = yaml.safe_load(broken.read_text(encoding="utf-8"))
    data["level"] = {"eqf": 9}
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        service.import_paths([tmp_path / "cat"])
    assert [p.path for p in info.value.problems] == ["level.eqf"]
    assert _count(database, OrganisationRow) == 0
    assert _count(database, DefinitionRow) == 0
    assert _count(database, AuditEntry) == 0


def test_a_failure_while_storing_rolls_everything_back(
    service: CatalogService, database: Database, examples: Path, tmp_path: Path
) -> None:
    service.import_paths([examples / "organisations", examples / "micro-credentials" / "um-sql-databases.yaml"])
    before = (_count(database, OrganisationRow), _count(database, DefinitionRow), _count(database, AuditEntry))
    moved = tmp_path / "moved.yaml"
    data = yaml.safe_load((examples / "micro-credentials" / "um-sql-databases.yaml").read_text(encoding="utf-8"))
    data["awarding_bodies"] = ["zsz7-lodz"]
    moved.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    new_org = tmp_path / "org.yaml"
    org = yaml.safe_load((examples / "organisations" / "zsz7-lodz.yaml").read_text(encoding="utf-8"))
    org["id"] = "brand-new-school"
    new_org.write_text(yaml.safe_dump(org, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConflictError):
        service.import_paths([new_org, examples / "micro-credentials" / "um-python-data-analysis.yaml", moved])
    after = (_count(database, OrganisationRow), _count(database, DefinitionRow), _count(database, AuditEntry))
    assert after == before, "the new organisation and definition must not survive the failed import"


def test_definitions_may_name_organisations_already_stored(service: CatalogService, examples: Path) -> None:
    service.import_paths([examples / "organisations"])
    result = service.import_paths([examples / "micro-credentials" / "bea-shift-team-leadership.yaml"])
    assert result.definitions["create"] == 1
    assert service.entry("bea-shift-team-leadership").organisations[0].id == "baltyk-energia-akademia"


def test_validate_reports_unreadable_paths(service: CatalogService, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    _, problems = service.validate([tmp_path / "missing.yaml", tmp_path / "empty"])
    assert [p.message for p in problems] == ["no such file or folder", "no .yaml, .yml or .json files in this folder"]


def test_an_edit_of_an_unawarded_definition_replaces_it(
    service: CatalogService, examples: Path, tmp_path: Path, clock: FixedClock
) -> None:
    service.import_paths([examples])
    path = tmp_path / "edit.yaml"
    data = yaml.safe_load((examples / "micro-credentials" / "um-sql-databases.yaml").read_text(encoding="utf-8"))
    data["workload"]["hours"] = 130
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    clock.advance(hours=1)
    result = service.import_paths([path])
    assert result.definitions["replace"] == 1
    assert service.versions("um-sql-databases") == [1]
    assert service.entry("um-sql-databases").definition.workload.hours == 130
