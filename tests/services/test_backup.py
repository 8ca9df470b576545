"""Backup and restore of a whole instance: an instance with awards (one revoked, one suspended), a wallet credential
and its audit chain goes into an encrypted archive and comes back into a fresh database, on the other backend when
PostgreSQL is at hand (SQLite to PostgreSQL and back), where the old credentials verify with their status."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cairn.bootstrap import Container, build
from cairn.errors import ConfigurationError, ConflictError, InputError
from cairn.model.awards import Recipient
from cairn.services.audit import AuditService
from cairn.services.backup.service import BackupService
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.store.tables import AuditEntry, WalletCredentialRow
from tests.factories import (
    DEFINITION,
    ORG,
    PUBLIC_URL,
    FixedClock,
    PostgresServer,
    copy_sqlite,
    learner_with_credential,
)

PASSPHRASE = b"a long backup passphrase, kept apart"
INSTANCE_SECRET = "s" * 48  # make_container's


@pytest.fixture
def fresh(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A migrated, empty database: on the other backend when PostgreSQL is configured, else on the same one."""
    other = (
        {"sqlite": "postgresql", "postgresql": "sqlite"}[backend]
        if os.environ.get("CAIRN_TEST_POSTGRES_URL")
        else backend
    )
    if other == "sqlite":
        db = Database(copy_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / "restored.db"))
        yield db
        db.dispose()
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.lease()
    db = Database(url)
    yield db
    db.dispose()
    server.give_back(url)


def _service(container: Container) -> BackupService:
    return BackupService(container.database, keys=container.keys, version="test", clock=container.clock, log2_n=10)


def _instance(database: Database, clock: FixedClock, secret: str | None = INSTANCE_SECRET) -> Container:
    return build(
        Settings(database_url="sqlite://", secret_key=secret, base_url=PUBLIC_URL), clock=clock, database=database
    )


def _rows(database: Database) -> int:
    with database.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def test_an_instance_comes_back_whole_and_its_credentials_still_verify(
    container: Container, clock: FixedClock, fresh: Database, tmp_path: Path
) -> None:
    _, wallet_credential, credential = learner_with_credential(container)
    revoked = container.issuing.award(DEFINITION, Recipient(email="bob@example.org"), actor="test", organisation=ORG)
    suspended = container.issuing.award(DEFINITION, Recipient(email="cyd@example.org"), actor="test", organisation=ORG)
    container.status_lists.revoke(revoked.award_id, reason="in error", actor="registrar")
    container.status_lists.suspend(suspended.award_id, reason="checking", actor="registrar")
    archive = tmp_path / "instance.cairn-backup"
    manifest = _service(container).backup(archive, PASSPHRASE)
    sealed = archive.read_bytes()
    assert PASSPHRASE not in sealed
    assert b"ann@example.org" not in sealed
    assert b"manifest" not in sealed

    restored = _instance(fresh, clock)
    backups = _service(restored)
    flipped = tmp_path / "flipped.cairn-backup"
    flipped.write_bytes(sealed[:-40] + bytes([sealed[-40] ^ 1]) + sealed[-39:])
    with pytest.raises(InputError, match="passphrase"):
        backups.restore(archive, b"not the passphrase")
    with pytest.raises(InputError, match="damaged"):
        backups.restore(flipped, PASSPHRASE)
    other = Database(fresh.url)  # its own: build() gives the database it is handed that instance's audit key
    try:
        with pytest.raises(ConfigurationError, match="CAIRN_SECRET_KEY of the instance"):
            _service(_instance(other, clock, secret="another instance's secret key, forty chars")).restore(
                archive, PASSPHRASE
            )
    finally:
        other.dispose()
    assert _rows(fresh) == 0  # nothing was written

    assert backups.restore(archive, PASSPHRASE).counts == manifest.counts
    assert sum(manifest.counts.values()) > 50
    assert manifest.counts["awards"] == 3
    assert AuditService(fresh).verify().ok
    assert restored.verification.verify(credential).verified
    for award, word in ((revoked, "revoked"), (suspended, "suspended")):
        document = restored.issuing.get(award.award_id, organisation=ORG).credential
        assert isinstance(document, dict)
        report = restored.verification.verify(document)
        assert not report.verified
        assert word in report.text()
    with fresh.transaction() as session:
        assert session.get(WalletCredentialRow, wallet_credential) is not None
    with pytest.raises(ConflictError, match="not empty"):
        backups.restore(archive, PASSPHRASE)

    # The restored instance goes on: new ids follow the restored ones (sequences reset) and the chain still holds.
    later = restored.issuing.award(DEFINITION, Recipient(email="dan@example.org"), actor="test", organisation=ORG)
    assert restored.verification.verify(later.credential).verified
    assert AuditService(fresh).verify().ok
    assert _rows(fresh) > manifest.counts["audit_log"]
