"""Careers: skill suggestions (API), the learner's skill profile, occupations and gaps, next steps, job ads.

JSON under ``/api/v1``:

- ``GET|POST /api/v1/skills/suggest`` — public (issuers use it in their forms; it costs one index lookup and
  needs no account). Text over 10,000 characters answers 413 before anything is searched (a body over
  64 KB is refused before it is read); empty text or only control characters answer 422 with the reason;
  text in an unsupported language answers an empty list with a ``reason``. ``"index"`` says which index
  answered: ``"full"`` (multilingual) or ``"lexical"`` (English words only, while the full one is being
  built at start-up; a ``"note"`` says so).
- ``POST /api/v1/jobs/analyse`` — public: the skills a job advertisement asks for (at most 20,000 characters:
  413 beyond; at most :data:`JOB_ADS_PER_MINUTE` a minute from one address, with the ``/jobs`` page: 429).
- ``GET /api/v1/careers/profile`` and ``GET /api/v1/careers/occupations`` — the signed-in learner's.

Pages: ``/wallet/skills``, ``/wallet/occupations``, ``/wallet/occupations/{key}`` (signed in) and ``/jobs``.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from cairn.bootstrap import Container
from cairn.errors import InputError, TooManyAttemptsError
from cairn.services.accounts.access import Role, SignedIn
from cairn.services.accounts.limits import SharedLimiter, client_network
from cairn.services.careers.service import (
    COLLECTIONS,
    MAX_JOB_AD_CHARS,
    MAX_SUGGEST_CHARS,
    CareersInputError,
    CareersService,
    TextTooLongError,
)
from cairn.skills.careers import SkillProfile, occupation_label, occupation_label_in
from cairn.skills.esco import EscoData, Occupation
from cairn.skills.jobs import JobAdAnalysis, Message
from cairn.web.deps import (
    CSRF_COOKIE,
    client_address,
    container,
    csrf_protect,
    csrf_token,
    current_account,
    optional_account,
)
from cairn.web.errors import answers_json
from cairn.web.i18n import LANGUAGES, reader_language, translate
from cairn.web.render import render

__all__ = ["api", "router"]

router = APIRouter()
api = APIRouter(dependencies=[Depends(answers_json)])
"""The JSON routes: errors in the API\'s shape."""
MAX_BODY = 64_000
SEARCH_LANGUAGES = LANGUAGES  # occupation labels exist in the page languages


def _careers(request: Request) -> CareersService:
    return container(request).careers


def _esco(request: Request) -> EscoData:
    """The ESCO release the instance's ESCO service holds."""
    return container(request).esco.data()


def _search_occupations(request: Request, query: str, language: str) -> list[Any]:
    search = container(request).esco.search_occupations
    return list(_careers(request).search_occupations(query, _esco(request), language=language, search=search))


def message_in(language: str, message: Message | None) -> str:
    """``message`` translated for the page (its text values too, when the catalogue has them)."""
    if message is None:
        return ""
    values = {k: translate(language, v) if isinstance(v, str) else v for k, v in message.values.items()}
    return translate(language, message.msgid, **values)


def _error_in(language: str, exc: InputError) -> str:
    if isinstance(exc, CareersInputError):
        return message_in(language, exc.text)
    return translate(language, exc.message)


def _page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    return render(request, template, context, status=status, languages=LANGUAGES, forms=False)


# ------------------------------------------------------------------------------------------ suggestion API


def _suggest_answer(
    request: Request, text: str, k: int, skill_type: str | None, collection: str | None, language: str | None
) -> JSONResponse:
    result = _careers(request).suggest(text, k=k, skill_type=skill_type, collection=collection, language=language)
    body: dict[str, Any] = {
        "skills": [
            {
                "uri": s.uri,
                "label": s.label,
                "score": round(s.score, 4),
                "matched": s.matched_label,
                "type": s.skill_type,
            }
            for s in result.skills
        ],
        "index": result.index,
    }
    if result.reason:
        body["reason"] = result.reason
    if result.note is not None:
        body["note"] = str(result.note)
    return JSONResponse(body)


def _refuse_big_body(request: Request) -> None:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY:
        raise TextTooLongError(
            f"the request is too large: at most {MAX_BODY:,} bytes (text: {MAX_SUGGEST_CHARS:,} characters)"
        )


async def json_body(request: Request) -> dict[str, Any]:
    """A dependency: the request's JSON object, read on the event loop (at most :data:`MAX_BODY` bytes), so that
    the route itself can be a plain ``def`` that FastAPI runs in its thread pool: searching and analysing are CPU
    work, which on the event loop would hold up every other request (docs/architecture.md)."""
    _refuse_big_body(request)
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise TextTooLongError(f"the request is too large: at most {MAX_BODY:,} bytes")
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise InputError('the body must be JSON: {"text": "..."}') from None
    if not isinstance(data, dict):
        raise InputError('the body must be a JSON object: {"text": "..."}')
    return data


JsonBody = Annotated[dict[str, Any], Depends(json_body)]


@api.get("/api/v1/skills/suggest", tags=["skills"], summary="ESCO skills for a learning outcome")
def suggest_get(
    request: Request,
    text: str = Query("", description=f"the learning outcome (at most {MAX_SUGGEST_CHARS:,} characters)"),
    k: int = Query(10, ge=1, le=100),
    type: str | None = Query(None, description="skill or knowledge", max_length=40),
    collection: str | None = Query(None, description=", ".join(COLLECTIONS), max_length=40),
    language: str | None = Query(None, description="en, pl, de, es or fr (guessed when absent)", max_length=20),
) -> JSONResponse:
    """Ranked ESCO skills: ``{"skills": [{"uri", "label", "score", "matched", "type"}], "reason"?}``."""
    return _suggest_answer(request, text, k, type or None, collection or None, language or None)


@api.post("/api/v1/skills/suggest", tags=["skills"], summary="ESCO skills for a learning outcome (JSON body)")
def suggest_post(request: Request, data: JsonBody) -> JSONResponse:
    """The same as GET, with ``{"text", "k"?, "type"?, "collection"?, "language"?}`` as a JSON body."""
    k = data.get("k", 10)
    if not isinstance(k, int) or isinstance(k, bool):
        raise InputError("k must be a whole number between 1 and 100")
    return _suggest_answer(
        request,
        _text_of(data),
        k,
        _str_or_none(data, "type"),
        _str_or_none(data, "collection"),
        _str_or_none(data, "language"),
    )


def _text_of(data: dict[str, Any]) -> str:
    text = data.get("text", "")
    if not isinstance(text, str):
        raise InputError("text must be a string")
    return text


def _str_or_none(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InputError(f"{key} must be a string")
    return value


# ------------------------------------------------------------------------------------------ job ads (API)

JOB_ADS_PER_MINUTE = 10
"""Job advertisements one address may have analysed a minute (the API and the page together): an analysis of
20,000 characters is seconds of CPU, and both are open to anyone."""


def job_ad_limiter(container: Container) -> SharedLimiter:
    """The limiter :func:`create_app <cairn.web.app.create_app>` keeps in ``app.state.job_ad_limiter``: counted in
    the database, so every app process shares it, per client network (an IPv6 /64 is one network)."""
    minute = timedelta(minutes=1)
    return SharedLimiter(
        container.database, name="job-ads", limit=JOB_ADS_PER_MINUTE, window=minute, clock=container.clock
    )


def job_ad_quota(request: Request) -> None:
    """A dependency: 429 (``TooManyAttemptsError``, with ``Retry-After``) once the caller's network has had
    :data:`JOB_ADS_PER_MINUTE` job ads analysed within the last minute; else counts this one."""
    limiter: SharedLimiter = request.app.state.job_ad_limiter
    wait = limiter.take(f"client:{client_network(client_address(request))}")
    if wait is not None:
        raise TooManyAttemptsError(wait)


def _job_json(analysis: JobAdAnalysis) -> dict[str, Any]:
    def rows(items: list[Any]) -> list[dict[str, Any]]:
        return [
            {
                "uri": s.uri,
                "label": s.label,
                "score": s.score,
                "matched": s.matched,
                "words": list(s.words),
                "mentions": s.mentions,
            }
            for s in items
        ]

    body: dict[str, Any] = {"skills": rows(analysis.skills), "index": analysis.index}
    if analysis.reason:
        body["reason"] = analysis.reason
    if analysis.note is not None:
        body["note"] = str(analysis.note)
    return body


@api.post(
    "/api/v1/jobs/analyse",
    tags=["skills"],
    summary="The ESCO skills a job advertisement asks for",
    dependencies=[Depends(job_ad_quota)],
)
def job_ad_api(request: Request, data: JsonBody) -> JSONResponse:
    """``{"text": "..."}`` (at most 20,000 characters: 413 beyond) -> ``{"skills": [...], "reason"?}``; at most
    :data:`JOB_ADS_PER_MINUTE` a minute from one address (429 with ``Retry-After`` beyond)."""
    return JSONResponse(_job_json(_careers(request).job_ad(_text_of(data))))


# ------------------------------------------------------------------------------------------ learner (API)


def _profile(request: Request, signed_in: SignedIn, lang: str) -> tuple[SkillProfile, EscoData]:
    esco = _esco(request)
    return _careers(request).profile(signed_in.account.id, esco, language=lang), esco


@api.get("/api/v1/careers/profile", tags=["careers"], summary="The signed-in learner's skill profile")
def profile_api(
    request: Request,
    signed_in: Annotated[SignedIn, Depends(current_account)],
    lang: str = Query("en", max_length=10),
) -> JSONResponse:
    """Skills from verified wallet credentials, grouped by the ESCO hierarchy, with evidence and a summary."""
    lang = lang if lang in LANGUAGES else "en"
    profile, _ = _profile(request, signed_in, lang)
    groups = [
        {
            "group": g.uri or None,
            "label": g.label or None,
            "skills": [
                {
                    "uri": s.uri,
                    "label": s.label,
                    "label_language": s.language,
                    "type": s.skill_type,
                    "evidence": [
                        {
                            "credential": e.credential_id,
                            "title": e.title,
                            "issuer": e.issuer,
                            "eqf_level": e.level,
                            "issued_at": e.issued_at.isoformat() if e.issued_at else None,
                        }
                        for e in s.evidence
                    ],
                }
                for s in g.skills
            ],
        }
        for g in profile.groups
    ]
    summary = _careers(request).summary(profile, language=lang)
    return JSONResponse({"credentials": profile.credentials, "summary": summary, "groups": groups})


@api.get("/api/v1/careers/occupations", tags=["careers"], summary="Occupations ranked by fit to the profile")
def occupations_api(
    request: Request,
    signed_in: Annotated[SignedIn, Depends(current_account)],
    lang: str = Query("en", max_length=10),
    limit: int = Query(20, ge=1, le=200),
) -> JSONResponse:
    """Occupations sharing skills with the learner's profile, best fit first, with coverage."""
    lang = lang if lang in LANGUAGES else "en"
    profile, esco = _profile(request, signed_in, lang)
    ranked = _careers(request).occupations(profile.uris, esco, language=lang, limit=limit)
    body: dict[str, Any] = {
        "occupations": [
            {
                "uri": f.uri,
                "label": f.label,
                "code": f.code,
                "fit": f.fit,
                "uses": f.uses,
                "essential": {"held": f.essential_held, "total": f.essential_total},
                "optional": {"held": f.optional_held, "total": f.optional_total},
            }
            for f in ranked
        ]
    }
    if not esco.occupations:
        body["reason"] = "no ESCO occupations are loaded on this instance"
    elif not profile.skills:
        body["reason"] = "no skills in your verified credentials yet"
    return JSONResponse(body)


# ------------------------------------------------------------------------------------------ pages


@router.get("/wallet/skills", response_class=HTMLResponse, include_in_schema=False)
def skills_page(
    request: Request,
    signed_in: Annotated[SignedIn, Depends(current_account)],
    lang: str | None = Query(None, max_length=10),
) -> HTMLResponse:
    """The learner's skills, grouped, with evidence and a summary in their language."""
    reader = reader_language(request, lang)
    profile, _ = _profile(request, signed_in, reader)
    summary = _careers(request).summary(profile, language=reader)
    return _page(
        request,
        "careers/skills.html",
        {"lang": reader, "path": "/wallet/skills", "profile": profile, "summary": summary},
    )


@router.get("/wallet/occupations", response_class=HTMLResponse, include_in_schema=False)
def occupations_page(
    request: Request,
    signed_in: Annotated[SignedIn, Depends(current_account)],
    lang: str | None = Query(None, max_length=10),
    q: str = Query("", max_length=200),
    search_language: str = Query("", alias="in", max_length=10),
) -> HTMLResponse:
    """Occupations ranked by fit to the learner's skills, and a search over occupations in English or Polish."""
    reader = reader_language(request, lang)
    in_language = search_language if search_language in SEARCH_LANGUAGES else reader
    profile, esco = _profile(request, signed_in, reader)
    service = _careers(request)
    ranked = service.occupations(profile.uris, esco, language=reader, limit=25)
    found = _search_occupations(request, q, in_language) if q.strip() else []
    return _page(
        request,
        "careers/occupations.html",
        {
            "lang": reader,
            "path": "/wallet/occupations",
            "profile": profile,
            "ranked": ranked,
            "q": q,
            "found": found,
            "in_language": in_language,
            "search_languages": SEARCH_LANGUAGES,
            "has_occupations": bool(esco.occupations),
            "label_of": lambda o: _label(o, in_language),
            "language_of": lambda o: occupation_label_in(o, in_language)[1],
        },
    )


def _label(occupation: Occupation, language: str) -> str:
    return occupation_label(occupation, language)


def _key(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


@router.get("/wallet/occupations/{key}", response_class=HTMLResponse, include_in_schema=False)
def occupation_page(
    request: Request,
    key: str,
    signed_in: Annotated[SignedIn, Depends(current_account)],
    lang: str | None = Query(None, max_length=10),
) -> HTMLResponse:
    """One occupation: how much of it the learner covers, the missing essential skills, and next steps."""
    reader = reader_language(request, lang)
    profile, esco = _profile(request, signed_in, reader)
    detail = _careers(request).occupation_detail(key, profile.uris, esco, language=reader)
    return _page(
        request,
        "careers/occupation.html",
        {"lang": reader, "path": f"/wallet/occupations/{_key(detail.occupation.uri)}", "detail": detail},
    )


def _issuer_organisations(request: Request, signed_in: SignedIn | None) -> list[Any]:
    if signed_in is None:
        return []
    memberships = container(request).accounts.organisations_of(signed_in.account)
    return [m for m in memberships if m.role.covers(Role.ISSUER)]


def _jobs_context(request: Request, signed_in: SignedIn | None, reader: str) -> dict[str, Any]:
    return {
        "lang": reader,
        "path": "/jobs",
        "signed_in": signed_in,
        "csrf": csrf_token(request, signed_in),
        "max_chars": MAX_JOB_AD_CHARS,
        "text": "",
        "error": None,
        "analysis": None,
        "reason": None,
        "note": None,
        "covering": [],
        "organisations": _issuer_organisations(request, signed_in),
    }


@router.get("/jobs", response_class=HTMLResponse, include_in_schema=False)
def jobs_page(
    request: Request,
    signed_in: Annotated[SignedIn | None, Depends(optional_account)],
    lang: str | None = Query(None, max_length=10),
) -> HTMLResponse:
    """Paste a job advertisement."""
    reader = reader_language(request, lang)
    response = _page(request, "careers/jobs.html", _jobs_context(request, signed_in, reader))
    _set_csrf_cookie(request, response)
    return response


def _set_csrf_cookie(request: Request, response: Response) -> None:
    token = getattr(request.state, "new_csrf_cookie", None)
    if token:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="lax", secure=request.url.scheme == "https")


@router.post(
    "/jobs",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(csrf_protect), Depends(job_ad_quota)],
)
def jobs_submit(
    request: Request,
    signed_in: Annotated[SignedIn | None, Depends(optional_account)],
    text: Annotated[str, Form()] = "",
    lang: str | None = Query(None, max_length=10),
) -> HTMLResponse:
    """The skills of a job advertisement; a signed-in learner's gaps; an issuer's micro-credentials covering it."""
    reader = reader_language(request, lang)
    context = _jobs_context(request, signed_in, reader)
    context["text"] = text[:MAX_JOB_AD_CHARS]
    service = _careers(request)
    held = None
    if signed_in is not None:
        held, _ = _profile(request, signed_in, reader)
    try:
        analysis = service.job_ad(text, held=held.uris if held is not None else None)
    except InputError as exc:
        context["error"] = _error_in(reader, exc)
        return _page(request, "careers/jobs.html", context, status=exc.status if exc.status in (413,) else 422)
    context["analysis"] = analysis
    context["skill_names"] = service.skill_names([s.uri for s in (*analysis.skills, *analysis.gaps)], language=reader)
    context["reason"] = message_in(reader, analysis.reason_message) or analysis.reason
    context["note"] = message_in(reader, analysis.note) or None
    context["held_profile"] = held
    if context["organisations"] and analysis.skills:
        slugs = [m.organisation for m in context["organisations"]]
        context["covering"] = service.covering_offers([s.uri for s in analysis.skills], slugs, language=reader)
    return _page(request, "careers/jobs.html", context)
