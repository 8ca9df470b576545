"""The pathway pages in a real browser: no serious or critical axe-core violation at 390 px, no sideways scrolling
at 320, 390 and 1280 px, in English and Polish, for a visitor and for the signed-in learner (who holds one of the
demo pathway's three parts). With ``CAIRN_WALK_SHOTS=FOLDER`` set, each page is saved there as a screenshot:
``pathway-<page>-<lang>-<width>.png``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Learner, LiveServer
from tests.helpers import axe_context, axe_findings, english_words_on_polish_page, screenshot, start_axe

pytestmark = pytest.mark.slow  # a real browser against a live server

DEMO = "um-data-analysis-foundations"  # the demo catalogue's pathway; the learner holds its Python part
PAGES = {"list": "/pathways", "pathway": f"/pathways/{DEMO}", "wallet": "/wallet/pathways"}
LANGUAGES = ("en", "pl")


def problems_of(page: Any, where: str, *, lang: str, axe: bool) -> list[str]:
    """What is wrong with the page open in ``page``: its language, sideways scrolling, English on a Polish page,
    and (with ``axe``) serious or critical axe-core violations."""
    found = []
    if page.locator("html").get_attribute("lang") != lang:
        found.append(f"{where}: not in {lang}")
    wider: int = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if wider > 0:
        sticking_out = page.evaluate(
            """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1)
               .slice(0, 3).map(e => e.tagName.toLowerCase() + ' ' + (e.textContent || '').trim().slice(0, 40))"""
        )
        found.append(f"{where}: scrolls sideways by {wider}px: {sticking_out}")
    if lang == "pl" and (english := english_words_on_polish_page(page.content())):
        found.append(f"{where}: English on a Polish page: {english[:6]}")
    if axe:
        start_axe(page)
        found.extend(f"{where}: {line}" for line in axe_findings(page))
    return found


@pytest.mark.parametrize(("lang", "width"), [(lang, width) for lang in LANGUAGES for width in (320, 390, 1280)])
def test_the_pathway_pages_are_accessible_and_reflow(
    live_server: LiveServer, learner: Learner, browser: Any, signed_in_state: dict[str, Any], lang: str, width: int
) -> None:
    context = axe_context(browser, viewport={"width": width, "height": 844}, storage_state=signed_in_state)
    try:
        page = context.new_page()
        problems: list[str] = []
        for name, path in PAGES.items():
            response = page.goto(f"{live_server.url}{path}?lang={lang}")
            assert response is not None
            assert response.status == 200, (path, response.status)
            problems += problems_of(page, f"[{lang} {width}px] {path}", lang=lang, axe=width == 390)
            screenshot(page, f"pathway-{name}-{lang}-{width}")
        wallet = page.content()
    finally:
        context.close()
    assert 'role="progressbar"' in wallet
    assert 'aria-current="step"' in wallet
    assert problems == [], "\n".join(problems)
