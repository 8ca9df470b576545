"""Pathways for people: the published pathways, one pathway's rules as a path of steps, and a learner's progress.

- ``GET /pathways``: every published pathway: its title, issuer, the micro-credential it leads to, how many parts
  and how many ECTS it takes at the least.
- ``GET /pathways/{slug}`` (``?version=N``): the issuer and who vouches for it (from the trust network, as the
  organisation's page says it), the micro-credential it leads to and a national qualification where it names one,
  the rules said in words as steps (``all``, ``any`` and ``N of M`` groups), the totals; a signed-in learner
  follows it or stops following it and sees how far they are.
- ``POST /pathways/{slug}/follow``: follow (``follow=yes``) or stop following (``follow=no``).
- ``GET /wallet/pathways``: where the signed-in learner stands on each pathway they follow or their credentials
  touch: each step done (by which credential) or missing (what it needs, and which micro-credentials of the
  catalogue would close the gap), credentials that do not count and why, a progress bar, and when the rules are
  met a button to claim the composite; then the learner's claims and how each was decided.
- ``POST /wallet/pathways/{slug}/claim``: claim the composite from the wallet (awarded at once, or waiting for the
  issuer's review; the reason in words when it cannot be claimed).
- ``GET /wallet/pathways/claims/{claim}/clr``: an awarded claim's composite with its components as one signed
  CLR 2.0 credential (a JSON file), for the learner who claimed it.

Every POST needs a session and the CSRF token; the wallet's pages need a session.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cairn.bootstrap import Container
from cairn.errors import CairnError, NotFoundError
from cairn.model.pathways import Missing, NodeResult, PathwayDefinition, Rule, describe
from cairn.phrases import Phrase
from cairn.services.accounts.service import SignedIn
from cairn.services.catalog.service import CatalogEntry
from cairn.services.pathways.claims import ClaimView
from cairn.services.pathways.service import PathwayProgress, PathwayView, Suggestion
from cairn.web.catalog.views import country_name
from cairn.web.deps import container, csrf_protect, current_account, optional_account
from cairn.web.i18n import LANGUAGES, reader_language, said
from cairn.web.render import render, say

__all__ = ["Step", "clr_file", "least", "router", "steps_of"]

router = APIRouter(include_in_schema=False)

LangQuery = Annotated[str | None, Query(max_length=10)]
SlugPath = Annotated[str, Path(max_length=80)]
SignedInDep = Annotated[SignedIn, Depends(current_account)]
MaybeSignedIn = Annotated[SignedIn | None, Depends(optional_account)]
Post = [Depends(current_account), Depends(csrf_protect)]
"""Signed in first (so nobody else's body is even read), then the CSRF token."""

NOTICES: Final = {
    "followed": "You follow this pathway: your wallet shows how far you are.",
    "unfollowed": "You no longer follow this pathway.",
}
CLAIM_STATES: Final = {
    "awarded": "Awarded",
    "review": "Waiting for the issuer's review",
    "refused": "Refused",
}


# -- the rules as steps ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """One node of a pathway's rules as a page shows it; on the wallet's page, with where the learner stands."""

    path: str
    """Where the node is in the rules (``rules.all[2].any[0]``): the engine's paths."""
    kind: str
    """``all``, ``any``, ``n_of`` (groups) or ``component``, ``criteria`` (parts)."""
    label: Mapping[str, str] | None = None
    n: int = 0
    """How many an ``n_of`` group needs."""
    children: tuple[Step, ...] = ()
    title: Mapping[str, str] | None = None
    """A part's name: its label, its own title or (for a definition of this instance) the catalogue's title."""
    needs: Phrase | None = None
    """What a part needs, in words: the criteria, or the component where it has no title."""
    href: str = ""
    """The part's catalogue page (a definition of this instance) or its achievement's address."""
    definition: str = ""
    issuers: tuple[str, ...] = ()
    """The organisations that award the definition (slugs)."""
    ects: float | None = None
    hours: float | None = None
    state: str = ""
    """The learner's: ``done``, ``missing``, ``option`` (one way among others), ``not-needed``; a group ``done``
    or ``open``; ``""`` on the public page."""
    result: NodeResult | None = None
    missing: Missing | None = None
    suggestions: tuple[Suggestion, ...] = ()
    credential: str = ""
    """The wallet's credential that met the part (its id in the wallet)."""
    credential_title: str = ""

    @property
    def is_group(self) -> bool:
        """An ``all``, ``any`` or ``n_of``."""
        return bool(self.children)


def _child_path(path: str, kind: str, index: int) -> str:
    return f"{path}.n_of.of[{index}]" if kind == "n_of" else f"{path}.{kind}[{index}]"


def _by_path(result: NodeResult | None) -> dict[str, NodeResult]:
    found: dict[str, NodeResult] = {}
    stack = [result] if result is not None else []
    while stack:
        node = stack.pop()
        found[node.path] = node
        stack.extend(node.children)
    return found


def steps_of(
    rules: Rule,
    catalogue: Mapping[str, CatalogEntry],
    progress: PathwayProgress | None = None,
) -> Step:
    """``rules`` as steps to show, each part named from the catalogue where it is a definition of this instance;
    with ``progress``, each step says whether the learner has done it, by which credential, and what would close
    the gap where they have not."""
    results = _by_path(progress.evaluation.root if progress is not None else None)
    missing = {m.path: m for m in progress.evaluation.missing} if progress is not None else {}
    suggestions = progress.suggestions if progress is not None else {}
    titles = progress.titles if progress is not None else {}

    def build(rule: Rule, path: str) -> Step:
        result = results.get(path)
        kind = rule.kind
        if not rule.is_leaf:
            children = tuple(build(child, _child_path(path, kind, i)) for i, child in enumerate(rule.children))
            state = "" if result is None else "done" if result.met else "open"
            n = rule.n_of.n if rule.n_of is not None else 0
            return Step(path, kind, rule.label, n, children, state=state, result=result)
        title, needs, href, definition = rule.label, None, "", ""
        issuers: tuple[str, ...] = ()
        ects: float | None = None
        hours: float | None = None
        component = rule.component
        if component is not None:
            if component.definition:
                entry = catalogue.get(component.definition)
                if entry is not None:
                    definition, href = entry.definition.id, f"/micro-credentials/{quote(entry.definition.id)}"
                    title = title or component.title or entry.definition.title
                    ects, hours = entry.definition.workload.ects, entry.definition.workload.hours
                    issuers = tuple(entry.definition.awarding_bodies)
            elif component.achievement and component.achievement.startswith(("https://", "http://")):
                href = component.achievement
            title = title or component.title
            needs = None if title else describe(rule)
        elif rule.criteria is not None:
            title = title or rule.criteria.title
            needs = describe(Rule(criteria=rule.criteria.model_copy(update={"title": None})))
        state, credential, gap = "", "", missing.get(path)
        if result is not None:
            if result.met:
                state, credential = "done", result.used[0] if result.used else ""
            elif gap is not None:
                state = "option" if gap.alternative else "missing"
            else:
                state = "not-needed"
        return Step(
            path,
            kind,
            rule.label,
            title=title,
            needs=needs,
            href=href,
            definition=definition,
            issuers=issuers,
            ects=ects,
            hours=hours,
            state=state,
            result=result,
            missing=gap,
            suggestions=tuple(s for s in suggestions.get(path, ()) if s.slug != definition) if gap else (),
            credential=credential,
            credential_title=titles.get(credential, "") if credential else "",
        )

    return build(rules, "rules")


def least(rules: Rule, catalogue: Mapping[str, CatalogEntry]) -> tuple[int, float]:
    """The fewest parts meeting ``rules`` takes, and the fewest ECTS (a part that states no ECTS counts none)."""

    def ects_of(leaf: Rule) -> float:
        if leaf.component is not None and leaf.component.definition:
            entry = catalogue.get(leaf.component.definition)
            return (entry.definition.workload.ects or 0.0) if entry is not None else 0.0
        return (leaf.criteria.ects_at_least or 0.0) if leaf.criteria is not None else 0.0

    def walk(rule: Rule) -> tuple[int, float]:
        if rule.is_leaf:
            return 1, ects_of(rule)
        found = [walk(child) for child in rule.children]
        if rule.kind == "all":
            return sum(p for p, _ in found), sum(e for _, e in found)
        want = rule.n_of.n if rule.n_of is not None else 1
        return sum(sorted(p for p, _ in found)[:want]), sum(sorted(e for _, e in found)[:want])

    return walk(rules)


def _catalogue(c: Container) -> dict[str, CatalogEntry]:
    return {e.definition.id: e for e in c.catalog.entries()}


def _org_names(catalogue: Mapping[str, CatalogEntry]) -> dict[str, Mapping[str, str]]:
    return {o.id: o.legal_name for entry in catalogue.values() for o in entry.organisations}


def _summary(pathway: PathwayDefinition, catalogue: Mapping[str, CatalogEntry]) -> dict[str, Any]:
    parts, ects = least(pathway.rules, catalogue)
    totals = pathway.totals
    if totals is not None and totals.ects_at_least is not None:
        ects = max(ects, totals.ects_at_least)
    hours = totals.hours_at_least if totals is not None else None
    return {"parts": parts, "ects": ects or None, "hours": hours}


def _with_lang(url: str, lang: str | None) -> str:
    if lang not in LANGUAGES or lang == "en":
        return url
    return url + ("&" if "?" in url else "?") + f"lang={lang}"


# -- public pages ------------------------------------------------------------------------------------------------


@router.api_route("/pathways", methods=["GET", "HEAD"], response_class=HTMLResponse)
def pathways(request: Request, lang: LangQuery = None) -> HTMLResponse:
    """Every published pathway, with what it leads to and how much it takes."""
    reader = reader_language(request, lang)
    c = container(request)
    catalogue = _catalogue(c)
    items = [
        {"view": v, "target": catalogue.get(v.pathway.target), **_summary(v.pathway, catalogue)}
        for v in c.pathways.all()
    ]
    context = {"lang": reader, "items": items, "path": "/pathways"}
    return render(request, "pathways/public_list.html", context, languages=LANGUAGES, forms=False, private=False)


@router.api_route("/pathways/{slug}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def pathway(
    request: Request,
    signed_in: MaybeSignedIn,
    slug: SlugPath,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    lang: LangQuery = None,
) -> HTMLResponse:
    """One pathway (a version of it: the latest by default): the rules as steps; NotFoundError for an unknown or
    draft pathway."""
    reader = reader_language(request, lang)
    c = container(request)
    view = c.pathways.get(slug, version)
    versions = c.pathways.versions(slug)
    catalogue = _catalogue(c)
    mine: PathwayProgress | None = None
    if signed_in is not None and view.version == max(versions, default=view.version):
        found = c.pathways.progress(signed_in.account.id, slug=view.slug)
        mine = found[0] if found else None
    qualification = view.pathway.qualification
    context = {
        "lang": reader,
        "view": view,
        "p": view.pathway,
        "target": catalogue.get(view.pathway.target),
        "trust": c.verification.standing(c.keys.did(view.issuer.id)),
        "root": steps_of(view.pathway.rules, catalogue),
        "org_names": _org_names(catalogue),
        "summary": _summary(view.pathway, catalogue),
        "versions": versions,
        "latest": max(versions, default=view.version),
        "mine": mine,
        "qualification_country": country_name(qualification.country, None, reader) if qualification else "",
        "notice": NOTICES.get(request.query_params.get("done", "")),
        "path": f"/pathways/{view.slug}",
    }
    return render(
        request,
        "pathways/public_pathway.html",
        context,
        signed_in=signed_in,
        languages=LANGUAGES,
        forms=signed_in is not None,
        private=signed_in is not None,
    )


@router.post("/pathways/{slug}/follow", dependencies=Post)
def follow(
    request: Request,
    signed_in: SignedInDep,
    slug: SlugPath,
    follow: Annotated[str, Form(max_length=3)] = "yes",
    back: Annotated[str, Form(max_length=10)] = "",
    lang: LangQuery = None,
) -> Response:
    """Follow the pathway (its progress shows in the wallet even before a credential counts), or stop."""
    c = container(request)
    c.wallet.wallet_for(signed_in.account.id)  # the wallet is made on first use
    following = follow != "no"
    c.pathways.follow(signed_in.account.id, slug, following=following)
    done = "followed" if following else "unfollowed"
    target = f"/wallet/pathways?done={done}" if back == "wallet" else f"/pathways/{quote(slug)}?done={done}"
    return RedirectResponse(_with_lang(target, lang), status_code=303)


# -- the wallet --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Card:
    """One pathway on the wallet's page."""

    progress: PathwayProgress
    root: Step
    target: CatalogEntry | None
    claim: ClaimView | None
    """The latest claim of this pathway's composite from this wallet."""

    @property
    def view(self) -> PathwayView:
        """The pathway."""
        return self.progress.view

    @property
    def claimable(self) -> bool:
        """The rules are met and no claim is awarded or waiting."""
        return self.progress.evaluation.met and (self.claim is None or self.claim.state == "refused")


def _wallet_page(
    request: Request,
    signed_in: SignedIn,
    lang: str,
    *,
    claimed: str | None = None,
    errors: Mapping[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    c = container(request)
    account = signed_in.account.id
    catalogue = _catalogue(c)
    claims = c.pathway_claims.of_account(account)
    latest: dict[str, ClaimView] = {}
    for made in claims:  # newest first
        latest.setdefault(made.pathway, made)
    cards = [
        Card(
            p,
            steps_of(p.view.pathway.rules, catalogue, p),
            catalogue.get(p.view.pathway.target),
            latest.get(p.view.slug),
        )
        for p in c.pathways.progress(account)
    ]
    names = {card.view.slug: card.view.pathway.title for card in cards}
    if any(made.pathway not in names for made in claims):
        names.update({v.slug: v.pathway.title for v in c.pathways.all()})
    held = c.wallet.list(account)
    shown = next((made for made in claims if made.public_id == claimed), None) if claimed else None
    context = {
        "lang": lang,
        "cards": cards,
        "claims": claims,
        "names": names,
        "items": {i.id: i for i in held},
        "in_wallet": {i.award_id: i.id for i in held if i.award_id},
        "org_names": _org_names(catalogue),
        "claimed": shown,
        "claim_states": CLAIM_STATES,
        "errors": dict(errors or {}),
        "notice": NOTICES.get(request.query_params.get("done", "")),
        "path": "/wallet/pathways",
    }
    return render(
        request, "pathways/wallet_progress.html", context, status=status, signed_in=signed_in, languages=LANGUAGES
    )


@router.get("/wallet/pathways", response_class=HTMLResponse)
def wallet_pathways(
    request: Request,
    signed_in: SignedInDep,
    claim: Annotated[str | None, Query(max_length=40)] = None,
    lang: LangQuery = None,
) -> HTMLResponse:
    """Where the learner stands on each pathway, and their claims (``?claim=`` says how one just went)."""
    return _wallet_page(request, signed_in, reader_language(request, lang), claimed=claim)


def claim_error(c: Container, account: int, slug: str, lang: str, exc: CairnError) -> str:
    """Why a claim was not made, as a sentence in ``lang``: the rules not met are said from the learner's own
    evaluation (the service's message carries them in English)."""
    values: dict[str, Any] = dict(exc.values)
    if "why" in values:
        found = c.pathways.progress(account, slug=slug)
        if found:
            values["why"] = said(lang, found[0].evaluation.explanation)
    return say(lang, exc.message_id[:1].upper() + exc.message_id[1:], **values)


@router.post("/wallet/pathways/{slug}/claim", response_class=HTMLResponse, dependencies=Post)
def claim(request: Request, signed_in: SignedInDep, slug: SlugPath, lang: LangQuery = None) -> Response:
    """Claim the pathway's composite with the credentials the wallet holds; the page says how it went."""
    reader = reader_language(request, lang)
    c = container(request)
    account = signed_in.account.id
    try:
        made = c.pathway_claims.claim_from_wallet(account, slug)
    except CairnError as exc:
        if exc.status not in (400, 403, 409):
            raise
        errors = {f"claim-{slug}": claim_error(c, account, slug, reader, exc)}
        return _wallet_page(request, signed_in, reader, errors=errors, status=exc.status)
    target = _with_lang(f"/wallet/pathways?claim={quote(made.public_id)}", lang)
    return RedirectResponse(f"{target}#pathway-{quote(slug)}", status_code=303)


@router.get("/wallet/pathways/claims/{claim_id}/clr")
def clr_download(request: Request, signed_in: SignedInDep, claim_id: Annotated[str, Path(max_length=40)]) -> Response:
    """The composite of one of the learner's own awarded claims and its components, as a signed CLR 2.0 file."""
    c = container(request)
    mine = next((m for m in c.pathway_claims.of_account(signed_in.account.id) if m.public_id == claim_id), None)
    if mine is None or mine.award_id is None:
        raise NotFoundError("no awarded claim of yours has this id")
    return clr_file(c.pathway_claims.clr(mine.award_id, holder=mine.holder), mine.pathway)


def clr_file(signed: Mapping[str, Any] | str, pathway: str) -> Response:
    """A signed CLR credential as a download (JSON, or a VC-JWT when the issuer signs JWTs)."""
    jwt = isinstance(signed, str)
    body = signed if isinstance(signed, str) else json.dumps(signed, ensure_ascii=False, indent=2)
    headers = {
        "Content-Disposition": f'attachment; filename="{pathway[:80]}-clr.{"jwt" if jwt else "json"}"',
        "Cache-Control": "no-store",
    }
    media_type = "application/vc+jwt" if jwt else "application/json"
    return Response(body.encode("utf-8"), media_type=media_type, headers=headers)
