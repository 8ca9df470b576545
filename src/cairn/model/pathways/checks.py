"""Static checks of a pathway, before anyone follows it: what it names must exist, it must not require itself, and
its rules must be satisfiable.

Found: a target or component definition unknown to this instance; a cycle (the pathway's target required by its own
rules, directly or through other pathways whose targets are its components); an ``all`` or ``any`` with no rules;
an ``n_of`` asking more than it offers (counting a component named twice once); the same component required twice
where both are needed (one credential counts once); an empty award window; totals that the components cannot reach
even if every one of them counted (when the components are definitions whose workload is known).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from cairn.errors import Problem
from cairn.formats.facts import Facts
from cairn.model.pathways.rules import PathwayDefinition, Rule, leaves, walk
from cairn.model.pathways.words import describe, number
from cairn.phrases import Phrase

__all__ = ["check_pathway"]


def _required(rules: Rule) -> list[tuple[str, str]]:
    """``(path, definition slug)`` of every component naming a definition of this instance."""
    return [
        (path, leaf.component.definition)
        for path, leaf in leaves(rules)
        if leaf.component is not None and leaf.component.definition is not None
    ]


def _cycle(pathway: PathwayDefinition, start: str, by_target: Mapping[str, PathwayDefinition]) -> list[str] | None:
    """The chain of definitions from ``start`` back to the pathway's target through other pathways, or None."""
    seen: set[str] = set()
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    while stack:
        slug, chain = stack.pop()
        if slug == pathway.target:
            return chain
        if slug in seen:
            continue
        seen.add(slug)
        other = by_target.get(slug)
        if other is None or other.id == pathway.id:
            continue
        stack.extend((nxt, [*chain, nxt]) for _, nxt in _required(other.rules))
    return None


def _mandatory(rule: Rule, path: str) -> list[tuple[str, Rule]]:
    """The leaves under ``rule`` reached through ``all`` nodes only: each of them is needed."""
    if rule.is_leaf:
        return [(path, rule)]
    if rule.all is None:
        return []
    return [found for i, child in enumerate(rule.all) for found in _mandatory(child, f"{path}.all[{i}]")]


def check_pathway(
    pathway: PathwayDefinition,
    *,
    known_definitions: Callable[[str], bool],
    pathways_by_target: Mapping[str, PathwayDefinition],
    definition_facts: Callable[[str], Facts | None] | None = None,
) -> list[Problem]:
    """Every problem found, each a :class:`cairn.errors.Problem` whose source is the pathway's id, whose path says
    where (``rules.all[1].n_of``) and whose message is a :class:`cairn.phrases.Phrase`.

    ``known_definitions(slug)``: whether this instance has that definition. ``pathways_by_target``: the other
    pathways by their target's slug (for cycles). ``definition_facts(slug)``: what a credential of a definition
    would state (:func:`cairn.formats.facts.facts_of_definition`), to check that the totals can be reached; optional.
    """
    source = pathway.id
    problems: list[Problem] = []

    def problem(path: str, message: Phrase) -> None:
        problems.append(Problem(source, path, message))

    if not known_definitions(pathway.target):
        problem("target", Phrase("%(slug)s is not a definition of this instance", slug=pathway.target))
    for path, slug in _required(pathway.rules):
        if slug == pathway.target:
            problem(path, Phrase("the rules require the pathway's own target, %(slug)s", slug=slug))
        elif not known_definitions(slug):
            problem(path, Phrase("%(slug)s is not a definition of this instance", slug=slug))
        elif (chain := _cycle(pathway, slug, pathways_by_target)) is not None:
            problem(
                path,
                Phrase(
                    "a cycle: %(slug)s is awarded through a pathway that requires this pathway's target (%(chain)s)",
                    slug=slug,
                    chain=" → ".join(chain),
                ),
            )
    for path, node, _ in walk(pathway.rules):
        kind = node.kind
        if kind in ("all", "any") and not node.children:
            problem(path, Phrase("%(kind)s has no rules", kind=kind))
        if node.n_of is not None:
            n, of = node.n_of.n, node.n_of.of
            keys = {c.component.key if c.component else f"rule:{i}" for i, c in enumerate(of)}
            if n < 1 or n > len(keys):
                problem(
                    f"{path}.n_of",
                    Phrase(
                        "n_of asks for %(n)s of %(count)s different rules, which can never be met",
                        n=str(n),
                        count=str(len(keys)),
                    ),
                )
        window = node.criteria.awarded_within if node.criteria is not None else None
        after, before = (window.after, window.before) if window is not None else (None, None)
        if after is not None and before is not None and after >= before:
            problem(
                f"{path}.criteria.awarded_within",
                Phrase(
                    "no day is on or after %(after)s and before %(before)s",
                    after=after.isoformat(),
                    before=before.isoformat(),
                ),
            )
        if _top_of_all(path, node):
            seen: dict[str, str] = {}
            for leaf_path, leaf in _mandatory(node, path):
                if leaf.component is None:
                    continue
                if leaf.component.key in seen:
                    problem(
                        leaf_path,
                        Phrase(
                            "%(component)s is also required at %(other)s; one credential counts once, "
                            "so both can never be met",
                            component=describe(leaf),
                            other=seen[leaf.component.key],
                        ),
                    )
                else:
                    seen[leaf.component.key] = leaf_path
    if pathway.totals is not None and definition_facts is not None:
        problems.extend(_totals(pathway, definition_facts))
    return problems


def _top_of_all(path: str, node: Rule) -> bool:
    """An ``all`` whose parent is not an ``all`` (each chain of ``all`` nodes is checked once, from its top)."""
    return node.all is not None and not path.rsplit(".", 1)[-1].startswith("all[")


def _totals(pathway: PathwayDefinition, definition_facts: Callable[[str], Facts | None]) -> list[Problem]:
    """The totals cannot be reached when every leaf is a known definition and all of them together fall short."""
    found: dict[str, Facts] = {}
    for _, leaf in leaves(pathway.rules):
        slug = leaf.component.definition if leaf.component is not None else None
        facts = definition_facts(slug) if slug is not None else None
        if facts is None:
            return []  # criteria or other issuers' achievements: no upper bound is known
        found[slug or ""] = facts
    totals = pathway.totals
    assert totals is not None
    out: list[Problem] = []
    most_ects = sum(f.ects or 0.0 for f in found.values())
    most_hours = sum(f.hours or 0.0 for f in found.values())
    if totals.ects_at_least is not None and most_ects < totals.ects_at_least:
        out.append(
            Problem(
                pathway.id,
                "totals.ects_at_least",
                Phrase(
                    "even if every component counted, they carry %(most)s ECTS, fewer than %(needed)s",
                    most=number(most_ects),
                    needed=number(totals.ects_at_least),
                ),
            )
        )
    if totals.hours_at_least is not None and most_hours < totals.hours_at_least:
        out.append(
            Problem(
                pathway.id,
                "totals.hours_at_least",
                Phrase(
                    "even if every component counted, they stand for %(most)s hours, fewer than %(needed)s",
                    most=number(most_hours),
                    needed=number(totals.hours_at_least),
                ),
            )
        )
    return out
