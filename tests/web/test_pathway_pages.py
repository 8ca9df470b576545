"""The pathway pages: the public list and one pathway's rules in words (English and Polish), following it, a
learner's progress in the wallet (what is done and by which credential, what would close a gap), and claiming the
composite from the wallet (refused in words when the rules are not met, awarded into the wallet when they are)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container
from cairn.formats.clr import read_clr
from cairn.model.awards import Recipient
from cairn.store.database import Database
from cairn.web.app import create_app
from tests.factories import PASSWORD, FixedClock, make_container
from tests.helpers import english_words_on_polish_page, sign_in, visible_text

UM, SB = "uniwersytet-mazowiecki", "skillbridge-europe"
DEMO = "um-data-analysis-foundations"
"""The example catalogue's pathway: Python and SQL, then statistics or cloud applications; 13 ECTS; ZRK."""
STARTER = "um-data-starter"
ADA = "ada@example.org"


def starter(**changes: Any) -> dict[str, Any]:
    """A small pathway with every kind of rule: a component, an ``n_of`` over a component and criteria, an ``any``."""
    data: dict[str, Any] = {
        "id": STARTER,
        "title": {"en": "Data starter", "pl": "Start w danych"},
        "issuer": UM,
        "target": "um-applied-statistics",
        "review": "automatic",
        "rules": {
            "all": [
                {"component": {"definition": "um-python-data-analysis"}},
                {
                    "label": {"en": "Databases or another course", "pl": "Bazy danych albo inny kurs"},
                    "n_of": {
                        "n": 1,
                        "of": [
                            {"component": {"definition": "um-sql-databases"}},
                            {"criteria": {"eqf_at_least": 5, "ects_at_least": 3}},
                        ],
                    },
                },
            ]
        },
        "totals": {"ects_at_least": 8},
    }
    data.update(changes)
    return data


@pytest.fixture
def container(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    return make_container(sqlite_database, clock, examples)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


def holder(container: Container, definitions: list[str], email: str = ADA) -> int:
    """An account (password :data:`PASSWORD`) whose wallet holds an award of each definition, claimed by email."""
    account = container.accounts.create_account(email=email, password=PASSWORD).id
    for slug in definitions:
        org = SB if slug.startswith("sb-") else UM
        result = container.issuing.award(slug, Recipient(email=email, name="Ada"), actor="test", organisation=org)
        assert result.claim_token
        container.wallet.add_from_claim(account, email, result.claim_token)
    return account


def main_of(page: str) -> str:
    found = re.search(r"<main\b.*</main>", page, re.S)
    assert found, page[:500]
    return found.group(0)


# -- public pages ------------------------------------------------------------------------------------------------


def test_the_list_names_each_pathway_its_issuer_target_parts_and_credits(
    client: TestClient, container: Container
) -> None:
    container.pathways.save(starter(), actor="test")
    page = client.get("/pathways")
    assert page.status_code == 200
    text = visible_text(main_of(page.text))
    assert "Foundations of data analysis" in text
    assert "Data starter" in text
    assert 'href="/pathways/um-data-starter"' in page.text
    assert "Mazovian University in Warsaw" in text
    assert "Leads to: Applied statistics for data analysis" in text
    assert "3 parts" in text
    assert "13 ECTS" in text
    assert "2 parts" in text
    assert "8 ECTS" in text
    assert "Towards a qualification in ZRK" in text
    polish = client.get("/pathways?lang=pl")
    assert "Start w danych" in polish.text
    assert "2 części" in visible_text(polish.text)
    assert english_words_on_polish_page(polish.text) == []


def test_a_pathway_says_its_rules_in_words_as_steps(client: TestClient, container: Container) -> None:
    container.pathways.save(starter(), actor="test")
    page = client.get(f"/pathways/{STARTER}")
    assert page.status_code == 200
    html = main_of(page.text)
    text = visible_text(html)
    assert '<ol class="path">' in html
    assert 'href="/micro-credentials/um-python-data-analysis"' in html  # a definition of this instance: its page
    assert "Data analysis with Python" in text
    assert "Databases or another course" in text
    assert "Any 1 of these 2" in text
    assert "a credential at EQF level 5 or higher, of at least 3 ECTS" in text
    assert "At least 8 ECTS together" in text
    assert "Awarded as soon as you claim it" in text
    assert 'href="/orgs/uniwersytet-mazowiecki"' in html
    assert "trust-line" in html  # who vouches for the issuer, as its organisation page says it
    assert "Sign in to follow this pathway" in text
    assert 'name="csrf_token"' not in html  # nothing to post without a session

    demo_html = main_of(client.get(f"/pathways/{DEMO}").text)
    demo = visible_text(demo_html)
    assert "Register ZRK (Poland)" in demo
    assert "<code>DEMO-0001</code>" in demo_html
    assert "Postgraduate Certificate in Applied Data Analysis" in demo
    assert "Level in the national qualifications framework 6" in demo
    assert "Statistics or cloud applications" in demo
    assert "One of these 2" in demo


@pytest.mark.parametrize("how", ["parameter", "header"])
def test_a_pathway_reads_in_polish(client: TestClient, container: Container, how: str) -> None:
    container.pathways.save(starter(), actor="test")
    for slug in (STARTER, DEMO):
        if how == "parameter":
            page = client.get(f"/pathways/{slug}?lang=pl")
        else:
            page = client.get(f"/pathways/{slug}", headers={"Accept-Language": "pl-PL,pl;q=0.9"})
        assert page.status_code == 200
        assert '<html lang="pl">' in page.text
        assert english_words_on_polish_page(page.text) == [], slug
    text = visible_text(client.get(f"/pathways/{STARTER}?lang=pl").text)
    assert "Dowolne 1 z tych 2" in text
    assert "poświadczenie na poziomie ERK 5 lub wyższym" in text


def test_unknown_and_draft_pathways_are_not_found(client: TestClient, container: Container) -> None:
    container.pathways.save(starter(), actor="test", state="draft")
    assert client.get("/pathways/no-such-pathway").status_code == 404
    assert client.get(f"/pathways/{STARTER}").status_code == 404
    assert client.get(f"/pathways/{DEMO}?version=7").status_code == 404
    assert "Data starter" not in client.get("/pathways").text


def test_an_earlier_version_is_shown_when_asked_for(client: TestClient, container: Container) -> None:
    container.pathways.save(starter(), actor="test")
    container.pathways.save(starter(title={"en": "Data starter, revised"}), actor="test")
    first = client.get(f"/pathways/{STARTER}?version=1").text
    assert "Data starter, revised" not in first
    assert "Version 1 of 2" in visible_text(first)
    assert "Data starter, revised" in client.get(f"/pathways/{STARTER}").text


def test_following_needs_sign_in_and_the_csrf_token(client: TestClient, container: Container) -> None:
    holder(container, [])
    anonymous = client.post(f"/pathways/{DEMO}/follow", data={"follow": "yes"})
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/sign-in?next=")
    csrf = sign_in(client, ADA)
    assert client.post(f"/pathways/{DEMO}/follow", data={"follow": "yes"}).status_code == 403
    assert client.post(f"/pathways/{DEMO}/follow", data={"follow": "yes", "csrf_token": "wrong"}).status_code == 403
    assert "Follow this pathway" in client.get(f"/pathways/{DEMO}").text

    followed = client.post(f"/pathways/{DEMO}/follow", data={"follow": "yes", "csrf_token": csrf})
    assert followed.status_code == 303
    assert followed.headers["location"] == f"/pathways/{DEMO}?done=followed"
    page = client.get(followed.headers["location"]).text
    assert "You follow this pathway" in page
    assert "Stop following" in page
    assert "0 of 3 parts done" in visible_text(page)
    wallet = visible_text(client.get("/wallet/pathways").text)
    assert "Foundations of data analysis" in wallet
    assert "You follow this pathway." in wallet

    stopped = client.post(
        f"/pathways/{DEMO}/follow?lang=pl", data={"follow": "no", "back": "wallet", "csrf_token": csrf}
    )
    assert stopped.headers["location"] == "/wallet/pathways?done=unfollowed&lang=pl"
    assert "Foundations of data analysis" not in client.get("/wallet/pathways").text
    assert client.post("/pathways/no-such/follow", data={"csrf_token": csrf}).status_code == 404


# -- the wallet --------------------------------------------------------------------------------------------------


def test_the_wallet_needs_sign_in(client: TestClient) -> None:
    for answer in (client.get("/wallet/pathways"), client.post(f"/wallet/pathways/{DEMO}/claim")):
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/sign-in?next=")


def test_progress_shows_the_step_done_by_which_credential_and_what_would_close_a_gap(
    client: TestClient, container: Container
) -> None:
    container.pathways.save(starter(), actor="test")
    account = holder(container, ["um-python-data-analysis"])
    [python] = container.wallet.list(account)
    sign_in(client, ADA)
    assert 'href="/wallet/pathways"' in client.get("/wallet").text  # the wallet's navigation leads here
    page = client.get("/wallet/pathways")
    assert page.status_code == 200
    html = main_of(page.text)
    text = visible_text(html)
    section = html[html.index('id="pathway-um-data-analysis-foundations"') : html.index('id="claims-title"')]
    assert 'role="progressbar"' in section
    assert 'aria-valuenow="1"' in section
    assert 'aria-valuemax="3"' in section
    assert "1 of 3 parts done" in text
    assert "5 of 13 ECTS (8 left)" in text
    assert "Shown because some of your credentials count towards it." in text
    done = section[section.index("state-done") :]
    assert f'href="/wallet/{python.id}"' in done[: done.index("</li>")]  # the credential that met the step
    assert "Met by:" in text
    missing = section[section.index("state-missing") :]
    missing = missing[: missing.index("</li>")]
    assert "Still to do" in missing
    assert 'href="/micro-credentials/um-sql-databases"' in missing  # the part itself, in the catalogue
    assert "Issued by Mazovian University in Warsaw" in visible_text(missing)
    # the starter's other way is any credential at EQF 5 of 3 ECTS: the catalogue's courses that would count
    other = html[html.index('id="pathway-um-data-starter"') :]
    other = other[other.index("state-option") :]
    other = other[: other.index("</ul>")]  # up to the end of its suggestions
    assert "One of the ways" in other
    assert "Micro-credentials in the catalogue that would count:" in visible_text(other)
    assert 'href="/micro-credentials/sb-cloud-applications"' in other
    assert 'aria-current="step"' in section
    assert "When every step is done, you can claim Foundations of data analysis (stacked) here." in text
    assert f'action="/wallet/pathways/{DEMO}/claim"' not in html  # nothing to claim yet
    assert "You have not claimed a pathway's credential yet." in text

    polish = client.get("/wallet/pathways?lang=pl").text
    assert "1 z 3 części" in visible_text(polish)
    assert english_words_on_polish_page(polish) == []


def test_claiming_before_the_rules_are_met_says_what_is_missing(client: TestClient, container: Container) -> None:
    account = holder(container, ["um-python-data-analysis"])
    csrf = sign_in(client, ADA)
    assert client.post(f"/wallet/pathways/{DEMO}/claim").status_code == 403  # no CSRF token
    answer = client.post(f"/wallet/pathways/{DEMO}/claim", data={"csrf_token": csrf})
    assert answer.status_code == 409
    text = visible_text(answer.text)
    assert "The pathway is not complete yet: missing 2 parts, 8 ECTS." in text
    assert 'href="#claim-um-data-analysis-foundations"' in answer.text  # the error summary leads to the pathway
    assert container.pathway_claims.of_account(account) == []

    polish = client.post(f"/wallet/pathways/{DEMO}/claim?lang=pl", data={"csrf_token": csrf})
    assert polish.status_code == 409
    assert "Ścieżka nie jest jeszcze ukończona: brakuje: 2 części, 8 ECTS." in visible_text(polish.text)
    assert english_words_on_polish_page(polish.text) == []

    assert client.post("/wallet/pathways/no-such/claim", data={"csrf_token": csrf}).status_code == 404
    holder(container, [], email="bo@example.org")
    csrf = sign_in(client, "bo@example.org")
    nothing = client.post(f"/wallet/pathways/{DEMO}/claim", data={"csrf_token": csrf})
    assert nothing.status_code == 409
    assert "None of your credentials counts towards this pathway yet." in visible_text(nothing.text)


def test_claiming_a_met_pathway_awards_the_composite_into_the_wallet(client: TestClient, container: Container) -> None:
    container.pathways.save(
        starter(rules={"any": [{"component": {"definition": "um-python-data-analysis"}}]}, totals=None),
        actor="test",
    )
    account = holder(container, ["um-python-data-analysis"])
    csrf = sign_in(client, ADA)
    page = client.get("/wallet/pathways").text
    assert "The rules are met." in visible_text(page)
    assert f'action="/wallet/pathways/{STARTER}/claim"' in page
    assert "Claim Applied statistics for data analysis" in visible_text(page)

    answer = client.post(f"/wallet/pathways/{STARTER}/claim", data={"csrf_token": csrf})
    assert answer.status_code == 303, answer.text
    [claim] = container.pathway_claims.of_account(account)
    assert claim.state == "awarded"
    assert answer.headers["location"] == f"/wallet/pathways?claim={claim.public_id}#pathway-{STARTER}"
    composite = next(i for i in container.wallet.list(account) if i.award_id == claim.award_id)
    result = visible_text(client.get(answer.headers["location"]).text)
    assert "You were awarded Applied statistics for data analysis. It is in your wallet." in result
    assert "Claimed and awarded." in result
    assert "Awarded" in result
    shown = client.get("/wallet/pathways").text
    assert f'href="/wallet/{composite.id}"' in shown
    assert f'action="/wallet/pathways/{STARTER}/claim"' not in shown  # awarded once: no second button
    assert "Applied statistics" in visible_text(client.get("/wallet").text)  # the composite is in the wallet
    polish = client.get(f"/wallet/pathways?claim={claim.public_id}&lang=pl").text
    assert english_words_on_polish_page(polish) == []


def test_an_awarded_claim_downloads_as_one_clr_file_for_its_learner_only(
    client: TestClient, container: Container
) -> None:
    container.pathways.save(
        starter(rules={"any": [{"component": {"definition": "um-python-data-analysis"}}]}, totals=None),
        actor="test",
    )
    account = holder(container, ["um-python-data-analysis"])
    csrf = sign_in(client, ADA)
    assert client.post(f"/wallet/pathways/{STARTER}/claim", data={"csrf_token": csrf}).status_code == 303
    [claim] = container.pathway_claims.of_account(account)
    link = f"/wallet/pathways/claims/{claim.public_id}/clr"
    assert f'href="{link}"' in client.get("/wallet/pathways").text

    answer = client.get(link)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"] == f'attachment; filename="{STARTER}-clr.json"'
    assert answer.headers["cache-control"] == "no-store"
    bundle = read_clr(answer.json())
    assert bundle is not None
    assert bundle.composite is not None
    assert len(bundle.components) == 1
    report = container.verification.verify(answer.content)
    assert report.verified, report.checks  # the CLR's own proof and every credential inside it

    holder(container, ["um-sql-databases"], email="eve@example.org")
    with TestClient(create_app(container), follow_redirects=False) as other:
        sign_in(other, "eve@example.org")
        assert other.get(link).status_code == 404  # someone else's claim is not found
        assert other.get("/wallet/pathways/claims/made-up/clr").status_code == 404
    client.cookies.clear()
    assert client.get(link).status_code in (303, 401)  # signed out: sign in first


def test_a_claim_waits_for_review_and_a_refusal_shows_the_issuers_reason(
    client: TestClient, container: Container
) -> None:
    container.pathways.save(
        starter(rules={"component": {"definition": "um-python-data-analysis"}}, totals=None, review="issuer"),
        actor="test",
    )
    account = holder(container, ["um-python-data-analysis"])
    csrf = sign_in(client, ADA)
    answer = client.post(f"/wallet/pathways/{STARTER}/claim", data={"csrf_token": csrf})
    assert answer.status_code == 303
    text = visible_text(client.get(answer.headers["location"]).text)
    assert "Your claim was sent. The issuer reviews it before awarding the credential" in text
    assert "Waiting for the issuer's review" in text
    [claim] = container.pathway_claims.of_account(account)
    container.pathway_claims.decide(
        claim.public_id, organisation=UM, approve=False, reason="Send the exam protocol first.", actor="registrar"
    )
    page = client.get("/wallet/pathways").text
    text = visible_text(page)
    assert "Refused" in text
    assert "The issuer's reason:" in text
    assert '<span lang="">Send the exam protocol first.</span>' in page  # the issuer's words, in their language
    assert f'action="/wallet/pathways/{STARTER}/claim"' in page  # refused: it may be claimed again
    assert english_words_on_polish_page(client.get("/wallet/pathways?lang=pl").text) == []
