"""Repositories on SQLite and PostgreSQL: organisations, definition versions, the audit log."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select, update

from cairn.errors import ConflictError, NotFoundError
from cairn.model.definitions import MicroCredentialDefinition, Organisation, SaveAction
from cairn.store.audit import AuditRepository
from cairn.store.catalog.repository import DefinitionRepository, OrganisationRepository
from cairn.store.database import Database
from cairn.store.tables import AuditEntry, AwardRow
from tests.factories import FixedClock

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "catalog"


def _doc(path: str) -> dict[str, object]:
    data = yaml.safe_load((EXAMPLES / path).read_text(encoding="utf-8"))
    data.pop("kind")
    return dict(data)


ORG = Organisation.model_validate(_doc("organisations/uniwersytet-mazowiecki.yaml"))
OTHER = Organisation.model_validate(_doc("organisations/zsz7-lodz.yaml"))
DEF = MicroCredentialDefinition.model_validate(_doc("micro-credentials/um-sql-databases.yaml"))


def _edited(definition: MicroCredentialDefinition, hours: int) -> MicroCredentialDefinition:
    data = definition.model_dump(mode="json", exclude_none=True)
    data["workload"]["hours"] = hours
    return MicroCredentialDefinition.model_validate(data)


def _award(database: Database, version_id: int) -> str:
    award_id = str(uuid.uuid4())
    with database.transaction() as s:
        s.add(
            AwardRow(
                id=award_id,
                definition_version_id=version_id,
                recipient_key="sha256$abc",
                issued_at=FixedClock()(),
            )
        )
    return award_id


def test_organisations_create_update_unchanged(database: Database, clock: FixedClock) -> None:
    with database.transaction() as s:
        assert OrganisationRepository(s).save(ORG, now=clock()) is SaveAction.CREATE
    with database.transaction() as s:
        repo = OrganisationRepository(s)
        assert repo.save(ORG, now=clock()) is SaveAction.UNCHANGED
        assert repo.get(ORG.id) == ORG
        changed = ORG.model_copy(update={"website": "https://new.example.pl"})
        assert repo.save(changed, now=clock()) is SaveAction.REPLACE
    with database.transaction() as s:
        assert OrganisationRepository(s).get(ORG.id).website == "https://new.example.pl"
        assert OrganisationRepository(s).slugs() == {ORG.id}
        with pytest.raises(NotFoundError):
            OrganisationRepository(s).get("nobody")


def test_unawarded_version_is_corrected_in_place(database: Database, clock: FixedClock) -> None:
    with database.transaction() as s:
        OrganisationRepository(s).save(ORG, now=clock())
        assert DefinitionRepository(s).save(DEF, now=clock()) == (SaveAction.CREATE, 1)
    with database.transaction() as s:
        assert DefinitionRepository(s).save(_edited(DEF, 130), now=clock()) == (SaveAction.REPLACE, 1)
        assert DefinitionRepository(s).save(_edited(DEF, 130), now=clock()) == (SaveAction.UNCHANGED, 1)
    with database.transaction() as s:
        stored = DefinitionRepository(s).get(DEF.id)
        assert stored.version == 1
        assert stored.definition.workload.hours == 130
        assert DefinitionRepository(s).versions(DEF.id) == [1]


def test_an_awarded_version_is_immutable_and_edits_make_a_new_one(database: Database, clock: FixedClock) -> None:
    with database.transaction() as s:
        OrganisationRepository(s).save(ORG, now=clock())
        DefinitionRepository(s).save(DEF, now=clock())
    with database.transaction() as s:
        v1 = DefinitionRepository(s).get(DEF.id)
    award_id = _award(database, v1.version_id)
    clock.advance(days=1)
    with database.transaction() as s:
        assert DefinitionRepository(s).is_awarded(v1.version_id)
        assert DefinitionRepository(s).save(_edited(DEF, 140), now=clock()) == (SaveAction.NEW_VERSION, 2)
    with database.transaction() as s:
        repo = DefinitionRepository(s)
        assert repo.versions(DEF.id) == [1, 2]
        assert repo.get(DEF.id).definition.workload.hours == 140
        old = repo.get(DEF.id, 1)
        assert old.definition == DEF
        assert old.created_at == v1.created_at
        award = s.get(AwardRow, award_id)
        assert award is not None
        assert award.definition_version_id == v1.version_id
        with pytest.raises(NotFoundError):
            repo.get(DEF.id, 9)


def test_a_definition_cannot_move_to_another_organisation(database: Database, clock: FixedClock) -> None:
    with database.transaction() as s:
        OrganisationRepository(s).save(ORG, now=clock())
        OrganisationRepository(s).save(OTHER, now=clock())
        DefinitionRepository(s).save(DEF, now=clock())
    moved = DEF.model_copy(update={"awarding_bodies": (OTHER.id,)})
    with pytest.raises(ConflictError), database.transaction() as s:
        DefinitionRepository(s).save(moved, now=clock())


def test_latest_lists_each_definition_once(database: Database, clock: FixedClock) -> None:
    with database.transaction() as s:
        OrganisationRepository(s).save(ORG, now=clock())
        DefinitionRepository(s).save(DEF, now=clock())
    with database.transaction(read_only=True) as s:
        version_id = DefinitionRepository(s).get(DEF.id).version_id
    _award(database, version_id)
    with database.transaction() as s:
        DefinitionRepository(s).save(_edited(DEF, 150), now=clock())
    with database.transaction() as s:
        latest = DefinitionRepository(s).latest()
        assert [(d.definition.id, d.version) for d in latest] == [(DEF.id, 2)]
        assert DefinitionRepository(s).count() == 1


def test_timestamps_come_back_time_zone_aware(database: Database, clock: FixedClock) -> None:
    with database.transaction() as s:
        OrganisationRepository(s).save(ORG, now=clock())
        DefinitionRepository(s).save(DEF, now=clock())
    with database.transaction() as s:
        assert DefinitionRepository(s).get(DEF.id).created_at == clock()


def test_audit_log_is_a_hash_chain(database: Database, clock: FixedClock) -> None:
    with database.transaction() as s:
        audit = AuditRepository(s)
        for i in range(5):
            clock.advance(seconds=1)
            audit.append(
                at=clock(),
                actor="admin@example.org",
                action="award.create",
                subject=f"a{i}",
                details={"i": i},
            )
    with database.transaction() as s:
        assert AuditRepository(s).first_broken() is None
        ids = list(s.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))
    with database.transaction() as s:
        s.execute(update(AuditEntry).where(AuditEntry.id == ids[2]).values(subject="forged"))
    with database.transaction() as s:
        assert AuditRepository(s).first_broken() == ids[2]


def test_a_savepoint_opened_first_rolls_back_with_its_transaction(database: Database, clock: FixedClock) -> None:
    """With pysqlite's own transaction handling, a SAVEPOINT sent first opened a transaction of its own and
    its RELEASE committed it: rows written under it survived the rollback of the surrounding transaction."""

    def save_then_fail() -> None:
        with database.transaction() as s:
            with s.begin_nested():
                OrganisationRepository(s).save(ORG, now=clock())
            raise RuntimeError("fail after the savepoint was released")

    with pytest.raises(RuntimeError):
        save_then_fail()
    with database.transaction() as s:
        assert OrganisationRepository(s).slugs() == set()
