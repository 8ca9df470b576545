"""Compiled JSON-LD active contexts for the fast path, cached once per set of bundled contexts.

Context processing itself is pyld's (``_process_context``: protected terms, scoped contexts, prefixes),
so the term definitions are exactly the reference's; this module only memoises its results and IRI
expansion, keyed by the identity of immutable context objects. Bundled contexts never change, so one
cache per loader configuration (``OfflineLoader.cache_key``) serves every call; loaders that may fetch
remotely get a fresh cache per call. Every memo is bounded: inline contexts come from documents.
"""

from __future__ import annotations

import json
from typing import Any

from pyld import jsonld
from pyld.context_resolver import ContextResolver

from cairn.vc.jsonld.documents import DocumentLoader, OfflineLoader

__all__ = ["SUBTREE_LIMIT", "BoundedCache", "Ctx", "Root", "Term", "Unsupported", "root_for"]

_MEMO_LIMIT = 4096
_CHILD_LIMIT = 256
SUBTREE_LIMIT = 128
"""Large objects whose quads a Root remembers (cairn.vc.jsonld.fast); it starts afresh past this many."""
_ROOT_LIMIT = 20_000  # compiled contexts per Root before it starts afresh
_KNOWN_MAPPING_KEYS = frozenset(
    {"@id", "@type", "@container", "@context", "@language", "@direction", "@index", "@nest", "@prefix"}
    | {"reverse", "protected", "_prefix", "_term_has_colon"}
)


class Unsupported(Exception):
    """The fast path does not handle this document (it then goes to the reference path)."""


class BoundedCache(dict[str, Any]):
    """A dict that forgets its oldest entries past ``maxsize`` (pyld's resolved-context caches)."""

    def __init__(self, maxsize: int) -> None:
        super().__init__()
        self.maxsize = maxsize

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        while len(self) > self.maxsize:
            del self[next(iter(self))]


class Term:
    """What the fast path needs from one pyld term definition."""

    __slots__ = ("container", "direction", "language", "reverse", "scoped", "type")

    def __init__(self, mapping: Any, ctx_raw: Any) -> None:
        if not set(mapping) <= _KNOWN_MAPPING_KEYS:
            raise Unsupported("term definition with unknown entries")
        container = mapping.get("@container") or ()
        self.container: tuple[str, ...] = (container,) if isinstance(container, str) else tuple(container)
        self.type: str | None = mapping.get("@type")
        self.scoped: Any = mapping.get("@context")
        self.reverse: bool = bool(mapping.get("reverse"))
        self.language: Any = mapping["@language"] if "@language" in mapping else ctx_raw.get("@language")
        self.direction: Any = mapping["@direction"] if "@direction" in mapping else ctx_raw.get("@direction")


class Root:
    """Everything cached for one loader configuration: pyld processor, options, compiled contexts."""

    def __init__(self, loader: DocumentLoader) -> None:
        self.loader = loader
        self.processor = jsonld.JsonLdProcessor()
        self.resolved = BoundedCache(128)
        initial = self.processor._get_initial_context({"processingMode": "json-ld-1.1"})
        self.contexts = 0
        self.subtrees: dict[Any, Any] = {}
        """Quads of large objects already expanded (:meth:`cairn.vc.jsonld.fast._Expander.subtree`)."""
        self.initial = Ctx(self, initial)

    def process(self, raw: Any, local: Any, *, propagate: bool, override: bool) -> Any:
        """pyld's context processing of ``local`` on top of ``raw``."""
        options = {
            "documentLoader": self.loader,
            "contextResolver": ContextResolver(self.resolved, self.loader),
            "base": None,
            "processingMode": "json-ld-1.1",
            "isFrame": False,
            "keepFreeFloatingNodes": False,
            "extractAllScripts": False,
        }
        try:
            return self.processor._process_context(
                raw, local, options, override_protected=override, propagate=propagate
            )
        except Exception as exc:
            raise Unsupported("context processing failed") from exc


_ROOTS: dict[tuple[tuple[str, str], ...], Root] = {}


def root_for(loader: DocumentLoader) -> Root:
    """The shared Root for a cacheable offline loader, else a fresh one for this call only."""
    key = loader.cache_key if isinstance(loader, OfflineLoader) else None
    if key is None:
        return Root(loader)
    root = _ROOTS.get(key)
    if root is None or root.contexts > _ROOT_LIMIT:
        root = _ROOTS[key] = Root(loader)
    return root


class Ctx:
    """A pyld active context with memoised IRI expansion, term lookups and child contexts."""

    __slots__ = ("_previous", "children", "id_memo", "mappings", "raw", "root", "terms", "vocab_memo")

    def __init__(self, root: Root, raw: Any) -> None:
        root.contexts += 1
        self.root = root
        self.raw = raw
        self.mappings: Any = raw["mappings"]
        self.vocab_memo: dict[str, str | None] = {}
        self.id_memo: dict[str, str | None] = {}
        self.terms: dict[str, Term | None] = {}
        self.children: dict[Any, tuple[Any, Ctx]] = {}
        self._previous: Ctx | None = None

    @property
    def has_previous(self) -> bool:
        """Whether this context carries a non-propagated (type-scoped) part to revert."""
        return bool(self.raw.get("previousContext"))

    def previous(self) -> Ctx:
        """The context to revert to when entering a new node object (itself if nothing to revert)."""
        if not self.has_previous:
            return self
        if self._previous is None:
            self._previous = Ctx(self.root, self.raw["previousContext"])
        return self._previous

    def vocab(self, value: str) -> str | None:
        """``value`` expanded as a property or type (vocab-relative), as pyld does."""
        try:
            return self.vocab_memo[value]
        except KeyError:
            pass
        result: str | None = self.root.processor._expand_iri(self.raw, value, vocab=True)
        if len(self.vocab_memo) >= _MEMO_LIMIT:
            self.vocab_memo.clear()
        self.vocab_memo[value] = result
        return result

    def iri(self, value: str) -> str | None:
        """``value`` expanded as a node identifier (no base IRI: relative ones stay relative)."""
        try:
            return self.id_memo[value]
        except KeyError:
            pass
        result: str | None = self.root.processor._expand_iri(self.raw, value, base=None)
        if len(self.id_memo) >= _MEMO_LIMIT:
            self.id_memo.clear()
        self.id_memo[value] = result
        return result

    def term(self, key: str) -> Term | None:
        """The definition of term ``key`` (None when the key is not a defined term)."""
        try:
            return self.terms[key]
        except KeyError:
            pass
        mapping = self.mappings.get(key)
        term = None if mapping is None else Term(mapping, self.raw)
        if len(self.terms) >= _MEMO_LIMIT:
            self.terms.clear()
        self.terms[key] = term
        return term

    def scoped(self, local: Any, *, propagate: bool = True, override: bool = False) -> Ctx:
        """The context after a term-scoped ``local`` context (an object owned by a term definition)."""
        key = (id(local), propagate, override)
        found = self.children.get(key)
        if found is not None and found[0] is local:
            return found[1]
        child = Ctx(self.root, self.root.process(self.raw, local, propagate=propagate, override=override))
        self._remember(key, local, child)
        return child

    def embedded(self, local: Any) -> Ctx:
        """The context after an ``@context`` found in a document (processed from a private copy)."""
        try:
            text = json.dumps(local, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise Unsupported("context is not plain JSON") from exc
        key = ("doc", text)
        found = self.children.get(key)
        if found is not None:
            return found[1]
        copy = json.loads(text)
        child = Ctx(self.root, self.root.process(self.raw, copy, propagate=True, override=False))
        self._remember(key, copy, child)
        return child

    def _remember(self, key: Any, local: Any, child: Ctx) -> None:
        if len(self.children) >= _CHILD_LIMIT:
            self.children.clear()
        self.children[key] = (local, child)
