"""``cairn accounts``, ``cairn orgs``, ``cairn tokens`` and ``cairn mail``: people, members, API tokens and
the outbox from the command line.

Passwords are read from a hidden prompt or, with ``--password-stdin``, from the first line of standard
input; never from an option (options show in process lists). A new API token is printed once, alone on
standard output, so that ``TOKEN=$(cairn tokens create ...)`` works.
"""

from __future__ import annotations

import sys
from datetime import timedelta

import click

from cairn.bootstrap import build, load_settings
from cairn.cli.common import database_option, fail_cleanly
from cairn.services.accounts.service import SCOPES, AccountService, Role
from cairn.services.mail import Mailer

__all__ = ["accounts", "mail", "orgs", "tokens"]


def _accounts(database: str | None) -> AccountService:
    return build(load_settings(database_url=database)).accounts


def _mailer(database: str | None) -> Mailer:
    return build(load_settings(database_url=database)).mailer


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    return value


@click.group()
def accounts() -> None:
    """People who sign in."""


@accounts.command("create")
@click.argument("email")
@click.option("--name", help="display name")
@click.option("--admin", is_flag=True, help="an instance administrator (acts as owner of every organisation)")
@click.option("--password/--no-password", "with_password", default=True, help="set a password (else: links only)")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@database_option
@fail_cleanly
def accounts_create(
    email: str, name: str | None, admin: bool, with_password: bool, password_stdin: bool, database: str | None
) -> None:
    """Create an account."""
    service = _accounts(database)
    password = _password(password_stdin) if with_password else None
    account = service.create_account(email=email, password=password, display_name=name, is_admin=admin)
    click.echo(f"created account {account.id} for {account.email}")


@accounts.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@database_option
@fail_cleanly
def accounts_set_password(email: str, password_stdin: bool, database: str | None) -> None:
    """Set an account's password (its sessions end)."""
    _accounts(database).set_password(email=email, password=_password(password_stdin))
    click.echo("password set")


@accounts.command("disable")
@click.argument("email")
@click.option("--enable", is_flag=True, help="enable the account again")
@database_option
@fail_cleanly
def accounts_disable(email: str, enable: bool, database: str | None) -> None:
    """Disable an account (it cannot sign in and its sessions end), or enable it again."""
    _accounts(database).set_disabled(email=email, disabled=not enable)
    click.echo(f"{email} {'enabled' if enable else 'disabled'}")


@click.group()
def orgs() -> None:
    """Organisations: members, signing keys and DID documents."""


@orgs.command("add-member")
@click.argument("organisation")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), help="default: owner for the first, else viewer")
@click.option("--no-email", is_flag=True, help="do not queue a welcome email")
@database_option
@fail_cleanly
def orgs_add_member(organisation: str, email: str, role: str | None, no_email: bool, database: str | None) -> None:
    """Add EMAIL to ORGANISATION (the first member is always its owner)."""
    member = _accounts(database).add_member(organisation=organisation, email=email, role=role, notify=not no_email)
    click.echo(f"{member.email} is {member.role.value} of {organisation}")


@orgs.command("members")
@click.argument("organisation")
@database_option
@fail_cleanly
def orgs_members(organisation: str, database: str | None) -> None:
    """List the members of ORGANISATION."""
    for m in _accounts(database).members(organisation):
        click.echo(f"{m.account_id}\t{m.role.value}\t{m.email}{'  (disabled)' if m.disabled else ''}")


@click.group()
def tokens() -> None:
    """API tokens of organisations."""


@tokens.command("create")
@click.argument("organisation")
@click.option("--name", required=True, help="what the token is for")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(list(SCOPES)))
@click.option("--expires-days", type=click.IntRange(1, 3650), help="days until it expires (default: never)")
@database_option
@fail_cleanly
def tokens_create(
    organisation: str, name: str, scopes: tuple[str, ...], expires_days: int | None, database: str | None
) -> None:
    """Create a token and print it, this once."""
    service = _accounts(database)
    expires_at = None if expires_days is None else service.clock() + timedelta(days=expires_days)
    new = service.create_token(organisation=organisation, name=name, scopes=scopes, expires_at=expires_at)
    click.echo(f"token {new.info.id} ({new.info.prefix}…) created; it is shown this once:", err=True)
    click.echo(new.token)


@tokens.command("list")
@click.argument("organisation")
@database_option
@fail_cleanly
def tokens_list(organisation: str, database: str | None) -> None:
    """List the tokens of ORGANISATION (never their values)."""
    service = _accounts(database)
    now = service.clock()
    for t in service.tokens(organisation):
        state = "revoked" if t.revoked_at else "active" if t.active(now) else "expired"
        click.echo(f"{t.id}\t{t.prefix}…\t{state}\t{','.join(t.scopes)}\t{t.name}")


@tokens.command("revoke")
@click.argument("organisation")
@click.argument("token_id", type=int)
@database_option
@fail_cleanly
def tokens_revoke(organisation: str, token_id: int, database: str | None) -> None:
    """Revoke token TOKEN_ID of ORGANISATION."""
    _accounts(database).revoke_token(organisation=organisation, token_id=token_id, actor="cli")
    click.echo(f"token {token_id} revoked")


@click.group()
def mail() -> None:
    """The outbox of emails."""


@mail.command("list")
@click.option("--all", "include_sent", is_flag=True, help="sent emails too")
@click.option("--show-body", is_flag=True, help="print bodies (they hold one-time links: keep them private)")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@database_option
@fail_cleanly
def mail_list(include_sent: bool, show_body: bool, limit: int, database: str | None) -> None:
    """List emails in the outbox, newest first."""
    for m in _mailer(database).messages(limit=limit, include_sent=include_sent):
        state = f"sent {m.sent_at:%Y-%m-%d %H:%M}" if m.sent_at else f"queued ({m.attempts} attempts)"
        click.echo(f"{m.id}\t{m.created_at:%Y-%m-%d %H:%M}\t{state}\t{m.to}\t{m.subject}")
        if m.last_error and not m.sent_at:
            click.echo(f"\tlast error: {m.last_error}")
        if show_body:
            click.echo("\t" + m.body.replace("\n", "\n\t"))


@mail.command("send")
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True)
@database_option
@fail_cleanly
def mail_send(limit: int, database: str | None) -> None:
    """Send queued emails now (needs CAIRN_SMTP_URL)."""
    mailer = _mailer(database)
    if not mailer.enabled:
        click.echo("error: SMTP is not configured (CAIRN_SMTP_URL); emails stay in the outbox", err=True)
        sys.exit(2)
    report = mailer.send_pending(limit=limit)
    click.echo(f"{report.sent} sent, {report.failed} failed")
    if report.failed:
        sys.exit(1)
