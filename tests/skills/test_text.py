"""Checking the text suggestions are asked for."""

from __future__ import annotations

import pytest

from cairn.errors import InputError
from cairn.skills.text import MAX_QUERY_CHARS, guess_language, prepare_query


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        (" \t\n ", "empty"),
        ("\x00\x01\x1b\x7f", "empty"),
        ("!!! ??? ---", "no letters or digits"),
        ("x" * (MAX_QUERY_CHARS + 1), "too long"),
        ("a" * 1_000_000, "too long"),
        ("Опыт разработки веб-приложений на Python", "script that is not supported"),
        ("熟悉Java开发", "script that is not supported"),
        ("Esperienza nello sviluppo di applicazioni web con il database e gli strumenti", "Italian"),
    ],
)
def test_refuses_text_that_cannot_be_searched(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        prepare_query(text)


def test_refuses_what_is_not_a_string() -> None:
    with pytest.raises(InputError, match="string"):
        prepare_query(b"bytes")  # type: ignore[arg-type]


def test_replaces_control_characters_and_collapses_spaces() -> None:
    assert prepare_query("  manage\x00 staff\r\n\u200b and\tteams ") == "manage staff and teams"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Strong knowledge of HTML and CSS and the frameworks", "en"),
        ("Umiejętność pracy w zespole i komunikacji z klientem", "pl"),
        ("Erfahrung mit der Entwicklung von Webanwendungen und Datenbanken", "de"),
        ("Experiencia en el desarrollo de aplicaciones web con React y bases de datos", "es"),
        ("Expérience dans le développement des applications web avec les bases de données", "fr"),
        ("javascript reactjs java", None),
    ],
)
def test_accepts_supported_languages(text: str, language: str | None) -> None:
    assert guess_language(text) == language
    assert prepare_query(text) == text
