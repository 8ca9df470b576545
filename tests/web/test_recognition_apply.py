"""A learner whose credentials are in another wallet applies for recognition, through the API and the rules page,
and follows the application with the access key answered once: the institution asks for more information and
decides with its own token, the learner answers, reads the decision credential and appeals. A wrong key is the same
404 as no application; bodies are bounded; the page's forms carry the CSRF token; errors are said next to the
field, the pasted text kept."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container
from cairn.store.database import Database
from tests.factories import (
    HOLDER_DID,
    FixedClock,
    awarded_to_did,
    present,
    recognition_course,
    recognition_rules,
)
from tests.helpers import english_words_on_polish_page
from tests.vcapi_parts import OTHER, UM, auth, vc_api_app

READ_ONLY = "cairn_test_read_only_token_of_the_um_0123"
PYTHON = "um-python-data-analysis"
AUTO, REVIEWED = "um-da-automatic", "um-da-reviewed"
ORG_APPLICATIONS = f"/api/v1/orgs/{UM}/recognition/applications"
MINE = "/api/v1/recognition/applications"
Parts = tuple[TestClient, Container]


@pytest.fixture
def parts(database: Database, clock: FixedClock, examples: Path) -> Iterator[Parts]:
    with vc_api_app(database, clock, examples) as (client, container):
        container.accounts.install_token(organisation=UM, name="r", scopes=["credentials:read"], token=READ_ONLY)
        store = container.recognition.store
        store.save(recognition_course(), organisation=UM, actor="registrar")
        store.save(recognition_rules(AUTO, "automatic"), organisation=UM, actor="registrar")
        store.save(recognition_rules(REVIEWED), organisation=UM, actor="registrar")
        yield client, container


def _key(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _apply(client: TestClient, container: Container, rules: str, **extra: Any) -> Any:
    bound = client.get(f"/api/v1/recognition/rules/{rules}/challenge").json()
    presentation = present(awarded_to_did(container, HOLDER_DID, [PYTHON]), bound["challenge"], bound["domain"])
    body = {"presentation": presentation, "challenge": bound["challenge"], **extra}
    return client.post(f"/api/v1/recognition/rules/{rules}/applications", json=body)


# -- the API ------------------------------------------------------------------------------------------------------


def test_an_outside_applicant_follows_the_application_through_the_api(parts: Parts) -> None:
    client, container = parts
    made = _apply(client, container, REVIEWED, language="pl")
    assert made.status_code == 201, made.text
    key = made.json()["access_key"]
    application = made.json()["application"]
    number = application["id"]
    assert (application["state"], application["language"], application["messages"]) == ("review", "pl", [])
    assert made.headers["cache-control"] == "no-store"

    mine = client.get(f"{MINE}/{number}", headers=_key(key))
    assert mine.status_code == 200, mine.text
    assert "access_key" not in mine.json()  # answered once only
    assert mine.json()["application"]["deadline"]
    assert mine.json()["credential"] is None

    ask = client.post(
        f"{ORG_APPLICATIONS}/{number}/information", json={"message": "Send the syllabus"}, headers=auth(READ_ONLY)
    )
    assert ask.status_code == 403  # read scope only
    ask = client.post(f"{ORG_APPLICATIONS}/{number}/information", json={"message": "Send the syllabus"}, headers=auth())
    assert ask.status_code == 200, ask.text
    assert ask.json()["application"]["state"] == "more-info-requested"
    asked = client.get(f"{MINE}/{number}", headers=_key(key)).json()["application"]
    assert [(m["kind"], m["text"]) for m in asked["messages"]] == [("request", "Send the syllabus")]

    answered = client.post(f"{MINE}/{number}/respond", json={"message": "It is attached"}, headers=_key(key))
    assert answered.status_code == 200, answered.text
    assert answered.json()["application"]["state"] == "review"
    assert client.post(f"{MINE}/{number}/respond", json={"message": "again"}, headers=_key(key)).status_code == 409

    seen = client.get(f"{ORG_APPLICATIONS}/{number}", headers=auth(READ_ONLY))
    assert seen.status_code == 200, seen.text
    assert [m["kind"] for m in seen.json()["application"]["messages"]] == ["request", "response"]
    assert client.get(f"{ORG_APPLICATIONS}/{number}", headers=auth(OTHER)).status_code == 403
    decision = {"decision": "partial", "ects": 2, "differences": ["No statistical modelling"], "reason": "In part."}
    decided = client.post(f"{ORG_APPLICATIONS}/{number}/decision", json=decision, headers=auth())
    assert decided.status_code == 200, decided.text

    after = client.get(f"{MINE}/{number}", headers=_key(key)).json()
    assert (after["application"]["decision"], after["application"]["ects"]) == ("partial", 2)
    assert after["application"]["differences"] == ["No statistical modelling"]
    credential = after["credential"]
    assert credential["credentialSubject"]["id"] == HOLDER_DID
    assert container.verification.verify(credential).verified

    appealed = client.post(f"{MINE}/{number}/appeal", json={"reason": "Modelling was covered"}, headers=_key(key))
    assert appealed.status_code == 200, appealed.text
    assert (appealed.json()["application"]["state"], appealed.json()["application"]["messages"][-1]["kind"]) == (
        "appealed",
        "appeal",
    )
    assert client.post(f"{MINE}/{number}/appeal", json={"reason": "again"}, headers=_key(key)).status_code == 409


def test_a_wrong_key_is_the_same_404_as_no_application(parts: Parts) -> None:
    client, container = parts
    made = _apply(client, container, REVIEWED).json()
    number, key = made["application"]["id"], made["access_key"]
    nothing = client.get(f"{MINE}/no-such-application", headers=_key(key))
    assert nothing.status_code == 404
    for url, headers in (
        (f"{MINE}/{number}", _key(key[:-1] + ("A" if key[-1] != "A" else "B"))),
        (f"{MINE}/{number}", _key("x" * 5000)),
        (f"{MINE}/{number}", auth()),  # an organisation's API token is not the applicant's key
        (f"{MINE}/{'x' * 5000}", _key(key)),
    ):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 404, url
        assert answer.json() == nothing.json()
    for action, body in (("respond", {"message": "hi"}), ("appeal", {"reason": "no"})):
        wrong = client.post(f"{MINE}/{number}/{action}", json=body, headers=_key("wrong"))
        assert wrong.status_code == 404
        assert wrong.json() == nothing.json()
        missing = client.post(f"{MINE}/{number}/{action}", json=body)
        assert missing.status_code == 401
        assert missing.json()["ok"] is False
    missing = client.get(f"{MINE}/{number}")
    assert missing.status_code == 401
    assert "Bearer" in missing.headers["www-authenticate"]
    assert client.get(f"{MINE}/{number}", headers={"Authorization": "Basic abc"}).status_code == 401
    elsewhere = client.get(f"/api/v1/orgs/skillbridge-europe/recognition/applications/{number}", headers=auth(OTHER))
    assert elsewhere.status_code == 404  # another organisation's own token: not its application


def test_bodies_are_bounded_and_checked(parts: Parts) -> None:
    client, container = parts
    made = _apply(client, container, REVIEWED).json()
    number, key = made["application"]["id"], made["access_key"]
    for action, field in (("respond", "message"), ("appeal", "reason")):
        url = f"{MINE}/{number}/{action}"
        assert client.post(url, json={field: "x" * 20_000}, headers=_key(key)).status_code == 413
        assert client.post(url, json={field: "x" * 2001}, headers=_key(key)).status_code == 422
        assert client.post(url, json={field: ""}, headers=_key(key)).status_code == 422
        assert client.post(url, json={field: "x", "more": 1}, headers=_key(key)).status_code == 422
    information = f"{ORG_APPLICATIONS}/{number}/information"
    assert client.post(information, json={"message": "x" * 20_000}, headers=auth()).status_code == 413
    assert client.post(information, json={"message": 42}, headers=auth()).status_code == 422
    assert _apply(client, container, REVIEWED, language="de").status_code == 422


def test_automatic_rules_answer_the_key_with_the_decision_and_a_wallet_has_none(parts: Parts) -> None:
    client, container = parts
    made = _apply(client, container, AUTO)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["application"]["state"] == "automatic-decided"
    assert body["application"]["language"] == "en"
    mine = client.get(f"{MINE}/{body['application']['id']}", headers=_key(body["access_key"])).json()
    assert mine["credential"] == body["credential"]


def test_the_new_routes_are_documented(parts: Parts) -> None:
    client, _ = parts
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in (
        ("/api/v1/recognition/applications/{application_id}", "get"),
        ("/api/v1/recognition/applications/{application_id}/respond", "post"),
        ("/api/v1/recognition/applications/{application_id}/appeal", "post"),
        ("/api/v1/orgs/{org}/recognition/applications/{application_id}", "get"),
        ("/api/v1/orgs/{org}/recognition/applications/{application_id}/information", "post"),
    ):
        assert paths[path][method]["tags"] == ["recognition"], path
        assert paths[path][method]["summary"], path


# -- the pages ------------------------------------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_CHALLENGE = re.compile(r'name="challenge" value="([^"]+)"')
_KEY = re.compile(r'<code id="access-key">([^<]+)</code>')
_NUMBER = re.compile(r'<code id="application-number">([^<]+)</code>')


def _form(page: str) -> dict[str, str]:
    found = _CSRF.search(page)
    assert found, "the page has a form with the CSRF token"
    return {"csrf_token": found.group(1)}


def _page_presentation(client: TestClient, container: Container, rules: str, lang: str = "en") -> tuple[str, str]:
    """The rules page, and a presentation bound to the challenge and domain it shows (as a JWT)."""
    page = client.get(f"/recognition/rules/{rules}", params={"lang": lang})
    assert page.status_code == 200
    challenge = _CHALLENGE.search(page.text)
    assert challenge
    domain = container.recognition.domain
    assert f'<code id="domain">{domain}</code>' in page.text
    assert f'<code id="challenge">{challenge.group(1)}</code>' in page.text
    held = awarded_to_did(container, HOLDER_DID, [PYTHON])
    presentation = present(held, challenge.group(1), domain, jwt=True)
    assert isinstance(presentation, str)
    return page.text, presentation


def test_the_page_flow_with_a_presentation_from_another_wallet(parts: Parts) -> None:
    client, container = parts
    page, presentation = _page_presentation(client, container, REVIEWED)
    assert "Apply with a presentation from another wallet" in page
    assert page.count('name="presentation"') == 1
    challenge = _CHALLENGE.search(page)
    assert challenge
    form = {**_form(page), "challenge": challenge.group(1), "presentation": presentation}
    answer = client.post(f"/recognition/rules/{REVIEWED}/apply", data=form)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert "Keep this key: with it you follow your application, answer questions and appeal." in answer.text
    assert "Waiting for the institution" in answer.text
    key, number = _KEY.search(answer.text), _NUMBER.search(answer.text)
    assert key
    assert number
    assert container.recognition.with_key(number.group(1), key.group(1)).holder == HOLDER_DID
    assert container.recognition.get(number.group(1)).language == "en"

    finder = client.get("/recognition/applications")
    assert finder.status_code == 200
    assert 'id="key"' in finder.text
    wrong = client.post(
        "/recognition/applications", data={**_form(finder.text), "application": number.group(1), "key": "nope"}
    )
    assert wrong.status_code == 404
    assert "No application has this number and key" in wrong.text
    assert "error-summary" in wrong.text
    assert "nope" not in wrong.text  # a wrong key is not shown back
    empty = client.post("/recognition/applications", data={**_form(finder.text)})
    assert empty.status_code == 400
    assert 'href="#application"' in empty.text

    container.recognition.request_information(
        number.group(1), organisation=UM, message="Send the syllabus", actor="reviewer"
    )
    shown = client.post(
        "/recognition/applications", data={**_form(finder.text), "application": number.group(1), "key": key.group(1)}
    )
    assert shown.status_code == 200, shown.text
    assert "Send the syllabus" in shown.text
    assert 'action="/recognition/applications/respond"' in shown.text
    assert f'name="key" value="{key.group(1)}"' in shown.text  # carried in a hidden field of the POST forms
    assert key.group(1) not in str(shown.url)
    blank = client.post(
        "/recognition/applications/respond",
        data={**_form(shown.text), "application": number.group(1), "key": key.group(1), "answer": " "},
    )
    assert blank.status_code == 400
    assert "Write your answer." in blank.text
    sent = client.post(
        "/recognition/applications/respond",
        data={**_form(shown.text), "application": number.group(1), "key": key.group(1), "answer": "Attached"},
    )
    assert sent.status_code == 200, sent.text
    assert "Your answer was sent to the institution." in sent.text
    assert container.recognition.get(number.group(1)).state == "review"
    container.recognition.decide(
        number.group(1), organisation=UM, decision="refused", differences=["No modelling"], actor="reviewer"
    )
    decided = client.post(
        "/recognition/applications", data={**_form(finder.text), "application": number.group(1), "key": key.group(1)}
    )
    assert 'action="/recognition/applications/appeal"' in decided.text
    appealed = client.post(
        "/recognition/applications/appeal",
        data={**_form(decided.text), "application": number.group(1), "key": key.group(1), "reason": "It was covered"},
    )
    assert appealed.status_code == 200, appealed.text
    assert container.recognition.get(number.group(1)).state == "appealed"


def test_the_page_shows_the_decision_credential_and_speaks_polish(parts: Parts) -> None:
    client, container = parts
    page, presentation = _page_presentation(client, container, AUTO, "pl")
    assert english_words_on_polish_page(page) == []
    challenge = _CHALLENGE.search(page)
    assert challenge
    form = {**_form(page), "challenge": challenge.group(1), "presentation": presentation}
    answer = client.post(f"/recognition/rules/{AUTO}/apply", params={"lang": "pl"}, data=form)
    assert answer.status_code == 200, answer.text
    assert 'lang="pl"' in answer.text
    assert english_words_on_polish_page(answer.text) == []
    assert 'id="credential"' in answer.text
    number = _NUMBER.search(answer.text)
    assert number
    assert container.recognition.get(number.group(1)).language == "pl"
    credential = container.issuing.get(str(container.recognition.get(number.group(1)).award_id)).credential
    assert isinstance(credential, dict)
    assert str(credential["id"]) in answer.text


def test_failures_are_said_on_the_rules_page_with_the_text_kept(parts: Parts, clock: FixedClock) -> None:
    client, container = parts
    page, presentation = _page_presentation(client, container, REVIEWED)
    challenge = _CHALLENGE.search(page)
    assert challenge
    url = f"/recognition/rules/{REVIEWED}/apply"
    base = {**_form(page), "challenge": challenge.group(1)}
    not_one = client.post(url, data={**base, "presentation": '{"type": "VerifiableCredential"}'})
    assert not_one.status_code == 400
    assert "error-summary" in not_one.text
    assert "autofocus" in not_one.text
    assert "Send a Verifiable Presentation of your credentials." in not_one.text
    assert "{&#34;type&#34;: &#34;VerifiableCredential&#34;}" in not_one.text  # the pasted text kept
    assert 'aria-invalid="true"' in not_one.text
    fresh = _CHALLENGE.search(not_one.text)
    assert fresh
    assert fresh.group(1) != challenge.group(1)  # a new challenge to make a new presentation with
    empty = client.post(url, data={**base, "presentation": ""})
    assert empty.status_code == 400
    assert "Paste the presentation your wallet made." in empty.text
    assert client.post(url, data={**base, "presentation": presentation}).status_code == 200
    used = client.post(url, data={**base, "presentation": presentation})
    assert used.status_code == 400
    assert "This challenge was used already: ask for a new one." in used.text
    assert 'href="#challenge"' in used.text
    later = _page_presentation(client, container, REVIEWED)
    clock.advance(minutes=11)
    stale = _CHALLENGE.search(later[0])
    assert stale
    expired = client.post(url, data={**_form(later[0]), "challenge": stale.group(1), "presentation": later[1]})
    assert expired.status_code == 400
    assert "This challenge has expired" in expired.text
    garbage = client.post(url, data={**base, "presentation": "a.b.c"})
    assert garbage.status_code == 400


def test_the_page_forms_need_the_csrf_token(parts: Parts) -> None:
    client, container = parts
    page, presentation = _page_presentation(client, container, REVIEWED)
    challenge = _CHALLENGE.search(page)
    assert challenge
    refused = client.post(
        f"/recognition/rules/{REVIEWED}/apply", data={"challenge": challenge.group(1), "presentation": presentation}
    )
    assert refused.status_code == 403
    forged = client.post(
        f"/recognition/rules/{REVIEWED}/apply",
        data={"csrf_token": "forged", "challenge": challenge.group(1), "presentation": presentation},
    )
    assert forged.status_code == 403
    for path in ("/recognition/applications", "/recognition/applications/respond", "/recognition/applications/appeal"):
        assert client.post(path, data={"application": "x", "key": "y"}).status_code == 403
    assert container.recognition.queue(UM) == []
    versions = client.get(f"/recognition/rules/{REVIEWED}/versions/1")
    assert 'name="presentation"' not in versions.text  # an older version's page stays a plain page
