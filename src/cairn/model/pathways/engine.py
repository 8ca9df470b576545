"""The rule engine: which held credentials meet which leaf of a pathway, each credential counted once, and why,
in words, for every outcome.

Each leaf (a component or criteria) is met by one valid, unexpired credential, and one credential meets one leaf at
most; two credentials of the same definition or achievement are one. :mod:`cairn.model.pathways.assign` decides who
goes where. ``all`` is met when every child is, ``any`` when one is, ``n_of`` when ``n`` are; the totals sum the
credentials counted. Progress follows the most advanced branch of an ``any`` and the ``n`` most advanced children of
an ``n_of``: "missing 1 part" counts the parts left on the way the holder is going, and :attr:`Missing.alternative`
marks the leaves of the other ways.

A pathway is compiled once (its flattened tree, each leaf's checks and words) and kept in a small cache, so a wallet
page evaluating the whole catalogue pays for what its credentials touch only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from cairn.formats.facts import Facts
from cairn.model.pathways.assign import Option, Tree, Value, solve
from cairn.model.pathways.matching import (
    Check,
    Held,
    checks_of,
    leaf_key,
    leaf_matches,
)
from cairn.model.pathways.results import Details, Evaluation, Missing, NodeResult, NotCounted
from cairn.model.pathways.rules import PathwayDefinition, Rule, RuleKind
from cairn.model.pathways.words import describe, name_of, number
from cairn.phrases import Phrase

__all__ = ["evaluate", "evaluate_many"]

_SHOWN = 3
"""Credentials named per leaf as "not counted"."""
_CACHE_SIZE = 4096
"""Compiled pathways kept (a catalogue's worth)."""


@dataclass(frozen=True, slots=True)
class _Leaf:
    """What a leaf says whatever the holder has: its label, what it needs, and its result when nothing relates."""

    label: Mapping[str, str] | None
    needs: Phrase
    name: Phrase
    unmet: NodeResult
    missing: Missing
    missing_alternative: Missing


def _compile_leaf(rule: Rule, kind: RuleKind, path: str) -> _Leaf:
    label = rule.label or (rule.component.title if rule.component else rule.criteria.title if rule.criteria else None)
    needs = describe(rule)
    component = rule.component
    missing = Missing(
        path,
        "component" if component is not None else "criteria",
        needs,
        label,
        definition=(component.definition or "") if component else "",
        achievement=(component.achievement or "") if component else "",
        criteria=rule.criteria,
    )
    return _Leaf(
        label,
        needs,
        Phrase("%(name)s", name=name_of(rule)) if label else needs,
        NodeResult(kind, path, label, False, (), Phrase("not met yet: needs %(what)s", what=needs)),
        missing,
        Missing(
            missing.path,
            missing.kind,
            needs,
            label,
            missing.definition,
            missing.achievement,
            missing.criteria,
            alternative=True,
        ),
    )


_MISSING, _ALTERNATIVE, _NONE = 0, 1, 2
"""How an unmet leaf is listed in :attr:`Evaluation.missing`: needed, one way among others, or not at all (it is
under a node already met)."""

Blank = tuple[NodeResult, tuple[Missing, ...]]


class _Compiled:
    """A pathway's tree and checks; its leaves' words and the results of subtrees the holder has nothing for, made
    when first asked and kept."""

    def __init__(self, pathway: PathwayDefinition) -> None:
        self.pathway = pathway
        self.tree = Tree(pathway.rules)
        self.rules = [self.tree.nodes[i].rule for i in self.tree.leaves]
        self.checks = [checks_of(rule.criteria) if rule.criteria is not None else () for rule in self.rules]
        self.keys = [leaf_key(rule, checks) for rule, checks in zip(self.rules, self.checks, strict=True)]
        self.component_leaves: dict[tuple[Any, ...], list[int]] = {}
        for leaf, (key, rule) in enumerate(zip(self.keys, self.rules, strict=True)):
            if rule.component is not None:
                self.component_leaves.setdefault(key, []).append(leaf)
        self.component_keys = frozenset(k for k, r in zip(self.keys, self.rules, strict=True) if r.component)
        self.criteria_leaves = [i for i, rule in enumerate(self.rules) if rule.criteria is not None]
        totals = pathway.totals
        self.ects = totals.ects_at_least if totals else None
        self.hours = totals.hours_at_least if totals else None
        self.cache_keys = [repr((key, totals is not None)) for key in self.keys]
        """Each leaf's key as text (a hash kept) for the wallet's cache of options."""
        self._leaves: list[_Leaf | None] = [None] * len(self.rules)
        self._blank: dict[tuple[int, int], Blank] = {}
        self._blank_values: list[Value] | None = None
        self._untouched: Evaluation | None = None

    @property
    def blank_values(self) -> list[Value]:
        """Every node's value when no leaf is met."""
        if self._blank_values is None:
            self._blank_values = self.tree.values([False] * len(self.rules))
        return self._blank_values

    def leaf(self, leaf: int) -> _Leaf:
        found = self._leaves[leaf]
        if found is None:
            node = self.tree.nodes[self.tree.leaves[leaf]]
            found = self._leaves[leaf] = _compile_leaf(node.rule, node.kind, node.path)
        return found

    def blank(self, index: int, mode: int) -> Blank:
        """Node ``index``'s result when none of its leaves relates to anything held, and its missing leaves."""
        found = self._blank.get((index, mode))
        if found is not None:
            return found
        node = self.tree.nodes[index]
        if node.leaf >= 0:
            leaf = self.leaf(node.leaf)
            missing = () if mode == _NONE else (leaf.missing_alternative if mode else leaf.missing,)
            found = (leaf.unmet, missing)
        else:
            values = self.blank_values
            follow = self.tree.followed(index, values.__getitem__)
            parts = [self.blank(c, mode if c in follow else max(mode, _ALTERNATIVE)) for c in node.children]
            needed = values[index][2]
            words = _node_words(node.kind, False, 0, len(parts), node.n)
            result = NodeResult(
                node.kind, node.path, node.rule.label, False, (), words, tuple(r for r, _ in parts), 0.0, 0, needed
            )
            found = (result, tuple(m for _, missing in parts for m in missing))
        self._blank[(index, mode)] = found
        return found

    def untouched(self) -> Evaluation:
        """The evaluation when the holder has nothing that relates to any leaf."""
        if self._untouched is None:
            root, missing = self.blank(0, _MISSING)
            self._untouched = Evaluation(
                pathway=self.pathway.id,
                met=False,
                used=(),
                progress=0.0,
                ects_done=0.0,
                ects_needed=self.ects,
                hours_done=0.0,
                hours_needed=self.hours,
                explanation=_summary_of(False, root.done, root.needed, 0.0, self.ects, 0.0, self.hours),
                details=(root, missing),
                touched=False,
            )
        return self._untouched


_compiled: OrderedDict[int, _Compiled] = OrderedDict()
_compiled_lock = threading.Lock()


def _compile(pathway: PathwayDefinition) -> _Compiled:
    """The compiled pathway, from the cache when this very object was compiled before (the cache holds the object,
    so its id is not reused while it is there)."""
    with _compiled_lock:
        found = _compiled.get(id(pathway))
        if found is not None and found.pathway is pathway:
            _compiled.move_to_end(id(pathway))
            return found
    found = _Compiled(pathway)
    with _compiled_lock:
        _compiled[id(pathway)] = found
        while len(_compiled) > _CACHE_SIZE:
            _compiled.popitem(last=False)
    return found


_NOTHING: tuple[list[Option], list[int], list[int]] = ([], [], [])


def _options(compiled: _Compiled, held: Held) -> list[tuple[list[Option], list[int], list[int]]] | None:
    """For each leaf: its options (one per credential group, its first fitting credential; richest first when there
    are totals), every credential that fits it, and those that would have fitted but may not count (the "near").
    None when no leaf relates to anything held. Only the criteria and the components the holder has are looked at."""
    named = held.named
    held_components = named.keys() & compiled.component_keys
    if not held_components and not compiled.criteria_leaves:
        return None
    out: list[tuple[list[Option], list[int], list[int]]] = [_NOTHING] * len(compiled.rules)
    look = [leaf for key in held_components for leaf in compiled.component_leaves[key]]
    totals = compiled.ects is not None or compiled.hours is not None
    cache = held.cache
    touched = False
    for leaf in look + compiled.criteria_leaves:
        name = compiled.cache_keys[leaf]
        found = cache.get(name)
        if found is None:
            found = cache[name] = _leaf_options(held, compiled.rules[leaf], compiled.checks[leaf], totals)
        if found is not _NOTHING:
            touched = True
            out[leaf] = found
    return out if touched else None


def _leaf_options(
    held: Held, rule: Rule, checks: Sequence[Check], totals: bool
) -> tuple[list[Option], list[int], list[int]]:
    candidates, close = held.find(rule, checks)  # the caller keeps the answer by the leaf's key
    if not candidates and not close:
        return _NOTHING
    found: list[Option] = []
    if candidates:
        facts, group = held.facts, held.group
        seen: set[int] = set()
        for i in candidates:
            if group[i] not in seen:
                seen.add(group[i])
                f = facts[i]
                found.append(Option(group[i], i, f.ects or 0.0, f.hours or 0.0))
        if totals:
            found.sort(key=lambda o: (o.ects, o.hours), reverse=True)
    return found, candidates, close


def _title(facts: Facts) -> str:
    return facts.title or facts.achievement_id or facts.credential_id


def _met_by(facts: Facts) -> Phrase:
    if facts.issuer_name:
        return Phrase("met by %(title)s from %(issuer)s", title=_title(facts), issuer=facts.issuer_name)
    return Phrase("met by %(title)s", title=_title(facts))


@lru_cache(maxsize=2048)
def _node_words(kind: RuleKind, met: bool, done: int, count: int, n: int) -> Phrase:
    if kind == "all":
        if met:
            return Phrase("all %(count)s parts met", count=str(count))
        return Phrase("%(done)s of %(count)s parts met", done=str(done), count=str(count))
    if kind == "any":
        if met:
            return Phrase("met by one of %(count)s options", count=str(count))
        return Phrase("none of %(count)s options met yet", count=str(count))
    return Phrase("%(done)s of %(count)s met, %(n)s needed", done=str(done), count=str(count), n=str(n))


class _Report:
    """Builds the result tree, the missing leaves and the words from a chosen assignment."""

    def __init__(
        self,
        compiled: _Compiled,
        held: Held,
        found: list[tuple[list[Option], list[int], list[int]]],
        chosen: list[Option | None],
    ) -> None:
        self.compiled, self.tree, self.held = compiled, compiled.tree, held
        self.found, self.chosen = found, chosen
        self.values: dict[int, Value] = {}
        self._owner: dict[int, int] = {}
        self.met = [0]  # how many of the leaves before each are met
        for option in chosen:
            self.met.append(self.met[-1] + (option is not None))
        self.active: list[int] = []  # how many of the leaves before each relate to something held (for the tree)

    @property
    def owner(self) -> dict[int, int]:
        """The leaf each counted credential group went to."""
        return {c.group: leaf for leaf, c in enumerate(self.chosen) if c is not None}

    def value(self, index: int) -> Value:
        """Node ``index``'s value: as when nothing is met where none of its leaves is, else worked out."""
        first, end = self.tree.spans[index]
        if self.met[end] == self.met[first]:
            return self.compiled.blank_values[index]
        found = self.values.get(index)
        if found is None:
            node = self.tree.nodes[index]
            children = node.children
            found = (True, 1, 1) if node.leaf >= 0 else self.tree.combine(index, [self.value(c) for c in children])
            self.values[index] = found
        return found

    def node(self, index: int, mode: int, out: list[Missing]) -> NodeResult:
        """Node ``index``'s result (a node the holder touches: see :meth:`_Compiled.blank` for the others)."""
        node = self.tree.nodes[index]
        if node.leaf >= 0:
            return self.leaf(node.leaf, mode, out)
        met, done, needed = self.value(index)
        follow = node.children if met or node.kind == "all" else self.tree.followed(index, self.value)
        spans, active, blank = self.tree.spans, self.active, self.compiled.blank
        children: list[NodeResult] = []
        used: list[str] = []
        met_children = 0
        for child in node.children:
            here = _NONE if met else mode if child in follow else max(mode, _ALTERNATIVE)
            first, end = spans[child]
            if active[end] == active[first]:
                result, missing = blank(child, here)
                out.extend(missing)
            else:
                result = self.node(child, here, out)
                used.extend(result.used)
            met_children += result.met
            children.append(result)
        words = _node_words(node.kind, met, met_children, len(children), node.n)
        return NodeResult(
            node.kind, node.path, node.rule.label, met, tuple(used), words, tuple(children), done / needed, done, needed
        )

    def leaf(self, leaf: int, mode: int, out: list[Missing]) -> NodeResult:
        compiled = self.compiled.leaf(leaf)
        option = self.chosen[leaf]
        skipped = self._skipped(leaf, option)
        if option is not None:
            facts = self.held.facts[option.fact]
            node = compiled.unmet
            return NodeResult(
                node.kind, node.path, node.label, True, (facts.credential_id,), self._met_by(option.fact), (),
                1.0, 1, 1, skipped,
            )  # fmt: skip
        if mode != _NONE:
            out.append(compiled.missing_alternative if mode == _ALTERNATIVE else compiled.missing)
        if not skipped:
            return compiled.unmet
        reasons = [Phrase("%(title)s does not count: %(reason)s", title=s.title, reason=s.reason) for s in skipped]
        node = compiled.unmet
        return NodeResult(
            node.kind, node.path, node.label, False, (), Phrase("not met: %(reasons)s", reasons=reasons), (),
            0.0, 0, 1, skipped,
        )  # fmt: skip

    def _met_by(self, i: int) -> Phrase:
        cache = self.held.cache
        found: Phrase | None = cache.get(("met by", i))
        if found is None:
            found = cache[("met by", i)] = _met_by(self.held.facts[i])
        return found

    def _skipped(self, leaf: int, option: Option | None) -> tuple[NotCounted, ...]:
        """The credentials that relate to the leaf but do not count for it, with why (a met leaf names only the
        duplicates of the credential that met it)."""
        _, fitting, near = self.found[leaf]
        if (not fitting and not near) or (option is not None and len(fitting) + len(near) == 1):
            return ()
        held = self.held
        out: list[NotCounted] = []
        for i in fitting + near:
            if len(out) >= _SHOWN:
                break
            if option is not None and (i == option.fact or held.group[i] != option.group):
                continue
            reason = self._why_not(leaf, i)
            if reason is not None:
                out.append(NotCounted(held.facts[i].credential_id, _title(held.facts[i]), reason))
        return tuple(out)

    def _why_not(self, leaf: int, i: int) -> Phrase | None:
        """Why credential ``i``, which relates to ``leaf``, does not count for it (None: nothing to say)."""
        held = self.held
        if i in held.unusable:
            return held.unusable[i]
        why = leaf_matches(self.compiled.rules[leaf], held.facts[i], held.now)
        owner = self._owner.get(held.group[i])
        if why is not None or owner is None:
            return why
        chosen = self.chosen[owner]
        assert chosen is not None
        if owner == leaf:
            return Phrase(
                "it is the same achievement as %(title)s, counted once", title=_title(held.facts[chosen.fact])
            )
        return Phrase("it already counts for %(part)s", part=self.compiled.leaf(owner).name)

    def details(self) -> Details:
        """The result tree and the missing leaves (the root is touched: untouched pathways are answered whole by
        :meth:`_Compiled.untouched`)."""
        self._owner = self.owner
        self.active = [0]
        for _, fits, close in self.found:
            self.active.append(self.active[-1] + bool(fits or close))
        missing: list[Missing] = []
        root = self.node(0, _MISSING, missing)
        return root, tuple(missing)

    def evaluation(self) -> Evaluation:
        compiled = self.compiled
        root_met, done, needed = self.value(0)
        counted = [self.held.facts[c.fact] for c in self.chosen if c is not None]
        ects = sum(f.ects or 0.0 for f in counted)
        hours = sum(f.hours or 0.0 for f in counted)
        ects_needed, hours_needed = compiled.ects, compiled.hours
        met = (
            root_met
            and (ects_needed is None or ects >= ects_needed)
            and (hours_needed is None or hours >= hours_needed)
        )
        return Evaluation(
            pathway=compiled.pathway.id,
            met=met,
            used=tuple(f.credential_id for f in counted),
            progress=done / needed,
            ects_done=ects,
            ects_needed=ects_needed,
            hours_done=hours,
            hours_needed=hours_needed,
            explanation=_summary_of(met, done, needed, ects, ects_needed, hours, hours_needed),
            details=self.details,
        )


@lru_cache(maxsize=4096)
def _summary_of(
    met: bool, done: int, needed: int, ects: float, ects_needed: float | None, hours: float, hours_needed: float | None
) -> Phrase:
    if met:
        said = [Phrase("%(done)s of %(needed)s parts", done=str(done), needed=str(needed))]
        if ects_needed is not None:
            said.append(Phrase("%(done)s of %(needed)s ECTS", done=number(ects), needed=number(ects_needed)))
        if hours_needed is not None:
            said.append(Phrase("%(done)s of %(needed)s hours", done=number(hours), needed=number(hours_needed)))
        return Phrase("met: %(parts)s", parts=said)
    lacking: list[Phrase] = []
    if done < needed:
        left = needed - done
        lacking.append(
            Phrase("%(count)s part", count=str(left)) if left == 1 else Phrase("%(count)s parts", count=str(left))
        )
    if ects_needed is not None and ects < ects_needed:
        lacking.append(Phrase("%(ects)s ECTS", ects=number(ects_needed - ects)))
    if hours_needed is not None and hours < hours_needed:
        left_hours = hours_needed - hours
        lacking.append(
            Phrase("%(hours)s hour", hours=number(left_hours))
            if left_hours == 1
            else Phrase("%(hours)s hours", hours=number(left_hours))
        )
    return Phrase("missing %(what)s", what=lacking)


def _as_held(held: Sequence[Facts] | Held, now: datetime) -> Held:
    if isinstance(held, Held) and held.now == now:
        return held
    return Held(held.facts if isinstance(held, Held) else held, now=now)


def _evaluate(pathway: PathwayDefinition, held: Held, *, untouched: bool) -> Evaluation | None:
    compiled = _compile(pathway)
    found = _options(compiled, held)
    if found is None:
        return compiled.untouched() if untouched else None
    chosen = solve(compiled.tree, [f[0] for f in found], ects=compiled.ects, hours=compiled.hours)
    return _Report(compiled, held, found, chosen).evaluation()


def evaluate(pathway: PathwayDefinition, held: Sequence[Facts] | Held, *, now: datetime) -> Evaluation:
    """Evaluate ``pathway`` against the holder's credentials at ``now``: only valid, unexpired ones count, each for
    one leaf at most; every outcome is explained in words. ``held`` may be a :class:`Held` built once for many
    pathways at the same ``now``."""
    found = _evaluate(pathway, _as_held(held, now), untouched=True)
    assert found is not None
    return found


def evaluate_many(
    pathways: Sequence[PathwayDefinition], held: Sequence[Facts] | Held, *, now: datetime, untouched: bool = False
) -> list[Evaluation]:
    """Evaluate every pathway against one holder's credentials, indexed once, in order. The pathways that no held
    credential relates to (valid or not: :attr:`Evaluation.touched`) are left out unless ``untouched``."""
    index = _as_held(held, now)
    return [e for p in pathways if (e := _evaluate(p, index, untouched=untouched)) is not None]
