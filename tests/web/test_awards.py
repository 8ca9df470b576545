"""Awarding pages on SQLite and PostgreSQL: the list, a single award, bulk awards from CSV and XLSX, one award
with revocation and suspension; roles, CSRF, and other organisations."""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select

import cairn.web.issuing.awards as awards
from cairn.bootstrap import Container, build
from cairn.model.awards import Recipient
from cairn.services.accounts.service import AccountService
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.store.tables import AuditEntry, AwardRow, BulkJobRow, OutboxRow
from cairn.vc.report import Outcome
from cairn.vc.verification import verify
from cairn.web.app import create_app
from cairn.web.issuing.bulk import report_csv
from tests.factories import FixedClock
from tests.helpers import csrf_of

PASSWORD = "correct horse battery"
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
SECRET = "k" * 48
PUBLIC = "https://cairn.example"
UM, SB = "uniwersytet-mazowiecki", "skillbridge-europe"
DEFINITION = "um-python-data-analysis"
BASE = f"/orgs/{UM}/awards"
GOOD_CSV = "email,name,external_id,grade\nada@example.org,Ada Lovelace,S-1,A\nalan@example.org,Alan Turing,S-2,B\n" + (
    "grace@example.org,Grace Hopper,S-3,A\n"
)
MEMBERSHIPS = (
    (UM, "owner@example.org", "owner"),
    (UM, "issuer@example.org", "issuer"),
    (UM, "viewer@example.org", "viewer"),
    (SB, "stranger@example.org", "owner"),
)
MEMBERS = [email for _, email, _ in MEMBERSHIPS]


@pytest.fixture
def container(database: Database, clock: FixedClock, examples: Path) -> Container:
    settings = Settings(database_url="sqlite://", secret_key=SECRET, base_url=PUBLIC, max_upload_bytes=200_000)
    built = build(settings, clock=clock, database=database)
    built.catalog.import_paths([examples])
    accounts = AccountService(database, clock=clock, password_hasher=FAST)
    for organisation, email, role in MEMBERSHIPS:
        accounts.add_member(organisation=organisation, email=email, role=role)
        accounts.set_password(email=email, password=PASSWORD)
    return dataclasses.replace(built, accounts=accounts)


def awards_app(container: Container) -> FastAPI:
    """The app, with the awarding pages included if ``create_app`` does not include them yet."""
    app = create_app(container)
    if not any(getattr(route, "path", "") == "/orgs/{slug}/awards" for route in app.routes):
        app.include_router(awards.router)
    return app


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(awards_app(container), follow_redirects=False) as client:
        yield client


def sign_in(client: TestClient, email: str = "issuer@example.org") -> str:
    """Sign in through the pages; the session's CSRF token."""
    client.cookies.clear()
    token = csrf_of(client.get("/sign-in").text)
    answer = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/account").text)


def count(database: Database, table: Any) -> int:
    with database.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def learner_emails(database: Database) -> list[OutboxRow]:
    """Queued emails, but for those telling members they were added."""
    with database.transaction() as session:
        return list(session.scalars(select(OutboxRow).where(OutboxRow.to_address.not_in(MEMBERS))))


def award(container: Container, email: str = "ann@example.org", **extra: Any) -> str:
    """Award the example definition through the service; the award id."""
    result = container.issuing.award(
        DEFINITION, Recipient(email=email, name=extra.pop("name", None)), actor="test", organisation=UM, **extra
    )
    return result.award_id


def error_text(page: str, key: str) -> str:
    found = re.search(rf'<span class="field-error" id="{re.escape(key)}-error">([^<]*)</span>', page)
    assert found, f"no error at {key}"
    return html.unescape(found.group(1))


def upload(
    client: TestClient, csrf: str | None, content: bytes, *, name: str = "learners.csv", action: str = "award"
) -> Any:
    data = {"definition": DEFINITION, "action": action}
    if csrf is not None:
        data["csrf_token"] = csrf
    kind = "text/csv" if name.endswith(".csv") else "application/octet-stream"
    return client.post(f"{BASE}/bulk", data=data, files={"file": (name, content, kind)})


def award_file(
    client: TestClient, container: Container, csrf: str, content: bytes, *, name: str = "learners.csv"
) -> str:
    """Post a file to award, wait for its job (the app's worker thread) to finish; the job page's URL."""
    answer = upload(client, csrf, content, name=name)
    assert answer.status_code == 303, answer.text
    url = str(answer.headers["location"])
    upload_id = int(url.rsplit("/", 1)[1])
    assert container.jobs.wait(lambda: container.bulk_uploads.get(UM, upload_id).finished, timeout=20)
    return url


def report_rows(client: TestClient, job_url: str) -> list[dict[str, str]]:
    text = client.get(f"{job_url}/report.csv").text
    return list(csv.DictReader(io.StringIO(text)))


# -- who may do what ---------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient, container: Container) -> None:
    award_id = award(container)
    for path in (BASE, f"{BASE}/new", f"{BASE}/bulk", f"{BASE}/{award_id}", f"{BASE}/{award_id}/credential"):
        answer = client.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/sign-in?next=%2Forgs%2F")
    refused = client.post(f"{BASE}/{award_id}/revoke", data={"reason": "x", "confirm": "yes"})
    assert refused.status_code == 303
    assert refused.headers["location"].startswith("/sign-in?next=")
    assert upload(client, None, GOOD_CSV.encode()).status_code == 303
    assert container.issuing.get(award_id).revoked_at is None


def test_a_viewer_lists_and_reads_but_cannot_award_or_revoke(
    client: TestClient, container: Container, database: Database
) -> None:
    award_id = award(container, name="Ann Example")
    csrf = sign_in(client, "viewer@example.org")
    page = client.get(BASE)
    assert page.status_code == 200
    assert "Ann Example" in page.text
    assert f'href="{BASE}/{award_id}"' in page.text
    assert f'href="{BASE}/new"' not in page.text
    assert "revoke or suspend" not in page.text
    shown = client.get(f"{BASE}/{award_id}")
    assert shown.status_code == 200
    assert "Revoke the award" not in shown.text
    assert client.get(f"{BASE}/{award_id}/credential").status_code == 200
    assert client.get(f"{BASE}/new").status_code == 403
    assert client.get(f"{BASE}/bulk").status_code == 403
    posted = {"csrf_token": csrf, "definition": DEFINITION, "email": "bob@example.org"}
    assert client.post(f"{BASE}/new", data=posted).status_code == 403
    assert upload(client, csrf, GOOD_CSV.encode()).status_code == 403
    for action in ("revoke", "suspend", "unsuspend"):
        data = {"csrf_token": csrf, "reason": "because", "confirm": "yes"}
        assert client.post(f"{BASE}/{award_id}/{action}", data=data).status_code == 403, action
    assert count(database, AwardRow) == 1
    assert container.issuing.get(award_id).revoked_at is None


def test_another_organisation_gets_404(client: TestClient, container: Container) -> None:
    award_id = award(container)
    csrf = sign_in(client, "stranger@example.org")
    for path in (BASE, f"{BASE}/new", f"{BASE}/bulk", f"{BASE}/{award_id}", f"{BASE}/{award_id}/verify"):
        assert client.get(path).status_code == 404, path
    other = f"/orgs/{SB}/awards/{award_id}"
    assert client.get(other).status_code == 404
    assert client.get(f"{other}/credential").status_code == 404
    data = {"csrf_token": csrf, "reason": "not mine", "confirm": "yes"}
    assert client.post(f"{other}/revoke", data=data).status_code == 404
    assert container.issuing.get(award_id).revoked_at is None
    assert client.get(f"/orgs/{SB}/awards").status_code == 200
    assert client.get(f"/orgs/{SB}/awards/not-a-uuid").status_code == 404


def test_posts_without_the_csrf_token_are_refused(client: TestClient, container: Container, database: Database) -> None:
    award_id = award(container)
    sign_in(client)
    assert client.post(f"{BASE}/new", data={"definition": DEFINITION, "email": "bob@example.org"}).status_code == 403
    assert upload(client, None, GOOD_CSV.encode()).status_code == 403
    assert upload(client, "wrong", GOOD_CSV.encode()).status_code == 403
    refused = client.post(f"{BASE}/{award_id}/revoke", data={"reason": "x", "confirm": "yes"})
    assert refused.status_code == 403
    assert count(database, AwardRow) == 1
    assert container.issuing.get(award_id).revoked_at is None


def test_the_csrf_token_may_come_as_a_header(client: TestClient, container: Container) -> None:
    award_id = award(container)
    csrf = sign_in(client)
    answer = client.post(f"{BASE}/{award_id}/suspend", data={"reason": "checking"}, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 303
    assert container.issuing.get(award_id).suspended
    files = {"file": ("learners.csv", GOOD_CSV.encode(), "text/csv")}
    data = {"definition": DEFINITION, "action": "award"}
    bulk = client.post(f"{BASE}/bulk", data=data, files=files, headers={"X-CSRF-Token": csrf})
    assert bulk.status_code == 303
    assert "/bulk/jobs/" in bulk.headers["location"]


# -- one award ---------------------------------------------------------------------------------------


def test_a_single_award_shows_its_claim_link_and_is_not_made_twice(
    client: TestClient, container: Container, database: Database
) -> None:
    csrf = sign_in(client)
    form = client.get(f"{BASE}/new")
    assert form.status_code == 200
    assert f'<option value="{DEFINITION}"' in form.text
    assert "sb-cloud-applications" not in form.text  # another organisation's micro-credential
    data = {"csrf_token": csrf, "definition": DEFINITION, "name": "Bob Builder", "email": "Bob@Example.org"}
    data |= {"external_id": "S-77", "grade": "4.5"}
    first = client.post(f"{BASE}/new", data=data)
    assert first.status_code == 201, first.text
    claim = re.search(r'id="claim-url" type="text" readonly value="([^"]+)"', first.text)
    assert claim
    assert claim.group(1).startswith(f"{PUBLIC}/claim/")
    assert "An email with this link to bob@example.org is on its way." in first.text
    award_id = re.search(rf'href="{BASE}/([0-9a-f-]{{36}})/verify"', first.text)
    assert award_id
    assert count(database, AwardRow) == 1
    [email] = learner_emails(database)
    assert email.to_address == "bob@example.org"
    assert claim.group(1) in email.body_text
    path = claim.group(1).removeprefix(PUBLIC)
    english = client.get(path).text
    assert "has awarded you <strong>" not in english  # values are escaped text, whole sentences translated
    assert "4 May 2026" in english
    polish = client.get(path, params={"lang": "pl"}).text
    assert "Twoje mikropoświadczenie" in polish
    assert "Pobierz je, bez zakładania konta" in polish
    assert "maja 2026" in polish
    again = client.post(f"{BASE}/new", data=data)
    assert again.status_code == 200
    assert "Already awarded" in again.text
    assert 'id="claim-url"' not in again.text
    assert award_id.group(1) in again.text
    assert count(database, AwardRow) == 1
    assert len(learner_emails(database)) == 1
    listed = client.get(BASE).text
    assert "Bob Builder" in listed
    assert "S-77" in listed


def test_a_single_award_to_a_did_alone(client: TestClient, database: Database) -> None:
    csrf = sign_in(client)
    data = {"csrf_token": csrf, "definition": DEFINITION, "did": "did:example:learner-1"}
    answer = client.post(f"{BASE}/new", data=data)
    assert answer.status_code == 201
    assert "No email address was given: send the learner this link yourself." in answer.text
    assert learner_emails(database) == []


SINGLE_AWARD_PROBLEMS: list[tuple[dict[str, str], str, str]] = [
    ({}, "email", "Give the learner's email address, their DID, or both."),
    ({"email": "not-an-email"}, "email", "Email: this is not an email address"),
    ({"did": "example:123"}, "did", "DID: write it as did:METHOD:IDENTIFIER"),
    ({"email": "a@example.org", "name": '=HYPERLINK("x")'}, "name", "Name: must not start with"),
    ({"email": "a@example.org", "grade": "x" * 501}, "grade", "Grade: at most 500 characters."),
    ({"email": "a@example.org", "definition": "sb-cloud-applications"}, "definition", "Micro-credential: choose"),
]
"""Form fields, the field that is wrong, and what the page must say next to it."""


def test_a_single_award_with_problems_shows_them_next_to_the_fields(client: TestClient, database: Database) -> None:
    """Every problem in one signed-in session per storage backend; none stores an award."""
    csrf = sign_in(client)
    for fields, key, message in SINGLE_AWARD_PROBLEMS:
        answer = client.post(f"{BASE}/new", data={"csrf_token": csrf, "definition": DEFINITION, **fields})
        assert answer.status_code == 400, fields
        assert message in error_text(answer.text, key), fields
        assert f'href="#{key}"' in answer.text, fields  # the summary links to the field
        described = rf'id="{key}"[^>]*aria-describedby="[^"]*{key}-error'
        assert re.search(described, answer.text.replace("\n", " ")), fields
        assert 'role="alert"' in answer.text, fields
        assert "autofocus" in answer.text, fields
    assert count(database, AwardRow) == 0


# -- bulk awards -------------------------------------------------------------------------------------


def test_a_bulk_csv_with_three_good_rows_awards_three(
    client: TestClient, container: Container, database: Database
) -> None:
    csrf = sign_in(client)
    page = client.get(f"{BASE}/bulk")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    job = award_file(client, container, csrf, GOOD_CSV.encode())
    answer = client.get(job)
    assert answer.status_code == 200, answer.text
    assert count(database, AwardRow) == 3
    assert len(learner_emails(database)) == 3
    assert "<strong>3</strong> awarded now" in answer.text
    assert "<strong>0</strong> already awarded" in answer.text
    assert "<strong>0</strong> failed" in answer.text
    rows = report_rows(client, job)
    assert [r["row"] for r in rows] == ["2", "3", "4"]
    assert {r["status"] for r in rows} == {"created"}
    for r in rows:
        view = container.issuing.get(r["award_id"], organisation=UM)
        assert view.external_id == f"S-{r['row'] and int(r['row']) - 1}"
    bodies = [o.body_text for o in learner_emails(database)]
    assert all(f"{PUBLIC}/claim/" in body for body in bodies)
    again = upload(client, csrf, GOOD_CSV.encode())
    assert (again.status_code, again.headers["location"]) == (303, job)  # the same file: the same job
    same_rows = GOOD_CSV.replace("\n", "\r\n").encode()  # another file (hash), the same learners
    second = award_file(client, container, csrf, same_rows)
    assert second != job
    assert "<strong>3</strong> already awarded" in client.get(second).text
    assert {r["status"] for r in report_rows(client, second)} == {"already awarded"}
    assert count(database, AwardRow) == 3


def test_checking_a_file_writes_nothing(client: TestClient, database: Database) -> None:
    csrf = sign_in(client)
    answer = upload(client, csrf, GOOD_CSV.encode(), action="check")
    assert answer.status_code == 200
    assert "learners.csv is ready" in answer.text
    assert "3 rows, columns email, name, external_id, grade: no problem found" in answer.text
    assert count(database, AwardRow) == 0
    assert count(database, BulkJobRow) == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "email,name\nann@example.org,Ann\nnot-an-email,Bob\nann@example.org,Ann\n"
            'carl@example.org,"=HYPERLINK(""http://evil.example"",""x"")"\n',
            [
                ("3", "email", "not an email address"),
                ("4", "", "the same learner (and external id) as row 2"),
                ("5", "name", "looks like a spreadsheet formula"),
            ],
        ),
        ("mail,nom\nann@example.org,Ann\n", [("1", "mail", "unknown column 'mail'"), ("1", "", "needs an 'email'")]),
    ],
    ids=["bad-rows", "wrong-header"],
)
def test_a_bulk_file_with_problems_is_reported_row_by_row_and_nothing_is_written(
    client: TestClient, database: Database, content: str, expected: list[tuple[str, str, str]]
) -> None:
    csrf = sign_in(client)
    answer = upload(client, csrf, content.encode())
    assert answer.status_code == 400
    assert "Nothing was awarded." in answer.text
    assert 'href="#file"' in answer.text
    assert "problems found; nothing was awarded" in error_text(answer.text, "file")
    table = re.search(r'<table class="list problems">(.*?)</table>', answer.text, re.S)
    assert table
    cells = [
        tuple(html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row))
        for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    ][1:]
    for row, column, message in expected:
        assert any(c[0] == row and c[1] == column and message in c[2] for c in cells), (row, column, message, cells)
    assert count(database, AwardRow) == 0
    assert count(database, BulkJobRow) == 0
    assert learner_emails(database) == []


def test_a_bulk_xlsx_file_works(client: TestClient, container: Container, database: Database) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Email", "Name", "External ID", "Grade"])
    sheet.append(["xa@example.org", "Xavier", "X-1", 5])
    sheet.append(["xb@example.org", "Yvonne", "X-2", 4.5])
    out = io.BytesIO()
    book.save(out)
    csrf = sign_in(client)
    job = award_file(client, container, csrf, out.getvalue(), name="learners.xlsx")
    assert "<strong>2</strong> awarded now" in client.get(job).text
    rows = report_rows(client, job)
    assert [r["status"] for r in rows] == ["created", "created"]
    assert {container.issuing.get(r["award_id"], organisation=UM).external_id for r in rows} == {"X-1", "X-2"}
    assert count(database, AwardRow) == 2


def test_bulk_form_problems(client: TestClient, database: Database) -> None:
    csrf = sign_in(client)
    no_file = client.post(f"{BASE}/bulk", data={"csrf_token": csrf, "definition": DEFINITION, "action": "award"})
    assert no_file.status_code == 400
    assert "choose a CSV or XLSX file" in error_text(no_file.text, "file")
    empty = upload(client, csrf, b"")
    assert empty.status_code == 400
    other = client.post(
        f"{BASE}/bulk",
        data={"csrf_token": csrf, "definition": "sb-cloud-applications", "action": "award"},
        files={"file": ("a.csv", GOOD_CSV.encode(), "text/csv")},
    )
    assert other.status_code == 400
    assert "choose one from the list" in error_text(other.text, "definition")
    assert count(database, AwardRow) == 0


def test_an_upload_over_the_limit_is_refused_with_413(client: TestClient, database: Database) -> None:
    csrf = sign_in(client)
    big = ("email\n" + "".join(f"learner{i:07d}@example.org\n" for i in range(10_000))).encode()
    assert len(big) > 200_000
    assert upload(client, csrf, big).status_code == 413
    assert count(database, AwardRow) == 0


def test_the_example_file_is_a_valid_bulk_file(client: TestClient, database: Database) -> None:
    csrf = sign_in(client)
    example = client.get(f"{BASE}/bulk/template.csv")
    assert example.status_code == 200
    assert example.headers["content-type"].startswith("text/csv")
    checked = upload(client, csrf, example.content, action="check")
    assert checked.status_code == 200
    assert "no problem found" in checked.text


def test_report_cells_that_look_like_formulas_are_made_inert() -> None:
    from cairn.web.issuing.bulk import RowResult

    row = RowResult(2, "created", "id", "a@example.org", "", "-1+1", "@x", "")
    text = report_csv([row])
    assert "'-1+1" in text
    assert "'@x" in text


# -- one award: status ------------------------------------------------------------------------------


def test_revoking_shows_on_the_page_and_in_verification(
    client: TestClient, container: Container, database: Database, clock: FixedClock
) -> None:
    award_id = award(container, name="Ann Example")
    credential = container.issuing.get(award_id).credential
    before = verify(credential, now=clock(), fetcher=container.verification.fetcher)
    assert before.verified, before.checks
    csrf = sign_in(client)
    page = client.get(f"{BASE}/{award_id}")
    assert page.status_code == 200
    assert 'class="status status-valid">Valid' in page.text
    assert f'action="{BASE}/{award_id}/revoke"' in page.text
    answer = client.post(
        f"{BASE}/{award_id}/revoke", data={"csrf_token": csrf, "reason": "awarded in error", "confirm": "yes"}
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{BASE}/{award_id}?done=revoked"
    shown = client.get(answer.headers["location"]).text
    assert 'class="status status-revoked">Revoked' in shown
    assert "awarded in error" in shown
    assert "cannot be undone" in shown
    assert f'action="{BASE}/{award_id}/revoke"' not in shown
    report = verify(credential, now=clock(), fetcher=container.verification.fetcher)
    assert not report.verified
    assert report.outcome_of("status") is Outcome.FAIL
    assert "revoked" in " ".join(c.reason for c in report.checks if c.name == "status")
    checked = client.get(f"{BASE}/{award_id}/verify")
    assert checked.status_code == 200
    assert "Not verified" in checked.text
    listed = client.get(f"{BASE}?status=revoked").text
    assert "Ann Example" in listed
    assert "awarded in error" in listed
    with database.transaction() as session:
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.subject == award_id)))
    assert actions == ["award.create", "award.revoke"]


def test_revoking_needs_a_reason_and_a_confirmation(client: TestClient, container: Container) -> None:
    award_id = award(container)
    csrf = sign_in(client)
    answer = client.post(f"{BASE}/{award_id}/revoke", data={"csrf_token": csrf, "reason": "  "})
    assert answer.status_code == 400
    assert "Reason: say why" in error_text(answer.text, "revoke-reason")
    assert "tick the box" in error_text(answer.text, "revoke-confirm")
    assert 'href="#revoke-confirm"' in answer.text
    unconfirmed = client.post(f"{BASE}/{award_id}/revoke", data={"csrf_token": csrf, "reason": "fraud"})
    assert unconfirmed.status_code == 400
    assert 'value="fraud"' in unconfirmed.text  # the reason is kept
    too_long = client.post(
        f"{BASE}/{award_id}/revoke", data={"csrf_token": csrf, "reason": "x" * 1001, "confirm": "yes"}
    )
    assert too_long.status_code == 400
    assert container.issuing.get(award_id).revoked_at is None


def test_suspend_and_reinstate(client: TestClient, container: Container, clock: FixedClock) -> None:
    award_id = award(container)
    credential = container.issuing.get(award_id).credential
    csrf = sign_in(client)
    missing = client.post(f"{BASE}/{award_id}/suspend", data={"csrf_token": csrf})
    assert missing.status_code == 400
    assert "Reason: say why" in error_text(missing.text, "suspend-reason")
    done = client.post(f"{BASE}/{award_id}/suspend", data={"csrf_token": csrf, "reason": "under investigation"})
    assert done.status_code == 303
    page = client.get(done.headers["location"]).text
    assert 'class="status status-suspended">Suspended' in page
    assert "The award is suspended." in page
    assert f'action="{BASE}/{award_id}/unsuspend"' in page
    assert verify(credential, now=clock(), fetcher=container.verification.fetcher).outcome_of("status") is Outcome.FAIL
    assert "Suspended" in client.get(f"{BASE}?status=suspended").text
    again = client.post(f"{BASE}/{award_id}/suspend", data={"csrf_token": csrf, "reason": "still"})
    assert again.headers["location"].endswith("?done=unchanged")
    back = client.post(f"{BASE}/{award_id}/unsuspend", data={"csrf_token": csrf, "reason": "cleared"})
    assert back.status_code == 303
    assert 'class="status status-valid">Valid' in client.get(back.headers["location"]).text
    assert verify(credential, now=clock(), fetcher=container.verification.fetcher).verified


def test_a_revoked_award_cannot_be_suspended(client: TestClient, container: Container) -> None:
    award_id = award(container)
    container.status_lists.revoke(award_id, reason="error", actor="test")
    csrf = sign_in(client)
    answer = client.post(f"{BASE}/{award_id}/suspend", data={"csrf_token": csrf, "reason": "x"})
    assert answer.status_code == 409
    assert "this award is revoked" in error_text(answer.text, "change-status").lower()
    assert 'href="#change-status"' in answer.text


def test_the_credential_downloads_as_a_file(client: TestClient, container: Container) -> None:
    award_id = award(container)
    sign_in(client, "viewer@example.org")
    answer = client.get(f"{BASE}/{award_id}/credential")
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == f'attachment; filename="credential-{award_id}.json"'
    assert answer.json()["id"] == f"urn:uuid:{award_id}"
    assert answer.json()["proof"]["cryptosuite"] == "eddsa-rdfc-2022"


# -- the list ---------------------------------------------------------------------------------------


def test_the_list_filters_and_pages(client: TestClient, container: Container, clock: FixedClock) -> None:
    ids = []
    for i in range(30):
        clock.advance(minutes=1)
        ids.append(award(container, f"learner{i}@example.org", external_id=f"EXT-{i:02d}"))
    container.status_lists.revoke(ids[3], reason="fraud", actor="test")
    sign_in(client, "viewer@example.org")
    first = client.get(BASE).text
    assert "30 awards in all" in first
    assert "29 valid" in first
    assert "1 revoked" in first
    assert "Showing 1–25 of 30 awards · page 1 of 2." in first
    assert first.index("EXT-29") < first.index("EXT-05")  # newest first
    assert "EXT-04" not in first
    assert 'href="?page=2" rel="next"' in first
    second = client.get(f"{BASE}?page=2").text
    assert "Showing 26–30 of 30 awards · page 2 of 2." in second
    assert "EXT-04" in second
    assert "EXT-00" in second
    found = client.get(f"{BASE}?q=ext-1").text
    assert "Showing 1–10 of 10 matching awards." in found
    by_email = client.get(f"{BASE}?q=learner7@example.org").text
    assert "Showing 1–0" not in by_email
    assert "No award matches the filter." in by_email  # awarded with an external id, so not to the email alone
    plain = award(container, "solo@example.org")
    assert plain in client.get(f"{BASE}?q=SOLO@example.org").text
    revoked = client.get(f"{BASE}?status=revoked").text
    assert "Showing 1–1 of 1 matching award." in revoked
    assert "EXT-03" in revoked
    bad = client.get(f"{BASE}?status=lost")
    assert bad.status_code == 400
    assert "Choose a status" in error_text(bad.text, "status")
    far = client.get(f"{BASE}?page=99").text
    assert "page 2 of 2" in far


def test_a_credential_issued_through_the_vc_api_is_listed_and_revoked_on_the_pages(
    client: TestClient, container: Container
) -> None:
    body = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential", "ExampleDegreeCredential"],
        "credentialSubject": {"id": "did:example:graduate", "degree": "BSc"},
    }
    vc = container.api_issuing.issue(body, organisation=UM, suite=None, actor="lms")
    assert isinstance(vc, dict)
    award_id = vc["id"].removeprefix("urn:uuid:")
    csrf = sign_in(client)
    page = client.get(BASE)
    assert page.status_code == 200
    assert f'href="{BASE}/{award_id}"' in page.text
    assert "ExampleDegreeCredential" in page.text
    assert "issued through the VC-API" in page.text
    shown = client.get(f"{BASE}/{award_id}")
    assert shown.status_code == 200, shown.text
    assert "did:example:graduate" in shown.text
    assert client.get(f"{BASE}/{award_id}/credential").json() == vc
    done = client.post(
        f"{BASE}/{award_id}/revoke", data={"csrf_token": csrf, "reason": "issued in error", "confirm": "yes"}
    )
    assert done.status_code == 303, done.text
    assert container.issuing.get(award_id).revoked_at is not None
    report = verify(vc, now=container.clock(), fetcher=container.verification.fetcher)
    assert report.outcome_of("status") is Outcome.FAIL
    assert "revoked" in " ".join(c.reason for c in report.checks if c.name == "status")


def test_the_claim_email_is_in_the_language_of_the_page_the_award_was_made_on(
    client: TestClient, database: Database
) -> None:
    csrf = sign_in(client)
    data = {"csrf_token": csrf, "definition": DEFINITION, "name": "Ola", "email": "ola@example.org"}
    assert client.post(f"{BASE}/new", params={"lang": "pl"}, data=data).status_code == 201
    assert client.post(f"{BASE}/new", data=data | {"email": "ann@example.org"}).status_code == 201
    subjects = {e.to_address: e.subject for e in learner_emails(database)}
    assert subjects["ola@example.org"] == "Twoje mikropoświadczenie: Analiza danych w języku Python"
    assert subjects["ann@example.org"] == "Your micro-credential: Data analysis with Python"
