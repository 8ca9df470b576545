"""The short way through for the VC-API's verify requests (cairn.web.verification.lane): it answers plain
requests in front of the framework, hands everything else on with its body, and never answers differently."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container, build
from cairn.settings import Settings
from cairn.web.app import SECURITY_HEADERS, create_app
from cairn.web.limits import MAX_BODY
from cairn.web.verification.lane import VerifyLane
from tests.factories import FixedClock, did_key_credential

VC2 = "https://www.w3.org/ns/credentials/v2"


class Lanes:
    """One application, asked through the lane (``client``) and with the lane off (``whole``); ``handed`` counts
    the requests the lane handed on to the whole application."""

    def __init__(self, container: Container) -> None:
        self.app = create_app(container)
        lane = self.app.lane
        assert isinstance(lane, VerifyLane)
        self.lane = lane
        self.handed = 0
        whole = lane.whole

        async def counting(scope: Any, receive: Any, send: Any) -> None:
            self.handed += 1
            await whole(scope, receive, send)

        lane.whole = counting
        self.client = TestClient(self.app, raise_server_exceptions=False)

    def both(self, path: str, **kwargs: Any) -> tuple[Any, Any]:
        """The answer through the lane, then the answer of the whole application to the same request."""
        through = self.client.post(path, **kwargs)
        self.app.lane = None
        try:
            whole = self.client.post(path, **kwargs)
        finally:
            self.app.lane = self.lane
        return through, whole


@pytest.fixture
def lanes(migrated_sqlite_url: str) -> Iterator[Lanes]:
    settings = Settings(database_url=migrated_sqlite_url, base_url="https://cairn.example", secret_key="s" * 48)
    lanes = Lanes(build(settings, clock=FixedClock(datetime(2026, 2, 1, tzinfo=UTC))))
    with lanes.client:
        yield lanes


def _same(through: Any, whole: Any) -> None:
    assert through.status_code == whole.status_code, (through.text, whole.text)
    assert through.content == whole.content
    assert sorted(through.headers.multi_items()) == sorted(whole.headers.multi_items())


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/credentials/verify", {"verifiableCredential": "credential"}, 200),
        ("/credentials/verify", {"verifiableCredential": "tampered"}, 400),
        ("/credentials/verify", {"verifiableCredential": "credential", "options": {"checks": ["proof"]}}, 200),
        ("/credentials/verify", {"verifiableCredential": "credential", "options": {"challenge": "c"}, "x": 1}, 200),
        ("/credentials/verify", {"verifiableCredential": "not a JWT"}, 400),
        ("/presentations/verify", {"verifiablePresentation": "not a JWT"}, 400),
        ("/presentations/verify", {"verifiablePresentation": {"type": ["VerifiablePresentation"]}}, 400),
    ],
)
def test_plain_requests_are_answered_in_front_as_the_route_answers_them(
    lanes: Lanes, path: str, body: dict[str, Any], status: int
) -> None:
    vc = did_key_credential()
    given = {"credential": vc, "tampered": dict(vc, validFrom="2026-01-03T00:00:00Z")}
    for name in ("verifiableCredential", "verifiablePresentation"):
        if isinstance(body.get(name), str):
            body = {**body, name: given.get(body[name], body[name])}
    through, whole = lanes.both(path, json=body)
    assert lanes.handed == 0, "a plain request went the whole way"
    _same(through, whole)
    assert through.status_code == status, through.text
    assert through.headers["content-type"] == "application/json"
    for name, value in SECURITY_HEADERS.items():
        assert through.headers.get_list(name) == [value]
    assert "cache-control" not in through.headers  # nobody said who asks: nothing personal


def test_an_answer_to_someone_who_says_who_they_are_is_not_kept(lanes: Lanes) -> None:
    through, whole = lanes.both(
        "/credentials/verify",
        json={"verifiableCredential": did_key_credential()},
        headers={"Authorization": "Bearer x"},
    )
    assert lanes.handed == 0
    _same(through, whole)
    assert through.headers.get_list("cache-control") == ["no-store"]


def _chunks() -> Iterator[bytes]:
    yield b'{"verifiableCredential": '
    yield b'"not a JWT"}'


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"content": b"{not json"}, 422),
        ({"content": b"[1, 2]"}, 422),
        ({"json": {"verifiableCredential": 7}}, 422),
        ({"json": {"options": {}}}, 422),
        ({"json": {"verifiableCredential": {}, "options": {"checks": ["no-such-check"]}}}, 400),
        ({"json": {"verifiableCredential": {}, "options": {"challenge": "c" * 501}}}, 422),
        ({"content": b'{"verifiableCredential": {"name": "\\ud800"}}'}, 400),
        ({"content": b" " * (MAX_BODY + 1)}, 413),
        ({"content": b'{"verifiableCredential": "x"}', "headers": {"Content-Type": "text/plain"}}, 422),
        ({"content": _chunks}, 400),
    ],
)
def test_anything_else_goes_the_whole_way_with_its_body(lanes: Lanes, kwargs: dict[str, Any], status: int) -> None:
    kwargs = {"headers": {"Content-Type": "application/json"}, **kwargs}
    if kwargs.get("content") is _chunks:  # sent in chunks, no declared length: a generator for each request
        through = lanes.client.post("/credentials/verify", content=_chunks(), headers=kwargs["headers"])
        lanes.app.lane = None
        whole = lanes.client.post("/credentials/verify", content=_chunks(), headers=kwargs["headers"])
        lanes.app.lane = lanes.lane
    else:
        through, whole = lanes.both("/credentials/verify", **kwargs)
    assert lanes.handed == 1, "handed on once"
    _same(through, whole)
    assert through.status_code == status, through.text
    if kwargs.get("content") is _chunks:  # read by the route: a report of a string that is not a JWT
        assert through.json()["verified"] is False
    else:
        assert through.json()["status"] == status  # the API's one error shape, JSON even for a body not JSON


def test_a_failure_inside_the_verification_is_answered_by_the_whole_way(
    lanes: Lanes, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(lanes.app.state.container.verification, "verify_async", broken)
    through, whole = lanes.both("/credentials/verify", json={"verifiableCredential": did_key_credential()})
    assert lanes.handed == 1
    _same(through, whole)
    assert through.status_code == 500
    assert "a bug" not in through.text


def test_other_methods_and_paths_never_take_the_lane() -> None:
    def scope(method: str, path: str, root_path: str = "") -> dict[str, Any]:
        return {"type": "http", "method": method, "path": path, "root_path": root_path, "headers": []}

    assert VerifyLane.takes(scope("POST", "/credentials/verify"))
    assert VerifyLane.takes(scope("POST", "/presentations/verify"))
    assert not VerifyLane.takes(scope("GET", "/credentials/verify"))
    assert not VerifyLane.takes(scope("POST", "/credentials/verify/"))
    assert not VerifyLane.takes(scope("POST", "/credentials/issue"))
    assert not VerifyLane.takes(scope("POST", "/credentials/verify", root_path="/cairn"))
    assert not VerifyLane.takes({"type": "websocket", "path": "/credentials/verify"})


def test_a_verification_through_the_lane_is_counted_once(lanes: Lanes) -> None:
    counts = lanes.app.state.container.verification_counts
    counts.flush()
    answer = lanes.client.post("/credentials/verify", json={"verifiableCredential": did_key_credential()})
    assert answer.status_code == 200
    assert lanes.handed == 0
    assert counts.pending() == 1
