"""The institution's review queue of recognition applications.

- ``GET /orgs/{slug}/recognition`` — applications waiting (nearest deadline first), each side by side with the
  course: the engine's comparison rows, the skills covered and missing, each condition met or not, the credentials
  that did not count and why; a decision form and a request for more information. Decided applications below
  (issuer and up; posts need the CSRF token).
- ``POST /orgs/{slug}/recognition/{application}/decision`` — recognise fully, in part (ECTS) or refuse; a partial
  recognition or a refusal states the substantial differences (prefilled from the assessment, plus free text).
- ``POST /orgs/{slug}/recognition/{application}/information`` — ask the learner for more information.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from cairn.errors import ConflictError, InputError, NotFoundError
from cairn.services.accounts.service import OrganisationAccess, Role, SignedIn
from cairn.services.recognition.records import AUTOMATIC, DECIDED, ApplicationView
from cairn.web.careers.names import labelled, page_names
from cairn.web.catalog.editor import form_size, posted_form
from cairn.web.deps import container, csrf_protect, current_account, require_role
from cairn.web.i18n import LANGUAGES, reader_language, said, translate
from cairn.web.recognition.pages import APPLICATION_STATES, DECISION_WORDS, MAX_TEXT
from cairn.web.render import render, say

__all__ = ["ASPECTS", "router"]

router = APIRouter(include_in_schema=False)

IssuerDep = Annotated[OrganisationAccess, Depends(require_role(Role.ISSUER))]
SignedInDep = Annotated[SignedIn, Depends(current_account)]
FormDep = Annotated[FormData, Depends(posted_form)]
IdPath = Annotated[str, Path(max_length=40)]
_POST = [Depends(form_size), Depends(csrf_protect)]

ASPECTS: Final = {
    "level": "Level",
    "workload": "Workload",
    "outcomes": "Learning outcomes",
    "assessment": "Assessment",
    "identity": "Identity verification",
    "quality": "Quality assurance",
    "issuer": "Issuer trust",
    "date": "Date awarded",
    "grade": "Grade",
    "accepted": "Accepted credentials",
}
"""What each comparison row, condition or difference is about, as a heading says it."""
MAX_DIFFERENCES: Final = 20
_DONE: Final = {
    "full": "The application is recognised in full: the decision credential was issued to the learner.",
    "partial": "The application is recognised in part: the decision credential was issued to the learner.",
    "refused": "The application is refused; the learner reads the substantial differences and your reason.",
    "information": "Your request was sent; the deadline stops until the learner answers.",
}


def _base(organisation: str) -> str:
    return f"/orgs/{quote(organisation)}/recognition"


def _with_lang(request: Request, url: str) -> str:
    lang = request.query_params.get("lang", "")
    if lang not in LANGUAGES:
        return url
    return f"{url}{'&' if '?' in url else '?'}lang={lang}"


def offered_differences(application: ApplicationView, lang: str) -> list[str]:
    """The substantial differences the assessment found, each in ``lang``: the checkboxes a reviewer starts from."""
    found = application.assessment.get("differences") or ()
    return [said(lang, d.get("explanation")) for d in found if isinstance(d, Mapping)][:MAX_DIFFERENCES]


def _why_not(application: ApplicationView) -> dict[str, Any]:
    """Each presented credential's id -> the engine's result for it (why it did not count)."""
    found = application.assessment.get("credentials") or ()
    return {str(c.get("credential_id")): c for c in found if isinstance(c, Mapping)}


def _assessed_skills(application: ApplicationView) -> dict[str, list[str]]:
    """The course's ESCO skills the application's assessment found ``covered`` and ``missing``."""
    found = application.assessment.get("skills") or {}
    return {key: [str(s) for s in found.get(key) or ()] for key in ("covered", "missing")}


def _definition_titles(request: Request, names: list[str]) -> dict[str, Any]:
    """The published definitions among ``names`` (measures name a definition by its slug) -> their titles."""
    catalog = container(request).catalog
    found: dict[str, Any] = {}
    for name in names:
        try:
            found[name] = catalog.entry(name).definition.title
        except NotFoundError:  # an achievement of another issuer, or a definition no longer published
            continue
    return found


def _queue_page(
    request: Request,
    access: OrganisationAccess,
    signed_in: SignedIn,
    *,
    errors: Mapping[str, str] | None = None,
    posted: Mapping[str, Mapping[str, Any]] | None = None,
    notice: str = "",
    status: int = 200,
) -> HTMLResponse:
    recognition = container(request).recognition
    lang = reader_language(request)
    waiting = recognition.queue(access.organisation)
    decided = recognition.queue(access.organisation, states=(DECIDED, AUTOMATIC))
    decided.sort(key=lambda a: a.decided_at or a.created_at, reverse=True)
    titles = {v.slug: v.rules.title for v in recognition.store.all_rules(organisation=access.organisation, drafts=True)}
    measures = recognition.measures(access.organisation)
    known = _definition_titles(request, [name for name, _ in measures.most_recognised])
    assessed = {a.public_id: _assessed_skills(a) for a in waiting}
    names = page_names(request, (uri for skills in assessed.values() for uris in skills.values() for uri in uris), lang)
    context = {
        "access": access,
        "base": _base(access.organisation),
        "waiting": waiting,
        "decided": decided,
        "titles": titles,
        "offered": {a.public_id: offered_differences(a, lang) for a in waiting},
        "why_not": {a.public_id: _why_not(a) for a in waiting},
        "skills": {
            public_id: {key: labelled(uris, lang, names) for key, uris in skills.items()}
            for public_id, skills in assessed.items()
        },
        "aspects": ASPECTS,
        "states": APPLICATION_STATES,
        "decisions": DECISION_WORDS,
        "errors": dict(errors or {}),
        "posted": dict(posted or {}),
        "notice": notice,
        "lang_query": _with_lang(request, ""),
        "max_text": MAX_TEXT,
        "measures": measures,
        "known": known,
    }
    return render(request, "recognition/review.html", context, signed_in=signed_in, status=status)


@router.get("/orgs/{slug}/recognition", response_class=HTMLResponse)
def queue_page(request: Request, access: IssuerDep, signed_in: SignedInDep) -> Response:
    """Applications waiting for a decision, side by side with the course; then those decided."""
    done = request.query_params.get("done", "")
    notice = translate(reader_language(request), _DONE[done]) if done in _DONE else ""
    return _queue_page(request, access, signed_in, notice=notice)


def _field(form: FormData, name: str) -> str:
    raw = form.get(name)
    return raw.strip() if isinstance(raw, str) else ""


def _ects(text: str) -> float | None:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return value if value == value and abs(value) < 1e6 else None  # not NaN, not huge


def _differences(form: FormData) -> list[str]:
    ticked = [v.strip() for v in form.getlist("difference") if isinstance(v, str) and v.strip()]
    other = [line.strip() for line in _field(form, "other").splitlines() if line.strip()]
    return [d[:1000] for d in [*ticked, *other]][:MAX_DIFFERENCES]


def _error_field(message_id: str, public_id: str) -> str:
    if "ECTS" in message_id:
        return f"ects-{public_id}"
    if "differences" in message_id:
        return f"other-{public_id}"
    return f"decision-{public_id}"


@router.post("/orgs/{slug}/recognition/{application}/decision", response_class=HTMLResponse, dependencies=_POST)
def decide(request: Request, access: IssuerDep, signed_in: SignedInDep, application: IdPath, form: FormDep) -> Response:
    """Recognise fully, in part or refuse, stating the substantial differences for the last two."""
    recognition = container(request).recognition
    found = recognition.get(application, organisation=access.organisation)
    lang = reader_language(request)
    pid = found.public_id
    decision = _field(form, "decision")
    ects_text = _field(form, "ects")[:20]
    reason = _field(form, "reason")
    other = _field(form, "other")
    differences = _differences(form)
    ects = _ects(ects_text) if ects_text else None
    errors: dict[str, str] = {}
    if decision not in ("full", "partial", "refused"):
        errors[f"decision-{pid}"] = translate(lang, "Choose to recognise in full, in part, or to refuse.")
    if decision == "partial":
        if ects is None or ects <= 0:
            errors[f"ects-{pid}"] = translate(lang, "Give the ECTS recognised in part, a number above 0.")
        elif found.full_ects and ects >= found.full_ects:
            errors[f"ects-{pid}"] = translate(
                lang, "A recognition in part gives fewer than %(n)s ECTS.", n=f"{found.full_ects:g}"
            )
    if decision in ("partial", "refused") and not differences:
        errors[f"other-{pid}"] = translate(
            lang, "State the substantial differences: a recognition in part or a refusal names them."
        )
    if len(reason) > MAX_TEXT:
        errors[f"reason-{pid}"] = translate(lang, "The text is longer than %(n)s characters.", n=MAX_TEXT)
    if len(other) > MAX_TEXT * 5:
        errors[f"other-{pid}"] = translate(lang, "The text is longer than %(n)s characters.", n=MAX_TEXT * 5)
    status = 400
    if not errors:
        try:
            recognition.decide(
                pid,
                organisation=access.organisation,
                decision=decision,
                actor=signed_in.account.actor,
                ects=ects if decision == "partial" else None,
                differences=differences if decision != "full" else (),
                reason=reason,
            )
        except (ConflictError, InputError) as exc:
            errors[_error_field(exc.message_id, pid)] = say(lang, exc.message_id, **exc.values)
            status = exc.status
        else:
            return RedirectResponse(_with_lang(request, f"{_base(access.organisation)}?done={decision}"), 303)
    posted = {
        pid: {
            "decision": decision,
            "ects": ects_text,
            "ticked": [v for v in form.getlist("difference") if isinstance(v, str)],
            "other": other[: MAX_TEXT * 5],
            "reason": reason[:MAX_TEXT],
        }
    }
    return _queue_page(request, access, signed_in, errors=errors, posted=posted, status=status)


@router.post("/orgs/{slug}/recognition/{application}/information", response_class=HTMLResponse, dependencies=_POST)
def request_information(
    request: Request, access: IssuerDep, signed_in: SignedInDep, application: IdPath, form: FormDep
) -> Response:
    """Ask the learner for more information: the application waits for their answer."""
    recognition = container(request).recognition
    found = recognition.get(application, organisation=access.organisation)
    lang = reader_language(request)
    key = f"information-{found.public_id}"
    message = _field(form, "message")
    problem, status = "", 400
    if not message:
        problem = translate(lang, "Say what information you need.")
    elif len(message) > MAX_TEXT:
        problem = translate(lang, "The text is longer than %(n)s characters.", n=MAX_TEXT)
    if not problem:
        try:
            recognition.request_information(
                found.public_id, organisation=access.organisation, message=message, actor=signed_in.account.actor
            )
        except (ConflictError, InputError) as exc:
            problem, status = say(lang, exc.message_id, **exc.values), exc.status
        else:
            return RedirectResponse(_with_lang(request, f"{_base(access.organisation)}?done=information"), 303)
    posted = {found.public_id: {"message": message[:MAX_TEXT]}}
    return _queue_page(request, access, signed_in, errors={key: problem}, posted=posted, status=status)
