"""The issuer's pathway pages: the organisation's pathways, an editor (the pathway as YAML, every problem shown by
its field path, the rules said in words once saved) and the review queue of composite claims.

Routes (include :data:`router` in the app), under the organisation's area as the catalogue editor's are:

- ``GET /orgs/{slug}/pathways`` — the organisation's pathways, drafts too, with their versions and the claims
  waiting for review (viewer and up);
- ``GET|POST /orgs/{slug}/pathways/new`` — a new pathway, prefilled with a template over the organisation's own
  micro-credentials (issuer and up; posts need the CSRF token);
- ``GET|POST /orgs/{slug}/pathways/{pathway}/edit`` — the latest version as YAML; saving makes a new version when
  it changed (issuer and up);
- ``GET /orgs/{slug}/pathways/{pathway}/claims`` — claims waiting for review and those decided (issuer and up);
- ``POST /orgs/{slug}/pathways/{pathway}/claims/{claim}/decision`` — approve (the composite is awarded) or refuse
  with a reason the learner reads (issuer and up).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import yaml
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from cairn.errors import CatalogError, ConflictError, InputError, NotFoundError, Problem
from cairn.model.catalog import parse_file
from cairn.model.definitions import DRAFT, PUBLISHED
from cairn.model.pathways import PathwayDefinition, Rule, describe
from cairn.phrases import Phrase
from cairn.services.accounts.service import OrganisationAccess, Role, SignedIn
from cairn.services.pathways.claims import ClaimView
from cairn.services.pathways.service import PathwayView
from cairn.web.catalog.editor import form_size, posted_form
from cairn.web.deps import container, csrf_protect, current_account, require_role
from cairn.web.i18n import LANGUAGES, reader_language, translate
from cairn.web.pathways.pages import clr_file
from cairn.web.render import error_text, render

__all__ = [
    "MAX_YAML_CHARS",
    "RuleLine",
    "new_pathway_yaml",
    "pathway_yaml",
    "read_pathway_yaml",
    "router",
    "rule_lines",
]

router = APIRouter()

MAX_YAML_CHARS = 100_000
"""Longest pathway accepted from the editor, in characters."""
MAX_REASON = 2000
"""Longest reason for refusing a claim, in characters (the service keeps this many)."""
FIELD = "pathway-yaml"
"""The id of the editor's text area: every problem links to it."""
REVIEW, AWARDED, REFUSED = "review", "awarded", "refused"

ViewerDep = Annotated[OrganisationAccess, Depends(require_role(Role.VIEWER))]
IssuerDep = Annotated[OrganisationAccess, Depends(require_role(Role.ISSUER))]
SignedInDep = Annotated[SignedIn, Depends(current_account)]
FormDep = Annotated[FormData, Depends(posted_form)]
_POST = [Depends(form_size), Depends(csrf_protect)]


def _base(organisation: str) -> str:
    return f"/orgs/{quote(organisation)}/pathways"


def _with_lang(request: Request, url: str) -> str:
    """``url`` keeping the ``?lang=`` the reader chose with the switcher (forms post to it, redirects go to it)."""
    lang = request.query_params.get("lang", "")
    if lang not in LANGUAGES:
        return url
    return f"{url}{'&' if '?' in url else '?'}lang={lang}"


# -- the pathway as YAML ----------------------------------------------------------------------------------------


def pathway_yaml(pathway: PathwayDefinition) -> str:
    """The pathway as its issuer edits it: YAML in the file's field order, without the defaults the model fills
    in (``skills: []``), ``review`` always said."""
    full = pathway.model_dump(mode="json", exclude_none=True, by_alias=True)
    lean = pathway.model_dump(mode="json", exclude_defaults=True, by_alias=True)
    data = {key: lean.get(key, value) for key, value in full.items() if key in lean or key == "review"}
    return str(yaml.safe_dump(_whole(data), sort_keys=False, allow_unicode=True, width=100))


def _whole(value: Any) -> Any:
    """``10.0`` written as ``10`` (the model reads both the same)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole(v) for v in value]
    return value


def new_pathway_yaml(organisation: str, own: Sequence[str]) -> str:
    """A pathway to start from: ``organisation`` awards one of its micro-credentials (``own``, published first)
    for the others, plus one credential of any issuer at EQF level 5 or higher."""
    target = own[0] if own else "your-micro-credential"
    components: list[dict[str, Any]] = [{"component": {"definition": slug}} for slug in own[1:3]]
    choice = {"criteria": {"eqf_at_least": 5, "ects_at_least": 3, "title": {"en": "Any course at EQF 5 or higher"}}}
    rules: dict[str, Any] = {"all": [*components, {"n_of": {"n": 1, "of": [choice, *components[2:]]}}]}
    if not components:
        rules = {"all": [choice]}
    data = {
        "id": f"{organisation[:71].rstrip('-')}-pathway",
        "title": {"en": "A new pathway", "pl": "Nowa ścieżka"},
        "issuer": organisation,
        "target": target,
        "review": "issuer",
        "rules": rules,
    }
    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))


def read_pathway_yaml(text: str, *, organisation: str, slug: str | None) -> tuple[dict[str, Any], list[Problem]]:
    """The pathway document the editor was sent, or the problems that stop it being read: not one YAML mapping,
    too long, another issuer, another id than the page's (``slug``). ``issuer`` and (on an edit page) ``id`` are
    filled in when left out; ``state`` is the buttons' to say."""
    source = "pathway"
    if len(text) > MAX_YAML_CHARS:
        return {}, [Problem(source, "", Phrase("the pathway is longer than %(n)s characters", n=f"{MAX_YAML_CHARS:,}"))]
    docs, problems = parse_file("pathway.yaml", text.encode("utf-8"))
    if problems:
        return {}, [Problem(source, p.path, p.message) for p in problems]
    if len(docs) != 1 or not isinstance(docs[0], dict):
        return {}, [
            Problem(source, "", Phrase("write one pathway: one YAML document whose fields start at the margin"))
        ]
    data = {str(k): v for k, v in docs[0].items() if k != "state"}
    data.setdefault("issuer", organisation)
    if slug is not None:
        data.setdefault("id", slug)
    found: list[Problem] = []
    if data["issuer"] != organisation:
        words = Phrase(
            "the issuer is the organisation these pages are for: %(organisation)s", organisation=organisation
        )
        found.append(Problem(source, "issuer", words))
    if slug is not None and data.get("id") != slug:
        words = Phrase("this page edits the pathway %(slug)s; to start another, use New pathway", slug=slug)
        found.append(Problem(source, "id", words))
    return data, found


# -- the rules said in words ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleLine:
    """One node of a pathway's rule tree as the preview says it (the words are in the template, a leaf's from
    :func:`cairn.model.pathways.matching.describe`)."""

    kind: str
    path: str
    rule: Rule
    children: tuple[RuleLine, ...] = ()
    n: int = 0

    @property
    def words(self) -> Any:
        """What a leaf needs, as a Phrase (None for all / any / n_of)."""
        return describe(self.rule) if self.rule.is_leaf else None


def rule_lines(rule: Rule, path: str = "rules") -> RuleLine:
    """The tree of ``rule`` for the preview, each node with its path in the file."""
    kind = rule.kind
    if kind == "n_of":
        assert rule.n_of is not None
        children = tuple(rule_lines(c, f"{path}.n_of.of[{i}]") for i, c in enumerate(rule.n_of.of))
        return RuleLine(kind, path, rule, children, rule.n_of.n)
    if kind in ("all", "any"):
        children = tuple(rule_lines(c, f"{path}.{kind}[{i}]") for i, c in enumerate(rule.children))
        return RuleLine(kind, path, rule, children, len(children))
    return RuleLine(kind, path, rule)


# -- the organisation's pathways --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Listed:
    view: PathwayView
    versions: list[int]
    waiting: int


@router.get("/orgs/{slug}/pathways", response_class=HTMLResponse, include_in_schema=False)
def pathways_page(request: Request, access: ViewerDep, signed_in: SignedInDep) -> Response:
    """The organisation's pathways (drafts too), each with its versions and the claims waiting for review."""
    services = container(request)
    items = [
        _Listed(
            view,
            services.pathways.versions(view.slug),
            len(services.pathway_claims.claims(view.slug, organisation=access.organisation, states=(REVIEW,))),
        )
        for view in services.pathways.all(organisation=access.organisation, drafts=True)
    ]
    context = {
        "access": access,
        "items": items,
        "can_edit": access.role.covers(Role.ISSUER),
        "base": _base(access.organisation),
    }
    return render(request, "pathways/issuer_list.html", context, signed_in=signed_in)


# -- the editor -------------------------------------------------------------------------------------------------


def _editor(
    request: Request,
    access: OrganisationAccess,
    signed_in: SignedIn,
    *,
    text: str,
    view: PathwayView | None,
    problems: Sequence[Problem] = (),
    notice: str = "",
    status: int = 200,
) -> HTMLResponse:
    base = _base(access.organisation)
    services = container(request)
    waiting = 0
    if view is not None:
        waiting = len(services.pathway_claims.claims(view.slug, organisation=access.organisation, states=(REVIEW,)))
    context = {
        "access": access,
        "base": base,
        "view": view,
        "text": text,
        "problems": list(problems),
        "field": FIELD,
        "notice": notice,
        "draft": view is None or view.stored.state == DRAFT,
        "action_url": _with_lang(request, f"{base}/{quote(view.slug)}/edit" if view else f"{base}/new"),
        "tree": rule_lines(view.pathway.rules) if view is not None and not problems else None,
        "versions": services.pathways.versions(view.slug) if view is not None else [],
        "waiting": waiting,
        "own": _own_definitions(request, access.organisation),
        "titles": _titles(request, access.organisation) if view is not None and not problems else {},
        "max_chars": MAX_YAML_CHARS,
    }
    return render(request, "pathways/issuer_edit.html", context, signed_in=signed_in, status=status)


def _own_definitions(request: Request, organisation: str) -> list[str]:
    items = [i for i in container(request).editing.catalogue(organisation) if i.lead]
    items.sort(key=lambda i: (i.entry.stored.state != PUBLISHED, i.entry.definition.id))
    return [i.entry.definition.id for i in items]


def _titles(request: Request, organisation: str) -> dict[str, Mapping[str, str]]:
    """The title of each published micro-credential and of the organisation's drafts, by identifier."""
    services = container(request)
    found: dict[str, Mapping[str, str]] = {e.definition.id: e.definition.title for e in services.catalog.entries()}
    found.update({i.entry.definition.id: i.entry.definition.title for i in services.editing.catalogue(organisation)})
    return found


def _editable(request: Request, access: OrganisationAccess, pathway: str) -> PathwayView:
    view = container(request).pathways.get(pathway, drafts=True)
    if view.stored.organisation != access.organisation:
        raise NotFoundError(f"no pathway '{pathway}'")
    return view


def _save(
    request: Request,
    access: OrganisationAccess,
    signed_in: SignedIn,
    form: FormData,
    *,
    view: PathwayView | None,
) -> Response:
    raw = form.get("pathway")
    text = raw if isinstance(raw, str) else ""
    action = form.get("action")
    state = PUBLISHED if action == "save-publish" else DRAFT if view is None or action == "save-draft" else None
    slug = view.slug if view is not None else None
    data, problems = read_pathway_yaml(text, organisation=access.organisation, slug=slug)
    services = container(request)
    if not problems and view is None and isinstance(data.get("id"), str):
        try:
            services.pathways.get(data["id"], drafts=True)
        except NotFoundError:
            pass
        else:
            taken = Phrase("a pathway %(id)s exists already: choose another id", id=data["id"])
            problems = [Problem("pathway", "id", taken)]
    if not problems:
        try:
            action_done, version = services.pathways.save(
                data, organisation=access.organisation, actor=signed_in.account.actor, state=state
            )
        except CatalogError as exc:
            problems = list(exc.problems)
        except ConflictError as exc:
            problems = [Problem("pathway", "id", error_text(reader_language(request), exc))]
        except InputError as exc:
            problems = [Problem("pathway", "", error_text(reader_language(request), exc))]
        else:
            target = f"{_base(access.organisation)}/{quote(str(data['id']))}/edit"
            return RedirectResponse(_with_lang(request, f"{target}?saved={version}&done={action_done}"), 303)
    return _editor(request, access, signed_in, text=text, view=view, problems=problems, status=400)


_SAVED = {
    "created": "Saved as version %(version)s.",
    "new-version": "Saved as version %(version)s; claims made under earlier versions keep theirs.",
    "unchanged": "Nothing had changed; version %(version)s stays as it was.",
}


def _saved_notice(request: Request, view: PathwayView) -> str:
    version, done = request.query_params.get("saved", ""), request.query_params.get("done", "")
    if not version.isdigit() or len(version) > 6 or done not in _SAVED:
        return ""
    lang = reader_language(request)
    state = (
        "It is a draft: only your organisation sees it, and nobody can claim it yet."
        if view.stored.state == DRAFT
        else "It is published: learners can follow it and claim its composite credential."
    )
    return f"{translate(lang, _SAVED[done], version=int(version))} {translate(lang, state)}"


@router.get("/orgs/{slug}/pathways/new", response_class=HTMLResponse, include_in_schema=False)
def new_page(request: Request, access: IssuerDep, signed_in: SignedInDep) -> Response:
    """A new pathway, prefilled with a template over the organisation's own micro-credentials."""
    stacked = {view.pathway.target for view in container(request).pathways.all(drafts=True)}
    own = [slug for slug in _own_definitions(request, access.organisation) if slug not in stacked]
    text = new_pathway_yaml(access.organisation, own)  # composites already stacked elsewhere would make cycles
    return _editor(request, access, signed_in, text=text, view=None)


@router.post("/orgs/{slug}/pathways/new", response_class=HTMLResponse, include_in_schema=False, dependencies=_POST)
def create(request: Request, access: IssuerDep, signed_in: SignedInDep, form: FormDep) -> Response:
    """Save a new pathway as version 1 (a draft unless published at once), or show every problem."""
    return _save(request, access, signed_in, form, view=None)


@router.get("/orgs/{slug}/pathways/{pathway}/edit", response_class=HTMLResponse, include_in_schema=False)
def edit_page(request: Request, access: IssuerDep, signed_in: SignedInDep, pathway: str) -> Response:
    """The latest version as YAML, and its rules in words."""
    view = _editable(request, access, pathway)
    notice = _saved_notice(request, view)
    return _editor(request, access, signed_in, text=pathway_yaml(view.pathway), view=view, notice=notice)


@router.post(
    "/orgs/{slug}/pathways/{pathway}/edit", response_class=HTMLResponse, include_in_schema=False, dependencies=_POST
)
def edit(request: Request, access: IssuerDep, signed_in: SignedInDep, pathway: str, form: FormDep) -> Response:
    """Save a change as a new version (nothing when nothing changed), or show every problem."""
    return _save(request, access, signed_in, form, view=_editable(request, access, pathway))


# -- the review queue -------------------------------------------------------------------------------------------


def _claims_page(
    request: Request,
    access: OrganisationAccess,
    signed_in: SignedIn,
    view: PathwayView,
    *,
    errors: Mapping[str, str] | None = None,
    reasons: Mapping[str, str] | None = None,
    notice: str = "",
    status: int = 200,
) -> HTMLResponse:
    claims = container(request).pathway_claims.claims(view.slug, organisation=access.organisation)
    base = _base(access.organisation)
    context = {
        "access": access,
        "base": base,
        "view": view,
        "waiting": [c for c in claims if c.state == REVIEW],
        "decided": [c for c in claims if c.state != REVIEW],
        "errors": dict(errors or {}),
        "reasons": dict(reasons or {}),
        "notice": notice,
        "claims_url": f"{base}/{quote(view.slug)}/claims",
        "lang_query": _with_lang(request, ""),
        "short": short_digest,
    }
    return render(request, "pathways/issuer_claims.html", context, signed_in=signed_in, status=status)


def short_digest(digest: str) -> str:
    """``sha384-AbCdEf12…``: enough of a digest to tell components apart on a page."""
    return digest if len(digest) <= 19 else f"{digest[:18]}…"


_DECIDED = {
    AWARDED: "The claim is approved: the composite credential was awarded to its holder.",
    REFUSED: "The claim is refused; the learner reads your reason.",
}


@router.get("/orgs/{slug}/pathways/{pathway}/claims", response_class=HTMLResponse, include_in_schema=False)
def claims_page(request: Request, access: IssuerDep, signed_in: SignedInDep, pathway: str) -> Response:
    """Claims waiting for review (each with its components and the evaluation's words), then those decided."""
    view = _editable(request, access, pathway)
    decided = request.query_params.get("decided", "")
    notice = translate(reader_language(request), _DECIDED[decided]) if decided in _DECIDED else ""
    return _claims_page(request, access, signed_in, view, notice=notice)


@router.post(
    "/orgs/{slug}/pathways/{pathway}/claims/{claim}/decision",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=_POST,
)
def decide(
    request: Request, access: IssuerDep, signed_in: SignedInDep, pathway: str, claim: str, form: FormDep
) -> Response:
    """Approve (the components are checked again and the composite awarded) or refuse with a reason."""
    view = _editable(request, access, pathway)
    services = container(request)
    found: ClaimView = services.pathway_claims.get(claim[:40], organisation=access.organisation)
    if found.pathway != view.slug:
        raise NotFoundError("no such claim")
    lang = reader_language(request)
    decision = form.get("decision")
    raw = form.get("reason")
    reason = (raw if isinstance(raw, str) else "").strip()
    field = f"reason-{found.public_id}"
    problem, status = "", 400
    if decision not in ("approve", "refuse"):
        problem = translate(lang, "Choose Approve and award, or Refuse.")
    elif decision == "refuse" and not reason:
        problem = translate(lang, "Say why the claim is refused: the learner reads it.")
    elif len(reason) > MAX_REASON:
        problem = translate(lang, "The reason is longer than %(n)s characters.", n=MAX_REASON)
    if not problem:
        try:
            done = services.pathway_claims.decide(
                found.public_id,
                organisation=access.organisation,
                approve=decision == "approve",
                reason=reason,
                actor=signed_in.account.actor,
            )
        except (ConflictError, InputError) as exc:
            problem, status = error_text(lang, exc), exc.status
        else:
            target = f"{_base(access.organisation)}/{quote(view.slug)}/claims?decided={done.state}"
            return RedirectResponse(_with_lang(request, target), status_code=303)
    reasons = {found.public_id: reason}
    return _claims_page(request, access, signed_in, view, errors={field: problem}, reasons=reasons, status=status)


@router.get("/orgs/{slug}/pathways/{pathway}/claims/{claim}/clr", include_in_schema=False)
def claim_clr(request: Request, access: IssuerDep, pathway: str, claim: str) -> Response:
    """An awarded claim's composite with its components, as the signed CLR 2.0 file the learner can download."""
    view = _editable(request, access, pathway)
    found: ClaimView = container(request).pathway_claims.get(claim[:40], organisation=access.organisation)
    if found.pathway != view.slug or found.award_id is None:
        raise NotFoundError("no awarded claim with this id")
    signed = container(request).pathway_claims.clr(found.award_id, organisation=access.organisation)
    return clr_file(signed, view.slug)
