"""Other verifiers' own client libraries read Cairn's registries: DCC's ``@digitalcredentials/issuer-registry-client``
(both its dcc-legacy and OpenID Federation readers) and EBSI's ``@cef-ebsi/verifiable-credential``
(``validateAccreditations`` against the TIR v5 view), run in Node against a live Cairn server.

The packages are installed once into a cache folder outside the repository (``CAIRN_TEST_NPM_CACHE``, else
``~/.cache/cairn-test-npm``) and reused; without node and npm, or when the npm registry cannot be reached, the
tests skip and say why.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cairn.bootstrap import Container, build
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.web.app import create_app
from tests.factories import EXAMPLES, serve
from tests.trust_network import MINISTRY, Network, build_network

pytestmark = pytest.mark.slow  # installs (once) and runs Node packages against a live server

PACKAGES = (
    "@digitalcredentials/issuer-registry-client@3.2.0-beta.5",
    "@cef-ebsi/verifiable-credential@5.5.0",
    "ky@0.25.1",  # EBSI's library reaches ky-universal 0.8, which loads ky/umd: ky 0.25 is the last with one
)


def _cache() -> Path:
    configured = os.environ.get("CAIRN_TEST_NPM_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "cairn-test-npm"


@pytest.fixture(scope="module")
def node_packages() -> Path:
    """The cache folder with the client packages installed (installed on first use)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are not installed: the registry client libraries cannot run")
    folder = _cache()
    folder.mkdir(parents=True, exist_ok=True)
    modules = folder / "node_modules"
    installed = all((modules / p.rsplit("@", 1)[0] / "package.json").is_file() for p in PACKAGES)
    installed = installed and (modules / "ky" / "umd.js").is_file()
    if not installed:
        try:
            done = subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--prefix", str(folder), *PACKAGES],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.skip("npm install took more than 5 minutes (is the npm registry reachable?)")
        if done.returncode != 0:
            pytest.skip(f"npm could not install the client libraries (offline?): {done.stderr.strip()[-300:]}")
    return folder


@dataclass
class Live:
    url: str
    container: Container
    network: Network


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def live(sqlite_database: Database) -> Iterator[Live]:
    """A Cairn server on loopback with the test trust network, on the real clock (Node checks dates by it)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(database_url=sqlite_database.url, secret_key="s" * 48, base_url=url)
    container = build(settings, database=sqlite_database)
    container.catalog.import_paths([EXAMPLES])
    network = build_network(container)
    running = serve(create_app(container), port)
    try:
        yield Live(url, container, network)
    finally:
        running.stop()


def node(folder: Path, script: str, **values: Any) -> Any:
    """Run an ES module in ``folder`` (where the packages resolve) with ``values`` as ``input``; its JSON output."""
    path = folder / f"cairn-test-{uuid.uuid4().hex}.mjs"
    path.write_text(f"const input = {json.dumps(values)};\n{script}", encoding="utf-8")
    try:
        done = subprocess.run(["node", str(path)], capture_output=True, text=True, timeout=120, check=False)
    finally:
        path.unlink()
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


DCC_SCRIPT = """
import { RegistryClient } from '@digitalcredentials/issuer-registry-client';
const client = new RegistryClient();
client.use({ registries: [
  { name: 'Cairn (legacy)', type: 'dcc-legacy', url: input.legacy },
  { name: 'Cairn (OpenID Federation)', type: 'oidf', trustAnchorEC: input.oidf },
] });
const out = {};
for (const did of input.dids) out[did] = await client.lookupIssuersFor(did);
console.log(JSON.stringify(out));
"""


def test_dccs_registry_client_finds_the_issuer_in_both_formats(node_packages: Path, live: Live) -> None:
    base = f"{live.url}/registries/{MINISTRY}"
    unknown = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    found = node(
        node_packages,
        DCC_SCRIPT,
        legacy=f"{base}/dcc/registry.json",
        oidf=f"{base}/.well-known/openid-federation",
        dids=[live.network.university_did, unknown],
    )
    university = found[live.network.university_did]
    assert university["uncheckedRegistries"] == []
    legacy, oidf = university["matchingIssuers"]
    assert legacy["issuer"]["federation_entity"]["organization_name"] == "Uniwersytet Mazowiecki"
    assert legacy["registry"]["institution_additional_information"]["legacy_list"] == f"{base}/dcc/registry.json"
    assert oidf["issuer"]["federation_entity"]["organization_name"] == "Uniwersytet Mazowiecki"
    assert oidf["issuer"]["accreditation"]["scope_text"] == "ISCED-F 061"
    assert oidf["registry"]["federation_entity"]["organization_name"] == "Ministry of Science"
    assert found[unknown] == {"matchingIssuers": [], "uncheckedRegistries": []}


EBSI_SCRIPT = """
import { validateAccreditations } from '@cef-ebsi/verifiable-credential';
const out = {};
for (const [name, types] of Object.entries(input.cases)) {
  const vc = { issuer: input.issuer, type: types, credentialSubject: { id: 'did:key:z6MkLearner' },
               termsOfUse: { id: input.terms, type: 'IssuanceCertificate' } };
  try { await validateAccreditations(vc, { timeout: 10000, validAt: input.validAt }); out[name] = 'ok'; }
  catch (e) { out[name] = String(e.message || e); }
}
console.log(JSON.stringify(out));
"""


def test_ebsis_library_validates_accreditations_against_the_tir(node_packages: Path, live: Live) -> None:
    did = live.network.university_did
    (attribute,) = live.container.tir.attributes(did)
    terms = f"{live.url}/trusted-issuers-registry/v5/issuers/{did}/attributes/{attribute.id}"
    valid_at = int(live.container.clock().timestamp()) + 60
    cases = {
        "badge": ["VerifiableCredential", "VerifiableAttestation", "OpenBadgeCredential"],
        "diploma": ["VerifiableCredential", "VerifiableAttestation", "DiplomaCredential"],
    }
    result = node(node_packages, EBSI_SCRIPT, issuer=did, terms=terms, validAt=valid_at, cases=cases)
    assert result["badge"] == "ok"
    assert "is not accredited to issue credentials with type" in result["diploma"]
    assert '["DiplomaCredential"]' in result["diploma"]

    live.container.registry.change_status(
        "qa-agency", live.network.issuer, status="suspended", reason="review", actor="test"
    )
    again = node(node_packages, EBSI_SCRIPT, issuer=did, terms=terms, validAt=valid_at, cases={"badge": cases["badge"]})
    assert again["badge"].endswith(": Revoked")
