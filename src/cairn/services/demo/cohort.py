"""A demo cohort: enough awards for the demo's analytics dashboards to show figures.

Awarded through the same bulk path an issuer's file takes (:class:`~cairn.services.issuing.bulk.BulkAwardService`),
to invented learners at ``demo.example.org`` (a domain reserved for examples: no email reaches anyone), over six
of the demo catalogue's definitions. The groups are sized so that most figures are about at least ten people and
one is not: the dashboards then show both a figure and a withheld cell. Idempotent: awarding the same file again
adds nothing.
"""

from __future__ import annotations

from typing import Final

from cairn.errors import NotFoundError
from cairn.services.issuing.bulk import BulkAwardService

__all__ = ["COHORT", "seed_demo_cohort"]

COHORT: Final = (
    ("um-python-data-analysis", 0, 26),
    ("um-sql-databases", 10, 22),
    ("sb-cloud-applications", 25, 16),
    ("zsz7-photovoltaic-installer", 40, 14),
    ("bea-wind-turbine-safety", 52, 12),
    ("um-digital-accessibility", 60, 4),
)
"""(definition, first learner number, how many learners): the ranges overlap, so some learners hold several."""


_FIRST_NAMES: Final = ("Anna", "Piotr", "Zofia", "Tomasz", "Magdalena", "Paweł", "Agnieszka", "Michał", "Joanna",
                        "Krzysztof", "Ewa", "Jakub")  # fmt: skip
_SURNAMES: Final = ("Nowak", "Wójcik", "Kowalczyk", "Woźniak", "Mazur", "Krawczyk", "Kaczmarek", "Zając", "Król",
                    "Wieczorek", "Wróbel", "Dudek")  # fmt: skip


def _name(number: int) -> str:
    """An invented name (the demo's pages are Polish and English; a name is a name in both)."""
    return f"{_FIRST_NAMES[number % 12]} {_SURNAMES[(number // 12) % 12]}"


def _file(first: int, count: int) -> bytes:
    lines = ["email,name"] + [f"learner{n:03d}@demo.example.org,{_name(n)}" for n in range(first, first + count)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def seed_demo_cohort(bulk: BulkAwardService) -> int:
    """Award the cohort (definitions missing from the catalogue are left out); how many awards it made now."""
    made = 0
    for definition, first, count in COHORT:
        try:
            report = bulk.run(_file(first, count), definition=definition, actor="demo", filename=f"{definition}.csv")
        except NotFoundError:
            continue
        made += report.created if report.resumed_from < report.rows else 0  # a finished file: nothing new
    return made
