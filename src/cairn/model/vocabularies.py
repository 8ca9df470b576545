"""Controlled vocabularies of the EU micro-credential elements, as codes with English and Polish labels.

Codes are what files, the database and credentials carry; labels are what people read. Each
vocabulary is a :class:`Vocabulary` so that validation, pages and exports share one list.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "ASSESSMENT_TYPES",
    "EQF_LEVELS",
    "ISCED_F_BROAD",
    "ORGANISATION_TYPES",
    "PARTICIPATION_FORMS",
    "QF_EHEA_CYCLES",
    "QUALITY_ASSURANCE_TYPES",
    "SCHEDULES",
    "STACKABILITY",
    "SUPERVISION",
    "Term",
    "Vocabulary",
]


@dataclass(frozen=True, slots=True)
class Term:
    """One entry of a vocabulary: a stable code and its labels by language tag."""

    code: str
    labels: dict[str, str]

    def label(self, lang: str = "en") -> str:
        """The label in ``lang``, falling back to English."""
        return self.labels.get(lang) or self.labels["en"]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """A named, ordered set of terms."""

    name: str
    terms: tuple[Term, ...]

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms)

    def codes(self) -> tuple[str, ...]:
        """Every code, in order."""
        return tuple(t.code for t in self.terms)

    def get(self, code: str) -> Term | None:
        """The term for ``code``, or None."""
        for term in self.terms:
            if term.code == code:
                return term
        return None

    def label(self, code: str, lang: str = "en") -> str:
        """The label of ``code`` in ``lang``; the code itself when unknown."""
        term = self.get(code)
        return term.label(lang) if term else code


def _vocab(name: str, *rows: tuple[str, str, str]) -> Vocabulary:
    return Vocabulary(name, tuple(Term(code, {"en": en, "pl": pl}) for code, en, pl in rows))


EQF_LEVELS = _vocab(
    "EQF level",
    *((str(n), f"EQF level {n}", f"Poziom {n} ERK") for n in range(1, 9)),
)
"""European Qualifications Framework levels 1-8 (codes "1" to "8")."""

QF_EHEA_CYCLES = _vocab(
    "QF-EHEA cycle",
    ("short", "Short cycle (within or linked to the first cycle)", "Studia krótkiego cyklu"),
    ("first", "First cycle (bachelor level)", "Pierwszy stopień (licencjat, inżynier)"),
    ("second", "Second cycle (master level)", "Drugi stopień (magister)"),
    ("third", "Third cycle (doctoral level)", "Trzeci stopień (doktorat)"),
)
"""Cycles of the Qualifications Framework of the European Higher Education Area."""

ASSESSMENT_TYPES = _vocab(
    "Type of assessment",
    ("written-exam", "Written examination", "Egzamin pisemny"),
    ("oral-exam", "Oral examination", "Egzamin ustny"),
    ("online-test", "Online test", "Test online"),
    ("practical-demonstration", "Practical demonstration", "Pokaz praktyczny"),
    ("project", "Project", "Projekt"),
    ("portfolio", "Portfolio", "Portfolio"),
    ("assignment", "Assignments", "Prace zaliczeniowe"),
    ("presentation", "Presentation", "Prezentacja"),
    ("peer-assessment", "Peer assessment", "Ocena koleżeńska"),
    ("workplace-observation", "Observation in the workplace", "Obserwacja w miejscu pracy"),
    ("recognition-of-prior-learning", "Validation of prior learning", "Walidacja wcześniejszego uczenia się"),
)
"""Types of assessment (Annex I element 9)."""

PARTICIPATION_FORMS = _vocab(
    "Form of participation",
    ("online", "Online", "Online"),
    ("onsite", "On site", "Stacjonarnie"),
    ("blended", "Blended (online and on site)", "Hybrydowo (online i stacjonarnie)"),
)
"""Forms of participation in the learning activity (Annex I element 10)."""

SCHEDULES = _vocab(
    "Schedule",
    ("synchronous", "Synchronous (scheduled sessions)", "Synchronicznie (zajęcia w ustalonych terminach)"),
    ("asynchronous", "Asynchronous (self-paced)", "Asynchronicznie (we własnym tempie)"),
    ("mixed", "Synchronous and asynchronous", "Synchronicznie i asynchronicznie"),
)
"""Whether learning happens at set times, at the learner's pace, or both."""

QUALITY_ASSURANCE_TYPES = _vocab(
    "Type of quality assurance",
    ("internal", "Internal quality assurance", "Wewnętrzne zapewnianie jakości"),
    ("external", "External quality assurance", "Zewnętrzne zapewnianie jakości"),
    (
        "programme-accreditation",
        "Programme accreditation by a recognised agency",
        "Akredytacja programu przez uznaną agencję",
    ),
    (
        "institutional-accreditation",
        "Institutional accreditation",
        "Akredytacja instytucjonalna",
    ),
    (
        "national-register",
        "Listed in a national qualifications register",
        "Wpis do krajowego rejestru kwalifikacji",
    ),
    (
        "industry-certification",
        "Certified against an industry or ISO standard",
        "Certyfikacja według normy branżowej lub ISO",
    ),
)
"""Types of quality assurance used (Annex I element 11)."""

SUPERVISION = _vocab(
    "Supervision and identity verification",
    (
        "unsupervised-no-id",
        "Unsupervised, with no identity verification",
        "Bez nadzoru i bez weryfikacji tożsamości",
    ),
    (
        "supervised-no-id",
        "Supervised, with no identity verification",
        "Pod nadzorem, bez weryfikacji tożsamości",
    ),
    (
        "supervised-with-id",
        "Supervised online or on site, with identity verification",
        "Pod nadzorem online lub stacjonarnie, z weryfikacją tożsamości",
    ),
)
"""Supervision and identity verification during assessment (Annex I optional element)."""

STACKABILITY = _vocab(
    "Integration and stackability",
    ("stand-alone", "Stand-alone credential", "Samodzielne poświadczenie"),
    (
        "stackable",
        "Integrated, stackable towards another credential",
        "Zintegrowane, łączy się w większe poświadczenie",
    ),
)
"""Integration and stackability options (Annex I optional element)."""

ORGANISATION_TYPES = _vocab(
    "Type of organisation",
    ("university", "University or higher education institution", "Uczelnia"),
    (
        "vet-provider",
        "Vocational education and training provider",
        "Szkoła lub ośrodek kształcenia zawodowego",
    ),
    ("employer", "Employer", "Pracodawca"),
    ("training-platform", "Training platform", "Platforma szkoleniowa"),
    ("public-body", "Public body", "Instytucja publiczna"),
)
"""Types of issuing organisation."""

ISCED_F_BROAD = _vocab(
    "ISCED-F 2013 broad field",
    ("00", "Generic programmes and qualifications", "Programy i kwalifikacje ogólne"),
    ("01", "Education", "Kształcenie"),
    ("02", "Arts and humanities", "Nauki humanistyczne i sztuka"),
    ("03", "Social sciences, journalism and information", "Nauki społeczne, dziennikarstwo i informacja"),
    ("04", "Business, administration and law", "Biznes, administracja i prawo"),
    ("05", "Natural sciences, mathematics and statistics", "Nauki przyrodnicze, matematyka i statystyka"),
    ("06", "Information and communication technologies", "Technologie informacyjno-komunikacyjne"),
    ("07", "Engineering, manufacturing and construction", "Technika, przemysł i budownictwo"),
    ("08", "Agriculture, forestry, fisheries and veterinary", "Rolnictwo, leśnictwo, rybactwo i weterynaria"),
    ("09", "Health and welfare", "Zdrowie i opieka społeczna"),
    ("10", "Services", "Usługi"),
)
"""The eleven broad fields of ISCED-F 2013 (the first two digits of a field code), for the catalogue's filter."""
