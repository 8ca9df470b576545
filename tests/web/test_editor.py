"""Catalogue pages: list, create and edit with every Annex I element, the skill picker, preview, skill search."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import cairn.web.catalog.editor as editor
from cairn.bootstrap import Container
from cairn.model.catalog import build_catalog
from cairn.model.definitions import ANNEX_I, MicroCredentialDefinition
from cairn.store.catalog.repository import DefinitionRepository
from cairn.store.database import Database
from cairn.store.tables import AuditEntry, AwardRow
from cairn.web.app import create_app
from cairn.web.catalog.editor_form import form_from_definition, read_form, validate
from tests.factories import (
    EDITOR_BASE,
    EDITOR_HASHER,
    EDITOR_PASSWORD,
    EDITOR_PYTHON,
    EDITOR_SB,
    EDITOR_UM,
    EXAMPLES,
    FixedClock,
    editor_container,
    editor_sign_in,
    stored_definition,
    stored_release,
    valid_definition_form,
)

PASSWORD = EDITOR_PASSWORD
FAST = EDITOR_HASHER
UM, SB, PYTHON, BASE = EDITOR_UM, EDITOR_SB, EDITOR_PYTHON, EDITOR_BASE
sign_in, valid_form, stored = editor_sign_in, valid_definition_form, stored_definition


@pytest.fixture
def container(database: Database, clock: FixedClock) -> Container:
    return editor_container(database, clock)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    app = create_app(container)
    with TestClient(app, follow_redirects=False) as client:
        yield client


def versions(database: Database, slug: str = "um-data-cleaning") -> list[int]:
    with database.transaction() as session:
        return DefinitionRepository(session).versions(slug)


def error_text(page: str, key: str) -> str:
    found = re.search(rf'<span class="field-error" id="{re.escape(key)}-error">([^<]*)</span>', page)
    assert found, f"no error at {key}"
    return html.unescape(found.group(1))


# -- who may see what --------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    for path in (BASE, f"{BASE}/new", f"{BASE}/x/edit", f"{BASE}/x/preview"):
        answer = client.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/sign-in?next=%2Forgs%2F")


def test_a_viewer_lists_and_previews_but_cannot_edit(client: TestClient, container: Container) -> None:
    definition = MicroCredentialDefinition.model_validate(
        {
            "id": "um-x",
            "title": {"en": "X"},
            "awarding_bodies": [UM],
            "learning_outcomes": [{"text": {"en": "Does x."}}],
            "workload": {"hours": 10},
            "level": {"not_applicable": True},
            "assessment": {"types": ["project"]},
            "participation": {"mode": "onsite"},
            "quality_assurance": {"types": ["internal"]},
        }
    )
    container.editing.save(organisation=UM, definition=definition, actor="test", create=True)
    csrf = sign_in(client, "viewer@example.org")
    page = client.get(BASE)
    assert page.status_code == 200
    assert "um-x" in page.text
    assert f'href="{BASE}/um-x/preview"' in page.text
    assert f'href="{BASE}/um-x/edit"' not in page.text
    assert f'href="{BASE}/new"' not in page.text
    assert client.get(f"{BASE}/um-x/preview").status_code == 200
    assert client.get(f"{BASE}/new").status_code == 403
    assert client.get(f"{BASE}/um-x/edit").status_code == 403
    assert client.post(f"{BASE}/new", data=valid_form(csrf)).status_code == 403
    assert client.post(f"{BASE}/um-x/edit", data=valid_form(csrf)).status_code == 403


def test_another_organisation_gets_404(client: TestClient) -> None:
    csrf = sign_in(client, "stranger@example.org")
    for path in (BASE, f"{BASE}/new", f"{BASE}/um-x/edit", f"{BASE}/um-x/preview"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"{BASE}/new", data=valid_form(csrf)).status_code == 404
    assert client.get(f"/orgs/{SB}/catalogue/um-data-cleaning/edit").status_code == 404


def test_an_issuer_edits_only_definitions_of_its_own_organisation(client: TestClient) -> None:
    csrf = sign_in(client)
    assert client.post(f"{BASE}/new", data=valid_form(csrf)).status_code == 303
    client.cookies.clear()
    sign_in(client, "stranger@example.org")
    assert client.get(f"/orgs/{SB}/catalogue/um-data-cleaning/edit").status_code == 404
    assert client.get(f"/orgs/{SB}/catalogue/um-data-cleaning/preview").status_code == 404


def test_a_co_awarding_body_sees_and_previews_but_does_not_edit(client: TestClient) -> None:
    csrf = sign_in(client)
    assert client.post(f"{BASE}/new", data=valid_form(csrf, awarding_bodies=[SB])).status_code == 303
    client.cookies.clear()
    sign_in(client, "stranger@example.org")
    page = client.get(f"/orgs/{SB}/catalogue").text
    assert "um-data-cleaning" in page
    assert "Edited by its first awarding body" in page
    assert f'href="/orgs/{SB}/catalogue/um-data-cleaning/edit"' not in page
    assert client.get(f"/orgs/{SB}/catalogue/um-data-cleaning/preview").status_code == 200
    refused = client.get(f"/orgs/{SB}/catalogue/um-data-cleaning/edit")
    assert refused.status_code == 403
    assert "only its first awarding body (uniwersytet-mazowiecki) may edit" in refused.text


def test_the_script_and_style_are_served_from_the_package(client: TestClient) -> None:
    script = client.get("/static/picker.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "/api/v1/esco/skills" in script.text
    style = client.get("/static/editor.css")
    assert style.status_code == 200
    assert style.headers["content-type"].startswith("text/css")


# -- the form ---------------------------------------------------------------------------------------


def test_the_form_has_every_annex_element_with_help_and_labels(client: TestClient) -> None:
    sign_in(client)
    page = client.get(f"{BASE}/new")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    text = page.text
    for element in ANNEX_I:
        assert html.escape(element.name) in text, element.name
    assert text.count('<p class="help">') >= len(ANNEX_I)
    for control in re.findall(r'<(?:input|textarea|select) id="([^"]+)"', text):
        assert f'<label for="{control}">' in text, control
    for tag in ("en", "pl"):
        assert f'id="title-{tag}" name="title.{tag}" type="text" lang="{tag}"' in text
    assert 'name="learning_outcomes.2.text.en"' in text
    assert 'name="learning_outcomes.3.text.en"' not in text
    assert 'value="add-outcome"' in text
    assert 'name="skill_query.0" type="search"' in text
    assert 'value="search:0"' in text
    assert 'type="radio" id="participation-mode-0" name="participation.mode" value="online"' in text
    assert 'type="checkbox" id="assessment-types-0" name="assessment.types" value="written-exam"' in text
    assert 'href="/static/editor.css"' in text
    assert '<script src="/static/picker.js" defer></script>' in text
    assert "<script>" not in text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


def test_creating_stores_version_1(client: TestClient, database: Database) -> None:
    csrf = sign_in(client)
    answer = client.post(f"{BASE}/new", data=valid_form(csrf, awarding_bodies=[SB]))
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"{BASE}/um-data-cleaning/edit?saved=1&done=create"
    assert versions(database) == [1]
    definition = stored(database)
    assert definition.title == {"en": "Data cleaning", "pl": "Czyszczenie danych"}
    assert definition.awarding_bodies == (UM, SB)
    assert definition.workload.ects == 2.5
    assert definition.learning_outcomes[0].esco_skills == (PYTHON,)
    assert definition.assessment.types == ("project", "online-test")
    page = client.get(answer.headers["location"])
    assert '<p class="notice" id="notice" role="status" tabindex="-1" autofocus>Saved as version 1.</p>' in page.text
    assert "Python (computer programming)" in page.text
    assert f"It cannot be awarded until these co-awarding bodies accept: {SB}." in page.text
    with database.transaction() as session:
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.subject == "um-data-cleaning")))
    assert actions == ["definition.create", "coaward.request"]  # naming a co-awarding body asks it


def test_editing_an_unawarded_version_keeps_version_1(client: TestClient, database: Database) -> None:
    csrf = sign_in(client)
    client.post(f"{BASE}/new", data=valid_form(csrf))
    form = valid_form(csrf, **{"title.en": "Cleaning data", "id": "ignored-on-edit"})
    answer = client.post(f"{BASE}/um-data-cleaning/edit", data=form)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].endswith("?saved=1&done=replace")
    assert versions(database) == [1]
    assert stored(database).title["en"] == "Cleaning data"
    assert versions(database, "ignored-on-edit") == []


def test_editing_after_an_award_makes_version_2(client: TestClient, database: Database, clock: FixedClock) -> None:
    csrf = sign_in(client)
    client.post(f"{BASE}/new", data=valid_form(csrf))
    award_id = str(uuid.uuid4())
    with database.transaction() as session:
        first = DefinitionRepository(session).get("um-data-cleaning")
        session.add(AwardRow(id=award_id, definition_version_id=first.version_id, recipient_key="r", issued_at=clock()))
    page = client.get(f"{BASE}/um-data-cleaning/edit").text
    assert "Version 1 has been awarded" in page
    assert "creates version 2" in page
    answer = client.post(f"{BASE}/um-data-cleaning/edit", data=valid_form(csrf, **{"level.eqf": "5"}))
    assert answer.status_code == 303
    assert answer.headers["location"].endswith("?saved=2&done=new-version")
    notice = client.get(answer.headers["location"]).text
    assert "A new version 2 was created because version 1 has been awarded" in notice
    assert versions(database) == [1, 2]
    assert stored(database, version=1).level.eqf == 6
    assert stored(database).level.eqf == 5
    with database.transaction() as session:
        row = session.get(AwardRow, award_id)
        assert row is not None
        assert row.definition_version_id == first.version_id


def test_missing_elements_are_named_next_to_their_fields(client: TestClient, database: Database) -> None:
    csrf = sign_in(client)
    answer = client.post(
        f"{BASE}/new", data={"csrf_token": csrf, "action": "save", "outcome_rows": "3", "id": "um-empty"}
    )
    assert answer.status_code == 400
    page = answer.text
    assert "<title>Error: " in page
    expected = {
        "title": "Title of the micro-credential",
        "learning_outcomes": "Learning outcomes",
        "workload": "Notional workload needed to achieve the learning outcomes",
        "level": "Level (and cycle, if applicable) of the learning experience leading to the micro-credential",
        "assessment-types": "Type of assessment",
        "participation-mode": "Form of participation in the learning activity",
        "quality_assurance-types": "Type of quality assurance used to underpin the micro-credential",
    }
    for key, element in expected.items():
        assert error_text(page, key).startswith(f"Error: {element}: "), key
    assert error_text(page, "title") == "Error: Title of the micro-credential: enter the title in at least one language"
    assert 'aria-invalid="true" aria-describedby="title-error"' in page
    assert 'role="alert" aria-labelledby="error-summary-title" tabindex="-1" autofocus' in page
    summary = page.split('id="error-summary-title"')[1].split("</div>")[0]
    links = re.findall(r'<a href="#([^"]+)">', summary)
    assert links == [
        "title-en",
        "learning_outcomes-0-text-en",
        "workload-ects",
        "level-eqf",
        "assessment-types-0",
        "participation-mode-0",
        "quality_assurance-types-0",
    ]
    for target in links:
        assert f'id="{target}"' in page
    assert 'name="id" type="text" value="um-empty"' in page
    assert versions(database, "um-empty") == []


def test_bad_values_get_their_own_messages(client: TestClient) -> None:
    csrf = sign_in(client)
    form = valid_form(
        csrf,
        **{
            "learning_outcomes.0.text.en": "",
            "learning_outcomes.0.esco_skills": [],
            "learning_outcomes.1.text.en": "Validates data.",
            "learning_outcomes.2.esco_skills": [PYTHON],
            "workload.ects": "lots",
            "workload.hours": "12.5",
            "url": "not a web address",
            "isced_f": "61",
            "languages": "en, !!",
            "level.not_applicable": "yes",
            "integration.stackability": "stackable",
        },
    )
    page = client.post(f"{BASE}/new", data=form).text
    assert "write the outcome in at least one language" in error_text(page, "learning_outcomes-2-text")
    assert error_text(page, "workload-ects").endswith("enter a number, for example 5 or 2.5")
    assert error_text(page, "workload-hours").endswith("enter a whole number, for example 125")
    assert 'id="workload-error"' not in page
    assert "is not a web address" in error_text(page, "url")
    assert "four-digit ISCED-F" in error_text(page, "isced_f")
    assert "'!!' is not a valid BCP 47 language tag" in error_text(page, "languages")
    assert "either tick “No level applies” or give a level, not both" in error_text(page, "level")
    assert error_text(page, "integration").startswith("Error: Integration/stackability options: name the credential")
    assert 'value="Validates data."' not in page
    assert ">Validates data.</textarea>" in page


def test_a_taken_identifier_is_an_error_at_the_identifier(client: TestClient) -> None:
    csrf = sign_in(client)
    client.post(f"{BASE}/new", data=valid_form(csrf))
    answer = client.post(f"{BASE}/new", data=valid_form(csrf))
    assert answer.status_code == 409
    assert "already exists" in error_text(answer.text, "id")


def test_saving_needs_the_csrf_token(client: TestClient, database: Database) -> None:
    csrf = sign_in(client)
    form = valid_form(csrf)
    del form["csrf_token"]
    assert client.post(f"{BASE}/new", data=form).status_code == 403
    assert client.post(f"{BASE}/new", data=valid_form("forged")).status_code == 403
    assert versions(database) == []


def test_a_form_too_large_is_refused(client: TestClient) -> None:
    csrf = sign_in(client)
    answer = client.post(f"{BASE}/new", data=valid_form(csrf, **{"description.en": "x" * (editor.MAX_FORM_BYTES + 1)}))
    assert answer.status_code == 413


# -- without JavaScript ------------------------------------------------------------------------------


def test_without_javascript_a_button_adds_an_outcome_row(client: TestClient) -> None:
    csrf = sign_in(client)
    form = valid_form(csrf, action="add-outcome", **{"learning_outcomes.2.text.pl": "Trzeci"})
    answer = client.post(f"{BASE}/new", data=form)
    assert answer.status_code == 200
    page = answer.text
    assert '<input type="hidden" name="outcome_rows" value="4">' in page
    assert 'id="learning_outcomes-3-text-en" name="learning_outcomes.3.text.en"' in page
    assert re.search(r'id="learning_outcomes-3-text-en"[^>]*autofocus', page)
    assert ">Trzeci</textarea>" in page
    assert "Outcome 4 added" in page
    assert 'class="error-summary"' not in page


def test_without_javascript_a_skill_is_found_and_added(client: TestClient, database: Database) -> None:
    csrf = sign_in(client)
    form = valid_form(csrf, action="search:1", **{"skill_query.1": "python programming"})
    page = client.post(f"{BASE}/new", data=form).text
    assert re.search(r'id="skill-results-1" tabindex="-1" aria-labelledby="skill-results-1-title" autofocus', page)
    assert f'name="skill_pick.1" value="{PYTHON}"' in page
    assert 'value="add-skills:1"' in page
    form = valid_form(csrf, action="add-skills:1", **{"skill_query.1": "python programming", "skill_pick.1": [PYTHON]})
    form["learning_outcomes.1.text.en"] = "Writes Python scripts."
    page = client.post(f"{BASE}/new", data=form).text
    assert f'name="learning_outcomes.1.esco_skills" value="{PYTHON}" checked' in page
    assert "Added 1 skill to outcome 2." in page
    assert 'name="skill_query.1" type="search" autocomplete="off" value=""' in page
    saved = client.post(
        f"{BASE}/new",
        data=valid_form(
            csrf,
            **{"learning_outcomes.1.text.en": "Writes Python scripts.", "learning_outcomes.1.esco_skills": [PYTHON]},
        ),
    )
    assert saved.status_code == 303
    assert stored(database).learning_outcomes[1].esco_skills == (PYTHON,)


def test_the_form_labels_its_skills_as_every_page_does(
    client: TestClient, container: Container, tmp_path: Path
) -> None:
    """The stored ESCO release's label in the reader's language (the shipped extract's before an import; it was
    the shipped English label in every language)."""
    csrf = sign_in(client)
    form = valid_form(csrf, action="add-skills:1", **{"skill_query.1": "python", "skill_pick.1": [PYTHON]})

    def label(page: str, uri: str) -> str:
        found = re.search(rf'<label for="skill-1-\d+">(.*?)</label>\s*<span class="uri">{re.escape(uri)}</span>', page)
        assert found, uri
        return found.group(1)

    page = client.post(f"{BASE}/new", params={"lang": "pl"}, data=form).text
    assert label(page, PYTHON) == "<span>Python (programowanie komputerowe)</span>"  # the shipped Polish label
    stored_release(container, tmp_path, {PYTHON: ("Python", "programowanie w języku Python")})
    page = client.post(f"{BASE}/new", params={"lang": "pl"}, data=form).text
    assert label(page, PYTHON) == "<span>programowanie w języku Python</span>"


def test_without_javascript_skills_are_suggested_from_the_outcome_text(client: TestClient) -> None:
    csrf = sign_in(client)
    form = valid_form(csrf, action="suggest:1")
    form["learning_outcomes.1.text.en"] = "Writes computer programs in the Python programming language."
    page = client.post(f"{BASE}/new", data=form).text
    assert "ESCO skills suggested for outcome 2, best first" in page
    assert f'name="skill_pick.1" value="{PYTHON}"' in page
    assert re.search(r'id="skill-results-1" tabindex="-1" aria-labelledby="skill-results-1-title" autofocus', page)
    empty = client.post(f"{BASE}/new", data=valid_form(csrf, action="suggest:1")).text
    assert "Write the outcome first" in empty


def test_saving_with_a_search_left_open_searches_instead(client: TestClient, database: Database) -> None:
    csrf = sign_in(client)
    page = client.post(f"{BASE}/new", data=valid_form(csrf, **{"skill_query.0": "sql"})).text
    assert "Not saved yet: a skill search is open under outcome 1" in page
    assert 'id="skill-results-0"' in page
    assert versions(database) == []


def test_more_text_languages(client: TestClient, database: Database) -> None:
    csrf = sign_in(client)
    page = client.post(f"{BASE}/new", data=valid_form(csrf, action="languages", text_languages="de, xx-!!")).text
    assert 'id="title-de" name="title.de" type="text" lang="de"' in page
    assert "German (de)" in page
    assert "is not a language tag" in error_text(page, "text_languages")
    answer = client.post(f"{BASE}/new", data=valid_form(csrf, text_languages="de", **{"title.de": "Datenbereinigung"}))
    assert answer.status_code == 303
    assert stored(database).title == {"en": "Data cleaning", "pl": "Czyszczenie danych", "de": "Datenbereinigung"}
    edit = client.get(f"{BASE}/um-data-cleaning/edit").text
    assert 'value="Datenbereinigung"' in edit


# -- preview ----------------------------------------------------------------------------------------


def test_the_preview_shows_learner_verifier_and_json(client: TestClient) -> None:
    csrf = sign_in(client)
    client.post(f"{BASE}/new", data=valid_form(csrf))
    client.cookies.clear()
    sign_in(client, "viewer@example.org")
    answer = client.get(f"{BASE}/um-data-cleaning/preview")
    assert answer.status_code == 200
    page = html.unescape(answer.text)
    assert "This is a preview, not a credential" in page
    for element in ANNEX_I:
        assert element.name in page, element.name
    assert ">Python (computer programming)</a>" in page
    assert "<strong>Authentic, but nobody vouches for the issuer</strong> (preview)" in page
    for title in ("Signature", "Key belongs to the issuer", "Open Badges 3.0 schema"):
        assert f'<th scope="row">{title}</th>' in page
    assert '"OpenBadgeCredential"' in page
    assert '"cryptosuite": "eddsa-rdfc-2022"' in page
    assert "did:key:z6Mk" in page
    polish = html.unescape(client.get(f"{BASE}/um-data-cleaning/preview?lang=pl").text)
    assert '<html lang="pl">' in polish
    assert "Czyszczenie danych" in polish
    assert client.get(f"{BASE}/um-data-cleaning/preview?version=7").status_code == 404


# -- the skill search API ---------------------------------------------------------------------------


def test_the_skill_search_answers_json(client: TestClient) -> None:
    body = client.get("/api/v1/esco/skills", params={"q": "python progr"}).json()
    assert body["ok"] is True
    assert body["items"][0] == {
        "uri": PYTHON,
        "label": "Python (computer programming)",
        "matched": "Python (computer programming)",
        "type": "knowledge",
    }
    many = client.get("/api/v1/esco/skills", params={"q": "manage", "limit": 500}).json()
    assert len(many["items"]) == editor.MAX_RESULTS
    assert len(client.get("/api/v1/esco/skills", params={"q": "manage", "limit": 3}).json()["items"]) == 3
    knowledge = client.get("/api/v1/esco/skills", params={"q": "python", "type": "knowledge"}).json()["items"]
    assert knowledge
    assert {i["type"] for i in knowledge} == {"knowledge"}
    empty = client.get("/api/v1/esco/skills", params={"q": "  "}).json()
    assert empty["items"] == []
    assert empty["reason"]
    long = client.get("/api/v1/esco/skills", params={"q": "x" * (editor.MAX_QUERY + 1)}).json()
    assert long["items"] == []
    assert "longer than" in long["reason"]
    bad = client.get("/api/v1/esco/skills", params={"q": "python", "type": "hobby"})
    assert bad.status_code == 422
    assert bad.json()["ok"] is False
    assert "/api/v1/esco/skills" in client.get("/openapi.json").json()["paths"]


# -- the form's round trip --------------------------------------------------------------------------


def test_every_example_definition_survives_the_form() -> None:
    files = [(str(p), p.read_bytes()) for p in sorted(EXAMPLES.rglob("*.yaml"))]
    catalog, problems = build_catalog(files)
    assert problems == []
    assert len(catalog.definitions) == 11
    for definition in catalog.definitions.values():
        state = form_from_definition(definition)
        posted = [(name, value) for name, values in state.data.items() for value in values]
        posted += [("outcome_rows", str(state.outcome_rows)), ("target_rows", str(state.target_rows))]
        posted.append(("text_languages", ", ".join(state.extra_languages)))
        again, errors = read_form(posted)
        assert errors == {}
        result, problems_found = validate(
            again, organisation=definition.awarding_bodies[0], definition_id=definition.id
        )
        assert problems_found == {}, definition.id
        assert result == definition, definition.id


def test_the_audit_log_holds_one_entry_per_change(client: TestClient, database: Database) -> None:
    csrf = sign_in(client)
    client.post(f"{BASE}/new", data=valid_form(csrf))
    client.post(f"{BASE}/um-data-cleaning/edit", data=valid_form(csrf))
    with database.transaction() as session:
        count = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.subject == "um-data-cleaning")
        )
    assert count == 1
