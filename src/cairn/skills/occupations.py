"""Occupations ranked by how well a learner's skills fit them (re-exported by :mod:`cairn.skills.careers`).

:class:`OccupationMatrix` is built once per :class:`~cairn.skills.esco.EscoData`: an inverted index skill ->
occupations (numpy arrays), a weight per skill and a weighted size per occupation, so that ranking ~3,000
occupations over ~124,000 relations is a few ``bincount`` calls.

The score (issue #20: a profile of a few skills put narrow occupations first) reads the occupation-skill
relations both ways. With ``w(s) = log(1 + N / n(s))`` (``N`` occupations, ``n(s)`` of them list ``s``:
"SQL" is asked for by few occupations and says more than "use spreadsheets software", asked for by many),
essential skills weighing 1 and optional ones :data:`OPTIONAL_WEIGHT`:

- *coverage*: the weighted share of the occupation's skills the learner holds, ``held / (size + k)``, where
  the pseudo-size ``k`` (:attr:`Scoring.smoothing`) keeps an occupation of three skills from winning on one;
- *use*: the weighted share of the learner's skills the occupation lists (essential fully, optional at
  :data:`OPTIONAL_WEIGHT`), so that an occupation using one of five skills ranks below one using all five;
- the score is ``coverage ** balance * use ** (1 - balance)``.

Holding a narrower skill covers the broader skill an occupation asks for ("SQL" covers "query languages")
at :attr:`Scoring.broader_credit`. :data:`COVERAGE_ONLY` is the former score (coverage alone, unweighted,
unsmoothed), kept for ``bench/occupations_eval.py``, which measures both on ESCO itself (docs/skills.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cairn.skills.esco import EscoData, Occupation, Skill
from cairn.skills.labels import skill_label as shipped_label

__all__ = [
    "COVERAGE_ONLY",
    "OPTIONAL_WEIGHT",
    "SCORING",
    "OccupationFit",
    "OccupationMatrix",
    "Scoring",
    "missing_essential",
    "names_of",
    "occupation_label",
    "occupation_label_in",
    "occupation_matrix",
    "skill_label",
    "skill_label_in",
]

#: Weight of an optional skill against an essential one.
OPTIONAL_WEIGHT = 0.25


@dataclass(frozen=True, slots=True)
class Scoring:
    """How occupations are scored (see the module docstring); :data:`SCORING` is the one pages use."""

    optional_weight: float = OPTIONAL_WEIGHT
    specificity: bool = True
    """Weigh each skill by ``log(1 + N / n(s))``; False: every skill weighs 1."""
    smoothing: float = 8.0
    """Pseudo-size added to an occupation's weighted size, in units of the mean skill weight."""
    broader_credit: float = 1.0
    """Credit for a broader skill covered only through a narrower one the learner holds."""
    balance: float = 0.5
    """Exponent of coverage; ``1 - balance`` is that of use (1: coverage alone)."""
    optional_use: float = 1.0
    """How much a learner's skill counts as used when the occupation lists it as optional (use side)."""
    group_credit: float = 0.2
    """Credit for an occupation's skill the learner lacks but that sits in the same ESCO skill group as one
    they hold (the group right above a skill in the hierarchy); a learner's skill counts as used at this
    credit by an occupation listing a skill of its group."""


#: The scoring of the pages and the API.
SCORING = Scoring()
#: The scoring before issue #20: ``(essential held + 0.25 optional held) / (essential + 0.25 optional)``.
COVERAGE_ONLY = Scoring(specificity=False, smoothing=0.0, broader_credit=1.0, balance=1.0, group_credit=0.0)


@dataclass(frozen=True, slots=True)
class OccupationFit:
    """How well a set of skills fits an occupation: ``fit`` is the score (0-1) it is ranked by, ``uses`` the
    weighted share of the learner's skills the occupation lists."""

    uri: str
    label: str
    code: str
    isco_group: str
    fit: float
    essential_held: int
    essential_total: int
    optional_held: int
    optional_total: int
    language: str = "en"
    uses: float = 0.0

    @property
    def essential_coverage(self) -> float:
        """Share of the essential skills held (0-1)."""
        return self.essential_held / self.essential_total if self.essential_total else 0.0

    @property
    def optional_coverage(self) -> float:
        """Share of the optional skills held (0-1)."""
        return self.optional_held / self.optional_total if self.optional_total else 0.0


@dataclass(frozen=True, slots=True)
class _Scores:
    score: NDArray[np.float64]
    ess: NDArray[np.float64]
    opt: NDArray[np.float64]
    use: NDArray[np.float64]


Index = NDArray[np.int64]


class OccupationMatrix:
    """Occupation -> essential/optional skill sets, and the inverse as arrays, built once per ESCO release."""

    def __init__(self, esco: EscoData, scoring: Scoring = SCORING) -> None:
        self.esco = esco
        self.scoring = scoring
        self.uris: tuple[str, ...] = tuple(sorted(esco.occupations))
        position = {uri: i for i, uri in enumerate(self.uris)}
        essential: dict[str, set[str]] = {uri: set() for uri in self.uris}
        optional: dict[str, set[str]] = {uri: set() for uri in self.uris}
        for relation in esco.occupation_skills:
            if relation.occupation_uri not in position:
                continue
            target = essential if relation.relation == "essential" else optional
            target[relation.occupation_uri].add(relation.skill_uri)
        self.essential: dict[str, frozenset[str]] = {u: frozenset(s) for u, s in essential.items()}
        self.optional: dict[str, frozenset[str]] = {u: frozenset(s - essential[u]) for u, s in optional.items()}
        by_skill: dict[str, tuple[list[int], list[int]]] = {}
        for uri in self.uris:
            i = position[uri]
            for skill in self.essential[uri]:
                by_skill.setdefault(skill, ([], []))[0].append(i)
            for skill in self.optional[uri]:
                by_skill.setdefault(skill, ([], []))[1].append(i)
        self._by_skill: dict[str, tuple[Index, Index]] = {
            skill: (np.asarray(e, dtype=np.int64), np.asarray(o, dtype=np.int64)) for skill, (e, o) in by_skill.items()
        }
        n = max(len(self.uris), 1)
        self.weights: dict[str, float] = {
            skill: float(np.log1p(n / (len(e) + len(o)))) if scoring.specificity else 1.0
            for skill, (e, o) in by_skill.items()
        }
        self.essential_totals = np.array([len(self.essential[u]) for u in self.uris], dtype=np.float64)
        self.optional_totals = np.array([len(self.optional[u]) for u in self.uris], dtype=np.float64)
        alpha = scoring.optional_weight
        self.sizes = np.array(
            [
                sum(self.weights[s] for s in self.essential[u]) + alpha * sum(self.weights[s] for s in self.optional[u])
                for u in self.uris
            ],
            dtype=np.float64,
        )
        self._ancestors: dict[str, frozenset[str]] = {}
        self._groups: dict[str, frozenset[str]] = {}
        group_ids: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        values: list[float] = []
        for uri in self.uris:
            for skill, factor in [(x, 1.0) for x in self.essential[uri]] + [(x, alpha) for x in self.optional[uri]]:
                for group in self.groups_of(skill):
                    rows.append(position[uri])
                    cols.append(group_ids.setdefault(group, len(group_ids)))
                    values.append(factor * self.weights[skill])
        self._group_ids = group_ids
        self._group_mass = np.zeros((len(self.uris), max(len(group_ids), 1)), dtype=np.float64)
        np.add.at(self._group_mass, (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)), values)
        mean_weight = float(np.mean(list(self.weights.values()))) if self.weights else 1.0
        self._pseudo = scoring.smoothing * mean_weight

    def __len__(self) -> int:
        return len(self.uris)

    def _broader(self, uri: str) -> frozenset[str]:
        """The broader ESCO skills above ``uri`` (skills only, not skill groups), cached."""
        found = self._ancestors.get(uri)
        if found is None:
            seen: set[str] = set()
            skill: Skill | None = self.esco.skills.get(uri)
            stack = [b for b in skill.broader if b in self.esco.skills] if skill is not None else []
            while stack:
                current = stack.pop()
                if current in seen or current == uri:
                    continue
                seen.add(current)
                stack.extend(b for b in self.esco.skills[current].broader if b in self.esco.skills)
            found = self._ancestors[uri] = frozenset(seen)
        return found

    def groups_of(self, uri: str) -> frozenset[str]:
        """The skill groups right above ``uri`` (or above the broader skills it specialises), cached."""
        found = self._groups.get(uri)
        if found is None:
            groups: set[str] = set()
            for concept in (uri, *self._broader(uri)):
                skill = self.esco.skills.get(concept)
                if skill is not None:
                    groups.update(b for b in skill.broader if b in self.esco.skill_groups)
                if groups:
                    break
            found = self._groups[uri] = frozenset(groups)
        return found

    def covered(self, skills: Iterable[str]) -> frozenset[str]:
        """``skills`` and every broader ESCO skill they specialise (SQL covers "query languages"): holding a
        narrower skill counts as holding the broader one an occupation asks for. Skill groups do not count."""
        held = {s for s in skills if isinstance(s, str)}
        return frozenset(held.union(*(self._broader(s) for s in held)))

    def _credits(self, skills: Iterable[str]) -> tuple[list[str], dict[str, float]]:
        """The skills held (those some occupation lists, directly or through a broader one) and the credit
        of every skill they cover (1 held, :attr:`Scoring.broader_credit` covered through a narrower one)."""
        direct = sorted({s for s in skills if isinstance(s, str)})
        credit: dict[str, float] = {}
        for uri in direct:
            for broader in self._broader(uri):
                credit[broader] = max(credit.get(broader, 0.0), self.scoring.broader_credit)
        for uri in direct:
            credit[uri] = 1.0
        useful = [u for u in direct if u in self._by_skill or any(b in self._by_skill for b in self._broader(u))]
        return useful, credit

    def _scores(self, skills: Iterable[str]) -> _Scores | None:
        n = len(self.uris)
        direct, credit = self._credits(skills)
        listed = [s for s in credit if s in self._by_skill]
        if n == 0 or not listed:
            return None
        alpha = self.scoring.optional_weight
        ess_idx = np.concatenate([self._by_skill[s][0] for s in listed])
        opt_idx = np.concatenate([self._by_skill[s][1] for s in listed])
        ess_w = np.concatenate([np.full(len(self._by_skill[s][0]), self.weights[s] * credit[s]) for s in listed])
        opt_w = np.concatenate([np.full(len(self._by_skill[s][1]), self.weights[s] * credit[s]) for s in listed])
        ess = np.bincount(ess_idx, minlength=n).astype(np.float64)
        opt = np.bincount(opt_idx, minlength=n).astype(np.float64)
        held = np.bincount(ess_idx, weights=ess_w, minlength=n).astype(np.float64)
        held += alpha * np.bincount(opt_idx, weights=opt_w, minlength=n)
        if self.scoring.group_credit > 0:
            groups = {self._group_ids[g] for uri in direct for g in self.groups_of(uri) if g in self._group_ids}
            if groups:
                near = self._group_mass[:, sorted(groups)].sum(axis=1)
                held += self.scoring.group_credit * np.maximum(near - held, 0.0)
        coverage = np.zeros(n, dtype=np.float64)
        denominator = self.sizes + self._pseudo
        np.divide(held, denominator, out=coverage, where=denominator > 0)
        # use: how much of each held skill (with its weight) the occupation lists, best relation of the skill
        # itself or of a broader one it covers
        use = np.zeros(n, dtype=np.float64)
        total = 0.0
        for uri in direct:
            weight = self.weights.get(uri) or max(self.weights.get(b, 0.0) for b in self._broader(uri))
            part = np.zeros(n, dtype=np.float64)
            if self.scoring.group_credit > 0:
                near = [self._group_ids[g] for g in self.groups_of(uri) if g in self._group_ids]
                if near:
                    part = self.scoring.group_credit * (self._group_mass[:, near].sum(axis=1) > 0)
            for skill in (uri, *self._broader(uri)):
                if skill in self._by_skill:
                    essential, optional = self._by_skill[skill]
                    share = 1.0 if skill == uri else self.scoring.broader_credit
                    np.maximum.at(part, essential, share)
                    np.maximum.at(part, optional, share * self.scoring.optional_use)
            use += weight * part
            total += weight
        use /= max(total, 1e-12)
        balance = self.scoring.balance
        score = coverage if balance >= 1.0 else coverage**balance * use ** (1.0 - balance)
        return _Scores(score, ess, opt, use)

    def rank_uris(self, skills: Iterable[str], *, limit: int | None = None) -> list[str]:
        """The URIs of the occupations sharing a skill with ``skills``, best first (``limit``: the first so many)."""
        return [self.uris[i] for i in self._order(self._scores(skills), limit)]

    def _order(self, scores: _Scores | None, limit: int | None) -> list[int]:
        if scores is None or (limit is not None and limit <= 0):
            return []
        candidates = np.flatnonzero((scores.ess + scores.opt) > 0)
        # best score, then more essential skills held, then the URI (the matrix's order) for a stable order
        order = candidates[np.lexsort((candidates, -scores.ess[candidates], -scores.score[candidates]))]
        return [int(i) for i in (order if limit is None else order[:limit])]

    def rank(self, skills: Iterable[str], *, limit: int = 20, language: str = "en") -> list[OccupationFit]:
        """Occupations sharing at least one essential or optional skill with ``skills`` (see :meth:`covered`),
        best fit first."""
        scores = self._scores(skills)
        return [self._fit(i, scores, language) for i in self._order(scores, limit)] if scores is not None else []

    def fit_of(self, occupation: str, skills: Iterable[str], *, language: str = "en") -> OccupationFit:
        """The fit of one occupation (KeyError when it is not in the release)."""
        if occupation not in self.essential:
            raise KeyError(occupation)
        return self._fit(self.uris.index(occupation), self._scores(skills), language)

    def _fit(self, i: int, scores: _Scores | None, language: str) -> OccupationFit:
        uri = self.uris[i]
        occupation = self.esco.occupations[uri]
        label, label_language = occupation_label_in(occupation, language)
        return OccupationFit(
            uri=uri,
            label=label,
            language=label_language,
            code=occupation.code,
            isco_group=occupation.isco_group,
            fit=round(float(scores.score[i]), 4) if scores is not None else 0.0,
            essential_held=int(scores.ess[i]) if scores is not None else 0,
            essential_total=int(self.essential_totals[i]),
            optional_held=int(scores.opt[i]) if scores is not None else 0,
            optional_total=int(self.optional_totals[i]),
            uses=round(float(scores.use[i]), 4) if scores is not None else 0.0,
        )


_MATRICES: list[tuple[EscoData, OccupationMatrix]] = []


def occupation_matrix(esco: EscoData) -> OccupationMatrix:
    """The :class:`OccupationMatrix` of ``esco``, built on first use and kept for the last two releases."""
    for data, matrix in _MATRICES:
        if data is esco:
            return matrix
    matrix = OccupationMatrix(esco)
    _MATRICES.insert(0, (esco, matrix))
    del _MATRICES[2:]
    return matrix


def skill_label(esco: EscoData, uri: str, language: str = "en") -> str:
    """The preferred label of a skill or skill group in ``language`` (else another language), or the URI."""
    return skill_label_in(esco, uri, language)[0]


def skill_label_in(esco: EscoData, uri: str, language: str = "en") -> tuple[str, str]:
    """``(label, its language)``: the preferred label of a skill or skill group in ``language``, else in
    English, else in any language ESCO has; the end of the URI (language ``"zxx"``) for an unknown skill.
    Pages mark a label whose language is not the page's with ``lang`` (WCAG 3.1.2)."""
    concept = esco.skills.get(uri) or esco.skill_groups.get(uri)
    if concept is None or not concept.labels:
        return uri.rsplit("/", 1)[-1], "zxx"
    for lang in (language, "en"):
        if lang in concept.labels:
            return str(concept.labels[lang].preferred), lang
    lang, labels = next(iter(concept.labels.items()))
    return str(labels.preferred), str(lang)


def names_of(esco: EscoData, uris: Iterable[str], language: str = "en") -> dict[str, tuple[str, str]]:
    """``{uri: (label, its language)}`` for a reader of ``language``: the release's label in that language, else
    the shipped extract's (ESCO v1.2.1's Polish collections), else English; pages mark a label that is not in the
    page's language (``lang`` and a visible tag). A skill the release lacks is left out (the caller keeps its own
    label)."""
    out: dict[str, tuple[str, str]] = {}
    for uri in uris:
        label, label_lang = skill_label_in(esco, uri, language)
        if label_lang == "zxx":
            continue
        if label_lang != language and (shipped := shipped_label(uri, language)) and shipped[0] == language:
            label, label_lang = shipped[1], shipped[0]
        out[uri] = (label, label_lang)
    return out


def occupation_label(occupation: Occupation, language: str = "en") -> str:
    """An occupation's preferred label in ``language`` (English, then any, when missing)."""
    return occupation_label_in(occupation, language)[0]


def occupation_label_in(occupation: Occupation, language: str = "en") -> tuple[str, str]:
    """``(label, its language)``: an occupation's preferred label in ``language``, else English, else any."""
    for lang in (language, "en"):
        if lang in occupation.labels:
            return occupation.labels[lang].preferred, lang
    lang, labels = next(iter(occupation.labels.items()))
    return labels.preferred, str(lang)


def missing_essential(
    matrix: OccupationMatrix, occupation: str, skills: Iterable[str], *, language: str = "en"
) -> list[tuple[str, str, str]]:
    """Essential skills of ``occupation`` not in ``skills`` (nor specialised by one of them, see
    :meth:`OccupationMatrix.covered`), as ``(uri, label, label's language)`` sorted by label (see
    :func:`skill_label_in`)."""
    held = matrix.covered(skills)
    missing = matrix.essential.get(occupation, frozenset()) - held
    triples = [(uri, *skill_label_in(matrix.esco, uri, language)) for uri in missing]
    return sorted(triples, key=lambda p: p[1].casefold())
