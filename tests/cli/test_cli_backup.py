"""``cairn backup`` and ``cairn restore``: a round trip into a fresh SQLite file (the service test has the rest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cairn.cli.main import cli
from cairn.model.awards import Recipient
from cairn.services.audit import audit_key
from cairn.services.backup import sealed
from cairn.store.database import Database
from tests.factories import DEFINITION, PUBLIC_URL, SECRET, FixedClock, copy_sqlite, load_examples, make_services


def test_backup_then_restore_into_a_new_database(
    sqlite_database: Database, sqlite_template: Path, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        sealed, "DEFAULT_LOG2_N", 10
    )  # scrypt's cheapest cost: the passphrase need not be slow to try here
    sqlite_database.audit_key = audit_key(SECRET)  # written as the instance (with SECRET) would: its audit keyed
    load_examples(sqlite_database, clock)
    make_services(sqlite_database, clock).issuing.award(DEFINITION, Recipient(email="ann@example.org"), actor="test")
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("correct backup passphrase\n", encoding="utf-8")
    archive = tmp_path / "cairn.backup"
    target = copy_sqlite(sqlite_template, tmp_path / "restored.db")
    env = {"CAIRN_SECRET_KEY": SECRET, "CAIRN_BASE_URL": PUBLIC_URL, "CAIRN_DATABASE_URL": sqlite_database.url}
    runner = CliRunner()

    made = runner.invoke(cli, ["backup", str(archive), "--passphrase-file", str(passphrase)], env=env)
    assert made.exit_code == 0, made.output
    assert "Backed up" in made.output
    assert "correct backup passphrase" not in made.output
    kept = archive.read_bytes()
    twice = runner.invoke(cli, ["backup", str(archive), "--passphrase-file", str(passphrase)], env=env)
    assert twice.exit_code == 1
    assert "exists" in twice.output
    assert archive.read_bytes() == kept  # the earlier backup is untouched

    restore = ["restore", str(archive), "--passphrase-file", str(passphrase), "--database", target]
    done = runner.invoke(cli, restore, env=env)
    assert done.exit_code == 0, done.output
    assert "Restored" in done.output
    assert "intact" in done.output
    again = runner.invoke(cli, restore, env=env)
    assert again.exit_code == 1
    assert "not empty" in again.output
