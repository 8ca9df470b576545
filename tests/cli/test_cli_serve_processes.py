"""Two ``cairn serve`` processes on one PostgreSQL database behave like one instance (issue #19, point 2)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from cairn.model.awards import Recipient
from cairn.services.accounts.service import AccountService
from cairn.store.database import Database
from tests.factories import (
    DEFINITION,
    ORG,
    PASSWORD,
    PUBLIC_URL,
    REPO,
    SECRET,
    FixedClock,
    PostgresServer,
    csrf_of,
    fast_hasher,
    free_port,
    load_examples,
    make_services,
)


@contextmanager
def _serving(url: str, cwd: Path, count: int) -> Iterator[list[httpx.Client]]:
    """``count`` ``cairn serve`` processes on free ports, started together; a client of each, until they are
    stopped (cleanly: SIGINT, so each lifespan ends its threads)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    env |= {
        "PYTHONPATH": str(REPO / "src"),
        "CAIRN_DATABASE_URL": url,
        "CAIRN_SECRET_KEY": SECRET,
        "CAIRN_BASE_URL": PUBLIC_URL,  # behind one proxy, every process has the instance's one public URL
        "CAIRN_SKILLS_INDEX": "none",
        "CAIRN_LOG_LEVEL": "warning",
    }
    processes: list[subprocess.Popen[bytes]] = []
    clients: list[httpx.Client] = []
    try:
        for _ in range(count):
            port = free_port()
            command = [sys.executable, "-m", "cairn", "serve", "--port", str(port)]
            out = subprocess.DEVNULL
            processes.append(subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.PIPE))
            clients.append(httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30))
        deadline = time.monotonic() + 60
        for process, client in zip(processes, clients, strict=True):
            while True:
                assert process.poll() is None, process.communicate()[1].decode()[-2000:]
                assert time.monotonic() < deadline, "cairn serve did not start"
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
        yield clients
    finally:
        for client in clients:
            client.close()
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate(timeout=15)


def _sign_in(client: httpx.Client, password: str) -> httpx.Response:
    client.cookies.clear()
    token = csrf_of(client.get("/sign-in").text)
    return client.post("/sign-in", data={"email": "issuer@example.org", "password": password, "csrf_token": token})


@pytest.mark.slow
@pytest.mark.postgres
def test_two_serve_processes_share_sessions_limits_and_fresh_state(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """Started together on a new database, both migrate it (one waits for the other's lock); signed in on A, the
    session works on B; wrong passwords counted half on A and half on B are refused by B at the shared limit; an
    award revoked on A is revoked in the status list B serves at once."""
    url = postgres_server.new_database()  # never migrated: both processes migrate it as they start, at once
    with _serving(url, tmp_path, 2) as (a, b):
        clock = FixedClock()
        setup = Database(url)
        try:
            load_examples(setup, clock)
            accounts = AccountService(setup, clock=clock, password_hasher=fast_hasher())
            accounts.add_member(organisation=ORG, email="issuer@example.org", role="issuer")
            accounts.set_password(email="issuer@example.org", password=PASSWORD)
            award = make_services(setup, clock).issuing.award(DEFINITION, Recipient(email="ann@example.org"), actor="t")
        finally:
            setup.dispose()
        assert isinstance(award.credential, dict)
        entries = award.credential["credentialStatus"]
        entries = entries if isinstance(entries, list) else [entries]
        revocation = next(e for e in entries if e.get("statusPurpose") == "revocation")
        status_path = urlsplit(revocation["statusListCredential"]).path

        before = b.get(status_path)  # B signs the list and keeps it for its revision
        assert before.status_code == 200

        # a session made by A is one B knows
        assert _sign_in(a, PASSWORD).status_code == 303
        b.cookies = a.cookies
        account = b.get("/account")
        assert account.status_code == 200
        assert "issuer@example.org" in account.text

        # a write on A (revoking the award, through its page) is what B serves next, not B's kept copy
        page = f"/orgs/{ORG}/awards/{award.award_id}"
        form = {"csrf_token": csrf_of(a.get(page).text), "reason": "issued in error", "confirm": "yes"}
        assert a.post(f"{page}/revoke", data=form).status_code == 303
        after = b.get(status_path)
        assert after.status_code == 200
        assert after.headers["etag"] != before.headers["etag"]  # the list's revision moved

        # the failure limit (10 per account and network) is one count for both processes
        for client in (a, b):
            for _ in range(5):
                assert _sign_in(client, "not the password").status_code == 401
        refused = _sign_in(b, "not the password")
        assert refused.status_code == 429, refused.text[:300]
        assert _sign_in(a, PASSWORD).status_code == 429  # even the right password waits out the limit
