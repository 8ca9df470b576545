"""The JSON bodies of the recognition API (:mod:`cairn.web.recognition.api`): what it answers and what it takes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

__all__ = [
    "AppealRequest",
    "ApplicationAnswer",
    "ApplicationBody",
    "ApplicationList",
    "ApplicationRequest",
    "ChallengeAnswer",
    "CourseAnswer",
    "DecisionRequest",
    "MeasuredDefinition",
    "MeasuresAnswer",
    "MessageAnswer",
    "MessageRequest",
    "PresentedAnswer",
    "RulesAnswer",
    "RulesList",
]

# -- answers ----------------------------------------------------------------------------------------------------


class CourseAnswer(BaseModel):
    """One version of a published course (or job profile) credentials are recognised towards."""

    ok: bool = True
    id: str
    version: int
    latest_version: int
    institution: str
    title: dict[str, str]
    ects: float | None = Field(None, description="absent for a job profile without ECTS")
    eqf: int | None = None
    content_hash: str
    course: dict[str, Any] = Field(description="the course as its institution wrote it (the catalogue file's form)")
    versions: list[int] | None = Field(None, description="every version's number (on GET of one course)")


class RulesAnswer(BaseModel):
    """One version of published recognition rules, with the latest version of their course."""

    ok: bool = True
    id: str
    version: int
    latest_version: int
    state: str = Field(description="published (drafts are never answered here)")
    institution: str = Field(description="the organisation that publishes the rules and decides")
    title: dict[str, str]
    conditions: dict[str, Any] = Field(description="what a credential must show to be recognised")
    outcome: dict[str, Any] = Field(description="the ECTS recognised, the review (automatic or reviewer), tiers")
    content_hash: str
    rules: dict[str, Any] = Field(description="the rules as their institution wrote them (the catalogue file's form)")
    course: CourseAnswer
    versions: list[int] | None = Field(None, description="every version's number (on GET of one rules document)")


class RulesList(BaseModel):
    """Every published rules document, latest versions."""

    ok: bool = True
    count: int
    items: list[RulesAnswer]


class ChallengeAnswer(BaseModel):
    """What a presentation applying under the rules is bound to."""

    ok: bool = True
    rules: str
    challenge: str = Field(description="the proof's challenge (a VP-JWT's nonce); good for one application")
    domain: str = Field(description="the proof's domain (a VP-JWT's aud)")
    expires: str = Field(description="when the challenge stops being accepted (ISO 8601, UTC)")


class PresentedAnswer(BaseModel):
    """A credential presented with an application, counted or not, and why."""

    id: str
    title: str
    issuer: str
    digest: str = Field(description="sha384 of the credential as presented (SRI form)")
    status: str = Field(description="valid, or why it is not (revoked, expired, about someone else, ...)")
    trusted: bool = Field(description="its issuer is vouched for (trust network, or this instance's organisation)")
    counted: bool
    explanation: str = Field(description="why it counted or not, in words")


class MessageAnswer(BaseModel):
    """A message on an application: the institution's request for information, the applicant's answer or appeal."""

    kind: str = Field(description="request (from the institution), response or appeal (from the applicant)")
    at: str
    text: str


class ApplicationBody(BaseModel):
    """An application for recognition."""

    id: str
    rules: str
    rules_version: int = Field(description="the rules' version the application was judged by")
    course: str
    institution: str
    holder: str
    state: str = Field(description="review, more-info-requested, appealed, decided or automatic-decided")
    decision: str | None = Field(description="full, partial or refused; null while nobody has decided")
    ects: float | None = Field(description="the ECTS recognised")
    full_ects: float = Field(description="the ECTS of a full recognition")
    automatic: bool = Field(description="decided at once (by the rules or a precedent)")
    precedent_of: str | None = Field(description="the earlier application whose decision was repeated")
    differences: list[str] = Field(description="the substantial differences stated (partial or refused)")
    reason: str | None
    award_id: str | None = Field(description="the decision credential's award, once issued")
    deadline: str | None
    created_at: str
    decided_at: str | None
    explanation: str = Field(description="the rule engine's assessment in words")
    presented: list[PresentedAnswer]
    messages: list[MessageAnswer] = Field(description="requests for information, answers and the appeal, in order")
    language: str | None = Field(description="the applicant's language (en or pl)")


class ApplicationAnswer(BaseModel):
    """An application, with its decision credential once issued."""

    ok: bool = True
    application: ApplicationBody
    credential: dict[str, Any] | str | None = Field(None, description="the decision credential, once issued")
    access_key: str | None = Field(
        None,
        description="on the answer to applying with a presentation only, this once: the key the applicant follows "
        "the application with (Authorization: Bearer ...). Cairn keeps only its SHA-256: keep it",
    )


class ApplicationList(BaseModel):
    """Applications in the institution's queue, the nearest deadline first."""

    ok: bool = True
    count: int
    items: list[ApplicationBody]


class MeasuredDefinition(BaseModel):
    """A micro-credential counted in recognitions: this instance's definition slug, else the achievement's id."""

    name: str
    recognitions: int


class MeasuresAnswer(BaseModel):
    """An institution's recognition in numbers (what the analytics read)."""

    ok: bool = True
    organisation: str
    applications: int
    decided: int
    recognised_share: float | None = Field(description="of those decided, the share recognised fully or in part")
    automatic_share: float | None = Field(description="of those decided, the share decided at once")
    median_days_to_decision: float | None
    most_recognised: list[MeasuredDefinition] = Field(description="at most five, the most counted first")


class ApplicationRequest(BaseModel):
    """A presentation of the credentials to recognise, bound to a challenge of this instance."""

    model_config = ConfigDict(extra="forbid")
    presentation: dict[str, Any] | StrictStr = Field(
        description="a Verifiable Presentation (JSON with a Data Integrity proof) or a VP-JWT, signed by the holder"
    )
    challenge: StrictStr = Field(min_length=1, max_length=200, description="from GET .../challenge")
    language: Literal["en", "pl"] = Field("en", description="the applicant's language, for the decision's texts")


class DecisionRequest(BaseModel):
    """The institution's decision on an application waiting for one."""

    model_config = ConfigDict(extra="forbid")
    decision: Literal["full", "partial", "refused"]
    ects: StrictFloat | StrictInt | None = Field(
        None, gt=0, le=1000, description="required for partial: fewer than a full recognition's"
    )
    differences: list[Annotated[StrictStr, Field(max_length=1000)]] = Field(
        default_factory=list,
        max_length=20,
        description="the substantial differences: required for partial and refused (Lisbon Recognition Convention)",
    )
    reason: StrictStr = Field("", max_length=2000, description="the reasoning the learner reads")


class MessageRequest(BaseModel):
    """The applicant's answer to a request for information, or the institution's request."""

    model_config = ConfigDict(extra="forbid")
    message: StrictStr = Field(min_length=1, max_length=2000)


class AppealRequest(BaseModel):
    """The applicant's appeal of a decision (once)."""

    model_config = ConfigDict(extra="forbid")
    reason: StrictStr = Field(min_length=1, max_length=2000, description="why the decision should change")
