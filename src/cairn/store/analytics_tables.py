"""What Cairn records for policy analytics (issue 18): counts, not people, and a learner's own answers only with
their consent. The analytics engine (:mod:`cairn.services.analytics`) reads these tables; the docs say what
is recorded, why and for how long (docs/analytics-data.md).

- ``verification_counts``: how often credentials were verified by someone else, by day, channel, verifier and
  (for this instance's awards) issuing organisation and definition. Each row is a count; ``key`` joins its
  dimensions, so that one ``INSERT ... ON CONFLICT (key) DO UPDATE SET count = count + excluded.count`` adds to it
  on SQLite and PostgreSQL alike (a unique constraint over nullable columns would never conflict on NULLs).
- ``demand_counts``: how often job-ad analyses found each ESCO skill (or occupation), by month.
- ``analytics_snapshots`` and ``analytics_snapshot_chunks``: the Parquet files a refresh exports (derived data,
  not backed up), kept in the database so that every process, on any machine, reads the same snapshot.
- ``learner_profiles``: a learner's age band, gender, education, employment status and region, given with consent
  on ``/wallet/statistics``; withdrawing the consent (or erasing the account) deletes the row.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from cairn.store.base import Base, BigId, UtcDateTime

__all__ = [
    "AnalyticsChunkRow",
    "AnalyticsSnapshotRow",
    "DemandCountRow",
    "LearnerProfileRow",
    "VerificationCountRow",
]


class VerificationCountRow(Base):
    """How many verifications of one kind happened on one day (see the module's text)."""

    __tablename__ = "verification_counts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    """Every dimension below joined with ``|`` (NULL as empty): what the upsert conflicts on."""
    day: Mapped[date] = mapped_column(Date(), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    """``web``, ``api``, ``batch``, ``openid4vp`` or ``share-link``."""
    verifier_kind: Mapped[str] = mapped_column(String(20))
    """``anonymous``, ``organisation`` (an API token or a signed-in member) or ``registry``."""
    verifier_type: Mapped[str | None] = mapped_column(String(40))
    """The verifying organisation's type (university, employer, ...), when known."""
    verifier_country: Mapped[str | None] = mapped_column(String(2))
    issuing_organisation_id: Mapped[int | None] = mapped_column(Integer)
    """This instance's organisation that awarded the credential; NULL for anyone else's credential."""
    issuer_country: Mapped[str | None] = mapped_column(String(2))
    """From the report's trust information (the registry's legal identity) or this instance's organisation."""
    definition_id: Mapped[int | None] = mapped_column(Integer)
    """This instance's micro-credential definition awarded; NULL otherwise."""
    verified: Mapped[bool] = mapped_column(Boolean())
    count: Mapped[int] = mapped_column(Integer)


class DemandCountRow(Base):
    """How often job-ad analyses (or learners) pointed at one ESCO skill or occupation in one month."""

    __tablename__ = "demand_counts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    """``month|kind|uri``: what the upsert conflicts on."""
    month: Mapped[date] = mapped_column(Date(), index=True)
    """The first day of the month."""
    kind: Mapped[str] = mapped_column(String(30))
    """``job-ad-skill``, ``job-ad-occupation`` or ``occupation-followed``."""
    uri: Mapped[str] = mapped_column(String(250))
    count: Mapped[int] = mapped_column(Integer)


class LearnerProfileRow(Base):
    """One learner's answers for aggregate statistics, given with their consent (deleted when withdrawn)."""

    __tablename__ = "learner_profiles"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    age_band: Mapped[str] = mapped_column(String(10))
    gender: Mapped[str] = mapped_column(String(20))
    education_level: Mapped[str] = mapped_column(String(10))
    """ISCED 2011 level ``0`` to ``8``, or ``not-said``."""
    employment_status: Mapped[str] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(6))
    """ISO 3166-2 subdivision (``PL-14``), as organisations give theirs."""
    consent_version: Mapped[str] = mapped_column(String(20))
    consent_given_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AnalyticsSnapshotRow(Base):
    """One exported snapshot: when, and what it holds (``meta``: rows per table, seconds, files with their sizes
    and SHA-256)."""

    __tablename__ = "analytics_snapshots"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    meta: Mapped[dict[str, Any]]


class AnalyticsChunkRow(Base):
    """A piece (at most :data:`cairn.store.analytics.CHUNK` bytes) of one Parquet file of a snapshot."""

    __tablename__ = "analytics_snapshot_chunks"

    snapshot_id: Mapped[int] = mapped_column(ForeignKey("analytics_snapshots.id", ondelete="CASCADE"), primary_key=True)
    file: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
