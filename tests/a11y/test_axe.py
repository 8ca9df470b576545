"""WCAG 2.2 AA checks with axe-core in headless Chromium: any serious or critical violation fails the test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.a11y.conftest import LiveServer

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
    "resultTypes": ["violations"],
}
BLOCKING = {"serious", "critical"}


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-GB")
    try:
        yield context.new_page()
    finally:
        context.close()


def serious_violations(page: Any) -> list[str]:
    """Run axe on the loaded page; one line per serious or critical violation, naming the elements."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") in BLOCKING:
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:5])
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found


PUBLIC_PAGES = [
    "/",
    "/?lang=pl",
    "/verify",
    "/verify?lang=pl",
    "/sign-in",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_have_no_serious_violations(live_server: LiveServer, page: Any, path: str) -> None:
    response = page.goto(live_server.url + path)
    assert response is not None, path
    assert response.ok, path
    assert serious_violations(page) == []


def test_the_checker_catches_a_page_that_breaks_the_rules(page: Any) -> None:
    page.set_content(
        '<html><body><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text"></body></html>'
    )
    found = serious_violations(page)
    assert any(line.startswith("image-alt") for line in found)
    assert any(line.startswith("label") for line in found)
