"""ecdsa-sd-2023: selective disclosure with ECDSA (W3C Data Integrity ECDSA Cryptosuites v1.0, section 3.3+).

Three roles::

    base = add_base_proof(credential, key=issuer_key, verification_method=vm, created=now,
                          mandatory_pointers=["/issuer"])                   # the issuer
    shown = derive(base, selective_pointers=["/credentialSubject/name"])      # the holder, before presenting
    verify_derived(shown_without_proof, shown["proof"], public_key)          # the verifier (via verify_proofs)

- The **issuer** canonicalises the credential (RDFC-1.0) with blank node labels replaced by HMACs of
  their canonical labels (a fresh 32-byte HMAC key per proof), splits the N-Quads into *mandatory*
  ones (selected by ``mandatoryPointers``, JSON Pointers into the credential) and the rest, signs each
  non-mandatory N-Quad with a proof-scoped P-256 key, and signs
  ``SHA-256(canonical proof config) || proof-scoped public key || SHA-256(mandatory N-Quads)`` with its own
  key. The base proof value (``u`` + base64url of ``d9 5d 00`` + CBOR) carries the HMAC key: it is for
  the holder only.
- The **holder** keeps the mandatory statements plus those the ``selectivePointers`` select, and passes
  on only their signatures and the labels the verifier needs (``d9 5d 01`` + CBOR).
- The **verifier** canonicalises what it received, relabels the blank nodes with the label map, checks
  the issuer's signature over the mandatory statements and each disclosed statement's signature.

Blank nodes without identifiers are skolemised (``urn:custom-scheme:...``) so that JSON Pointer
selections and the full document name the same nodes. Proof-scoped signatures use deterministic ECDSA
(RFC 6979), as the W3C test vectors do. P-256 issuer keys only: the specification's derived proof holds
a 64-byte base signature and 32-byte HMAC labels (so a P-384 base proof could not be derived from).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from cairn.errors import CredentialError, KeyFormatError
from cairn.vc import multibase
from cairn.vc.canon.forms import quads as document_quads
from cairn.vc.canon.rdfc10 import Quad, canonical_labels
from cairn.vc.jsonld.documents import DocumentLoader
from cairn.vc.jsonld.safe import pyld_compact, pyld_expand
from cairn.vc.keys import KeyPair, KeyType, PublicKey
from cairn.vc.proofs.cbor import cbor_decode, cbor_encode
from cairn.vc.proofs.suites import format_datetime, rdfc_config

__all__ = [
    "CRYPTOSUITE",
    "MAX_POINTERS",
    "BaseProofValue",
    "DerivedProofValue",
    "add_base_proof",
    "derive",
    "hmac_label_factory",
    "parse_base_proof_value",
    "parse_derived_proof_value",
    "select_json_ld",
    "serialize_base_proof_value",
    "serialize_derived_proof_value",
    "verify_derived",
]

CRYPTOSUITE: Final = "ecdsa-sd-2023"
BASE_HEADER: Final = b"\xd9\x5d\x00"
DERIVED_HEADER: Final = b"\xd9\x5d\x01"
MAX_POINTERS: Final = 256
"""Most JSON Pointers one base proof or derivation takes."""
MAX_PROOF_VALUE: Final = 1_000_000
"""Longest proofValue read (one 64-byte signature per statement: about 90 characters each)."""
MAX_STATEMENTS: Final = 10_000
"""Most signatures (non-mandatory statements) one proof may carry."""
_MAX_POINTER_CHARS: Final = 1000
_P256_MULTIKEY: Final = b"\x80\x24"
_SCHEME: Final = "urn:custom-scheme:"
_BLANK: Final = re.compile(r"_:[^\s]+")
_C14N: Final = re.compile(r"c14n(0|[1-9][0-9]{0,8})")


# -- proof values ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BaseProofValue:
    """The parts of a base proof value (for the holder)."""

    base_signature: bytes
    public_key: bytes
    hmac_key: bytes
    signatures: list[bytes]
    mandatory_pointers: list[str]


@dataclass(frozen=True, slots=True)
class DerivedProofValue:
    """The parts of a derived proof value; ``label_map`` maps ``c14nN`` to ``u`` + base64url of an HMAC."""

    base_signature: bytes
    public_key: bytes
    signatures: list[bytes]
    label_map: dict[str, str]
    mandatory_indexes: list[int]


def _multibase_u(data: bytes) -> str:
    return "u" + multibase.b64url_encode(data)


def _decode_u(value: object, header: bytes, what: str) -> Any:
    if not isinstance(value, str) or not value.startswith("u"):
        raise CredentialError(f"the {what} proofValue is not base64url multibase ('u...')")
    if len(value) > MAX_PROOF_VALUE:
        raise CredentialError(f"the {what} proofValue is longer than {MAX_PROOF_VALUE} characters")
    try:
        data = multibase.b64url_decode(value[1:])
    except KeyFormatError as exc:
        raise CredentialError(f"the {what} proofValue is not valid base64url: {exc.message}") from None
    if not data.startswith(header):
        raise CredentialError(f"the proofValue does not start with the ecdsa-sd-2023 {what} proof header")
    return cbor_decode(data[len(header) :])


def _byte_list(value: object, size: int, what: str) -> list[bytes]:
    if not isinstance(value, list) or len(value) > MAX_STATEMENTS:
        raise CredentialError(f"{what} is not a list of at most {MAX_STATEMENTS} byte strings")
    if not all(isinstance(item, bytes) and len(item) == size for item in value):
        raise CredentialError(f"{what} must each be {size} bytes")
    return list(value)


def _check_signature_and_key(base_signature: object, public_key: object) -> None:
    """The two parts base and derived proof values share: a 64-byte P-256 signature and a P-256 multikey."""
    if not isinstance(base_signature, bytes) or len(base_signature) != 64:
        raise CredentialError("the base signature must be 64 bytes (P-256)")
    if not isinstance(public_key, bytes) or len(public_key) != 35 or not public_key.startswith(_P256_MULTIKEY):
        raise CredentialError("the proof-scoped public key must be a P-256 multikey (35 bytes)")


def serialize_base_proof_value(value: BaseProofValue) -> str:
    """``u`` + base64url-no-pad of ``d9 5d 00`` + CBOR([baseSignature, publicKey, hmacKey, signatures, pointers])."""
    parts = [value.base_signature, value.public_key, value.hmac_key, value.signatures, value.mandatory_pointers]
    return _multibase_u(BASE_HEADER + cbor_encode(parts))


def parse_base_proof_value(proof_value: object) -> BaseProofValue:
    """The parts of a base proof value; CredentialError for anything the specification does not allow."""
    parts = _decode_u(proof_value, BASE_HEADER, "base")
    if not isinstance(parts, list) or len(parts) != 5:
        raise CredentialError("the base proof value is not an array of five elements")
    base_signature, public_key, hmac_key, signatures, pointers = parts
    _check_signature_and_key(base_signature, public_key)
    if not isinstance(hmac_key, bytes) or len(hmac_key) != 32:
        raise CredentialError("the HMAC key must be 32 bytes")
    return BaseProofValue(
        base_signature,
        public_key,
        hmac_key,
        _byte_list(signatures, 64, "the signatures"),
        _pointers(pointers, "mandatory pointers"),
    )


def serialize_derived_proof_value(value: DerivedProofValue) -> str:
    """``u`` + base64url-no-pad of ``d9 5d 01`` + CBOR([baseSignature, publicKey, signatures, labels, indexes])."""
    compressed: dict[int, bytes] = {}
    for label, hashed in value.label_map.items():
        match = _C14N.fullmatch(label)
        if match is None or not hashed.startswith("u"):
            raise CredentialError(f"the label map entry {label!r} is not c14nN -> u...")
        compressed[int(match.group(1))] = multibase.b64url_decode(hashed[1:])
    parts = [value.base_signature, value.public_key, value.signatures, compressed, value.mandatory_indexes]
    return _multibase_u(DERIVED_HEADER + cbor_encode(parts))


def parse_derived_proof_value(proof_value: object) -> DerivedProofValue:
    """The parts of a derived proof value; CredentialError for anything the specification does not allow."""
    parts = _decode_u(proof_value, DERIVED_HEADER, "derived")
    if not isinstance(parts, list) or len(parts) != 5:
        raise CredentialError("the derived proof value is not an array of five elements")
    base_signature, public_key, signatures, compressed, indexes = parts
    _check_signature_and_key(base_signature, public_key)
    if not isinstance(compressed, dict) or len(compressed) > MAX_STATEMENTS:
        raise CredentialError("the label map is not a map")
    label_map: dict[str, str] = {}
    for key, hashed in compressed.items():
        if not isinstance(key, int) or not isinstance(hashed, bytes) or len(hashed) != 32:
            raise CredentialError("the label map must map integers to 32-byte HMAC values")
        label_map[f"c14n{key}"] = _multibase_u(hashed)
    if not isinstance(indexes, list) or len(indexes) > MAX_STATEMENTS or not all(type(i) is int for i in indexes):
        raise CredentialError("the mandatory indexes are not a list of integers")
    return DerivedProofValue(
        base_signature, public_key, _byte_list(signatures, 64, "the signatures"), label_map, list(indexes)
    )


# -- JSON Pointer selection (section 3.4: jsonPointerToPaths, createInitialSelection, selectPaths) -


def _pointers(value: object, what: str) -> list[str]:
    if not isinstance(value, list | tuple) or len(value) > MAX_POINTERS:
        raise CredentialError(f"the {what} must be a list of at most {MAX_POINTERS} JSON Pointers")
    for pointer in value:
        if not isinstance(pointer, str) or len(pointer) > _MAX_POINTER_CHARS or (pointer and pointer[0] != "/"):
            raise CredentialError(f"the {what} must be JSON Pointers such as '/credentialSubject/name'")
    return list(value)


def _paths(pointer: str) -> list[str | int]:
    paths: list[str | int] = []
    for part in pointer.split("/")[1:]:
        if "~" in part:
            paths.append(part.replace("~1", "/").replace("~0", "~"))
        elif part.isascii() and part.isdigit():
            paths.append(int(part))
        else:
            paths.append(part)
    return paths


def _initial_selection(source: Any) -> dict[str, Any]:
    selection: dict[str, Any] = {}
    if isinstance(source, Mapping):
        node_id = source.get("id")
        if isinstance(node_id, str) and not node_id.startswith("_:"):
            selection["id"] = node_id
        if "type" in source:
            selection["type"] = copy.deepcopy(source["type"])
    return selection


class _Hole:
    """An array slot no pointer selected (removed when the selection is complete)."""


_HOLE: Final = _Hole()


def _step(container: Any, path: str | int) -> Any:
    if isinstance(container, list):
        if isinstance(path, int) and path < len(container):
            return container[path]
        return _HOLE
    if isinstance(container, Mapping):
        return container.get(str(path), _HOLE)
    return _HOLE


def _put(container: Any, path: str | int, value: Any) -> None:
    if isinstance(container, list):
        container[int(path)] = value
    else:
        container[str(path)] = value


def _select_paths(
    document: Mapping[str, Any], pointer: str, selection: dict[str, Any], arrays: list[list[Any]]
) -> None:
    paths = _paths(pointer)
    if not paths:  # "" is the whole document
        selection.update(copy.deepcopy(dict(document)))
        return
    value: Any = document
    selected_parent: Any = selection
    selected: Any = selection
    for path in paths:
        selected_parent = selected
        value = _step(value, path)
        if value is _HOLE:
            raise CredentialError(f"the JSON Pointer {pointer[:100]!r} does not match the document")
        selected = _step(selected_parent, path)
        if selected is _HOLE:
            if isinstance(value, list):
                selected = [_HOLE] * len(value)
                arrays.append(selected)
            else:
                selected = _initial_selection(value)
            _put(selected_parent, path, selected)
    if isinstance(value, list):
        selected = copy.deepcopy(value)
    elif isinstance(value, Mapping):
        selected = {**selected, **copy.deepcopy(dict(value))} if isinstance(selected, dict) else copy.deepcopy(value)
    else:
        selected = value
    _put(selected_parent, paths[-1], selected)


def select_json_ld(pointers: Sequence[str], document: Mapping[str, Any]) -> dict[str, Any] | None:
    """The part of the compact JSON-LD ``document`` the JSON Pointers select (section 3.4.13), or None for none.

    Every node on a pointer's path keeps its ``id`` (unless a blank node) and ``type``; arrays keep the
    selected elements in order. Raises CredentialError for a pointer that does not match.
    """
    if not pointers:
        return None
    arrays: list[list[Any]] = []
    selection = _initial_selection(document)
    if "@context" in document:
        selection["@context"] = copy.deepcopy(document["@context"])
    for pointer in pointers:
        _select_paths(document, pointer, selection, arrays)
    for array in arrays:
        array[:] = [item for item in array if item is not _HOLE]
    return selection


# -- skolemisation and canonical groups (section 3.4) -------------------------------------------


def _skolemize_expanded(expanded: list[Any], random: str, count: list[int]) -> list[Any]:
    result: list[Any] = []
    for element in expanded:
        if not isinstance(element, dict) or "@value" in element:
            result.append(element)
            continue
        node: dict[str, Any] = {}
        for prop, value in element.items():
            if isinstance(value, list):
                node[prop] = _skolemize_expanded(value, random, count)
            else:
                node[prop] = _skolemize_expanded([value], random, count)[0]
        if "@list" in node or "@set" in node:
            pass  # a list object is not a node: it takes no identifier
        elif "@id" not in node:
            node["@id"] = f"{_SCHEME}_{random}_{count[0]}"
            count[0] += 1
        elif isinstance(node["@id"], str) and node["@id"].startswith("_:"):
            node["@id"] = _SCHEME + node["@id"][2:]
        result.append(node)
    return result


def _deskolemize(quads: list[Quad]) -> list[Quad]:
    def term(value: str) -> str:
        if value.startswith("<" + _SCHEME) and value.endswith(">"):
            return "_:" + value[len(_SCHEME) + 1 : -1]
        return value

    return [(term(s), p, term(o), term(g) if g else g) for s, p, o, g in quads]


def _relabel(quads: Sequence[Quad], labels: Mapping[str, str]) -> list[str]:
    """N-Quads lines with every blank node ``_:x`` written ``_:`` + ``labels[_:x]`` (KeyError when absent)."""
    lines = []
    for s, p, o, g in quads:
        if s[0] == "_":
            s = "_:" + labels[s]
        if o[0] == "_":
            o = "_:" + labels[o]
        if g and g[0] == "_":
            g = "_:" + labels[g]
        lines.append(f"{s} {p} {o} {g} .\n" if g else f"{s} {p} {o} .\n")
    return lines


LabelFactory = Callable[[Mapping[str, str]], dict[str, str]]
"""From a canonical identifier map (``_:x`` -> ``_:c14nN``) to the new labels (``_:x`` -> label)."""


def hmac_label_factory(hmac_key: bytes) -> LabelFactory:
    """createHmacIdLabelMapFunction: each ``c14nN`` becomes ``u`` + base64url(HMAC-SHA-256(key, "c14nN"))."""

    def labels(canonical: Mapping[str, str]) -> dict[str, str]:
        return {
            node: _multibase_u(hmac.new(hmac_key, label[2:].encode("utf-8"), hashlib.sha256).digest())
            for node, label in canonical.items()
        }

    return labels


def _label_map_factory(label_map: Mapping[str, str]) -> LabelFactory:
    def labels(canonical: Mapping[str, str]) -> dict[str, str]:
        try:
            return {node: label_map[label[2:]] for node, label in canonical.items()}
        except KeyError as missing:
            raise CredentialError(f"the proof's label map has no label for the blank node {missing}") from None

    return labels


def _canonical_nquads(quads: list[Quad], factory: LabelFactory) -> tuple[list[str], dict[str, str]]:
    """labelReplacementCanonicalizeNQuads: the sorted relabelled canonical N-Quads and the label map."""
    labels = factory(canonical_labels(quads))
    return sorted(_relabel(quads, labels)), labels


@dataclass(frozen=True, slots=True)
class _Group:
    matching: dict[int, str]
    non_matching: dict[int, str]
    deskolemized: list[Quad]


def _canonicalize_and_group(
    document: Mapping[str, Any],
    factory: LabelFactory,
    groups: Mapping[str, Sequence[str]],
    loader: DocumentLoader | None,
) -> tuple[dict[str, _Group], dict[str, str], list[str]]:
    expanded = pyld_expand(document, loader=loader)
    skolemized = _skolemize_expanded(expanded, secrets.token_hex(16), [0])
    compact = pyld_compact(skolemized, document.get("@context"), loader=loader)
    nquads, labels = _canonical_nquads(_deskolemize(document_quads(compact, loader=loader)), factory)
    result: dict[str, _Group] = {}
    for name, pointers in groups.items():
        selection = select_json_ld(pointers, compact)
        selected = _deskolemize(document_quads(selection, loader=loader)) if selection is not None else []
        try:
            wanted = set(_relabel(selected, labels))
        except KeyError:
            raise CredentialError("a selection names a blank node the document does not have") from None
        matching = {i: nq for i, nq in enumerate(nquads) if nq in wanted}
        non_matching = {i: nq for i, nq in enumerate(nquads) if nq not in wanted}
        result[name] = _Group(matching, non_matching, selected)
    return result, labels, nquads


# -- issuing, deriving, verifying ----------------------------------------------------------------


def _proof_hash(config: Mapping[str, Any], loader: DocumentLoader | None) -> bytes:
    return hashlib.sha256(rdfc_config(config, loader, "sha256")).digest()


def _mandatory_hash(mandatory: Sequence[str]) -> bytes:
    return hashlib.sha256("".join(mandatory).encode("utf-8")).digest()


def add_base_proof(
    document: Mapping[str, Any],
    *,
    key: KeyPair,
    verification_method: str,
    created: str | datetime | None,
    mandatory_pointers: Sequence[str] = (),
    proof_purpose: str = "assertionMethod",
    loader: DocumentLoader | None = None,
    hmac_key: bytes | None = None,
    proof_key: KeyPair | None = None,
    deterministic: bool = False,
) -> dict[str, Any]:
    """Return ``document`` with an ecdsa-sd-2023 base proof by the P-256 ``key`` (for the holder to derive from).

    ``mandatory_pointers`` (JSON Pointers) name what every derived credential must disclose. ``hmac_key``,
    ``proof_key`` and ``deterministic`` exist for the W3C test vectors; leave them out otherwise (a fresh
    HMAC key and proof-scoped key are made for each proof). Raises CredentialError for bad input
    (a pointer that matches nothing included) and KeyFormatError for a key that is not P-256.
    """
    if not isinstance(document, Mapping):
        raise CredentialError("the document to sign is not a JSON object")
    if not isinstance(key, KeyPair) or key.kind is not KeyType.P256:
        raise KeyFormatError("ecdsa-sd-2023 needs a P-256 key")
    pointers = _pointers(list(mandatory_pointers), "mandatory pointers")
    if not isinstance(verification_method, str) or not verification_method or len(verification_method) > 2048:
        raise CredentialError("verification_method must be a non-empty URL")
    unsecured = {name: value for name, value in document.items() if name != "proof"}
    proof: dict[str, Any] = {"type": "DataIntegrityProof", "cryptosuite": CRYPTOSUITE}
    if created is not None:
        proof["created"] = format_datetime(created, "created")
    proof["verificationMethod"] = verification_method
    proof["proofPurpose"] = proof_purpose
    config = dict(proof)
    if "@context" in unsecured:
        config["@context"] = unsecured["@context"]

    secret = hmac_key if hmac_key is not None else secrets.token_bytes(32)
    if len(secret) != 32:
        raise CredentialError("the HMAC key must be 32 bytes")
    try:
        groups, _, _ = _canonicalize_and_group(unsecured, hmac_label_factory(secret), {"mandatory": pointers}, loader)
    except RecursionError:
        raise CredentialError("the document is nested too deeply to sign") from None
    mandatory = list(groups["mandatory"].matching.values())
    non_mandatory = list(groups["mandatory"].non_matching.values())
    if len(non_mandatory) > MAX_STATEMENTS:
        raise CredentialError(f"the document has more than {MAX_STATEMENTS} statements to sign")

    scoped = proof_key if proof_key is not None else KeyPair.generate(KeyType.P256)
    if scoped.kind is not KeyType.P256:
        raise KeyFormatError("the proof-scoped key must be P-256")
    signatures = [scoped.sign(nq.encode("utf-8"), deterministic=True) for nq in non_mandatory]
    public_key = _P256_MULTIKEY + scoped.public.raw
    to_sign = _proof_hash(config, loader) + public_key + _mandatory_hash(mandatory)
    base_signature = key.sign(to_sign, deterministic=deterministic)
    proof["proofValue"] = serialize_base_proof_value(
        BaseProofValue(base_signature, public_key, secret, signatures, pointers)
    )
    return {**unsecured, "proof": proof}


def _sd_proof(document: Mapping[str, Any]) -> Mapping[str, Any]:
    proof = document.get("proof")
    found = [p for p in (proof if isinstance(proof, list) else [proof]) if isinstance(p, Mapping)]
    found = [p for p in found if p.get("type") == "DataIntegrityProof" and p.get("cryptosuite") == CRYPTOSUITE]
    if len(found) != 1:
        raise CredentialError("the credential must carry exactly one ecdsa-sd-2023 base proof")
    return found[0]


def derive(
    document: Mapping[str, Any],
    *,
    selective_pointers: Sequence[str],
    loader: DocumentLoader | None = None,
) -> dict[str, Any]:
    """The holder's step: a credential that discloses the mandatory statements plus ``selective_pointers``.

    ``document`` carries the ecdsa-sd-2023 base proof. The result has a derived proof any ecdsa-sd-2023
    verifier checks against the issuer's key. Raises CredentialError for a document without a base
    proof or a pointer that matches nothing.
    """
    try:
        return _derive(document, selective_pointers, loader)
    except RecursionError:
        raise CredentialError("the credential is nested too deeply to derive from") from None


def _derive(
    document: Mapping[str, Any], selective_pointers: Sequence[str], loader: DocumentLoader | None
) -> dict[str, Any]:
    if not isinstance(document, Mapping):
        raise CredentialError("the credential is not a JSON object")
    proof = _sd_proof(document)
    base = parse_base_proof_value(proof.get("proofValue"))
    selective = _pointers(list(selective_pointers), "selective pointers")
    unsecured = {name: value for name, value in document.items() if name != "proof"}
    combined = [*base.mandatory_pointers, *selective]
    groups, labels, _ = _canonicalize_and_group(
        unsecured,
        hmac_label_factory(base.hmac_key),
        {"mandatory": base.mandatory_pointers, "selective": selective, "combined": combined},
        loader,
    )
    mandatory, chosen = groups["mandatory"].matching, groups["selective"].matching
    mandatory_indexes = [relative for relative, index in enumerate(groups["combined"].matching) if index in mandatory]
    non_mandatory = list(groups["mandatory"].non_matching)
    if len(non_mandatory) != len(base.signatures):
        raise CredentialError("the base proof's signatures do not match the credential's statements")
    signatures = [sig for index, sig in zip(non_mandatory, base.signatures, strict=True) if index in chosen]
    reveal = select_json_ld(combined, unsecured)
    if reveal is None:
        raise CredentialError("nothing is selected to disclose")
    verifier_labels = canonical_labels(groups["combined"].deskolemized)
    label_map = {canonical[2:]: labels[node] for node, canonical in verifier_labels.items()}
    derived = DerivedProofValue(base.base_signature, base.public_key, signatures, label_map, mandatory_indexes)
    new_proof = {**proof, "proofValue": serialize_derived_proof_value(derived)}
    return {**reveal, "proof": new_proof}


def verify_derived(
    document: Mapping[str, Any],
    proof: Mapping[str, Any],
    key: PublicKey,
    *,
    loader: DocumentLoader | None = None,
) -> None:
    """Check an ecdsa-sd-2023 derived proof of ``document`` (without its proof) by the issuer's ``key``.

    Returns None when it verifies; raises CredentialError with the reason otherwise (a base proof,
    which only the holder should hold, is refused too).
    """
    value = proof.get("proofValue")
    if isinstance(value, str) and len(value) > 5 and multibase.b64url_decode(value[1:5]).startswith(BASE_HEADER):
        raise CredentialError("this is an ecdsa-sd-2023 base proof, meant for the holder: derive before presenting")
    derived = parse_derived_proof_value(value)
    if not isinstance(key, PublicKey) or key.kind is not KeyType.P256:
        raise CredentialError("ecdsa-sd-2023 needs the issuer's P-256 key")
    config = {name: item for name, item in proof.items() if name != "proofValue"}
    if "@context" in document:
        config["@context"] = document["@context"]
    nquads, _ = _canonical_nquads(document_quads(document, loader=loader), _label_map_factory(derived.label_map))
    indexes = set(derived.mandatory_indexes)
    if any(index < 0 or index >= len(nquads) for index in indexes):
        raise CredentialError("a mandatory index points past the disclosed statements")
    mandatory = [nq for i, nq in enumerate(nquads) if i in indexes]
    non_mandatory = [nq for i, nq in enumerate(nquads) if i not in indexes]
    if len(derived.signatures) != len(non_mandatory):
        raise CredentialError(
            f"the proof has {len(derived.signatures)} signatures for {len(non_mandatory)} disclosed statements"
        )
    to_verify = _proof_hash(config, loader) + derived.public_key + _mandatory_hash(mandatory)
    if not key.verify(derived.base_signature, to_verify):
        raise CredentialError(
            "the base signature does not verify: the mandatory statements or the proof were changed, "
            "or another key signed it"
        )
    scoped = PublicKey(KeyType.P256, derived.public_key[2:])
    for signature, statement in zip(derived.signatures, non_mandatory, strict=True):
        if not scoped.verify(signature, statement.encode("utf-8")):
            raise CredentialError("a disclosed statement's signature does not verify: the statement was changed")
