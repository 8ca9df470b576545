"""Fitting the fusion weights of a :class:`cairn.skills.suggest.Ranking` on labelled sentences.

A listwise linear re-ranker: for each training sentence the ``candidates`` best skills by
``semantic + lexical`` form a list, the softmax of ``weights . features`` over that list is pulled
towards the gold skills (cross-entropy, L2 penalty, Adam), and the weights are rescaled so that the
semantic weight is 1 (or the lexical weight, for a lexical-only index). Four numbers are learnt, so a few
thousand sentences are plenty; fit on a training set (SkillSkape train), never on an evaluation set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cairn.errors import InputError
from cairn.skills.index import SkillIndex
from cairn.skills.text import prepare_query

__all__ = ["Example", "fit_adapter", "fit_projection", "fit_ranking"]


@dataclass(frozen=True, slots=True)
class Example:
    """A sentence and the URIs of its gold skills."""

    text: str
    gold: frozenset[str]


def _candidates(
    index: SkillIndex, examples: Sequence[Example], candidates: int, batch: int
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    position = {uri: i for i, uri in enumerate(index.uris)}
    rows: list[NDArray[np.float32]] = []
    targets: list[NDArray[np.float32]] = []
    has_vectors = index.encoder is not None and index.vectors is not None
    weights = np.array([1.0 if has_vectors else 0.0, 1.0, 0.0, 0.0], dtype=np.float32)
    for start in range(0, len(examples), batch):
        chunk = examples[start : start + batch]
        features, _ = index.features([prepare_query(example.text) for example in chunk])
        for example, feats in zip(chunk, features, strict=True):
            gold = [position[uri] for uri in example.gold if uri in position]
            if not gold:
                continue
            order = np.argpartition(-(feats @ weights), candidates)[:candidates]
            target = np.isin(order, gold).astype(np.float32)
            if target.sum() == 0:
                continue
            rows.append(feats[order])
            targets.append(target / target.sum())
    if not rows:
        raise InputError("no training sentence has a gold skill among its candidates")
    return np.stack(rows), np.stack(targets)


def fit_ranking(
    index: SkillIndex,
    examples: Iterable[Example],
    *,
    candidates: int = 200,
    l2: float = 1e-3,
    steps: int = 400,
    learning_rate: float = 0.05,
    batch: int = 256,
) -> NDArray[np.float32]:
    """Feature weights (in :data:`cairn.skills.suggest.FEATURES` order) fitted on ``examples``.

    Apply them with ``index.ranking = index.ranking.with_weights(weights)``.
    """
    data = list(examples)
    if candidates < 2:
        raise InputError("candidates must be at least 2")
    x, target = _candidates(index, data, min(candidates, len(index) - 1), batch)
    active = np.array([bool(np.any(x[:, :, i] != 0)) for i in range(x.shape[2])])
    weights = np.zeros(x.shape[2], dtype=np.float64)
    moment = np.zeros_like(weights)
    second = np.zeros_like(weights)
    for step in range(1, steps + 1):
        scores = x @ weights
        scores -= scores.max(axis=1, keepdims=True)
        prob = np.exp(scores)
        prob /= prob.sum(axis=1, keepdims=True)
        grad = np.einsum("qnf,qn->f", x, prob - target) / len(x) + l2 * weights
        grad[~active] = 0.0
        moment = 0.9 * moment + 0.1 * grad
        second = 0.999 * second + 0.001 * grad * grad
        step_size = learning_rate / (1 - 0.9**step)
        weights -= step_size * moment / (np.sqrt(second / (1 - 0.999**step)) + 1e-8)
    anchor = weights[0] if active[0] and weights[0] > 0 else weights[1]
    if anchor <= 0:
        raise InputError("fitting failed: the anchor weight is not positive")
    fitted: NDArray[np.float32] = (weights / anchor).astype(np.float32)
    return fitted


def fit_projection(
    index: SkillIndex, examples: Iterable[Example], *, ridge: float = 10.0, batch: int = 256
) -> NDArray[np.float32]:
    """A linear map for query vectors, fitted by ridge regression towards the identity.

    Each sentence's vector is mapped towards the mean of its gold skills' first (preferred-label) vectors:
    ``argmin |QM - G|^2 + ridge |M - I|^2``. Set it with ``index.projection = ...`` and refit the ranking
    weights afterwards. Needs an index with vectors.
    """
    if index.encoder is None or index.vectors is None or index.vector_labels is None:
        raise InputError("a projection needs an index with an encoder and vectors")
    position = {uri: i for i, uri in enumerate(index.uris)}
    first_vector: dict[int, int] = {}
    owner = np.searchsorted(index.label_starts, index.vector_labels, side="right") - 1
    for row, skill in enumerate(owner.tolist()):
        first_vector.setdefault(int(skill), row)
    data = [example for example in examples if any(uri in position for uri in example.gold)]
    if not data:
        raise InputError("no training sentence has a gold skill in the index")
    vectors = np.asarray(index.vectors, dtype=np.float64)
    queries: list[NDArray[np.float32]] = []
    for start in range(0, len(data), batch):
        texts = [prepare_query(example.text) for example in data[start : start + batch]]
        queries.append(index.encoder.encode_queries(texts))
    q = np.concatenate(queries).astype(np.float64)
    targets = np.stack(
        [vectors[[first_vector[position[uri]] for uri in e.gold if uri in position]].mean(axis=0) for e in data]
    )
    targets /= np.maximum(np.linalg.norm(targets, axis=1, keepdims=True), 1e-12)
    eye = np.eye(q.shape[1])
    matrix = np.linalg.solve(q.T @ q + ridge * eye, q.T @ targets + ridge * eye)
    return matrix.astype(np.float32)


def fit_adapter(
    queries: NDArray[np.float32],
    targets: Sequence[Sequence[int]],
    skills: NDArray[np.float32],
    *,
    sample_weights: NDArray[np.float64] | None = None,
    skill_side: bool = False,
    epochs: int = 4,
    batch: int = 256,
    learning_rate: float = 1e-3,
    scale: float = 20.0,
    l2: float = 1e-2,
    seed: int = 0,
) -> tuple[NDArray[np.float32], NDArray[np.float32] | None]:
    """Linear maps of query (and, with ``skill_side``, skill) vectors trained contrastively, in numpy.

    ``queries`` are the encoder's vectors of training texts (sentences, alternative labels, descriptions),
    ``targets[i]`` the rows of ``skills`` (one vector per skill) that text ``i`` names. The loss is the
    cross-entropy of a softmax over *all* skills of ``scale * cos(q @ Wq, s @ Ws)`` against the gold skills
    (spread evenly over them), so every skill is a negative and the closest wrong ones (siblings in ESCO's
    hierarchy, the encoder's top-ranked wrong skills) weigh most; plus ``l2 * |W - I|^2``, which keeps the
    maps near the identity. Adam; each epoch draws ``len(queries)`` texts (by ``sample_weights`` when given,
    with replacement, else a permutation). Deterministic for a ``seed`` (on one BLAS build).
    """
    if len(queries) != len(targets) or len(queries) == 0:
        raise InputError("one target list per query vector is needed, and at least one query")
    if any(len(t) == 0 for t in targets):
        raise InputError("every training text needs at least one target skill")
    rng = np.random.default_rng(seed)
    q_all = np.asarray(queries, dtype=np.float64)
    s_base = np.asarray(skills, dtype=np.float64)
    d = q_all.shape[1]
    eye = np.eye(d)
    maps = {"query": eye.copy(), "skill": eye.copy()}
    moments = {name: (np.zeros((d, d)), np.zeros((d, d))) for name in maps}
    n = len(q_all)
    probabilities = None if sample_weights is None else np.asarray(sample_weights, dtype=np.float64)
    if probabilities is not None:
        probabilities = probabilities / probabilities.sum()
    step = 0
    for _ in range(epochs):
        order = rng.permutation(n) if probabilities is None else rng.choice(n, size=n, p=probabilities)
        for start in range(0, n, batch):
            rows = order[start : start + batch]
            q = q_all[rows]
            z = q @ maps["query"]
            z_norm = np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
            qn = z / z_norm
            if skill_side:
                zs = s_base @ maps["skill"]
                zs_norm = np.maximum(np.linalg.norm(zs, axis=1, keepdims=True), 1e-12)
                s = zs / zs_norm
            else:
                s = s_base
            logits = scale * (qn @ s.T)
            logits -= logits.max(axis=1, keepdims=True)
            prob = np.exp(logits)
            prob /= prob.sum(axis=1, keepdims=True)
            for r, i in enumerate(rows):
                gold = np.asarray(targets[int(i)], dtype=np.int64)
                prob[r, gold] -= 1.0 / len(gold)
            grad_cos = prob * (scale / len(rows))  # d loss / d cosine
            grad_q = grad_cos @ s
            grad_z = (grad_q - (grad_q * qn).sum(axis=1, keepdims=True) * qn) / z_norm
            grads = {"query": q.T @ grad_z + l2 * (maps["query"] - eye)}
            if skill_side:
                grad_s = grad_cos.T @ qn
                grad_zs = (grad_s - (grad_s * s).sum(axis=1, keepdims=True) * s) / zs_norm
                grads["skill"] = s_base.T @ grad_zs + l2 * (maps["skill"] - eye)
            step += 1
            for name, grad in grads.items():
                first, second = moments[name]
                first *= 0.9
                first += 0.1 * grad
                second *= 0.999
                second += 0.001 * grad * grad
                size = learning_rate / (1 - 0.9**step)
                maps[name] -= size * first / (np.sqrt(second / (1 - 0.999**step)) + 1e-8)
    query_map = maps["query"].astype(np.float32)
    return query_map, (maps["skill"].astype(np.float32) if skill_side else None)
