"""Typed dependencies of the web layer: the instance's services, who is calling, roles, CSRF and API tokens.

Routes never build services or reach into ``app.state`` themselves: :func:`container` gives them the typed
:class:`~cairn.bootstrap.Container` that :func:`cairn.bootstrap.build` made (``container(request).verification``),
and the dependencies below say who is calling.

- :func:`current_account` — the signed-in :class:`~cairn.services.accounts.service.SignedIn` (pages without a
  session are sent to the sign-in page; JSON clients get 401);
- :func:`require_role` — ``Depends(require_role("issuer"))`` on a route with a ``{slug}`` path parameter
  gives an :class:`~cairn.services.accounts.service.OrganisationAccess`; another organisation answers 404;
- :func:`csrf_protect` — on every state-changing form route: the ``csrf_token`` field (or the
  ``X-CSRF-Token`` header) must match the session's token, else 403;
- :func:`bearer_token` — ``Depends(bearer_token("credentials:issue"))`` on API routes gives a
  :class:`~cairn.services.accounts.service.TokenPrincipal`; a missing, wrong, expired or revoked token answers 401
  with ``WWW-Authenticate: Bearer`` in the one JSON error shape.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, cast
from urllib.parse import quote

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cairn.bootstrap import Container
from cairn.errors import AuthenticationError, PermissionDeniedError
from cairn.model.types import pick
from cairn.services.accounts.service import AccountService, OrganisationAccess, Role, SignedIn, TokenPrincipal
from cairn.web.errors import wants_json
from cairn.web.i18n import reader_language

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "MAX_ROW_ID",
    "SESSION_COOKIE",
    "AdminDep",
    "RowId",
    "SignedInDep",
    "accounts_service",
    "administrator",
    "bearer_token",
    "body_at_most",
    "check_role",
    "client_address",
    "container",
    "csrf_protect",
    "csrf_token",
    "current_account",
    "in_reader_language",
    "optional_account",
    "require_role",
    "token_of",
]


MAX_ROW_ID = 2**63 - 1
"""The largest row number either database stores (a signed 64-bit integer)."""
RowId = Annotated[int, Path(ge=0, le=MAX_ROW_ID, description="a stored row's number")]
"""An integer path parameter naming a stored row: a number beyond any row answers 422, never a database error."""

SESSION_COOKIE = "cairn_session"
CSRF_COOKIE = "cairn_csrf"
"""Before sign-in there is no session: sign-in forms use a random token in this cookie (double submit)."""
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_CSRF_FAILED = "This form has expired or did not come from this site. Go back, reload the page and try again."

_bearer = HTTPBearer(auto_error=False, description="an API token of an organisation: cairn_...")


def container(request: Request) -> Container:
    """The running instance's objects, as :func:`cairn.bootstrap.build` made them."""
    return cast(Container, request.app.state.container)


def accounts_service(request: Request) -> AccountService:
    """The account service of the running instance."""
    return container(request).accounts


def client_address(request: Request) -> str:
    """The caller's address as the server sees it: behind a reverse proxy, the one the proxy puts in X-Forwarded-For,
    believed only from the proxies CAIRN_TRUSTED_PROXIES names (uvicorn's proxy headers, set by 'cairn serve')."""
    return request.client.host if request.client else "unknown"


def optional_account(request: Request) -> SignedIn | None:
    """The signed-in session, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    return accounts_service(request).session(token) if token else None


def current_account(request: Request, signed_in: Annotated[SignedIn | None, Depends(optional_account)]) -> SignedIn:
    """The signed-in session; pages without one are sent to sign in, JSON clients get 401."""
    if signed_in is not None:
        return signed_in
    if wants_json(request):
        raise HTTPException(401, "sign in first")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise HTTPException(303, "Sign in to continue.", headers={"Location": f"/sign-in?next={quote(target, safe='')}"})


def check_role(request: Request, signed_in: SignedIn, organisation: str, min_role: Role | str) -> OrganisationAccess:
    """What ``signed_in`` may do in ``organisation``: 404 when not a member, 403 when the role is too low. Its
    ``name`` is the organisation's legal name in the reader's language where the organisation gives one."""
    access = accounts_service(request).access(account=signed_in.account, organisation=organisation, min_role=min_role)
    return in_reader_language(request, access)


def in_reader_language(request: Request, access: OrganisationAccess) -> OrganisationAccess:
    """``access`` with ``name`` in the language of the page being made (pages show it; services never read it)."""
    name = pick(access.names, reader_language(request))[1]
    return replace(access, name=name) if name else access


def require_role(min_role: Role | str, *, param: str = "slug") -> Callable[..., OrganisationAccess]:
    """A dependency: the caller's access to the organisation named by path parameter ``param``."""
    wanted = Role(str(min_role))

    def dependency(request: Request, signed_in: Annotated[SignedIn, Depends(current_account)]) -> OrganisationAccess:
        return check_role(request, signed_in, str(request.path_params.get(param, "")), wanted)

    return dependency


def administrator(signed_in: Annotated[SignedIn, Depends(current_account)]) -> SignedIn:
    """A dependency: the signed-in account when it is one of the instance's administrators (403 otherwise)."""
    if not signed_in.account.is_admin:
        raise PermissionDeniedError("only this instance's administrators may do this")
    return signed_in


AdminDep = Annotated[SignedIn, Depends(administrator)]
"""An instance administrator (trust anchors, federated registries)."""


def csrf_token(request: Request, signed_in: SignedIn | None) -> str:
    """The token forms must carry: the session's, or (before sign-in) the CSRF cookie's, minted when absent."""
    if signed_in is not None:
        return signed_in.csrf_token
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_cookie", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf_cookie = token
    return str(token)


async def csrf_protect(request: Request, signed_in: Annotated[SignedIn | None, Depends(optional_account)]) -> None:
    """403 unless the posted ``csrf_token`` (or ``X-CSRF-Token`` header) matches, compared in constant time."""
    expected = signed_in.csrf_token if signed_in is not None else request.cookies.get(CSRF_COOKIE, "")
    supplied = request.headers.get(CSRF_HEADER, "")
    if not supplied and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        supplied = value if isinstance(value, str) else ""
    if not expected or not hmac.compare_digest(supplied.encode(), expected.encode()):
        raise HTTPException(403, _CSRF_FAILED)


def bearer_token(scope: str | None = None) -> Callable[..., TokenPrincipal]:
    """A dependency: the API caller's token, which must carry ``scope`` (403 when it does not)."""

    def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> TokenPrincipal:
        challenge = 'Bearer realm="cairn"'
        if credentials is None:
            raise HTTPException(
                401, "an API token is needed: Authorization: Bearer cairn_...", {"WWW-Authenticate": challenge}
            )
        service = accounts_service(request)
        try:
            return service.authenticate_token(credentials.credentials, scope=scope)
        except AuthenticationError as exc:
            raise HTTPException(401, exc.message, {"WWW-Authenticate": f'{challenge}, error="invalid_token"'}) from None
        except PermissionDeniedError as exc:
            header = f'{challenge}, error="insufficient_scope", scope="{scope}"'
            raise HTTPException(403, exc.message, {"WWW-Authenticate": header}) from None

    return dependency


def body_at_most(limit: int) -> Callable[[Request], None]:
    """A dependency: 413 when the declared body is over ``limit`` bytes (a route's own limit, tighter than the
    app-wide one of :class:`cairn.web.limits.BodyLimit`), before the body is read."""

    def dependency(request: Request) -> None:
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise HTTPException(413, f"the request body is larger than {limit:,} bytes")

    return dependency


def token_of(principal: TokenPrincipal, organisation: str) -> None:
    """Refuse (403) an API token of another organisation than the one the route names."""
    if principal.organisation != organisation:
        raise PermissionDeniedError("this API token belongs to another organisation")


SignedInDep = Annotated[SignedIn | None, Depends(optional_account)]
