"""The shared pieces of people and access: roles, value objects, email and token helpers, and the base of the
account services (database, clock, audit).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from cairn.errors import InputError, NotFoundError, TooManyAttemptsError
from cairn.model.types import pick
from cairn.store.audit import AuditRepository
from cairn.store.catalog.repository import OrganisationRepository
from cairn.store.database import Database
from cairn.store.tables import AccountRow, ApiTokenRow, OrganisationRow

__all__ = [
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "SCOPES",
    "SIGN_IN_LINK_PATH",
    "TOKEN_PREFIX",
    "TOKEN_TOUCH_INTERVAL",
    "Account",
    "Member",
    "NewSession",
    "NewToken",
    "OrganisationAccess",
    "Role",
    "ServiceBase",
    "SignedIn",
    "TokenInfo",
    "TokenPrincipal",
    "TooManyAttemptsError",
    "default_password_hasher",
    "normalise_email",
    "organisation_name",
    "organisation_names",
    "parse_role",
    "sha256_hex",
]

SCOPES: dict[str, str] = {
    "credentials:issue": "issue credentials",
    "credentials:status": "revoke and suspend credentials",
    "credentials:read": "read credentials and awards",
}
"""API token scopes, with what each allows."""

TOKEN_PREFIX = "cairn_"  # noqa: S105 - a prefix, not a secret
SIGN_IN_LINK_PATH = "/sign-in/link"
"""Where the emailed sign-in link points, under the instance's public URL."""

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)
"""``last_used_at`` of an API token is written at most once in this interval."""

_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[^@\s<>\"',;]+\.[^@\s<>\"',;.]+$")


def default_password_hasher() -> PasswordHasher:
    """argon2id with the OWASP profile of 46 MiB, 2 passes, 1 lane: about 0.1 s on a small 2-core server,
    and one sign-in never occupies both cores."""
    return PasswordHasher(time_cost=2, memory_cost=47_104, parallelism=1)


def normalise_email(raw: str) -> str:
    """``raw`` trimmed and lower-cased; InputError when it is not an email address."""
    email = raw.strip().lower()
    if len(email) > 320 or not _EMAIL.match(email):
        raise InputError("enter an email address, like name@example.org")
    return email


def sha256_hex(value: str) -> str:
    """The SHA-256 of ``value`` in hex: how tokens, sessions and links are stored."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


class Role(StrEnum):
    """A member's role: an owner manages members and tokens, an operator runs the organisation's registry
    (accredits, suspends, withdraws), an issuer awards and revokes, a viewer reads."""

    OWNER = "owner"
    OPERATOR = "operator"
    ISSUER = "issuer"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        """Higher ranks can do everything lower ones can."""
        return {"viewer": 1, "issuer": 2, "operator": 3, "owner": 4}[self.value]

    def covers(self, other: Role) -> bool:
        """True when this role may do what ``other`` may."""
        return self.rank >= other.rank


def parse_role(raw: str) -> Role:
    """``raw`` as a Role; InputError when it is none."""
    try:
        return Role(raw)
    except ValueError:
        raise InputError("role must be owner, operator, issuer or viewer") from None


@dataclass(frozen=True, slots=True)
class Account:
    """A person who signs in."""

    id: int
    email: str
    display_name: str | None
    is_admin: bool
    has_password: bool
    disabled: bool
    created_at: datetime
    email_verified: bool = False
    """True once someone used a link sent to the address (or an operator created the account)."""

    @property
    def actor(self) -> str:
        """How the audit log names this account."""
        return f"account:{self.id}"

    @classmethod
    def of(cls, row: AccountRow) -> Account:
        """From a stored row."""
        return cls(
            id=row.id,
            email=row.email,
            display_name=row.display_name,
            is_admin=row.is_admin,
            has_password=row.password_hash is not None,
            disabled=row.disabled_at is not None,
            created_at=row.created_at,
            email_verified=row.email_verified_at is not None,
        )


@dataclass(frozen=True, slots=True)
class NewSession:
    """A session just started: ``token`` goes in the cookie and is never shown again."""

    token: str
    csrf_token: str
    expires_at: datetime
    account: Account


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A live session: who is signed in, and the token every form they post must carry."""

    account: Account
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Member:
    """A member of an organisation."""

    account_id: int
    email: str
    display_name: str | None
    role: Role
    since: datetime
    disabled: bool


@dataclass(frozen=True, slots=True)
class OrganisationAccess:
    """What an account may do in one organisation."""

    organisation: str
    organisation_id: int
    name: str
    role: Role
    account: Account
    names: dict[str, str] = field(default_factory=dict)
    """The organisation's legal name in each language it gives (``name`` is the English one), for pages."""


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """An API token as shown after creation: never its value, only a prefix to recognise it."""

    id: int
    organisation: str
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def active(self, now: datetime) -> bool:
        """True when neither revoked nor expired at ``now``."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @classmethod
    def of(cls, row: ApiTokenRow, organisation: str) -> TokenInfo:
        """From a stored row."""
        return cls(
            id=row.id,
            organisation=organisation,
            name=row.name,
            prefix=row.prefix,
            scopes=tuple(row.scopes.get("scopes", ())),
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )


@dataclass(frozen=True, slots=True)
class NewToken:
    """A token just created: ``token`` is shown once and never again."""

    token: str
    info: TokenInfo


@dataclass(frozen=True, slots=True)
class TokenPrincipal:
    """Who calls the API: one token of one organisation, with its scopes."""

    token_id: int
    organisation: str
    organisation_id: int
    name: str
    scopes: tuple[str, ...]

    @property
    def actor(self) -> str:
        """How the audit log names this token."""
        return f"token:{self.token_id}"


def organisation_name(row: OrganisationRow) -> str:
    """An organisation's legal name (English when given), else its slug."""
    return pick(row.document.get("legal_name"), "en")[1] or row.slug


def organisation_names(row: OrganisationRow) -> dict[str, str]:
    """An organisation's legal name in each language it is given in (language -> name)."""
    given = row.document.get("legal_name")
    if not isinstance(given, dict):
        return {}
    return {str(k): str(v) for k, v in given.items() if isinstance(v, str) and v}


class ServiceBase:
    """What every account service holds: the database, the clock, the public URL for links in emails."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime], public_url: str) -> None:
        self.database = database
        self.clock = clock
        self.public_url = public_url.rstrip("/")

    def _organisation(self, session: Session, slug: str) -> OrganisationRow:
        """The organisation ``slug``; NotFoundError (with the generic 404 message) when there is none."""
        row = OrganisationRepository(session).row(slug)
        if row is None:
            raise NotFoundError("There is nothing at this address.")
        return row

    def _audit(self, session: Session, actor: str, action: str, subject: str, details: dict[str, Any]) -> None:
        AuditRepository(session).append(at=self.clock(), actor=actor, action=action, subject=subject, details=details)
