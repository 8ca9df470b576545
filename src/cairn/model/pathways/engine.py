"""The rule engine: which held credentials meet which leaf of a pathway, each credential counted once.

(Signatures first; the implementation follows.)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cairn.formats.facts import Facts
from cairn.model.pathways.results import Evaluation
from cairn.model.pathways.rules import PathwayDefinition, Rule
from cairn.phrases import Phrase

__all__ = ["Held", "evaluate", "evaluate_many", "leaf_matches"]


class Held:
    """A holder's credentials indexed once (by definition, achievement, skill) for evaluating many pathways."""

    def __init__(self, held: Sequence[Facts], *, now: datetime) -> None:
        self.facts = tuple(held)
        self.now = now


def leaf_matches(leaf: Rule, facts: Facts, now: datetime, *, hypothetical: bool = False) -> Phrase | None:
    """None when ``facts`` meets the leaf (a component or criteria), else why not."""
    raise NotImplementedError


def evaluate(pathway: PathwayDefinition, held: Sequence[Facts] | Held, *, now: datetime) -> Evaluation:
    """Evaluate ``pathway`` against the held credentials."""
    raise NotImplementedError


def evaluate_many(pathways: Sequence[PathwayDefinition], held: Sequence[Facts], *, now: datetime) -> list[Evaluation]:
    """Evaluate every pathway against one holder's credentials (indexed once)."""
    raise NotImplementedError
