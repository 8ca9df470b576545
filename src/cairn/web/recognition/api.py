"""The JSON API of recognition: read an institution's published rules and courses, apply for recognition with a
presentation, and decide the applications in the institution's queue.

- ``GET /api/v1/recognition/rules`` and ``GET /api/v1/recognition/rules/{slug}`` (public): published rules, latest
  versions or the one named by ``?version=``, their conditions and outcome as data, with their course; a draft is not
  found. ``GET /api/v1/recognition/courses/{slug}`` (public): a published course.
- ``GET /api/v1/recognition/rules/{slug}/challenge`` (public): a challenge and the domain a presentation is bound to.
- ``POST /api/v1/recognition/rules/{slug}/applications`` (public): ``{"presentation": <VP JSON or a VP-JWT>,
  "challenge": ...}``; 201 with the application (decided at once, with the decision credential, or waiting for a
  reviewer), 400 for a presentation that does not verify or a challenge not given here or used already.
  The 201 answer carries the applicant's ``access_key``, this once: only its SHA-256 is kept.
- ``GET /api/v1/recognition/applications/{application_id}``, ``POST .../{application_id}/respond`` and
  ``POST .../{application_id}/appeal`` (``Authorization: Bearer <access key>``): the applicant follows the
  application, answers a request for information and appeals. A wrong key answers 404, as an application that does
  not exist does, so ids cannot be probed.
- ``GET /api/v1/orgs/{org}/recognition/applications`` and ``GET .../applications/{application_id}``
  (``credentials:read``), ``POST .../{application_id}/decision`` and ``POST .../{application_id}/information``
  (``credentials:issue``, the scope that makes the organisation's credentials: a decision issues one): the
  institution's review.
- ``GET /api/v1/orgs/{org}/recognition/measures`` (``credentials:read``): the institution's recognition in numbers.

Errors answer the one JSON shape of :mod:`cairn.web.errors`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cairn.phrases import say
from cairn.services.accounts.access import TokenPrincipal
from cairn.services.recognition.documents import CourseView, RulesView
from cairn.services.recognition.records import ApplicationView
from cairn.services.recognition.service import CHALLENGE_LIFETIME
from cairn.web.deps import bearer_token, body_at_most, container, token_of
from cairn.web.errors import answers_json
from cairn.web.i18n import machine_date
from cairn.web.pathways.api import MAX_CLAIM_BYTES
from cairn.web.recognition.api_models import (
    AppealRequest,
    ApplicationAnswer,
    ApplicationBody,
    ApplicationList,
    ApplicationRequest,
    ChallengeAnswer,
    CourseAnswer,
    DecisionRequest,
    MeasuresAnswer,
    MessageAnswer,
    MessageRequest,
    PresentedAnswer,
    RulesAnswer,
    RulesList,
)

__all__ = ["MAX_APPLICATION_BYTES", "MAX_MESSAGE_BYTES", "application_json", "course_json", "router", "rules_json"]

router = APIRouter(prefix="/api/v1", tags=["recognition"], dependencies=[Depends(answers_json)])

MAX_APPLICATION_BYTES = MAX_CLAIM_BYTES
"""Largest application (a presentation of up to 50 credentials) accepted, in bytes."""

MAX_MESSAGE_BYTES = 16_000
"""Largest answer, appeal or request for information accepted, in bytes (the text itself: 2,000 characters)."""

IssueToken = Annotated[TokenPrincipal, Depends(bearer_token("credentials:issue"))]
ReadToken = Annotated[TokenPrincipal, Depends(bearer_token("credentials:read"))]

_STATES = "^(review|more-info-requested|appealed|decided|automatic-decided)$"


def _english(phrase: Any) -> str:
    return say(phrase, lambda message: message)


def course_json(view: CourseView, versions: list[int] | None = None) -> dict[str, Any]:
    """One course version as the API answers it."""
    course = view.course
    return CourseAnswer(
        id=view.stored.slug,
        version=view.version,
        latest_version=view.stored.latest_version,
        institution=course.institution,
        title=dict(course.title),
        ects=float(course.ects) if course.ects is not None else None,
        eqf=course.eqf,
        content_hash=view.stored.content_hash,
        course=view.stored.content,
        versions=versions,
    ).model_dump(exclude_none=True)


def rules_json(view: RulesView, versions: list[int] | None = None) -> dict[str, Any]:
    """One rules version as the API answers it."""
    rules = view.rules
    answer = RulesAnswer(
        id=view.slug,
        version=view.version,
        latest_version=view.stored.latest_version,
        state=view.stored.state,
        institution=rules.institution,
        title=dict(rules.title),
        conditions=rules.conditions.model_dump(mode="json", exclude_none=True),
        outcome=rules.outcome.model_dump(mode="json", exclude_none=True),
        content_hash=view.stored.content_hash,
        rules=view.stored.content,
        course=CourseAnswer.model_validate(course_json(view.course)),
        versions=versions,
    )
    return answer.model_dump(exclude_none=True)


def _explanations(assessment: Mapping[str, Any]) -> dict[str, str]:
    found = {}
    for result in assessment.get("credentials") or ():
        if isinstance(result, Mapping):
            words = _english(result.get("explanation"))
            reasons = [_english(r) for r in result.get("reasons") or ()]
            found[str(result.get("credential_id"))] = "; ".join(w for w in [words, *reasons] if w)
    return found


def application_json(view: ApplicationView) -> dict[str, Any]:
    """An application as the API answers it (the assessment said in English)."""
    why = _explanations(view.assessment)
    return ApplicationBody(
        id=view.public_id,
        rules=view.rules,
        rules_version=view.rules_version,
        course=view.course,
        institution=view.institution,
        holder=view.holder,
        state=view.state,
        decision=view.decision,
        ects=view.ects,
        full_ects=view.full_ects,
        automatic=view.automatic,
        precedent_of=view.precedent_of,
        differences=list(view.differences),
        reason=view.reason,
        award_id=view.award_id,
        deadline=machine_date(view.deadline) if view.deadline else None,
        created_at=machine_date(view.created_at),
        decided_at=machine_date(view.decided_at) if view.decided_at else None,
        explanation=_english(view.explanation),
        presented=[
            PresentedAnswer(
                id=p.id,
                title=p.title,
                issuer=p.issuer,
                digest=p.digest,
                status=p.status,
                trusted=p.trusted,
                counted=p.counted,
                explanation=why.get(p.id) or ("" if p.status == "valid" else p.status),
            )
            for p in view.presented
        ],
        messages=[
            MessageAnswer(kind=str(m.get("kind") or ""), at=str(m.get("at") or ""), text=str(m.get("text") or ""))
            for m in view.messages
        ],
        language=view.language,
    ).model_dump()


def _application_answer(request: Request, view: ApplicationView, status: int) -> Response:
    credential: dict[str, Any] | str | None = None
    if view.award_id:
        credential = container(request).issuing.get(view.award_id).credential
    body = {"ok": True, "application": application_json(view), "credential": credential}
    if view.access_key:
        body["access_key"] = view.access_key
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


# -- reading ----------------------------------------------------------------------------------------------------

_Version = Annotated[int | None, Query(ge=1, le=1_000_000, description="a version; the latest if absent")]


@router.get(
    "/recognition/rules", response_model=RulesList, summary="Every published recognition rules, latest versions"
)
def list_rules(request: Request) -> dict[str, Any]:
    """The published recognition rules of every institution of this instance, by id, each with its course."""
    views = container(request).recognition.store.all_rules()
    return {"ok": True, "count": len(views), "items": [rules_json(v) for v in views]}


@router.get("/recognition/rules/{slug}", response_model=RulesAnswer, summary="One published recognition rules")
def get_rules(request: Request, slug: str, version: _Version = None) -> dict[str, Any]:
    """Published rules at a version, their conditions and outcome as data, their course, and the list of their
    versions; 404 for a draft or an unknown one."""
    store = container(request).recognition.store
    view = store.rules(slug, version)
    return rules_json(view, store.versions("recognition", view.slug))


@router.get("/recognition/courses/{slug}", response_model=CourseAnswer, summary="One published course")
def get_course(request: Request, slug: str, version: _Version = None) -> dict[str, Any]:
    """A published course (or job profile) at a version, with the list of its versions; 404 for a draft or an
    unknown one."""
    store = container(request).recognition.store
    view = store.course(slug, version)
    return course_json(view, store.versions("course", view.stored.slug))


# -- applying ---------------------------------------------------------------------------------------------------


@router.get(
    "/recognition/rules/{slug}/challenge",
    response_model=ChallengeAnswer,
    summary="A challenge to apply for recognition under the rules",
)
def get_challenge(request: Request, slug: str) -> dict[str, Any]:
    """A challenge for a presentation applying under rules ``slug``, and the domain to bind it to; it expires after
    ten minutes and is good for one application."""
    services = container(request)
    challenge = services.recognition.challenge(slug)
    expires = services.clock() + timedelta(seconds=CHALLENGE_LIFETIME)
    return ChallengeAnswer(
        rules=slug,
        challenge=challenge,
        domain=services.recognition.domain,
        expires=expires.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    ).model_dump()


@router.post(
    "/recognition/rules/{slug}/applications",
    status_code=201,
    response_model=ApplicationAnswer,
    summary="Apply for recognition with a presentation of micro-credentials",
    responses={
        400: {
            "description": "the presentation does not verify or names no holder, or the challenge is not this one's "
            "or was used already"
        },
        413: {"description": f"the body is larger than {MAX_APPLICATION_BYTES:,} bytes"},
    },
    dependencies=[Depends(body_at_most(MAX_APPLICATION_BYTES))],
)
def apply(request: Request, slug: str, body: ApplicationRequest) -> Response:
    """Verify the presentation (its proof, challenge and domain, then each credential: signature, status, validity,
    issuer trust, and that it names the presentation's holder), assess it under the rules and decide at once
    (``review: automatic`` or a precedent, for credentials of vouched issuers) or queue it for the institution."""
    recognition = container(request).recognition
    view = recognition.apply_with_presentation(slug, body.presentation, body.challenge, language=body.language)
    return _application_answer(request, view, 201)


# -- the applicant, with the access key ---------------------------------------------------------------------------

_access = HTTPBearer(
    auto_error=False,
    scheme_name="ApplicationKey",
    description="the access key answered once on applying with a presentation",
)
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such application, or the key is not its key (the same answer)"}
}


def access_key(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_access)]) -> str:
    """The access key the caller sent (``Authorization: Bearer ...``); 401 when none was."""
    if credentials is None or not credentials.credentials:
        raise HTTPException(
            401,
            "the application's access key is needed: Authorization: Bearer <access key>",
            {"WWW-Authenticate": 'Bearer realm="cairn-recognition"'},
        )
    return credentials.credentials


AccessKey = Annotated[str, Depends(access_key)]


@router.get(
    "/recognition/applications/{application_id}",
    response_model=ApplicationAnswer,
    summary="The applicant's application, with its access key",
    responses={401: {"description": "no access key"}, **_NOT_FOUND},
)
def get_application(request: Request, application_id: str, key: AccessKey) -> Response:
    """The application (state, deadline, decision, ECTS, substantial differences, messages) and its decision
    credential once issued, for the access key given when applying."""
    view = container(request).recognition.with_key(application_id[:80], key)
    return _application_answer(request, view, 200)


@router.post(
    "/recognition/applications/{application_id}/respond",
    response_model=ApplicationAnswer,
    summary="Answer the institution's request for more information",
    responses={
        401: {"description": "no access key"},
        **_NOT_FOUND,
        409: {"description": "nobody asked for more information"},
        413: {"description": f"the body is larger than {MAX_MESSAGE_BYTES:,} bytes"},
    },
    dependencies=[Depends(body_at_most(MAX_MESSAGE_BYTES))],
)
def respond(request: Request, application_id: str, body: MessageRequest, key: AccessKey) -> Response:
    """The applicant's answer: the application goes back to the institution's queue, its deadline moved by the
    time the answer took."""
    view = container(request).recognition.respond(application_id[:80], body.message, key=key)
    return _application_answer(request, view, 200)


@router.post(
    "/recognition/applications/{application_id}/appeal",
    response_model=ApplicationAnswer,
    summary="Appeal the decision (once)",
    responses={
        401: {"description": "no access key"},
        **_NOT_FOUND,
        409: {"description": "not decided, or appealed already"},
        413: {"description": f"the body is larger than {MAX_MESSAGE_BYTES:,} bytes"},
    },
    dependencies=[Depends(body_at_most(MAX_MESSAGE_BYTES))],
)
def appeal(request: Request, application_id: str, body: AppealRequest, key: AccessKey) -> Response:
    """The applicant appeals, saying why: the application goes back to the institution's queue with a new deadline;
    the decision stands until the institution decides again."""
    view = container(request).recognition.appeal(application_id[:80], body.reason, key=key)
    return _application_answer(request, view, 200)


# -- the institution's review -----------------------------------------------------------------------------------


@router.get(
    "/orgs/{org}/recognition/applications",
    response_model=ApplicationList,
    summary="The institution's recognition queue",
)
def list_applications(
    request: Request,
    org: str,
    principal: ReadToken,
    state: Annotated[str | None, Query(pattern=_STATES, description="only applications in this state")] = None,
) -> dict[str, Any]:
    """The applications made to organisation ``org`` (the token's), the nearest deadline first: those waiting for a
    decision unless ``state`` names another."""
    token_of(principal, org)
    recognition = container(request).recognition
    views = recognition.queue(org, states=(state,)) if state else recognition.queue(org)
    return {"ok": True, "count": len(views), "items": [application_json(v) for v in views]}


@router.get(
    "/orgs/{org}/recognition/measures",
    response_model=MeasuresAnswer,
    summary="The institution's recognition in numbers",
)
def measures(request: Request, org: str, principal: ReadToken) -> dict[str, Any]:
    """Applications, decisions, the share recognised and decided at once, the median days to a decision and the
    micro-credentials counted most, over every application made to organisation ``org`` (the token's)."""
    token_of(principal, org)
    found = container(request).recognition.measures(org)
    return {
        "ok": True,
        "organisation": org,
        "applications": found.applications,
        "decided": found.decided,
        "recognised_share": found.recognised_share,
        "automatic_share": found.automatic_share,
        "median_days_to_decision": found.median_days_to_decision,
        "most_recognised": [{"name": n, "recognitions": c} for n, c in found.most_recognised],
    }


@router.get(
    "/orgs/{org}/recognition/applications/{application_id}",
    response_model=ApplicationAnswer,
    summary="One application made to the institution",
    responses={404: {"description": "no such application of this organisation"}},
)
def get_org_application(request: Request, org: str, application_id: str, principal: ReadToken) -> Response:
    """An application made to organisation ``org`` (the token's), in any state, with its decision credential once
    issued."""
    token_of(principal, org)
    view = container(request).recognition.get(application_id[:80], organisation=org)
    return _application_answer(request, view, 200)


@router.post(
    "/orgs/{org}/recognition/applications/{application_id}/information",
    response_model=ApplicationAnswer,
    summary="Ask the applicant for more information",
    responses={
        404: {"description": "no such application of this organisation"},
        409: {"description": "the application is not waiting for a decision"},
        413: {"description": f"the body is larger than {MAX_MESSAGE_BYTES:,} bytes"},
    },
    dependencies=[Depends(body_at_most(MAX_MESSAGE_BYTES))],
)
def request_information(
    request: Request, org: str, application_id: str, body: MessageRequest, principal: IssueToken
) -> Response:
    """Say what information is needed: the application waits for the applicant's answer, and its deadline stops
    running until then."""
    token_of(principal, org)
    view = container(request).recognition.request_information(
        application_id[:80], organisation=org, message=body.message, actor=principal.actor
    )
    return _application_answer(request, view, 200)


@router.post(
    "/orgs/{org}/recognition/applications/{application_id}/decision",
    response_model=ApplicationAnswer,
    summary="Decide a recognition application: full, partial or refused",
    responses={
        400: {"description": "partial without ECTS (or as many as a full recognition), or no substantial differences"},
        404: {"description": "no such application of this organisation"},
        409: {"description": "the application is not waiting for a decision"},
    },
)
def decide(request: Request, org: str, application_id: str, body: DecisionRequest, principal: IssueToken) -> Response:
    """Full or partial: the decision is issued to the learner as a signed credential from the institution. Partial
    needs ``ects``; partial and refused need the substantial ``differences``."""
    token_of(principal, org)
    done = container(request).recognition.decide(
        application_id[:80],
        organisation=org,
        decision=body.decision,
        actor=principal.actor,
        ects=float(body.ects) if body.ects is not None else None,
        differences=body.differences,
        reason=body.reason,
    )
    return _application_answer(request, done, 200)
