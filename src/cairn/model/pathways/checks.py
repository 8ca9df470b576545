"""Static checks of a pathway: unknown definitions, cycles through other pathways, rules never met.

(Signatures first; the implementation follows.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from cairn.errors import Problem
from cairn.formats.facts import Facts
from cairn.model.pathways.rules import PathwayDefinition

__all__ = ["check_pathway"]


def check_pathway(
    pathway: PathwayDefinition,
    *,
    known_definitions: Callable[[str], bool],
    pathways_by_target: Mapping[str, PathwayDefinition],
    definition_facts: Callable[[str], Facts | None] | None = None,
) -> list[Problem]:
    """Every problem found, each a :class:`cairn.errors.Problem` (source: the pathway's id; path: where in the
    rules; message: a Phrase)."""
    raise NotImplementedError
