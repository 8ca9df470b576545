"""What a recruiter and a catalogue reader meet: the shared page's banner for each verdict, the catalogue's search
and filters (each narrows, together they combine, bad values are refused), public organisation pages (drafts never
listed), joint awarding bodies by name and country, and human dates in English and Polish."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from jinja2 import Environment
from sqlalchemy import select

from cairn.bootstrap import Container
from cairn.formats.annex import read_annex
from cairn.model.awards import Recipient
from cairn.model.catalog import build_catalog
from cairn.model.definitions import MicroCredentialDefinition
from cairn.store.database import Database
from cairn.store.tables import AwardRow, DefinitionRow
from cairn.web.app import create_app
from cairn.web.i18n import human_date, install
from cairn.web.verification.rows import credential_rows
from tests.factories import FixedClock, learner_with_credential, make_container
from tests.helpers import new_link, sign_in
from tests.trust_network import build_network


@pytest.fixture
def container(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    return make_container(sqlite_database, clock, examples)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


def banner(page: str) -> str:
    """The status banner's words, tags removed."""
    found = re.search(r'<div class="status-banner status-(\w+)">(.*?)</div>\s*</div>', page, re.S)
    assert found, page
    return found.group(1) + ": " + " ".join(re.sub(r"<[^>]+>", " ", found.group(2)).split())


def shared_page(client: TestClient, container: Container) -> tuple[str, str]:
    _, credential_id, _ = learner_with_credential(container)
    csrf = sign_in(client, "ann@example.org")
    token = new_link(client, credential_id, csrf).rsplit("/", 1)[1]
    client.cookies.clear()
    return token, client.get(f"/s/{token}").text


def test_the_shared_page_says_untrusted_then_vouched_then_revoked(client: TestClient, container: Container) -> None:
    token, page = shared_page(client, container)
    assert banner(page).startswith("warn: ! Authentic, but nobody vouches for the issuer")
    assert "Not vouched for:" in page
    assert '<div class="status-banner' in page
    assert "<details>" in page
    assert page.index('class="hero"') < page.index("status-banner") < page.index('id="annex-title"')

    build_network(container)
    vouched = client.get(f"/s/{token}").text
    assert banner(vouched).startswith("ok: ✓ Authentic and vouched for")
    assert "Vouched for:" in vouched
    assert "Checked just now." in vouched

    with container.database.transaction() as session:
        award_id = session.scalars(select(AwardRow.id)).one()
    container.status_lists.revoke(award_id, reason="issued by mistake", actor="test")
    revoked = banner(client.get(f"/s/{token}").text)
    assert revoked.startswith("bad: ✗ Not verified")
    assert "revoked" in revoked
    assert "Checked just now." not in revoked

    polish = banner(client.get(f"/s/{token}?lang=pl").text)
    assert "Not verified" not in polish
    assert polish.startswith("bad: ✗ ")


def test_a_forged_credential_is_not_verified_on_verify(client: TestClient) -> None:
    page = client.post("/verify", data={"text": '{"not": "a credential"}'}).text
    assert banner(page).startswith("bad: ✗ Not verified")
    assert 'class="outcome outcome-fail"' in page  # each check: an icon and its outcome in words


def slugs(page: str) -> set[str]:
    return set(re.findall(r'<article class="mc" id="([a-z0-9-]+)"', page))


def _texts(definition: MicroCredentialDefinition) -> str:
    """Every language's title, description and learning outcomes: what the catalogue's words search."""
    texts = [*definition.title.values(), *(definition.description or {}).values()]
    texts += [t for outcome in definition.learning_outcomes for t in outcome.text.values()]
    return " ".join(texts).casefold()


def test_each_catalogue_filter_narrows_and_they_combine(client: TestClient, container: Container) -> None:
    definitions = {e.definition.id: e.definition for e in container.catalog.entries()}
    everything = slugs(client.get("/catalogue").text)
    assert everything == set(definitions)
    assert len(everything) >= 8
    expected = {
        "mode=online": {s for s, d in definitions.items() if d.participation.mode == "online"},
        "eqf=6": {s for s, d in definitions.items() if d.level.eqf == 6},
        "field=06": {s for s, d in definitions.items() if (d.isced_f or "").startswith("06")},
        "field=0613": {s for s, d in definitions.items() if d.isced_f == "0613"},
        "language=en": {s for s, d in definitions.items() if "en" in d.languages},
        "issuer=skillbridge-europe": {s for s, d in definitions.items() if "skillbridge-europe" in d.awarding_bodies},
        "ects_min=4&ects_max=5": {s for s, d in definitions.items() if d.workload.ects and 4 <= d.workload.ects <= 5},
        "q=PYTHON": {s for s, d in definitions.items() if "python" in _texts(d)},
    }
    for params, wanted in expected.items():
        assert wanted, params
        assert wanted != everything, params  # each filter really narrows the example catalogue
        assert slugs(client.get(f"/catalogue?{params}").text) == wanted, params
    both = expected["mode=online"] & expected["language=en"]
    assert slugs(client.get("/catalogue?mode=online&language=en").text) == both
    page = client.get("/catalogue?mode=online").text
    online_en = len(expected["mode=online"] & expected["language=en"])
    assert re.search(rf'<option value="en">English \({online_en}\)</option>', page)  # counts keep the other filters
    assert "selected>Online (" in page
    assert client.get("/catalogue?q=no-such-word-anywhere").text.count('<article class="mc"') == 0


@pytest.mark.parametrize(
    "params", ["eqf=9", "eqf=abc", "ects_min=nan", "ects_max=1e9", "field=6x", "language=english", "q=" + "x" * 201]
)
def test_bad_catalogue_parameters_are_refused_with_the_form(client: TestClient, params: str) -> None:
    answer = client.get(f"/catalogue?{params}")
    assert answer.status_code == 400
    assert 'role="alert"' in answer.text
    assert 'role="search"' in answer.text


def test_an_organisation_page_lists_only_what_it_published(client: TestClient, container: Container) -> None:
    assert client.get("/orgs/no-such-organisation").status_code == 404
    page = client.get("/orgs/uniwersytet-mazowiecki").text
    assert "Uniwersytet Mazowiecki" in page or "Mazovian University" in page
    assert '<div class="org-logo">' in page
    assert "Not vouched for:" in page
    listed = set(re.findall(r'href="/micro-credentials/([a-z0-9-]+)"', page))
    assert "um-python-data-analysis" in listed
    assert not any(s.startswith("sb-") for s in listed)
    with container.database.transaction() as session:
        session.query(DefinitionRow).filter_by(slug="um-python-data-analysis").update({"state": "draft"})
    assert "um-python-data-analysis" not in client.get("/orgs/uniwersytet-mazowiecki").text
    assert "um-python-data-analysis" not in slugs(client.get("/catalogue").text)
    build_network(container)
    assert "Vouched for:" in client.get("/orgs/uniwersytet-mazowiecki").text
    assert 'href="/orgs/uniwersytet-mazowiecki"' in client.get("/micro-credentials/um-sql-databases").text


def test_joint_awarding_bodies_are_named_with_their_country(container: Container, examples: Path) -> None:
    source = (examples / "micro-credentials" / "um-sql-databases.yaml").read_text(encoding="utf-8")
    joint = source.replace("id: um-sql-databases", "id: um-sb-joint-sql").replace(
        "awarding_bodies: [uniwersytet-mazowiecki]", "awarding_bodies: [uniwersytet-mazowiecki, skillbridge-europe]"
    )
    catalog, problems = build_catalog(
        [("joint.yaml", joint.encode())], known_organisations={"uniwersytet-mazowiecki", "skillbridge-europe"}
    )
    assert not problems
    container.catalog.import_catalog(catalog, actor="test")
    award = container.issuing.award(
        "um-sb-joint-sql", Recipient(email="a@example.org"), actor="test", organisation="uniwersytet-mazowiecki"
    )
    credential = container.issuing.get(award.award_id, organisation="uniwersytet-mazowiecki").credential
    assert isinstance(credential, dict)
    rows = {r.number: r for r in credential_rows(credential, "en") if r.number}
    assert [i.text for i in rows[4].items][1] == "SkillBridge Europe GmbH"
    assert rows[4].items[1].note.startswith("did:web:")  # the identifier stays beside the name
    assert [i.text for i in rows[3].items] == ["Poland (Mazowieckie)", "Germany (Berlin)"]
    bare = json.loads(json.dumps(credential))  # an award from before: the joint body by its DID alone
    achievement = bare["credentialSubject"]["achievement"]
    achievement["alignment"] = [a for a in achievement["alignment"] if a["targetType"] != "ext:AwardingBody"]
    assert credential_rows(bare, "en")[3].items[1].text.startswith("did:web:")
    local = container.catalog.organisations_named(read_annex(bare).awarding_bodies, did_of=container.keys.did)
    named = credential_rows(bare, "en", local)
    assert named[3].items[1].text == "SkillBridge Europe GmbH"
    assert [i.text for i in named[2].items] == ["Poland (Mazowieckie)", "Germany (Berlin)"]


def test_human_dates_in_both_languages() -> None:
    moment = datetime(2026, 12, 5, 7, 28, 44, tzinfo=UTC)
    assert human_date(moment, "en") == "5 December 2026"
    assert human_date(moment, "pl") == "5 grudnia 2026"
    assert human_date("2026-12-05T07:28:44Z", "en", time=True) == "5 December 2026, 07:28 UTC"
    assert human_date(date(2026, 12, 5), "pl", time=True) == "5 grudnia 2026"
    assert human_date("not a date", "en") == "not a date"
    env = Environment(autoescape=True)
    install(env)
    tag = env.from_string("{{ when|time_tag(time=True) }}")
    assert (
        tag.render(when=moment, lang="pl") == '<time datetime="2026-12-05T07:28:44Z">5 grudnia 2026, 07:28 UTC</time>'
    )
    assert env.from_string("{{ when|time_tag }}").render(when="<b>", lang="en") == "&lt;b&gt;"
