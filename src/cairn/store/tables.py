"""SQLAlchemy tables. The schema itself is created and changed only by Alembic migrations.

Every table works on SQLite and PostgreSQL alike; JSON columns become JSONB on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from cairn.store.analytics_tables import (
    AnalyticsChunkRow,
    AnalyticsSnapshotRow,
    DemandCountRow,
    LearnerProfileRow,
    VerificationCountRow,
)
from cairn.store.base import Base, BigId, UtcDateTime
from cairn.store.cocreation_tables import DefinitionShareRow, DraftCommentRow
from cairn.store.endorsement_tables import EndorsementRow
from cairn.store.esco_tables import (
    EscoBroaderRow,
    EscoCollectionRow,
    EscoIscoGroupRow,
    EscoOccupationRow,
    EscoOccupationSkillRow,
    EscoReleaseRow,
    EscoSkillGroupRow,
    EscoSkillRow,
)
from cairn.store.job_tables import BulkUploadRow
from cairn.store.limit_tables import RateLimitHitRow
from cairn.store.openid4vci_tables import (
    AuthorizationRow,
    CredentialOfferRow,
    DeferredIssueRow,
    IssuedCopyRow,
    OfferTokenRow,
    UsedNonceRow,
)
from cairn.store.openid4vp_tables import PresentationRequestRow
from cairn.store.pathway_tables import PathwayClaimRow, PathwayFollowRow, PathwayRow, PathwayVersionRow
from cairn.store.recognition_tables import (
    RecognitionApplicationRow,
    RecognitionCourseRow,
    RecognitionCourseVersionRow,
    RecognitionRulesRow,
    RecognitionRulesVersionRow,
)
from cairn.store.seal_tables import SealCertificateRow
from cairn.store.status_tables import StatusPublicationRow
from cairn.store.wallet_receipt_tables import PendingReceiptRow

__all__ = [
    "AccountRow",
    "AccreditationRow",
    "AnalyticsChunkRow",
    "AnalyticsSnapshotRow",
    "ApiTokenRow",
    "AuditChainRow",
    "AuditEntry",
    "AuthorizationRow",
    "AwardRow",
    "Base",
    "BulkJobRow",
    "BulkUploadRow",
    "CoAwardRow",
    "CredentialOfferRow",
    "DeferredIssueRow",
    "DefinitionRow",
    "DefinitionShareRow",
    "DefinitionVersionRow",
    "DemandCountRow",
    "DraftCommentRow",
    "EndorsementRow",
    "EscoBroaderRow",
    "EscoCollectionRow",
    "EscoIscoGroupRow",
    "EscoOccupationRow",
    "EscoOccupationSkillRow",
    "EscoReleaseRow",
    "EscoSkillGroupRow",
    "EscoSkillRow",
    "ImageRow",
    "IssuedCopyRow",
    "KeyRow",
    "LearnerProfileRow",
    "LearnerRow",
    "MembershipRow",
    "OfferTokenRow",
    "OrganisationRow",
    "OutboxRow",
    "PathwayClaimRow",
    "PathwayFollowRow",
    "PathwayRow",
    "PathwayVersionRow",
    "PendingReceiptRow",
    "PresentationRequestRow",
    "RateLimitHitRow",
    "RecognitionApplicationRow",
    "RecognitionCourseRow",
    "RecognitionCourseVersionRow",
    "RecognitionRulesRow",
    "RecognitionRulesVersionRow",
    "RegistryPeerRow",
    "SealCertificateRow",
    "ShareLinkRow",
    "SignInLinkRow",
    "StatusListRow",
    "StatusPublicationRow",
    "TrustAnchorRow",
    "TrustStateRow",
    "UsedNonceRow",
    "VerificationCountRow",
    "WalletCollectionItemRow",
    "WalletCollectionRow",
    "WalletCredentialRow",
    "WalletRow",
    "WebSessionRow",
]


class OrganisationRow(Base):
    """An issuing organisation; ``document`` holds the validated Organisation as JSON."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    type: Mapped[str] = mapped_column(String(40))
    document: Mapped[dict[str, Any]]
    signing_suite: Mapped[str] = mapped_column(String(40), default="eddsa-rdfc-2022", server_default="eddsa-rdfc-2022")
    signing_key_type: Mapped[str | None] = mapped_column(String(10), default=None)  # "P-384"; None: the suite's own
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DefinitionRow(Base):
    """A micro-credential definition: the stable identity of its versions."""

    __tablename__ = "definitions"
    __table_args__ = (UniqueConstraint("slug", name="uq_definitions_slug"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    latest_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(20), default="published", server_default="published")  # or "draft"


class DefinitionVersionRow(Base):
    """One version of a definition; immutable once awarded."""

    __tablename__ = "definition_versions"
    __table_args__ = (UniqueConstraint("definition_id", "version", name="uq_definition_versions_version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id", ondelete="RESTRICT"))
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LearnerRow(Base):
    """A learner known to this instance."""

    __tablename__ = "learners"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    did: Mapped[str | None] = mapped_column(String(2000))
    display_name: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AwardRow(Base):
    """One award of a definition version (none: issued through the VC-API); the credential is kept as signed."""

    __tablename__ = "awards"
    __table_args__ = (
        UniqueConstraint("definition_version_id", "recipient_key", name="uq_awards_recipient"),
        UniqueConstraint("revocation_list_id", "revocation_index", name="uq_awards_revocation_slot"),
        UniqueConstraint("suspension_list_id", "suspension_index", name="uq_awards_suspension_slot"),
        Index("ix_awards_learner", "learner_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    definition_version_id: Mapped[int | None] = mapped_column(ForeignKey("definition_versions.id", ondelete="RESTRICT"))
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learners.id", ondelete="SET NULL"))
    recipient_key: Mapped[str] = mapped_column(String(128))
    recipient_hash: Mapped[str | None] = mapped_column(String(200))
    recipient_did: Mapped[str | None] = mapped_column(String(2000))
    external_id: Mapped[str | None] = mapped_column(String(500))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    grade: Mapped[str | None] = mapped_column(String(500))
    credential: Mapped[dict[str, Any] | None]
    revocation_list_id: Mapped[int | None] = mapped_column(ForeignKey("status_lists.id", ondelete="RESTRICT"))
    revocation_index: Mapped[int | None] = mapped_column(Integer)
    suspension_list_id: Mapped[int | None] = mapped_column(ForeignKey("status_lists.id", ondelete="RESTRICT"))
    suspension_index: Mapped[int | None] = mapped_column(Integer)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revocation_reason: Mapped[str | None] = mapped_column(String(1000))
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    suspension_reason: Mapped[str | None] = mapped_column(String(1000))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    suite: Mapped[str | None] = mapped_column(String(40))
    credential_jwt: Mapped[str | None] = mapped_column(Text)
    claim_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    bulk_job_id: Mapped[int | None] = mapped_column(ForeignKey("bulk_jobs.id", ondelete="SET NULL"), index=True)
    row_number: Mapped[int | None] = mapped_column(Integer)
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    renewed_from: Mapped[str | None] = mapped_column(ForeignKey("awards.id", ondelete="SET NULL"))
    claim_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # the last claim link sent or shown
    claim_sends: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ImageRow(Base):
    """A checked badge image or logo an organisation uploaded (PNG, or SVG after sanitising), by its SHA-256."""

    __tablename__ = "images"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    media_type: Mapped[str] = mapped_column(String(40))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CoAwardRow(Base):
    """A co-awarding organisation's answer to being named as an awarding body of a definition (not the first,
    which edits it). No row means the request is pending: the definition cannot be awarded until it accepts."""

    __tablename__ = "co_awards"
    __table_args__ = (UniqueConstraint("definition_id", "organisation_id", name="uq_co_awards_definition"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(20))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_by: Mapped[str] = mapped_column(String(500))


class KeyRow(Base):
    """An organisation's signing key; the private part is encrypted at rest."""

    __tablename__ = "keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    key_id: Mapped[str] = mapped_column(String(2000), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    public_key_multibase: Mapped[str] = mapped_column(String(200))
    private_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class StatusListRow(Base):
    """A Bitstring Status List of an organisation, for one purpose (revocation or suspension)."""

    __tablename__ = "status_lists"
    __table_args__ = (UniqueConstraint("organisation_id", "purpose", "sequence", name="uq_status_lists_seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    sequence: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    bits: Mapped[bytes] = mapped_column(LargeBinary)
    allocated: Mapped[int] = mapped_column(Integer, default=0)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AuditEntry(Base):
    """An append-only, hash-chained record of who did what, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(500))
    action: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    keyed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """True when ``hash`` is an HMAC with the instance's audit key; False for an entry written before the chain
    was keyed (or by an instance without CAIRN_SECRET_KEY), whose ``hash`` is a plain SHA-256."""


class AuditChainRow(Base):
    """Where the keyed chain begins (one row, ``id`` 1): entries up to ``legacy_until`` were written unkeyed
    before the chain was keyed, and ``mac`` (an HMAC with the audit key over that id and that entry's hash) seals
    them. No row: every entry must be keyed (or, without a key, none is)."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    legacy_until: Mapped[int] = mapped_column(BigInteger)
    mac: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AccountRow(Base):
    """A person who signs in: an issuer's staff member or a learner."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(500))
    display_name: Mapped[str | None] = mapped_column(String(500))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    email_verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class MembershipRow(Base):
    """An account's role in an organisation: owner, issuer or viewer."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("account_id", "organisation_id", name="uq_memberships_member"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ApiTokenRow(Base):
    """A scoped API token of an organisation; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class WebSessionRow(Base):
    """A signed-in browser session; the cookie holds a random token whose SHA-256 is stored."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SignInLinkRow(Base):
    """A one-time sign-in (or claim) link sent by email; only its SHA-256 is stored. A sign-up confirmation for an
    address that already has an account holds the password hash and name chosen (``pending_*``): they reach the
    account only when the link is used with that password."""

    __tablename__ = "sign_in_links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    purpose: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    pending_password_hash: Mapped[str | None] = mapped_column(String(200))
    pending_display_name: Mapped[str | None] = mapped_column(String(200))


class OutboxRow(Base):
    """An email waiting to be sent (or sent): written in the same transaction as what caused it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    body_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(1000))


class BulkJobRow(Base):
    """A bulk award from a CSV or XLSX file: resumable, with a row-by-row report."""

    __tablename__ = "bulk_jobs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    definition_version_id: Mapped[int] = mapped_column(ForeignKey("definition_versions.id", ondelete="RESTRICT"))
    filename: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    done_rows: Mapped[int] = mapped_column(Integer, default=0)
    failed_rows: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class WalletRow(Base):
    """A learner's wallet: the did:key that signs their presentations (private part encrypted) and their profile."""

    __tablename__ = "wallets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), unique=True)
    did: Mapped[str] = mapped_column(String(200))
    private_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    profile_slug: Mapped[str | None] = mapped_column(String(80), unique=True)
    profile_name: Mapped[str | None] = mapped_column(String(500))
    profile_public: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WalletCredentialRow(Base):
    """One credential kept in a wallet, as received, with what verifying it last found."""

    __tablename__ = "wallet_credentials"
    __table_args__ = (UniqueConstraint("wallet_id", "content_hash", name="uq_wallet_credentials_content"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("wallets.id", ondelete="CASCADE"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(40))
    original: Mapped[str] = mapped_column(Text)
    document: Mapped[dict[str, Any]]
    title: Mapped[str] = mapped_column(String(500))
    issuer_name: Mapped[str | None] = mapped_column(String(500))
    issuer_id: Mapped[str | None] = mapped_column(String(2000))
    issued_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(20))
    report: Mapped[dict[str, Any]]
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)  # the re-check job's order
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())
    tags: Mapped[dict[str, Any]]
    search_text: Mapped[str] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    award_id: Mapped[str | None] = mapped_column(ForeignKey("awards.id", ondelete="SET NULL"), index=True)
    holder_match: Mapped[str] = mapped_column(String(20), default="someone-else", server_default="someone-else")
    """Whether the credential is about the wallet's holder: ``holder``, ``someone-else`` (it names another
    person) or ``unknown`` (it names nobody); only ``holder`` credentials are shown as the holder's."""
    status_seen: Mapped[str | None] = mapped_column(String(20))  # the status the learner was last shown
    status_mailed: Mapped[str | None] = mapped_column(String(20))  # the status the learner was last emailed about


class WalletCollectionRow(Base):
    """A named collection of credentials in a wallet."""

    __tablename__ = "wallet_collections"
    __table_args__ = (UniqueConstraint("wallet_id", "name", name="uq_wallet_collections_name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("wallets.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WalletCollectionItemRow(Base):
    """A credential's membership of a collection."""

    __tablename__ = "wallet_collection_items"

    collection_id: Mapped[int] = mapped_column(
        ForeignKey("wallet_collections.id", ondelete="CASCADE"), primary_key=True
    )
    credential_id: Mapped[str] = mapped_column(
        ForeignKey("wallet_credentials.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ShareLinkRow(Base):
    """A link that shows one wallet credential to whoever holds it: optionally expiring, revocable, counted."""

    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("wallet_credentials.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column("token", String(64), unique=True)
    """The SHA-256 (hex) of the link's token, never the token (the column kept its old name, ``token``)."""
    seed: Mapped[str | None] = mapped_column(String(64))
    """What the token is derived from with the instance's secret key (HMAC), so that the owner can be shown the
    link again; None for links made before tokens were hashed (migration 0023), whose address is not shown again."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    views: Mapped[int] = mapped_column(Integer, default=0)
    last_viewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AccreditationRow(Base):
    """An accreditation made here: ``document`` is the Accreditation as JSON, ``credential`` its signed VC."""

    __tablename__ = "accreditations"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    legal_name: Mapped[str] = mapped_column(String(500))
    document: Mapped[dict[str, Any]]
    credential: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class TrustAnchorRow(Base):
    """A DID this instance trusts as the root of a chain: one of its own registries, set by an administrator."""

    __tablename__ = "trust_anchors"

    did: Mapped[str] = mapped_column(String(500), primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RegistryPeerRow(Base):
    """A federated registry: its list's URL, the DID that must sign it, the last good list (kept until expiry)."""

    __tablename__ = "registry_peers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    did: Mapped[str] = mapped_column(String(500))
    name: Mapped[str] = mapped_column(String(500))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())
    etag: Mapped[str | None] = mapped_column(String(200))
    list_data: Mapped[bytes | None] = mapped_column(LargeBinary)  # accepted entries, compressed JSON
    entries: Mapped[int] = mapped_column(Integer, default=0)
    list_issued_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(String(1000))


class TrustStateRow(Base):
    """One row: a revision bumped by every trust change, so each process knows when to rebuild its index."""

    __tablename__ = "trust_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)
