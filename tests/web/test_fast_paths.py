"""The pure-ASGI middleware (security headers, body limits) and the VC-API verify route's inline path."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

import cairn.services.verification.service as verification_service
from cairn.bootstrap import build
from cairn.services.accounts.service import SCOPES
from cairn.settings import Settings
from cairn.vc.verification import verify
from cairn.web.app import SECURITY_HEADERS, _SecurityHeaders, create_app
from cairn.web.limits import BodyLimit
from tests.factories import FixedClock, did_key_credential, stored_release

TOKEN = "cairn_test_token_for_the_fast_paths_0123456789"
VC2 = "https://www.w3.org/ns/credentials/v2"


@pytest.fixture
def client(migrated_sqlite_url: str, examples: Path) -> Iterator[TestClient]:
    settings = Settings(database_url=migrated_sqlite_url, base_url="https://cairn.example", secret_key="s" * 48)
    container = build(settings, clock=FixedClock())
    container.catalog.import_paths([examples])
    container.accounts.install_token(organisation="uniwersytet-mazowiecki", name="t", scopes=list(SCOPES), token=TOKEN)
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client


def _assert_security_headers(response: Any) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get_list(name) == [value], (name, response.request.url)


@pytest.mark.parametrize(
    ("method", "path", "status", "kind"),
    [
        ("GET", "/", 200, "text/html"),
        ("GET", "/healthz", 200, "application/json"),
        ("HEAD", "/healthz", 200, None),
        ("GET", "/api/v1/micro-credentials", 200, "application/json"),
        ("GET", "/static/cairn.css", 200, "text/css"),
        ("GET", "/static/nope.css", 404, None),
        ("GET", "/micro-credentials/nope", 404, "text/html"),
        ("GET", "/api/v1/micro-credentials/nope", 404, "application/json"),
        ("POST", "/credentials/verify", 422, "application/json"),
        ("POST", "/credentials/status", 401, "application/json"),
        ("PUT", "/healthz", 405, None),
    ],
)
def test_security_headers_on_pages_json_static_and_errors(
    client: TestClient, method: str, path: str, status: int, kind: str | None
) -> None:
    response = client.request(method, path, json={} if method == "POST" else None)
    assert response.status_code == status, response.text
    if kind:
        assert response.headers["content-type"].startswith(kind)
    _assert_security_headers(response)


def _tiny_app(**limits: int) -> Starlette:
    async def echo(request: Request) -> Response:
        body = await request.body()
        return JSONResponse({"size": len(body)})

    async def framed(_: Request) -> Response:
        return PlainTextResponse("ok", headers={"X-Frame-Options": "SAMEORIGIN"})

    async def boom(_: Request) -> Response:
        raise RuntimeError("boom")

    routes = [
        Route("/echo", echo, methods=["POST"]),
        Route("/verify", echo, methods=["POST"]),  # a route that takes uploads (limits.UPLOAD_PATHS)
        Route("/framed", framed),
        Route("/boom", boom),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(_SecurityHeaders)
    app.add_middleware(BodyLimit, **limits)
    return app


def test_security_headers_keep_what_a_route_set_itself() -> None:
    with TestClient(_tiny_app()) as tiny:
        response = tiny.get("/framed")
    assert response.headers.get_list("X-Frame-Options") == ["SAMEORIGIN"]
    assert response.headers["Content-Security-Policy"] == SECURITY_HEADERS["Content-Security-Policy"]


def test_an_unexpected_error_still_propagates_through_the_middleware() -> None:
    with TestClient(_tiny_app()) as tiny, pytest.raises(RuntimeError, match="boom"):
        tiny.get("/boom")
    with TestClient(_tiny_app(), raise_server_exceptions=False) as tiny:
        assert tiny.get("/boom").status_code == 500


def test_body_limit_with_content_length() -> None:
    with TestClient(_tiny_app(max_body=100, max_upload=1000)) as tiny:
        assert tiny.post("/echo", content=b"x" * 100).json() == {"size": 100}
        refused = tiny.post("/echo", content=b"x" * 101)
        assert refused.status_code == 413
        assert refused.json() == {"ok": False, "error": "the request body is larger than 100 bytes", "status": 413}
        bogus = tiny.post("/echo", content=b"x", headers={"Content-Length": "-1"})
        assert bogus.status_code in (400, 413)  # the HTTP client or the limit refuses it; never read
        upload = tiny.post("/verify", files={"f": ("a.bin", b"y" * 500)})
        assert upload.status_code == 200  # uploads to a route that takes files may reach max_upload
        assert tiny.post("/verify", files={"f": ("a.bin", b"y" * 1000)}).status_code == 413
        elsewhere = tiny.post("/echo", files={"f": ("a.bin", b"y" * 500)})
        assert elsewhere.status_code == 413  # multipart anywhere else gets the ordinary limit


def test_body_limit_without_content_length() -> None:
    def chunks(total: int) -> Iterator[bytes]:
        for _ in range(total // 10):
            yield b"x" * 10

    with TestClient(_tiny_app(max_body=100)) as tiny:
        fits = tiny.post("/echo", content=chunks(100))
        assert fits.status_code == 200
        assert fits.json() == {"size": 100}
        refused = tiny.post("/echo", content=chunks(200))
        assert "content-length" not in {k.lower() for k in refused.request.headers}
        assert refused.status_code == 413
        assert refused.json()["status"] == 413


def test_the_app_refuses_a_streamed_oversized_verify_body(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"verifiableCredential": "'
        for _ in range(300):
            yield b"a" * 10_000
        yield b'"}'

    answer = client.post("/credentials/verify", content=chunks(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert answer.json()["status"] == 413


def test_an_offline_credential_is_verified_without_the_thread_pool(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_threads(*_: Any, **__: Any) -> Any:
        raise AssertionError("the thread pool was used")

    monkeypatch.setattr(verification_service, "_in_thread", no_threads)
    vc = did_key_credential()
    answer = client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["verified"] is True
    assert {"proof", "issuer-key", "well-formed", "validity"} <= set(body["checks_passed"])
    tampered = dict(vc, validFrom="2026-01-03T00:00:00Z")
    refused = client.post("/credentials/verify", json={"verifiableCredential": tampered})
    assert refused.status_code == 400
    assert refused.headers["content-type"] == "application/json"
    assert any(e["check"] == "proof" for e in refused.json()["errors"])
    _assert_security_headers(refused)


def test_a_verification_that_must_fetch_moves_to_the_thread_pool(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = client.post(
        "/suites/eddsa-jcs-2022/credentials/issue",
        json={"credential": {k: v for k, v in did_key_credential().items() if k not in ("issuer", "proof")}},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert issued.status_code == 201, issued.text
    vc = issued.json()["verifiableCredential"]
    assert vc["issuer"].startswith("did:web:")  # its key and status list must be fetched
    used = []
    real = verification_service._in_thread

    async def counting(*args: Any, **kwargs: Any) -> Any:
        used.append(args[0])
        return await real(*args, **kwargs)

    monkeypatch.setattr(verification_service, "_in_thread", counting)

    def try_inline(*_: Any) -> dict[str, Any]:  # try inline first: it must give up
        return {}

    monkeypatch.setattr(verification_service.VerificationService, "_may_be_offline", try_inline)
    answer = client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert answer.status_code == 200, answer.text
    assert answer.json()["verified"] is True
    assert [f.__name__ for f in used] == ["verify"]


def test_inline_verification_gives_up_instead_of_fetching() -> None:
    vc = did_key_credential(
        credentialStatus={
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "3",
            "statusListCredential": "https://x.example/s",
        }
    )
    inline = verification_service._NoFetching()
    verify(vc, now=datetime(2026, 2, 1, tzinfo=UTC), fetcher=inline)
    assert inline.wanted, "the status list was wanted: the route redoes this verification with the network"
    offline = verify(vc, now=datetime(2026, 2, 1, tzinfo=UTC))  # without a fetcher: a warning, not an error
    assert offline.verified
    assert json.dumps(offline.to_dict())


def test_a_served_app_loads_the_shapes_and_labels_before_the_first_request(
    migrated_sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cairn.vc.formats.elm_shacl as elm_shacl
    from cairn.skills.labels import shipped_labels

    settings = Settings(database_url=migrated_sqlite_url, secret_key="s" * 48)
    container = build(settings, clock=FixedClock())
    shipped_labels.cache_clear()
    called: list[str] = []
    real = elm_shacl.warm_up

    def counting() -> None:
        called.append("shapes")
        real()

    monkeypatch.setattr(elm_shacl, "warm_up", counting)
    with TestClient(create_app(container, warm_up=True)):
        assert called == ["shapes"]
        assert shipped_labels.cache_info().currsize == 1


def test_a_served_app_reads_the_stored_esco_release_at_start_in_a_thread(
    migrated_sqlite_url: str, tmp_path: Path
) -> None:
    """The first page naming a skill after a start does not wait for the stored release to be read (seconds for a
    full one): ``cairn serve`` reads it in a thread as it starts, and requests meanwhile wait for that one read."""
    settings = Settings(database_url=migrated_sqlite_url, secret_key="s" * 48)
    container = build(settings, clock=FixedClock())
    stored_release(container, tmp_path, {})
    container.esco._cache = None  # as a fresh process finds it
    with TestClient(create_app(container, warm_up=True)):
        reader = next((t for t in threading.enumerate() if t.name == "cairn-esco-read"), None)
        if reader is not None:
            reader.join(30)
        assert container.esco._cache is not None
        assert container.esco._cache[1] is container.esco.data()  # the one read is what pages get
    untouched = build(settings, clock=FixedClock())
    untouched.esco._cache = None
    with TestClient(create_app(untouched)):  # tests and embedded apps: no warm-up asked, nothing read
        assert untouched.esco._cache is None


@pytest.fixture
def served(migrated_sqlite_url: str, examples: Path) -> Iterator[tuple[TestClient, Any]]:
    settings = Settings(database_url=migrated_sqlite_url, base_url="https://cairn.example", secret_key="s" * 48)
    container = build(settings, clock=FixedClock())
    container.catalog.import_paths([examples])
    container.verification_counts.flush_seconds = 3600.0  # no commit of counts in the middle of a test
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        yield client, container


def _own_credential(container: Any) -> tuple[str, dict[str, Any]]:
    from cairn.model.awards import Recipient

    result = container.issuing.award(
        "um-sql-databases", Recipient(email="ada@example.org"), actor="test", organisation="uniwersytet-mazowiecki"
    )
    assert result.credential["issuer"]["id"].startswith("did:web:cairn.example:")
    assert result.credential["credentialStatus"]
    return result.award_id, result.credential


def _statuses(answer: Any) -> list[str]:
    return [c["outcome"] for c in answer.json()["checks"] if c["check"] == "status"]


def test_a_credential_of_this_instance_is_verified_inline_while_its_documents_are_kept(
    served: tuple[TestClient, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once its DID document and status lists are kept (read once, nothing committed since), a credential this
    instance issued is verified on the event loop without a single query; a revocation (a commit) sends the next
    verification to a thread, which reads the lists again and says revoked; the one after is inline again."""
    from sqlalchemy import event

    client, container = served
    award_id, vc = _own_credential(container)
    threads: list[str] = []
    real = verification_service._in_thread

    async def counting(*args: Any, **kwargs: Any) -> Any:
        threads.append("thread")
        return await real(*args, **kwargs)

    monkeypatch.setattr(verification_service, "_in_thread", counting)
    first = client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert first.status_code == 200, first.text
    assert threads == ["thread"]  # nothing kept yet; and it signed the lists, a commit: they are read once more
    assert client.post("/credentials/verify", json={"verifiableCredential": vc}).status_code == 200
    threads.clear()
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "status_list" in statement or "keys" in statement:
            statements.append(statement)

    event.listen(container.database.engine, "before_cursor_execute", record)
    try:
        again = client.post("/credentials/verify", json={"verifiableCredential": vc})
        assert again.status_code == 200, again.text
        assert _statuses(again) == ["pass", "pass"]
        assert threads == []  # inline
        assert statements == []  # and not one query
        container.status_lists.revoke(award_id, reason="issued in error", actor="t", organisation=vc_org(vc))
        revoked = client.post("/credentials/verify", json={"verifiableCredential": vc})
        assert revoked.status_code == 400, revoked.text
        assert "fail" in _statuses(revoked)
        assert threads == ["thread"]
        assert statements  # read again after the change (and the list signed again: one more commit)
        for _ in range(2):
            still = client.post("/credentials/verify", json={"verifiableCredential": vc})
            assert still.status_code == 400
            assert _statuses(still) == _statuses(revoked)
        statements.clear()
        threads.clear()
        inline = client.post("/credentials/verify", json={"verifiableCredential": vc})
        assert _statuses(inline) == _statuses(revoked)
        assert threads == []
        assert statements == []
    finally:
        event.remove(container.database.engine, "before_cursor_execute", record)


def vc_org(vc: dict[str, Any]) -> str:
    return str(vc["issuer"]["id"]).rsplit(":", 1)[-1]


def test_a_change_made_by_another_process_sends_the_next_verification_to_a_thread(
    served: tuple[TestClient, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cairn.store.database import Database

    client, container = served
    award_id, vc = _own_credential(container)
    for _ in range(2):
        assert client.post("/credentials/verify", json={"verifiableCredential": vc}).status_code == 200
    other_process = build(
        Settings(
            database_url=str(container.database.engine.url), base_url="https://cairn.example", secret_key="s" * 48
        ),
        clock=FixedClock(),
        database=Database(str(container.database.engine.url)),
    )
    other_process.status_lists.suspend(award_id, reason="review", actor="t", organisation=vc_org(vc))

    async def no_threads(*_: Any, **__: Any) -> Any:
        raise AssertionError("the thread pool was used")

    monkeypatch.setattr(verification_service, "_in_thread", no_threads)
    answer = client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert answer.status_code == 500  # it had to leave the event loop: the change was seen
    monkeypatch.undo()
    suspended = client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert suspended.status_code == 400, suspended.text
    assert _statuses(suspended) == ["pass", "fail"]
    other_process.database.dispose()


def test_a_composite_of_this_instance_is_checked_in_a_thread(
    served: tuple[TestClient, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The composite check reads the database: an inline attempt that reaches it gives up."""
    client, container = served
    _, vc = _own_credential(container)
    for _ in range(2):  # kept: the next one is tried inline
        assert client.post("/credentials/verify", json={"verifiableCredential": vc}).status_code == 200
    where: list[str] = []

    def composite_check(_credential: Any) -> None:
        where.append(threading.current_thread().name)

    monkeypatch.setattr(container.verification, "composites", composite_check)
    monkeypatch.setattr(verification_service, "_may_be_composite", lambda _credential: True)
    answer = client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert answer.status_code == 200, answer.text
    assert len(where) == 1
    assert where[0].startswith("asyncio_"), where  # a worker of asyncio.to_thread, not the event loop's portal
