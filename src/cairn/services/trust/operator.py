"""The operator's own trust list: issuers (and seal certificates) this instance vouches for directly.

Registries and their accreditations are the trust network (:mod:`cairn.services.trust.network`); this file is
the operator's short list beside it, named in ``CAIRN_TRUST_LIST`` (YAML or JSON)::

    issuers:
      - did: did:web:uni.example:orgs:maths        # matched against the DID whose key signed
        name: Example University                   # a label for the page
        note: accredited by the national QA agency
    certificates:                                  # for ELM/JAdES seals: SHA-256 fingerprints or subject DNs
      - "5f:3a:..."

Each listed DID is a trust anchor: it is vouched for itself, and so is every issuer it accredits. An entry
must give a DID (or an Open Badges 2.0 issuer URL): trust never comes from a name or a register number the
credential states, since anyone can write those. An entry with only an ``organisation`` is refused with a
:class:`~cairn.errors.ConfigurationError` that says so; the list is read and validated once at start-up.

Credentials issued by this instance's own organisations are recognised separately (:meth:`TrustList.own`):
being issued here is not the same as being on the operator's list.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from cairn.errors import ConfigurationError

__all__ = ["TrustEntry", "TrustList", "TrustMatch", "load_trust_list", "parse_trust_list"]

TrustStatus = Literal["trusted", "unknown"]
MAX_FILE_BYTES = 5_000_000
_KEYS = frozenset({"did", "id", "organisation", "organization", "name", "note"})


@dataclass(frozen=True, slots=True)
class TrustEntry:
    """One trusted issuer: its DID (or issuer URL), and/or an organisation name or id, and a note."""

    did: str | None = None
    organisation: str | None = None
    name: str | None = None
    note: str = ""

    @property
    def label(self) -> str:
        """How the page names the entry."""
        return self.name or self.organisation or self.did or ""


@dataclass(frozen=True, slots=True)
class TrustMatch:
    """A trust-list entry an issuer matched, and how: ``"did"`` or ``"organisation"`` (self-asserted)."""

    entry: TrustEntry
    by: Literal["did", "organisation"]


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


class TrustList:
    """The issuers (and ELM seal certificates) this instance's operator trusts."""

    def __init__(
        self,
        entries: Sequence[TrustEntry] = (),
        *,
        certificates: Sequence[str] = (),
        source: str | None = None,
        own_prefix: str | None = None,
    ) -> None:
        self.entries = tuple(entries)
        self.certificates = frozenset(certificates)
        self.source = source
        self._own_prefix = own_prefix
        self._by_did = {e.did: e for e in self.entries if e.did}

    @property
    def configured(self) -> bool:
        """Whether the operator gave a trust list at all (an empty list still counts as given)."""
        return self.source is not None

    def match(self, issuer: Mapping[str, Any]) -> TrustMatch | None:
        """The entry whose DID is ``issuer``'s id (a credential's issuer object), or None."""
        issuer_id = _str(issuer.get("id"))
        if issuer_id and issuer_id in self._by_did:
            return TrustMatch(self._by_did[issuer_id], "did")
        return None

    def status(self, issuer: Mapping[str, Any]) -> tuple[TrustStatus, TrustEntry | None]:
        """``("trusted", entry)`` when ``issuer`` is on the list, else ``("unknown", None)``."""
        found = self.match(issuer)
        return ("trusted", found.entry) if found else ("unknown", None)

    def own(self, issuer: Mapping[str, Any]) -> bool:
        """Whether ``issuer`` names one of this instance's own organisations (``did:web:HOST:orgs:...``)."""
        issuer_id = _str(issuer.get("id"))
        return bool(self._own_prefix and issuer_id.startswith(self._own_prefix))


def _entry(raw: Any, where: str) -> TrustEntry:
    if isinstance(raw, str):
        raw = {"did": raw} if raw.startswith(("did:", "https://", "http://")) else {"organisation": raw}
    if not isinstance(raw, Mapping):
        raise ConfigurationError(f"{where}: an issuer must be a mapping with 'did' and/or 'organisation'")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigurationError(f"{where}: unknown field {unknown[0]!r} (allowed: did, organisation, name, note)")
    values = {k: raw[k] for k in raw}
    for key, value in values.items():
        if value is not None and not isinstance(value, str):
            raise ConfigurationError(f"{where}: {key!r} must be text")
    did = (values.get("did") or values.get("id") or "").strip() or None
    organisation = (values.get("organisation") or values.get("organization") or "").strip() or None
    if did is None:
        raise ConfigurationError(
            f"{where}: give the issuer's 'did': trust never comes from a name or register number a credential "
            "states, since anyone can write those"
        )
    if did is not None and not did.startswith(("did:", "https://", "http://")):
        raise ConfigurationError(f"{where}: 'did' must be a DID or an https issuer URL, not {did[:60]!r}")
    name = (values.get("name") or "").strip() or None
    return TrustEntry(did=did, organisation=organisation, name=name, note=(values.get("note") or "").strip())


def parse_trust_list(data: Any, *, source: str, own_prefix: str | None = None) -> TrustList:
    """A :class:`TrustList` from parsed YAML/JSON ``data`` (raises :class:`ConfigurationError`)."""
    if isinstance(data, list):
        data = {"issuers": data}
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"{source}: the trust list must be a mapping with 'issuers' (and 'certificates')")
    unknown = sorted(set(data) - {"issuers", "certificates"})
    if unknown:
        raise ConfigurationError(f"{source}: unknown section {unknown[0]!r} (allowed: issuers, certificates)")
    issuers = data.get("issuers") or []
    certificates = data.get("certificates") or []
    if not isinstance(issuers, list) or not isinstance(certificates, list):
        raise ConfigurationError(f"{source}: 'issuers' and 'certificates' must be lists")
    entries = [_entry(raw, f"{source}: issuers[{i}]") for i, raw in enumerate(issuers)]
    for i, cert in enumerate(certificates):
        if not isinstance(cert, str) or not cert.strip():
            raise ConfigurationError(f"{source}: certificates[{i}] must be a fingerprint or subject DN (text)")
    return TrustList(entries, certificates=[c.strip() for c in certificates], source=source, own_prefix=own_prefix)


def load_trust_list(path: str | Path | None, *, own_prefix: str | None = None) -> TrustList:
    """Read the trust list at ``path`` (YAML or JSON); an empty, unconfigured list when ``path`` is empty."""
    if not path:
        return TrustList(own_prefix=own_prefix)
    file = Path(path)
    where = f"CAIRN_TRUST_LIST ({file})"
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise ConfigurationError(f"{where}: the file is larger than {MAX_FILE_BYTES:,} bytes")
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"{where}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"{where}: the file is not UTF-8") from None
    try:
        data = json.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{where}: not valid {file.suffix.lstrip('.').upper() or 'YAML'}: {exc}") from None
    return parse_trust_list(data, source=where, own_prefix=own_prefix)
