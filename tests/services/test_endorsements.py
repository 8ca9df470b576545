"""Employer endorsements in the services, on SQLite and PostgreSQL: an organisation endorses another's
micro-credential in a signed Open Badges 3.0 EndorsementCredential that verifies; withdrawn ones are not listed;
only the organisation's issuers endorse on its behalf; a forged or edited endorsement is never shown as verified."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from cairn.bootstrap import Container
from cairn.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from cairn.formats.endorsement import endorsement_credential
from cairn.formats.ob3 import CONTEXTS
from cairn.model.awards import Recipient
from cairn.services.accounts.access import OrganisationAccess, TokenPrincipal
from cairn.services.endorsements.service import NOT_ABOUT_THIS, NOT_SIGNED_BY_ENDORSER
from cairn.store.tables import AuditEntry, EndorsementRow
from cairn.vc import issue
from cairn.vc.dids import did_key
from cairn.vc.keys import KeyPair, KeyType

UM, SB = "uniwersytet-mazowiecki", "skillbridge-europe"
PYTHON = "um-python-data-analysis"
PUBLIC = "https://cairn.example"


def _access(container: Container, organisation: str, email: str, role: str = "issuer") -> OrganisationAccess:
    """What ``email``, made ``role`` of ``organisation`` (after an owner, as the first member is always one), may do."""
    if not container.accounts.members(organisation):
        container.accounts.add_member(organisation=organisation, email=f"owner@{organisation}.example", actor="t")
    container.accounts.add_member(organisation=organisation, email=email, role=role, actor="t", notify=False)
    account = container.accounts.find_account(email)
    assert account is not None
    return container.accounts.access(account=account, organisation=organisation, min_role="viewer")


def _awarded(container: Container) -> dict[str, Any]:
    result = container.issuing.award(PYTHON, Recipient(email="ada@example.org", name="Ada"), actor="t", organisation=UM)
    credential = container.issuing.get(result.award_id, organisation=UM).credential
    assert isinstance(credential, dict)
    return credential


def test_an_employer_endorses_a_definition_in_a_credential_that_verifies(container: Container) -> None:
    employer = _access(container, SB, "hr@skillbridge.example")
    made = container.endorsements.endorse(
        SB, PYTHON, comment="Our analysts learn exactly this.", relation="values", access=employer
    )
    assert made.organisation == SB
    assert made.definition == PYTHON
    assert made.relation == "values"
    assert made.achievement_id.startswith(f"{PUBLIC}/micro-credentials/{PYTHON}/versions/")
    signed = json.loads(made.credential)
    assert signed["@context"][: len(CONTEXTS)] == list(CONTEXTS)
    assert not any("cairn" in str(c) for c in signed["@context"])
    assert signed["type"] == ["VerifiableCredential", "EndorsementCredential"]
    assert signed["issuer"]["id"] == container.keys.did(SB)
    subject = signed["credentialSubject"]
    assert subject["type"] == ["EndorsementSubject"]
    assert subject["id"] == made.achievement_id
    assert subject["endorsementComment"].endswith("Our analysts learn exactly this.")
    assert len(signed["credentialStatus"]) == 2  # revocation and suspension, like every award
    report = container.verification.verify(made.credential)
    assert report.verified, report.checks
    checked = container.endorsements.check(made)
    assert checked.verified
    assert checked.reason == ""
    # listed for any version of the definition, and shown with a credential of it
    assert [e.award_id for e in container.endorsements.of_achievement(made.achievement_id)] == [made.award_id]
    assert [e.award_id for e in container.endorsements.of_achievement(f"{PUBLIC}/micro-credentials/{PYTHON}")] == [
        made.award_id
    ]
    shown = container.endorsements.shown_for(container.verification.verify(_awarded(container)))
    assert [(s.endorsement.organisation, s.verified) for s in shown] == [(SB, True)]
    assert shown[0].endorsement.name == "SkillBridge Europe GmbH"  # from the registry
    with container.database.transaction() as session:
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.subject == made.award_id)))
    assert "endorsement.create" in actions
    assert "credential.issue" in actions


def test_withdrawn_endorsements_are_not_listed_and_their_credential_is_revoked(container: Container) -> None:
    employer = _access(container, SB, "hr@skillbridge.example")
    made = container.endorsements.endorse(SB, PYTHON, comment="Co-designed.", relation="co-created", access=employer)
    container.endorsements.withdraw(made.award_id, organisation=SB, access=employer, reason="no longer")
    assert container.endorsements.of_achievement(made.achievement_id) == []
    assert not container.verification.verify(made.credential).verified
    assert container.endorsements.shown_for(container.verification.verify(_awarded(container))) == []
    with pytest.raises(ConflictError):
        container.endorsements.withdraw(made.award_id, organisation=SB, access=employer)
    with container.database.transaction() as session:
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.subject == made.award_id)))
    assert "endorsement.withdraw" in actions


def test_only_the_organisations_issuers_endorse_on_its_behalf(container: Container) -> None:
    university = _access(container, UM, "dean@um.example")
    with pytest.raises(PermissionDeniedError):
        container.endorsements.endorse(SB, PYTHON, comment="Great.", relation="values", access=university)
    viewer = _access(container, SB, "intern@skillbridge.example", role="viewer")
    with pytest.raises(PermissionDeniedError):
        container.endorsements.endorse(SB, PYTHON, comment="Great.", relation="values", access=viewer)
    with pytest.raises(InputError):  # its own micro-credential
        container.endorsements.endorse(UM, PYTHON, comment="Ours.", relation="values", access=university)
    employer = _access(container, SB, "hr@skillbridge.example")
    with pytest.raises(InputError):
        container.endorsements.endorse(SB, PYTHON, comment="Great.", relation="likes", access=employer)
    with pytest.raises(InputError):
        container.endorsements.endorse(SB, PYTHON, comment="  ", relation="values", access=employer)
    with pytest.raises(NotFoundError):
        container.endorsements.endorse(SB, "no-such-thing", comment="Great.", relation="values", access=employer)
    made = container.endorsements.endorse(SB, PYTHON, comment="Great.", relation="values", access=employer)
    with pytest.raises(PermissionDeniedError):  # nor withdraw it
        container.endorsements.withdraw(made.award_id, organisation=SB, access=university)
    with pytest.raises(NotFoundError):
        container.endorsements.withdraw(made.award_id, organisation=UM, access=university)
    assert len(container.endorsements.of_achievement(made.achievement_id)) == 1
    elsewhere = "https://issuer.example/achievements/42"  # an achievement of another instance, by its id
    outside = container.endorsements.endorse(SB, elsewhere, comment="Good.", relation="values", access=employer)
    assert (outside.definition, container.endorsements.check(outside).verified) == (None, True)
    assert [e.award_id for e in container.endorsements.of_achievement(elsewhere)] == [outside.award_id]


def _replace_credential(container: Container, award_id: str, credential: dict[str, Any] | str) -> None:
    with container.database.transaction() as session:
        row = session.scalars(select(EndorsementRow).where(EndorsementRow.award_id == award_id)).one()
        row.credential = json.dumps(credential)


def test_a_forged_or_edited_endorsement_is_not_shown_as_verified(container: Container) -> None:
    employer = _access(container, SB, "hr@skillbridge.example")
    made = container.endorsements.endorse(SB, PYTHON, comment="Solid.", relation="values", access=employer)
    awarded = container.verification.verify(_awarded(container))
    # edited after signing: the comment raised
    edited = json.loads(made.credential)
    edited["credentialSubject"]["endorsementComment"] = "The best course in Europe."
    _replace_credential(container, made.award_id, edited)
    [shown] = container.endorsements.shown_for(awarded)
    assert not shown.verified
    assert shown.reason
    # signed by someone else in the endorser's name
    key = KeyPair.from_secret(KeyType.ED25519, bytes(range(1, 33)))
    stranger = did_key(key.public)
    forged = endorsement_credential(
        credential_id="urn:uuid:6f1c2a8e-1d3b-4f4e-9a43-0b7c5d2e9f10",
        issuer={"id": stranger, "type": ["Profile"], "name": "SkillBridge Europe"},
        achievement_id=made.achievement_id,
        achievement_name="Python",
        relation="values",
        comment="Solid.",
        issued=container.clock(),
    )
    _replace_credential(
        container, made.award_id, issue(forged, key=key, suite="eddsa-rdfc-2022", created=forged["validFrom"])
    )
    [shown] = container.endorsements.shown_for(awarded)
    assert (shown.verified, shown.reason) == (False, NOT_SIGNED_BY_ENDORSER)
    # the endorser's own signature, but on other words than recorded
    other = container.endorsements.endorse(SB, PYTHON, comment="Something else.", relation="values", access=employer)
    _replace_credential(container, made.award_id, json.loads(other.credential))
    both = container.endorsements.shown_for(awarded)
    assert [(s.endorsement.comment, s.verified, s.reason) for s in both] == [
        ("Solid.", False, NOT_ABOUT_THIS),
        ("Something else.", True, ""),
    ]


def test_no_endorsement_is_shown_for_a_credential_that_does_not_verify(container: Container) -> None:
    employer = _access(container, SB, "hr@skillbridge.example")
    container.endorsements.endorse(SB, PYTHON, comment="Solid.", relation="values", access=employer)
    credential = _awarded(container)
    credential["credentialSubject"]["achievement"]["name"] = "Edited"
    assert container.endorsements.shown_for(container.verification.verify(credential)) == []


def test_an_organisations_token_endorses_and_withdraws_and_the_organisation_lists_both(container: Container) -> None:
    issuing = TokenPrincipal(1, SB, 0, "hr", ("credentials:read", "credentials:issue"))
    reading = TokenPrincipal(2, SB, 0, "dashboard", ("credentials:read",))
    theirs = TokenPrincipal(3, UM, 0, "university", ("credentials:issue",))
    for token in (reading, theirs):
        with pytest.raises(PermissionDeniedError):
            container.endorsements.endorse(SB, PYTHON, comment="We hire it", relation="values", access=token)
    made = container.endorsements.endorse(SB, PYTHON, comment="We hire it", relation="values", access=issuing)
    assert container.endorsements.of_organisation(SB)[0].award_id == made.award_id
    with pytest.raises(PermissionDeniedError):
        container.endorsements.withdraw(made.award_id, organisation=SB, access=reading, reason="x")
    container.endorsements.withdraw(made.award_id, organisation=SB, access=issuing, reason="no longer")
    [listed] = container.endorsements.of_organisation(SB)
    assert listed.withdrawn_at is not None
    assert container.endorsements.get(made.award_id, organisation=SB).withdrawn_at is not None
    with pytest.raises(NotFoundError):
        container.endorsements.get(made.award_id, organisation=UM)
    with pytest.raises(NotFoundError):
        container.endorsements.of_organisation("no-such-organisation")
    assert container.endorsements.of_organisation(UM) == []
    with container.database.transaction() as session:
        actors = session.scalars(select(AuditEntry.actor).where(AuditEntry.subject == made.award_id)).all()
    assert "token:1" in actors
