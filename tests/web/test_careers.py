"""Careers on the web: the public suggestion API and its bad-input answers, the learner's skills and
occupation pages (signed in only), the job-ad page with its CSRF check."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from cairn.bootstrap import Container, build
from cairn.services.accounts.service import AccountService
from cairn.services.careers.service import CareersService
from cairn.settings import Settings
from cairn.skills.esco import EscoData
from cairn.skills.index import SkillIndex
from cairn.skills.labels import shipped_esco
from cairn.store.database import Database
from cairn.web.app import create_app
from cairn.web.careers.pages import JOB_ADS_PER_MINUTE
from tests.factories import SKILL as S
from tests.factories import FixedClock, add_wallet, esco_with, index_esco
from tests.helpers import csrf_of

PASSWORD = "correct horse battery"
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class FakeEsco:
    """Stands in for the ESCO service (container.esco) while it is being built."""

    def __init__(self, data: EscoData) -> None:
        self._data = data

    def data(self) -> EscoData:
        return self._data

    def search_occupations(self, query: str, *, language: str = "en", limit: int = 20) -> list[str]:
        """As EscoService.search_occupations (keyword-only language and limit): URIs whose label has the query."""
        found = [
            uri
            for uri, occupation in self._data.occupations.items()
            if language in occupation.labels
            and any(query.lower() in label.lower() for label in occupation.labels[language].all())
        ]
        return found[:limit]


@pytest.fixture
def container(database: Database, clock: FixedClock, examples: Path) -> Container:
    settings = Settings(database_url="sqlite://", secret_key="k" * 48, base_url="https://cairn.example")
    built = build(settings, clock=clock, database=database)
    built.catalog.import_paths([examples])
    accounts = AccountService(database, clock=clock, password_hasher=FAST)
    learner = accounts.create_account(email="learner@example.org", password=PASSWORD)
    accounts.add_member(organisation="uniwersytet-mazowiecki", email="issuer@example.org", role="issuer")
    accounts.set_password(email="issuer@example.org", password=PASSWORD)
    add_wallet(database, learner.id, [("valid", [S + "web", S + "team"]), ("revoked", [S + "py"])])
    index = SkillIndex.build(index_esco(), encoder=None)
    careers = CareersService(database, catalog=built.catalog, index=index)
    esco = FakeEsco(esco_with([S + "web", S + "team", S + "py"]))
    return dataclasses.replace(built, accounts=accounts, careers=careers, esco=esco)  # type: ignore[arg-type]


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


def sign_in(client: TestClient, email: str) -> None:
    client.cookies.clear()
    token = csrf_of(client.get("/sign-in").text)
    answer = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 303, answer.text


def test_suggest_api_answers_and_filters(client: TestClient) -> None:
    answer = client.get("/api/v1/skills/suggest", params={"text": "Students build websites", "k": 2})
    assert answer.status_code == 200
    top = answer.json()["skills"][0]
    assert top["uri"] == S + "web"
    assert top["matched"] == "build websites"
    assert top["score"] > 0
    posted = client.post("/api/v1/skills/suggest", json={"text": "Python and websites", "type": "knowledge"})
    assert [s["uri"] for s in posted.json()["skills"]] == [S + "py"]
    green = client.get("/api/v1/skills/suggest", params={"text": "teamwork", "collection": "green"}).json()
    assert green == {"skills": [], "reason": "no skill matched this text", "index": "lexical"}


def test_suggest_api_bad_input_is_a_clear_answer(client: TestClient) -> None:
    huge = client.post("/api/v1/skills/suggest", json={"text": "a" * 1_000_000})
    assert huge.status_code == 413
    assert "too large" in huge.json()["error"]
    long = client.post("/api/v1/skills/suggest", json={"text": "word " * 2_500})
    assert long.status_code == 413
    assert "at most 10,000" in long.json()["error"]
    for text in ("", "   ", "\x00\x07\x1b"):
        empty = client.post("/api/v1/skills/suggest", json={"text": text})
        assert empty.status_code == 400
        assert empty.json()["ok"] is False
    foreign = client.get("/api/v1/skills/suggest", params={"text": "Разработка веб-приложений"}).json()
    assert foreign["skills"] == []
    assert "script" in foreign["reason"]
    assert (
        "not in 'it'" in client.get("/api/v1/skills/suggest", params={"text": "x", "language": "it"}).json()["reason"]
    )
    assert client.post("/api/v1/skills/suggest", content=b"not json").status_code == 400
    assert client.post("/api/v1/skills/suggest", json={"text": 5}).status_code == 400
    assert client.get("/api/v1/skills/suggest", params={"text": "x", "type": "attitude"}).status_code == 400
    assert client.get("/api/v1/skills/suggest", params={"text": "x", "k": 0}).status_code == 422


def test_learner_pages_need_sign_in(client: TestClient) -> None:
    for path in ("/wallet/skills", "/wallet/occupations", "/wallet/occupations/target"):
        answer = client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/sign-in?next=")
    assert client.get("/api/v1/careers/profile").status_code == 401


def test_skills_and_occupation_pages(client: TestClient) -> None:
    sign_in(client, "learner@example.org")
    page = client.get("/wallet/skills", params={"lang": "en"})
    assert page.status_code == 200
    assert page.text.count("<h1") == 1
    assert "You can skill " in page.text  # the summary
    assert "skill   py" not in page.text
    polish = client.get("/wallet/skills", params={"lang": "pl"}).text
    assert "Potrafisz:" in polish
    assert "Twoje umiejętności" in polish
    profile = client.get("/api/v1/careers/profile").json()
    uris = {s["uri"] for g in profile["groups"] for s in g["skills"]}
    assert uris == {S + "web", S + "team"}  # the revoked credential's skill is not evidence
    occupations = client.get("/wallet/occupations", params={"lang": "en"})
    assert "target job" in occupations.text
    assert "2 of 3" in occupations.text
    assert "<meter" in occupations.text
    found = client.get("/wallet/occupations", params={"q": "TARGET", "in": "en"}).text
    assert "1 occupation found" in found
    detail = client.get("/wallet/occupations/target")
    assert detail.status_code == 200
    assert "Essential skills you do not have yet" in detail.text
    assert client.get("/wallet/occupations/unknown-job").status_code == 404
    api = client.get("/api/v1/careers/occupations").json()
    assert api["occupations"][0]["essential"] == {"held": 2, "total": 3}


def test_job_ad_page(client: TestClient) -> None:
    page = client.get("/jobs")
    assert page.status_code == 200
    token = csrf_of(page.text)
    assert client.post("/jobs", data={"text": "We need teamwork", "csrf_token": "wrong"}).status_code == 403
    anonymous = client.post("/jobs", data={"text": "- build websites\n- teamwork", "csrf_token": token})
    assert anonymous.status_code == 200
    assert "develop web applications" in anonymous.text
    assert "words in the text: “build”, “websites”" in anonymous.text  # the ad's words, not the label's
    assert "Skills you lack" not in anonymous.text
    empty = client.post("/jobs", data={"text": "  \x00 ", "csrf_token": token})
    assert empty.status_code == 422
    assert 'role="alert"' in empty.text
    too_long = client.post("/jobs", data={"text": "a" * 1_000_000, "csrf_token": token})
    assert too_long.status_code == 413
    sign_in(client, "learner@example.org")
    token = csrf_of(client.get("/jobs").text)
    learner = client.post("/jobs", data={"text": "- build websites\n- Python", "csrf_token": token})
    assert "Skills you lack" in learner.text
    assert "You have 1 of the 2 skills." in learner.text
    api = client.post("/api/v1/jobs/analyse", json={"text": "You love teamwork"}).json()
    assert [s["uri"] for s in api["skills"]] == [S + "team"]
    assert api["skills"][0]["words"] == ["teamwork"]


def test_job_ads_are_rate_limited_per_address(client: TestClient) -> None:
    for _ in range(JOB_ADS_PER_MINUTE):
        assert client.post("/api/v1/jobs/analyse", json={"text": "You love teamwork"}).status_code == 200
    refused = client.post("/api/v1/jobs/analyse", json={"text": "You love teamwork"})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "too many attempts" in refused.json()["error"]
    token = csrf_of(client.get("/jobs").text)
    assert client.post("/jobs", data={"text": "teamwork", "csrf_token": token}).status_code == 429  # one quota
    assert client.post("/api/v1/skills/suggest", json={"text": "teamwork"}).status_code == 200  # one lookup: free


def test_errors_and_reasons_are_in_the_readers_language(client: TestClient) -> None:
    token = csrf_of(client.get("/jobs").text)
    empty = client.post("/jobs", params={"lang": "pl"}, data={"text": "   ", "csrf_token": token})
    assert empty.status_code == 422
    assert "tekst jest pusty" in empty.text
    too_long = client.post("/jobs", params={"lang": "pl"}, data={"text": "a" * 30_000, "csrf_token": token})
    assert too_long.status_code == 413
    assert "tekst jest za długi: 30,000 znaków; najwyżej 20,000" in too_long.text
    chinese = client.post(
        "/jobs", params={"lang": "pl"}, data={"text": "职位描述：开发网络应用程序", "csrf_token": token}
    )
    assert "nieobsługiwanym pismem" in chinese.text
    english = client.post("/jobs", params={"lang": "en"}, data={"text": "   ", "csrf_token": token})
    assert "the text is empty" in english.text


def test_labels_in_another_language_are_marked(client: TestClient) -> None:
    sign_in(client, "learner@example.org")
    skills = client.get("/wallet/skills", params={"lang": "pl"}).text
    assert skills.count('<strong lang="en">skill ') == 2  # the test release has English labels only
    assert '<strong lang="en">' not in client.get("/wallet/skills", params={"lang": "en"}).text
    detail = client.get("/wallet/occupations/target", params={"lang": "pl"}).text
    assert '<h1 lang="en">target job</h1>' in detail
    assert detail.count('lang="en">skill ') == 1  # the missing essential skill
    # And visibly: a code after each English label, with words for a screen reader.
    tag = '<span class="lang-tag" title="etykieta po angielsku"><span aria-hidden="true">EN</span>'
    assert skills.count(tag) == 2
    assert '<li><span lang="">' in skills  # a credential's title, its issuer's words: not said to be Polish
    assert detail.count(tag) == 1
    assert "(etykieta po angielsku)</span>" in detail
    assert 'class="lang-tag"' not in client.get("/wallet/skills", params={"lang": "en"}).text
    token = csrf_of(client.get("/jobs").text)
    ad = client.post("/jobs", params={"lang": "pl"}, data={"text": "- build websites", "csrf_token": token}).text
    assert re.search(r'lang="en">develop web applications</a> <span class="lang-tag"', ad)
    assert "słowa w tekście: „build”, „websites”" in ad  # Polish quotation marks


def test_an_issuer_sees_which_of_its_micro_credentials_cover_an_ad(container: Container, database: Database) -> None:
    full = shipped_esco()
    um = container.careers.offers(organisations=["uniwersytet-mazowiecki"])
    taught = sorted({uri for offer in um for uri in offer.skills} & set(full.skills))
    index = SkillIndex.build(EscoData("1.1.1", ("en",), {uri: full.skills[uri] for uri in taught}), encoder=None)
    careers = CareersService(database, catalog=container.catalog, index=index)
    with TestClient(create_app(dataclasses.replace(container, careers=careers)), follow_redirects=False) as client:
        ad = "Data analyst wanted.\n- Python (computer programming)\n- SQL\n- We offer a nice office"
        sign_in(client, "issuer@example.org")
        token = csrf_of(client.get("/jobs").text)
        page = client.post("/jobs", data={"text": ad, "csrf_token": token}).text
        assert "Your organisation's micro-credentials that cover it" in page
        assert 'href="/micro-credentials/um-python-data-analysis' in page
        assert 'href="/micro-credentials/um-sql-databases' in page
        # A Polish reader gets ESCO's Polish label where it ships, unmarked; the others in English, marked.
        polish = client.post("/jobs", params={"lang": "pl"}, data={"text": ad, "csrf_token": token}).text
        assert re.search(r">Python \(programowanie komputerowe\)</a> <span class=\"matched\">", polish)
        sign_in(client, "learner@example.org")  # not a member of any organisation: no such section
        token = csrf_of(client.get("/jobs").text)
        assert (
            "micro-credentials that cover it" not in client.post("/jobs", data={"text": ad, "csrf_token": token}).text
        )
