"""The employer's side of recognition in the JSON API: the endorsements an organisation gives, and checking a
candidate's presentation against one of its job profiles (or any of its recognition rules).

- ``GET /api/v1/orgs/{org}/endorsements`` (``credentials:read``): the organisation's endorsements, withdrawn ones
  too, newest first.
- ``POST /api/v1/orgs/{org}/endorsements`` (``credentials:issue``): ``{"definition": ..., "relation": "co-created" |
  "values", "comment": ...}``; 201 with the endorsement and its signed ``EndorsementCredential``.
- ``POST /api/v1/orgs/{org}/endorsements/{award_id}/withdraw`` (``credentials:issue``): ``{"reason": ...}``; the
  credential is revoked.
- ``GET /api/v1/orgs/{org}/recognition/check/{rules}/challenge`` and ``POST /api/v1/orgs/{org}/recognition/check/
  {rules}`` (``credentials:read``): a check challenge, then ``{"presentation": ..., "challenge": ...}`` answers the
  report (each credential verified or why not, each required skill with the verified credentials covering it, the
  rules' verdict). Nothing is stored but the audit entry that uses the challenge up.

Only the organisation's own token (403 otherwise, as :func:`cairn.web.deps.token_of` says). Errors answer the one
JSON shape of :mod:`cairn.web.errors`.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from cairn.errors import NotFoundError
from cairn.phrases import say
from cairn.services.accounts.access import TokenPrincipal
from cairn.services.endorsements.service import MAX_COMMENT, Endorsement
from cairn.services.recognition.checking import CHECK, PresentationCheck
from cairn.services.recognition.service import CHALLENGE_LIFETIME
from cairn.web.deps import bearer_token, body_at_most, container, token_of
from cairn.web.errors import answers_json
from cairn.web.i18n import machine_date
from cairn.web.recognition.api import MAX_APPLICATION_BYTES
from cairn.web.recognition.api_models import ChallengeAnswer

__all__ = ["MAX_ENDORSEMENT_BYTES", "check_json", "endorsement_json", "router"]

router = APIRouter(prefix="/api/v1", tags=["recognition"], dependencies=[Depends(answers_json)])

MAX_ENDORSEMENT_BYTES = 20_000
"""Largest endorsement or withdrawal request accepted, in bytes."""

IssueToken = Annotated[TokenPrincipal, Depends(bearer_token("credentials:issue"))]
ReadToken = Annotated[TokenPrincipal, Depends(bearer_token("credentials:read"))]
SlugPath = Annotated[str, Path(max_length=80)]
AwardPath = Annotated[str, Path(max_length=80)]

_OTHER_ORG = {"description": "the token belongs to another organisation, or lacks the scope"}


def _english(phrase: Any) -> str:
    return say(phrase, lambda message: message)


# -- endorsements -------------------------------------------------------------------------------------------------


class EndorsementBody(BaseModel):
    """One endorsement the organisation gave."""

    award_id: str = Field(description="the award that keeps its signed EndorsementCredential")
    organisation: str
    achievement_id: str = Field(description="the achievement endorsed (a definition's latest version's id)")
    definition: str | None = Field(description="this instance's definition endorsed, when it is one")
    relation: str = Field(description="co-created or values")
    comment: str = Field(description="the organisation's words, signed as endorsementComment")
    created_at: str
    withdrawn_at: str | None = Field(description="when it was withdrawn (its credential revoked); null while it holds")


class EndorsementList(BaseModel):
    """The organisation's endorsements, withdrawn ones too, newest first."""

    ok: bool = True
    count: int
    items: list[EndorsementBody]


class EndorsementAnswer(BaseModel):
    """An endorsement with its signed credential."""

    ok: bool = True
    endorsement: EndorsementBody
    credential: dict[str, Any] | str = Field(description="the signed Open Badges 3.0 EndorsementCredential")


class EndorsementRequest(BaseModel):
    """What the organisation endorses, how it relates to it, and what it says."""

    model_config = ConfigDict(extra="forbid")
    definition: StrictStr = Field(
        min_length=1,
        max_length=2000,
        description="a published definition's slug (another issuer's) or an achievement id",
    )
    relation: Literal["co-created", "values"]
    comment: StrictStr = Field(min_length=1, max_length=MAX_COMMENT, description="the organisation's words")


class WithdrawRequest(BaseModel):
    """Why the organisation withdraws its endorsement (kept with the revocation)."""

    model_config = ConfigDict(extra="forbid")
    reason: StrictStr = Field("", max_length=500)


class WithdrawAnswer(BaseModel):
    """The endorsement, withdrawn."""

    ok: bool = True
    endorsement: EndorsementBody


def endorsement_json(endorsement: Endorsement) -> dict[str, Any]:
    """An endorsement as the API answers it."""
    return EndorsementBody(
        award_id=endorsement.award_id,
        organisation=endorsement.organisation,
        achievement_id=endorsement.achievement_id,
        definition=endorsement.definition,
        relation=endorsement.relation,
        comment=endorsement.comment,
        created_at=machine_date(endorsement.created_at),
        withdrawn_at=machine_date(endorsement.withdrawn_at) if endorsement.withdrawn_at else None,
    ).model_dump()


@router.get(
    "/orgs/{org}/endorsements",
    response_model=EndorsementList,
    summary="The organisation's endorsements",
    responses={403: _OTHER_ORG},
)
def list_endorsements(request: Request, org: SlugPath, principal: ReadToken) -> dict[str, Any]:
    """The endorsements organisation ``org`` (the token's) gave, withdrawn ones too, newest first."""
    token_of(principal, org)
    found = container(request).endorsements.of_organisation(org)
    return {"ok": True, "count": len(found), "items": [endorsement_json(e) for e in found]}


@router.post(
    "/orgs/{org}/endorsements",
    status_code=201,
    response_model=EndorsementAnswer,
    summary="Endorse a micro-credential: the organisation signs an EndorsementCredential",
    responses={
        400: {"description": "the organisation's own micro-credential, or no words"},
        403: _OTHER_ORG,
        404: {"description": "no such published micro-credential"},
        413: {"description": f"the body is larger than {MAX_ENDORSEMENT_BYTES:,} bytes"},
    },
    dependencies=[Depends(body_at_most(MAX_ENDORSEMENT_BYTES))],
)
def endorse(request: Request, org: SlugPath, body: EndorsementRequest, principal: IssueToken) -> Response:
    """Organisation ``org`` endorses a micro-credential it co-created or values, in its words: an Open Badges 3.0
    EndorsementCredential signed with its key, with revocation and suspension entries, shown to verifiers of the
    micro-credential."""
    token_of(principal, org)
    services = container(request)
    made = services.endorsements.endorse(
        org, body.definition, comment=body.comment, relation=body.relation, access=principal
    )
    credential = services.issuing.get(made.award_id, organisation=org).credential
    return JSONResponse({"ok": True, "endorsement": endorsement_json(made), "credential": credential}, 201)


@router.post(
    "/orgs/{org}/endorsements/{award_id}/withdraw",
    response_model=WithdrawAnswer,
    summary="Withdraw an endorsement: its credential is revoked",
    responses={
        403: _OTHER_ORG,
        404: {"description": "no such endorsement of this organisation"},
        409: {"description": "withdrawn already"},
        413: {"description": f"the body is larger than {MAX_ENDORSEMENT_BYTES:,} bytes"},
    },
    dependencies=[Depends(body_at_most(MAX_ENDORSEMENT_BYTES))],
)
def withdraw(
    request: Request, org: SlugPath, award_id: AwardPath, body: WithdrawRequest, principal: IssueToken
) -> dict[str, Any]:
    """Withdraw endorsement ``award_id`` of organisation ``org``: its credential is revoked and verifiers no longer
    see it."""
    token_of(principal, org)
    endorsements = container(request).endorsements
    endorsements.withdraw(award_id, organisation=org, access=principal, reason=body.reason)
    return {"ok": True, "endorsement": endorsement_json(endorsements.get(award_id, organisation=org))}


# -- checking a candidate -----------------------------------------------------------------------------------------


class CheckedCredentialAnswer(BaseModel):
    """A credential of the presentation, as verification and the rules found it."""

    id: str
    title: str
    issuer: str = Field(description="the issuer's name as the credential states it, else its id")
    issuer_id: str
    verified: bool = Field(description="it verified and is about the presentation's holder")
    status: str = Field(description="valid, or why not: revoked, suspended, expired, unverifiable, about someone else")
    reason: str = Field(description="the failed check's reason, when it did not verify")
    vouched: bool = Field(description="its issuer is vouched for (trust network, or this instance's organisation)")
    counted: bool = Field(description="it counts under the rules")
    covers: list[str] = Field(description="the profile's ESCO skills it covers (verified credentials only)")
    explanation: str = Field(description="the rules' word on it")


class SkillAnswer(BaseModel):
    """One required ESCO skill of the profile."""

    skill: str
    covered: bool
    credentials: list[str] = Field(description="the ids of the verified credentials that cover it")


class ConditionAnswer(BaseModel):
    """One condition of the rules, met or not."""

    key: str
    met: bool
    needs: str
    explanation: str


class CheckAnswer(BaseModel):
    """A candidate's presentation checked against the organisation's rules; nothing is stored."""

    ok: bool = True
    rules: str
    rules_version: int
    course: str = Field(description="the job profile (or course) the rules are towards")
    course_type: str = Field(description="job-profile or course")
    holder: str = Field(description="the presentation's holder (the DID it proved)")
    met: bool = Field(description="the rules are met (in full or by a partial tier)")
    decision: str = Field(description="full, partial or none")
    explanation: str
    credentials: list[CheckedCredentialAnswer]
    skills: list[SkillAnswer]
    missing: list[str] = Field(description="the required skills no verified credential covers")
    conditions: list[ConditionAnswer]


class CheckRequest(BaseModel):
    """The candidate's presentation, bound to a check challenge of these rules."""

    model_config = ConfigDict(extra="forbid")
    presentation: dict[str, Any] | StrictStr = Field(
        description="a Verifiable Presentation (JSON with a Data Integrity proof) or a VP-JWT, signed by the candidate"
    )
    challenge: StrictStr = Field(min_length=1, max_length=200, description="from GET .../challenge")


def check_json(report: PresentationCheck) -> dict[str, Any]:
    """A check's report as the API answers it (said in English)."""
    return CheckAnswer(
        rules=report.rules,
        rules_version=report.rules_version,
        course=report.course,
        course_type=report.course_type,
        holder=report.holder,
        met=report.met,
        decision=report.decision,
        explanation=_english(report.explanation),
        credentials=[
            CheckedCredentialAnswer(
                id=c.id,
                title=c.title,
                issuer=c.issuer,
                issuer_id=c.issuer_id,
                verified=c.verified,
                status=c.status,
                reason=c.reason,
                vouched=c.vouched,
                counted=c.counted,
                covers=list(c.covers),
                explanation=_english(c.explanation),
            )
            for c in report.credentials
        ],
        skills=[SkillAnswer(skill=s.skill, covered=s.covered, credentials=list(s.credentials)) for s in report.skills],
        missing=list(report.missing),
        conditions=[
            ConditionAnswer(key=c.key, met=c.met, needs=_english(c.needs), explanation=_english(c.explanation))
            for c in report.conditions
        ],
    ).model_dump()


@router.get(
    "/orgs/{org}/recognition/check/{rules}/challenge",
    response_model=ChallengeAnswer,
    summary="A challenge for a candidate's presentation to check against the organisation's rules",
    responses={403: _OTHER_ORG, 404: {"description": "no such published rules of this organisation"}},
)
def check_challenge(request: Request, org: SlugPath, rules: SlugPath, principal: ReadToken) -> dict[str, Any]:
    """A challenge and the domain the candidate binds their presentation to; it expires after ten minutes, is good
    for one check, only of these rules, and never for an application."""
    token_of(principal, org)
    services = container(request)
    view = services.recognition.store.rules(rules)
    if view.stored.organisation != org:
        raise NotFoundError("no such recognition rules of this organisation")
    challenge = services.recognition.challenge(view.slug, purpose=CHECK)
    expires = services.clock() + timedelta(seconds=CHALLENGE_LIFETIME)
    return ChallengeAnswer(
        rules=view.slug,
        challenge=challenge,
        domain=services.recognition.domain,
        expires=expires.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    ).model_dump()


@router.post(
    "/orgs/{org}/recognition/check/{rules}",
    response_model=CheckAnswer,
    summary="Check a candidate's presentation against the organisation's rules (a job profile)",
    responses={
        400: {
            "description": "the presentation does not verify or names no holder, or the challenge is not a check "
            "challenge of these rules, has expired or was used already"
        },
        403: _OTHER_ORG,
        404: {"description": "no such published rules of this organisation"},
        413: {"description": f"the body is larger than {MAX_APPLICATION_BYTES:,} bytes"},
    },
    dependencies=[Depends(body_at_most(MAX_APPLICATION_BYTES))],
)
def check(request: Request, org: SlugPath, rules: SlugPath, body: CheckRequest, principal: ReadToken) -> dict[str, Any]:
    """Verify the presentation exactly as an application is verified (its proof, challenge and domain, then each
    credential: signature, status, validity, issuer trust, and that it names the holder) and assess it under the
    rules: per required skill, the verified credentials that cover it; the verdict. No application is made."""
    token_of(principal, org)
    report = container(request).recognition.check_presentation(
        rules, body.presentation, body.challenge, organisation=org, actor=principal.actor
    )
    return check_json(report)
