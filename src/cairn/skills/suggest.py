"""Fusing lexical and embedding evidence into one ranking of skills.

Pure functions over numpy arrays, used by :class:`cairn.skills.index.SkillIndex`. Each skill gets four
features for a query:

``semantic``
    the best cosine similarity between the query vector and the skill's label vectors, standardised
    over all skills for this query (``(cos - mean) / std / 10``), so that encoders whose cosines live on
    different scales (USE, e5) can share one set of weights;
``lexical``
    the best BM25 score of the skill's labels (an alternative label counts ``alternative_weight`` of a
    preferred one) divided by the best lexical score of the query;
``coverage``
    the largest share of one label's distinct terms found in the query (same weighting);
``length``
    ``log(1 + terms in the preferred label)``: short, general labels ("JavaScript", "manage staff") are
    what annotators pick far more often than long, specific ones.

The fused score is ``weights . features + prior[reuse level] + prior[skill type]``. The weights are
fitted on SkillSkape train (see :func:`cairn.skills.train.fit_ranking`), never on the validation sets.
``fusion="rrf"`` replaces this with reciprocal-rank fusion of the semantic and lexical rankings, kept for
comparison. ``floor`` (None: no floor) is the calibrated fused score under which the suggestion API does not
show a skill (see :mod:`cairn.skills.adapter` and docs/skills.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from cairn.errors import InputError

__all__ = ["DEFAULT_RANKINGS", "FEATURES", "Ranking", "Suggestion", "fuse", "ranking_for", "standardise", "top_k"]

#: Names of the features, in the order of their weights.
FEATURES: tuple[str, ...] = ("semantic", "lexical", "coverage", "length")


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggested skill: its ESCO URI, preferred label, fused score and the label that matched best."""

    uri: str
    label: str
    score: float
    matched_label: str
    skill_type: str = ""
    reuse_level: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``{"uri", "label", "score", ...}``)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Ranking:
    """How the features of a skill are weighted into one score (see the module docstring)."""

    semantic: float = 1.0
    lexical: float = 0.5
    coverage: float = 0.0
    length: float = 0.0
    alternative_weight: float = 0.7
    fusion: Literal["linear", "rrf"] = "linear"
    rrf_k: int = 10
    priors: Mapping[str, float] = field(default_factory=dict)
    floor: float | None = None

    def __post_init__(self) -> None:
        if self.fusion not in {"linear", "rrf"}:
            raise InputError("fusion must be 'linear' or 'rrf'")
        if not 0 <= self.alternative_weight <= 1 or self.rrf_k < 1:
            raise InputError("0 <= alternative_weight <= 1 and rrf_k >= 1 are needed")

    @property
    def weights(self) -> NDArray[np.float32]:
        """The feature weights in :data:`FEATURES` order."""
        return np.array([self.semantic, self.lexical, self.coverage, self.length], dtype=np.float32)

    def with_weights(self, weights: NDArray[Any]) -> Ranking:
        """A copy with new feature weights (in :data:`FEATURES` order)."""
        values = [round(float(value), 4) for value in weights]
        return Ranking(**{**self.as_dict(), **dict(zip(FEATURES, values, strict=True))})

    def with_floor(self, floor: float | None) -> Ranking:
        """A copy with another score floor (None: none)."""
        return Ranking(**{**self.as_dict(), "floor": None if floor is None else round(float(floor), 4)})

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, as saved with an index."""
        return {**asdict(self), "priors": dict(self.priors)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ranking:
        """Inverse of :meth:`as_dict` (unknown keys are ignored)."""
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


#: Weights fitted on SkillSkape train (bench/skills_eval.py --fit), per encoder name; None: lexical only.
DEFAULT_RANKINGS: dict[str | None, Ranking] = {
    "use-multilingual-v3": Ranking(semantic=1.0, lexical=0.3587, coverage=0.1577, length=-0.3516),
    "multilingual-e5-small-q4": Ranking(semantic=1.0, lexical=0.246, coverage=0.149, length=-0.18),
    None: Ranking(semantic=0.0, lexical=1.0, coverage=0.7862, length=-0.2066),
}


def ranking_for(encoder_name: str | None) -> Ranking:
    """The default :class:`Ranking` for an encoder (the USE one for an encoder without its own)."""
    found = DEFAULT_RANKINGS.get(encoder_name)
    return found if found is not None else DEFAULT_RANKINGS["use-multilingual-v3"]


def standardise(cosines: NDArray[np.float32]) -> NDArray[np.float32]:
    """``(x - mean) / std / 10`` along the last axis (zeros where the spread is zero)."""
    mean = cosines.mean(axis=-1, keepdims=True)
    std = cosines.std(axis=-1, keepdims=True)
    out: NDArray[np.float32] = np.zeros_like(cosines, dtype=np.float32)
    np.divide(cosines - mean, std * 10.0, out=out, where=std > 0)
    return out


def _ranks(scores: NDArray[np.float32]) -> NDArray[np.float32]:
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.float32)
    ranks[order] = np.arange(len(scores), dtype=np.float32)
    return ranks


def fuse(features: NDArray[np.float32], *, prior: NDArray[np.float32] | None, ranking: Ranking) -> NDArray[np.float32]:
    """Fused score per skill from ``features`` of shape ``(n_skills, len(FEATURES))``."""
    if ranking.fusion == "rrf":
        k = float(ranking.rrf_k)
        fused = 1.0 / (k + _ranks(features[:, 1]))
        if ranking.semantic:
            fused = fused + 1.0 / (k + _ranks(features[:, 0]))
        fused = fused.astype(np.float32)
    else:
        fused = (features @ ranking.weights).astype(np.float32)
    if prior is not None:
        fused = fused + prior
    return fused


def top_k(scores: NDArray[np.float32], k: int, mask: NDArray[np.bool_] | None = None) -> NDArray[np.int64]:
    """Indices of the ``k`` best scores (best first; ties broken by index), within ``mask`` when given."""
    candidates = np.flatnonzero(mask) if mask is not None else np.arange(len(scores))
    sub = scores[candidates]
    k = min(k, len(sub))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-sub, k - 1)[:k] if k < len(sub) else np.arange(len(sub))
    order = part[np.lexsort((part, -sub[part]))]
    return candidates[order].astype(np.int64)
