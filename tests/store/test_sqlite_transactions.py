"""SQLite transactions begin as writers unless they say they only read.

A transaction that began as a reader and writes after reading cannot wait for the write lock: its upgrade fails at
once with 'database is locked' when another connection wrote in between. ``Database.transaction()`` therefore takes
the lock first (and waits its turn); ``transaction(read_only=True)`` reads beside a writer, and in the test suite a
write in it after a read is an error, so a mislabelled transaction fails every time it is tested."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from cairn.store.database import Database, NestedWriterError, ReaderWroteError

HOLD = 0.5
"""Seconds the first transaction keeps the database after its read."""


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    found = Database(f"sqlite:///{tmp_path / 'transactions.db'}")
    with found.transaction() as session:
        session.execute(text("CREATE TABLE t (n INTEGER)"))
        session.execute(text("INSERT INTO t VALUES (0)"))
    yield found
    found.dispose()


def _read_hold_write(database: Database, read: threading.Event, errors: list[BaseException]) -> None:
    try:
        with database.transaction() as session:
            session.execute(text("SELECT count(*) FROM t")).scalar()
            read.set()
            time.sleep(HOLD)  # another connection tries to write meanwhile
            session.execute(text("UPDATE t SET n = n + 1"))
    except BaseException as exc:  # reported to the test
        errors.append(exc)


def test_a_transaction_that_reads_then_writes_waits_for_no_one_and_no_one_fails(database: Database) -> None:
    read, errors = threading.Event(), list[BaseException]()
    first = threading.Thread(target=_read_hold_write, args=(database, read, errors))
    first.start()
    assert read.wait(10)
    with database.transaction() as session:  # waits for the first to commit, then writes (it failed once: deferred)
        session.execute(text("SELECT count(*) FROM t")).scalar()
        session.execute(text("UPDATE t SET n = n + 10"))
    first.join(10)
    assert not errors, errors
    with database.transaction(read_only=True) as session:
        assert session.execute(text("SELECT n FROM t")).scalar() == 11  # both writes, one after the other


def test_a_read_only_transaction_reads_beside_the_writer_without_waiting(database: Database) -> None:
    read, errors = threading.Event(), list[BaseException]()
    writer = threading.Thread(target=_read_hold_write, args=(database, read, errors))
    writer.start()
    assert read.wait(10)
    begun = time.monotonic()
    with database.transaction(read_only=True) as session:
        seen = session.execute(text("SELECT n FROM t")).scalar()
    waited = time.monotonic() - begun
    writer.join(10)
    assert not errors, errors
    assert seen == 0  # what was committed before the writer began: it did not wait for the writer's commit
    assert waited < HOLD, f"the reader waited {waited:.2f} s behind the writer"


def test_a_read_only_transaction_that_writes_after_reading_is_an_error_in_the_tests(database: Database) -> None:
    def read_then_write() -> None:
        with database.transaction(read_only=True) as session:
            session.execute(text("SELECT count(*) FROM t")).scalar()
            session.execute(text("UPDATE t SET n = 5"))

    with pytest.raises(ReaderWroteError, match="UPDATE t SET n = 5"):
        read_then_write()
    with database.transaction(read_only=True) as session:
        assert session.execute(text("SELECT n FROM t")).scalar() == 0  # rolled back
    with database.transaction(read_only=True) as session:
        session.execute(text("INSERT INTO t VALUES (7)"))  # a write first takes the lock at once: no upgrade to fail
    with database.transaction(read_only=True) as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == 2


def test_a_writer_opened_inside_another_of_the_same_thread_fails_at_once(database: Database) -> None:
    """It could only wait for the busy timeout (10 s) behind the transaction that waits for it, then fail."""

    def nested() -> None:
        with database.transaction() as outer:
            outer.execute(text("UPDATE t SET n = 1"))
            with database.transaction(read_only=True) as inner:  # a reader beside it: fine
                assert inner.execute(text("SELECT n FROM t")).scalar() == 0  # not yet committed
            with database.transaction():
                pass

    begun = time.monotonic()
    with pytest.raises(NestedWriterError, match="inside another one of the same thread"):
        nested()
    assert time.monotonic() - begun < 2
    with database.transaction() as session:  # the first was rolled back, and this thread may write again
        assert session.execute(text("SELECT n FROM t")).scalar() == 0
        session.execute(text("UPDATE t SET n = 2"))
    with database.transaction(read_only=True) as session:
        assert session.execute(text("SELECT n FROM t")).scalar() == 2


def test_a_single_read_sends_no_begin_reads_beside_the_writer_and_may_not_write(database: Database) -> None:
    """Database.single_read (the queries every verification asks): one statement, its own snapshot, no BEGIN."""
    from sqlalchemy import event

    sent: list[str] = []

    def record(_connection: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.append(statement.strip().split()[0].upper())

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        with database.transaction() as writing:
            writing.execute(text("UPDATE t SET n = 5"))  # not committed while the read below runs
            started = time.monotonic()
            with database.single_read() as connection:
                assert connection.execute(text("SELECT n FROM t")).scalar() == 0  # the last committed value
            assert time.monotonic() - started < 1, "the read waited for the writer"
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    assert sent == ["BEGIN", "UPDATE", "SELECT"], sent  # the writer's BEGIN IMMEDIATE; none for the single read
    with database.single_read() as connection:
        assert connection.execute(text("SELECT n FROM t")).scalar() == 5
        with pytest.raises(ReaderWroteError):
            connection.execute(text("UPDATE t SET n = 6"))
