"""The award API for learning management systems: award a micro-credential of the catalogue to one learner.

``POST /api/v1/awards`` (bearer token with ``credentials:issue``) awards a definition of the token's organisation
(its latest version, or the one named) to a learner named by email and/or DID, with an optional name, grade,
evidence and external id. It goes through the same issuing service as the award pages: the same Open Badges 3.0
credential, status entries, claim email and audit entry. It is idempotent: the same definition version, learner
and external id answer the award already made (200, ``created: false``), and so does the same ``Idempotency-Key``
header for the same definition version, whatever else is sent. A new award answers 201.

``GET /api/v1/awards/claims`` (bearer token with ``credentials:read``) answers how many of the organisation's
awards were claimed: issued, claimed, claim rate and median seconds to claim, overall and per micro-credential,
filtered like the awards page (``q``, ``status``, ``definition``).

``POST /api/v1/offers`` (bearer token with ``credentials:issue``) makes an OpenID4VCI offer at enrolment: the
credential of a definition of the token's organisation for a learner enrolled in it, before the award exists
(:mod:`cairn.services.openid4vci.enrolment`). The answer (201) carries the offer's link for a wallet, its address,
the transaction code to give the learner beside it (shown once, never kept), and how long it lasts; the wallet's
credentials are deferred until the award is made. ``DELETE /api/v1/offers/{offer_id}`` withdraws one (204).

Every error answers the one JSON shape of :mod:`cairn.web.errors`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from cairn.model.awards import MAX_EVIDENCE, MAX_NARRATIVE, Evidence, Recipient
from cairn.model.types import ShortText
from cairn.services.accounts.access import TokenPrincipal
from cairn.services.issuing.queries import MAX_QUERY
from cairn.web.deps import bearer_token, container
from cairn.web.errors import answers_json

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["awards"], dependencies=[Depends(answers_json)])

AwardToken = Annotated[TokenPrincipal, Depends(bearer_token("credentials:issue"))]
ReadToken = Annotated[TokenPrincipal, Depends(bearer_token("credentials:read"))]


class AwardRequest(BaseModel):
    """What to award to whom."""

    model_config = ConfigDict(extra="forbid")
    definition: StrictStr = Field(
        min_length=1, max_length=200, description="the micro-credential's identifier (its slug) in the catalogue"
    )
    version: int | None = Field(None, ge=1, le=1_000_000, description="a version; the latest when left out")
    recipient: Recipient = Field(description="the learner: email and/or DID, and a name to show")
    evidence: list[Evidence] = Field(default_factory=list, max_length=MAX_EVIDENCE)
    external_id: ShortText | None = Field(None, description="the award's id in the calling system")
    grade: ShortText | None = None
    narrative: StrictStr | None = Field(
        None, min_length=1, max_length=MAX_NARRATIVE, description="what this learner did (credentialSubject.narrative)"
    )


class AwardAnswer(BaseModel):
    """The award: made now (``created``) or found again."""

    award_id: str
    created: bool
    credential: dict[str, Any] | str = Field(description="the signed credential (a JWT for JWT issuers)")
    claim_url: str | None = Field(None, description="the learner's claim link, only when the award is new")


@router.post(
    "/awards",
    status_code=201,
    response_model=AwardAnswer,
    summary="Award a micro-credential to a learner (idempotent)",
    responses={200: {"model": AwardAnswer, "description": "the award already made for this request"}},
)
def create_award(
    request: Request,
    body: AwardRequest,
    principal: AwardToken,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=200)] = None,
) -> Response:
    """Award ``definition`` (a micro-credential of the token's organisation) to ``recipient``.

    201 with the new award; 200 with the award already made when the same definition version, learner and
    ``external_id`` were awarded before, or the same ``Idempotency-Key`` was sent for that definition version.
    404 when the definition is not one the organisation awards; 409 while a co-awarding body has not accepted, or
    while the definition is a draft.
    """
    result = container(request).issuing.award(
        body.definition,
        body.recipient,
        actor=principal.actor,
        version=body.version,
        external_id=body.external_id,
        grade=body.grade,
        organisation=principal.organisation,
        evidence=tuple(body.evidence),
        narrative=body.narrative,
        idempotency_key=idempotency_key,
    )
    answer = AwardAnswer(
        award_id=result.award_id, created=result.created, credential=result.credential, claim_url=result.claim_url
    )
    return JSONResponse(answer.model_dump(), status_code=201 if result.created else 200)


class OfferRequest(BaseModel):
    """Whom to offer the credential of which micro-credential, before it is awarded."""

    model_config = ConfigDict(extra="forbid")
    definition: StrictStr = Field(min_length=1, max_length=200, description="the micro-credential's identifier")
    recipient: Recipient = Field(description="the learner, named as the award will name them: email and/or DID")
    external_id: ShortText | None = Field(None, description="the award's id in the calling system, as it will be sent")
    configurations: list[StrictStr] | None = Field(
        None, min_length=1, max_length=10, description="credential configurations to offer; all when left out"
    )


class OfferAnswer(BaseModel):
    """An offer at enrolment: what to show the learner (the link as a QR code, the transaction code beside it)."""

    offer_id: int
    link: str = Field(description="openid-credential-offer://?credential_offer_uri=...")
    offer_uri: str
    tx_code: str = Field(description="the transaction code for the learner: shown only in this answer")
    expires_at: str = Field(description="until when a wallet can redeem the offer")
    defer_until: str = Field(description="until when the wallet's credentials wait for the award")
    configurations: list[str]


@router.post(
    "/offers", status_code=201, response_model=OfferAnswer, summary="Offer a credential at enrolment (OpenID4VCI)"
)
def create_offer(request: Request, body: OfferRequest, principal: AwardToken) -> Response:
    """Offer ``recipient`` the credential of ``definition`` before it is awarded: a wallet redeems the offer now,
    and gets the credential through the deferred endpoint once the award is made. 404 when the definition is not
    one the organisation awards; 409 while it is a draft; 429 after too many offers in an hour."""
    made = container(request).enrolment_offers.make(
        principal.organisation,
        body.definition,
        body.recipient,
        actor=principal.actor,
        external_id=body.external_id,
        configurations=tuple(body.configurations) if body.configurations else None,
    )
    answer = OfferAnswer(
        offer_id=made.offer_id,
        link=made.link,
        offer_uri=made.offer_uri,
        tx_code=made.tx_code,
        expires_at=made.expires_at.isoformat(),
        defer_until=made.defer_until.isoformat(),
        configurations=list(made.configurations),
    )
    return JSONResponse(answer.model_dump(), status_code=201, headers={"Cache-Control": "no-store"})


@router.delete("/offers/{offer_id}", status_code=204, summary="Withdraw an offer at enrolment")
def withdraw_offer(request: Request, offer_id: Annotated[int, Path(ge=1, le=2**62)], principal: AwardToken) -> Response:
    """Withdraw an offer at enrolment of the token's organisation: no wallet can redeem it any more, and credentials
    deferred for it are refused (``credential_request_denied``). 404 for any other offer."""
    container(request).enrolment_offers.withdraw(principal.organisation, offer_id, actor=principal.actor)
    return Response(status_code=204)


class ClaimFiguresAnswer(BaseModel):
    """How many awards were issued and claimed, the claim rate (0 to 1) and the median seconds to claim."""

    issued: int
    claimed: int
    claimRate: float | None = Field(description="claimed / issued; null when nothing was issued")
    medianSecondsToClaim: int | None = Field(description="null when nothing was claimed")


class ClaimStatisticsAnswer(BaseModel):
    """Claim figures of the awards the filters match: overall and per micro-credential (``""``: VC-API)."""

    overall: ClaimFiguresAnswer
    byDefinition: dict[str, ClaimFiguresAnswer]


@router.get(
    "/awards/claims",
    response_model=ClaimStatisticsAnswer,
    summary="Claim figures of the organisation's awards: issued, claimed, claim rate, median time to claim",
)
def claim_statistics(
    request: Request,
    principal: ReadToken,
    q: Annotated[str, Query(max_length=MAX_QUERY)] = "",
    status: Annotated[str | None, Query(max_length=20, description="valid, revoked or suspended")] = None,
    definition: Annotated[str | None, Query(max_length=200, description="a micro-credential's identifier")] = None,
) -> Response:
    """The claim figures of the token organisation's awards, filtered as the awards page filters them (``q``
    as its search, ``status``, ``definition``); 400 for an unknown status."""
    figures = container(request).award_queries.claim_statistics(
        principal.organisation, query=q, status=status or None, definition=definition or None
    )
    return JSONResponse(figures.to_dict())
