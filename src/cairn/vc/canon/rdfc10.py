"""RDFC-1.0 (RDF Dataset Canonicalization, formerly URDNA2015) over quads given as N-Quads terms.

A quad is a tuple ``(subject, predicate, object, graph)`` of strings already written as N-Quads terms:
``<iri>``, ``_:label`` or a literal (``"..."``, ``"..."@en``, ``"..."^^<iri>``); ``graph`` is ``""`` for
the default graph. The result is the canonical N-Quads document (sorted lines, trailing newline),
byte-identical to pyld's ``normalize(..., algorithm="URDNA2015")`` for the same quads.

Blank nodes with unique first-degree hashes (the usual case for credentials) take a fast path; the rest
run the full Hash N-Degree Quads algorithm, with a work budget so that crafted "poison" graphs are
refused (:class:`~cairn.errors.CanonicalizationError`) instead of running for hours.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from itertools import permutations
from typing import Any

from cairn.errors import CanonicalizationError

__all__ = ["HASH_ALGORITHMS", "MAX_WORK", "Quad", "canonical_labels", "canonicalize", "serialize"]

Quad = tuple[str, str, str, str]
"""(subject, predicate, object, graph) as N-Quads terms; graph ``""`` is the default graph."""

HASH_ALGORITHMS: dict[str, Callable[..., Any]] = {"sha256": hashlib.sha256, "sha384": hashlib.sha384}
"""Hash functions RDFC-1.0 may run with (SHA-256 by default; SHA-384 for ecdsa-rdfc-2019 with P-384)."""

MAX_WORK = 100_000
"""Most permutation steps the N-degree algorithm may take before a document is refused as too complex."""


def serialize(quad: Quad) -> str:
    """One N-Quads line (with its newline) for ``quad``."""
    s, p, o, g = quad
    if g:
        return f"{s} {p} {o} {g} .\n"
    return f"{s} {p} {o} .\n"


class _Issuer:
    """Issues ``prefix + counter`` identifiers, remembering the order of the blank nodes it labelled."""

    __slots__ = ("counter", "existing", "order", "prefix")

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.counter = 0
        self.existing: dict[str, str] = {}
        self.order: list[str] = []

    def issue(self, old: str) -> str:
        found = self.existing.get(old)
        if found is not None:
            return found
        new = f"{self.prefix}{self.counter}"
        self.counter += 1
        self.existing[old] = new
        self.order.append(old)
        return new

    def copy(self) -> _Issuer:
        clone = _Issuer(self.prefix)
        clone.counter = self.counter
        clone.existing = dict(self.existing)
        clone.order = list(self.order)
        return clone


class _State:
    """Normalisation state for one dataset."""

    def __init__(self, quads: Sequence[Quad], algorithm: str) -> None:
        new_hash = HASH_ALGORITHMS.get(algorithm)
        if new_hash is None:
            raise CanonicalizationError(f"unsupported RDFC-1.0 hash algorithm {algorithm!r}")
        self.new_hash = new_hash
        self.quads = quads
        self.canonical = _Issuer("_:c14n")
        self.first_degree: dict[str, str] = {}
        self.work = 0
        # Each quad is listed once for every blank-node position it has (as pyld does).
        info: dict[str, list[Quad]] = {}
        for quad in quads:
            s, _, o, g = quad
            if s[0] == "_":
                info.setdefault(s, []).append(quad)
            if o[0] == "_":
                info.setdefault(o, []).append(quad)
            if g and g[0] == "_":
                info.setdefault(g, []).append(quad)
        self.info = info

    def hash_first_degree(self, node: str) -> str:
        found = self.first_degree.get(node)
        if found is not None:
            return found
        lines = []
        for s, p, o, g in self.info[node]:
            if s[0] == "_":
                s = "_:a" if s == node else "_:z"
            if o[0] == "_":
                o = "_:a" if o == node else "_:z"
            if g:
                if g[0] == "_":
                    g = "_:a" if g == node else "_:z"
                lines.append(f"{s} {p} {o} {g} .\n")
            else:
                lines.append(f"{s} {p} {o} .\n")
        lines.sort()
        digest: str = self.new_hash("".join(lines).encode("utf-8")).hexdigest()
        self.first_degree[node] = digest
        return digest

    def hash_related(self, related: str, predicate: str, issuer: _Issuer, position: str) -> str:
        label = self.canonical.existing.get(related) or issuer.existing.get(related)
        if label is None:
            label = self.hash_first_degree(related)
        text = position + label if position == "g" else position + predicate + label
        digest: str = self.new_hash(text.encode("utf-8")).hexdigest()
        return digest

    def _spend(self) -> None:
        self.work += 1
        if self.work > MAX_WORK:
            raise CanonicalizationError("the document's blank nodes are too entangled to canonicalise")

    def hash_n_degree(self, node: str, issuer: _Issuer) -> tuple[str, _Issuer]:
        related_by_hash: dict[str, list[str]] = {}
        for s, p, o, g in self.info[node]:
            if s[0] == "_" and s != node:
                related_by_hash.setdefault(self.hash_related(s, p, issuer, "s"), []).append(s)
            if o[0] == "_" and o != node:
                related_by_hash.setdefault(self.hash_related(o, p, issuer, "o"), []).append(o)
            if g and g[0] == "_" and g != node:
                related_by_hash.setdefault(self.hash_related(g, p, issuer, "g"), []).append(g)
        digest = self.new_hash()
        canonical = self.canonical.existing
        for related_hash, blank_nodes in sorted(related_by_hash.items()):
            digest.update(related_hash.encode("utf-8"))
            chosen_path = ""
            chosen_issuer: _Issuer | None = None
            for permutation in permutations(blank_nodes):
                self._spend()
                issuer_copy = issuer.copy()
                path = ""
                recursion: list[str] = []
                skip = False
                for related in permutation:
                    label = canonical.get(related)
                    if label is not None:
                        path += label
                    else:
                        if related not in issuer_copy.existing:
                            recursion.append(related)
                        path += issuer_copy.issue(related)
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                for related in recursion:
                    result_hash, issuer_copy = self.hash_n_degree(related, issuer_copy)
                    path += issuer_copy.issue(related) + "<" + result_hash + ">"
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                if not chosen_path or path < chosen_path:
                    chosen_path = path
                    chosen_issuer = issuer_copy
            digest.update(chosen_path.encode("utf-8"))
            if chosen_issuer is not None:
                issuer = chosen_issuer
        return digest.hexdigest(), issuer

    def label(self) -> dict[str, str]:
        by_hash: dict[str, list[str]] = {}
        for node in self.info:
            by_hash.setdefault(self.hash_first_degree(node), []).append(node)
        shared: list[tuple[str, list[str]]] = []
        for digest, nodes in sorted(by_hash.items()):
            if len(nodes) == 1:
                self.canonical.issue(nodes[0])
            else:
                shared.append((digest, nodes))
        for _, nodes in shared:
            paths: list[tuple[str, _Issuer]] = []
            for node in nodes:
                if node in self.canonical.existing:
                    continue
                issuer = _Issuer("_:b")
                issuer.issue(node)
                paths.append(self.hash_n_degree(node, issuer))
            for _, issuer in sorted(paths, key=lambda result: result[0]):
                for existing in issuer.order:
                    self.canonical.issue(existing)
        return self.canonical.existing


def canonicalize(quads: Sequence[Quad], *, algorithm: str = "sha256") -> str:
    """Canonical N-Quads of ``quads`` (RDFC-1.0 with ``algorithm``, "sha256" or "sha384")."""
    state = _State(quads, algorithm)
    if not state.info:
        return "".join(sorted(serialize(quad) for quad in quads))
    labels = state.label()
    lines = []
    for s, p, o, g in quads:
        if s[0] == "_":
            s = labels[s]
        if o[0] == "_":
            o = labels[o]
        if g:
            if g[0] == "_":
                g = labels[g]
            lines.append(f"{s} {p} {o} {g} .\n")
        else:
            lines.append(f"{s} {p} {o} .\n")
    lines.sort()
    return "".join(lines)


def canonical_labels(quads: Sequence[Quad], *, algorithm: str = "sha256") -> dict[str, str]:
    """The canonical blank node identifier map of ``quads``: each blank node (``_:x``) to its ``_:c14nN``.

    Selective disclosure (ecdsa-sd-2023) relabels the canonical form with these labels; the canonical
    N-Quads are the quads with every blank node replaced by its label, sorted.
    """
    state = _State(quads, algorithm)
    if not state.info:
        return {}
    return dict(state.label())
