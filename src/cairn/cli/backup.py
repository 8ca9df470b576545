"""``cairn backup`` and ``cairn restore``: the whole instance in one encrypted archive, and back.

Exit codes: 0 success; 1 a wrong passphrase, a damaged or altered archive, one from another schema revision, or a
non-empty database; 2 a configuration error (such as a missing or different CAIRN_SECRET_KEY).
"""

from __future__ import annotations

from pathlib import Path

import click

from cairn.cli.common import database_option, fail_cleanly
from cairn.errors import ConflictError

__all__ = ["backup", "restore"]

LARGE = 10_000
"""Tables of at least this many rows report their progress on stderr."""

passphrase_option = click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="file whose first line is the archive's passphrase (default: ask for it)",
)


def _passphrase(path: Path | None, *, confirm: bool) -> bytes:
    if path is not None:
        lines = path.read_text(encoding="utf-8").splitlines()
        secret = lines[0] if lines else ""
    else:
        secret = click.prompt("Backup passphrase", hide_input=True, confirmation_prompt=confirm, err=True)
    if not secret:
        raise click.UsageError("the passphrase is empty")
    return secret.encode("utf-8")


def _progress(table: str, done: int, total: int) -> None:
    if total >= LARGE:
        click.echo(f"  {table}: {done}/{total} rows", err=True)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@passphrase_option
@click.option("--force", is_flag=True, help="replace FILE when it exists (an earlier backup, say)")
@database_option
@fail_cleanly
def backup(file: Path, passphrase_file: Path | None, force: bool, database: str | None) -> None:
    """Write every table to FILE, encrypted with a passphrase (scrypt, AES-256-GCM), from one consistent snapshot.

    Organisations' private keys stay sealed with CAIRN_SECRET_KEY inside: keep that secret key too, apart from the
    archive and its passphrase; a restore needs all three."""
    from cairn.bootstrap import build, load_settings

    if file.exists() and not force:  # an earlier backup is not overwritten by a slip of the keyboard
        raise ConflictError("%(file)s exists: name another file, or add --force to replace it", file=str(file))
    secret = _passphrase(passphrase_file, confirm=True)
    container = build(load_settings(database_url=database))
    try:
        manifest = container.backups.backup(file, secret, progress=_progress)
    finally:
        container.database.dispose()
    rows = sum(manifest.counts.values())
    click.echo(f"Backed up {rows} rows of {len(manifest.parts)} tables (revision {manifest.revision}) to {file}")


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@passphrase_option
@click.option("--force", is_flag=True, help="replace everything in a database that is not empty")
@database_option
@fail_cleanly
def restore(file: Path, passphrase_file: Path | None, force: bool, database: str | None) -> None:
    """Restore FILE into an empty database (migrating it first), all or nothing, then check the audit chain.

    Needs the archive's passphrase and the CAIRN_SECRET_KEY of the instance it was made on. An archive from another
    schema revision is refused: restore it with the Cairn release that made it, then upgrade."""
    from cairn.bootstrap import build, load_settings
    from cairn.services.audit import AuditService

    secret = _passphrase(passphrase_file, confirm=False)
    container = build(load_settings(database_url=database))
    try:
        container.database.upgrade()
        manifest = container.backups.restore(file, secret, force=force, progress=_progress)
        check = AuditService(container.database).verify()
    finally:
        container.database.dispose()
    rows = sum(manifest.counts.values())
    click.echo(f"Restored {rows} rows of {len(manifest.parts)} tables from {file} (made {manifest.created_at})")
    click.echo(check.describe(), err=not check.ok)
    if not check.ok:
        raise SystemExit(1)
