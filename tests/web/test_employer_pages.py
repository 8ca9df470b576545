"""The employer's side of recognition on the web (issue #16 point 4): the demo academy's endorsements page (endorse,
withdraw, errors next to their fields) and its check page (a challenge for the candidate, the presentation pasted,
the report: each required skill with the verified credential covering it, the missing ones, the credentials that did
not verify and the rules' verdict); who may see them (another organisation's member, a viewer, nobody signed in, a
post without the CSRF token); and the same through the JSON API with the organisation's own tokens."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container
from cairn.store.database import Database
from cairn.web.app import create_app
from tests.factories import (
    HOLDER_DID,
    FixedClock,
    add_members,
    awarded_to_did,
    editor_sign_in,
    make_container,
    present,
    stored_release,
)
from tests.helpers import english_words_on_polish_page, skill_links, skill_name_lookups

BEA, UM = "baltyk-energia-akademia", "uniwersytet-mazowiecki"
RULES = "bea-offshore-data-analyst-micro"
PAGE = f"/orgs/{BEA}/endorsements"
CHECK = f"/orgs/{BEA}/recognition/check"
READ = "cairn_test_read_token_of_the_academy_01234"
ISSUE = "cairn_test_issue_token_of_the_academy_0123"
UM_ISSUE = "cairn_test_issue_token_of_the_university_0"
TURBINES = "http://data.europa.eu/esco/skill/52242966-692f-4a4f-8279-cadbc7874183"


@pytest.fixture
def container(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    built = make_container(sqlite_database, clock, examples)
    add_members(
        built,
        (BEA, "issuer@example.org", "issuer"),
        (BEA, "viewer@example.org", "viewer"),
        (UM, "stranger@example.org", "owner"),
    )
    accounts = built.accounts
    accounts.install_token(organisation=BEA, name="r", scopes=["credentials:read"], token=READ)
    accounts.install_token(organisation=BEA, name="i", scopes=["credentials:read", "credentials:issue"], token=ISSUE)
    accounts.install_token(organisation=UM, name="u", scopes=["credentials:read", "credentials:issue"], token=UM_ISSUE)
    return built


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False, base_url="https://cairn.example") as client:
        yield client


def sign_in(client: TestClient, email: str = "issuer@example.org") -> str:
    """Sign in as ``email`` in a fresh browser; the session's CSRF token."""
    client.cookies.clear()
    return editor_sign_in(client, email)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def polish(page: str) -> None:
    assert 'lang="pl"' in page
    assert english_words_on_polish_page(page) == []


def challenge_of(page: str) -> str:
    found = re.search(r'name="challenge" value="([^"]+)"', page)
    assert found, page[:3000]
    return found.group(1)


# -- who may see the pages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [PAGE, CHECK])
def test_only_the_organisations_issuers_see_its_employer_pages(client: TestClient, path: str) -> None:
    anonymous = client.get(path)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/sign-in?next=")
    sign_in(client, "stranger@example.org")  # another organisation's owner
    assert client.get(path).status_code == 404
    sign_in(client, "viewer@example.org")
    assert client.get(path).status_code == 403
    sign_in(client, "issuer@example.org")
    page = client.get(path)
    assert page.status_code == 200
    assert f'href="{PAGE}"' in page.text  # the organisation's recognition navigation links both pages
    assert f'href="{CHECK}"' in page.text
    account = client.get("/account").text
    assert f'href="/orgs/{BEA}/endorsements"' in account


def test_posts_need_the_csrf_token_and_the_issuer_role(client: TestClient, container: Container) -> None:
    sign_in(client)
    form = {"definition": "um-python-data-analysis", "relation": "values", "comment": "We hire those who hold it."}
    assert client.post(PAGE, data=form).status_code == 403
    assert client.post(CHECK, data={"rules": RULES, "presentation": "{}"}).status_code == 403
    csrf = sign_in(client, "viewer@example.org")
    assert client.post(PAGE, data={**form, "csrf_token": csrf}).status_code == 403
    csrf = sign_in(client, "stranger@example.org")
    assert client.post(PAGE, data={**form, "csrf_token": csrf}).status_code == 404
    assert container.endorsements.of_organisation(BEA) == []


# -- endorsements -------------------------------------------------------------------------------------------------


def test_endorse_then_withdraw_through_the_page(client: TestClient, container: Container) -> None:
    csrf = sign_in(client)
    page = client.get(PAGE).text
    assert 'value="um-python-data-analysis"' in page
    assert 'value="bea-wind-turbine-safety"' not in page  # never its own
    sent = client.post(
        PAGE,
        data={"csrf_token": csrf, "definition": "um-python-data-analysis", "relation": "values", "comment": "We hire"},
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == f"{PAGE}?done=endorsed#notice"
    listed = client.get(f"{PAGE}?done=endorsed").text
    assert 'role="status"' in listed
    assert "verifiers of this micro-credential now see it" in listed
    assert "Data analysis with Python" in listed
    [made] = container.endorsements.of_organisation(BEA)
    assert f'href="/orgs/{BEA}/awards/{made.award_id}/credential"' in listed
    credential = client.get(f"/orgs/{BEA}/awards/{made.award_id}/credential")
    assert credential.status_code == 200
    assert "EndorsementCredential" in credential.text
    withdraw = f"{PAGE}/{made.award_id}/withdraw"
    empty = client.post(withdraw, data={"csrf_token": csrf, "reason": ""})
    assert empty.status_code == 400
    assert f'id="reason-{made.award_id}-error"' in empty.text
    assert client.post(withdraw, data={"csrf_token": csrf, "reason": "no longer taught"}).status_code == 303
    [after] = container.endorsements.of_organisation(BEA)
    assert after.withdrawn_at is not None
    assert container.issuing.get(made.award_id).revoked_at is not None
    assert "Withdrawn on" in client.get(PAGE).text
    again = client.post(withdraw, data={"csrf_token": csrf, "reason": "twice"})
    assert again.status_code == 409
    assert "withdrawn already" in again.text
    assert client.post(f"{PAGE}/no-such-award/withdraw", data={"csrf_token": csrf, "reason": "x"}).status_code == 404


def test_endorsement_errors_are_said_next_to_their_fields(client: TestClient) -> None:
    csrf = sign_in(client)
    empty = client.post(PAGE, data={"csrf_token": csrf})
    assert empty.status_code == 400
    for field in ("definition", "relation", "comment"):
        assert f'id="{field}-error"' in empty.text
        assert f'href="#{field}"' in empty.text  # the summary links each
    own = client.post(
        PAGE, data={"csrf_token": csrf, "definition": "bea-wind-turbine-safety", "relation": "values", "comment": "x"}
    )
    assert own.status_code == 400
    assert "does not endorse its own micro-credential" in own.text
    unknown = client.post(
        PAGE, data={"csrf_token": csrf, "definition": "no-such-thing", "relation": "values", "comment": "x"}
    )
    assert unknown.status_code == 404
    long = client.post(
        PAGE,
        data={"csrf_token": csrf, "definition": "um-sql-databases", "relation": "values", "comment": "x" * 1001},
    )
    assert long.status_code == 400
    assert 'id="comment-error"' in long.text


def test_the_endorsements_page_speaks_polish(client: TestClient, container: Container) -> None:
    csrf = sign_in(client)
    client.post(
        PAGE,
        data={"csrf_token": csrf, "definition": "um-python-data-analysis", "relation": "co-created", "comment": "Tak"},
    )
    page = client.get(f"{PAGE}?lang=pl").text
    polish(page)
    assert "Rekomendacje" in page
    errors = client.post(f"{PAGE}?lang=pl", data={"csrf_token": csrf}).text
    polish(errors)


# -- checking a candidate ---------------------------------------------------------------------------------------


def test_check_a_candidate_against_the_job_profile(client: TestClient, container: Container) -> None:
    csrf = sign_in(client)
    start = client.get(CHECK).text
    assert f'<option value="{RULES}"' in start
    assert "Data analyst, offshore wind operations" in start
    chosen = client.get(f"{CHECK}?rules={RULES}")
    assert chosen.status_code == 200
    challenge = challenge_of(chosen.text)
    assert challenge in chosen.text  # shown in a code block to copy
    assert "https://cairn.example" in chosen.text
    held = awarded_to_did(container, HOLDER_DID, ["um-python-data-analysis", "um-sql-databases"])
    tampered = copy.deepcopy(held[1])
    tampered["credentialSubject"]["achievement"]["name"] = "Relational databases, with distinction"
    presentation = present([held[0], tampered], challenge, "https://cairn.example")
    form = {"csrf_token": csrf, "rules": RULES, "challenge": challenge, "presentation": json.dumps(presentation)}
    report = client.post(CHECK, data=form)
    assert report.status_code == 200, report.text
    text = report.text
    assert "Required skill" in text
    assert HOLDER_DID in text
    assert "Data analysis with Python" in text
    assert "issuer vouched for" in text
    assert "unverifiable" in text  # the tampered credential, and why
    assert "does not meet the job profile" in text
    assert TURBINES in text  # a missing skill, linked
    assert challenge_of(text) != challenge  # a new challenge for the next candidate
    replay = client.post(CHECK, data=form)
    assert replay.status_code == 400
    assert "used already" in replay.text
    assert 'id="presentation-error"' in replay.text
    assert container.recognition.queue(BEA) == []  # nothing applied


def test_check_page_errors_and_polish(client: TestClient, container: Container) -> None:
    csrf = sign_in(client)
    challenge = challenge_of(client.get(f"{CHECK}?rules={RULES}").text)
    empty = client.post(CHECK, data={"csrf_token": csrf, "rules": RULES, "challenge": challenge})
    assert empty.status_code == 400
    assert 'id="presentation-error"' in empty.text
    assert challenge_of(empty.text) == challenge  # kept: the candidate's presentation is bound to it
    garbage = client.post(
        CHECK, data={"csrf_token": csrf, "rules": RULES, "challenge": challenge, "presentation": "not a VP"}
    )
    assert garbage.status_code == 400
    assert "not a VP" in garbage.text
    other = client.post(
        CHECK,
        data={"csrf_token": csrf, "rules": "um-cloud-programming-micro", "challenge": "1.2.3", "presentation": "x"},
    )
    assert other.status_code == 404  # the university's rules are not the academy's to check against
    assert client.get(f"{CHECK}?rules=um-cloud-programming-micro").status_code == 404
    polish(client.get(f"{CHECK}?rules={RULES}&lang=pl").text)
    held = awarded_to_did(container, HOLDER_DID, ["um-python-data-analysis", "um-sql-databases"])
    challenge = challenge_of(client.get(f"{CHECK}?rules={RULES}").text)
    form = {
        "csrf_token": csrf,
        "rules": RULES,
        "challenge": challenge,
        "presentation": json.dumps(present(held, challenge, "https://cairn.example")),
    }
    report = client.post(f"{CHECK}?lang=pl", data=form)
    assert report.status_code == 200, report.text
    polish(report.text)
    assert "spełnia" in report.text


def test_the_check_report_labels_skills_as_the_esco_release_in_the_store_labels_them(
    client: TestClient, container: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored_release(container, tmp_path, {TURBINES: ("inspect wind turbines", "kontrolować turbiny wiatrowe")})
    csrf = sign_in(client)
    held = awarded_to_did(container, HOLDER_DID, ["um-python-data-analysis"])
    challenge = challenge_of(client.get(f"{CHECK}?rules={RULES}").text)
    presentation = json.dumps(present(held, challenge, "https://cairn.example"))
    lookups = skill_name_lookups(monkeypatch)
    form = {"csrf_token": csrf, "rules": RULES, "challenge": challenge, "presentation": presentation}
    report = client.post(f"{CHECK}?lang=pl", data=form)
    assert report.status_code == 200, report.text
    # a required skill, and a missing one
    assert skill_links(report.text, TURBINES) == [("kontrolować turbiny wiatrowe", "")] * 2
    assert len(lookups) == 1


# -- the API --------------------------------------------------------------------------------------------------


def test_endorsements_through_the_api(client: TestClient, container: Container) -> None:
    api = f"/api/v1/orgs/{BEA}/endorsements"
    body = {"definition": "um-python-data-analysis", "relation": "values", "comment": "We hire those who hold it."}
    assert client.post(api, json=body).status_code == 401
    assert client.post(api, json=body, headers=bearer(READ)).status_code == 403  # no credentials:issue
    assert client.post(api, json=body, headers=bearer(UM_ISSUE)).status_code == 403  # another organisation's
    made = client.post(api, json=body, headers=bearer(ISSUE))
    assert made.status_code == 201, made.text
    answer = made.json()
    award = answer["endorsement"]["award_id"]
    assert "EndorsementCredential" in answer["credential"]["type"]
    assert container.verification.verify(answer["credential"]).verified
    listed = client.get(api, headers=bearer(READ)).json()
    assert (listed["count"], listed["items"][0]["award_id"], listed["items"][0]["withdrawn_at"]) == (1, award, None)
    assert client.get(api, headers=bearer(UM_ISSUE)).status_code == 403
    assert client.post(api, json={**body, "relation": "likes"}, headers=bearer(ISSUE)).status_code == 422
    own = client.post(api, json={**body, "definition": "bea-wind-turbine-safety"}, headers=bearer(ISSUE))
    assert own.status_code == 400
    assert own.json()["ok"] is False
    big = client.post(
        api, content=b"{" + b" " * 30_000 + b"}", headers={**bearer(ISSUE), "content-type": "application/json"}
    )
    assert big.status_code == 413
    withdraw = f"{api}/{award}/withdraw"
    assert client.post(withdraw, json={"reason": "x"}, headers=bearer(READ)).status_code == 403
    assert client.post(withdraw, json={"reason": "x"}, headers=bearer(UM_ISSUE)).status_code == 403
    done = client.post(withdraw, json={"reason": "no longer taught"}, headers=bearer(ISSUE))
    assert done.status_code == 200, done.text
    assert done.json()["endorsement"]["withdrawn_at"]
    assert client.post(withdraw, json={}, headers=bearer(ISSUE)).status_code == 409
    assert client.post(f"{api}/nope/withdraw", json={}, headers=bearer(ISSUE)).status_code == 404


def test_check_a_candidate_through_the_api(client: TestClient, container: Container) -> None:
    base = f"/api/v1/orgs/{BEA}/recognition/check/{RULES}"
    assert client.get(f"{base}/challenge").status_code == 401
    assert client.get(f"{base}/challenge", headers=bearer(UM_ISSUE)).status_code == 403
    assert (
        client.get(f"/api/v1/orgs/{UM}/recognition/check/{RULES}/challenge", headers=bearer(UM_ISSUE)).status_code
        == 404
    )
    got = client.get(f"{base}/challenge", headers=bearer(READ))
    assert got.status_code == 200, got.text
    challenge, domain = got.json()["challenge"], got.json()["domain"]
    held = awarded_to_did(container, HOLDER_DID, ["um-python-data-analysis", "um-sql-databases"])
    body = {"presentation": present(held, challenge, domain), "challenge": challenge}
    assert client.post(base, json=body, headers=bearer(UM_ISSUE)).status_code == 403
    answer = client.post(base, json=body, headers=bearer(READ))
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["holder"], report["met"], report["decision"], report["course_type"]) == (
        HOLDER_DID,
        True,
        "full",
        "job-profile",
    )
    assert report["missing"] == [TURBINES]
    assert all(c["verified"] and c["vouched"] for c in report["credentials"])
    covered = {s["skill"]: s["credentials"] for s in report["skills"] if s["covered"]}
    assert len(covered) == 6
    replay = client.post(base, json=body, headers=bearer(READ))
    assert replay.status_code == 400
    assert "used already" in replay.json()["error"]
    applied = client.post(f"/api/v1/recognition/rules/{RULES}/applications", json=body)
    assert applied.status_code == 400  # a check's challenge never applies
    big = client.post(base, json={"presentation": "x" * 1_000_001, "challenge": challenge}, headers=bearer(READ))
    assert big.status_code == 413
    docs = client.get("/openapi.json").json()["paths"]
    assert "400" in docs["/api/v1/orgs/{org}/recognition/check/{rules}"]["post"]["responses"]
    assert "201" in docs["/api/v1/orgs/{org}/endorsements"]["post"]["responses"]


# -- what the employer publishes --------------------------------------------------------------------------------


def test_the_public_pages_show_that_the_employer_publishes_a_job_profile(client: TestClient) -> None:
    listing = client.get("/recognition").text
    assert f'href="/recognition/rules/{RULES}"' in listing
    assert "Job profile:" in listing
    assert "Data analyst, offshore wind operations" in listing
    profile = client.get("/recognition/courses/bea-offshore-data-analyst")
    assert profile.status_code == 200
    assert "Job profile of Bałtyk Energia" in profile.text
    assert f'href="/recognition/rules/{RULES}"' in profile.text
    api = client.get(f"/api/v1/recognition/rules/{RULES}")  # a job profile may have no ECTS
    assert api.status_code == 200, api.text
    assert (api.json()["course"]["id"], api.json()["course"].get("ects")) == ("bea-offshore-data-analyst", None)
    assert client.get("/api/v1/recognition/rules").status_code == 200
    organisation = client.get(f"/orgs/{BEA}")
    assert "What it recognises" in organisation.text
    assert 'href="/recognition/courses/bea-offshore-data-analyst"' in organisation.text
    for page in (
        "/recognition?lang=pl",
        "/recognition/courses/bea-offshore-data-analyst?lang=pl",
        f"/orgs/{BEA}?lang=pl",
    ):
        polish(client.get(page).text)
