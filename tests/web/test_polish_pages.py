"""Polish pages say everything in Polish: what a credential certifies (units, levels, countries, ESCO skills), each
check's reason, and the credential's own texts in the reader's language where the issuer wrote them."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cairn.bootstrap import build
from cairn.model.awards import Recipient
from cairn.services.demo.setup import forge
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.store.tables import OutboxRow
from cairn.web.app import create_app
from tests.factories import EXAMPLES, PASSWORD, FixedClock, copy_sqlite, make_container, migrate_sqlite_template
from tests.helpers import csrf_of, english_words_on_polish_page, sign_in, visible_text

UM = "uniwersytet-mazowiecki"
DEFINITION = "um-python-data-analysis"


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


# -- the pages people meet, in Polish ------------------------------------------------------------------------------

ISSUER = "wystawca@example.org"


@dataclass
class Site:
    client: TestClient
    container: Any
    award_id: str
    held: str
    token: str
    revoked: str
    forged: str
    tampered: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One instance for the module: a learner holding a claimed award, shared by link and on a public profile;
    an issuer of the university; a revoked, a forged and a tampered credential to verify."""
    folder = tmp_path_factory.mktemp("polish")
    database = Database(copy_sqlite(migrate_sqlite_template(folder / "template.db"), folder / "cairn.db"))
    c = make_container(database, FixedClock(), EXAMPLES)
    c.accounts.add_member(organisation=UM, email=ISSUER, role="owner")
    c.accounts.set_password(email=ISSUER, password=PASSWORD)
    account = c.accounts.create_account(email="ola@example.org", password=PASSWORD, display_name="Ola Nowak")
    award = c.issuing.award(
        DEFINITION, Recipient(email="ola@example.org", name="Ola Nowak"), actor="t", organisation=UM
    )
    assert award.claim_token
    held = c.wallet.add_from_claim(account.id, "ola@example.org", award.claim_token)
    link = c.sharing.create_link(account_id=account.id, credential_id=held.id)
    c.sharing.update_profile(account_id=account.id, public=True, slug="ola-nowak", name="Ola Nowak")
    c.sharing.set_public(account_id=account.id, credential_id=held.id, public=True)
    revoked = c.issuing.award(DEFINITION, Recipient(email="jan@example.org"), actor="t", organisation=UM)
    c.issuing.status_lists.revoke(revoked.award_id, reason="błąd", actor="t", organisation=UM)
    good = award.credential
    assert isinstance(good, dict)
    tampered = copy.deepcopy(good)
    tampered["credentialSubject"]["achievement"]["name"] = "Zmieniony tytuł"
    with TestClient(create_app(c), follow_redirects=False) as client:
        yield Site(
            client,
            c,
            award.award_id,
            held.id,
            link.token,
            json.dumps(revoked.credential),
            json.dumps(forge(good, now=c.clock())),
            json.dumps(tampered),
        )
    database.dispose()


def polish(client: TestClient, path: str) -> str:
    page = client.get(path, params={"lang": "pl"})
    assert page.status_code == 200, page.text
    return page.text


@pytest.mark.parametrize("path", ["/sign-in", "/sign-up", "/verify", "/sign-in/link"])
def test_public_pages_say_nothing_in_english(site: Site, path: str) -> None:
    site.client.cookies.clear()
    assert english_words_on_polish_page(polish(site.client, path)) == []


def test_a_shared_credential_and_a_public_profile_read_in_polish(site: Site) -> None:
    site.client.cookies.clear()
    shared = polish(site.client, f"/s/{site.token}")
    assert english_words_on_polish_page(shared) == []
    # the issuer's Polish title, and the name the credential gives its issuer marked with the credential's language
    assert '<h1 id="credential-title">Analiza danych w języku Python</h1>' in shared
    assert '<span lang="en">Mazovian University in Warsaw</span>' in shared
    assert english_words_on_polish_page(polish(site.client, "/p/ola-nowak")) == []


def test_a_shared_credential_tells_social_networks_its_polish_title(site: Site) -> None:
    site.client.cookies.clear()
    shared = polish(site.client, f"/s/{site.token}")
    assert '<meta property="og:title" content="Analiza danych w języku Python">' in shared
    assert '<meta property="og:locale" content="pl_PL">' in shared
    english = site.client.get(f"/s/{site.token}", params={"lang": "en"}).text
    assert '<meta property="og:title" content="Data analysis with Python">' in english
    assert '<meta property="og:locale" content="en_GB">' in english


def test_the_learner_pages_read_in_polish(site: Site) -> None:
    sign_in(site.client, "ola@example.org")
    for path in ("/wallet", f"/wallet/{site.held}", f"/wallet/{site.held}/share", "/account", "/wallet/profile"):
        assert english_words_on_polish_page(polish(site.client, path)) == [], path


def test_the_issuer_award_page_reads_in_polish(site: Site) -> None:
    sign_in(site.client, ISSUER)
    page = polish(site.client, f"/orgs/{UM}/awards/{site.award_id}")
    main = page[page.index("<main") :]
    assert english_words_on_polish_page(main) == []


@pytest.mark.parametrize(
    ("which", "says"),
    [
        ("revoked", "wystawca unieważnił to poświadczenie"),
        ("forged", "wystawca nie przewidział możliwości unieważnienia ani zawieszenia tego poświadczenia"),
        ("tampered", "dokument lub dowód zmieniono po podpisaniu albo podpisał go inny klucz"),
    ],
)
def test_a_credential_that_fails_says_why_in_polish(site: Site, which: str, says: str) -> None:
    site.client.cookies.clear()
    page = site.client.post("/verify?lang=pl", data={"text": getattr(site, which)})
    assert page.status_code == 200, page.text
    assert says in visible_text(page.text)
    assert english_words_on_polish_page(page.text) == []


def test_the_definition_editor_reads_in_polish_and_stays_english_in_english(site: Site) -> None:
    sign_in(site.client, ISSUER)
    for path in (f"/orgs/{UM}/catalogue/new", f"/orgs/{UM}/catalogue/{DEFINITION}/edit"):
        page = polish(site.client, path)
        main = page[page.index("<main") :]
        assert english_words_on_polish_page(main) == [], path
    edit = polish(site.client, f"/orgs/{UM}/catalogue/{DEFINITION}/edit")
    assert "<legend>Efekt uczenia się 1</legend>" in edit
    assert "6. Efekty uczenia się" in edit
    english = site.client.get(f"/orgs/{UM}/catalogue/{DEFINITION}/edit", params={"lang": "en"}).text
    assert "<legend>Learning outcome 1</legend>" in english
    assert "6. Learning outcomes" in english


def picker_messages(page: str) -> dict[str, str]:
    """The messages the editor hands picker.js (a JSON data block)."""
    found = re.search(r'<script type="application/json" id="picker-messages">(.*?)</script>', page, re.S)
    assert found, "the editor hands the skill picker its messages"
    messages: dict[str, str] = json.loads(found.group(1))
    return messages


def test_the_skill_picker_speaks_the_page_language(site: Site) -> None:
    sign_in(site.client, ISSUER)
    path = f"/orgs/{UM}/catalogue/{DEFINITION}/edit"
    polish_messages = picker_messages(polish(site.client, path))
    english_messages = picker_messages(site.client.get(path, params={"lang": "en"}).text)
    assert polish_messages.keys() == english_messages.keys()
    assert (english_messages["add_button"], polish_messages["add_button"]) == ("Add", "Dodaj")
    script = (Path(__file__).parents[2] / "src/cairn/web/static/picker.js").read_text(encoding="utf-8")
    for key in english_messages:  # every message the script knows is handed over, and every one it is handed is known
        assert f"\n    {key}: " in script, key
    unchanged = [k for k in polish_messages if polish_messages[k] == english_messages[k]]
    assert unchanged == [], unchanged


def newest_email(container: Any, to: str) -> tuple[str, str]:
    with container.database.transaction() as session:
        row = session.scalars(select(OutboxRow).where(OutboxRow.to_address == to).order_by(OutboxRow.id.desc())).first()
        assert row is not None, to
        return row.subject, row.body_text


def test_account_emails_are_in_the_language_of_the_page_asked_from(site: Site) -> None:
    client = site.client
    client.cookies.clear()
    for lang, subject, words in (
        ("pl", "Twój link do logowania w Cairn", "kliknij ten link, aby zalogować się"),
        ("en", "Your Cairn sign-in link", "follow this link to sign in"),
    ):
        token = csrf_of(client.get("/sign-in", params={"lang": lang}).text)
        answer = client.post(f"/sign-in/link?lang={lang}", data={"email": ISSUER, "csrf_token": token})
        assert answer.status_code == 200
        got_subject, body = newest_email(site.container, ISSUER)
        assert (got_subject, words in body, "/sign-in/link?token=" in body) == (subject, True, True)
    newcomer = "nowa@example.org"
    token = csrf_of(client.get("/sign-up", params={"lang": "pl"}).text)
    form = {"email": newcomer, "password": "a long enough passphrase", "csrf_token": token}
    assert client.post("/sign-up?lang=pl", data=form).status_code in (200, 303)
    subject, body = newest_email(site.container, newcomer)
    assert subject == "Dokończ zakładanie konta w Cairn"
    assert english_words_on_polish_page(f"<p>{body}</p>") == []
