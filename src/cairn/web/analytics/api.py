"""The open-data API of policy analytics: public, cached, and limited per client network.

- ``GET /api/v1/analytics/indicators`` — every indicator: its id, label, kind, formula and the breakdowns it has;
- ``GET /api/v1/analytics/release`` — the differentially private open-data release of the newest snapshot
  (:mod:`cairn.services.analytics.release`: noisy counts with the privacy budget stated), for anyone to publish or
  for a registry to add up with other instances'; 404 when ``CAIRN_ANALYTICS_EPSILON`` is 0 or before a refresh;
- ``GET /api/v1/analytics/{indicator}?by=&by=&from=YYYY-MM&to=YYYY-MM&filter.NAME=VALUE`` — the indicator's table
  over the whole instance, released as every page releases it (cells about fewer than *k* people withheld, and
  those that would reveal them): the cells, the margins, the total, why each withheld cell is withheld, the
  snapshot the figures come from and *k*. 404 before the first snapshot; 422 for an unknown indicator, breakdown
  or filter.

Both answer ``Cache-Control: public, max-age=`` :data:`MAX_AGE` (a snapshot changes nightly) and count against
:data:`PER_MINUTE` requests a minute from one client network (shared by every process: 429 with Retry-After), as
the ``/open-data`` page and its downloads do. Routes are plain ``def``: DuckDB runs in the thread pool.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from cairn.bootstrap import Container
from cairn.errors import NotFoundError, TooManyAttemptsError
from cairn.services.accounts.limits import SharedLimiter, client_network
from cairn.services.analytics import downloads
from cairn.web.analytics.panels import query_json, read_query
from cairn.web.deps import client_address, container
from cairn.web.errors import answers_json

__all__ = ["MAX_AGE", "PER_MINUTE", "analytics_limiter", "analytics_quota", "api"]

api = APIRouter(dependencies=[Depends(answers_json)], tags=["open data"])
MAX_AGE: Final = 600
"""Seconds a shared cache may keep an answer."""
PER_MINUTE: Final = 60
"""Requests (API, open-data page and downloads together) one client network may make a minute."""


def analytics_limiter(container: Container) -> SharedLimiter:
    """The limiter :func:`create_app <cairn.web.app.create_app>` keeps in ``app.state.analytics_limiter``."""
    return SharedLimiter(
        container.database, name="open-data", limit=PER_MINUTE, window=timedelta(minutes=1), clock=container.clock
    )


def analytics_quota(request: Request) -> None:
    """A dependency: 429 once the caller's network has made :data:`PER_MINUTE` requests within a minute."""
    limiter: SharedLimiter = request.app.state.analytics_limiter
    wait = limiter.take(f"client:{client_network(client_address(request))}")
    if wait is not None:
        raise TooManyAttemptsError(wait)


_CACHE = {"Cache-Control": f"public, max-age={MAX_AGE}"}


@api.get(
    "/api/v1/analytics/indicators",
    summary="The indicators of the open data: formulas and breakdowns",
    dependencies=[Depends(analytics_quota)],
)
def indicators() -> Response:
    return JSONResponse({"indicators": downloads.indicator_list()}, headers=_CACHE)


@api.get(
    "/api/v1/analytics/release",
    summary="The differentially private open-data release (noisy counts, the privacy budget stated)",
    dependencies=[Depends(analytics_quota)],
)
def open_release(request: Request) -> Response:
    found = container(request).analytics.release()
    if found is None:
        raise NotFoundError("this instance publishes no differentially private release (CAIRN_ANALYTICS_EPSILON)")
    return JSONResponse(found, headers=_CACHE)


@api.get(
    "/api/v1/analytics/{indicator}",
    summary="One indicator's table, small cells withheld",
    dependencies=[Depends(analytics_quota)],
)
def indicator_table(request: Request, indicator: str) -> Response:
    """``by`` (up to twice), ``from`` and ``to`` (``YYYY-MM``), ``filter.NAME=VALUE``: see the indicators list."""
    service = container(request).analytics
    query = read_query(request.query_params, indicator=indicator)
    table = service.table(query)
    freshness = service.freshness()
    if table is None or freshness is None:
        raise NotFoundError("no analytics snapshot yet")
    body = downloads.table_json(table, freshness, service.k, dict(query_json(query)))
    return JSONResponse(body, headers=_CACHE)
