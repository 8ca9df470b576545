"""What Cairn records for policy analytics (issue 18), on SQLite and PostgreSQL: verification counts kept in memory
and added with one upsert (two flushes and two processes add up), nothing for a wallet's own re-check, job-ad
demand counts, and a learner's consented answers (given, changed, withdrawn, erased with the account)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from cairn.bootstrap import Container
from cairn.errors import InputError
from cairn.services.careers.demand import DemandCounts
from cairn.services.careers.service import CareersService
from cairn.services.catalog.service import CatalogService
from cairn.services.verification.counting import VerificationCounts
from cairn.services.wallet.statistics import LearnerAnswers
from cairn.skills.index import SkillIndex
from cairn.store.analytics_tables import DemandCountRow, LearnerProfileRow, VerificationCountRow
from cairn.store.database import Database
from cairn.store.tables import DefinitionRow, OrganisationRow
from tests.factories import DEFINITION, ORG, PASSWORD, SKILL, FixedClock, index_esco, learner_with_credential
from tests.helpers import rows


@contextmanager
def writes(database: Database) -> Iterator[list[str]]:
    """The INSERT, UPDATE and DELETE statements sent to ``database`` meanwhile."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


def counts(database: Database) -> list[VerificationCountRow]:
    with database.transaction() as session:
        found = list(session.scalars(select(VerificationCountRow).order_by(VerificationCountRow.key)))
        session.expunge_all()
        return found


def own_ids(database: Database) -> tuple[int, int]:
    with database.transaction() as session:
        organisation = session.scalars(select(OrganisationRow.id).where(OrganisationRow.slug == ORG)).one()
        definition = session.scalars(select(DefinitionRow.id).where(DefinitionRow.slug == DEFINITION)).one()
        return organisation, definition


def second_process(container: Container) -> VerificationCounts:
    first = container.verification_counts
    return VerificationCounts(container.database, clock=container.clock, own_prefix=first.own_prefix)


def test_counts_add_up_across_flushes_and_processes(container: Container) -> None:
    _, _, credential = learner_with_credential(container)
    report = container.verification.verify(credential)
    assert report.verified
    one, two = container.verification_counts, second_process(container)
    one.add(report, channel="api")
    one.add(report, channel="api")
    with writes(container.database) as seen:
        assert one.flush() == 2
    assert len(seen) == 1
    assert "ON CONFLICT" in seen[0].upper()
    one.add(report, channel="api")
    two.add(report, channel="api")
    two.add(report, channel="api")
    assert one.pending() == 1
    assert two.pending() == 2
    assert two.flush() == 2
    assert one.flush() == 1
    assert one.pending() == 0
    assert one.flush() == 0
    [row] = counts(container.database)
    organisation, definition = own_ids(container.database)
    assert row.count == 5
    assert (row.day, row.channel, row.verifier_kind, row.verifier_type) == (date(2026, 5, 4), "api", "anonymous", None)
    assert (row.issuing_organisation_id, row.definition_id, row.issuer_country) == (organisation, definition, "PL")
    assert row.verified is True


def test_one_statement_whatever_the_mix_and_the_verifier_is_the_tokens_organisation(container: Container) -> None:
    _, _, credential = learner_with_credential(container)
    good = container.verification.verify(credential)
    forged = container.verification.verify({**credential, "name": "Forged"})
    assert good.verified
    assert not forged.verified
    token = container.accounts.create_token(
        organisation="skillbridge-europe", name="checks", scopes=("credentials:read",)
    ).token
    recorded = container.verification_counts
    recorded.add(good, channel="web")
    recorded.add(good, channel="api", who=("token", token))
    recorded.add(forged, channel="api", who=("token", token))
    recorded.add(good, channel="api", who=("token", "cairn_not-a-token"))
    with writes(container.database) as seen:
        assert recorded.flush() == 4
    # one upsert of the counts (the token's own last-used time is the account service's business)
    assert len([s for s in seen if "verification_counts" in s]) == 1
    found = {(r.channel, r.verifier_kind, r.verifier_type, r.verified): r for r in counts(container.database)}
    with container.database.transaction() as session:
        academy = session.scalars(select(OrganisationRow).where(OrganisationRow.slug == "skillbridge-europe")).one()
        kind, country = academy.type, academy.country
    assert set(found) == {
        ("web", "anonymous", None, True),
        ("api", "organisation", kind, True),
        ("api", "organisation", kind, False),
        ("api", "anonymous", None, True),  # a token that does not authenticate says nothing
    }
    assert found[("api", "organisation", kind, True)].verifier_country == country
    forgery = found[("api", "organisation", kind, False)]
    assert forgery.issuing_organisation_id is None
    assert forgery.definition_id is None


def test_counts_wait_in_memory_while_the_database_fails(container: Container) -> None:
    _, _, credential = learner_with_credential(container)
    report = container.verification.verify(credential)
    recorded = container.verification_counts
    recorded.add(report, channel="batch")
    broken = recorded.database
    recorded.database = Database("sqlite:////nonexistent-folder/cairn.db")
    with pytest.raises(Exception):  # noqa: PT011 - whatever the driver raises
        recorded.flush()
    assert recorded.pending() == 1
    recorded.database = broken
    assert recorded.flush() == 1
    assert [r.count for r in counts(container.database)] == [1]


def test_the_background_thread_writes_and_stopping_writes_the_rest(container: Container) -> None:
    _, _, credential = learner_with_credential(container)
    report = container.verification.verify(credential)
    recorded = second_process(container)
    recorded.flush_seconds = 3600  # only the number of verifications or stopping wakes it
    recorded.flush_events = 3
    recorded.start()
    for _ in range(3):
        recorded.add(report, channel="share-link")
    for _ in range(200):
        if not recorded.pending():
            break
        time.sleep(0.02)
    assert recorded.pending() == 0
    recorded.add(report, channel="share-link")
    recorded.stop()
    assert [r.count for r in counts(container.database)] == [4]


def test_a_wallets_own_recheck_is_not_counted(container: Container) -> None:
    _, _, credential = learner_with_credential(container)
    account = container.accounts.create_account(email="bob@example.org", password=PASSWORD).id
    credential_id = container.wallet.import_credential(account, json.dumps(credential)).id
    container.wallet.recheck(account, credential_id)
    held = container.sharing.credential(account_id=account, credential_id=credential_id)
    container.sharing.verify(held)  # the service re-checks; only a share-link page counts it as someone else's
    assert container.verification_counts.pending() == 0
    assert container.verification_counts.flush() == 0
    assert counts(container.database) == []


# -- demand ---------------------------------------------------------------------------------------------------


def test_job_ads_count_the_skills_they_ask_for(database: Database, clock: FixedClock, examples: Path) -> None:
    catalog = CatalogService(database, clock=clock)
    catalog.import_paths([examples])
    demand = DemandCounts(database, clock=clock)
    careers = CareersService(
        database, catalog=catalog, index=lambda: SkillIndex.build(index_esco(), encoder=None), demand=demand
    )
    ad = "We are hiring.\n- You build websites for clients\n- You love teamwork\n- Python is a plus"
    with writes(database) as seen:
        analysis = careers.job_ad(ad)
    assert len(seen) == 1
    careers.job_ad("You love teamwork and Python.")
    found = {r.uri: r.count for r in rows(database, DemandCountRow)}
    assert found[SKILL + "team"] == 2
    assert found[SKILL + "py"] == 2
    assert found[SKILL + "web"] == 1
    assert set(found) == {s.uri for s in analysis.skills} | set(found)
    assert {(r.month, r.kind) for r in rows(database, DemandCountRow)} == {(date(2026, 5, 1), "job-ad-skill")}
    assert all(ad not in str(vars(r)) for r in rows(database, DemandCountRow))  # the text is not kept
    assert demand.count_job_ad([]) == 0


# -- learners' answers --------------------------------------------------------------------------------------------

ANSWERS = LearnerAnswers("25-34", "female", "6", "employed", "pl", "pl-14")


def test_answers_are_given_changed_and_withdrawn(container: Container, clock: FixedClock) -> None:
    statistics = container.learner_statistics
    account = container.accounts.create_account(email="ann@example.org", password=PASSWORD).id
    assert statistics.answers(account) is None
    given = statistics.consent(account, ANSWERS)
    assert (given.country, given.region, given.consent_version) == ("PL", "PL-14", "2026-12")
    assert given.consent_given_at == clock()
    changed = statistics.consent(account, LearnerAnswers("35-44", "not-said", "not-said", "student", None, None))
    assert (changed.age_band, changed.gender, changed.country) == ("35-44", "not-said", None)
    assert len(rows(container.database, LearnerProfileRow)) == 1
    assert statistics.withdraw(account) is True
    assert statistics.answers(account) is None
    assert rows(container.database, LearnerProfileRow) == []
    assert statistics.withdraw(account) is False


@pytest.mark.parametrize(
    "answers",
    [
        LearnerAnswers("20-30", "female", "6", "employed", None, None),
        LearnerAnswers("25-34", "f", "6", "employed", None, None),
        LearnerAnswers("25-34", "female", "9", "employed", None, None),
        LearnerAnswers("25-34", "female", "6", "retired", None, None),
        LearnerAnswers("25-34", "female", "6", "employed", "XX", None),
        LearnerAnswers("25-34", "female", "6", "employed", "DE", "PL-14"),
        LearnerAnswers("25-34", "female", "6", "employed", None, "PL-14"),
    ],
)
def test_only_the_answers_offered_are_stored(container: Container, answers: LearnerAnswers) -> None:
    account = container.accounts.create_account(email="ann@example.org", password=PASSWORD).id
    with pytest.raises(InputError):
        container.learner_statistics.consent(account, answers)
    assert rows(container.database, LearnerProfileRow) == []


def test_erasing_the_account_deletes_the_answers(container: Container) -> None:
    account, _, _ = learner_with_credential(container)
    container.learner_statistics.consent(account, ANSWERS)
    with writes(container.database) as seen:
        container.wallet.erase(account, "ann@example.org")
    assert any("learner_profiles" in statement for statement in seen)
    assert rows(container.database, LearnerProfileRow) == []
