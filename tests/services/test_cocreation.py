"""Co-creation on SQLite and PostgreSQL: the university shares a draft with the employer academy, whose members
comment; the university replies and marks comments dealt with; nobody else reads or comments (attack tests); a
published definition takes no more comments but keeps them; ending a share hides it; every step is audited."""

from __future__ import annotations

from pathlib import Path

import pytest

from cairn.bootstrap import Container
from cairn.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from cairn.model.definitions import DRAFT, MicroCredentialDefinition
from cairn.services.accounts.service import OrganisationAccess
from cairn.services.catalog.cocreation import CLOSED, ENDED, MAX_COMMENT, PUBLISHED_ALREADY, TOO_LONG
from cairn.store.database import Database
from tests.factories import FixedClock, make_container
from tests.helpers import audit

UM, BEA, SB = "uniwersytet-mazowiecki", "baltyk-energia-akademia", "skillbridge-europe"
DRAFT_ID = "um-offshore-data"
PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"


def _access(container: Container, organisation: str, email: str, role: str) -> OrganisationAccess:
    container.accounts.add_member(organisation=organisation, email=email, role=role, notify=False)
    account = container.accounts.find_account(email)
    assert account is not None
    return container.accounts.access(account=account, organisation=organisation, min_role="viewer")


@pytest.fixture
def container(database: Database, clock: FixedClock, examples: Path) -> Container:
    built = make_container(database, clock, examples)
    draft = MicroCredentialDefinition.model_validate(
        {
            "id": DRAFT_ID,
            "title": {"en": "Data analysis for offshore wind", "pl": "Analiza danych morskiej energetyki wiatrowej"},
            "awarding_bodies": [UM],
            "learning_outcomes": [{"text": {"en": "Cleans turbine sensor data with pandas."}, "esco_skills": [PYTHON]}],
            "workload": {"ects": 3},
            "level": {"eqf": 6},
            "assessment": {"types": ["project"]},
            "participation": {"mode": "online"},
            "quality_assurance": {"types": ["internal"]},
        }
    )
    built.editing.save(organisation=UM, definition=draft, actor="account:1", create=True, state=DRAFT)
    return built


@pytest.fixture
def lead(container: Container) -> OrganisationAccess:
    return _access(container, UM, "registrar@example.org", "issuer")


@pytest.fixture
def employer(container: Container) -> OrganisationAccess:
    return _access(container, BEA, "hr@example.org", "viewer")  # any member of the reviewer comments


def test_share_comment_reply_and_resolve(
    container: Container, lead: OrganisationAccess, employer: OrganisationAccess, clock: FixedClock
) -> None:
    cocreation = container.cocreation
    shared = cocreation.share(lead, DRAFT_ID, "Bałtyk Energia S.A. — Baltic Energy Academy", actor="account:1")
    assert (shared.reviewer.id, shared.lead.id, shared.open, shared.comments) == (BEA, UM, True, ())
    [seen] = cocreation.shared_with(employer)
    assert (seen.id, seen.entry.definition.id, seen.entry.stored.state) == (shared.id, DRAFT_ID, DRAFT)
    assert cocreation.shared_draft(employer, shared.id).entry.definition.title["en"] == (
        "Data analysis for offshore wind"
    )

    clock.advance(minutes=5)
    asked = cocreation.comment(
        employer,
        shared.id,
        "  Please add SCADA data.\r\nOur engineers use it daily.\x00  ",
        actor="account:2",
        author_name="Hanna  Kowalska",
    )
    assert asked.text == "Please add SCADA data.\nOur engineers use it daily."
    assert (asked.author_name, asked.by_lead, asked.organisation.id) == ("Hanna Kowalska", False, BEA)
    clock.advance(minutes=5)
    answer = cocreation.comment(
        lead, shared.id, "Added as outcome 2.", actor="account:1", author_name="Registrar", reply_to=asked.id
    )
    assert (answer.by_lead, answer.reply_to) == (True, asked.id)
    assert cocreation.resolve(lead, DRAFT_ID, shared.id, asked.id, resolved=True, actor="account:1")
    assert not cocreation.resolve(lead, DRAFT_ID, shared.id, asked.id, resolved=True, actor="account:1")

    [thread] = cocreation.shares(lead, DRAFT_ID)
    assert [(c.text, c.by_lead) for c in thread.comments] == [
        ("Please add SCADA data.\nOur engineers use it daily.", False),
        ("Added as outcome 2.", True),
    ]
    assert thread.comments[0].resolved_at is not None
    assert thread.unresolved == 0
    assert [e.action for e in audit(container.database) if e.action.startswith("draft.")] == [
        "draft.share",
        "draft.comment",
        "draft.comment",
        "draft.resolve",
    ]
    assert all("SCADA" not in str(e.details) for e in audit(container.database))  # the audit keeps no words


def test_attack_other_organisations_neither_read_nor_comment(
    container: Container, lead: OrganisationAccess, employer: OrganisationAccess
) -> None:
    shared = container.cocreation.share(lead, DRAFT_ID, BEA, actor="account:1")
    outsider = _access(container, SB, "sb@example.org", "owner")
    assert container.cocreation.shared_with(outsider) == []
    with pytest.raises(NotFoundError):
        container.cocreation.shared_draft(outsider, shared.id)
    with pytest.raises(NotFoundError):
        container.cocreation.comment(outsider, shared.id, "Let me in", actor="account:3", author_name="Eve")
    with pytest.raises(NotFoundError):
        container.cocreation.shares(outsider, DRAFT_ID)
    with pytest.raises(NotFoundError):  # the reviewer cannot read the lead's view, nor end or answer for it
        container.cocreation.shares(employer, DRAFT_ID)
    with pytest.raises(NotFoundError):
        container.cocreation.unshare(
            _access(container, BEA, "boss@example.org", "owner"), DRAFT_ID, shared.id, actor="x"
        )
    viewer = _access(container, UM, "viewer@example.org", "viewer")
    with pytest.raises(PermissionDeniedError):  # the lead's viewers read, but do not answer
        container.cocreation.comment(viewer, shared.id, "Me too", actor="account:4", author_name="V")
    with pytest.raises(PermissionDeniedError):
        container.cocreation.share(viewer, DRAFT_ID, SB, actor="account:4")
    with pytest.raises(NotFoundError):  # only its lead shares it
        container.cocreation.share(outsider, DRAFT_ID, BEA, actor="account:3")
    with pytest.raises(NotFoundError):  # a reply to a comment of another thread
        container.cocreation.comment(employer, shared.id, "Hm", actor="a", author_name="H", reply_to=999_999)


def test_sharing_needs_a_draft_another_known_organisation_and_once_at_a_time(
    container: Container, lead: OrganisationAccess
) -> None:
    cocreation = container.cocreation
    with pytest.raises(ConflictError) as published:
        cocreation.share(lead, "um-python-data-analysis", BEA, actor="account:1")
    assert published.value.message_id == PUBLISHED_ALREADY
    with pytest.raises(InputError):
        cocreation.share(lead, DRAFT_ID, "no-such-organisation", actor="account:1")
    with pytest.raises(InputError):
        cocreation.share(lead, DRAFT_ID, UM, actor="account:1")
    cocreation.share(lead, DRAFT_ID, "skillbridge europe gmbh", actor="account:1")  # by name, any case
    with pytest.raises(ConflictError):
        cocreation.share(lead, DRAFT_ID, SB, actor="account:1")


def test_a_published_definition_takes_no_more_comments_but_keeps_them(
    container: Container, lead: OrganisationAccess, employer: OrganisationAccess
) -> None:
    shared = container.cocreation.share(lead, DRAFT_ID, BEA, actor="account:1")
    container.cocreation.comment(employer, shared.id, "Looks good.", actor="account:2", author_name="H")
    container.editing.publish(UM, DRAFT_ID, actor="account:1")
    for who in (employer, lead):
        with pytest.raises(ConflictError) as closed:
            container.cocreation.comment(who, shared.id, "One more thing", actor="a", author_name="A")
        assert closed.value.message_id == CLOSED
    [kept] = container.cocreation.shares(lead, DRAFT_ID)
    assert (kept.open, [c.text for c in kept.comments]) == (False, ["Looks good."])


def test_ending_a_share_hides_it_and_sharing_again_opens_the_same_thread(
    container: Container, lead: OrganisationAccess, employer: OrganisationAccess
) -> None:
    shared = container.cocreation.share(lead, DRAFT_ID, BEA, actor="account:1")
    container.cocreation.comment(employer, shared.id, "First thoughts.", actor="account:2", author_name="H")
    ended = container.cocreation.unshare(lead, DRAFT_ID, shared.id, actor="account:1")
    assert ended.ended_at is not None
    assert not ended.open
    assert container.cocreation.shared_with(employer) == []
    with pytest.raises(NotFoundError):
        container.cocreation.shared_draft(employer, shared.id)
    with pytest.raises(NotFoundError):
        container.cocreation.comment(employer, shared.id, "Still there?", actor="account:2", author_name="H")
    with pytest.raises(ConflictError) as closed:
        container.cocreation.comment(lead, shared.id, "Thanks", actor="account:1", author_name="R")
    assert closed.value.message_id == ENDED
    again = container.cocreation.share(lead, DRAFT_ID, BEA, actor="account:1")
    assert (again.id, again.open, [c.text for c in again.comments]) == (shared.id, True, ["First thoughts."])
    assert [e.action for e in audit(container.database) if e.action.startswith("draft.")] == [
        "draft.share",
        "draft.comment",
        "draft.unshare",
        "draft.share",
    ]


def test_attack_a_huge_or_empty_comment_is_refused(
    container: Container, lead: OrganisationAccess, employer: OrganisationAccess
) -> None:
    shared = container.cocreation.share(lead, DRAFT_ID, BEA, actor="account:1")
    with pytest.raises(InputError) as huge:
        container.cocreation.comment(employer, shared.id, "x" * (MAX_COMMENT + 1), actor="a", author_name="H")
    assert huge.value.message_id == TOO_LONG
    with pytest.raises(InputError):
        container.cocreation.comment(employer, shared.id, " \n\t\x07 ", actor="a", author_name="H")
    kept = container.cocreation.comment(employer, shared.id, "ż" * MAX_COMMENT, actor="a", author_name="H" * 900)
    assert len(kept.text) == MAX_COMMENT
    assert len(kept.author_name) == 500


def test_the_demo_shares_a_draft_with_the_employer_once(database: Database, clock: FixedClock) -> None:
    from cairn.bootstrap import build, demo_catalog_path
    from cairn.services.demo.cocreation import DEMO_COMMENT, DEMO_DRAFT, DEMO_REVIEWER, seed_cocreation
    from cairn.services.demo.instance import DEMO_EMAIL, seed_demo
    from cairn.settings import Settings

    built = build(Settings(database_url="sqlite://", secret_key="d" * 48), clock=clock, database=database)
    seed_demo(catalog=built.catalog, accounts=built.accounts, catalogue_path=demo_catalog_path(), demo_token=None)
    assert seed_cocreation(editing=built.editing, cocreation=built.cocreation, accounts=built.accounts)
    assert not seed_cocreation(editing=built.editing, cocreation=built.cocreation, accounts=built.accounts)
    account = built.accounts.find_account(DEMO_EMAIL)
    assert account is not None
    employer = built.accounts.access(account=account, organisation=DEMO_REVIEWER, min_role="viewer")
    [shared] = built.cocreation.shared_with(employer)
    assert (shared.entry.definition.id, shared.is_draft) == (DEMO_DRAFT, True)
    assert [c.text for c in shared.comments] == [DEMO_COMMENT]
