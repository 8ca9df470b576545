"""Careers over ESCO: skills found in OB 3.0 and ELM credentials, the profile and its hierarchy, occupations
ranked by fit, missing skills, next steps per ECTS, job-ad aggregation; and the real release (its speed:
bench/careers.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from cairn.services.demo.instance import DEMO_LEARNER_AWARDS
from cairn.skills.careers import (
    COVERAGE_ONLY,
    HOURS_PER_ECTS,
    OPTIONAL_WEIGHT,
    HeldCredential,
    OccupationMatrix,
    Offer,
    build_profile,
    credential_level,
    credential_skills,
    missing_essential,
    occupation_by_key,
    occupation_matrix,
    offers_covering,
    rank_next_steps,
    search_occupations,
)
from cairn.skills.esco import EscoData, Labels, Occupation, OccupationSkill, Skill, SkillGroup, load_esco
from cairn.skills.jobs import aggregate_job_skills, sentences, support

S = "http://data.europa.eu/esco/skill/"
OCC = "http://data.europa.eu/esco/occupation/"


def small_esco() -> EscoData:
    """Two pillars, groups under them, five skills, three occupations (one with Polish labels)."""

    def skill(sid: str, label: str, kind: str, broader: str, pl: str | None = None) -> Skill:
        labels = {"en": Labels(label)} | ({"pl": Labels(pl)} if pl else {})
        return Skill(S + sid, kind, "cross-sector", labels, broader=(S + broader,))

    groups = {
        S + "pillar-s": SkillGroup(S + "pillar-s", "S", {"en": Labels("skills")}),
        S + "s1": SkillGroup(S + "s1", "S1", {"en": Labels("communication")}, broader=(S + "pillar-s",)),
        S + "s1.1": SkillGroup(S + "s1.1", "S1.1", {"en": Labels("presenting")}, broader=(S + "s1",)),
        S + "pillar-k": SkillGroup(S + "pillar-k", "K", {"en": Labels("knowledge")}),
        S + "k06": SkillGroup(S + "k06", "06", {"en": Labels("ICT")}, broader=(S + "pillar-k",)),
    }
    skills = {
        s.uri: s
        for s in (
            skill("present", "present reports", "skill/competence", "s1.1", pl="przedstawiać raporty"),
            skill("write", "write reports", "skill/competence", "s1"),
            skill("python", "Python (computer programming)", "knowledge", "k06"),
            skill("sql", "SQL", "knowledge", "k06"),
            skill("narrow-sql", "PostgreSQL", "knowledge", "sql"),  # under a skill, not a group
            skill("bake", "bake bread", "skill/competence", "pillar-s"),
        )
    }
    occupations = {
        OCC + "analyst": Occupation(
            OCC + "analyst",
            "2511",
            "2511.1",
            {"en": Labels("data analyst", ("data specialist",)), "pl": Labels("analityk danych")},
        ),
        OCC + "baker": Occupation(OCC + "baker", "7512", "7512.1", {"en": Labels("baker")}),
        OCC + "reporter": Occupation(OCC + "reporter", "2642", "2642.1", {"en": Labels("report writer")}),
    }
    relations = (
        OccupationSkill(OCC + "analyst", S + "python", "essential"),
        OccupationSkill(OCC + "analyst", S + "sql", "essential"),
        OccupationSkill(OCC + "analyst", S + "present", "optional"),
        OccupationSkill(OCC + "analyst", S + "write", "optional"),
        OccupationSkill(OCC + "baker", S + "bake", "essential"),
        OccupationSkill(OCC + "reporter", S + "write", "essential"),
        OccupationSkill(OCC + "reporter", S + "present", "essential"),
    )
    return EscoData(
        version="test",
        languages=("en", "pl"),
        skills=skills,
        skill_groups=groups,
        occupations=occupations,
        occupation_skills=relations,
    )


def ob3(skills: list[str], *, eqf: int | None = 6) -> dict[str, object]:
    """An OB 3.0 credential as Cairn writes it (ESCO and EQF alignments)."""
    alignment = [{"type": ["Alignment"], "targetUrl": uri, "targetType": "ext:ESCOSkill"} for uri in skills]
    if eqf is not None:
        eqf_uri = f"http://data.europa.eu/snb/eqf/{eqf}"
        alignment.append({"type": ["Alignment"], "targetUrl": eqf_uri, "targetType": "ext:EQFLevel"})
    achievement: dict[str, object] = {"type": ["Achievement"], "alignment": alignment}
    return {"type": ["VerifiableCredential"], "credentialSubject": {"achievement": achievement}}


def test_awards_cairn_issued_before_issue_12_give_their_level_and_skills() -> None:
    outcome = {"type": ["LearningOutcome"], "outcomeStatement": "x", "relatedESCOSkill": [S + "python"]}
    old = {"learningOutcome": [outcome], "eqfLevel": "http://data.europa.eu/snb/eqf/4"}
    document = {"credentialSubject": {"achievement": old}}
    assert credential_level(document) == 4
    assert credential_skills(document) == (S + "python",)


def held(cid: str, document: dict[str, object], issuer: str = "UM", day: int = 1) -> HeldCredential:
    return HeldCredential(
        cid, f"Credential {cid}", issuer, f"did:web:{issuer}", datetime(2026, 1, day, tzinfo=UTC), document
    )


def test_skills_and_level_are_found_in_ob3_and_elm(test_data: Path) -> None:
    document = ob3([S + "python", S + "sql"], eqf=5)
    assert credential_skills(document) == (S + "python", S + "sql")
    assert credential_level(document) == 5
    elm_path = next((test_data / "elm").rglob("Sample-MC-Annex1-unsigned.jsonld"))
    elm = json.loads(elm_path.read_text(encoding="utf-8"))
    found = credential_skills(elm)
    assert S + "5fd5c985-eaaa-47aa-8314-62359c54505a" in found
    assert len(found) == 4
    assert all(uri.startswith(S) for uri in found)  # not the concept scheme, not DigComp
    assert credential_level(elm) == 6


def test_odd_documents_give_nothing_not_an_error() -> None:
    assert credential_skills({}) == ()
    assert credential_skills({"credentialSubject": "text"}) == ()
    assert credential_level({"credentialSubject": {"eqfLevel": "http://data.europa.eu/snb/eqf/9"}}) is None
    deep: dict[str, object] = {"x": S + "deep"}
    for _ in range(50):
        deep = {"n": deep}
    assert credential_skills({"credentialSubject": deep}) == ()  # deeper than the walk goes
    # skills outside credentialSubject (an evidence section, say) are not claims
    assert credential_skills({"evidence": [S + "python"], "credentialSubject": {}}) == ()


def test_profile_gathers_evidence_and_groups_by_hierarchy() -> None:
    esco = small_esco()
    profile = build_profile(
        esco,
        [
            held("a", ob3([S + "python", S + "present"]), "UM", day=2),
            held("b", ob3([S + "python", S + "narrow-sql", S + "unknown-x"], eqf=None), "SB", day=1),
            held("c", {"credentialSubject": {"achievement": {"name": "no skills"}}}, "SB"),
        ],
    )
    assert profile.credentials == 3
    assert profile.issuers == 2
    assert profile.without_skills == ("Credential c",)
    python = profile.skills[S + "python"]
    assert [(e.credential_id, e.issuer, e.level) for e in python.evidence] == [("b", "SB", None), ("a", "UM", 6)]
    groups = {g.label: [s.label for s in g.skills] for g in profile.groups}
    # level-1 groups under each pillar; PostgreSQL climbs through its broader skill to ICT
    assert groups == {
        "ICT": ["PostgreSQL", "Python (computer programming)"],
        "communication": ["present reports"],
        "": ["unknown-x"],
    }
    assert profile.groups[-1].uri == ""  # the skills outside the hierarchy come last
    assert not profile.skills[S + "unknown-x"].known
    assert build_profile(esco, [held("a", ob3([S + "present"]))], language="pl").skills[S + "present"].label == (
        "przedstawiać raporty"
    )


def test_the_former_scoring_ranks_by_weighted_coverage() -> None:
    """COVERAGE_ONLY (the score before issue #20, kept for bench/occupations_eval.py): essential skills held
    plus a quarter of the optional ones, over the same for the occupation."""
    esco = small_esco()
    matrix = OccupationMatrix(esco, COVERAGE_ONLY)
    ranked = matrix.rank({S + "python", S + "present"})
    assert [f.label for f in ranked] == ["data analyst", "report writer"]
    analyst, reporter = ranked
    expected = (1 + OPTIONAL_WEIGHT * 1) / (2 + OPTIONAL_WEIGHT * 2)
    assert analyst.fit == pytest.approx(expected, abs=1e-4)
    assert (analyst.essential_held, analyst.essential_total, analyst.optional_held) == (1, 2, 1)
    assert analyst.essential_coverage == 0.5
    assert reporter.essential_coverage == 0.5
    assert reporter.fit == 0.5
    assert matrix.rank(set()) == []
    assert matrix.rank({S + "nothing"}) == []
    assert matrix.rank({S + "bake"}, limit=1)[0].fit == 1.0
    assert matrix.fit_of(OCC + "baker", {S + "python"}).fit == 0.0


def test_occupations_rank_by_fit_both_ways() -> None:
    esco = small_esco()
    matrix = occupation_matrix(esco)
    assert occupation_matrix(esco) is matrix  # built once per release
    ranked = matrix.rank({S + "python", S + "sql", S + "present"})
    assert [f.label for f in ranked] == ["data analyst", "report writer"]
    analyst, reporter = ranked
    assert (analyst.essential_held, analyst.essential_total, analyst.optional_held) == (2, 2, 1)
    assert analyst.uses == 1.0  # the analyst lists all three skills
    assert 0 < reporter.uses < 0.5  # the report writer one of three
    assert 0 < reporter.fit < analyst.fit <= 1
    assert matrix.rank(set()) == []
    assert matrix.rank({S + "nothing"}) == []
    baker = matrix.rank({S + "bake"}, limit=1)[0]
    assert (baker.label, baker.uses) == ("baker", 1.0)
    assert baker.fit < 1.0  # one skill of one is not a certainty: the occupation's size is smoothed
    assert matrix.fit_of(OCC + "baker", {S + "python"}).fit == 0.0
    assert matrix.fit_of(OCC + "analyst", {S + "python", S + "sql", S + "present"}) == analyst
    assert missing_essential(matrix, OCC + "analyst", {S + "python"}) == [(S + "sql", "SQL", "en")]
    assert matrix.rank({S + "python"}, language="pl")[0].label == "analityk danych"
    with pytest.raises(KeyError):
        matrix.fit_of(OCC + "astronaut", {S + "python"})


def _many(esco: EscoData, name: str, essential: Sequence[str], optional: Sequence[str] = ()) -> EscoData:
    """``esco`` with one more occupation ``name`` (its skills are made up as needed)."""
    skills = dict(esco.skills)
    for uri in (*essential, *optional):
        skills.setdefault(uri, Skill(uri, "knowledge", "", {"en": Labels(uri.rsplit("/", 1)[-1])}))
    relations = (
        *esco.occupation_skills,
        *(OccupationSkill(OCC + name, uri, "essential") for uri in essential),
        *(OccupationSkill(OCC + name, uri, "optional") for uri in optional),
    )
    occupations = {**esco.occupations, OCC + name: Occupation(OCC + name, "9999", "9999.1", {"en": Labels(name)})}
    return replace(esco, skills=skills, occupations=occupations, occupation_skills=relations)


def test_a_few_skills_do_not_put_a_narrow_occupation_first() -> None:
    """Issue #20: one skill shared with an occupation of two made it first under the former score; the score
    now weighs the occupation's size (smoothed) and how many of the learner's skills it uses."""
    esco = small_esco()
    common = [S + f"common-{i}" for i in range(30)]
    for i in range(20):  # skills many occupations ask for
        esco = _many(esco, f"filler-{i}", common[: 10 + i % 5])
    esco = _many(esco, "narrow", [S + "pandas", S + "x-ray"])
    own = [S + f"sc-{i}" for i in range(6)]
    esco = _many(esco, "scientist", [S + "pandas", S + "spark", S + "stats", *common[:3], *own])
    profile = {S + "pandas", S + "spark", S + "stats", S + "present"}
    assert OccupationMatrix(esco, COVERAGE_ONLY).rank(profile, limit=1)[0].label == "narrow"  # the defect
    ranked = [f.label for f in occupation_matrix(esco).rank(profile)]
    assert ranked[0] == "scientist"
    assert ranked.index("narrow") > ranked.index("scientist")


def test_a_specific_skill_weighs_more_than_a_common_one() -> None:
    esco = small_esco()
    common = S + "common"
    for i in range(10):
        esco = _many(esco, f"filler-{i}", [common, S + f"own-{i}"])
    esco = _many(esco, "with-common", [common, S + "a", S + "b"])
    esco = _many(esco, "with-rare", [S + "rare", S + "c", S + "d"])
    matrix = occupation_matrix(esco)
    assert matrix.weights[S + "rare"] > matrix.weights[common]
    fits = {f.label: f for f in matrix.rank({common, S + "rare"}, limit=50)}
    assert fits["with-rare"].fit > fits["with-common"].fit
    assert fits["with-common"].essential_held == fits["with-rare"].essential_held == 1


def test_occupations_are_found_by_key_and_words() -> None:
    esco = small_esco()
    assert occupation_by_key(esco, "analyst") is esco.occupations[OCC + "analyst"]
    assert occupation_by_key(esco, OCC + "baker") is esco.occupations[OCC + "baker"]
    assert occupation_by_key(esco, "7512.1") is esco.occupations[OCC + "baker"]
    assert occupation_by_key(esco, "nope") is None
    assert [o.uri for o in search_occupations(esco, "DATA")] == [OCC + "analyst"]
    assert [o.uri for o in search_occupations(esco, "specialist")] == [OCC + "analyst"]  # an alternative label
    assert [o.uri for o in search_occupations(esco, "analityk", language="pl")] == [OCC + "analyst"]
    assert search_occupations(esco, "   ") == []
    assert search_occupations(esco, "analityk") == []


def test_next_steps_rank_by_coverage_per_ects() -> None:
    offers = [
        Offer("big", "Big", ("UM",), frozenset({S + "a", S + "b", S + "c"}), ects=10),  # 0.3 per ECTS
        Offer("small", "Small", ("UM",), frozenset({S + "a"}), ects=2),  # 0.5
        Offer("hours", "Hours", ("SB",), frozenset({S + "a", S + "b"}), hours=50),  # 2 ECTS from hours: 1.0
        Offer("none", "No workload", ("SB",), frozenset({S + "a", S + "b", S + "c"})),
        Offer("other", "Other", ("SB",), frozenset({S + "z"}), ects=1),
    ]
    steps = rank_next_steps({S + "a", S + "b", S + "c"}, offers)
    assert [s.offer.slug for s in steps] == ["hours", "small", "big", "none"]
    assert steps[0].credits == 50 / HOURS_PER_ECTS
    assert steps[0].credits_basis == "hours"
    assert steps[0].per_ects == 1.0
    assert steps[0].covers == (S + "a", S + "b")
    assert steps[-1].per_ects is None
    assert steps[-1].credits_basis == "unknown"
    assert rank_next_steps(set(), offers) == []
    assert len(rank_next_steps({S + "a"}, offers, limit=2)) == 2
    assert [o.slug for o, _ in offers_covering({S + "a", S + "c"}, offers)] == ["big", "none", "hours", "small"]


def test_job_ads_split_into_sentences_and_merge() -> None:
    ad = "We look for a data analyst.\n- Python and SQL\n• present reports to clients; x\n\n\n"
    assert sentences(ad) == ["We look for a data analyst.", "Python and SQL", "present reports to clients;"]
    assert len(sentences("word. " * 500)) == 80
    merged = aggregate_job_skills(
        [
            [(S + "py", "Python", 0.9, "Python", ("Python",))],
            [(S + "sql", "SQL", 1.2, "SQL", ("SQL",)), (S + "py", "Python", 0.5, "py", ("python", "py"))],
        ]
    )
    assert [(s.uri, s.mentions, s.score) for s in merged] == [(S + "py", 2, 0.9), (S + "sql", 1, 1.2)]
    assert merged[0].words == ("Python", "py")  # the words of every sentence, each once


def test_a_skill_is_supported_by_every_word_of_one_of_its_labels() -> None:
    assert support("Strong SQL skills", ["SQL Server"]) == ()
    assert support("Strong SQL skills", ["SQL Server", "SQL"]) == ("SQL",)
    assert support("Good knowledge of statistics", ["medical statistics"]) == ()
    assert support("You apply statistical methods", ["use statistical methods"]) == ("statistical", "methods")
    assert support("Experience with Python", ["Python (computer programming)"]) == ("Python",)
    assert support("Reports are analysed daily", ["analyse reports"]) == ("Reports", "analysed")
    assert support("We use tools", ["use", "perform"]) == ()  # generic words alone support nothing
    assert support("", ["SQL"]) == ()
    assert support("Clear reports", ["write work-related reports", "reports"], common={"report"}) == ()
    assert support("Reports", ["reports", "news reports"], common={"report"}) == ("Reports",)  # preferred label


@pytest.fixture(scope="module")
def real_esco(shared_data: Path) -> EscoData:
    return load_esco(shared_data / "esco" / "v1.1.1" / "en")


@pytest.mark.slow
def test_ranking_the_real_release(real_esco: EscoData) -> None:
    """What the ranking returns on the whole release; how fast it is, ``bench/careers.py`` measures."""
    matrix = occupation_matrix(real_esco)
    assert len(matrix) > 2900
    assert len(real_esco.occupation_skills) > 100_000
    developer = next(o for o in real_esco.occupations.values() if o.labels["en"].preferred == "software developer")
    skills = sorted(matrix.essential[developer.uri])[:8]
    ranked = matrix.rank(skills, limit=20)
    assert len(ranked) == 20
    assert developer.uri in {f.uri for f in ranked}
    assert matrix.rank(skills, limit=20) == ranked  # the same answer every time
    profile = build_profile(real_esco, [held("a", ob3(skills))])
    assert all(group.label for group in profile.groups)  # every real skill sits in the hierarchy


DEMO_CATALOGUE = Path(__file__).resolve().parents[2] / "src" / "cairn" / "demo" / "catalog" / "micro-credentials"
#: ISCO-08 unit groups of data work: statisticians and mathematicians (2120), systems analysts (2511: data
#: analyst, data scientist), software and applications developers and analysts n.e.c. (2519: data quality
#: specialist), database designers and administrators (2521), database and network professionals n.e.c.
#: (2529: data warehouse, big data roles) and statistical assistants (3314).
DATA_GROUPS = {"2120", "2511", "2519", "2521", "2529", "3314"}


@pytest.mark.slow
def test_the_demo_learners_first_occupations_are_data_occupations(real_esco: EscoData) -> None:
    """Issue #20: the demo learner (Python, SQL and cloud micro-credentials) was shown "predictive maintenance
    expert" first, "mud logger" and "air traffic manager" in the list and "data analyst" tenth."""
    skills: set[str] = set()
    for slug in DEMO_LEARNER_AWARDS:
        definition = yaml.safe_load((DEMO_CATALOGUE / f"{slug}.yaml").read_text(encoding="utf-8"))
        skills.update(uri for outcome in definition["learning_outcomes"] for uri in outcome["esco_skills"])
    assert len(skills) == 10
    ranked = occupation_matrix(real_esco).rank(skills, limit=25)
    assert [f.isco_group for f in ranked[:4]] == [f.isco_group for f in ranked[:4] if f.isco_group in DATA_GROUPS]
    assert sum(f.isco_group in DATA_GROUPS for f in ranked[:10]) >= 7
    labels = [f.label for f in ranked]
    assert not {"predictive maintenance expert", "mud logger", "air traffic manager"} & set(labels[:10])
    assert "data analyst" in labels[:10]
    assert "database developer" in labels[:5]


def test_a_narrower_skill_covers_the_broader_one_an_occupation_asks_for() -> None:
    def skill(uri: str, label: str, broader: tuple[str, ...] = ()) -> Skill:
        return Skill(S + uri, "knowledge", "", {"en": Labels(label)}, broader=broader)

    esco = EscoData(
        version="test",
        languages=("en",),
        skills={
            S + "query": skill("query", "query languages"),
            S + "sql": skill("sql", "SQL", broader=(S + "query",)),
            S + "stats": skill("stats", "statistics"),
        },
        occupations={"occ:analyst": Occupation("occ:analyst", "2511", "2511.1", {"en": Labels("data analyst")})},
        occupation_skills=(
            OccupationSkill("occ:analyst", S + "query", "essential"),
            OccupationSkill("occ:analyst", S + "stats", "essential"),
        ),
    )
    matrix = OccupationMatrix(esco)
    assert matrix.covered([S + "sql"]) == {S + "sql", S + "query"}
    [fit] = matrix.rank([S + "sql"])
    assert (fit.essential_held, fit.essential_total) == (1, 2)
    assert [uri for uri, _, _ in missing_essential(matrix, "occ:analyst", [S + "sql"])] == [S + "stats"]
    assert matrix.rank([S + "query"])[0].essential_held == 1  # the broader skill does not cover a narrower one
    assert matrix.covered([S + "query"]) == {S + "query"}
