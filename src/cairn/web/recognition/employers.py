"""The employer's side of recognition, for people: the endorsements an organisation gives, and checking a
candidate's presentation against one of its job profiles.

- ``GET /orgs/{slug}/endorsements`` — the endorsements the organisation gave (withdrawn ones too), a form to endorse
  a published micro-credential of the catalogue, and a withdraw form (with a reason) per endorsement.
- ``POST /orgs/{slug}/endorsements`` and ``POST /orgs/{slug}/endorsements/{award_id}/withdraw``.
- ``GET /orgs/{slug}/recognition/check`` (``?rules=`` chosen): the organisation's job profiles (and courses), a
  challenge and the domain to send the candidate, and a form for their presentation.
- ``POST /orgs/{slug}/recognition/check`` — the report: each required skill with the verified credentials that cover
  it, the missing skills, the credentials that did not verify and why, and the rules' verdict. Nothing is stored but
  the audit entry that uses the challenge up.

Every page needs an issuer (or owner) of the organisation; another organisation's member gets 404, a viewer 403,
nobody signed in is sent to sign in. Posts need the CSRF token. Every verification is the service's, on the one
verification path (``container.verification``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from cairn.errors import CairnError
from cairn.formats.endorsement import RELATIONS
from cairn.model.types import pick
from cairn.services.accounts.service import OrganisationAccess, Role, SignedIn
from cairn.services.endorsements.service import MAX_COMMENT
from cairn.services.recognition.checking import CHECK, PresentationCheck
from cairn.services.recognition.documents import RulesView
from cairn.services.recognition.service import CHALLENGE_LIFETIME
from cairn.web.careers.names import labelled, page_names
from cairn.web.catalog.editor import form_size, posted_form
from cairn.web.deps import container, csrf_protect, current_account, require_role
from cairn.web.i18n import LANGUAGES, reader_language, translate
from cairn.web.recognition.api import MAX_APPLICATION_BYTES
from cairn.web.render import render, say

__all__ = ["MAX_PRESENTATION_CHARS", "MAX_REASON", "job_profiles", "parse_presentation", "router"]

router = APIRouter(include_in_schema=False)

IssuerDep = Annotated[OrganisationAccess, Depends(require_role(Role.ISSUER))]
SignedInDep = Annotated[SignedIn, Depends(current_account)]
FormDep = Annotated[FormData, Depends(posted_form)]
AwardPath = Annotated[str, Path(max_length=80)]
_POST = [Depends(form_size), Depends(csrf_protect)]

MAX_REASON: Final = 500
"""Longest reason for withdrawing an endorsement kept, in characters (the service keeps this many)."""
MAX_PRESENTATION_CHARS: Final = MAX_APPLICATION_BYTES
"""Longest presentation pasted into the check form, in characters (as long as the API takes)."""
RELATION_WORDS: Final = {"co-created": "It co-created it", "values": "It values it"}
_ENDORSED: Final = {
    "endorsed": "The endorsement was signed and published: verifiers of this micro-credential now see it.",
    "withdrawn": "The endorsement was withdrawn: its credential is revoked and verifiers no longer see it.",
}


def _with_lang(request: Request, url: str) -> str:
    lang = request.query_params.get("lang", "")
    if lang not in LANGUAGES:
        return url
    return f"{url}{'&' if '?' in url else '?'}lang={lang}"


def _field(form: FormData, name: str) -> str:
    raw = form.get(name)
    return raw.strip() if isinstance(raw, str) else ""


# -- endorsements -------------------------------------------------------------------------------------------------


def _endorsable(request: Request, organisation: str, lang: str) -> list[tuple[str, str]]:
    """``(slug, title in lang)`` of each published definition the organisation may endorse (not its own)."""
    found = [
        (e.stored.definition.id, pick(e.definition.title, lang)[1] or e.stored.definition.id)
        for e in container(request).catalog.entries()
        if organisation not in e.definition.awarding_bodies
    ]
    return sorted(found, key=lambda item: item[1].casefold())


def _endorsements_page(
    request: Request,
    access: OrganisationAccess,
    signed_in: SignedIn,
    *,
    errors: Mapping[str, str] | None = None,
    posted: Mapping[str, str] | None = None,
    notice: str = "",
    status: int = 200,
) -> HTMLResponse:
    lang = reader_language(request)
    base = f"/orgs/{quote(access.organisation)}/endorsements"
    definitions = _endorsable(request, access.organisation, lang)
    context = {
        "access": access,
        "base": base,
        "endorsements": container(request).endorsements.of_organisation(access.organisation),
        "definitions": definitions,
        "titles": dict(definitions),
        "relations": RELATION_WORDS,
        "errors": dict(errors or {}),
        "posted": dict(posted or {}),
        "notice": notice,
        "lang_query": _with_lang(request, ""),
        "max_comment": MAX_COMMENT,
        "max_reason": MAX_REASON,
    }
    return render(request, "recognition/endorsements.html", context, signed_in=signed_in, status=status)


@router.get("/orgs/{slug}/endorsements", response_class=HTMLResponse)
def endorsements_page(request: Request, access: IssuerDep, signed_in: SignedInDep) -> Response:
    """The organisation's endorsements and a form to endorse a micro-credential of the catalogue."""
    done = request.query_params.get("done", "")
    notice = translate(reader_language(request), _ENDORSED[done]) if done in _ENDORSED else ""
    return _endorsements_page(request, access, signed_in, notice=notice)


@router.post("/orgs/{slug}/endorsements", response_class=HTMLResponse, dependencies=_POST)
def endorse(request: Request, access: IssuerDep, signed_in: SignedInDep, form: FormDep) -> Response:
    """Endorse a published micro-credential: the organisation signs an EndorsementCredential."""
    lang = reader_language(request)
    definition = _field(form, "definition")[:200]
    relation = _field(form, "relation")
    comment = _field(form, "comment")
    errors: dict[str, str] = {}
    if not definition:
        errors["definition"] = translate(lang, "Choose the micro-credential to endorse.")
    if relation not in RELATIONS:
        errors["relation"] = translate(lang, "Say whether the organisation co-created it or values it.")
    if not comment:
        errors["comment"] = translate(lang, "Write what the organisation says about it.")
    elif len(comment) > MAX_COMMENT:
        errors["comment"] = translate(lang, "The text is longer than %(n)s characters.", n=MAX_COMMENT)
    status = 400
    if not errors:
        try:
            container(request).endorsements.endorse(
                access.organisation, definition, comment=comment, relation=relation, access=access
            )
        except CairnError as exc:
            if exc.status not in (400, 403, 404, 409):
                raise
            key = "comment" if "write" in exc.message_id else "relation" if "co-created" in exc.message_id else ""
            errors[key or "definition"] = say(lang, exc.message_id, **exc.values)
            status = exc.status
        else:
            target = f"/orgs/{quote(access.organisation)}/endorsements?done=endorsed"
            return RedirectResponse(_with_lang(request, target) + "#notice", 303)
    posted = {"definition": definition, "relation": relation, "comment": comment[:MAX_COMMENT]}
    return _endorsements_page(request, access, signed_in, errors=errors, posted=posted, status=status)


@router.post("/orgs/{slug}/endorsements/{award_id}/withdraw", response_class=HTMLResponse, dependencies=_POST)
def withdraw(
    request: Request, access: IssuerDep, signed_in: SignedInDep, award_id: AwardPath, form: FormDep
) -> Response:
    """Withdraw one of the organisation's endorsements, with a reason: its credential is revoked."""
    lang = reader_language(request)
    found = container(request).endorsements.get(award_id, organisation=access.organisation)  # 404: not ours
    key = f"reason-{found.award_id}"
    reason = _field(form, "reason")
    problem, status = "", 400
    if not reason:
        problem = translate(lang, "Say why the organisation withdraws its endorsement.")
    elif len(reason) > MAX_REASON:
        problem = translate(lang, "The text is longer than %(n)s characters.", n=MAX_REASON)
    if not problem:
        try:
            container(request).endorsements.withdraw(
                found.award_id, organisation=access.organisation, access=access, reason=reason
            )
        except CairnError as exc:
            if exc.status not in (400, 403, 404, 409):
                raise
            problem, status = say(lang, exc.message_id, **exc.values), exc.status
        else:
            target = f"/orgs/{quote(access.organisation)}/endorsements?done=withdrawn"
            return RedirectResponse(_with_lang(request, target) + "#notice", 303)
    return _endorsements_page(
        request, access, signed_in, errors={key: problem}, posted={key: reason[:MAX_REASON]}, status=status
    )


# -- checking a candidate -----------------------------------------------------------------------------------------


def job_profiles(request: Request, organisation: str) -> list[RulesView]:
    """The organisation's published rules, those towards a job profile first, then by id."""
    views = container(request).recognition.store.all_rules(organisation=organisation)
    return sorted(views, key=lambda v: (v.course.course.type != "job-profile", v.slug))


def parse_presentation(text: str) -> dict[str, Any] | str:
    """A pasted presentation: a JSON object (a VP with a Data Integrity proof, or an enveloped one), else the text
    as it is (a VP-JWT). The service verifies it and says what is wrong."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            return stripped
        if isinstance(parsed, dict):
            return parsed
    return stripped


@dataclass(frozen=True, slots=True)
class _Challenge:
    value: str
    domain: str
    expires: Any


def _challenge(request: Request, view: RulesView, kept: str = "") -> _Challenge:
    """A new check challenge for ``view``, or ``kept`` (the one a refused form carried, so the candidate's
    presentation bound to it can be pasted again) with the moment it expires."""
    services = container(request)
    head = kept.split(".")[0]
    if kept and head.isdigit() and len(head) <= 12:
        return _Challenge(kept, services.recognition.domain, datetime.fromtimestamp(int(head), UTC))
    value = services.recognition.challenge(view.slug, purpose=CHECK)
    return _Challenge(value, services.recognition.domain, services.clock() + timedelta(seconds=CHALLENGE_LIFETIME))


def _skill_labels(request: Request, report: PresentationCheck | None, lang: str) -> dict[str, tuple[str, str, str]]:
    """Each required skill of the report -> ``(label, URI, the label's language)``."""
    if report is None:
        return {}
    uris = [s.skill for s in report.skills]
    return dict(zip(uris, labelled(uris, lang, page_names(request, uris, lang)), strict=True))


def _check_page(
    request: Request,
    access: OrganisationAccess,
    signed_in: SignedIn,
    *,
    chosen: str = "",
    report: PresentationCheck | None = None,
    errors: Mapping[str, str] | None = None,
    presentation: str = "",
    kept: str = "",
    status: int = 200,
) -> HTMLResponse:
    lang = reader_language(request)
    profiles = job_profiles(request, access.organisation)
    view = next((v for v in profiles if v.slug == chosen), None)
    if chosen and view is None and not errors:
        errors = {"rules": translate(lang, "Choose one of the organisation's job profiles.")}
        status = 404
    titles = {c.id: c.title for c in report.credentials} if report else {}
    context = {
        "access": access,
        "base": f"/orgs/{quote(access.organisation)}/recognition/check",
        "profiles": profiles,
        "view": view,
        "challenge": _challenge(request, view, kept) if view is not None else None,
        "report": report,
        "skills": _skill_labels(request, report, lang),
        "by_id": {c.id: c for c in report.credentials} if report else {},
        "titles": titles,
        "errors": dict(errors or {}),
        "presentation": presentation,
        "lang_query": _with_lang(request, ""),
        "max_presentation": MAX_PRESENTATION_CHARS,
        "lifetime_minutes": CHALLENGE_LIFETIME // 60,
    }
    return render(request, "recognition/check.html", context, signed_in=signed_in, status=status)


@router.get("/orgs/{slug}/recognition/check", response_class=HTMLResponse)
def check_page(request: Request, access: IssuerDep, signed_in: SignedInDep) -> Response:
    """Choose a job profile; get a challenge for the candidate; paste their presentation."""
    chosen = request.query_params.get("rules", "")[:80]
    return _check_page(request, access, signed_in, chosen=chosen)


@router.post("/orgs/{slug}/recognition/check", response_class=HTMLResponse, dependencies=_POST)
def check(request: Request, access: IssuerDep, signed_in: SignedInDep, form: FormDep) -> Response:
    """Check the candidate's presentation against the chosen job profile: the report, nothing stored."""
    lang = reader_language(request)
    chosen = _field(form, "rules")[:80]
    challenge = _field(form, "challenge")[:300]
    text = _field(form, "presentation")
    errors: dict[str, str] = {}
    if not text:
        errors["presentation"] = translate(lang, "Paste the candidate's presentation.")
    elif len(text) > MAX_PRESENTATION_CHARS:
        errors["presentation"] = translate(
            lang, "The presentation is longer than %(n)s characters.", n=f"{MAX_PRESENTATION_CHARS:,}"
        )
    report: PresentationCheck | None = None
    status = 400
    if not errors:
        try:
            report = container(request).recognition.check_presentation(
                chosen,
                parse_presentation(text),
                challenge,
                organisation=access.organisation,
                actor=signed_in.account.actor,
            )
        except CairnError as exc:
            if exc.status not in (400, 404, 409):
                raise
            errors["presentation"] = say(lang, exc.message_id, **exc.values)
            status = exc.status
        else:
            status = 200
    again = "" if report is not None else text[:MAX_PRESENTATION_CHARS]
    kept = "" if report is not None else challenge
    return _check_page(
        request,
        access,
        signed_in,
        chosen=chosen,
        report=report,
        errors=errors,
        presentation=again,
        kept=kept,
        status=status,
    )
