"""The page of a bulk award running as a job, in headless Chromium: while it runs (the progress bar, the count in
words, the Refresh link), then done (the script sees the job end and loads the report), in English and Polish, at
390 and 1280 px: no serious or critical axe-core violation, no sideways scrolling, no English words on the Polish
page. With ``CAIRN_WALK_SHOTS=FOLDER`` set, screenshots go there as ``bulk-job-<state>-<lang>-<width>.png``."""

from __future__ import annotations

import re
from typing import Any

import pytest

from cairn.services.demo.instance import DEMO_EMAIL, DEMO_PASSWORD
from cairn.store.tables import BulkUploadRow
from tests.factories import LiveServer
from tests.helpers import PHONE, WIDTHS, axe_context, page_problems, screenshot

pytestmark = pytest.mark.slow  # a real browser against a live server

ORGANISATION = "uniwersytet-mazowiecki"
DEFINITION = "um-applied-statistics"
DONE = {"en": "Done: 4 rows of", "pl": "Gotowe: 4 wiersze pliku"}


def _queued_upload(live_server: LiveServer, name: str) -> int:
    """A bulk upload of four learners, held as if a worker had done two rows (its job is deferred later)."""
    c = live_server.container
    names = ("Zofia Wójcik", "Jan Kowalczyk", "Maria Zielińska", "Piotr Lewandowski")  # other pages list them too
    people = "email,name\n" + "".join(f"{name}{i}@example.org,{n}\n" for i, n in enumerate(names))
    defer = c.bulk_uploads.defer
    c.bulk_uploads.defer = lambda upload_id: None  # type: ignore[method-assign]
    try:
        upload_id = c.bulk_uploads.submit(
            people.encode(), filename=f"{name}.csv", definition=DEFINITION, organisation=ORGANISATION, actor="test"
        )
    finally:
        c.bulk_uploads.defer = defer  # type: ignore[method-assign]
    with c.database.transaction() as session:
        row = session.get(BulkUploadRow, upload_id)
        assert row is not None
        row.status, row.done_rows = "running", 2
    return upload_id


@pytest.mark.parametrize("width", [PHONE])
def test_the_bulk_job_page_shows_progress_then_the_report(live_server: LiveServer, browser: Any, width: int) -> None:
    c = live_server.container
    context = axe_context(browser, viewport=WIDTHS[width])
    problems: list[str] = []
    try:
        page = context.new_page()
        page.goto(live_server.url + "/sign-in")
        form = page.locator('form[action="/sign-in"]')
        form.get_by_label("Email address").fill(DEMO_EMAIL)
        form.get_by_label("Password").fill(DEMO_PASSWORD)
        with page.expect_navigation():
            form.get_by_role("button", name="Sign in").click()
        for lang in ("en", "pl"):
            where = f"[{lang} {width}px]"
            upload_id = _queued_upload(live_server, f"axe{lang}{width}")
            page.goto(f"{live_server.url}/orgs/{ORGANISATION}/awards/bulk/jobs/{upload_id}?lang={lang}")
            bar = page.locator("progress#job-progress")
            assert (bar.get_attribute("value"), bar.get_attribute("max")) == ("2", "4"), where
            words = page.locator('#job-count[aria-live="polite"]').inner_text()
            assert re.findall(r"\d+", words) == ["2", "4"], where
            problems += page_problems(page, f"{where} running", lang)
            screenshot(page, f"bulk-job-running-{lang}-{width}")
            c.bulk_uploads.defer(upload_id)  # the worker thread finishes it; the page's script reloads
            page.wait_for_selector("#outcome", timeout=15_000)
            assert DONE[lang] in page.locator("h2#job-title").inner_text(), where
            problems += page_problems(page, f"{where} done", lang)
            screenshot(page, f"bulk-job-done-{lang}-{width}")
    finally:
        context.close()
    assert problems == [], "\n".join(problems)
