"""Naming a co-awarding organisation needs its acceptance, on SQLite and PostgreSQL: the lead names it, it is
asked (audited), it accepts or declines (audited), and until it accepts the definition is not awarded, singly or
in bulk (attack test); an operator's catalogue import counts as acceptance."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from cairn.bootstrap import Container
from cairn.errors import ConflictError, NotFoundError
from cairn.model.awards import Recipient
from cairn.model.definitions import MicroCredentialDefinition
from cairn.services.catalog.coawards import NOT_ACCEPTED, CoAwardPendingError
from cairn.store.database import Database
from tests.factories import FixedClock, make_container
from tests.helpers import audit

UM = "uniwersytet-mazowiecki"
SB = "skillbridge-europe"
BEA = "baltyk-energia-akademia"
PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"


@pytest.fixture
def container(database: Database, clock: FixedClock, examples: Path) -> Container:
    return make_container(database, clock, examples)


def joint(*bodies: str, id: str = "um-joint") -> MicroCredentialDefinition:
    return MicroCredentialDefinition.model_validate(
        {
            "id": id,
            "title": {"en": "Joint data cleaning", "pl": "Wspólne czyszczenie danych"},
            "awarding_bodies": list(bodies),
            "learning_outcomes": [{"text": {"en": "Cleans data sets with pandas."}, "esco_skills": [PYTHON]}],
            "workload": {"ects": 2},
            "level": {"eqf": 6},
            "assessment": {"types": ["project"]},
            "participation": {"mode": "online"},
            "quality_assurance": {"types": ["internal"]},
        }
    )


def award(container: Container, definition: str = "um-joint") -> Any:
    return container.issuing.award(definition, Recipient(email="ada@example.org"), actor="test", organisation=UM)


def test_attack_naming_another_organisation_does_not_let_the_lead_award_in_its_name(container: Container) -> None:
    container.editing.save(organisation=UM, definition=joint(UM, SB, BEA), actor="account:1", create=True)
    requested = [(e.subject, e.details) for e in audit(container.database, "coaward.request")]
    assert requested == [
        ("um-joint", {"organisation": SB, "version": 1, "lead": UM}),
        ("um-joint", {"organisation": BEA, "version": 1, "lead": UM}),
    ]
    with pytest.raises(CoAwardPendingError) as refused:
        award(container)
    assert isinstance(refused.value, ConflictError)
    assert refused.value.organisations == (SB, BEA)
    assert refused.value.message_id == NOT_ACCEPTED
    assert f"'um-joint' cannot be awarded until every co-awarding body accepts; still to accept: {SB}, {BEA}." in (
        refused.value.message
    )
    with pytest.raises(CoAwardPendingError):
        container.issuing.plan("um-joint", organisation=UM)  # the step every bulk award starts with

    assert [(r.definition.id, r.state, r.lead.id) for r in container.coawards.requests(SB)] == [
        ("um-joint", "pending", UM)
    ]
    assert container.coawards.pending_count(SB) == 1
    [item] = [i for i in container.editing.catalogue(UM) if i.entry.definition.id == "um-joint"]
    assert item.pending == (SB, BEA)

    answered = container.coawards.decide(organisation=SB, definition_id="um-joint", accept=True, actor="account:2")
    assert (answered.state, answered.decided_by) == ("accepted", "account:2")
    with pytest.raises(CoAwardPendingError) as still:
        award(container)
    assert still.value.organisations == (BEA,)
    container.coawards.decide(organisation=BEA, definition_id="um-joint", accept=False, actor="account:3")
    with pytest.raises(CoAwardPendingError):
        award(container)
    container.coawards.decide(organisation=BEA, definition_id="um-joint", accept=True, actor="account:3")
    assert award(container).created
    decisions = [
        (e.actor, e.action, e.details["organisation"]) for e in audit(container.database) if "coaward." in e.action
    ]
    assert decisions[2:] == [
        ("account:2", "coaward.accept", SB),
        ("account:3", "coaward.decline", BEA),
        ("account:3", "coaward.accept", BEA),
    ]
    container.coawards.decide(organisation=SB, definition_id="um-joint", accept=False, actor="account:2")
    with pytest.raises(CoAwardPendingError):  # a later decline stops further awards
        container.issuing.award("um-joint", Recipient(email="bob@example.org"), actor="test", organisation=UM)


def test_only_a_named_co_awarding_body_answers(container: Container) -> None:
    container.editing.save(organisation=UM, definition=joint(UM, SB), actor="a", create=True)
    for organisation, definition in ((BEA, "um-joint"), (UM, "um-joint"), (SB, "um-python-data-analysis"), (SB, "x")):
        with pytest.raises(NotFoundError):
            container.coawards.decide(organisation=organisation, definition_id=definition, accept=True, actor="a")
    assert container.coawards.requests(BEA) == []
    assert container.coawards.requests(UM) == []  # the lead is never asked


def test_a_definition_with_one_awarding_body_needs_nobody(container: Container) -> None:
    container.editing.save(organisation=UM, definition=joint(UM), actor="a", create=True)
    assert award(container).created
    assert audit(container.database, "coaward.request") == []


def test_naming_a_body_again_after_an_answer_keeps_the_answer(container: Container) -> None:
    container.editing.save(organisation=UM, definition=joint(UM, SB), actor="a", create=True)
    container.coawards.decide(organisation=SB, definition_id="um-joint", accept=True, actor="b")
    changed = joint(UM, SB).model_copy(update={"title": {"en": "Joint data cleaning, revised"}})
    container.editing.save(organisation=UM, definition=changed, actor="a", create=False)
    assert award(container).created
    assert len(audit(container.database, "coaward.request")) == 1


def test_an_operator_import_counts_as_acceptance(container: Container, examples: Path, tmp_path: Path) -> None:
    """Operator imports are trusted (``cairn catalog import``, the demo): the co-awarding bodies they name are
    recorded as accepted, audited as such."""
    folder = tmp_path / "catalog"
    shutil.copytree(examples, folder)
    source = folder / "micro-credentials" / "um-sql-databases.yaml"
    text = source.read_text(encoding="utf-8")
    assert "awarding_bodies: [uniwersytet-mazowiecki]" in text
    source.write_text(text.replace("[uniwersytet-mazowiecki]", f"[uniwersytet-mazowiecki, {SB}]"), encoding="utf-8")
    container.catalog.import_paths([folder], actor="cli")
    assert award(container, "um-sql-databases").created
    accepted = [(e.actor, e.subject, e.details) for e in audit(container.database, "coaward.accept")]
    assert accepted == [("cli", "um-sql-databases", {"organisation": SB, "by": "catalogue import"})]
    assert [(r.definition.id, r.state) for r in container.coawards.requests(SB)] == [("um-sql-databases", "accepted")]
    container.catalog.import_paths([folder], actor="cli")  # importing again records nothing more
    assert len(audit(container.database, "coaward.accept")) == 1
