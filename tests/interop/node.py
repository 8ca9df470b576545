"""What the interop tests share: the pinned npm packages of tests/interop/js, installed once, a node harness run
beside them trusting the loopback CA, and a running Cairn instance over HTTPS on loopback (the fixtures are in
tests/interop/conftest.py).

The JavaScript packages are those of tests/interop/js/package-lock.json, installed once with ``npm ci`` into
``~/.cache/cairn-interop/<hash of package.json and the lock>``; without node and npm, or without the npm registry
for that first install, :func:`install` skips the test saying why.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cairn.bootstrap import Container
from tests.factories import RunningServer

JS = Path(__file__).resolve().parent / "js"
COMMON = "common.mjs"  # the helpers every script of JS imports (./common.mjs)
CACHE = Path.home() / ".cache" / "cairn-interop"
INSTALL_SECONDS = 600
RUN_SECONDS = 120


def install() -> Path:
    """The folder holding node_modules for tests/interop/js (installed once per lock), or skip saying why."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are not installed: the JavaScript implementations cannot run")
    digest = hashlib.sha256(b"".join((JS / n).read_bytes() for n in ("package.json", "package-lock.json")))
    folder = CACHE / digest.hexdigest()[:16]
    if (folder / ".installed").is_file():
        return folder
    CACHE.mkdir(parents=True, exist_ok=True)
    # Test workers (pytest-xdist) may all ask at once on a new machine: one installs, the others wait for it, so
    # none removes a folder another is installing into.
    with (CACHE / f"{folder.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return _install(folder, npm)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _install(folder: Path, npm: str) -> Path:
    """Install into ``folder`` unless another worker did while this one waited (the caller holds the lock)."""
    if (folder / ".installed").is_file():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(JS / name, folder / name)
    try:
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--fetch-retries=1", "--fetch-timeout=30000"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=INSTALL_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        done = None
    if done is None or done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        tail = (done.stderr or done.stdout)[-400:] if done is not None else f"timed out after {INSTALL_SECONDS} s"
        pytest.skip(f"npm could not install the JavaScript packages (is the npm registry reachable?): {tail}")
    (folder / ".installed").write_text("ok\n", encoding="utf-8")
    return folder


def place(folder: Path, script: str) -> None:
    """Copy a script of tests/interop/js, and ``common.mjs`` that every script imports, into ``folder`` (that of the
    installed packages, so that node resolves them there)."""
    for name in (COMMON, script):
        wanted, target = (JS / name).read_bytes(), folder / name
        if target.exists() and target.read_bytes() == wanted:
            continue
        # Whole or not at all: another test worker's node may be reading this very file (copying in place let it
        # read half of common.mjs: "does not provide an export named ...").
        temp = folder / f".{name}.{os.getpid()}.tmp"
        temp.write_bytes(wanted)
        os.replace(temp, target)


@dataclass
class Harness:
    """A script of tests/interop/js beside its installed packages, run with node trusting the loopback CA; it
    prints one JSON line last, which :meth:`run` returns. The helpers the scripts share (``common.mjs``) are copied
    beside it."""

    folder: Path
    ca: Path
    script: str = "interop.mjs"

    def run(self, *args: str) -> dict[str, Any]:
        place(self.folder, self.script)
        done = subprocess.run(
            ["node", self.script, *args],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=RUN_SECONDS,
            check=False,
            env={"PATH": str(Path(shutil.which("node") or "node").parent), "NODE_EXTRA_CA_CERTS": str(self.ca)},
        )
        assert done.returncode == 0, done.stderr[-2000:]
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    @contextmanager
    def serving(self, *args: str) -> Iterator[Serving]:
        """The script run as a server: its first JSON line (``first``) while it runs, its last (``last``) once
        stdin is closed (:meth:`Serving.finish`, or leaving the block)."""
        place(self.folder, self.script)
        process = subprocess.Popen(
            ["node", self.script, *args],
            cwd=self.folder,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={"PATH": str(Path(shutil.which("node") or "node").parent), "NODE_EXTRA_CA_CERTS": str(self.ca)},
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            if not line:
                _, err = process.communicate(timeout=RUN_SECONDS)
                raise AssertionError(err[-2000:])
            running = Serving(process, json.loads(line))
            yield running
            running.finish()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


@dataclass
class Serving:
    """A harness script running as a server (:meth:`Harness.serving`)."""

    process: subprocess.Popen[str]
    first: dict[str, Any]
    last: dict[str, Any] | None = None

    def finish(self) -> dict[str, Any]:
        """Close its stdin and read its last JSON line."""
        if self.last is None:
            out, err = self.process.communicate(timeout=RUN_SECONDS)
            assert self.process.returncode == 0, err[-2000:]
            self.last = json.loads(out.strip().splitlines()[-1])
        return self.last


@dataclass
class Instance:
    """A running Cairn: its public ``url``, its ``container``, the server, and ``tls`` (CA, certificate, key)."""

    url: str
    container: Container
    running: RunningServer
    tls: tuple[Path, Path, Path]
