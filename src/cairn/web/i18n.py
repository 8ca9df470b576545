"""Page text in the reader's language: gettext catalogues (``locale/<lang>/*.po``) read once with Babel.

Templates write ``{{ _("Your wallet") }}`` or ``{{ _("%(n)s credentials", n=count) }}``; the language is the
template's ``lang`` variable (every page sets it from ``?lang=``, Accept-Language or the instance default).
Python code uses :func:`translate`. Each part of the site keeps its own ``.po`` file; they are merged per
language. A message without a translation falls back to English, the source language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date, format_time
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from cairn.formats.annex import localized
from cairn.model.types import pick
from cairn.phrases import Phrase, say

__all__ = [
    "LANGUAGES",
    "catalog",
    "credential_language",
    "credential_title",
    "human_date",
    "install",
    "long_date",
    "machine_date",
    "make_templates",
    "marked",
    "number",
    "reader_language",
    "said",
    "said_html",
    "translate",
]

SOURCE_LANGUAGE = "en"
LANGUAGES = {"en": "English", "pl": "Polski"}
"""The languages pages are written in (code -> its own name), for the switcher."""


def reader_language(request: Request, lang: str | None = None) -> str:
    """``lang`` (else the ``?lang=`` query parameter), else the browser's first supported Accept-Language,
    else the instance's default language, else English."""
    if lang is None:
        lang = request.query_params.get("lang")
    if lang in LANGUAGES:
        return str(lang)
    for part in request.headers.get("accept-language", "")[:500].split(","):
        tag = part.split(";")[0].strip().lower().split("-")[0]
        if tag in LANGUAGES:
            return tag
    default = getattr(request.app.state, "default_language", SOURCE_LANGUAGE)
    return default if default in LANGUAGES else SOURCE_LANGUAGE


@cache
def catalog(language: str) -> Mapping[str, str]:
    """Every translated message of ``language`` (msgid -> msgstr), from all its ``.po`` files."""
    messages: dict[str, str] = {}
    folder = resources.files("cairn.web") / "locale" / language
    if language == SOURCE_LANGUAGE or not folder.is_dir():
        return messages
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".po"):
            continue
        with entry.open("rb") as handle:
            parsed = read_po(handle, locale=language)
        for message in parsed:
            if message.id and isinstance(message.id, str) and message.string and not message.fuzzy:
                messages[message.id] = str(message.string)
    return messages


def translate(language: str, message: str, /, **values: Any) -> str:
    """``message`` in ``language`` (English when there is no translation), with ``%(name)s`` values filled in."""
    text = catalog(language).get(message, message)
    return text % values if values else text


@pass_context
def _gettext(context: Context, message: str, /) -> str:
    # Jinja's new-style gettext fills in the %(name)s values (escaped) after this lookup.
    return catalog(str(context.get("lang") or SOURCE_LANGUAGE)).get(message, message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int, /) -> str:
    language = str(context.get("lang") or SOURCE_LANGUAGE)
    forms = catalog(language).get(f"{singular}|{plural}", "").split("|")
    if language == "pl" and len(forms) == 3:  # Polish: 1, 2-4 (not 12-14), the rest; msgid "singular|plural"
        return forms[0 if n == 1 else 1 if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14) else 2]
    return catalog(language).get(singular if n == 1 else plural, singular if n == 1 else plural)


BABEL_LOCALES = {"en": "en_GB", "pl": "pl_PL"}
"""Dates are written the European way: 4 May 2026, 4 maja 2026."""


def long_date(value: date | None, language: str) -> str:
    """``value`` as a long date in ``language`` ("4 May 2026", "4 maja 2026"); "" for None."""
    if value is None:
        return ""
    return format_date(value, format="long", locale=BABEL_LOCALES.get(language, "en_GB"))


def number(value: float | int, language: str) -> str:
    """``value`` written the reader's way ("1.5", "1,5"; "12,500", "12 500"), with no needless ".0"."""
    return str(format_decimal(value, locale=BABEL_LOCALES.get(language, "en_GB")))


@pass_context
def _number_filter(context: Context, value: float | int) -> str:
    return number(value, str(context.get("lang") or SOURCE_LANGUAGE))


@pass_context
def _long_date_filter(context: Context, value: date | None) -> str:
    return long_date(value, str(context.get("lang") or SOURCE_LANGUAGE))


def said(language: str, text: Any) -> str:
    """A sentence the code wrote (a check's reason) in ``language``: a :class:`~cairn.phrases.Phrase`, or
    one stored by ``Phrase.to_json``, said from its parts (names and dates as they are, the words around them
    translated); plain text translated when the catalogue has it whole, else as it is. Unlike ``_``, it never
    treats the text as a format string (reasons may quote what a credential says)."""
    if isinstance(text, Phrase):
        text = text.to_json()
    if isinstance(text, Mapping | list):
        return say(text, lambda message: translate(language, message))
    return translate(language, "" if text is None else str(text))


_ISO_DAY = re.compile(r"(?<![\w/:.%-])(\d{4}-\d{2}-\d{2})(?![\w/:.%-])")


@pass_context
def _said_filter(context: Context, text: Any) -> str:
    """:func:`said`, with each ISO day in it (``until 2028-12-05``, as reasons give dates) written for people."""
    language = str(context.get("lang") or SOURCE_LANGUAGE)
    return _days(said(language, text), language)


@pass_context
def _days_filter(context: Context, text: Any) -> str:
    """Text shown as written (never translated) but for each ISO day in it, written for people."""
    return _days("" if text is None else str(text), str(context.get("lang") or SOURCE_LANGUAGE))


def _days(text: str, language: str) -> str:
    return _ISO_DAY.sub(lambda m: human_date(m.group(1), language), text)


_LETTER = re.compile(r"[^\W\d_]")


def said_html(language: str, text: Any, value_lang: str = "") -> Markup:
    """:func:`said` as HTML for body text (never inside an attribute): the translated words escaped, and each
    value from data the phrase names (a name, a scope) inside ``<span lang="...">`` (``value_lang``; ``""``: the
    language is not known), since it is not in the page's language for sure. ISO days become the reader's dates
    and values without letters (numbers, codes such as 05) stay unmarked. Plain text is as :func:`said` says it."""
    if isinstance(text, Phrase):
        text = text.to_json()
    if not isinstance(text, Mapping | list):
        return escape(_days(said(language, text), language))
    return _said_markup(text, language, value_lang)


def _said_markup(data: Any, language: str, value_lang: str) -> Markup:
    if isinstance(data, list):
        return Markup(", ").join(_said_markup(part, language, value_lang) for part in data)
    if not isinstance(data, Mapping) or not isinstance(data.get("msgid"), str):
        value = "" if data is None else str(data)
        if _ISO_DAY.fullmatch(value):
            return escape(human_date(value, language))
        if not _LETTER.search(value):
            return escape(value)
        return Markup('<span lang="%s">%s</span>') % (value_lang, value)
    template = data["msgid"]
    raw = data.get("args")
    args = {str(k): _said_markup(v, language, value_lang) for k, v in raw.items()} if isinstance(raw, Mapping) else {}
    if not args:
        return escape(translate(language, template))
    try:
        return escape(translate(language, template)) % args
    except (KeyError, TypeError, ValueError):
        return escape(template) % args


@pass_context
def _said_html_filter(context: Context, text: Any, value_lang: str = "") -> Markup:
    return said_html(str(context.get("lang") or SOURCE_LANGUAGE), text, value_lang)


_MAX_DATE_TEXT = 64


def _as_moment(value: Any) -> date | None:
    """A date or an aware datetime (in UTC) from a date, a datetime (naive ones are UTC, as Cairn stores them) or
    an ISO 8601 string (``2026-12-05``, ``2026-12-05T07:28:44Z``); None for anything else."""
    if isinstance(value, str):
        text = value.strip()[:_MAX_DATE_TEXT]
        try:
            value = datetime.fromisoformat(text) if "T" in text or " " in text else date.fromisoformat(text)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value if isinstance(value, date) else None


def human_date(value: Any, language: str, *, time: bool = False) -> str:
    """``value`` (a date, a datetime or an ISO 8601 string) for people in ``language``: "5 December 2026",
    "5 grudnia 2026"; with ``time`` (where the hour matters) "5 December 2026, 07:28 UTC", the time zone stated
    (Cairn keeps times in UTC). A string that is no date is returned as it is (a credential may say anything);
    "" for None."""
    if value is None or value == "":
        return ""
    moment = _as_moment(value)
    if moment is None:
        return str(value)[:_MAX_DATE_TEXT]
    text = long_date(moment if not isinstance(moment, datetime) else moment.date(), language)
    if time and isinstance(moment, datetime):
        text += ", " + format_time(moment, "HH:mm", locale=BABEL_LOCALES.get(language, "en_GB")) + " UTC"
    return text


def machine_date(value: Any) -> str:
    """``value`` as the ISO 8601 text a ``<time datetime>`` carries (UTC, ``Z``), or "" when it is no date."""
    moment = _as_moment(value)
    if isinstance(moment, datetime):
        return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
    return moment.isoformat() if moment is not None else ""


@pass_context
def _human_date_filter(context: Context, value: Any) -> str:
    return human_date(value, str(context.get("lang") or SOURCE_LANGUAGE))


@pass_context
def _human_datetime_filter(context: Context, value: Any) -> str:
    return human_date(value, str(context.get("lang") or SOURCE_LANGUAGE), time=True)


@pass_context
def _time_tag_filter(context: Context, value: Any, time: bool = False) -> Markup:
    """``<time datetime="2026-12-05T07:28:44Z">5 December 2026</time>``: people read the date, programs the
    attribute; text that is no date comes out escaped, without the element."""
    text = human_date(value, str(context.get("lang") or SOURCE_LANGUAGE), time=time)
    machine = machine_date(value)
    if not machine:
        return escape(text)
    return Markup('<time datetime="{}">{}</time>').format(machine, text)


def _is_phrase(value: Any) -> bool:
    """``{% if text is phrase %}``: Cairn's own sentence (to be said in the reader's language), not someone's words."""
    return isinstance(value, Phrase)


def install(environment: Environment) -> None:
    """Give templates ``_`` and ``ngettext`` (and the ``{% trans %}`` tag) in the page's language."""
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    environment.filters["long_date"] = _long_date_filter
    environment.filters["said"] = _said_filter
    environment.filters["days"] = _days_filter
    environment.filters["said_html"] = _said_html_filter
    environment.filters["number"] = _number_filter
    environment.filters["human_date"] = _human_date_filter
    environment.filters["human_datetime"] = _human_datetime_filter
    environment.filters["time_tag"] = _time_tag_filter
    environment.tests["phrase"] = _is_phrase
    _install_content(environment)


MAX_KEPT_QUERY = 2000
"""The longest query string the language switcher carries over (longer ones are dropped, not cut)."""


def language_link(request: Request, code: str, path: str | None = None, keep_query: bool = False) -> str:
    """The address of this page (``path``, else the request's) in language ``code``. With ``keep_query`` (a page
    answered well to a GET: a search, a filter, a page of results) the request's query is kept when ``path`` is
    the requested page, ``lang`` replaced; an error page never repeats the query it refused."""
    path = path or request.url.path
    kept: list[tuple[str, str]] = []
    if keep_query and path == request.url.path:
        kept = [(key, value) for key, value in request.query_params.multi_items() if key != "lang"]
    query = urlencode([*kept, ("lang", code)])
    if len(query) > MAX_KEPT_QUERY:
        query = urlencode({"lang": code})
    return f"{path}{'&' if '?' in path else '?'}{query}"


def make_templates(*, version: str, languages: Mapping[str, str]) -> Jinja2Templates:
    """The page templates, with gettext installed and what every page's frame needs."""
    templates = Jinja2Templates(directory=str(resources.files("cairn.web") / "templates"))
    install(templates.env)
    templates.env.globals["version"] = version
    templates.env.globals["site_languages"] = dict(languages)
    templates.env.globals["language_link"] = language_link
    return templates


# -- what people and issuers wrote, marked with its language ---------------------------------------------------------
# A credential's title is shown in the reader's language where the credential has that edition; other texts
# people wrote (titles, names) keep their own language, marked with ``lang`` (``lang=""``: not stated) so screen
# readers say them right and readers see they are the author's words, not Cairn's. Templates write
# ``{{ title_of(held) }}`` (anything with ``title`` and ``document``), ``{{ title_text(held) }}`` (plain text, for
# <title> and meta tags), ``{{ name | in_lang(written_in(held)) }}`` or ``{{ name | in_lang("") }}``.


def _achievement(document: Mapping[str, Any]) -> Mapping[str, Any]:
    subject = document.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else {}
    found = subject.get("achievement") if isinstance(subject, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def credential_language(document: Any) -> str:
    """The language a credential says its texts are written in (its achievement's ``inLanguage``, else its
    own); ``""`` when it does not say."""
    if not isinstance(document, Mapping):
        return ""
    for node in (_achievement(document), document):
        said = node.get("inLanguage")
        if isinstance(said, list):
            said = next((s for s in said if isinstance(s, str)), None)
        if isinstance(said, str) and said:
            return said[:35]
    return ""


def credential_title(document: Any, title: str, lang: str) -> tuple[str, str]:
    """``(language, text)`` of a credential's title for a reader of ``lang``: the edition in that language
    where the credential has one, else ``title`` in the credential's own language (``""``: not stated)."""
    if isinstance(document, Mapping):
        found_lang, found = localized(_achievement(document), "name", lang)
        if found and (found_lang == lang or not title):
            return found_lang, found
    return credential_language(document), title


def marked(text: Any, text_lang: str, page_lang: str) -> Markup:
    """``text`` escaped, inside ``<span lang=...>`` unless it is in the page's own language."""
    if text_lang == page_lang or (text_lang and text_lang.split("-")[0] == page_lang):
        return escape(text)
    return Markup('<span lang="%s">%s</span>') % (text_lang, text)


def _page_lang(context: Context) -> str:
    return str(context.get("lang") or "en")


@pass_context
def _title_of(context: Context, thing: Any) -> Markup:
    lang = _page_lang(context)
    text_lang, text = credential_title(getattr(thing, "document", None), str(getattr(thing, "title", "")), lang)
    return marked(text, text_lang, lang)


@pass_context
def _title_text(context: Context, thing: Any) -> str:
    return credential_title(getattr(thing, "document", None), str(getattr(thing, "title", "")), _page_lang(context))[1]


@pass_context
def _in_lang(context: Context, text: Any, text_lang: str = "") -> Markup:
    return marked(text, text_lang, _page_lang(context))


@pass_context
def _written_in(context: Context, thing: Any) -> str:
    return credential_language(getattr(thing, "document", None))


def _given(text: Any) -> Mapping[str, str] | None:
    return text if isinstance(text, Mapping) else None


@pass_context
def _picked(context: Context, text: Any) -> Markup:
    """A text given in several languages (``{"en": ..., "pl": ...}``) in the reader's, marked with its language
    where only another one is given."""
    lang = _page_lang(context)
    text_lang, value = pick(_given(text), lang)
    return marked(value, text_lang, lang)


@pass_context
def _picked_text(context: Context, text: Any) -> str:
    """The plain text :func:`_picked` shows (for ``<title>``, attributes and ``<option>``)."""
    return pick(_given(text), _page_lang(context))[1]


LANGUAGE_TAGS: Mapping[str, tuple[str, str]] = {"en": ("EN", "label in English"), "pl": ("PL", "label in Polish")}
"""What :func:`_lang_tag` shows for a label in another language than the page's: the visible code and the words
a screen reader says (ESCO's Polish download labels only some skills, the others are shown in English)."""


@pass_context
def _lang_tag(context: Context, label_lang: str) -> Markup:
    """After a label in another language than the page's: a visible language code and, for a screen reader, the
    words (``<span class="lang-tag">EN <span class="visually-hidden">(label in English)</span></span>``);
    nothing when the label is in the page's language or its language is unknown."""
    lang = _page_lang(context)
    tag = LANGUAGE_TAGS.get((label_lang or "").split("-")[0])
    if tag is None or label_lang.split("-")[0] == lang:
        return Markup("")
    code, words = tag
    return Markup(
        ' <span class="lang-tag" title="%s"><span aria-hidden="true">%s</span>'
        '<span class="visually-hidden"> (%s)</span></span>'
    ) % (translate(lang, words), code, translate(lang, words))


QUOTES: Mapping[str, tuple[str, str]] = {"pl": ("„", "”"), "de": ("„", "“")}
"""Quotation marks by language (English's “…” elsewhere)."""


@pass_context
def _quoted(context: Context, words: Any) -> str:
    """Each of ``words`` in the page language's quotation marks, joined by commas: “a”, “b” („a”, „b” in Polish)."""
    opening, closing = QUOTES.get(_page_lang(context), ("“", "”"))
    return ", ".join(f"{opening}{word}{closing}" for word in words)


def _install_content(environment: Environment) -> None:
    """``title_of``, ``title_text`` and ``written_in`` (a credential's language) for templates, and the
    ``in_lang`` filter."""
    environment.globals["title_of"] = _title_of
    environment.globals["title_text"] = _title_text
    environment.globals["written_in"] = _written_in
    environment.globals["lang_tag"] = _lang_tag
    environment.filters["in_lang"] = _in_lang
    environment.filters["picked"] = _picked
    environment.filters["picked_text"] = _picked_text
    environment.filters["quoted"] = _quoted
