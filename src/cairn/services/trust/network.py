"""The trust network as this instance sees it: every accreditation it knows, indexed, and the anchors it trusts.

One :class:`TrustIndex` (an immutable snapshot) answers "which accreditations name this DID" in a dictionary
lookup. It is built from

- the accreditations this instance's registries made (the ``accreditations`` table);
- the last good lists of the registries it federates with (``registry_peers``; see :mod:`.federation`);
- its anchors: registries it trusts as roots (``trust_anchors``, and every federated registry's DID), and the
  DIDs the operator lists directly in ``CAIRN_TRUST_LIST`` (:mod:`cairn.services.trust.operator`).

Each process keeps its snapshot and checks the database's trust revision at most every ``refresh_seconds``
(one indexed single-row read), rebuilding the snapshot when something changed anywhere.
"""

from __future__ import annotations

import gc
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import orjson

from cairn.model.trust import Accreditation, Chain, Claim, Vouching, claim_of, vouch
from cairn.phrases import Phrase
from cairn.services.trust.operator import TrustList
from cairn.store.database import Database
from cairn.store.trust.repository import TrustRepository

__all__ = ["RegistryInfo", "TrustIndex", "TrustNetwork", "collector_paused", "decode_entries", "encode_entries"]

_EMPTY: Final[tuple[Accreditation, ...]] = ()


_ENCODE_BATCH: Final = 2000
_EXPLAINED_MAX: Final = 10_000
"""Chains whose explanation each process keeps (per trust snapshot; forgotten all at once when full)."""


def encode_entries(entries: Sequence[Mapping[str, Any]]) -> bytes:
    """A peer's accepted entries as stored (zlib-compressed JSON), written and compressed a batch at a time: a list
    of 100,000 entries never exists as one text beside its objects."""
    compressor = zlib.compressobj(6)
    parts = [compressor.compress(b"[")]
    for start in range(0, len(entries), _ENCODE_BATCH):
        batch = orjson.dumps(list(entries[start : start + _ENCODE_BATCH]))[1:-1]
        parts.append(compressor.compress((b"," if start else b"") + batch))
    parts.append(compressor.compress(b"]"))
    parts.append(compressor.flush())
    return b"".join(parts)


def decode_entries(data: bytes | None) -> list[dict[str, Any]]:
    """What :func:`encode_entries` stored."""
    if not data:
        return []
    loaded = orjson.loads(zlib.decompress(data))
    return loaded if isinstance(loaded, list) else []


@contextmanager
def collector_paused() -> Iterator[None]:
    """Cyclic garbage collection off while many accreditations are parsed or indexed: the objects hold no cycles
    (reference counting frees them), and every collection would walk them all, doubling the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class RegistryInfo:
    """A registry the index holds entries from: this instance's own (``url == ""``) or a federated one."""

    url: str
    did: str
    name: str
    entries: int
    synced_at: datetime | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TrustIndex:
    """A snapshot: accreditations by identifier, anchors (DID -> name) and the registries they came from."""

    revision: int
    by_identifier: Mapping[str, tuple[Accreditation, ...]]
    anchors: Mapping[str, str]
    registries: tuple[RegistryInfo, ...] = ()
    size: int = 0
    fresh_until: datetime | None = None
    """When the first federated list in it expires: the snapshot is rebuilt then, whatever the revision."""

    def lookup(self, identifier: str) -> tuple[Accreditation, ...]:
        """Accreditations naming ``identifier`` (a DID, or ``cert:<sha256>``)."""
        return self.by_identifier.get(identifier, _EMPTY)

    def vouch(self, identifiers: Sequence[str], credential: Mapping[str, Any] | None, now: datetime) -> Vouching:
        """Who vouches for the issuer known by ``identifiers`` for ``credential``. The credential is read (its
        award time, levels and fields: a tenth of a millisecond to a millisecond) only when an identifier is an
        anchor or has accreditations: for any other issuer the answer is the same whatever it claims."""
        if any(i in self.anchors or i in self.by_identifier for i in identifiers):
            claim = claim_of(credential, fallback=now)
        else:
            claim = Claim(now)
        return vouch(identifiers, claim, lookup=self.lookup, anchors=self.anchors)


_OWN: Final = 0
_ACCREDITORS_OWN: Final = 1
_ANOTHER: Final = 2


@dataclass(slots=True)
class _Builder:
    """Collects accreditations, keeping one copy of each (by id) as :mod:`.federation` states the rule: this
    instance's own copy, else the copy from the registry whose DID made the accreditation, else the first seen."""

    seen: dict[str, tuple[int, Accreditation]] = field(default_factory=dict)

    def add(self, accreditation: Accreditation, rank: int) -> None:
        held = self.seen.get(accreditation.id)
        if held is None or rank < held[0]:
            self.seen[accreditation.id] = (rank, accreditation)

    def index(self) -> dict[str, tuple[Accreditation, ...]]:
        by_identifier: dict[str, list[Accreditation]] = {}
        for _, accreditation in self.seen.values():
            for subject in accreditation.subjects:
                by_identifier.setdefault(subject, []).append(accreditation)
            for certificate in accreditation.certificates:
                by_identifier.setdefault("cert:" + certificate, []).append(accreditation)
        return {key: tuple(value) for key, value in by_identifier.items()}


def build_index(
    revision: int,
    *,
    local: Sequence[tuple[str, Mapping[str, Any]]],
    peers: Sequence[tuple[RegistryInfo, Sequence[Mapping[str, Any]]]],
    anchors: Mapping[str, str],
    now: datetime,
) -> TrustIndex:
    """A :class:`TrustIndex` of this instance's accreditations, its peers' unexpired lists and ``anchors``."""
    builder = _Builder()
    for _, document in local:
        builder.add(Accreditation.of(document), _OWN)
    # who speaks for itself: this instance's registries and every federated one. A list may repeat what they made
    # (its subtree), but what it says one of them made counts only from that one's own list (or this instance)
    speakers = {str(document.get("accreditedBy")) for _, document in local}
    speakers.update(info.did for info, _ in peers if info.expires_at is None or info.expires_at > now)
    all_anchors = dict(anchors)
    infos = [RegistryInfo("", "", "this instance", len(local))]
    fresh_until: datetime | None = None
    for info, entries in peers:
        if info.expires_at is not None and info.expires_at <= now:
            infos.append(RegistryInfo(info.url, info.did, info.name, 0, info.synced_at, info.expires_at))
            continue
        if info.expires_at is not None and (fresh_until is None or info.expires_at < fresh_until):
            fresh_until = info.expires_at
        all_anchors.setdefault(info.did, info.name)
        for entry in entries:
            try:
                accreditation = Accreditation.of(entry, registry=info.url)
            except (KeyError, TypeError, ValueError):
                continue  # checked when synced; a stored entry that no longer parses is skipped
            if accreditation.accredited_by == info.did:
                builder.add(accreditation, _ACCREDITORS_OWN)
            elif accreditation.accredited_by not in speakers:
                builder.add(accreditation, _ANOTHER)
        infos.append(info)
    return TrustIndex(revision, builder.index(), all_anchors, tuple(infos), len(builder.seen), fresh_until)


class TrustNetwork:
    """This instance's view of the trust network, kept fresh across processes."""

    def __init__(
        self,
        database: Database | None,
        *,
        clock: Callable[[], datetime],
        operator: TrustList,
        refresh_seconds: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self.clock = clock
        self.operator = operator
        self.refresh_seconds = refresh_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._index: TrustIndex | None = None
        self._checked = float("-inf")
        self._explained_for: TrustIndex | None = None
        self._explained: dict[tuple[Any, ...], tuple[list[dict[str, Any]], Phrase]] = {}

    @property
    def certificates(self) -> frozenset[str]:
        """Seal certificates the operator trusts (SHA-256 fingerprints or subject names)."""
        return self.operator.certificates

    def own(self, issuer: Mapping[str, Any]) -> bool:
        """Whether ``issuer`` is one of this instance's organisations."""
        return self.operator.own(issuer)

    def invalidate(self) -> None:
        """Rebuild the snapshot on next use (after a change made in this process)."""
        with self._lock:
            self._checked = float("-inf")

    def current(self) -> bool:
        """Whether the snapshot can be used without touching the database (checked recently, nothing expired):
        the event loop verifies inline only then, since a check or a rebuild is database work."""
        if self.database is None:
            return True  # built from the operator's file alone, in memory
        index = self._index
        return index is not None and self._monotonic() - self._checked < self.refresh_seconds and not self._stale(index)

    def index(self) -> TrustIndex:
        """The current snapshot (rebuilt when the database's trust revision moved)."""
        index = self._index
        if index is not None and self.current():
            return index
        with self._lock:
            index = self._index
            if index is not None and self.current():
                return index
            self._index = self._load(None if index is None or self._stale(index) else index)
            self._checked = self._monotonic()
            return self._index

    def _stale(self, index: TrustIndex) -> bool:
        """Whether a federated list in ``index`` has expired since it was built (no revision marks that)."""
        return index.fresh_until is not None and self.clock() >= index.fresh_until

    def _operator_anchors(self) -> dict[str, str]:
        return {e.did: e.label for e in self.operator.entries if e.did}

    def _load(self, previous: TrustIndex | None) -> TrustIndex:
        if self.database is None:
            return previous or TrustIndex(0, {}, self._operator_anchors())
        with self.database.transaction(read_only=True) as session, collector_paused():
            repo = TrustRepository(session)
            revision = repo.revision()
            if previous is not None and previous.revision == revision:
                return previous
            local = repo.all_documents()
            anchors = {row.did: row.name for row in repo.anchors()}
            peers = [
                (
                    RegistryInfo(p.url, p.did, p.name, p.entries, p.synced_at, p.expires_at),
                    decode_entries(p.list_data),
                )
                for p in repo.peers()
            ]
        anchors.update(self._operator_anchors())
        with collector_paused():
            return build_index(revision, local=local, peers=peers, anchors=anchors, now=self.clock())

    def vouching(self, identifiers: Sequence[str], credential: Mapping[str, Any] | None) -> Vouching:
        """Who vouches for the issuer known by ``identifiers`` (see :func:`cairn.model.trust.vouch`)."""
        return self.index().vouch(identifiers, credential, self.clock())

    def explain(self, chain: Chain) -> tuple[list[dict[str, Any]], Phrase]:
        """:meth:`describe` and the chain's sentence (:meth:`Chain.describe`), worked out once per chain and trust
        snapshot: every verification of an issuer's credentials walks the same chain, and saying it costs more
        than finding it."""
        index = self.index()
        key = (tuple(link.id for link in chain.links), chain.anchor, chain.anchor_name)
        with self._lock:
            if self._explained_for is not index or len(self._explained) >= _EXPLAINED_MAX:
                self._explained_for, self._explained = index, {}
            known = self._explained.get(key)
        if known is None:
            known = (self.describe(chain), chain.describe())
            with self._lock:
                if self._explained_for is index:
                    self._explained[key] = known
        return [dict(link) for link in known[0]], known[1]

    def describe(self, chain: Chain) -> list[dict[str, Any]]:
        """A chain as data for pages and JSON: each link's accrediting body, scope, dates and registry."""
        index = self.index()
        names = {r.url: r.name for r in index.registries}
        out = []
        for i, link in enumerate(chain.links):
            last = i + 1 == len(chain.links)
            out.append(
                {
                    "accredited": link.identity.legal_name,
                    "accredited_by": (chain.anchor_name if last and chain.anchor_name else "")
                    or link.accreditor_name
                    or link.accredited_by,
                    "accredited_by_did": link.accredited_by,
                    "kind": link.kind,
                    "scope": str(scope := link.scope.describe()),
                    "scope_said": scope.to_json(),
                    "valid_from": link.valid_from.date().isoformat(),
                    "valid_until": link.valid_until.date().isoformat() if link.valid_until else None,
                    "status": link.status,
                    "registry": link.registry,
                    "registry_name": names.get(link.registry, link.registry),
                    "accreditation": link.id,
                }
            )
        return out
