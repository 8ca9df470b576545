"""The recognition pages: the public rules and course pages (English and Polish, unknown ones a 404), the
institution's review queue (who may see it, the side-by-side, decisions through the form with the substantial
differences next to their field), and the learner's side in the wallet (applying, answering, appealing)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container
from cairn.store.database import Database
from cairn.web.app import create_app
from tests.factories import (
    DATA_SKILLS,
    PASSWORD,
    FixedClock,
    add_members,
    editor_sign_in,
    make_container,
    recognition_course,
    recognition_rules,
    stored_release,
    wallet_holder,
)
from tests.helpers import english_words_on_polish_page, sign_in, skill_links, skill_name_lookups

UM, SB = "uniwersytet-mazowiecki", "skillbridge-europe"
PYTHON = "um-python-data-analysis"
ADA = "ada@example.org"
COURSE = recognition_course()
REVIEWED, AUTO = "um-da-reviewed", "um-da-automatic"
QUEUE = f"/orgs/{UM}/recognition"


rules = recognition_rules


@pytest.fixture
def container(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    built = make_container(sqlite_database, clock, examples)
    store = built.recognition.store
    store.save(COURSE, organisation=UM, actor="registrar")
    store.save(rules(REVIEWED), organisation=UM, actor="registrar")
    store.save(rules(AUTO, "automatic"), organisation=UM, actor="registrar")
    add_members(
        built,
        (UM, "issuer@example.org", "issuer"),
        (UM, "viewer@example.org", "viewer"),
        (SB, "stranger@example.org", "owner"),
    )
    return built


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


def holder(container: Container, definitions: list[str], email: str = ADA) -> tuple[int, list[str]]:
    """An account (password :data:`PASSWORD`) whose wallet holds an award of each definition; their wallet ids."""
    return wallet_holder(container, definitions, email, password=PASSWORD)


def polish(page: str) -> None:
    assert 'lang="pl"' in page
    assert english_words_on_polish_page(page) == []


# -- public pages ------------------------------------------------------------------------------------------------


def test_the_public_pages_answer_the_addresses_a_decision_credential_names(client: TestClient) -> None:
    listing = client.get("/recognition")
    assert listing.status_code == 200
    assert "Micro-credentials towards Data analysis" in listing.text
    assert f'href="/recognition/rules/{REVIEWED}"' in listing.text
    course = client.get("/recognition/courses/um-data-analysis")
    assert course.status_code == 200
    for words in ("Data analysis", "5 ECTS", "EQF level", "0613", "Models and reports", DATA_SKILLS[0]):
        assert words in course.text, words
    page = client.get(f"/recognition/rules/{REVIEWED}/versions/1")
    assert page.status_code == 200
    assert "75%" in page.text
    assert "EQF" in page.text
    assert "by a person at the institution" in page.text
    assert "2 ECTS for" in page.text  # the partial tier
    assert client.get(f"/recognition/rules/{AUTO}").text.count("at once") >= 1


def test_the_public_pages_speak_polish(client: TestClient) -> None:
    for path in ("/recognition", "/recognition/courses/um-data-analysis", f"/recognition/rules/{REVIEWED}/versions/1"):
        page = client.get(path, params={"lang": "pl"})
        assert page.status_code == 200, path
        polish(page.text)
    assert "ERK" in client.get("/recognition/courses/um-data-analysis", params={"lang": "pl"}).text


@pytest.mark.parametrize(
    "path",
    [
        "/recognition/courses/no-such-course",
        "/recognition/rules/no-such-rules",
        f"/recognition/rules/{REVIEWED}/versions/9",
        f"/recognition/rules/{REVIEWED}/versions/0",
        "/recognition/rules/" + "x" * 500,
        "/recognition/courses/%00%27",
    ],
)
def test_unknown_courses_and_rules_are_not_found(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code in (404, 422), (path, answer.status_code)


# -- the review queue --------------------------------------------------------------------------------------------


def applied(container: Container, slug: str = REVIEWED) -> str:
    account, ids = holder(container, [PYTHON])
    return container.recognition.apply_from_wallet(account, slug, ids).public_id


def test_only_the_institution_s_editors_see_the_queue(client: TestClient, container: Container) -> None:
    public_id = applied(container)
    answer = client.get(QUEUE)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/sign-in?next=")
    csrf = editor_sign_in(client, "stranger@example.org")
    assert client.get(QUEUE).status_code == 404
    refused = client.post(f"{QUEUE}/{public_id}/decision", data={"csrf_token": csrf, "decision": "full"})
    assert refused.status_code == 404
    client.cookies.clear()
    editor_sign_in(client, "viewer@example.org")
    assert client.get(QUEUE).status_code == 403
    client.cookies.clear()
    csrf = editor_sign_in(client)
    page = client.get(QUEUE)
    assert page.status_code == 200
    assert public_id[:8] in page.text
    for words in (
        "side by side",
        "Learning outcomes",
        "Decision due by",
        'name="decision"',
        "ESCO skills of the course",
    ):
        assert words in page.text, words
    polish(client.get(QUEUE, params={"lang": "pl"}).text)
    # another organisation's queue: its application is not found here
    elsewhere = client.post(
        f"/orgs/{SB}/recognition/{public_id}/decision", data={"csrf_token": csrf, "decision": "full"}
    )
    assert elsewhere.status_code == 404


def test_a_post_without_the_csrf_token_is_refused(client: TestClient, container: Container) -> None:
    public_id = applied(container)
    editor_sign_in(client)
    assert client.post(f"{QUEUE}/{public_id}/decision", data={"decision": "full"}).status_code == 403
    assert container.recognition.get(public_id).state == "review"


def test_a_full_decision_through_the_form_issues_the_decision_credential(
    client: TestClient, container: Container
) -> None:
    public_id = applied(container)
    csrf = editor_sign_in(client)
    answer = client.post(f"{QUEUE}/{public_id}/decision", data={"csrf_token": csrf, "decision": "full"})
    assert answer.status_code == 303, answer.text[:2000]
    decided = container.recognition.get(public_id)
    assert (decided.state, decided.decision, decided.ects) == ("decided", "full", 5.0)
    assert decided.award_id
    page = client.get(answer.headers["location"])
    assert "decision credential was issued" in page.text
    assert decided.award_id in page.text
    # the queue's figures count it, and name the micro-credential counted by its title
    figures = page.text.split('id="measures-title"', 1)[1]
    assert "100% of those decided" in figures
    assert '<a href="/micro-credentials/um-python-data-analysis">Data analysis with Python' in figures
    polish = client.get(f"{QUEUE}?lang=pl").text.split('id="measures-title"', 1)[1]
    assert "Uznawanie w liczbach" in polish
    assert "100% rozstrzygniętych" in polish


def test_a_refusal_without_differences_is_refused_next_to_the_field(client: TestClient, container: Container) -> None:
    public_id = applied(container)
    csrf = editor_sign_in(client)
    answer = client.post(f"{QUEUE}/{public_id}/decision", data={"csrf_token": csrf, "decision": "refused"})
    assert answer.status_code == 400
    key = f"other-{public_id}"
    assert f'href="#{key}"' in answer.text  # the error summary links to the field
    assert f'id="{key}-error"' in answer.text
    assert re.search(
        rf'<textarea id="{key}"[^>]*aria-describedby="{key}-hint {key}-error"[^>]*aria-invalid="true"', answer.text
    )
    assert container.recognition.get(public_id).state == "review"
    partial = client.post(
        f"{QUEUE}/{public_id}/decision",
        data={"csrf_token": csrf, "decision": "partial", "ects": "9", "other": "no modelling"},
    )
    assert partial.status_code == 400
    assert f'id="ects-{public_id}-error"' in partial.text
    done = client.post(
        f"{QUEUE}/{public_id}/decision",
        data={"csrf_token": csrf, "decision": "refused", "other": "no statistical modelling", "reason": "sorry"},
    )
    assert done.status_code == 303
    refused = container.recognition.get(public_id)
    assert (refused.decision, refused.differences, refused.award_id) == ("refused", ("no statistical modelling",), None)


def test_hostile_input_never_breaks_the_queue(client: TestClient, container: Container) -> None:
    public_id = applied(container)
    csrf = editor_sign_in(client)
    for data in (
        {"decision": "partial", "ects": "nan", "other": "x"},
        {"decision": "partial", "ects": "1e400", "other": "x"},
        {"decision": "refused", "other": "x", "reason": "r" * 5000},
        {"decision": "<script>", "ects": "-3"},
    ):
        answer = client.post(f"{QUEUE}/{public_id}/decision", data={"csrf_token": csrf, **data})
        assert answer.status_code == 400, (data, answer.status_code)
    assert client.post(f"{QUEUE}/no-such-id/decision", data={"csrf_token": csrf}).status_code == 404
    assert client.post(f"{QUEUE}/{'x' * 300}/information", data={"csrf_token": csrf}).status_code in (404, 422)
    assert container.recognition.get(public_id).state == "review"


# -- the learner -------------------------------------------------------------------------------------------------


def test_a_learner_applies_answers_and_appeals_through_the_wallet(client: TestClient, container: Container) -> None:
    account, ids = holder(container, [PYTHON])
    csrf = sign_in(client, ADA)
    page = client.get("/wallet/recognition", params={"rules": REVIEWED})
    assert page.status_code == 200
    assert f'value="{REVIEWED}" selected' in page.text
    polish(client.get("/wallet/recognition", params={"lang": "pl"}).text)
    empty = client.post("/wallet/recognition/apply", data={"csrf_token": csrf, "rules": REVIEWED})
    assert empty.status_code == 400
    assert 'id="credentials-error"' in empty.text
    assert client.post("/wallet/recognition/apply", data={"rules": REVIEWED, "credential": ids}).status_code == 403
    sent = client.post("/wallet/recognition/apply", data={"csrf_token": csrf, "rules": REVIEWED, "credential": ids})
    assert sent.status_code == 303, sent.text[:2000]
    (mine,) = container.recognition.of_account(account)
    assert mine.state == "review"
    # the institution asks, the learner answers
    container.recognition.request_information(mine.public_id, organisation=UM, message="Your syllabus?", actor="r")
    page = client.get("/wallet/recognition")
    assert "Your syllabus?" in page.text
    assert f'id="answer-{mine.public_id}"' in page.text
    blank = client.post(f"/wallet/recognition/{mine.public_id}/respond", data={"csrf_token": csrf, "answer": " "})
    assert blank.status_code == 400
    assert f'id="answer-{mine.public_id}-error"' in blank.text
    answered = client.post(
        f"/wallet/recognition/{mine.public_id}/respond", data={"csrf_token": csrf, "answer": "Attached"}
    )
    assert answered.status_code == 303
    container.recognition.decide(
        mine.public_id, organisation=UM, decision="refused", differences=["no modelling"], actor="r"
    )
    page = client.get("/wallet/recognition")
    assert "no modelling" in page.text
    assert "Appeal this decision" in page.text
    too_long = client.post(
        f"/wallet/recognition/{mine.public_id}/appeal", data={"csrf_token": csrf, "reason": "x" * 3000}
    )
    assert too_long.status_code == 400
    appealed = client.post(
        f"/wallet/recognition/{mine.public_id}/appeal", data={"csrf_token": csrf, "reason": "It covers modelling"}
    )
    assert appealed.status_code == 303
    assert container.recognition.get(mine.public_id).state == "appealed"
    # the reviewer decides again: in full, and the decision credential reaches the wallet
    reviewer = TestClient(client.app, follow_redirects=False)
    reviewer_csrf = editor_sign_in(reviewer)
    assert "The learner appealed:" in reviewer.get(QUEUE).text
    full = reviewer.post(f"{QUEUE}/{mine.public_id}/decision", data={"csrf_token": reviewer_csrf, "decision": "full"})
    assert full.status_code == 303
    page = client.get("/wallet/recognition")
    assert "Recognised in full" in page.text
    assert "Appeal this decision" not in page.text  # once
    # someone else's application is not found
    assert client.post("/wallet/recognition/nope/appeal", data={"csrf_token": csrf, "reason": "x"}).status_code == 404


def test_automatic_rules_decide_at_once_from_the_wallet(client: TestClient, container: Container) -> None:
    _account, ids = holder(container, [PYTHON])
    csrf = sign_in(client, ADA)
    sent = client.post("/wallet/recognition/apply", data={"csrf_token": csrf, "rules": AUTO, "credential": ids})
    assert sent.status_code == 303
    assert "done=decided" in sent.headers["location"]
    page = client.get(sent.headers["location"])
    assert "decided at once under the rules" in page.text
    polish(client.get("/wallet/recognition", params={"lang": "pl"}).text)
    unknown = client.post("/wallet/recognition/apply", data={"csrf_token": csrf, "rules": "x" * 300, "credential": ids})
    assert unknown.status_code == 400
    assert 'id="rules-error"' in unknown.text


def test_skills_are_labelled_as_the_esco_release_in_the_store_labels_them(
    client: TestClient, container: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The course page and the review queue name ESCO skills as the careers pages do: the imported release's label
    in the reader's language (here another Polish label than the shipped extract's), one lookup a page."""
    public_id = applied(container)
    analytics = DATA_SKILLS[2]
    stored_release(container, tmp_path, {analytics: ("data analytics", "analityka danych (z wydania w bazie)")})
    lookups = skill_name_lookups(monkeypatch)
    course = client.get(f"/recognition/courses/{COURSE['id']}", params={"lang": "pl"}).text
    assert skill_links(course, analytics) == [("analityka danych (z wydania w bazie)", "")]
    assert len(lookups) == 1
    editor_sign_in(client)
    del lookups[:]
    queue = client.get(QUEUE, params={"lang": "pl"}).text
    assert public_id[:8] in queue
    assert skill_links(queue, analytics) == [("analityka danych (z wydania w bazie)", "")]
    assert len(lookups) == 1
