"""Cairn's wallet receives from an independent OpenID4VCI issuer: a node server built on @openid4vc/openid4vci
0.4.6's Openid4vciIssuer (metadata, offer, nonce, credential request parsing, key proof verification, credential
response) issuing SD-JWT VCs with @sd-jwt/sd-jwt-vc 0.19.0 (harness tests/interop/js/issuer.mjs), over HTTPS on
loopback. The wallet reads the offer and metadata, is refused for a wrong transaction code with the issuer's
error, receives a credential bound to its own Ed25519 key (the library verified the EdDSA key proof), verified on
Cairn's path, and tells the issuer ``credential_accepted``; a credential bound to another key is refused, nothing is
stored, and the issuer hears ``credential_failure``. Skipped, saying why, without node/npm or the npm registry."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cairn.errors import InputError
from cairn.services.wallet.records import cnf_did
from cairn.store.tables import WalletCredentialRow
from cairn.vc.fetch import HttpsFetcher
from tests.helpers import rows
from tests.interop.node import Instance, place

pytestmark = pytest.mark.slow


@pytest.fixture
def issuer(harness_folder: Path, cairn: Instance) -> Iterator[dict[str, Any]]:
    """The node issuer, running: its URL, offer links and transaction code."""
    place(harness_folder, "issuer.mjs")
    with subprocess.Popen(
        ["node", "issuer.mjs", str(cairn.tls[1]), str(cairn.tls[2])],
        cwd=harness_folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            if not line:
                pytest.fail(f"the node issuer did not start: {process.stderr.read() if process.stderr else ''}")
            yield json.loads(line)
        finally:
            process.terminate()
            process.communicate(timeout=10)


def _events(cairn: Instance, url: str) -> list[dict[str, Any]]:
    import ssl

    fetcher = HttpsFetcher(allow_private=True, ssl_context=ssl.create_default_context(cafile=str(cairn.tls[0])))
    events: list[dict[str, Any]] = fetcher.fetch(f"{url}/events").json()
    return events


def test_cairns_wallet_receives_from_an_independent_issuer(cairn: Instance, issuer: dict[str, Any]) -> None:
    container = cairn.container
    account = container.accounts.create_account(email="jan@example.org").id
    receiving = container.receiving
    offer = receiving.read_offer(account, issuer["link"])
    assert offer.credential_issuer == issuer["url"]
    assert offer.issuer_name == "Independent test issuer"
    assert [c.id for c in offer.configurations] == ["learning_sd_jwt"]
    assert offer.configurations[0].name == "Data stewardship (independent issuer)"
    assert offer.tx_code is not None
    assert offer.tx_code.length == 4

    with pytest.raises(InputError, match="invalid_grant"):
        receiving.accept(account, offer, "0000", ["learning_sd_jwt"])
    items = receiving.accept(account, offer, issuer["tx_code"], ["learning_sd_jwt"])
    assert len(items) == 1
    item = items[0]
    assert item.format == "sd-jwt-vc"
    assert cnf_did(item.document) == container.wallet.wallet_for(account)
    assert item.document["achievement_title"] == "Data stewardship"
    assert item.status == "valid", item.report
    assert not item.about_someone_else
    assert [e["event"] for e in _events(cairn, issuer["url"])] == ["credential_accepted"]

    hostile = receiving.read_offer(account, issuer["hostile_link"])
    with pytest.raises(InputError, match="not bound to this wallet's key"):
        receiving.accept(account, hostile, issuer["tx_code"], ["hostile_sd_jwt"])
    held = [r for r in rows(container.database, WalletCredentialRow) if r.source == "openid4vci"]
    assert [r.id for r in held] == [item.id]
    assert [e["event"] for e in _events(cairn, issuer["url"])] == ["credential_accepted", "credential_failure"]
