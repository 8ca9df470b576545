"""The append-only, keyed, hash-chained audit log: every feature writes its entries through
:class:`AuditRepository` (or :func:`cairn.store.issuing.repository.append_audit`, which links them the same way).

Each entry's link covers the previous entry's link and its own content, the same canonical JSON either way
(:func:`_body`); the first entry links to :data:`GENESIS`. A link is one of two kinds:

* **keyed** (``keyed`` true): an HMAC-SHA256 with the audit key, which is derived from ``CAIRN_SECRET_KEY`` and
  handed to every session by :attr:`cairn.store.database.Database.audit_key`. Someone who can write the database
  but does not hold the secret cannot make one, so cannot change an entry and re-link the entries after it;
* **unkeyed** (``keyed`` false): a plain SHA-256, as every entry was before the chain was keyed (migration 0022)
  and as an instance without ``CAIRN_SECRET_KEY`` still writes them. Anyone can recompute these.

Where a key is held, unkeyed entries are accepted only up to the entry :class:`AuditChainRow` names, and that row
is sealed with the key (an HMAC over the entry's id and link), so a writer can neither move the point nor turn
keyed entries into unkeyed ones: every entry after it, and every entry at all when there is no such row, must be
keyed. The row is written once, by migration 0022 when the instance upgrades with its secret, or by
``cairn audit seal`` for entries an instance wrote before it had a secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from cairn.errors import ConfigurationError
from cairn.store.database import AUDIT_KEY
from cairn.store.tables import AuditChainRow, AuditEntry

__all__ = [
    "AUDIT_LOCK",
    "GENESIS",
    "AuditRepository",
    "ChainWalk",
    "anchor_mac",
    "audit_key",
    "entry_hash",
    "entry_mac",
    "lock_chain",
    "next_link",
    "rewrite_chain",
    "seal_legacy",
]

GENESIS = "0" * 64
"""What the first entry links to."""
AUDIT_LOCK = 4242001
"""The PostgreSQL advisory lock that serialises every change to the chain, whichever feature writes it."""

CHANGED = "it was changed, removed or inserted after it was written"
UNKEYED = (
    "its link is not keyed with this instance's secret: someone who does not hold CAIRN_SECRET_KEY re-linked it, "
    "or the instance wrote it before it had one (then, and only then, seal such entries with 'cairn audit seal')"
)
NO_KEY = "its link is keyed and CAIRN_SECRET_KEY is not set, so it cannot be checked"
SEAL = "the record of where the keyed chain begins (table audit_chain) was changed or removed"


def lock_chain(session: Session) -> None:
    """Hold the chain for the rest of ``session``'s transaction (PostgreSQL; SQLite writers are serial anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT pg_advisory_xact_lock({AUDIT_LOCK})"))


def audit_key(session: Session) -> bytes | None:
    """The audit key this session's database holds (None without ``CAIRN_SECRET_KEY``)."""
    key = session.info.get(AUDIT_KEY)
    return key if isinstance(key, bytes) else None


def _body(prev: str, at: datetime, actor: str, action: str, subject: str, details: dict[str, Any]) -> bytes:
    body = json.dumps(
        [prev, at.astimezone(UTC).isoformat(timespec="microseconds"), actor, action, subject, details],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return body.encode("utf-8")


def entry_hash(prev: str, at: datetime, actor: str, action: str, subject: str, details: dict[str, Any]) -> str:
    """The unkeyed link of one entry chained to ``prev`` (SHA-256)."""
    return hashlib.sha256(_body(prev, at, actor, action, subject, details)).hexdigest()


def entry_mac(
    key: bytes, prev: str, at: datetime, actor: str, action: str, subject: str, details: dict[str, Any]
) -> str:
    """The keyed link of one entry chained to ``prev`` (HMAC-SHA256 over the same content)."""
    return hmac.new(key, _body(prev, at, actor, action, subject, details), hashlib.sha256).hexdigest()


def anchor_mac(key: bytes, legacy_until: int, legacy_link: str) -> str:
    """The seal of the unkeyed entries up to ``legacy_until``, whose link is ``legacy_link`` (migration 0022
    computes the same)."""
    return hmac.new(key, f"cairn-audit-legacy:{legacy_until}:{legacy_link}".encode(), hashlib.sha256).hexdigest()


def _link(key: bytes | None, prev: str, entry: AuditEntry) -> str:
    args = (prev, entry.at, entry.actor, entry.action, entry.subject, entry.details)
    return entry_mac(key, *args) if key is not None else entry_hash(*args)


def next_link(session: Session) -> tuple[str, bytes | None]:
    """The link of the newest entry (:data:`GENESIS` when the log is empty) and the key to link the next with:
    the audit key; None (unkeyed) only while the chain holds no keyed entry, ConfigurationError otherwise.
    Hold the chain (:func:`lock_chain`) first."""
    newest = session.execute(select(AuditEntry.hash, AuditEntry.keyed).order_by(AuditEntry.id.desc()).limit(1)).first()
    key = audit_key(session)
    if key is None and ((newest is not None and newest.keyed) or session.get(AuditChainRow, 1) is not None):
        raise ConfigurationError("the audit log is keyed: set CAIRN_SECRET_KEY to the instance's secret to write it")
    return (newest.hash if newest is not None else GENESIS), key


class ChainWalk:
    """Checks entries one at a time in id order, so a caller can stream millions (:meth:`step`, then
    :meth:`finish`)."""

    def __init__(self, key: bytes | None, anchor: AuditChainRow | None) -> None:
        self.key = key
        self.legacy_until = anchor.legacy_until if anchor is not None else 0
        self.seal = anchor.mac if anchor is not None else None
        self.prev, self.last_id, self.keyed = GENESIS, 0, 0

    def step(self, entry: Any) -> str | None:
        """Why ``entry`` (an :class:`AuditEntry` or a row of its table) breaks the chain, or None."""
        legacy = entry.id <= self.legacy_until
        if self.last_id < self.legacy_until < entry.id or entry.prev_hash != self.prev:
            return CHANGED
        args = (self.prev, entry.at, entry.actor, entry.action, entry.subject, entry.details)
        if entry.keyed:
            if self.key is None:
                return NO_KEY
            if legacy or not hmac.compare_digest(entry.hash, entry_mac(self.key, *args)):
                return CHANGED
            self.keyed += 1
        elif entry.hash != entry_hash(*args):
            return CHANGED
        elif self.key is not None and not legacy:
            return UNKEYED
        if entry.id == self.legacy_until and self.seal is not None:
            if self.key is None:
                return NO_KEY
            if not hmac.compare_digest(self.seal, anchor_mac(self.key, entry.id, entry.hash)):
                return SEAL
        self.prev, self.last_id = entry.hash, entry.id
        return None

    def finish(self) -> str | None:
        """Why the chain is broken at its end (the sealed unkeyed entries are missing), or None."""
        return SEAL if self.last_id < self.legacy_until else None


def rewrite_chain(session: Session, first: int, change: Callable[[AuditEntry], bool]) -> int:
    """Let ``change`` edit entries from ``first`` on in place (it says whether it changed one; give ``details`` a
    new dict), and re-link each with its own kind of link so the chain still checks out; returns how many changed.

    Only the instance can do this for keyed entries (it needs the key). Re-linking stops at an entry that did not
    check out before: a rewrite never hides a break that was already there."""
    lock_chain(session)
    key = audit_key(session)
    anchor = session.get(AuditChainRow, 1)
    if key is None and (anchor is not None or session.scalar(select(AuditEntry.id).where(AuditEntry.keyed))):
        raise ConfigurationError("the audit log is keyed: set CAIRN_SECRET_KEY to the instance's secret to rewrite it")
    before = session.scalar(select(AuditEntry.hash).where(AuditEntry.id < first).order_by(AuditEntry.id.desc()))
    old_prev = new_prev = before or GENESIS
    changed, intact = 0, True
    for entry in session.scalars(select(AuditEntry).where(AuditEntry.id >= first).order_by(AuditEntry.id)):
        kind = key if entry.keyed else None
        intact = intact and entry.prev_hash == old_prev and entry.hash == _link(kind, old_prev, entry)
        old_prev = entry.hash
        changed += change(entry)
        if intact:
            entry.prev_hash, entry.hash = new_prev, _link(kind, new_prev, entry)
            new_prev = entry.hash
            if anchor is not None and key is not None and entry.id == anchor.legacy_until:
                anchor.mac = anchor_mac(key, entry.id, entry.hash)
    session.flush()
    return changed


def seal_legacy(session: Session, at: datetime) -> int:
    """Seal the unkeyed entries an instance wrote before it had ``CAIRN_SECRET_KEY`` (they must all come before
    any keyed one); returns how many. ConfigurationError without a key, or when the chain is already sealed."""
    lock_chain(session)
    key = audit_key(session)
    if key is None:
        raise ConfigurationError("set CAIRN_SECRET_KEY to seal the audit log")
    if session.get(AuditChainRow, 1) is not None:
        raise ConfigurationError("the audit log's unkeyed entries were sealed already; they cannot be sealed again")
    last = session.execute(
        select(AuditEntry.id, AuditEntry.hash).where(AuditEntry.keyed.is_(False)).order_by(AuditEntry.id.desc())
    ).first()
    if last is None:
        return 0
    if session.scalar(select(AuditEntry.id).where(AuditEntry.keyed, AuditEntry.id < last.id).limit(1)) is not None:
        raise ConfigurationError("unkeyed entries follow keyed ones: they were re-linked, and are not sealed")
    session.add(AuditChainRow(id=1, legacy_until=last.id, mac=anchor_mac(key, last.id, last.hash), sealed_at=at))
    session.flush()
    return int(session.scalar(select(func.count()).where(AuditEntry.id <= last.id)) or 0)


class AuditRepository:
    """The append-only, keyed, hash-chained audit log."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, *, at: datetime, actor: str, action: str, subject: str, details: dict[str, Any]) -> AuditEntry:
        """Add an entry chained to the previous one (serialised across processes on PostgreSQL)."""
        lock_chain(self.session)
        prev, key = next_link(self.session)
        entry = AuditEntry(
            at=at, actor=actor, action=action, subject=subject, details=details, prev_hash=prev, keyed=key is not None
        )
        entry.hash = _link(key, prev, entry)
        self.session.add(entry)
        self.session.flush()
        return entry

    def last_id(self) -> int:
        """The id of the newest entry (0 when the log is empty)."""
        return int(self.session.scalar(select(func.max(AuditEntry.id))) or 0)

    def recorded(self, *, action: str, subject: str, after: int = 0) -> bool:
        """Whether an entry of ``action`` about ``subject`` was appended after entry ``after``: only the entries
        after it are read (a range of the primary key), so a recent moment's ``last_id`` keeps this cheap."""
        query = (
            select(AuditEntry.id)
            .where(AuditEntry.id > after, AuditEntry.action == action, AuditEntry.subject == subject)
            .limit(1)
        )
        return self.session.scalar(query) is not None

    def first_broken(self) -> int | None:
        """The id of the first entry that does not check out (see :class:`ChainWalk`), or None when the chain
        holds."""
        walk = ChainWalk(audit_key(self.session), self.session.get(AuditChainRow, 1))
        for entry in self.session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
            if walk.step(entry) is not None:
                return entry.id
        return walk.legacy_until if walk.finish() else None
