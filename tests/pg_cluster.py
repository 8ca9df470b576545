"""A private PostgreSQL cluster, started for a fault test or the fault benchmark and removed after: the one place
where Cairn's own checks may restart PostgreSQL for real (``pg_ctl restart -m fast``, or ``-m immediate``: a crash),
which the shared test server must never be.

Shared by ``tests/`` and ``bench/faults.py`` (which puts the repository root on ``sys.path``, as
``bench/verify_hostile.py`` does for the hostile corpus). It is not product code: Cairn never starts PostgreSQL, so
it lives with the tests, and it imports only the standard library.

The binaries (``initdb``, ``pg_ctl``, ``postgres``) are looked for on ``PATH``, in ``/usr/local/bin`` and in
``/usr/lib/postgresql/*/bin``. ``postgres`` refuses to run as root: as root, every command runs as the ``postgres``
system user (``runuser``), in a temporary folder handed to that user. Trust authentication, loopback only, a free
port, the socket in the folder itself::

    with PgCluster.started() as cluster:
        url = cluster.create_database("cairn")   # postgresql://postgres@127.0.0.1:PORT/cairn
        cluster.restart("immediate")             # seconds the server was away
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.factories import free_port

__all__ = ["PgCluster", "unavailable"]

_TOOLS = ("initdb", "pg_ctl", "postgres", "psql")
SYSTEM_USER = "postgres"


def _bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    candidates = [Path(found).parent] if found else []
    candidates += [Path("/usr/local/bin"), *sorted(Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin"))[::-1]]
    for folder in candidates:
        if all((folder / tool).exists() for tool in _TOOLS):
            return folder
    return None


def unavailable() -> str:
    """Why no private cluster can be started here ("" when one can): for ``pytest.skip`` and the bench."""
    if _bin_dir() is None:
        return (
            "no PostgreSQL binaries (initdb, pg_ctl, postgres, psql) on PATH, in /usr/local/bin or /usr/lib/postgresql"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            return f"running as root and there is no '{SYSTEM_USER}' system user to run PostgreSQL as"
        if shutil.which("runuser") is None:
            return "running as root without runuser to run PostgreSQL as another user"
    return ""


class PgCluster:
    """One PostgreSQL cluster in a temporary folder (see the module's notes)."""

    def __init__(self) -> None:
        reason = unavailable()
        if reason:
            raise RuntimeError(reason)
        self.bin = _bin_dir() or Path()
        self.as_root = os.geteuid() == 0
        self.folder = Path(tempfile.mkdtemp(prefix="cairn-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = free_port()
        if self.as_root:
            user = pwd.getpwnam(SYSTEM_USER)
            os.chown(self.folder, user.pw_uid, user.pw_gid)

    @classmethod
    @contextmanager
    def started(cls) -> Iterator[PgCluster]:
        """A new cluster, running; stopped and its folder removed when the block ends."""
        cluster = cls()
        try:
            cluster.init()
            cluster.start()
            yield cluster
        finally:
            cluster.remove()

    def _run(self, tool: str, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", SYSTEM_USER, "--", *command]
        return subprocess.run(
            command, cwd=self.folder, capture_output=True, text=True, check=check, timeout=timeout,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", action, "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o", options, *extra)

    def start(self) -> None:
        self._ctl("start")

    def restart(self, mode: str = "fast") -> float:
        """``pg_ctl restart -m mode`` (smart, fast or immediate: a crash, recovered from the WAL at start); the
        seconds from the order to the server accepting connections again."""
        started = time.perf_counter()
        self._ctl("restart", "-m", mode)
        return time.perf_counter() - started

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", check=False)

    def running(self) -> bool:
        return self._run("pg_ctl", "status", "-D", str(self.data), check=False).returncode == 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one statement with ``psql``; its output, unaligned."""
        args = ("-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database, "-Atqc", statement)
        return self._run("psql", *args).stdout.strip()

    def create_database(self, name: str) -> str:
        """Create database ``name``; its URL."""
        self.sql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self) -> None:
        """Stop the server (at once) and delete its folder."""
        if self.data.exists():
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> list[str]:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        except OSError:
            return []
