"""Status lists on SQLite and PostgreSQL: random indexes never shared, revocation and suspension seen by a
verifier, signed lists re-signed only when they change, and two writers racing for the same indexes."""

from __future__ import annotations

import json
import random
import threading

import pytest
from sqlalchemy import func, select

from cairn.errors import ConflictError, InputError, NotFoundError
from cairn.model.awards import Recipient
from cairn.services.issuing.service import AwardPlan, IssuingService, Prepared
from cairn.services.issuing.setup import IssuingServices
from cairn.services.issuing.status_lists import IndexChooser
from cairn.store.database import Database
from cairn.store.tables import AuditEntry, AwardRow, StatusListRow
from cairn.vc.report import Outcome
from cairn.vc.status import DEFAULT_LENGTH, BitstringStatusList
from tests.factories import DEFINITION, ORG, PUBLIC_URL, FixedClock, PostgresServer, load_examples, make_services
from tests.helpers import assert_authentic, outcomes, verify_award


@pytest.fixture
def services(database: Database, clock: FixedClock) -> IssuingServices:
    load_examples(database, clock)
    return make_services(database, clock)


def _award(services: IssuingServices, n: int) -> str:
    return services.issuing.award(DEFINITION, Recipient(email=f"learner{n}@example.org"), actor="test").award_id


def test_each_award_has_a_revocation_and_a_suspension_entry(services: IssuingServices) -> None:
    result = services.issuing.award(DEFINITION, Recipient(email="ann@example.org"), actor="test")
    assert isinstance(result.credential, dict)
    entries = result.credential["credentialStatus"]
    assert [e["statusPurpose"] for e in entries] == ["revocation", "suspension"]
    for entry, purpose in zip(entries, ("revocation", "suspension"), strict=True):
        assert entry["type"] == "BitstringStatusListEntry"
        assert entry["statusListCredential"] == f"{PUBLIC_URL}/orgs/{ORG}/status/{purpose}/1"
        assert 0 <= int(entry["statusListIndex"]) < DEFAULT_LENGTH
        assert entry["id"] == f"{entry['statusListCredential']}#{entry['statusListIndex']}"


def test_revoke_then_a_verifier_sees_it_revoked(
    services: IssuingServices, clock: FixedClock, database: Database
) -> None:
    result = services.issuing.award(DEFINITION, Recipient(email="ann@example.org"), actor="test")
    assert isinstance(result.credential, dict)
    assert_authentic(verify_award(services, result.credential, clock()))
    clock.advance(hours=1)
    change = services.status_lists.revoke(result.award_id, reason="academic misconduct", actor="registrar")
    assert change.changed
    report = verify_award(services, result.credential, clock())
    assert outcomes(report, "proof") == [Outcome.PASS]
    assert outcomes(report, "status") == [Outcome.FAIL, Outcome.PASS]
    assert "revoked" in report.text()
    assert not report.verified
    again = services.status_lists.revoke(result.award_id, reason="twice", actor="registrar")
    assert not again.changed
    view = services.issuing.get(result.award_id)
    assert view.revoked_at == clock()
    assert view.revocation_reason == "academic misconduct"
    with database.transaction() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "award.revoke")).one()
    assert (entry.actor, entry.subject, entry.details) == (
        "registrar",
        result.award_id,
        {"reason": "academic misconduct"},
    )
    with pytest.raises(ConflictError):
        services.status_lists.suspend(result.award_id, reason="late", actor="registrar")
    with pytest.raises(ConflictError):
        services.status_lists.set_status(result.award_id, purpose="revocation", value=False, reason="x", actor="r")
    assert services.audit.verify().ok


def test_suspend_and_reinstate(services: IssuingServices, clock: FixedClock) -> None:
    result = services.issuing.award(DEFINITION, Recipient(email="ann@example.org"), actor="test")
    assert isinstance(result.credential, dict)
    before = services.status_lists.published(ORG, "suspension", 1)
    services.status_lists.suspend(result.award_id, reason="under investigation", actor="registrar")
    report = verify_award(services, result.credential, clock())
    assert outcomes(report, "status") == [Outcome.PASS, Outcome.FAIL]
    assert "suspended" in report.text()
    suspended = services.status_lists.published(ORG, "suspension", 1)
    assert suspended.etag != before.etag
    assert suspended.revision == before.revision + 1
    assert not services.status_lists.suspend(result.award_id, reason="again", actor="registrar").changed
    services.status_lists.unsuspend(result.award_id, reason="cleared", actor="registrar")
    assert_authentic(verify_award(services, result.credential, clock()))
    assert services.status_lists.published(ORG, "suspension", 1).revision == before.revision + 2
    assert not services.status_lists.unsuspend(result.award_id, reason="again", actor="registrar").changed
    assert services.issuing.get(result.award_id).suspended is False


def test_the_published_list_is_signed_cached_and_tagged(services: IssuingServices, clock: FixedClock) -> None:
    award_id = _award(services, 1)
    first = services.status_lists.published(ORG, "revocation", 1)
    assert services.status_lists.published(ORG, "revocation", 1) is first  # not re-signed
    body = json.loads(first.body)
    assert body["id"] == f"{PUBLIC_URL}/orgs/{ORG}/status/revocation/1"
    assert body["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert body["issuer"] == services.keys.did(ORG)
    assert body["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert body["credentialSubject"]["statusPurpose"] == "revocation"
    assert BitstringStatusList.decode(body["credentialSubject"]["encodedList"]).set_indexes() == []
    assert first.media_type == "application/vc"
    assert first.cache_control == "public, max-age=300"
    assert first.not_modified(first.etag)
    assert first.not_modified(f'"x", {first.etag}')
    assert first.not_modified("*")
    assert not first.not_modified(None)
    assert not first.not_modified('"other"')
    services.status_lists.revoke(award_id, reason="error in grading", actor="registrar")
    second = services.status_lists.published(ORG, "revocation", 1)
    assert second.etag != first.etag
    assert not second.not_modified(first.etag)
    index = services.issuing.get(award_id).credential
    assert isinstance(index, dict)
    revocation_index = int(index["credentialStatus"][0]["statusListIndex"])
    encoded = json.loads(second.body)["credentialSubject"]["encodedList"]
    assert BitstringStatusList.decode(encoded).set_indexes() == [revocation_index]
    assert services.status_lists.response(ORG, "revocation", 1) == (second.body, second.etag, "application/vc")
    # Rotating the key re-signs the list with the new key.
    rotated = services.keys.rotate(ORG, actor="admin")
    third = services.status_lists.published(ORG, "revocation", 1)
    assert json.loads(third.body)["proof"]["verificationMethod"] == rotated.verification_method
    assert third.etag != second.etag


def test_unknown_lists_awards_and_other_organisations_are_not_found(services: IssuingServices) -> None:
    award_id = _award(services, 1)
    for slug, purpose, sequence in ((ORG, "revocation", 2), (ORG, "refresh", 1), ("nobody", "revocation", 1)):
        with pytest.raises(NotFoundError):
            services.status_lists.published(slug, purpose, sequence)
    with pytest.raises(NotFoundError):
        services.status_lists.revoke("no-such-award", reason="x", actor="r")
    with pytest.raises(NotFoundError):
        services.status_lists.revoke(award_id, reason="x", actor="r", organisation="skillbridge-europe")
    with pytest.raises(NotFoundError):
        services.issuing.get(award_id, organisation="skillbridge-europe")
    for reason in ("", "   ", "x" * 1001):
        with pytest.raises(InputError):
            services.status_lists.revoke(award_id, reason=reason, actor="r")
    with pytest.raises(InputError):
        services.status_lists.set_status(award_id, purpose="refresh", value=True, reason="x", actor="r")
    assert services.issuing.get(award_id).revoked_at is None


def test_a_full_list_makes_the_next_one(database: Database, clock: FixedClock) -> None:
    load_examples(database, clock)
    services = make_services(database, clock, list_limit=3)
    credentials = [
        services.issuing.award(DEFINITION, Recipient(email=f"l{n}@example.org"), actor="test").credential
        for n in range(7)
    ]
    urls = [c["credentialStatus"][0]["statusListCredential"] for c in credentials if isinstance(c, dict)]
    assert [u.rsplit("/", 1)[1] for u in urls] == ["1", "1", "1", "2", "2", "2", "3"]
    with database.transaction() as session:
        rows = session.execute(select(StatusListRow.purpose, StatusListRow.sequence, StatusListRow.allocated)).all()
    assert sorted(rows) == [(p, s, a) for p in ("revocation", "suspension") for s, a in ((1, 3), (2, 3), (3, 1))]


def _count_retries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each time a writer had to take another index because its first choice was taken."""
    retries: list[str] = []
    original = IssuingService._reslot

    def counting(self: IssuingService, plan: AwardPlan, item: Prepared) -> Prepared:
        retries.append(item.spec.award_id)
        return original(self, plan, item)

    monkeypatch.setattr(IssuingService, "_reslot", counting)
    return retries


def test_a_writer_that_loses_a_race_takes_another_index(
    database: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two services with separate caches (as two processes have) drawing from the same few indexes."""
    retries = _count_retries(monkeypatch)
    load_examples(database, clock)
    first = make_services(database, clock, choose_index=_among(8))
    second = make_services(database, clock, choose_index=_among(8))
    for n in range(4):
        first.issuing.award(DEFINITION, Recipient(email=f"a{n}@example.org"), actor="one")
        second.issuing.award(DEFINITION, Recipient(email=f"b{n}@example.org"), actor="two")
    _assert_no_shared_index(database, 8)
    assert retries  # the constraint, not luck, kept the indexes apart


def _among(size: int) -> IndexChooser:
    """Choose at random among the first ``size`` indexes that this writer does not know to be taken."""

    def choose(taken: set[int], length: int) -> int | None:
        free = [i for i in range(size) if i not in taken]
        return random.choice(free) if free else None

    return choose


def _assert_no_shared_index(database: Database, expected: int) -> None:
    with database.transaction() as session:
        awards = session.execute(
            select(AwardRow.revocation_list_id, AwardRow.revocation_index, AwardRow.suspension_index)
        ).all()
        count = session.scalar(select(func.count()).select_from(AwardRow))
    assert count == len(awards) == expected
    assert len({(a[0], a[1]) for a in awards}) == expected
    assert len({a[2] for a in awards}) == expected


@pytest.mark.slow
@pytest.mark.postgres
def test_two_writers_on_postgresql_never_share_an_index(
    postgres_server: PostgresServer, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two writers, each with its own connections and caches, allocating from the same 400 indexes at once:
    the UNIQUE constraints and the SAVEPOINT retry keep every index to one award."""
    retries = _count_retries(monkeypatch)
    url = postgres_server.migrated_database()
    setup = Database(url)
    load_examples(setup, clock)
    setup.dispose()
    per_writer, errors = 150, []
    barrier = threading.Barrier(2)

    def writer(name: str) -> None:
        database = Database(url)
        try:
            services = make_services(database, clock, choose_index=_among(400))
            barrier.wait()
            for n in range(per_writer):
                services.issuing.award(DEFINITION, Recipient(email=f"{name}{n}@example.org"), actor=name)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            database.dispose()

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert retries
    check = Database(url)
    try:
        _assert_no_shared_index(check, 2 * per_writer)
        assert make_services(check, clock).audit.verify().ok
    finally:
        check.dispose()


def _process_writer(url: str, name: str, count: int, barrier: object, errors: object) -> None:
    """One app process awarding ``count`` times (module level, so a spawned process can import it)."""
    database = Database(url)
    try:
        services = make_services(database, FixedClock(), choose_index=_among(400))
        barrier.wait()  # type: ignore[attr-defined]
        for n in range(count):
            services.issuing.award(DEFINITION, Recipient(email=f"{name}{n}@example.org"), actor=name)
    except Exception as exc:  # reported to the parent
        errors.put(f"{name}: {type(exc).__name__}: {exc}")  # type: ignore[attr-defined]
    finally:
        database.dispose()


@pytest.mark.slow
@pytest.mark.postgres
def test_two_app_processes_on_postgresql_never_share_an_index(
    postgres_server: PostgresServer, clock: FixedClock
) -> None:
    """The same race as above between two operating-system processes, as two app servers would run it."""
    import multiprocessing

    url = postgres_server.migrated_database()
    setup = Database(url)
    load_examples(setup, clock)
    setup.dispose()
    context = multiprocessing.get_context("spawn")
    barrier, errors = context.Barrier(2), context.Queue()
    per_process = 120
    processes = [
        context.Process(target=_process_writer, args=(url, name, per_process, barrier, errors)) for name in ("p", "q")
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=240)
        assert process.exitcode == 0
    assert errors.empty(), errors.get()
    check = Database(url)
    try:
        _assert_no_shared_index(check, 2 * per_process)
    finally:
        check.dispose()
