"""Skill-linking evaluation: reading the development sets and the R-Precision@k / MRR metric.

The metric (as in ../shared/README.md): for each sentence, rank every skill; R-Precision@k is the number
of gold skills in the top ``k`` divided by ``min(k, number of gold skills)``; MRR is the mean reciprocal
rank of the first gold skill. Labels "LABEL NOT PRESENT" and "UNDERSPECIFIED" (and SkillSkape's "UNK")
are dropped, one query per sentence, and sentences left without a gold label are not counted.

Readers take a ``resolve`` mapping from an ESCO preferred label to its URI (the gold labels are ESCO
preferred labels); labels it does not know are dropped and counted in the returned ``unresolved``.
"""

from __future__ import annotations

import ast
import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from cairn.errors import InputError
from cairn.skills.esco import EscoData
from cairn.skills.index import SkillIndex
from cairn.skills.train import Example

__all__ = [
    "DROPPED_LABELS",
    "evaluate",
    "label_resolver",
    "rank_metrics",
    "read_decorte",
    "read_outcomes",
    "read_skillskape",
]

#: Gold labels that name no ESCO skill.
DROPPED_LABELS = frozenset({"LABEL NOT PRESENT", "UNDERSPECIFIED", "UNK"})


def label_resolver(esco: EscoData, language: str = "en") -> dict[str, str]:
    """Preferred label -> URI for every skill of ``esco``."""
    return {skill.label(language).preferred: uri for uri, skill in esco.skills.items()}


def _open(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [name for name in columns if name not in (reader.fieldnames or [])]
            if missing:
                raise InputError(f"{path.name}: missing column(s) {', '.join(missing)}")
            return list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path.name}: cannot be read ({exc})") from exc


def read_decorte(path: str | Path, resolve: Mapping[str, str]) -> tuple[list[Example], int]:
    """TECH / HOUSE annotations (``sentence, span, sub_span, label``): one example per sentence with at
    least one gold skill; and the number of labels that could not be resolved."""
    gold: dict[str, set[str]] = {}
    unresolved = 0
    for row in _open(Path(path), ("sentence", "label")):
        labels = gold.setdefault(row["sentence"], set())
        label = row["label"].strip()
        if label in DROPPED_LABELS:
            continue
        if label in resolve:
            labels.add(resolve[label])
        else:
            unresolved += 1
    return [Example(text, frozenset(uris)) for text, uris in gold.items() if uris], unresolved


def read_skillskape(path: str | Path, resolve: Mapping[str, str]) -> tuple[list[Example], int]:
    """SkillSkape (``sentence, skills`` with a Python-literal list of preferred labels)."""
    examples: list[Example] = []
    unresolved = 0
    for row in _open(Path(path), ("sentence", "skills")):
        try:
            labels = ast.literal_eval(row["skills"])
        except (ValueError, SyntaxError) as exc:
            raise InputError(f"{Path(path).name}: unreadable skills cell {row['skills'][:40]!r}") from exc
        uris = set()
        for label in labels:
            if label in DROPPED_LABELS:
                continue
            if label in resolve:
                uris.add(resolve[label])
            else:
                unresolved += 1
        if uris:
            examples.append(Example(row["sentence"], frozenset(uris)))
    return examples, unresolved


def read_outcomes(path: str | Path) -> list[Example]:
    """Learning outcomes labelled with ESCO URIs (``sentence, uris, labels, source``; ``uris`` separated by
    spaces), as in ``bench/data/outcomes_en.csv``."""
    examples: list[Example] = []
    for row in _open(Path(path), ("sentence", "uris")):
        uris = frozenset(row["uris"].split())
        if uris:
            examples.append(Example(row["sentence"], uris))
    return examples


def rank_metrics(
    scores: NDArray[np.float32], gold: Sequence[Iterable[int]], ks: Sequence[int] = (1, 5, 10)
) -> dict[str, float]:
    """RP@k (in percent) and MRR for score rows over all skills and the gold skill positions of each row.

    Ties are broken by position (the earlier skill ranks first).
    """
    sums = dict.fromkeys(ks, 0.0)
    reciprocal = 0.0
    count = 0
    for row, positions in zip(scores, gold, strict=True):
        wanted = np.fromiter(set(positions), dtype=np.int64)
        if len(wanted) == 0:
            continue
        count += 1
        index = np.arange(len(row))
        # rank of a gold skill = skills scoring higher + earlier skills scoring the same
        ranks = np.array([int(np.sum(row > row[g])) + int(np.sum((row == row[g]) & (index < g))) for g in wanted])
        for k in ks:
            sums[k] += float(np.sum(ranks < k)) / min(k, len(wanted))
        reciprocal += 1.0 / (1 + int(ranks.min()))
    if count == 0:
        raise InputError("no sentence with a gold skill to evaluate")
    result = {f"rp@{k}": round(100.0 * sums[k] / count, 2) for k in ks}
    result["mrr"] = round(reciprocal / count, 4)
    result["n"] = count
    return result


def evaluate(index: SkillIndex, examples: Sequence[Example], *, batch: int = 64) -> dict[str, float]:
    """:func:`rank_metrics` of ``index`` over ``examples`` (gold URIs not in the index are dropped)."""
    position = {uri: i for i, uri in enumerate(index.uris)}
    rows: list[NDArray[np.float32]] = []
    gold: list[list[int]] = []
    for start in range(0, len(examples), batch):
        chunk = examples[start : start + batch]
        scores = index.scores([example.text for example in chunk])
        for example, row in zip(chunk, scores, strict=True):
            positions = [position[uri] for uri in example.gold if uri in position]
            if positions:
                rows.append(row)
                gold.append(positions)
    matrix = np.stack(rows) if rows else np.zeros((0, len(index)), dtype=np.float32)
    return rank_metrics(matrix.astype(np.float32), gold)
