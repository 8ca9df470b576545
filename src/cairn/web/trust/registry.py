"""Registry pages: an organisation's operators accredit other organisations, and suspend, withdraw or reinstate
what they accredited; instance administrators choose the trust anchors.

Routes (every ``POST`` needs the CSRF token; every change is audited by the registry service):

- ``GET /orgs/{slug}/registry`` — the accreditations the organisation made (status, scope in words, dates), its
  own standing in the trust network and where it publishes (operator and owner);
- ``GET|POST /orgs/{slug}/registry/new`` — accredit an organisation: as an issuer or a body, by its DIDs and/or
  seal certificate fingerprints, with its legal identity, scope, dates and evidence;
- ``GET /orgs/{slug}/registry/{id}`` — one accreditation: its facts, its chain as the network sees it today, its
  status history; ``…/credential`` downloads its signed credential (JSON); ``POST …/suspend``, ``…/withdraw``
  and ``…/reinstate`` change its status from now on (a reason is required; withdrawing asks for confirmation);
- ``GET|POST /admin/trust-anchors`` and ``POST /admin/trust-anchors/remove`` — the roots this instance trusts
  (instance administrators only).

Another organisation, or one the caller is no member of, answers 404; a viewer or an issuer 403; anonymous
visitors are sent to sign in.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cairn.errors import InputError, NotFoundError
from cairn.model.trust import Accreditation, Scope
from cairn.services.accounts.service import OrganisationAccess, Role, SignedIn
from cairn.services.trust.registry import StoredAccreditation, TrustLookup
from cairn.web.deps import AdminDep, administrator, container, csrf_protect, current_account, require_role
from cairn.web.i18n import reader_language, translate
from cairn.web.render import error_text, render, say
from cairn.web.trust.forms import (
    IDENTIFIERS,
    MAX_IDENTIFIERS,
    MAX_REASON,
    AccreditFields,
    error_field,
    read_accreditation,
    read_reason,
)

__all__ = ["router", "scope_words"]

router = APIRouter(include_in_schema=False)

_operator = require_role(Role.OPERATOR)
OperatorDep = Annotated[OrganisationAccess, Depends(_operator)]
OperatorPost = [Depends(_operator), Depends(csrf_protect)]
"""Operator role first (so nobody else's body is even read), then the CSRF token."""
SignedInDep = Annotated[SignedIn, Depends(current_account)]
ReasonField = Annotated[str, Form(max_length=20_000)]

_NOTICES: Final = {
    "accredited": "The organisation is accredited. It is in your signed trust list from now on.",
    "suspended": "The accreditation is suspended. Verifiers see it on their next look; it can be reinstated.",
    "withdrawn": "The accreditation is withdrawn for good. Credentials awarded before today keep their standing.",
    "active": "The accreditation is reinstated: it is in force again.",
}
_ACTIONS: Final = {"suspend": "suspended", "withdraw": "withdrawn", "reinstate": "active"}
_ANCHOR_NOTICES: Final = {
    "added": "The organisation is a trust anchor now: what it accredits is vouched for.",
    "removed": "The trust anchor was removed: nothing it accredited is vouched for through it any more.",
}


def _base(slug: str) -> str:
    return f"/orgs/{quote(slug)}/registry"


def _levels(levels: tuple[int, ...]) -> str:
    ordered = sorted(levels)
    if len(ordered) > 1 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{ordered[0]}-{ordered[-1]}"
    return ", ".join(str(level) for level in ordered)


def scope_words(scope: Scope, lang: str) -> str:
    """What an accreditation covers, in ``lang``: "EQF 5-6 in ISCED-F 06", "any level and field"."""
    parts = []
    if scope.eqf:
        parts.append(f"EQF {_levels(scope.eqf)}")
    if scope.nqf:
        parts.append(", ".join(scope.nqf))
    if scope.isced:
        codes = ", ".join(scope.isced)
        parts.append(translate(lang, "in ISCED-F %(codes)s", codes=codes) if parts else f"ISCED-F {codes}")
    if scope.types:
        parts.append(f"({', '.join(scope.types)})")
    return " ".join(parts) if parts else translate(lang, "any level and field")


def _short(accreditation_id: str) -> str:
    return accreditation_id.removeprefix("urn:uuid:")


def _render(
    request: Request, template: str, context: dict[str, Any], *, signed_in: SignedIn, status: int = 200
) -> HTMLResponse:
    access: OrganisationAccess = context["access"]
    full = {**context, "base": _base(access.organisation)}
    return render(request, template, full, status=status, signed_in=signed_in)


def _chain(found: TrustLookup, lang: str) -> dict[str, Any]:
    """How the network sees an identifier today, for a page: vouched or not, each link in words."""
    chain = found.vouching.chain
    links = []
    if chain is not None:
        for i, link in enumerate(chain.links):
            last = i + 1 == len(chain.links)
            by = (chain.anchor_name if last and chain.anchor_name else "") or link.accreditor_name or link.accredited_by
            links.append(
                {
                    "accredited": link.identity.legal_name,
                    "by": by,
                    "kind": link.kind,
                    "scope": scope_words(link.scope, lang),
                    "until": link.valid_until,
                    "registry": link.registry,
                }
            )
    return {
        "identifier": found.identifier,
        "vouched": found.vouching.vouched,
        "reason": found.vouching.reason,
        "links": links,
        "anchor": (chain.anchor_name or chain.anchor) if chain is not None else "",
    }


def _row(stored: StoredAccreditation, lang: str) -> dict[str, Any]:
    a = stored.accreditation
    return {
        "id": _short(a.id),
        "name": a.identity.legal_name,
        "kind": a.kind,
        "scope": scope_words(a.scope, lang),
        "valid_from": a.valid_from,
        "valid_until": a.valid_until,
        "status": a.status,
        "identifiers": [*a.subjects, *(f"SHA-256 {c}" for c in a.certificates)],
    }


# -- the registry ---------------------------------------------------------------------------------------------


@router.get("/orgs/{slug}/registry", response_class=HTMLResponse)
def registry_page(request: Request, access: OperatorDep, signed_in: SignedInDep) -> Response:
    """The accreditations the organisation made, its own standing, and where it publishes."""
    instance, lang = container(request), reader_language(request)
    slug = access.organisation
    made = instance.registry.accreditations(slug)
    did = instance.keys.did(slug)
    publication = instance.publication
    context = {
        "access": access,
        "rows": [_row(s, lang) for s in made],
        "did": did,
        "standing": _chain(instance.registry.lookup(did), lang),
        "published": publication.is_registry(slug),
        "addresses": {
            "trust_list": publication.list_url(slug),
            "dcc": f"{publication.entity_id(slug)}/dcc/registry.json",
            "oidf": f"{publication.entity_id(slug)}/.well-known/openid-federation",
            "tir": instance.tir.base,
        },
    }
    return _render(request, "registry/list.html", context, signed_in=signed_in)


def _notice(request: Request, lang: str, notices: dict[str, str]) -> str | None:
    text = notices.get(request.query_params.get("done", ""))
    return translate(lang, text) if text else None


def _new_page(
    request: Request,
    access: OrganisationAccess,
    signed_in: SignedIn,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = {
        "access": access,
        "form": form or {"kind": "issuer", "eqf": []},
        "errors": errors or {},
        "identifier_fields": IDENTIFIERS,
        "max_identifiers": MAX_IDENTIFIERS,
    }
    return _render(request, "registry/new.html", context, signed_in=signed_in, status=status)


@router.get("/orgs/{slug}/registry/new", response_class=HTMLResponse)
def new_page(request: Request, access: OperatorDep, signed_in: SignedInDep) -> Response:
    """The accreditation form."""
    return _new_page(request, access, signed_in)


@router.post("/orgs/{slug}/registry/new", response_class=HTMLResponse, dependencies=OperatorPost)
def accredit(
    request: Request, access: OperatorDep, signed_in: SignedInDep, fields: Annotated[AccreditFields, Form()]
) -> Response:
    """Accredit an organisation; problems are shown next to their fields and nothing is stored."""
    lang = reader_language(request)
    form: dict[str, Any] = {**fields.text(), "eqf": fields.eqf}
    parsed, errors = read_accreditation(fields.text(), fields.eqf, lang)
    if parsed is None:
        return _new_page(request, access, signed_in, form=form, errors=errors, status=400)
    try:
        stored = container(request).registry.accredit(
            access.organisation,
            actor=signed_in.account.actor,
            kind=parsed.kind,
            subjects=parsed.subjects,
            certificates=parsed.certificates,
            identity=parsed.identity,
            scope=parsed.scope,
            valid_from=parsed.valid_from,
            valid_until=parsed.valid_until,
            evidence=parsed.evidence,
        )
    except InputError as exc:
        errors = {error_field(exc): error_text(lang, exc)}
        return _new_page(request, access, signed_in, form=form, errors=errors, status=400)
    target = f"{_base(access.organisation)}/{_short(stored.accreditation.id)}?done=accredited"
    return RedirectResponse(target, status_code=303)


# -- one accreditation --------------------------------------------------------------------------------------------


def _stored(request: Request, access: OrganisationAccess, accreditation_id: uuid.UUID) -> StoredAccreditation:
    """The accreditation, if the organisation made it (else 404, as for anything not the caller's to see)."""
    stored = container(request).registry.get(f"urn:uuid:{accreditation_id}")
    if stored.registry != access.organisation:
        raise NotFoundError("There is nothing at this address.")
    return stored


def _history(accreditation: Accreditation) -> list[dict[str, Any]]:
    rows = [{"status": "active", "at": accreditation.valid_from, "reason": "", "first": True}]
    rows += [{"status": c.status, "at": c.at, "reason": c.reason, "first": False} for c in accreditation.history]
    return rows


def _detail_page(
    request: Request,
    access: OrganisationAccess,
    signed_in: SignedIn,
    accreditation_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    instance, lang = container(request), reader_language(request)
    stored = _stored(request, access, accreditation_id)
    accreditation = stored.accreditation
    identifiers = [*accreditation.subjects, *(f"cert:{c}" for c in accreditation.certificates)]
    context = {
        "access": access,
        "stored": stored,
        "a": accreditation,
        "short": _short(accreditation.id),
        "scope": scope_words(accreditation.scope, lang),
        "identifier_kinds": {name: label for name, label, _ in IDENTIFIERS},
        "credential_text": json.dumps(stored.credential, indent=2, ensure_ascii=False),
        "chains": [_chain(instance.registry.lookup(i), lang) for i in identifiers[:5]],
        "history": _history(accreditation),
        "errors": errors or {},
        "form": form or {},
        "notice": _notice(request, lang, _NOTICES),
        "max_reason": MAX_REASON,
    }
    return _render(request, "registry/accreditation.html", context, signed_in=signed_in, status=status)


@router.get("/orgs/{slug}/registry/{accreditation_id:uuid}", response_class=HTMLResponse)
def accreditation_page(
    request: Request, access: OperatorDep, signed_in: SignedInDep, accreditation_id: uuid.UUID
) -> Response:
    """One accreditation: facts, chain, history, and the forms that change its status."""
    return _detail_page(request, access, signed_in, accreditation_id)


@router.get("/orgs/{slug}/registry/{accreditation_id:uuid}/credential")
def credential_download(request: Request, access: OperatorDep, accreditation_id: uuid.UUID) -> Response:
    """The signed accreditation credential as a JSON file (``application/vc``)."""
    stored = _stored(request, access, accreditation_id)
    body = json.dumps(stored.credential, indent=2, ensure_ascii=False)
    headers = {
        "Content-Disposition": f'attachment; filename="accreditation-{accreditation_id}.json"',
        "Cache-Control": "no-store",
    }
    return Response(body, media_type="application/vc", headers=headers)


@router.post(
    "/orgs/{slug}/registry/{accreditation_id:uuid}/{action}", response_class=HTMLResponse, dependencies=OperatorPost
)
def change_status(
    request: Request,
    access: OperatorDep,
    signed_in: SignedInDep,
    accreditation_id: uuid.UUID,
    action: str,
    reason: ReasonField = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Suspend, withdraw or reinstate the accreditation from now on (a reason is required; withdrawing, a
    ticked confirmation)."""
    status = _ACTIONS.get(action)
    if status is None:
        raise NotFoundError("There is nothing at this address.")
    lang = reader_language(request)
    reason, problem = read_reason(reason, lang)
    errors = {f"{action}-reason": problem} if problem else {}
    if action == "withdraw" and confirm != "yes":
        errors[f"{action}-confirm"] = say(lang, "Tick the box to confirm that a withdrawal cannot be undone")
    form = {f"{action}-reason": reason}
    if errors:
        return _detail_page(request, access, signed_in, accreditation_id, errors=errors, form=form, status=400)
    try:
        container(request).registry.change_status(
            access.organisation,
            f"urn:uuid:{accreditation_id}",
            status=status,
            reason=reason,
            actor=signed_in.account.actor,
        )
    except InputError as exc:
        errors = {"change-status": error_text(lang, exc)}
        return _detail_page(request, access, signed_in, accreditation_id, errors=errors, form=form, status=409)
    target = f"{_base(access.organisation)}/{accreditation_id}?done={status}"
    return RedirectResponse(target, status_code=303)


# -- trust anchors (instance administrators) ------------------------------------------------------------------


def _anchors_page(
    request: Request,
    signed_in: SignedIn,
    *,
    errors: dict[str, str] | None = None,
    chosen: str = "",
    status: int = 200,
) -> HTMLResponse:
    instance, lang = container(request), reader_language(request)
    organisations = instance.registry.organisations()
    own = {instance.keys.did(slug): slug for slug, _ in organisations}
    anchors = [{"did": did, "name": name, "slug": own.get(did)} for did, name in instance.registry.anchors()]
    anchored = {a["did"] for a in anchors}
    context = {
        "anchors": anchors,
        "choices": [(slug, name) for slug, name in organisations if instance.keys.did(slug) not in anchored],
        "chosen": chosen,
        "errors": errors or {},
        "notice": _notice(request, lang, _ANCHOR_NOTICES),
    }
    return render(request, "registry/anchors.html", context, status=status, signed_in=signed_in)


@router.get("/admin/trust-anchors", response_class=HTMLResponse)
def anchors_page(request: Request, signed_in: AdminDep) -> Response:
    """The roots this instance trusts, and a form to add one of its organisations."""
    return _anchors_page(request, signed_in)


@router.post(
    "/admin/trust-anchors", response_class=HTMLResponse, dependencies=[Depends(administrator), Depends(csrf_protect)]
)
def add_anchor(
    request: Request, signed_in: AdminDep, organisation: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """Trust one of this instance's organisations as a root."""
    lang = reader_language(request)
    known = {slug for slug, _ in container(request).registry.organisations()}
    if organisation not in known:
        errors = {"organisation": say(lang, "Choose one of this instance's organisations")}
        return _anchors_page(request, signed_in, errors=errors, chosen=organisation, status=400)
    container(request).registry.add_anchor(organisation, actor=signed_in.account.actor)
    return RedirectResponse("/admin/trust-anchors?done=added", status_code=303)


@router.post(
    "/admin/trust-anchors/remove",
    response_class=HTMLResponse,
    dependencies=[Depends(administrator), Depends(csrf_protect)],
)
def remove_anchor(request: Request, signed_in: AdminDep, did: Annotated[str, Form(max_length=600)] = "") -> Response:
    """Stop trusting a root of this instance."""
    lang = reader_language(request)
    try:
        container(request).registry.remove_anchor(did, actor=signed_in.account.actor)
    except NotFoundError:
        errors = {"anchors": say(lang, "That trust anchor is not one this page can remove")}
        return _anchors_page(request, signed_in, errors=errors, status=400)
    return RedirectResponse("/admin/trust-anchors?done=removed", status_code=303)
