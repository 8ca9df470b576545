"""A fast JSON-LD to RDF conversion for the subset credentials use, mirroring pyld step by step.

It walks the compacted document once, producing quads directly (no expanded document, no node map), with
contexts compiled and cached by :mod:`cairn.vc.jsonld.context`. It follows pyld's ``_expand`` /
``_expand_object`` / ``_create_node_map`` / ``_object_to_rdf`` for: terms and IRIs, ``@id``/``@type``
(aliases included), ``@vocab``, type- and property-scoped contexts with pyld's revert rules, ``@type``
coercion (``@id``, ``@vocab``, datatypes), default and per-term languages, language maps, ``@list``,
``@set``, ``@graph`` containers (as proofs use), value objects, embedded ``@context``.

Anything else raises :class:`~cairn.vc.jsonld.context.Unsupported` and the caller uses pyld instead, which
then gives the answer or the refusal; this path never guesses. It declines: explicit blank node
identifiers, ``@reverse``, ``@included``, ``@nest``, ``@index``/``@id``/``@type`` maps, ``@json``
literals, ``@direction``, lists of lists, a ``@graph`` keyword in a node, values (not nodes) in a
``@graph`` container, strings typed ``xsd:double`` or ``rdf:langString``, a node described twice in
ways that give duplicate quads, context processing errors, and everything the safe mode of
:mod:`cairn.vc.jsonld.safe` refuses (undefined terms, relative IRIs, control characters, bad language
tags, integers beyond 2**53).
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Mapping
from typing import Any

import orjson

from cairn.vc.canon.rdfc10 import Quad
from cairn.vc.jsonld.context import SUBTREE_LIMIT, Ctx, Root, Unsupported
from cairn.vc.jsonld.safe import BAD_LITERAL

__all__ = ["to_quads"]

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_XSD_STRING = _XSD + "string"
_XSD_BOOLEAN = _XSD + "boolean"
_XSD_INTEGER = _XSD + "integer"
_XSD_DOUBLE = _XSD + "double"
_RDF_LANGSTRING = _RDF + "langString"
_TYPE = f"<{_RDF}type>"
_FIRST = f"<{_RDF}first>"
_REST = f"<{_RDF}rest>"
_NIL = f"<{_RDF}nil>"
_MAX_SAFE_INTEGER = 2**53

_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20<>\"{}|^`\\\x7f\s\ufeff]*")
_ESCAPE = re.compile(r'[\\\t\n\r"]')
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", '"': '\\"'}
_BCP47 = re.compile(r"[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*")
_DOUBLE = re.compile(r"(\d)0*E\+?(-)?0*(\d)")

Obj = tuple[str, Hashable | None]
"""An RDF object term and its pyld duplicate key (None: never merged, as for lists)."""


class _List:
    """A ``@list`` object not yet attached to a subject (its items, as objects)."""

    __slots__ = ("items",)

    def __init__(self, items: list[Obj]) -> None:
        self.items = items


Item = Obj | _List


class _Set(list[Item]):
    """The items of a ``@set`` object (pyld nests them as a list when met inside a list's array)."""


_IRI_TERMS: dict[str, str] = {}
_IRI_TERMS_LIMIT = 8192


def _iri(value: str | None) -> str:
    """``<value>`` if ``value`` is an absolute IRI N-Quads carries as is, else Unsupported."""
    if value is None:
        raise Unsupported("not an absolute IRI")
    found = _IRI_TERMS.get(value)
    if found is not None:
        return found
    if _IRI.fullmatch(value) is None:
        raise Unsupported("not an absolute IRI")
    term = f"<{value}>"
    if len(_IRI_TERMS) >= _IRI_TERMS_LIMIT:
        _IRI_TERMS.clear()
    _IRI_TERMS[value] = term
    return term


def _double(value: float) -> str:
    return _DOUBLE.sub(r"\1E\2\3", f"{value:1.15E}")


def literal(value: Any, datatype: str | None, language: str | None) -> Obj:
    """The N-Quads literal for a value object, exactly as pyld's ``_object_to_rdf`` writes it.

    The duplicate key is pyld's: the expanded value, datatype (before defaults) and language.
    """
    kind = type(value)
    if kind is str:
        if datatype in (_XSD_DOUBLE, _RDF_LANGSTRING):
            raise Unsupported("string typed as xsd:double or rdf:langString")
        if BAD_LITERAL.search(value) is not None:
            raise Unsupported("control characters")
        key: Hashable = ("@value", datatype, language, value)
        escaped = _ESCAPE.sub(_escape, value)
        if language is not None:
            if datatype is not None or _BCP47.fullmatch(language) is None:
                raise Unsupported("language tag")
            return f'"{escaped}"@{language}', key
        if datatype is None or datatype == _XSD_STRING:
            return f'"{escaped}"', key
        return f'"{escaped}"^^{_iri(datatype)}', key
    if language is not None:
        raise Unsupported("language on a non-string")
    if kind is bool:
        key = ("@value", datatype, None, ("bool", value))
        lexical = "true" if value else "false"
        datatype = datatype or _XSD_BOOLEAN
    elif kind is int or kind is float:
        if kind is int and abs(value) > _MAX_SAFE_INTEGER:
            raise Unsupported("integer beyond 2**53")
        if kind is float and not math.isfinite(value):
            raise Unsupported("NaN or infinity is not JSON")
        key = ("@value", datatype, None, value)
        if kind is float and not value.is_integer():
            lexical = _double(value)
            datatype = datatype or _XSD_DOUBLE
        elif datatype == _XSD_DOUBLE or abs(value) >= 1e21:
            lexical = _double(float(value))
            datatype = datatype or _XSD_DOUBLE
        else:
            lexical = str(int(value))
            datatype = datatype or _XSD_INTEGER
    else:
        raise Unsupported("not a JSON scalar")
    if datatype == _XSD_STRING:
        return f'"{lexical}"', key
    return f'"{lexical}"^^{_iri(datatype)}', key


def _escape(match: re.Match[str]) -> str:
    return _ESCAPES[match.group()]


def _json_key(element: dict[str, Any]) -> bytes | None:
    """The JSON text of ``element`` as a memo key (orjson; None where it could conflate values: NaN and
    infinities are written as null by orjson, so a text with null is not used, nor one orjson refuses; None for
    a text longer than ``SUBTREE_MAX_BYTES``)."""
    try:
        text = orjson.dumps(element)
    except TypeError:  # orjson.JSONEncodeError: a lone surrogate, a huge integer, a non-string key, ...
        return None
    return None if len(text) > SUBTREE_MAX_BYTES or b"null" in text else text


SUBTREE_MIN_KEYS = 8
"""Objects with at least this many entries are remembered (:meth:`_Expander.subtree`)..."""
SUBTREE_MAX_BYTES = 65_536
"""... unless their JSON text is longer than this (the memory stays bounded, whatever documents come in)."""

Slot = tuple[str, str, str, Hashable]
"""pyld's duplicate key of a quad: graph, subject, predicate and the object's key."""


class _Expander:
    """One conversion: the quads so far, pyld's duplicate detection, and blank node numbering.

    ``log`` records, while a subtree is expanded for :meth:`subtree`, each quad with its duplicate key.
    """

    __slots__ = ("blank", "log", "quads", "seen")

    def __init__(self) -> None:
        self.quads: list[Quad] = []
        self.seen: dict[Slot, str] = {}
        self.blank = 0
        self.log: list[tuple[Slot | None, Quad]] | None = None

    def subtree(self, ctx: Ctx, key: str, element: dict[str, Any], graph: str, inside_list: bool) -> list[Item] | None:
        """``expand_object``, remembered: a large object met again under the same active context, property and
        graph (the achievement every award of a definition version shares, a credential verified again) gives the
        same quads, so they are replayed instead of expanded. Its JSON text is the key (1, 1.0 and true stay
        apart); subtrees with blank nodes, lists or sets are not remembered (their labels depend on the rest of
        the document). Replaying applies pyld's duplicate detection against the rest of the document, as
        expanding would."""
        text = _json_key(element)
        if text is None:
            return self.expand_object(ctx, key, element, graph, inside_list)
        memo = ctx.root.subtrees
        memo_key = (ctx, key, graph, inside_list, text)
        found = memo.get(memo_key)
        if found is False:  # seen before, and not one to remember
            return self.expand_object(ctx, key, element, graph, inside_list)
        if found is None:
            outer_seen, start, blank = self.seen, len(self.quads), self.blank
            self.seen, self.log = {}, []
            try:
                result = self.expand_object(ctx, key, element, graph, inside_list)
                log, inner_seen = self.log, self.seen
            finally:
                self.seen, self.log = outer_seen, None
            del self.quads[start:]
            found = (result, tuple(log), inner_seen, [quad for _, quad in log])
            plain = result is None or all(type(item) is tuple for item in result)
            if len(memo) >= SUBTREE_LIMIT:
                memo.clear()
            memo[memo_key] = found if self.blank == blank and plain and not isinstance(result, _Set) else False
        result, recorded, recorded_seen, recorded_quads = found
        seen, quads = self.seen, self.quads
        if seen.keys().isdisjoint(recorded_seen):  # the usual case: nothing said twice
            seen.update(recorded_seen)
            quads.extend(recorded_quads)
            return None if result is None else list(result)
        for slot, quad in recorded:
            if slot is not None:
                existing = seen.get(slot)
                if existing is not None:
                    if existing != quad[2]:
                        raise Unsupported("values pyld merges but RDF tells apart")
                    continue
                seen[slot] = quad[2]
            quads.append(quad)
        return None if result is None else list(result)

    def _append(self, slot: Slot | None, quad: Quad) -> None:
        self.quads.append(quad)
        if self.log is not None:
            self.log.append((slot, quad))

    def bnode(self) -> str:
        self.blank += 1
        return f"_:b{self.blank}"

    def add(self, subject: str, predicate: str, item: Item, graph: str) -> None:
        if isinstance(item, _List):
            self._append(None, (subject, predicate, self.materialise(item, graph), graph))
            return
        term, key = item
        slot: Slot | None = None
        if key is not None:
            slot = (graph, subject, predicate, key)
            seen = self.seen.get(slot)
            if seen is not None:
                if seen != term:
                    raise Unsupported("values pyld merges but RDF tells apart")
                return
            self.seen[slot] = term
        self._append(slot, (subject, predicate, term, graph))

    def materialise(self, lst: _List, graph: str) -> str:
        if not lst.items:
            return _NIL
        head = node = self.bnode()
        last = len(lst.items) - 1
        for index, (term, _) in enumerate(lst.items):
            self._append(None, (node, _FIRST, term, graph))
            following = _NIL if index == last else self.bnode()
            self._append(None, (node, _REST, following, graph))
            node = following
        return head

    # -- _expand (arrays and scalars) --------------------------------------------------------------

    def expand(self, ctx: Ctx, key: str, element: Any, graph: str, inside_list: bool) -> list[Item] | None:
        kind = type(element)
        if element is None:
            return None
        if kind is list:
            term = ctx.term(key)
            inside = inside_list or (term is not None and "@list" in term.container)
            out: list[Item] = []
            for entry in element:
                if inside and type(entry) is list:
                    raise Unsupported("list of lists")
                expanded = self.expand(ctx, key, entry, graph, inside)
                if inside and isinstance(expanded, _Set):
                    raise Unsupported("@set in a list: a list of lists")
                if expanded is not None:
                    out.extend(expanded)
            return out
        if kind is dict:
            if self.log is None and len(element) >= SUBTREE_MIN_KEYS:
                return self.subtree(ctx, key, element, graph, inside_list)
            return self.expand_object(ctx, key, element, graph, inside_list)
        return [self.scalar(ctx, key, element)]

    def scalar(self, ctx: Ctx, key: str, value: Any) -> Obj:
        expanded_property = ctx.vocab(key)
        if expanded_property is None or expanded_property[0] == "@":
            raise Unsupported("scalar under a keyword")
        term = ctx.term(key)
        coerce = term.type if term is not None else None
        if type(value) is str:
            if coerce == "@id":
                iri = _iri(ctx.iri(value))
                return iri, ("@id", iri)
            if coerce == "@vocab":
                iri = _iri(ctx.vocab(value))
                return iri, ("@id", iri)
        if coerce is not None and coerce not in ("@id", "@vocab", "@none"):
            return literal(value, coerce, None)
        if type(value) is str:
            language = term.language if term is not None else ctx.raw.get("@language")
            direction = term.direction if term is not None else ctx.raw.get("@direction")
            if direction is not None:
                raise Unsupported("@direction")
            return literal(value, None, language)
        return literal(value, None, None)

    # -- _expand (objects) and _expand_object ----------------------------------------------------------

    def expand_object(
        self, active: Ctx, prop: str | None, element: dict[str, Any], graph: str, inside_list: bool
    ) -> list[Item] | None:
        active_term = active.term(prop) if prop is not None else None
        property_scoped = active_term.scoped if active_term is not None else None
        type_scoped = active if active.has_previous else None
        must_revert = True
        if type_scoped is not None and len(element) <= 2 and "@context" not in element:
            for key in sorted(element):
                expanded = type_scoped.vocab(key)
                if expanded == "@value":
                    must_revert = False
                    active = type_scoped
                    break
                if expanded == "@id" and len(element) == 1:
                    must_revert = False
                    break
        if must_revert:
            active = active.previous()
        if property_scoped is not None:
            active = active.scoped(property_scoped, override=True)
        if "@context" in element:
            local = element["@context"]
            if type(local) is dict and len(local) == 1 and "@context" in local:
                raise Unsupported("nested @context")
            active = active.embedded(local)
        type_ctx = active
        keys = sorted(element)
        for key in keys:
            if active.vocab(key) != "@type":
                continue
            values = element[key]
            types = [t for t in (values if type(values) is list else [values]) if type(t) is str]
            for type_ in sorted(types):
                type_term = type_ctx.term(type_)
                if type_term is not None and type_term.scoped is not None and type_term.scoped is not False:
                    active = active.scoped(type_term.scoped, propagate=False)
        return self.expand_entries(active, prop, element, keys, graph, type_ctx)

    def expand_entries(
        self, active: Ctx, prop: str | None, element: dict[str, Any], keys: list[str], graph: str, type_ctx: Ctx
    ) -> list[Item] | None:
        node_id: str | None = None
        types: list[str] = []
        type_from_array = False
        fields: dict[str, Any] = {}
        entries: list[tuple[str, list[Item]]] = []
        for key in keys:
            if key == "@context":
                continue
            value = element[key]
            expanded = active.vocab(key)
            if expanded is None:
                raise Unsupported("undefined term")
            if expanded[0] == "@":
                if expanded in fields or (expanded == "@id" and node_id is not None):
                    raise Unsupported("colliding keywords")
                if expanded == "@id":
                    if type(value) is not str:
                        raise Unsupported("@id not a string")
                    node_id = active.iri(value)
                    if node_id is None:
                        raise Unsupported("@id expands to null")
                elif expanded == "@type":
                    if type(value) is list:
                        type_from_array = True
                    values = value if type(value) is list else [value]
                    for entry in values:
                        if type(entry) is not str:
                            raise Unsupported("@type not a string")
                        expanded_type = type_ctx.vocab(entry)
                        if expanded_type is None:
                            raise Unsupported("@type expands to null")
                        types.append(expanded_type)
                elif expanded == "@value":
                    if type(value) in (dict, list):
                        raise Unsupported("@value object or array")
                    fields["@value"] = value
                elif expanded == "@language":
                    if value is None:
                        continue
                    if type(value) is not str:
                        raise Unsupported("@language not a string")
                    fields["@language"] = value.lower()
                elif expanded in ("@list", "@set"):
                    if prop is None:
                        raise Unsupported("top-level @list or @set")
                    items = self.expand(active, prop, value, graph, expanded == "@list")
                    if items is not None:
                        fields[expanded] = items
                else:
                    raise Unsupported(f"keyword {expanded}")
                continue
            if expanded.startswith("_:"):
                raise Unsupported("blank node property")
            predicate = _iri(expanded)
            items = self.expand_property(active, key, value, graph)
            if items is not None:
                entries.append((predicate, items))
        return self.finish(prop, node_id, types, type_from_array, fields, entries, graph)

    def expand_property(self, active: Ctx, key: str, value: Any, graph: str) -> list[Item] | None:
        term = active.term(key)
        term_ctx = active
        container: tuple[str, ...] = ()
        if term is not None:
            if term.reverse:
                raise Unsupported("reverse property")
            if term.scoped is not None:
                term_ctx = active.scoped(term.scoped, override=True)
            container = term.container
            if "@index" in container or "@id" in container or "@type" in container:
                raise Unsupported("index, id or type map")
            if term.type == "@json":
                raise Unsupported("JSON literal")
        if "@language" in container and type(value) is dict:
            if term is not None and term.direction is not None:
                raise Unsupported("@direction")
            items: list[Item] | None = self.language_map(term_ctx, value)
        elif "@graph" in container:
            if "@list" in container:
                raise Unsupported("graph of lists")
            return self.graphs(term_ctx, key, value)
        else:
            items = self.expand(term_ctx, key, value, graph, False)
        if items is None:
            return None
        if "@list" in container and not (type(value) is dict and len(items) == 1 and isinstance(items[0], _List)):
            for item in items:
                if isinstance(item, _List):
                    raise Unsupported("list of lists")
            items = [_List(items)]  # type: ignore[arg-type]
        return items

    def language_map(self, ctx: Ctx, value: dict[str, Any]) -> list[Item]:
        items: list[Item] = []
        for language in sorted(value):
            expanded = ctx.vocab(language)
            entries = value[language]
            for entry in entries if type(entries) is list else [entries]:
                if entry is None:
                    continue
                if type(entry) is not str:
                    raise Unsupported("language map value not a string")
                items.append(literal(entry, None, None if expanded == "@none" else language.lower()))
        return items

    def graphs(self, ctx: Ctx, key: str, value: Any) -> list[Item] | None:
        if value is None:
            return None
        items: list[Item] = []
        for entry in value if type(value) is list else [value]:
            name = self.bnode()
            inner = self.expand(ctx, key, entry, name, False)
            if inner is None or len(inner) != 1 or isinstance(inner[0], _List) or inner[0][1] is None:
                raise Unsupported("unusual @graph container value")
            if inner[0][0][0] == '"':
                raise Unsupported("value in a @graph container")
            items.append((name, ("@id", name)))
        return items

    def finish(
        self,
        prop: str | None,
        node_id: str | None,
        types: list[str],
        type_from_array: bool,
        fields: dict[str, Any],
        entries: list[tuple[str, list[Item]]],
        graph: str,
    ) -> list[Item] | None:
        if "@value" in fields:
            if entries or node_id is not None or len(types) > 1 or type_from_array or len(fields) > 2:
                raise Unsupported("unusual value object")
            if types and "@language" in fields:
                raise Unsupported("value object with both @type and @language")
            value = fields["@value"]
            if value is None:
                return None
            datatype = types[0] if types else None
            if datatype is not None and datatype.startswith("_:"):
                raise Unsupported("blank node datatype")
            return [literal(value, datatype, fields.get("@language"))]
        if "@list" in fields or "@set" in fields:
            if entries or node_id is not None or types or len(fields) > 1:
                raise Unsupported("unusual list or set object")
            if "@set" in fields:
                return _Set(fields["@set"])
            members: list[Item] = fields["@list"]
            for member in members:
                if isinstance(member, _List):
                    raise Unsupported("list of lists")
            return [_List(members)]  # type: ignore[arg-type]
        if fields:
            if len(fields) == 1 and not entries and node_id is None and not types:
                return None  # pyld drops an object with only @language
            raise Unsupported("@language on a node")
        if prop is None and not entries and not types:
            raise Unsupported("empty top-level node")
        if node_id is None:
            subject = self.bnode()
        elif node_id.startswith("_:"):
            raise Unsupported("explicit blank node identifier")
        else:
            subject = _iri(node_id)
        for type_ in types:
            if type_.startswith("_:"):
                raise Unsupported("blank node type")
            iri = _iri(type_)
            slot = (graph, subject, "@type", iri)
            if slot not in self.seen:
                self.seen[slot] = iri
                self._append(slot, (subject, _TYPE, iri, graph))
        for predicate, items in entries:
            for item in items:
                self.add(subject, predicate, item, graph)
        return [(subject, ("@id", subject))]


def to_quads(root: Root, document: Mapping[str, Any]) -> list[Quad]:
    """The RDF quads pyld's toRdf would give for ``document``, or Unsupported."""
    if type(document) is not dict:
        raise Unsupported("document is not a dict")
    expander = _Expander()
    try:
        result = expander.expand_object(root.initial, None, document, "", False)
    except RecursionError as exc:
        raise Unsupported("too deeply nested") from exc
    if result is None or len(result) != 1 or isinstance(result[0], _List) or result[0][0][0] == '"':
        raise Unsupported("top level is not a node")
    quads = expander.quads
    if len(set(quads)) != len(quads):
        raise Unsupported("duplicate quads")
    return quads
