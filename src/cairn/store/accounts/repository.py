"""Repositories for people and access: accounts, memberships, API tokens, web sessions, sign-in links,
and the mailer's view of the outbox.

Each takes an open :class:`~sqlalchemy.orm.Session`; the service owns the transaction. Secrets never
reach the store: tokens, sessions and sign-in links are looked up by the SHA-256 of their value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.orm import Session

from cairn.store.tables import (
    AccountRow,
    ApiTokenRow,
    MembershipRow,
    OrganisationRow,
    OutboxRow,
    SignInLinkRow,
    WebSessionRow,
)

__all__ = [
    "AccountRepository",
    "ApiTokenRepository",
    "MembershipRepository",
    "OutboxQueue",
    "SignInLinkRepository",
    "WebSessionRepository",
]


def _changed(result: Any) -> int:
    """How many rows an UPDATE touched."""
    return int(cast(CursorResult[Any], result).rowcount)


class AccountRepository:
    """Accounts, found by id or by (normalised) email."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, account_id: int) -> AccountRow | None:
        """The account ``account_id``, or None."""
        return self.session.get(AccountRow, account_id)

    def by_email(self, email: str) -> AccountRow | None:
        """The account with ``email`` (already normalised), or None."""
        return self.session.scalar(select(AccountRow).where(AccountRow.email == email))

    def add(
        self, *, email: str, password_hash: str | None, display_name: str | None, is_admin: bool, now: datetime
    ) -> AccountRow:
        """Insert an account and give it an id."""
        row = AccountRow(
            email=email, password_hash=password_hash, display_name=display_name, is_admin=is_admin, created_at=now
        )
        self.session.add(row)
        self.session.flush()
        return row

    def list(self) -> list[AccountRow]:
        """Every account, by email."""
        return list(self.session.scalars(select(AccountRow).order_by(AccountRow.email)))


class MembershipRepository:
    """Who belongs to which organisation, in which role."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, *, account_id: int, organisation_id: int) -> MembershipRow | None:
        """The membership of one account in one organisation, or None."""
        return self.session.scalar(
            select(MembershipRow).where(
                MembershipRow.account_id == account_id, MembershipRow.organisation_id == organisation_id
            )
        )

    def add(self, *, account_id: int, organisation_id: int, role: str, now: datetime) -> MembershipRow:
        """Insert a membership."""
        row = MembershipRow(account_id=account_id, organisation_id=organisation_id, role=role, created_at=now)
        self.session.add(row)
        self.session.flush()
        return row

    def remove(self, row: MembershipRow) -> None:
        """Delete a membership."""
        self.session.delete(row)
        self.session.flush()

    def members(self, organisation_id: int) -> list[tuple[MembershipRow, AccountRow]]:
        """The members of an organisation with their accounts, by email."""
        stmt = (
            select(MembershipRow, AccountRow)
            .join(AccountRow, AccountRow.id == MembershipRow.account_id)
            .where(MembershipRow.organisation_id == organisation_id)
            .order_by(AccountRow.email)
        )
        return list(self.session.execute(stmt).tuples())

    def organisations(self, account_id: int) -> list[tuple[MembershipRow, OrganisationRow]]:
        """The organisations an account belongs to, by slug."""
        stmt = (
            select(MembershipRow, OrganisationRow)
            .join(OrganisationRow, OrganisationRow.id == MembershipRow.organisation_id)
            .where(MembershipRow.account_id == account_id)
            .order_by(OrganisationRow.slug)
        )
        return list(self.session.execute(stmt).tuples())

    def count(self, organisation_id: int, *, role: str | None = None) -> int:
        """How many members (in ``role``, when given) an organisation has."""
        stmt = select(func.count()).select_from(MembershipRow).where(MembershipRow.organisation_id == organisation_id)
        if role is not None:
            stmt = stmt.where(MembershipRow.role == role)
        return int(self.session.scalar(stmt) or 0)


class ApiTokenRepository:
    """API tokens of organisations, found by the SHA-256 of their value."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        organisation_id: int,
        created_by: int | None,
        name: str,
        token_hash: str,
        prefix: str,
        scopes: list[str],
        expires_at: datetime | None,
        now: datetime,
    ) -> ApiTokenRow:
        """Insert a token (its hash only) and give it an id."""
        row = ApiTokenRow(
            organisation_id=organisation_id,
            created_by=created_by,
            name=name,
            token_hash=token_hash,
            prefix=prefix,
            scopes={"scopes": scopes},
            created_at=now,
            expires_at=expires_at,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def by_hash(self, token_hash: str) -> tuple[ApiTokenRow, OrganisationRow] | None:
        """The token whose SHA-256 is ``token_hash``, with its organisation, or None."""
        stmt = (
            select(ApiTokenRow, OrganisationRow)
            .join(OrganisationRow, OrganisationRow.id == ApiTokenRow.organisation_id)
            .where(ApiTokenRow.token_hash == token_hash)
        )
        found = self.session.execute(stmt).tuples().first()
        return None if found is None else (found[0], found[1])

    def get(self, *, organisation_id: int, token_id: int) -> ApiTokenRow | None:
        """Token ``token_id`` of one organisation (None for another organisation's token)."""
        return self.session.scalar(
            select(ApiTokenRow).where(ApiTokenRow.id == token_id, ApiTokenRow.organisation_id == organisation_id)
        )

    def of_organisation(self, organisation_id: int) -> list[ApiTokenRow]:
        """Every token of an organisation, newest first."""
        stmt = (
            select(ApiTokenRow)
            .where(ApiTokenRow.organisation_id == organisation_id)
            .order_by(ApiTokenRow.created_at.desc(), ApiTokenRow.id.desc())
        )
        return list(self.session.scalars(stmt))

    def touch(self, token_id: int, *, now: datetime, stale_before: datetime) -> bool:
        """Set ``last_used_at`` to ``now`` unless it was set after ``stale_before``; True when written."""
        stmt = (
            update(ApiTokenRow)
            .where(
                ApiTokenRow.id == token_id,
                or_(ApiTokenRow.last_used_at.is_(None), ApiTokenRow.last_used_at < stale_before),
            )
            .values(last_used_at=now)
        )
        return _changed(self.session.execute(stmt)) == 1


class WebSessionRepository:
    """Signed-in browser sessions, found by the SHA-256 of their cookie."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self, *, token_hash: str, account_id: int, csrf_token: str, now: datetime, expires_at: datetime
    ) -> WebSessionRow:
        """Insert a session."""
        row = WebSessionRow(
            token_hash=token_hash, account_id=account_id, csrf_token=csrf_token, created_at=now, expires_at=expires_at
        )
        self.session.add(row)
        self.session.flush()
        return row

    def by_hash(self, token_hash: str) -> tuple[WebSessionRow, AccountRow] | None:
        """The session whose cookie hashes to ``token_hash``, with its account, or None."""
        stmt = (
            select(WebSessionRow, AccountRow)
            .join(AccountRow, AccountRow.id == WebSessionRow.account_id)
            .where(WebSessionRow.token_hash == token_hash)
        )
        found = self.session.execute(stmt).tuples().first()
        return None if found is None else (found[0], found[1])

    def revoke(self, token_hash: str, *, now: datetime) -> int | None:
        """Revoke a live session; the id of its account, or None when there was none to revoke."""
        row = self.session.scalar(
            select(WebSessionRow).where(WebSessionRow.token_hash == token_hash, WebSessionRow.revoked_at.is_(None))
        )
        if row is None:
            return None
        row.revoked_at = now
        return row.account_id

    def revoke_all(self, account_id: int, *, now: datetime) -> int:
        """Revoke every live session of an account; how many there were."""
        stmt = (
            update(WebSessionRow)
            .where(WebSessionRow.account_id == account_id, WebSessionRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return _changed(self.session.execute(stmt))


class SignInLinkRepository:
    """One-time links sent by email, found by the SHA-256 of their token."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        token_hash: str,
        email: str,
        purpose: str,
        now: datetime,
        expires_at: datetime,
        pending: tuple[str, str | None] | None = None,
    ) -> SignInLinkRow:
        """Insert a link; ``pending``: the (password hash, display name) a sign-up confirmation holds."""
        row = SignInLinkRow(token_hash=token_hash, email=email, purpose=purpose, created_at=now, expires_at=expires_at)
        if pending is not None:
            row.pending_password_hash, row.pending_display_name = pending
        self.session.add(row)
        self.session.flush()
        return row

    def by_hash(self, token_hash: str, *, purpose: str) -> SignInLinkRow | None:
        """The link for ``purpose`` whose token hashes to ``token_hash``, or None."""
        return self.session.scalar(
            select(SignInLinkRow).where(SignInLinkRow.token_hash == token_hash, SignInLinkRow.purpose == purpose)
        )

    def consume(self, link_id: int, *, now: datetime) -> bool:
        """Mark a link used, once: True for the one caller that got it (safe across processes)."""
        stmt = (
            update(SignInLinkRow)
            .where(SignInLinkRow.id == link_id, SignInLinkRow.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        return _changed(self.session.execute(stmt)) == 1


class OutboxQueue:
    """The mailer's view of the outbox: claim the next email to send, list what is there."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def claim_next(self, *, max_attempts: int, after_id: int = 0) -> OutboxRow | None:
        """The oldest unsent email past ``after_id`` with fewer than ``max_attempts`` tries, locked so
        that another process skips it (on PostgreSQL; SQLite serialises writers anyway)."""
        stmt = (
            select(OutboxRow)
            .where(OutboxRow.sent_at.is_(None), OutboxRow.attempts < max_attempts, OutboxRow.id > after_id)
            .order_by(OutboxRow.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        return self.session.scalar(stmt)

    def list(self, *, limit: int, include_sent: bool) -> list[OutboxRow]:
        """The newest emails first; unsent ones only unless ``include_sent``."""
        stmt = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
        if not include_sent:
            stmt = stmt.where(OutboxRow.sent_at.is_(None))
        return list(self.session.scalars(stmt))
