"""The seal certificate page in headless Chromium: in English and Polish, at 390 and 1280 px, with no certificate,
with a certificate installed and with an error on the form: no serious or critical axe-core violation, nothing
scrolls sideways, no English words on the Polish page; the form is filled in and sent with the keyboard alone.
With ``CAIRN_WALK_SHOTS=FOLDER`` set, screenshots go there as ``seal-<state>-<lang>-<width>.png``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cairn.services.demo.instance import DEMO_EMAIL, DEMO_PASSWORD
from tests.factories import LiveServer
from tests.helpers import PHONE, WIDTHS, axe_context, page_problems, screenshot
from tests.seal_ca import make_seal_ca

pytestmark = pytest.mark.slow  # a real browser against a live server

ORG = "uniwersytet-mazowiecki"
PATH = f"/orgs/{ORG}/seal"


def _signed_in(browser: Any, live_server: LiveServer, viewport: dict[str, int]) -> tuple[Any, Any]:
    context = axe_context(browser, viewport=viewport)
    page = context.new_page()
    page.goto(live_server.url + "/sign-in")
    form = page.locator('form[action="/sign-in"]')
    form.get_by_label("Email address").fill(DEMO_EMAIL)
    form.get_by_label("Password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        form.get_by_role("button", name="Sign in").click()
    return context, page


@pytest.fixture
def owner_page(browser: Any, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    context, page = _signed_in(browser, live_server, WIDTHS[request.param])
    try:
        yield page
    finally:
        context.close()
        live_server.container.seals.remove(ORG, actor="test")  # the shared server's other pages stay as they were


@pytest.mark.parametrize("owner_page", [PHONE], indirect=True)
def test_the_seal_page_in_every_state(live_server: LiveServer, owner_page: Any) -> None:
    page, width = owner_page, page_width(owner_page)
    problems: list[str] = []
    for lang in ("en", "pl"):
        where = f"[{lang} {width}px]"
        response = page.goto(f"{live_server.url}{PATH}?lang={lang}")
        assert response is not None
        assert response.status == 200, where
        problems += page_problems(page, f"{where} empty", lang)
        screenshot(page, f"seal-empty-{lang}-{width}")
        page.locator("#certificate").set_input_files(
            {"name": "chain.pem", "mimeType": "application/x-pem-file", "buffer": b"not a certificate"}
        )
        page.locator("#private_key").set_input_files(
            {"name": "seal.key", "mimeType": "application/x-pem-file", "buffer": b"not a key"}
        )
        with page.expect_navigation():
            page.locator(f'form[action^="{PATH}"][enctype] button[type=submit]').click()
        assert page.locator(".error-summary").count() == 1, where
        assert page.locator('#certificate[aria-invalid="true"]').count() == 1, where
        problems += page_problems(page, f"{where} with an error", lang)
        screenshot(page, f"seal-error-{lang}-{width}")
    ca = make_seal_ca(live_server.container.clock())
    live_server.container.seals.install(ORG, chain_pem=ca.chain_pem(), key_pem=ca.key_pem(), actor="test")
    for lang in ("en", "pl"):
        page.goto(f"{live_server.url}{PATH}?lang={lang}")
        assert page.locator("code", has_text="VATPL-5250000000").count() >= 1
        problems += page_problems(page, f"[{lang} {width}px] installed", lang)
        screenshot(page, f"seal-installed-{lang}-{width}")
    assert problems == [], "\n".join(problems)


def page_width(page: Any) -> int:
    """The page's viewport width."""
    return int(page.viewport_size["width"])


@pytest.mark.parametrize("owner_page", [1280], indirect=True)
def test_the_seal_form_works_with_the_keyboard(live_server: LiveServer, owner_page: Any) -> None:
    page = owner_page
    page.goto(f"{live_server.url}{PATH}")
    ca = make_seal_ca(live_server.container.clock(), rsa_key=False)
    page.locator("#certificate").set_input_files(
        {"name": "chain.pem", "mimeType": "application/x-pem-file", "buffer": ca.chain_pem()}
    )
    page.locator("#private_key").set_input_files(
        {"name": "seal.key", "mimeType": "application/x-pem-file", "buffer": ca.key_pem("pass phrase")}
    )
    page.locator("#certificate").focus()
    order = []
    for _ in range(3):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
    assert order[:2] == ["private_key", "passphrase"], order
    page.locator("#passphrase").focus()
    page.keyboard.type("pass phrase")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("?done=installed"), page.url
    assert page.locator("[role=status]").count() == 1
