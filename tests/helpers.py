"""Helpers shared by tests: reading pages (CSRF tokens, emailed links), signing in, reading rows back, verifying an
award as an outside verifier would, running axe-core in a browser page, and driving the fuzz suite's app.

Test modules import from here (and from :mod:`tests.factories`), never from another test module or a conftest.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select

# -- pages -------------------------------------------------------------------------------------------------------
from cairn.bootstrap import Container, build
from cairn.services.careers.service import CareersService
from cairn.services.issuing.setup import IssuingServices
from cairn.services.trust.operator import TrustList
from cairn.store.database import Database
from cairn.store.tables import AuditEntry, OrganisationRow, OutboxRow
from cairn.vc.dids import did_web_url
from cairn.vc.fetch import DictFetcher, Fetcher, is_public_address
from cairn.vc.report import Outcome, Report
from cairn.vc.verification import verify
from tests.factories import PASSWORD, PUBLIC_URL, SpyFetcher
from tests.factories import csrf_of as csrf_of  # re-exported: the pages tests take it from here


def rewired(container: Container, *, fetcher: Fetcher | None = None, trust: TrustList | None = None) -> Container:
    """``container`` rebuilt over the same settings, clock and database, with every verification using
    ``fetcher`` (instead of the instance's) and ``trust`` (instead of the configured trust list)."""
    return build(
        container.settings,
        clock=container.clock,
        database=container.database,
        fetcher=fetcher,
        trust=trust if trust is not None else container.verification.trust,
    )


def emailed_link(database: Database, to: str) -> str:
    """The path (with its query) of the newest one-time link the outbox holds for ``to``."""
    with database.transaction() as s:
        body = s.scalars(
            select(OutboxRow.body_text).where(OutboxRow.to_address == to).order_by(OutboxRow.id.desc())
        ).first()
    found = re.search(r"https?://[^/\s]+(/sign-in/link\?token=[A-Za-z0-9_-]+(?:&next=\S+)?)", body or "")
    assert found, body
    return found.group(1)


def use_link(client: TestClient, path: str, password: str | None = None) -> Response:
    """Open an emailed link's landing page and press its button, as the learner does: with ``password``, the
    one that finishes creating the account (which asks for the password chosen), else the plain one."""
    landing = client.get(path)
    assert landing.status_code == 200
    fields = dict(re.findall(r'<input type="hidden" name="(token|next)" value="([^"]*)"', landing.text))
    data = {name: html.unescape(value) for name, value in fields.items()}
    if password is not None:
        assert 'name="password"' in landing.text, landing.text
        data["password"] = password
    return client.post("/sign-in/link/use", data={**data, "csrf_token": csrf_of(landing.text)})


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the /sign-in form in a fresh browser; the CSRF token of the new session."""
    client.cookies.clear()
    token = csrf_of(client.get("/sign-in").text)
    answer = client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/account").text)


def text_of(credential: dict[str, Any] | str) -> str:
    """A credential as the text a learner pastes (a JWT as it is, anything else as JSON)."""
    return credential if isinstance(credential, str) else json.dumps(credential)


# -- rows --------------------------------------------------------------------------------------------------------


def audit(database: Database, action: str | None = None) -> list[AuditEntry]:
    """The audit log, oldest first (only ``action`` entries when given)."""
    with database.transaction() as s:
        stmt = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        return list(s.scalars(stmt))


def rows(database: Database, table: Any) -> list[Any]:
    """Every row of ``table`` (an ORM class)."""
    with database.transaction() as s:
        return list(s.scalars(select(table)))


# -- verifying awards offline ------------------------------------------------------------------------------------


def fetcher_for(services: IssuingServices, *credentials: dict[str, Any] | str) -> DictFetcher:
    """A fetcher serving every organisation's did.json and the status lists the credentials name."""
    documents: dict[str, object] = {}
    with services.keys.database.transaction() as session:
        slugs = list(session.scalars(select(OrganisationRow.slug)))
    for slug in slugs:
        documents[did_web_url(services.keys.did(slug))] = services.keys.did_document(slug)
    for credential in credentials:
        if isinstance(credential, str):
            continue
        for entry in credential.get("credentialStatus", []):
            url = entry["statusListCredential"]
            slug, _, purpose, sequence = url.removeprefix(PUBLIC_URL + "/orgs/").split("/")
            documents[url] = services.status_lists.published(slug, purpose, int(sequence)).body
    return DictFetcher(documents)


def verify_award(services: IssuingServices, credential: dict[str, Any] | str, now: datetime) -> Report:
    """Verify a credential as an outside verifier would, with did.json and status lists served from a dict."""
    return verify(credential, now=now, fetcher=fetcher_for(services, credential))


def outcomes(report: Report, name: str) -> list[Outcome]:
    """The outcomes of every check called ``name``."""
    return [c.outcome for c in report.checks if c.name == name]


def assert_authentic(report: Report) -> None:
    """Signature valid and the key the issuer's own; status checked and clear."""
    assert outcomes(report, "proof") == [Outcome.PASS], report.text()
    assert outcomes(report, "issuer-key") == [Outcome.PASS], report.text()
    assert outcomes(report, "status") == [Outcome.PASS, Outcome.PASS], report.text()


# -- axe-core in a browser page (the a11y tests) -----------------------------------------------------------------

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
    "resultTypes": ["violations"],
}
BLOCKING = {"serious", "critical"}


def screenshot_folder() -> Path | None:
    """Where the page walks save their screenshots: ``CAIRN_WALK_SHOTS``, or None (no screenshots) when unset.

    Full-page screenshots cost a sixth of a walk's time and nobody looks at them in CI; a reviewer sets the
    variable and looks."""
    configured = os.environ.get("CAIRN_WALK_SHOTS")
    if not configured:
        return None
    folder = Path(configured).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(page: Any, name: str) -> None:
    """Save the whole page as ``NAME.png`` in :func:`screenshot_folder` (nothing when it is unset), and as it looks at
    every other width of :data:`WIDTHS` (resized, then put back): a name ending in ``-<its width>`` gets the other
    width instead, any other name ``-<width>`` added."""
    folder = screenshot_folder()
    if folder is None:
        return
    opened = page.viewport_size
    base = name.removesuffix(f"-{opened['width']}") if opened else name
    for width in each_width(page):
        shot = name if width is None else f"{base}-{width}"
        page.screenshot(path=str(folder / f"{shot}.png"), full_page=True)


@cache
def _axe_script() -> str:
    import axe_playwright_python  # type: ignore[import-untyped]  # ships no type information

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_context(browser: Any, **options: Any) -> Any:
    """A fresh context that loads axe-core into every page it opens (sent to the browser once, not per page)."""
    context = browser.new_context(locale="en-GB", **options)
    context.add_init_script(script=_axe_script())
    return context


def start_axe(page: Any) -> None:
    """Start axe on the loaded page without waiting (so that pages in other renderers can be checked meanwhile)."""
    page.evaluate("options => { window.__cairnAxe = axe.run(document, options); }", AXE_OPTIONS)


def axe_findings(page: Any) -> list[str]:
    """The result of :func:`start_axe`: one line per serious or critical violation, naming the elements."""
    results = page.evaluate("() => window.__cairnAxe")
    found = []
    for violation in results["violations"]:
        if violation.get("impact") in BLOCKING:
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:5])
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found


def serious_violations(page: Any) -> list[str]:
    """Run axe on the loaded page; one line per serious or critical violation, naming the elements."""
    start_axe(page)
    return axe_findings(page)


WIDTHS: dict[int, dict[str, int]] = {390: {"width": 390, "height": 844}, 1280: {"width": 1280, "height": 900}}
"""The viewports every page is checked at: a phone and a laptop."""
PHONE = 390
"""The width the page tests open their pages at; :func:`page_problems` checks each one at the laptop's too (the same
page resized: loading every page again at 1280 px had cost the suite about a minute on two cores)."""


def focused_id(page: Any, expected: str, *, timeout: float = 5000) -> str:
    """The id of the focused element once ``expected`` has it, or after ``timeout`` ms: ``autofocus`` is applied at
    the browser's next rendering update, not by the load event, so reading focus right after a navigation races it."""
    script = "id => document.activeElement && document.activeElement.id === id"
    with contextlib.suppress(Exception):  # the caller's assertion says what was focused instead
        page.wait_for_function(script, arg=expected, timeout=timeout)
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def page_problems(page: Any, where: str, lang: str | None = None, *, english: bool = True) -> list[str]:
    """What is wrong with the loaded page, one line each, prefixed with ``where``: not in ``lang`` (when given),
    scrolling sideways, English words on a Polish page (unless ``english`` is False), serious or critical axe
    violations; then the same layout checks (sideways scrolling, axe) at every other width of :data:`WIDTHS`, the
    same page resized rather than loaded again (the tests open their pages at the phone's width)."""
    found: list[str] = []
    if lang is not None and page.locator("html").get_attribute("lang") != lang:
        found.append(f"{where}: not in {lang}")
    if english and lang == "pl" and (words := english_words_on_polish_page(page.content())):
        found.append(f"{where}: English on a Polish page: {words[:6]}")
    return found + layout_problems(page, where)


def sideways(page: Any, where: str) -> list[str]:
    """Sideways scrolling of the loaded page at its current width, naming the first elements that stick out."""
    wider: int = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if wider <= 0:
        return []
    elements = page.evaluate(
        """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1)
           .slice(0, 3).map(e => e.tagName.toLowerCase() + ' ' + (e.textContent || '').trim().slice(0, 40))"""
    )
    return [f"{where}: scrolls sideways by {wider}px: {elements}"]


def each_width(page: Any) -> Iterator[int | None]:
    """The loaded page as it is (None), then resized to each other width of :data:`WIDTHS` (that width); put back at
    its own width after, whatever happened."""
    opened = page.viewport_size
    try:
        yield None
        for width, size in WIDTHS.items():
            if opened is not None and width != opened["width"]:
                page.set_viewport_size(size)
                yield width
    finally:
        if opened is not None and page.viewport_size != opened:
            page.set_viewport_size(opened)


def layout_problems(page: Any, where: str) -> list[str]:
    """Sideways scrolling and serious or critical axe violations of the loaded page at its own width and at every
    other width of :data:`WIDTHS` (resized in place, then put back), one line each."""
    found: list[str] = []
    for width in each_width(page):
        at = where if width is None else f"{where} (resized to {width}px)"
        found += sideways(page, at)
        found += [f"{at}: {line}" for line in serious_violations(page)]
    return found


# -- English on Polish pages ------------------------------------------------------------------------------------

ENGLISH_WORDS = frozenset(
    """
    the and or of with from for by at in an is are was were be been has have had will would can cannot could
    not this that these those your you our its it if all any each every which who what where when how why
    here there more less than then also only other into about after before until since between

    credential credentials issued issuer issuers issuing issue holder learner learners recipient awarded award
    awards claim claimed claims wallet share shared sharing verify verified verification verifier valid
    invalid validity expired expires expiry revoked revocation suspended signed signature signatures unsigned
    proof proofs key keys trusted trust untrusted vouches accredited accreditation registry checked check
    checks follows rules malformed authentic genuine unknown found missing

    credits hours hour week weeks level levels framework frameworks region regions country learning outcome
    outcomes skill skills assessment participation quality assurance prerequisites workload grade result
    evidence mode onsite blended supervised unsupervised stackable further information field education
    cycle qualifications european national occupation occupations jobs language languages title description
    details achievement

    account password sign email address settings download upload print search filter show hide back next
    previous save cancel delete remove add edit create new yes none never today date dates name names
    welcome home help privacy terms continue submit send sent received request view open close copy copied
    people person organisation organization page pages error errors loading please
    """.split()  # noqa: SIM905 (a word list reads best as words)
)
"""Common English words of Cairn's pages that are never Polish words (so "to", "do", "no", "a", "on", "data",
"status" and "link", which Polish has too, are left out)."""

_SKIPPED_ELEMENTS = frozenset({"script", "style", "code", "pre", "template", "noscript", "svg", "textarea"})
_PROPER_NAMES = re.compile(r"Open Badges|Verifiable (?:Credentials?|Presentations?)|Open Data")
"""Names of standards that stay in English in Polish text."""
_PATHS = re.compile(r"\S*/\S*|\S+@\S+|\b(?:did|urn):\S+")
"""Addresses, paths and identifiers (``/verify/report``, ``did:key:z6Mk...``, e-mail addresses) are not words."""
_VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)
_READ_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")
_WORD = re.compile(r"(?<!\w)[^\W\d_]+(?:'[^\W\d_]+)?(?!\w)")  # whole words: not the letters inside "60304be4"


class _VisibleText(HTMLParser):
    """Text a Polish reader meets (text nodes, alt, title, aria-label, placeholder, button values), without what
    sits inside ``<code>``, ``<pre>``, scripts and styles or in an element whose ``lang`` is not Polish."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []

    def _skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        lang = values.get("lang")
        skip = self._skipping()
        if lang is not None and tag != "html":  # another language, unknown (lang=""), or Polish again inside one
            skip = not lang.lower().startswith("pl") or any(t in _SKIPPED_ELEMENTS for t, _ in self.stack)
        skip = skip or tag in _SKIPPED_ELEMENTS
        if not skip and values.get("type") != "hidden":
            self.parts.extend(values[name] for name in _READ_ATTRIBUTES if values.get(name))
            if tag == "input" and values.get("type") in {"submit", "button"}:
                self.parts.append(values.get("value", ""))
        if tag not in _VOID_ELEMENTS:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_ELEMENTS and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, -1, -1):  # close what the page left open inside it too
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self.parts.append(data)


def visible_text(html_text: str) -> str:
    """The text of a page a reader meets, as :func:`english_words_on_polish_page` reads it."""
    parser = _VisibleText()
    parser.feed(html_text)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def english_words_on_polish_page(html_text: str) -> list[str]:
    """The common English words (:data:`ENGLISH_WORDS`) in the visible text of a page meant to be Polish, each
    with a little of the text around it (``"word: ...context..."``), in page order, each context once.

    Text inside an element with a non-Polish ``lang`` (user content shown in the language it was written in),
    ``<code>``, ``<pre>``, ``<textarea>`` (what the reader typed), scripts and styles is not read, nor the names
    of standards (Open Badges, Verifiable Credential); attributes people meet (alt, title, aria-label,
    placeholder) are."""
    text = _PATHS.sub(" ", _PROPER_NAMES.sub(" ", visible_text(html_text)))
    found: list[str] = []
    for match in _WORD.finditer(text):
        if match.group(0).lower() in ENGLISH_WORDS:
            context = text[max(0, match.start() - 40) : match.end() + 40]
            entry = f"{match.group(0)}: ...{context}..."
            if entry not in found:
                found.append(entry)
    return found


def skill_links(page: str, uri: str) -> list[tuple[str, str]]:
    """Each link of ``page`` to the ESCO skill ``uri``: its label, and the language code shown after it (``EN``
    where the label is not in the page's language; "" when none is)."""
    found = re.finditer(
        rf'<a href="{re.escape(uri)}"[^>]*>([^<]*)</a>'
        r'(?: <span class="lang-tag" title="[^"]*"><span aria-hidden="true">(\w+)</span>)?',
        page,
    )
    return [(html.unescape(m.group(1)), m.group(2) or "") for m in found]


def skill_name_lookups(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """From now on, the URIs of every :meth:`CareersService.skill_names` call, one list a call (a page should make
    one)."""
    calls: list[list[str]] = []
    lookup = CareersService.skill_names

    def counted(self: CareersService, uris: Iterable[str], *, language: str = "en") -> dict[str, tuple[str, str]]:
        calls.append(list(uris))
        return lookup(self, calls[-1], language=language)

    monkeypatch.setattr(CareersService, "skill_names", counted)
    return calls


# -- the fuzz suite's app ----------------------------------------------------------------------------------------

MAX_WALL_SECONDS = 10.0
"""No fuzzed request may hang: nothing in the fuzz tests waits (the spy fetcher never connects), so an answer
that takes this long waited on something (a timeout, a lock). Generous, for a busy two-core machine; how much work
one request may cost is a performance goal, measured by ``bench/verify_hostile.py``, not asserted here."""


class Fuzzed:
    """What a fuzz test drives: the client, the spy, and a real credential to mutate."""

    def __init__(self, client: TestClient, spy: SpyFetcher, credential: dict[str, Any]) -> None:
        self.client = client
        self.spy = spy
        self.credential = credential

    def post(self, path: str, **kwargs: Any) -> Response:
        """POST, and check what every answer must be: not a hang, not a 5xx, a report or an error."""
        start = time.perf_counter()
        answer = self.client.post(path, **kwargs)
        wall = time.perf_counter() - start
        assert wall < MAX_WALL_SECONDS, f"{path} took {wall:.2f} s: it waited on something"
        assert answer.status_code < 500, (path, answer.status_code, answer.text[:300])
        kind = answer.headers.get("content-type", "")
        if kind.startswith("application/json"):
            body = answer.json()
            assert ("checks" in body or "rows" in body) if answer.status_code < 300 else True
            assert "checks" in body or "error" in body or "rows" in body, body
            if "error" in body:
                assert 400 <= answer.status_code < 500
        elif kind.startswith("text/html"):
            assert answer.status_code in (200, 400, 413, 422), answer.status_code
            assert 'id="verdict"' in answer.text or 'role="alert"' in answer.text or "<table" in answer.text
        else:
            assert kind.startswith("text/csv"), kind
        self.check_no_private_fetch()
        return answer

    def check_no_private_fetch(self) -> None:
        """Every connection the spy was asked for went to public addresses only (and none really happened)."""
        for host, addresses in self.spy.connections:
            assert all(is_public_address(a) for a in addresses), (host, addresses)


def new_link(client: TestClient, credential_id: str, csrf: str, expires: str = "") -> str:
    """Make a share link of a wallet credential through its page; the link's address."""
    answer = client.post(f"/wallet/{credential_id}/share", data={"csrf_token": csrf, "expires": expires})
    assert answer.status_code == 303, answer.text
    page = client.get(f"/wallet/{credential_id}/share").text
    found = re.search(r'id="share-url" type="text" readonly value="([^"]+)"', page)
    assert found, page
    return found.group(1)
