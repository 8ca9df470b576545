"""Page text in English and Polish: every template message has a Polish translation, the catalogues agree."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from cairn.bootstrap import build
from cairn.settings import Settings
from cairn.web.app import create_app
from cairn.web.i18n import catalog, language_link, make_templates
from tests.factories import FixedClock

TEMPLATES = Path(str(resources.files("cairn.web") / "templates"))
LOCALE = Path(str(resources.files("cairn.web") / "locale"))
_JINJA = "jinja2.ext.babel_extract"


def _template_messages() -> dict[str, set[str]]:
    """Every ``_()``, ``ngettext`` and ``{% trans %}`` message of the templates -> the templates using it.

    A plural message is keyed ``"singular|plural"``, as :func:`cairn.web.i18n._ngettext` looks it up.
    """
    found: dict[str, set[str]] = defaultdict(set)
    options = {"**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true", "trimmed": "false"}}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(TEMPLATES), method_map=[("**.html", _JINJA)], options_map=options
    ):
        key = "|".join(part for part in message if part) if isinstance(message, tuple) else message
        if key:
            found[key].add(filename)
    return found


def test_templates_have_translatable_text() -> None:
    messages = _template_messages()
    assert len(messages) > 100
    assert "Your account" in messages  # base.html
    assert "Sign in" in messages


def test_every_template_message_has_a_polish_translation() -> None:
    polish = catalog("pl")
    missing = {
        message: sorted(files) for message, files in _template_messages().items() if not polish.get(message, "").strip()
    }
    listing = "\n".join(f"  {files}: {message!r}" for message, files in sorted(missing.items(), key=lambda m: m[1]))
    assert not missing, f"{len(missing)} template messages without a Polish translation:\n{listing}"


SOURCE = Path(str(resources.files("cairn")))
_PHRASE = re.compile(r'Phrase\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)')
"""A phrase's template: one string literal or several side by side (Python joins them)."""
_LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')
_PLACE = re.compile(r"%\((\w+)\)s")


def test_every_phrase_the_code_writes_has_a_polish_translation() -> None:
    """Sentences written as :class:`cairn.phrases.Phrase` (who vouches for an issuer, why nobody does) are
    said in the reader's language: each template is in the catalogue, with the same places."""
    templates: dict[str, str] = {}
    for path in SOURCE.rglob("*.py"):
        for literals in _PHRASE.findall(path.read_text(encoding="utf-8")):
            template = "".join(_LITERAL.findall(literals))
            if re.search(r"[A-Za-z]", _PLACE.sub("", template)):  # "%(scope)s (%(types)s)": nothing to translate
                templates[template] = str(path.relative_to(SOURCE))
    from cairn.services.verification.service import TRUST_REASONS

    for reason in TRUST_REASONS.values():
        templates[reason] = "services/verification/service.py"
    assert len(templates) > 20
    polish = catalog("pl")
    missing = sorted(f"{where}: {t!r}" for t, where in templates.items() if not polish.get(t, "").strip())
    assert not missing, "\n".join(missing)
    for template in templates:
        assert sorted(_PLACE.findall(polish[template])) == sorted(_PLACE.findall(template)), template


def test_polish_plural_messages_have_three_forms() -> None:
    polish = catalog("pl")
    wrong = [
        message
        for message in _template_messages()
        if "|" in message and message in polish and len(polish[message].split("|")) != 3
    ]
    assert not wrong, f"Polish plurals need 'one|few|many' forms: {wrong}"


def _po_files() -> list[Path]:
    return sorted(LOCALE.glob("*/*.po"))


def test_every_catalogue_parses_and_no_message_is_translated_two_ways() -> None:
    files = _po_files()
    assert any(p.name == "common.po" for p in files)
    seen: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in files:
        with path.open("rb") as handle:
            parsed = read_po(handle, locale=path.parent.name)
        for message in parsed:
            if message.id and isinstance(message.id, str) and message.string:
                seen[(path.parent.name, message.id)][str(message.string)].append(path.name)
    clashes = {key: dict(strings) for key, strings in seen.items() if len(strings) > 1}
    listing = "\n".join(f"  {lang} {msgid!r}: {strings}" for (lang, msgid), strings in sorted(clashes.items()))
    assert not clashes, f"messages translated differently in different .po files:\n{listing}"


def test_placeholders_survive_translation() -> None:
    polish = catalog("pl")
    placeholder = re.compile(r"%\((\w+)\)s")
    wrong = []
    for message in _template_messages():
        if message not in polish:
            continue
        for form in polish[message].split("|"):
            if not set(placeholder.findall(form)) <= set(placeholder.findall(message)):
                wrong.append((message, form))
    assert not wrong, f"translations use placeholders the message does not give: {wrong}"


@pytest.fixture
def client(migrated_sqlite_url: str, examples: Path) -> Iterator[TestClient]:
    container = build(Settings(database_url=migrated_sqlite_url), clock=FixedClock())
    container.catalog.import_paths([examples])
    with TestClient(create_app(container)) as client:
        yield client


def test_the_catalogue_speaks_polish_by_header_and_by_parameter(client: TestClient) -> None:
    for page in (
        client.get("/", headers={"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.8"}),
        client.get("/?lang=pl"),
    ):
        html = page.text
        assert page.status_code == 200
        assert '<html lang="pl">' in html
        assert "Przejdź do treści" in html  # base.html
        assert "Katalog mikropoświadczeń" in html
        assert "Elementy załącznika I" in html
        assert "Efekty uczenia się" in html  # an Annex I element name
        assert "Micro-credential catalogue" not in html
        assert "11 mikropoświadczeń, każde opisane" in html  # the plural form for 11


def test_the_catalogue_stays_english_by_default(client: TestClient) -> None:
    html = client.get("/", headers={"Accept-Language": "en"}).text
    assert '<html lang="en">' in html
    assert "Micro-credential catalogue" in html
    assert "11 micro-credentials, each described" in html
    assert "Learning outcomes" in html


def test_a_micro_credential_page_speaks_polish(client: TestClient) -> None:
    html = client.get("/micro-credentials/um-python-data-analysis?lang=pl").text
    assert '<html lang="pl">' in html
    assert "Elementy załącznika I tego mikropoświadczenia" in html
    assert "Co podaje to mikropoświadczenie" in html


def test_macros_that_translate_are_imported_with_the_page_context() -> None:
    """Jinja imports macros without the page's variables unless told: their text would stay English."""

    folder = Path(__file__).resolve().parents[2] / "src" / "cairn" / "web" / "templates"
    translating = {p.relative_to(folder).as_posix() for p in folder.rglob("*.html") if "_(" in p.read_text()}
    missing = []
    for page in folder.rglob("*.html"):
        for match in re.finditer(r"{%-?\s*(?:from|import)\s+\"([^\"]+)\"[^%]*%}", page.read_text()):
            if match.group(1) in translating and "with context" not in match.group(0):
                missing.append(f"{page.relative_to(folder)}: {match.group(0)}")
    assert missing == []


def test_check_reasons_are_translated_when_the_catalogue_has_them_and_never_formatted() -> None:
    templates = make_templates(version="t", languages={"en": "English", "pl": "Polski"})
    template = templates.env.from_string("{{ reason | said }}")
    listed = "the issuer is not on this instance's trust list"
    assert template.render(lang="pl", reason=listed) == "wystawcy nie ma na liście zaufanych wystawców tej instancji"
    assert template.render(lang="en", reason=listed) == listed.replace("'", "&#39;")  # escaped like any text
    quoted = "the issuer calls itself <b>100% %(real)s</b>"
    assert template.render(lang="pl", reason=quoted) == "the issuer calls itself &lt;b&gt;100% %(real)s&lt;/b&gt;"


def test_a_phrase_is_said_from_its_parts_live_or_stored_and_plain_text_whole() -> None:
    from cairn.phrases import Phrase
    from cairn.web.i18n import said

    phrase = Phrase(
        "%(reason)s: %(detail)s",
        reason=Phrase("nobody this instance trusts vouches for the issuer"),
        detail=Phrase("the accreditation ended on %(day)s, before the credential was awarded", day="2027-01-31"),
    )
    polish = "nikt, komu ta instancja ufa, nie poręcza za wystawcę: akredytacja wygasła 2027-01-31, przed przyznaniem"
    assert said("pl", phrase).startswith(polish)
    assert said("pl", phrase.to_json()) == said("pl", phrase)  # as a stored report keeps it
    assert said("en", phrase) == str(phrase)
    assert said("pl", "Verify a credential") == "Sprawdź poświadczenie"
    assert said("pl", "%(x)s is quoted, never formatted") == "%(x)s is quoted, never formatted"
    broken = {"msgid": "the accreditation ended on %(day)s, before the credential was awarded", "args": {}}
    assert said("pl", broken) == "akredytacja wygasła %(day)s, przed przyznaniem poświadczenia"  # no values: as is


def test_the_language_switcher_keeps_the_query(client: TestClient) -> None:
    page = client.get("/catalogue", params={"q": "python & data", "lang": "en"}).text
    assert 'href="/catalogue?q=python+%26+data&amp;lang=pl"' in page
    assert 'href="/catalogue?q=python+%26+data&amp;lang=en"' in page
    plain = client.get("/verify").text
    assert 'href="/verify?lang=pl"' in plain
    huge = client.get("/catalogue", params={"q": "x" * 3000}).text
    assert 'href="/catalogue?lang=pl"' in huge  # too long to carry: dropped, not cut
    refused = client.get("/micro-credentials/no-such-thing", params={"next": "https://evil.example/"})
    assert refused.status_code == 404
    assert "evil.example" not in refused.text  # an error page never repeats the query it refused


def test_language_links_keep_a_query_only_when_asked_and_on_the_page_itself() -> None:
    from starlette.requests import Request

    request = Request({"type": "http", "method": "GET", "path": "/catalogue", "query_string": b"q=a%26b&lang=en",
                       "headers": []})  # fmt: skip
    assert language_link(request, "pl", keep_query=True) == "/catalogue?q=a%26b&lang=pl"
    assert language_link(request, "pl") == "/catalogue?lang=pl"  # an error page: nothing repeated
    assert language_link(request, "pl", "/elsewhere", keep_query=True) == "/elsewhere?lang=pl"
    assert (
        language_link(request, "pl", "/openid4vci/authorize?a=1", keep_query=True)
        == "/openid4vci/authorize?a=1&lang=pl"
    )
