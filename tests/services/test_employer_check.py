"""An employer checks a candidate's presentation against its job profile (issue #16 point 4), on SQLite and
PostgreSQL: the demo academy's profile "Data analyst, offshore wind operations" and its rules. Per required skill,
the verified credentials of the holder's that cover it; someone else's or a tampered credential never covers
anything; the check challenge is used once, only for its rules and never to apply (nor an application's to check);
nothing but the audit entry is stored."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import select

from cairn.bootstrap import Container
from cairn.errors import InputError, NotFoundError
from cairn.model.awards import Recipient
from cairn.services.recognition.service import RecognitionService
from cairn.store.tables import AuditEntry
from tests.factories import HOLDER_DID, present

EMPLOYER = "baltyk-energia-akademia"
UM = "uniwersytet-mazowiecki"
PROFILE = "bea-offshore-data-analyst"
RULES = "bea-offshore-data-analyst-micro"
SKILL = "http://data.europa.eu/esco/skill/"
PYTHON_SKILLS = {
    SKILL + "ccd0a1d9-afda-43d9-b901-96344886e14d",
    SKILL + "2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f",
    SKILL + "97bd1c21-66b2-4b7e-ad0f-e3cda590e378",
    SKILL + "9ff9db9d-d14b-426e-83f3-e7449af6c79f",
}
SQL_SKILLS = {SKILL + "598de5b0-5b58-4ea7-8058-a4bc4d18c742", SKILL + "fbafa41f-cd05-4109-a649-8b44d306d779"}
TURBINES = SKILL + "52242966-692f-4a4f-8279-cadbc7874183"


def _award(container: Container, slug: str, holder: str = HOLDER_DID) -> dict[str, Any]:
    result = container.issuing.award(slug, Recipient(did=holder, name="Ada Nowak"), actor="t", organisation=UM)
    credential = container.issuing.get(result.award_id, organisation=UM).credential
    assert isinstance(credential, dict)
    return credential


def _check(recognition: RecognitionService, credentials: list[Any], rules: str = RULES) -> Any:
    challenge = recognition.challenge(rules, purpose="check")
    presentation = present(credentials, challenge, recognition.domain)
    return recognition.check_presentation(rules, presentation, challenge, organisation=EMPLOYER, actor="hr@bea")


def _checks(container: Container) -> list[AuditEntry]:
    with container.database.transaction() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "recognition.check")))


def test_the_demo_publishes_a_job_profile_and_its_rules(container: Container) -> None:
    view = container.recognition.store.rules(RULES)
    assert (view.stored.organisation, view.course.course.type) == (EMPLOYER, "job-profile")
    assert set(view.course.course.skills) == PYTHON_SKILLS | SQL_SKILLS | {TURBINES}
    assert view.rules.outcome.review == "reviewer"


def test_each_required_skill_is_covered_by_a_verified_credential_or_missing(container: Container) -> None:
    python, sql = _award(container, "um-python-data-analysis"), _award(container, "um-sql-databases")
    checked = _check(container.recognition, [python, sql])
    assert checked.holder == HOLDER_DID
    assert (checked.course, checked.course_type, checked.institution) == (PROFILE, "job-profile", EMPLOYER)
    assert [c.status for c in checked.credentials] == ["valid", "valid"]
    assert all(c.verified and c.vouched and c.counted for c in checked.credentials)
    by_skill = {s.skill: s.credentials for s in checked.skills}
    assert [s.skill for s in checked.skills] == list(container.recognition.store.rules(RULES).course.course.skills)
    assert {s for s, c in by_skill.items() if c == (python["id"],)} == PYTHON_SKILLS
    assert {s for s, c in by_skill.items() if c == (sql["id"],)} == SQL_SKILLS
    assert checked.missing == (TURBINES,)
    assert (checked.met, checked.decision) == (True, "full")  # 6 of 7 skills: 86% >= 80%
    assert "recognised" in str(checked.explanation)
    assert container.recognition.queue(EMPLOYER) == []  # nothing applied, nothing stored
    [entry] = _checks(container)
    assert (entry.actor, entry.details["holder"], entry.details["decision"]) == ("hr@bea", HOLDER_DID, "full")
    alone = _check(container.recognition, [python])  # 4 of 7: the rules are not met, and say why
    assert (alone.met, alone.decision) == (False, "none")
    assert set(alone.missing) == SQL_SKILLS | {TURBINES}
    assert any(not c.met for c in alone.conditions)


def test_someone_elses_credential_covers_nothing(container: Container) -> None:
    theirs = _award(container, "um-python-data-analysis", holder="did:key:z6MkhSomeoneElseEntirely")
    sql = _award(container, "um-sql-databases")
    checked = _check(container.recognition, [theirs, sql])
    first, second = checked.credentials
    assert (first.status, first.verified, first.covers, first.counted) == ("about someone else", False, (), False)
    assert second.verified
    assert set(second.covers) == SQL_SKILLS
    assert set(checked.missing) == PYTHON_SKILLS | {TURBINES}
    assert not checked.met


def test_a_tampered_credential_is_reported_as_not_verified_with_why(container: Container) -> None:
    python = _award(container, "um-python-data-analysis")
    tampered = copy.deepcopy(python)
    tampered["credentialSubject"]["achievement"]["name"] = "Data analysis with Python, with distinction"
    checked = _check(container.recognition, [tampered, _award(container, "um-sql-databases")])
    bad = checked.credentials[0]
    assert (bad.status, bad.verified, bad.covers, bad.counted) == ("unverifiable", False, (), False)
    assert bad.reason  # the failed check's own words
    assert set(checked.missing) == PYTHON_SKILLS | {TURBINES}


def test_a_check_challenge_is_used_once_for_its_rules_and_never_to_apply(container: Container) -> None:
    recognition = container.recognition
    held = [_award(container, "um-python-data-analysis")]
    challenge = recognition.challenge(RULES, purpose="check")
    presentation = present(held, challenge, recognition.domain)
    recognition.check_presentation(RULES, presentation, challenge)
    with pytest.raises(InputError, match="used already"):  # replayed
        recognition.check_presentation(RULES, presentation, challenge)
    other = recognition.challenge("um-cloud-programming-micro", purpose="check")  # another rules' challenge
    with pytest.raises(InputError, match="other rules"):
        recognition.check_presentation(RULES, present(held, other, recognition.domain), other)
    fresh = recognition.challenge(RULES, purpose="check")
    with pytest.raises(InputError, match="other rules"):  # a check's challenge never applies
        recognition.apply_with_presentation(RULES, present(held, fresh, recognition.domain), fresh)
    applying = recognition.challenge(RULES)
    with pytest.raises(InputError, match="other rules"):  # nor an application's checks
        recognition.check_presentation(RULES, present(held, applying, recognition.domain), applying)
    sent = recognition.challenge(RULES, purpose="check")
    with pytest.raises(InputError, match="does not verify"):  # bound to another challenge than the one sent
        recognition.check_presentation(RULES, present(held, fresh, recognition.domain), sent)
    assert len(_checks(container)) == 1
    with pytest.raises(NotFoundError):  # the university does not check against the academy's profile
        recognition.check_presentation(RULES, presentation, fresh, organisation=UM)
    assert recognition.check_presentation(RULES, present(held, fresh, recognition.domain), fresh).holder == HOLDER_DID
