"""A catalogue as files: organisations and micro-credential definitions authored as YAML or JSON.

Pure: takes ``(source name, bytes)`` pairs and returns a :class:`Catalog` plus every problem found,
each naming the file, the field path and, where it applies, the Annex I element. Nothing here
reads the disk; :mod:`cairn.services.catalog.service` does.

A file holds one or more documents (YAML ``---`` separated, or a JSON object or array), each with
``kind: organisation`` or ``kind: micro-credential``. Hostile input is refused with a reason:
files over :data:`MAX_FILE_BYTES`, invalid UTF-8, YAML aliases (the "billion laughs" bomb),
duplicate keys, and nesting deeper than :data:`MAX_DEPTH`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.events import AliasEvent, MappingEndEvent, MappingStartEvent, SequenceEndEvent, SequenceStartEvent
from yaml.nodes import MappingNode

from cairn.errors import InputError, Problem
from cairn.model.definitions import STATES, MicroCredentialDefinition, Organisation
from cairn.model.pathways import PathwayDefinition
from cairn.vc.values import nests_deeper_than

__all__ = [
    "FILTERS",
    "KINDS",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "RECOGNITION_KINDS",
    "Catalog",
    "CatalogueQuery",
    "Facets",
    "build_catalog",
    "facet_counts",
    "facets_of",
    "matches",
    "parse_file",
    "parse_query",
    "validation_problems",
]

MAX_FILE_BYTES = 1_000_000
"""Largest catalogue file accepted, in bytes."""

MAX_DEPTH = 32
"""Deepest nesting of mappings and lists accepted in a catalogue document."""

KINDS: dict[str, type[BaseModel]] = {
    "organisation": Organisation,
    "micro-credential": MicroCredentialDefinition,
    "pathway": PathwayDefinition,
}
"""Document kinds and the model each is validated against."""
RECOGNITION_KINDS = ("course", "recognition")
"""Courses and recognition rules (read with :mod:`cairn.model.recognition`'s loaders, which report problems by path)."""


class _RefusedYaml(yaml.YAMLError):
    def __init__(self, message: str, node_mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = node_mark


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present


def _scan(text: str) -> None:
    """Refuse aliases and deep nesting from the event stream, before anything is built."""
    depth = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, AliasEvent):
            raise _RefusedYaml(
                "YAML aliases (*name) are not allowed in a catalogue; write the value out", event.start_mark
            )
        if isinstance(event, MappingStartEvent | SequenceStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _RefusedYaml(f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
        elif isinstance(event, MappingEndEvent | SequenceEndEvent):
            depth -= 1


class _StrictLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """A safe loader that refuses duplicate keys (aliases and depth are refused by :func:`_scan` first)."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise _RefusedYaml("mapping keys must be plain text", key_node.start_mark)
            if key in seen:
                raise _RefusedYaml(f"duplicate key '{key}'", key_node.start_mark)
            seen.add(key)
        result: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return result


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key '{key}'")
        out[key] = value
    return out


def parse_file(source: str, data: bytes) -> tuple[list[Any], list[Problem]]:
    """Decode and parse one file's documents; never raises for bad input."""
    if len(data) > MAX_FILE_BYTES:
        return [], [Problem(source, "", f"the file is larger than {MAX_FILE_BYTES:,} bytes; split it")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [Problem(source, "", f"not valid UTF-8 text (byte {exc.start}); save the file as UTF-8")]
    if "\x00" in text:
        return [], [Problem(source, "", "the file contains NUL characters; is it a text file?")]
    if source.lower().endswith(".json"):
        try:
            loaded = json.loads(text, object_pairs_hook=_no_duplicates)
        except RecursionError:
            return [], [Problem(source, "", f"nesting deeper than {MAX_DEPTH} levels")]
        except ValueError as exc:
            return [], [Problem(source, "", f"not valid JSON: {exc}")]
        if nests_deeper_than(loaded, MAX_DEPTH):
            return [], [Problem(source, "", f"nesting deeper than {MAX_DEPTH} levels")]
        docs = loaded if isinstance(loaded, list) else [loaded]
        return docs, []
    try:
        _scan(text)
        docs = [d for d in yaml.load_all(text, Loader=_StrictLoader) if d is not None]
    except _RefusedYaml as exc:
        where = f" (line {exc.mark.line + 1}, column {exc.mark.column + 1})" if exc.mark else ""
        return [], [Problem(source, "", f"{exc.message}{where}")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        return [], [Problem(source, "", f"not valid YAML: {exc.problem or exc.context}{where}")]
    except (yaml.YAMLError, RecursionError) as exc:
        return [], [Problem(source, "", f"not valid YAML: {type(exc).__name__}")]
    return docs, []


def _path(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _annex(model: type[BaseModel], name: str) -> str | None:
    info = model.model_fields.get(name)
    extra = info.json_schema_extra if info else None
    return str(extra["annex1"]) if isinstance(extra, dict) and "annex1" in extra else None


def validation_problems(source: str, model: type[BaseModel], error: ValidationError, prefix: str = "") -> list[Problem]:
    """Turn a pydantic error into problems with field paths and Annex I element names."""
    problems = []
    errors = error.errors(include_url=False)
    failed_items = {tuple(e["loc"][:-1]) for e in errors if e["loc"] and isinstance(e["loc"][-1], int)}
    for err in errors:
        if err["type"] == "too_short" and tuple(err["loc"]) in failed_items:
            continue  # a list emptied by its own invalid items: the item errors say it all
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-after["))]
        top = str(loc[0]) if loc else ""
        element = _annex(model, top) if top else None
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "missing":
            message = f"missing: {element} ('{top}') is required" if element else f"'{loc[-1]}' is required"
        elif err["type"] == "extra_forbidden":
            message = f"unknown field '{loc[-1]}' (check its spelling)"
        path = _path(loc)
        problems.append(Problem(source, f"{prefix}{path}" if prefix and path else prefix or path, message, element))
    return problems


@dataclass
class Catalog:
    """Validated organisations and definitions, by id, with the file each came from."""

    organisations: dict[str, Organisation] = field(default_factory=dict)
    definitions: dict[str, MicroCredentialDefinition] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)
    """Definitions whose file says ``state: draft`` or ``state: published`` (others keep theirs; new ones are
    published)."""
    pathways: dict[str, PathwayDefinition] = field(default_factory=dict)
    pathway_states: dict[str, str] = field(default_factory=dict)
    courses: dict[str, Any] = field(default_factory=dict)
    """Courses (``kind: course``: :class:`cairn.model.recognition.Course`), by id."""
    recognition: dict[str, Any] = field(default_factory=dict)
    """Recognition rules (``kind: recognition``: :class:`cairn.model.recognition.RecognitionRules`), by id."""
    recognition_states: dict[str, str] = field(default_factory=dict)
    """Courses' and rules' states, by :meth:`key_of`."""

    @staticmethod
    def key_of(document: Any) -> str:
        """``course:ID`` or ``recognition:ID``: how :attr:`sources` and :attr:`recognition_states` name a course
        or recognition rules."""
        from cairn.model.recognition import Course

        return f"{'course' if isinstance(document, Course) else 'recognition'}:{document.id}"


def build_catalog(
    files: Iterable[tuple[str, bytes]], *, known_organisations: Iterable[str] = ()
) -> tuple[Catalog, list[Problem]]:
    """Parse and validate every file; return the catalogue and all problems (empty when valid).

    ``known_organisations`` are ids already stored, which definitions may name as awarding bodies.
    """
    catalog = Catalog()
    problems: list[Problem] = []
    for source, data in files:
        docs, file_problems = parse_file(source, data)
        problems.extend(file_problems)
        for index, doc in enumerate(docs):
            label = f"document {index + 1}: " if len(docs) > 1 else ""
            _add_document(catalog, problems, source, doc, label)
    known = set(known_organisations) | set(catalog.organisations)
    for def_id, definition in catalog.definitions.items():
        for i, body in enumerate(definition.awarding_bodies):
            if body not in known:
                problems.append(
                    Problem(
                        catalog.sources[f"micro-credential:{def_id}"],
                        f"awarding_bodies[{i}]",
                        f"no organisation '{body}' in the catalogue; add a file with kind: organisation",
                        "Awarding body(ies)",
                    )
                )
    return catalog, problems


def _add_document(catalog: Catalog, problems: list[Problem], source: str, doc: Any, label: str) -> None:
    if not isinstance(doc, Mapping):
        problems.append(Problem(source, label.rstrip(": "), "expected a mapping with 'kind' and the fields"))
        return
    body = dict(doc)
    kind = body.pop("kind", None)
    if kind in RECOGNITION_KINDS:
        _add_recognition(catalog, problems, source, doc, label)
        return
    model = KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        allowed = " or ".join(f"'{k}'" for k in (*KINDS, *RECOGNITION_KINDS))
        problems.append(Problem(source, f"{label}kind", f"say what this is: kind: {allowed} (got {kind!r})"))
        return
    state = body.pop("state", None) if kind in ("micro-credential", "pathway") else None
    if state is not None and state not in STATES:
        allowed = " or ".join(STATES)
        problems.append(Problem(source, f"{label}state", f"a {kind}'s state is {allowed} (got {state!r})"))
        return
    try:
        obj = model.model_validate(body)
    except ValidationError as exc:
        problems.extend(validation_problems(source, model, exc, label))
        return
    obj_id = str(getattr(obj, "id"))  # noqa: B009
    key = f"{kind}:{obj_id}"
    if key in catalog.sources:
        problems.append(Problem(source, f"{label}id", f"{kind} '{obj_id}' is also defined in {catalog.sources[key]}"))
        return
    catalog.sources[key] = source
    if isinstance(obj, Organisation):
        catalog.organisations[obj_id] = obj
    elif isinstance(obj, MicroCredentialDefinition):
        catalog.definitions[obj_id] = obj
        if state is not None:
            catalog.states[obj_id] = str(state)
    elif isinstance(obj, PathwayDefinition):
        catalog.pathways[obj_id] = obj
        if state is not None:
            catalog.pathway_states[obj_id] = str(state)


def _add_recognition(
    catalog: Catalog, problems: list[Problem], source: str, doc: Mapping[str, Any], label: str
) -> None:
    """A course or recognition rules, read with the rule engine's loaders (imported here: they use this module)."""
    from cairn.model.recognition import load_course, load_recognition

    kind = doc.get("kind")
    state = doc.get("state")
    if state is not None and state not in STATES:
        allowed = " or ".join(STATES)
        problems.append(Problem(source, f"{label}state", f"a {kind}'s state is {allowed} (got {state!r})"))
        return
    loaded, found = load_course(doc, source=source) if kind == "course" else load_recognition(doc, source=source)
    if loaded is None:
        problems.extend(replace(p, path=f"{label}{p.path}") if label else p for p in found)
        return
    key = Catalog.key_of(loaded)
    if key in catalog.sources:
        message = f"{kind} '{loaded.id}' is also defined in {catalog.sources[key]}"
        problems.append(Problem(source, f"{label}id", message))
        return
    catalog.sources[key] = source
    (catalog.courses if kind == "course" else catalog.recognition)[loaded.id] = loaded
    if state is not None:
        catalog.recognition_states[key] = str(state)


# -- searching and filtering the published catalogue -------------------------------------------------------------

FILTERS: tuple[str, ...] = ("issuer", "field", "eqf", "ects", "language", "mode")
"""The catalogue's filters, in the order pages show them (``ects`` is a range: ``ects_min`` .. ``ects_max``)."""

MAX_QUERY_TEXT = 200
"""Longest search text, in characters."""
_MAX_WORDS = 10
_CODE = re.compile(r"^[a-z0-9-]{1,80}$")
_ISCED = re.compile(r"^\d{2,4}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True, slots=True)
class Facets:
    """What the catalogue's search and filters read of one definition."""

    slug: str
    issuers: tuple[str, ...]
    field: str | None
    eqf: int | None
    ects: float | None
    languages: tuple[str, ...]
    mode: str
    text: str
    """Titles, descriptions and learning outcomes in every language, folded to lower case."""


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def facets_of(definition: MicroCredentialDefinition) -> Facets:
    """The facets of ``definition`` (every language's text goes into the searchable text)."""
    texts = [*definition.title.values(), *(definition.description or {}).values()]
    for outcome in definition.learning_outcomes:
        texts.extend(outcome.text.values())
    return Facets(
        slug=definition.id,
        issuers=tuple(definition.awarding_bodies),
        field=definition.isced_f,
        eqf=definition.level.eqf,
        ects=definition.workload.ects,
        languages=tuple(tag.split("-")[0].lower() for tag in definition.languages),
        mode=definition.participation.mode,
        text=_fold("\n".join(texts)),
    )


@dataclass(frozen=True, slots=True)
class CatalogueQuery:
    """A search of the catalogue: words (all must appear) and filters; an empty part does not filter."""

    text: str = ""
    issuer: str = ""
    field: str = ""
    """An ISCED-F code, broad (``"06"``), narrow (``"061"``) or detailed (``"0613"``): a prefix of the field."""
    eqf: int | None = None
    ects_min: float | None = None
    ects_max: float | None = None
    language: str = ""
    mode: str = ""

    @property
    def words(self) -> tuple[str, ...]:
        """The search text's words, folded."""
        return tuple(_fold(self.text).split())[:_MAX_WORDS]

    @property
    def empty(self) -> bool:
        """True when nothing is searched or filtered."""
        return self == CatalogueQuery()


def _number(name: str, value: str, low: float, high: float) -> float | None:
    if not value:
        return None
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        number = float("nan")
    if not low <= number <= high:  # also refuses NaN and infinity
        raise InputError(
            "%(name)s must be a number from %(low)s to %(high)s", name=name, low=f"{low:g}", high=f"{high:g}"
        )
    return number


def parse_query(params: Mapping[str, str]) -> CatalogueQuery:
    """The query that page parameters ask for (``q``, ``issuer``, ``field``, ``eqf``, ``ects_min``, ``ects_max``,
    ``language``, ``mode``); InputError for a value no definition could have (so a typo is said, not hidden)."""

    def get(name: str, limit: int = 100) -> str:
        value = str(params.get(name) or "").strip()
        if len(value) > limit:
            raise InputError("%(name)s is longer than %(n)s characters", name=name, n=limit)
        return value

    text = get("q", MAX_QUERY_TEXT)
    issuer, field, language, mode = get("issuer"), get("field"), get("language").lower(), get("mode")
    if issuer and not _CODE.match(issuer):
        raise InputError("%(name)s is not an organisation's identifier", name="issuer")
    if field and not _ISCED.match(field):
        raise InputError("the field is an ISCED-F code of 2 to 4 digits")
    if language and not _LANGUAGE.match(language):
        raise InputError("the language is a two- or three-letter code such as en or pl")
    if mode and not _CODE.match(mode):
        raise InputError("%(name)s is not a form of participation", name="mode")
    eqf = _number("eqf", get("eqf"), 1, 8)
    if eqf is not None and not eqf.is_integer():
        raise InputError("%(name)s must be a number from %(low)s to %(high)s", name="eqf", low="1", high="8")
    ects_min, ects_max = _number("ects_min", get("ects_min"), 0, 120), _number("ects_max", get("ects_max"), 0, 120)
    return CatalogueQuery(
        text=text,
        issuer=issuer,
        field=field,
        eqf=int(eqf) if eqf is not None else None,
        ects_min=ects_min,
        ects_max=ects_max,
        language=language,
        mode=mode,
    )


def _checks(facets: Facets, query: CatalogueQuery) -> dict[str, bool]:
    """Whether ``facets`` satisfy each part of ``query`` (``text``: every word appears)."""
    return {
        "issuer": not query.issuer or query.issuer in facets.issuers,
        "field": not query.field or (facets.field or "").startswith(query.field),
        "eqf": query.eqf is None or facets.eqf == query.eqf,
        "ects": (query.ects_min is None or (facets.ects is not None and facets.ects >= query.ects_min))
        and (query.ects_max is None or (facets.ects is not None and facets.ects <= query.ects_max)),
        "language": not query.language or query.language in facets.languages,
        "mode": not query.mode or facets.mode == query.mode,
        "text": all(word in facets.text for word in query.words),
    }


def matches(facets: Facets, query: CatalogueQuery, *, ignoring: str = "") -> bool:
    """Whether ``facets`` satisfy every part of ``query`` (except the filter ``ignoring``, for its counts)."""
    return all(ok for name, ok in _checks(facets, query).items() if name != ignoring)


def _values(facets: Facets, name: str) -> Iterable[str]:
    if name == "issuer":
        return facets.issuers
    if name == "field":
        return (facets.field[:2],) if facets.field else ()
    if name == "eqf":
        return (str(facets.eqf),) if facets.eqf is not None else ()
    if name == "language":
        return facets.languages
    if name == "mode":
        return (facets.mode,)
    return ()


def facet_counts(all_facets: Iterable[Facets], query: CatalogueQuery) -> dict[str, Counter[str]]:
    """For each filter, how many definitions each of its values would find with the rest of ``query`` kept
    (fields counted by their broad ISCED-F code): what a page shows next to each choice."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in FILTERS if name != "ects"}
    for facets in all_facets:
        checks = _checks(facets, query)
        failed = [name for name, ok in checks.items() if not ok]
        if len(failed) > 1:
            continue  # whichever filter is left out, another still excludes it
        for name, counter in counts.items():
            if not failed or failed == [name]:
                counter.update(set(_values(facets, name)))
    return counts
