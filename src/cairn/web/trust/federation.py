"""``/admin/federation``: the registries this instance federates with, for its administrators only.

A list of the peers with how each one's trust list stands (in use, expired, none yet; entries, last sync, expiry,
the last refusal in plain words), a form to add one (its list's URL, the DID that must sign it, a name), and
buttons to sync one or all of them now and to remove one. Every form carries the CSRF token; a sync answers with
the page and what each sync did.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cairn.errors import CairnError
from cairn.services.accounts.service import SignedIn
from cairn.services.trust.federation import SyncResult
from cairn.web.deps import AdminDep, container, csrf_protect
from cairn.web.i18n import reader_language, translate
from cairn.web.render import error_text, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

PAGE = "/admin/federation"
_NOTICES = {
    "added": "The registry was added. Sync it now to fetch its list.",
    "removed": "The registry was removed: its accreditations no longer count here.",
}


def _page(
    request: Request,
    signed_in: SignedIn,
    *,
    results: list[SyncResult] | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    built = container(request)
    lang = reader_language(request)
    notice = _NOTICES.get(request.query_params.get("done", ""))
    context: dict[str, Any] = {
        "peers": built.federation.peers(),
        "results": results,
        "errors": errors or {},
        "form": form or {},
        "notice": translate(lang, notice) if notice else None,
        "sync_minutes": built.settings.registry_sync_minutes,
    }
    return render(request, "trust/federation.html", context, status=status, signed_in=signed_in)


def _back(request: Request, done: str) -> RedirectResponse:
    lang = request.query_params.get("lang")
    suffix = f"&lang={lang}" if lang in ("en", "pl") else ""
    return RedirectResponse(f"{PAGE}?done={done}{suffix}", status_code=303)


@router.get(PAGE, response_class=HTMLResponse)
def federation_page(request: Request, signed_in: AdminDep) -> Response:
    """The federated registries and the form to add one."""
    return _page(request, signed_in)


@router.post(f"{PAGE}/peers", response_class=HTMLResponse, dependencies=[Depends(csrf_protect)])
def add_peer(
    request: Request,
    signed_in: AdminDep,
    url: Annotated[str, Form(max_length=2100)] = "",
    did: Annotated[str, Form(max_length=600)] = "",
    name: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Federate with a registry (its list is fetched on the next sync)."""
    try:
        container(request).federation.add_peer(url, did, name, actor=signed_in.account.actor)
    except CairnError as exc:
        if exc.status not in (400, 409):
            raise
        message = error_text(reader_language(request), exc)
        field = "peer-did" if "DID" in exc.message_id else "peer-name" if "name" in exc.message_id else "peer-url"
        form = {"url": url, "did": did, "name": name}
        return _page(request, signed_in, errors={field: message}, form=form, status=exc.status)
    return _back(request, "added")


@router.post(f"{PAGE}/peers/{{peer_id}}/remove", dependencies=[Depends(csrf_protect)])
def remove_peer(request: Request, signed_in: AdminDep, peer_id: int) -> Response:
    """Stop federating with a registry."""
    container(request).federation.remove_peer(peer_id, actor=signed_in.account.actor)
    return _back(request, "removed")


@router.post(f"{PAGE}/peers/{{peer_id}}/sync", response_class=HTMLResponse, dependencies=[Depends(csrf_protect)])
def sync_peer(request: Request, signed_in: AdminDep, peer_id: int) -> Response:
    """Fetch and check one registry's list now (a worker thread runs it: the page waits for the answer)."""
    result = container(request).federation.sync(peer_id, actor=signed_in.account.actor)
    return _page(request, signed_in, results=[result])


@router.post(f"{PAGE}/sync", response_class=HTMLResponse, dependencies=[Depends(csrf_protect)])
def sync_all(request: Request, signed_in: AdminDep) -> Response:
    """Fetch and check every registry's list now."""
    results = container(request).federation.sync_all(actor=signed_in.account.actor)
    return _page(request, signed_in, results=results)
