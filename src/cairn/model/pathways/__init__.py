"""Stackable pathways across issuers: the file format, the rule engine and the static checks.

Pure (no database, no clock of its own): ``from cairn.model.pathways import load_pathway, evaluate``.

- :mod:`.rules`: :class:`PathwayDefinition` and its rule tree, :func:`load_pathway`, :func:`content_hash`.
- :mod:`.engine`: :func:`evaluate` and :func:`evaluate_many` (which held credentials meet which leaf, each counted
  once, with words for every outcome).
- :mod:`.matching`: :func:`leaf_matches` (why one credential does or does not meet one leaf; also for a catalogue
  definition, to find what would close a gap), :class:`Held` (a wallet indexed once), :func:`group_key`.
- :mod:`.assign`: the assignment of credentials to leaves (maximum matching, then branch and bound).
- :mod:`.words`: what a leaf needs, in words (:func:`describe`).
- :mod:`.results`: :class:`Evaluation`, :class:`NodeResult`, :class:`Missing`, :class:`NotCounted`.
- :mod:`.checks`: :func:`check_pathway` (unknown definitions, cycles, rules that can never be met).

The facts read from a credential are :class:`cairn.formats.facts.Facts`.
"""

from cairn.model.pathways.checks import check_pathway
from cairn.model.pathways.engine import evaluate, evaluate_many
from cairn.model.pathways.matching import Held, group_key, leaf_matches
from cairn.model.pathways.results import Evaluation, Missing, NodeResult, NotCounted
from cairn.model.pathways.rules import (
    KIND,
    MAX_DEPTH,
    MAX_LEAVES,
    AccreditedFor,
    Component,
    Criteria,
    MinGrade,
    NOf,
    PathwayDefinition,
    Qualification,
    Rule,
    Totals,
    Window,
    content_hash,
    leaves,
    load_pathway,
    walk,
)
from cairn.model.pathways.words import describe

__all__ = [
    "KIND",
    "MAX_DEPTH",
    "MAX_LEAVES",
    "AccreditedFor",
    "Component",
    "Criteria",
    "Evaluation",
    "Held",
    "MinGrade",
    "Missing",
    "NOf",
    "NodeResult",
    "NotCounted",
    "PathwayDefinition",
    "Qualification",
    "Rule",
    "Totals",
    "Window",
    "check_pathway",
    "content_hash",
    "describe",
    "evaluate",
    "evaluate_many",
    "group_key",
    "leaf_matches",
    "leaves",
    "load_pathway",
    "walk",
]
