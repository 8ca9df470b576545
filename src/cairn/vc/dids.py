"""did:key and did:web documents, and resolution of verification methods to public keys.

- did:key (Ed25519 ``z6Mk...``, P-256 ``zDna...``, P-384 ``z82L...``): created and resolved offline; the document
  has one ``Multikey`` verification method ``did:key:z...#z...`` used for every relationship.
- did:web: :func:`did_web` builds the DID for a host and path, :func:`did_web_url` gives the
  ``did.json`` URL (``did:web:example.com:orgs:acme`` ->
  ``https://example.com/orgs/acme/did.json``; a port is written ``%3A``), and
  :func:`did_web_document` builds the document from a list of verification methods, so old keys
  can stay after a rotation. Resolution goes through an injected :class:`~cairn.vc.fetch.Fetcher`
  and checks that the document's ``id`` is the DID.
- HTTPS URLs (``https://example.edu/issuers/565049#z6Mk...``) name a key in a hosted controller
  document or profile, or a hosted key document; they resolve only through a fetcher.
- The 1EdTech convention ``ISSUER-URL#<publicKeyMultibase>`` puts the key itself in the fragment
  (:func:`fragment_key` reads it), though the issuer URL serves no document that lists it: a key read
  that way proves who signed, not that the signer is the issuer. :func:`key_in_documents` asks the
  issuer's own documents whether they list a key.

Resolution raises :class:`~cairn.errors.DidResolutionError` (or :class:`~cairn.errors.FetchError`
when the fetch itself fails, :class:`~cairn.errors.KeyFormatError` for a malformed key); its subclass
:class:`UnreadDocumentError` says the document could not be read at all (no fetcher, not JSON, a DID
method Cairn cannot resolve), as opposed to a document that was read and does not list the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, Literal
from urllib.parse import urldefrag

from cairn.errors import CredentialError, DidResolutionError, KeyFormatError
from cairn.vc import multibase
from cairn.vc.fetch import Fetcher, loads_json
from cairn.vc.keys import KeyType, PublicKey, RsaPublicKey

__all__ = [
    "DID_CONTEXT",
    "JWK_CONTEXT",
    "MULTIKEY_CONTEXT",
    "RELATIONSHIPS",
    "UnreadDocumentError",
    "VerificationMethod",
    "did_key",
    "did_key_document",
    "did_web",
    "did_web_document",
    "did_web_url",
    "find_verification_method",
    "fragment_key",
    "key_in_documents",
    "public_key_from_did_key",
    "resolve_did",
    "resolve_jws_key",
    "resolve_verification_method",
]

DID_CONTEXT: Final = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT: Final = "https://w3id.org/security/multikey/v1"
JWK_CONTEXT: Final = "https://w3id.org/security/jwk/v1"
RELATIONSHIPS: Final = ("assertionMethod", "authentication", "capabilityInvocation", "capabilityDelegation")
"""The verification relationships a signing key can hold (keyAgreement is not one)."""

_MULTIBASE_TYPES: Final = frozenset({"Multikey", "Ed25519VerificationKey2020"})
_JWK_TYPES: Final = frozenset({"JsonWebKey", "JsonWebKey2020"})
_LABEL: Final = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_RE: Final = re.compile(rf"(?=.{{1,253}}\Z){_LABEL}(?:\.{_LABEL})*")
_SEGMENT_RE: Final = re.compile(r"(?:[A-Za-z0-9._~!$&'()*+,;=@-]|%[0-9A-Fa-f]{2})+")
_MAX_URL: Final = 2048


class UnreadDocumentError(DidResolutionError):
    """The document that would name a key could not be read: no fetcher, not a JSON object, an unsupported
    DID method. (A failed fetch raises :class:`~cairn.errors.FetchError`.)"""


@dataclass(frozen=True, slots=True)
class VerificationMethod:
    """A verification method: its absolute ``id``, ``controller``, key and type."""

    id: str
    controller: str
    public_key: PublicKey
    type: Literal["Multikey", "JsonWebKey"] = "Multikey"

    @classmethod
    def multikey(cls, controller: str, public_key: PublicKey, *, fragment: str | None = None) -> VerificationMethod:
        """A ``Multikey`` method ``controller#fragment`` (the fragment defaults to the key's multibase)."""
        return cls(f"{controller}#{fragment or public_key.multibase}", controller, public_key)

    @classmethod
    def json_web_key(cls, controller: str, public_key: PublicKey, *, fragment: str | None = None) -> VerificationMethod:
        """A ``JsonWebKey`` method ``controller#fragment`` (the fragment defaults to the JWK thumbprint)."""
        return cls(f"{controller}#{fragment or public_key.jwk_thumbprint()}", controller, public_key, "JsonWebKey")

    def to_dict(self) -> dict[str, Any]:
        """The verification method as a JSON object."""
        data: dict[str, Any] = {"id": self.id, "type": self.type, "controller": self.controller}
        if self.type == "Multikey":
            data["publicKeyMultibase"] = self.public_key.multibase
        else:
            data["publicKeyJwk"] = self.public_key.to_jwk()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, base: str | None = None) -> VerificationMethod:
        """Read a verification method (``Multikey``, ``JsonWebKey``, their 2020 forms, ``Ed25519VerificationKey2018``).

        A relative ``id`` (``#key-1``) is made absolute against ``base``; the controller
        defaults to ``base``. Raises :class:`DidResolutionError` or :class:`KeyFormatError`.
        """
        if not isinstance(data, Mapping):
            raise DidResolutionError("a verification method is not a JSON object")
        vm_id, vm_type, controller = data.get("id"), data.get("type"), data.get("controller", base)
        if not isinstance(vm_id, str) or not vm_id:
            raise DidResolutionError("a verification method has no id")
        vm_id = _absolute(vm_id, base)
        if not isinstance(controller, str):
            raise DidResolutionError(f"verification method {vm_id} has no controller")
        if vm_type in _MULTIBASE_TYPES:
            value = data.get("publicKeyMultibase")
            if not isinstance(value, str):
                raise KeyFormatError(f"verification method {vm_id} has no publicKeyMultibase string")
            key = PublicKey.from_multibase(value)
            if vm_type == "Ed25519VerificationKey2020" and key.kind is not KeyType.ED25519:
                raise KeyFormatError("an Ed25519VerificationKey2020 must hold an Ed25519 key")
            return cls(vm_id, controller, key)
        if vm_type == "Ed25519VerificationKey2018":  # the legacy form: the raw 32-byte key in base58btc
            value = data.get("publicKeyBase58")
            if not isinstance(value, str):
                raise KeyFormatError(f"verification method {vm_id} has no publicKeyBase58 string")
            _, raw = multibase.decode("z" + value, expect=multibase.BASE58BTC, max_length=60)
            return cls(vm_id, controller, PublicKey(KeyType.ED25519, raw))
        if vm_type in _JWK_TYPES:
            jwk = data.get("publicKeyJwk")
            if not isinstance(jwk, Mapping):
                raise KeyFormatError(f"verification method {vm_id} has no publicKeyJwk object")
            if "d" in jwk:
                raise KeyFormatError(f"verification method {vm_id} publishes a private key")
            return cls(vm_id, controller, PublicKey.from_jwk(jwk), "JsonWebKey")
        raise DidResolutionError(f"unsupported verification method type {str(vm_type)[:60]!r}")


def _absolute(vm_id: str, base: str | None) -> str:
    if vm_id.startswith("#"):
        if base is None:
            raise DidResolutionError(f"relative verification method id {vm_id[:60]!r} without a base")
        return base + vm_id
    return vm_id


# -- did:key -----------------------------------------------------------------------------------


def did_key(public_key: PublicKey) -> str:
    """The did:key DID of a public key (``did:key:z6Mk...``, ``did:key:zDna...`` or ``did:key:z82L...``)."""
    return "did:key:" + public_key.multibase


def public_key_from_did_key(did: str) -> PublicKey:
    """The public key inside a did:key DID (a ``#fragment``, if any, must repeat the key)."""
    if not isinstance(did, str) or not did.startswith("did:key:") or len(did) > 300:
        raise DidResolutionError("not a did:key DID")
    value, _, fragment = did[len("did:key:") :].partition("#")
    if fragment and fragment != value:
        raise DidResolutionError("the did:key fragment does not match its key")
    return _did_key_method(value).public_key


@lru_cache(maxsize=1024)
def _did_key_method(value: str) -> VerificationMethod:
    # A pure function of the DID, cached: decoding base58 and a P-256 point costs ~0.1 ms.
    if not value.startswith("z"):
        raise DidResolutionError("a did:key must hold a base58btc ('z') multikey")
    try:
        key = PublicKey.from_multibase(value)
    except KeyFormatError as exc:
        raise DidResolutionError(f"the did:key holds no usable key: {exc.message}") from None
    did = "did:key:" + value
    return VerificationMethod(f"{did}#{value}", did, key)


def did_key_document(did_or_key: str | PublicKey) -> dict[str, Any]:
    """The DID document of a did:key (given as the DID or as the public key)."""
    key = did_or_key if isinstance(did_or_key, PublicKey) else public_key_from_did_key(did_or_key)
    did = did_key(key)
    method = VerificationMethod.multikey(did, key)
    document: dict[str, Any] = {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": [method.to_dict()],
    }
    for relationship in RELATIONSHIPS:
        document[relationship] = [method.id]
    return document


# -- did:web -----------------------------------------------------------------------------------


def did_web(host: str, path: str | Sequence[str] = (), *, port: int | None = None) -> str:
    """The did:web DID for ``host`` (and ``port``) and a path (``"orgs/acme"`` or ``["orgs", "acme"]``)."""
    if not isinstance(host, str) or _HOST_RE.fullmatch(host) is None:
        raise DidResolutionError(f"{str(host)[:80]!r} is not a valid host name for did:web")
    segments = [s for s in path.split("/") if s] if isinstance(path, str) else list(path)
    for segment in segments:
        _check_segment(segment)
    authority = host.lower()
    if port is not None:
        if not 0 < port < 65536:
            raise DidResolutionError(f"port {port} is out of range")
        authority += f"%3A{port}"
    return ":".join(["did:web", authority, *segments])


def _check_segment(segment: str) -> None:
    if not isinstance(segment, str) or _SEGMENT_RE.fullmatch(segment) is None or segment in (".", ".."):
        raise DidResolutionError(f"{str(segment)[:80]!r} is not a valid did:web path segment")


def did_web_url(did: str) -> str:
    """The HTTPS URL of a did:web DID's document (``.../did.json`` or ``/.well-known/did.json``)."""
    if not isinstance(did, str) or not did.startswith("did:web:") or len(did) > _MAX_URL:
        raise DidResolutionError("not a did:web DID")
    authority, *segments = did[len("did:web:") :].split(":")
    host, sep, port_text = authority.replace("%3a", "%3A").partition("%3A")
    if _HOST_RE.fullmatch(host) is None:
        raise DidResolutionError(f"{host[:80]!r} is not a valid did:web host")
    if sep:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise DidResolutionError("the did:web port is not a number from 1 to 65535")
        host += f":{int(port_text)}"
    for segment in segments:
        _check_segment(segment)
    path = "/".join(segments) if segments else ".well-known"
    return f"https://{host.lower()}/{path}/did.json"


def did_web_document(
    did: str,
    methods: Sequence[VerificationMethod],
    *,
    assertion_method: Sequence[str] | None = None,
    authentication: Sequence[str] | None = None,
    also_known_as: Sequence[str] = (),
) -> dict[str, Any]:
    """The DID document of a did:web DID listing ``methods`` (current and older keys).

    ``assertion_method`` and ``authentication`` list method ids for those relationships (all
    methods when not given, so credentials signed with an older key still verify; leave a
    compromised key out of both, or out of ``methods``).
    """
    did_web_url(did)  # checks the DID
    if not methods:
        raise DidResolutionError("a did:web document needs at least one verification method")
    ids = [m.id for m in methods]
    if len(set(ids)) != len(ids):
        raise DidResolutionError("verification method ids must be unique")
    for method in methods:
        if not method.id.startswith(did + "#"):
            raise DidResolutionError(f"verification method {method.id} is not under {did}")
    contexts = [DID_CONTEXT]
    if any(m.type == "Multikey" for m in methods):
        contexts.append(MULTIKEY_CONTEXT)
    if any(m.type == "JsonWebKey" for m in methods):
        contexts.append(JWK_CONTEXT)
    document: dict[str, Any] = {"@context": contexts, "id": did}
    if also_known_as:
        document["alsoKnownAs"] = list(also_known_as)
    document["verificationMethod"] = [m.to_dict() for m in methods]
    for name, chosen in (("assertionMethod", assertion_method), ("authentication", authentication)):
        chosen_ids = ids if chosen is None else list(chosen)
        unknown = set(chosen_ids) - set(ids)
        if unknown:
            raise DidResolutionError(f"{name} names unknown methods: {sorted(unknown)[0]}")
        if chosen_ids:
            document[name] = chosen_ids
    return document


# -- resolution --------------------------------------------------------------------------------


def _fetch_document(url: str, fetcher: Fetcher | None, what: str) -> dict[str, Any]:
    if fetcher is None:
        raise UnreadDocumentError(f"resolving {url[:120]} needs a fetcher (none was given)")
    document = loads_json(fetcher.fetch(url).content, what=what, error=UnreadDocumentError)
    if not isinstance(document, dict):
        raise UnreadDocumentError(f"the {what} is not a JSON object")
    return document


def _web_document(did: str, content: bytes) -> dict[str, Any]:
    """The DID document of the did:web ``did`` from the bytes served at its URL."""
    document = loads_json(content, what="DID document", error=UnreadDocumentError)
    if not isinstance(document, dict):
        raise UnreadDocumentError("the DID document is not a JSON object")
    if document.get("id") != did:
        raise DidResolutionError(f"the DID document at {did_web_url(did)} is not for {did}")
    return document


def resolve_did(did: str, *, fetcher: Fetcher | None = None) -> dict[str, Any]:
    """Resolve a did:key (offline) or did:web (through ``fetcher``) DID to its document."""
    if not isinstance(did, str):
        raise DidResolutionError("a DID must be a string")
    if did.startswith("did:key:"):
        return did_key_document(did)
    if did.startswith("did:web:"):
        url = did_web_url(did)
        if fetcher is None:
            raise UnreadDocumentError(f"resolving {url[:120]} needs a fetcher (none was given)")
        return _web_document(did, fetcher.fetch(url).content)
    method = ":".join(did.split(":", 2)[:2])[:40]
    raise UnreadDocumentError(f"unsupported DID method {method!r} (supported: did:key, did:web)")


def _methods_in(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    for name in ("verificationMethod", *RELATIONSHIPS):
        entries = document.get(name, [])
        if isinstance(entries, Mapping):
            entries = [entries]
        if isinstance(entries, list):
            found.extend(e for e in entries if isinstance(e, Mapping))
    return found


def _authorised(document: Mapping[str, Any], vm_id: str, base: str, purpose: str) -> bool:
    entries = document.get(purpose, [])
    if isinstance(entries, str | Mapping):
        entries = [entries]
    if not isinstance(entries, list):
        return False
    for entry in entries:
        ref = entry.get("id") if isinstance(entry, Mapping) else entry
        if isinstance(ref, str) and _absolute(ref, base) == vm_id:
            return True
    return False


def find_verification_method(
    url: str, *, fetcher: Fetcher | None = None, purpose: str | None = None
) -> VerificationMethod:
    """Find the verification method that ``url`` names (did:key, did:web or HTTPS).

    With ``purpose`` (for example ``"assertionMethod"``) the method must be listed under that
    relationship of its controller document; a bare hosted key document has no relationships
    and is accepted as it is. A did:key URL without a fragment names its only key.
    """
    if not isinstance(url, str) or not url or len(url) > _MAX_URL:
        raise DidResolutionError("a verification method URL must be a non-empty string")
    if purpose is not None and purpose not in RELATIONSHIPS:
        raise DidResolutionError(f"{purpose!r} is not a signing relationship")
    base = urldefrag(url)[0]
    if url.startswith("did:key:"):
        public_key_from_did_key(url)  # checks the form and the fragment
        return _did_key_method(url[len("did:key:") :].partition("#")[0])
    if url.startswith("did:web:") and fetcher is not None and urldefrag(url)[1]:
        return _web_method(url, fetcher, purpose)
    entry, base = _locate(url, fetcher, purpose)
    return VerificationMethod.from_dict(entry, base=base)


FOUND_METHODS_KEPT: Final = 256
"""Most did:web verification methods remembered as found in their DID document's bytes (:func:`_web_method`)."""
_FOUND_METHODS: dict[tuple[bytes, str, str | None], VerificationMethod] = {}


def _web_method(url: str, fetcher: Fetcher, purpose: str | None) -> VerificationMethod:
    """The did:web verification method ``url`` (with ``purpose``) as its DID document, fetched now, names it.

    What is found is a function of the document's bytes, the URL and the purpose alone, so it is remembered by
    them: a verifier asks for the same few issuers' keys over and over, and reading the document, finding the
    method and making its key took a twentieth of a verification. The document is fetched every time, so a changed
    document (a key taken out, another added) is read afresh; failures are not remembered."""
    base = urldefrag(url)[0]
    content = fetcher.fetch(did_web_url(base)).content
    key = (content, url, purpose)
    found = _FOUND_METHODS.get(key)
    if found is None:
        entry, entry_base = _entry_in(_web_document(base, content), url, base, purpose)
        found = VerificationMethod.from_dict(entry, base=entry_base)
        if len(_FOUND_METHODS) >= FOUND_METHODS_KEPT:
            _FOUND_METHODS.clear()
        _FOUND_METHODS[key] = found
    return found


def _locate(url: str, fetcher: Fetcher | None, purpose: str | None) -> tuple[Mapping[str, Any], str]:
    """The entry (and the base URL of its document) that a did:web or HTTPS verification method URL names."""
    base, fragment = urldefrag(url)
    if url.startswith("did:web:"):
        if not fragment:
            raise DidResolutionError("a did:web verification method URL needs a #fragment")
        document = resolve_did(base, fetcher=fetcher)
    elif url.startswith("https://"):
        document = _fetch_document(base, fetcher, "key document")
        if document.get("id") == url and ("publicKeyMultibase" in document or "publicKeyJwk" in document):
            return document, base
        if "id" in document and document["id"] != base:
            raise DidResolutionError(f"the document at {base} has a different id")
    else:
        raise DidResolutionError(f"cannot resolve {url[:80]!r} (supported: did:key, did:web, https)")
    return _entry_in(document, url, base, purpose)


def _entry_in(document: Mapping[str, Any], url: str, base: str, purpose: str | None) -> tuple[Mapping[str, Any], str]:
    """The entry of ``document`` (at ``base``) that the verification method URL ``url`` names, for ``purpose``."""
    for entry in _methods_in(document):
        entry_id = entry.get("id")
        if isinstance(entry_id, str) and _absolute(entry_id, base) == url:
            if purpose is not None and not _authorised(document, url, base, purpose):
                raise DidResolutionError(f"{url} is not authorised for {purpose}")
            return entry, base
    raise DidResolutionError(f"no verification method {url} in its document")


def resolve_verification_method(url: str, *, fetcher: Fetcher | None = None, purpose: str | None = None) -> PublicKey:
    """The public key that a verification method URL names; see :func:`find_verification_method`."""
    return find_verification_method(url, fetcher=fetcher, purpose=purpose).public_key


def resolve_jws_key(
    url: str, *, fetcher: Fetcher | None = None, purpose: str | None = None
) -> PublicKey | RsaPublicKey:
    """:func:`resolve_verification_method` for JWS (JWT) signatures, which also reads an RSA ``publicKeyJwk``
    (``JsonWebKey`` / ``JsonWebKey2020`` with ``kty: RSA``), the key of RS256 and PS256 tokens."""
    if isinstance(url, str) and url.startswith(("did:web:", "https://")) and len(url) <= _MAX_URL:
        if purpose is not None and purpose not in RELATIONSHIPS:
            raise DidResolutionError(f"{purpose!r} is not a signing relationship")
        entry, base = _locate(url, fetcher, purpose)
        jwk = entry.get("publicKeyJwk")
        if entry.get("type") in _JWK_TYPES and isinstance(jwk, Mapping) and jwk.get("kty") == "RSA":
            if any(name in jwk for name in ("d", "p", "q")):
                raise KeyFormatError(f"verification method {url[:120]} publishes a private key")
            return RsaPublicKey.from_jwk(jwk)
        return VerificationMethod.from_dict(entry, base=base).public_key
    return resolve_verification_method(url, fetcher=fetcher, purpose=purpose)


def fragment_key(url: str) -> PublicKey | None:
    """The key an ``https://…#<publicKeyMultibase>`` verification method carries in its fragment (the 1EdTech
    convention), or None when ``url`` is not of that form.

    Reading the key this way establishes only which key signed; the issuer's own documents must confirm that
    the key is theirs (:func:`key_in_documents`), and a report must say when they did not.
    """
    if not isinstance(url, str) or not url.startswith("https://") or len(url) > _MAX_URL:
        return None
    fragment = urldefrag(url)[1]
    if not fragment.startswith("z"):
        return None
    try:
        return PublicKey.from_multibase(fragment)
    except CredentialError:
        return None


def _holds(entry: Mapping[str, Any], key: PublicKey | RsaPublicKey, base: str) -> bool:
    try:
        if isinstance(key, RsaPublicKey):
            jwk = entry.get("publicKeyJwk")
            return isinstance(jwk, Mapping) and jwk.get("kty") == "RSA" and RsaPublicKey.from_jwk(jwk) == key
        return VerificationMethod.from_dict(entry, base=base).public_key == key
    except CredentialError:
        return False


def key_in_documents(
    controller: str, key: PublicKey | RsaPublicKey, *, fetcher: Fetcher | None = None, purpose: str | None = None
) -> str:
    """The id of the verification method in ``controller``'s own document that holds ``key`` (under ``purpose``
    when given): the DID document of a DID (did:key offline, did:web through ``fetcher``), or the document an
    HTTPS id serves (a controller document or issuer profile listing ``verificationMethod`` entries).

    Raises :class:`UnreadDocumentError` or :class:`~cairn.errors.FetchError` when the document cannot be read,
    and :class:`DidResolutionError` when it was read and does not list the key.
    """
    if not isinstance(controller, str) or not controller or len(controller) > _MAX_URL:
        raise DidResolutionError("the issuer id is not a usable URL")
    base = urldefrag(controller)[0]
    if base.startswith("did:"):
        document = resolve_did(base, fetcher=fetcher)
    elif base.startswith("https://"):
        document = _fetch_document(base, fetcher, "issuer document")
        if "id" in document and document["id"] != base:
            raise DidResolutionError(f"the document at {base[:120]} has a different id")
    else:
        raise UnreadDocumentError(f"the issuer id {base[:80]} names no document that could list keys")
    for entry in _methods_in(document):
        entry_id = entry.get("id")
        if not isinstance(entry_id, str) or not _holds(entry, key, base):
            continue
        vm_id = _absolute(entry_id, base)
        if purpose is None or _authorised(document, vm_id, base, purpose):
            return vm_id
    raise DidResolutionError(f"the issuer's document ({base[:120]}) does not list the signing key")
