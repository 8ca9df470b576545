"""A federation of three real Cairn instances over HTTPS on loopback, and a hostile server in front of one of them.

A and B are registries (each its own SQLite database and public URL, served by uvicorn); C federates both. C's
database is the ``database`` fixture (SQLite, and PostgreSQL when configured). Everything C knows of A and B it
learns over HTTPS, as another instance would: their trust lists, their DID documents, their status lists. The
hostile server serves what a broken or malicious registry might, at a URL C is told to trust for A's DID.
"""

from __future__ import annotations

import dataclasses
import json
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cairn.bootstrap import Container, build
from cairn.model.awards import Recipient
from cairn.model.trust import LegalIdentity, Scope
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.vc.keys import KeyPair, KeyType
from cairn.web.app import create_app
from tests.factories import (
    DEFINITION,
    EXAMPLES,
    ORG,
    SECRET,
    RunningServer,
    ShiftedClock,
    accreditation_entry,
    add_organisation,
    free_port,
    loopback_tls,
    serve,
    sign_list,
    trust_list_document,
)

OTHER_SCHOOL = "zsz7-lodz"
"""A's accredited issuer (from the example catalogue)."""
STRANGER_KEY = KeyPair.from_secret(KeyType.ED25519, bytes([42] * 32))


@dataclass
class Instance:
    """One Cairn instance on loopback."""

    url: str
    container: Container
    running: RunningServer


@dataclass
class Federation:
    a: Instance
    b: Instance
    c: Instance
    clock: ShiftedClock
    tls: tuple[Path, Path, Path]

    def list_of(self, instance: Instance, registry: str) -> str:
        return f"{instance.url}/registries/{registry}/trust-list"


def _instance(
    database_url: str | None,
    clock: ShiftedClock,
    tls: tuple[Path, Path, Path],
    *,
    database: Database | None = None,
    **settings: Any,
) -> Instance:
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    config = Settings(
        database_url=database_url or "sqlite://",
        secret_key=SECRET,
        base_url=url,
        fetch_allow_private=True,
        registry_sync_minutes=0,
        **settings,
    )
    container = build(config, clock=clock, database=database, ssl_context=ssl.create_default_context(cafile=tls[0]))
    container.database.upgrade()
    container.catalog.import_paths([EXAMPLES])
    return Instance(url, container, serve(create_app(container), port, tls))


@pytest.fixture
def federation(database: Database, tmp_path: Path) -> Iterator[Federation]:
    """A: a ministry accrediting the vocational school. B: a ministry accrediting a quality agency as a body for
    ISCED-F 06, the agency accrediting the university for ISCED-F 061. C: federates nothing yet."""
    tls = loopback_tls(tmp_path / "tls")
    clock = ShiftedClock()
    a = _instance(f"sqlite:///{tmp_path / 'a.db'}", clock, tls)
    b = _instance(f"sqlite:///{tmp_path / 'b.db'}", clock, tls)
    c = _instance(None, clock, tls, database=database, registry_sync_timeout=2)
    try:
        for instance, slug, name in ((a, "ministry", "Ministry A"), (b, "ministry", "Ministry B"), (b, "agency", "QA")):
            add_organisation(instance.container.database, clock, slug, name)
        keys = a.container.keys
        a.container.registry.accredit(
            "ministry",
            actor="t",
            kind="issuer",
            subjects=[keys.did(OTHER_SCHOOL)],
            identity=LegalIdentity("ZSZ 7 Łódź", "PL"),
        )
        registry, keys = b.container.registry, b.container.keys
        registry.accredit(
            "ministry",
            actor="t",
            kind="body",
            subjects=[keys.did("agency")],
            identity=LegalIdentity("Quality Agency", "PL"),
            scope=Scope(isced=("06",)),
        )
        registry.accredit(
            "agency",
            actor="t",
            kind="issuer",
            subjects=[keys.did(ORG)],
            identity=LegalIdentity("Uniwersytet Mazowiecki", "PL"),
            scope=Scope(isced=("061",)),
        )
        clock.offset += timedelta(minutes=1)  # awards carry whole seconds: none in the second accreditation began
        yield Federation(a, b, c, clock, tls)
    finally:
        for instance in (a, b, c):
            instance.running.stop()
        for instance in (a, b):
            instance.container.database.dispose()


def _award(instance: Instance, organisation: str, definition: str, email: str) -> dict[str, Any]:
    container = instance.container
    result = container.issuing.award(
        definition, Recipient(email=email, name="Ann"), actor="t", organisation=organisation
    )
    credential = container.issuing.get(result.award_id, organisation=organisation).credential
    assert isinstance(credential, dict)
    return credential


def test_c_trusts_what_a_and_b_accredit_over_https_and_a_withdrawal_in_b_reaches_c(federation: Federation) -> None:
    a, b, c = federation.a, federation.b, federation.c
    service = c.container.federation
    ministry_b = b.container.keys.did("ministry")
    peer_a = service.add_peer(
        federation.list_of(a, "ministry"), a.container.keys.did("ministry"), "Registry A", actor="t"
    )
    peer_b = service.add_peer(federation.list_of(b, "ministry"), ministry_b, "Registry B", actor="t")
    from_b = _award(b, ORG, DEFINITION, "before@example.org")
    from_a = _award(a, OTHER_SCHOOL, "zsz7-mag-welding", "welder@example.org")
    assert c.container.verification.verify(from_b).vouched is False  # nothing federated yet

    results = service.sync_all(actor="test")
    assert [(r.outcome, r.entries) for r in results] == [("ok", 1), ("ok", 2)], [r.line() for r in results]

    report = c.container.verification.verify(from_b)
    assert report.verified, report.text()
    assert report.vouched is True
    chain = report.trust["chain"]
    assert [link["accredited_by"] for link in chain] == ["QA", "Registry B"]
    assert {link["registry"] for link in chain} == {federation.list_of(b, "ministry")}
    assert {link["registry_name"] for link in chain} == {"Registry B"}
    assert report.trust["anchor"] == {"did": ministry_b, "name": "Registry B"}
    assert c.container.verification.verify(from_a).vouched is True
    unaccredited = _award(b, "skillbridge-europe", "sb-cloud-applications", "cloud@example.org")
    assert c.container.verification.verify(unaccredited).vouched is False

    # the second sync asks with the ETag: 304, nothing fetched, nothing rebuilt
    again = service.sync(peer_b.id)
    assert (again.outcome, again.reason) == ("unchanged", "the list has not changed since the last sync")

    # B withdraws the university's accreditation; after C syncs, later awards are no longer vouched for
    federation.clock.offset += timedelta(days=1)
    agency = next(s for s in b.container.registry.accreditations("agency"))
    b.container.registry.change_status(
        "agency", agency.accreditation.id, status="withdrawn", reason="failed its review", actor="t"
    )
    federation.clock.offset += timedelta(days=1)
    after = _award(b, ORG, DEFINITION, "after@example.org")
    assert c.container.verification.verify(after).vouched is True  # C has not heard yet
    assert service.sync(peer_b.id).outcome == "ok"
    assert c.container.verification.verify(from_b).vouched is True  # awarded before the withdrawal
    late = c.container.verification.verify(after)
    assert late.verified
    assert late.vouched is False
    assert "withdrawn" in late.trust["reason"]
    assert "failed its review" in late.trust["reason"]
    assert service.peer(peer_a.id).state == "in use"


# -- a hostile server in front of A --------------------------------------------------------------------------------


class _Hostile(BaseHTTPRequestHandler):
    """Serves ``server.answer`` (bytes), or misbehaves as ``server.mode`` says: ``huge`` (50 MB, no length),
    ``slow`` (a byte every 100 ms)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        mode: str = self.server.mode  # type: ignore[attr-defined]
        answer: bytes = self.server.answer  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/vc+ld+json")
        self.send_header("Connection", "close")
        if mode == "plain":
            self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        try:
            if mode == "huge":
                chunk = b" " * 1_000_000
                for _ in range(50):
                    self.wfile.write(chunk)
            elif mode == "slow":
                for _ in range(100):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.1)
            else:
                self.wfile.write(answer)
        except OSError:
            return


@pytest.fixture
def hostile() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    httpd.daemon_threads = True
    httpd.mode = "plain"  # type: ignore[attr-defined]
    httpd.answer = b""  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _signed_by_a(federation: Federation, entries: list[dict[str, Any]], **dates: Any) -> bytes:
    """A list with A's ministry as issuer, signed with A's own key (as a compromised or buggy A would sign)."""
    a = federation.a
    now = federation.clock()
    signing = a.container.keys.ensure_key("ministry", suite="eddsa-jcs-2022")
    document = trust_list_document(
        a.container.keys.did("ministry"),
        entries,
        valid_from=dates.get("valid_from", now - timedelta(minutes=1)),
        valid_until=dates.get("valid_until", now + timedelta(days=7)),
        url=federation.list_of(a, "ministry"),
    )
    return sign_list(document, signing.key, verification_method=signing.verification_method)


def _genuine(federation: Federation) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(federation.a.container.registry.trust_list("ministry").body)
    return loaded


def _forged_by_another_key(f: Federation) -> tuple[str, bytes]:
    document = {k: v for k, v in _genuine(f).items() if k != "proof"}
    return "plain", sign_list(document, STRANGER_KEY)  # issuer A's DID, signed by a did:key


def _forged_claiming_as_key(f: Federation) -> tuple[str, bytes]:
    document = {k: v for k, v in _genuine(f).items() if k != "proof"}
    method = _genuine(f)["proof"]["verificationMethod"]
    return "plain", sign_list(document, STRANGER_KEY, verification_method=method)


def _expired(f: Federation) -> tuple[str, bytes]:
    now = f.clock()
    entries = _genuine(f)["credentialSubject"]["accreditations"]
    return "plain", _signed_by_a(f, entries, valid_from=now - timedelta(days=8), valid_until=now - timedelta(days=1))


def _unsigned(f: Federation) -> tuple[str, bytes]:
    return "plain", json.dumps({k: v for k, v in _genuine(f).items() if k != "proof"}).encode()


def _tampered(f: Federation) -> tuple[str, bytes]:
    document = _genuine(f)
    document["credentialSubject"]["accreditations"][0]["subjects"] = ["did:web:forged.example"]
    return "plain", json.dumps(document).encode()


def _huge(f: Federation) -> tuple[str, bytes]:
    return "huge", b""


def _slow(f: Federation) -> tuple[str, bytes]:
    return "slow", b""


BAD: list[tuple[Callable[[Federation], tuple[str, bytes]], str]] = [
    (_forged_by_another_key, "the list's signature does not hold: the key did:key:"),
    (_forged_claiming_as_key, "the list's signature does not hold: eddsa-jcs-2022: the signature does not verify"),
    (_expired, "the list expired at"),
    (_unsigned, "the list is not signed"),
    (_tampered, "the list's signature does not hold: eddsa-jcs-2022: the signature does not verify"),
    (_huge, "the list could not be fetched: the response is larger than 33554432 bytes"),
    (_slow, "timed out"),
]


@pytest.mark.slow  # the slow answer waits out the 2 s timeout
def test_every_bad_answer_is_refused_with_its_reason_and_the_last_good_list_stays(
    federation: Federation, hostile: ThreadingHTTPServer
) -> None:
    a, c = federation.a, federation.c
    service = c.container.federation
    url = f"http://127.0.0.1:{hostile.server_address[1]}/registries/ministry/trust-list"
    peer = service.add_peer(url, a.container.keys.did("ministry"), "Registry A (mirror)", actor="t")
    hostile.answer = federation.a.container.registry.trust_list("ministry").body  # type: ignore[attr-defined]
    assert service.sync(peer.id).outcome == "ok"
    credential = _award(a, OTHER_SCHOOL, "zsz7-mag-welding", "welder@example.org")
    assert c.container.verification.verify(credential).vouched is True
    for bad, reason in BAD:
        hostile.mode, hostile.answer = bad(federation)  # type: ignore[attr-defined]
        started = time.monotonic()
        result = service.sync(peer.id)
        assert result.refused, (bad.__name__, result.line())
        assert reason in result.reason, (bad.__name__, result.reason)
        assert result.kept
        status = service.peer(peer.id)
        assert (status.state, status.entries) == ("in use", 1), bad.__name__
        assert status.last_error is not None
        assert reason in status.last_error
        assert c.container.verification.verify(credential).vouched is True, bad.__name__
        assert time.monotonic() - started < 10, bad.__name__  # the slow answer is cut at the 2 s timeout


def test_loops_are_harmless_and_entries_outside_the_chain_are_dropped_and_counted(
    federation: Federation, hostile: ThreadingHTTPServer
) -> None:
    a, c = federation.a, federation.c
    ministry, school = a.container.keys.did("ministry"), a.container.keys.did(OTHER_SCHOOL)
    body_x, body_y, outsider = "did:web:x.example", "did:web:y.example", "did:web:outsider.example"
    entries = [
        accreditation_entry(ministry, body_x, kind="body"),
        accreditation_entry(body_x, body_y, kind="body"),
        accreditation_entry(body_y, body_x, kind="body"),  # a loop inside the chain
        accreditation_entry(body_y, school, name="ZSZ 7 Łódź"),
        accreditation_entry("did:web:p.example", "did:web:q.example", kind="body"),  # a loop outside it
        accreditation_entry("did:web:q.example", "did:web:p.example", kind="body"),
        accreditation_entry(outsider, c.container.keys.did(ORG), name="Forged University"),
    ]
    hostile.answer = _signed_by_a(federation, entries)  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{hostile.server_address[1]}/list"
    peer = c.container.federation.add_peer(url, ministry, "Registry A (mirror)", actor="t")
    result = c.container.federation.sync(peer.id)
    assert (result.outcome, result.entries, result.dropped) == ("ok", 4, 3)
    assert set(result.notes) == {
        "1 entry made by did:web:p.example, whom the list does not connect to the registry",
        "1 entry made by did:web:q.example, whom the list does not connect to the registry",
        "1 entry made by did:web:outsider.example, whom the list does not connect to the registry",
    }
    report = c.container.verification.verify(_award(a, OTHER_SCHOOL, "zsz7-mag-welding", "w@example.org"))
    assert report.vouched is True
    assert [link["accredited_by_did"] for link in report.trust["chain"]] == [body_y, body_x, ministry]
    assert c.container.trust.index().lookup(c.container.keys.did(ORG)) == ()


def test_a_private_address_is_refused_where_private_fetches_are_not_allowed(
    federation: Federation, database: Database
) -> None:
    a, c = federation.a, federation.c
    peer = c.container.federation.add_peer(
        federation.list_of(a, "ministry"), a.container.keys.did("ministry"), "Registry A", actor="t"
    )
    assert c.container.federation.sync(peer.id).outcome == "ok"
    strict_settings = dataclasses.replace(c.container.settings, fetch_allow_private=False)
    context = ssl.create_default_context(cafile=federation.tls[0])
    strict = build(strict_settings, clock=federation.clock, database=database, ssl_context=context)
    result = strict.federation.sync(peer.id)
    assert result.refused
    assert "the host '127.0.0.1' resolves to a non-public address (127.0.0.1)" in result.reason
    status = strict.federation.peer(peer.id)
    assert (status.state, status.entries) == ("in use", 1)
    credential = _award(a, OTHER_SCHOOL, "zsz7-mag-welding", "welder@example.org")
    assert c.container.verification.verify(credential).vouched is True
