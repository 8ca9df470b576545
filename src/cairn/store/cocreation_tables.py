"""The tables of co-creation: an issuer shares a draft definition with another organisation (an employer,
typically), whose members comment on it; the issuer answers in the same thread."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cairn.store.base import Base, BigId, UtcDateTime

__all__ = ["DefinitionShareRow", "DraftCommentRow"]


class DefinitionShareRow(Base):
    """A definition shared for comments by its lead (``organisation_id``) with ``reviewer_id``. Ending a share
    sets ``ended_at``; sharing again with the same organisation opens the same row again, comments kept."""

    __tablename__ = "definition_shares"
    __table_args__ = (UniqueConstraint("definition_id", "reviewer_id", name="uq_definition_shares_reviewer"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    shared_by: Mapped[str] = mapped_column(String(500))
    shared_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_by: Mapped[str | None] = mapped_column(String(500))


class DraftCommentRow(Base):
    """A comment on a shared definition, by a member of the reviewing organisation or (a reply) of the lead.
    ``author``: the audit log's name of the account; ``author_name``: what the thread shows;
    ``reply_to_id``: the comment it answers; ``resolved_at``: when the lead marked it dealt with."""

    __tablename__ = "draft_comments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    share_id: Mapped[int] = mapped_column(ForeignKey("definition_shares.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(500))
    author_name: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("draft_comments.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(500))
