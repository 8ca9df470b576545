"""``cairn registry``: accredit organisations, change an accreditation's status, choose trust anchors, look up
who vouches for an issuer and export a registry's signed trust list, from the command line.

Every change is audited (``--actor`` names who acted, ``cli`` by default). Identifiers are checked by the
registry service as on the pages: DIDs (or https issuer URLs) and SHA-256 seal certificate fingerprints.

Exit codes: 0 success (``lookup``: the issuer is vouched for); 1 a refusal (no such organisation or
accreditation, invalid input) or, for ``lookup``, nobody vouches; 2 a configuration error.

Other command groups add their subcommands to :data:`registry` (``registry.add_command(...)``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cairn.cli.common import database_option, fail_cleanly

if TYPE_CHECKING:  # services are imported when a command runs, not when the CLI starts
    from cairn.bootstrap import Container
    from cairn.model.trust import Accreditation
    from cairn.services.trust.registry import StoredAccreditation

__all__ = ["registry"]


@contextmanager
def _instance(database: str | None) -> Iterator[Container]:
    """The configured instance; its database connections close afterwards."""
    from cairn.bootstrap import build, load_settings

    container = build(load_settings(database_url=database), online=False)
    try:
        yield container
    finally:
        container.database.dispose()


actor_option = click.option("--actor", default="cli", show_default=True, help="who is acting, for the audit log")
format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="output format"
)


def _day(value: datetime | None, *, end: bool = False) -> datetime | None:
    """A date given on the command line as a UTC moment: its start, or (``end``) its last second."""
    if value is None:
        return None
    return datetime.combine(value.date(), time(23, 59, 59) if end else time(0, 0), tzinfo=UTC)


def _split(values: Sequence[str]) -> list[str]:
    """Repeated options, each of which may also hold a comma-separated list."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _id(raw: str) -> str:
    """An accreditation id as stored (``urn:uuid:...``), from itself or its bare UUID."""
    return raw if raw.startswith("urn:") else f"urn:uuid:{raw}"


def _line(stored: StoredAccreditation) -> str:
    a = stored.accreditation
    until = a.valid_until.date().isoformat() if a.valid_until else "open-ended"
    return (
        f"{a.id}  {a.status:<9}  {a.kind:<6}  {a.identity.legal_name}  [{a.scope.describe()}]  "
        f"{a.valid_from.date().isoformat()} .. {until}  (by {stored.registry})"
    )


def _describe(stored: StoredAccreditation) -> list[str]:
    a = stored.accreditation
    kind = "an accreditation body" if a.may_accredit else "an issuer"
    lines = [
        f"id:           {a.id}",
        f"registry:     {stored.registry} ({a.accredited_by})",
        f"accredited:   {a.identity.legal_name} ({a.identity.country}) as {kind}",
        f"status:       {a.status}",
        f"scope:        {a.scope.describe()}",
        f"valid from:   {a.valid_from.isoformat()}",
        f"valid until:  {a.valid_until.isoformat() if a.valid_until else 'until withdrawn'}",
    ]
    lines += [f"DID:          {did}" for did in a.subjects]
    lines += [f"certificate:  {cert}" for cert in a.certificates]
    lines += [f"{kind + ':':<13} {value}" for kind, value in a.identity.identifiers]
    lines += [f"evidence:     {e.name}{f' <{e.url}>' if e.url else ''}" for e in a.evidence]
    lines += [f"history:      {c.at.isoformat()} {c.status}: {c.reason}" for c in a.history]
    return lines


def _json(stored: StoredAccreditation) -> dict[str, Any]:
    return {"registry": stored.registry, **stored.accreditation.to_dict()}


# -- cairn registry -----------------------------------------------------------------------------------------


@click.group()
def registry() -> None:
    """Accreditations, trust anchors and trust lists of this instance's registries."""


@registry.command("accredit")
@click.option("--as", "organisation", required=True, metavar="ORG", help="the accrediting organisation (its slug)")
@click.option(
    "--kind",
    type=click.Choice(["issuer", "body"]),
    default="issuer",
    show_default=True,
    help="an issuer, or an accreditation body (which may accredit others)",
)
@click.option("--did", "dids", multiple=True, metavar="DID", help="a DID of the accredited organisation (repeat)")
@click.option(
    "--certificate", "certificates", multiple=True, metavar="SHA256", help="a seal certificate's fingerprint (repeat)"
)
@click.option("--legal-name", required=True, help="the accredited organisation's legal name")
@click.option("--country", required=True, metavar="CC", help="its country, a two-letter code (PL)")
@click.option("--national", metavar="NUMBER", help="its national register number (KRS, REGON...)")
@click.option("--vat", metavar="NUMBER", help="its VAT number")
@click.option("--lei", metavar="LEI", help="its Legal Entity Identifier")
@click.option("--eidas", metavar="ID", help="its eIDAS identifier")
@click.option("--isced", multiple=True, metavar="CODE", help="an ISCED-F 2013 field covered (06, 061, 0613; repeat)")
@click.option("--eqf", multiple=True, type=click.IntRange(1, 8), help="an EQF level covered (1-8; repeat)")
@click.option("--nqf", multiple=True, metavar="LEVEL", help="a national level covered, as PL-5 (repeat)")
@click.option("--type", "types", multiple=True, metavar="TYPE", help="a credential type covered (repeat)")
@click.option("--valid-from", type=click.DateTime(["%Y-%m-%d"]), help="the first day (default: now)")
@click.option("--valid-until", type=click.DateTime(["%Y-%m-%d"]), help="the last day (default: until withdrawn)")
@click.option("--evidence-name", help="what the accreditation rests on (a decision...)")
@click.option("--evidence-url", help="where that evidence can be read (https://...)")
@database_option
@actor_option
@format_option
@fail_cleanly
def accredit(
    organisation: str,
    kind: str,
    dids: tuple[str, ...],
    certificates: tuple[str, ...],
    legal_name: str,
    country: str,
    national: str | None,
    vat: str | None,
    lei: str | None,
    eidas: str | None,
    isced: tuple[str, ...],
    eqf: tuple[int, ...],
    nqf: tuple[str, ...],
    types: tuple[str, ...],
    valid_from: datetime | None,
    valid_until: datetime | None,
    evidence_name: str | None,
    evidence_url: str | None,
    database: str | None,
    actor: str,
    fmt: str,
) -> None:
    """Accredit an organisation, known by its DIDs and/or seal certificates, as the registry --as ORG.

    Prints the new accreditation's id (or, with --format json, the accreditation)."""
    from cairn.model.trust import Evidence, LegalIdentity, Scope

    try:
        scope = Scope.of({"isced": _split(isced), "eqf": list(eqf), "nqf": _split(nqf), "types": _split(types)})
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--isced") from None
    if evidence_url and not evidence_name:
        raise click.BadParameter("name the evidence the URL points to", param_hint="--evidence-name")
    if evidence_url and not evidence_url.startswith("https://"):
        raise click.BadParameter("the evidence URL starts with https://", param_hint="--evidence-url")
    pairs = (("national", national), ("vat", vat), ("lei", lei), ("eidas", eidas))
    identity = LegalIdentity(legal_name, country, tuple((k, v.strip()) for k, v in pairs if v and v.strip()))
    evidence = [Evidence(evidence_name, evidence_url or None)] if evidence_name else []
    with _instance(database) as instance:
        stored = instance.registry.accredit(
            organisation,
            actor=actor,
            kind=kind,
            subjects=_split(dids),
            certificates=_split(certificates),
            identity=identity,
            scope=scope,
            valid_from=_day(valid_from),
            valid_until=_day(valid_until, end=True),
            evidence=evidence,
        )
    if fmt == "json":
        click.echo(json.dumps(_json(stored), indent=2, ensure_ascii=False))
    else:
        click.echo(stored.accreditation.id)


@registry.command("list")
@click.option("--registry", "organisation", metavar="ORG", help="only the accreditations ORG made")
@database_option
@format_option
@fail_cleanly
def list_accreditations(organisation: str | None, database: str | None, fmt: str) -> None:
    """The accreditations made on this instance, newest first."""
    with _instance(database) as instance:
        made = instance.registry.accreditations(organisation)
    if fmt == "json":
        click.echo(json.dumps([_json(s) for s in made], indent=2, ensure_ascii=False))
        return
    for stored in made:
        click.echo(_line(stored))
    if not made:
        click.echo("no accreditations", err=True)


@registry.command("show")
@click.argument("accreditation_id", metavar="ID")
@click.option("--credential", is_flag=True, help="print the signed accreditation credential instead")
@database_option
@format_option
@fail_cleanly
def show(accreditation_id: str, credential: bool, database: str | None, fmt: str) -> None:
    """One accreditation made on this instance (ID: urn:uuid:... or the bare UUID)."""
    with _instance(database) as instance:
        stored = instance.registry.get(_id(accreditation_id))
    if credential:
        click.echo(json.dumps(stored.credential, indent=2, ensure_ascii=False))
    elif fmt == "json":
        click.echo(json.dumps(_json(stored), indent=2, ensure_ascii=False))
    else:
        for line in _describe(stored):
            click.echo(line)


def _status_command(name: str, status: str, doc: str, done: str) -> click.Command:
    @click.argument("accreditation_id", metavar="ID")
    @click.option("--reason", required=True, help="why (kept in the audit log and published with the status)")
    @database_option
    @actor_option
    @fail_cleanly
    def command(accreditation_id: str, reason: str, database: str | None, actor: str) -> None:
        if not reason.strip():
            raise click.BadParameter("say why", param_hint="--reason")
        with _instance(database) as instance:
            stored = instance.registry.get(_id(accreditation_id))
            instance.registry.change_status(
                stored.registry, stored.accreditation.id, status=status, reason=reason, actor=actor
            )
        click.echo(f"{done} {stored.accreditation.id} ({stored.accreditation.identity.legal_name})")

    command.__doc__ = f"{doc} Credentials awarded before the change keep their standing."
    return registry.command(name)(command)


suspend = _status_command("suspend", "suspended", "Suspend the accreditation ID from now on.", "Suspended")
withdraw = _status_command("withdraw", "withdrawn", "Withdraw the accreditation ID for good, from now on.", "Withdrew")
reinstate = _status_command("reinstate", "active", "Reinstate the suspended accreditation ID.", "Reinstated")


# -- anchors ------------------------------------------------------------------------------------------------


@registry.group("anchor")
def anchor() -> None:
    """The roots this instance trusts: its registries whose accreditations vouch for others."""


@anchor.command("add")
@click.argument("organisation", metavar="ORG")
@database_option
@actor_option
@fail_cleanly
def anchor_add(organisation: str, database: str | None, actor: str) -> None:
    """Trust the registry of this instance's organisation ORG as a root."""
    with _instance(database) as instance:
        did = instance.registry.add_anchor(organisation, actor=actor)
    click.echo(f"{organisation} is a trust anchor: {did}")


@anchor.command("list")
@database_option
@format_option
@fail_cleanly
def anchor_list(database: str | None, fmt: str) -> None:
    """Every root this instance trusts (its own, its federated registries', the operator's list's)."""
    with _instance(database) as instance:
        anchors = instance.registry.anchors()
    if fmt == "json":
        click.echo(json.dumps([{"did": did, "name": name} for did, name in anchors], indent=2, ensure_ascii=False))
        return
    for did, name in anchors:
        click.echo(f"{did}  {name}")
    if not anchors:
        click.echo("no trust anchors", err=True)


@anchor.command("remove")
@click.argument("did", metavar="DID")
@database_option
@actor_option
@fail_cleanly
def anchor_remove(did: str, database: str | None, actor: str) -> None:
    """Stop trusting the root DID (one of this instance's registries)."""
    with _instance(database) as instance:
        instance.registry.remove_anchor(did, actor=actor)
    click.echo(f"{did} is no longer a trust anchor")


# -- lookup and export --------------------------------------------------------------------------------------


def _link_words(link: Accreditation, *, first: bool, by: str) -> str:
    until = f" until {link.valid_until.date().isoformat()}" if link.valid_until else ""
    what = "an accreditation body" if link.may_accredit else "an issuer"
    lead = "accredited" if first else "itself accredited"
    return f"{link.identity.legal_name}: {lead} as {what} by {by} for {link.scope.describe()}{until}"


@registry.command("lookup")
@click.argument("identifier", metavar="DID")
@click.option("--certificate", is_flag=True, help="DID is a seal certificate's SHA-256 fingerprint")
@database_option
@format_option
@fail_cleanly
def lookup(identifier: str, certificate: bool, database: str | None, fmt: str) -> None:
    """Who vouches for the issuer DID today, through which chain of accreditations; exit 1 when nobody does."""
    key = "cert:" + identifier.replace(":", "").lower() if certificate else identifier.strip()
    with _instance(database) as instance:
        found = instance.registry.lookup(key)
    vouching, chain = found.vouching, found.vouching.chain
    if fmt == "json":
        body = {
            "identifier": found.identifier,
            "vouched": vouching.vouched,
            "reason": None if vouching.vouched else vouching.reason,
            "anchor": {"did": chain.anchor, "name": chain.anchor_name} if chain is not None else None,
            "chain": found.chain,
            "accreditations": [a.to_dict() for a in found.accreditations],
        }
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
    elif chain is None:
        click.echo(f"{found.identifier}: nobody this instance trusts vouches for it: {vouching.reason}")
    elif not chain.links:
        click.echo(f"{found.identifier}: a trust anchor of this instance ({chain.anchor_name or chain.anchor})")
    else:
        click.echo(f"{found.identifier}: vouched for by {chain.anchor_name or chain.anchor} (a trust anchor)")
        for i, link in enumerate(chain.links):
            last = i + 1 == len(chain.links)
            by = (chain.anchor_name if last and chain.anchor_name else "") or link.accreditor_name or link.accredited_by
            click.echo(f"  {i + 1}. {_link_words(link, first=i == 0, by=by)}")
    if fmt == "text" and found.accreditations:
        click.echo("accreditations naming it:")
        for a in found.accreditations:
            registry_name = a.registry or "this instance"
            click.echo(f"  {a.id}  {a.status}  by {a.accreditor_name or a.accredited_by}  ({registry_name})")
    sys.exit(0 if vouching.vouched else 1)


@registry.command("export")
@click.argument("organisation", metavar="ORG")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="write it here, not to stdout")
@database_option
@fail_cleanly
def export(organisation: str, output: Path | None, database: str | None) -> None:
    """Print ORG's signed trust list (what /registries/ORG/trust-list serves)."""
    with _instance(database) as instance:
        published = instance.publication.trust_list(organisation)
    if output is not None:
        output.write_bytes(published.body)
        until = published.valid_until.isoformat()
        click.echo(f"wrote {output} ({published.entries} accreditations, valid until {until})", err=True)
    else:
        click.echo(published.body.decode("utf-8"))
