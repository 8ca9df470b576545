"""Who is calling: sign-in pages, session cookies, CSRF, roles and API bearer tokens.

Dependencies for other routers:

- :func:`current_account` — the signed-in :class:`~cairn.services.accounts.service.SignedIn` (pages without a
  session are sent to the sign-in page; JSON clients get 401);
- :func:`require_role` — ``Depends(require_role("issuer"))`` on a route with a ``{slug}`` path parameter
  gives an :class:`~cairn.services.accounts.service.OrganisationAccess`; another organisation answers 404;
- :func:`csrf_protect` — on every state-changing form route: the ``csrf_token`` field (or the
  ``X-CSRF-Token`` header) must match the session's token, else 403;
- :func:`bearer_token` — ``Depends(bearer_token("credentials:issue"))`` on API routes gives a
  :class:`~cairn.services.accounts.service.TokenPrincipal`; a missing, wrong, expired or revoked token answers 401
  with ``WWW-Authenticate: Bearer`` in the one JSON error shape.

Services come from ``request.app.state.container.accounts``.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cairn.errors import AuthenticationError, CairnError, InputError, PermissionDeniedError
from cairn.services.accounts.access import MAX_PASSWORD, MIN_PASSWORD
from cairn.services.accounts.service import (
    PASSWORD_SET_WINDOW,
    SCOPES,
    AccountService,
    NewSession,
    NewToken,
    OrganisationAccess,
    PendingPasswordError,
    RecentSignInRequiredError,
    Role,
    SignedIn,
    TokenPrincipal,
    TooManyAttemptsError,
)
from cairn.web.errors import wants_json
from cairn.web.i18n import reader_language, translate

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "accounts_service",
    "bearer_token",
    "check_role",
    "client_address",
    "csrf_protect",
    "csrf_token",
    "current_account",
    "error_text",
    "optional_account",
    "require_role",
    "router",
]

SESSION_COOKIE = "cairn_session"
CSRF_COOKIE = "cairn_csrf"
"""Before sign-in there is no session: sign-in forms use a random token in this cookie (double submit)."""
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_CSRF_FAILED = "This form has expired or did not come from this site. Go back, reload the page and try again."

router = APIRouter(include_in_schema=False)
_bearer = HTTPBearer(auto_error=False, description="an API token of an organisation: cairn_...")


def accounts_service(request: Request) -> AccountService:
    """The account service of the running instance."""
    service: AccountService = request.app.state.container.accounts
    return service


def client_address(request: Request) -> str:
    """The caller's address as the server sees it (behind a proxy, run uvicorn with --proxy-headers)."""
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
    """What ``signed_in`` may do in ``organisation``: 404 when not a member, 403 when the role is too low."""
    return accounts_service(request).access(account=signed_in.account, organisation=organisation, min_role=min_role)


def require_role(min_role: Role | str, *, param: str = "slug") -> Callable[..., OrganisationAccess]:
    """A dependency: the caller's access to the organisation named by path parameter ``param``."""
    wanted = Role(str(min_role))

    def dependency(request: Request, signed_in: Annotated[SignedIn, Depends(current_account)]) -> OrganisationAccess:
        return check_role(request, signed_in, str(request.path_params.get(param, "")), wanted)

    return dependency


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


# -- pages ----------------------------------------------------------------------------------------

SignedInDep = Annotated[SignedIn | None, Depends(optional_account)]
_NOTICES = {
    "signed-out": "You have signed out.",
    "added": "The member was added and told by email.",
    "role": "The role was changed.",
    "removed": "The member was removed.",
    "revoked": "The token was revoked; it no longer works.",
    "password-set": "Your password is set. Every other place where you were signed in has been signed out.",
    "password-changed": "Your password was changed. Every other place where you were signed in has been signed out.",
}


def say(lang: str, message: str, **values: Any) -> str:
    """``message`` (an English msgid, without its full stop) in ``lang``, as a sentence."""
    text = translate(lang, message, **values)
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def retry_minutes(exc: TooManyAttemptsError) -> int:
    """Whole minutes until a throttled person may try again (at least one)."""
    return max(1, (exc.retry_after + 59) // 60)


def error_text(lang: str, exc: CairnError) -> str:
    """A service's error as a sentence in ``lang``, for a page (API answers keep the service's English).

    A fixed service message is looked up by its own text, capitalised and without its full stop (so
    "wrong email or password" is the msgid "Wrong email or password"); the two messages that carry numbers
    (throttling, the password length) have msgids of their own."""
    if isinstance(exc, TooManyAttemptsError):
        return say(lang, "Too many attempts. Try again in %(minutes)s minutes", minutes=retry_minutes(exc))
    if exc.message.startswith("a password needs "):
        return say(lang, "A password needs %(min)s to %(max)s characters", min=MIN_PASSWORD, max=MAX_PASSWORD)
    return say(lang, exc.message[:1].upper() + exc.message[1:])


def _notice(request: Request, lang: str) -> str | None:
    notice = _NOTICES.get(request.query_params.get("done", ""))
    return None if notice is None else translate(lang, notice)


def safe_next(raw: str | None, default: str = "/account") -> str:
    """A local path to go to after sign-in; anything else goes to ``default``."""
    if raw and raw.startswith("/") and not raw.startswith(("//", "/\\")) and len(raw) < 2000 and "\\" not in raw:
        return raw
    return default


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _page(
    request: Request, template: str, context: dict[str, Any], *, status: int = 200, signed_in: SignedIn | None = None
) -> HTMLResponse:
    """A page with the CSRF token forms need, setting the pre-session CSRF cookie when one was minted."""
    full = {
        "lang": reader_language(request),
        "languages": None,
        "path": request.url.path,
        "signed_in": signed_in,
        "errors": {},
        **context,
    }
    full["csrf_token"] = csrf_token(request, signed_in)
    response: HTMLResponse = request.app.state.templates.TemplateResponse(request, template, full, status_code=status)
    minted = getattr(request.state, "new_csrf_cookie", None)
    if minted:
        response.set_cookie(CSRF_COOKIE, minted, httponly=True, samesite="lax", secure=_secure(request), path="/")
    response.headers["Cache-Control"] = "no-store"
    return response


def _signed_in_redirect(request: Request, new: NewSession, target: str) -> RedirectResponse:
    """Go on with the new session's cookie; a session this browser held before ends."""
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        accounts_service(request).sign_out(token=previous, client=client_address(request))
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, new.token, httponly=True, samesite="lax", secure=_secure(request), path="/")
    return response


def _sign_in_page(
    request: Request,
    signed_in: SignedIn | None,
    *,
    next_path: str,
    email: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    notice = _notice(request, reader_language(request))
    context = {"next": next_path, "email": email, "errors": errors or {}, "notice": notice}
    return _page(request, "auth/sign_in.html", context, status=status, signed_in=signed_in)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(
    request: Request, signed_in: SignedInDep, next: Annotated[str | None, Query(max_length=2000)] = None
) -> Response:
    """The sign-in page: a password, or a link by email."""
    if signed_in is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _sign_in_page(request, None, next_path=safe_next(next))


@router.post("/sign-in", response_class=HTMLResponse, dependencies=[Depends(csrf_protect)])
def sign_in(
    request: Request,
    signed_in: SignedInDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Check the password; on success set the session cookie and go on."""
    errors: dict[str, str] = {}
    lang = reader_language(request)
    if not email.strip():
        errors["email"] = say(lang, "Enter your email address")
    if not password:
        errors["password"] = say(lang, "Enter your password, or ask for a sign-in link below")
    if errors:
        return _sign_in_page(request, signed_in, next_path=safe_next(next), email=email, errors=errors, status=400)
    try:
        new = accounts_service(request).sign_in(email=email, password=password, client=client_address(request))
    except TooManyAttemptsError as exc:
        errors = {"email": error_text(lang, exc)}
        page = _sign_in_page(request, signed_in, next_path=safe_next(next), email=email, errors=errors, status=429)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    except AuthenticationError as exc:
        errors = {"email": error_text(lang, exc)}
        return _sign_in_page(request, signed_in, next_path=safe_next(next), email=email, errors=errors, status=401)
    return _signed_in_redirect(request, new, safe_next(next))


@router.post("/sign-in/link", response_class=HTMLResponse, dependencies=[Depends(csrf_protect)])
def request_link(
    request: Request,
    signed_in: SignedInDep,
    email: Annotated[str, Form(max_length=320)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Email a sign-in link; the answer is the same whether or not the address has an account."""
    service, lang = accounts_service(request), reader_language(request)
    try:
        service.request_sign_in_link(email=email, client=client_address(request), next_path=safe_next(next))
    except InputError as exc:
        errors = {"link-email": error_text(lang, exc)}
        return _sign_in_page(request, signed_in, next_path=safe_next(next), email=email, errors=errors, status=400)
    except TooManyAttemptsError as exc:
        errors = {"link-email": error_text(lang, exc)}
        page = _sign_in_page(request, signed_in, next_path=safe_next(next), email=email, errors=errors, status=429)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    minutes = int(service.link_lifetime.total_seconds() // 60)
    context = {"email": email.strip().lower(), "minutes": minutes}
    return _page(request, "auth/link_sent.html", context, signed_in=signed_in)


@router.get("/sign-in/link", response_class=HTMLResponse)
def link_landing(
    request: Request,
    signed_in: SignedInDep,
    token: Annotated[str, Query(max_length=200)] = "",
    next: Annotated[str | None, Query(max_length=2000)] = None,
) -> Response:
    """Where the emailed link lands: a button that uses it (so mail scanners that follow links do not); a sign-up
    confirmation also asks for the password chosen (or offers to go on without it, dropping it)."""
    confirm = accounts_service(request).confirms_sign_up(token)
    context = {"token": token, "next": safe_next(next), "confirm": confirm}
    return _page(request, "auth/link_landing.html", context, signed_in=signed_in)


@router.post("/sign-in/link/use", response_class=HTMLResponse, dependencies=[Depends(csrf_protect)])
def use_link(
    request: Request,
    signed_in: SignedInDep,
    token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
    password: Annotated[str | None, Form(max_length=1024)] = None,
) -> Response:
    """Use a sign-in (or sign-up confirmation) link once; on success end any session this browser held,
    set the new session cookie and go on to ``next``."""
    service, lang = accounts_service(request), reader_language(request)
    try:
        new = service.redeem_sign_in_link(token=token, client=client_address(request), password=password)
    except PendingPasswordError as exc:
        errors = {"password": error_text(lang, exc)}
        context = {"token": token, "next": safe_next(next), "confirm": True, "errors": errors}
        return _page(request, "auth/link_landing.html", context, status=401, signed_in=signed_in)
    except TooManyAttemptsError as exc:
        errors = {"password": error_text(lang, exc)}
        context = {"token": token, "next": safe_next(next), "confirm": True, "errors": errors}
        page = _page(request, "auth/link_landing.html", context, status=429, signed_in=signed_in)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    except AuthenticationError as exc:
        context = {"token": "", "errors": {"request": error_text(lang, exc)}}
        return _page(request, "auth/link_landing.html", context, status=400, signed_in=signed_in)
    return _signed_in_redirect(request, new, safe_next(next))


@router.get("/sign-out", response_class=HTMLResponse)
def sign_out_form(request: Request, signed_in: Annotated[SignedIn, Depends(current_account)]) -> Response:
    """Ask before signing out (a link alone must never change state)."""
    return _page(request, "auth/sign_out.html", {}, signed_in=signed_in)


@router.post("/sign-out", dependencies=[Depends(csrf_protect)])
def sign_out(request: Request) -> Response:
    """End the session and forget the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts_service(request).sign_out(token=token, client=client_address(request))
    response = RedirectResponse("/sign-in?done=signed-out", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=_secure(request), httponly=True, samesite="lax")
    return response


def _account_page(
    request: Request, signed_in: SignedIn, *, errors: dict[str, str] | None = None, status: int = 200
) -> HTMLResponse:
    service, lang = accounts_service(request), reader_language(request)
    context = {
        "organisations": service.organisations_of(signed_in.account),
        "has_password": signed_in.account.has_password,
        "can_set_password": service.may_set_password(request.cookies.get(SESSION_COOKIE, "")),
        "min_password": MIN_PASSWORD,
        "window_minutes": int(PASSWORD_SET_WINDOW.total_seconds() // 60),
        "notice": _notice(request, lang),
        "errors": errors or {},
    }
    return _page(request, "auth/account.html", context, status=status, signed_in=signed_in)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, signed_in: Annotated[SignedIn, Depends(current_account)]) -> Response:
    """Who is signed in, their organisations, and their password."""
    return _account_page(request, signed_in)


@router.post("/account/password", response_class=HTMLResponse, dependencies=[Depends(csrf_protect)])
def change_password(
    request: Request,
    signed_in: Annotated[SignedIn, Depends(current_account)],
    current: Annotated[str, Form(max_length=1024)] = "",
    new: Annotated[str, Form(max_length=1024)] = "",
    again: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Set a password (soon after a link sign-in, when the account has none) or change it (with the current
    one); every other session of the account ends and the address is told by email."""
    lang, had = reader_language(request), signed_in.account.has_password
    errors: dict[str, str] = {}
    if had and not current:
        errors["current-password"] = say(lang, "Enter your current password")
    if not new:
        errors["new-password"] = say(lang, "Choose a new password")
    elif not MIN_PASSWORD <= len(new) <= MAX_PASSWORD:
        errors["new-password"] = say(
            lang, "A password needs %(min)s to %(max)s characters", min=MIN_PASSWORD, max=MAX_PASSWORD
        )
    elif new != again:
        errors["again-password"] = say(lang, "The two new passwords are not the same")
    if errors:
        return _account_page(request, signed_in, errors=errors, status=400)
    try:
        accounts_service(request).change_password(
            session_token=request.cookies.get(SESSION_COOKIE, ""),
            current=current if had else None,
            new=new,
            client=client_address(request),
        )
    except TooManyAttemptsError as exc:
        field = "current-password" if had else "new-password"
        page = _account_page(request, signed_in, errors={field: error_text(lang, exc)}, status=429)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    except RecentSignInRequiredError as exc:
        return _account_page(request, signed_in, errors={"new-password": error_text(lang, exc)}, status=403)
    except InputError as exc:
        return _account_page(request, signed_in, errors={"new-password": error_text(lang, exc)}, status=400)
    except AuthenticationError as exc:
        field = "current-password" if had else "new-password"
        return _account_page(request, signed_in, errors={field: error_text(lang, exc)}, status=401)
    done = "password-changed" if had else "password-set"
    suffix = f"&lang={lang}" if request.query_params.get("lang") == lang else ""
    return RedirectResponse(f"/account?done={done}{suffix}", status_code=303)


# -- an organisation's members and tokens -----------------------------------------------------------

ViewerDep = Annotated[OrganisationAccess, Depends(require_role(Role.VIEWER))]
OwnerDep = Annotated[OrganisationAccess, Depends(require_role(Role.OWNER))]


def _members_page(
    request: Request,
    access: OrganisationAccess,
    signed_in: SignedIn,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    new_token: NewToken | None = None,
    status: int = 200,
) -> HTMLResponse:
    service = accounts_service(request)
    owner = access.role is Role.OWNER
    context = {
        "access": access,
        "owner": owner,
        "members": service.members(access.organisation),
        "tokens": service.tokens(access.organisation) if owner else [],
        "scopes": SCOPES,
        "roles": [r.value for r in Role],
        "now": service.clock(),
        "errors": errors or {},
        "form": form or {},
        "new_token": new_token,
        "notice": _notice(request, reader_language(request)),
    }
    return _page(request, "auth/organisation.html", context, status=status, signed_in=signed_in)


def _back(slug: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/orgs/{quote(slug)}/members?done={done}", status_code=303)


@router.get("/orgs/{slug}/members", response_class=HTMLResponse)
def members_page(
    request: Request, access: ViewerDep, signed_in: Annotated[SignedIn, Depends(current_account)]
) -> Response:
    """The organisation's members (and, for owners, its API tokens)."""
    return _members_page(request, access, signed_in)


@router.post("/orgs/{slug}/members", response_class=HTMLResponse, dependencies=[Depends(csrf_protect)])
def add_member(
    request: Request,
    access: OwnerDep,
    signed_in: Annotated[SignedIn, Depends(current_account)],
    email: Annotated[str, Form(max_length=320)] = "",
    role: Annotated[str, Form(max_length=20)] = "viewer",
) -> Response:
    """Add a member by email (an account is made for a new address; they sign in with a link)."""
    try:
        accounts_service(request).add_member(
            organisation=access.organisation, email=email, role=role, actor=signed_in.account.actor
        )
    except CairnError as exc:
        if exc.status not in (400, 409):
            raise
        field = "member-role" if "role" in exc.message else "member-email"
        form = {"email": email, "role": role}
        return _members_page(request, access, signed_in, errors={field: exc.message}, form=form, status=exc.status)
    return _back(access.organisation, "added")


@router.post(
    "/orgs/{slug}/members/{account_id}/role", response_class=HTMLResponse, dependencies=[Depends(csrf_protect)]
)
def change_role(
    request: Request,
    access: OwnerDep,
    signed_in: Annotated[SignedIn, Depends(current_account)],
    account_id: int,
    role: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Give a member another role (an organisation keeps at least one owner)."""
    service = accounts_service(request)
    try:
        service.change_role(
            organisation=access.organisation, account_id=account_id, role=role, actor=signed_in.account.actor
        )
    except CairnError as exc:
        if exc.status not in (400, 409):
            raise
        return _members_page(request, access, signed_in, errors={f"role-{account_id}": exc.message}, status=exc.status)
    return _back(access.organisation, "role")


@router.post(
    "/orgs/{slug}/members/{account_id}/remove", response_class=HTMLResponse, dependencies=[Depends(csrf_protect)]
)
def remove_member(
    request: Request, access: OwnerDep, signed_in: Annotated[SignedIn, Depends(current_account)], account_id: int
) -> Response:
    """Remove a member (not the last owner)."""
    service = accounts_service(request)
    try:
        service.remove_member(organisation=access.organisation, account_id=account_id, actor=signed_in.account.actor)
    except CairnError as exc:
        if exc.status != 409:
            raise
        return _members_page(request, access, signed_in, errors={f"role-{account_id}": exc.message}, status=409)
    return _back(access.organisation, "removed")


@router.post("/orgs/{slug}/tokens", response_class=HTMLResponse, dependencies=[Depends(csrf_protect)])
def create_token(
    request: Request,
    access: OwnerDep,
    signed_in: Annotated[SignedIn, Depends(current_account)],
    name: Annotated[str, Form(max_length=300)] = "",
    scopes: Annotated[list[str] | None, Form(max_length=40)] = None,
    expires_days: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Create an API token and show it, this once."""
    wanted = (scopes or [])[:20]
    days = expires_days.strip()
    form = {"name": name, "scopes": wanted, "expires_days": days}
    service = accounts_service(request)
    try:
        expires_at = None
        if days:
            if not days.isdigit() or not 1 <= int(days) <= 3650:
                raise InputError("the expiry must be a whole number of days from 1 to 3650, or empty")
            expires_at = service.clock() + timedelta(days=int(days))
        new = service.create_token(
            organisation=access.organisation,
            name=name,
            scopes=wanted,
            expires_at=expires_at,
            actor=signed_in.account.actor,
            created_by=signed_in.account.id,
        )
    except InputError as exc:
        field = "token-scopes" if "scope" in exc.message else "token-days" if "expir" in exc.message else "token-name"
        return _members_page(request, access, signed_in, errors={field: exc.message}, form=form, status=400)
    return _members_page(request, access, signed_in, new_token=new)


@router.post("/orgs/{slug}/tokens/{token_id}/revoke", dependencies=[Depends(csrf_protect)])
def revoke_token(
    request: Request, access: OwnerDep, signed_in: Annotated[SignedIn, Depends(current_account)], token_id: int
) -> Response:
    """Revoke a token of this organisation (another organisation's token answers 404)."""
    accounts_service(request).revoke_token(
        organisation=access.organisation, token_id=token_id, actor=signed_in.account.actor
    )
    return _back(access.organisation, "revoked")
