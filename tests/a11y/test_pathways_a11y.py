"""The pathway pages in a real browser: no serious or critical axe-core violation at 390 and 1280 px, no sideways
scrolling at 320, 390 and 1280 px (each page loaded once, at 390 px, and resized), in English and Polish, for a
visitor and for the signed-in learner (who holds one of the demo pathway's three parts). With
``CAIRN_WALK_SHOTS=FOLDER`` set, each page is saved there as a screenshot: ``pathway-<page>-<lang>-390.png``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Learner, LiveServer
from tests.helpers import PHONE, WIDTHS, axe_context, page_problems, screenshot, sideways

pytestmark = pytest.mark.slow  # a real browser against a live server

DEMO = "um-data-analysis-foundations"  # the demo catalogue's pathway; the learner holds its Python part
PAGES = {"list": "/pathways", "pathway": f"/pathways/{DEMO}", "wallet": "/wallet/pathways"}
LANGUAGES = ("en", "pl")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_pathway_pages_are_accessible_and_reflow(
    live_server: LiveServer, learner: Learner, browser: Any, signed_in_state: dict[str, Any], lang: str
) -> None:
    context = axe_context(browser, viewport=WIDTHS[PHONE], storage_state=signed_in_state)
    try:
        page = context.new_page()
        problems: list[str] = []
        for name, path in PAGES.items():
            response = page.goto(f"{live_server.url}{path}?lang={lang}")
            assert response is not None
            assert response.status == 200, (path, response.status)
            problems += sideways(page, f"[{lang} {PHONE}px] {path}")
            problems += page_problems(page, f"[{lang} {PHONE}px] {path}", lang)  # and at 1280 px
            page.set_viewport_size({"width": 320, "height": 844})  # WCAG's reflow width
            problems += sideways(page, f"[{lang} 320px] {path}")
            page.set_viewport_size(WIDTHS[PHONE])
            screenshot(page, f"pathway-{name}-{lang}-{PHONE}")
        wallet = page.content()
    finally:
        context.close()
    assert 'role="progressbar"' in wallet
    assert 'aria-current="step"' in wallet
    assert problems == [], "\n".join(problems)
