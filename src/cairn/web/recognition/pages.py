"""Recognition for people: the published rules, a course and a rules document in words, and the learner's
applications.

- ``GET /recognition``: the published recognition rules, by institution: the course each counts towards, its
  ECTS, and whether the rules decide at once or a person reviews.
- ``GET /recognition/courses/{slug}``: a course (or job profile): title, institution, ECTS, hours, EQF and
  national level, field, assessment, learning outcomes and the ESCO skills they align to; the rules towards it.
- ``GET /recognition/rules/{slug}`` and ``/recognition/rules/{slug}/versions/{n}`` (the address a decision
  credential names): the conditions in words, the outcome (ECTS, partial tiers, automatic or reviewed), versions.
  The latest version's page also offers to apply with a presentation from another wallet: a fresh challenge and
  the domain to make it with, and a form to paste it (:mod:`cairn.web.recognition.applicants` takes it).
- ``GET /wallet/recognition`` (``?rules=`` preselects): apply under published rules with credentials of the wallet,
  and each application's state, decision, substantial differences and decision credential.
- ``POST /wallet/recognition/apply``, ``/wallet/recognition/{id}/respond``, ``/wallet/recognition/{id}/appeal``.

Every POST needs a session and the CSRF token; the wallet's page needs a session. Errors are said next to their
fields, with a summary at the top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from cairn.errors import CairnError, NotFoundError
from cairn.model.recognition.conditions import credential_checks, threshold_needs, tiers
from cairn.model.vocabularies import ASSESSMENT_TYPES
from cairn.phrases import Phrase
from cairn.services.accounts.service import SignedIn
from cairn.services.recognition.documents import CourseView, RulesView
from cairn.services.recognition.records import ApplicationView
from cairn.services.recognition.service import CHALLENGE_LIFETIME
from cairn.web.careers.names import labelled, page_names
from cairn.web.catalog.editor import form_size, posted_form
from cairn.web.deps import container, csrf_protect, current_account, optional_account
from cairn.web.i18n import LANGUAGES, reader_language, translate
from cairn.web.render import render, say

__all__ = [
    "APPLICATION_STATES",
    "DECISION_WORDS",
    "MAX_PRESENTATION",
    "MAX_TEXT",
    "Tier",
    "conditions_of",
    "router",
    "rules_page",
    "tiers_of",
]

router = APIRouter(include_in_schema=False)

LangQuery = Annotated[str | None, Query(max_length=10)]
SlugPath = Annotated[str, Path(max_length=80)]
IdPath = Annotated[str, Path(max_length=40)]
SignedInDep = Annotated[SignedIn, Depends(current_account)]
MaybeSignedIn = Annotated[SignedIn | None, Depends(optional_account)]
FormDep = Annotated[FormData, Depends(posted_form)]
Post = [Depends(current_account), Depends(form_size), Depends(csrf_protect)]
"""Signed in first (so nobody else's body is even read), a form of a sane size, then the CSRF token."""

MAX_TEXT: Final = 2000
"""Longest answer, appeal or reason accepted from a form, in characters (the services keep this many)."""

APPLICATION_STATES: Final = {
    "review": "Waiting for the institution's review",
    "more-info-requested": "The institution asks for more information",
    "decided": "Decided",
    "automatic-decided": "Decided at once under the rules",
    "appealed": "Appealed: waiting for the institution's review",
}
DECISION_WORDS: Final = {
    "full": "Recognised in full",
    "partial": "Recognised in part",
    "refused": "Refused",
}
NOTICES: Final = {
    "applied": "Your application was sent. The institution reviews it; this page shows its decision.",
    "decided": "Your application was decided at once under the rules.",
    "answered": "Your answer was sent to the institution.",
    "appealed": "Your appeal was sent. The institution reviews the decision again.",
}


# -- words --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tier:
    """The full outcome or a partial tier, as a page says it."""

    ects: float
    needs: tuple[Phrase, ...]
    partial: bool


def conditions_of(view: RulesView) -> list[Phrase]:
    """What the rules ask of the credentials, each condition in words, in the order of the rules document (the
    thresholds of a full recognition last)."""
    rules = view.rules
    found = [check.needs for check in credential_checks(rules.conditions)]
    full = tiers(rules, view.course.course)[0]
    found.extend(threshold_needs(t, rules.outcome.combine) for t in full.thresholds)
    return found


def tiers_of(view: RulesView) -> list[Tier]:
    """The full outcome and each partial tier: the ECTS recognised and the thresholds to reach."""
    rules = view.rules
    return [
        Tier(t.ects, tuple(threshold_needs(h, rules.outcome.combine) for h in t.thresholds), t.partial)
        for t in tiers(rules, view.course.course)
    ]


def _with_lang(url: str, lang: str | None) -> str:
    if lang not in LANGUAGES or lang == "en":
        return url
    return url + ("&" if "?" in url else "?") + f"lang={lang}"


# -- public pages --------------------------------------------------------------------------------------------------


@router.api_route("/recognition", methods=["GET", "HEAD"], response_class=HTMLResponse)
def recognition(request: Request, lang: LangQuery = None) -> HTMLResponse:
    """Every published rules document, by institution."""
    reader = reader_language(request, lang)
    by_institution: dict[str, list[RulesView]] = {}
    for view in container(request).recognition.store.all_rules():
        by_institution.setdefault(view.stored.organisation, []).append(view)
    groups = [(views[0].institution, views) for views in by_institution.values()]
    context = {"lang": reader, "groups": groups, "path": "/recognition", "tiers_of": tiers_of}
    return render(request, "recognition/public_list.html", context, languages=LANGUAGES, forms=False, private=False)


@router.api_route("/recognition/courses/{slug}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def course(request: Request, slug: SlugPath, lang: LangQuery = None) -> HTMLResponse:
    """A published course (or job profile) and the rules under which credentials count towards it."""
    reader = reader_language(request, lang)
    store = container(request).recognition.store
    view: CourseView = store.course(slug)
    rules = [r for r in store.all_rules(organisation=view.stored.organisation) if r.rules.course == view.course.id]
    outcomes = view.course.learning_outcomes
    names = page_names(request, [*view.course.skills, *(uri for o in outcomes for uri in o.esco_skills)], reader)
    context = {
        "lang": reader,
        "view": view,
        "c": view.course,
        "skills": labelled(view.course.skills, reader, names),
        "outcome_skills": [labelled(o.esco_skills, reader, names) for o in outcomes],
        "assessment": [ASSESSMENT_TYPES.label(code, reader) for code in view.course.assessment],
        "rules": rules,
        "path": f"/recognition/courses/{view.course.id}",
    }
    return render(request, "recognition/course.html", context, languages=LANGUAGES, forms=False, private=False)


MAX_PRESENTATION: Final = 1_000_000
"""Longest presentation pasted into the rules page's form, in bytes (the API's limit)."""


def rules_page(
    request: Request,
    signed_in: SignedIn | None,
    slug: str,
    version: int | None,
    lang: str | None,
    *,
    errors: Mapping[str, str] | None = None,
    presentation: str = "",
    status: int = 200,
) -> Response:
    """The rules page; on the latest version's, the form to apply with a presentation from another wallet, with a
    fresh challenge (``errors`` and the ``presentation`` pasted when it is shown again after a failure)."""
    reader = reader_language(request, lang)
    services = container(request)
    store = services.recognition.store
    view = store.rules(slug, version)
    versions = store.versions("recognition", view.slug)
    outside = version is None  # the challenge is for the latest version: the versions' pages stay cacheable
    context = {
        "lang": reader,
        "view": view,
        "r": view.rules,
        "course": view.course.course,
        "conditions": conditions_of(view),
        "tiers": tiers_of(view),
        "versions": versions,
        "latest": max(versions, default=view.version),
        "path": f"/recognition/rules/{view.slug}",
        "outside": outside,
        "errors": dict(errors or {}),
        "presentation": presentation,
        "max_presentation": MAX_PRESENTATION,
    }
    if outside:
        context["challenge"] = services.recognition.challenge(view.slug)
        context["domain"] = services.recognition.domain
        context["expires"] = services.clock() + timedelta(seconds=CHALLENGE_LIFETIME)
    return render(
        request,
        "recognition/rules.html",
        context,
        status=status,
        signed_in=signed_in,
        languages=LANGUAGES,
        forms=outside,
        private=signed_in is not None or outside,
    )


@router.api_route("/recognition/rules/{slug}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def rules(request: Request, signed_in: MaybeSignedIn, slug: SlugPath, lang: LangQuery = None) -> Response:
    """The latest version of published rules: the conditions in words and the outcome."""
    return rules_page(request, signed_in, slug, None, lang)


@router.api_route("/recognition/rules/{slug}/versions/{version}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def rules_version(
    request: Request,
    signed_in: MaybeSignedIn,
    slug: SlugPath,
    version: Annotated[int, Path(ge=1, le=1_000_000)],
    lang: LangQuery = None,
) -> Response:
    """One version of published rules: the address a decision credential names."""
    return rules_page(request, signed_in, slug, version, lang)


# -- the wallet ----------------------------------------------------------------------------------------------------


def _wallet_page(
    request: Request,
    signed_in: SignedIn,
    lang: str,
    *,
    chosen_rules: str = "",
    chosen: Sequence[str] = (),
    errors: Mapping[str, str] | None = None,
    texts: Mapping[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    c = container(request)
    account = signed_in.account.id
    published = c.recognition.store.all_rules()
    applications = c.recognition.of_account(account)
    titles: dict[str, Any] = {v.slug: v.rules.title for v in published}
    courses: dict[str, Any] = {v.slug: v.course.course.title for v in published}
    held = c.wallet.list(account)
    done = request.query_params.get("done", "")
    context = {
        "lang": lang,
        "published": published,
        "applications": applications,
        "titles": titles,
        "courses": courses,
        "held": held,
        "in_wallet": {i.award_id: i for i in held if i.award_id},
        "chosen_rules": chosen_rules or request.query_params.get("rules", "")[:80],
        "chosen": set(chosen),
        "errors": dict(errors or {}),
        "texts": dict(texts or {}),
        "states": APPLICATION_STATES,
        "decisions": DECISION_WORDS,
        "notice": NOTICES.get(done) if not errors else None,
        "shown": request.query_params.get("application", "")[:40],
        "max_text": MAX_TEXT,
        "path": "/wallet/recognition",
    }
    return render(request, "recognition/wallet.html", context, status=status, signed_in=signed_in, languages=LANGUAGES)


@router.get("/wallet/recognition", response_class=HTMLResponse)
def wallet_recognition(request: Request, signed_in: SignedInDep, lang: LangQuery = None) -> HTMLResponse:
    """The learner's applications for recognition, and a form to apply."""
    return _wallet_page(request, signed_in, reader_language(request, lang))


def _field(form: FormData, name: str) -> str:
    raw = form.get(name)
    return raw.strip() if isinstance(raw, str) else ""


def _service_error(lang: str, exc: CairnError) -> str:
    """A service's error as a sentence in ``lang`` (the services' messages are lowercase msgids)."""
    return say(lang, exc.message_id, **exc.values)


def _done(application: ApplicationView, done: str, lang: str | None) -> RedirectResponse:
    target = _with_lang(f"/wallet/recognition?done={done}&application={quote(application.public_id)}", lang)
    return RedirectResponse(f"{target}#application-{application.public_id}", status_code=303)


@router.post("/wallet/recognition/apply", response_class=HTMLResponse, dependencies=Post)
def apply(request: Request, signed_in: SignedInDep, form: FormDep, lang: LangQuery = None) -> Response:
    """Apply under the chosen rules with the chosen credentials of the wallet."""
    reader = reader_language(request, lang)
    c = container(request)
    slug = _field(form, "rules")[:200]
    chosen = [v for v in form.getlist("credential") if isinstance(v, str)][:50]
    errors: dict[str, str] = {}
    if not slug:
        errors["rules"] = translate(reader, "Choose the rules you apply under.")
    if not chosen:
        errors["credentials"] = translate(reader, "Choose at least one credential to present.")
    if not errors:
        c.wallet.wallet_for(signed_in.account.id)  # the wallet is made on first use
        try:
            made = c.recognition.apply_from_wallet(signed_in.account.id, slug, chosen, language=reader)
        except CairnError as exc:
            if exc.status not in (400, 403, 404, 409, 422):
                raise
            field = "rules" if "rules" in exc.message_id else "credentials"
            errors[field] = _service_error(reader, exc)
        else:
            return _done(made, "decided" if made.state == "automatic-decided" else "applied", lang)
    return _wallet_page(request, signed_in, reader, chosen_rules=slug, chosen=chosen, errors=errors, status=400)


def _own(request: Request, signed_in: SignedIn, application: str) -> ApplicationView:
    mine = next(
        (a for a in container(request).recognition.of_account(signed_in.account.id) if a.public_id == application), None
    )
    if mine is None:
        raise NotFoundError("no such application")
    return mine


def _learner_text(
    request: Request,
    signed_in: SignedIn,
    form: FormData,
    application: str,
    lang: str | None,
    *,
    kind: str,
) -> Response:
    """Answer a request for information (``kind`` ``answer``) or appeal a decision (``appeal``)."""
    reader = reader_language(request, lang)
    mine = _own(request, signed_in, application)
    name = "answer" if kind == "answer" else "reason"
    text = _field(form, name)
    key = f"{kind}-{mine.public_id}"
    problem = ""
    if not text:
        empty = "Write your answer." if kind == "answer" else "Say why you appeal the decision."
        problem = translate(reader, empty)
    elif len(text) > MAX_TEXT:
        problem = translate(reader, "Your text is longer than %(n)s characters.", n=MAX_TEXT)
    status = 400
    if not problem:
        recognition = container(request).recognition
        try:
            if kind == "answer":
                done = recognition.respond(mine.public_id, text, account_id=signed_in.account.id)
            else:
                done = recognition.appeal(mine.public_id, text, account_id=signed_in.account.id)
        except CairnError as exc:
            if exc.status not in (400, 409):
                raise
            problem, status = _service_error(reader, exc), exc.status
        else:
            return _done(done, "answered" if kind == "answer" else "appealed", lang)
    return _wallet_page(request, signed_in, reader, errors={key: problem}, texts={key: text[:MAX_TEXT]}, status=status)


@router.post("/wallet/recognition/{application}/respond", response_class=HTMLResponse, dependencies=Post)
def respond(
    request: Request, signed_in: SignedInDep, form: FormDep, application: IdPath, lang: LangQuery = None
) -> Response:
    """The learner answers the institution's request for more information."""
    return _learner_text(request, signed_in, form, application, lang, kind="answer")


@router.post("/wallet/recognition/{application}/appeal", response_class=HTMLResponse, dependencies=Post)
def appeal(
    request: Request, signed_in: SignedInDep, form: FormDep, application: IdPath, lang: LangQuery = None
) -> Response:
    """The learner appeals a decision, saying why: it goes back to the institution's queue."""
    return _learner_text(request, signed_in, form, application, lang, kind="appeal")
