"""Co-creation pages (issue #16) in headless Chromium: the demo university's review page of its draft shared with
the employer academy, and the academy's shared drafts and the draft itself with the comment form. In English and
Polish, at 390 and 1280 px: the comment is listed, nothing scrolls sideways, no English words on the Polish pages, no
serious or critical axe-core violation; the comment form is reached and sent with the keyboard. With
``CAIRN_WALK_SHOTS=FOLDER`` set, screenshots go there as ``cocreation-<step>-<lang>-<width>.png``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cairn.services.demo.cocreation import DEMO_DRAFT, DEMO_DRAFT_LEAD, DEMO_REVIEWER
from cairn.services.demo.instance import DEMO_EMAIL, DEMO_PASSWORD
from tests.factories import LiveServer
from tests.helpers import (
    PHONE,
    WIDTHS,
    axe_context,
    focused_id,
    page_problems,
    screenshot,
)

pytestmark = pytest.mark.slow  # a real browser against a live server


@pytest.fixture(params=[PHONE])
def owner(request: pytest.FixtureRequest, browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """The demo account (owner of the university and of the academy), signed in through the form."""
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
    problems += page_problems(page, f"[{lang} {width}px] {step}", lang)
    screenshot(page, f"cocreation-{step}-{lang}-{width}")


def test_the_co_creation_pages_are_accessible(live_server: LiveServer, owner: Any) -> None:
    page, url = owner, live_server.url
    [share_id] = [
        s.id
        for s in live_server.container.cocreation.shares(_lead_access(live_server), DEMO_DRAFT)
        if s.reviewer.id == DEMO_REVIEWER
    ]
    review = f"/orgs/{DEMO_DRAFT_LEAD}/catalogue/{DEMO_DRAFT}/review"
    shared = f"/orgs/{DEMO_REVIEWER}/shared-drafts"
    problems: list[str] = []
    for lang in ("en", "pl"):
        for step, path in (("review", review), ("shared", shared), ("draft", f"{shared}/{share_id}")):
            answer = page.goto(f"{url}{path}?lang={lang}")
            assert answer is not None
            assert answer.status == 200, (lang, path)
            listed = ".shares > li" if step == "shared" else ".thread .comment"
            assert page.locator(listed).count() >= 1, (lang, path)
            _look(page, step, lang, problems)
        page.goto(f"{url}{shared}/{share_id}?lang={lang}")
        page.locator("#comment-text").focus()
        page.keyboard.type(f"Uwaga {lang}: proszę dodać moduł o bezpieczeństwie pracy.")
        page.keyboard.press("Tab")
        if page.locator("#comment-text-reply").count():
            page.keyboard.press("Tab")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        notice = page.locator("#notice")
        assert notice.count() == 1, lang
        assert focused_id(page, "notice") == "notice", lang
        _look(page, "commented", lang, problems)
    assert problems == [], "\n".join(problems)


def _lead_access(live_server: LiveServer) -> Any:
    accounts = live_server.container.accounts
    account = accounts.find_account(DEMO_EMAIL)
    assert account is not None
    return accounts.access(account=account, organisation=DEMO_DRAFT_LEAD, min_role="viewer")
