"""/api/docs in a real browser: Swagger UI from the package renders the API's operations under Cairn's CSP, with
nothing fetched from anywhere else and no CSP violation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import LiveServer

pytestmark = pytest.mark.slow  # a real browser against a live server


def test_swagger_ui_renders_the_operations_offline(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        requested: list[str] = []
        problems: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(live_server.url + "/api/docs")
        page.locator(".opblock").first.wait_for()
        assert page.locator(".opblock").count() > 10  # every documented route, as an operation block
        assert page.get_by_text("/credentials/verify").first.is_visible()
        assert page.locator(".info .title").first.text_content().startswith("Cairn")
        foreign = [u for u in requested if not u.startswith(live_server.url) and not u.startswith("data:")]
        assert foreign == []
        assert not [p for p in problems if "Content Security Policy" in p], problems
    finally:
        context.close()
