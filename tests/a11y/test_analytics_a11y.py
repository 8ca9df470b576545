"""The analytics dashboards in headless Chromium, over the hand-made data set of tests/analytics_parts.py with k = 3
(so some figures show and some are withheld): open data (the first view, and a two-way table), the ministry's and
an issuer's dashboards, in English and Polish, at 390 and 1280 px: no sideways scrolling, no English on the Polish
pages, nothing serious for axe; and the query form filled in and sent with the keyboard alone. With
``CAIRN_WALK_SHOTS=FOLDER`` set, screenshots go there as ``analytics-<page>-<lang>-<width>.png``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cairn.bootstrap import build
from cairn.settings import Settings
from cairn.web.app import create_app
from tests.analytics_parts import build_dataset
from tests.factories import PASSWORD, FixedClock, free_port, serve
from tests.helpers import PHONE, WIDTHS, axe_context, focused_id, page_problems, screenshot

pytestmark = pytest.mark.slow  # a real browser against a live server

ADMIN = "admin@example.org"
PAGES = {
    "open": "/open-data",
    "open-query": "/open-data?indicator=awards&by=field&by=month",
    "ministry": "/analytics?indicator=claim_rate&by=mode",
    "issuer": "/orgs/uni-a/analytics",
}
SAID = {
    "open": {"en": "Open data on micro-credentials", "pl": "Otwarte dane o mikropoświadczeniach"},
    "open-query": {"en": "Awards by field of education", "pl": "Nadania w podziale na: dziedzina kształcenia"},
    "ministry": {"en": "Claim rate by mode of delivery", "pl": "Odsetek odbiorów w podziale na: forma udziału"},
    "issuer": {"en": "Analytics of Uni-A", "pl": "Analityka: Uni-A"},
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("analytics-a11y")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(database_url=f"sqlite:///{folder / 'cairn.db'}", secret_key="a" * 48, base_url=url,
                        analytics_k=3, analytics_cache=str(folder / "cache"))  # fmt: skip
    container = build(settings, clock=FixedClock())
    container.database.upgrade()
    build_dataset(container.database)
    container.analytics.refresh()
    container.accounts.create_account(email=ADMIN, password=PASSWORD, is_admin=True)
    running = serve(create_app(container), port)
    try:
        yield url
    finally:
        running.stop()


def _sign_in(page: Any, url: str) -> None:
    page.goto(url + "/sign-in")
    form = page.locator('form[action="/sign-in"]')
    form.get_by_label("Email address").fill(ADMIN)
    form.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        form.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("width", [PHONE])
def test_the_dashboards_are_accessible(site: str, browser: Any, width: int) -> None:
    context = axe_context(browser, viewport=WIDTHS[width])
    problems: list[str] = []
    try:
        page = context.new_page()
        _sign_in(page, site)
        for lang in ("en", "pl"):
            for name, path in PAGES.items():
                where = f"[{lang} {width}px] {name}"
                answer = page.goto(f"{site}{path}{'&' if '?' in path else '?'}lang={lang}")
                assert answer is not None
                assert answer.status == 200, (where, answer.status)
                assert SAID[name][lang] in page.locator("main").inner_text(), where
                problems += page_problems(page, where, lang)
                screenshot(page, f"analytics-{name}-{lang}-{width}")
    finally:
        context.close()
    assert problems == [], "\n".join(problems)


def test_the_query_form_works_with_the_keyboard(site: str, browser: Any) -> None:
    context = axe_context(browser, viewport=WIDTHS[390])
    try:
        page = context.new_page()
        page.goto(site + "/open-data")
        for _ in range(60):  # Tab from the top of the page to the indicator
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "q-indicator":
                break
        assert focused_id(page, "q-indicator") == "q-indicator"
        page.keyboard.press("ArrowDown")  # the second indicator: learners
        page.keyboard.press("Tab")
        assert focused_id(page, "q-by-0") == "q-by-0"
        for _ in range(30):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "q-submit":
                break
        assert focused_id(page, "q-submit") == "q-submit"
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "indicator=learners" in page.url
        assert page.locator("main h2", has_text="Learners").count() >= 1
    finally:
        context.close()
