"""The recognition pages in headless Chromium (issue #16), on the demo's own data: the public list, course and rules
pages, the demo university's review queue (the demo learner's application waits there) and the demo learner's
/wallet/recognition, in English and Polish, on a 390 px phone and a 1280 px screen: no serious or critical axe-core
violation, no sideways scrolling, no English words on a Polish page. With ``CAIRN_WALK_SHOTS=FOLDER`` set,
screenshots go there as ``recognition-<page>-<lang>-<width>.png``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cairn.services.demo.instance import DEMO_EMAIL, DEMO_LEARNER_EMAIL, DEMO_PASSWORD, DEMO_RECOGNITION_RULES
from tests.factories import LiveServer
from tests.helpers import PHONE, WIDTHS, axe_context, page_problems, screenshot

pytestmark = pytest.mark.slow  # a real browser against a live server

ORGANISATION = "uniwersytet-mazowiecki"
COURSE = "um-cloud-programming"
PUBLIC = {
    "list": "/recognition",
    "course": f"/recognition/courses/{COURSE}",
    "rules": f"/recognition/rules/{DEMO_RECOGNITION_RULES}",
}


def signed_in(browser: Any, server: LiveServer, width: int, email: str) -> Any:
    context = axe_context(browser, viewport=WIDTHS[width])
    page = context.new_page()
    page.goto(server.url + "/sign-in")
    form = page.locator('form[action="/sign-in"]')
    form.get_by_label("Email address").fill(email)
    form.get_by_label("Password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        form.get_by_role("button", name="Sign in").click()
    return page


@pytest.fixture(params=[PHONE])
def width(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture
def pages(browser: Any, live_server: LiveServer, width: int) -> Iterator[dict[str, Any]]:
    """A visitor, the demo issuer and the demo learner, each in a browser context of their own."""
    visitor = axe_context(browser, viewport=WIDTHS[width]).new_page()
    opened = {
        "visitor": visitor,
        "issuer": signed_in(browser, live_server, width, DEMO_EMAIL),
        "learner": signed_in(browser, live_server, width, DEMO_LEARNER_EMAIL),
    }
    try:
        yield opened
    finally:
        for page in opened.values():
            page.context.close()


def test_the_recognition_pages_are_accessible(live_server: LiveServer, pages: dict[str, Any], width: int) -> None:
    queue = f"/orgs/{ORGANISATION}/recognition"
    visits = [("visitor", name, path) for name, path in PUBLIC.items()]
    visits += [("issuer", "review", queue), ("learner", "wallet", "/wallet/recognition")]
    problems: list[str] = []
    for lang in ("en", "pl"):
        for who, name, path in visits:
            page = pages[who]
            answer = page.goto(f"{live_server.url}{path}?lang={lang}")
            assert answer is not None
            assert answer.status == 200, (who, path, answer.status)
            problems += page_problems(page, f"[{lang} {width}px] {path}", lang)
            screenshot(page, f"recognition-{name}-{lang}-{width}")
    review = pages["issuer"]
    review.goto(f"{live_server.url}{queue}")
    assert review.locator("form[action$='/decision']").count() >= 1, "the demo application waits for a decision"
    assert problems == [], "\n".join(problems)
