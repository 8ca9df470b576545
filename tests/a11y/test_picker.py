"""The catalogue editor's skill picker with its script: suggestions from an outcome's text, added in place.

Signed in as the demo issuer through the /sign-in form; the outcome's text is typed, the suggest button asks
``/api/v1/skills/suggest`` without posting the form, and a suggestion's Add button puts the skill in the outcome.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cairn.services.demo.instance import DEMO_EMAIL, DEMO_PASSWORD
from tests.factories import ORG as ORGANISATION
from tests.factories import LiveServer
from tests.helpers import axe_context, serious_violations

PYTHON = "Python (computer programming)"
pytestmark = pytest.mark.slow  # a real browser against a live server: 1 to 4 s a test


@pytest.fixture(scope="module")
def issuer_state(browser: Any, live_server: LiveServer) -> dict[str, Any]:
    """The cookies of a browser signed in as the demo issuer."""
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/sign-in?next=/account")
        form = page.locator('form[action="/sign-in"]')
        form.get_by_label("Email address").fill(DEMO_EMAIL)
        form.get_by_label("Password").fill(DEMO_PASSWORD)
        with page.expect_navigation():
            form.get_by_role("button", name="Sign in").click()
        assert page.url.startswith(live_server.url + "/account"), page.url
        state: dict[str, Any] = context.storage_state()
        return state
    finally:
        context.close()


@pytest.fixture
def issuer_page(browser: Any, issuer_state: dict[str, Any]) -> Iterator[Any]:
    context = axe_context(browser, storage_state=issuer_state)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_suggest_in_place_and_add(issuer_page: Any, live_server: LiveServer) -> None:
    page = issuer_page
    url = f"{live_server.url}/orgs/{ORGANISATION}/catalogue/new"
    page.goto(url)
    outcome = page.locator("#learning_outcomes-0")
    outcome.locator('textarea[name="learning_outcomes.0.text.en"]').fill(
        "Writes programs in the Python programming language"
    )
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    suggest = outcome.get_by_role("button", name="Suggest skills from the outcome's text")
    with page.expect_response(lambda r: "/api/v1/skills/suggest?" in r.url) as answer:
        suggest.click()
    assert answer.value.ok
    results = outcome.locator("#picker-results-0")
    add = results.get_by_role("button", name=f"Add {PYTHON} to outcome 1", exact=True)
    add.wait_for()
    assert page.url == url  # answered in place: the form was not posted
    assert not posted
    status = page.locator("#picker-status")
    page.wait_for_function("() => /suggested for outcome 1/.test(document.getElementById('picker-status').textContent)")
    count = results.locator("li").count()
    assert 1 <= count <= 10
    assert status.text_content().startswith(f"{count} skill")

    add.click()
    skills = outcome.locator('[data-skill-list="0"]')
    box = skills.get_by_role("checkbox", name=PYTHON, exact=True)
    assert box.is_checked()
    assert box.get_attribute("name") == "learning_outcomes.0.esco_skills"
    assert outcome.locator('[data-skill-empty="0"]').is_hidden()
    page.wait_for_function("() => document.getElementById('picker-status').textContent.startsWith('Added ')")
    assert status.text_content() == f"Added {PYTHON} to outcome 1."
    # the suggestion stays, marked as added; focus went on to the next suggestion (or back to the button)
    done = results.get_by_role("button", name=f"{PYTHON} is in outcome 1")
    assert done.is_disabled()
    focused = page.evaluate("() => document.activeElement && document.activeElement.textContent")
    assert focused in {"Add", "Suggest skills from the outcome's text"}

    assert serious_violations(page) == []


def test_suggest_without_text_points_at_the_outcome(issuer_page: Any, live_server: LiveServer) -> None:
    page = issuer_page
    page.goto(f"{live_server.url}/orgs/{ORGANISATION}/catalogue/new")
    page.locator("#learning_outcomes-0").get_by_role("button", name="Suggest skills from the outcome's text").click()
    page.wait_for_function("() => /Write outcome 1 first/.test(document.getElementById('picker-status').textContent)")
    assert page.evaluate("() => document.activeElement.name") == "learning_outcomes.0.text.en"
    assert page.locator("#picker-note-0").is_visible()


def test_suggest_falls_back_to_the_form_when_the_api_fails(issuer_page: Any, live_server: LiveServer) -> None:
    page = issuer_page
    page.route("**/api/v1/skills/suggest*", lambda route: route.fulfill(status=503, body="down"))
    page.goto(f"{live_server.url}/orgs/{ORGANISATION}/catalogue/new")
    outcome = page.locator("#learning_outcomes-0")
    outcome.locator('textarea[name="learning_outcomes.0.text.en"]').fill(
        "Writes programs in the Python programming language"
    )
    with page.expect_navigation():
        outcome.get_by_role("button", name="Suggest skills from the outcome's text").click()
    heading = page.locator("#skill-results-0-title")
    assert "suggested for outcome 1" in heading.text_content()
    assert page.locator("#skill-results-0").get_by_label(PYTHON).count() == 1


def test_suggest_shows_the_servers_note(issuer_page: Any, live_server: LiveServer) -> None:
    body = (
        '{"skills": [{"uri": "http://data.europa.eu/esco/skill/x", "label": "Xylography", "score": 0.5,'
        ' "matched": "wood engraving", "type": "skill"}], "index": "lexical",'
        ' "note": "the multilingual skill index is still being prepared"}'
    )
    page = issuer_page
    page.route(
        "**/api/v1/skills/suggest*",
        lambda route: route.fulfill(status=200, body=body, content_type="application/json"),
    )
    page.goto(f"{live_server.url}/orgs/{ORGANISATION}/catalogue/new")
    outcome = page.locator("#learning_outcomes-0")
    outcome.locator('textarea[name="learning_outcomes.0.text.pl"]').fill("Graweruje w drewnie")
    outcome.get_by_role("button", name="Suggest skills from the outcome's text").click()
    note = page.locator("#picker-note-0")
    note.wait_for()
    assert note.text_content() == "The multilingual skill index is still being prepared."
    page.wait_for_function("() => /still being prepared/.test(document.getElementById('picker-status').textContent)")
    assert page.locator("#picker-status").text_content() == (
        "1 skill suggested for outcome 1, best first; tab to the Add buttons."
        " The multilingual skill index is still being prepared."
    )
    item = page.locator("#picker-results-0 li")
    assert item.text_content() == "Add Xylography (also called \u201cwood engraving\u201d) skill"


def test_search_results_behave_as_suggestions_do(issuer_page: Any, live_server: LiveServer) -> None:
    """One picker behaviour: a search's list is the suggestions' list (Add buttons with the skill's type, an Add
    marks the skill Added and keeps the list), reached with the arrow keys and closed with Escape."""
    page = issuer_page
    page.goto(f"{live_server.url}/orgs/{ORGANISATION}/catalogue/new")
    outcome = page.locator("#learning_outcomes-0")
    field = outcome.locator("#skill_query-0")
    with page.expect_response(lambda r: "/api/v1/esco/skills?" in r.url):
        field.fill("python programming")
    results = outcome.locator("#picker-results-0")
    add = results.get_by_role("button", name=f"Add {PYTHON} to outcome 1", exact=True)
    add.wait_for()
    assert results.locator("li .tag").count() == results.locator("li").count()  # each skill says its type
    field.press("ArrowDown")
    first = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert first is not None
    assert first.startswith("Add ")
    page.keyboard.press("ArrowUp")  # from the first Add back to the field
    assert page.evaluate("() => document.activeElement.id") == "skill_query-0"
    add.focus()
    page.keyboard.press("Enter")
    box = outcome.locator('[data-skill-list="0"]').get_by_role("checkbox", name=PYTHON, exact=True)
    assert box.is_checked()
    assert results.get_by_role("button", name=f"{PYTHON} is in outcome 1").is_disabled()  # the list stays
    assert field.input_value() == "python programming"
    page.keyboard.press("Escape")
    assert results.locator("li").count() == 0
    assert page.evaluate("() => document.activeElement.id") == "skill_query-0"
    box.uncheck()  # a chosen skill is removed the same way wherever it came from
    assert not box.is_checked()
