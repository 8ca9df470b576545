"""What the store must not keep or let others set (issue 19): a sign-up does not touch an existing account before
its address is proven; sent emails keep no live links; expired sessions, links and old emails are purged."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from cairn.errors import AuthenticationError
from cairn.services.accounts.purge import purge
from cairn.services.accounts.service import AccountService
from cairn.services.mail import Mailer
from cairn.store.database import Database
from cairn.store.job_tables import BulkUploadRow
from cairn.store.tables import AccountRow, OrganisationRow, OutboxRow, ShareLinkRow, SignInLinkRow, WebSessionRow
from tests.factories import FixedClock, add_organisation, fast_hasher, learner_with_credential, make_container
from tests.helpers import rows

PASSWORD = "correct horse battery"


def _service(database: Database, clock: FixedClock) -> AccountService:
    add_organisation(database, clock, "uni")
    return AccountService(database, clock=clock, public_url="https://cairn.example", password_hasher=fast_hasher())


def _account(database: Database, email: str) -> AccountRow:
    with database.transaction() as s:
        row = s.scalar(select(AccountRow).where(AccountRow.email == email))
        assert row is not None
        return row


def _token(body: str) -> str:
    found = re.search(r"/sign-in/link\?token=([A-Za-z0-9_-]+)", body)
    assert found, body
    return found.group(1)


def test_signing_up_as_an_invited_member_sets_nothing_until_the_address_is_proven(
    database: Database, clock: FixedClock
) -> None:
    service = _service(database, clock)
    service.add_member(organisation="uni", email="bob@example.org", notify=False)  # invited, never signed in
    service.sign_up(email="new@example.org", password=PASSWORD, display_name="New", client="c")
    service.sign_up(email="bob@example.org", password="mallory's password", display_name="Mallory", client="m")
    bob = _account(database, "bob@example.org")
    assert (bob.display_name, bob.password_hash, bob.email_verified_at) == (None, None, None)
    new_mail, bob_mail = rows(database, OutboxRow)
    assert bob_mail.subject == new_mail.subject  # answered as for a new address
    with pytest.raises(AuthenticationError, match="wrong email or password"):
        service.sign_in(email="bob@example.org", password="mallory's password", client="m")
    # whoever reads Bob's mailbox and chose the password proves the address: then, and only then, both apply
    new = service.redeem_sign_in_link(token=_token(bob_mail.body_text), client="b", password="mallory's password")
    assert (new.account.display_name, new.account.has_password) == ("Mallory", True)


def test_sent_emails_keep_no_live_links(database: Database, clock: FixedClock) -> None:
    service = _service(database, clock)
    service.create_account(email="ada@example.org", password=PASSWORD)
    service.request_sign_in_link(email="ada@example.org", client="c")

    class Transport:
        def __init__(self) -> None:
            self.bodies: list[str] = []

        def send(self, message: EmailMessage) -> None:
            self.bodies.append(str(message.get_content()))

        def close(self) -> None:
            pass

    transport = Transport()
    assert Mailer(database, clock=clock, transport=transport).send_pending().sent == 1
    token = _token(transport.bodies[0])
    (kept,) = rows(database, OutboxRow)
    assert kept.sent_at is not None
    assert token not in kept.body_text
    assert "[link removed once sent]" in kept.body_text


def _upload(database: Database, clock: FixedClock, filename: str, *, finished: bool) -> None:
    """A bulk-award upload, finished now (its report kept a while) or still running."""
    if not rows(database, OrganisationRow):
        add_organisation(database, clock, "uni")
    with database.transaction() as s:
        org = s.scalars(select(OrganisationRow)).one()
        s.add(
            BulkUploadRow(
                organisation_id=org.id,
                definition="d",
                file_sha256=hashlib.sha256(filename.encode()).hexdigest(),
                filename=filename,
                actor="t",
                data=None,
                status="done" if finished else "running",
                report={},
                created_at=clock(),
                finished_at=clock() if finished else None,
            )
        )


def test_purge_forgets_what_has_expired(database: Database, clock: FixedClock) -> None:
    service = _service(database, clock)
    service.create_account(email="ada@example.org", password=PASSWORD)
    old = service.sign_in(email="ada@example.org", password=PASSWORD, client="c")
    service.request_sign_in_link(email="ada@example.org", client="c")
    with database.transaction() as s:
        s.get(OutboxRow, 1).sent_at = clock()  # type: ignore[union-attr]
    _upload(database, clock, "old.csv", finished=True)
    clock.advance(days=40)
    live = service.sign_in(email="ada@example.org", password=PASSWORD, client="c")
    service.request_sign_in_link(email="ada@example.org", client="c")
    _upload(database, clock, "recent.csv", finished=True)
    _upload(database, clock, "running.csv", finished=False)
    counts = purge(database, now=clock())
    assert counts == {"web_sessions": 1, "sign_in_links": 1, "rate_limit_hits": 0, "outbox": 1, "bulk_uploads": 1}
    assert sorted(r.filename for r in rows(database, BulkUploadRow)) == ["recent.csv", "running.csv"]
    assert service.session(live.token) is not None
    assert service.session(old.token) is None
    assert (
        len(rows(database, WebSessionRow)) == len(rows(database, SignInLinkRow)) == len(rows(database, OutboxRow)) == 1
    )
    assert purge(database, now=clock()) == {
        "web_sessions": 0, "sign_in_links": 0, "rate_limit_hits": 0, "outbox": 0, "bulk_uploads": 0,
    }  # fmt: skip


def test_cairn_purge_runs_from_the_command_line(migrated_sqlite_url: str) -> None:
    from click.testing import CliRunner

    from cairn.cli.main import cli

    result = CliRunner().invoke(cli, ["purge", "--database", migrated_sqlite_url], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output == "Purged: 0 web_sessions, 0 sign_in_links, 0 rate_limit_hits, 0 outbox, 0 bulk_uploads\n"


def test_share_links_keep_only_the_hash_of_their_token(sqlite_database: Database, examples: Path) -> None:
    container = make_container(sqlite_database, FixedClock(), examples)
    account, credential_id, _ = learner_with_credential(container)
    link = container.sharing.create_link(account_id=account, credential_id=credential_id)
    (row,) = rows(sqlite_database, ShareLinkRow)
    assert row.token_hash == hashlib.sha256(link.token.encode()).hexdigest()
    assert link.token not in (row.seed or "")
    assert container.sharing.open_link(link.token).credential.id == credential_id
    (listed,) = container.sharing.links(account_id=account, credential_id=credential_id)
    assert listed.url == link.url  # the owner is shown it again: derived from the seed with the secret key


def test_0023_hashes_the_share_tokens_there_are(tmp_path: Path) -> None:
    path = tmp_path / "cairn.db"
    database = Database(f"sqlite:///{path}")
    database.upgrade("0021")
    raw = sqlite3.connect(path)  # foreign keys off: no credential needed behind the link
    raw.execute(
        "INSERT INTO share_links (id, credential_id, token, created_at, views)"
        " VALUES (1, 'c', 'old-token', '2026-01-01', 0)"
    )
    raw.commit()
    raw.close()
    database.upgrade()
    (row,) = rows(database, ShareLinkRow)
    assert (row.token_hash, row.seed) == (hashlib.sha256(b"old-token").hexdigest(), None)
    database.dispose()
