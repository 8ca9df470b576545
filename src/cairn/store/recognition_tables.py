"""Tables of recognition: an institution's courses and recognition rules (each versioned like a definition), and
the applications learners make under the rules, with the credentials presented, what the rule engine found, the
state of the review, the decision and the credential that says it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cairn.store.base import Base, BigId, UtcDateTime

__all__ = [
    "RecognitionApplicationRow",
    "RecognitionCourseRow",
    "RecognitionCourseVersionRow",
    "RecognitionRulesRow",
    "RecognitionRulesVersionRow",
]


class RecognitionCourseRow(Base):
    """A course (or a job profile) of an institution: the stable identity of its versions."""

    __tablename__ = "recognition_courses"
    __table_args__ = (UniqueConstraint("slug", name="uq_recognition_courses_slug"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    latest_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="published")  # or "draft"
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RecognitionCourseVersionRow(Base):
    """One version of a course document; an application names the version it was assessed against."""

    __tablename__ = "recognition_course_versions"
    __table_args__ = (UniqueConstraint("course_id", "version", name="uq_recognition_course_versions_version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("recognition_courses.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RecognitionRulesRow(Base):
    """Recognition rules of an institution: the stable identity of their versions."""

    __tablename__ = "recognition_rules"
    __table_args__ = (UniqueConstraint("slug", name="uq_recognition_rules_slug"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    latest_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="published")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RecognitionRulesVersionRow(Base):
    """One version of recognition rules; a decision (and its precedent) names the version it was taken under."""

    __tablename__ = "recognition_rules_versions"
    __table_args__ = (UniqueConstraint("rules_id", "version", name="uq_recognition_rules_versions_version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rules_id: Mapped[int] = mapped_column(ForeignKey("recognition_rules.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RecognitionApplicationRow(Base):
    """A learner's application for recognition under one version of an institution's rules.

    ``state``: ``automatic-decided`` (the rules, or a precedent, decided at once), ``review`` (in the institution's
    queue until ``deadline``), ``more-info-requested`` (waiting for the learner), ``decided`` (by a reviewer) or
    ``appealed`` (the learner appealed the decision: back in the queue). ``decision``: ``full``, ``partial`` or
    ``refused``. ``presented``: ``{"items": [{"id", "digest", "document", "status", "counted", ...}]}``;
    ``assessment``: what the rule engine found, as JSON; ``messages``: the requests for information, the answers
    and the appeals, in order."""

    __tablename__ = "recognition_applications"
    __table_args__ = (
        UniqueConstraint("public_id", name="uq_recognition_applications_public_id"),
        Index("ix_recognition_applications_queue", "organisation_id", "state", "deadline"),
        Index("ix_recognition_applications_precedent", "evidence_key", "state"),
        Index("ix_recognition_applications_holder", "holder"),
        Index("ix_recognition_applications_rules", "rules_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    rules_id: Mapped[int] = mapped_column(ForeignKey("recognition_rules.id", ondelete="RESTRICT"))
    rules_version: Mapped[int] = mapped_column(Integer)
    course_id: Mapped[int] = mapped_column(ForeignKey("recognition_courses.id", ondelete="RESTRICT"))
    course_version: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    holder: Mapped[str] = mapped_column(String(2000))
    presented: Mapped[dict[str, Any]]
    assessment: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(20))
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reviewer: Mapped[str | None] = mapped_column(String(500))
    decision: Mapped[str | None] = mapped_column(String(10))
    ects: Mapped[float | None] = mapped_column(Float)
    differences: Mapped[dict[str, Any]]  # {"items": ["...", ...]}: the substantial differences stated
    reason: Mapped[str | None] = mapped_column(Text)
    messages: Mapped[dict[str, Any]]  # {"items": [{"at", "by", "kind", "text"}, ...]}
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    appeals: Mapped[int] = mapped_column(Integer, default=0)
    award_id: Mapped[str | None] = mapped_column(ForeignKey("awards.id", ondelete="SET NULL"), index=True)
    evidence_key: Mapped[str] = mapped_column(String(64))
    precedent_key: Mapped[str | None] = mapped_column(String(64))
    precedent_of: Mapped[str | None] = mapped_column(String(36))
    """The application whose decision this one's repeats (a precedent), if any."""
    challenge: Mapped[str | None] = mapped_column(String(200), unique=True)
    """The challenge a presentation was bound to: each is used once."""
    access_hash: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 of the access key given once to an applicant who applied with a presentation (no Cairn account):
    with it they read the application, answer a request for information and appeal."""
    language: Mapped[str | None] = mapped_column(String(10))
    """The applicant's language (``en``, ``pl``): the decision credential's texts are written in it."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
