"""Reflow (WCAG 1.4.10): on a 320 CSS px wide screen no page scrolls sideways, long identifiers included."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.factories import Learner, LiveServer
from tests.helpers import PHONE, WIDTHS, axe_context, page_problems, sideways

NARROW = {"width": 320, "height": 640}
pytestmark = pytest.mark.slow  # a real browser against a live server: 1 to 4 s a test


@pytest.fixture
def phone(browser: Any, signed_in_state: dict[str, Any]) -> Iterator[Any]:
    context = browser.new_context(locale="pl-PL", viewport=NARROW, storage_state=signed_in_state)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.mark.parametrize(
    "path",
    [
        "/s/{share_token}",
        "/wallet/{claimed}",
        "/wallet/{imported}",
        "/wallet/occupations?lang=pl",
        "/wallet/skills?lang=pl",
        "/wallet?lang=pl",
        "/p/{slug}",
    ],
)
def test_pages_reflow_on_a_narrow_screen(live_server: LiveServer, learner: Learner, phone: Any, path: str) -> None:
    filled = path.format(
        share_token=learner.share_token, claimed=learner.claimed, imported=learner.imported, slug=learner.slug
    )
    phone.goto(live_server.url + filled)
    assert sideways(phone, filled) == []


def test_the_verify_result_reflows(live_server: LiveServer, learner: Learner, phone: Any) -> None:
    phone.goto(f"{live_server.url}/verify")
    phone.locator("#verify-text").fill(learner.credential_json)
    with phone.expect_navigation():
        phone.locator('main form button[type="submit"]').first.click()
    assert sideways(phone, "/verify result") == []


def test_the_page_checks_find_what_only_the_other_width_shows(browser: Any) -> None:
    """The page tests open their pages at 390 px and rely on :func:`tests.helpers.page_problems` to check them at
    1280 px too, by resizing: a page that only breaks on the wide screen (a sideways scroll, an image without text
    that only shows there) must be reported, and the page put back at its width."""
    wide_only = (
        "<!doctype html><html lang='en'><head><title>t</title><style>#w{display:none}"
        "@media (min-width:1000px){#w{display:block;width:1600px}}</style></head>"
        "<body><main><h1>t</h1><p>fine on a phone</p><div id='w'><img src='data:,'></div></main></body></html>"
    )
    context = axe_context(browser, viewport=WIDTHS[PHONE])
    try:
        page = context.new_page()
        page.set_content(wide_only)
        found = page_problems(page, "[en 390px] test page", "en")
        assert page.viewport_size == WIDTHS[PHONE]
    finally:
        context.close()
    assert found, "nothing found at 1280 px"
    assert all("(resized to 1280px)" in line for line in found), found
    assert any("scrolls sideways by" in line for line in found), found
    assert any("image-alt" in line for line in found), found
