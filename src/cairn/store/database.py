"""Engines and sessions for SQLite (embedded default, WAL) and PostgreSQL (production), and migrations."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Final, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from cairn.errors import ConfigurationError, StorageError

__all__ = [
    "AUDIT_KEY",
    "SQLITE_IMMEDIATE",
    "Database",
    "NestedWriterError",
    "ReaderWroteError",
    "forbid_sqlite_reader_writes",
    "normalise_url",
    "safe_url",
]


def normalise_url(url: str) -> str:
    """Accept the URLs people write (``postgresql://``, ``postgres://``) and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def safe_url(url: str) -> str:
    """The URL with any password masked, fit for logs and pages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


AUDIT_KEY = "cairn_audit_key"
"""Where a session's ``info`` (and the migrations' ``config.attributes``) hold the audit chain's key, or None."""

SQLITE_IMMEDIATE = "cairn_sqlite_begin_immediate"
"""Execution option: begin this SQLite transaction as a writer (``BEGIN IMMEDIATE``)."""
SQLITE_SINGLE_READ = "cairn_sqlite_single_read"
"""Execution option of :meth:`Database.single_read`'s connection: no BEGIN, each statement its own transaction."""
KEPT_WHILE_UNCHANGED: Final = 256
"""How many answers :meth:`Database.while_unchanged` keeps (all are dropped when one more comes)."""

T = TypeVar("T")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling opens a transaction only before INSERT/UPDATE/DELETE, so a
    # SAVEPOINT sent first would open (and its RELEASE commit) a transaction of its own. Turn it off and
    # let SQLAlchemy's "begin" event below start every transaction explicitly (SQLAlchemy's documented
    # recipe), so savepoints always nest inside the transaction that can roll them back.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _plain_file(database: str | None) -> Path | None:
    """The file of a SQLite URL's database, or None for an in-memory one (or a ``file:`` URI)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _sqlite_begin(connection: Any) -> None:
    options = connection.get_execution_options()
    if options.get(SQLITE_SINGLE_READ, False):  # a lone SELECT is a transaction (and a snapshot) by itself
        connection.info["cairn_deferred"], connection.info["cairn_read"] = True, False
        return
    immediate = options.get(SQLITE_IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
    connection.info["cairn_deferred"], connection.info["cairn_read"] = not immediate, False


class NestedWriterError(RuntimeError):
    """A writing SQLite transaction opened while the same thread holds one: it could only wait until the busy
    timeout and fail, so it fails at once, naming the mistake."""


class ReaderWroteError(RuntimeError):
    """A SQLite transaction that began as a reader read and then wrote (raised only where
    :func:`forbid_sqlite_reader_writes` is on: the test suite)."""


def forbid_sqlite_reader_writes() -> None:
    """From now on, for every engine of this process, a SQLite transaction that began as a reader (a
    ``transaction(read_only=True)``, a bare connection) and then writes after reading raises
    :class:`ReaderWroteError`, naming the statement.

    In production such a transaction works until another connection writes between its read and its write; then
    its upgrade to a writer fails at once with 'database is locked', without waiting. The test suite switches this
    on, so a transaction declared read-only that writes fails every time it is tested, not once in a hundred CI
    runs."""
    if not event.contains(Engine, "before_cursor_execute", _refuse_reader_write):
        event.listen(Engine, "before_cursor_execute", _refuse_reader_write)


def _refuse_reader_write(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    info = connection.info
    if not info.get("cairn_deferred"):
        return
    verb = statement.lstrip()[:6].upper()
    if verb in ("SELECT", "WITH R", "WITH "):
        info["cairn_read"] = True
    elif verb in ("INSERT", "UPDATE", "DELETE", "REPLAC") and info.get("cairn_read"):
        info["cairn_deferred"] = False  # once a transaction
        raise ReaderWroteError(
            f"a SQLite transaction that began as a reader wrote after reading ({statement.split('(', 1)[0][:80]}): "
            "begin it as a writer (Database.transaction() without read_only)"
        )


class Database:
    """One database: its engine, a session factory, and its migrations."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalise_url(url)
        try:
            parsed = make_url(self.url)
        except ArgumentError as exc:
            raise ConfigurationError(f"CAIRN_DATABASE_URL is not a database URL: {safe_url(url)}") from exc
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise ConfigurationError(f"unsupported database '{self.dialect}': use sqlite:/// or postgresql://")
        kwargs: dict[str, Any] = {"echo": echo}
        if self.dialect == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:" and not database.startswith("file:"):
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False}
        else:
            kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20)
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        self._session_info: dict[str, Any] = {AUDIT_KEY: None}
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, info=self._session_info)
        self._head: str | None = None
        self._writing = threading.local()
        """``open``: whether this thread holds a writing SQLite transaction of this database."""
        self._marked_file = _plain_file(parsed.database) if self.dialect == "sqlite" else None
        self._marker: tuple[int, sqlite3.Connection] | None = None
        self._kept: dict[Hashable, tuple[int, Any]] = {}
        self._kept_lock = threading.Lock()

    @property
    def audit_key(self) -> bytes | None:
        """The key the audit chain is linked with (derived from CAIRN_SECRET_KEY; None without one): every
        session of this database carries it in ``info`` for :mod:`cairn.store.audit`."""
        key = self._session_info[AUDIT_KEY]
        return key if isinstance(key, bytes) else None

    @audit_key.setter
    def audit_key(self, key: bytes | None) -> None:
        self._session_info[AUDIT_KEY] = key

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error.

        On SQLite it begins as the writer (``BEGIN IMMEDIATE``, waiting up to the busy timeout while another
        connection writes) unless it says it only reads: a transaction that began as a reader and writes after its
        first read cannot wait for the lock, its upgrade fails at once with 'database is locked' whenever another
        connection wrote in between. A ``read_only`` one begins as a reader and reads beside the writer (WAL); the
        test suite makes a write in it an error (:func:`forbid_sqlite_reader_writes`). On PostgreSQL both are the
        same."""
        writer = self.dialect == "sqlite" and not read_only
        if writer and getattr(self._writing, "open", False):
            raise NestedWriterError(
                "a writing transaction was opened inside another one of the same thread: on SQLite it would wait for "
                "the first, which waits for it (read with transaction(read_only=True), or write in the first)"
            )
        try:
            with self.sessions.begin() as session:
                if writer:
                    session.connection(execution_options={SQLITE_IMMEDIATE: True})
                    self._writing.open = True
                try:
                    yield session
                finally:
                    if writer:
                        self._writing.open = False
        except OperationalError as exc:
            raise StorageError(f"the database failed: {type(exc.orig).__name__}") from exc

    @contextmanager
    def single_read(self) -> Iterator[Connection]:
        """A plain connection (no ORM session) for reading with one statement, such as the queries every
        verification asks. On SQLite no ``BEGIN`` is sent: the statement is its own transaction, reading one
        consistent snapshot, and the round through SQLAlchemy that a ``BEGIN`` costs is saved (a one-row read:
        about 71 -> 63 microseconds). Use :meth:`transaction` for anything that reads twice or writes; the test
        suite makes a write here an error after a read (:func:`forbid_sqlite_reader_writes`)."""
        with self.engine.connect() as connection:
            if self.dialect == "sqlite":
                connection.execution_options(**{SQLITE_SINGLE_READ: True})
            yield connection

    def _alembic_config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(resources.files("cairn.store") / "migrations"))
        config.attributes["engine"] = self.engine
        config.attributes[AUDIT_KEY] = self.audit_key
        return config

    def upgrade(self, revision: str = "head") -> None:
        """Apply migrations up to ``revision`` (all of them by default)."""
        try:
            command.upgrade(self._alembic_config(), revision)
        except OperationalError as exc:
            raise StorageError(
                f"cannot migrate {safe_url(self.url)}: {type(exc.orig).__name__}: {str(exc.orig).strip()[:200]}"
            ) from exc

    def downgrade(self, revision: str) -> None:
        """Revert migrations down to ``revision`` (``base`` for an empty schema)."""
        command.downgrade(self._alembic_config(), revision)

    def current_revision(self) -> str | None:
        """The revision the database is at, or None when it was never migrated."""
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def head_revision(self) -> str | None:
        """The newest revision the code knows (read once)."""
        if self._head is None:
            self._head = ScriptDirectory.from_config(self._alembic_config()).get_current_head()
        return self._head

    def knows_revision(self, revision: str) -> bool:
        """Whether ``revision`` is one of the migrations this code has."""
        from alembic.script.revision import RevisionError

        try:
            return ScriptDirectory.from_config(self._alembic_config()).get_revision(revision) is not None
        except RevisionError:
            return False

    def is_current(self) -> bool:
        """True when every migration has been applied."""
        return self.current_revision() == self.head_revision()

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        from sqlalchemy import text

        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError:
            return False
        return True

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        with self._kept_lock:
            if self._marker is not None:
                self._marker[1].close()
            self._marker = None
            self._kept.clear()

    def change_mark(self) -> int | None:
        """A number that stays the same while no connection, of this process or any other, commits a change to the
        database; None where there is no such number that costs less than the queries it would save (PostgreSQL, an
        in-memory SQLite database, a file that does not exist yet).

        On a SQLite file it is ``PRAGMA data_version`` (about 3 microseconds), asked on a connection of its own
        that never writes: SQLite changes it whenever another connection commits."""
        if self._marked_file is None:
            return None
        with self._kept_lock:
            marker = self._marker
            if marker is None or marker[0] != os.getpid():  # a forked child never shares its parent's connection
                if not self._marked_file.is_file():
                    return None
                try:
                    connection = sqlite3.connect(  # timeout 0: a busy file answers None at once, never waits
                        self._marked_file, timeout=0, check_same_thread=False, isolation_level=None
                    )
                except sqlite3.Error:
                    return None
                marker = self._marker = (os.getpid(), connection)
            try:
                # fetchall steps the statement to its end, so no read transaction stays open (it would hold back
                # the WAL's checkpoints)
                return int(marker[1].execute("PRAGMA data_version").fetchall()[0][0])
            except sqlite3.Error:
                self._marker = None
                return None

    def kept(self, key: Hashable) -> tuple[Any] | None:
        """The answer :meth:`while_unchanged` keeps for ``key`` (in a 1-tuple: it may be None itself) when nothing
        was committed since it was read; None when it would have to be read again. Reads nothing but the change
        mark, and never waits for it (a busy database answers None): for the event loop, which must not wait."""
        mark = self.change_mark()
        return None if mark is None else self._kept_at(key, mark)

    def _kept_at(self, key: Hashable, mark: int) -> tuple[Any] | None:
        with self._kept_lock:
            kept = self._kept.get(key)
        return (kept[1],) if kept is not None and kept[0] == mark else None

    def while_unchanged(self, key: Hashable, read: Callable[[], T]) -> T:
        """What ``read()`` answers, read again only when the database may have changed since it was last read for
        ``key`` (:meth:`change_mark`); read every time where there is no change mark (PostgreSQL).

        For the short reads every verification asks (is the stored status list current, what an issuer's DID
        document is made of): while nothing is committed anywhere, the same query would give the same answer. The
        mark is taken before ``read`` runs, so a change committed during the read is read again next time. An
        answer is shared between callers: it must be immutable (a tuple, a frozen dataclass)."""
        mark = self.change_mark()
        if mark is None:
            return read()
        kept = self._kept_at(key, mark)
        if kept is not None:
            return kept[0]  # type: ignore[no-any-return]
        answer = read()
        with self._kept_lock:
            if len(self._kept) >= KEPT_WHILE_UNCHANGED:
                self._kept.clear()
            self._kept[key] = (mark, answer)
        return answer
