"""What the catalogue editor says: its sections in Annex I order, help for every element, and messages.

Pure data and small lookups; :mod:`cairn.web.catalog.editor_form` and the templates under ``editor/`` use them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cairn.model.definitions import ANNEX_I, Element

__all__ = ["SECTIONS", "Section", "friendly", "group_label", "section_of"]


def _element(number: int, start: str = "") -> Element:
    if number:
        return next(e for e in ANNEX_I if e.number == number)
    return next(e for e in ANNEX_I if not e.mandatory and e.name.startswith(start))


@dataclass(frozen=True, slots=True)
class Section:
    """A part of the form: the Annex I element it fills in (None for catalogue details), help, fields."""

    key: str
    element: Element | None
    help: str
    fields: tuple[str, ...] = ()
    heading: str = ""

    @property
    def title(self) -> str:
        """The heading: the element's number and exact name, or the section's own heading."""
        if self.element is None:
            return self.heading
        if self.element.number:
            return f"{self.element.number}. {self.element.name}"
        return self.element.name

    @property
    def given_on_award(self) -> bool:
        """True for the elements each award carries, not the description (learner, date of issuing)."""
        return self.element is not None and self.element.number in (1, 5)

    @property
    def derived(self) -> bool:
        """True for the element taken from the awarding bodies' records (country and region)."""
        return self.element is not None and self.element.number == 3


SECTIONS: tuple[Section, ...] = (
    Section(
        "sec-catalogue",
        None,
        "How the catalogue names this micro-credential. The identifier appears in addresses and in every "
        "credential awarded; it cannot be changed after the micro-credential is created.",
        ("id",),
        heading="Identifier in the catalogue",
    ),
    Section(
        "sec-learner",
        _element(1),
        "Who earned the micro-credential. It is not part of the description: each award names its learner "
        "(a name, and an email address or a DID).",
    ),
    Section(
        "sec-title",
        _element(2),
        "The name of the micro-credential as learners, employers and registries will read it. Give it in every "
        "language you offer the learning in. A short description is optional and appears under the title.",
        ("title", "description"),
    ),
    Section(
        "sec-country",
        _element(3),
        "Where the awarding bodies are established. Cairn takes it from each awarding body's record "
        "(country and, where given, region), so there is nothing to type here.",
    ),
    Section(
        "sec-awarding",
        _element(4),
        "The organisations that award the micro-credential and vouch for it. Your organisation is the first "
        "awarding body: it edits the description and signs the credentials. Name other organisations when "
        "you award the micro-credential jointly.",
        ("awarding_bodies",),
    ),
    Section(
        "sec-date",
        _element(5),
        "The date on which a learner is awarded the micro-credential. It is set on each award.",
    ),
    Section(
        "sec-outcomes",
        _element(6),
        "What a learner knows, understands and is able to do after the learning experience. Write one outcome "
        "per row, starting with a verb (for example “Cleans and reshapes data sets with pandas”). Align each "
        "outcome with ESCO skills, so that employers and registries can read it in any European language.",
        ("learning_outcomes",),
    ),
    Section(
        "sec-workload",
        _element(7),
        "The time an average learner needs to achieve the learning outcomes: in ECTS credits wherever possible "
        "(one credit is 25 to 30 hours of learning), in hours of learning, or both.",
        ("workload",),
    ),
    Section(
        "sec-level",
        _element(8),
        "The level of the learning experience in the European Qualifications Framework (EQF, levels 1 to 8), "
        "and where it applies the cycle of the European Higher Education Area (QF-EHEA) or the level in a "
        "national qualifications framework. When no level applies, for example to a short professional "
        "course, say so.",
        ("level",),
    ),
    Section(
        "sec-assessment",
        _element(9),
        "How the learning outcomes are assessed, for example a written test, a practical demonstration, "
        "a project, a portfolio or the validation of prior learning.",
        ("assessment",),
    ),
    Section(
        "sec-participation",
        _element(10),
        "How learners take part in the learning activity: online, on site or both (blended), and whether at "
        "set times (synchronous), at their own pace (asynchronous) or both.",
        ("participation",),
    ),
    Section(
        "sec-quality",
        _element(11),
        "The quality assurance that underpins the micro-credential: the provider's internal processes, an "
        "external review, the accreditation of the programme or the institution, a national register or "
        "certification against an industry standard.",
        ("quality_assurance",),
    ),
    Section(
        "sec-prerequisites",
        _element(0, "Prerequisites"),
        "What a learner needs before enrolling, for example prior learning, a qualification, experience or a "
        "language level. Leave it empty when anyone may enrol.",
        ("prerequisites",),
    ),
    Section(
        "sec-supervision",
        _element(0, "Supervision"),
        "Whether the assessment was supervised, and whether the learner's identity was checked during it.",
        ("supervision",),
    ),
    Section(
        "sec-grade",
        _element(0, "Grade"),
        "How results are graded: the scale or scheme. Each award may then carry the grade the learner achieved.",
        ("grading",),
    ),
    Section(
        "sec-integration",
        _element(0, "Integration"),
        "Whether this is a stand-alone credential, or integrated into and stackable towards a larger credential "
        "such as a degree or a certificate (name it).",
        ("integration",),
    ),
    Section(
        "sec-further",
        _element(0, "Further information"),
        "Anything else a learner, an employer or a registry should know, and a web page about the learning "
        "opportunity.",
        ("further_information", "url"),
    ),
    Section(
        "sec-details",
        None,
        "Not Annex I elements, but they help people and registries find the micro-credential.",
        ("languages", "isced_f"),
        heading="Other details for the catalogue",
    ),
)
"""The form's sections, in the order of Annex I (with catalogue details first and last)."""

_GROUPS = {
    "id": "Identifier in the catalogue",
    "description": "Short description",
    "url": "Further information (web page)",
    "languages": "Languages of instruction",
    "isced_f": "Field of education (ISCED-F)",
    "text_languages": "Languages of the texts",
    "form": "The form",
}


def section_of(field: str) -> Section | None:
    """The section that holds top-level field ``field``."""
    return next((s for s in SECTIONS if field in s.fields), None)


def group_label(key: str) -> str:
    """The name an error message starts with: the Annex I element of the field behind ``key``, exactly as the
    Recommendation names it, or what the field is when it carries no element."""
    top = key.split("-")[0]
    if top in _GROUPS:
        return _GROUPS[top]
    section = section_of(top)
    if section is None or section.element is None:
        return _GROUPS["form"]
    return section.element.name


_FRIENDLY: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("id", ("required",), "enter an identifier, for example data-analysis-python"),
    ("title", ("required",), "enter the title in at least one language"),
    ("learning_outcomes", ("at least 1 item", "required"), "write at least one learning outcome"),
    (
        r"learning_outcomes-\d+(-text)?",
        ("required",),
        "write the outcome in at least one language, or also remove its skills to drop the row",
    ),
    ("workload", ("give the workload", "required"), "give the workload in ECTS credits, in hours of learning, or both"),
    (
        "level",
        ("cannot also",),
        "either tick “No level applies” or give a level, not both",
    ),
    (
        "level",
        ("give eqf", "required"),
        "choose an EQF level, a QF-EHEA cycle or a national framework level, or tick “No level applies”",
    ),
    ("level-nqf-framework", ("required",), "give the country of the national framework, for example PL"),
    ("level-nqf-level", ("required",), "give the level in the national framework, a number from 1 to 10"),
    ("assessment(-types)?", ("at least 1 item", "required"), "choose at least one type of assessment"),
    ("participation(-mode)?", ("required",), "choose the form of participation"),
    ("quality_assurance(-types)?", ("at least 1 item", "required"), "choose at least one type of quality assurance"),
    ("integration", ("names what it stacks",), "name the credential it stacks towards, or choose “stand-alone”"),
    (
        "integration",
        ("has no 'towards'",),
        "choose “stackable”, or empty the credentials it stacks towards",
    ),
    (r"integration-towards-\d+(-title)?", ("required",), "give the title of the credential it stacks towards"),
    ("isced_f", ("pattern",), "enter a four-digit ISCED-F 2013 code, for example 0613"),
)


def friendly(key: str, message: str) -> str:
    """A message a person can act on for the model's ``message`` about field ``key`` (itself when plain)."""
    for pattern, markers, better in _FRIENDLY:
        if re.fullmatch(pattern, key) and any(m in message for m in markers):
            return better
    if message[:1].isupper() and message[1:2].islower():
        return message[0].lower() + message[1:]
    return message
