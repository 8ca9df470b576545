"""Small value types shared by the model: multilingual text, language tags, codes, URLs, slugs.

Each is an ``Annotated`` type with a validator, so pydantic reports a precise field path and a
message a person can act on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated
from urllib.parse import urlsplit

import langcodes
import pycountry
from pydantic import AfterValidator, Field, StrictStr

from cairn.model.vocabularies import Vocabulary

__all__ = [
    "MAX_TEXT",
    "CountryCode",
    "EscoSkillUri",
    "LanguageTag",
    "MultilingualText",
    "Slug",
    "Url",
    "code_of",
    "pick",
]

MAX_TEXT = 20_000
"""Longest text accepted in one language of one field."""

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
_ESCO_SKILL = re.compile(r"^http://data\.europa\.eu/esco/skill/[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$")


def _language_tag(tag: str) -> str:
    if not tag or len(tag) > 35 or not langcodes.tag_is_valid(tag):
        raise ValueError(f"'{tag}' is not a valid BCP 47 language tag (for example 'en', 'pl', 'pt-BR')")
    return tag


LanguageTag = Annotated[StrictStr, AfterValidator(_language_tag)]
"""A BCP 47 language tag such as ``en``, ``pl`` or ``pt-BR``."""


def _multilingual(value: dict[str, str]) -> dict[str, str]:
    if not value:
        raise ValueError("give the text in at least one language, for example {en: '...', pl: '...'}")
    for tag, text in value.items():
        _language_tag(tag)
        if not text.strip():
            raise ValueError(f"the '{tag}' text is empty")
        if len(text) > MAX_TEXT:
            raise ValueError(f"the '{tag}' text is longer than {MAX_TEXT} characters")
    return {tag: text.strip() for tag, text in value.items()}


MultilingualText = Annotated[dict[StrictStr, StrictStr], AfterValidator(_multilingual)]
"""Text in one or more languages, keyed by BCP 47 tag: ``{"en": "Data analysis", "pl": "Analiza danych"}``."""


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(
            f"'{value}' is not a valid identifier: use 1-80 lower-case letters, digits and hyphens, "
            "not starting or ending with a hyphen"
        )
    return value


Slug = Annotated[StrictStr, AfterValidator(_slug)]
"""A stable identifier within the catalogue: lower-case letters, digits and hyphens."""


def _esco_skill(value: str) -> str:
    if not _ESCO_SKILL.match(value):
        raise ValueError(f"'{value}' is not an ESCO skill URI (expected http://data.europa.eu/esco/skill/<uuid>)")
    return value


EscoSkillUri = Annotated[StrictStr, AfterValidator(_esco_skill)]
"""The concept URI of an ESCO skill or knowledge item."""


def _url(value: str) -> str:
    if len(value) > 2000:
        raise ValueError("the URL is longer than 2000 characters")
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"'{value}' is not a web address (expected https://...)")
    return value


Url = Annotated[StrictStr, AfterValidator(_url)]
"""An absolute http(s) URL."""


def _country(value: str) -> str:
    if len(value) != 2 or not value.isupper() or pycountry.countries.get(alpha_2=value) is None:
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-2 country code (for example 'PL', 'DE')")
    return value


CountryCode = Annotated[StrictStr, AfterValidator(_country)]
"""An ISO 3166-1 alpha-2 country code."""


def code_of(vocabulary: Vocabulary) -> Callable[[str], str]:
    """A validator accepting only the codes of ``vocabulary``, naming the allowed ones otherwise."""

    def check(value: str) -> str:
        if vocabulary.get(value) is None:
            allowed = ", ".join(vocabulary.codes())
            raise ValueError(f"'{value}' is not a known {vocabulary.name.lower()}; use one of: {allowed}")
        return value

    return check


def pick(text: Mapping[str, str] | None, lang: str = "en") -> tuple[str, str]:
    """The best ``(language, text)`` of ``text`` for a reader of ``lang``: exact, same base language,
    English, then the first given. Empty strings when ``text`` is None or empty."""
    if not text:
        return "", ""
    if lang in text:
        return lang, text[lang]
    base = lang.split("-")[0]
    for tag, value in text.items():
        if tag.split("-")[0] == base:
            return tag, value
    if "en" in text:
        return "en", text["en"]
    tag = next(iter(text))
    return tag, text[tag]


ShortText = Annotated[StrictStr, Field(min_length=1, max_length=500)]
