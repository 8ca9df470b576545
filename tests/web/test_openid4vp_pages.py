"""The pages of OpenID4VP (issue #17 point 3): the demo academy asks for a credential (the simple form and a raw DCQL
query), its request page (the openid4vp:// link, a QR code, the DCQL query, the expiry, a "Check for an answer"
button), who may see them (nobody signed in, another organisation, a viewer, a post without the CSRF token); the
learner's wallet reads the link, shows who asks and what, shares the chosen credential only on "Share", and the
verifier's page then shows the report; another host's request is shown as an unidentified verifier (its client id
as given, not verified) and answered only when the learner confirms; the pages in Polish."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container
from cairn.model.awards import Recipient
from cairn.model.dcql import Ask, build_query
from cairn.services.openid4vp.verifier import REQUEST_LIFETIME
from cairn.store.database import Database
from cairn.web.app import create_app
from tests.app_outbound import AppOutbound, Made
from tests.factories import EDITOR_PASSWORD, FixedClock, add_members, editor_sign_in, make_container
from tests.helpers import english_words_on_polish_page

BEA, UM = "baltyk-energia-akademia", "uniwersytet-mazowiecki"
DEFINITION = "um-python-data-analysis"
PAGE = f"/orgs/{BEA}/presentation-requests"
WALLET = "/wallet/presentation-requests"
LEARNER = "ada@example.org"


@pytest.fixture
def container(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    built = make_container(sqlite_database, clock, examples)
    add_members(
        built,
        (BEA, "issuer@example.org", "issuer"),
        (BEA, "viewer@example.org", "viewer"),
        (UM, "stranger@example.org", "owner"),
    )
    result = built.issuing.award(DEFINITION, Recipient(email=LEARNER, name="Ada Nowak"), actor="t", organisation=UM)
    assert result.claim_token
    account = built.accounts.create_account(email=LEARNER, password=EDITOR_PASSWORD)
    built.wallet.add_from_claim(account.id, LEARNER, result.claim_token)
    return built


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False, base_url="https://cairn.example") as client:
        yield client


def sign_in(client: TestClient, email: str = "issuer@example.org") -> str:
    client.cookies.clear()
    return editor_sign_in(client, email)


def polish(page: str) -> None:
    assert 'lang="pl"' in page
    assert english_words_on_polish_page(page) == []


def make(client: TestClient, csrf: str, **fields: object) -> str:
    form = {"csrf_token": csrf, "name": "Data analyst", "formats": ["dc+sd-jwt"], "min_eqf": "4", **fields}
    made = client.post(PAGE, data=form)
    assert made.status_code == 303, made.text
    return str(made.headers["location"])


def link_of(page: str) -> str:
    found = re.search(r"<code>(openid4vp://[^<]+)</code>", page)
    assert found, page[:2000]
    return found.group(1).replace("&amp;", "&")


@pytest.mark.parametrize("path", [PAGE])
def test_only_the_organisations_issuers_see_the_verifier_pages(client: TestClient, path: str) -> None:
    anonymous = client.get(path)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/sign-in?next=")
    sign_in(client, "stranger@example.org")
    assert client.get(path).status_code == 404
    sign_in(client, "viewer@example.org")
    assert client.get(path).status_code == 403
    csrf = sign_in(client)
    assert client.get(path).status_code == 200
    assert f'href="{PAGE}"' in client.get("/account").text
    where = make(client, csrf)
    assert client.get(where).status_code == 200
    sign_in(client, "stranger@example.org")
    assert client.get(urlsplit(where).path).status_code == 404
    assert client.get(f"/orgs/{UM}/presentation-requests/{urlsplit(where).path.rsplit('/', 1)[1]}").status_code == 404


def test_posts_need_the_csrf_token_and_the_issuer_role(client: TestClient, container: Container) -> None:
    sign_in(client)
    assert client.post(PAGE, data={"name": "x", "formats": "dc+sd-jwt"}).status_code == 403
    csrf = sign_in(client, "viewer@example.org")
    assert client.post(PAGE, data={"csrf_token": csrf, "name": "x", "formats": "dc+sd-jwt"}).status_code == 403
    assert container.presentation_requests.list(BEA) == []
    sign_in(client, LEARNER)
    assert client.post(WALLET, data={"link": "openid4vp://x"}).status_code == 403


def test_make_a_request_and_see_its_link_qr_code_and_query(client: TestClient, container: Container) -> None:
    csrf = sign_in(client)
    bad = client.post(PAGE, data={"csrf_token": csrf, "name": "", "min_eqf": "4"})
    assert bad.status_code == 400
    assert 'id="name-error"' in bad.text
    assert 'id="formats-error"' in bad.text
    raw = client.post(PAGE, data={"csrf_token": csrf, "name": "Raw", "dcql": '{"credentials": []}'})
    assert raw.status_code == 400
    assert 'id="dcql-error"' in raw.text
    where = make(client, csrf, claims=["given_name", "achievement_title"])
    page = client.get(where)
    assert page.headers["cache-control"] == "no-store"
    text = page.text
    assert "openid4vp://?client_id=decentralized_identifier" in text
    assert 'src="data:image/svg+xml;base64,' in text
    assert "level_of_learning_experience" in text  # the DCQL query
    assert "EQF level 4 or higher" in text
    assert "Check for an answer" in text
    assert "http-equiv" not in text
    assert 'href="/wallet/presentation-requests?request_uri=' in text
    listed = client.get(PAGE).text
    assert "Data analyst" in listed
    assert ">open<" in listed
    dcql = {"credentials": [{"id": "c", "format": "ldp_vc", "meta": {"type_values": [["OpenBadgeCredential"]]}}]}
    raw_made = client.post(PAGE, data={"csrf_token": csrf, "name": "Raw", "dcql": json.dumps(dcql)})
    assert raw_made.status_code == 303
    again = client.post(urlsplit(where).path + "/again", data={"csrf_token": csrf})
    assert again.status_code == 303
    assert "done=again" in again.headers["location"]
    assert len(container.presentation_requests.list(BEA)) == 3


def test_the_wallet_answers_through_the_pages_and_the_verifier_sees_the_report(
    client: TestClient, container: Container, clock: FixedClock
) -> None:
    csrf = sign_in(client)
    where = make(client, csrf, claims=["achievement_title"])
    link = link_of(client.get(where).text)
    wallet_csrf = sign_in(client, LEARNER)
    assert 'action="/wallet/presentation-requests"' in client.get("/wallet").text  # the paste form on /wallet
    empty = client.get(WALLET)
    assert empty.status_code == 200
    assert 'name="link"' in empty.text
    read = client.post(WALLET, data={"csrf_token": wallet_csrf, "link": link})
    assert read.status_code == 200, read.text
    assert "Baltyk" in read.text or "Bałtyk" in read.text  # the registry's name of the organisation
    assert "signature verified" in read.text
    assert "EQF level 4 or higher" in read.text
    assert "Data analysis with Python" in read.text
    assert 'name="choice-learning_credential"' in read.text
    view = container.presentation_requests.get(BEA, urlsplit(where).path.rsplit("/", 1)[1])
    assert view.status == "open"  # nothing shared before the button
    same_device = client.get(view.same_device)
    assert same_device.status_code == 200
    assert 'name="choice-learning_credential"' in same_device.text
    item = re.search(r'name="choice-learning_credential" value="([^"]+)"', read.text)
    assert item
    refused_csrf = client.post(f"{WALLET}/share", data={"link": link, "choice-learning_credential": item.group(1)})
    assert refused_csrf.status_code == 403
    shared = client.post(
        f"{WALLET}/share",
        data={"csrf_token": wallet_csrf, "link": link, "choice-learning_credential": item.group(1)},
    )
    assert shared.status_code == 200
    assert "Accepted" in shared.text
    csrf = sign_in(client)
    report = client.get(where).text
    assert "answered" in report
    assert "Every credential presented verified." in report
    assert "Data analysis with Python" in report  # what was disclosed
    assert "achievement_title" in report
    assert "Authentic" in report  # the verification report, as /verify shows it
    assert "Bound to the holder: the holder proved control" in report  # an SD-JWT VC with its key binding
    assert 'src="data:image/svg+xml' not in report
    polish(client.get(where + "?lang=pl").text)
    late = make(client, csrf)
    clock.advance(seconds=REQUEST_LIFETIME.total_seconds())
    assert "Nobody answered this request in time" in client.get(late).text


def test_the_wallet_refuses_another_hosts_link_and_a_refused_answer_says_why(
    client: TestClient, container: Container
) -> None:
    csrf = sign_in(client)
    where = make(client, csrf, min_eqf="8")  # the learner's credential is below
    link = link_of(client.get(where).text)
    wallet_csrf = sign_in(client, LEARNER)
    other = "openid4vp://?request_uri=" + quote("https://evil.example/r/1", safe="")
    container.wallet_answers.outbound = None  # an instance that fetches nothing answers its own verifiers only
    refused = client.post(WALLET, data={"csrf_token": wallet_csrf, "link": other})
    assert refused.status_code == 400
    assert "its wallet answers its own verifiers only" in refused.text
    polish_refused = client.post(f"{WALLET}?lang=pl", data={"csrf_token": wallet_csrf, "link": other})
    polish(polish_refused.text)
    read = client.post(WALLET, data={"csrf_token": wallet_csrf, "link": link})
    assert "None of the credentials in your wallet answers this request." in read.text
    polish(client.post(f"{WALLET}?lang=pl", data={"csrf_token": wallet_csrf, "link": link}).text)


def test_the_verifier_pages_speak_polish(client: TestClient) -> None:
    csrf = sign_in(client)
    polish(client.get(PAGE + "?lang=pl").text)
    where = make(client, csrf)
    polish(client.get(where + "?lang=pl").text)
    polish(client.get(PAGE + "?lang=pl").text)
    bad = client.post(PAGE + "?lang=pl", data={"csrf_token": csrf, "name": "", "formats": []})
    polish(bad.text)


def test_another_hosts_request_shows_an_unidentified_verifier_and_needs_confirmation(
    client: TestClient, container: Container
) -> None:
    response_uri = "https://verifier.example/response"
    container.wallet_answers.outbound = AppOutbound(
        client, rewrite=lambda method, url, body: Made({}) if (method, url) == ("POST", response_uri) else None
    )
    fields = {
        "client_id": f"redirect_uri:{response_uri}",
        "response_type": "vp_token",
        "response_mode": "direct_post",
        "response_uri": response_uri,
        "nonce": "n-1",
        "state": "s-1",
        "dcql_query": json.dumps(build_query(Ask(formats=("dc+sd-jwt",), claims=("given_name",)))),
    }
    link = "openid4vp://?" + urlencode(fields)
    wallet_csrf = sign_in(client, LEARNER)
    read = client.post(WALLET, data={"csrf_token": wallet_csrf, "link": link})
    assert read.status_code == 200, read.text
    assert "An unidentified verifier" in read.text
    assert f"<code>redirect_uri:{response_uri}</code> (not verified)" in read.text
    assert 'name="confirm" value="yes" required' in read.text
    polish(client.post(f"{WALLET}?lang=pl", data={"csrf_token": wallet_csrf, "link": link}).text)
    item = re.search(r'name="choice-learning_credential" value="([^"]+)"', read.text)
    assert item
    chosen = {"csrf_token": wallet_csrf, "link": link, "choice-learning_credential": item.group(1)}
    unconfirmed = client.post(f"{WALLET}/share", data=chosen)
    assert "Confirm that you share with a verifier Cairn cannot identify" in unconfirmed.text
    assert container.wallet_answers.outbound.calls == []
    shared = client.post(f"{WALLET}/share", data={**chosen, "confirm": "yes"})
    assert "received your credential and verified it" in shared.text
    [(method, url, body, _)] = container.wallet_answers.outbound.calls
    assert (method, url) == ("POST", response_uri)
    assert sorted(parse_qs(body.decode())) == ["state", "vp_token"]
