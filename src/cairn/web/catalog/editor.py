"""Catalogue pages of an organisation: list, create and edit definitions with every Annex I element, an ESCO
skill picker, a preview as learner and verifier will see the credential; and the ESCO skill search API.

Routes (include :data:`router` in the app):

- ``GET /orgs/{slug}/catalogue`` — the organisation's micro-credentials (viewer and up);
- ``GET|POST /orgs/{slug}/catalogue/new`` and ``/orgs/{slug}/catalogue/{id}/edit`` — the form (issuer and up;
  posts need the CSRF token). Without JavaScript, its buttons add outcome rows, search ESCO skills and add
  the chosen ones by posting the form back; ``static/picker.js`` searches as one types;
- ``GET /orgs/{slug}/catalogue/{id}/preview`` — the credential for a sample learner, as a learner and as a
  verifier see it, and its JSON (viewer and up);
- ``GET /api/v1/esco/skills?q=&limit=&type=`` — public search over the shipped ESCO labels.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from cairn.errors import CairnError, ConflictError, InputError, NotFoundError
from cairn.formats.badges import badge_svg, default_design
from cairn.formats.images import MEDIA_TYPES, CheckedImage
from cairn.model.definitions import BADGE_COLOURS, BADGE_SHAPES, DRAFT, PUBLISHED, Organisation, SaveAction
from cairn.model.types import pick
from cairn.model.vocabularies import (
    ASSESSMENT_TYPES,
    EQF_LEVELS,
    PARTICIPATION_FORMS,
    QF_EHEA_CYCLES,
    QUALITY_ASSURANCE_TYPES,
    SCHEDULES,
    STACKABILITY,
    SUPERVISION,
)
from cairn.services.accounts.service import OrganisationAccess, Role, SignedIn
from cairn.services.catalog.badges import image_path
from cairn.services.catalog.editing import PREVIEW_LEARNER, CatalogueItem
from cairn.skills.labels import shipped_labels
from cairn.vc.report import CHECK_TITLES
from cairn.web.careers.names import name_of, page_names
from cairn.web.catalog.badges import closing_form, read_upload
from cairn.web.catalog.editor_form import (
    MAX_OUTCOMES,
    MAX_TARGETS,
    FormState,
    badge_document,
    form_from_definition,
    language_name,
    new_form,
    read_form,
    summary,
    validate,
)
from cairn.web.catalog.editor_help import SECTIONS
from cairn.web.catalog.views import country_name, entry_rows
from cairn.web.deps import container, csrf_protect, current_account, require_role
from cairn.web.errors import answers_json
from cairn.web.i18n import LANGUAGES, reader_language, translate
from cairn.web.render import error_text, render

__all__ = ["MAX_FORM_BYTES", "MAX_QUERY", "MAX_RESULTS", "api", "form_size", "posted_form", "router"]

router = APIRouter()
api = APIRouter(dependencies=[Depends(answers_json)])
"""The JSON routes: errors in the API\'s shape."""

MAX_FORM_BYTES = 2_000_000
"""Largest form accepted, in bytes."""
MAX_QUERY = 200
"""Longest skill search accepted, in characters."""
MAX_RESULTS = 50
"""Most skills one search answers."""
PICKER_RESULTS = 10

ViewerDep = Annotated[OrganisationAccess, Depends(require_role(Role.VIEWER))]
IssuerDep = Annotated[OrganisationAccess, Depends(require_role(Role.ISSUER))]
SignedInDep = Annotated[SignedIn, Depends(current_account)]
VOCABULARIES = {
    "assessment": ASSESSMENT_TYPES,
    "eqf": EQF_LEVELS,
    "participation": PARTICIPATION_FORMS,
    "qf_ehea": QF_EHEA_CYCLES,
    "quality": QUALITY_ASSURANCE_TYPES,
    "schedule": SCHEDULES,
    "stackability": STACKABILITY,
    "supervision": SUPERVISION,
}


def form_size(request: Request) -> None:
    """Refuse a form larger than :data:`MAX_FORM_BYTES` (413) or of unknown length (411), before reading it."""
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise HTTPException(411, "Send the form with its length (Content-Length).")
    if int(length) > MAX_FORM_BYTES:
        raise HTTPException(413, "The form is too large to accept.")


async def posted_form(request: Request) -> FormData:
    """The posted form (read once; the CSRF check has usually read it already)."""
    return await request.form()


FormDep = Annotated[FormData, Depends(posted_form)]


def _render(
    request: Request, template: str, context: dict[str, Any], *, signed_in: SignedIn, status: int = 200
) -> HTMLResponse:
    return render(request, template, context, status=status, signed_in=signed_in)


def _base(slug: str) -> str:
    return f"/orgs/{quote(slug)}/catalogue"


# -- the organisation's catalogue -------------------------------------------------------------------


@router.get("/orgs/{slug}/catalogue", response_class=HTMLResponse, include_in_schema=False)
def catalogue_page(request: Request, access: ViewerDep, signed_in: SignedInDep) -> Response:
    """The organisation's micro-credentials, latest versions, with preview and (for issuers) edit links."""
    items = container(request).editing.catalogue(access.organisation)
    context = {
        "access": access,
        "items": items,
        "can_edit": access.role.covers(Role.ISSUER),
        "base": _base(access.organisation),
    }
    return _render(request, "editor/catalogue.html", context, signed_in=signed_in)


# -- the form ---------------------------------------------------------------------------------------


def _form_page(
    request: Request,
    access: OrganisationAccess,
    signed_in: SignedIn,
    state: FormState,
    *,
    item: CatalogueItem | None,
    errors: dict[str, str] | None = None,
    notice: str = "",
    search: dict[str, Any] | None = None,
    focus: str = "",
    status: int = 200,
) -> HTMLResponse:
    organisations = container(request).editing.organisations()
    chosen = [access.organisation, *(b for b in state.values("awarding_bodies") if b != access.organisation)]
    by_id = {o.id: o for o in organisations}
    uris = state.all_skills() + [r.uri for r in (search or {}).get("results", [])]
    base = _base(access.organisation)
    definition_id = item.entry.definition.id if item else ""
    context = {
        "access": access,
        "form": state,
        "item": item,
        "definition_id": definition_id,
        "action_url": f"{base}/{quote(definition_id)}/edit" if item else f"{base}/new",
        "base": base,
        "errors": errors or {},
        "summary": summary(errors or {}, state),
        "notice": notice,
        "search": search,
        "focus": "" if errors else focus,
        "sections": {s.key: s for s in SECTIONS},
        "vocab": VOCABULARIES,
        "others": [o for o in organisations if o.id != access.organisation],
        "lead": by_id.get(access.organisation),
        "countries": [
            country_name(by_id[b].country, by_id[b].region, reader_language(request)) for b in chosen if b in by_id
        ],
        "skill_labels": _skill_labels(request, uris),
        "language_name": language_name,
        "country_of": lambda code: country_name(code, None, reader_language(request)),
        "max_outcomes": MAX_OUTCOMES,
        "max_targets": MAX_TARGETS,
        **_badge_choice(request, state, definition_id, by_id.get(access.organisation)),
        "draft": item is None or item.entry.stored.state == DRAFT,
        "award_url": f"/orgs/{quote(access.organisation)}/awards/new?definition={quote(definition_id)}",
    }
    return _render(request, "editor/form.html", context, signed_in=signed_in, status=status)


def _skill_labels(request: Request, uris: list[str]) -> dict[str, tuple[str, str]]:
    """``{uri: (label, its language)}`` of the form's skills for the reader, as every page labels skills (the
    stored ESCO release, else the shipped extract); a skill neither knows is left out."""
    lang = reader_language(request)
    names = page_names(request, uris, lang)
    return {uri: found for uri in dict.fromkeys(uris) if (found := name_of(uri, lang, names))}


def _badge_choice(request: Request, state: FormState, definition_id: str, lead: Organisation | None) -> dict[str, Any]:
    """The badge picker's choices and its preview: the uploaded image, or the badge drawn from the form."""
    chosen = badge_document(state)
    key = definition_id or state.value("id").strip() or "new"
    colour, shape = default_design(key)
    colour, shape = chosen.get("colour", colour), chosen.get("shape", shape)
    uploaded, preview = chosen.get("image", ""), ""
    if uploaded:
        try:
            picture = container(request).badges.image(uploaded)
            preview = image_path(uploaded, picture.media_type)
        except NotFoundError:
            uploaded = ""
    if not preview:
        lang = state.languages[0]
        title = state.text("title").get(lang) or next(iter(state.text("title").values()), "") or key
        issuer = pick(lead.legal_name, lang)[1] if lead else ""
        svg = badge_svg(title=title[:300], issuer=issuer, colour=colour, shape=shape)
        preview = CheckedImage(MEDIA_TYPES["svg"], svg, 256, 256).data_url()
    return {
        "badge_colours": BADGE_COLOURS,
        "badge_shapes": BADGE_SHAPES,
        "badge": {"colour": colour, "shape": shape, "image": uploaded, "preview": preview},
    }


def _take_upload(request: Request, access: OrganisationAccess, form: FormData, state: FormState) -> dict[str, str]:
    """Store a badge image posted with the form and choose it; the problem, keyed ``badge``, when refused."""
    data = read_upload(form.get("badge_file"))
    if data is None:
        return {}
    try:
        checked = container(request).badges.upload(access, data)
    except InputError as exc:
        lang = reader_language(request)
        return {"badge": f"{translate(lang, 'Badge image')}: {error_text(lang, exc)}"}
    state.set("badge.image", [checked.sha256])
    state.set("badge.kind", ["uploaded"])
    return {}


def _search(state: FormState, row: int, lang: str) -> dict[str, Any]:
    query = state.value(f"skill_query.{row}").strip()
    reason = ""
    if not query:
        reason = translate(lang, "Type a word or two of the skill to search for.")
    elif len(query) > MAX_QUERY:
        reason = translate(lang, "The search is longer than %(n)s characters; use a few words.", n=MAX_QUERY)
    results = shipped_labels().search(query, limit=PICKER_RESULTS) if not reason else []
    if not reason and not results:
        reason = translate(
            lang, "No ESCO skill has a label with the words “%(query)s”. Try other or fewer words.", query=query
        )
    return {"row": row, "query": query, "results": results, "reason": reason}


@dataclass(frozen=True, slots=True)
class _Suggested:
    uri: str
    label: str
    matched: str
    score: float
    skill_type: str


def _suggest(request: Request, state: FormState, row: int) -> dict[str, Any]:
    """Skills suggested for an outcome's text (the first of its languages that has text), best first."""
    texts = [state.value(f"learning_outcomes.{row}.text.{lang}").strip() for lang in state.languages]
    text = next((t for t in texts if t), "")
    found: dict[str, Any] = {"row": row, "query": text, "results": [], "reason": "", "suggested": True}
    reader = reader_language(request)
    if not text:
        found["reason"] = translate(reader, "Write the outcome first: suggestions come from its text.")
        return found
    try:
        result = container(request).careers.suggest(text, k=PICKER_RESULTS)
    except CairnError as exc:
        found["reason"] = error_text(reader, exc)
        return found
    found["results"] = [
        _Suggested(s.uri, s.label, s.matched_label or s.label, s.score, s.skill_type) for s in result.skills
    ]
    if not found["results"]:
        found["reason"] = translate(
            reader, result.reason or "No ESCO skill fits this text well; search by words instead."
        )
    return found


def _row(action: str, prefix: str, state: FormState) -> int | None:
    raw = action.removeprefix(prefix)
    return int(raw) if raw.isdigit() and int(raw) < state.outcome_rows else None


def _step(
    request: Request,
    access: OrganisationAccess,
    signed_in: SignedIn,
    state: FormState,
    action: str,
    *,
    item: CatalogueItem | None,
    errors: dict[str, str],
) -> HTMLResponse | None:
    """Handle a button other than Save (or a Save with a skill search left open); None means: save."""
    lang, reader = state.languages[0], reader_language(request)
    page: dict[str, Any] = {"item": item, "errors": errors}
    if action == "add-outcome":
        state.outcome_rows = min(state.outcome_rows + 1, MAX_OUTCOMES)
        row = state.outcome_rows - 1
        notice = translate(reader, "Outcome %(n)s added: its fields are ready below.", n=row + 1)
        focus = f"learning_outcomes-{row}-text-{lang}"
        return _form_page(request, access, signed_in, state, **page, notice=notice, focus=focus)
    if action == "add-target":
        state.target_rows = min(state.target_rows + 1, MAX_TARGETS)
        row = state.target_rows - 1
        notice = translate(reader, "A row for credential %(n)s that it stacks towards was added.", n=row + 1)
        focus = f"integration-towards-{row}-title-{lang}"
        return _form_page(request, access, signed_in, state, **page, notice=notice, focus=focus)
    if action == "languages":
        names = ", ".join(language_name(t, reader) for t in state.languages)
        notice = translate(reader, "Text fields now have inputs for: %(names)s.", names=names)
        return _form_page(request, access, signed_in, state, **page, notice=notice, focus="text_languages")
    if (found := _row(action, "search:", state)) is not None:
        search = _search(state, found, reader)
        return _form_page(request, access, signed_in, state, **page, search=search, focus=f"skill-results-{found}")
    if (found := _row(action, "suggest:", state)) is not None:
        search = _suggest(request, state, found)
        return _form_page(request, access, signed_in, state, **page, search=search, focus=f"skill-results-{found}")
    if (into := _row(action, "add-skills:", state)) is not None:
        labels = shipped_labels()
        picked = [uri for uri in state.values(f"skill_pick.{into}") if labels.label(uri)]
        added = [uri for uri in dict.fromkeys(picked) if uri not in state.skills(into)]
        state.set(f"learning_outcomes.{into}.esco_skills", state.skills(into) + added)
        state.set(f"skill_query.{into}", [])
        notice = (
            translate(reader, _ADDED[0 if len(added) == 1 else 1], count=len(added), n=into + 1)
            if added
            else translate(reader, "No skill was chosen; nothing was added.")
        )
        return _form_page(request, access, signed_in, state, **page, notice=notice, focus=f"skills-{into}")
    open_search = next((r for r in range(state.outcome_rows) if state.value(f"skill_query.{r}").strip()), None)
    if action == "save" and open_search is not None:
        notice = translate(
            reader,
            "Not saved yet: a skill search is open under outcome %(n)s. Add the skills you want from the results, "
            "or empty the search field, then save.",
            n=open_search + 1,
        )
        search = _search(state, open_search, reader)
        focus = f"skill-results-{open_search}"
        return _form_page(request, access, signed_in, state, **page, search=search, notice=notice, focus=focus)
    if action != "save":
        return _form_page(request, access, signed_in, state, **page)
    return None


def _post(
    request: Request,
    access: OrganisationAccess,
    signed_in: SignedIn,
    form: FormData,
    *,
    item: CatalogueItem | None,
) -> Response:
    reader = reader_language(request)
    state, errors = read_form(((k, v) for k, v in form.multi_items() if isinstance(v, str)), reader)
    action = state.value("action") or "save"
    publish = action == "save-publish"  # "Save and publish"; "Save" keeps a draft a draft, and a new one is a draft
    action = "save" if publish else action
    if problem := _take_upload(request, access, form, state):
        return _form_page(request, access, signed_in, state, item=item, errors=problem, status=400)
    if action == "badge-preview":
        return _form_page(request, access, signed_in, state, item=item, focus="badge-preview")
    page = _step(request, access, signed_in, state, action, item=item, errors=errors)
    if page is not None:
        return page
    definition_id = item.entry.definition.id if item else state.value("id").strip()
    definition, problems = validate(state, organisation=access.organisation, definition_id=definition_id, lang=reader)
    errors.update(problems)
    if definition is None or errors:
        return _form_page(request, access, signed_in, state, item=item, errors=errors, status=400)
    try:
        saved = container(request).editing.save(
            organisation=access.organisation,
            definition=definition,
            actor=signed_in.account.actor,
            create=item is None,
            state=PUBLISHED if publish else DRAFT if item is None else None,
        )
    except ConflictError as exc:
        message = error_text(reader, exc)
        errors = (
            {"id": f"{translate(reader, 'Identifier in the catalogue')}: {message}"}
            if item is None
            else {"form": message}
        )
        return _form_page(request, access, signed_in, state, item=item, errors=errors, status=409)
    except InputError as exc:
        errors = {"awarding_bodies": f"{translate(reader, 'Awarding body(ies)')}: {error_text(reader, exc)}"}
        return _form_page(request, access, signed_in, state, item=item, errors=errors, status=400)
    target = f"{_base(access.organisation)}/{quote(saved.definition_id)}/edit"
    if publish:
        container(request).editing.publish(access.organisation, saved.definition_id, actor=signed_in.account.actor)
    return RedirectResponse(f"{target}?saved={saved.version}&done={saved.action.value}", status_code=303)


@router.get("/orgs/{slug}/catalogue/new", response_class=HTMLResponse, include_in_schema=False)
def new_page(request: Request, access: IssuerDep, signed_in: SignedInDep) -> Response:
    """An empty form for a new micro-credential."""
    return _form_page(request, access, signed_in, new_form(access.organisation), item=None)


@router.post(
    "/orgs/{slug}/catalogue/new",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(closing_form), Depends(form_size), Depends(csrf_protect)],
)
def create(request: Request, access: IssuerDep, signed_in: SignedInDep, form: FormDep) -> Response:
    """Save a new micro-credential as version 1, or show the form again (more rows, skills, errors)."""
    return _post(request, access, signed_in, form, item=None)


@router.post(
    "/orgs/{slug}/catalogue/{definition_id}/publish",
    include_in_schema=False,
    dependencies=[Depends(csrf_protect)],
)
def publish(request: Request, access: IssuerDep, signed_in: SignedInDep, definition_id: str) -> Response:
    """Publish a draft: it joins the public catalogue and can be awarded (issuer and up, first awarding body)."""
    editing = container(request).editing
    changed = editing.publish(access.organisation, definition_id, actor=signed_in.account.actor)
    target = f"{_base(access.organisation)}/{quote(definition_id)}/edit?published={'yes' if changed else 'before'}"
    return RedirectResponse(target, status_code=303)


_SAVED = {
    SaveAction.NEW_VERSION: "A new version %(version)s was created because version %(before)s has been awarded; "
    "its awards keep version %(before)s.",
    SaveAction.UNCHANGED: "Nothing had changed; version %(version)s stays as it was.",
}
_ADDED = ("Added %(count)s skill to outcome %(n)s.", "Added %(count)s skills to outcome %(n)s.")


def _saved_notice(request: Request) -> str:
    """What the redirect after saving or publishing says, in the reader's language."""
    lang = reader_language(request)
    if request.query_params.get("published") in {"yes", "before"}:
        return translate(lang, "It is published: it is in the public catalogue and can be awarded.")
    version, done = request.query_params.get("saved", ""), request.query_params.get("done", "")
    if not version.isdigit() or len(version) > 6 or done not in {a.value for a in SaveAction}:
        return ""
    message = _SAVED.get(SaveAction(done), "Saved as version %(version)s.")
    return translate(lang, message, version=int(version), before=int(version) - 1)


@router.get("/orgs/{slug}/catalogue/{definition_id}/edit", response_class=HTMLResponse, include_in_schema=False)
def edit_page(request: Request, access: IssuerDep, signed_in: SignedInDep, definition_id: str) -> Response:
    """The form filled in with the latest version."""
    item = container(request).editing.editable(access.organisation, definition_id)
    state = form_from_definition(item.entry.definition)
    notice = _saved_notice(request)
    return _form_page(request, access, signed_in, state, item=item, notice=notice, focus="notice" if notice else "")


@router.post(
    "/orgs/{slug}/catalogue/{definition_id}/edit",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(closing_form), Depends(form_size), Depends(csrf_protect)],
)
def edit(request: Request, access: IssuerDep, signed_in: SignedInDep, definition_id: str, form: FormDep) -> Response:
    """Save a change: in place while the latest version is unawarded, as a new version once it is awarded."""
    item = container(request).editing.editable(access.organisation, definition_id)
    return _post(request, access, signed_in, form, item=item)


# -- preview ----------------------------------------------------------------------------------------


@router.get("/orgs/{slug}/catalogue/{definition_id}/preview", response_class=HTMLResponse, include_in_schema=False)
def preview_page(
    request: Request,
    access: ViewerDep,
    signed_in: SignedInDep,
    definition_id: str,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    lang: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """The credential a learner would get, as the learner and as a verifier see it, and as JSON."""
    reader = reader_language(request, lang)
    base_url = container(request).settings.public_url or str(request.base_url)
    preview = container(request).editing.preview(
        access.organisation, definition_id, version=version, base_url=base_url, lang=reader
    )
    context = {
        "access": access,
        "lang": reader,
        "languages": LANGUAGES,
        "preview": preview,
        "entry": preview.entry,
        "title": pick(preview.entry.definition.title, reader),
        "rows": entry_rows(request, preview.entry, reader),
        "report": preview.report,
        "check_titles": CHECK_TITLES,
        "learner": PREVIEW_LEARNER,
        "credential_json": json.dumps(preview.credential, indent=2, ensure_ascii=False),
        "base": _base(access.organisation),
        "can_edit": access.role.covers(Role.ISSUER),
    }
    return _render(request, "editor/preview.html", context, signed_in=signed_in)


# -- ESCO skill search ------------------------------------------------------------------------------


@api.get("/api/v1/esco/skills", tags=["skills"], summary="Find ESCO skills by the words of their labels")
def search_skills(
    q: Annotated[str, Query(description="words of a skill's label; prefixes match (`pyth prog`)")] = "",
    limit: Annotated[int, Query(ge=1, description=f"how many skills to answer, at most {MAX_RESULTS}")] = 10,
    skill_type: Annotated[
        str | None,
        Query(alias="type", pattern="^(skill/competence|knowledge)$", description="only skills or only knowledge"),
    ] = None,
) -> dict[str, Any]:
    """ESCO skills (v1.1.1, English) whose preferred or alternative label has words starting with every word of
    ``q``, best first. An empty or over-long ``q`` answers no items and a ``reason``."""
    query = q.strip()
    body: dict[str, Any] = {"ok": True, "query": query[:MAX_QUERY], "items": []}
    if not query:
        return body | {"reason": "give words of a skill's label in q"}
    if len(query) > MAX_QUERY:
        return body | {"reason": f"q is longer than {MAX_QUERY} characters"}
    found = shipped_labels().search(query, limit=min(limit, MAX_RESULTS), skill_type=skill_type)
    items = [{"uri": s.uri, "label": s.label, "matched": s.matched, "type": s.skill_type} for s in found]
    return body | {"items": items}
