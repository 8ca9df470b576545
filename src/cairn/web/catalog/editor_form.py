"""The catalogue editor's form: posted fields to a definition and back, and model errors to the fields.

Field names follow the model's paths with dots (``title.en``, ``learning_outcomes.0.text.pl``,
``level.nqf.level``); an element's HTML id is its name with dots turned into hyphens. Errors are keyed by
the id of the field (or group of fields) they belong to: ``learning_outcomes[2].text`` of the model becomes
``learning_outcomes-4-text`` when rows 0 to 3 of the form had one empty row among them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import langcodes
import pycountry
from babel import Locale
from pydantic import ValidationError

from cairn.model.catalog import validation_problems
from cairn.model.definitions import BADGE_COLOURS, BADGE_SHAPES, MicroCredentialDefinition
from cairn.web.catalog.editor_help import SECTIONS, friendly, group_label, section_of
from cairn.web.i18n import translate

__all__ = [
    "BASE_LANGUAGES",
    "MAX_OUTCOMES",
    "MAX_TARGETS",
    "MULTILINGUAL",
    "Draft",
    "FormState",
    "anchor",
    "badge_document",
    "form_from_definition",
    "known_keys",
    "language_name",
    "new_form",
    "read_form",
    "summary",
    "validate",
]

BASE_LANGUAGES = ("en", "pl")
"""Languages every text field offers."""
MAX_EXTRA_LANGUAGES = 24
MAX_OUTCOMES = 100
MAX_TARGETS = 20
NEW_OUTCOME_ROWS = 3
MULTILINGUAL = (
    "title",
    "description",
    "assessment.description",
    "participation.description",
    "quality_assurance.description",
    "prerequisites",
    "grading",
    "further_information",
)
"""Multilingual fields outside the repeated rows."""
_NAMES = {"en": "English", "pl": "Polski"}
_SPLIT = re.compile(r"[\s,;]+")


def language_name(tag: str, reader: str = "en") -> str:
    """A readable name of a language tag in the reader's language (``Deutsch`` is not needed: ``German (de)``
    will do; a Polish reader reads ``Niemiecki (de)``)."""
    base = tag.split("-")[0]
    if reader != "en":
        named = Locale.parse(reader).languages.get(base) if reader.isalpha() else None
        if named:
            named = named[:1].upper() + named[1:]
            return named if tag in _NAMES else f"{named} ({tag})"
    if tag in _NAMES:
        return _NAMES[tag]
    found = pycountry.languages.get(alpha_2=base) if len(base) == 2 else pycountry.languages.get(alpha_3=base)
    return f"{found.name} ({tag})" if found else tag


def _id(name: str) -> str:
    return name.replace(".", "-")


@dataclass
class FormState:
    """What the form shows: posted (or stored) values by field name, row counts and text languages."""

    data: dict[str, list[str]] = field(default_factory=dict)
    outcome_rows: int = NEW_OUTCOME_ROWS
    target_rows: int = 1
    extra_languages: tuple[str, ...] = ()

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages each text field has an input for."""
        return BASE_LANGUAGES + self.extra_languages

    def value(self, name: str) -> str:
        """The (first) value of ``name``, or an empty string."""
        values = self.data.get(name)
        return values[0] if values else ""

    def values(self, name: str) -> list[str]:
        """Every value of ``name`` (checkbox groups, skill lists)."""
        return list(self.data.get(name, ()))

    def has(self, name: str, value: str) -> bool:
        """True when ``value`` is among the values of ``name`` (a ticked box, a chosen radio button)."""
        return value in self.data.get(name, ())

    def set(self, name: str, values: Iterable[str]) -> None:
        """Replace the values of ``name``."""
        self.data[name] = list(values)

    def skills(self, row: int) -> list[str]:
        """The ESCO skill URIs of outcome ``row``, without repeats."""
        return list(dict.fromkeys(self.values(f"learning_outcomes.{row}.esco_skills")))

    def all_skills(self) -> list[str]:
        """Every skill URI in the form."""
        return [uri for row in range(self.outcome_rows) for uri in self.skills(row)]

    def text(self, name: str) -> dict[str, str]:
        """The non-empty texts of multilingual field ``name``, by language."""
        out = {}
        for tag in self.languages:
            value = self.value(f"{name}.{tag}").strip()
            if value:
                out[tag] = value
        return out


def new_form(organisation: str) -> FormState:
    """The empty form for a new micro-credential of ``organisation``."""
    return FormState({"integration.stackability": ["stand-alone"], "awarding_bodies": [organisation]})


def read_form(items: Iterable[tuple[str, str]], lang: str = "en") -> tuple[FormState, dict[str, str]]:
    """A form state from posted ``(name, value)`` pairs, and problems with the form's own controls (in
    ``lang``)."""
    data: dict[str, list[str]] = {}
    for name, value in items:
        data.setdefault(name, []).append(value)
    state = FormState(data)
    state.outcome_rows = _count(state.value("outcome_rows"), NEW_OUTCOME_ROWS, MAX_OUTCOMES)
    state.target_rows = _count(state.value("target_rows"), 1, MAX_TARGETS)
    errors: dict[str, str] = {}
    extras: list[str] = []
    for tag in _SPLIT.split(state.value("text_languages")):
        if not tag or tag in BASE_LANGUAGES or tag in extras:
            continue
        if len(tag) > 35 or not langcodes.tag_is_valid(tag):
            message = "“%(tag)s” is not a language tag; use tags such as de, uk or pt-BR"
            errors["text_languages"] = translate(lang, message, tag=tag[:40])
        elif len(extras) < MAX_EXTRA_LANGUAGES:
            extras.append(tag)
    state.extra_languages = tuple(extras)
    return state, errors


def _count(raw: str, default: int, most: int) -> int:
    return min(max(int(raw), 1), most) if raw.isdigit() and len(raw) < 5 else default


def _put_text(data: dict[str, list[str]], name: str, text: Mapping[str, str] | None, extras: list[str]) -> None:
    for tag, value in (text or {}).items():
        data[f"{name}.{tag}"] = [value]
        if tag not in BASE_LANGUAGES and tag not in extras:
            extras.append(tag)


def form_from_definition(definition: MicroCredentialDefinition) -> FormState:
    """The form filled in with a stored definition (one empty outcome row to add another)."""
    d = definition
    extras: list[str] = []
    data: dict[str, list[str]] = {"id": [d.id], "awarding_bodies": list(d.awarding_bodies)}
    for name in MULTILINGUAL:
        top, _, sub = name.partition(".")
        value = getattr(getattr(d, top), sub) if sub else getattr(d, top)
        _put_text(data, name, value, extras)
    for i, outcome in enumerate(d.learning_outcomes):
        _put_text(data, f"learning_outcomes.{i}.text", outcome.text, extras)
        data[f"learning_outcomes.{i}.esco_skills"] = list(outcome.esco_skills)
    if d.workload.ects is not None:
        data["workload.ects"] = [f"{d.workload.ects:g}"]
    if d.workload.hours is not None:
        data["workload.hours"] = [str(d.workload.hours)]
    level = d.level
    plain = {
        "level.eqf": str(level.eqf) if level.eqf is not None else None,
        "level.qf_ehea": level.qf_ehea,
        "level.nqf.framework": level.nqf.framework if level.nqf else None,
        "level.nqf.level": str(level.nqf.level) if level.nqf else None,
        "level.not_applicable": "yes" if level.not_applicable else None,
        "participation.mode": d.participation.mode,
        "participation.schedule": d.participation.schedule,
        "quality_assurance.body": d.quality_assurance.body,
        "quality_assurance.url": d.quality_assurance.url,
        "supervision": d.supervision,
        "integration.stackability": d.integration.stackability,
        "url": d.url,
        "languages": ", ".join(d.languages) or None,
        "isced_f": d.isced_f,
        "validity_months": str(d.validity_months) if d.validity_months else None,
    }
    data.update({name: [value] for name, value in plain.items() if value is not None})
    data["assessment.types"] = list(d.assessment.types)
    data["quality_assurance.types"] = list(d.quality_assurance.types)
    for i, target in enumerate(d.integration.towards):
        _put_text(data, f"integration.towards.{i}.title", target.title, extras)
        if target.identifier:
            data[f"integration.towards.{i}.identifier"] = [target.identifier]
        if target.url:
            data[f"integration.towards.{i}.url"] = [target.url]
    if d.badge is not None:
        data["badge.kind"] = ["uploaded" if d.badge.image else "generated"]
        for key in ("colour", "shape", "image"):
            if value := getattr(d.badge, key):
                data[f"badge.{key}"] = [value]
    return FormState(
        data,
        outcome_rows=max(NEW_OUTCOME_ROWS, len(d.learning_outcomes) + 1),
        target_rows=max(1, len(d.integration.towards)),
        extra_languages=tuple(extras[:MAX_EXTRA_LANGUAGES]),
    )


def badge_document(state: FormState) -> dict[str, str]:
    """The ``badge`` the form chose: the uploaded image (``badge.kind`` uploaded), else a colour and shape (each
    only when it is one of the lists); empty when nothing was chosen (Cairn picks a design)."""
    image = state.value("badge.image").strip().lower()
    if state.value("badge.kind") == "uploaded" and re.fullmatch(r"[0-9a-f]{64}", image):
        return {"image": image}
    chosen = {"colour": state.value("badge.colour"), "shape": state.value("badge.shape")}
    allowed = {"colour": BADGE_COLOURS, "shape": BADGE_SHAPES}
    return {key: value for key, value in chosen.items() if value in allowed[key]}


@dataclass
class Draft:
    """The document a form makes, which form row each model item came from, and number problems."""

    document: dict[str, Any]
    outcome_rows: list[int]
    target_rows: list[int]
    errors: dict[str, str]


def _number(state: FormState, name: str, errors: dict[str, str], *, whole: bool, lang: str) -> float | int | None:
    raw = state.value(name).strip().replace(",", ".")
    if not raw:
        return None
    try:
        return int(raw) if whole else float(raw)
    except ValueError:
        example = "enter a whole number, for example 125" if whole else "enter a number, for example 5 or 2.5"
        errors[_id(name)] = translate(lang, example)
        return None


def _draft(state: FormState, organisation: str, definition_id: str, lang: str) -> Draft:
    errors: dict[str, str] = {}
    doc: dict[str, Any] = {"id": definition_id} if definition_id else {}
    for name in ("title", "description", "prerequisites", "grading", "further_information"):
        if text := state.text(name):
            doc[name] = text
    co = [b for b in state.values("awarding_bodies") if b and b != organisation]
    doc["awarding_bodies"] = [organisation, *dict.fromkeys(co)]
    outcomes, outcome_rows = [], []
    for row in range(state.outcome_rows):
        text, skills = state.text(f"learning_outcomes.{row}.text"), state.skills(row)
        if text or skills:
            outcomes.append({"text": text, "esco_skills": skills} if text else {"esco_skills": skills})
            outcome_rows.append(row)
    doc["learning_outcomes"] = outcomes
    workload = {
        "ects": _number(state, "workload.ects", errors, whole=False, lang=lang),
        "hours": _number(state, "workload.hours", errors, whole=True, lang=lang),
    }
    doc["workload"] = {k: v for k, v in workload.items() if v is not None}
    level: dict[str, Any] = {}
    if (eqf := _number(state, "level.eqf", errors, whole=True, lang=lang)) is not None:
        level["eqf"] = eqf
    if qf_ehea := state.value("level.qf_ehea"):
        level["qf_ehea"] = qf_ehea
    framework = state.value("level.nqf.framework").strip().upper()
    nqf_level = _number(state, "level.nqf.level", errors, whole=True, lang=lang)
    if framework or nqf_level is not None:
        level["nqf"] = {k: v for k, v in (("framework", framework), ("level", nqf_level)) if v}
    if state.value("level.not_applicable"):
        level["not_applicable"] = True
    doc["level"] = level
    doc["assessment"] = {"types": state.values("assessment.types")}
    participation = {"mode": state.value("participation.mode"), "schedule": state.value("participation.schedule")}
    doc["participation"] = {k: v for k, v in participation.items() if v}
    doc["quality_assurance"] = {"types": state.values("quality_assurance.types")}
    for key in ("body", "url"):
        if value := state.value(f"quality_assurance.{key}").strip():
            doc["quality_assurance"][key] = value
    for part in ("assessment", "participation", "quality_assurance"):
        if text := state.text(f"{part}.description"):
            doc[part]["description"] = text
    if supervision := state.value("supervision"):
        doc["supervision"] = supervision
    integration: dict[str, Any] = {"stackability": state.value("integration.stackability") or "stand-alone"}
    towards, target_rows = [], []
    for row in range(state.target_rows):
        prefix = f"integration.towards.{row}"
        target: dict[str, Any] = {"title": state.text(f"{prefix}.title")}
        for key in ("identifier", "url"):
            if value := state.value(f"{prefix}.{key}").strip():
                target[key] = value
        if any(target.values()):
            towards.append({k: v for k, v in target.items() if v})
            target_rows.append(row)
    if towards:
        integration["towards"] = towards
    doc["integration"] = integration
    if url := state.value("url").strip():
        doc["url"] = url
    if languages := [tag for tag in _SPLIT.split(state.value("languages")) if tag]:
        doc["languages"] = languages
    if isced := state.value("isced_f").strip():
        doc["isced_f"] = isced
    if badge := badge_document(state):
        doc["badge"] = badge
    if (months := _number(state, "validity_months", errors, whole=True, lang=lang)) is not None:
        doc["validity_months"] = months
    return Draft(doc, outcome_rows, target_rows, errors)


_SEGMENT = re.compile(r"\[(\d+)\]|\.?([^.\[]+)")


def _key(path: str, draft: Draft) -> str:
    """The form key of a model path, with row indexes turned back into the form's rows."""
    parts: list[str] = [m.group(1) or m.group(2) for m in _SEGMENT.finditer(path)]
    for i, part in enumerate(parts):
        if not part.isdigit() or i == 0:
            continue
        rows = {"learning_outcomes": draft.outcome_rows, "towards": draft.target_rows}.get(parts[i - 1])
        if rows is not None and int(part) < len(rows):
            parts[i] = str(rows[int(part)])
    return "-".join(parts)


def known_keys(state: FormState) -> set[str]:
    """Every key the form shows errors at."""
    keys = {
        "id", "title", "description", "awarding_bodies", "learning_outcomes", "workload", "workload-ects",
        "workload-hours", "level", "level-eqf", "level-qf_ehea", "level-nqf", "level-nqf-framework",
        "level-nqf-level", "level-not_applicable", "assessment-types", "assessment-description",
        "participation-mode", "participation-schedule", "participation-description", "quality_assurance-types",
        "quality_assurance-body", "quality_assurance-url", "quality_assurance-description", "prerequisites",
        "supervision", "grading", "integration", "integration-stackability", "further_information", "url",
        "languages", "isced_f", "text_languages", "validity_months",
    }  # fmt: skip
    for row in range(state.outcome_rows):
        keys.update({f"learning_outcomes-{row}-text", f"learning_outcomes-{row}-esco_skills"})
    for row in range(state.target_rows):
        keys.update(f"integration-towards-{row}-{part}" for part in ("title", "identifier", "url"))
    return keys


def _known(key: str, keys: set[str]) -> str:
    """``key``, or the nearest enclosing key the form shows errors at."""
    parts = key.split("-")
    while parts:
        candidate = "-".join(parts)
        if candidate in keys:
            return candidate
        if candidate.startswith("learning_outcomes-") and len(parts) == 2:
            return f"{candidate}-text"
        if candidate.startswith("integration-towards-") and len(parts) == 3:
            return f"{candidate}-title"
        parts.pop()
    return "form"


def validate(
    state: FormState, *, organisation: str, definition_id: str, lang: str = "en"
) -> tuple[MicroCredentialDefinition | None, dict[str, str]]:
    """The definition the form describes, or None and every problem keyed by field, named by its element (in
    ``lang``; a model message without a friendlier one stays as the model says it)."""
    draft = _draft(state, organisation, definition_id, lang)
    keys = known_keys(state)
    errors = {key: f"{translate(lang, group_label(key))}: {message}" for key, message in draft.errors.items()}
    try:
        definition = MicroCredentialDefinition.model_validate(draft.document)
    except ValidationError as exc:
        for problem in validation_problems("form", MicroCredentialDefinition, exc):
            key = _known(_key(problem.path, draft), keys)
            if key in errors or any(k.startswith(f"{key}-") for k in draft.errors):
                continue  # a field's own problem, or a number that could not be read, says it first
            errors[key] = f"{translate(lang, group_label(key))}: {translate(lang, friendly(key, problem.message))}"
        return None, errors
    return (None, errors) if errors else (definition, {})


_ANCHORS = {
    "learning_outcomes": "learning_outcomes-0-text-{lang}",
    "workload": "workload-ects",
    "level": "level-eqf",
    "level-nqf": "level-nqf-framework",
    "assessment-types": "assessment-types-0",
    "participation-mode": "participation-mode-0",
    "participation-schedule": "participation-schedule-0",
    "quality_assurance-types": "quality_assurance-types-0",
    "supervision": "supervision-0",
    "integration": "integration-stackability-0",
    "integration-stackability": "integration-stackability-0",
    "form": "definition-form",
}
_ROW_TEXT = re.compile(r"(learning_outcomes-\d+-text|integration-towards-\d+-title)")
_ROW_SKILLS = re.compile(r"learning_outcomes-(\d+)-esco_skills")


def anchor(key: str, state: FormState) -> str:
    """The id of the first control of field ``key``: where an error summary's link takes the reader."""
    lang = state.languages[0]
    if key in _ANCHORS:
        return _ANCHORS[key].format(lang=lang)
    if key in {_id(name) for name in MULTILINGUAL} or _ROW_TEXT.fullmatch(key):
        return f"{key}-{lang}"
    if found := _ROW_SKILLS.fullmatch(key):
        return f"skill_query-{found.group(1)}"
    return key


def summary(errors: Mapping[str, str], state: FormState) -> list[tuple[str, str]]:
    """The errors as ``(anchor, message)`` in the order of the form."""

    def position(key: str) -> tuple[int, list[int | str]]:
        section = section_of(key.split("-")[0])
        rank = SECTIONS.index(section) if section else -1
        return rank, [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", key)]

    return [(anchor(key, state), errors[key]) for key in sorted(errors, key=position)]
