"""Recognition end to end in the services, on SQLite and PostgreSQL: an institution's course and rules saved and
versioned, applications from the wallet and with a presentation, automatic decisions, precedents, the reviewer's
decisions with substantial differences, requests for information, appeals, the decision credential verified, and
hostile input refused without a wrong decision."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cairn.bootstrap import Container
from cairn.errors import CatalogError, ConflictError, InputError, NotFoundError, PermissionDeniedError
from cairn.formats.ob3 import CONTEXTS
from cairn.model.awards import Recipient
from cairn.store.tables import AuditEntry
from cairn.vc import issue
from tests.factories import (
    HOLDER_DID,
    HOLDER_KEY,
    FixedClock,
    present,
    recognition_course,
    recognition_rules,
    wallet_holder,
)

UM, SB = "uniwersytet-mazowiecki", "skillbridge-europe"
PYTHON = "um-python-data-analysis"
COURSE = recognition_course()


_rules = recognition_rules

AUTO, REVIEWED = "um-da-automatic", "um-da-reviewed"


@pytest.fixture
def rec(container: Container) -> Container:
    store = container.recognition.store
    assert store.save(COURSE, organisation=UM, actor="registrar") == ("created", 1)
    store.save(_rules(AUTO, "automatic"), organisation=UM, actor="registrar")
    store.save(_rules(REVIEWED), organisation=UM, actor="registrar")
    return container


_holder = wallet_holder


def _actions(container: Container, subject: str) -> list[str]:
    with container.database.transaction() as session:
        query = select(AuditEntry.action).where(AuditEntry.subject == subject).order_by(AuditEntry.id)
        return list(session.scalars(query))


def _credential(container: Container, award_id: str | None) -> dict[str, Any]:
    assert award_id
    credential = container.issuing.get(award_id).credential
    assert isinstance(credential, dict)
    return credential


# -- documents ---------------------------------------------------------------------------------------------------


def test_courses_and_rules_are_checked_versioned_and_saved_only_by_their_institution(rec: Container) -> None:
    store = rec.recognition.store
    assert store.save(COURSE, actor="registrar") == ("unchanged", 1)
    assert store.save({**COURSE, "hours": 125}, actor="registrar") == ("new-version", 2)
    assert store.versions("course", "um-data-analysis") == [1, 2]
    with pytest.raises(PermissionDeniedError):
        store.save(_rules("theirs"), organisation=SB, actor="someone")
    with pytest.raises(CatalogError) as caught:
        store.save({**_rules("broken"), "course": "no-such-course"}, actor="registrar")
    assert [p.path for p in caught.value.problems] == ["course"]
    with pytest.raises(CatalogError) as caught:  # the engine's own problems, by path
        store.save(_rules("tiers", partial=[{"skills_coverage": 0.9, "ects": 7}]), actor="registrar")
    assert {p.path for p in caught.value.problems} >= {"outcome.partial[0].ects"}
    accepted = _rules("accepting")
    accepted["conditions"] = {**accepted["conditions"], "accepted": {"definitions": ["no-such-thing"]}}
    with pytest.raises(CatalogError) as caught:
        store.save(accepted, actor="registrar")
    assert [p.path for p in caught.value.problems] == ["conditions.accepted.definitions[0]"]
    with pytest.raises(CatalogError) as caught:  # rules for another institution's course
        store.save({**_rules("sb-rules"), "institution": SB}, organisation=SB, actor="x")
    assert [p.path for p in caught.value.problems] == ["institution"]
    listed = [r.slug for r in store.all_rules(organisation=UM)]
    assert listed == sorted([AUTO, REVIEWED, "um-cloud-programming-micro"])  # the example catalogue's own, too


def test_the_catalogue_imports_courses_and_rules(container: Container, tmp_path: Path) -> None:
    import yaml

    (tmp_path / "course.yaml").write_text(yaml.safe_dump(COURSE))
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(_rules(AUTO, "automatic")))
    result = container.catalog.import_paths([tmp_path])
    assert result.recognition["created"] == 2
    assert "courses and recognition rules" in result.summary()
    assert container.recognition.store.rules(AUTO).course.course.id == "um-data-analysis"
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump({**_rules("bad"), "outcome": {"review": "sometimes"}}))
    with pytest.raises(CatalogError) as caught:
        container.catalog.import_paths([tmp_path])
    assert [p.path for p in caught.value.problems] == ["outcome.review"]


# -- applying from the wallet ------------------------------------------------------------------------------------


def test_automatic_recognition_from_the_wallet_issues_a_decision_credential_that_verifies(rec: Container) -> None:
    account, ids = _holder(rec, [PYTHON, "sb-cyber-security-essentials"])
    application = rec.recognition.apply_from_wallet(account, AUTO, ids)
    assert (application.state, application.decision, application.ects) == ("automatic-decided", "full", 5.0)
    assert application.automatic
    counted = [p for p in application.presented if p.counted]
    assert len(counted) == 1
    assert counted[0].digest.startswith("sha384-")
    credential = _credential(rec, application.award_id)
    assert credential["@context"] == list(CONTEXTS)  # VC 2.0 and OB 3.0 only
    subject = credential["credentialSubject"]
    assert subject["creditsEarned"] == 5.0
    assert subject["result"][0]["value"] == "full"
    assert subject["achievement"]["achievementType"] == "ext:Recognition"
    codes = {a["targetType"]: a["targetCode"] for a in subject["achievement"]["alignment"]}
    assert codes == {"ext:Course": "um-data-analysis", "ext:RecognitionRules": f"{AUTO}@1"}
    assert [e["id"] for e in credential["evidence"]] == [counted[0].id]
    assert credential["relatedResource"] == [
        {"id": counted[0].id, "digestSRI": counted[0].digest, "mediaType": "application/vc"}
    ]
    report = rec.verification.verify(credential)
    assert report.verified, [(c.name, c.reason) for c in report.checks]
    assert any("Recognition" in item.title for item in rec.wallet.list(account))  # it went into the wallet
    again = rec.recognition.apply_from_wallet(account, AUTO, ids)  # the same evidence: the same application
    assert again.public_id == application.public_id
    actions = _actions(rec, application.public_id)
    assert actions[:3] == ["recognition.apply", "recognition.decide", "recognition.credential"]


def test_a_reviewer_recognises_in_part_stating_the_substantial_differences(rec: Container, clock: FixedClock) -> None:
    account, ids = _holder(rec, [PYTHON])
    recognition = rec.recognition
    application = recognition.apply_from_wallet(account, REVIEWED, ids)
    assert (application.state, application.decision) == ("review", None)
    assert application.deadline == clock() + timedelta(days=30)
    assert [a.public_id for a in recognition.queue(UM)] == [application.public_id]
    assert recognition.queue(SB) == []
    with pytest.raises(NotFoundError):  # another institution's reviewer
        recognition.decide(application.public_id, organisation=SB, decision="full", actor="x")
    with pytest.raises(InputError, match="substantial differences"):
        recognition.decide(application.public_id, organisation=UM, decision="partial", ects=3, actor="reviewer")
    with pytest.raises(InputError):
        recognition.decide(
            application.public_id, organisation=UM, decision="partial", ects=5, differences=["x"], actor="reviewer"
        )
    decided = recognition.decide(
        application.public_id,
        organisation=UM,
        decision="partial",
        ects=3,
        differences=["no statistical modelling in the learning outcomes"],
        actor="reviewer@um",
    )
    assert (decided.state, decided.decision, decided.ects, decided.reviewer) == (
        "decided",
        "partial",
        3.0,
        "reviewer@um",
    )
    assert decided.differences == ("no statistical modelling in the learning outcomes",)
    credential = _credential(rec, decided.award_id)
    assert credential["credentialSubject"]["creditsEarned"] == 3.0
    assert "statistical modelling" in credential["credentialSubject"]["narrative"]
    assert rec.verification.verify(credential).verified
    with pytest.raises(ConflictError):
        recognition.decide(application.public_id, organisation=UM, decision="full", actor="reviewer")
    assert recognition.queue(UM) == []


def test_a_refusal_states_differences_and_issues_nothing(rec: Container) -> None:
    account, ids = _holder(rec, ["um-sql-databases"])
    application = rec.recognition.apply_from_wallet(account, AUTO, ids)
    assert application.state == "review"  # a refusal is never automatic
    assert application.assessment["decision"] == "none"
    assert application.assessment["differences"]
    with pytest.raises(InputError):
        rec.recognition.decide(application.public_id, organisation=UM, decision="refused", actor="r")
    refused = rec.recognition.decide(
        application.public_id, organisation=UM, decision="refused", differences=["other learning outcomes"], actor="r"
    )
    assert (refused.decision, refused.award_id, refused.ects) == ("refused", None, 0.0)


def test_an_appeal_goes_back_to_review_and_a_changed_decision_replaces_the_credential(
    rec: Container, clock: FixedClock
) -> None:
    account, ids = _holder(rec, [PYTHON])
    recognition = rec.recognition
    first = recognition.apply_from_wallet(account, REVIEWED, ids)
    partial = recognition.decide(
        first.public_id, organisation=UM, decision="partial", ects=2, differences=["level"], actor="reviewer"
    )
    old = _credential(rec, partial.award_id)
    with pytest.raises(NotFoundError):  # only the applicant appeals
        recognition.appeal(first.public_id, "unfair", account_id=account + 1000)
    with pytest.raises(InputError):
        recognition.appeal(first.public_id, "  ", account_id=account)
    clock.advance(days=3)
    appealed = recognition.appeal(first.public_id, "the level is the same: EQF 6", account_id=account)
    assert (appealed.state, appealed.decision, appealed.appeals) == ("appealed", "partial", 1)
    assert appealed.deadline == clock() + timedelta(days=30)
    assert [a.public_id for a in recognition.queue(UM)] == [first.public_id]
    full = recognition.decide(first.public_id, organisation=UM, decision="full", actor="appeals-board")
    assert (full.state, full.decision, full.ects) == ("decided", "full", 5.0)
    assert full.award_id != partial.award_id
    assert rec.verification.verify(_credential(rec, full.award_id)).verified
    clock.advance(minutes=5)
    assert not rec.verification.verify(old).verified  # the partial decision's credential is revoked
    with pytest.raises(ConflictError):
        recognition.appeal(first.public_id, "again", account_id=account)
    actions = _actions(rec, first.public_id)
    assert "recognition.appeal" in actions
    assert actions.count("recognition.decide") == 2


def test_a_request_for_information_waits_for_the_learner_and_moves_the_deadline(
    rec: Container, clock: FixedClock
) -> None:
    account, ids = _holder(rec, [PYTHON])
    recognition = rec.recognition
    application = recognition.apply_from_wallet(account, REVIEWED, ids)
    deadline = application.deadline
    assert deadline is not None
    with pytest.raises(ConflictError):
        recognition.respond(application.public_id, "here", account_id=account)
    asked = recognition.request_information(
        application.public_id, organisation=UM, message="send the syllabus", actor="reviewer"
    )
    assert asked.state == "more-info-requested"
    with pytest.raises(ConflictError):
        recognition.decide(application.public_id, organisation=UM, decision="full", actor="reviewer")
    clock.advance(days=4)
    answered = recognition.respond(application.public_id, "https://example.org/syllabus", account_id=account)
    assert answered.state == "review"
    assert answered.deadline == deadline + timedelta(days=4)
    assert [m["kind"] for m in answered.messages] == ["request", "response"]


def test_a_precedent_decides_the_same_evidence_under_the_same_rules_automatically(rec: Container) -> None:
    recognition = rec.recognition
    account, ids = _holder(rec, [PYTHON])
    first = recognition.apply_from_wallet(account, REVIEWED, ids)
    recognition.decide(first.public_id, organisation=UM, decision="full", actor="reviewer")
    other, other_ids = _holder(rec, [PYTHON], email="bo@example.org")
    second = recognition.apply_from_wallet(other, REVIEWED, other_ids)
    assert (second.state, second.decision, second.ects, second.precedent_of) == (
        "automatic-decided",
        "full",
        5.0,
        first.public_id,
    )
    assert rec.verification.verify(_credential(rec, second.award_id)).verified
    # new rules version: no precedent carries over
    rec.recognition.store.save({**_rules(REVIEWED), "title": {"en": "Renamed"}}, actor="registrar")
    third, third_ids = _holder(rec, [PYTHON], email="cy@example.org")
    assert rec.recognition.apply_from_wallet(third, REVIEWED, third_ids).state == "review"
    measures = recognition.measures(UM)
    assert (measures.applications, measures.decided) == (3, 2)
    assert (measures.recognised_share, measures.automatic_share) == (1.0, 0.5)
    assert measures.median_days_to_decision == 0
    assert measures.most_recognised == ((PYTHON, 2),)


def test_a_revoked_credential_does_not_count(rec: Container, clock: FixedClock) -> None:
    account, ids = _holder(rec, [PYTHON])
    item = rec.wallet.get(account, ids[0])
    assert item.award_id
    rec.status_lists.revoke(item.award_id, reason="annulled", actor="registrar")
    clock.advance(minutes=5)
    application = rec.recognition.apply_from_wallet(account, AUTO, ids)
    assert application.state == "review"
    assert application.decision is None
    assert [p.status for p in application.presented] == ["revoked"]
    assert not any(p.counted for p in application.presented)


# -- presentations -----------------------------------------------------------------------------------------------


def test_a_presentation_is_recognised_for_its_holder_and_its_challenge_is_used_once(rec: Container) -> None:
    key, did = HOLDER_KEY, HOLDER_DID
    held = rec.issuing.award(PYTHON, Recipient(did=did, name="Bo"), actor="t", organisation=UM).credential
    recognition = rec.recognition
    challenge = recognition.challenge(AUTO)
    presentation = present([held], challenge, recognition.domain, key)
    application = recognition.apply_with_presentation(AUTO, presentation, challenge)
    assert (application.state, application.decision, application.holder) == ("automatic-decided", "full", did)
    credential = _credential(rec, application.award_id)
    assert credential["credentialSubject"]["id"] == did
    assert rec.verification.verify(credential).verified
    with pytest.raises(InputError, match="used already"):  # replayed
        recognition.apply_with_presentation(AUTO, presentation, challenge)
    other = recognition.challenge(REVIEWED)
    with pytest.raises(InputError, match="other rules"):
        recognition.apply_with_presentation(AUTO, present([held], other, recognition.domain, key), other)


def test_someone_elses_credentials_and_forged_issuers_never_count(rec: Container) -> None:
    key, did = HOLDER_KEY, HOLDER_DID
    recognition = rec.recognition
    theirs = rec.issuing.award(PYTHON, Recipient(did="did:key:z6MkSomeoneElse"), actor="t", organisation=UM)
    challenge = recognition.challenge(AUTO)
    application = recognition.apply_with_presentation(
        AUTO, present([theirs.credential], challenge, recognition.domain, key), challenge
    )
    assert (application.state, application.decision) == ("review", None)
    assert [p.status for p in application.presented] == ["about someone else"]
    assert application.assessment["evidence"] == []  # nothing to key a precedent on
    # a credential the holder signed themselves, naming the university and its achievement, is never decided
    # without a person, even where a precedent recognised the university's real credential
    account, ids = _holder(rec, [PYTHON])
    real = recognition.apply_from_wallet(account, REVIEWED, ids)
    recognition.decide(real.public_id, organisation=UM, decision="full", actor="reviewer")
    own = _credential(rec, theirs.award_id)
    forged = {k: v for k, v in own.items() if k not in ("proof", "credentialStatus")}
    forged["issuer"] = {"id": did, "type": ["Profile"], "name": "Uniwersytet Mazowiecki"}
    forged["credentialSubject"] = {**forged["credentialSubject"], "id": did}
    signed = issue(forged, key=key, suite="eddsa-rdfc-2022", created="2026-05-04T09:30:00Z")
    for rules in (AUTO, REVIEWED):
        challenge = recognition.challenge(rules)
        application = recognition.apply_with_presentation(
            rules, present([signed], challenge, recognition.domain, key), challenge
        )
        assert (application.state, application.decision, application.award_id) == ("review", None, None)
        assert application.precedent_of is None
        assert [(p.status, p.trusted) for p in application.presented] == [("valid", False)]


@pytest.mark.parametrize("presentation", [{}, "garbage", 42, [], {"type": "VerifiablePresentation"}, "a.b.c"])
def test_malformed_presentations_are_refused_with_reasons(rec: Container, presentation: Any) -> None:
    challenge = rec.recognition.challenge(AUTO)
    with pytest.raises(InputError):
        rec.recognition.apply_with_presentation(AUTO, presentation, challenge)
    assert rec.recognition.queue(UM) == []


def test_hostile_input_is_refused_and_decides_nothing(rec: Container, clock: FixedClock) -> None:
    recognition = rec.recognition
    with pytest.raises(NotFoundError):
        recognition.challenge("no-such-rules")
    with pytest.raises(NotFoundError):
        recognition.apply_with_presentation("x" * 5000, {}, "1.2.3")
    for challenge in ("made-up", "9" * 500, "1.2.3", "99999999999999999999.a.b", None):
        with pytest.raises(InputError):
            recognition.apply_with_presentation(AUTO, {}, challenge)  # type: ignore[arg-type]
    fresh = recognition.challenge(AUTO)
    clock.advance(minutes=11)
    with pytest.raises(InputError, match="expired"):
        recognition.apply_with_presentation(AUTO, {}, fresh)
    account, ids = _holder(rec, [PYTHON])
    with pytest.raises(NotFoundError):
        recognition.apply_from_wallet(account, "no-such-rules", ids)
    with pytest.raises(NotFoundError):
        recognition.apply_from_wallet(account, AUTO, ["not-mine"])
    with pytest.raises(InputError):
        recognition.apply_from_wallet(account, AUTO, [])
    with pytest.raises(NotFoundError):
        recognition.get("no-such-application")
    with pytest.raises(NotFoundError):
        recognition.respond("x" * 100, "hello", holder="did:key:z")
    application = recognition.apply_from_wallet(account, REVIEWED, ids)
    with pytest.raises(InputError):
        recognition.decide(application.public_id, organisation=UM, decision="maybe", actor="r")
    with pytest.raises(InputError):
        recognition.decide(
            application.public_id, organisation=UM, decision="partial", ects=float("nan"), differences=["x"], actor="r"
        )
    assert recognition.get(application.public_id).state == "review"
