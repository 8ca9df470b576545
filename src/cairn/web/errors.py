"""One JSON error shape for the whole API, and plain pages for people.

Every API error answers ``{"ok": false, "error": MESSAGE, "status": CODE}`` (plus ``problems``
when there are several); pages answer an HTML page with the same message. Nothing internal (stack
traces, SQL, secrets) reaches either: unexpected errors are logged and answered with a generic 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from cairn.errors import CairnError, CatalogError, TooManyAttemptsError
from cairn.web.i18n import reader_language

__all__ = ["answers_json", "error_body", "install_error_handlers", "wants_json"]

log = logging.getLogger("cairn.web")

_TITLES = {
    400: "Bad request",
    401: "Sign-in needed",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    429: "Too many attempts",
    413: "Too large",
    422: "Cannot accept this",
    500: "Something went wrong",
    503: "Unavailable",
}


async def answers_json() -> None:
    """A router dependency that marks every route of its router as answering errors in the API's JSON shape
    (:func:`wants_json` finds it among the matched route's dependencies, so it holds even when the request fails
    before any dependency runs, such as a body that is not JSON). ``async`` and empty: FastAPI runs a plain function
    dependency in a worker thread (a thread hop every request)."""


def wants_json(request: Request) -> bool:
    """Whether an error is answered as JSON: the matched route's router says so (:func:`answers_json` among its
    dependencies); a request that matched no route gets JSON under ``/api/`` (the API's namespace) or when the
    client accepts JSON and not HTML; everything else gets a page."""
    route = request.scope.get("route")
    if route is None:
        if request.url.path.startswith("/api/"):
            return True
    elif any(getattr(d, "dependency", None) is answers_json for d in getattr(route, "dependencies", ())):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    """The API's one error shape."""
    return {"ok": False, "error": message, "status": status, **extra}


def _respond(request: Request, status: int, message: str, **extra: Any) -> Response:
    if wants_json(request):
        return JSONResponse(error_body(status, message, **extra), status_code=status)
    templates = request.app.state.templates
    page: Response = templates.TemplateResponse(
        request,
        "error.html",
        {
            "status": status,
            "title": _TITLES.get(status, "Error"),
            "message": message,
            "lang": reader_language(request),
            "path": "/",
        },
        status_code=status,
    )
    return page


def install_error_handlers(app: FastAPI) -> None:
    """Route every error through the one shape."""

    @app.exception_handler(CairnError)
    async def _cairn(request: Request, exc: CairnError) -> Response:
        extra: dict[str, Any] = {}
        if isinstance(exc, CatalogError):
            extra["problems"] = [
                {"source": p.source, "path": p.path, "message": p.message, "element": p.element} for p in exc.problems
            ]
        response = _respond(request, exc.status, exc.message, **extra)
        if isinstance(exc, TooManyAttemptsError):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "Error")
        if exc.status_code == 404 and message == "Not Found":
            message = "There is nothing at this address."
        response = _respond(request, exc.status_code, message)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"path": ".".join(str(p) for p in err.get("loc", ())), "message": str(err.get("msg", ""))}
            for err in exc.errors()
        ]
        return _respond(request, 422, "the request does not have the expected form", problems=problems)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _respond(request, 500, "Something went wrong on our side; it has been logged.")
