"""Bulk awards from the web as jobs of the queue, and emails sent by a job, on SQLite (in-memory queue, worker thread
of the app) and PostgreSQL (procrastinate's tables, a worker with a connector of its own)."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cairn.bootstrap import Container, build
from cairn.services.accounts.service import AccountService
from cairn.services.issuing import bulk_uploads
from cairn.services.jobs.queue import JobQueue
from cairn.services.jobs.tasks import MAIL_TASK, register_tasks
from cairn.services.mail import Mailer
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.store.mail import OutboxRepository
from cairn.store.tables import AwardRow
from cairn.web.app import create_app
from tests.factories import FixedClock, fast_hasher
from tests.helpers import csrf_of

PASSWORD = "correct horse battery"
UM = "uniwersytet-mazowiecki"
BASE = f"/orgs/{UM}/awards"
DEFINITION = "um-python-data-analysis"
ROWS = 5
FILE = "email,name\n" + "".join(f"l{i}@example.org,Learner {i}\n" for i in range(ROWS))


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Both databases, unlike the other web tests: the queue itself differs (in memory, or PostgreSQL tables)."""
    return str(request.param)


@pytest.fixture
def container(database: Database, clock: FixedClock, examples: Path) -> Container:
    settings = Settings(
        database_url="sqlite://", secret_key="k" * 48, base_url="https://cairn.example", serve_worker=True,
        job_retry_seconds=0, registry_sync_minutes=0,
    )  # fmt: skip
    built = build(settings, clock=clock, database=database)
    built.catalog.import_paths([examples])
    fast = fast_hasher()
    accounts = AccountService(database, clock=clock, password_hasher=fast)
    accounts.add_member(organisation=UM, email="issuer@example.org", role="issuer")
    accounts.set_password(email="issuer@example.org", password=PASSWORD)
    built.bulk.batch_size = 2
    return dataclasses.replace(built, accounts=accounts)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


def awards(database: Database) -> int:
    with database.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(AwardRow)) or 0)


def test_a_web_bulk_award_is_a_job_retried_after_a_failure_and_never_awarded_twice(
    client: TestClient, container: Container, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes = {"n": 0}
    write = bulk_uploads._Recorder.write

    def failing_once(self: Any, *args: Any, **kwargs: Any) -> Any:
        writes["n"] += 1
        if writes["n"] == 2:  # the second batch fails: the first (2 rows) is committed
            raise RuntimeError("the database went away")
        return write(self, *args, **kwargs)

    monkeypatch.setattr(bulk_uploads._Recorder, "write", failing_once)
    client.cookies.clear()
    token = csrf_of(client.get("/sign-in").text)
    client.post("/sign-in", data={"email": "issuer@example.org", "password": PASSWORD, "csrf_token": token})
    csrf = csrf_of(client.get("/account").text)
    form = {"definition": DEFINITION, "action": "award", "csrf_token": csrf}
    posted = client.post(f"{BASE}/bulk", data=form, files={"file": ("people.csv", FILE.encode(), "text/csv")})
    assert posted.status_code == 303, posted.text
    page_url = posted.headers["location"]
    upload_id = int(page_url.rsplit("/", 1)[1])
    container.bulk_uploads.defer(upload_id)  # deferred twice: the lock runs them in turn; the second finds it done
    again = client.post(f"{BASE}/bulk", data=form, files={"file": ("same.csv", FILE.encode(), "text/csv")})
    assert again.headers["location"] == page_url  # the same file: the same job

    def progress() -> dict[str, Any]:
        answer = client.get(f"{page_url}/progress")
        assert answer.status_code == 200
        body: dict[str, Any] = answer.json()
        return body

    assert container.jobs.wait(lambda: progress()["status"] == "done", timeout=20), progress()
    body = progress()
    assert (body["done_rows"], body["total_rows"], body["percent"]) == (ROWS, ROWS, 100)
    assert (body["created"], body["existing"], body["failed"]) == (ROWS, 0, 0)
    assert awards(database) == ROWS
    assert writes["n"] == 1 + ROWS // 2 + 1  # one failed write, then the rest once each
    page = client.get(page_url).text
    assert "<strong>5</strong> awarded now" in page
    assert "stopped after 2 rows" in page
    report = client.get(f"{page_url}/report.csv").text.splitlines()
    assert report[0] == '"row","status","award_id"'
    assert len(report) == ROWS + 1
    assert client.get(f"/orgs/skillbridge-europe/awards/bulk/jobs/{upload_id}/progress").status_code in (403, 404)


class _Sent:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.messages.append(message)

    def close(self) -> None:
        pass


def test_an_email_queued_is_sent_once_by_a_job(container: Container, database: Database) -> None:
    container.mailer.send_pending()  # nothing: no SMTP; the member's welcome stays queued
    transport = _Sent()
    mailer = Mailer(database, clock=container.clock, transport=transport)
    jobs = JobQueue.for_database(database.url, database.dialect, retry_wait=0)
    register_tasks(
        jobs, database=database, mailer=mailer, uploads=container.bulk_uploads, analytics=container.analytics
    )
    with database.transaction() as session:
        OutboxRepository(session).enqueue(to="ann@example.org", subject="Hello", body="Hi", now=container.clock())
    assert jobs.defer(MAIL_TASK, idempotency_key=MAIL_TASK) is None  # the commit queued it already
    stop = threading.Event()
    worker = jobs.start_thread(stop, poll=0.2)
    try:
        assert jobs.wait(lambda: len(transport.messages) == 2, timeout=20)  # the welcome, then Ann's
        assert jobs.defer(MAIL_TASK, idempotency_key=MAIL_TASK) is not None
        assert jobs.wait(lambda: all(m.sent_at for m in mailer.messages(include_sent=True)), timeout=20)
    finally:
        stop.set()
        worker.join(10)
        jobs.close()
    assert sorted(m["To"] for m in transport.messages) == ["ann@example.org", "issuer@example.org"]


class _Killed(BaseException):
    """What a killed worker process leaves behind: no ``except Exception`` of the job runs."""


def test_rows_awarded_by_a_try_that_died_count_as_awarded_by_the_job_not_as_already_there(
    container: Container, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A try that never reached its ``except`` (the worker killed, the database gone when it tried to note what it
    made) must not make the job's report call its own awards "already awarded"."""
    upload_id = container.bulk_uploads.submit(
        FILE.encode(), filename="people.csv", definition=DEFINITION, organisation=UM, actor="t"
    )
    write = bulk_uploads._Recorder.write
    writes = {"n": 0}

    def killed_on_the_second_batch(self: Any, *args: Any, **kwargs: Any) -> Any:
        writes["n"] += 1
        if writes["n"] == 2:
            raise _Killed
        return write(self, *args, **kwargs)

    monkeypatch.setattr(bulk_uploads._Recorder, "write", killed_on_the_second_batch)
    with pytest.raises(_Killed):
        container.bulk_uploads.run(upload_id)
    monkeypatch.setattr(bulk_uploads._Recorder, "write", write)
    assert awards(database) == 2  # the first batch was committed by the try that died
    container.bulk_uploads.run(upload_id)  # the queue's next try (a retry, or the stalled check's)
    job = container.bulk_uploads.get(UM, upload_id).to_dict()
    assert (job["status"], job["done_rows"], job["created"], job["existing"], job["failed"]) == ("done", 5, 5, 0, 0)
    assert awards(database) == ROWS
