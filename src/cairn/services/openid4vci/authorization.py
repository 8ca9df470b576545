"""The authorization code flow of OpenID4VCI 1.0 (section 5): a wallet that starts by itself, or a learner who
prefers signing in to typing a transaction code, gets an award of the learner's Cairn wallet.

1. :meth:`AuthorizationServer.push`: the pushed authorisation request (RFC 9126, required: HAIP asks for it, and it
   keeps every parameter off the browser's address bar). Wallets are public clients and are not registered: any
   ``client_id`` is taken as it is given, with a ``redirect_uri`` that is ``https``, a loopback ``http`` address
   or a private-use scheme of a native app (RFC 8252; never ``javascript:``, ``data:`` and the like), ``state``,
   PKCE's ``code_challenge`` (``S256`` only, RFC 7636) and what it asks for, by ``scope`` (one per credential
   configuration: the configuration's id) or ``authorization_details`` of type ``openid_credential``. The answer
   is a ``request_uri`` good for :data:`REQUEST_LIFETIME` (time to sign in), kept only as its SHA-256.
2. :meth:`pending`: the authorisation endpoint reads the request back by ``client_id`` and ``request_uri``; what is
   wrong here raises :class:`AuthorizationPageError`, shown on a Cairn page and never sent to the redirect URI
   (it is not known to be this request's until the request is found). The signed-in learner sees who asks (as
   given, not verified) and chooses which of their credentials to send (:meth:`choices`: those
   :meth:`~cairn.services.openid4vci.service.OpenID4VCIService.offerable`).
3. :meth:`decide`: Allow makes an offer of the chosen award with no usable handle or pre-authorised code (the
   access token is bound to it, so the credential endpoint treats it as any offer) and a random code, kept hashed,
   good for :data:`CODE_LIFETIME`, once; the answer is the redirect with ``code``, ``state`` and ``iss``
   (RFC 9207). Deny answers ``error=access_denied``. Either uses the request up.
4. :meth:`token`: the token endpoint. ``grant_type=authorization_code`` needs the code, the same ``client_id`` and
   ``redirect_uri`` and the PKCE ``code_verifier``; any other grant goes to
   :meth:`~cairn.services.openid4vci.service.OpenID4VCIService.token`. A code presented again is refused and the
   token it gave is revoked (RFC 6749 section 4.1.2); a code presented with a wrong verifier, client or redirect
   URI is refused and dies.

``issuer_state``: Cairn's offers carry only the pre-authorised grant, so a wallet's ``issuer_state`` is not one
Cairn made; it is accepted and ignored. The audit log records ``openid4vci.authorization`` (allowed or denied,
the client as given), ``openid4vci.token`` and ``openid4vci.code_replayed``; never a code, verifier or token.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cairn.errors import CairnError
from cairn.services.openid4vci.protocol import OAuthError, digest
from cairn.services.openid4vci.service import MAX_CODE, TOKEN_LIFETIME, OpenID4VCIService, audit_subject
from cairn.store.issuing.repository import AuditRecord, append_audit
from cairn.store.tables import AuthorizationRow, CredentialOfferRow, OfferTokenRow
from cairn.vc.multibase import b64url_encode

__all__ = [
    "AUTHORIZATION_CODE_GRANT",
    "CODE_LIFETIME",
    "REQUEST_LIFETIME",
    "REQUEST_URI_PREFIX",
    "AuthorizationPageError",
    "AuthorizationServer",
    "Choice",
    "PendingAuthorization",
    "redirect_uri_problem",
]

AUTHORIZATION_CODE_GRANT: Final = "authorization_code"
REQUEST_URI_PREFIX: Final = "urn:ietf:params:oauth:request_uri:"
REQUEST_LIFETIME: Final = timedelta(minutes=10)
"""How long a pushed request waits for the learner (signing in included)."""
CODE_LIFETIME: Final = timedelta(minutes=2)
"""How long an authorisation code can be exchanged."""
MAX_CLIENT_ID: Final = 200
MAX_REDIRECT_URI: Final = 1000
MAX_STATE: Final = 500
MAX_DETAILS: Final = 8 * 1024
_PKCE: Final = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
"""A PKCE code verifier (RFC 7636 section 4.1)."""
_CHALLENGE: Final = re.compile(r"[A-Za-z0-9\-_]{43}")
"""An S256 challenge: the base64url SHA-256 of the verifier, unpadded."""
_SCHEME: Final = re.compile(r"[a-z][a-z0-9+.\-]*")
_FORBIDDEN_SCHEMES: Final = frozenset(
    {"javascript", "data", "vbscript", "file", "blob", "about", "filesystem", "view-source", "ftp", "ws", "wss"}
)
_HOST: Final = re.compile(r"[a-z0-9](?:[a-z0-9.\-]*[a-z0-9])?")
_LOOPBACK: Final = frozenset({"localhost", "127.0.0.1", "[::1]"})


class AuthorizationPageError(CairnError):
    """A refused authorisation request, shown on a Cairn page (never redirected: its redirect URI is not trusted)."""


def redirect_uri_problem(uri: str) -> str | None:
    """Why ``uri`` cannot be a public client's redirect URI, or None: ``https`` with a host, ``http`` only to a
    loopback address, or a private-use scheme of a native app (RFC 8252); no fragment, no user info, no spaces."""
    if not uri or len(uri) > MAX_REDIRECT_URI or not uri.isascii() or any(c.isspace() or ord(c) < 32 for c in uri):
        return "redirect_uri is missing, too long or has spaces"
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError:
        return "redirect_uri is not a URI"
    scheme = parts.scheme
    if not scheme or not _SCHEME.fullmatch(scheme) or scheme != uri.split(":", 1)[0]:
        return "redirect_uri has no scheme"
    if parts.fragment or "#" in uri:
        return "redirect_uri must not have a fragment"
    if "@" in parts.netloc:
        return "redirect_uri must not carry user information"
    if scheme == "https":
        return None if host and _HOST.fullmatch(host) else "an https redirect_uri needs a host name"
    if scheme == "http":
        netloc_host = parts.netloc.rsplit(":", 1)[0] if not parts.netloc.endswith("]") else parts.netloc
        if netloc_host.lower() in _LOOPBACK:
            return None
        return "an http redirect_uri must be a loopback address (localhost, 127.0.0.1, [::1])"
    if scheme in _FORBIDDEN_SCHEMES:
        return f"{scheme}: cannot be a redirect_uri"
    return None


@dataclass(frozen=True, slots=True)
class PendingAuthorization:
    """A pushed request waiting for the learner, as the consent page shows it."""

    client_id: str
    redirect_uri: str
    redirect_host: str
    """The redirect URI's host, or its scheme for a native app's private-use scheme."""
    redirect_source: str
    """The redirect URI's origin (``https://host:port``), or its scheme (``com.example.app:``): where the consent
    form may send the browser (the page's ``form-action``)."""
    request_uri: str
    configurations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Choice:
    """A credential of the learner's wallet that may be sent: its wallet id, title, issuer and document (for the
    title in the reader's language)."""

    credential_id: str
    title: str
    issuer_name: str | None
    document: dict[str, Any]


def _text(form: Mapping[str, str], name: str, limit: int) -> str:
    value = form.get(name, "")
    if len(value) > limit or not value.isascii() or any(ord(c) < 32 for c in value):
        raise OAuthError("invalid_request", f"{name} is too long or not printable ASCII")
    return value


class AuthorizationServer:
    """Pushed authorisation requests, the learner's decision, and the authorization code grant."""

    def __init__(self, service: OpenID4VCIService) -> None:
        self.service = service
        self.database = service.database
        self.clock = service.clock

    # -- the pushed authorisation request -----------------------------------------------------------

    def _asked(self, form: Mapping[str, str]) -> tuple[tuple[str, ...], bool]:
        """The configurations a request asks for (by ``authorization_details`` or ``scope``), and whether it used
        ``authorization_details``."""
        known = set(self.service.formats.ids())
        wanted: list[str] = []
        raw = form.get("authorization_details", "")
        if raw:
            if len(raw) > MAX_DETAILS:
                raise OAuthError("invalid_authorization_details", "authorization_details is too long")
            try:
                details = json.loads(raw)
            except ValueError:
                raise OAuthError("invalid_authorization_details", "authorization_details is not JSON") from None
            if not isinstance(details, list) or not details:
                raise OAuthError("invalid_authorization_details", "authorization_details must be a non-empty list")
            for detail in details:
                if not isinstance(detail, dict) or detail.get("type") != "openid_credential":
                    raise OAuthError("invalid_authorization_details", "only type openid_credential is supported")
                configuration = detail.get("credential_configuration_id")
                if not isinstance(configuration, str) or configuration not in known:
                    raise OAuthError("invalid_authorization_details", "unknown credential_configuration_id")
                wanted.append(configuration)
        for scope in _text(form, "scope", 1000).split():
            if scope in known:
                wanted.append(scope)
            elif not raw and scope != "openid":
                raise OAuthError("invalid_scope", f"unknown scope {scope[:60]!r}")
        ordered = tuple(dict.fromkeys(wanted))
        if not ordered:
            raise OAuthError("invalid_request", "ask for a credential by scope or authorization_details")
        return ordered, bool(raw)

    def push(self, form: Mapping[str, str]) -> dict[str, Any]:
        """Answer a pushed authorisation request (its form fields): ``request_uri`` and ``expires_in``, or an
        :class:`OAuthError` (``invalid_request``, ``invalid_scope``, ``invalid_authorization_details``, ...)."""
        if "request" in form or "request_uri" in form:
            raise OAuthError("invalid_request", "request objects and request_uri are not accepted here")
        if form.get("response_type") != "code":
            raise OAuthError("unsupported_response_type", "only response_type=code is supported")
        client_id = _text(form, "client_id", MAX_CLIENT_ID)
        if not client_id:
            raise OAuthError("invalid_request", "client_id is missing")
        redirect_uri = form.get("redirect_uri", "")
        problem = redirect_uri_problem(redirect_uri)
        if problem:
            raise OAuthError("invalid_request", problem)
        method = form.get("code_challenge_method", "")
        if method != "S256":
            raise OAuthError("invalid_request", "PKCE is required, with code_challenge_method=S256 (never plain)")
        challenge = form.get("code_challenge", "")
        if not _CHALLENGE.fullmatch(challenge):
            raise OAuthError("invalid_request", "code_challenge is not an S256 challenge")
        state = _text(form, "state", MAX_STATE)
        _text(form, "issuer_state", MAX_CODE * 10)  # not one of Cairn's (offers carry no authorization_code grant)
        configurations, details = self._asked(form)
        handle = secrets.token_urlsafe(32)
        now = self.clock()
        with self.database.transaction() as session:
            session.add(
                AuthorizationRow(
                    request_uri_hash=digest(handle),
                    client_id=client_id,
                    redirect_uri=redirect_uri,
                    state=state or None,
                    code_challenge=challenge,
                    configurations=" ".join(configurations),
                    details=details,
                    created_at=now,
                    expires_at=now + REQUEST_LIFETIME,
                    denied=False,
                )
            )
        return {"request_uri": REQUEST_URI_PREFIX + handle, "expires_in": int(REQUEST_LIFETIME.total_seconds())}

    # -- the authorisation endpoint -----------------------------------------------------------------

    def _row(self, session: Session, client_id: str, request_uri: str, *, lock: bool = False) -> AuthorizationRow:
        if not request_uri:
            raise AuthorizationPageError("this address has no request_uri: a wallet must push its request first")
        handle = request_uri.removeprefix(REQUEST_URI_PREFIX)
        if handle == request_uri or not handle or len(handle) > MAX_CODE or not handle.isascii():
            raise AuthorizationPageError("the request_uri is not one this instance gave")
        statement = select(AuthorizationRow).where(AuthorizationRow.request_uri_hash == digest(handle))
        row = session.scalar(statement.with_for_update() if lock else statement)
        if row is None or row.decided_at is not None or self.clock() >= row.expires_at:
            raise AuthorizationPageError("this request is not known, has been answered already or has expired")
        if not client_id or client_id != row.client_id:
            raise AuthorizationPageError("the client_id does not match the pushed request")
        return row

    def pending(self, client_id: str, request_uri: str) -> PendingAuthorization:
        """The pushed request ``request_uri`` of ``client_id`` while it waits (else :class:`AuthorizationPageError`)."""
        with self.database.transaction(read_only=True) as session:
            row = self._row(session, client_id, request_uri)
            parts = urlsplit(row.redirect_uri)
            web = parts.scheme in ("https", "http")
            host = parts.hostname if web and parts.hostname else parts.scheme + ":"
            source = f"{parts.scheme}://{parts.netloc}" if web else parts.scheme + ":"
            configurations = tuple(row.configurations.split())
            return PendingAuthorization(row.client_id, row.redirect_uri, host, source, request_uri, configurations)

    def choices(self, account_id: int) -> list[Choice]:
        """The credentials of ``account_id``'s wallet that may be sent (awards claimed here, about them, valid)."""
        found = []
        for item in self.service.wallet.list(account_id):
            if item.award_id is None:
                continue
            try:
                self.service.offerable(account_id, item.id)
            except CairnError:
                continue
            found.append(Choice(item.id, item.title, item.issuer_name, item.document))
        return found

    def _redirect(self, row: AuthorizationRow, parameters: dict[str, str]) -> str:
        if row.state is not None:
            parameters["state"] = row.state
        parameters["iss"] = self.service.issuer
        separator = "&" if urlsplit(row.redirect_uri).query else ("" if row.redirect_uri.endswith("?") else "?")
        return row.redirect_uri + separator + urlencode(parameters)

    def decide(self, account_id: int, client_id: str, request_uri: str, *, credential_id: str | None) -> str:
        """The learner's answer to the request: with ``credential_id`` (a credential of :meth:`choices`) they allow
        it, without they deny it. The redirect URI to send the browser to: with ``code``, or
        ``error=access_denied``; with ``state`` and ``iss``."""
        award_id = self.service.offerable(account_id, credential_id) if credential_id is not None else None
        now = self.clock()
        code = secrets.token_urlsafe(32)
        with self.database.transaction() as session:
            row = self._row(session, client_id, request_uri, lock=True)
            row.decided_at, row.account_id = now, account_id
            details: dict[str, Any] = {"client_id": row.client_id, "redirect_uri": row.redirect_uri}
            if award_id is None:
                row.denied = True
                details["allowed"] = False
            else:
                grant = CredentialOfferRow(
                    award_id=award_id,
                    account_id=account_id,
                    # nothing reaches this offer but the code below: its handle and codes are random, never told
                    handle_hash=digest(secrets.token_urlsafe(32)),
                    code_hash=digest(secrets.token_urlsafe(32)),
                    tx_code_hash=digest(secrets.token_urlsafe(32)),
                    tx_tries=0,
                    configurations=row.configurations,
                    created_at=now,
                    expires_at=now + CODE_LIFETIME,
                )
                session.add(grant)
                session.flush()
                row.offer_id = grant.id
                row.code_hash = digest(code)
                row.code_expires_at = now + CODE_LIFETIME
                details["allowed"] = True
                details["configurations"] = row.configurations.split()
            actor = f"account:{account_id}"
            subject = award_id or actor  # a denial names no award
            append_audit(session, [AuditRecord(now, actor, "openid4vci.authorization", subject, details)])
            if award_id is None:
                return self._redirect(row, {"error": "access_denied", "error_description": "the learner said no"})
            return self._redirect(row, {"code": code})

    # -- the token endpoint -------------------------------------------------------------------------

    def token(self, form: Mapping[str, str]) -> dict[str, Any]:
        """Answer a token request: the authorization code grant here, any other grant by the service."""
        if form.get("grant_type") != AUTHORIZATION_CODE_GRANT:
            return self.service.token(form)
        code = form.get("code", "")
        if not code or len(code) > MAX_CODE or not code.isascii():
            raise OAuthError("invalid_request", "code is missing")
        verifier = form.get("code_verifier", "")
        if not verifier:
            raise OAuthError("invalid_request", "code_verifier is missing: PKCE is required")
        now = self.clock()
        access_token = secrets.token_urlsafe(32)
        refusal: OAuthError | None = None
        with self.database.transaction() as session:
            row = session.scalar(
                select(AuthorizationRow).where(AuthorizationRow.code_hash == digest(code)).with_for_update()
            )
            if row is None or row.offer_id is None or row.code_expires_at is None:
                raise OAuthError("invalid_grant", "the authorization code is not valid")
            if row.code_used_at is not None:
                # RFC 6749 4.1.2: a code used twice revokes what it gave
                session.execute(
                    update(OfferTokenRow)
                    .where(OfferTokenRow.offer_id == row.offer_id, OfferTokenRow.expires_at > now)
                    .values(expires_at=now)
                )
                offer = session.get(CredentialOfferRow, row.offer_id)
                award = audit_subject(offer) if offer is not None else "unknown"
                append_audit(session, [AuditRecord(now, "wallet", "openid4vci.code_replayed", award, {})])
                refusal = OAuthError("invalid_grant", "the authorization code has been used already")
            elif now >= row.code_expires_at:
                raise OAuthError("invalid_grant", "the authorization code has expired")
            else:
                row.code_used_at = now  # one try: a wrong verifier, client or redirect URI ends the code too
                challenge = b64url_encode(hashlib.sha256(verifier.encode("ascii", "replace")).digest())
                if form.get("client_id", "") != row.client_id:
                    refusal = OAuthError("invalid_grant", "the code was given to another client_id")
                elif form.get("redirect_uri", "") != row.redirect_uri:
                    refusal = OAuthError("invalid_grant", "redirect_uri is not the one of the authorisation request")
                elif not _PKCE.fullmatch(verifier) or not hmac.compare_digest(challenge, row.code_challenge):
                    refusal = OAuthError("invalid_grant", "the code_verifier does not match the code_challenge")
                else:
                    offer = session.get(CredentialOfferRow, row.offer_id)
                    assert offer is not None
                    offer.redeemed_at = now
                    session.add(
                        OfferTokenRow(
                            offer_id=offer.id,
                            token_hash=digest(access_token),
                            created_at=now,
                            expires_at=now + TOKEN_LIFETIME,
                            issued=0,
                        )
                    )
                    configurations = row.configurations.split()
                    details = row.details
                    append_audit(session, [AuditRecord(now, "wallet", "openid4vci.token", audit_subject(offer), {})])
        if refusal is not None:
            raise refusal  # after the commit: the code stays used, a replay's tokens stay revoked
        return self.service.token_answer(access_token, configurations if details else None)
