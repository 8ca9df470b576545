"""Federation: this instance pulls the signed trust lists of other registries and trusts what they accredit.

An administrator adds a **peer**: the URL of a registry's trust list (``https``; plain ``http`` only where the
instance allows private fetches, or for a registry of this instance, which is answered without the network),
the DID that must sign it, and a name. Every peer's DID is a trust anchor while its last good list is valid.

**Sync**, one peer at a time (``cairn registry sync``, the administrators' page, and in the background every
``CAIRN_REGISTRY_SYNC_MINUTES``):

1. A conditional GET (``If-None-Match`` with the ETag of the last good list): ``304`` means unchanged.
2. At most ``CAIRN_REGISTRY_LIST_MAX_BYTES`` (32 MiB) within ``CAIRN_REGISTRY_SYNC_TIMEOUT`` seconds, through the
   guarded fetcher (no private addresses unless the instance allows them).
3. The whole list is checked, and nothing of it is used unless every check passes: it is JSON; a Verifiable
   Credential of type ``TrustList``; its issuer is the peer's DID; its ``validFrom`` is not in the future and
   its ``validUntil`` is given and still ahead; it was not issued before the list already held (an old list
   served again); and its proof verifies, through the one verification use case
   (:class:`~cairn.services.verification.service.VerificationService`: the key resolved through the
   instance's fetcher), with a key the peer's DID controls (its ``issuer-key`` check). A list that is unsigned,
   signed by any other key, or changed after signing is refused.
4. Its entries (``credentialSubject.accreditations``): each must read as an
   :class:`~cairn.model.trust.Accreditation`; entries sharing an id are all dropped (which copy holds cannot be
   told); and the **subtree rule**: an entry is accepted only when it was made by the peer's DID, or by a DID the
   list itself accredits as a body, transitively. A loop of bodies is harmless; an entry made by anyone the list
   does not connect to the peer is dropped. Dropped entries are counted, with the reasons, in the result.
5. The accepted entries replace the peer's last good list, kept until the list's ``validUntil`` (at most
   :data:`MAX_KEEP`); the trust revision moves, so every process rebuilds its index.

A list that is refused, or a registry that cannot be reached, changes nothing: the last good list stays in use
until its own expiry, and the peer's ``last_error`` says why in plain words.

**Conflicts.** One accreditation (one id) may be seen from several registries: a registry lists its whole
subtree, so a body's accreditations reach this instance in its own list and in its accreditor's. The copy used
(with its status history) is this instance's own copy if it has one; else the copy from the registry whose DID
made the accreditation (the accreditor's own registry); else the first seen, in the order the peers were added.
(:func:`cairn.services.trust.network.build_index` applies the rule.)
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal, Protocol
from urllib.parse import urlsplit

from cairn.errors import ConflictError, CredentialError, FetchError, InputError, NotFoundError
from cairn.model.trust import Accreditation
from cairn.services.trust.network import TrustNetwork, collector_paused, encode_entries
from cairn.services.verification.service import VerificationService
from cairn.store.database import Database
from cairn.store.issuing.repository import AuditRecord, append_audit
from cairn.store.tables import RegistryPeerRow
from cairn.store.trust.repository import TrustRepository
from cairn.vc.dids import did_web_url, public_key_from_did_key
from cairn.vc.fetch import Response, loads_json
from cairn.vc.report import Outcome

__all__ = ["MAX_KEEP", "FederationService", "FetchList", "PeerStatus", "SyncResult", "accept_entries"]

log = logging.getLogger("cairn.federation")

MAX_KEEP: Final = timedelta(days=31)
"""The longest a last good list is kept, whatever ``validUntil`` it claims."""
CLOCK_SKEW: Final = timedelta(minutes=5)
"""How far ahead of this instance's clock a list's ``validFrom`` may be (clocks differ a little)."""
_MAX_NOTES: Final = 10
_SIGNATURE_CHECKS: Final = ("proof", "issuer-key")

SyncOutcome = Literal["ok", "unchanged", "refused", "skipped"]
PeerState = Literal["in use", "expired", "none"]


class FetchList(Protocol):
    """Fetches a registry's trust list: ``status=304`` when its ETag is still ``etag`` (raises FetchError)."""

    def __call__(self, url: str, *, etag: str | None, max_bytes: int, timeout: float) -> Response: ...


@dataclass(frozen=True, slots=True)
class PeerStatus:
    """A federated registry and how its list stands."""

    id: int
    url: str
    did: str
    name: str
    added_at: datetime
    entries: int
    list_issued_at: datetime | None
    expires_at: datetime | None
    synced_at: datetime | None
    checked_at: datetime | None
    last_error: str | None
    state: PeerState
    """``"in use"`` (a good list, not expired), ``"expired"`` (its last good list has expired) or ``"none"``."""


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one sync of one peer did: ``ok`` (a new list merged), ``unchanged`` (304), ``refused`` (nothing
    merged; ``reason`` says why) or ``skipped`` (another process checked it a moment ago)."""

    peer_id: int
    url: str
    name: str
    outcome: SyncOutcome
    reason: str = ""
    entries: int = 0
    dropped: int = 0
    notes: tuple[str, ...] = ()
    """Why entries were dropped (a line per kind), for an accepted list."""
    kept: bool = False
    """For a refused list: whether the peer's last good list stays in use (until it expires)."""

    @property
    def refused(self) -> bool:
        """Whether the list was refused (or could not be fetched)."""
        return self.outcome == "refused"

    def line(self) -> str:
        """One line for a terminal: ``#3 Agency (https://...): ok, 120 entries, 2 dropped``."""
        head = f"#{self.peer_id} {self.name} ({self.url}): {self.outcome}"
        if self.outcome == "ok":
            dropped = f", {self.dropped} dropped ({'; '.join(self.notes)})" if self.dropped else ""
            return f"{head}, {self.entries} {'entry' if self.entries == 1 else 'entries'}{dropped}"
        kept = " (its last good list stays in use until it expires)" if self.kept else ""
        return f"{head}: {self.reason}{kept}" if self.reason else head


@dataclass(frozen=True, slots=True)
class _Peer:
    id: int
    url: str
    did: str
    name: str
    etag: str | None
    held: bool
    issued_at: datetime | None


@dataclass(frozen=True, slots=True)
class _Accepted:
    data: bytes
    """The accepted entries as stored (:func:`~cairn.services.trust.network.encode_entries`)."""
    count: int
    issued_at: datetime
    valid_until: datetime
    dropped: int
    notes: tuple[str, ...]


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _stamp(value: datetime) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def _date(document: dict[str, Any], name: str) -> datetime | None:
    value = document.get(name)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _short(value: object, limit: int = 100) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def accept_entries(entries: Iterable[Any], did: str) -> tuple[list[dict[str, Any]], int, tuple[str, ...]]:
    """The entries of ``did``'s list that it may speak for: ``(accepted, dropped, notes)``.

    An entry is accepted when it reads as an :class:`Accreditation`, its id is its own (every entry sharing an id
    is dropped), and it was made by ``did`` or by a DID that an accepted entry accredits as a body (or root),
    transitively. ``notes`` says why the others were dropped, a line per kind."""
    readable: list[tuple[dict[str, Any], str, str, bool, tuple[str, ...]]] = []
    unreadable: dict[str, int] = {}
    copies: dict[str, int] = {}
    for raw in entries:
        if not isinstance(raw, dict):
            unreadable["an entry is not a JSON object"] = unreadable.get("an entry is not a JSON object", 0) + 1
            continue
        try:
            accreditation = Accreditation.of(raw)
        except (KeyError, TypeError, ValueError) as exc:
            why = f"missing {exc}" if isinstance(exc, KeyError) else _short(str(exc), 80)
            key = f"cannot be read ({why})"
            unreadable[key] = unreadable.get(key, 0) + 1
            continue
        ident = accreditation.id
        copies[ident] = copies.get(ident, 0) + 1
        readable.append((raw, ident, accreditation.accredited_by, accreditation.may_accredit, accreditation.subjects))
    shared = {ident for ident, count in copies.items() if count > 1}
    by_accreditor: dict[str, list[int]] = {}
    for number, (_, ident, accreditor, _, _) in enumerate(readable):
        if ident not in shared:
            by_accreditor.setdefault(accreditor, []).append(number)
    reached = {did}
    frontier = [did]
    accepted: set[int] = set()
    while frontier:
        for number in by_accreditor.get(frontier.pop(), ()):
            accepted.add(number)
            _, _, _, may_accredit, subjects = readable[number]
            if may_accredit:
                for subject in subjects:
                    if subject not in reached:
                        reached.add(subject)
                        frontier.append(subject)
    outside: dict[str, int] = {}
    for number, (_, ident, accreditor, _, _) in enumerate(readable):
        if number not in accepted and ident not in shared:
            outside[accreditor] = outside.get(accreditor, 0) + 1
    notes = [f"{n} {'entry' if n == 1 else 'entries'} {why}" for why, n in unreadable.items()]
    if shared:
        dropped_shared = sum(copies[ident] for ident in shared)
        notes.append(f"{dropped_shared} entries share an id with another ({_short(sorted(shared)[0], 60)}...)")
    notes += [
        f"{n} {'entry' if n == 1 else 'entries'} made by {_short(accreditor, 80)}, whom the list does not connect to "
        "the registry"
        for accreditor, n in outside.items()
    ]
    kept = [readable[number][0] for number in sorted(accepted)]
    dropped = sum(unreadable.values()) + sum(copies[ident] for ident in shared) + sum(outside.values())
    return kept, dropped, tuple(notes[:_MAX_NOTES])


class FederationService:
    """Peers (add, remove, list) and syncing their signed trust lists into the trust network."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime],
        network: TrustNetwork,
        verification: VerificationService,
        fetch_list: FetchList,
        max_list_bytes: int = 32 * 1024 * 1024,
        timeout: float = 60.0,
        allow_http: bool = False,
        is_local: Callable[[str], bool] = lambda url: False,
    ) -> None:
        self.database = database
        self.clock = clock
        self.network = network
        self.verification = verification
        self.fetch_list = fetch_list
        self.max_list_bytes = max_list_bytes
        self.timeout = timeout
        self.allow_http = allow_http
        self.is_local = is_local

    # -- peers ---------------------------------------------------------------------------------------

    def _status(self, row: RegistryPeerRow, now: datetime) -> PeerStatus:
        if row.list_data is None or row.expires_at is None:
            state: PeerState = "none"
        else:
            state = "in use" if row.expires_at > now else "expired"
        return PeerStatus(
            id=row.id,
            url=row.url,
            did=row.did,
            name=row.name,
            added_at=row.added_at,
            entries=row.entries if state == "in use" else 0,
            list_issued_at=row.list_issued_at,
            expires_at=row.expires_at,
            synced_at=row.synced_at,
            checked_at=row.checked_at,
            last_error=row.last_error,
            state=state,
        )

    def peers(self) -> list[PeerStatus]:
        """Every federated registry, in the order they were added, with how its list stands."""
        now = self.clock()
        with self.database.transaction(read_only=True) as session:
            return [self._status(row, now) for row in TrustRepository(session).peers()]

    def peer(self, peer_id: int) -> PeerStatus:
        """One federated registry (NotFoundError when none)."""
        with self.database.transaction(read_only=True) as session:
            row = TrustRepository(session).peer(peer_id)
            if row is None:
                raise NotFoundError("no federated registry %(id)s", id=peer_id)
            return self._status(row, self.clock())

    def _check_url(self, url: str) -> str:
        url = url.strip()
        if not url:
            raise InputError("give the URL of the registry's trust list")
        if len(url) > 2000 or any(ch.isspace() or ord(ch) < 0x20 for ch in url):
            raise InputError("the URL is too long or holds spaces")
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            raise InputError("the URL cannot be read") from None
        if not parts.hostname or parts.username is not None or parts.password is not None or parts.fragment:
            raise InputError("the URL needs a host, and no user name, password or #fragment")
        if parts.scheme == "https" or self.is_local(url):
            return url
        if parts.scheme == "http" and self.allow_http:
            return url
        if parts.scheme == "http":
            raise InputError("the URL must be https (plain http only where CAIRN_FETCH_ALLOW_PRIVATE is on)")
        raise InputError("the URL must be https")

    @staticmethod
    def _check_did(did: str) -> str:
        did = did.strip()
        if not did or len(did) > 500 or any(ch.isspace() for ch in did):
            raise InputError("give the DID that signs the registry's trust list")
        try:
            if did.startswith("did:web:"):
                did_web_url(did)
            elif did.startswith("did:key:"):
                public_key_from_did_key(did)
            else:
                raise InputError("the registry's DID must be a did:web or a did:key")
        except CredentialError:
            raise InputError("%(did)s is not a DID Cairn can resolve", did=_short(did, 80)) from None
        return did

    def add_peer(self, url: str, did: str, name: str, *, actor: str) -> PeerStatus:
        """Federate with the registry whose signed list is at ``url`` and must be signed by ``did``; audited.
        Its list is fetched on the next sync."""
        clean_url = self._check_url(url)
        clean_did = self._check_did(did)
        clean_name = name.strip()
        if not clean_name or len(clean_name) > 200:
            raise InputError("give the registry a name of at most 200 characters")
        now = self.clock()
        with self.database.transaction() as session:
            repo = TrustRepository(session)
            if repo.peer_by_url(clean_url) is not None:
                raise ConflictError("this instance already federates the registry at %(url)s", url=_short(clean_url))
            row = RegistryPeerRow(url=clean_url, did=clean_did, name=clean_name, added_at=now, entries=0)
            repo.add_peer(row)
            details = {"url": clean_url, "did": clean_did, "name": clean_name}
            append_audit(session, [AuditRecord(now, actor, "registry.peer.add", str(row.id), details)])
            status = self._status(row, now)
        self.network.invalidate()
        return status

    def remove_peer(self, peer_id: int, *, actor: str) -> None:
        """Stop federating with a registry: its list and its anchor go at once; audited."""
        now = self.clock()
        with self.database.transaction() as session:
            repo = TrustRepository(session)
            row = repo.peer(peer_id)
            if row is None:
                raise NotFoundError("no federated registry %(id)s", id=peer_id)
            details = {"url": row.url, "did": row.did, "name": row.name}
            repo.remove_peer(row)
            append_audit(session, [AuditRecord(now, actor, "registry.peer.remove", str(peer_id), details)])
        self.network.invalidate()

    # -- syncing -------------------------------------------------------------------------------------

    def _snapshot(self, row: RegistryPeerRow, now: datetime) -> _Peer:
        held = row.list_data is not None and row.expires_at is not None and row.expires_at > now
        return _Peer(row.id, row.url, row.did, row.name, row.etag, held, row.list_issued_at)

    def sync(self, peer_id: int, *, actor: str = "cli") -> SyncResult:
        """Fetch, check and (when it passes) merge one peer's list now."""
        with self.database.transaction(read_only=True) as session:
            row = TrustRepository(session).peer(peer_id)
            if row is None:
                raise NotFoundError("no federated registry %(id)s", id=peer_id)
            peer = self._snapshot(row, self.clock())
        return self._sync(peer, actor)

    def sync_all(
        self,
        *,
        actor: str = "cli",
        skip_checked_within: timedelta | None = None,
        stop: threading.Event | None = None,
    ) -> list[SyncResult]:
        """Sync every peer, one after another; a result per peer.

        ``skip_checked_within`` (the background schedule): a peer checked that recently, by this process or
        another, is skipped, and each peer is claimed with one atomic update first, so of several processes only
        one fetches it. ``stop`` ends the round between peers."""
        now = self.clock()
        with self.database.transaction(read_only=True) as session:
            peers = [self._snapshot(row, now) for row in TrustRepository(session).peers()]
        results = []
        for peer in peers:
            if stop is not None and stop.is_set():
                break
            if skip_checked_within is not None and not self._claim(peer.id, skip_checked_within):
                results.append(SyncResult(peer.id, peer.url, peer.name, "skipped", "checked a moment ago"))
                continue
            results.append(self._sync(peer, actor))
        return results

    def _claim(self, peer_id: int, within: timedelta) -> bool:
        now = self.clock()
        with self.database.transaction() as session:
            return TrustRepository(session).claim_peer(peer_id, now=now, checked_before=now - within)

    def _sync(self, peer: _Peer, actor: str) -> SyncResult:
        now = self.clock()
        try:
            response = self.fetch_list(
                peer.url, etag=peer.etag if peer.held else None, max_bytes=self.max_list_bytes, timeout=self.timeout
            )
        except FetchError as exc:
            return self._refuse(peer, f"the list could not be fetched: {exc.message}")
        if response.status == 304:
            self._record(peer, error=None)
            return SyncResult(peer.id, peer.url, peer.name, "unchanged", "the list has not changed since the last sync")
        etag = response.etag
        with collector_paused():
            try:
                text = response.content.decode("utf-8")
            except UnicodeDecodeError:
                return self._refuse(peer, "the answer is not UTF-8 text")
            del response  # lists run to tens of megabytes: one copy at a time
            try:  # strict (duplicate members refused), and without a parser's intermediate tree beside the objects
                document = loads_json(text, what="answer")
            except CredentialError as exc:
                return self._refuse(peer, exc.message)
            del text
            try:
                accepted = self._check(peer, document, now)
            except _Refused as refused:
                return self._refuse(peer, refused.reason)
            del document
        return self._merge(peer, accepted, etag, actor)

    def _refuse(self, peer: _Peer, reason: str) -> SyncResult:
        log.warning("registry %s refused: %s", peer.url, reason)
        self._record(peer, error=reason[:900])
        return SyncResult(peer.id, peer.url, peer.name, "refused", reason, kept=peer.held)

    def _record(self, peer: _Peer, *, error: str | None) -> None:
        with self.database.transaction() as session:
            row = TrustRepository(session).peer(peer.id)
            if row is not None:
                row.checked_at = self.clock()
                row.last_error = error

    def _check(self, peer: _Peer, document: Any, now: datetime) -> _Accepted:
        """The list's accepted entries, encoded for storage, or _Refused with the reason (nothing is merged from
        a refused list)."""
        if not isinstance(document, dict):
            raise _Refused("the answer is not a JSON object")
        types = document.get("type")
        if not isinstance(types, list) or "VerifiableCredential" not in types or "TrustList" not in types:
            raise _Refused("the answer is not a trust list (a Verifiable Credential of type TrustList)")
        issuer = document.get("issuer")
        issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
        if issuer_id != peer.did:
            raise _Refused(f"the list's issuer is {_short(issuer_id)}, not the registry's DID {peer.did}")
        if "proof" not in document:
            raise _Refused("the list is not signed (it has no proof)")
        issued = _date(document, "validFrom")
        until = _date(document, "validUntil")
        if issued is None or until is None:
            raise _Refused("the list must give validFrom and validUntil as dates with a time zone")
        if issued > now + CLOCK_SKEW:
            raise _Refused(f"the list is valid only from {_stamp(issued)}, which is still to come")
        if until <= now:
            raise _Refused(f"the list expired at {_stamp(until)}")
        if peer.issued_at is not None and issued < peer.issued_at:
            raise _Refused(
                f"the list was issued at {_stamp(issued)}, before the one already held ({_stamp(peer.issued_at)}): "
                "an old list served again?"
            )
        subject = document.get("credentialSubject")
        entries = subject.get("accreditations") if isinstance(subject, dict) else None
        if not isinstance(entries, list):
            raise _Refused("the list holds no credentialSubject.accreditations")
        report = self.verification.verify(document)
        for name in _SIGNATURE_CHECKS:
            if report.outcome_of(name) is not Outcome.PASS:
                why = next((c.reason for c in report.checks if c.name == name and c.outcome is not Outcome.PASS), "")
                raise _Refused(f"the list's signature does not hold: {why or 'no signature was checked'}")
        failed = next((c for c in report.checks if c.outcome is Outcome.FAIL), None)
        if failed is not None:
            raise _Refused(f"the list fails the {failed.name} check: {failed.reason}")
        kept, dropped, notes = accept_entries(entries, peer.did)
        return _Accepted(encode_entries(kept), len(kept), issued, min(until, now + MAX_KEEP), dropped, notes)

    def _merge(self, peer: _Peer, accepted: _Accepted, etag: str | None, actor: str) -> SyncResult:
        data = accepted.data
        now = self.clock()
        with self.database.transaction() as session:
            repo = TrustRepository(session)
            row = repo.peer(peer.id)
            if row is None or row.url != peer.url or row.did != peer.did:
                why = "the registry was changed or removed while its list was fetched"
                return SyncResult(peer.id, peer.url, peer.name, "refused", why)
            same = row.list_data == data and row.expires_at is not None and row.expires_at > now
            row.list_data = data
            row.etag = etag
            row.entries = accepted.count
            row.list_issued_at = accepted.issued_at
            row.expires_at = accepted.valid_until
            row.synced_at = row.checked_at = now
            row.last_error = None
            if same:  # signed again with the same entries: nothing to rebuild (a later expiry is read when due)
                why = "the list was signed again, but its accreditations have not changed"
                return SyncResult(peer.id, peer.url, peer.name, "unchanged", why, accepted.count)
            repo.bump()
            details = {"url": peer.url, "entries": accepted.count, "dropped": accepted.dropped}
            if accepted.notes:
                details["notes"] = list(accepted.notes)
            append_audit(session, [AuditRecord(now, actor, "registry.peer.sync", str(peer.id), details)])
        self.network.invalidate()
        log.info("registry %s: %d entries merged, %d dropped", peer.url, accepted.count, accepted.dropped)
        return SyncResult(peer.id, peer.url, peer.name, "ok", "", accepted.count, accepted.dropped, accepted.notes)

    # -- the background schedule ---------------------------------------------------------------------

    async def run_schedule(self, interval: float, *, stop: threading.Event | None = None) -> None:
        """Sync every peer now and then every ``interval`` seconds until cancelled (or ``stop`` is set), each
        round in a worker thread so the event loop never waits. A peer checked within half the interval, by any
        process, is skipped (so several workers of one instance do not all fetch)."""
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                await asyncio.to_thread(
                    self.sync_all, actor="scheduler", skip_checked_within=timedelta(seconds=interval / 2), stop=stop
                )
            except asyncio.CancelledError:
                stop.set()
                raise
            except Exception:  # the schedule goes on; the next round tries again
                log.exception("the scheduled registry sync failed")
            await asyncio.sleep(interval)
