"""The rule engine: which held credentials meet which leaf of a pathway, each credential counted once.

Each leaf (a component or criteria) is met by one credential, and one credential meets one leaf at most; two
credentials of the same definition or achievement are one (:func:`cairn.model.pathways.matching.group_key`). Which
credential goes to which leaf is an assignment: :func:`evaluate` starts from a maximum matching (every leaf that can
be met at once is), and when that leaves the tree or the totals unmet while some leaves compete for the same
credentials, searches the assignments (branch and bound) for the best one, in this order: the rules and totals
met; the rules met; the share of required leaves met; the totals' share; the number of leaves met. The search is
exact up to :data:`SEARCH_BUDGET` steps, far beyond any pathway a person writes.

``all`` is met when every child is, ``any`` when one is, ``n_of`` when ``n`` are. Progress follows the most advanced
branch of an ``any`` and the ``n`` most advanced children of an ``n_of``: "3 of 4 parts" counts the parts on the
way the holder is going.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cairn.formats.facts import Facts
from cairn.model.pathways.matching import Held, describe, leaf_matches, name_of, number
from cairn.model.pathways.results import Evaluation, Missing, NodeResult, NotCounted
from cairn.model.pathways.rules import PathwayDefinition, Rule, RuleKind
from cairn.phrases import Phrase

__all__ = ["SEARCH_BUDGET", "Held", "evaluate", "evaluate_many", "leaf_matches"]

SEARCH_BUDGET = 50_000
"""The most assignments the search tries for one pathway; past it, the best found so far is kept."""
_SHOWN = 3
"""Credentials named per leaf as "not counted"."""


@dataclass(slots=True)
class _Node:
    kind: RuleKind
    path: str
    rule: Rule
    children: list[int]
    n: int = 0
    leaf: int = -1


@dataclass(slots=True)
class _Value:
    met: bool
    done: int
    needed: int

    @property
    def progress(self) -> float:
        return self.done / self.needed if self.needed else 1.0

    @property
    def rank(self) -> tuple[bool, float, int]:
        return self.met, self.progress, self.done - self.needed


class _Tree:
    """The rule tree flattened: nodes in depth-first order (the root first), leaves numbered."""

    def __init__(self, rules: Rule) -> None:
        self.nodes: list[_Node] = []
        self.leaves: list[int] = []
        self._add(rules, "rules")
        self.post = list(reversed(range(len(self.nodes))))  # children come after their parent

    def _add(self, rule: Rule, path: str) -> int:
        index = len(self.nodes)
        kind = rule.kind
        node = _Node(kind, path, rule, [], rule.n_of.n if rule.n_of is not None else 0)
        self.nodes.append(node)
        if rule.is_leaf:
            node.leaf = len(self.leaves)
            self.leaves.append(index)
        else:
            step = "n_of.of" if kind == "n_of" else kind
            node.children = [self._add(child, f"{path}.{step}[{i}]") for i, child in enumerate(rule.children)]
        return index

    def values(self, met: Sequence[bool]) -> list[_Value]:
        """Every node's value when the leaves ``met`` are met."""
        out: list[_Value] = [_Value(False, 0, 1)] * len(self.nodes)
        for index in self.post:
            node = self.nodes[index]
            if node.leaf >= 0:
                out[index] = _Value(met[node.leaf], int(met[node.leaf]), 1)
                continue
            children = [out[c] for c in node.children]
            if node.kind == "all":
                out[index] = _Value(
                    all(c.met for c in children), sum(c.done for c in children), sum(c.needed for c in children)
                )
            else:
                want = 1 if node.kind == "any" else node.n
                best = sorted(children, key=lambda c: c.rank, reverse=True)[:want]
                out[index] = _Value(
                    sum(c.met for c in children) >= want, sum(c.done for c in best), sum(c.needed for c in best)
                )
        return out

    def chosen(self, index: int, values: Sequence[_Value]) -> set[int]:
        """The children of an ``any`` or ``n_of`` node that its value follows (the most advanced)."""
        node = self.nodes[index]
        want = 1 if node.kind == "any" else node.n
        ranked = sorted(node.children, key=lambda c: values[c].rank, reverse=True)
        return set(ranked[:want])


@dataclass(slots=True)
class _Option:
    group: int
    fact: int
    ects: float
    hours: float


Objective = tuple[bool, bool, float, float, int]


class _Problem:
    """Assigning credential groups to leaves."""

    def __init__(self, tree: _Tree, options: list[list[_Option]], pathway: PathwayDefinition) -> None:
        self.tree = tree
        self.options = options
        totals = pathway.totals
        self.ects = totals.ects_at_least if totals else None
        self.hours = totals.hours_at_least if totals else None

    def objective(self, met: Sequence[bool], ects: float, hours: float) -> Objective:
        root = self.tree.values(met)[0]
        share, totals_met = 0.0, True
        for done, needed in ((ects, self.ects), (hours, self.hours)):
            if needed is not None:
                share += min(done / needed, 1.0)
                totals_met = totals_met and done >= needed
        return root.met and totals_met, root.met, root.progress, share, sum(met)

    def value(self, chosen: Sequence[_Option | None]) -> Objective:
        met = [c is not None for c in chosen]
        ects = sum(c.ects for c in chosen if c is not None)
        hours = sum(c.hours for c in chosen if c is not None)
        return self.objective(met, ects, hours)

    def matching(self) -> list[_Option | None]:
        """A maximum matching of leaves to groups (augmenting paths), richer options first."""
        owner: dict[int, int] = {}
        chosen: list[_Option | None] = [None] * len(self.options)

        def augment(leaf: int, seen: set[int]) -> bool:
            for option in self.options[leaf]:
                if option.group in seen:
                    continue
                seen.add(option.group)
                other = owner.get(option.group)
                if other is None or augment(other, seen):
                    owner[option.group] = leaf
                    chosen[leaf] = option
                    return True
            return False

        for leaf, options in enumerate(self.options):
            if options:
                augment(leaf, set())
        return chosen

    def solve(self) -> list[_Option | None]:
        best = self.matching()
        best_value = self.value(best)
        reachable = [bool(o) for o in self.options]
        most = [max((o.ects for o in opts), default=0.0) for opts in self.options]
        most_hours = [max((o.hours for o in opts), default=0.0) for opts in self.options]
        ceiling = self.objective(reachable, sum(most), sum(most_hours))
        if best_value >= ceiling:
            return best
        # Only leaves that compete for a group need searching; the others take their richest option.
        wanted: dict[int, int] = {}
        for options in self.options:
            for option in options:
                wanted[option.group] = wanted.get(option.group, 0) + 1
        chosen: list[_Option | None] = [None] * len(self.options)
        order: list[int] = []
        for leaf, options in enumerate(self.options):
            if options and all(wanted[o.group] == 1 for o in options):
                chosen[leaf] = options[0]
            elif options:
                order.append(leaf)
        order.sort(key=lambda leaf: len(self.options[leaf]))
        used = {c.group for c in chosen if c is not None}
        budget = [SEARCH_BUDGET]
        found: list[list[_Option | None]] = [best]
        found_value: list[Objective] = [best_value]

        def bound(k: int) -> Objective:
            met = [c is not None for c in chosen]
            ects = sum(c.ects for c in chosen if c is not None)
            hours = sum(c.hours for c in chosen if c is not None)
            for leaf in order[k:]:
                free = [o for o in self.options[leaf] if o.group not in used]
                if free:
                    met[leaf] = True
                    ects += max(o.ects for o in free)
                    hours += max(o.hours for o in free)
            return self.objective(met, ects, hours)

        def search(k: int) -> bool:
            """False once nothing better can be found (the ceiling reached, or the budget spent)."""
            budget[0] -= 1
            if budget[0] < 0:
                return False
            if k == len(order):
                value = self.value(chosen)
                if value > found_value[0]:
                    found[0], found_value[0] = list(chosen), value
                return value < ceiling
            if bound(k) <= found_value[0]:
                return True
            leaf = order[k]
            for option in self.options[leaf]:
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
        return found[0]


def _options(
    tree: _Tree, held: Held, pathway: PathwayDefinition
) -> tuple[list[list[_Option]], list[list[int]], list[list[int]]]:
    """Each leaf's options (one per credential group, its first fitting credential; richest first when there are
    totals), every credential that fits it, and those that would have fitted but may not count (the "near")."""
    options: list[list[_Option]] = []
    fitting: list[list[int]] = []
    near: list[list[int]] = []
    facts, group = held.facts, held.group
    for index in tree.leaves:
        candidates, close = held.related(tree.nodes[index].rule)
        seen: dict[int, _Option] = {}
        for i in candidates:
            if group[i] not in seen:
                f = facts[i]
                seen[group[i]] = _Option(group[i], i, f.ects or 0.0, f.hours or 0.0)
        found = list(seen.values())
        if pathway.totals is not None:
            found.sort(key=lambda o: (o.ects, o.hours), reverse=True)
        options.append(found)
        fitting.append(candidates)
        near.append(close)
    return options, fitting, near


def _name(rule: Rule) -> Phrase:
    """A leaf's label or title, else what it needs in words."""
    title = rule.label or (rule.component.title if rule.component else rule.criteria.title if rule.criteria else None)
    return Phrase("%(name)s", name=name_of(rule)) if title else describe(rule)


def _title(facts: Facts) -> str:
    return facts.title or facts.achievement_id or facts.credential_id


def _met_by(facts: Facts) -> Phrase:
    if facts.issuer_name:
        return Phrase("met by %(title)s from %(issuer)s", title=_title(facts), issuer=facts.issuer_name)
    return Phrase("met by %(title)s", title=_title(facts))


def _parts(count: int) -> Phrase:
    return Phrase("%(count)s part", count=str(count)) if count == 1 else Phrase("%(count)s parts", count=str(count))


_MISSING, _ALTERNATIVE, _NONE = 0, 1, 2
"""How an unmet leaf is listed in :attr:`Evaluation.missing`: needed, one way among others, or not at all (it is
under a node already met)."""


class _Report:
    """Builds the result tree, the missing leaves and the words from a chosen assignment."""

    def __init__(
        self, tree: _Tree, held: Held, chosen: list[_Option | None], fitting: list[list[int]], near: list[list[int]]
    ) -> None:
        self.tree, self.held, self.chosen, self.fitting, self.near = tree, held, chosen, fitting, near
        self.values = tree.values([c is not None for c in chosen])
        self.owner = {c.group: leaf for leaf, c in enumerate(chosen) if c is not None}
        self.missing: list[Missing] = []

    def node(self, index: int, mode: int = _MISSING) -> NodeResult:
        node, value = self.tree.nodes[index], self.values[index]
        if node.leaf >= 0:
            return self.leaf(index, mode)
        if value.met:
            modes = dict.fromkeys(node.children, _NONE)
        else:
            follow = set(node.children) if node.kind == "all" else self.tree.chosen(index, self.values)
            modes = {c: mode if c in follow else max(mode, _ALTERNATIVE) for c in node.children}
        children = tuple(self.node(c, modes[c]) for c in node.children)
        met_children = sum(c.met for c in children)
        count = str(len(children))
        if node.kind == "all":
            words = (
                Phrase("all %(count)s parts met", count=count)
                if value.met
                else Phrase("%(done)s of %(count)s parts met", done=str(met_children), count=count)
            )
        elif node.kind == "any":
            words = (
                Phrase("met by one of %(count)s options", count=count)
                if value.met
                else Phrase("none of %(count)s options met yet", count=count)
            )
        else:
            words = Phrase(
                "%(done)s of %(count)s met, %(n)s needed", done=str(met_children), count=count, n=str(node.n)
            )
        used = tuple(dict.fromkeys(u for c in children for u in c.used))
        return NodeResult(
            node.kind,
            node.path,
            node.rule.label,
            value.met,
            used,
            words,
            children,
            value.progress,
            value.done,
            value.needed,
        )

    def leaf(self, index: int, mode: int) -> NodeResult:
        node = self.tree.nodes[index]
        rule, leaf = node.rule, node.leaf
        option = self.chosen[leaf]
        facts = self.held.facts
        label = rule.label or (
            rule.component.title if rule.component else rule.criteria.title if rule.criteria else None
        )
        skipped: list[NotCounted] = []
        for i in self.fitting[leaf] + self.near[leaf]:
            if len(skipped) >= _SHOWN:
                break
            if option is not None and (i == option.fact or self.held.group[i] != option.group):
                continue  # a met leaf names only the duplicates of the credential that met it
            reason = self._why_not(leaf, i)
            if reason is not None:
                skipped.append(NotCounted(facts[i].credential_id, _title(facts[i]), reason))
        if option is not None:
            used = (facts[option.fact].credential_id,)
            return NodeResult(
                node.kind, node.path, label, True, used, _met_by(facts[option.fact]), (), 1.0, 1, 1, tuple(skipped)
            )
        needs = describe(rule)
        if skipped:
            reasons = [Phrase("%(title)s does not count: %(reason)s", title=s.title, reason=s.reason) for s in skipped]
            words = Phrase("not met: %(reasons)s", reasons=reasons)
        else:
            words = Phrase("not met yet: needs %(what)s", what=needs)
        if mode != _NONE:
            component = rule.component
            self.missing.append(
                Missing(
                    node.path,
                    "component" if component is not None else "criteria",
                    needs,
                    label,
                    definition=(component.definition or "") if component else "",
                    achievement=(component.achievement or "") if component else "",
                    criteria=rule.criteria,
                    alternative=mode == _ALTERNATIVE,
                )
            )
        return NodeResult(node.kind, node.path, label, False, (), words, (), 0.0, 0, 1, tuple(skipped))

    def _why_not(self, leaf: int, i: int) -> Phrase | None:
        """Why credential ``i``, which relates to ``leaf``, does not count for it (None: no reason to say)."""
        held = self.held
        if i in held.unusable:
            return held.unusable[i]
        rule = self.tree.nodes[self.tree.leaves[leaf]].rule
        why = leaf_matches(rule, held.facts[i], held.now)
        owner = self.owner.get(held.group[i])
        if why is not None or owner is None:
            return why
        chosen = self.chosen[owner]
        assert chosen is not None
        if owner == leaf:
            return Phrase(
                "it is the same achievement as %(title)s, counted once", title=_title(held.facts[chosen.fact])
            )
        other = self.tree.nodes[self.tree.leaves[owner]].rule
        return Phrase("it already counts for %(part)s", part=_name(other))


def _as_held(held: Sequence[Facts] | Held, now: datetime) -> Held:
    if isinstance(held, Held) and held.now == now:
        return held
    return Held(held.facts if isinstance(held, Held) else held, now=now)


def evaluate(pathway: PathwayDefinition, held: Sequence[Facts] | Held, *, now: datetime) -> Evaluation:
    """Evaluate ``pathway`` against the holder's credentials at ``now``: only valid, unexpired ones count, each for
    one leaf at most; every outcome is explained in words."""
    index = _as_held(held, now)
    tree = _Tree(pathway.rules)
    options, fitting, near = _options(tree, index, pathway)
    chosen = _Problem(tree, options, pathway).solve()
    report = _Report(tree, index, chosen, fitting, near)
    root = report.node(0)
    counted = [index.facts[c.fact] for c in chosen if c is not None]
    ects = sum(f.ects or 0.0 for f in counted)
    hours = sum(f.hours or 0.0 for f in counted)
    totals = pathway.totals
    ects_needed = totals.ects_at_least if totals else None
    hours_needed = totals.hours_at_least if totals else None
    met = root.met and (ects_needed is None or ects >= ects_needed) and (hours_needed is None or hours >= hours_needed)
    return Evaluation(
        pathway=pathway.id,
        met=met,
        root=root,
        used=tuple(f.credential_id for f in counted),
        missing=tuple(report.missing),
        progress=root.progress,
        ects_done=ects,
        ects_needed=ects_needed,
        hours_done=hours,
        hours_needed=hours_needed,
        explanation=_summary(met, root, ects, ects_needed, hours, hours_needed),
        touched=any(options) or any(near),
    )


def _summary(
    met: bool, root: NodeResult, ects: float, ects_needed: float | None, hours: float, hours_needed: float | None
) -> Phrase:
    if met:
        said = [Phrase("%(done)s of %(needed)s parts", done=str(root.done), needed=str(root.needed))]
        if ects_needed is not None:
            said.append(Phrase("%(done)s of %(needed)s ECTS", done=number(ects), needed=number(ects_needed)))
        if hours_needed is not None:
            said.append(Phrase("%(done)s of %(needed)s hours", done=number(hours), needed=number(hours_needed)))
        return Phrase("met: %(parts)s", parts=said)
    lacking: list[Phrase] = []
    if root.done < root.needed:
        lacking.append(_parts(root.needed - root.done))
    if ects_needed is not None and ects < ects_needed:
        lacking.append(Phrase("%(ects)s ECTS", ects=number(ects_needed - ects)))
    if hours_needed is not None and hours < hours_needed:
        left = hours_needed - hours
        lacking.append(
            Phrase("%(hours)s hour", hours=number(left)) if left == 1 else Phrase("%(hours)s hours", hours=number(left))
        )
    return Phrase("missing %(what)s", what=lacking)


def evaluate_many(
    pathways: Sequence[PathwayDefinition], held: Sequence[Facts] | Held, *, now: datetime, untouched: bool = False
) -> list[Evaluation]:
    """Evaluate every pathway against one holder's credentials, indexed once. Pathways that no held credential
    relates to (see :attr:`Evaluation.touched`) are left out unless ``untouched``."""
    index = _as_held(held, now)
    out = []
    for pathway in pathways:
        if not untouched and not _touches(pathway, index):
            continue
        out.append(evaluate(pathway, index, now=now))
    return out


def _touches(pathway: PathwayDefinition, held: Held) -> bool:
    for leaf in _leaves(pathway.rules):
        candidates, near = held.related(leaf)
        if candidates or near:
            return True
    return False


def _leaves(rule: Rule) -> list[Rule]:
    if rule.is_leaf:
        return [rule]
    return [leaf for child in rule.children for leaf in _leaves(child)]
