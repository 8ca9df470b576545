"""The recruiter's pages in a real browser: the shared credential (its details opened too) and the catalogue with
a filter, at 320, 390 and 1280 px, in English and Polish: no sideways scrolling, and axe finds nothing serious.
One browser (the session's), one context per width, one page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Learner, LiveServer
from tests.helpers import axe_context, serious_violations, sideways

pytestmark = pytest.mark.slow  # a real browser against a live server

WIDTHS = (320,)  # 390 and 1280 px: the walk (test_walk.py) checks these pages there, axe included


@pytest.mark.parametrize("width", WIDTHS)
def test_shared_page_and_catalogue_reflow_and_pass_axe(
    browser: Any, live_server: LiveServer, learner: Learner, width: int
) -> None:
    context = axe_context(browser, viewport={"width": width, "height": 800})
    problems: list[str] = []
    try:
        page = context.new_page()
        for path in (f"/s/{learner.share_token}", "/catalogue?mode=online"):
            for lang in ("en", "pl"):
                page.goto(f"{live_server.url}{path}{'&' if '?' in path else '?'}lang={lang}")
                for summary in page.locator("details > summary").all()[:3]:
                    summary.click()  # the folded details open with the pointer (and the keyboard: a summary)
                problems += sideways(page, f"{path} [{lang}] at {width}px")
                problems += [f"{path} [{lang}] at {width}px: {line}" for line in serious_violations(page)]
    finally:
        context.close()
    assert not problems, "\n".join(problems)
