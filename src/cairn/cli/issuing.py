"""``cairn award``, ``cairn audit`` and ``cairn org``: bulk awards, revocation and suspension, the audit
chain, and organisation keys, from the command line.

Exit codes: 0 success; 1 a row of the file failed its checks, the audit chain is broken, or a
request was refused (no such award...); 2 a configuration error (for example no CAIRN_SECRET_KEY).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cairn.cli.common import database_option, fail_cleanly

__all__ = ["audit", "award", "org", "org_did", "org_keys", "org_suite"]


if TYPE_CHECKING:  # services are imported when a command runs, not when the CLI starts
    from cairn.services.issuing.setup import IssuingServices


@contextmanager
def _services(database: str | None, *, migrate: bool = False) -> Iterator[IssuingServices]:
    """The issuing services of the configured instance; the database's connections close afterwards."""
    from cairn.bootstrap import build, load_settings
    from cairn.services.issuing.setup import build_issuing

    container = build(load_settings(database_url=database))
    try:
        if migrate:
            container.database.upgrade()
        yield build_issuing(container.settings, container.database, clock=container.clock)
    finally:
        container.database.dispose()


actor_option = click.option("--actor", default="cli", show_default=True, help="who is acting, for the audit log")


# -- cairn award ------------------------------------------------------------------------------------


@click.group()
def award() -> None:
    """Award micro-credentials; revoke, suspend and reinstate awards."""


@award.command("bulk")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--definition", "definition", required=True, metavar="ID", help="the micro-credential's id")
@click.option("--version", "version", type=click.IntRange(min=1), help="its version (default: the latest)")
@click.option(
    "--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), help="write the JSON report here"
)
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=500, show_default=True, help="rows a transaction")
@click.option("--workers", type=click.IntRange(min=0), help="signing processes (default: one per core for big files)")
@database_option
@actor_option
@fail_cleanly
def award_bulk(
    file: Path,
    definition: str,
    version: int | None,
    report_path: Path | None,
    batch_size: int,
    workers: int | None,
    database: str | None,
    actor: str,
) -> None:
    """Award a micro-credential to every row of a CSV or XLSX FILE (columns email, did, name, external_id,
    grade).

    Every row is checked first; a file with any problem is refused with a row-by-row report and nothing is
    awarded (exit 1). Interrupted, the same command resumes where it stopped: no row is awarded twice.
    The JSON report goes to --report, or to standard output.
    """
    bar: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="Awarding", file=sys.stderr, show_pos=True, show_eta=True)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        with _services(database, migrate=True) as services:
            report = services.bulk.run(
                file,
                definition=definition,
                version=version,
                actor=actor,
                progress=progress,
                batch_size=batch_size,
                workers=workers,
            )
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    for problem in report.problems:
        click.echo(str(problem), err=True)
    if report.ok:
        click.echo(
            f"Awarded {report.created} (already awarded: {report.existing}) of {report.rows} rows; job {report.job_id}",
            err=True,
        )
    else:
        more = report.problem_count - len(report.problems)
        tail = f" ({more} more not listed)" if more > 0 else ""
        click.echo(f"{report.problem_count} problems{tail}: nothing was awarded", err=True)
    body = json.dumps(report.to_dict(), indent=2, ensure_ascii=False)
    if report_path is not None:
        report_path.write_text(body + "\n", encoding="utf-8")
    else:
        click.echo(body)
    sys.exit(0 if report.ok else 1)


def _status_command(name: str, verb: str, done: str, already: str) -> click.Command:
    @click.argument("award_id")
    @click.option("--reason", required=True, help="why (kept with the award and in the audit log)")
    @database_option
    @actor_option
    @fail_cleanly
    def command(award_id: str, reason: str, database: str | None, actor: str) -> None:
        with _services(database) as services:
            change = getattr(services.status_lists, name)(award_id, reason=reason, actor=actor)
        click.echo(f"{done} {award_id}" if change.changed else f"{award_id} {already}")

    command.__doc__ = f"{verb} the award AWARD_ID."
    return award.command(name)(command)


award_revoke = _status_command("revoke", "Revoke (for good)", "Revoked", "was already revoked")
award_suspend = _status_command("suspend", "Suspend", "Suspended", "was already suspended")
award_unsuspend = _status_command("unsuspend", "Reinstate a suspended", "Reinstated", "was not suspended")


# -- cairn audit ------------------------------------------------------------------------------------


@click.group()
def audit() -> None:
    """The append-only, keyed, hash-chained audit log."""


@audit.command("verify")
@database_option
@fail_cleanly
def audit_verify(database: str | None) -> None:
    """Check every link of the audit chain; exit 1 naming the first broken entry."""
    from cairn.bootstrap import build, load_settings
    from cairn.services.audit import AuditService

    container = build(load_settings(database_url=database))
    try:
        check = AuditService(container.database).verify()
    finally:
        container.database.dispose()
    click.echo(check.describe(), err=not check.ok)
    sys.exit(0 if check.ok else 1)


@audit.command("seal")
@database_option
@fail_cleanly
def audit_seal(database: str | None) -> None:
    """Once, after setting CAIRN_SECRET_KEY on an instance that ran without one: seal the unkeyed entries it
    wrote, so they keep verifying. Never after 'audit verify' found unkeyed entries you cannot account for."""
    from cairn.bootstrap import build, load_settings

    container = build(load_settings(database_url=database))
    try:
        sealed = container.audit.seal()
    finally:
        container.database.dispose()
    click.echo(f"Sealed {sealed} unkeyed audit entries with the instance's key.")


# -- cairn org --------------------------------------------------------------------------------------


@click.group()
def org() -> None:
    """Organisations: their did:web and signing keys."""


@org.group("keys")
def org_keys() -> None:
    """An organisation's signing keys."""


@org_keys.command("list")
@click.argument("slug")
@database_option
@fail_cleanly
def org_keys_list(slug: str, database: str | None) -> None:
    """List every key of organisation SLUG (retired ones verify old credentials but sign nothing new)."""
    with _services(database) as services:
        listed = services.keys.keys(slug)
    for key in listed:
        state = f"retired {key.retired_at.isoformat()}" if key.retired_at else "current"
        click.echo(f"{key.verification_method}  {key.type}  created {key.created_at.isoformat()}  {state}")


@org_keys.command("rotate")
@click.argument("slug")
@database_option
@actor_option
@fail_cleanly
def org_keys_rotate(slug: str, database: str | None, actor: str) -> None:
    """Retire the current signing key of organisation SLUG and make a new one."""
    with _services(database) as services:
        key = services.keys.rotate(slug, actor=actor)
    click.echo(f"New signing key {key.verification_method} ({key.type}); the old one stays in the DID document")


@org.command("suite")
@click.argument("slug")
@click.argument("suite")
@click.option(
    "--key-type",
    type=click.Choice(["P-256", "P-384"]),
    default=None,
    help="the ECDSA key to sign with (P-384: ecdsa-rdfc-2019 and ecdsa-jcs-2019 only)",
)
@database_option
@actor_option
@fail_cleanly
def org_suite(slug: str, suite: str, key_type: str | None, database: str | None, actor: str) -> None:
    """Make organisation SLUG sign with SUITE (and, for ECDSA, the key type); a key is made when needed."""
    with _services(database) as services:
        services.keys.set_suite(slug, suite, actor=actor, key_type=key_type)
        key = services.keys.ensure_key(slug)
    click.echo(f"{slug} signs with {suite} using {key.verification_method} ({key.key.kind.value})")


@org.command("did")
@click.argument("slug")
@database_option
@fail_cleanly
def org_did(slug: str, database: str | None) -> None:
    """Print the DID document (did.json) of organisation SLUG."""
    with _services(database) as services:
        document = services.keys.did_document(slug)
    click.echo(json.dumps(document, indent=2))
