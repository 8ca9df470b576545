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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.events import AliasEvent, MappingEndEvent, MappingStartEvent, SequenceEndEvent, SequenceStartEvent
from yaml.nodes import MappingNode

from cairn.errors import Problem
from cairn.model.definitions import STATES, MicroCredentialDefinition, Organisation
from cairn.vc.values import nests_deeper_than

__all__ = [
    "KINDS",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "Catalog",
    "build_catalog",
    "parse_file",
    "validation_problems",
]

MAX_FILE_BYTES = 1_000_000
"""Largest catalogue file accepted, in bytes."""

MAX_DEPTH = 32
"""Deepest nesting of mappings and lists accepted in a catalogue document."""

KINDS: dict[str, type[BaseModel]] = {
    "organisation": Organisation,
    "micro-credential": MicroCredentialDefinition,
}
"""Document kinds and the model each is validated against."""


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
    model = KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        allowed = " or ".join(f"'{k}'" for k in KINDS)
        problems.append(Problem(source, f"{label}kind", f"say what this is: kind: {allowed} (got {kind!r})"))
        return
    state = body.pop("state", None) if kind == "micro-credential" else None
    if state is not None and state not in STATES:
        allowed = " or ".join(STATES)
        problems.append(Problem(source, f"{label}state", f"a micro-credential's state is {allowed} (got {state!r})"))
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
