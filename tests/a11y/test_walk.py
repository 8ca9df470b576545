"""The walk issue #14 asks for: an issuer, a learner and a recruiter go through Cairn in English and Polish, on a
1280 px screen and a 390 px phone, as people meet it.

Every page on the way must answer, be in the reader's language (``<html lang>``), show no English words on a Polish
page (:func:`tests.helpers.english_words_on_polish_page`), and neither scroll sideways nor have a serious or critical
axe-core violation on the phone or on the screen: the walk is taken on the phone, and each page is resized to
1280 px and checked again (:func:`tests.helpers.layout_problems`; walking it again at 1280 px cost the suite as much
as the phone's walk, for the same pages). With ``CAIRN_WALK_SHOTS=FOLDER`` set, each page
is saved there as a screenshot for a reviewer to look at: ``<step>-<lang>-<width>.png`` (not by default: full-page
screenshots cost a sixth of the walk's time and nobody looks at them in CI).

The three paths:

- issuer: sign in, the catalogue editor, a new definition's form, the award form; award a new learner, see the
  award (claimed or not, when the link was sent), the awards list with its claim rate;
- learner: the demo mailbox shows the claim email; its link opens the claim page (take it without an account);
  the wallet as a collection of badges, a credential, the public profile;
- recruiter: the shared page opened from a link (the banner, then the details folded below), the verify page
  with the credential pasted, the public catalogue searched and an issuer's public page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cairn.services.demo.instance import DEMO_EMAIL, DEMO_PASSWORD
from tests.factories import Learner, LiveServer
from tests.helpers import PHONE, WIDTHS, english_words_on_polish_page, layout_problems, screenshot, screenshot_folder

pytestmark = pytest.mark.slow  # a real browser against a live server

ORGANISATION = "uniwersytet-mazowiecki"  # the demo university, whose definition the learner fixture holds
DEFINITION = "um-python-data-analysis"

LOCALES = {"en": "en-GB", "pl": "pl-PL"}
COMBINATIONS = [(lang, PHONE) for lang in LOCALES]  # each page also resized to 1280 px (layout_problems)


@dataclass
class Walk:
    """One walker's language and screen, and what they found wrong on the way."""

    lang: str
    width: int
    server: LiveServer
    folder: Path | None
    problems: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)

    def look(self, page: Any, step: str) -> None:
        """Check the page now open in ``page`` and save its screenshot as ``step``."""
        where = f"[{self.lang} {self.width}px] {step} ({page.url.removeprefix(self.server.url)})"
        self.seen.append(step)
        lang = page.locator("html").get_attribute("lang")
        if lang != self.lang:
            self.problems.append(f"{where}: <html lang={lang!r}>")
        if self.lang == "pl":
            english = english_words_on_polish_page(page.content())
            if english:
                self.problems.append(f"{where}: English on a Polish page: {english[:6]}")
        self.problems += layout_problems(page, where)  # at 390 px, then resized to 1280 px
        if self.folder is not None:
            screenshot(page, f"{step}-{self.lang}-{self.width}")  # and at 1280 px

    def open(self, page: Any, path: str, step: str) -> None:
        response = page.goto(self.server.url + path)
        assert response is not None, path
        if response.status != 200:
            self.problems.append(f"[{self.lang} {self.width}px] {step}: {path} answered {response.status}")
            return
        self.look(page, step)


@pytest.fixture(scope="module")
def folder() -> Path | None:
    return screenshot_folder()


@pytest.fixture
def context_for(browser: Any) -> Iterator[Any]:
    opened: list[Any] = []

    def make(lang: str, width: int, **options: Any) -> Any:
        from tests.helpers import _axe_script

        context = browser.new_context(locale=LOCALES[lang], viewport=WIDTHS[width], **options)
        context.add_init_script(script=_axe_script())
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.close()


def sign_in(page: Any, server: LiveServer, email: str, password: str, then: str) -> None:
    page.goto(f"{server.url}/sign-in?next={then}")
    form = page.locator("form:has(input[name=password])")
    form.locator('input[name="email"]').fill(email)
    form.locator('input[name="password"]').fill(password)
    with page.expect_navigation():
        form.locator('button[type="submit"]').click()
    assert page.url.startswith(server.url + then), page.url


@pytest.mark.parametrize(("lang", "width"), COMBINATIONS)
def test_issuer_learner_and_recruiter_walk(
    live_server: LiveServer,
    learner: Learner,
    signed_in_state: dict[str, Any],
    context_for: Any,
    folder: Path | None,
    lang: str,
    width: int,
) -> None:
    walk = Walk(lang, width, live_server, folder)
    org = ORGANISATION
    newcomer = f"walker-{lang}-{width}@example.org"

    # -- the issuer ----------------------------------------------------------------------------------------------
    issuer = context_for(lang, width).new_page()
    sign_in(issuer, live_server, DEMO_EMAIL, DEMO_PASSWORD, f"/orgs/{org}/catalogue")
    walk.look(issuer, "issuer-1-catalogue-editor")
    walk.open(issuer, f"/orgs/{org}/catalogue/new", "issuer-2-new-definition")
    walk.open(issuer, f"/orgs/{org}/awards/new", "issuer-3-award-form")
    form = issuer.locator("form.award-form")
    form.locator('select[name="definition"]').select_option(DEFINITION)
    form.locator('input[name="email"]').fill(newcomer)
    form.locator('input[name="name"]').fill("Walker Wędrowiec")
    with issuer.expect_navigation():
        form.locator('button[type="submit"]').click()
    walk.look(issuer, "issuer-4-awarded")
    award_path = re.search(rf"/orgs/{org}/awards/[0-9a-f-]{{36}}", issuer.content())
    assert award_path, "the award page links to the award"
    walk.open(issuer, award_path.group(0), "issuer-5-award")
    assert issuer.get_by_text(re.compile(r"not claimed|nieodebran", re.IGNORECASE)).count() >= 1
    walk.open(issuer, f"/orgs/{org}/awards", "issuer-6-awards-and-claim-rate")

    # -- the learner: the claim email in the demo mailbox, the claim page, then their wallet ----------------------
    newcomer_page = context_for(lang, width).new_page()
    walk.open(newcomer_page, f"/demo/mailbox?to={newcomer}", "learner-1-mailbox")
    claim_link = newcomer_page.locator('a[href*="/claim/"]').first
    href = claim_link.get_attribute("href")
    assert href, "the claim email carries a claim link"
    walk.open(newcomer_page, href.removeprefix(live_server.url), "learner-2-claim")

    wallet = context_for(lang, width, storage_state=signed_in_state).new_page()
    walk.open(wallet, "/wallet", "learner-3-wallet")
    walk.open(wallet, "/wallet?view=collection", "learner-3-wallet-collection")
    walk.open(wallet, f"/wallet/{learner.claimed}", "learner-4-credential")
    walk.open(wallet, f"/p/{learner.slug}", "learner-5-public-profile")

    # -- the recruiter ------------------------------------------------------------------------------------------
    recruiter = context_for(lang, width).new_page()
    walk.open(recruiter, f"/s/{learner.share_token}", "recruiter-1-shared")
    details = recruiter.locator("main details summary")
    if details.count():
        details.first.click()
        walk.look(recruiter, "recruiter-2-shared-details")
    walk.open(recruiter, "/verify", "recruiter-3-verify")
    recruiter.locator("#verify-text").fill(learner.credential_json)
    with recruiter.expect_navigation():
        recruiter.locator('main form button[type="submit"]').first.click()
    walk.look(recruiter, "recruiter-4-verified")
    walk.open(recruiter, "/catalogue?q=python", "recruiter-5-catalogue-search")
    walk.open(recruiter, f"/orgs/{org}", "recruiter-6-issuer-page")

    assert walk.problems == [], "\n".join(walk.problems)
