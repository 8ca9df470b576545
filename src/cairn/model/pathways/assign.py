"""Which credential goes to which leaf: the rule tree flattened, and the assignment searched.

Each leaf is met by one credential group (a credential and its duplicates, see
:func:`cairn.model.pathways.matching.group_key`), and one group meets one leaf at most. :func:`solve` starts from a
maximum matching of leaves to groups (every leaf that can be met at the same time as the others is); that is the
answer whenever it meets every leaf that has a candidate and the totals. Otherwise, when leaves compete for the same
groups, it searches the assignments (branch and bound) for the best, in this order: the rules and the totals met;
the rules met; the share of required leaves met; the totals' share; the number of leaves met. The search is exact
up to :data:`SEARCH_BUDGET` steps, far beyond any pathway a person writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from cairn.model.pathways.rules import Rule, RuleKind

__all__ = ["SEARCH_BUDGET", "Node", "Option", "Tree", "Value", "solve"]

SEARCH_BUDGET = 50_000
"""The most steps the search takes for one pathway; past it, the best assignment found so far is kept."""

Value = tuple[bool, int, int]
"""A node's ``(met, done, needed)``: whether it is met, and the leaves met and required along its most advanced
branches (an ``any`` follows its best child, an ``n_of`` its ``n`` best)."""


def _rank(value: Value) -> tuple[bool, float, int]:
    met, done, needed = value
    return met, done / needed, done - needed


@dataclass(slots=True)
class Node:
    """One node of the flattened tree."""

    kind: RuleKind
    path: str
    rule: Rule
    children: list[int]
    n: int = 0
    leaf: int = -1
    """The leaf's number, or -1 for ``all``, ``any``, ``n_of``."""


class Tree:
    """The rule tree flattened: nodes in depth-first order (the root first), leaves numbered in order."""

    def __init__(self, rules: Rule) -> None:
        self.nodes: list[Node] = []
        self.leaves: list[int] = []
        self.spans: list[tuple[int, int]] = []
        """Each node's leaves, numbered ``first`` to ``end - 1`` (a subtree's leaves are numbered in a row)."""
        self._add(rules, "rules")
        self.post = list(reversed(range(len(self.nodes))))  # children after their parent, so reversed: children first

    def _add(self, rule: Rule, path: str) -> int:
        index = len(self.nodes)
        first = len(self.leaves)
        if rule.component is not None or rule.criteria is not None:
            kind: RuleKind = "component" if rule.component is not None else "criteria"
            self.nodes.append(Node(kind, path, rule, [], 0, first))
            self.spans.append((first, first + 1))
            self.leaves.append(index)
            return index
        if rule.all is not None:
            kind, children, step, n = "all", rule.all, "all", 0
        elif rule.any is not None:
            kind, children, step, n = "any", rule.any, "any", 0
        else:
            assert rule.n_of is not None
            kind, children, step, n = "n_of", rule.n_of.of, "n_of.of", rule.n_of.n
        node = Node(kind, path, rule, [], n)
        self.nodes.append(node)
        self.spans.append((first, 0))
        node.children = [self._add(child, f"{path}.{step}[{i}]") for i, child in enumerate(children)]
        self.spans[index] = (first, len(self.leaves))
        return index

    def values(self, met: Sequence[bool]) -> list[Value]:
        """Every node's value when the leaves ``met`` are met."""
        out: list[Value] = [(False, 0, 1)] * len(self.nodes)
        nodes = self.nodes
        for index in self.post:
            node = nodes[index]
            if node.leaf >= 0:
                out[index] = (True, 1, 1) if met[node.leaf] else (False, 0, 1)
            else:
                out[index] = self.combine(index, [out[c] for c in node.children])
        return out

    def combine(self, index: int, children: Sequence[Value]) -> Value:
        """The value of node ``index`` (not a leaf) from its children's values, in order."""
        node = self.nodes[index]
        if node.kind == "all":
            return all(c[0] for c in children), sum(c[1] for c in children), sum(c[2] for c in children)
        if node.kind == "any":
            return max(children, key=_rank)
        chosen = sorted(children, key=_rank, reverse=True)[: node.n]
        return sum(c[0] for c in children) >= node.n, sum(c[1] for c in chosen), sum(c[2] for c in chosen)

    def followed(self, index: int, value: Callable[[int], Value]) -> list[int]:
        """The children an ``any`` or ``n_of`` node's value follows (its most advanced), every child of an ``all``;
        ``value(child)`` gives a child's value."""
        node = self.nodes[index]
        if node.kind == "all":
            return node.children
        want = 1 if node.kind == "any" else node.n
        return sorted(node.children, key=lambda c: _rank(value(c)), reverse=True)[:want]


class Option(NamedTuple):
    """A credential group that can meet a leaf, through credential ``fact`` (its index among the held)."""

    group: int
    fact: int
    ects: float
    hours: float


Objective = tuple[bool, bool, float, float, int]


def _matching(options: list[list[Option]]) -> list[Option | None]:
    """A maximum matching of leaves to groups (augmenting paths), each leaf trying its options in order."""
    owner: dict[int, int] = {}
    chosen: list[Option | None] = [None] * len(options)

    def augment(leaf: int, seen: set[int]) -> bool:
        for option in options[leaf]:
            if option.group in seen:
                continue
            seen.add(option.group)
            other = owner.get(option.group)
            if other is None or augment(other, seen):
                owner[option.group] = leaf
                chosen[leaf] = option
                return True
        return False

    for leaf, found in enumerate(options):
        if found:
            augment(leaf, set())
    return chosen


class _Search:
    def __init__(self, tree: Tree, options: list[list[Option]], ects: float | None, hours: float | None) -> None:
        self.tree, self.options, self.ects, self.hours = tree, options, ects, hours

    def objective(self, met: Sequence[bool], ects: float, hours: float) -> Objective:
        root_met, done, needed = self.tree.values(met)[0]
        share, totals_met = 0.0, True
        for have, need in ((ects, self.ects), (hours, self.hours)):
            if need is not None:
                share += min(have / need, 1.0)
                totals_met = totals_met and have >= need
        return root_met and totals_met, root_met, done / needed, share, sum(met)

    def value(self, chosen: Sequence[Option | None]) -> Objective:
        return self.objective(
            [c is not None for c in chosen],
            sum(c.ects for c in chosen if c is not None),
            sum(c.hours for c in chosen if c is not None),
        )

    def run(self, start: list[Option | None]) -> list[Option | None]:
        options = self.options
        best, best_value = start, self.value(start)
        ceiling = self.objective(
            [bool(o) for o in options],
            sum(max((o.ects for o in opts), default=0.0) for opts in options),
            sum(max((o.hours for o in opts), default=0.0) for opts in options),
        )
        if best_value >= ceiling:
            return best
        # Leaves whose every option is wanted by no other leaf take their richest; the others are searched.
        wanted: dict[int, int] = {}
        for found in options:
            for option in found:
                wanted[option.group] = wanted.get(option.group, 0) + 1
        chosen: list[Option | None] = [None] * len(options)
        order: list[int] = []
        for leaf, found in enumerate(options):
            if found and all(wanted[o.group] == 1 for o in found):
                chosen[leaf] = max(found, key=lambda o: (o.ects, o.hours))
            elif found:
                order.append(leaf)
        order.sort(key=lambda leaf: len(options[leaf]))
        used = {c.group for c in chosen if c is not None}
        steps = [SEARCH_BUDGET]
        top: list[tuple[list[Option | None], Objective]] = [(best, best_value)]

        def bound(k: int) -> Objective:
            met = [c is not None for c in chosen]
            ects = sum(c.ects for c in chosen if c is not None)
            hours = sum(c.hours for c in chosen if c is not None)
            for leaf in order[k:]:
                free = [o for o in options[leaf] if o.group not in used]
                if free:
                    met[leaf] = True
                    ects += max(o.ects for o in free)
                    hours += max(o.hours for o in free)
            return self.objective(met, ects, hours)

        def search(k: int) -> bool:
            """False once nothing better can be found (the ceiling reached, or the steps spent)."""
            steps[0] -= 1
            if steps[0] < 0:
                return False
            if k == len(order):
                value = self.value(chosen)
                if value > top[0][1]:
                    top[0] = (list(chosen), value)
                return value < ceiling
            if bound(k) <= top[0][1]:
                return True
            leaf = order[k]
            for option in options[leaf]:
                if option.group in used:
                    continue
                used.add(option.group)
                chosen[leaf] = option
                going = search(k + 1)
                used.discard(option.group)
                chosen[leaf] = None
                if not going:
                    return False
            return search(k + 1)

        search(0)
        return top[0][0]


def solve(tree: Tree, options: list[list[Option]], *, ects: float | None, hours: float | None) -> list[Option | None]:
    """The best assignment: for each leaf the option that meets it, or None (see the module's text). ``options``
    per leaf are tried in order (put the richest first when there are totals); ``ects``/``hours``: the totals."""
    start = _matching(options)
    if all(c is o[0] for c, o in zip(start, options, strict=True) if o) and all(
        c is not None for c, o in zip(start, options, strict=True) if o
    ):
        return start  # every leaf that can be met is, each by its richest option: nothing better exists
    met_everything = all((c is not None) == bool(o) for c, o in zip(start, options, strict=True))
    if met_everything:
        totals_met = (ects is None or sum(c.ects for c in start if c is not None) >= ects) and (
            hours is None or sum(c.hours for c in start if c is not None) >= hours
        )
        if totals_met:
            return start  # every leaf that can be met is, and the totals: nothing better exists
    return _Search(tree, options, ects, hours).run(start)
