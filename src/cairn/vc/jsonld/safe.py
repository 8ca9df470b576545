"""The reference RDFC-1.0 path: pyld in "safe mode", with offline loading and private context caches.

pyld has no safe mode of its own (jsonld.js has ``safe: true``); this module adds one. A document is
refused (:class:`~cairn.errors.CanonicalizationError`) when canonicalisation would silently lose or
garble data, following the jsonld.js safe-mode list:

- a property that does not expand to an absolute IRI (an undefined term: pyld drops it);
- an ``@id``, ``@type``, datatype or graph name that is not an absolute IRI or blank node identifier
  (pyld drops the quads), or a blank node used as a predicate;
- an IRI with characters N-Quads cannot carry unescaped (spaces, controls, ``<>"{}|^`\\``);
- a literal with control characters other than tab, LF and CR (pyld and RDFC-1.0 escape them
  differently, so signatures would not be portable);
- a language tag that is not well-formed BCP 47, and an ``@direction`` other than ``ltr`` and ``rtl``.

A language value with ``@direction`` becomes a literal typed ``https://www.w3.org/ns/i18n#{language}_{direction}``
(the language in lower case), JSON-LD 1.1's ``rdfDirection: "i18n-datatype"``, as jsonld.js and the Data Integrity
implementations that build on it canonicalise it: the direction is signed, not dropped.

Unknown remote contexts raise :class:`~cairn.errors.DocumentLoadError` (from the loader).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, NoReturn

from pyld import jsonld
from pyld.canon import URDNA2015
from pyld.context_resolver import ContextResolver

from cairn.errors import CairnError, CanonicalizationError
from cairn.vc.canon.rdfc10 import HASH_ALGORITHMS, Quad
from cairn.vc.jsonld.context import BoundedCache
from cairn.vc.jsonld.documents import DEFAULT_LOADER, DocumentLoader, OfflineLoader

__all__ = [
    "check_iri",
    "check_literal",
    "context_resolver",
    "dataset_quads",
    "pyld_compact",
    "pyld_dataset",
    "pyld_expand",
    "rdfc_pyld",
    "to_plain_json",
]

_IRI = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.\-]*|_):[^\x00-\x20<>\"{}|^`\\\x7f\s\ufeff]*")
BAD_LITERAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
"""Characters a canonical literal cannot carry portably: C0 controls other than tab, LF and CR (escaped
differently by implementations), DEL, and lone surrogates (not Unicode at all)."""
_BCP47 = re.compile(r"[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*")
_MAX_SAFE_INTEGER = 2**53
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_I18N = "https://www.w3.org/ns/i18n#"


# One shared pyld context cache per set of bundled contexts (they never change); loaders that may
# fetch remotely get a fresh cache on every call so nothing fetched outlives the call.
_SHARED_CACHES: dict[tuple[tuple[str, str], ...], BoundedCache] = {}


def check_iri(value: object, what: str) -> str:
    """Return ``value`` if it is an absolute IRI or blank node identifier N-Quads can carry, else refuse."""
    if not isinstance(value, str) or _IRI.fullmatch(value) is None:
        raise CanonicalizationError(f"{what} {value!r} is not an absolute IRI; it would be dropped")
    return value


def check_literal(value: str) -> str:
    """Return ``value`` unless it holds control characters whose N-Quads escaping is not portable."""
    if BAD_LITERAL.search(value) is not None:
        raise CanonicalizationError(
            "a string holds control characters or lone surrogates that cannot be canonicalised portably"
        )
    return value


def context_resolver(loader: DocumentLoader) -> ContextResolver:
    """A pyld ContextResolver whose cache is private to ``loader``'s set of bundled contexts."""
    key = loader.cache_key if isinstance(loader, OfflineLoader) else None
    if key is None:
        return ContextResolver(BoundedCache(100), loader)
    cache = _SHARED_CACHES.get(key)
    if cache is None:
        cache = _SHARED_CACHES.setdefault(key, BoundedCache(100))
    return ContextResolver(cache, loader)


def to_plain_json(document: object) -> Any:
    """A deep copy of ``document`` made only of dict, list, str, int, float, bool and None."""
    try:
        return json.loads(json.dumps(document, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise CanonicalizationError("the document is not plain JSON") from exc
    except RecursionError as exc:
        raise CanonicalizationError("the document is nested too deeply") from exc


def _check_value(item: Mapping[str, Any]) -> None:
    if "@direction" in item and item["@direction"] not in ("ltr", "rtl"):
        raise CanonicalizationError("@direction must be ltr or rtl")
    value = item["@value"]
    datatype = item.get("@type")
    if datatype is not None and datatype != "@json":
        check_iri(datatype, "datatype")
    if "@language" in item:
        language = item["@language"]
        if not isinstance(language, str) or _BCP47.fullmatch(language) is None:
            raise CanonicalizationError(f"language tag {language!r} is not well-formed BCP 47")
    if isinstance(value, str) and datatype != "@json":
        check_literal(value)
    if type(value) is int and abs(value) > _MAX_SAFE_INTEGER:
        raise CanonicalizationError("an integer is too large to be read the same way by every implementation")


def _check_node(node: Mapping[str, Any]) -> None:
    for key, values in node.items():
        if key == "@id":
            check_iri(values, "@id")
        elif key == "@type":
            for type_ in values:
                check_iri(type_, "@type")
        elif key in ("@graph", "@included"):
            _check_items(values)
        elif key == "@reverse":
            for prop, items in values.items():
                _check_property(prop)
                _check_items(items)
        elif key == "@index":
            continue
        elif key.startswith("@"):
            raise CanonicalizationError(f"unsupported keyword {key} in a node")
        else:
            _check_property(key)
            _check_items(values)


def _check_property(prop: str) -> None:
    check_iri(prop, "property")
    if prop.startswith("_:"):
        raise CanonicalizationError(f"blank node {prop} used as a property; it would be dropped")


def _check_items(items: list[Any]) -> None:
    for item in items:
        if "@value" in item:
            _check_value(item)
        elif "@list" in item:
            _check_items(item["@list"])
        else:
            _check_node(item)


class _SafeProcessor(jsonld.JsonLdProcessor):  # type: ignore[misc]
    """pyld's processor with dropped properties refused and the expanded output checked."""

    def __init__(self, *, safe: bool) -> None:
        super().__init__(on_property_dropped=self._dropped if safe else jsonld.noop)
        self._safe = safe

    @staticmethod
    def _dropped(prop: str | None) -> None:
        name = prop if prop is not None else "(null)"
        raise CanonicalizationError(f"term {name} is not defined by the @context; it would be dropped")

    def expand(self, input_: Any, options: Any) -> Any:
        expanded = super().expand(input_, options)
        if self._safe:
            _check_items(expanded)
        return expanded


def _unwrap(exc: BaseException) -> CairnError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, CairnError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _raise_from(exc: Exception) -> NoReturn:
    cause = _unwrap(exc)
    if cause is not None:
        raise cause from exc
    message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else type(exc).__name__
    raise CanonicalizationError(f"the document cannot be canonicalised: {message}") from exc


def pyld_dataset(
    document: Mapping[str, Any], *, loader: DocumentLoader | None = None, safe: bool = True
) -> dict[str, list[dict[str, Any]]]:
    """pyld's RDF dataset for ``document`` (safe mode by default; no base IRI, so relative IRIs stay so)."""
    active_loader: DocumentLoader = loader if loader is not None else DEFAULT_LOADER
    plain = to_plain_json(document)
    if not isinstance(plain, dict):
        raise CanonicalizationError("a JSON-LD document must be a JSON object")
    options = {
        "base": None,
        "documentLoader": active_loader,
        "contextResolver": context_resolver(active_loader),
        "produceGeneralizedRdf": False,
        "rdfDirection": "i18n-datatype",
    }
    try:
        dataset = _SafeProcessor(safe=safe).to_rdf(plain, options)
    except CairnError:
        raise
    except Exception as exc:
        _raise_from(exc)
    if safe:
        _check_dataset(dataset)
    _lower_direction_languages(dataset)
    return dict(dataset)


def _lower_direction_languages(dataset: Mapping[str, list[dict[str, Any]]]) -> None:
    """Write the language of an i18n datatype in lower case (pyld keeps it as written; JSON-LD 1.1 lowers it)."""
    for triples in dataset.values():
        for triple in triples:
            term = triple["object"]
            datatype = term.get("datatype")
            if term["type"] == "literal" and isinstance(datatype, str) and datatype.startswith(_I18N):
                term["datatype"] = _I18N + datatype[len(_I18N) :].lower()


def _options(loader: DocumentLoader | None) -> dict[str, Any]:
    active_loader: DocumentLoader = loader if loader is not None else DEFAULT_LOADER
    return {"base": None, "documentLoader": active_loader, "contextResolver": context_resolver(active_loader)}


def pyld_expand(document: Mapping[str, Any], *, loader: DocumentLoader | None = None) -> list[Any]:
    """The expanded form of ``document`` (pyld, safe mode: an undefined term or bad IRI is refused)."""
    plain = to_plain_json(document)
    if not isinstance(plain, dict):
        raise CanonicalizationError("a JSON-LD document must be a JSON object")
    try:
        expanded = _SafeProcessor(safe=True).expand(plain, _options(loader))
    except CairnError:
        raise
    except Exception as exc:
        _raise_from(exc)
    return list(expanded)


def pyld_compact(expanded: list[Any], context: Any, *, loader: DocumentLoader | None = None) -> dict[str, Any]:
    """``expanded`` compacted with ``context`` (pyld); the result carries that ``@context``."""
    try:
        compacted = _SafeProcessor(safe=True).compact(expanded, {"@context": context}, _options(loader))
    except CairnError:
        raise
    except Exception as exc:
        _raise_from(exc)
    if not isinstance(compacted, dict):
        raise CanonicalizationError("the document does not compact to a JSON object")
    return dict(compacted)


def _check_dataset(dataset: Mapping[str, list[dict[str, Any]]]) -> None:
    for graph_name, triples in dataset.items():
        for triple in triples:
            nodes = [triple["subject"]["value"]]
            if triple["object"]["type"] == "blank node":
                nodes.append(triple["object"]["value"])
            if graph_name.startswith("_:"):
                nodes.append(graph_name)
            blank = [n for n in nodes if n.startswith("_:")]
            if len(blank) != len(set(blank)):
                raise CanonicalizationError(
                    "a blank node refers to itself; implementations canonicalise that differently"
                )


def _escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r").replace('"', '\\"')
    )


def _term(term: Mapping[str, Any]) -> str:
    if term["type"] == "IRI":
        return f"<{term['value']}>"
    if term["type"] == "blank node":
        return str(term["value"])
    text = f'"{_escape(term["value"])}"'
    datatype = term["datatype"]
    if datatype == _RDF_LANGSTRING:
        return f"{text}@{term['language']}" if term.get("language") else text
    if datatype == _XSD_STRING:
        return text
    return f"{text}^^<{datatype}>"


def dataset_quads(dataset: Mapping[str, list[dict[str, Any]]]) -> list[Quad]:
    """pyld's dataset as quads of N-Quads terms (written exactly as pyld serialises them)."""
    quads: list[Quad] = []
    for graph_name, triples in dataset.items():
        graph = "" if graph_name == "@default" else (graph_name if graph_name.startswith("_:") else f"<{graph_name}>")
        for triple in triples:
            quads.append((_term(triple["subject"]), _term(triple["predicate"]), _term(triple["object"]), graph))
    return quads


class _URDNA2015(URDNA2015):  # type: ignore[misc]
    """pyld's URDNA2015 with a selectable hash (SHA-384 for ecdsa-rdfc-2019 on P-384)."""

    def __init__(self, algorithm: str) -> None:
        super().__init__()
        new_hash = HASH_ALGORITHMS.get(algorithm)
        if new_hash is None:
            raise CanonicalizationError(f"unsupported RDFC-1.0 hash algorithm {algorithm!r}")
        self._new_hash = new_hash

    def create_hash(self) -> Any:
        return self._new_hash()


def rdfc_pyld(
    document: Mapping[str, Any],
    *,
    loader: DocumentLoader | None = None,
    algorithm: str = "sha256",
    safe: bool = True,
) -> str:
    """RDFC-1.0 canonical N-Quads of ``document`` computed entirely by pyld, in safe mode by default."""
    canonicaliser = _URDNA2015(algorithm)
    dataset = pyld_dataset(document, loader=loader, safe=safe)
    try:
        result = canonicaliser.main(dataset, {"format": "application/n-quads"})
    except Exception as exc:
        _raise_from(exc)
    if not isinstance(result, str):
        raise CanonicalizationError("the canonicaliser returned no N-Quads")
    return result
