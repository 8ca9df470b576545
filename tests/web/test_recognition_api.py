"""The recognition API: published rules and courses for anyone, applying with a presentation signed by a did:key
holder (decided at once under automatic rules, else waiting), a challenge used once, and the institution's queue and
decision with its own API token, the decision issued as a credential."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container
from cairn.store.database import Database
from tests.factories import (
    DATA_COURSE,
    HOLDER_DID,
    OTHER_HOLDER_KEY,
    FixedClock,
    awarded_to_did,
    present,
    recognition_course,
    recognition_rules,
)
from tests.vcapi_parts import OTHER, SB, TOKEN, UM, auth, vc_api_app

READ_ONLY = "cairn_test_read_only_token_of_the_um_0123"
PYTHON = "um-python-data-analysis"
COURSE_ID = DATA_COURSE
AUTO, REVIEWED = "um-da-automatic", "um-da-reviewed"
QUEUE = f"/api/v1/orgs/{UM}/recognition/applications"
COURSE = recognition_course()
Parts = tuple[TestClient, Container]


_rules = recognition_rules


@pytest.fixture
def parts(database: Database, clock: FixedClock, examples: Path) -> Iterator[Parts]:
    with vc_api_app(database, clock, examples) as (client, container):
        container.accounts.install_token(organisation=UM, name="r", scopes=["credentials:read"], token=READ_ONLY)
        store = container.recognition.store
        store.save(COURSE, organisation=UM, actor="registrar")
        store.save(_rules(AUTO, "automatic"), organisation=UM, actor="registrar")
        store.save(_rules(REVIEWED, "reviewer"), organisation=UM, actor="registrar")
        yield client, container


def _apply(client: TestClient, container: Container, rules: str, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
    """Apply under ``rules`` with the university's Python credential awarded to HOLDER_DID; the answer and body."""
    answer = client.get(f"/api/v1/recognition/rules/{rules}/challenge")
    assert answer.status_code == 200, answer.text
    challenge, domain = answer.json()["challenge"], answer.json()["domain"]
    presentation = present(awarded_to_did(container, HOLDER_DID, [PYTHON]), challenge, domain, **kwargs)
    body = {"presentation": presentation, "challenge": challenge}
    return client.post(f"/api/v1/recognition/rules/{rules}/applications", json=body), body


# -- reading ------------------------------------------------------------------------------------------------------


def test_published_rules_and_courses_are_read_by_anyone(parts: Parts) -> None:
    client, _ = parts
    listing = client.get("/api/v1/recognition/rules")
    assert listing.status_code == 200
    ids = [item["id"] for item in listing.json()["items"]]
    assert {AUTO, REVIEWED} <= set(ids)
    assert listing.json()["count"] == len(ids)
    one = client.get(f"/api/v1/recognition/rules/{AUTO}")
    assert one.status_code == 200, one.text
    rules = one.json()
    assert (rules["id"], rules["version"], rules["versions"], rules["institution"]) == (AUTO, 1, [1], UM)
    assert rules["conditions"] == {
        "eqf_at_least": 5,
        "assessed": True,
        "identity_verified": False,
        "skills_coverage": 0.75,
    }
    assert rules["outcome"]["review"] == "automatic"
    assert rules["outcome"]["ects"] == 5
    assert rules["course"]["id"] == COURSE_ID
    assert rules["course"]["title"]["pl"] == "Analiza danych"
    course = client.get(f"/api/v1/recognition/courses/{COURSE_ID}")
    assert course.status_code == 200
    assert (course.json()["ects"], course.json()["eqf"], course.json()["versions"]) == (5, 6, [1])
    for missing in ("/api/v1/recognition/rules/no-such-rules", f"/api/v1/recognition/courses/{'x' * 500}"):
        answer = client.get(missing)
        assert answer.status_code == 404
        assert answer.json()["ok"] is False
        assert answer.json()["error"]
    assert client.get(f"/api/v1/recognition/rules/{AUTO}", params={"version": 2}).status_code == 404
    assert client.get("/api/v1/recognition/rules/no-such-rules/challenge").status_code == 404


def test_the_api_is_documented(parts: Parts) -> None:
    client, _ = parts
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in (
        ("/api/v1/recognition/rules", "get"),
        ("/api/v1/recognition/rules/{slug}", "get"),
        ("/api/v1/recognition/courses/{slug}", "get"),
        ("/api/v1/recognition/rules/{slug}/challenge", "get"),
        ("/api/v1/recognition/rules/{slug}/applications", "post"),
        ("/api/v1/orgs/{org}/recognition/applications", "get"),
        ("/api/v1/orgs/{org}/recognition/applications/{application_id}/decision", "post"),
    ):
        assert paths[path][method]["tags"] == ["recognition"], path
        assert paths[path][method]["summary"], path


# -- applying -------------------------------------------------------------------------------------------------------


def test_automatic_rules_decide_at_once_and_issue_the_decision_credential(parts: Parts) -> None:
    client, container = parts
    made, body = _apply(client, container, AUTO)
    assert made.status_code == 201, made.text
    application = made.json()["application"]
    assert (application["state"], application["decision"], application["ects"]) == ("automatic-decided", "full", 5)
    assert application["holder"] == HOLDER_DID
    assert application["automatic"] is True
    assert application["explanation"]
    [presented] = application["presented"]
    assert (presented["status"], presented["counted"], presented["trusted"]) == ("valid", True, True)
    assert presented["digest"].startswith("sha384-")
    assert presented["explanation"]
    credential = made.json()["credential"]
    assert credential["credentialSubject"]["id"] == HOLDER_DID
    assert container.verification.verify(credential).verified
    replay = client.post(f"/api/v1/recognition/rules/{AUTO}/applications", json=body)
    assert replay.status_code == 400
    assert "used already" in replay.json()["error"]


def test_reviewed_rules_wait_in_the_institution_s_queue_for_its_own_token(parts: Parts) -> None:
    client, _container = parts
    made, _ = _apply(client, _container, REVIEWED)
    assert made.status_code == 201, made.text
    application = made.json()["application"]
    assert (application["state"], application["decision"], application["award_id"]) == ("review", None, None)
    assert made.json()["credential"] is None
    assert application["deadline"]
    queue = client.get(QUEUE, headers=auth(READ_ONLY))
    assert queue.status_code == 200
    assert [a["id"] for a in queue.json()["items"]] == [application["id"]]
    assert client.get(QUEUE, params={"state": "decided"}, headers=auth(READ_ONLY)).json()["count"] == 0
    assert client.get(QUEUE, params={"state": "nonsense"}, headers=auth(READ_ONLY)).status_code == 422
    assert client.get(QUEUE).status_code == 401
    foreign = client.get(QUEUE, headers=auth(OTHER))  # another organisation's token
    assert foreign.status_code == 403
    assert foreign.json()["ok"] is False
    assert client.get(f"/api/v1/orgs/{SB}/recognition/applications", headers=auth(OTHER)).json()["count"] == 0


def test_someone_else_s_credential_is_shown_as_not_counted_and_why(parts: Parts) -> None:
    client, container = parts
    made, _ = _apply(client, container, AUTO, key=OTHER_HOLDER_KEY)
    assert made.status_code == 201, made.text
    application = made.json()["application"]
    assert (application["state"], application["decision"]) == ("review", None)
    [presented] = application["presented"]
    assert (presented["status"], presented["counted"]) == ("about someone else", False)
    assert presented["explanation"]


@pytest.mark.parametrize(
    "presentation", [{}, "garbage", "a.b.c", {"type": "VerifiablePresentation"}, {"holder": ["x"] * 100}]
)
def test_hostile_applications_answer_in_the_error_shape(parts: Parts, presentation: Any) -> None:
    client, container = parts
    challenge = client.get(f"/api/v1/recognition/rules/{AUTO}/challenge").json()["challenge"]
    answer = client.post(
        f"/api/v1/recognition/rules/{AUTO}/applications", json={"presentation": presentation, "challenge": challenge}
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["ok"] is False
    assert container.recognition.queue(UM) == []


def test_malformed_requests_are_refused_never_a_500(parts: Parts, clock: FixedClock) -> None:
    client, container = parts
    url = f"/api/v1/recognition/rules/{AUTO}/applications"
    challenge = client.get(f"/api/v1/recognition/rules/{AUTO}/challenge").json()["challenge"]
    assert client.post(url, json={"presentation": {}}).status_code == 422
    assert client.post(url, json={"presentation": {}, "challenge": "c" * 201}).status_code == 422
    assert client.post(url, json={"presentation": 42, "challenge": challenge}).status_code == 422
    assert client.post(url, json={"presentation": {}, "challenge": challenge, "extra": 1}).status_code == 422
    assert client.post(url, json={"presentation": {}, "challenge": "1.2.3"}).status_code == 400
    assert client.post(url, content=b"{not json", headers={"content-type": "application/json"}).status_code == 422
    huge = client.post(url, json={"presentation": "x" * 1_000_001, "challenge": challenge})
    assert huge.status_code == 413
    unknown = client.post(
        f"/api/v1/recognition/rules/{'x' * 5000}/applications", json={"presentation": {}, "challenge": challenge}
    )
    assert unknown.status_code == 404
    other = client.get(f"/api/v1/recognition/rules/{REVIEWED}/challenge").json()["challenge"]
    assert "other rules" in client.post(url, json={"presentation": {}, "challenge": other}).json()["error"]
    clock.advance(minutes=11)
    assert "expired" in client.post(url, json={"presentation": {}, "challenge": challenge}).json()["error"]
    assert container.recognition.queue(UM) == []


# -- deciding -------------------------------------------------------------------------------------------------------


def test_a_decision_through_the_api_issues_the_decision_credential(parts: Parts) -> None:
    client, container = parts
    made, _ = _apply(client, container, REVIEWED)
    decision = f"{QUEUE}/{made.json()['application']['id']}/decision"
    body = {"decision": "partial", "ects": 2, "differences": ["No statistical modelling"], "reason": "In part."}
    assert client.post(decision, json=body, headers=auth(READ_ONLY)).status_code == 403  # read scope only
    assert client.post(decision, json=body, headers=auth(OTHER)).status_code == 403  # another organisation's
    elsewhere = f"/api/v1/orgs/{SB}/recognition/applications/{made.json()['application']['id']}/decision"
    assert client.post(elsewhere, json=body, headers=auth(OTHER)).status_code == 403  # read scope only
    no_differences = client.post(decision, json={"decision": "refused", "reason": "no"}, headers=auth())
    assert no_differences.status_code == 400
    assert "substantial differences" in no_differences.json()["error"]
    assert client.post(decision, json={**body, "ects": None}, headers=auth()).status_code == 400
    assert client.post(decision, json={**body, "ects": 5}, headers=auth()).status_code == 400
    assert client.post(decision, json={**body, "decision": "maybe"}, headers=auth()).status_code == 422
    assert client.post(decision, json={**body, "ects": "2"}, headers=auth()).status_code == 422
    assert client.post(decision, json={**body, "differences": ["d" * 1001]}, headers=auth()).status_code == 422
    assert client.post(decision, json={**body, "differences": ["d"] * 21}, headers=auth()).status_code == 422
    assert client.post(decision, json={**body, "reason": "r" * 2001}, headers=auth()).status_code == 422
    assert client.post(f"{QUEUE}/no-such-application/decision", json=body, headers=auth()).status_code == 404
    assert client.post(f"{QUEUE}/{'x' * 5000}/decision", json=body, headers=auth()).status_code == 404
    decided = client.post(decision, json=body, headers=auth(TOKEN))
    assert decided.status_code == 200, decided.text
    application = decided.json()["application"]
    assert (application["state"], application["decision"], application["ects"]) == ("decided", "partial", 2)
    assert application["differences"] == ["No statistical modelling"]
    assert application["reason"] == "In part."
    credential = decided.json()["credential"]
    assert credential["credentialSubject"]["id"] == HOLDER_DID
    assert container.verification.verify(credential).verified
    assert client.post(decision, json=body, headers=auth()).status_code == 409  # decided already
    assert client.get(QUEUE, headers=auth(READ_ONLY)).json()["count"] == 0
    assert client.get(QUEUE, params={"state": "decided"}, headers=auth(READ_ONLY)).json()["count"] == 1


def test_the_institution_reads_its_recognition_in_numbers(parts: Parts) -> None:
    client, container = parts
    measures = f"/api/v1/orgs/{UM}/recognition/measures"
    empty = client.get(measures, headers=auth(READ_ONLY))
    assert empty.status_code == 200, empty.text
    assert empty.json() == {
        "ok": True,
        "organisation": UM,
        "applications": 0,
        "decided": 0,
        "recognised_share": None,
        "automatic_share": None,
        "median_days_to_decision": None,
        "most_recognised": [],
    }
    assert _apply(client, container, AUTO)[0].status_code == 201
    waiting, _ = _apply(client, container, REVIEWED)
    refusal = {"decision": "refused", "differences": ["No statistics"], "reason": "no"}
    refused = client.post(f"{QUEUE}/{waiting.json()['application']['id']}/decision", json=refusal, headers=auth())
    assert refused.status_code == 200, refused.text
    # still waiting: another holder (the same holder with the same evidence gets the same application)
    assert _apply(client, container, REVIEWED, key=OTHER_HOLDER_KEY)[0].status_code == 201
    found = client.get(measures, headers=auth(READ_ONLY)).json()
    assert (found["applications"], found["decided"]) == (3, 2)
    assert (found["recognised_share"], found["automatic_share"], found["median_days_to_decision"]) == (0.5, 0.5, 0)
    assert found["most_recognised"] == [{"name": PYTHON, "recognitions": 1}]
    assert client.get(measures).status_code == 401
    assert client.get(measures, headers=auth(OTHER)).status_code == 403
