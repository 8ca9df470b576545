"""The JSON API of pathways: read the published ones, write an organisation's, claim a composite credential with a
presentation, and review claims.

- ``GET /api/v1/pathways`` and ``GET /api/v1/pathways/{slug}`` (public): published pathways, latest versions or the
  one named by ``?version=``; a draft is not found.
- ``PUT /api/v1/orgs/{org}/pathways/{slug}`` (bearer token of ``org`` with ``credentials:issue``, the scope that
  makes the organisation's credentials: a pathway awards one): the pathway as JSON; 201 when it is new, 200 with
  the version now latest (a new one when it changed), 422 listing every problem with its field path.
- ``GET /api/v1/pathways/{slug}/challenge`` (public): a challenge and the domain a presentation is bound to.
- ``POST /api/v1/pathways/{slug}/claims`` (public): ``{"presentation": <VP JSON or a VP-JWT>, "challenge": ...}``;
  201 with the claim (``awarded``, with the award and its credential, or ``review``), 409 with the evaluation's
  words when the rules are not met, 400 for a presentation that does not verify or a challenge not given here.
  The same holder claiming again gets the same claim, never a second award.
- ``GET /api/v1/orgs/{org}/pathways/{slug}/claims`` (``credentials:read``) and
  ``POST /api/v1/orgs/{org}/pathway-claims/{id}/decision`` (``credentials:issue``): the issuer's review.

Errors answer the one JSON shape of :mod:`cairn.web.errors` (``problems`` with paths for a pathway with problems).
"""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from cairn.errors import CatalogError, Problem
from cairn.phrases import say
from cairn.services.accounts.access import TokenPrincipal
from cairn.services.pathways.claims import CHALLENGE_LIFETIME, ClaimView
from cairn.services.pathways.service import PathwayView
from cairn.web.deps import bearer_token, body_at_most, container, token_of
from cairn.web.errors import answers_json
from cairn.web.i18n import machine_date

__all__ = ["MAX_CLAIM_BYTES", "MAX_PATHWAY_BYTES", "claim_json", "pathway_json", "router"]

router = APIRouter(prefix="/api/v1", tags=["pathways"], dependencies=[Depends(answers_json)])

MAX_PATHWAY_BYTES = 200_000
"""Largest pathway accepted by PUT, in bytes."""
MAX_CLAIM_BYTES = 1_000_000
"""Largest claim (a presentation of up to 50 credentials) accepted, in bytes."""

IssueToken = Annotated[TokenPrincipal, Depends(bearer_token("credentials:issue"))]
ReadToken = Annotated[TokenPrincipal, Depends(bearer_token("credentials:read"))]


# -- answers ----------------------------------------------------------------------------------------------------


class PathwayAnswer(BaseModel):
    """One version of a published pathway."""

    ok: bool = True
    id: str
    version: int
    latest_version: int
    state: str = Field(description="published (drafts are never answered here)")
    issuer: str = Field(description="the organisation that awards the target")
    target: str = Field(description="the micro-credential awarded when the rules are met")
    target_title: dict[str, str]
    content_hash: str
    pathway: dict[str, Any] = Field(description="the pathway as its issuer wrote it (the catalogue file's form)")
    versions: list[int] | None = Field(None, description="every version's number (on GET of one pathway)")


class PathwayList(BaseModel):
    """Every published pathway, latest versions."""

    ok: bool = True
    count: int
    items: list[PathwayAnswer]


class SavedAnswer(BaseModel):
    """What saving did: ``created``, ``new-version`` or ``unchanged``, and the version now latest."""

    ok: bool = True
    id: str
    version: int
    action: str
    state: str


class ChallengeAnswer(BaseModel):
    """What a presentation claiming the pathway is bound to."""

    ok: bool = True
    pathway: str
    challenge: str = Field(description="the proof's challenge (a VP-JWT's nonce)")
    domain: str = Field(description="the proof's domain (a VP-JWT's aud)")
    expires: str = Field(description="when the challenge stops being accepted (ISO 8601, UTC)")


class ComponentAnswer(BaseModel):
    """A credential counted for the claim."""

    id: str
    title: str
    issuer: str
    digest: str = Field(description="sha384 of the credential as presented (SRI form)")
    counted: bool
    status: str


class ClaimBody(BaseModel):
    """A claim of a pathway's composite credential."""

    id: str
    pathway: str
    version: int = Field(description="the pathway's version the claim was judged by")
    state: str = Field(description="review, awarded or refused")
    holder: str
    award_id: str | None
    created_at: str
    decided_at: str | None
    reason: str | None = Field(description="why the issuer refused it")
    explanation: str = Field(description="the evaluation in words")
    components: list[ComponentAnswer]


class ClaimAnswer(BaseModel):
    """A claim, with the composite credential once awarded."""

    ok: bool = True
    claim: ClaimBody
    credential: dict[str, Any] | str | None = Field(None, description="the composite credential, once awarded")


class ClaimList(BaseModel):
    """Claims of one pathway, newest first."""

    ok: bool = True
    count: int
    items: list[ClaimBody]


class ClaimRequest(BaseModel):
    """A presentation of the component credentials, bound to a challenge of this instance."""

    model_config = ConfigDict(extra="forbid")
    presentation: dict[str, Any] | StrictStr = Field(
        description="a Verifiable Presentation (JSON with a Data Integrity proof) or a VP-JWT, signed by the holder"
    )
    challenge: StrictStr = Field(min_length=1, max_length=200, description="from GET .../challenge")


class DecisionRequest(BaseModel):
    """The issuer's decision on a claim waiting for review."""

    model_config = ConfigDict(extra="forbid")
    approve: StrictBool
    reason: StrictStr = Field("", max_length=2000, description="required to refuse: the learner reads it")


def pathway_json(view: PathwayView, versions: list[int] | None = None) -> dict[str, Any]:
    """One pathway version as the API answers it."""
    return PathwayAnswer(
        id=view.slug,
        version=view.version,
        latest_version=view.stored.latest_version,
        state=view.stored.state,
        issuer=view.pathway.issuer,
        target=view.pathway.target,
        target_title=dict(view.target_title),
        content_hash=view.stored.content_hash,
        pathway=view.stored.content,
        versions=versions,
    ).model_dump(exclude_none=True)


def claim_json(claim: ClaimView) -> dict[str, Any]:
    """A claim as the API answers it (the evaluation said in English)."""
    return ClaimBody(
        id=claim.public_id,
        pathway=claim.pathway,
        version=claim.version,
        state=claim.state,
        holder=claim.holder,
        award_id=claim.award_id,
        created_at=machine_date(claim.created_at),
        decided_at=machine_date(claim.decided_at) if claim.decided_at else None,
        reason=claim.reason,
        explanation=say(claim.explanation, lambda message: message),
        components=[
            ComponentAnswer(
                id=c.id, title=c.title, issuer=c.issuer, digest=c.digest, counted=c.counted, status=c.status
            )
            for c in claim.components
        ],
    ).model_dump()


def _claim_answer(request: Request, claim: ClaimView, status: int) -> Response:
    credential: dict[str, Any] | str | None = None
    if claim.award_id:
        credential = container(request).issuing.get(claim.award_id).credential
    return JSONResponse({"ok": True, "claim": claim_json(claim), "credential": credential}, status_code=status)


# -- reading ----------------------------------------------------------------------------------------------------


@router.get("/pathways", response_model=PathwayList, summary="Every published pathway, latest versions")
def list_pathways(request: Request) -> dict[str, Any]:
    """The published pathways of every organisation of this instance, by id."""
    views = container(request).pathways.all()
    return {"ok": True, "count": len(views), "items": [pathway_json(v) for v in views]}


@router.get("/pathways/{slug}", response_model=PathwayAnswer, summary="One published pathway")
def get_pathway(
    request: Request,
    slug: str,
    version: Annotated[int | None, Query(ge=1, le=1_000_000, description="a version; the latest if absent")] = None,
) -> dict[str, Any]:
    """A published pathway at a version, with the list of its versions; 404 for a draft or an unknown one."""
    service = container(request).pathways
    view = service.get(slug, version)
    return pathway_json(view, service.versions(slug))


# -- writing ----------------------------------------------------------------------------------------------------

_EXAMPLE = {
    "id": "um-data-analyst",
    "title": {"en": "Data analyst", "pl": "Analityk danych"},
    "issuer": "uniwersytet-mazowiecki",
    "target": "um-applied-statistics",
    "review": "issuer",
    "rules": {
        "all": [
            {"component": {"definition": "um-python-data-analysis"}},
            {
                "n_of": {
                    "n": 1,
                    "of": [{"component": {"definition": "um-sql-databases"}}, {"criteria": {"eqf_at_least": 5}}],
                }
            },
        ]
    },
    "totals": {"ects_at_least": 10},
}


@router.put(
    "/orgs/{org}/pathways/{slug}",
    status_code=201,
    response_model=SavedAnswer,
    summary="Create or change a pathway of the organisation (a new version when it changed)",
    responses={
        200: {"model": SavedAnswer, "description": "an existing pathway: a new version, or unchanged"},
        422: {"description": "the pathway has problems: `problems` lists each with its field path"},
    },
    dependencies=[Depends(body_at_most(MAX_PATHWAY_BYTES))],
)
def put_pathway(
    request: Request,
    org: str,
    slug: str,
    principal: IssueToken,
    body: Annotated[
        dict[str, Any],
        Body(
            description="the pathway as in a catalogue file (`kind: pathway` may be left out); `id` and `issuer` "
            "default to the address's; `state`: draft or published (a new pathway is published unless it says "
            "draft; an existing one keeps its state)",
            examples=[_EXAMPLE],
        ),
    ],
) -> Response:
    """Check and store pathway ``slug`` of organisation ``org`` (the token's). Its target must be one of the
    organisation's micro-credentials, every definition it names must exist, and no rule may be impossible to meet;
    every problem answers at once, with its path (``rules.all[1].n_of``)."""
    token_of(principal, org)
    data = dict(body)
    data.setdefault("id", slug)
    data.setdefault("issuer", org)
    problems = []
    if data["id"] != slug:
        problems.append(Problem("pathway", "id", f"the body's id is not the address's ({slug})"))
    if data["issuer"] != org:
        problems.append(Problem("pathway", "issuer", f"the issuer is the organisation of the address ({org})"))
    if problems:
        raise CatalogError(problems)
    service = container(request).pathways
    action, version = service.save(data, organisation=org, actor=principal.actor)
    state = service.get(slug, version, drafts=True).stored.state
    answer = SavedAnswer(id=slug, version=version, action=action, state=state)
    return JSONResponse(answer.model_dump(), status_code=201 if action == "created" else 200)


# -- claiming ---------------------------------------------------------------------------------------------------


@router.get(
    "/pathways/{slug}/challenge", response_model=ChallengeAnswer, summary="A challenge to claim a pathway's composite"
)
def get_challenge(request: Request, slug: str) -> dict[str, Any]:
    """A challenge for a presentation claiming pathway ``slug``, and the domain to bind it to; it expires after
    ten minutes."""
    services = container(request)
    challenge = services.pathway_claims.challenge(slug)
    expires = (services.clock() + CHALLENGE_LIFETIME).astimezone(UTC).replace(microsecond=0)
    return ChallengeAnswer(
        pathway=slug,
        challenge=challenge,
        domain=services.pathway_claims.domain,
        expires=expires.isoformat().replace("+00:00", "Z"),
    ).model_dump()


@router.post(
    "/pathways/{slug}/claims",
    status_code=201,
    response_model=ClaimAnswer,
    summary="Claim a pathway's composite credential with a presentation of its components",
    responses={
        400: {"description": "the presentation does not verify, names no holder, or the challenge is not this one's"},
        409: {"description": "the pathway's rules are not met (the error says why, in words)"},
        413: {"description": f"the body is larger than {MAX_CLAIM_BYTES:,} bytes"},
    },
    dependencies=[Depends(body_at_most(MAX_CLAIM_BYTES))],
)
def claim(request: Request, slug: str, body: ClaimRequest) -> Response:
    """Verify the presentation (its proof, challenge and domain, then each credential: signature, status,
    validity, issuer trust, and that it names the presentation's holder), evaluate the pathway's rules and award
    the composite at once or queue it for the issuer's review. Claiming again gives the same claim back."""
    found = container(request).pathway_claims.claim_presentation(slug, body.presentation, challenge=body.challenge)
    return _claim_answer(request, found, 201)


# -- the issuer's review ----------------------------------------------------------------------------------------


@router.get(
    "/orgs/{org}/pathways/{slug}/claims",
    response_model=ClaimList,
    summary="Claims of one of the organisation's pathways",
)
def list_claims(
    request: Request,
    org: str,
    slug: str,
    principal: ReadToken,
    state: Annotated[
        str | None, Query(pattern="^(review|awarded|refused)$", description="only claims in this state")
    ] = None,
) -> dict[str, Any]:
    """The claims of pathway ``slug`` (the token organisation's), newest first."""
    token_of(principal, org)
    states = (state,) if state else ()
    claims = container(request).pathway_claims.claims(slug, organisation=org, states=states)
    return {"ok": True, "count": len(claims), "items": [claim_json(c) for c in claims]}


@router.post(
    "/orgs/{org}/pathway-claims/{claim_id}/decision",
    response_model=ClaimAnswer,
    summary="Approve (award) or refuse a claim waiting for review",
    responses={
        400: {"description": "refused without a reason"},
        409: {"description": "decided already, or the components no longer meet the rules"},
    },
)
def decide(request: Request, org: str, claim_id: str, body: DecisionRequest, principal: IssueToken) -> Response:
    """Approve: every component is checked again and the composite awarded. Refuse: ``reason`` is required and
    shown to the learner."""
    token_of(principal, org)
    done = container(request).pathway_claims.decide(
        claim_id[:40], organisation=org, approve=body.approve, reason=body.reason, actor=principal.actor
    )
    return _claim_answer(request, done, 200)
