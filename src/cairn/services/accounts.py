"""People and access: accounts, sign-in (password or emailed link) and web sessions; with
:class:`~cairn.services.members.MemberService` and :class:`~cairn.services.api_tokens.TokenService`
folded in, :class:`AccountService` is the one object the edges use.

Secrets never reach the store or the audit log: passwords are hashed with argon2id, and sign-in links,
sessions and API tokens are random values of which only the SHA-256 is kept. Every sign-in (success or
failure), sign-out, token change and membership change is written to the hash-chained audit log.
Authorisation is the caller's job (see :meth:`AccountService.access`); these services keep the rules
that hold whoever calls them (one owner at least, one-time links, expiry, disabled accounts).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from cairn.errors import AuthenticationError, CairnError, ConflictError, InputError, NotFoundError
from cairn.services.access import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    SCOPES,
    SIGN_IN_LINK_PATH,
    TOKEN_PREFIX,
    Account,
    Member,
    NewSession,
    NewToken,
    OrganisationAccess,
    Role,
    SignedIn,
    SlidingWindowLimiter,
    TokenInfo,
    TokenPrincipal,
    TooManyAttemptsError,
    default_password_hasher,
    normalise_email,
    sha256_hex,
)
from cairn.services.api_tokens import TokenService
from cairn.services.members import MemberService
from cairn.store.accounts import AccountRepository, SignInLinkRepository, WebSessionRepository
from cairn.store.database import Database
from cairn.store.repositories import OutboxRepository
from cairn.store.tables import AccountRow

__all__ = [
    "SCOPES",
    "SIGN_IN_LINK_PATH",
    "TOKEN_PREFIX",
    "Account",
    "AccountService",
    "Member",
    "NewSession",
    "NewToken",
    "OrganisationAccess",
    "Role",
    "SignedIn",
    "SlidingWindowLimiter",
    "TokenInfo",
    "TokenPrincipal",
    "TooManyAttemptsError",
    "default_password_hasher",
    "normalise_email",
    "sha256_hex",
]

_WRONG_PASSWORD = "wrong email or password"  # noqa: S105 - a message
_BAD_LINK = "this sign-in link is not valid: it may have expired or been used already; ask for a new one"


class AccountService(MemberService, TokenService):
    """Accounts, sign-in and sessions, with members and API tokens, over one database."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime],
        public_url: str = "http://127.0.0.1:8000",
        password_hasher: PasswordHasher | None = None,
        session_lifetime: timedelta = timedelta(hours=12),
        link_lifetime: timedelta = timedelta(minutes=15),
        email_limiter: SlidingWindowLimiter | None = None,
        client_limiter: SlidingWindowLimiter | None = None,
    ) -> None:
        super().__init__(database, clock=clock, public_url=public_url)
        self.hasher = password_hasher or default_password_hasher()
        self.session_lifetime = session_lifetime
        self.link_lifetime = link_lifetime
        window = timedelta(minutes=15)
        self.email_limiter = email_limiter or SlidingWindowLimiter(limit=10, window=window, clock=clock)
        self.client_limiter = client_limiter or SlidingWindowLimiter(limit=50, window=window, clock=clock)
        self._dummy_hash: str | None = None

    # -- accounts ---------------------------------------------------------------------------------

    def _hash_password(self, password: str) -> str:
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise InputError(f"a password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters")
        return self.hasher.hash(password)

    def create_account(
        self,
        *,
        email: str,
        password: str | None = None,
        display_name: str | None = None,
        is_admin: bool = False,
        actor: str = "cli",
    ) -> Account:
        """A new account; ConflictError when the email is taken."""
        email = normalise_email(email)
        password_hash = None if password is None else self._hash_password(password)
        with self.database.transaction() as session:
            return self._create(session, email, password_hash, display_name, is_admin, actor)

    def _create(
        self, session: Session, email: str, password_hash: str | None, name: str | None, admin: bool, actor: str
    ) -> Account:
        accounts = AccountRepository(session)
        if accounts.by_email(email) is not None:
            raise ConflictError(f"there is already an account for {email}")
        row = accounts.add(
            email=email, password_hash=password_hash, display_name=name, is_admin=admin, now=self.clock()
        )
        self._audit(session, actor, "account.create", f"account:{row.id}", {"email": email, "is_admin": admin})
        return Account.of(row)

    def account(self, account_id: int) -> Account:
        """The account ``account_id``; NotFoundError when there is none."""
        with self.database.transaction() as session:
            row = AccountRepository(session).get(account_id)
            if row is None:
                raise NotFoundError("no such account")
            return Account.of(row)

    def find_account(self, email: str) -> Account | None:
        """The account of ``email``, or None."""
        with self.database.transaction() as session:
            row = AccountRepository(session).by_email(normalise_email(email))
            return None if row is None else Account.of(row)

    def set_password(self, *, email: str, password: str | None, actor: str = "cli") -> None:
        """Set (or, with None, remove) an account's password; its other sessions end."""
        email = normalise_email(email)
        password_hash = None if password is None else self._hash_password(password)
        with self.database.transaction() as session:
            row = self._account_row(session, email)
            row.password_hash = password_hash
            WebSessionRepository(session).revoke_all(row.id, now=self.clock())
            self._audit(session, actor, "account.password", f"account:{row.id}", {"set": password is not None})

    def set_disabled(self, *, email: str, disabled: bool, actor: str = "cli") -> None:
        """Disable an account (its sessions end and it cannot sign in) or enable it again."""
        email = normalise_email(email)
        with self.database.transaction() as session:
            row, now = self._account_row(session, email), self.clock()
            row.disabled_at = now if disabled else None
            if disabled:
                WebSessionRepository(session).revoke_all(row.id, now=now)
            action = "account.disable" if disabled else "account.enable"
            self._audit(session, actor, action, f"account:{row.id}", {"email": email})

    def _account_row(self, session: Session, email: str) -> AccountRow:
        row = AccountRepository(session).by_email(email)
        if row is None:
            raise NotFoundError(f"no account for {email}")
        return row

    # -- sign-in ----------------------------------------------------------------------------------

    def _throttle(self, email: str, client: str) -> None:
        waits = [self.email_limiter.retry_after(f"email:{email}"), self.client_limiter.retry_after(f"client:{client}")]
        wait = max((w for w in waits if w is not None), default=None)
        if wait is not None:
            raise TooManyAttemptsError(wait)
        self.email_limiter.hit(f"email:{email}")
        self.client_limiter.hit(f"client:{client}")

    def _dummy(self) -> str:
        """A hash of a random secret with the current parameters, to spend the same time on unknown emails."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    def _verify(self, password_hash: str | None, password: str) -> bool:
        """Check a password in about the same time whether or not the account has one."""
        if password_hash is None:
            password_hash = self._dummy()
            password = ""  # never matches the random dummy
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def sign_in(self, *, email: str, password: str, client: str) -> NewSession:
        """Check an email and password and start a session; AuthenticationError (the same for an unknown
        email and a wrong password, in about the same time), TooManyAttemptsError when throttled."""
        try:
            email = normalise_email(email)
        except InputError:
            email = email.strip().lower()[:320]  # no account has it: treated like an unknown email
        self._throttle(email, client)
        self._dummy()  # made before the first attempt of any kind, so that no first attempt is slower
        with self.database.transaction() as session:
            row = AccountRepository(session).by_email(email)
            account_id, stored = (None, None) if row is None else (row.id, row.password_hash)
        ok = self._verify(stored, password)
        with self.database.transaction() as session:
            row = None if account_id is None else AccountRepository(session).get(account_id)
            details: dict[str, Any] = {"email": email, "method": "password", "client": client}
            subject = f"account:{account_id}" if account_id is not None else f"email:{email}"
            if row is None or not ok or row.password_hash != stored:
                reason = "unknown account" if row is None else "wrong password"
                self._audit(session, "anonymous", "sign-in.failure", subject, {**details, "reason": reason})
                failure: CairnError = AuthenticationError(_WRONG_PASSWORD)
            elif row.disabled_at is not None:
                self._audit(session, "anonymous", "sign-in.failure", subject, {**details, "reason": "disabled"})
                failure = AuthenticationError("this account is disabled; ask an owner of your organisation")
            else:
                if stored is not None and self.hasher.check_needs_rehash(stored):
                    row.password_hash = self.hasher.hash(password)
                self.email_limiter.reset(f"email:{email}")
                return self._start(session, row, details)
        raise failure

    def request_sign_in_link(self, *, email: str, client: str) -> None:
        """Email a one-time sign-in link to ``email`` when it has an enabled account; otherwise do nothing
        visible, so the answer does not tell whether an account exists."""
        email = normalise_email(email)
        self._throttle(email, client)
        with self.database.transaction() as session:
            row = AccountRepository(session).by_email(email)
            if row is None or row.disabled_at is not None:
                return
            token, now = secrets.token_urlsafe(32), self.clock()
            SignInLinkRepository(session).add(
                token_hash=sha256_hex(token),
                email=email,
                purpose="sign-in",
                now=now,
                expires_at=now + self.link_lifetime,
            )
            minutes = int(self.link_lifetime.total_seconds() // 60)
            body = (
                f"Hello,\n\nfollow this link to sign in to Cairn:\n\n{self.public_url}{SIGN_IN_LINK_PATH}?token={token}"
                f"\n\nIt works once, within {minutes} minutes. If you did not ask to sign in, ignore this email."
            )
            OutboxRepository(session).enqueue(to=email, subject="Your Cairn sign-in link", body=body, now=now)
            self._audit(session, "anonymous", "sign-in.link", f"account:{row.id}", {"email": email, "client": client})

    def redeem_sign_in_link(self, *, token: str, client: str) -> NewSession:
        """Use a sign-in link, once and before it expires, and start a session; AuthenticationError otherwise."""
        with self.database.transaction() as session:
            links, now = SignInLinkRepository(session), self.clock()
            link = links.by_hash(sha256_hex(token), purpose="sign-in") if len(token) <= 200 else None
            row = None if link is None else AccountRepository(session).by_email(link.email)
            details: dict[str, Any] = {"method": "link", "client": client}
            reason = None
            if link is None or row is None:
                reason = "unknown link"
            elif link.used_at is not None or not links.consume(link.id, now=now):
                reason = "link used already"
            elif link.expires_at <= now:
                reason = "link expired"
            elif row.disabled_at is not None:
                reason = "disabled"
            if reason is None and row is not None:
                if row.email_verified_at is None:
                    row.email_verified_at = now
                return self._start(session, row, {**details, "email": row.email})
            subject = f"account:{row.id}" if row is not None else "sign-in-link"
            self._audit(session, "anonymous", "sign-in.failure", subject, {**details, "reason": reason})
        raise AuthenticationError(_BAD_LINK)

    # -- sessions ---------------------------------------------------------------------------------

    def _start(self, session: Session, row: AccountRow, details: dict[str, Any]) -> NewSession:
        token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), self.clock()
        expires_at = now + self.session_lifetime
        WebSessionRepository(session).add(
            token_hash=sha256_hex(token), account_id=row.id, csrf_token=csrf, now=now, expires_at=expires_at
        )
        self._audit(session, f"account:{row.id}", "sign-in.success", f"account:{row.id}", details)
        return NewSession(token=token, csrf_token=csrf, expires_at=expires_at, account=Account.of(row))

    def session(self, token: str) -> SignedIn | None:
        """Who holds the session cookie ``token``: None when unknown, expired, revoked or disabled."""
        if not token or len(token) > 200:
            return None
        with self.database.transaction() as session:
            found = WebSessionRepository(session).by_hash(sha256_hex(token))
            if found is None:
                return None
            web, row = found
            if web.revoked_at is not None or web.expires_at <= self.clock() or row.disabled_at is not None:
                return None
            return SignedIn(account=Account.of(row), csrf_token=web.csrf_token, expires_at=web.expires_at)

    def sign_out(self, *, token: str, client: str) -> None:
        """End the session whose cookie is ``token`` (nothing when it is not live)."""
        with self.database.transaction() as session:
            account_id = WebSessionRepository(session).revoke(sha256_hex(token), now=self.clock())
            if account_id is not None:
                self._audit(session, f"account:{account_id}", "sign-out", f"account:{account_id}", {"client": client})
