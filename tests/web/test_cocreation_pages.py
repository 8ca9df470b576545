"""Co-creation over HTTP: the university shares a draft with the employer academy from its review page, the
academy's member reads it and comments, the university answers; anonymous readers are sent to sign in, other
organisations get 404, posts need the CSRF token and a sane size, text is escaped; English and Polish."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container
from cairn.model.definitions import DRAFT, MicroCredentialDefinition
from cairn.store.database import Database
from cairn.web.app import create_app
from tests.factories import PASSWORD, FixedClock, make_container
from tests.helpers import audit, csrf_of, sign_in

UM, BEA, SB = "uniwersytet-mazowiecki", "baltyk-energia-akademia", "skillbridge-europe"
DRAFT_ID = "um-offshore-data"
REVIEW = f"/orgs/{UM}/catalogue/{DRAFT_ID}/review"
SHARED = f"/orgs/{BEA}/shared-drafts"
PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"


@pytest.fixture
def container(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    built = make_container(sqlite_database, clock, examples)
    for organisation, email, role in (
        (UM, "lead@example.org", "issuer"),
        (UM, "viewer@example.org", "viewer"),
        (BEA, "hr@example.org", "viewer"),
        (SB, "outsider@example.org", "owner"),
    ):
        built.accounts.add_member(organisation=organisation, email=email, role=role, notify=False)
        built.accounts.set_password(email=email, password=PASSWORD)
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
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


def _share(client: TestClient) -> int:
    csrf = sign_in(client, "lead@example.org")
    shared = client.post(f"{REVIEW}/share", data={"csrf_token": csrf, "organisation": BEA})
    assert shared.status_code == 303, shared.text
    found = re.search(r"share=(\d+)", shared.headers["location"])
    assert found
    return int(found.group(1))


def test_share_comment_and_answer(client: TestClient, container: Container) -> None:
    csrf = sign_in(client, "lead@example.org")
    edit = client.get(f"/orgs/{UM}/catalogue/{DRAFT_ID}/edit").text
    assert f'href="{REVIEW}"' in edit  # the draft's form links to its comments
    page = client.get(REVIEW).text
    assert '<label for="reviewer">Organisation</label>' in page
    assert "This micro-credential is not shared with any organisation." in page
    share_id = _share(client)
    shared = client.get(f"{REVIEW}?done=shared&share={share_id}").text
    assert 'role="status"' in shared
    assert "Shared: the members of Bałtyk Energia S.A. — Baltic Energy Academy can now read the draft" in shared
    assert f'value="{BEA}"' not in shared  # shared already: no longer offered

    sign_in(client, "hr@example.org")
    assert "/orgs/baltyk-energia-akademia/shared-drafts" in client.get("/account").text
    listing = client.get(SHARED).text
    assert f'href="{SHARED}/{share_id}"' in listing
    assert "Data analysis for offshore wind" in listing
    draft = client.get(f"{SHARED}/{share_id}").text
    assert "Cleans turbine sensor data with pandas." in draft  # the Annex I table, read-only
    assert "<caption>Annex I elements of the draft</caption>" in draft
    csrf = csrf_of(draft)
    said = client.post(
        f"{SHARED}/{share_id}/comments", data={"csrf_token": csrf, "text": "<script>alert(1)</script> Add SCADA."}
    )
    assert said.status_code == 303
    page = client.get(said.headers["location"]).text
    assert "Your comment was sent to Mazovian University in Warsaw." in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Add SCADA." in page
    assert "<script>alert(1)" not in page

    csrf = sign_in(client, "lead@example.org")
    page = client.get(REVIEW).text
    assert "1 comment not dealt with" in page
    comment_id = re.search(r'id="comment-(\d+)"', page)
    assert comment_id
    answered = client.post(
        f"{REVIEW}/{share_id}/comments",
        data={"csrf_token": csrf, "text": "Added as outcome 2.", "reply_to": comment_id.group(1)},
    )
    assert answered.status_code == 303
    resolved = client.post(
        f"{REVIEW}/{share_id}/comments/{comment_id.group(1)}/resolve", data={"csrf_token": csrf, "resolved": "yes"}
    )
    assert resolved.status_code == 303
    page = client.get(resolved.headers["location"]).text
    assert "The comment is marked as dealt with." in page
    assert "Added as outcome 2." in page
    assert f'href="#comment-{comment_id.group(1)}"' in page  # the answer points at the comment it answers
    ended = client.post(f"{REVIEW}/{share_id}/end", data={"csrf_token": csrf})
    assert ended.status_code == 303
    sign_in(client, "hr@example.org")
    assert client.get(f"{SHARED}/{share_id}").status_code == 404
    assert [e.action for e in audit(container.database) if e.action.startswith("draft.")] == [
        "draft.share",
        "draft.comment",
        "draft.comment",
        "draft.resolve",
        "draft.unshare",
    ]


def test_attack_anonymous_outsiders_and_forged_posts_are_refused(client: TestClient) -> None:
    share_id = _share(client)
    client.cookies.clear()
    for path in (REVIEW, SHARED, f"{SHARED}/{share_id}"):
        answer = client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/sign-in?next=")
    csrf = sign_in(client, "outsider@example.org")
    for path in (REVIEW, SHARED, f"{SHARED}/{share_id}", f"/orgs/{SB}/shared-drafts/{share_id}"):
        assert client.get(path).status_code == 404, path
    for path in (f"{SHARED}/{share_id}/comments", f"/orgs/{SB}/shared-drafts/{share_id}/comments"):
        assert client.post(path, data={"csrf_token": csrf, "text": "let me in"}).status_code == 404, path
    assert client.post(f"{REVIEW}/share", data={"csrf_token": csrf, "organisation": SB}).status_code == 404

    csrf = sign_in(client, "viewer@example.org")  # the lead's viewer reads, but neither shares nor answers
    page = client.get(REVIEW).text
    assert "Share for comments" not in page
    assert client.post(f"{REVIEW}/share", data={"csrf_token": csrf, "organisation": SB}).status_code == 403

    csrf = sign_in(client, "hr@example.org")
    assert client.get(REVIEW).status_code == 404  # the reviewer never sees the lead's page
    assert client.post(f"{SHARED}/{share_id}/comments", data={"text": "no token"}).status_code == 403
    huge = client.post(f"{SHARED}/{share_id}/comments", data={"csrf_token": csrf, "text": "x" * 70_000})
    assert huge.status_code == 413
    long = client.post(f"{SHARED}/{share_id}/comments", data={"csrf_token": csrf, "text": "x" * 4001})
    assert long.status_code == 400
    assert "The comment is longer than 4000 characters" in long.text
    assert 'aria-invalid="true"' in long.text
    assert "x" * 4001 in long.text  # what was typed is kept


def test_polish_pages_and_a_published_draft(client: TestClient, container: Container) -> None:
    share_id = _share(client)
    sign_in(client, "hr@example.org")
    page = client.get(f"{SHARED}?lang=pl").text
    assert '<html lang="pl">' in page
    assert "Wersje robocze udostępnione" in page
    page = client.get(f"{SHARED}/{share_id}?lang=pl").text
    assert "Analiza danych morskiej energetyki wiatrowej" in page
    csrf = csrf_of(page)
    empty = client.post(f"{SHARED}/{share_id}/comments?lang=pl", data={"csrf_token": csrf, "text": "  "})
    assert empty.status_code == 400
    assert "Komentarz jest pusty" in empty.text
    container.editing.publish(UM, DRAFT_ID, actor="account:1")
    closed = client.post(f"{SHARED}/{share_id}/comments", data={"csrf_token": csrf, "text": "Late"})
    assert closed.status_code == 409
    assert "its comments are closed" in closed.text
    assert "It is published: comments are closed." in client.get(f"{SHARED}/{share_id}").text
