"""Database.change_mark and Database.while_unchanged: a read kept while nothing is committed anywhere.

SQLite's ``PRAGMA data_version`` changes when another connection commits, in this process or another; that is the
only thing that may let a kept answer be served, so each test commits in a different way and checks the next read
sees it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from cairn.store.database import KEPT_WHILE_UNCHANGED, Database


def _counting_read(log: list[int], answer: object) -> object:
    log.append(1)
    return answer


@pytest.fixture
def file_database(sqlite_database: Database) -> Database:
    with sqlite_database.engine.begin() as connection:
        connection.execute(text("CREATE TABLE scratch (x INTEGER)"))
    return sqlite_database


def test_the_mark_holds_while_nothing_is_committed_and_moves_on_every_commit(file_database: Database) -> None:
    first = file_database.change_mark()
    assert first is not None
    with file_database.single_read() as connection:  # reading changes nothing
        connection.execute(text("SELECT count(*) FROM scratch")).all()
    assert file_database.change_mark() == first
    with file_database.engine.begin() as connection:
        connection.execute(text("INSERT INTO scratch VALUES (1)"))
    second = file_database.change_mark()
    assert second is not None
    assert second != first
    raw = file_database.engine.raw_connection()  # a transaction still open is no change yet
    try:
        cursor = raw.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        cursor.execute("INSERT INTO scratch VALUES (2)")
        assert file_database.change_mark() == second
        cursor.execute("COMMIT")
    finally:
        raw.close()
    assert file_database.change_mark() != second


def test_a_commit_by_another_process_moves_the_mark(file_database: Database) -> None:
    before = file_database.change_mark()
    path = file_database.engine.url.database
    assert path
    script = f"import sqlite3; c = sqlite3.connect({path!r}); c.execute('INSERT INTO scratch VALUES (3)'); c.commit()"
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    assert file_database.change_mark() != before


def test_an_answer_is_kept_until_something_is_committed(file_database: Database) -> None:
    reads: list[int] = []
    assert file_database.while_unchanged("k", lambda: _counting_read(reads, "a")) == "a"
    assert file_database.while_unchanged("k", lambda: _counting_read(reads, "b")) == "a"
    assert len(reads) == 1
    assert file_database.while_unchanged("other", lambda: _counting_read(reads, "c")) == "c"  # each key its own
    other = Database(str(file_database.engine.url))  # another process's engine, writing
    try:
        with other.engine.begin() as connection:
            connection.execute(text("INSERT INTO scratch VALUES (4)"))
    finally:
        other.dispose()
    assert file_database.while_unchanged("k", lambda: _counting_read(reads, "d")) == "d"
    assert len(reads) == 3


def test_a_change_committed_while_reading_is_read_again(file_database: Database) -> None:
    def read_while_someone_commits() -> str:
        with file_database.engine.begin() as connection:
            connection.execute(text("INSERT INTO scratch VALUES (5)"))
        return "read before the commit's mark"

    file_database.while_unchanged("k", read_while_someone_commits)
    assert file_database.while_unchanged("k", lambda: "read again") == "read again"


def test_the_kept_answers_are_bounded(file_database: Database) -> None:
    for n in range(KEPT_WHILE_UNCHANGED + 5):
        file_database.while_unchanged(("many", n), lambda n=n: n)  # type: ignore[misc]
    assert len(file_database._kept) <= KEPT_WHILE_UNCHANGED


def test_no_mark_where_it_would_not_be_exact(tmp_path: Path) -> None:
    """An in-memory database (each connection its own), a file not made yet: every read is sent."""
    memory = Database("sqlite://")
    not_yet = Database(f"sqlite:///{tmp_path / 'later.db'}")
    for database in (memory, not_yet):
        assert database.change_mark() is None
        reads: list[int] = []
        for _ in range(3):
            database.while_unchanged("k", lambda log=reads: _counting_read(log, "x"))  # type: ignore[misc]
        assert len(reads) == 3
        database.dispose()
    assert not (tmp_path / "later.db").exists()  # asking made no file


def test_postgresql_has_no_mark(database: Database) -> None:
    if database.dialect == "sqlite":
        assert database.change_mark() is not None
        return
    reads: list[int] = []
    for _ in range(2):
        database.while_unchanged("k", lambda: _counting_read(reads, "x"))
    assert database.change_mark() is None
    assert len(reads) == 2


def test_a_forked_child_or_a_disposed_database_asks_on_a_connection_of_its_own(file_database: Database) -> None:
    assert file_database.change_mark() is not None
    marker = file_database._marker
    assert marker is not None
    file_database._marker = (marker[0] + 1, marker[1])  # as a child forked after the first ask sees it
    assert file_database.change_mark() is not None
    assert file_database._marker is not None
    assert file_database._marker[1] is not marker[1]
    marker[1].close()
    file_database.dispose()
    assert file_database._marker is None
    assert not file_database._kept
    assert file_database.change_mark() is not None
