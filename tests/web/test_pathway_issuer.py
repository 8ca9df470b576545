"""The issuer's pathway pages: who may see and edit them, the YAML editor with its problems by field path, versions,
drafts, and the review queue of composite claims."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
import yaml
from fastapi.testclient import TestClient

from cairn.bootstrap import Container
from cairn.errors import NotFoundError
from cairn.services.pathways.claims import ClaimView
from cairn.store.database import Database
from cairn.web.app import create_app
from cairn.web.pathways.issuer import new_pathway_yaml, pathway_yaml, read_pathway_yaml
from tests.factories import (
    EDITOR_SB,
    EDITOR_UM,
    EXAMPLES,
    HOLDER_DID,
    PATHWAY_ID,
    FixedClock,
    add_members,
    awarded_to_did,
    csrf_of,
    editor_sign_in,
    make_container,
    pathway_document,
    present,
)
from tests.helpers import english_words_on_polish_page

UM, SB = EDITOR_UM, EDITOR_SB
BASE = f"/orgs/{UM}/pathways"


DEMO_PATHWAY = "um-data-analysis-foundations"  # the example catalogue's pathway


@pytest.fixture
def container(database: Database, clock: FixedClock) -> Container:
    built = make_container(database, clock, EXAMPLES)
    add_members(
        built,
        (UM, "issuer@example.org", "issuer"),
        (UM, "viewer@example.org", "viewer"),
        (SB, "stranger@example.org", "owner"),
    )
    return built


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


def dumped(**changes: object) -> str:
    return str(yaml.safe_dump(pathway_document(**changes), sort_keys=False, allow_unicode=True))


def post(client: TestClient, path: str, csrf: str, text: str, action: str = "save-publish") -> str:
    answer = client.post(path, data={"csrf_token": csrf, "pathway": text, "action": action})
    assert answer.status_code == 303, answer.text[:3000]
    return str(answer.headers["location"])


def textarea(page: str) -> str:
    """The text in the editor's text area."""
    found = re.search(r'<textarea id="pathway-yaml"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, page[:3000]
    return html.unescape(found.group(1))


def claimed(container: Container) -> ClaimView:
    """A claim of the stored pathway by a holder of both its parts, waiting for review."""
    challenge = container.pathway_claims.challenge(PATHWAY_ID)
    presentation = present(awarded_to_did(container, HOLDER_DID), challenge, container.pathway_claims.domain)
    return container.pathway_claims.claim_presentation(PATHWAY_ID, presentation, challenge=challenge)


# -- who may ----------------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    for path in (BASE, f"{BASE}/new", f"{BASE}/{PATHWAY_ID}/edit", f"{BASE}/{PATHWAY_ID}/claims"):
        answer = client.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/sign-in?next="), path


def test_only_the_organisation_s_issuers_edit_and_review(client: TestClient, container: Container) -> None:
    container.pathways.save(pathway_document(), organisation=UM, actor="test")
    csrf = editor_sign_in(client, "stranger@example.org")
    for path in (BASE, f"{BASE}/new", f"{BASE}/{PATHWAY_ID}/edit", f"{BASE}/{PATHWAY_ID}/claims"):
        assert client.get(path).status_code == 404, path  # another organisation's pages do not exist for them
    refused = client.post(f"{BASE}/new", data={"csrf_token": csrf, "pathway": dumped(id="x-y"), "action": "save"})
    assert refused.status_code == 404
    # the stranger's own organisation has no such pathway to edit either
    assert client.get(f"/orgs/{SB}/pathways/{PATHWAY_ID}/edit").status_code == 404
    client.cookies.clear()
    editor_sign_in(client, "viewer@example.org")
    listing = client.get(BASE)
    assert listing.status_code == 200
    assert "Data science" in listing.text
    assert f"{BASE}/{PATHWAY_ID}/edit" not in listing.text
    for path in (f"{BASE}/new", f"{BASE}/{PATHWAY_ID}/edit", f"{BASE}/{PATHWAY_ID}/claims"):
        assert client.get(path).status_code == 403, path


def test_a_post_without_the_csrf_token_is_refused_and_stores_nothing(client: TestClient, container: Container) -> None:
    editor_sign_in(client)
    answer = client.post(f"{BASE}/new", data={"pathway": dumped(), "action": "save-publish"})
    assert answer.status_code == 403
    wrong = client.post(f"{BASE}/new", data={"csrf_token": "forged", "pathway": dumped(), "action": "save-publish"})
    assert wrong.status_code == 403
    assert [v.slug for v in container.pathways.all(drafts=True)] == [DEMO_PATHWAY]


# -- the editor -------------------------------------------------------------------------------------------------


def test_the_new_page_offers_a_template_over_the_organisation_s_own_micro_credentials(
    client: TestClient, container: Container
) -> None:
    csrf = editor_sign_in(client)
    page = client.get(f"{BASE}/new")
    assert page.status_code == 200
    text = textarea(page.text)
    data = yaml.safe_load(text)
    own = {"um-applied-statistics", "um-digital-accessibility", "um-python-data-analysis", "um-sql-databases"}
    assert data["issuer"] == UM
    assert data["target"] in own
    assert '<label for="pathway-yaml">' in page.text
    for kind in ("all", "any", "n_of", "component", "criteria", "totals", "review", "qualification"):
        assert f"<dt><code>{kind}</code></dt>" in page.text
    # the template saves as it is, as a draft that nobody outside the organisation sees
    location = post(client, f"{BASE}/new", csrf, text, action="save-draft")
    assert location == f"{BASE}/{data['id']}/edit?saved=1&done=created"
    assert container.pathways.get(data["id"], drafts=True).stored.state == "draft"
    assert client.get(f"/api/v1/pathways/{data['id']}").status_code == 404


def test_problems_are_shown_by_field_path_and_nothing_is_stored(client: TestClient, container: Container) -> None:
    csrf = editor_sign_in(client)
    impossible = dumped(rules={"n_of": {"n": 3, "of": [{"component": {"definition": "um-sql-databases"}}]}})
    answer = client.post(f"{BASE}/new", data={"csrf_token": csrf, "pathway": impossible, "action": "save-publish"})
    assert answer.status_code == 400
    page = answer.text
    assert 'class="error-summary"' in page
    assert 'href="#pathway-yaml"' in page
    assert "<code>rules.n_of</code>: n is 3 but there are only 1 rules to choose from" in page
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="pathway-yaml-hint pathway-yaml-error"' in page
    assert "<title>Error: " in page
    assert "    n: 3\n" in textarea(page)  # the text sent is given back to correct
    unknown = dumped(
        rules={"all": [{"component": {"definition": "nope"}}, {"component": {"definition": "um-sql-databases"}}]}
    )
    page = client.post(f"{BASE}/new", data={"csrf_token": csrf, "pathway": unknown, "action": "save-publish"}).text
    assert "<code>rules.all[0]</code>: nope is not a definition of this instance" in page
    broken = client.post(f"{BASE}/new", data={"csrf_token": csrf, "pathway": "id: [unclosed", "action": "save"})
    assert broken.status_code == 400
    assert "not valid YAML" in broken.text
    assert "line 2, column 1" in broken.text
    several = dumped(title="", target="um-sql-databases-x", issuer=SB)
    page = client.post(f"{BASE}/new", data={"csrf_token": csrf, "pathway": several, "action": "save"}).text
    assert "<code>issuer</code>: the issuer is the organisation these pages are for" in page
    assert [v.slug for v in container.pathways.all(drafts=True)] == [DEMO_PATHWAY]


def test_saving_makes_version_1_then_an_edit_makes_version_2(client: TestClient, container: Container) -> None:
    csrf = editor_sign_in(client)
    location = post(client, f"{BASE}/new", csrf, dumped(), action="save-publish")
    assert location == f"{BASE}/{PATHWAY_ID}/edit?saved=1&done=created"
    page = client.get(location).text
    assert "Saved as version 1." in page
    assert "It is published" in page
    assert 'id="in-words"' in page  # the rules said in words, once saved
    assert "All of these 2:" in page
    assert 'the micro-credential <span lang="">um-sql-databases</span>' in page
    assert "waits for your review" in page
    assert client.get(f"/api/v1/pathways/{PATHWAY_ID}").json()["version"] == 1
    # saving the same text again changes nothing; a change makes version 2
    text = pathway_yaml(container.pathways.get(PATHWAY_ID).pathway)
    again = post(client, f"{BASE}/{PATHWAY_ID}/edit", csrf, text, action="save")
    assert again.endswith("saved=1&done=unchanged")
    assert "Nothing had changed" in client.get(again).text
    changed = dumped(review="automatic")
    location = post(client, f"{BASE}/{PATHWAY_ID}/edit", csrf, changed, action="save")
    assert location.endswith("saved=2&done=new-version")
    assert container.pathways.versions(PATHWAY_ID) == [1, 2]
    assert container.pathways.get(PATHWAY_ID, 1).pathway.review == "issuer"
    assert container.pathways.get(PATHWAY_ID).pathway.review == "automatic"
    assert container.pathways.get(PATHWAY_ID).stored.state == "published"  # Save keeps a published one published
    listing = client.get(BASE).text
    assert "1, 2" in listing


def test_an_edit_page_keeps_to_its_own_pathway(client: TestClient, container: Container) -> None:
    container.pathways.save(pathway_document(), organisation=UM, actor="test", state="draft")
    csrf = editor_sign_in(client)
    page = client.get(f"{BASE}/{PATHWAY_ID}/edit").text
    assert "Save and publish" in page
    assert "Draft" in page
    other = client.post(
        f"{BASE}/{PATHWAY_ID}/edit", data={"csrf_token": csrf, "pathway": dumped(id="another-one"), "action": "save"}
    )
    assert other.status_code == 400
    assert "<code>id</code>: this page edits the pathway" in other.text
    taken = client.post(f"{BASE}/new", data={"csrf_token": csrf, "pathway": dumped(), "action": "save"})
    assert "exists already" in taken.text
    with pytest.raises(NotFoundError):
        container.pathways.get("another-one", drafts=True)
    # publishing the draft from its page
    location = post(client, f"{BASE}/{PATHWAY_ID}/edit", csrf, dumped(), action="save-publish")
    assert location.endswith("saved=1&done=unchanged")
    assert client.get(f"/api/v1/pathways/{PATHWAY_ID}").status_code == 200


def test_the_yaml_helpers() -> None:
    assert read_pathway_yaml("- a\n- b\n", organisation=UM, slug=None)[1][0].message.startswith("write one pathway")
    data, problems = read_pathway_yaml("title: {en: T}\nstate: draft\n", organisation=UM, slug="p-1")
    assert problems == []
    assert data == {"title": {"en": "T"}, "issuer": UM, "id": "p-1"}
    too_long = read_pathway_yaml("a" * 100_001, organisation=UM, slug=None)[1]
    assert "longer than" in too_long[0].message
    alias = read_pathway_yaml("a: &x 1\nb: *x\n", organisation=UM, slug=None)[1]
    assert "aliases" in alias[0].message
    assert yaml.safe_load(new_pathway_yaml(UM, []))["rules"] == {
        "all": [{"criteria": {"eqf_at_least": 5, "ects_at_least": 3, "title": {"en": "Any course at EQF 5 or higher"}}}]
    }


# -- the review queue -------------------------------------------------------------------------------------------


def test_the_review_queue_shows_claims_and_refusing_needs_a_reason(client: TestClient, container: Container) -> None:
    container.pathways.save(pathway_document(), organisation=UM, actor="test")
    claim = claimed(container)
    csrf = editor_sign_in(client)
    assert "<strong>1</strong>" in client.get(BASE).text  # one claim waiting, on the list
    page = client.get(f"{BASE}/{PATHWAY_ID}/claims").text
    assert "1 claim waiting for review" in page
    assert HOLDER_DID in page
    assert "Relational databases and SQL" in page
    assert "Data analysis with Python" in page
    assert claim.components[0].digest[:18] + "…" in page
    assert claim.components[0].digest not in page
    assert "met: 2 of 2 parts" in page
    decision = f"{BASE}/{PATHWAY_ID}/claims/{claim.public_id}/decision"
    no_reason = client.post(decision, data={"csrf_token": csrf, "decision": "refuse", "reason": "  "})
    assert no_reason.status_code == 400
    assert f'href="#reason-{claim.public_id}"' in no_reason.text
    assert f'id="reason-{claim.public_id}-error"' in no_reason.text
    assert 'aria-invalid="true"' in no_reason.text
    assert container.pathway_claims.get(claim.public_id).state == "review"
    assert client.post(decision, data={"decision": "refuse", "reason": "x"}).status_code == 403  # no CSRF token
    done = client.post(
        decision, data={"csrf_token": csrf, "decision": "refuse", "reason": "The SQL course was audited."}
    )
    assert done.status_code == 303
    assert container.pathway_claims.get(claim.public_id).reason == "The SQL course was audited."
    page = client.get(done.headers["location"]).text
    assert "The claim is refused" in page
    assert "No claim is waiting for review." in page
    assert "1 claim decided" in page
    assert "The SQL course was audited." in page
    again = client.post(decision, data={"csrf_token": csrf, "decision": "refuse", "reason": "twice"})
    assert again.status_code == 409  # decided already


def test_approving_a_claim_awards_the_composite(client: TestClient, container: Container) -> None:
    container.pathways.save(pathway_document(), organisation=UM, actor="test")
    claim = claimed(container)
    csrf = editor_sign_in(client)
    decision = f"{BASE}/{PATHWAY_ID}/claims/{claim.public_id}/decision"
    done = client.post(decision, data={"csrf_token": csrf, "decision": "approve", "reason": ""})
    assert done.status_code == 303
    decided = container.pathway_claims.get(claim.public_id)
    assert decided.state == "awarded"
    assert decided.award_id
    page = client.get(done.headers["location"]).text
    assert f"/orgs/{UM}/awards/{decided.award_id}" in page
    clr = f"{BASE}/{PATHWAY_ID}/claims/{claim.public_id}/clr"
    assert f'href="{clr}"' in page
    bundle = client.get(clr)
    assert bundle.status_code == 200
    assert bundle.headers["content-disposition"] == f'attachment; filename="{PATHWAY_ID}-clr.json"'
    assert "ClrCredential" in bundle.json()["type"]
    assert container.verification.verify(bundle.content).verified
    client.cookies.clear()
    editor_sign_in(client, "stranger@example.org")
    assert client.get(clr).status_code == 404  # another organisation's issuer


def test_the_pages_read_in_polish(client: TestClient, container: Container) -> None:
    container.pathways.save(pathway_document(), organisation=UM, actor="test")
    editor_sign_in(client)
    for path in (BASE, f"{BASE}/new", f"{BASE}/{PATHWAY_ID}/claims"):
        page = client.get(f"{path}?lang=pl")
        assert page.status_code == 200
        assert english_words_on_polish_page(page.text) == [], path
    assert csrf_of(client.get(f"{BASE}/new?lang=pl").text)
