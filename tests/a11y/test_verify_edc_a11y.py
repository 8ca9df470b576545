"""The verify page's answer for the EU's sealed sample micro-credential in headless Chromium, in English and Polish,
at 390 and 1280 px, with every disclosure open (the Annex I table, the seal's certificate chain): no serious or
critical axe-core violation (the chain's table, which scrolls sideways on a phone, is reachable with the keyboard),
nothing scrolls the page sideways, and the learner row's own words (born, national ID) are in the reader's
language. What the credential says (its title, its outcomes, the certificate's names) is shown as written, so the
English-on-a-Polish-page check is off here. With ``CAIRN_WALK_SHOTS=FOLDER`` set, screenshots go there as
``verify-edc-<lang>-<width>.png``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.factories import LiveServer
from tests.helpers import WIDTHS, axe_context, page_problems, screenshot

pytestmark = pytest.mark.slow  # a real browser against a live server

ELM = "elm/european-learning-model/Credentials/JSON-LD Examples (ELM v3)"
LEARNER = {
    "en": "Ana Andromeda, born 1 October 1999, national ID LA-234218",
    "pl": "Ana Andromeda, ur. 1 października 1999, nr identyfikacyjny LA-234218",
}


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_the_answer_for_a_sealed_edc(browser: Any, live_server: LiveServer, test_data: Path, width: int) -> None:
    sealed = (test_data / ELM / "Sample-MC-Annex1-signed.jsonld").read_bytes()
    context = axe_context(browser, viewport=WIDTHS[width])
    page = context.new_page()
    problems: list[str] = []
    try:
        for lang in ("en", "pl"):
            page.goto(f"{live_server.url}/verify?lang={lang}")
            upload = page.locator('input[type="file"]').first
            upload.set_input_files({"name": "sample.jsonld", "mimeType": "application/ld+json", "buffer": sealed})
            with page.expect_navigation():
                upload.evaluate("input => input.form.requestSubmit()")
            page.locator("details").evaluate_all("all => all.forEach(d => { d.open = true; })")
            row = page.locator("tr", has_text="Andromeda").first
            assert " ".join(row.locator("li").first.inner_text().split()) == LEARNER[lang]
            problems += page_problems(page, f"[{lang} {width}px]", lang, english=False)
            screenshot(page, f"verify-edc-{lang}-{width}")
    finally:
        context.close()
    assert problems == [], "\n".join(problems)
