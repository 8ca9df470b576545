"""WCAG 2.2 AA checks with axe-core in headless Chromium: any serious or critical violation fails the test.

Public pages, and a learner's wallet, profile and share pages (signed in through the /sign-in form), each in
English and Polish; a keyboard walk through the share page.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.factories import Learner, LiveServer
from tests.helpers import WIDTHS, axe_context, layout_problems, serious_violations

LANGUAGES = ("en", "pl")
pytestmark = pytest.mark.slow  # a real browser against a live server: 1 to 4 s a test


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = axe_context(browser, viewport=WIDTHS[1280])
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def learner_page(browser: Any, signed_in_state: dict[str, Any]) -> Iterator[Any]:
    """A page in a context that carries the learner's session cookie."""
    context = axe_context(browser, viewport=WIDTHS[1280], storage_state=signed_in_state)
    try:
        yield context.new_page()
    finally:
        context.close()


def with_lang(path: str, lang: str) -> str:
    return path + ("&" if "?" in path else "?") + f"lang={lang}"


def check(page: Any, url: str, *, status: int = 200) -> None:
    """Open ``url`` in each language and fail on any serious or critical violation or sideways scrolling, at the
    laptop's width and resized to the phone's (:func:`tests.helpers.layout_problems`), saying where."""
    problems: list[str] = []
    for lang in LANGUAGES:
        response = page.goto(with_lang(url, lang))
        assert response is not None, url
        assert response.status == status, (url, response.status)
        assert page.locator("html").get_attribute("lang") == lang
        problems += layout_problems(page, f"[{lang}] {url}")
    assert problems == [], "\n".join(problems)


PUBLIC_PAGES = ["/", "/verify", "/verify/batch", "/sign-in", "/sign-up", "/jobs"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_have_no_serious_violations(live_server: LiveServer, page: Any, path: str) -> None:
    check(page, live_server.url + path)


WALLET_PAGES = [
    "/wallet",
    "/wallet?view=timeline",
    "/wallet/import",
    "/wallet/{claimed}",
    "/wallet/{imported}",
    "/wallet/{claimed}/share",
    "/wallet/collections",
    "/wallet/present",
    "/wallet/profile",
    "/wallet/import-export",
    "/wallet/skills",
    "/wallet/occupations",
    "/account/delete",
    "/claim/{claim_token}/wallet",
]


@pytest.mark.parametrize("path", WALLET_PAGES)
def test_wallet_pages_have_no_serious_violations(
    live_server: LiveServer, learner: Learner, learner_page: Any, path: str
) -> None:
    filled = path.format(claimed=learner.claimed, imported=learner.imported, claim_token=learner.claim_token)
    check(learner_page, live_server.url + filled)


def test_shared_link_profile_and_expired_link(live_server: LiveServer, learner: Learner, page: Any) -> None:
    check(page, f"{live_server.url}/s/{learner.share_token}")
    assert "Python" in page.locator("h1").inner_text()
    check(page, f"{live_server.url}/p/{learner.slug}")
    check(page, f"{live_server.url}/p/{learner.slug}/{learner.claimed}")
    check(page, f"{live_server.url}/s/{learner.expired_token}", status=410)


def test_the_verify_result(live_server: LiveServer, learner: Learner, page: Any) -> None:
    problems = []
    for lang in LANGUAGES:
        page.goto(f"{live_server.url}/verify?lang={lang}")
        page.locator("#verify-text").fill(learner.credential_json)
        with page.expect_navigation():
            page.locator('main form button[type="submit"]').first.click()
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator(".status-banner.status-ok").count() >= 1, page.content()[:3000]
        problems += [f"[{lang}] {line}" for line in serious_violations(page)]
    assert problems == [], "\n".join(problems)


def test_the_sign_up_form_with_errors(live_server: LiveServer, page: Any) -> None:
    problems = []
    for lang in LANGUAGES:
        page.goto(f"{live_server.url}/sign-up?lang={lang}")
        with page.expect_navigation():
            page.locator('main form button[type="submit"]').first.click()
        assert page.locator(".error-summary").count() == 1
        assert page.locator('#email[aria-invalid="true"]').count() == 1
        problems += [f"[{lang}] {line}" for line in serious_violations(page)]
    assert problems == [], "\n".join(problems)


def test_the_page_after_signing_up(live_server: LiveServer, page: Any) -> None:
    problems = []
    for lang in LANGUAGES:
        page.goto(f"{live_server.url}/sign-up?lang={lang}")
        page.locator("#email").fill(f"axe-{lang}@example.org")
        page.locator("#password").fill("a long enough password")
        with page.expect_navigation():
            page.locator('main form button[type="submit"]').first.click()
        assert page.locator('[role="status"]').count() == 1, page.content()[:3000]
        assert f"axe-{lang}@example.org" in page.locator("main").inner_text()
        problems += [f"[{lang}] {line}" for line in serious_violations(page)]
    assert problems == [], "\n".join(problems)


def test_the_share_page_works_with_the_keyboard(live_server: LiveServer, learner: Learner, learner_page: Any) -> None:
    page = learner_page
    page.goto(f"{live_server.url}/wallet/{learner.claimed}/share")
    page.wait_for_load_state("load")
    reached: list[dict[str, Any]] = []
    for _ in range(60):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate(
                """() => {
                    const e = document.activeElement;
                    const s = getComputedStyle(e);
                    const visible = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
                        || (s.boxShadow && s.boxShadow !== 'none');
                    return {tag: e.tagName, text: (e.innerText || e.value || '').trim(),
                            href: e.getAttribute('href') || '', copy: e.hasAttribute('data-copy'), visible};
                }"""
            )
        )
    copy = [r for r in reached if r["copy"]]
    assert copy, reached
    downloads = {r["href"].rsplit("/", 1)[1].split("?")[0] for r in reached if "/download/" in r["href"]}
    assert {"json", "png", "svg", "pdf"} <= downloads, reached
    focused = [r for r in reached if r["tag"] in ("A", "BUTTON", "INPUT", "SELECT")]
    assert focused
    assert all(r["visible"] for r in focused), [r for r in focused if not r["visible"]]


def test_the_checker_catches_a_page_that_breaks_the_rules(page: Any) -> None:
    page.set_content(
        '<html><body><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text"></body></html>'
    )
    found = serious_violations(page)
    assert any(line.startswith("image-alt") for line in found)
    assert any(line.startswith("label") for line in found)


def test_the_demo_examples_on_the_verify_page(live_server: LiveServer, page: Any) -> None:
    """A newcomer verifies the demo's examples with one press each: a chain for the university, nobody for the
    forgery that copies its name."""
    problems = []
    for lang in LANGUAGES:
        for example, verdict_class, words in (
            ("vouched", ".status-banner.status-ok", "Ministry of Science (demo)"),
            ("federated", ".status-banner.status-ok", "European Register of Training Providers (demo)"),
            ("forgery", ".status-banner.status-warn", ""),
        ):
            page.goto(f"{live_server.url}/verify?lang={lang}")
            with page.expect_navigation():
                page.locator(f'button[name="example"][value="{example}"]').click()
            assert page.locator(verdict_class).count() >= 1, (lang, example)
            assert words in page.locator("main").inner_text()
            assert page.locator('button[name="example"]').count() == 0  # the result, not the examples again
            problems += [f"[{lang} {example}] {line}" for line in serious_violations(page)]
    assert problems == [], "\n".join(problems)
