"""The registry pages in headless Chromium: no serious or critical axe-core violation in English and Polish
(with and without errors on the forms), no sideways scrolling on a 320 px screen, and the accreditation form
filled in and sent with the keyboard alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cairn.model.trust import LegalIdentity, Scope
from cairn.services.demo.instance import DEMO_EMAIL, DEMO_PASSWORD
from tests.factories import LiveServer
from tests.helpers import axe_context, serious_violations

pytestmark = pytest.mark.slow  # a real browser against a live server

LANGUAGES = ("en", "pl")
REGISTRY = "uniwersytet-mazowiecki"
BASE = f"/orgs/{REGISTRY}/registry"
ADMIN, ADMIN_PASSWORD = "registry-admin@example.org", "a long enough admin passphrase"
LONG_DID = "did:web:academy.example.a-rather-long-subdomain-for-reflow.example:issuers:department-of-informatics"


@pytest.fixture(scope="module")
def accreditation(live_server: LiveServer) -> str:
    """The university accredits two outside issuers (one suspended); neither is a demo organisation, so nothing
    the other browser tests verify changes. The suspended one's bare UUID."""
    registry = live_server.container.registry
    registry.accredit(
        REGISTRY,
        actor="test",
        kind="issuer",
        subjects=["did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"],
        identity=LegalIdentity("Szkoła Policealna", "PL"),
        scope=Scope(isced=("0613",), eqf=(5,)),
    )
    stored = registry.accredit(
        REGISTRY,
        actor="test",
        kind="issuer",
        subjects=[LONG_DID],
        certificates=["ab" * 32],
        identity=LegalIdentity("Akademia Przykładowa", "PL", (("vat", "PL5260250995"),)),
    )
    registry.change_status(REGISTRY, stored.accreditation.id, status="suspended", reason="quality review", actor="test")
    if live_server.container.accounts.find_account(ADMIN) is None:
        live_server.container.accounts.create_account(email=ADMIN, password=ADMIN_PASSWORD, is_admin=True)
    return stored.accreditation.id.removeprefix("urn:uuid:")


def _signed_in(browser: Any, live_server: LiveServer, email: str, password: str, **options: Any) -> Any:
    context = axe_context(browser, **options)
    page = context.new_page()
    page.goto(live_server.url + "/sign-in")
    form = page.locator('form[action="/sign-in"]')
    form.get_by_label("Email address").fill(email)
    form.get_by_label("Password").fill(password)
    with page.expect_navigation():
        form.get_by_role("button", name="Sign in").click()
    return context, page


@pytest.fixture
def operator(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    context, page = _signed_in(browser, live_server, DEMO_EMAIL, DEMO_PASSWORD)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def phone(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    context, page = _signed_in(browser, live_server, DEMO_EMAIL, DEMO_PASSWORD, viewport={"width": 320, "height": 640})
    try:
        yield page
    finally:
        context.close()


def test_registry_pages_have_no_serious_violations(live_server: LiveServer, accreditation: str, operator: Any) -> None:
    problems = []
    for lang in LANGUAGES:
        for path in (BASE, f"{BASE}/new", f"{BASE}/{accreditation}"):
            response = operator.goto(f"{live_server.url}{path}?lang={lang}")
            assert response is not None
            assert response.status == 200, path
            problems += [f"[{lang}] {path}: {line}" for line in serious_violations(operator)]
        operator.goto(f"{live_server.url}{BASE}/new?lang={lang}")
        operator.locator("#dids").fill("not a DID")
        operator.locator("#eqf-5").check()
        with operator.expect_navigation():
            operator.locator("form.award-form button[type=submit]").click()
        assert operator.locator(".error-summary").count() == 1
        assert operator.locator('#legal_name[aria-invalid="true"]').count() == 1
        problems += [f"[{lang}] form with errors: {line}" for line in serious_violations(operator)]
        operator.goto(f"{live_server.url}{BASE}/{accreditation}?lang={lang}")
        with operator.expect_navigation():
            operator.locator("form[action*='/withdraw'] button").click()
        assert operator.locator('#withdraw-reason[aria-invalid="true"]').count() == 1
        problems += [f"[{lang}] status form with errors: {line}" for line in serious_violations(operator)]
    assert problems == [], "\n".join(problems)


def test_the_anchors_page_has_no_serious_violations(browser: Any, live_server: LiveServer, accreditation: str) -> None:
    context, page = _signed_in(browser, live_server, ADMIN, ADMIN_PASSWORD)
    try:
        problems = []
        for lang in LANGUAGES:
            assert page.goto(f"{live_server.url}/admin/trust-anchors?lang={lang}").status == 200
            problems += [f"[{lang}] {line}" for line in serious_violations(page)]
        assert problems == [], "\n".join(problems)
    finally:
        context.close()


@pytest.mark.parametrize("path", [BASE, f"{BASE}/new", "{detail}"])
def test_registry_pages_reflow_on_a_narrow_screen(
    live_server: LiveServer, accreditation: str, phone: Any, path: str
) -> None:
    for lang in LANGUAGES:
        phone.goto(live_server.url + path.format(detail=f"{BASE}/{accreditation}") + f"?lang={lang}")
        wider: int = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert wider <= 0, (lang, path, wider)


def test_the_accreditation_form_works_with_the_keyboard(live_server: LiveServer, operator: Any) -> None:
    page = operator
    page.goto(f"{live_server.url}{BASE}/new")
    page.locator("#legal_name").focus()
    page.keyboard.type("Technikum Przykładowe")
    page.keyboard.press("Tab")
    page.keyboard.type("PL")
    page.keyboard.press("Tab")  # the first radio (issuer, checked)
    page.keyboard.press("ArrowDown")  # an accreditation body
    page.keyboard.press("Tab")
    page.keyboard.type("did:web:technikum.example")
    assert page.locator("#kind-body").is_checked()
    page.locator("#eqf-4").focus()
    page.keyboard.press("Space")
    page.locator("#evidence_url").focus()
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # the Accredit button
    assert page.locator(".notice").count() == 1, page.content()[:2000]
    assert "Technikum Przykładowe" in page.locator("h1").inner_text()
    assert "EQF 4" in page.locator("dl.facts").inner_text()
