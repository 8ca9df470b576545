"""The ``cairn`` command. Plain ``cairn`` runs ``cairn serve``.

Exit codes: 0 success, 1 invalid input or a failed check, 2 unreadable input or a configuration error.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from cairn import __version__
from cairn.bootstrap import Container, build, demo_catalog_path, load_settings
from cairn.cli.accounts import accounts, mail, orgs, tokens
from cairn.cli.analytics import analytics
from cairn.cli.backup import backup, restore
from cairn.cli.common import database_option, fail_cleanly
from cairn.cli.esco import esco
from cairn.cli.federation import peers as registry_peers
from cairn.cli.federation import sync as registry_sync
from cairn.cli.issuing import audit, award
from cairn.cli.issuing import org as org_issuing
from cairn.cli.registry import registry
from cairn.cli.skills import skills
from cairn.cli.vc import keys, vc
from cairn.errors import Problem
from cairn.settings import describe

__all__ = ["main"]


log = logging.getLogger("cairn")


def _print_problems(problems: Sequence[Problem], *, err: bool = True) -> None:
    for problem in problems:
        click.echo(str(problem), err=err)


def _container(database: str | None = None, **overrides: Any) -> Container:
    return build(load_settings(database_url=database, **overrides))


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cairn")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Cairn: describe, award, keep, share and verify EU micro-credentials.

    Run without a command to start the web app (the same as 'cairn serve').
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(serve)


@cli.command()
@click.option("--host", help="address to listen on (default: CAIRN_HOST, else 127.0.0.1)")
@click.option("--port", type=int, help="port to listen on (default: CAIRN_PORT, else 8000)")
@database_option
@click.option("--ssl-certfile", type=click.Path(exists=True, dir_okay=False), help="TLS certificate (PEM)")
@click.option("--ssl-keyfile", type=click.Path(exists=True, dir_okay=False), help="TLS private key (PEM)")
@click.option("--demo", is_flag=True, help="load the example catalogue into an empty database")
@fail_cleanly
def serve(
    host: str | None,
    port: int | None,
    database: str | None,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
    demo: bool,
) -> None:
    """Run the web app (migrating the database first)."""
    import uvicorn

    from cairn.web.app import create_app
    from cairn.web.serving import OneWriteProtocol

    if bool(ssl_certfile) != bool(ssl_keyfile):
        raise click.UsageError("give both --ssl-certfile and --ssl-keyfile, or neither")
    settings = load_settings(database_url=database, host=host, port=port)
    if demo and not settings.secret_key:
        from cairn.services.demo.instance import demo_secret_key

        settings = settings.with_overrides(secret_key=demo_secret_key(Path.cwd()))
        click.echo("Demo: CAIRN_SECRET_KEY is not set; using a demo key kept in ./.cairn-demo-secret")
    container = build(settings)
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    if settings.log_level.lower() != "debug":  # each job's start and end: for 'cairn worker', or debug
        logging.getLogger("procrastinate").setLevel(logging.WARNING)
    container.database.upgrade()
    examples: dict[str, str] = {}
    if demo:
        from cairn.services.demo.setup import prepare_demo

        ready = prepare_demo(container, catalogue_path=demo_catalog_path(), demo_token=settings.demo_token)
        for line in ready.lines:
            click.echo(line)
        examples = ready.examples
    scheme = "https" if ssl_certfile else "http"
    click.echo(
        f"Cairn {__version__} at {scheme}://{settings.host}:{settings.port} (database: {container.database.dialect})"
    )
    uvicorn.run(
        create_app(container, build_skills_index=True, warm_up=True, examples=examples, demo=demo),
        host=settings.host,
        port=settings.port,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        log_level=settings.log_level,
        http=OneWriteProtocol,  # uvicorn's httptools protocol, an answer's head and body in one write
        proxy_headers=settings.trusted_proxies.strip().lower() != "none",
        forwarded_allow_ips=settings.trusted_proxies,
    )


@cli.command()
@database_option
@click.option("--concurrency", type=int, default=1, show_default=True, help="jobs run at once by this process")
@click.option("--once", is_flag=True, help="run the jobs due now, then stop")
@fail_cleanly
def worker(database: str | None, concurrency: int, once: bool) -> None:
    """Run queued jobs (bulk awards, emails, status lists, purges, registry syncs) on PostgreSQL until stopped.

    Run one or more beside 'cairn serve'; Ctrl+C or SIGTERM stops it. On SQLite the queue lives in the memory of
    'cairn serve', which runs its jobs itself: there is nothing for this command to do.
    """
    import signal
    import threading

    from cairn.bootstrap import schedule_jobs

    settings = load_settings(database_url=database)
    container = build(settings)
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    if not container.jobs.persistent:
        raise click.ClickException("on SQLite, 'cairn serve' runs the jobs itself; 'cairn worker' needs PostgreSQL")
    container.database.upgrade()
    schedule_jobs(container)
    if once:
        container.jobs.run_pending()
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    click.echo(f"Cairn {__version__} worker: running jobs (concurrency {concurrency})")
    container.jobs.run_worker(stop, concurrency=concurrency)
    container.jobs.close()


@cli.group()
def db() -> None:
    """Manage the database schema."""


@db.command("upgrade")
@database_option
@fail_cleanly
def db_upgrade(database: str | None) -> None:
    """Apply every migration the database lacks."""
    container = _container(database)
    before = container.database.current_revision()
    container.database.upgrade()
    after = container.database.current_revision()
    click.echo(f"Database at revision {after}" + ("" if before != after else " (already current)"))


@db.command("current")
@database_option
@fail_cleanly
def db_current(database: str | None) -> None:
    """Print the database's schema revision and the newest one this Cairn knows."""
    container = _container(database)
    click.echo(f"database: {container.database.current_revision() or 'empty'}")
    click.echo(f"code:     {container.database.head_revision()}")


@cli.group()
def catalog() -> None:
    """Validate and import micro-credential catalogues (YAML or JSON files)."""


@catalog.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@fail_cleanly
def catalog_validate(paths: tuple[str, ...], fmt: str) -> None:
    """Check catalogue files and report every problem at once; exit 0 when all are valid, 1 otherwise.

    Organisations named as awarding bodies must be in the files given.
    """
    from cairn.services.catalog.service import validate_paths

    cat, problems = validate_paths(paths)
    if fmt == "json":
        body = {
            "ok": not problems,
            "organisations": sorted(cat.organisations),
            "micro_credentials": sorted(cat.definitions),
            "problems": [
                {"source": p.source, "path": p.path, "message": p.message, "element": p.element} for p in problems
            ],
        }
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
    else:
        _print_problems(problems, err=False)
        if problems:
            click.echo(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found", err=True)
        else:
            line = f"Valid: {len(cat.organisations)} organisations, {len(cat.definitions)} micro-credentials"
            n = len(cat.pathways)
            click.echo(line + (f", {n} pathway{'s' if n != 1 else ''}" if n else ""))
    sys.exit(1 if problems else 0)


@catalog.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@database_option
@fail_cleanly
def catalog_import(paths: tuple[str, ...], database: str | None) -> None:
    """Validate and store catalogue files, all or nothing (migrating the database first)."""
    container = _container(database)
    container.database.upgrade()
    result = container.catalog.import_paths(list(paths), actor="cli")
    click.echo(f"Imported {result.summary()}")


@catalog.command("schema")
@click.argument("kind", type=click.Choice(["micro-credential", "organisation"]))
def catalog_schema(kind: str) -> None:
    """Print the JSON Schema of a catalogue document, for editors and other tools."""
    from cairn.model.catalog import KINDS

    schema = KINDS[kind].model_json_schema()
    schema["properties"] = {"kind": {"const": kind}, **schema["properties"]}
    schema["required"] = ["kind", *schema.get("required", [])]
    click.echo(json.dumps(schema, indent=2, ensure_ascii=False))


@cli.command()
@database_option
@fail_cleanly
def purge(database: str | None) -> None:
    """Forget expired sessions and sign-in links, and emails sent over a week ago (cron it; 'cairn serve' also
    does it hourly)."""
    from cairn.services.accounts.purge import purge as purge_now

    container = _container(database)
    counts = purge_now(container.database, now=container.clock())
    click.echo("Purged: " + ", ".join(f"{n} {table}" for table, n in counts.items()))


@cli.command()
@fail_cleanly
def settings() -> None:
    """Print every setting with its value (secrets masked) and what it is for."""
    current = load_settings()
    for env, shown, help_text in describe(current):
        click.echo(f"{env}={shown}")
        click.echo(f"    {help_text}")


for group in (keys, vc, accounts, orgs, tokens, mail, award, audit, skills, esco, registry, backup, restore, analytics):
    cli.add_command(group)
for sub in org_issuing.commands.values():  # 'cairn orgs keys ...', 'cairn orgs did ...'
    orgs.add_command(sub)


registry.add_command(registry_peers)  # 'cairn registry peers add|list|remove'
registry.add_command(registry_sync)  # 'cairn registry sync [--peer ID]'


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``cairn`` command."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="cairn")
