"""cairn accounts / orgs / tokens / mail: people, members, API tokens and the outbox from the command line."""

from __future__ import annotations

from datetime import UTC, datetime

import click
import pytest
from click.testing import CliRunner, Result

from cairn.cli.accounts import accounts, mail, orgs, tokens
from cairn.services.accounts.service import sha256_hex
from cairn.store.database import Database
from cairn.store.tables import OrganisationRow

PASSWORD = "correct horse battery"


@pytest.fixture
def url(migrated_sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in ("CAIRN_DATABASE_URL", "CAIRN_SECRET_KEY", "CAIRN_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    url = migrated_sqlite_url
    database = Database(url)
    now = datetime(2026, 5, 4, tzinfo=UTC)
    with database.transaction() as s:
        s.add(OrganisationRow(slug="uni", country="PL", type="school", document={}, created_at=now, updated_at=now))
    database.dispose()
    return url


def run(group: click.Group, url: str, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(group, [*args, "--database", url], input=stdin)


def test_accounts_are_created_with_a_password_from_stdin_and_can_be_disabled(url: str) -> None:
    created = run(
        accounts, url, "create", "Ada@Example.org", "--name", "Ada", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert created.exit_code == 0, created.output
    assert "created account 1 for ada@example.org" in created.output
    again = run(accounts, url, "create", "ada@example.org", "--no-password")
    assert again.exit_code == 1
    assert "already an account" in again.output
    short = run(accounts, url, "set-password", "ada@example.org", "--password-stdin", stdin="short\n")
    assert short.exit_code == 1
    assert "10 to 1024" in short.output
    assert run(accounts, url, "disable", "ada@example.org").output.strip() == "ada@example.org disabled"
    assert run(accounts, url, "disable", "ada@example.org", "--enable").exit_code == 0
    assert run(accounts, url, "disable", "nobody@example.org").exit_code == 1


def test_the_first_member_added_from_the_cli_owns_the_organisation(url: str) -> None:
    first = run(orgs, url, "add-member", "uni", "owner@example.org", "--role", "viewer")
    assert first.output.strip() == "owner@example.org is owner of uni"
    second = run(orgs, url, "add-member", "uni", "viewer@example.org", "--no-email")
    assert second.output.strip() == "viewer@example.org is viewer of uni"
    listed = run(orgs, url, "members", "uni").output.splitlines()
    assert listed == ["1\towner\towner@example.org", "2\tviewer\tviewer@example.org"]
    assert run(orgs, url, "add-member", "nowhere", "x@example.org").exit_code == 1
    outbox = run(mail, url, "list").output
    assert "owner@example.org" in outbox
    assert "viewer@example.org" not in outbox


def test_a_token_is_printed_once_on_stdout_and_listed_by_prefix(url: str) -> None:
    runner = CliRunner()
    created = runner.invoke(
        tokens,
        ["create", "uni", "--name", "SIS", "--scope", "credentials:issue", "--expires-days", "30", "--database", url],
    )
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("cairn_")
    assert len(token) == 49
    assert "shown this once" in created.stderr
    listed = run(tokens, url, "list", "uni").output
    assert token[:12] in listed
    assert token not in listed
    assert "\tactive\tcredentials:issue\tSIS" in listed
    assert sha256_hex(token) not in listed
    assert run(tokens, url, "revoke", "uni", "1").output.strip() == "token 1 revoked"
    assert "\trevoked\t" in run(tokens, url, "list", "uni").output
    assert run(tokens, url, "create", "uni", "--name", "x", "--scope", "everything").exit_code == 2


def test_mail_lists_the_outbox_and_send_needs_smtp(url: str) -> None:
    run(accounts, url, "create", "ada@example.org", "--no-password")
    run(orgs, url, "add-member", "uni", "ada@example.org")
    listed = run(mail, url, "list").output
    assert "queued (0 attempts)\tada@example.org\tYou joined uni" in listed
    assert "Sign in at" not in listed
    assert "Sign in at" in run(mail, url, "list", "--show-body").output
    unsent = run(mail, url, "send")
    assert unsent.exit_code == 2
    assert "SMTP is not configured" in unsent.output
