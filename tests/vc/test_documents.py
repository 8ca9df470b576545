"""The offline document loader: every bundled context loads, unknown URLs are refused."""

from __future__ import annotations

import hashlib
import socket
from importlib import resources
from pathlib import Path
from typing import Any, cast

import pytest

import cairn.vc.jsonld.documents as documents
from cairn.errors import DocumentLoadError
from cairn.vc.canon.forms import rdfc
from cairn.vc.jsonld.documents import BUNDLED_CONTEXTS, CONTEXT_VARIANTS, DEFAULT_LOADER, OfflineLoader


def _sums(text: str | None = None) -> dict[str, str]:
    if text is None:
        text = resources.files("cairn.vc").joinpath("contexts").joinpath("SHA256SUMS.txt").read_text(encoding="utf-8")
    return {name: digest for digest, name in (line.split() for line in text.splitlines() if line.strip())}


def test_every_bundled_file_is_indexed_and_intact() -> None:
    folder = resources.files("cairn.vc").joinpath("contexts")
    files = {p.name for p in folder.iterdir() if p.name.endswith((".json", ".jsonld")) and p.name != "index.json"}
    indexed = set(BUNDLED_CONTEXTS.values()) | {n for names in CONTEXT_VARIANTS.values() for n in names}
    assert files == indexed
    sums = _sums()  # third-party copies; Cairn's own contexts are not listed there
    assert set(sums) <= files
    assert len(sums) >= 21
    for name, digest in sums.items():
        assert hashlib.sha256(folder.joinpath(name).read_bytes()).hexdigest() == digest


def test_every_bundled_context_loads_as_a_context() -> None:
    for url in BUNDLED_CONTEXTS:
        remote = DEFAULT_LOADER(url, {})
        assert remote["documentUrl"] == url
        assert "@context" in remote["document"]
        assert remote["tag"] == "static"


def test_bundled_files_match_the_upstream_copies(test_data: Path) -> None:
    """The bundled third-party contexts are still the upstream copies: the digests recorded when they were fetched
    (kept in tests/data/contexts/SHA256SUMS.txt) are the package's list, and the files match them."""
    recorded = _sums((test_data / "contexts" / "SHA256SUMS.txt").read_text(encoding="utf-8"))
    assert recorded == _sums()
    folder = resources.files("cairn.vc").joinpath("contexts")
    for name, digest in recorded.items():
        assert hashlib.sha256(folder.joinpath(name).read_bytes()).hexdigest() == digest


def test_each_load_is_a_fresh_copy() -> None:
    url = "https://www.w3.org/ns/credentials/v2"
    first = DEFAULT_LOADER(url)["document"]
    first["@context"]["tampered"] = "urn:x"
    assert "tampered" not in DEFAULT_LOADER(url)["document"]["@context"]


def test_unknown_url_is_refused_with_a_clear_message() -> None:
    with pytest.raises(DocumentLoadError, match=r"remote context https://example\.com/ctx is not bundled"):
        DEFAULT_LOADER("https://example.com/ctx")


def test_no_scheme_or_slash_aliases_are_guessed() -> None:
    for url in ("http://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/v2/"):
        with pytest.raises(DocumentLoadError, match="an operator can allow it"):
            DEFAULT_LOADER(url)


def test_allow_remote_is_called_only_for_unbundled_urls() -> None:
    calls: list[str] = []

    def fetch(url: str) -> dict[str, Any]:
        calls.append(url)
        return {"@context": {"shoeSize": "https://example.com/vocab#shoeSize"}}

    loader = OfflineLoader(allow_remote=fetch)
    assert loader.allows_remote
    assert loader("https://www.w3.org/ns/credentials/v2")["document"]["@context"]["@protected"] is True
    assert calls == []
    remote = loader("https://example.com/ctx")
    assert calls == ["https://example.com/ctx"]
    assert "tag" not in remote


def test_allow_remote_failures_become_document_load_errors() -> None:
    def broken(url: str) -> dict[str, Any]:
        raise OSError("connection refused")

    def not_an_object(url: str) -> Any:
        return ["a list"]

    with pytest.raises(DocumentLoadError, match="could not be loaded"):
        OfflineLoader(allow_remote=broken)("https://example.com/ctx")
    with pytest.raises(DocumentLoadError, match="not a JSON object"):
        OfflineLoader(allow_remote=not_an_object)("https://example.com/ctx")


def test_allow_remote_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        cast(Any, OfflineLoader)(lambda url: {})  # allow_remote is keyword-only: passed by position on purpose


def test_variants_pick_another_bundled_copy() -> None:
    url = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
    latest = OfflineLoader(variants={url: "ob-v3p0-context-3.0.3.validator-latest.json"})
    assert "jti" in latest(url)["document"]["@context"]
    assert "jti" not in DEFAULT_LOADER(url)["document"]["@context"]
    with pytest.raises(DocumentLoadError, match="no bundled variant"):
        OfflineLoader(variants={url: "credentials-v2.jsonld"})


def test_bundled_context_refuses_unknown_urls() -> None:
    with pytest.raises(DocumentLoadError):
        documents.bundled_context("https://example.com/nope")


def test_canonicalising_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    credential = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:subject"},
    }
    assert "did:example:issuer" in rdfc(credential)
    with pytest.raises(DocumentLoadError, match="not bundled"):
        rdfc({**credential, "@context": [*credential["@context"], "https://example.com/remote/v1"]})
