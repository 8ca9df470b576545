"""What evaluating a pathway against held credentials gives: a tree of results, what is missing, and words.

Every sentence is a :class:`cairn.phrases.Phrase` (English, said again in the reader's language by the pages).
The results are named tuples: immutable like frozen dataclasses, and made several times faster (a wallet page
evaluates a whole catalogue of pathways; results of untouched subtrees are shared between evaluations).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal, NamedTuple

from cairn.model.pathways.rules import Criteria, RuleKind
from cairn.phrases import Phrase

__all__ = ["Evaluation", "Missing", "NodeResult", "NotCounted"]


class NotCounted(NamedTuple):
    """A held credential that would have met a leaf but does not count for it, and why."""

    credential_id: str
    title: str
    reason: Phrase


class NodeResult(NamedTuple):
    """One node of the rule tree, evaluated."""

    kind: RuleKind
    path: str
    """Where the node is in the file: ``rules.all[1].n_of.of[0]``."""
    label: Mapping[str, str] | None
    """The node's label (a component's or criteria's title where the node has none), by language."""
    met: bool
    used: tuple[str, ...]
    """The credential ids counted in this subtree."""
    explanation: Phrase
    children: tuple[NodeResult, ...] = ()
    progress: float = 0.0
    """0..1: the share of this node's required leaves met (an ``any`` follows its most advanced branch)."""
    done: int = 0
    needed: int = 1
    """Leaves met and leaves required along the most advanced branches (``done <= needed``)."""
    not_counted: tuple[NotCounted, ...] = ()
    """Held credentials that would have met this leaf but do not count, each with why."""


class Missing(NamedTuple):
    """An unmet leaf: what it needs, in words and as data a catalogue search can use."""

    path: str
    kind: Literal["component", "criteria"]
    explanation: Phrase
    label: Mapping[str, str] | None = None
    definition: str = ""
    """The definition's slug of a component of this instance."""
    achievement: str = ""
    """The achievement id of a component of another issuer."""
    criteria: Criteria | None = None
    alternative: bool = False
    """True when the leaf is on a branch other than the most advanced one of an ``any`` or ``n_of`` (meeting it is
    one way among others)."""


Details = tuple[NodeResult, tuple[Missing, ...]]


class Evaluation:
    """A pathway evaluated against a holder's credentials.

    The figures and the summary are worked out at once; the result tree (:attr:`root`) and :attr:`missing` when
    first read, then kept: a wallet ranking a whole catalogue pays for the words of the pathways it shows only.
    Immutable."""

    __slots__ = (
        "_details",
        "_make",
        "ects_done",
        "ects_needed",
        "explanation",
        "hours_done",
        "hours_needed",
        "met",
        "pathway",
        "progress",
        "touched",
        "used",
    )

    pathway: str
    met: bool
    """The rules and the totals are met, each leaf by a different valid credential."""
    used: tuple[str, ...]
    """Every credential counted, once each."""
    progress: float
    """0..1, the share of the required leaves met (``n_of`` needs its ``n``; an ``any`` its best branch)."""
    ects_done: float
    ects_needed: float | None
    """The totals' ECTS, or None when the pathway sets none."""
    hours_done: float
    hours_needed: float | None
    explanation: Phrase
    touched: bool
    """False when no held credential (valid or not) relates to any leaf: nothing to show the holder."""
    _details: Details | None
    _make: Callable[[], Details] | None

    def __init__(
        self,
        *,
        pathway: str,
        met: bool,
        used: tuple[str, ...],
        progress: float,
        ects_done: float,
        ects_needed: float | None,
        hours_done: float,
        hours_needed: float | None,
        explanation: Phrase,
        details: Details | Callable[[], Details],
        touched: bool = True,
    ) -> None:
        """``details``: ``(root, missing)``, or a function that makes them (called once, when first asked)."""
        setattr_ = object.__setattr__
        setattr_(self, "pathway", pathway)
        setattr_(self, "met", met)
        setattr_(self, "used", used)
        setattr_(self, "progress", progress)
        setattr_(self, "ects_done", ects_done)
        setattr_(self, "ects_needed", ects_needed)
        setattr_(self, "hours_done", hours_done)
        setattr_(self, "hours_needed", hours_needed)
        setattr_(self, "explanation", explanation)
        setattr_(self, "touched", touched)
        setattr_(self, "_details", details if isinstance(details, tuple) else None)
        setattr_(self, "_make", None if isinstance(details, tuple) else details)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"an Evaluation cannot be changed ({name})")

    def _get(self) -> Details:
        details: Details | None = self._details
        if details is None:
            make = self._make
            assert make is not None
            details = make()
            object.__setattr__(self, "_details", details)
        return details

    @property
    def root(self) -> NodeResult:
        """The rule tree's results, each node with its words."""
        return self._get()[0]

    @property
    def missing(self) -> tuple[Missing, ...]:
        """The unmet leaves (those under a node already met are not missing), in the tree's order."""
        return self._get()[1]

    def __repr__(self) -> str:
        return (
            f"Evaluation(pathway={self.pathway!r}, met={self.met!r}, progress={self.progress:.2f}, used={self.used!r})"
        )
