"""``cairn analytics``: refresh the analytics snapshot, and print an indicator's table as it is released.

Exit codes: 0 success; 1 an unknown indicator, breakdown or filter, or no snapshot yet; 2 a configuration error.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from cairn.cli.common import database_option, fail_cleanly
from cairn.errors import InputError, NotFoundError

__all__ = ["analytics"]

MAX_RELEASE_BYTES = 20 * 1024 * 1024


@click.group()
def analytics() -> None:
    """Policy analytics: the snapshot and the indicators."""


@analytics.command()
@click.option("--queue", is_flag=True, help="leave it to a worker (a job) instead of refreshing here")
@database_option
@fail_cleanly
def refresh(queue: bool, database: str | None) -> None:
    """Export a new snapshot of the production data for analytics and store it (the nightly job does the same)."""
    from cairn.bootstrap import build, load_settings
    from cairn.services.analytics.service import REFRESH_TASK

    container = build(load_settings(database_url=database))
    if queue:
        job = container.jobs.defer(REFRESH_TASK, idempotency_key=REFRESH_TASK)
        click.echo(f"queued: job {job}" if job is not None else "a refresh is already waiting")
        return
    click.echo("exporting...", err=True)
    info = container.analytics.refresh()
    click.echo(json.dumps({"rows": info.rows, "seconds": info.seconds}))


def _month(value: str | None) -> date | None:
    if not value:
        return None
    try:
        year, month = value.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise InputError("%(value)s is not a month (YYYY-MM)", value=value[:20]) from None


@analytics.command()
@click.argument("indicator")
@click.option("--by", "by", multiple=True, help="break down by this dimension (up to twice)")
@click.option("--from", "start", help="first month, YYYY-MM")
@click.option("--to", "end", help="last month, YYYY-MM")
@click.option("--filter", "filters", multiple=True, help="NAME=VALUE, e.g. field=06 (repeatable)")
@database_option
@fail_cleanly
def show(
    indicator: str, by: tuple[str, ...], start: str | None, end: str | None, filters: tuple[str, ...],
    database: str | None,
) -> None:  # fmt: skip
    """Print INDICATOR's released table as JSON lines: one per cell, then the margins and the total (withheld cells
    say why, with no value)."""
    from cairn.bootstrap import build, load_settings
    from cairn.services.analytics.engine import Query

    wanted: dict[str, str] = {}
    for item in filters:
        name, sep, value = item.partition("=")
        if not sep:
            raise InputError("a filter is NAME=VALUE, not %(item)s", item=item[:40])
        wanted[name.strip()] = value.strip()
    container = build(load_settings(database_url=database))
    table = container.analytics.table(Query(indicator, by, _month(start), _month(end), wanted))
    if table is None:
        raise NotFoundError("no analytics snapshot yet: run 'cairn analytics refresh'")
    for kind, cells in (("cell", table.cells), ("margin", list(table.margins.values())), ("total", [table.total])):
        for cell in cells:
            line = {"kind": kind, "keys": list(cell.keys), "value": cell.value}
            if cell.suppressed:
                line["withheld"] = cell.reason
            click.echo(json.dumps(line, ensure_ascii=False))


@analytics.command()
@database_option
@fail_cleanly
def release(database: str | None) -> None:
    """Print the newest snapshot's differentially private open-data release as JSON (CAIRN_ANALYTICS_EPSILON)."""
    from cairn.bootstrap import build, load_settings

    container = build(load_settings(database_url=database))
    found = container.analytics.release()
    if found is None:
        raise NotFoundError(
            "no open-data release: set CAIRN_ANALYTICS_EPSILON (the privacy budget) and run 'cairn analytics refresh'"
        )
    click.echo(json.dumps(found, ensure_ascii=False))


@analytics.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@fail_cleanly
def combine(files: tuple[Path, ...]) -> None:
    """Add up open-data releases of several instances (FILES, as 'cairn analytics release' prints them) into one,
    for a registry that publishes a network's figures: nothing but the releases is needed."""
    from cairn.services.analytics.release import combine as add_up

    releases = []
    for path in files:
        if path.stat().st_size > MAX_RELEASE_BYTES:
            raise InputError("%(file)s is larger than a release can be", file=str(path))
        try:
            releases.append(json.loads(path.read_text(encoding="utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise InputError("%(file)s is not JSON", file=str(path)) from None
    click.echo(json.dumps(add_up(releases), ensure_ascii=False))
