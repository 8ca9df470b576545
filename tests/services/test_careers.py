"""CareersService on SQLite and PostgreSQL: only valid wallet credentials count as evidence, occupations and
next steps from the stored catalogue, skill suggestions and job ads refusing bad input with a reason."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import ClassVar

import pytest

from cairn.errors import InputError, NotFoundError
from cairn.services.accounts.service import AccountService
from cairn.services.careers.service import CareersService, TextTooLongError
from cairn.services.catalog.service import CatalogService
from cairn.skills.index import SkillIndex
from cairn.skills.suggest import Suggestion
from cairn.store.database import Database
from tests.factories import SKILL, FixedClock, add_wallet, esco_with, index_esco

S = SKILL


@pytest.fixture
def service(database: Database, clock: FixedClock, examples: Path) -> CareersService:
    catalog = CatalogService(database, clock=clock)
    catalog.import_paths([examples])
    return CareersService(database, catalog=catalog, index=lambda: SkillIndex.build(index_esco(), encoder=None))


def test_only_valid_credentials_are_evidence(service: CareersService, database: Database, clock: FixedClock) -> None:
    accounts = AccountService(database, clock=clock)
    learner = accounts.create_account(email="learner@example.org")
    other = accounts.create_account(email="other@example.org")
    add_wallet(
        database,
        learner.id,
        [("valid", [S + "a", S + "b"]), ("revoked", [S + "c"]), ("unverifiable", [S + "d"]), ("expired", [S + "e"])],
    )
    add_wallet(database, other.id, [("valid", [S + "z"])])
    profile = service.profile(learner.id, esco_with([S + "a", S + "b", S + "x"]))
    assert profile.uris == {S + "a", S + "b"}
    assert profile.credentials == 1
    assert profile.skills[S + "a"].evidence[0].level == 5
    assert service.profile(12345, esco_with([])).skills == {}  # no wallet: an empty profile


def test_occupation_detail_gives_missing_skills_and_next_steps(service: CareersService) -> None:
    offers = [offer for offer in service.offers() if offer.skills]
    assert offers
    taught = sorted(offers[0].skills)
    esco = esco_with([S + "held", *taught])
    detail = service.occupation_detail("target", {S + "held"}, esco)
    assert detail.fit.essential_held == 1
    assert [uri for uri, _, _ in detail.missing] == sorted(taught, key=lambda u: f"skill {u[-6:]}".casefold())
    assert detail.next_steps[0].offer.slug in {o.slug for o in offers if o.skills & set(taught)}
    assert all(step.per_ects is not None for step in detail.next_steps)  # the examples state ECTS or hours
    with pytest.raises(NotFoundError):
        service.occupation_detail("no-such-job", set(), esco)
    issuer_offers = service.offers(organisations=[offers[0].slug.split("-")[0]])
    assert all(set(o.issuers) for o in issuer_offers)


def test_suggest_ranks_filters_and_refuses_bad_input(service: CareersService) -> None:
    found = service.suggest("Students build websites and develop web applications in Python", k=3)
    assert found.skills[0].uri == S + "web"
    assert found.skills[0].matched_label in {"develop web applications", "build websites"}
    assert found.reason is None
    knowledge = service.suggest("develop web applications in Python", k=3, skill_type="knowledge")
    assert [s.uri for s in knowledge.skills] == [S + "py"]
    assert [s.uri for s in service.suggest("work in teams", k=5, collection="green").skills] == []
    assert service.suggest("work in teams", k=5, collection="green").reason == "no skill matched this text"
    with pytest.raises(TextTooLongError):
        service.suggest("a" * 1_000_000)
    for empty in ("", "   ", "\x00\x01\x02", "\u200b\n\t"):
        with pytest.raises(InputError, match=r"empty|no letters"):
            service.suggest(empty)
    with pytest.raises(InputError, match="unknown skill type"):
        service.suggest("teamwork", skill_type="attitude")
    with pytest.raises(InputError, match="unknown collection"):
        service.suggest("teamwork", collection="blue")
    chinese = service.suggest("开发网络应用程序和团队合作")
    assert chinese.skills == ()
    assert "script" in (chinese.reason or "")
    assert "not in 'it'" in (service.suggest("teamwork", language="it").reason or "")
    german = service.suggest("Die Studierenden entwickeln Webanwendungen mit der Sprache und dem Team")
    assert german.skills == ()  # the lexical index matches English words only: says so
    assert german.reason


def test_job_ads_find_skills_and_gaps(service: CareersService) -> None:
    ad = "We are hiring.\n- You build websites for clients\n- You love teamwork\n- Python is a plus"
    analysis = service.job_ad(ad, held=frozenset({S + "team"}))
    found = {s.uri for s in analysis.skills}
    assert {S + "web", S + "team", S + "py"} <= found
    assert [s.uri for s in analysis.held] == [S + "team"]
    assert S + "team" not in {s.uri for s in analysis.gaps}
    with pytest.raises(TextTooLongError):
        service.job_ad("x " * 600_000)
    assert service.job_ad("职位描述：开发网络应用程序").reason


def test_the_demo_learner_holds_three_verified_awards(database: Database, clock: FixedClock) -> None:
    from cairn.bootstrap import build, demo_catalog_path
    from cairn.services.demo.instance import DEMO_LEARNER_EMAIL, seed_demo, seed_demo_learner
    from cairn.settings import Settings

    settings = Settings(database_url="sqlite://", secret_key="d" * 48, base_url="http://127.0.0.1:8000")
    container = build(settings, clock=clock, database=database)
    seed_demo(
        catalog=container.catalog, accounts=container.accounts, catalogue_path=demo_catalog_path(), demo_token=None
    )
    seed = functools.partial(
        seed_demo_learner, accounts=container.accounts, issuing=container.issuing, wallet=container.wallet
    )
    assert seed() == 3
    assert seed() == 0  # idempotent
    learner = container.accounts.find_account(DEMO_LEARNER_EMAIL)
    assert learner is not None
    assert {item.status for item in container.wallet.list(learner.id)} == {"valid"}
    profile = container.careers.profile(learner.id, esco_with([]))
    assert len(profile.skills) >= 4
    assert profile.credentials == 3


def test_job_ad_threshold_drops_weak_matches(service: CareersService) -> None:
    class Full:
        """A stand-in full index: fixed suggestions per sentence, as the encoder index gives."""

        encoder = object()
        language = "en"

        def labels_of(self, uri: str) -> tuple[str, ...]:
            return ()

        def common_stems(self) -> frozenset[str]:
            return frozenset()

        def suggest(self, text: str, *, k: int) -> list[Suggestion]:
            strong = Suggestion(S + "py", "Python", 0.62, "Python")
            weak = Suggestion(S + "office", "manage office", 0.21, "manage office")
            return [strong, weak] if "Python" in text else [weak]

    service._index = Full()  # type: ignore[assignment]
    ad = "You write Python every day.\nYou will manage a nice office."
    assert [s.uri for s in service.job_ad(ad).skills] == [S + "py"]
    assert {s.uri for s in service.job_ad(ad, min_score=0.0).skills} == {S + "py", S + "office"}
    noise = service.job_ad("You will manage a nice office.")
    assert noise.skills == []
    assert noise.reason == "no skill matched this advertisement"


def test_job_ads_name_only_skills_the_text_supports(service: CareersService) -> None:
    """Issue #20: a data analyst ad that says "SQL" and "statistics" was said to match "medical statistics" and
    "SQL Server": the sentence encoder finds neighbours the ad never names. A skill is kept only when every
    word of one of its labels (but generic verbs such as "use", "perform") is in the sentence; the words that
    matched are given."""

    class Full:
        """A stand-in full index suggesting, as the sentence encoder did, near neighbours above the threshold."""

        encoder = object()
        language = "en"
        by_word: ClassVar[dict[str, list[Suggestion]]] = {
            "sql": [
                Suggestion(S + "sqlserver", "SQL Server", 0.74, "SQL Server"),
                Suggestion(S + "sql", "SQL", 0.71, "SQL"),
            ],
            "statistics": [
                Suggestion(S + "medstat", "medical statistics", 0.69, "medical statistics"),
                Suggestion(S + "stat", "apply statistical analysis techniques", 0.55, "statistics"),
            ],
            "python": [Suggestion(S + "py", "Python (computer programming)", 0.8, "Python (computer programming)")],
            "reports": [Suggestion(S + "report", "write work-related reports", 0.6, "write work-related reports")],
        }

        def suggest(self, text: str, *, k: int) -> list[Suggestion]:
            return [s for word, found in self.by_word.items() if word in text.casefold() for s in found][:k]

        def labels_of(self, uri: str) -> tuple[str, ...]:
            labels = {S + "stat": ("apply statistical analysis techniques", "statistics", "use statistics")}
            return labels.get(uri, ("write work-related reports", "reports") if uri == S + "report" else ())

        def common_stems(self) -> frozenset[str]:
            return frozenset({"report", "data"})  # found in many skills' labels

    service._index = Full()  # type: ignore[assignment]
    ad = (
        "We are looking for a data analyst to join our team.\n"
        "- Strong SQL skills\n"
        "- Good knowledge of statistics\n"
        "- Experience with Python\n"
        "- You write clear reports"
    )
    found = {s.label: s for s in service.job_ad(ad).skills}
    assert "SQL Server" not in found
    assert "medical statistics" not in found
    assert set(found) == {"SQL", "apply statistical analysis techniques", "Python (computer programming)"}
    assert found["SQL"].words == ("SQL",)
    assert found["apply statistical analysis techniques"].words == ("statistics",)
    assert found["Python (computer programming)"].words == ("Python",)  # the qualifier in brackets need not be
