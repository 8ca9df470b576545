"""said_html: a check's reason or a trust line as HTML body text, the names from data in it marked as data."""

from __future__ import annotations

from cairn.phrases import Phrase
from cairn.web.i18n import said, said_html


def test_names_from_data_are_escaped_and_marked_and_the_words_translated() -> None:
    phrase = Phrase("accredited by %(who)s%(scope)s%(until)s", who="Agency <b>&</b> Co", scope="", until="")
    html = str(said_html("pl", phrase))
    assert html == 'akredytowany przez: <span lang="">Agency &lt;b&gt;&amp;&lt;/b&gt; Co</span>'
    assert said("pl", phrase) == "akredytowany przez: Agency <b>&</b> Co"  # plain text for attributes stays plain


def test_days_become_the_readers_dates_and_a_known_language_is_given() -> None:
    phrase = Phrase("accredited by %(who)s%(scope)s%(until)s", who="Ministerstwo", scope="", until="2031-12-05")
    assert str(said_html("pl", phrase, "pl")) == 'akredytowany przez: <span lang="pl">Ministerstwo</span>5 grudnia 2031'
    assert str(said_html("en", "a <plain> reason")) == "a &lt;plain&gt; reason"
    assert str(said_html("en", phrase.to_json())) == 'accredited by <span lang="">Ministerstwo</span>5 December 2031'
