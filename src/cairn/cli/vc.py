"""``cairn keys`` and ``cairn vc``: generate keys, sign and verify credentials from the command line.

``cairn vc verify`` exits 0 when verified, 1 when not, 2 when the input cannot be read at all.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from cairn.cli.common import database_option
from cairn.errors import CairnError

__all__ = ["keys", "vc"]

MAX_INPUT = 10_000_000


def _read(source: str) -> bytes:
    """Read a file, or standard input for ``-``, refusing anything over the size limit."""
    try:
        if source == "-":
            data = sys.stdin.buffer.read(MAX_INPUT + 1)
        else:
            with open(source, "rb") as fh:
                data = fh.read(MAX_INPUT + 1)
    except OSError as exc:
        click.echo(f"error: cannot read {source}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    if len(data) > MAX_INPUT:
        click.echo(f"error: {source} is larger than {MAX_INPUT:,} bytes", err=True)
        sys.exit(2)
    return data


@click.group()
def keys() -> None:
    """Signing keys."""


@keys.command("generate")
@click.option("--type", "kind", type=click.Choice(["ed25519", "p256", "p384"]), default="ed25519", show_default=True)
def keys_generate(kind: str) -> None:
    """Print a new key pair as JSON (publicKeyMultibase / secretKeyMultibase). Keep it secret."""
    from cairn.vc.keys import KeyPair, KeyType, dump_key_pair

    pair = KeyPair.generate({"ed25519": KeyType.ED25519, "p256": KeyType.P256, "p384": KeyType.P384}[kind])
    if kind == "ed25519":
        click.echo(dump_key_pair(pair))
    else:
        click.echo(dump_key_pair(pair, secret_field="secretKeyMultibase", indent=2))  # noqa: S106 - a field name


@click.group()
def vc() -> None:
    """Sign and verify Verifiable Credentials."""


@vc.command("issue")
@click.option("--key", "key_file", required=True, type=click.Path(dir_okay=False), help="key pair JSON file")
@click.option(
    "--suite",
    required=True,
    type=click.Choice(["eddsa-rdfc-2022", "eddsa-jcs-2022", "ecdsa-rdfc-2019", "ecdsa-jcs-2019", "jwt", "ob3-jwt"]),
)
@click.option("--created", metavar="ISO-8601", help="the proof's creation time (default: now)")
@click.option("--verification-method", metavar="URL", help="the key's id (default: its did:key)")
@click.argument("source", default="-")
def vc_issue(key_file: str, suite: str, created: str | None, verification_method: str | None, source: str) -> None:
    """Sign the credential in SOURCE (a file, or - for standard input) and print it."""
    from cairn.bootstrap import utc_now
    from cairn.vc.fetch import loads_json
    from cairn.vc.issuance import issue
    from cairn.vc.keys import load_key_pair

    try:
        key = load_key_pair(_read(key_file))
        credential = loads_json(_read(source), what="credential")
        if not isinstance(credential, dict):
            raise CairnError("the credential must be a JSON object")
        when = created or utc_now().replace(microsecond=0).isoformat().replace("+00:00", "Z")
        signed = issue(credential, key=key, suite=suite, created=when, verification_method=verification_method)
    except CairnError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    click.echo(signed if isinstance(signed, str) else json.dumps(signed, indent=2, ensure_ascii=False))


@vc.command("verify")
@click.argument("source", default="-")
@click.option("--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True)
@click.option("--online", is_flag=True, help="allow fetching did:web documents and status lists over HTTPS")
@click.option("--challenge", help="the challenge a presentation must answer")
@click.option("--domain", help="the domain a presentation must be bound to")
@database_option
def vc_verify(
    source: str, fmt: str, online: bool, challenge: str | None, domain: str | None, database: str | None
) -> None:
    """Verify the credential or presentation in SOURCE (JSON, a JWT, a baked PNG or SVG image, a Cairn PDF;
    - for standard input).

    Credentials issued by the Cairn instance whose database is here (CAIRN_DATABASE_URL, --database, or
    ./cairn.db when it exists) are checked against its own DID documents and status lists without the network.

    Exit 0 when verified, 1 when not verified, 2 when the input cannot be read.
    """
    from cairn.vc.report import Outcome

    data = _read(source)
    verification, instance = _verification(database, online=online)
    try:
        report = verification.verify(data, challenge=challenge, domain=domain)
    finally:
        if instance is not None:
            instance.dispose()
    click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if fmt == "json" else report.text())
    if report.outcome_of("readable") is Outcome.FAIL:
        sys.exit(2)
    sys.exit(0 if report.verified else 1)


def _verification(database: str | None, *, online: bool) -> tuple[Any, Any]:
    """The verification service to use here, and the instance database to close (or None).

    With a Cairn instance's database on this machine, the instance's own service: its DID documents and status
    lists answered from the database, the web only when ``online``, its trust list. Without one, a service that
    fetches only when ``online`` (verifying never creates an SQLite file), with the trust list CAIRN_TRUST_LIST
    names, if any."""
    from cairn.bootstrap import build, load_settings, utc_now
    from cairn.services.trust.network import TrustNetwork
    from cairn.services.trust.operator import TrustList, load_trust_list
    from cairn.services.verification.service import VerificationService
    from cairn.vc.fetch import CachingFetcher, HttpsFetcher

    outward = CachingFetcher(HttpsFetcher()) if online else None
    standalone = VerificationService(fetcher=outward, clock=utc_now, trust=TrustList())
    try:
        settings = load_settings(database_url=database)
        standalone.trust = TrustNetwork(None, clock=utc_now, operator=load_trust_list(settings.trust_list))
        url = settings.database_url
        if url.startswith("sqlite"):
            path = url.split("://", 1)[-1].split("?", 1)[0].removeprefix("/")
            if path in ("", ":memory:") or not Path(path).is_file():
                return standalone, None
        if not settings.secret_key and Path(".cairn-demo-secret").is_file():  # the key 'cairn serve --demo' made
            from cairn.services.demo.instance import demo_secret_key

            settings = settings.with_overrides(secret_key=demo_secret_key(Path.cwd()))
        container = build(settings, online=online)
    except CairnError:
        return standalone, None
    try:
        if container.database.is_current():
            return container.verification, container.database
    except CairnError:
        pass
    container.database.dispose()
    return standalone, None


@vc.command("bake")
@click.option("--image", "image_file", required=True, type=click.Path(dir_okay=False), help="a PNG or SVG image")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="where to write the image (default: stdout)")
@click.argument("source", default="-")
def vc_bake(image_file: str, output: str | None, source: str) -> None:
    """Bake the signed credential in SOURCE (JSON or a JWT; - for standard input) into an Open Badges 3.0 image.

    Writes the baked PNG or SVG to standard output (redirect it) or to --output. A credential baked into the
    image before is replaced. Exit 2 when the image or the credential cannot be used.
    """
    from cairn.vc.fetch import loads_json
    from cairn.vc.formats.baking import bake
    from cairn.vc.proofs.jose import is_compact_jws

    try:
        credential = _read(source).decode("utf-8-sig").strip()
        if credential.startswith("{"):
            if not isinstance(loads_json(credential, what="credential"), dict):
                raise CairnError("the credential must be a JSON object")
        elif not is_compact_jws(credential):
            raise CairnError("the credential must be JSON or a compact JWT")
        baked = bake(_read(image_file), credential)
    except UnicodeDecodeError:
        click.echo("error: the credential is not UTF-8 text", err=True)
        sys.exit(2)
    except CairnError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    if output:
        try:
            with open(output, "wb") as fh:
                fh.write(baked)
        except OSError as exc:
            click.echo(f"error: cannot write {output}: {exc.strerror or exc}", err=True)
            sys.exit(2)
        return
    stdout = sys.stdout.buffer
    if stdout.isatty():
        click.echo("error: the baked image is binary; redirect standard output or use --output", err=True)
        sys.exit(2)
    stdout.write(baked)
    stdout.flush()


@vc.command("unbake")
@click.argument("source", default="-")
def vc_unbake(source: str) -> None:
    """Print the credential baked into a PNG or SVG image or attached to a Cairn PDF (SOURCE, or - for stdin).

    Prints JSON, a JWT, or (Open Badges 2.0 hosted) an assertion URL. Exit 2 when there is none.
    """
    from cairn.vc.formats.baking import unbake

    try:
        click.echo(unbake(_read(source)))
    except CairnError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
