"""Scoped API tokens of organisations: ``cairn_`` and 32 random bytes, shown once, stored as a SHA-256
with a short prefix to recognise them, optionally expiring, revocable.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from cairn.errors import AuthenticationError, ConflictError, InputError, NotFoundError, PermissionDeniedError
from cairn.services.accounts.access import (
    SCOPES,
    TOKEN_PREFIX,
    TOKEN_TOUCH_INTERVAL,
    NewToken,
    ServiceBase,
    TokenInfo,
    TokenPrincipal,
    sha256_hex,
)
from cairn.store.accounts.repository import ApiTokenRepository

__all__ = ["TokenService"]


class TokenService(ServiceBase):
    """API tokens: create, install (demo), list, revoke, authenticate."""

    def _check_token_request(self, name: str, scopes: Iterable[str], expires_at: datetime | None) -> list[str]:
        if not name.strip() or len(name) > 200:
            raise InputError("give the token a name of at most 200 characters")
        wanted = sorted(set(scopes))
        unknown = [s for s in wanted if s not in SCOPES]
        if unknown or not wanted:
            raise InputError(f"choose scopes among {', '.join(SCOPES)}")
        if expires_at is not None and expires_at <= self.clock():
            raise InputError("the expiry date must be in the future")
        return wanted

    def create_token(
        self,
        *,
        organisation: str,
        name: str,
        scopes: Iterable[str],
        expires_at: datetime | None = None,
        actor: str = "cli",
        created_by: int | None = None,
    ) -> NewToken:
        """A new API token: ``cairn_`` and 32 random bytes. Its value is in the answer and nowhere else."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        return NewToken(token, self._store_token(organisation, name, scopes, expires_at, actor, created_by, token))

    def install_token(
        self, *, organisation: str, name: str, scopes: Iterable[str], token: str, actor: str = "cli"
    ) -> TokenInfo:
        """Store a token of a given value (``CAIRN_DEMO_TOKEN`` for the demo); nothing when it is there already."""
        if len(token) < 16 or len(token) > 200:
            raise InputError("a token needs 16 to 200 characters")
        with self.database.transaction(read_only=True) as session:
            found = ApiTokenRepository(session).by_hash(sha256_hex(token))
            if found is not None:
                if found[1].slug != organisation:
                    raise ConflictError("this token value belongs to another organisation")
                return TokenInfo.of(found[0], organisation)
        return self._store_token(organisation, name, scopes, None, actor, None, token)

    def _store_token(
        self,
        organisation: str,
        name: str,
        scopes: Iterable[str],
        expires_at: datetime | None,
        actor: str,
        created_by: int | None,
        token: str,
    ) -> TokenInfo:
        wanted = self._check_token_request(name, scopes, expires_at)
        with self.database.transaction() as session:
            org = self._organisation(session, organisation)
            row = ApiTokenRepository(session).add(
                organisation_id=org.id,
                created_by=created_by,
                name=name.strip(),
                token_hash=sha256_hex(token),
                prefix=token[:12],
                scopes=wanted,
                expires_at=expires_at,
                now=self.clock(),
            )
            info = TokenInfo.of(row, organisation)
            details = {"token": row.id, "name": info.name, "prefix": info.prefix, "scopes": wanted}
            self._audit(session, actor, "token.create", f"organisation:{organisation}", details)
            return info

    def tokens(self, organisation: str) -> list[TokenInfo]:
        """Every token of ``organisation``, newest first."""
        with self.database.transaction(read_only=True) as session:
            org = self._organisation(session, organisation)
            return [TokenInfo.of(r, organisation) for r in ApiTokenRepository(session).of_organisation(org.id)]

    def revoke_token(self, *, organisation: str, token_id: int, actor: str) -> None:
        """Revoke a token of ``organisation`` (NotFoundError for another organisation's token)."""
        with self.database.transaction() as session:
            org = self._organisation(session, organisation)
            row = ApiTokenRepository(session).get(organisation_id=org.id, token_id=token_id)
            if row is None:
                raise NotFoundError("no such token")
            if row.revoked_at is None:
                row.revoked_at = self.clock()
                details = {"token": row.id, "name": row.name, "prefix": row.prefix}
                self._audit(session, actor, "token.revoke", f"organisation:{organisation}", details)

    def authenticate_token(self, token: str, *, scope: str | None = None) -> TokenPrincipal:
        """The caller presenting ``token``: AuthenticationError when it is unknown, expired or revoked,
        PermissionDeniedError when it lacks ``scope``. ``last_used_at`` is written at most every few minutes."""
        if not token or len(token) > 200:
            raise AuthenticationError("the API token is not valid")
        now = self.clock()
        with self.database.transaction() as session:
            tokens = ApiTokenRepository(session)
            found = tokens.by_hash(sha256_hex(token))
            if found is None:
                raise AuthenticationError("the API token is not valid")
            row, org = found
            if row.revoked_at is not None:
                raise AuthenticationError("the API token has been revoked")
            if row.expires_at is not None and row.expires_at <= now:
                raise AuthenticationError("the API token has expired")
            scopes = tuple(row.scopes.get("scopes", ()))
            if scope is not None and scope not in scopes:
                raise PermissionDeniedError(f"the API token lacks the scope '{scope}'")
            if row.last_used_at is None or row.last_used_at < now - TOKEN_TOUCH_INTERVAL:
                tokens.touch(row.id, now=now, stale_before=now - TOKEN_TOUCH_INTERVAL)
            return TokenPrincipal(row.id, org.slug, org.id, row.name, scopes)
