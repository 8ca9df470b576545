"""Signed status lists are stored in the database and shared by every process (SQLite and PostgreSQL): two
StatusListService instances over one database stand for two ``cairn serve`` processes. A job signs after a change
and the other process serves what it stored without signing; a change shows at once with no job run; the periodic
job signs tokens past half their life and the forms of a rotated key; concurrent inline signers do not fail."""

from __future__ import annotations

import json
import threading
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

import cairn.services.issuing.status_publications as publications
from cairn.bootstrap import Container, schedule_jobs
from cairn.model.awards import Recipient
from cairn.services.issuing.setup import IssuingServices
from cairn.services.jobs.queue import JobQueue
from cairn.services.jobs.tasks import STATUS_TASK, register_status_tasks
from cairn.store.database import Database
from cairn.store.issuing.publications import PublicationRepository
from cairn.store.tables import AwardRow, StatusPublicationRow
from cairn.vc.issuance import issue
from cairn.vc.multibase import b64url_decode
from cairn.vc.report import Outcome
from cairn.vc.status import BitstringStatusList
from cairn.vc.token_status import sign_status_list_token
from tests.factories import DEFINITION, ORG, FixedClock, load_examples, make_services
from tests.helpers import outcomes, verify_award

FORMS = ("vc", "token", "combined")


@pytest.fixture
def processes(database: Database, clock: FixedClock) -> tuple[IssuingServices, IssuingServices]:
    """Two processes of one instance: each its own services (and memory) over the same database."""
    load_examples(database, clock)
    return make_services(database, clock), make_services(database, clock)


@pytest.fixture
def signed(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each signing function ran (``vc``: the list credential; ``token``: any token)."""
    counts: Counter[str] = Counter()

    def counted_issue(*args: Any, **kwargs: Any) -> Any:
        counts["vc"] += 1
        return issue(*args, **kwargs)

    def counted_token(*args: Any, **kwargs: Any) -> Any:
        counts["token"] += 1
        return sign_status_list_token(*args, **kwargs)

    monkeypatch.setattr(publications, "issue", counted_issue)
    monkeypatch.setattr(publications, "sign_status_list_token", counted_token)
    return counts


@pytest.fixture
def jobs(database: Database) -> Iterator[JobQueue]:
    queue = JobQueue.for_database(database.url, database.dialect, retry_wait=0)
    yield queue
    queue.close()


def _award(services: IssuingServices, email: str = "ann@example.org") -> tuple[str, dict[str, Any]]:
    result = services.issuing.award(DEFINITION, Recipient(email=email), actor="test")
    assert isinstance(result.credential, dict)
    return result.award_id, result.credential


def _index(credential: dict[str, Any], purpose: str = "revocation") -> int:
    return int(next(e for e in credential["credentialStatus"] if e["statusPurpose"] == purpose)["statusListIndex"])


def _serve(services: IssuingServices, form: str) -> bytes:
    lists = services.status_lists
    if form == "vc":
        return lists.published(ORG, "revocation", 1).body
    return lists.token(ORG, "revocation" if form == "token" else "combined", 1).body


def _token_value(token: bytes, idx: int) -> int:
    status_list = json.loads(b64url_decode(token.decode().split(".")[1]))["status_list"]
    lst, bits = zlib.decompress(b64url_decode(status_list["lst"])), int(status_list["bits"])
    per_byte = 8 // bits
    return (lst[idx // per_byte] >> ((idx % per_byte) * bits)) & ((1 << bits) - 1)


def _revoked_in_vc(body: bytes, idx: int) -> bool:
    encoded = json.loads(body)["credentialSubject"]["encodedList"]
    return idx in BitstringStatusList.decode(encoded).set_indexes()


def _list_id(services: IssuingServices, award_id: str) -> int:
    with services.keys.database.transaction() as session:
        list_id = session.scalar(select(AwardRow.revocation_list_id).where(AwardRow.id == award_id))
    assert list_id is not None
    return int(list_id)


def _iat(token: bytes) -> int:
    return int(json.loads(b64url_decode(token.decode().split(".")[1]))["iat"])


def test_a_job_signs_after_a_revocation_and_the_other_process_serves_it_unsigned(
    processes: tuple[IssuingServices, IssuingServices], jobs: JobQueue, signed: Counter[str], clock: FixedClock
) -> None:
    one, two = processes
    register_status_tasks(jobs, one.status_lists)
    award_id, credential = _award(one)
    other_id, _ = _award(one, "bob@example.org")
    for form in FORMS:
        _serve(two, form)  # each form asked for once: stored
    two.status_lists.published(ORG, "suspension", 1)  # and the suspension list a verifier reads too
    assert signed == {"vc": 2, "token": 2}
    signed.clear()
    one.status_lists.revoke(award_id, reason="misconduct", actor="registrar")
    one.status_lists.revoke(other_id, reason="misconduct", actor="registrar")
    list_id = _list_id(one, award_id)
    # a burst of changes to one list makes one waiting job: deferring again queues nothing
    assert jobs.defer(STATUS_TASK, {"list_id": list_id}, idempotency_key=f"{STATUS_TASK}:{list_id}") is None
    assert signed == {}  # the revocation itself signs nothing
    jobs.run_pending()
    assert signed == {"vc": 1, "token": 2}  # the credential, the one-bit token and the combined token, once
    signed.clear()
    idx = _index(credential)
    bodies = {form: _serve(two, form) for form in FORMS}
    assert signed == {}  # the other process signed nothing: it served what the job stored
    assert _revoked_in_vc(bodies["vc"], idx)
    assert _token_value(bodies["token"], idx) == 1
    assert _token_value(bodies["combined"], idx) == 1  # INVALID
    report = verify_award(two, credential, clock())
    assert outcomes(report, "proof") == [Outcome.PASS]
    assert outcomes(report, "status") == [Outcome.FAIL, Outcome.PASS]
    assert signed == {}


def test_a_revocation_shows_at_once_with_no_job_run(
    processes: tuple[IssuingServices, IssuingServices], signed: Counter[str]
) -> None:
    one, two = processes
    award_id, credential = _award(one)
    before = {form: _serve(two, form) for form in FORMS}
    signed.clear()
    assert {form: _serve(one, form) for form in FORMS} == before  # the first process serves the stored forms
    assert signed == {}
    one.status_lists.suspend(award_id, reason="under review", actor="registrar")  # no queue: nobody signs ahead
    assert _token_value(_serve(two, "combined"), _index(credential)) == 2  # SUSPENDED, signed by the reader
    assert signed == {"token": 1}
    one.status_lists.revoke(award_id, reason="misconduct", actor="registrar")
    signed.clear()
    bodies = {form: _serve(two, form) for form in FORMS}
    assert signed == {"vc": 1, "token": 2}
    assert _revoked_in_vc(bodies["vc"], _index(credential))
    assert _token_value(bodies["token"], _index(credential)) == 1
    assert _token_value(bodies["combined"], _index(credential)) == 1
    signed.clear()
    assert {form: _serve(one, form) for form in FORMS} == bodies  # what the reader signed, the other serves
    assert signed == {}


def test_the_periodic_job_signs_tokens_past_half_their_life(
    processes: tuple[IssuingServices, IssuingServices], signed: Counter[str], clock: FixedClock
) -> None:
    one, two = processes
    _award(one)
    first = {form: _serve(two, form) for form in FORMS}
    signed.clear()
    clock.advance(hours=11)
    assert one.status_lists.resign_due() == 0  # not yet half way
    assert signed == {}
    clock.advance(hours=1, minutes=1)
    assert one.status_lists.resign_due() == 2  # both tokens; the credential does not expire
    assert signed == {"token": 2}
    signed.clear()
    second = {form: _serve(two, form) for form in FORMS}
    assert signed == {}  # readers never signed
    assert second["vc"] == first["vc"]
    for form in ("token", "combined"):
        assert _iat(second[form]) == _iat(first[form]) + 12 * 3600 + 60
    # with no worker at all, a reader signs a token once three quarters of its life are gone
    clock.advance(hours=18)
    assert _serve(two, "token") != second["token"]
    assert signed == {"token": 1}


def test_a_rotated_key_is_signed_with_by_the_periodic_job(
    processes: tuple[IssuingServices, IssuingServices], signed: Counter[str], clock: FixedClock
) -> None:
    one, two = processes
    _, credential = _award(one)
    first = {form: _serve(two, form) for form in FORMS}
    two.status_lists.published(ORG, "suspension", 1)
    signed.clear()
    rotated = one.keys.rotate(ORG, actor="admin")  # every current key retired: the P-256 one too
    assert one.status_lists.resign_due() == 4  # both credentials, both tokens
    assert signed == {"vc": 2, "token": 2}
    signed.clear()
    second = {form: _serve(one, form) for form in FORMS}
    assert signed == {}
    assert json.loads(second["vc"])["proof"]["verificationMethod"] == rotated.verification_method
    assert all(second[form] != first[form] for form in FORMS)
    report = verify_award(two, credential, clock())
    assert outcomes(report, "proof") == [Outcome.PASS]
    assert outcomes(report, "status") == [Outcome.PASS, Outcome.PASS]
    assert signed == {}


def test_concurrent_readers_of_a_stale_list_all_get_it(
    processes: tuple[IssuingServices, IssuingServices], database: Database
) -> None:
    one, two = processes
    award_id, credential = _award(one)
    _serve(one, "vc")  # the P-256 key of the tokens is made by one of the readers below
    one.status_lists.revoke(award_id, reason="misconduct", actor="registrar")
    start = threading.Barrier(4)
    answers: list[bytes] = []
    errors: list[BaseException] = []

    def read(services: IssuingServices, form: str) -> None:
        try:
            start.wait(10)
            answers.append(_serve(services, form))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=read, args=(s, f)) for s in (one, two) for f in ("vc", "token")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [repr(e.__cause__) for e in errors] == []
    assert len(answers) == 4
    with database.transaction() as session:
        stored = session.execute(
            select(StatusPublicationRow.form, func.count()).group_by(StatusPublicationRow.form)
        ).all()
    assert sorted(stored) == [("token", 1), ("vc", 1)]  # one row a form, whoever stored last
    assert all(_revoked_in_vc(a, _index(credential)) for a in answers if a.startswith(b"{"))


def test_a_form_signed_earlier_never_replaces_one_signed_later(
    processes: tuple[IssuingServices, IssuingServices], database: Database, clock: FixedClock
) -> None:
    one, _ = processes
    _award(one)
    _serve(one, "vc")
    with database.transaction() as session:
        row = session.scalars(select(StatusPublicationRow)).one()
        values = {c: getattr(row, c) for c in ("list_id", "form", "revision", "key_id", "suite", "suspensions")}
        body = row.body
    common = {**values, "etag": "x", "media_type": "application/vc", "expires_at": None}
    with database.transaction() as session:
        PublicationRepository(session).save(**common, body=b"older", signed_at=clock() - timedelta(minutes=1))
    with database.transaction() as session:
        assert session.scalars(select(StatusPublicationRow.body)).one() == body
        PublicationRepository(session).save(**common, body=b"newer", signed_at=clock() + timedelta(minutes=1))
    with database.transaction() as session:
        assert session.scalars(select(StatusPublicationRow.body)).one() == b"newer"


def test_an_instance_queues_the_signing_after_a_change_and_schedules_the_resigning(
    container: Container, signed: Counter[str]
) -> None:
    award_id = container.issuing.award(DEFINITION, Recipient(email="ann@example.org"), actor="test").award_id
    try:
        container.status_lists.revoke(award_id, reason="misconduct", actor="registrar")
        assert signed == {}
        container.jobs.run_pending()  # the job bootstrap deferred when the revocation committed
        assert signed == {"vc": 1}
        signed.clear()
        container.status_lists.published(ORG, "revocation", 1)
        assert signed == {}
        schedule_jobs(container)
        assert "status.resign" in container.jobs.app.tasks
    finally:
        container.jobs.close()
