"""People and access: accounts, sign-in (password or emailed link) and web sessions; with
:class:`~cairn.services.accounts.members.MemberService` and :class:`~cairn.services.accounts.tokens.TokenService`
folded in, :class:`AccountService` is the one object the edges use.

Secrets never reach the store or the audit log: passwords are hashed with argon2id, and sign-in links,
sessions and API tokens are random values of which only the SHA-256 is kept. Every sign-in (success or
failure), sign-out, token change and membership change is written to the hash-chained audit log.
Authorisation is the caller's job (see :meth:`AccountService.access`); these services keep the rules
that hold whoever calls them (one owner at least, one-time links, expiry, disabled accounts).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import update
from sqlalchemy.orm import Session

from cairn.errors import AuthenticationError, CairnError, ConflictError, InputError, NotFoundError
from cairn.services.accounts import emails
from cairn.services.accounts.access import (
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
    TokenInfo,
    TokenPrincipal,
    TooManyAttemptsError,
    default_password_hasher,
    normalise_email,
    sha256_hex,
)
from cairn.services.accounts.limits import SharedLimiter, client_network
from cairn.services.accounts.links import SIGN_UP_PURPOSE, LinkMailer
from cairn.services.accounts.members import MemberService
from cairn.services.accounts.tokens import TokenService
from cairn.store.accounts.repository import AccountRepository, SignInLinkRepository, WebSessionRepository
from cairn.store.database import Database
from cairn.store.mail import OutboxRepository
from cairn.store.tables import AccountRow, WebSessionRow

__all__ = [
    "MAX_SLOW_DOWN",
    "PASSWORD_SET_WINDOW",
    "SCOPES",
    "SIGN_IN_LINK_PATH",
    "SIGN_UP_PURPOSE",
    "TOKEN_PREFIX",
    "Account",
    "AccountService",
    "Member",
    "NewSession",
    "NewToken",
    "OrganisationAccess",
    "PendingPasswordError",
    "RecentSignInRequiredError",
    "Role",
    "SharedLimiter",
    "SignedIn",
    "TokenInfo",
    "TokenPrincipal",
    "TooManyAttemptsError",
    "UnconfirmedEmailError",
    "default_password_hasher",
    "normalise_email",
    "sha256_hex",
]

_WRONG_PASSWORD = "wrong email or password"  # noqa: S105 - a message
_UNCONFIRMED = (
    "your email address is not confirmed yet: we have sent the link that finishes creating your account to it "
    "again; follow it, then sign in"
)
_WRONG_PENDING = (
    "this is not the password chosen when the account was asked for: try again, or sign in without it "
    "(the password is then dropped and you can sign in with emailed links)"
)
_WRONG_CURRENT = "the current password is not right"
_NEEDS_RECENT_LINK = (
    "to set a password, first sign in again with an emailed link, then set it within 15 minutes of signing in"
)
_NOT_SIGNED_IN = "your session has ended; sign in again"
PASSWORD_SET_WINDOW = timedelta(minutes=15)
"""An account without a password may set one only this soon after its session began (a link sign-in)."""
MAX_SLOW_DOWN = 5.0
"""The longest a password attempt on an account under attack waits (seconds): see :meth:`AccountService._slow_down`."""
_BAD_LINK = "this sign-in link is not valid: it may have expired or been used already; ask for a new one"


class UnconfirmedEmailError(AuthenticationError):
    """The password is right but the account's email is not confirmed yet (the link was sent again)."""


class PendingPasswordError(AuthenticationError):
    """The password typed to confirm a sign-up is not the one chosen; the link still works."""


class RecentSignInRequiredError(AuthenticationError):
    """An account without a password sets one only soon after a link sign-in (:data:`PASSWORD_SET_WINDOW`)."""


class AccountService(MemberService, TokenService, LinkMailer):
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
        limiters: dict[str, SharedLimiter] | None = None,
        sign_up_lifetime: timedelta = timedelta(hours=24),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(database, clock=clock, public_url=public_url)
        self.hasher = password_hasher or default_password_hasher()
        self.session_lifetime = session_lifetime
        self.link_lifetime = link_lifetime
        self.sign_up_lifetime = sign_up_lifetime
        self.sleep = sleep
        quarter, hour = timedelta(minutes=15), timedelta(hours=1)
        given = limiters or {}

        def limiter(name: str, limit: int, window: timedelta) -> SharedLimiter:
            return given.get(name) or SharedLimiter(database, name=name, limit=limit, window=window, clock=clock)

        # every sign-in attempt (password, link request, confirmation) of a client network
        self.client_limiter = limiter("client", 50, quarter)
        # password attempts of one network on one account, counted before the check and forgotten on success
        self.failure_limiter = limiter("failure", 10, quarter)
        # wrong passwords on one account from anywhere: past ``limit``, attempts are slowed down, never refused
        self.account_failures = limiter("account", 10, quarter)
        # sign-in links asked for one account from one network
        self.link_limiter = limiter("link", 10, quarter)
        self.sign_up_email_limiter = limiter("sign-up email", 5, hour)
        self.sign_up_client_limiter = limiter("sign-up client", 20, hour)
        self._dummy_hash: str | None = None

    # -- accounts ---------------------------------------------------------------------------------

    def _hash_password(self, password: str) -> str:
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise InputError("a password needs %(min)s to %(max)s characters", min=MIN_PASSWORD, max=MAX_PASSWORD)
        return self.hasher.hash(password)

    def create_account(
        self,
        *,
        email: str,
        password: str | None = None,
        display_name: str | None = None,
        is_admin: bool = False,
        actor: str = "cli",
        verified: bool = True,
    ) -> Account:
        """A new account made by an operator (the CLI, the demo): its email counts as verified, since the
        operator vouches for it, unless ``verified`` is False. ConflictError when the email is taken.
        People making their own account go through :meth:`sign_up` instead."""
        email = normalise_email(email)
        password_hash = None if password is None else self._hash_password(password)
        with self.database.transaction() as session:
            return self._create(session, email, password_hash, display_name, is_admin, actor, verified=verified)

    def _create(
        self,
        session: Session,
        email: str,
        password_hash: str | None,
        name: str | None,
        admin: bool,
        actor: str,
        *,
        verified: bool = False,
    ) -> Account:
        accounts = AccountRepository(session)
        if accounts.by_email(email) is not None:
            raise ConflictError(f"there is already an account for {email}")
        now = self.clock()
        row = accounts.add(email=email, password_hash=password_hash, display_name=name, is_admin=admin, now=now)
        if verified:
            row.email_verified_at = now
        details = {"email": email, "is_admin": admin, "verified": verified}
        self._audit(session, actor, "account.create", f"account:{row.id}", details)
        return Account.of(row)

    def sign_up(
        self,
        *,
        email: str,
        password: str,
        display_name: str | None = None,
        client: str,
        next_path: str = "",
        language: str = "en",
    ) -> None:
        """Someone makes their own account: nothing is signed in, and the answer is the same whether or
        not ``email`` has an account (InputError for a malformed address or password, TooManyAttemptsError
        when throttled, both checked before any password hashing). By email:

        - a new address gets an unverified account holding the password as *pending*, and a link that
          confirms it (:data:`SIGN_UP_PURPOSE`); until then the password signs nobody in;
        - an address whose account is still unverified (an invited member who never signed in, an earlier
          sign-up) is left as it is: the password and name chosen ride on a fresh confirmation link (earlier ones
          stop working) and reach the account only when that link is used with that password, which proves the
          address; the answer and the email are those a new address gets;
        - a verified account is left alone and is told so, with a one-time sign-in link;
        - a disabled account gets nothing.

        ``next_path`` (a local path, checked by the caller) is where the link leads after it is used."""
        email = normalise_email(email)
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise InputError("a password needs %(min)s to %(max)s characters", min=MIN_PASSWORD, max=MAX_PASSWORD)
        wait = self.sign_up_email_limiter.take(email)
        if wait is None:
            wait = self.sign_up_client_limiter.take(client_network(client))
        if wait is not None:
            raise TooManyAttemptsError(wait)
        password_hash = self.hasher.hash(password)  # always, so that the time spent tells nothing
        name = (display_name or "").strip()[:200] or None
        with self.database.transaction() as session:
            accounts, now = AccountRepository(session), self.clock()
            row = accounts.by_email(email)
            details: dict[str, Any] = {"email": email, "client": client}
            if row is None:
                account = self._create(session, email, password_hash, name, False, "anonymous")
                self._send_confirmation(session, email, next_path, language)
                self._audit(session, "anonymous", "sign-up", f"account:{account.id}", {**details, "outcome": "new"})
            elif row.disabled_at is not None:
                self._audit(session, "anonymous", "sign-up", f"account:{row.id}", {**details, "outcome": "disabled"})
            elif row.email_verified_at is not None:
                self._send_link(
                    session, email, emails.ALREADY_SUBJECT, emails.ALREADY_BODY, next_path, language=language
                )
                self._audit(session, "anonymous", "sign-up", f"account:{row.id}", {**details, "outcome": "exists"})
            else:  # the account (an invited member's, or an earlier sign-up's) is not touched: the link holds both
                self._expire_confirmations(session, email, now)
                self._send_confirmation(session, email, next_path, language, pending=(password_hash, name))
                self._audit(session, "anonymous", "sign-up", f"account:{row.id}", {**details, "outcome": "pending"})

    def account(self, account_id: int) -> Account:
        """The account ``account_id``; NotFoundError when there is none."""
        with self.database.transaction(read_only=True) as session:
            row = AccountRepository(session).get(account_id)
            if row is None:
                raise NotFoundError("no such account")
            return Account.of(row)

    def find_account(self, email: str) -> Account | None:
        """The account of ``email``, or None."""
        with self.database.transaction(read_only=True) as session:
            row = AccountRepository(session).by_email(normalise_email(email))
            return None if row is None else Account.of(row)

    def set_password(self, *, email: str, password: str | None, actor: str = "cli") -> None:
        """Set (or, with None, remove) an account's password; its other sessions end. An operator setting a
        password vouches for the address, as when creating the account: the email counts as verified and
        any pending sign-up confirmation stops working."""
        email = normalise_email(email)
        password_hash = None if password is None else self._hash_password(password)
        with self.database.transaction() as session:
            row, now = self._account_row(session, email), self.clock()
            row.password_hash = password_hash
            if password_hash is not None and row.email_verified_at is None:
                row.email_verified_at = now
                self._expire_confirmations(session, email, now)
            WebSessionRepository(session).revoke_all(row.id, now=now)
            self._audit(session, actor, "account.password", f"account:{row.id}", {"set": password is not None})

    def may_set_password(self, session_token: str) -> bool:
        """Whether the holder of ``session_token`` may set a password without the current one: an account
        without a password, within :data:`PASSWORD_SET_WINDOW` of the session's start."""
        if not session_token or len(session_token) > 200:
            return False
        with self.database.transaction(read_only=True) as session:
            found = WebSessionRepository(session).by_hash(sha256_hex(session_token))
            if found is None:
                return False
            web, row = found
            return row.password_hash is None and self.clock() - web.created_at <= PASSWORD_SET_WINDOW

    def change_password(
        self, *, session_token: str, current: str | None, new: str, client: str, language: str = "en"
    ) -> None:
        """The person signed in with ``session_token`` sets their own password (or changes it).

        With a password already, ``current`` must match it (AuthenticationError otherwise, throttled like
        sign-in). Without one, it may be set only within :data:`PASSWORD_SET_WINDOW` of the session's start,
        that is, right after a link sign-in (:class:`RecentSignInRequiredError` later). InputError when ``new``
        is too short or long. On success every other session of the account ends, this one goes on, an email
        tells the address, and the audit log keeps it."""
        if not MIN_PASSWORD <= len(new) <= MAX_PASSWORD:
            raise InputError("a password needs %(min)s to %(max)s characters", min=MIN_PASSWORD, max=MAX_PASSWORD)
        token_hash = sha256_hex(session_token) if session_token and len(session_token) <= 200 else ""
        with self.database.transaction() as session:
            found = WebSessionRepository(session).by_hash(token_hash) if token_hash else None
            if found is None:
                raise AuthenticationError(_NOT_SIGNED_IN)
            web, row = found
            now = self.clock()
            if web.revoked_at is not None or web.expires_at <= now or row.disabled_at is not None:
                raise AuthenticationError(_NOT_SIGNED_IN)
            account_id, web_id, email, stored = row.id, web.id, row.email, row.password_hash
            too_old = stored is None and now - web.created_at > PASSWORD_SET_WINDOW
            if too_old:
                self._audit(
                    session,
                    f"account:{account_id}",
                    "account.password.failure",
                    f"account:{account_id}",
                    {"client": client, "reason": "session too old"},
                )
        if too_old:  # the audit entry above is kept
            raise RecentSignInRequiredError(_NEEDS_RECENT_LINK)
        pair = self._password_attempt(email, client)
        if stored is not None and not self._verify(stored, current or ""):
            self.account_failures.hit(email)
            with self.database.transaction() as session:
                self._audit(
                    session,
                    f"account:{account_id}",
                    "account.password.failure",
                    f"account:{account_id}",
                    {"client": client, "reason": "wrong password"},
                )
            raise AuthenticationError(_WRONG_CURRENT)
        new_hash = self.hasher.hash(new)
        with self.database.transaction() as session:
            row_now, now = AccountRepository(session).get(account_id), self.clock()
            if row_now is None or row_now.disabled_at is not None:
                raise AuthenticationError(_NOT_SIGNED_IN)
            if row_now.password_hash != stored:  # changed meanwhile: try again with the password now in force
                raise AuthenticationError(_WRONG_CURRENT)
            row_now.password_hash = new_hash
            session.execute(
                update(WebSessionRow)
                .where(
                    WebSessionRow.account_id == account_id,
                    WebSessionRow.id != web_id,
                    WebSessionRow.revoked_at.is_(None),
                )
                .values(revoked_at=now)
                .execution_options(synchronize_session=False)
            )
            what = emails.said("changed" if stored is not None else "set", language)
            body = (
                emails.said(emails.CHANGED_BODY, language)
                .replace("{email}", email)
                .replace("{what}", what)
                .replace("{public}", self.public_url)
            )
            subject = emails.said(emails.CHANGED_SUBJECT, language)
            OutboxRepository(session).enqueue(to=email, subject=subject, body=body, now=now)
            details = {"set": True, "by": "self", "had_password": stored is not None, "client": client}
            self._audit(session, f"account:{account_id}", "account.password", f"account:{account_id}", details)
        self.failure_limiter.reset(pair)

    def mark_verified(self, *, email: str, actor: str = "cli") -> None:
        """An operator vouches for an account's address (say, one made before addresses were verified)."""
        email = normalise_email(email)
        with self.database.transaction() as session:
            row, now = self._account_row(session, email), self.clock()
            if row.email_verified_at is None:
                row.email_verified_at = now
                self._expire_confirmations(session, email, now)
                self._audit(session, actor, "account.verify", f"account:{row.id}", {"email": email, "by": "operator"})

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

    def _password_attempt(self, email: str, client: str) -> str:
        """Before a password is checked: TooManyAttemptsError when the client's network has made too many attempts
        of any kind, or too many on this account without a success; otherwise the attempt is counted as a failure
        of the (account, network) pair until a success forgets it, and the key of that pair is returned. Other
        networks, the owner's among them, are never refused for this account's failures: they are only slowed
        down (:meth:`_slow_down`)."""
        network = client_network(client)
        pair = f"{email}\n{network}"
        wait = self.failure_limiter.retry_after(pair)
        if wait is None:
            wait = self.client_limiter.take(network)
        if wait is None:
            wait = self.failure_limiter.take(pair)
        if wait is not None:
            raise TooManyAttemptsError(wait)
        self._slow_down(email)
        return pair

    def _slow_down(self, email: str) -> None:
        """When the account has had ``account_failures.limit`` wrong passwords or more in its window, from any
        network, wait a second before the check, one more per as many failures again, at most
        :data:`MAX_SLOW_DOWN`: an attack spread over many networks gets slower, the owner still gets in."""
        failures, soft = self.account_failures.count(email), self.account_failures.limit
        if failures >= soft:
            self.sleep(min(MAX_SLOW_DOWN, float(1 + (failures - soft) // soft)))

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
        pair = self._password_attempt(email, client)
        self._dummy()  # made before the first attempt of any kind, so that no first attempt is slower
        with self.database.transaction(read_only=True) as session:
            row = AccountRepository(session).by_email(email)
            account_id, stored = (None, None) if row is None else (row.id, row.password_hash)
        ok = self._verify(stored, password)
        failure: CairnError | None = None
        with self.database.transaction() as session:
            row = None if account_id is None else AccountRepository(session).get(account_id)
            details: dict[str, Any] = {"email": email, "method": "password", "client": client}
            subject = f"account:{account_id}" if account_id is not None else f"email:{email}"
            if row is None or not ok or row.password_hash != stored:
                reason = "unknown account" if row is None else "wrong password"
                self._audit(session, "anonymous", "sign-in.failure", subject, {**details, "reason": reason})
                failure = AuthenticationError(_WRONG_PASSWORD)
            elif row.disabled_at is not None:
                self._audit(session, "anonymous", "sign-in.failure", subject, {**details, "reason": "disabled"})
                failure = AuthenticationError("this account is disabled; ask an owner of your organisation")
            elif row.email_verified_at is None:
                # only someone who knows the pending password gets here: they chose it, so telling them
                # that it waits for confirmation reveals nothing new; the confirmation goes to the mailbox
                self._audit(session, "anonymous", "sign-in.failure", subject, {**details, "reason": "unconfirmed"})
                self._expire_confirmations(session, email, self.clock())
                self._send_confirmation(session, email, "")
                failure = UnconfirmedEmailError(_UNCONFIRMED)
            else:
                if stored is not None and self.hasher.check_needs_rehash(stored):
                    row.password_hash = self.hasher.hash(password)
                started = self._start(session, row, details)
        # the counts change after the transaction above, never inside it: SQLite has one writer at a time
        if failure is None:
            self.failure_limiter.reset(pair)
            return started
        if not ok:
            self.account_failures.hit(email)
        raise failure

    def request_sign_in_link(self, *, email: str, client: str, next_path: str = "", language: str = "en") -> None:
        """Email a one-time sign-in link to ``email`` when it has an enabled account; otherwise do nothing
        visible, so the answer does not tell whether an account exists. Using the link verifies the address;
        on an account still waiting for its sign-up confirmation it also drops the pending password (see
        :meth:`redeem_sign_in_link`)."""
        email = normalise_email(email)
        network = client_network(client)
        wait = self.client_limiter.take(network)
        if wait is None:
            wait = self.link_limiter.take(f"{email}\n{network}")
        if wait is not None:
            raise TooManyAttemptsError(wait)
        with self.database.transaction() as session:
            row = AccountRepository(session).by_email(email)
            if row is None or row.disabled_at is not None:
                return
            self._send_link(session, email, emails.SIGN_IN_SUBJECT, emails.SIGN_IN_BODY, next_path, language=language)
            self._audit(session, "anonymous", "sign-in.link", f"account:{row.id}", {"email": email, "client": client})

    def confirms_sign_up(self, token: str) -> bool:
        """Whether ``token`` is a live sign-up confirmation of an account still waiting for it: its page then
        asks for the password chosen, so that only someone who both chose it and reads the mailbox confirms it."""
        with self.database.transaction(read_only=True) as session:
            return self._pending_hash(session, token) is not None

    def redeem_sign_in_link(self, *, token: str, client: str, password: str | None = None) -> NewSession:
        """Use a sign-in or sign-up confirmation link, once and before it expires, and start a session;
        AuthenticationError otherwise.

        The link proves the address, so the email becomes verified. When it was not verified until now,
        every other session of the account ends and unused confirmation links stop working; and the pending
        password is kept only when the link is the sign-up confirmation of that password *and* ``password``
        matches it (:class:`PendingPasswordError`, the link still unused, when it does not). Otherwise it is
        dropped: reading the mailbox alone does not adopt a password someone else may have chosen."""
        with self.database.transaction(read_only=True) as session:
            pending = self._pending_hash(session, token) if password is not None else None
        if pending is not None and password is not None:
            email, stored = pending
            pair = self._password_attempt(email, client)
            if not self._verify(stored, password):
                self.account_failures.hit(email)
                with self.database.transaction() as session:
                    failed = {"method": "link", "client": client, "email": email, "reason": "wrong password"}
                    self._audit(session, "anonymous", "sign-in.failure", f"email:{email}", failed)
                raise PendingPasswordError(_WRONG_PENDING)
            self.failure_limiter.reset(pair)
        with self.database.transaction() as session:
            links, now = SignInLinkRepository(session), self.clock()
            link = self._link(session, token)
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
            if reason is None and row is not None and link is not None:
                if row.email_verified_at is None:
                    row.email_verified_at = now
                    chosen = link.pending_password_hash or row.password_hash
                    confirmed = link.purpose == SIGN_UP_PURPOSE and pending is not None and chosen == pending[1]
                    row.password_hash = chosen if confirmed else None
                    if confirmed and link.pending_display_name is not None:
                        row.display_name = link.pending_display_name
                    WebSessionRepository(session).revoke_all(row.id, now=now)
                    self._expire_confirmations(session, row.email, now)
                    verify = {"email": row.email, "password_confirmed": confirmed}
                    self._audit(session, "anonymous", "account.verify", f"account:{row.id}", verify)
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
        with self.database.transaction(read_only=True) as session:
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
