"""Check a European Digital Credential against the EDC application profile's SHACL shapes, offline.

The EDC JSON-LD becomes RDF through Cairn's own JSON-LD machinery (bundled contexts only, nothing fetched:
:func:`cairn.vc.canon.forms.quads` in safe mode; when the document uses terms its context does not define, pyld
converts it again with those terms left out, and the result names them). The quads are loaded into rdflib
and validated by pyshacl against ``shapes/EDC-generic-no-cv.ttl`` + ``shapes/EDC-generic-full.ttl``
(EDC AP 1.2.0, ELM 3.2 LTS; the imports closure of ``edc-generic-full``). The shapes are parsed once per
process.

:func:`check_shapes` never raises: a :class:`ShapesResult` says whether the credential conforms and lists the
violations in plain language (capped).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Final

from pyld import jsonld
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from cairn.errors import CairnError, DocumentLoadError
from cairn.vc.canon.forms import quads
from cairn.vc.canon.rdfc10 import Quad
from cairn.vc.jsonld.documents import DEFAULT_LOADER, bundled_context
from cairn.vc.jsonld.safe import context_resolver, dataset_quads, to_plain_json

__all__ = [
    "LOQ_PROFILE",
    "MAX_LISTED",
    "MAX_TRIPLES",
    "SHAPES_PROFILE",
    "ShapesResult",
    "check_loq_shapes",
    "check_shapes",
    "shapes_graph",
    "warm_up",
]

MAX_LISTED: Final = 20
"""Most violations listed in a result (the count says how many there were)."""
MAX_TRIPLES: Final = 4000
"""Largest credential graph validated (pyshacl's time grows with it; the sample has about 350)."""
SHAPES_PROFILE: Final = "EDC application profile 1.2.0 (ELM 3.2 LTS)"
_SHAPE_FILES: Final = ("EDC-generic-no-cv.ttl", "EDC-generic-full.ttl")
LOQ_PROFILE: Final = "Learning Opportunities and Qualifications application profile (ELM 3.2 LTS)"
_UNICODE_CLASSES: Final = "\\\\p{L}\\\\p{Nl}\\\\p{Nd}"
_PROFILES: Final = {"edc": _SHAPE_FILES, "loq": ("LOQ-constraints.ttl",)}
_EDC_CONTEXT: Final = "http://data.europa.eu/snb/model/context/edc-ap"
_VC1_CONTEXT: Final = "https://www.w3.org/2018/credentials/v1"
_LOCK = threading.Lock()


@dataclass
class ShapesResult:
    """The outcome of a SHACL check: ``checked`` is False when the credential could not be turned into RDF."""

    checked: bool = False
    conforms: bool = False
    violations: list[str] = field(default_factory=list)
    total: int = 0
    ignored_terms: list[str] = field(default_factory=list)
    reason: str = ""


@cache
def shapes_graph(profile: str = "edc") -> Graph:
    """The bundled shapes of ``profile`` (``edc``: no-cv + full; ``loq``: learning opportunities), parsed once."""
    graph = Graph()
    folder = resources.files("cairn.vc").joinpath("shapes")
    for name in _PROFILES[profile]:
        text = folder.joinpath(name).read_text(encoding="utf-8")
        # LOQ's IRI patterns use what Python's re lacks: an inline flag after "^" (moved first, same meaning) and
        # the Unicode classes \p{L}\p{Nl}\p{Nd} (read as \w: letters, digits and "_")
        text = text.replace('sh:pattern "^(?i)', 'sh:pattern "(?i)^').replace(_UNICODE_CLASSES, "\\\\w")
        graph.parse(data=text, format="turtle")
    return graph


@cache
def _term_names() -> dict[str, str]:
    """IRI -> JSON term of the EDC and VCDM 1.1 contexts, to name properties as the credential writes them."""
    names: dict[str, str] = {}
    for url in (_VC1_CONTEXT, _EDC_CONTEXT):
        try:
            _collect(bundled_context(url).get("@context"), {}, names)
        except (DocumentLoadError, AttributeError, TypeError):  # pragma: no cover - bundled files are fixed
            continue
    return names


def _collect(context: Any, prefixes: dict[str, str], names: dict[str, str]) -> None:
    if isinstance(context, list):
        for item in context:
            _collect(item, prefixes, names)
        return
    if not isinstance(context, Mapping):
        return
    local = dict(prefixes)
    for term, value in context.items():
        if isinstance(value, str) and value.endswith(("/", "#")):
            local[term] = value
    for term, value in context.items():
        target = value if isinstance(value, str) else value.get("@id") if isinstance(value, Mapping) else None
        if isinstance(target, str) and not term.startswith("@"):
            prefix, _, rest = target.partition(":")
            iri = local[prefix] + rest if prefix in local and not rest.startswith("//") else target
            names.setdefault(iri, term)
        if isinstance(value, Mapping) and "@context" in value:
            _collect(value["@context"], local, names)


def _to_quads(document: Mapping[str, Any]) -> tuple[list[Quad], list[str]]:
    """The credential's quads and the undefined terms that had to be left out (raises CairnError)."""
    try:
        return quads(document), []
    except DocumentLoadError:
        raise
    except CairnError as exc:
        if "is not defined by the @context" not in str(exc):
            raise
    dropped: list[str] = []

    def note(prop: str | None) -> None:
        if prop is not None and prop not in dropped:
            dropped.append(prop)

    options = {
        "base": None,
        "documentLoader": DEFAULT_LOADER,
        "contextResolver": context_resolver(DEFAULT_LOADER),
        "produceGeneralizedRdf": False,
    }
    try:
        dataset = jsonld.JsonLdProcessor(on_property_dropped=note).to_rdf(to_plain_json(document), options)
    except CairnError:
        raise
    except Exception as exc:
        raise CairnError(f"the credential cannot be read as JSON-LD: {str(exc)[:120]}") from exc
    return dataset_quads(dataset), dropped


_SHAPES_STATE: dict[str, Any] = {}


def _validate(data: Graph, profile: str = "edc") -> tuple[bool, Any]:
    """pyshacl over ``data``; the compiled shapes (pyshacl's ShapesGraph) are kept between calls (under _LOCK)."""
    from pyshacl import Validator

    options = {"inference": "none", "allow_warnings": True}
    validator = Validator(data, shacl_graph=shapes_graph(profile), options=options)
    compiled = _SHAPES_STATE.get(profile)
    if compiled is None:
        _SHAPES_STATE[profile] = validator.shacl_graph
    else:
        validator.shacl_graph = compiled
    conforms, report, _text = validator.run()  # type: ignore[no-untyped-call]
    return bool(conforms), report


def warm_up() -> None:
    """Parse and compile the shapes now (a server may call this at start so the first check is quick)."""
    check_shapes({"@context": [_VC1_CONTEXT, _EDC_CONTEXT], "id": "urn:x:warm-up", "type": ["VerifiableCredential"]})


def _graph(found: list[Quad]) -> Graph:
    graph = Graph()
    text = "".join(f"{s} {p} {o} .\n" for s, p, o, _g in found)
    graph.parse(data=text, format="nt")
    return graph


def check_loq_shapes(document: Mapping[str, Any]) -> ShapesResult:
    """Validate ``document`` (ELM learning opportunities, JSON-LD) against the LOQ profile's shapes; never raises."""
    return check_shapes(document, profile="loq")


def check_shapes(document: Mapping[str, Any], *, profile: str = "edc") -> ShapesResult:
    """Validate ``document`` (an EDC as a JSON object) against the bundled shapes; never raises."""
    result = ShapesResult()
    try:
        found, result.ignored_terms = _to_quads(document)
    except DocumentLoadError as exc:
        result.reason = f"a context could not be loaded offline: {exc}"
        return result
    except (CairnError, RecursionError) as exc:
        result.reason = f"the credential cannot be read as JSON-LD: {exc}"
        return result
    if len(found) > MAX_TRIPLES:
        result.reason = f"the credential has {len(found)} statements, more than the {MAX_TRIPLES} checked"
        return result
    try:
        data = _graph(found)
        with _LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # rdflib/pyshacl deprecation chatter is not the credential's fault
            conforms, report = _validate(data, profile)
    except Exception as exc:  # pyshacl/rdflib surprises become a reason, never a crash
        result.reason = f"the shapes could not be checked: {type(exc).__name__}: {str(exc)[:120]}"
        return result
    result.checked = True
    result.conforms = conforms
    if isinstance(report, Graph):
        messages = _violations(report, data)
        result.total = len(messages)
        result.violations = messages[:MAX_LISTED]
    return result


def _short(node: object, data: Graph) -> str:
    if isinstance(node, URIRef):
        return str(node)
    if isinstance(node, BNode):
        kinds = [_local(t) for t in data.objects(node, RDF.type)]
        return f"an unnamed {kinds[0]}" if kinds else "an unnamed node"
    return str(node)[:80]


def _local(iri: object) -> str:
    text = str(iri)
    return _term_names().get(text) or text.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _violations(report: Graph, data: Graph) -> list[str]:
    out: list[str] = []
    for result in sorted(report.subjects(RDF.type, SH.ValidationResult), key=str):
        if (None, SH.detail, result) in report:
            continue  # listed through its parent's details
        details: list[Node] = list(report.objects(result, SH.detail))
        leaves = details or [result]
        for leaf in leaves:
            line = _line(report, data, leaf)
            if line not in out:
                out.append(line)
    return sorted(out)


def _line(report: Graph, data: Graph, result: Node) -> str:
    focus = report.value(result, SH.focusNode)
    path = report.value(result, SH.resultPath)
    component = str(report.value(result, SH.sourceConstraintComponent) or "")
    shape = report.value(result, SH.sourceShape)
    message = report.value(result, SH.resultMessage)
    description = report.value(shape, SH.description) if shape is not None else None
    value = report.value(result, SH.value)
    kinds = [_local(t) for t in data.objects(focus, RDF.type)] if focus is not None else []
    where = _short(focus, data) + (f" ({kinds[0]})" if kinds else "")
    prop = _local(path) if path is not None else "(node)"
    if component.endswith("MinCountConstraintComponent"):
        what = f"{prop} is required but missing"
    elif component.endswith("MaxCountConstraintComponent"):
        what = f"{prop} has too many values"
    elif value is not None:
        what = f"{prop} value {_short(value, data)} is not allowed: {message}"
    else:
        what = f"{prop}: {message}"
    why = f" ({description})" if isinstance(description, Literal) else ""
    return f"{where}: {what}{why}"
