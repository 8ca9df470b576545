"""One way to answer with a page: :func:`render`, and the sentences pages say (:func:`say`, :func:`error_text`).

Every page gets the reader's language, the language switcher's choices, the current path, the signed-in
account, an empty error map and (for pages with forms) the CSRF token, setting the pre-session CSRF cookie when
one was minted; pages that show a person's data are not cached (``Cache-Control: no-store``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from cairn.errors import CairnError
from cairn.services.accounts.service import SignedIn
from cairn.web.deps import CSRF_COOKIE, csrf_token
from cairn.web.i18n import reader_language, translate

__all__ = ["error_text", "render", "safe_next", "say"]


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
    signed_in: SignedIn | None = None,
    languages: Mapping[str, str] | None = None,
    forms: bool = True,
    private: bool = True,
) -> HTMLResponse:
    """``template`` with ``context`` over the defaults every page needs (see the module's text).

    ``languages``: the switcher's choices (None: the site's); ``forms``: add the CSRF token (and its cookie);
    ``private``: the page shows someone's data, so it is never cached."""
    full: dict[str, Any] = {
        "lang": reader_language(request),
        "languages": languages,
        "path": request.url.path,
        "signed_in": signed_in,
        "errors": {},
        "demo_mode": bool(getattr(request.app.state, "demo", False)),
        # The language switcher carries the query over only on a page answered well to a GET (a search, a filter);
        # an error page never repeats what it refused.
        "keep_query": status < 400 and request.method == "GET",
        **context,
    }
    if forms:
        full["csrf_token"] = csrf_token(request, signed_in)
    response: HTMLResponse = request.app.state.templates.TemplateResponse(request, template, full, status_code=status)
    minted = getattr(request.state, "new_csrf_cookie", None) if forms else None
    if minted:
        secure = request.url.scheme == "https"
        response.set_cookie(CSRF_COOKIE, minted, httponly=True, samesite="lax", secure=secure, path="/")
    if private:
        response.headers["Cache-Control"] = "no-store"
    return response


def say(lang: str, message: str, **values: Any) -> str:
    """``message`` (an English msgid, without its full stop) in ``lang``, as a sentence."""
    text = translate(lang, message, **values)
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def error_text(lang: str, exc: CairnError) -> str:
    """A service's error as a sentence in ``lang``, for a page (API answers keep the service's English).

    The message is looked up by its id (capitalised, without its full stop: "wrong email or password" is the
    msgid "Wrong email or password"), and its values are filled in after the lookup."""
    return say(lang, exc.message_id[:1].upper() + exc.message_id[1:], **exc.values)


def safe_next(raw: str | None, default: str = "/account") -> str:
    """A local path to go to after sign-in; anything else goes to ``default``."""
    if raw and raw.startswith("/") and not raw.startswith(("//", "/\\")) and len(raw) < 2000 and "\\" not in raw:
        return raw
    return default
