"""Polish pages say everything in Polish: what a credential certifies (units, levels, countries, ESCO skills), each
check's reason, and the credential's own texts in the reader's language where the issuer wrote them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import build
from cairn.model.awards import Recipient
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.web.app import create_app
from tests.factories import FixedClock
from tests.helpers import english_words_on_polish_page, visible_text

UM = "uniwersytet-mazowiecki"


@pytest.fixture
def app_parts(database: Database, clock: FixedClock, examples: Path) -> Iterator[tuple[TestClient, Any]]:
    settings = Settings(database_url="sqlite://", secret_key="s" * 48, base_url="https://cairn.example")
    container = build(settings, clock=clock, database=database)
    container.catalog.import_paths([examples])
    with TestClient(create_app(container)) as client:
        yield client, container


def test_the_word_list_check_reads_what_a_reader_meets() -> None:
    page = (
        '<html lang="pl"><head><title>Poświadczenie</title><style>.the{}</style></head><body>'
        '<p>Ważne do 2027 <span lang="en">Data analysis with Python</span> <code>the key</code></p>'
        '<img alt="signature"><p lang="en">Issued by <b lang="pl">wydawca, not Polish</b></p>'
        "<pre>and</pre><textarea>the credential</textarea><p>5 ECTS credits</p></body></html>"
    )
    found = [entry.split(":")[0] for entry in english_words_on_polish_page(page)]
    assert found == ["signature", "not", "credits"]
    assert "Data analysis" not in visible_text(page)


def test_a_verified_credential_reads_in_polish(app_parts: tuple[TestClient, Any]) -> None:
    client, container = app_parts
    credential = container.issuing.award(
        "um-python-data-analysis", Recipient(email="ada@example.org"), actor="test", organisation=UM
    ).credential
    assert credential["credentialSubject"]["achievement"]["inLanguage"] == "en"
    page = client.post("/verify?lang=pl", data={"text": json.dumps(credential)})
    assert page.status_code == 200, page.text
    text = visible_text(page.text)
    assert "Analiza danych w języku Python" in text  # the issuer's Polish title, from the Polish edition
    assert "5 pkt ECTS" in text
    assert "125 godz. nauki" in text
    assert "Polska (Mazowieckie)" in text
    assert "spełnia zasady VCDM 2.0" in text
    assert "klucz podpisu należy do wystawcy" in text
    # the outcomes stay in the language the credential states them in, and say so
    assert re.search(r'<li lang="en">\s*Write Python programs', page.text)
    checks = page.text[page.text.index('<table class="list checks') :]
    assert english_words_on_polish_page(checks) == []
    annex = page.text[page.text.index('<table class="annex"') : page.text.index('<table class="list checks')]
    assert english_words_on_polish_page(annex) == []
