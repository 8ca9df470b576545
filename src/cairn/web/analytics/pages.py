"""Policy analytics pages: a dashboard for each audience, its table downloads, and the refresh button.

- ``GET /orgs/{slug}/analytics`` — an issuer's own figures (any member of the organisation; others 404);
- ``GET /orgs/{slug}/registry/analytics`` — a registry's: the organisations it accredits today on this instance
  (operators and owners, as the registry pages);
- ``GET /analytics`` — the ministry's: the whole instance (instance administrators; others 403), and
  ``POST /analytics/refresh`` (CSRF token) queues the ``analytics.refresh`` job;
- ``GET /open-data`` — anyone, no sign-in: the whole instance, released with the same suppression (and the same
  per-client limit as the open-data API).

Each shows the audience's first view (:data:`~cairn.services.analytics.views.VIEWS`) or, once the form (GET) asks
for one, the table asked for; each table as a chart (server-side SVG: :mod:`cairn.web.analytics.charts`) followed
by its data table, and ``…/table.csv`` / ``…/table.parquet`` download the table shown
(:mod:`cairn.services.analytics.downloads`). Every route computing tables is a plain ``def`` (DuckDB in the thread
pool, never on the event loop).
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cairn.errors import InputError, NotFoundError
from cairn.services.accounts.service import OrganisationAccess, Role, SignedIn
from cairn.services.analytics import downloads
from cairn.services.analytics.engine import Query
from cairn.services.analytics.indicators import FILTERS
from cairn.services.analytics.service import REFRESH_TASK, AnalyticsService
from cairn.services.analytics.views import VIEWS, Audience
from cairn.web.analytics.api import analytics_quota
from cairn.web.analytics.panels import (
    choices,
    dimension_label,
    key_text,
    make_panel,
    query_address,
)
from cairn.web.analytics.panels import read_query as parse_query
from cairn.web.deps import AdminDep, SignedInDep, administrator, container, csrf_protect, require_role
from cairn.web.i18n import human_date, reader_language, translate
from cairn.web.render import error_text, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

MemberDep = Annotated[OrganisationAccess, Depends(require_role(Role.VIEWER))]
OperatorDep = Annotated[OrganisationAccess, Depends(require_role(Role.OPERATOR))]
Format = Literal["csv", "parquet"]
_MEDIA: Final = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}
_HEADINGS: Final[dict[Audience, str]] = {
    "issuer": "Analytics of %(name)s",
    "registry": "Analytics of the organisations %(name)s accredits",
    "ministry": "Analytics of this instance",
    "open": "Open data on micro-credentials",
}
_LEADS: Final[dict[Audience, str]] = {
    "issuer": "Figures about the micro-credentials %(name)s awards: how many, to how many learners, how many are "
    "claimed and shared.",
    "registry": "Figures about the micro-credentials awarded by the organisations %(name)s accredits on this "
    "instance today.",
    "ministry": "Figures about every micro-credential awarded on this instance, for policy: by field, level, "
    "credits, mode, issuer and region.",
    "open": "Figures about the micro-credentials awarded on this instance, open to anyone: read them here, "
    "download them, or ask the open-data API.",
}


def _service(request: Request) -> AnalyticsService:
    return container(request).analytics


def _filter_choices(service: AnalyticsService, scope: tuple[int, ...] | None, lang: str) -> list[dict[str, Any]]:
    found = []
    for name in FILTERS:
        values = service.values(name, scope=scope) or []
        found.append({"name": name, "label": dimension_label(name, lang),
                      "values": [(v, key_text(name, v, lang)) for v in values]})  # fmt: skip
    return found


def _dashboard(
    request: Request,
    audience: Audience,
    *,
    scope: tuple[int, ...] | None,
    base: str,
    name: str = "",
    signed_in: SignedIn | None,
) -> HTMLResponse:
    service, lang = _service(request), reader_language(request)
    freshness = service.freshness()
    context: dict[str, Any] = {
        "audience": audience,
        "heading": translate(lang, _HEADINGS[audience], name=name),
        "lead": translate(lang, _LEADS[audience], name=name),
        "base": base,
        "k": service.k,
        "freshness": human_date(freshness.created_at, lang, time=True) if freshness else None,
        "panels": [],
        "error": None,
        "asked": None,
        "form": {"indicator": "", "by": ["", ""], "from": "", "to": "", "filters": {}},
        "notice": translate(lang, "A refresh is queued: the figures change once it has run.")
        if request.query_params.get("done") == "queued" else None,
        **choices(lang),
    }  # fmt: skip
    status = 200
    asked: Query | None = None
    if request.query_params.get("indicator"):
        params = request.query_params
        by = [*params.getlist("by")[:2], "", ""][:2]
        filters = {n: params.get(f"filter.{n}", "") for n in FILTERS}
        context["form"] = {"indicator": params.get("indicator", "")[:40], "by": by, "from": params.get("from", "")[:7],
                           "to": params.get("to", "")[:7], "filters": filters}  # fmt: skip
        try:
            asked = parse_query(params)
        except InputError as exc:
            context["error"], status = error_text(lang, exc), 422
    if freshness is not None:
        context["filters"] = _filter_choices(service, scope, lang)
        wanted = [asked] if asked else [Query(p.indicator, p.by) for p in VIEWS[audience]]
        if asked is not None:
            context["asked"] = query_address(asked)
        for query in wanted:
            try:
                table = service.table(Query(query.indicator, query.by, query.start, query.end, query.filters, scope))
            except InputError as exc:
                context["error"], status = error_text(lang, exc), 422
                continue
            if table is not None:
                context["panels"].append(make_panel(table, service.k, lang, query_address(query)))
    else:
        context["filters"] = [{"name": n, "label": dimension_label(n, lang), "values": []} for n in FILTERS]
    private = audience != "open"
    return render(request, "analytics/dashboard.html", context, status=status, signed_in=signed_in,
                  forms=audience == "ministry", private=private)  # fmt: skip


def _download(request: Request, scope: tuple[int, ...] | None, form: Format, stem: str) -> Response:
    service = _service(request)
    query = parse_query(request.query_params)
    table = service.table(Query(query.indicator, query.by, query.start, query.end, query.filters, scope))
    freshness = service.freshness()
    if table is None or freshness is None:
        raise NotFoundError("no analytics snapshot yet")
    name = "-".join([stem, query.indicator, *query.by])
    body: bytes | str
    if form == "csv":
        body = downloads.to_csv(table, freshness, service.k)
    else:
        body = downloads.to_parquet(table, freshness, service.k)
    headers = {"Content-Disposition": f'attachment; filename="{name}.{form}"'}
    return Response(body, media_type=_MEDIA[form], headers=headers)


# -- an issuer ------------------------------------------------------------------------------------------------


@router.get("/orgs/{slug}/analytics", response_class=HTMLResponse)
def issuer_dashboard(request: Request, access: MemberDep, signed_in: SignedInDep) -> Response:
    """The organisation's own figures."""
    base = f"/orgs/{quote(access.organisation)}/analytics"
    scope = (access.organisation_id,)
    name = access.name
    return _dashboard(request, "issuer", scope=scope, base=base, name=name, signed_in=signed_in)


@router.get("/orgs/{slug}/analytics/table.{form}")
def issuer_download(request: Request, access: MemberDep, form: Format) -> Response:
    return _download(request, (access.organisation_id,), form, access.organisation)


# -- a registry -----------------------------------------------------------------------------------------------


@router.get("/orgs/{slug}/registry/analytics", response_class=HTMLResponse)
def registry_dashboard(request: Request, access: OperatorDep, signed_in: SignedInDep) -> Response:
    """The figures of the organisations the registry accredits today."""
    scope = container(request).registry.accredited_organisations(access.organisation)
    base = f"/orgs/{quote(access.organisation)}/registry/analytics"
    return _dashboard(request, "registry", scope=scope, base=base, name=access.name, signed_in=signed_in)


@router.get("/orgs/{slug}/registry/analytics/table.{form}")
def registry_download(request: Request, access: OperatorDep, form: Format) -> Response:
    scope = container(request).registry.accredited_organisations(access.organisation)
    return _download(request, scope, form, f"{access.organisation}-registry")


# -- the ministry (instance administrators) -------------------------------------------------------------------


@router.get("/analytics", response_class=HTMLResponse)
def ministry_dashboard(request: Request, admin: AdminDep) -> Response:
    """The whole instance's figures."""
    return _dashboard(request, "ministry", scope=None, base="/analytics", signed_in=admin)


@router.get("/analytics/table.{form}")
def ministry_download(request: Request, _: AdminDep, form: Format) -> Response:
    return _download(request, None, form, "instance")


@router.post("/analytics/refresh", dependencies=[Depends(administrator), Depends(csrf_protect)])
def refresh(request: Request) -> Response:
    """Queue the refresh job (one waiting at a time); back to the dashboard, which says so."""
    container(request).jobs.defer(REFRESH_TASK, idempotency_key=REFRESH_TASK)
    return RedirectResponse("/analytics?done=queued", status_code=303)


# -- open data ------------------------------------------------------------------------------------------------


@router.get("/open-data", response_class=HTMLResponse, dependencies=[Depends(analytics_quota)])
def open_data(request: Request, signed_in: SignedInDep) -> Response:
    """Anyone's view of the whole instance."""
    return _dashboard(request, "open", scope=None, base="/open-data", signed_in=signed_in)


@router.get("/open-data/table.{form}", dependencies=[Depends(analytics_quota)])
def open_download(request: Request, form: Format) -> Response:
    response = _download(request, None, form, "open-data")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
