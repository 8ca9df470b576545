"""/wallet/statistics in headless Chromium: the learner reaches it from the wallet's navigation, gives consent by
keyboard (radio groups in fieldsets with legends, a labelled country list and region field), meets a wrong region
in the focused error summary and on its field, and withdraws. In English and Polish, at 390 and 1280 px: nothing
scrolls sideways, no English words on the Polish page, no serious or critical axe-core violation. With
``CAIRN_WALK_SHOTS=FOLDER`` set, screenshots go there as ``statistics-<page>-<lang>-<width>.png``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Learner, LiveServer
from tests.helpers import PHONE, WIDTHS, axe_context, page_problems, screenshot

pytestmark = pytest.mark.slow  # a real browser against a live server

NAV = {"en": "Statistics", "pl": "Statystyki"}
AGREE = {"en": "I agree: count my answers", "pl": "Zgadzam się: uwzględnij moje odpowiedzi"}
SAVE = {"en": "Save my changed answers", "pl": "Zapisz zmienione odpowiedzi"}
WITHDRAW = {"en": "Withdraw my consent and delete my answers", "pl": "Wycofaj zgodę i usuń moje odpowiedzi"}
REGION = {"en": "Your region (optional)", "pl": "Twoje województwo lub jego odpowiednik (nieobowiązkowo)"}
COUNTRY = {"en": "The country you live in", "pl": "Kraj zamieszkania"}


@pytest.mark.parametrize("width", [PHONE])
def test_giving_and_withdrawing_consent_by_keyboard(
    live_server: LiveServer, learner: Learner, browser: Any, signed_in_state: dict[str, Any], width: int
) -> None:
    statistics = live_server.container.learner_statistics
    context = axe_context(browser, viewport=WIDTHS[width], storage_state=signed_in_state)
    problems: list[str] = []
    try:
        page = context.new_page()
        for lang in ("en", "pl"):
            where = f"[{lang} {width}px]"
            page.goto(f"{live_server.url}/wallet?lang={lang}")
            with page.expect_navigation():
                page.get_by_role("link", name=NAV[lang], exact=True).press("Enter")
            assert page.url.split("?")[0].endswith("/wallet/statistics"), where
            assert page.locator("fieldset legend").count() == 4, where
            problems += page_problems(page, f"{where} form", lang)
            screenshot(page, f"statistics-form-{lang}-{width}")
            page.locator("#age_band-2").focus()  # 25-34
            page.keyboard.press("Space")
            for name in ("gender", "education_level", "employment_status"):
                page.locator(f"#{name}-1").focus()
                page.keyboard.press("Space")
            page.get_by_label(COUNTRY[lang]).select_option("PL")
            page.get_by_label(REGION[lang]).fill("XX-99")
            with page.expect_navigation():
                page.get_by_role("button", name=AGREE[lang]).press("Enter")
            focused = "document.activeElement && document.activeElement.classList.contains('error-summary')"
            page.wait_for_function(focused, timeout=5000)  # the summary has the focus, so it is read first
            assert page.locator("#region[aria-invalid=true]").count() == 1, where
            assert page.locator("#age_band-2:checked").count() == 1, where  # the answers stay
            problems += page_problems(page, f"{where} wrong region", lang)
            screenshot(page, f"statistics-error-{lang}-{width}")
            page.get_by_label(REGION[lang]).fill("PL-14")
            with page.expect_navigation():
                page.get_by_role("button", name=AGREE[lang]).press("Enter")
            answers = statistics.answers(learner.account_id)
            assert answers is not None, where
            assert (answers.age_band, answers.region) == ("25-34", "PL-14"), where
            assert page.locator("[role=status]").count() >= 1, where
            assert page.get_by_role("button", name=SAVE[lang]).count() == 1, where
            problems += page_problems(page, f"{where} given", lang)
            screenshot(page, f"statistics-given-{lang}-{width}")
            with page.expect_navigation():
                page.get_by_role("button", name=WITHDRAW[lang]).press("Enter")
            assert statistics.answers(learner.account_id) is None, where
            problems += page_problems(page, f"{where} withdrawn", lang)
    finally:
        context.close()
        statistics.withdraw(learner.account_id)
    assert problems == []
