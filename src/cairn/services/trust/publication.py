"""What this instance's registries publish for verifiers that are not Cairn: the signed trust list (to anyone),
the Digital Credentials Consortium's two registry formats, and the answers of the public lookup.

A **registry** is an organisation of this instance that made an accreditation or is a trust anchor; any other
slug answers :class:`~cairn.errors.NotFoundError`. Every format is a projection of the registry's signed trust
list (:meth:`cairn.services.trust.registry.RegistryService.trust_list`: the accreditations it made and those of
the bodies it accredited here), so all of them say the same thing.

Digital Credentials Consortium (DCC), as read by ``@digitalcredentials/issuer-registry-client`` 3.2.0-beta.5
(which ``@digitalcredentials/verifier-core`` 1.0.0-beta.11 uses; git 36a49fa) and 3.1.0 (the ``latest`` tag,
legacy format only):

- **dcc-legacy** (:meth:`PublicationService.dcc_legacy`): ``{"meta": {created, updated}, "registry": {DID:
  {name, url, location, legalName}}}``, the format of ``digitalcredentials/issuer-registry/registry.json``.
  It has no status, so a DID is listed only while a chain of accreditations in force today leads from it to the
  registry (a suspended or withdrawn accreditation takes it off at once). Verifiers configure
  ``{"type": "dcc-legacy", "name": ..., "url": ".../registries/SLUG/dcc/registry.json"}``.
- **oidf** (:meth:`PublicationService.oidf_configuration`, :meth:`PublicationService.oidf_statement`): an
  OpenID Federation 1.0 entity configuration (``typ: entity-statement+jwt``, ES256, the registry's P-256 key in
  ``jwks``) whose ``federation_entity`` names the fetch and list endpoints, and one subordinate statement per
  listed DID with DCC's metadata (``federation_entity``, ``institution_additional_information``). Verifiers
  configure ``{"type": "oidf", "trustAnchorEC": ".../registries/SLUG/.well-known/openid-federation"}``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import quote, unquote

from babel import Locale

from cairn.errors import NotFoundError
from cairn.model.trust import Accreditation, Claim, vouch
from cairn.services.issuing.keys import KeyService
from cairn.services.trust.network import TrustIndex, TrustNetwork
from cairn.services.trust.registry import PublishedList, RegistryService
from cairn.vc.proofs.jose import sign_jwt

__all__ = ["STATEMENT_LIFETIME", "Document", "Listed", "PublicationService", "homepage", "stamp"]

STATEMENT_LIFETIME: Final = timedelta(days=1)
"""How long an OpenID Federation statement is valid (``exp - iat``), as DCC's registry signs them."""
_ENTITY_TYPE: Final = "entity-statement+jwt"
_ENGLISH: Final = Locale("en")
_RECHECK: Final = timedelta(minutes=5)
"""Who a registry vouches for depends on the day too (accreditations end): read again at least this often."""


def stamp(value: datetime) -> str:
    """``2026-05-04T09:30:00Z``."""
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def homepage(identifier: str) -> str | None:
    """The web site an identifier names: ``https://host`` for a did:web (its first part), the URL itself for an
    https issuer URL, else None."""
    if identifier.startswith("https://"):
        return identifier
    if identifier.startswith("did:web:"):
        host = unquote(identifier.removeprefix("did:web:").split(":", 1)[0])
        return f"https://{host}" if host else None
    return None


@dataclass(frozen=True, slots=True)
class Document:
    """A published JSON document: its bytes and ETag."""

    body: bytes
    etag: str


def _document(value: Any) -> Document:
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Document(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


@dataclass(frozen=True, slots=True)
class Listed:
    """An identifier a registry vouches for today, and the accreditation that names it (the chain's first link)."""

    identifier: str
    accreditation: Accreditation


@dataclass(frozen=True, slots=True)
class _View:
    """One registry's trust list, read back: its entries and who it vouches for, with the list's ETag."""

    etag: str
    issued: datetime
    checked: datetime
    name: str
    entries: tuple[Accreditation, ...]
    listed: tuple[Listed, ...]


class PublicationService:
    """The registries' public documents: trust lists, DCC registry files and OpenID Federation statements."""

    def __init__(
        self,
        *,
        registry: RegistryService,
        keys: KeyService,
        network: TrustNetwork,
        clock: Callable[[], datetime],
        public_url: str,
    ) -> None:
        self.registry = registry
        self.keys = keys
        self.network = network
        self.clock = clock
        self.public_url = public_url.rstrip("/")
        self._lock = threading.Lock()
        self._accreditors: tuple[TrustIndex | None, frozenset[str]] = (None, frozenset())
        self._views: dict[str, _View] = {}

    # -- which organisations are registries ------------------------------------------------------------

    def local_slug(self, did: str) -> str | None:
        """The slug of this instance's organisation whose DID is ``did`` (by its form), else None."""
        prefix = self.keys.did("x")[:-1]
        if not did.startswith(prefix):
            return None
        slug = did[len(prefix) :]
        return slug if slug and self.keys.did(slug) == did else None

    def _made_accreditations(self, index: TrustIndex) -> frozenset[str]:
        """The DIDs that made an accreditation on this instance."""
        with self._lock:
            cached_index, accreditors = self._accreditors
            if cached_index is index:
                return accreditors
        found = frozenset(a.accredited_by for found in index.by_identifier.values() for a in found if not a.registry)
        with self._lock:
            self._accreditors = (index, found)
        return found

    def is_registry(self, slug: str) -> bool:
        """Whether ``slug`` made an accreditation here or is a trust anchor (its DID, by the index)."""
        did = self.keys.did(slug)
        index = self.network.index()
        return did in index.anchors or did in self._made_accreditations(index)

    def registries(self) -> list[str]:
        """The slugs of this instance's registries, sorted."""
        index = self.network.index()
        dids = set(index.anchors) | self._made_accreditations(index)
        return sorted(slug for did in dids if (slug := self.local_slug(did)) is not None)

    def trust_list(self, slug: str) -> PublishedList:
        """``slug``'s signed trust list; NotFoundError when ``slug`` is no registry."""
        if not self.is_registry(slug):
            raise NotFoundError(
                "%(slug)s publishes no trust list: it has made no accreditation and is no anchor", slug=slug[:80]
            )
        return self.registry.trust_list(slug)

    def list_url(self, slug: str) -> str:
        """Where ``slug``'s signed trust list is."""
        return self.registry.list_url(slug)

    # -- the list, read back ------------------------------------------------------------------------------

    def _view(self, slug: str) -> _View:
        published = self.trust_list(slug)
        with self._lock:
            cached = self._views.get(slug)
        now = self.clock()
        if cached is not None and cached.etag == published.etag and timedelta(0) <= now - cached.checked < _RECHECK:
            return cached
        document = json.loads(published.body)
        entries = tuple(Accreditation.of(e) for e in document["credentialSubject"]["accreditations"])
        issued = datetime.fromisoformat(str(document["validFrom"]).replace("Z", "+00:00"))
        name = str(document["issuer"].get("name") or slug)
        did = self.keys.did(slug)
        view = _View(published.etag, issued, now, name, entries, tuple(self._vouched(did, name, entries, now)))
        with self._lock:
            if len(self._views) > 1000:
                self._views.clear()
            self._views[slug] = view
        return view

    @staticmethod
    def _vouched(did: str, name: str, entries: Sequence[Accreditation], now: datetime) -> list[Listed]:
        """Every subject of ``entries`` (but the registry) for which a chain in force today leads to ``did``."""
        by_subject: dict[str, list[Accreditation]] = {}
        for entry in entries:
            for subject in entry.subjects:
                by_subject.setdefault(subject, []).append(entry)

        def lookup(identifier: str) -> tuple[Accreditation, ...]:
            return tuple(by_subject.get(identifier, ()))

        today = Claim(now, scoped=False)
        listed = []
        for subject in sorted(by_subject):
            if subject == did:
                continue
            found = vouch([subject], today, lookup=lookup, anchors={did: name})
            if found.chain is not None and found.chain.links:
                listed.append(Listed(subject, found.chain.links[0]))
        return listed

    def listed(self, slug: str) -> list[Listed]:
        """The identifiers ``slug`` vouches for today (its subtree's subjects), sorted."""
        return list(self._view(slug).listed)

    # -- DCC legacy -------------------------------------------------------------------------------------

    def dcc_legacy(self, slug: str) -> Document:
        """``slug``'s registry in the dcc-legacy format."""
        view = self._view(slug)
        registry: dict[str, dict[str, str]] = {}
        for item in view.listed:
            identity = item.accreditation.identity
            entry = {
                "name": identity.legal_name,
                "url": homepage(item.identifier) or self._lookup_url(item.identifier),
                "location": _ENGLISH.territories.get(identity.country, identity.country),
                "legalName": identity.legal_name,
            }
            registry[item.identifier] = entry
        created = min((e.valid_from for e in view.entries), default=view.issued)
        return _document({"meta": {"created": stamp(created), "updated": stamp(view.issued)}, "registry": registry})

    def _lookup_url(self, identifier: str) -> str:
        return f"{self.public_url}/api/v1/trust/lookup?did={quote(identifier, safe=':')}"

    # -- OpenID Federation (DCC's member registry) --------------------------------------------------------

    def entity_id(self, slug: str) -> str:
        """The registry's OpenID Federation entity identifier."""
        return f"{self.public_url}/registries/{slug}"

    def _sign(self, slug: str, payload: Mapping[str, Any], *, with_keys: bool = False) -> str:
        signing = self.keys.ensure_key(slug, suite="ecdsa-rdfc-2019")  # ES256: what DCC's registry signs with
        public = signing.key.public
        kid = public.jwk_thumbprint()
        body = dict(payload)
        if with_keys:
            body["jwks"] = {"keys": [{**public.to_jwk(), "kid": kid, "use": "sig", "alg": "ES256"}]}
        return sign_jwt(body, key=signing.key, kid=kid, typ=_ENTITY_TYPE)

    def _claims(self, slug: str, subject: str) -> dict[str, Any]:
        now = int(self.clock().timestamp())
        return {
            "iss": self.entity_id(slug),
            "sub": subject,
            "iat": now,
            "exp": now + int(STATEMENT_LIFETIME.total_seconds()),
        }

    def oidf_configuration(self, slug: str) -> str:
        """The registry's entity configuration: a self-signed JWT naming its fetch and list endpoints."""
        view = self._view(slug)
        entity = self.entity_id(slug)
        metadata = {
            "federation_entity": {
                "organization_name": view.name,
                "homepage_uri": self.public_url,
                "federation_fetch_endpoint": f"{entity}/fetch",
                "federation_list_endpoint": f"{entity}/subordinate_listing",
            },
            "institution_additional_information": {"legal_name": view.name},
        }
        return self._sign(slug, {**self._claims(slug, entity), "metadata": metadata}, with_keys=True)

    def oidf_statement(self, slug: str, subject: str) -> str:
        """The registry's statement about ``subject`` (a DID it vouches for today); NotFoundError otherwise."""
        view = self._view(slug)
        item = next((i for i in view.listed if i.identifier == subject), None)
        if item is None:
            raise NotFoundError("The requested Entity Identifier cannot be found.")
        accreditation = item.accreditation
        identity = accreditation.identity
        federation_entity = {"organization_name": identity.legal_name}
        if site := homepage(subject):
            federation_entity["homepage_uri"] = site
        metadata: dict[str, Any] = {
            "federation_entity": federation_entity,
            "institution_additional_information": {
                "legal_name": identity.legal_name,
                "country": identity.country,
                "identifiers": [{"kind": k, "value": v} for k, v in identity.identifiers],
            },
            "accreditation": {
                "id": accreditation.id,
                "kind": accreditation.kind,
                "scope": accreditation.scope.to_dict(),
                "scope_text": accreditation.scope.describe(),
                "valid_from": stamp(accreditation.valid_from),
                **({"valid_until": stamp(accreditation.valid_until)} if accreditation.valid_until else {}),
                "accredited_by": accreditation.accredited_by,
                "trust_list": self.list_url(slug),
            },
        }
        return self._sign(slug, {**self._claims(slug, subject), "metadata": metadata})

    def oidf_listing(self, slug: str) -> list[str]:
        """The DIDs the registry vouches for today (its subordinates)."""
        return [item.identifier for item in self._view(slug).listed]
