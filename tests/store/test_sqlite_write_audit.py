"""CAIRN_SQLITE_WRITE_AUDIT lists the SQLite transactions that read and then write without having begun as a
writer (they fail at once with 'database is locked' when another connection wrote since their read)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

import cairn.store.database as database_module
from cairn.bootstrap import load_settings
from cairn.store.database import WRITE_AUDIT, Database, audit_sqlite_writes
from cairn.store.issuing.repository import begin_write


def test_a_reader_that_writes_is_written_down_and_a_writer_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = tmp_path / "audit.jsonl"
    monkeypatch.setattr(database_module, "_audit_file", [])  # whatever this run audits, this test writes here
    audit_sqlite_writes(str(found))
    database = Database(f"sqlite:///{tmp_path / 'audit.db'}")
    try:
        with database.transaction() as session:
            session.execute(text("CREATE TABLE t (n INTEGER)"))
        with database.transaction() as session:
            begin_write(session)
            session.execute(text("SELECT count(*) FROM t"))
            session.execute(text("INSERT INTO t VALUES (1)"))
        assert not found.exists()
        with database.transaction() as session:
            session.execute(text("INSERT INTO t VALUES (2)"))  # a write first: it became a writer at once
        assert not found.exists()
        with database.transaction() as session:
            session.execute(text("SELECT count(*) FROM t"))
            session.execute(text("UPDATE t SET n = 3"))
            session.execute(text("DELETE FROM t WHERE n = 0"))  # written down once a transaction
        lines = [json.loads(line) for line in found.read_text(encoding="utf-8").splitlines()]
        assert [line["statement"] for line in lines] == ["UPDATE t SET n = 3"]
        assert any("test_sqlite_write_audit.py" in frame for frame in lines[0]["where"])
        database_module._audit_file.clear()  # switched off again (the listener stays, idle): nothing written
        with database.transaction() as session:
            session.execute(text("SELECT count(*) FROM t"))
            session.execute(text("UPDATE t SET n = 4"))
        assert len(found.read_text(encoding="utf-8").splitlines()) == 1
    finally:
        database.dispose()


def test_bootstrap_switches_it_on_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database_module, "_audit_file", [])
    monkeypatch.setenv(WRITE_AUDIT, str(tmp_path / "audit.jsonl"))
    load_settings()
    assert database_module._audit_file == [str(tmp_path / "audit.jsonl")]
