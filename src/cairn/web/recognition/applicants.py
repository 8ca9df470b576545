"""Recognition for a learner whose credentials are in another wallet: no Cairn account, an access key instead.

- ``POST /recognition/rules/{slug}/apply``: the presentation pasted into the rules page (JSON or a JWT, bound to
  the challenge and domain the page showed). The answer is the application (its state and outcome) and, this once,
  its access key. A presentation that does not verify, a challenge used or expired, or text that is not a
  presentation: the rules page again, with the error, the text kept and a fresh challenge.
- ``GET /recognition/applications``: a form asking the application's number and its key.
- ``POST /recognition/applications``: the application, for its number and key (a wrong key is the same "no such
  application" as a wrong number), with the forms to answer a request for information or appeal when its state
  allows; ``POST /recognition/applications/respond`` and ``/recognition/applications/appeal`` take them.

The key travels in a hidden field of each form, never in an address. No sign-in: the forms carry the pre-session
CSRF token (the cookie's, as the sign-in forms do), checked on every POST. Pages are never cached.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from cairn.errors import CairnError
from cairn.services.accounts.service import SignedIn
from cairn.services.recognition.records import ApplicationView
from cairn.web.catalog.editor import form_size, posted_form
from cairn.web.deps import container, csrf_protect, optional_account
from cairn.web.i18n import LANGUAGES, number, reader_language, translate
from cairn.web.recognition.pages import (
    APPLICATION_STATES,
    DECISION_WORDS,
    MAX_PRESENTATION,
    MAX_TEXT,
    rules_page,
)
from cairn.web.render import render, say

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

LangQuery = Annotated[str | None, Query(max_length=10)]
SlugPath = Annotated[str, Path(max_length=80)]
MaybeSignedIn = Annotated[SignedIn | None, Depends(optional_account)]
FormDep = Annotated[FormData, Depends(posted_form)]
Post = [Depends(form_size), Depends(csrf_protect)]
"""A form of a sane size, then the CSRF token (the session's, or before sign-in the cookie's)."""

MAX_ID: Final = 80
MAX_KEY: Final = 100
NOTICES: Final = {
    "answered": "Your answer was sent to the institution.",
    "appealed": "Your appeal was sent. The institution reviews the decision again.",
}


def _field(form: FormData, name: str, most: int | None = None) -> str:
    raw = form.get(name)
    text = raw.strip() if isinstance(raw, str) else ""
    return text[:most] if most is not None else text


def _error(lang: str, exc: CairnError) -> str:
    """A service's error as a sentence in ``lang``; a verification reason is said in ``lang`` too."""
    values = dict(exc.values)
    if isinstance(values.get("reason"), str):
        values["reason"] = translate(lang, values["reason"])
    return say(lang, exc.message_id, **values)


def _presentation(text: str) -> Mapping[str, Any] | str:
    """What was pasted: a JSON presentation as data, anything else (a JWT) as text."""
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            return text
        if isinstance(parsed, dict):
            return parsed
    return text


def _application_page(
    request: Request,
    signed_in: SignedIn | None,
    lang: str,
    *,
    view: ApplicationView | None = None,
    key: str = "",
    new_key: str = "",
    public_id: str = "",
    notice: str = "",
    errors: Mapping[str, str] | None = None,
    texts: Mapping[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The application (with its forms) for its key, or the form asking its number and key when ``view`` is None.
    ``new_key``: shown once, just after applying."""
    c = container(request)
    rules = None
    credential: Any = None
    if view is not None:
        try:
            rules = c.recognition.store.rules(view.rules, view.rules_version)
        except CairnError:
            rules = None
        if view.award_id:
            credential = c.issuing.get(view.award_id).credential
    context = {
        "lang": lang,
        "a": view,
        "rules_view": rules,
        "credential": credential,
        "credential_text": json.dumps(credential, indent=2, ensure_ascii=False)
        if isinstance(credential, dict)
        else credential,
        "key": key,
        "new_key": new_key,
        "public_id": public_id,
        "notice": notice,
        "errors": dict(errors or {}),
        "texts": dict(texts or {}),
        "states": APPLICATION_STATES,
        "decisions": DECISION_WORDS,
        "max_text": MAX_TEXT,
        "path": "/recognition/applications",
    }
    return render(
        request, "recognition/applicant.html", context, status=status, signed_in=signed_in, languages=LANGUAGES
    )


@router.post("/recognition/rules/{slug}/apply", response_class=HTMLResponse, dependencies=Post)
def apply(
    request: Request, signed_in: MaybeSignedIn, form: FormDep, slug: SlugPath, lang: LangQuery = None
) -> Response:
    """Apply under the rules with a presentation pasted from another wallet; the answer shows the access key once."""
    reader = reader_language(request, lang)
    text = _field(form, "presentation")
    challenge = _field(form, "challenge", 200)
    errors: dict[str, str] = {}
    if not text:
        errors["presentation"] = translate(reader, "Paste the presentation your wallet made.")
    elif len(text.encode("utf-8", "surrogatepass")) > MAX_PRESENTATION:
        size = number(MAX_PRESENTATION, reader)
        errors["presentation"] = translate(reader, "The presentation is larger than %(n)s bytes.", n=size)
    else:
        try:
            made = container(request).recognition.apply_with_presentation(
                slug, _presentation(text), challenge, language=reader
            )
        except CairnError as exc:
            if exc.status not in (400, 409, 422):
                raise
            errors["challenge" if "challenge" in exc.message_id else "presentation"] = _error(reader, exc)
        else:
            key = made.access_key or ""
            return _application_page(request, signed_in, reader, view=made, key=key, new_key=key)
    kept = text[:MAX_PRESENTATION]
    return rules_page(request, signed_in, slug, None, lang, errors=errors, presentation=kept, status=400)


@router.get("/recognition/applications", response_class=HTMLResponse)
def find(request: Request, signed_in: MaybeSignedIn, lang: LangQuery = None) -> HTMLResponse:
    """The form asking an application's number and its access key."""
    return _application_page(request, signed_in, reader_language(request, lang))


def _with_key(request: Request, form: FormData) -> tuple[ApplicationView | None, str, str]:
    """The application the form names, when its key is the form's; its number and key as typed."""
    public_id, key = _field(form, "application", MAX_ID), _field(form, "key", MAX_KEY)
    if not public_id or not key:
        return None, public_id, key
    try:
        return container(request).recognition.with_key(public_id, key), public_id, key
    except CairnError as exc:
        if exc.status != 404:
            raise
        return None, public_id, key


def _not_found(request: Request, signed_in: SignedIn | None, lang: str, public_id: str, key: str) -> HTMLResponse:
    errors: dict[str, str] = {}
    if not public_id:
        errors["application"] = translate(lang, "Give the application's number.")
    if not key:
        errors["key"] = translate(lang, "Give the access key you were given when you applied.")
    if not errors:
        errors["application"] = translate(lang, "No application has this number and key. Check both and try again.")
    status = 400 if not public_id or not key else 404
    return _application_page(request, signed_in, lang, public_id=public_id, errors=errors, status=status)


@router.post("/recognition/applications", response_class=HTMLResponse, dependencies=Post)
def show(request: Request, signed_in: MaybeSignedIn, form: FormDep, lang: LangQuery = None) -> HTMLResponse:
    """The application, for its number and key."""
    reader = reader_language(request, lang)
    view, public_id, key = _with_key(request, form)
    if view is None:
        return _not_found(request, signed_in, reader, public_id, key)
    return _application_page(request, signed_in, reader, view=view, key=key)


def _learner_text(
    request: Request, signed_in: SignedIn | None, form: FormData, lang: str | None, kind: str
) -> HTMLResponse:
    """Answer a request for information (``kind`` ``answer``) or appeal a decision (``appeal``) with the key."""
    reader = reader_language(request, lang)
    view, public_id, key = _with_key(request, form)
    if view is None:
        return _not_found(request, signed_in, reader, public_id, key)
    name = "answer" if kind == "answer" else "reason"
    text = _field(form, name)
    problem = ""
    if not text:
        problem = translate(reader, "Write your answer." if kind == "answer" else "Say why you appeal the decision.")
    elif len(text) > MAX_TEXT:
        problem = translate(reader, "Your text is longer than %(n)s characters.", n=MAX_TEXT)
    status = 400
    if not problem:
        recognition = container(request).recognition
        try:
            if kind == "answer":
                done = recognition.respond(view.public_id, text, key=key)
            else:
                done = recognition.appeal(view.public_id, text, key=key)
        except CairnError as exc:
            if exc.status not in (400, 409):
                raise
            problem, status = _error(reader, exc), exc.status
        else:
            notice = NOTICES["answered" if kind == "answer" else "appealed"]
            return _application_page(request, signed_in, reader, view=done, key=key, notice=notice)
    return _application_page(
        request,
        signed_in,
        reader,
        view=view,
        key=key,
        errors={kind: problem},
        texts={kind: text[:MAX_TEXT]},
        status=status,
    )


@router.post("/recognition/applications/respond", response_class=HTMLResponse, dependencies=Post)
def respond(request: Request, signed_in: MaybeSignedIn, form: FormDep, lang: LangQuery = None) -> HTMLResponse:
    """The applicant answers the institution's request for more information."""
    return _learner_text(request, signed_in, form, lang, "answer")


@router.post("/recognition/applications/appeal", response_class=HTMLResponse, dependencies=Post)
def appeal(request: Request, signed_in: MaybeSignedIn, form: FormDep, lang: LangQuery = None) -> HTMLResponse:
    """The applicant appeals the decision, saying why: it goes back to the institution's queue."""
    return _learner_text(request, signed_in, form, lang, "appeal")
