"""Sign-in, sign-out, the account page, an organisation's members and API tokens (the pages; the dependencies
that say who is calling are in :mod:`cairn.web.deps`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cairn.errors import AuthenticationError, CairnError, InputError
from cairn.services.accounts.access import MAX_PASSWORD, MIN_PASSWORD
from cairn.services.accounts.service import (
    PASSWORD_SET_WINDOW,
    SCOPES,
    NewSession,
    NewToken,
    OrganisationAccess,
    PendingPasswordError,
    RecentSignInRequiredError,
    Role,
    SignedIn,
    TooManyAttemptsError,
)
from cairn.web.deps import (
    SESSION_COOKIE,
    RowId,
    SignedInDep,
    accounts_service,
    client_address,
    container,
    csrf_protect,
    current_account,
    in_reader_language,
    require_role,
)
from cairn.web.i18n import reader_language, translate
from cairn.web.render import error_text, render, safe_next, say

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


# -- pages ----------------------------------------------------------------------------------------

_NOTICES = {
    "signed-out": "You have signed out.",
    "added": "The member was added and told by email.",
    "role": "The role was changed.",
    "removed": "The member was removed.",
    "revoked": "The token was revoked; it no longer works.",
    "password-set": "Your password is set. Every other place where you were signed in has been signed out.",
    "password-changed": "Your password was changed. Every other place where you were signed in has been signed out.",
    "logo": "The logo was saved; credentials awarded from now on carry it.",
    "logo-removed": "The logo was removed; the organisation's initials stand in for it.",
}


def _notice(request: Request, lang: str) -> str | None:
    notice = _NOTICES.get(request.query_params.get("done", ""))
    return None if notice is None else translate(lang, notice)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _signed_in_redirect(request: Request, new: NewSession, target: str) -> RedirectResponse:
    """Go on with the new session's cookie; a session this browser held before ends."""
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        accounts_service(request).sign_out(token=previous, client=client_address(request))
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, new.token, httponly=True, samesite="lax", secure=_secure(request), path="/")
    return response


def _sign_inrender(
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
    return render(request, "auth/sign_in.html", context, status=status, signed_in=signed_in)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(
    request: Request, signed_in: SignedInDep, next: Annotated[str | None, Query(max_length=2000)] = None
) -> Response:
    """The sign-in page: a password, or a link by email."""
    if signed_in is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _sign_inrender(request, None, next_path=safe_next(next))


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
        return _sign_inrender(request, signed_in, next_path=safe_next(next), email=email, errors=errors, status=400)
    try:
        new = accounts_service(request).sign_in(email=email, password=password, client=client_address(request))
    except TooManyAttemptsError as exc:
        errors = {"email": error_text(lang, exc)}
        page = _sign_inrender(request, signed_in, next_path=safe_next(next), email=email, errors=errors, status=429)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    except AuthenticationError as exc:
        errors = {"email": error_text(lang, exc)}
        return _sign_inrender(request, signed_in, next_path=safe_next(next), email=email, errors=errors, status=401)
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
        service.request_sign_in_link(
            email=email, client=client_address(request), next_path=safe_next(next), language=reader_language(request)
        )
    except InputError as exc:
        errors = {"link-email": error_text(lang, exc)}
        return _sign_inrender(request, signed_in, next_path=safe_next(next), email=email, errors=errors, status=400)
    except TooManyAttemptsError as exc:
        errors = {"link-email": error_text(lang, exc)}
        page = _sign_inrender(request, signed_in, next_path=safe_next(next), email=email, errors=errors, status=429)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    minutes = int(service.link_lifetime.total_seconds() // 60)
    context = {"email": email.strip().lower(), "minutes": minutes}
    return render(request, "auth/link_sent.html", context, signed_in=signed_in)


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
    return render(request, "auth/link_landing.html", context, signed_in=signed_in)


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
        return render(request, "auth/link_landing.html", context, status=401, signed_in=signed_in)
    except TooManyAttemptsError as exc:
        errors = {"password": error_text(lang, exc)}
        context = {"token": token, "next": safe_next(next), "confirm": True, "errors": errors}
        page = render(request, "auth/link_landing.html", context, status=429, signed_in=signed_in)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    except AuthenticationError as exc:
        context = {"token": "", "errors": {"request": error_text(lang, exc)}}
        return render(request, "auth/link_landing.html", context, status=400, signed_in=signed_in)
    return _signed_in_redirect(request, new, safe_next(next))


@router.get("/sign-out", response_class=HTMLResponse)
def sign_out_form(request: Request, signed_in: Annotated[SignedIn, Depends(current_account)]) -> Response:
    """Ask before signing out (a link alone must never change state)."""
    return render(request, "auth/sign_out.html", {}, signed_in=signed_in)


@router.post("/sign-out", dependencies=[Depends(csrf_protect)])
def sign_out(request: Request) -> Response:
    """End the session and forget the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts_service(request).sign_out(token=token, client=client_address(request))
    response = RedirectResponse("/sign-in?done=signed-out", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=_secure(request), httponly=True, samesite="lax")
    return response


def _accountrender(
    request: Request, signed_in: SignedIn, *, errors: dict[str, str] | None = None, status: int = 200
) -> HTMLResponse:
    service, lang = accounts_service(request), reader_language(request)
    context = {
        "organisations": [in_reader_language(request, a) for a in service.organisations_of(signed_in.account)],
        "has_password": signed_in.account.has_password,
        "can_set_password": service.may_set_password(request.cookies.get(SESSION_COOKIE, "")),
        "min_password": MIN_PASSWORD,
        "window_minutes": int(PASSWORD_SET_WINDOW.total_seconds() // 60),
        "notice": _notice(request, lang),
        "errors": errors or {},
    }
    return render(request, "auth/account.html", context, status=status, signed_in=signed_in)


@router.get("/account", response_class=HTMLResponse)
def accountrender(request: Request, signed_in: Annotated[SignedIn, Depends(current_account)]) -> Response:
    """Who is signed in, their organisations, and their password."""
    return _accountrender(request, signed_in)


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
        return _accountrender(request, signed_in, errors=errors, status=400)
    try:
        accounts_service(request).change_password(
            session_token=request.cookies.get(SESSION_COOKIE, ""),
            current=current if had else None,
            new=new,
            client=client_address(request),
            language=lang,
        )
    except TooManyAttemptsError as exc:
        field = "current-password" if had else "new-password"
        page = _accountrender(request, signed_in, errors={field: error_text(lang, exc)}, status=429)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    except RecentSignInRequiredError as exc:
        return _accountrender(request, signed_in, errors={"new-password": error_text(lang, exc)}, status=403)
    except InputError as exc:
        return _accountrender(request, signed_in, errors={"new-password": error_text(lang, exc)}, status=400)
    except AuthenticationError as exc:
        field = "current-password" if had else "new-password"
        return _accountrender(request, signed_in, errors={field: error_text(lang, exc)}, status=401)
    done = "password-changed" if had else "password-set"
    suffix = f"&lang={lang}" if request.query_params.get("lang") == lang else ""
    return RedirectResponse(f"/account?done={done}{suffix}", status_code=303)


# -- an organisation's members and tokens -----------------------------------------------------------

ViewerDep = Annotated[OrganisationAccess, Depends(require_role(Role.VIEWER))]
OwnerDep = Annotated[OrganisationAccess, Depends(require_role(Role.OWNER))]


def _membersrender(
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
        "has_logo": container(request).badges.logo(access.organisation).sha256 is not None,
    }
    return render(request, "auth/organisation.html", context, status=status, signed_in=signed_in)


def _back(slug: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/orgs/{quote(slug)}/members?done={done}", status_code=303)


@router.get("/orgs/{slug}/members", response_class=HTMLResponse)
def membersrender(
    request: Request, access: ViewerDep, signed_in: Annotated[SignedIn, Depends(current_account)]
) -> Response:
    """The organisation's members (and, for owners, its API tokens)."""
    return _membersrender(request, access, signed_in)


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
        return _membersrender(request, access, signed_in, errors={field: exc.message}, form=form, status=exc.status)
    return _back(access.organisation, "added")


@router.post(
    "/orgs/{slug}/members/{account_id}/role", response_class=HTMLResponse, dependencies=[Depends(csrf_protect)]
)
def change_role(
    request: Request,
    access: OwnerDep,
    signed_in: Annotated[SignedIn, Depends(current_account)],
    account_id: RowId,
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
        return _membersrender(request, access, signed_in, errors={f"role-{account_id}": exc.message}, status=exc.status)
    return _back(access.organisation, "role")


@router.post(
    "/orgs/{slug}/members/{account_id}/remove", response_class=HTMLResponse, dependencies=[Depends(csrf_protect)]
)
def remove_member(
    request: Request, access: OwnerDep, signed_in: Annotated[SignedIn, Depends(current_account)], account_id: RowId
) -> Response:
    """Remove a member (not the last owner)."""
    service = accounts_service(request)
    try:
        service.remove_member(organisation=access.organisation, account_id=account_id, actor=signed_in.account.actor)
    except CairnError as exc:
        if exc.status != 409:
            raise
        return _membersrender(request, access, signed_in, errors={f"role-{account_id}": exc.message}, status=409)
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
        return _membersrender(request, access, signed_in, errors={field: exc.message}, form=form, status=400)
    return _membersrender(request, access, signed_in, new_token=new)


@router.post("/orgs/{slug}/tokens/{token_id}/revoke", dependencies=[Depends(csrf_protect)])
def revoke_token(
    request: Request, access: OwnerDep, signed_in: Annotated[SignedIn, Depends(current_account)], token_id: RowId
) -> Response:
    """Revoke a token of this organisation (another organisation's token answers 404)."""
    accounts_service(request).revoke_token(
        organisation=access.organisation, token_id=token_id, actor=signed_in.account.actor
    )
    return _back(access.organisation, "revoked")
