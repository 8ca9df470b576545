"""The one-time links Cairn emails: sign-in links and sign-up confirmations, stored only as a SHA-256, put in
the outbox in the language of the page that asked for them.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy import update
from sqlalchemy.orm import Session

from cairn.services.accounts import emails
from cairn.services.accounts.access import SIGN_IN_LINK_PATH, ServiceBase, sha256_hex
from cairn.store.accounts.repository import AccountRepository, SignInLinkRepository
from cairn.store.mail import OutboxRepository
from cairn.store.tables import SignInLinkRow

__all__ = ["SIGN_UP_PURPOSE", "LinkMailer"]

SIGN_UP_PURPOSE = "sign-up"
"""The purpose of a sign-up confirmation link: it confirms the account's pending password."""


class LinkMailer(ServiceBase):
    """Writes one-time links to the outbox and finds them again by their token."""

    link_lifetime: timedelta
    sign_up_lifetime: timedelta

    def _send_confirmation(
        self,
        session: Session,
        email: str,
        next_path: str,
        language: str = "en",
        *,
        pending: tuple[str, str | None] | None = None,
    ) -> None:
        """Email a sign-up confirmation; ``pending`` (password hash, display name) rides on the link, not the
        account, for an address that has an account already."""
        hours = int(self.sign_up_lifetime.total_seconds() // 3600)
        body = emails.said(emails.CONFIRM_BODY, language).replace("{hours}", str(hours))
        self._send_link(
            session,
            email,
            emails.CONFIRM_SUBJECT,
            body,
            next_path,
            purpose=SIGN_UP_PURPOSE,
            language=language,
            pending=pending,
        )

    def _send_link(
        self,
        session: Session,
        email: str,
        subject: str,
        body: str,
        next_path: str,
        *,
        purpose: str = "sign-in",
        language: str = "en",
        pending: tuple[str, str | None] | None = None,
    ) -> None:
        """Put a new one-time link for ``email`` in the outbox, in ``body`` at ``{link}`` (subject and body in
        ``language`` where :mod:`.emails` has them in it)."""
        subject, body = emails.said(subject, language), emails.said(body, language)
        token, now = secrets.token_urlsafe(32), self.clock()
        lifetime = self.sign_up_lifetime if purpose == SIGN_UP_PURPOSE else self.link_lifetime
        SignInLinkRepository(session).add(
            token_hash=sha256_hex(token),
            email=email,
            purpose=purpose,
            now=now,
            expires_at=now + lifetime,
            pending=pending,
        )
        link = f"{self.public_url}{SIGN_IN_LINK_PATH}?token={token}"
        if next_path:
            link += f"&next={quote(next_path, safe='/')}"
        minutes = int(self.link_lifetime.total_seconds() // 60)
        text = body.replace("{link}", link).replace("{minutes}", str(minutes)).replace("{public}", self.public_url)
        OutboxRepository(session).enqueue(to=email, subject=subject, body=text, now=now)

    @staticmethod
    def _expire_confirmations(session: Session, email: str, now: datetime) -> None:
        """Every unused sign-up confirmation link of ``email`` stops working."""
        session.execute(
            update(SignInLinkRow)
            .where(
                SignInLinkRow.email == email,
                SignInLinkRow.purpose == SIGN_UP_PURPOSE,
                SignInLinkRow.used_at.is_(None),
            )
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )

    def _link(self, session: Session, token: str) -> SignInLinkRow | None:
        if len(token) > 200:
            return None
        digest, links = sha256_hex(token), SignInLinkRepository(session)
        return links.by_hash(digest, purpose="sign-in") or links.by_hash(digest, purpose=SIGN_UP_PURPOSE)

    def _pending_hash(self, session: Session, token: str) -> tuple[str, str] | None:
        """(email, pending password hash) when ``token`` is a live confirmation of an account waiting for it: the
        hash the link holds, else (a sign-up that made the account) the account's."""
        link, now = self._link(session, token), self.clock()
        if link is None or link.purpose != SIGN_UP_PURPOSE or link.used_at is not None or link.expires_at <= now:
            return None
        row = AccountRepository(session).by_email(link.email)
        if row is None or row.email_verified_at is not None:
            return None
        pending = link.pending_password_hash or row.password_hash
        return None if pending is None else (row.email, pending)
