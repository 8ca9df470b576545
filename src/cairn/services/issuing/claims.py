"""Claim links after an award: sending one again, making a fresh one to hand over another way, sending again
to every unclaimed learner of a bulk job, and telling a learner that their award's status changed.

Only a claim token's SHA-256 is stored, so a link cannot be sent twice: every re-send makes a fresh token and
the old link stops working. Cairn keeps no learner's address in clear either, so the issuer gives it (one
award: typed; a bulk job: its file uploaded again) and it must be the address the credential was issued to
(checked against the salted hash the credential carries), so a re-send never reaches anyone else. An award
gets a link (sent or shown) at most once every :data:`RESEND_INTERVAL`, so nobody can be flooded with
emails; each one is audited. A claim link works for :data:`CLAIM_LINK_LIFETIME` after it was last sent.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from cairn.errors import ConflictError, InputError, NotFoundError, TooManyAttemptsError
from cairn.formats.preview import badge_png, badge_svg, embedded_image
from cairn.services.issuing.bulk_files import check_file, read_rows
from cairn.services.issuing.claim_emails import claim_email, credential_language, status_email
from cairn.store.database import Database
from cairn.store.issuing.claims import ClaimRepository
from cairn.store.issuing.repository import AuditRecord, AwardRepository, append_audit, enqueue_emails
from cairn.store.tables import AwardRow, BulkJobRow, OrganisationRow
from cairn.vc.formats.baking import bake_png, bake_svg
from cairn.vc.holder import email_matches

__all__ = [
    "CLAIM_FILES",
    "CLAIM_LINK_LIFETIME",
    "RESEND_INTERVAL",
    "BulkResend",
    "ClaimFile",
    "ClaimService",
    "claim_file",
    "claim_link_expired",
    "queue_status_notice",
]

RESEND_INTERVAL: Final = timedelta(minutes=10)
"""The shortest time between two claim links (sent or shown) of one award."""
CLAIM_LINK_LIFETIME: Final = timedelta(days=365)
"""How long a claim link works after it was last sent (or the award made)."""
MAX_EMAIL: Final = 320
CLAIM_FILES: Final = ("json", "png", "svg")
"""The forms a learner can download a credential in from its claim link, without an account."""


@dataclass(frozen=True, slots=True)
class ClaimFile:
    """A credential as a file to download."""

    body: bytes
    media_type: str
    suffix: str


def claim_file(credential: dict[str, Any] | str, kind: str, *, title: str, issuer: str) -> ClaimFile:
    """The credential as ``kind`` (one of :data:`CLAIM_FILES`): its JSON (or JWT) as issued, or baked into its
    badge image (the credential's own when it carries one, else one drawn from its title), as Open Badges
    baking says, so any badge backpack can read it. NotFoundError for another kind."""
    text = credential if isinstance(credential, str) else json.dumps(credential, indent=2, ensure_ascii=False)
    document = credential if isinstance(credential, dict) else {}
    if kind == "json":
        if isinstance(credential, str):
            return ClaimFile(text.encode("ascii"), "application/vc+jwt", "jwt")
        return ClaimFile(text.encode("utf-8"), "application/vc+ld+json", "json")
    if kind == "png":
        image = embedded_image(document, "png") or badge_png(title=title, issuer=issuer)
        return ClaimFile(bake_png(image, text.strip()), "image/png", "png")
    if kind == "svg":
        image = embedded_image(document, "svg") or badge_svg(title=title, issuer=issuer)
        return ClaimFile(bake_svg(image, text.strip()), "image/svg+xml", "svg")
    raise NotFoundError(f"no download '{kind[:20]}': choose one of {', '.join(CLAIM_FILES)}")


def claim_link_expired(award: AwardRow, now: datetime) -> bool:
    """Whether the award's claim link is past :data:`CLAIM_LINK_LIFETIME`."""
    return now > (award.claim_sent_at or award.issued_at) + CLAIM_LINK_LIFETIME


@dataclass(frozen=True, slots=True)
class BulkResend:
    """What re-sending to a bulk job did: emails queued, and awards left out (claimed, revoked, sent recently,
    or whose row's address does not match)."""

    job_id: int
    sent: int
    recent: int
    unmatched: int


def _texts(credential: dict[str, Any] | None) -> tuple[str, str, str | None]:
    """``(title, issuer name, learner's name)`` from a stored credential."""
    c = credential or {}
    issuer = c.get("issuer")
    issuer_name = issuer.get("name") if isinstance(issuer, dict) else None
    name = None
    subject = c.get("credentialSubject")
    for identifier in (subject.get("identifier") or []) if isinstance(subject, dict) else []:
        if isinstance(identifier, dict) and identifier.get("identityType") == "name":
            name = str(identifier.get("identityHash") or "") or None
    title = c.get("name")
    return (
        str(title) if isinstance(title, str) else "",
        str(issuer_name) if isinstance(issuer_name, str) else "",
        name,
    )


class ClaimService:
    """Claim links sent again or made afresh, over one database."""

    def __init__(self, database: Database, *, public_url: str, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.public_url = public_url.rstrip("/")
        self.clock = clock

    def claim_url(self, token: str) -> str:
        """The link a learner claims with."""
        return f"{self.public_url}/claim/{token}"

    def _award(self, session: Session, award_id: str, organisation: str) -> AwardRow:
        award = AwardRepository(session).locked(award_id)
        org = session.get(OrganisationRow, award.organisation_id) if award and award.organisation_id else None
        if award is None or org is None or org.slug != organisation:
            raise NotFoundError(f"no award '{award_id[:40]}'")
        return award

    def _check_open(self, award: AwardRow, now: datetime) -> None:
        if award.revoked_at is not None:
            raise ConflictError("this award is revoked: there is nothing to claim")
        if award.claimed_at is not None:
            raise ConflictError("the learner has already claimed this award")
        if award.claim_sent_at is not None and now - award.claim_sent_at < RESEND_INTERVAL:
            wait = RESEND_INTERVAL - (now - award.claim_sent_at)
            raise TooManyAttemptsError(int(wait.total_seconds()))

    def _renew(self, award: AwardRow, now: datetime) -> str:
        token = secrets.token_urlsafe(32)
        award.claim_token_hash = token_hash(token)
        award.claim_sent_at = now
        award.claim_sends = int(award.claim_sends or 0) + 1
        return token

    def _email(self, award: AwardRow, to: str, token: str) -> tuple[str, str, str]:
        credential = award.credential if isinstance(award.credential, dict) else None
        title, issuer, name = _texts(credential)
        subject, body = claim_email(
            language=credential_language(credential),
            title=title,
            issuer=issuer,
            name=name,
            link=self.claim_url(token),
            again=True,
        )
        return to, subject, body

    def resend(self, award_id: str, *, organisation: str, email: str, actor: str) -> datetime:
        """Email the learner a fresh claim link (the old one stops working); ``email`` must be the address the
        award was made to. InputError when it is not, ConflictError when the award is claimed or revoked,
        TooManyAttemptsError within :data:`RESEND_INTERVAL` of the last link. Returns when it was queued."""
        address = email.strip().lower()
        if not address or len(address) > MAX_EMAIL or "@" not in address:
            raise InputError("enter the learner's email address")
        now = self.clock().replace(microsecond=0)
        with self.database.transaction() as session:
            award = self._award(session, award_id, organisation)
            self._check_open(award, now)
            credential = award.credential if isinstance(award.credential, dict) else {}
            if email_matches(credential, address) is not True:
                raise InputError("this is not the email address the award was made to")
            token = self._renew(award, now)
            enqueue_emails(session, [self._email(award, address, token)], now=now)
            details = {"sends": award.claim_sends}
            append_audit(session, [AuditRecord(now, actor, "award.claim-resend", award.id, details)])
        return now

    def regenerate(self, award_id: str, *, organisation: str, actor: str) -> str:
        """A fresh claim link to hand to the learner another way (shown once; the old one stops working).
        ConflictError when the award is claimed or revoked; TooManyAttemptsError as for :meth:`resend`."""
        now = self.clock().replace(microsecond=0)
        with self.database.transaction() as session:
            award = self._award(session, award_id, organisation)
            self._check_open(award, now)
            token = self._renew(award, now)
            details = {"sends": award.claim_sends}
            append_audit(session, [AuditRecord(now, actor, "award.claim-regenerate", award.id, details)])
        return self.claim_url(token)

    def resend_job(self, data: bytes, *, filename: str, organisation: str, actor: str, max_bytes: int) -> BulkResend:
        """Email a fresh claim link to every unclaimed, unrevoked learner of the bulk job that awarded ``data``
        (the same file uploaded again: Cairn keeps no address in clear). A row's address must match its award;
        awards sent a link within :data:`RESEND_INTERVAL` are left out. NotFoundError when no job of the
        organisation awarded this file."""
        check = check_file(data, filename=filename, max_bytes=max_bytes)
        if not check.ok:
            raise InputError("the file does not pass the checks; upload the file the bulk award was made from")
        now = self.clock().replace(microsecond=0)
        with self.database.transaction() as session:
            job = session.scalar(
                select(BulkJobRow)
                .join(OrganisationRow, OrganisationRow.id == BulkJobRow.organisation_id)
                .where(OrganisationRow.slug == organisation, BulkJobRow.file_sha256 == check.sha256)
                .order_by(BulkJobRow.id.desc())
                .limit(1)
            )
            if job is None:
                raise NotFoundError("no bulk award of your organisation was made from this file")
            addresses = {row.row: row.recipient.email for row in read_rows(data, kind=check.kind)}
            emails: list[tuple[str, str, str]] = []
            records: list[AuditRecord] = []
            recent = unmatched = 0
            for award in ClaimRepository(session).unclaimed_of_job(job.organisation_id, job.id):
                address = addresses.get(award.row_number or 0)
                credential = award.credential if isinstance(award.credential, dict) else {}
                if not address or email_matches(credential, address) is not True:
                    unmatched += 1
                    continue
                if award.claim_sent_at is not None and now - award.claim_sent_at < RESEND_INTERVAL:
                    recent += 1
                    continue
                token = self._renew(award, now)
                emails.append(self._email(award, address.lower(), token))
                details = {"sends": award.claim_sends, "job": job.id}
                records.append(AuditRecord(now, actor, "award.claim-resend", award.id, details))
            enqueue_emails(session, emails, now=now)
            append_audit(session, records)
            return BulkResend(job.id, len(emails), recent, unmatched)


def queue_status_notice(
    session: Session, award: AwardRow, *, change: str, reason: str, now: datetime, public_url: str
) -> bool:
    """In the caller's transaction: email the learner who claimed ``award`` that ``change`` (``revoked``,
    ``suspended``, ``reinstated``) happened, and make the award's wallet copies due for a fresh check (so the
    wallet's notice comes from verifying it again). Returns whether an email was queued (only a learner who
    claimed it has an address Cairn knows)."""
    claims = ClaimRepository(session)
    claims.mark_copies_due(award.id, checked_before=now - timedelta(days=3650))
    address = claims.learner_email(award)
    if address is None:
        return False
    credential = award.credential if isinstance(award.credential, dict) else None
    title, issuer, _ = _texts(credential)
    subject, body = status_email(
        language=credential_language(credential),
        change=change,
        title=title,
        issuer=issuer,
        reason=reason,
        wallet_url=f"{public_url.rstrip('/')}/wallet",
    )
    enqueue_emails(session, [(address, subject, body)], now=now)
    return True


def token_hash(token: str) -> str:
    """The SHA-256 (hex) a claim token is stored under (as :func:`cairn.services.issuing.service.claim_token_hash`;
    not imported from there, which imports the status lists that import this module)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
