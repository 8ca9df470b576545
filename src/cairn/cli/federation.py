"""``cairn registry peers`` and ``cairn registry sync``: the registries this instance federates with.

``peers`` is a group (``add``, ``list``, ``remove``) and ``sync`` a command; ``cairn.cli.main`` adds both to the
``registry`` group. ``sync`` prints one line per registry (ok, unchanged, or refused with the reason) and exits 1
when any list was refused.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from cairn.cli.common import database_option, fail_cleanly

__all__ = ["peers", "sync"]

if TYPE_CHECKING:  # services are imported when a command runs, not when the CLI starts
    from cairn.services.trust.federation import FederationService


@contextmanager
def _federation(database: str | None) -> Iterator[FederationService]:
    """The configured instance's federation service (the database migrated first); connections close after."""
    from cairn.bootstrap import build, load_settings

    container = build(load_settings(database_url=database))
    try:
        container.database.upgrade()
        yield container.federation
    finally:
        container.database.dispose()


actor_option = click.option("--actor", default="cli", show_default=True, help="who is acting, for the audit log")


@click.group()
def peers() -> None:
    """Registries whose signed trust lists this instance pulls (federation)."""


@peers.command("add")
@click.argument("url")
@click.option("--did", required=True, help="the DID that must sign the registry's trust list")
@click.option("--name", required=True, help="how this instance names the registry")
@database_option
@actor_option
@fail_cleanly
def peers_add(url: str, did: str, name: str, database: str | None, actor: str) -> None:
    """Federate with the registry whose signed trust list is at URL (fetched on the next sync)."""
    with _federation(database) as federation:
        peer = federation.add_peer(url, did, name, actor=actor)
    click.echo(f"Added registry #{peer.id} {peer.name}; run 'cairn registry sync --peer {peer.id}' to fetch its list")


@peers.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@database_option
@fail_cleanly
def peers_list(fmt: str, database: str | None) -> None:
    """Every federated registry and how its list stands."""
    with _federation(database) as federation:
        found = federation.peers()
    if fmt == "json":
        rows = [
            {
                "id": p.id,
                "name": p.name,
                "url": p.url,
                "did": p.did,
                "state": p.state,
                "entries": p.entries,
                "synced_at": p.synced_at.isoformat() if p.synced_at else None,
                "expires_at": p.expires_at.isoformat() if p.expires_at else None,
                "checked_at": p.checked_at.isoformat() if p.checked_at else None,
                "last_error": p.last_error,
            }
            for p in found
        ]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo("No federated registries.")
    for p in found:
        if p.state == "in use" and p.expires_at is not None:
            state = f"{p.entries} entries, valid until {p.expires_at:%Y-%m-%d %H:%M} UTC"
        elif p.state == "expired" and p.expires_at is not None:
            state = f"its list expired {p.expires_at:%Y-%m-%d %H:%M} UTC"
        else:
            state = "no list yet"
        click.echo(f"#{p.id} {p.name}: {state}")
        click.echo(f"    {p.url}")
        click.echo(f"    signed by {p.did}")
        if p.last_error:
            click.echo(f"    last check refused: {p.last_error}")


@peers.command("remove")
@click.argument("peer_id", metavar="ID", type=int)
@database_option
@actor_option
@fail_cleanly
def peers_remove(peer_id: int, database: str | None, actor: str) -> None:
    """Stop federating with registry ID: its accreditations stop counting at once."""
    with _federation(database) as federation:
        federation.remove_peer(peer_id, actor=actor)
    click.echo(f"Removed registry #{peer_id}")


@click.command("sync")
@click.option("--peer", "peer_id", type=int, metavar="ID", help="only this registry (default: all of them)")
@database_option
@actor_option
@fail_cleanly
def sync(peer_id: int | None, database: str | None, actor: str) -> None:
    """Fetch, check and merge the federated registries' trust lists now: one line per registry; exit 1 when any
    list was refused (its last good list stays in use until it expires)."""
    with _federation(database) as federation:
        results = [federation.sync(peer_id, actor=actor)] if peer_id is not None else federation.sync_all(actor=actor)
    if not results:
        click.echo("No federated registries.")
    for result in results:
        click.echo(result.line())
    sys.exit(1 if any(r.refused for r in results) else 0)
