"""No request blocks the event loop.

While slow requests are answered (two job ads analysed, two wallet imports from a zip, two from a slow URL),
``/healthz`` still answers at once, on a real server on loopback. And no route's ``async def`` handler or
dependency may do blocking work: every one is on the short list below of those that only await non-blocking work
(reading the body, or handing the rest to a worker thread); a new one must be a plain ``def``, which FastAPI
runs in its thread pool, or be added here with the reason it does not block (docs/architecture.md).
"""

from __future__ import annotations

import dataclasses
import inspect
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant
from starlette.routing import Route

from cairn.bootstrap import Container, build
from cairn.errors import InputError
from cairn.services.accounts.service import AccountService
from cairn.settings import Settings
from cairn.skills.jobs import JobAdAnalysis
from cairn.store.database import Database
from cairn.web.app import create_app
from cairn.web.deps import CSRF_HEADER, SESSION_COOKIE
from tests.factories import FixedClock, fast_hasher, free_port, serve

EMAIL, PASSWORD = "learner@example.org", "correct horse battery"
FAST = fast_hasher()
SLOW = 1.5
"""Seconds each slow request takes; two are sent at once, so a loop they block stays blocked about 3 s."""
PROMPT = 1.0
"""Seconds within which /healthz must answer while they run."""


@dataclasses.dataclass
class Live:
    url: str
    container: Container
    session: str
    csrf: str


@pytest.fixture
def live(sqlite_database: Database, clock: FixedClock) -> Iterator[Live]:
    settings = Settings(database_url="sqlite://", secret_key="e" * 48, base_url="https://cairn.example")
    built = build(settings, clock=clock, database=sqlite_database)
    accounts = AccountService(sqlite_database, clock=clock, password_hasher=FAST)
    accounts.create_account(email=EMAIL, password=PASSWORD)
    session = accounts.sign_in(email=EMAIL, password=PASSWORD, client="127.0.0.1")
    container = dataclasses.replace(built, accounts=accounts)
    port = free_port()
    running = serve(create_app(container), port)
    try:
        yield Live(f"http://127.0.0.1:{port}", container, session.token, session.csrf_token)
    finally:
        running.stop()


def _unreachable(*_: Any) -> Any:
    raise InputError("the address did not answer in time")


# kind -> (the container's service, its method slowed down, what the stand-in then does, the request)
SLOW_REQUESTS: dict[str, tuple[str, str, Callable[..., Any], Callable[[httpx.Client], httpx.Response]]] = {
    "job ads": (
        "careers",
        "job_ad",
        lambda *_, **__: JobAdAnalysis(),
        lambda c: c.post("/api/v1/jobs/analyse", json={"text": "We need teamwork. " * 1000}),
    ),
    "wallet zip": (
        "wallet",
        "import_zip",
        _unreachable,
        lambda c: c.post("/wallet/import-export", files={"file": ("wallet.zip", b"PK\x05\x06" + bytes(18))}),
    ),
    "wallet url": (
        "wallet",
        "import_url",
        _unreachable,
        lambda c: c.post("/wallet/import", data={"url": "https://slow.example/credential.json"}),
    ),
}


ANSWERED = {"job ads": 200, "wallet zip": 400, "wallet url": 400}
"""What each slowed request answers once its stand-in is done (an analysis; the wallet's refusal in words)."""


@pytest.mark.parametrize("kind", sorted(SLOW_REQUESTS))
def test_healthz_answers_while_slow_requests_run(live: Live, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    service, method, then, send = SLOW_REQUESTS[kind]
    started = threading.Event()

    def slow(*args: Any, **kwargs: Any) -> Any:
        started.set()
        time.sleep(SLOW)  # blocking work: a long analysis, a zip of many credentials, a slow web server
        return then(*args, **kwargs)

    monkeypatch.setattr(getattr(live.container, service), method, slow)
    answers: list[tuple[int, float, float]] = []  # status, seconds taken, when it ended
    failures: list[BaseException] = []

    def request() -> None:
        headers = {CSRF_HEADER: live.csrf}
        cookies = {SESSION_COOKIE: live.session}
        # httpx gives up after 5 s by default; a loaded CI machine (two workers on two cores) can take longer than
        # that for a request that sleeps 1.5 s, and the test is about /healthz, not about these requests' speed
        with httpx.Client(base_url=live.url, cookies=cookies, headers=headers, timeout=60) as client:
            begun = time.monotonic()
            try:
                answer = send(client)
            except Exception as exc:  # reported below, with what it was
                failures.append(exc)
                return
            answers.append((answer.status_code, time.monotonic() - begun, time.monotonic()))

    threads = [threading.Thread(target=request, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    assert started.wait(10), "the slow request never reached its work"
    asked = time.monotonic()
    health = httpx.get(f"{live.url}/healthz", timeout=30)
    answered = time.monotonic()
    for thread in threads:
        thread.join(60)
    assert health.status_code == 200
    assert answered - asked < PROMPT, f"/healthz waited {answered - asked:.1f} s behind {kind}"
    assert not failures, [repr(failure) for failure in failures]
    assert len(answers) == 2
    assert [status for status, _, _ in answers] == [ANSWERED[kind]] * 2, answers
    assert all(taken >= SLOW for _, taken, _ in answers), answers  # they were slow enough to mean something
    assert answered < min(ended for _, _, ended in answers)  # and /healthz answered while they still ran


NON_BLOCKING: dict[str, str] = {
    # endpoints
    "cairn.web.openid4vci.api.pushed_authorization_request": "reads the form; the rest in run_in_threadpool",
    "cairn.web.openid4vci.api.token": "reads the form; the rest in run_in_threadpool",
    "cairn.web.openid4vci.api.credential": "reads the body; the rest in run_in_threadpool",
    "cairn.web.openid4vci.api.notification": "reads the body; the rest in run_in_threadpool",
    "cairn.web.openid4vci.api.deferred": "reads the body; the rest in run_in_threadpool",
    "cairn.web.openid4vp.api.response_endpoint": "reads the body; the rest in run_in_threadpool",
    "cairn.web.verification.vcapi.verify_credential": "verify_async: inline only for small did:key inputs",
    "cairn.web.verification.vcapi.verify_presentation": "verify_async: inline only for small did:key inputs",
    "cairn.web.verification.page.verify_page": "verify_async, fetches and database reads in run_in_threadpool",
    "cairn.web.verification.page.verify_report": "verify_async, fetches and database reads in run_in_threadpool",
    "cairn.web.verification.batch.batch_page": "the batch in run_in_threadpool",
    "cairn.web.verification.batch.batch_api": "the batch in run_in_threadpool",
    # dependencies
    "cairn.web.deps.csrf_protect": "reads the form",
    "cairn.web.errors.answers_json": "sets a flag on the request (a thread hop for that cost the API's every request)",
    "cairn.web.careers.pages.json_body": "reads the body (at most 64 KB)",
    "cairn.web.catalog.badges.closing_form": "closes the request's form",
    "cairn.web.catalog.badges._posted": "reads the form",
    "cairn.web.catalog.editor.posted_form": "reads the form",
    "cairn.web.issuing.bulk.upload_form": "reads and closes the form",
    "cairn.web.issuing.bulk.read_upload": "reads the uploaded file (UploadFile.read, off the loop)",
    "cairn.web.issuing.seal._posted": "reads the form",
}
"""Every ``async def`` route handler and dependency, with why it does not block the event loop."""


def async_callables(app: FastAPI) -> set[str]:
    """The ``module.qualname`` of every coroutine (or async generator) function that ``app``'s routes call: their
    endpoints and, for FastAPI's routes, every dependency they declare, however deep (not FastAPI's own: its
    OpenAPI document and documentation pages answer from memory)."""
    found: set[str] = set()

    def note(call: Any) -> None:
        if call is None:
            return
        target = call if inspect.isroutine(call) else type(call).__call__  # an instance: its __call__
        if str(getattr(call, "__module__", "")).startswith("fastapi."):
            return
        if inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target):
            found.add(f"{call.__module__}.{getattr(call, '__qualname__', type(call).__qualname__)}")

    def walk(dependant: Dependant) -> None:
        note(dependant.call)
        for inner in dependant.dependencies:
            walk(inner)

    def routes(listed: Sequence[Any]) -> None:
        for route in listed:
            included = getattr(route, "original_router", None)  # FastAPI 0.16x includes routers lazily
            if included is not None:
                context = getattr(route, "include_context", None)
                for depends in [*included.dependencies, *getattr(context, "dependencies", [])]:
                    walk(get_dependant(path="", call=depends.dependency))
                routes(included.routes)
            elif isinstance(dependant := getattr(route, "dependant", None), Dependant):
                walk(dependant)
            elif isinstance(route, Route):
                note(route.endpoint)

    routes(app.routes)
    return found


def test_every_async_handler_is_known_not_to_block(container: Container) -> None:
    found = async_callables(create_app(container))
    unexplained = sorted(found - set(NON_BLOCKING))
    assert unexplained == [], (
        "an async def route handler or dependency runs on the event loop, where sync database access, hashing, "
        "parsing or fetching blocks every other request: make it a plain def (FastAPI runs it in its thread pool) "
        "or hand the work to run_in_threadpool, and if it then only awaits, add it to NON_BLOCKING with why:\n"
        + "\n".join(unexplained)
    )
    assert sorted(set(NON_BLOCKING) - found) == [], "no longer async (or gone): take it off NON_BLOCKING"


def test_the_guard_sees_async_handlers_and_dependencies() -> None:
    app = FastAPI()

    async def needed() -> int:
        return 1

    @app.get("/a")
    async def handler() -> None: ...

    @app.get("/b")
    def plain(value: int = Depends(needed)) -> int:
        return value

    here = f"{__name__}.test_the_guard_sees_async_handlers_and_dependencies.<locals>"
    assert async_callables(app) == {f"{here}.handler", f"{here}.needed"}
