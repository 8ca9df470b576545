"""The Annex I table says only Cairn's own sentences (phrases) in the reader's language: what an issuer or a
credential wrote is shown as written, even when it reads like one of Cairn's sentences."""

from __future__ import annotations

from cairn.phrases import Phrase
from cairn.web.catalog.views import Item, Row
from cairn.web.i18n import make_templates


def _annex(rows: list[Row], lang: str) -> str:
    env = make_templates(version="test", languages={"en": "English", "pl": "Polski"}).env
    template = env.from_string('{% from "_annex.html" import annex_table with context %}{{ annex_table(rows, "c") }}')
    return template.render(rows=rows, lang=lang, request=None)


def test_only_phrases_are_translated_and_unstated_languages_are_marked() -> None:
    rows = [
        Row(1, "Title of the micro-credential", [Item("Not stated", "en")]),  # an issuer's title, in English
        Row(4, "Awarding body(ies)", [Item("Not stated", data=True)]),  # a name in a language nobody stated
        Row(8, "Level (EQF and other frameworks)", [Item(Phrase("Not applicable"))]),  # Cairn's words
    ]
    html = _annex(rows, "pl")
    assert '<li lang="en">\n            \n            Not stated' in html
    assert '<li lang="">\n            \n            Not stated' in html
    assert "Nie dotyczy" in html
    assert html.count("Nie podano") == 0
    assert html.count("Not applicable") == 0
