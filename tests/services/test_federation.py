"""Federation: peers' signed trust lists are checked whole, their subtrees merged, and a bad list changes nothing.

The peers here are registries known by a did:key (their key needs no fetch) whose lists a stub serves; the real
HTTP path, with did:web registries on three loopback instances, is in test_federation_loopback.py.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cairn.bootstrap import Container
from cairn.errors import ConflictError, FetchError, InputError, NotFoundError
from cairn.model.awards import Recipient
from cairn.model.trust import Accreditation, LegalIdentity
from cairn.services.trust.federation import FederationService, SyncResult, accept_entries
from cairn.services.trust.network import RegistryInfo, build_index
from cairn.store.database import Database
from cairn.vc.dids import did_key
from cairn.vc.fetch import Response
from cairn.vc.keys import KeyPair, KeyType
from tests.factories import (
    DEFINITION,
    ORG,
    FixedClock,
    accreditation_entry,
    add_organisation,
    make_container,
    sign_list,
    trust_list_document,
)
from tests.helpers import audit

REGISTRY_KEY = KeyPair.from_secret(KeyType.ED25519, bytes([7] * 32))
REGISTRY = did_key(REGISTRY_KEY.public)
"""A ministry elsewhere: the peer's DID."""
AGENCY = did_key(KeyPair.from_secret(KeyType.ED25519, bytes([8] * 32)).public)
STRANGER_KEY = KeyPair.from_secret(KeyType.ED25519, bytes([9] * 32))
STRANGER = did_key(STRANGER_KEY.public)
URL = "https://ministry.example/registries/ministry/trust-list"


@dataclass
class Served:
    """A registry's server, stubbed: answers with ``body`` (and ``etag``), 304 for the current ETag, or an error."""

    body: bytes = b""
    etag: str | None = None
    error: str | None = None
    calls: list[tuple[str, str | None, int, float]] = field(default_factory=list)

    def __call__(self, url: str, *, etag: str | None, max_bytes: int, timeout: float) -> Response:
        self.calls.append((url, etag, max_bytes, timeout))
        if self.error:
            raise FetchError(self.error)
        if etag is not None and etag == self.etag:
            return Response(url, b"", None, status=304, etag=etag)
        return Response(url, self.body, "application/vc+ld+json", etag=self.etag)


@dataclass
class Peer:
    """This instance, a stub-served peer registry and the federation service between them."""

    container: Container
    served: Served
    federation: FederationService
    peer_id: int
    clock: FixedClock
    entries: list[dict[str, Any]]

    def serve(self, entries: list[dict[str, Any]] | None = None, **changes: Any) -> dict[str, Any]:
        """Publish a new list (signed by the registry's key unless ``key`` is given) and return its document."""
        now = self.clock()
        document = trust_list_document(
            REGISTRY,
            self.entries if entries is None else entries,
            valid_from=changes.pop("valid_from", now - timedelta(hours=1)),
            valid_until=changes.pop("valid_until", now + timedelta(days=7)),
            url=URL,
        )
        key = changes.pop("key", REGISTRY_KEY)
        edit: Callable[[dict[str, Any]], None] | None = changes.pop("edit", None)
        if edit is not None:
            edit(document)
        self.served.body = sign_list(document, key)
        self.served.etag = f'"{len(self.served.body)}-{now.timestamp()}"'
        return document


def award(container: Container, email: str = "ann@example.org") -> dict[str, Any]:
    result = container.issuing.award(DEFINITION, Recipient(email=email, name="Ann"), actor="test", organisation=ORG)
    credential = container.issuing.get(result.award_id, organisation=ORG).credential
    assert isinstance(credential, dict)
    return credential


def held(federation: FederationService, peer_id: int) -> tuple[str, int]:
    status = federation.peer(peer_id)
    return status.state, status.entries


@pytest.fixture
def peer(database: Database, clock: FixedClock, examples: Path) -> Peer:
    """The registry accredits the agency as a body for ISCED-F 06; the agency accredits this instance's
    university for ISCED-F 061. Added as a peer, not yet synced."""
    container = make_container(database, clock, examples)
    served = Served()
    federation = FederationService(
        database,
        clock=clock,
        network=container.trust,
        verification=container.verification,
        fetch_list=served,
        max_list_bytes=5_000_000,
        timeout=7.0,
    )
    university = container.keys.did(ORG)
    entries = [
        accreditation_entry(REGISTRY, AGENCY, kind="body", name="Quality Agency", isced=["06"]),
        accreditation_entry(AGENCY, university, name="Uniwersytet Mazowiecki", isced=["061"]),
    ]
    added = federation.add_peer(URL, REGISTRY, "Ministry of Science", actor="test")
    result = Peer(container, served, federation, added.id, clock, entries)
    result.serve()
    return result


def test_a_peers_list_vouches_for_its_subtree_with_the_chain_naming_the_registry(peer: Peer) -> None:
    credential = award(peer.container)
    assert peer.container.verification.verify(credential).vouched is False  # not before the sync
    result = peer.federation.sync(peer.peer_id, actor="test")
    assert (result.outcome, result.entries, result.dropped) == ("ok", 2, 0)
    assert result.line() == f"#{peer.peer_id} Ministry of Science ({URL}): ok, 2 entries"
    assert peer.served.calls[0] == (URL, None, 5_000_000, 7.0)
    report = peer.container.verification.verify(credential)
    assert report.vouched is True, report.text()
    chain = report.trust["chain"]
    assert [link["accredited_by_did"] for link in chain] == [AGENCY, REGISTRY]
    assert {link["registry_name"] for link in chain} == {"Ministry of Science"}
    assert report.trust["anchor"] == {"did": REGISTRY, "name": "Ministry of Science"}
    status = peer.federation.peer(peer.peer_id)
    assert (status.state, status.entries, status.last_error) == ("in use", 2, None)
    assert status.expires_at == peer.clock() + timedelta(days=7)
    [entry] = audit(peer.container.database, "registry.peer.sync")
    assert entry.details == {"url": URL, "entries": 2, "dropped": 0}


def test_the_second_sync_asks_with_the_etag_and_an_unchanged_list_is_not_fetched_again(peer: Peer) -> None:
    assert peer.federation.sync(peer.peer_id).outcome == "ok"
    second = peer.federation.sync(peer.peer_id)
    assert second.outcome == "unchanged"
    assert peer.served.calls[1][1] == peer.served.etag
    assert held(peer.federation, peer.peer_id) == ("in use", 2)
    peer.clock.advance(hours=1)
    peer.serve()  # signed again (another ETag), the same accreditations: nothing to merge, a later expiry kept
    resigned = peer.federation.sync(peer.peer_id)
    assert (resigned.outcome, resigned.reason) == (
        "unchanged",
        "the list was signed again, but its accreditations have not changed",
    )
    assert peer.federation.peer(peer.peer_id).expires_at == peer.clock() + timedelta(days=7)
    assert len(audit(peer.container.database, "registry.peer.sync")) == 1  # only the list that changed trust


def _forged(p: Peer) -> None:
    p.serve(key=STRANGER_KEY)  # issuer: the registry's DID; key: someone else's did:key


def _unsigned(p: Peer) -> None:
    p.served.body = p.served.body.replace(b',"proof":', b',"proofless":')
    p.served.etag = '"unsigned"'


def _tampered(p: Peer) -> None:
    widened = p.served.body.replace(b'"isced":["061"]', b'"isced":["06"]')  # the university's scope, after signing
    assert widened != p.served.body
    p.served.body, p.served.etag = widened, '"tampered"'


def _expired(p: Peer) -> None:
    p.serve(valid_from=p.clock() - timedelta(days=8), valid_until=p.clock() - timedelta(days=1))


def _future(p: Peer) -> None:
    p.serve(valid_from=p.clock() + timedelta(days=1))


def _another_issuer(p: Peer) -> None:
    p.serve(edit=lambda d: d.update(issuer={"id": STRANGER, "name": "Ministry of Science"}), key=STRANGER_KEY)


def _not_json(p: Peer) -> None:
    p.served.body, p.served.etag = b"<html>maintenance</html>", '"html"'


def _duplicate_members(p: Peer) -> None:
    # a second "type" before the signed one: a parser keeping the first would read another document than signed
    p.served.body, p.served.etag = b'{"type":["TrustList"],' + p.served.body[1:], '"dup"'


def _not_a_list(p: Peer) -> None:
    p.serve(edit=lambda d: d.update(type=["VerifiableCredential", "OpenBadgeCredential"]))


def _unreachable(p: Peer) -> None:
    p.served.error = "cannot connect to 'ministry.example'"


def _an_older_list(p: Peer) -> None:
    p.serve(valid_from=p.clock() - timedelta(days=2))  # signed well, but older than the one held


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (_forged, "the list's signature does not hold: the key did:key:"),
        (_unsigned, "the list is not signed"),
        (_tampered, "the list's signature does not hold: eddsa-jcs-2022: the signature does not verify"),
        (_expired, "the list expired at"),
        (_future, "which is still to come"),
        (_another_issuer, f"the list's issuer is {STRANGER}, not the registry's DID {REGISTRY}"),
        (_not_json, "the answer is not valid JSON"),
        (_duplicate_members, "the answer is not valid JSON: duplicate member 'type'"),
        (_not_a_list, "not a trust list"),
        (_unreachable, "the list could not be fetched: cannot connect to 'ministry.example'"),
        (_an_older_list, "before the one already held"),
    ],
)
def test_a_bad_list_is_refused_with_the_reason_and_the_last_good_list_stays(
    peer: Peer, bad: Callable[[Peer], None], reason: str
) -> None:
    assert peer.federation.sync(peer.peer_id).outcome == "ok"
    credential = award(peer.container)
    peer.clock.advance(hours=1)
    bad(peer)
    result = peer.federation.sync(peer.peer_id)
    assert result.refused
    assert reason in result.reason
    assert result.kept
    assert result.line().endswith(f"{result.reason} (its last good list stays in use until it expires)")
    status = peer.federation.peer(peer.peer_id)
    assert (status.state, status.entries) == ("in use", 2)
    assert status.last_error is not None
    assert reason in status.last_error
    assert peer.container.verification.verify(credential).vouched is True
    peer.served.error = None
    peer.serve()
    assert peer.federation.sync(peer.peer_id).outcome == "unchanged"  # the same entries, well signed: no error
    assert peer.federation.peer(peer.peer_id).last_error is None


def test_a_refused_first_list_merges_nothing(peer: Peer) -> None:
    _forged(peer)
    assert peer.federation.sync(peer.peer_id).refused
    assert held(peer.federation, peer.peer_id) == ("none", 0)
    assert peer.container.verification.verify(award(peer.container)).vouched is False


def test_entries_outside_the_registrys_chain_are_dropped_and_counted(peer: Peer) -> None:
    university = peer.container.keys.did(ORG)
    loop_a, loop_b = did_key(KeyPair.from_secret(KeyType.ED25519, bytes([10] * 32)).public), AGENCY
    entries = [
        *peer.entries,
        accreditation_entry(AGENCY, loop_a, kind="body"),  # a loop inside the chain: harmless, kept
        accreditation_entry(loop_a, loop_b, kind="body"),
        accreditation_entry(STRANGER, university, name="Forged University"),  # made by someone outside
        accreditation_entry(STRANGER, STRANGER, kind="body"),
        {"id": "urn:x", "kind": "emperor", "subjects": ["did:key:z"]},  # unreadable
        accreditation_entry(REGISTRY, "did:key:z6Mkdup", ident="urn:dup"),
        accreditation_entry(REGISTRY, "did:key:z6Mkdup2", ident="urn:dup"),
    ]
    peer.serve(entries)
    result = peer.federation.sync(peer.peer_id)
    assert (result.outcome, result.entries, result.dropped) == ("ok", 4, 5)
    assert f"2 entries made by {STRANGER}, whom the list does not connect to the registry" in result.notes
    assert "1 entry cannot be read (unknown kind 'emperor')" in result.notes
    assert any(note.startswith("2 entries share an id") for note in result.notes)
    assert "5 dropped" in result.line()
    index = peer.container.trust.index()
    assert [a.identity.legal_name for a in index.lookup(university)] == ["Uniwersytet Mazowiecki"]
    assert index.lookup("did:key:z6Mkdup") == ()
    report = peer.container.verification.verify(award(peer.container))
    assert report.vouched is True  # the loop does not stop the walk from finding the registry


def test_accept_entries_follows_bodies_transitively_and_not_issuers() -> None:
    deep = [accreditation_entry(REGISTRY, "did:key:b1", kind="body")]
    deep += [accreditation_entry(f"did:key:b{i}", f"did:key:b{i + 1}", kind="body") for i in range(1, 10)]
    deep += [
        accreditation_entry("did:key:b10", "did:key:issuer"),
        accreditation_entry("did:key:issuer", "did:key:other"),  # an issuer may not accredit: not in the chain
    ]
    kept, dropped, notes = accept_entries(deep, REGISTRY)
    assert (len(kept), dropped) == (11, 1)
    assert notes == ("1 entry made by did:key:issuer, whom the list does not connect to the registry",)
    assert accept_entries([], REGISTRY) == ([], 0, ())


def test_an_expired_list_stops_counting_when_it_expires_without_anything_else_changing(peer: Peer) -> None:
    peer.serve(valid_until=peer.clock() + timedelta(days=2))
    assert peer.federation.sync(peer.peer_id).outcome == "ok"
    credential = award(peer.container)
    assert peer.container.verification.verify(credential).vouched is True
    peer.clock.advance(days=2, seconds=1)
    assert peer.container.verification.verify(credential).vouched is False
    assert held(peer.federation, peer.peer_id) == ("expired", 0)
    _unreachable(peer)
    result = peer.federation.sync(peer.peer_id)
    assert result.refused
    assert not result.kept
    assert peer.served.calls[-1][1] is None  # an expired list's ETag is not offered


def test_a_list_is_kept_at_most_a_month_whatever_it_claims(peer: Peer) -> None:
    peer.serve(valid_until=peer.clock() + timedelta(days=3650))
    peer.federation.sync(peer.peer_id)
    assert peer.federation.peer(peer.peer_id).expires_at == peer.clock() + timedelta(days=31)


def test_withdrawal_in_the_peers_list_changes_the_verdict_of_later_awards(peer: Peer) -> None:
    assert peer.federation.sync(peer.peer_id).outcome == "ok"
    before = award(peer.container, "before@example.org")
    peer.clock.advance(days=1)
    withdrawn_at = peer.clock().isoformat().replace("+00:00", "Z")
    history = [{"status": "withdrawn", "at": withdrawn_at, "reason": "failed its review"}]
    peer.entries[1] = {**peer.entries[1], "status": "withdrawn", "history": history}
    peer.clock.advance(hours=1)
    peer.serve()
    assert peer.federation.sync(peer.peer_id).outcome == "ok"
    after = award(peer.container, "after@example.org")
    assert peer.container.verification.verify(before).vouched is True
    late = peer.container.verification.verify(after)
    assert late.vouched is False
    assert "withdrawn" in late.trust["reason"]
    assert "failed its review" in late.trust["reason"]


# -- conflicts: one accreditation seen from several registries -----------------------------------------------------


def _info(url: str, did: str) -> RegistryInfo:
    return RegistryInfo(url, did, url, 1, expires_at=datetime(2030, 1, 1, tzinfo=UTC))


def test_the_copy_used_is_this_instances_then_the_accreditors_registrys_then_the_first() -> None:
    now = datetime(2026, 5, 4, tzinfo=UTC)
    active = accreditation_entry(AGENCY, "did:key:uni", ident="urn:one")
    withdrawn = {**active, "status": "withdrawn", "history": [{"status": "withdrawn", "at": "2026-03-01T00:00:00Z"}]}
    ministry, agency, other = _info("m", REGISTRY), _info("a", AGENCY), _info("o", STRANGER)

    def used(**parts: Any) -> Accreditation:
        [found] = build_index(1, anchors={}, now=now, **parts).lookup("did:key:uni")
        return found

    # the ministry lists its whole subtree first; the agency, which made it, says it is withdrawn: the agency wins
    chosen = used(local=[], peers=[(ministry, [active]), (agency, [withdrawn])])
    assert (chosen.status, chosen.registry) == ("withdrawn", "a")
    assert used(local=[], peers=[(agency, [withdrawn]), (ministry, [active])]).registry == "a"
    # neither made it: the first peer added wins
    assert used(local=[], peers=[(ministry, [active]), (other, [withdrawn])]).registry == "m"
    # this instance's own copy wins over every peer's
    assert used(local=[("agency", withdrawn)], peers=[(agency, [active])]).registry == ""


def test_attack_a_registry_cannot_put_words_in_another_federated_registrys_mouth() -> None:
    """The ministry's list may repeat what the agency made, but an accreditation it says the agency made, which
    the agency's own list (or this instance) does not hold, is not believed: it would show the agency vouching."""
    now = datetime(2026, 5, 4, tzinfo=UTC)
    invented = accreditation_entry(AGENCY, "did:key:mallory", ident="urn:invented")
    ministry, agency = _info("m", REGISTRY), _info("a", AGENCY)
    real = accreditation_entry(AGENCY, "did:key:uni", ident="urn:real")
    index = build_index(1, local=[], peers=[(ministry, [invented, real]), (agency, [real])], anchors={}, now=now)
    assert index.lookup("did:key:mallory") == ()
    assert [a.registry for a in index.lookup("did:key:uni")] == ["a"]
    # without the agency federated, the ministry's copy is all there is, and counts (it accredited the agency)
    alone = build_index(1, local=[], peers=[(ministry, [invented])], anchors={}, now=now)
    assert [a.id for a in alone.lookup("did:key:mallory")] == ["urn:invented"]
    # nor may a peer speak for one of this instance's own registries
    local = [("agency", real)]
    mine = build_index(1, local=local, peers=[(ministry, [invented])], anchors={}, now=now)
    assert mine.lookup("did:key:mallory") == ()


# -- peers: adding, removing, the schedule -------------------------------------------------------------------------


def test_adding_a_peer_checks_its_url_and_did_and_is_audited(peer: Peer) -> None:
    federation = peer.federation
    with pytest.raises(InputError, match="https"):
        federation.add_peer("http://ministry.example/list", REGISTRY, "M", actor="t")
    with pytest.raises(InputError, match="https"):
        federation.add_peer("ftp://ministry.example/list", REGISTRY, "M", actor="t")
    with pytest.raises(InputError, match="did:web or a did:key"):
        federation.add_peer("https://b.example/list", "did:example:123", "M", actor="t")
    with pytest.raises(InputError, match="not a DID Cairn can resolve"):
        federation.add_peer("https://b.example/list", "did:web:ex$ample.org", "M", actor="t")
    with pytest.raises(InputError, match="not a DID Cairn can resolve"):
        federation.add_peer("https://b.example/list", "did:key:zNotAKey", "M", actor="t")
    with pytest.raises(InputError, match="name"):
        federation.add_peer("https://b.example/list", REGISTRY, "  ", actor="t")
    with pytest.raises(InputError, match="password"):
        federation.add_peer("https://user:pw@b.example/list", REGISTRY, "M", actor="t")
    with pytest.raises(ConflictError, match="already federates"):
        federation.add_peer(URL, REGISTRY, "Again", actor="t")
    plain = replace_federation(peer, allow_http=True).add_peer("http://10.0.0.7/list", STRANGER, "Lab", actor="t")
    assert plain.url == "http://10.0.0.7/list"
    assert plain.state == "none"
    assert [e.details["url"] for e in audit(peer.container.database, "registry.peer.add")] == [URL, plain.url]


def replace_federation(peer: Peer, **changes: Any) -> FederationService:
    options: dict[str, Any] = {
        "clock": peer.clock,
        "network": peer.container.trust,
        "verification": peer.container.verification,
        "fetch_list": peer.served,
        **changes,
    }
    return FederationService(peer.container.database, **options)


def test_removing_a_peer_drops_its_list_and_anchor_at_once(peer: Peer) -> None:
    peer.federation.sync(peer.peer_id)
    credential = award(peer.container)
    assert peer.container.verification.verify(credential).vouched is True
    peer.federation.remove_peer(peer.peer_id, actor="test")
    assert peer.federation.peers() == []
    assert REGISTRY not in peer.container.trust.index().anchors
    assert peer.container.verification.verify(credential).vouched is False
    with pytest.raises(NotFoundError):
        peer.federation.remove_peer(peer.peer_id, actor="test")
    with pytest.raises(NotFoundError):
        peer.federation.sync(peer.peer_id)
    assert audit(peer.container.database, "registry.peer.remove")[0].details["did"] == REGISTRY


def test_on_a_schedule_a_peer_checked_a_moment_ago_by_another_process_is_skipped(peer: Peer) -> None:
    other_process = replace_federation(peer)
    first = peer.federation.sync_all(skip_checked_within=timedelta(minutes=30))
    assert [r.outcome for r in first] == ["ok"]
    peer.clock.advance(minutes=10)
    assert [r.outcome for r in other_process.sync_all(skip_checked_within=timedelta(minutes=30))] == ["skipped"]
    assert [r.outcome for r in other_process.sync_all()] == ["unchanged"]  # by hand: never skipped
    peer.clock.advance(minutes=31)
    assert [r.outcome for r in other_process.sync_all(skip_checked_within=timedelta(minutes=30))] == ["unchanged"]
    assert len(peer.served.calls) == 3


def test_the_schedule_syncs_in_a_worker_thread_again_and_again_until_cancelled(peer: Peer) -> None:
    threads: list[threading.Thread] = []
    rounds: list[timedelta | None] = []

    class Recording(FederationService):
        def sync_all(self, **options: Any) -> list[SyncResult]:
            threads.append(threading.current_thread())
            rounds.append(options.get("skip_checked_within"))
            return []

    recording = Recording(
        peer.container.database,
        clock=peer.clock,
        network=peer.container.trust,
        verification=peer.container.verification,
        fetch_list=peer.served,
    )

    async def run() -> threading.Thread:
        task = asyncio.create_task(recording.run_schedule(0.02))
        while len(rounds) < 3:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return threading.current_thread()

    result: list[threading.Thread] = []
    runner = threading.Thread(target=lambda: result.append(asyncio.run(run())))  # a loop of its own
    runner.start()
    runner.join(timeout=20)
    loop_thread = result[0]
    assert all(t is not loop_thread for t in threads)
    assert rounds[0] == timedelta(seconds=0.01)


def test_a_registry_of_this_instance_is_federated_without_the_network(
    database: Database, clock: FixedClock, examples: Path
) -> None:
    container = make_container(database, clock, examples)
    add_organisation(database, clock, "ministry", "Ministry of Science")
    container.registry.accredit(
        "ministry",
        actor="t",
        kind="issuer",
        subjects=[container.keys.did(ORG)],
        identity=LegalIdentity("Uniwersytet Mazowiecki", "PL"),
    )
    url = container.registry.list_url("ministry")
    added = container.federation.add_peer(url, container.keys.did("ministry"), "Ministry (here)", actor="t")
    result = container.federation.sync(added.id)
    assert (result.outcome, result.entries) == ("ok", 1)
    assert container.federation.sync(added.id).outcome == "unchanged"
    assert container.verification.verify(award(container)).vouched is True
    published = container.registry.trust_list("ministry")
    fetched = container.verification.fetcher.fetch(url)  # type: ignore[union-attr]
    assert (fetched.content, fetched.etag) == (published.body, published.etag)
