"""The web application: pages for people, a JSON API, health; built from a :class:`~cairn.bootstrap.Container`."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from functools import partial
from importlib import resources
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import cairn
from cairn.bootstrap import Container, schedule_jobs
from cairn.errors import CairnError
from cairn.web import i18n
from cairn.web.accounts import access_log, mailbox
from cairn.web.accounts import pages as auth
from cairn.web.analytics import api as analytics_api
from cairn.web.analytics import pages as analytics_pages
from cairn.web.careers import pages as careers
from cairn.web.catalog import api, badges, coawards, cocreation, editor, pages
from cairn.web.catalog import elm as catalogue_elm
from cairn.web.deps import SESSION_COOKIE, AdminDep
from cairn.web.errors import error_body, install_error_handlers
from cairn.web.issuing import api as award_api
from cairn.web.issuing import awards, bulk_jobs, claiming, renewal, seal
from cairn.web.limits import MAX_BODY, BodyLimit
from cairn.web.openid4vci import api as openid4vci_api
from cairn.web.openid4vci import authorize as openid4vci_authorize
from cairn.web.openid4vci import pages as openid4vci_pages
from cairn.web.openid4vp import api as openid4vp_api
from cairn.web.openid4vp import pages as openid4vp_pages
from cairn.web.openid4vp import wallet_pages as openid4vp_wallet
from cairn.web.pathways import api as pathway_api
from cairn.web.pathways import issuer as pathway_issuer
from cairn.web.pathways import pages as pathway_pages
from cairn.web.recognition import api as recognition_api
from cairn.web.recognition import applicants as recognition_applicants
from cairn.web.recognition import employers as recognition_employers
from cairn.web.recognition import employers_api as recognition_employers_api
from cairn.web.recognition import pages as recognition_pages
from cairn.web.recognition import review as recognition_review
from cairn.web.trust import ebsi as tir
from cairn.web.trust import federation as trust_federation
from cairn.web.trust import publication
from cairn.web.trust import registry as registry_pages
from cairn.web.verification import batch as verify_batch
from cairn.web.verification import page as verify_page
from cairn.web.verification import vcapi
from cairn.web.verification.lane import VerifyLane
from cairn.web.wallet import pages as wallet
from cairn.web.wallet import receive as wallet_receive
from cairn.web.wallet import share
from cairn.web.wallet import statistics as wallet_statistics

__all__ = ["CairnApp", "create_app"]

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


_SECURITY_PAIRS = tuple(
    (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS.items()
)


HSTS = "max-age=31536000; includeSubDomains"
"""``Strict-Transport-Security``, sent when the instance's public URL is https."""
_SESSION_COOKIE = SESSION_COOKIE.encode("latin-1")
_SHARED_PATHS = ("/static/", "/favicon.ico", "/images/")
"""Answers the same for everyone, whoever asks: the static files and the content-addressed images (an image's
address is its SHA-256, so it is ``immutable`` and a cache may keep it)."""


def _personal(scope: Scope) -> bool:
    """Whether the request carries who is asking (an ``Authorization`` header or the session cookie), so that
    its answer may be personal; answers under /static are the same for everyone."""
    path = str(scope.get("path", ""))
    if path.startswith(_SHARED_PATHS):
        return False
    for name, value in scope.get("headers") or ():
        if name == b"authorization" or (name == b"cookie" and _SESSION_COOKIE + b"=" in value):
            return True
    return False


def _security_pairs(hsts: bool) -> tuple[tuple[bytes, bytes], ...]:
    return _SECURITY_PAIRS + ((b"strict-transport-security", HSTS.encode("latin-1")),) * hsts


def _with_security_headers(
    scope: Scope, headers: list[tuple[bytes, bytes]], *, pairs: tuple[tuple[bytes, bytes], ...]
) -> list[tuple[bytes, bytes]]:
    """``headers`` of an answer to ``scope`` with the security headers ``pairs`` (and ``no-store``) added."""
    if _personal(scope):
        headers = [(n, v) for n, v in headers if n.lower() != b"cache-control"]
        headers.append((b"cache-control", b"no-store"))
    present = {name.lower() for name, _ in headers}
    headers.extend(pair for pair in pairs if pair[0] not in present)
    return headers


class _SecurityHeaders:
    """Pure ASGI middleware adding :data:`SECURITY_HEADERS` to every HTTP response that does not set them itself,
    ``Strict-Transport-Security`` when ``hsts``, and ``Cache-Control: no-store`` (in place of any other) to every
    answer to a request that says who is asking: nothing personal is kept by browsers or shared caches.

    (Starlette's ``BaseHTTPMiddleware`` would run each request in an extra task with memory streams: slow.)
    """

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.finish = partial(_with_security_headers, pairs=_security_pairs(hsts))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": self.finish(scope, list(message.get("headers") or ()))}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CairnApp(FastAPI):
    """The application, with the VC-API's verify requests answered in front of it when they are plain
    (:class:`~cairn.web.verification.lane.VerifyLane`: the same answer, without the framework's layers)."""

    lane: VerifyLane | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lane = self.lane
        if lane is not None and VerifyLane.takes(scope):
            await lane(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def whole(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The whole application, every layer (what :attr:`lane` hands on)."""
        await super().__call__(scope, receive, send)


log = logging.getLogger("cairn.web")


def _warm_up() -> None:
    from cairn.skills.labels import shipped_labels
    from cairn.vc.formats.elm_shacl import warm_up as warm_up_shapes

    started = time.perf_counter()
    warm_up_shapes()
    shipped_labels()
    log.info("warmed up in %.1f s (EDC shapes, ESCO labels)", time.perf_counter() - started)


def _read_stored_esco(container: Container) -> None:
    """Read the stored ESCO release into its cache, so that the first page naming a skill does not wait for it
    (about 4 s for a full release); requests arriving meanwhile wait for this one read, as they would for theirs."""
    started = time.perf_counter()
    try:
        container.esco.data()
    except Exception:  # an unmigrated or unreachable database: the first page that needs the labels says so
        log.warning("the stored ESCO release was not read at start-up", exc_info=True)
        return
    log.info("read the stored ESCO release in %.1f s", time.perf_counter() - started)


_API_DOCS = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cairn API</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/swagger-ui/swagger-ui.css?v={version}">
</head>
<body>
<main id="swagger-ui" data-openapi-url="/openapi.json"></main>
<script src="/static/swagger-ui/swagger-ui-bundle.js?v={version}"></script>
<script src="/static/swagger-ui/init.js?v={version}"></script>
</body>
</html>
"""
"""The API documentation page: Swagger UI from the package (``static/swagger-ui``, Apache-2.0, its licence beside
it), started by a script file, so it works offline under Cairn's strict Content-Security-Policy."""


def _site_routes(app: FastAPI, *, static: Any) -> None:
    """``/api/docs`` (Swagger UI, vendored) and ``/favicon.ico``."""
    page = _API_DOCS.format(version=cairn.__version__)
    icon = str(static / "favicon.ico")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(icon, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"})


def create_app(
    container: Container,
    *,
    build_skills_index: bool = False,
    warm_up: bool = False,
    examples: Mapping[str, str] | None = None,
    demo: bool = False,
) -> CairnApp:
    """A FastAPI application serving ``container``'s instance.

    ``build_skills_index`` (``cairn serve``): at start-up, open the full skill suggestion index or build it in
    a background thread (suggestions match English words only until it is ready). ``warm_up`` (``cairn serve``):
    load what the first verification or skills page would otherwise load (the EDC shapes, the ESCO labels)
    before answering, so no first request pays for it. Queued jobs (bulk awards, emails, purges, the syncs of federated
    registries' trust lists) run in a thread of this process on SQLite, and on PostgreSQL when ``CAIRN_SERVE_WORKER``
    is set (else in ``cairn worker``).
    ``examples`` (``cairn serve --demo``): credentials the verify page offers to try, by name (see
    :mod:`cairn.services.demo.setup`). ``demo`` (``cairn serve --demo``): the instance is a demo, so its emails can be
    read at ``/demo/mailbox`` (see :mod:`cairn.web.accounts.mailbox`); nowhere else does that page exist."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        # queued jobs (bulk awards, emails, purges, registry syncs): on SQLite always in a thread of this process (the
        # queue lives in its memory); on PostgreSQL in `cairn worker` processes, here too if CAIRN_SERVE_WORKER is set
        worker = None
        if not container.jobs.persistent or container.settings.serve_worker:
            schedule_jobs(container)
            worker = container.jobs.start_thread(stop)
        # the trust index (every accreditation this instance knows, federated lists included) is built before the
        # first request, in a thread: with 100,000 entries that takes a second or two a request should not wait
        try:
            await asyncio.to_thread(container.trust.index)
        except CairnError as exc:  # an unmigrated database: pages say so; the index is built on first use
            log.warning("the trust index was not built at start-up: %s", exc.message)
        container.verification_counts.start()  # written every few seconds, and once more below
        if build_skills_index:
            container.careers.start_background_build()
        if warm_up:
            _warm_up()
            threading.Thread(target=_read_stored_esco, args=(container,), name="cairn-esco-read", daemon=True).start()
        try:
            yield
        finally:
            stop.set()
            if worker is not None:
                worker.join(timeout=10)
            container.verification_counts.stop()
            container.jobs.close()

    app = CairnApp(
        lifespan=lifespan,
        title="Cairn",
        version=cairn.__version__,
        description="Open infrastructure for EU micro-credentials: catalogue, issuing, wallet and verification.",
        docs_url=None,  # served below from the vendored Swagger UI: the CDN FastAPI uses is blocked by the CSP
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.container = container
    app.state.default_language = container.settings.default_language
    app.state.examples = dict(examples or {})
    app.state.demo = demo
    app.state.job_ad_limiter = careers.job_ad_limiter(container)
    app.state.analytics_limiter = analytics_api.analytics_limiter(container)
    package = resources.files("cairn.web")
    app.state.templates = i18n.make_templates(version=cairn.__version__, languages=pages.LANGUAGES)
    badges.install(app.state.templates, container)
    app.mount("/static", StaticFiles(directory=str(package / "static")), name="static")
    hsts = container.settings.public_url.startswith("https://")
    app.add_middleware(_SecurityHeaders, hsts=hsts)
    access_log.install()
    app.add_middleware(BodyLimit, max_upload=container.settings.max_upload_bytes)
    finish = partial(_with_security_headers, pairs=_security_pairs(hsts))
    app.lane = VerifyLane(app, app.whole, max_body=MAX_BODY, finish_headers=finish)
    install_error_handlers(app)
    _site_routes(app, static=package / "static")

    @app.head("/healthz", include_in_schema=False)
    @app.get("/healthz", tags=["health"], summary="Liveness and database health: ok or not, nothing more")
    def healthz() -> Response:
        if not container.database.ping():
            return JSONResponse(error_body(503, "the database does not answer"), status_code=503)
        return JSONResponse({"ok": True})

    @app.get("/admin/health", tags=["health"], summary="Version, database kind and schema (administrators)")
    def admin_health(_: AdminDep) -> Response:
        database = container.database
        body: dict[str, Any] = {"ok": database.ping(), "version": cairn.__version__, "database": database.dialect}
        body["schema"] = "current" if database.is_current() else "needs 'cairn db upgrade'"
        return JSONResponse(body)

    # First: routes are matched in order, and POST /credentials/verify is the hot path (issue 6).
    app.include_router(vcapi.router)
    app.include_router(openid4vci_api.router)
    app.include_router(openid4vp_api.router)
    app.include_router(openid4vp_api.api)
    app.include_router(editor.api)
    app.include_router(careers.api)
    app.include_router(verify_batch.api)
    app.include_router(analytics_api.api)
    app.include_router(api.router)
    app.include_router(award_api.router)
    app.include_router(pathway_api.router)
    app.include_router(recognition_api.router)
    app.include_router(recognition_employers_api.router)
    app.include_router(publication.api)
    app.include_router(publication.router)
    app.include_router(tir.router)
    app.include_router(auth.router)
    app.include_router(badges.router)
    app.include_router(mailbox.router)
    app.include_router(editor.router)
    app.include_router(pathway_issuer.router)
    app.include_router(openid4vp_pages.router)
    app.include_router(recognition_employers.router)  # before the review's /orgs/{slug}/recognition/{application}
    app.include_router(recognition_review.router)
    app.include_router(coawards.router)
    app.include_router(cocreation.router)
    app.include_router(seal.router)
    app.include_router(catalogue_elm.router)
    app.include_router(bulk_jobs.router)
    app.include_router(awards.router)
    app.include_router(claiming.router)
    app.include_router(renewal.router)
    app.include_router(analytics_pages.router)  # before the registry's /orgs/{slug}/registry/... pages
    app.include_router(registry_pages.router)
    app.include_router(careers.router)  # before any /wallet/{id} route: it serves /wallet/skills, /wallet/occupations
    app.include_router(share.router)  # before any /wallet/{id} route: it serves /wallet/profile
    app.include_router(wallet_statistics.router)  # before any /wallet/{id} route
    app.include_router(pathway_pages.router)  # before any /wallet/{id} route: it serves /wallet/pathways
    app.include_router(recognition_pages.router)  # before any /wallet/{id} route: it serves /wallet/recognition
    app.include_router(recognition_applicants.router)
    app.include_router(openid4vci_pages.router)
    app.include_router(openid4vp_wallet.router)  # before any /wallet/{id} route
    app.include_router(openid4vci_authorize.router)
    app.include_router(wallet_receive.router)  # before /wallet/{id}
    app.include_router(wallet.router)
    app.include_router(verify_batch.router)
    app.include_router(verify_page.router)
    app.include_router(trust_federation.router)
    app.include_router(pages.router)
    return app
