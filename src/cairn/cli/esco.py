"""``cairn esco``: load the ESCO classification (the official CSV download, or the extract shipped in the
package) into the database, and say what it holds.

Exit codes: 0 success; 1 the folder is not a usable ESCO download (the message names the missing file or
column; nothing was changed); 2 a configuration error.
"""

from __future__ import annotations

from pathlib import Path

import click

from cairn.cli.common import database_option, fail_cleanly

__all__ = ["esco"]


@click.group()
def esco() -> None:
    """The ESCO skills and occupations classification in the database."""


@esco.command("import")
@click.argument("folder", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--shipped", is_flag=True, help="import the extract shipped with Cairn (ESCO v1.1.1 English)")
@click.option("--language", "languages", multiple=True, metavar="CODE", help="read only this language (repeatable)")
@click.option("--version", "version", metavar="X.Y.Z", help="the ESCO release (default: read from the folder's path)")
@click.option(
    "--index/--no-index",
    default=True,
    show_default=True,
    help="precompute the skill suggestion index (vectors of every skill) for the imported release",
)
@database_option
@fail_cleanly
def esco_import(
    folder: Path | None,
    shipped: bool,
    languages: tuple[str, ...],
    version: str | None,
    index: bool,
    database: str | None,
) -> None:
    """Import the ESCO CSV files in FOLDER (all or nothing; migrating the database first).

    A folder with skill files is a complete release and replaces the stored one; a folder with only
    occupations and ISCO groups (another language) adds their labels. Importing twice changes nothing.
    Then the skill suggestion index is built for the release (about 20 s for all of ESCO), unless it is
    already there or --no-index is given; without it the server builds it in the background on start.
    """
    from cairn.bootstrap import build, load_settings

    if shipped == (folder is not None):
        raise click.UsageError("give an ESCO FOLDER or --shipped (one of them)")
    container = build(load_settings(database_url=database))
    try:
        container.database.upgrade()

        def progress(message: str) -> None:
            click.echo(message, err=True)

        if folder is None:
            summary = container.esco.import_shipped(progress=progress)
        else:
            summary = container.esco.import_folder(
                folder, languages=languages or None, version=version, progress=progress
            )
        click.echo(f"Imported {summary.describe()}")
        careers = container.careers
        if index and careers.start_background_build():
            progress(f"Building the skill suggestion index in {careers.index_folder} ...")
            careers.wait_for_build()
            if careers.build_error:
                raise click.ClickException(f"the skill index could not be built: {careers.build_error}")
            progress("Skill suggestion index ready.")
    finally:
        container.database.dispose()


@esco.command("status")
@database_option
@fail_cleanly
def esco_status(database: str | None) -> None:
    """Print the stored ESCO release, every import, and the rows per table."""
    from cairn.bootstrap import build, load_settings

    container = build(load_settings(database_url=database))
    try:
        if not container.database.is_current():
            raise click.ClickException("the database is not migrated: run 'cairn db upgrade'")
        releases = container.esco.releases()
        click.echo(f"ESCO version: {container.esco.version() or 'none'}")
        for release in releases:
            click.echo(
                f"  {release.imported_at:%Y-%m-%d %H:%M} {release.version or '?'} "
                f"({', '.join(release.languages)}) from {release.source}"
            )
        for name, count in container.esco.counts().items():
            click.echo(f"{name}: {count:,}")
    finally:
        container.database.dispose()
