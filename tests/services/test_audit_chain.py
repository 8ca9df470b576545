"""The audit chain is keyed (a database writer without the secret cannot re-link it) and erasing an account
redacts that person's own entries only (issue #19)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, delete, insert, select, update
from sqlalchemy.types import JSON

from cairn.bootstrap import Container
from cairn.services.audit import AuditService, audit_key
from cairn.store.audit import GENESIS, AuditRepository
from cairn.store.database import Database
from cairn.store.tables import AuditChainRow, AuditEntry
from tests.factories import SECRET

_OLD_AUDIT = Table(  # audit_log as it was before migration 0022
    "audit_log",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True)),
    *(Column(name, String) for name in ("actor", "action")),
    Column("subject", Text),
    Column("details", JSON),
    *(Column(name, String) for name in ("prev_hash", "hash")),
)


def _unkeyed(prev: str, entry: AuditEntry) -> str:
    """The link as the chain was before it was keyed: what anyone who can write the database can compute."""
    at = entry.at.astimezone(UTC).isoformat(timespec="microseconds")
    body = [prev, at, entry.actor, entry.action, entry.subject, entry.details]
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def _append(container: Container, actor: str, action: str, subject: str, details: dict[str, Any]) -> None:
    with container.database.transaction() as session:
        AuditRepository(session).append(
            at=container.clock(), actor=actor, action=action, subject=subject, details=details
        )


def test_a_database_writer_cannot_relink_the_chain(container: Container) -> None:
    for n in range(4):
        _append(container, "test", "thing.do", f"thing-{n}", {"n": n})
    assert container.audit.verify().ok
    with container.database.transaction() as session:
        entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        target, prev = entries[-3], entries[-4].hash
        target.actor = "someone else"
        downgrade = {"keyed": False} if "keyed" in AuditEntry.__table__.c else {}
        for entry in entries[-3:]:  # re-link it and every later entry, as an attacker without the secret can
            digest = _unkeyed(prev, entry)
            values = {"actor": entry.actor, "prev_hash": prev, "hash": digest, **downgrade}
            session.execute(update(AuditEntry).where(AuditEntry.id == entry.id).values(**values))
            prev = digest
        session.expunge_all()
    check = container.audit.verify()
    assert not check.ok
    assert check.broken_id == target.id


def test_erasing_an_account_redacts_its_own_entries_only(container: Container) -> None:
    ann = container.accounts.create_account(email="ann@example.org", password="correct horse battery").id
    joann = container.accounts.create_account(email="joann@example.org", password="correct horse battery").id
    _append(container, "test", "award.create", "award-1", {"email": "ann@example.org", "note": "Ann <ann@example.org>"})
    _append(
        container, "test", "award.create", "award-2", {"email": "joann@example.org", "note": "to JoAnn@example.org"}
    )
    _append(container, f"account:{joann}", "member.invite", "joann@example.org", {"by": "joann@example.org"})
    with container.database.transaction() as session:
        entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))  # PostgreSQL has no other order
        before = [(e.id, e.subject, e.details) for e in entries if "joann" in repr(e.details)]
    container.wallet.erase(ann, "ann@example.org")
    with container.database.transaction() as session:
        entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        after = [(e.id, e.subject, e.details) for e in entries if e.id in {b[0] for b in before}]
        assert after == before  # joann's entries are not touched
        assert all("ann@example.org" not in repr((e.subject, e.details)).replace("joann@", "") for e in entries)
        assert entries[-1].action == "account.erase"
        assert entries[-1].details["audit_entries_redacted"] == 2  # its account.create and award-1
    assert container.audit.verify().ok


def test_entries_written_before_the_chain_was_keyed_stay_verifiable_and_sealed(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        database.upgrade("0021")
        prev, at = GENESIS, datetime(2026, 1, 1, tzinfo=UTC)
        with database.engine.begin() as conn:
            for n in range(3):
                entry = AuditEntry(at=at, actor="old", action="thing.do", subject=f"thing-{n}", details={"n": n})
                digest = _unkeyed(prev, entry)
                row = {"at": at, "actor": "old", "action": "thing.do", "subject": f"thing-{n}", "details": {"n": n}}
                conn.execute(insert(_OLD_AUDIT), [{**row, "prev_hash": prev, "hash": digest}])
                prev = digest
        database.audit_key = audit_key(SECRET)
        database.upgrade()  # the instance upgrades with its secret: the three unkeyed entries are sealed
        with database.transaction() as session:
            AuditRepository(session).append(at=at, actor="new", action="thing.do", subject="thing-3", details={})
        audit = AuditService(database)
        assert audit.verify().ok
        with database.transaction() as session:  # turn the keyed entry into an unkeyed one
            newest = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
            assert newest is not None
            assert newest.keyed
            newest.keyed, newest.hash = False, _unkeyed(prev, newest)
        assert audit.verify().broken_id == 4
        with database.transaction() as session:  # ... and remove the seal too: now nothing unkeyed is accepted
            session.execute(delete(AuditChainRow))
        assert audit.verify().broken_id == 1
    finally:
        database.dispose()
