"""An applicant without a Cairn account follows their application with an access key, on SQLite and PostgreSQL:
the key is answered once with the application made from a presentation and only its SHA-256 is kept; with it the
applicant reads the application, answers a request for information and appeals; a wrong key, or another
application's, is "no such application"; a wallet application has no key; the applicant's language is kept."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import select

from cairn.bootstrap import Container
from cairn.errors import ConflictError, NotFoundError
from cairn.model.awards import Recipient
from cairn.services.recognition.records import ApplicationView
from cairn.store.tables import AuditEntry, RecognitionApplicationRow
from cairn.vc.dids import did_key as _did_key
from tests.factories import (
    HOLDER_DID,
    HOLDER_KEY,
    OTHER_HOLDER_KEY,
    present,
    recognition_course,
    recognition_rules,
    wallet_holder,
)

UM = "uniwersytet-mazowiecki"
PYTHON = "um-python-data-analysis"
AUTO, REVIEWED = "um-da-automatic", "um-da-reviewed"


@pytest.fixture
def rec(container: Container) -> Container:
    store = container.recognition.store
    store.save(recognition_course(), organisation=UM, actor="registrar")
    store.save(recognition_rules(AUTO, "automatic"), organisation=UM, actor="registrar")
    store.save(recognition_rules(REVIEWED), organisation=UM, actor="registrar")
    return container


def _held(rec: Container, key: Any = HOLDER_KEY) -> Any:
    did = _did_key(key.public)
    return rec.issuing.award(PYTHON, Recipient(did=did, name="Bo"), actor="t", organisation=UM).credential


def _presented(
    rec: Container, rules: str, key: Any = HOLDER_KEY, *, held: Any = None, language: str = "en"
) -> ApplicationView:
    recognition = rec.recognition
    challenge = recognition.challenge(rules)
    presentation = present([held or _held(rec, key)], challenge, recognition.domain, key)
    return recognition.apply_with_presentation(rules, presentation, challenge, language=language)


def _row(rec: Container, public_id: str) -> RecognitionApplicationRow:
    with rec.database.transaction() as session:
        row = session.scalars(
            select(RecognitionApplicationRow).where(RecognitionApplicationRow.public_id == public_id)
        ).one()
        session.expunge(row)
        return row


def test_the_key_is_answered_once_and_only_its_hash_is_kept(rec: Container) -> None:
    made = _presented(rec, REVIEWED, language="pl")
    key = made.access_key
    assert key
    assert len(key) >= 43
    assert key not in repr(made)  # never in a log line that prints the view
    row = _row(rec, made.public_id)
    assert row.access_hash == hashlib.sha256(key.encode()).hexdigest()
    assert row.language == "pl"
    assert made.language == "pl"
    stored = " ".join(str(v) for v in vars(row).values())
    assert key not in stored
    with rec.database.transaction() as session:
        audited = " ".join(str(e.details) for e in session.scalars(select(AuditEntry)))
    assert key not in audited
    again = rec.recognition.get(made.public_id)
    assert again.access_key is None  # never on a later view
    found = rec.recognition.with_key(made.public_id, key)
    assert (found.public_id, found.holder, found.access_key) == (made.public_id, HOLDER_DID, None)


def test_a_wrong_key_or_another_application_s_key_is_no_such_application(rec: Container) -> None:
    mine = _presented(rec, REVIEWED)
    theirs = _presented(rec, REVIEWED, key=OTHER_HOLDER_KEY)
    assert mine.access_key
    assert theirs.access_key
    recognition = rec.recognition
    for public_id, key in (
        (mine.public_id, theirs.access_key),
        (mine.public_id, mine.access_key[:-1]),
        (mine.public_id, ""),
        (mine.public_id, "x" * 5000),
        (mine.public_id, "\ud800"),
        ("no-such-application", mine.access_key),
        (theirs.public_id, mine.access_key),
    ):
        with pytest.raises(NotFoundError, match="no such application"):
            recognition.with_key(public_id, key)
        with pytest.raises(NotFoundError, match="no such application"):
            recognition.respond(public_id, "an answer", key=key)
        with pytest.raises(NotFoundError, match="no such application"):
            recognition.appeal(public_id, "a reason", key=key)


def test_the_applicant_answers_and_appeals_with_the_key(rec: Container) -> None:
    made = _presented(rec, REVIEWED)
    key = made.access_key
    assert key
    assert made.state == "review"
    recognition = rec.recognition
    with pytest.raises(ConflictError):  # nobody asked
        recognition.respond(made.public_id, "here", key=key)
    recognition.request_information(made.public_id, organisation=UM, message="Send the syllabus", actor="reviewer")
    answered = recognition.respond(made.public_id, "The syllabus is at https://example.org/s", key=key)
    assert answered.state == "review"
    assert [m["kind"] for m in answered.messages] == ["request", "response"]
    decided = recognition.decide(
        made.public_id, organisation=UM, decision="refused", differences=["No modelling"], actor="reviewer"
    )
    assert decided.state == "decided"
    appealed = recognition.appeal(made.public_id, "The course covered modelling", key=key)
    assert (appealed.state, appealed.appeals) == ("appealed", 1)
    with pytest.raises(ConflictError):
        recognition.appeal(made.public_id, "again", key=key)


def test_applying_again_with_the_same_evidence_gives_the_same_application_a_new_key(rec: Container) -> None:
    held = _held(rec)
    first = _presented(rec, REVIEWED, held=held)
    second = _presented(rec, REVIEWED, held=held)  # a new presentation, so signed by the holder again
    recognition = rec.recognition
    assert second.public_id == first.public_id
    assert first.access_key
    assert second.access_key
    assert second.access_key != first.access_key
    with pytest.raises(NotFoundError):
        recognition.with_key(first.public_id, first.access_key)
    assert recognition.with_key(first.public_id, second.access_key).public_id == first.public_id


def test_an_automatic_decision_answers_the_key_too(rec: Container) -> None:
    made = _presented(rec, AUTO)
    assert (made.state, made.decision) == ("automatic-decided", "full")
    assert made.access_key
    assert rec.recognition.with_key(made.public_id, made.access_key).award_id == made.award_id


def test_a_wallet_application_has_no_key_and_keeps_the_language(rec: Container) -> None:
    account, ids = wallet_holder(rec, [PYTHON])
    made = rec.recognition.apply_from_wallet(account, REVIEWED, ids, language="pl")
    assert made.access_key is None
    row = _row(rec, made.public_id)
    assert (row.access_hash, row.language) == (None, "pl")
    for key in ("", "anything"):
        with pytest.raises(NotFoundError):
            rec.recognition.with_key(made.public_id, key)
    other_account, other_ids = wallet_holder(rec, [PYTHON], "bo@example.org")
    odd = rec.recognition.apply_from_wallet(other_account, REVIEWED, other_ids, language="xx")
    assert _row(rec, odd.public_id).language == "en"  # only en and pl are kept
