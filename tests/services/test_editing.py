"""Saving, listing and previewing an organisation's definitions, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from cairn.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from cairn.model.definitions import MicroCredentialDefinition, SaveAction
from cairn.services.catalog.editing import PREVIEW_LEARNER, EditingService, SavedDefinition
from cairn.services.catalog.service import CatalogService
from cairn.services.trust.operator import TrustList
from cairn.services.verification.service import VerificationService
from cairn.store.catalog.repository import DefinitionRepository
from cairn.store.database import Database
from cairn.store.tables import AuditEntry, AwardRow
from cairn.vc import KeyPair, Outcome
from cairn.vc.dids import did_key
from tests.factories import EXAMPLES, FixedClock

UM = "uniwersytet-mazowiecki"
SB = "skillbridge-europe"
PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"


def definition(**changes: Any) -> MicroCredentialDefinition:
    """A valid definition of the university, with ``changes`` on top."""
    document: dict[str, Any] = {
        "id": "um-data-cleaning",
        "title": {"en": "Data cleaning", "pl": "Czyszczenie danych"},
        "awarding_bodies": [UM],
        "learning_outcomes": [{"text": {"en": "Cleans data sets with pandas."}, "esco_skills": [PYTHON]}],
        "workload": {"ects": 2},
        "level": {"eqf": 6},
        "assessment": {"types": ["project"]},
        "participation": {"mode": "online"},
        "quality_assurance": {"types": ["internal"]},
    }
    document.update(changes)
    return MicroCredentialDefinition.model_validate(document)


def award(database: Database, clock: FixedClock, slug: str, version: int | None = None) -> str:
    """Record an award of ``slug`` (the latest version by default); its id."""
    award_id = str(uuid.uuid4())
    with database.transaction() as session:
        version_id = DefinitionRepository(session).get(slug, version).version_id
        session.add(AwardRow(id=award_id, definition_version_id=version_id, recipient_key=award_id, issued_at=clock()))
    return award_id


@pytest.fixture
def service(database: Database, clock: FixedClock) -> EditingService:
    CatalogService(database, clock=clock).import_paths([EXAMPLES / "organisations"])
    verification = VerificationService(fetcher=None, clock=clock, trust=TrustList())
    return EditingService(database, clock=clock, verification=verification)


def audit_actions(database: Database) -> list[tuple[str, str, str]]:
    with database.transaction() as session:
        return [(e.actor, e.action, e.subject) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_a_new_definition_is_version_1_and_audited(service: EditingService, database: Database) -> None:
    saved = service.save(organisation=UM, definition=definition(), actor="account:7", create=True)
    assert saved == SavedDefinition("um-data-cleaning", 1, SaveAction.CREATE)
    assert saved.describe() == "Saved as version 1."
    assert not saved.new_version
    assert saved.awarded_version is None
    assert ("account:7", "definition.create", "um-data-cleaning") in audit_actions(database)


def test_an_unawarded_version_is_corrected_in_place(service: EditingService, database: Database) -> None:
    service.save(organisation=UM, definition=definition(), actor="a", create=True)
    saved = service.save(organisation=UM, definition=definition(workload={"ects": 3}), actor="a", create=False)
    assert (saved.version, saved.action) == (1, SaveAction.REPLACE)
    again = service.save(organisation=UM, definition=definition(workload={"ects": 3}), actor="a", create=False)
    assert (again.version, again.action) == (1, SaveAction.UNCHANGED)
    assert "Nothing had changed" in again.describe()
    assert [a[1] for a in audit_actions(database)].count("definition.replace") == 1
    with database.transaction() as session:
        assert DefinitionRepository(session).versions("um-data-cleaning") == [1]
        assert DefinitionRepository(session).get("um-data-cleaning").definition.workload.ects == 3


def test_an_awarded_version_stays_and_the_change_is_a_new_version(
    service: EditingService, database: Database, clock: FixedClock
) -> None:
    service.save(organisation=UM, definition=definition(), actor="a", create=True)
    award_id = award(database, clock, "um-data-cleaning")
    saved = service.save(organisation=UM, definition=definition(level={"eqf": 5}), actor="a", create=False)
    assert (saved.version, saved.action, saved.awarded_version) == (2, SaveAction.NEW_VERSION, 1)
    assert saved.describe().startswith("A new version 2 was created because version 1 has been awarded")
    with database.transaction() as session:
        repo = DefinitionRepository(session)
        first = repo.get("um-data-cleaning", 1)
        assert first.definition.level.eqf == 6
        assert repo.get("um-data-cleaning").definition.level.eqf == 5
        row = session.get(AwardRow, award_id)
        assert row is not None
        assert row.definition_version_id == first.version_id


def test_the_organisation_must_be_the_first_awarding_body(service: EditingService) -> None:
    with pytest.raises(InputError, match="first awarding body must be uniwersytet-mazowiecki"):
        service.save(organisation=UM, definition=definition(awarding_bodies=[SB, UM]), actor="a", create=True)
    with pytest.raises(InputError, match="no organisation 'nobody'"):
        service.save(organisation=UM, definition=definition(awarding_bodies=[UM, "nobody"]), actor="a", create=True)
    with pytest.raises(InputError, match="twice"):
        service.save(organisation=UM, definition=definition(awarding_bodies=[UM, SB, SB]), actor="a", create=True)


def test_create_refuses_a_taken_id_and_edit_needs_an_own_definition(service: EditingService) -> None:
    service.save(organisation=UM, definition=definition(), actor="a", create=True)
    with pytest.raises(ConflictError, match="already exists"):
        service.save(organisation=UM, definition=definition(), actor="a", create=True)
    with pytest.raises(NotFoundError):
        service.save(organisation=UM, definition=definition(id="um-nothing"), actor="a", create=False)
    theirs = definition(id="sb-cleaning", awarding_bodies=[SB])
    service.save(organisation=SB, definition=theirs, actor="a", create=True)
    with pytest.raises(NotFoundError):
        service.save(organisation=UM, definition=definition(id="sb-cleaning"), actor="a", create=False)
    with pytest.raises(ConflictError, match="already exists"):
        service.save(organisation=UM, definition=definition(id="sb-cleaning"), actor="a", create=True)


def test_the_catalogue_lists_own_and_co_awarded_definitions(
    service: EditingService, database: Database, clock: FixedClock
) -> None:
    service.save(organisation=UM, definition=definition(), actor="a", create=True)
    joint = definition(id="um-joint", awarding_bodies=[UM, SB])
    service.save(organisation=UM, definition=joint, actor="a", create=True)
    service.save(organisation=SB, definition=definition(id="sb-only", awarding_bodies=[SB]), actor="a", create=True)
    award(database, clock, "um-joint")
    ours = {i.entry.definition.id: (i.lead, i.awarded) for i in service.catalogue(UM)}
    assert ours == {"um-data-cleaning": (True, False), "um-joint": (True, True)}
    theirs = {i.entry.definition.id: (i.lead, i.awarded) for i in service.catalogue(SB)}
    assert theirs == {"um-joint": (False, True), "sb-only": (True, False)}
    assert [o.id for o in service.entry(SB, "um-joint").entry.organisations] == [UM, SB]
    with pytest.raises(PermissionDeniedError, match="only its first awarding body"):
        service.editable(SB, "um-joint")
    with pytest.raises(NotFoundError):
        service.entry("zsz7-lodz", "um-joint")
    with pytest.raises(NotFoundError):
        service.entry(UM, "no-such-thing")
    assert len(service.organisations()) == 4


def test_a_preview_is_signed_with_a_throwaway_key_and_verifies(service: EditingService) -> None:
    service.save(organisation=UM, definition=definition(), actor="a", create=True)
    key = KeyPair.from_secret("Ed25519", bytes(range(32)))
    preview = service.preview(UM, "um-data-cleaning", base_url="https://cairn.example/", key=key, lang="pl")
    assert preview.issuer_did == did_key(key.public)
    credential = preview.credential
    assert credential["issuer"]["id"] == preview.issuer_did
    assert credential["name"] == "Czyszczenie danych"
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["id"] == "https://cairn.example/micro-credentials/um-data-cleaning?version=1"
    esco = [a for a in achievement["alignment"] if a["targetType"] == "ext:ESCOSkill"]
    assert esco[0]["targetName"] == "Python (computer programming)"
    identifiers = credential["credentialSubject"]["identifier"]
    named = {"type": "IdentityObject", "identityHash": PREVIEW_LEARNER.name, "identityType": "name", "hashed": False}
    assert named in identifiers
    report = preview.report
    assert report.verified, report.text()
    assert report.outcome_of("proof") is Outcome.PASS
    assert report.outcome_of("issuer-key") is Outcome.PASS
    assert report.outcome_of("schema") is Outcome.PASS


def test_a_preview_of_an_older_version(service: EditingService, database: Database, clock: FixedClock) -> None:
    service.save(organisation=UM, definition=definition(), actor="a", create=True)
    award(database, clock, "um-data-cleaning")
    service.save(organisation=UM, definition=definition(title={"en": "Data wrangling"}), actor="a", create=False)
    assert service.preview(UM, "um-data-cleaning").credential["name"] == "Data wrangling"
    old = service.preview(UM, "um-data-cleaning", version=1)
    assert old.credential["name"] == "Data cleaning"
    assert old.entry.stored.version == 1
    assert old.report.verified
    with pytest.raises(NotFoundError):
        service.preview(UM, "um-data-cleaning", version=9)
