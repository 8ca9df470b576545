"""Draft definitions on SQLite and PostgreSQL: not public, not awardable, published by an action or a catalogue
file; existing definitions stay published."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cairn.errors import CatalogError, ConflictError, NotFoundError
from cairn.model.awards import Recipient
from cairn.model.definitions import DRAFT, PUBLISHED, MicroCredentialDefinition, content_hash
from cairn.services.catalog.editing import EditingService
from cairn.services.catalog.service import CatalogService
from cairn.services.issuing.setup import IssuingServices
from cairn.services.trust.operator import TrustList
from cairn.services.verification.service import VerificationService
from cairn.store.catalog.repository import DefinitionRepository
from cairn.store.database import Database
from cairn.store.tables import AuditEntry
from tests.factories import DEFINITION, EXAMPLES, ORG, FixedClock, load_examples, make_services

NEW = "um-data-cleaning"
PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"


def definition(**changes: Any) -> MicroCredentialDefinition:
    """A valid new definition of the university, with ``changes`` on top."""
    document: dict[str, Any] = {
        "id": NEW,
        "title": {"en": "Data cleaning", "pl": "Czyszczenie danych"},
        "awarding_bodies": [ORG],
        "learning_outcomes": [{"text": {"en": "Cleans data sets with pandas."}, "esco_skills": [PYTHON]}],
        "workload": {"ects": 2},
        "level": {"eqf": 6},
        "assessment": {"types": ["project"]},
        "participation": {"mode": "online"},
        "quality_assurance": {"types": ["internal"]},
    }
    return MicroCredentialDefinition.model_validate(document | changes)


@pytest.fixture
def services(database: Database, clock: FixedClock) -> IssuingServices:
    load_examples(database, clock)
    return make_services(database, clock)


@pytest.fixture
def editing(database: Database, clock: FixedClock) -> EditingService:
    verification = VerificationService(fetcher=None, clock=clock, trust=TrustList())
    return EditingService(database, clock=clock, verification=verification)


def test_a_draft_is_hidden_and_cannot_be_awarded_until_published(
    services: IssuingServices, editing: EditingService, database: Database, clock: FixedClock
) -> None:
    catalog = CatalogService(database, clock=clock)
    assert {e.stored.state for e in catalog.entries()} == {PUBLISHED}  # imported definitions are published
    editing.save(organisation=ORG, definition=definition(), actor="registrar", create=True, state=DRAFT)
    assert NEW not in {e.definition.id for e in catalog.entries()}
    with pytest.raises(NotFoundError):
        catalog.entry(NEW)
    assert catalog.entry(NEW, drafts=True).stored.state == DRAFT
    assert [i.entry.stored.state for i in editing.catalogue(ORG) if i.entry.definition.id == NEW] == [DRAFT]
    with pytest.raises(ConflictError, match="is a draft"):
        services.issuing.award(NEW, Recipient(email="ann@example.org"), actor="registrar")
    with pytest.raises(ConflictError, match="is a draft"):
        services.bulk.run(b"email\nann@example.org\n", definition=NEW, actor="registrar", filename="a.csv")
    editing.save(organisation=ORG, definition=definition(description={"en": "More."}), actor="r", create=False)
    assert catalog.entry(NEW, drafts=True).stored.state == DRAFT  # saving without a state keeps it a draft
    with pytest.raises(NotFoundError):  # only its own organisations can publish it
        editing.publish("skillbridge-europe", NEW, actor="someone")
    assert catalog.entry(NEW, drafts=True).stored.state == DRAFT
    assert editing.publish(ORG, NEW, actor="registrar")
    assert not editing.publish(ORG, NEW, actor="registrar")  # already published: nothing changes
    assert catalog.entry(NEW).stored.state == PUBLISHED
    assert services.issuing.award(NEW, Recipient(email="ann@example.org"), actor="registrar").created
    with database.transaction() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.subject == NEW)).all()
    assert actions.count("definition.publish") == 1


def test_catalogue_files_set_the_state_and_a_file_without_one_keeps_it(
    database: Database, clock: FixedClock, tmp_path: Path
) -> None:
    catalog = CatalogService(database, clock=clock)
    catalog.import_paths([EXAMPLES])
    source = (EXAMPLES / "micro-credentials").glob("*.yaml")
    path = next(p for p in source if f"id: {DEFINITION}" in p.read_text(encoding="utf-8"))
    text = path.read_text(encoding="utf-8")
    draft = tmp_path / "draft.yaml"
    draft.write_text(text + "state: draft\n", encoding="utf-8")
    catalog.import_paths([draft])
    assert catalog.entry(DEFINITION, drafts=True).stored.state == DRAFT
    plain = tmp_path / "plain.yaml"
    plain.write_text(text, encoding="utf-8")
    catalog.import_paths([plain])
    assert catalog.entry(DEFINITION, drafts=True).stored.state == DRAFT  # no state: it keeps its own
    (tmp_path / "draft.yaml").write_text(text + "state: public\n", encoding="utf-8")
    with pytest.raises(CatalogError) as refused:
        catalog.import_paths([draft])
    assert "state" in str(refused.value.problems[0])
    published = tmp_path / "published.yaml"
    published.write_text(text + "state: published\n", encoding="utf-8")
    catalog.import_paths([published])
    assert catalog.entry(DEFINITION).stored.state == PUBLISHED
    with database.transaction() as session:
        stored = DefinitionRepository(session).get(DEFINITION)
    assert stored.version == 1  # the state is no part of the content: no new version, the same hash
    assert stored.content_hash == content_hash(stored.definition)
    assert "validity_months" not in stored.definition.model_dump(exclude_none=True)
