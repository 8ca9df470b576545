"""Canonical forms for Data Integrity proofs: RDFC-1.0 N-Quads and RFC 8785 JSON (JCS).

``rdfc`` gives the RDFC-1.0 canonical N-Quads of a JSON-LD document. Contexts load offline (an unknown
remote context raises :class:`~cairn.errors.DocumentLoadError`), and documents whose canonical form would
silently lose data or not be portable between implementations (undefined terms, relative IRIs, ...: see
:mod:`cairn.vc.jsonld.safe`) are refused with :class:`~cairn.errors.CanonicalizationError`.

Two stages, each with a fast implementation proven identical to pyld (tests compare them):

1. JSON-LD to RDF: :mod:`cairn.vc.jsonld.fast` (compiled, cached contexts) for the subset credentials use;
   anything else goes through pyld (:func:`cairn.vc.jsonld.safe.pyld_dataset`).
2. RDFC-1.0 over the quads: :mod:`cairn.vc.canon.rdfc10`, with a work budget against crafted blank-node graphs
   (pyld's own URDNA2015 has none).

Contexts are compiled once per loader configuration: the default offline loader (and any
``OfflineLoader`` without ``allow_remote``) shares them across calls; other loaders pay for context
processing on every call.

``rdfc_reference`` runs pyld for both stages (same safe mode); it exists for tests and benchmarks.
``jcs`` gives RFC 8785 bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import rfc8785

from cairn.errors import CanonicalizationError
from cairn.vc.canon.rdfc10 import Quad, canonicalize
from cairn.vc.jsonld.context import root_for
from cairn.vc.jsonld.documents import DEFAULT_LOADER, DocumentLoader
from cairn.vc.jsonld.fast import to_quads
from cairn.vc.jsonld.safe import dataset_quads, pyld_dataset, rdfc_pyld

__all__ = ["fast_quads", "jcs", "quads", "rdfc", "rdfc_reference"]


def fast_quads(document: Mapping[str, Any], *, loader: DocumentLoader) -> list[Quad] | None:
    """The quads from the fast path, or None where it declines (pyld then decides)."""
    try:
        return to_quads(root_for(loader), document)
    except Exception:  # Unsupported, or any surprise: correctness first, pyld decides
        return None


def quads(document: Mapping[str, Any], *, loader: DocumentLoader | None = None) -> list[Quad]:
    """The RDF quads of ``document`` as N-Quads terms (fast path, else pyld), in safe mode."""
    active = loader if loader is not None else DEFAULT_LOADER
    found = fast_quads(document, loader=active)
    if found is not None:
        return found
    return dataset_quads(pyld_dataset(document, loader=active))


def rdfc(document: Mapping[str, Any], *, loader: DocumentLoader | None = None, hash_algorithm: str = "sha256") -> str:
    """RDFC-1.0 canonical N-Quads of ``document`` (one quad a line, each ending in a newline).

    ``loader`` defaults to the offline loader of bundled contexts; ``hash_algorithm`` is "sha256" (the
    default, every eddsa/ecdsa P-256 suite) or "sha384" (ecdsa-rdfc-2019 with P-384). Raises
    DocumentLoadError for a context that cannot be loaded and CanonicalizationError for a document
    that cannot be canonicalised safely.
    """
    return canonicalize(quads(document, loader=loader), algorithm=hash_algorithm)


def rdfc_reference(
    document: Mapping[str, Any], *, loader: DocumentLoader | None = None, hash_algorithm: str = "sha256"
) -> str:
    """The same result as :func:`rdfc`, computed entirely by pyld (URDNA2015) in the same safe mode."""
    return rdfc_pyld(document, loader=loader, algorithm=hash_algorithm)


def jcs(value: Any) -> bytes:
    """RFC 8785 (JSON Canonicalization Scheme) bytes of ``value``."""
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise CanonicalizationError(f"the value cannot be canonicalised as JSON: {exc}") from exc
