"""``/wallet/statistics``: a learner gives (or changes, or withdraws) consent to their answers about themselves
being counted in aggregate statistics for policy (see :mod:`cairn.services.wallet.statistics`).

- ``GET /wallet/statistics``: what is asked and why, in plain words, and the form (with the answers given);
- ``POST /wallet/statistics``: give consent with the answers, or change them;
- ``POST /wallet/statistics/withdraw``: withdraw consent: the answers are deleted at once.

Signed in (another person's answers are never shown: there is no address for them) and CSRF on each form.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Final

import pycountry
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cairn.errors import InputError
from cairn.services.accounts.service import SignedIn
from cairn.services.wallet.statistics import (
    AGE_BANDS,
    EDUCATION_LEVELS,
    EMPLOYMENT,
    GENDERS,
    LearnerAnswers,
    LearnerStatistics,
)
from cairn.web.catalog.views import country_name
from cairn.web.deps import container, csrf_protect, current_account
from cairn.web.i18n import LANGUAGES, long_date, reader_language, translate
from cairn.web.render import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

SignedInDep = Annotated[SignedIn, Depends(current_account)]
LangQuery = Annotated[str | None, Query(max_length=10)]
Choice = Annotated[str, Form(max_length=20)]
Post = [Depends(current_account), Depends(csrf_protect)]
"""Signed in first (so nobody else's body is even read), then the CSRF token."""

_NOTICES: Final = {
    "given": "Thank you: your answers will be counted in the statistics.",
    "changed": "Your answers are changed.",
    "withdrawn": "Your consent is withdrawn and your answers are deleted.",
}
LABELS: Final = {
    "not-said": "I prefer not to say",
    "65+": "65 or older",
    "female": "Woman",
    "male": "Man",
    "other": "Another gender",
    "employed": "Employed",
    "self-employed": "Self-employed",
    "unemployed": "Unemployed, looking for work",
    "student": "In education or training",
    "inactive": "Not working and not looking for work",
    "0": "Early childhood education",
    "1": "Primary education",
    "2": "Lower secondary education",
    "3": "Upper secondary education",
    "4": "Post-secondary non-tertiary education",
    "5": "Short-cycle tertiary education",
    "6": "Bachelor's or equivalent",
    "7": "Master's or equivalent",
    "8": "Doctoral or equivalent",
}
"""The answers as the page words them (msgids: the page translates them); an age band is its own label."""
QUESTIONS: Final = (
    ("age_band", "Your age", AGE_BANDS),
    ("gender", "Your gender", GENDERS),
    ("education_level", "The highest level of education you have finished", EDUCATION_LEVELS),
    ("employment_status", "What you do now", EMPLOYMENT),
)


def _service(request: Request) -> LearnerStatistics:
    return container(request).learner_statistics


@cache
def _countries(lang: str) -> tuple[tuple[str, str], ...]:
    found = ((str(c.alpha_2), country_name(str(c.alpha_2), lang=lang)) for c in pycountry.countries)
    return tuple(sorted(found, key=lambda pair: pair[1]))


def _page(
    request: Request,
    signed_in: SignedIn,
    lang: str,
    *,
    form: LearnerAnswers | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    given = _service(request).answers(signed_in.account.id)
    context: dict[str, Any] = {
        "lang": lang,
        "given": given,
        "given_on": long_date(given.consent_given_at, lang) if given and given.consent_given_at else "",
        "answers": form or given,
        "questions": QUESTIONS,
        "labels": LABELS,
        "countries": _countries(lang if lang in LANGUAGES else "en"),
        "errors": errors or {},
        "notice": _NOTICES.get(request.query_params.get("done", "")),
    }
    template = "wallet/statistics.html"
    response = render(request, template, context, status=status, signed_in=signed_in, languages=LANGUAGES)
    response.headers["Cache-Control"] = "no-store"
    return response


def _back(done: str, lang: str) -> RedirectResponse:
    query = f"done={done}" + (f"&lang={lang}" if lang != "en" else "")
    return RedirectResponse(f"/wallet/statistics?{query}", status_code=303)


@router.get("/wallet/statistics", response_class=HTMLResponse)
def statistics_page(request: Request, signed_in: SignedInDep, lang: LangQuery = None) -> Response:
    """What is asked and why, and the form."""
    return _page(request, signed_in, reader_language(request, lang))


@router.post("/wallet/statistics", response_class=HTMLResponse, dependencies=Post)
def give_consent(
    request: Request,
    signed_in: SignedInDep,
    age_band: Choice = "",
    gender: Choice = "",
    education_level: Choice = "",
    employment_status: Choice = "",
    country: Annotated[str, Form(max_length=2)] = "",
    region: Annotated[str, Form(max_length=10)] = "",
    lang: LangQuery = None,
) -> Response:
    """Consent with the answers (or new answers): stored with the consent text's version and the time."""
    reader = reader_language(request, lang)
    answers = LearnerAnswers(age_band, gender, education_level, employment_status, country or None, region or None)
    had = _service(request).answers(signed_in.account.id) is not None
    try:
        _service(request).consent(signed_in.account.id, answers)
    except InputError as exc:
        field = "region" if "region" in exc.message else "country" if "country" in exc.message else _field(answers)
        errors = {field: translate(reader, exc.message)}
        return _page(request, signed_in, reader, form=answers, errors=errors, status=400)
    return _back("changed" if had else "given", reader)


def _field(answers: LearnerAnswers) -> str:
    """The first question whose answer is not among those offered (where an error takes the reader)."""
    for name, _question, allowed in QUESTIONS:
        if getattr(answers, name) not in allowed:
            return name
    return "age_band"


@router.post("/wallet/statistics/withdraw", response_class=HTMLResponse, dependencies=Post)
def withdraw_consent(request: Request, signed_in: SignedInDep, lang: LangQuery = None) -> Response:
    """Withdraw consent: the answers are deleted now."""
    _service(request).withdraw(signed_in.account.id)
    return _back("withdrawn", reader_language(request, lang))
