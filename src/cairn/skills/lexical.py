"""Lexical matching: a small analyser and a BM25 index over short labels, in numpy only.

Each label (a preferred or an alternative label) is one BM25 document; a concept's lexical score is the
best score of its labels, so a skill with many alternative labels is not penalised for their total length.
The postings are stored as compressed sparse rows (term -> label ids and precomputed weights), so a query
costs one addition per posting of its terms and the index saves to, and loads from, plain arrays.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cairn.skills.text import FUNCTION_WORDS, guess_language

__all__ = ["STOPWORDS", "Bm25Index", "analyse", "analyse_query", "words"]

#: Function words that carry no skill meaning (English, the label language); they are dropped.
STOPWORDS: frozenset[str] = frozenset(
    [
        *("a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "into"),
        *("is", "it", "its", "of", "on", "or", "our", "such", "that", "the", "their", "this", "to", "we"),
        *("will", "with", "you", "your", "who", "which", "ability", "able", "etc"),
    ]
)

_TOKEN = re.compile(r"[^\W_](?:[^\W_]|[+#])*")


@lru_cache(maxsize=1)
def _stemmer() -> Callable[[str], str]:
    """The Snowball English stemmer (``snowballstemmer`` is a required dependency: no silent fallback)."""
    module: Any = importlib.import_module("snowballstemmer")
    stem: Callable[[str], str] = module.stemmer("english").stemWord
    return stem


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _stemmer()(word)


def analyse(text: str) -> list[str]:
    """Lower-cased, stemmed word tokens of ``text`` without stop words (``C++``, ``C#`` kept whole)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return [_stem(token) for token in _TOKEN.findall(folded) if token not in STOPWORDS]


def words(text: str) -> list[tuple[str, str]]:
    """``(word as written, its stem)`` for the word tokens of ``text`` that :func:`analyse` keeps, in order."""
    normal = unicodedata.normalize("NFKC", text)
    found = [(token, token.casefold()) for token in _TOKEN.findall(normal)]
    return [(token, _stem(folded)) for token, folded in found if folded not in STOPWORDS]


def analyse_query(text: str) -> list[str]:
    """:func:`analyse` for a query, without the function words of the language it is written in
    (:func:`cairn.skills.text.guess_language`): the labels are English, so German "die" could only meet the
    skill "dies" by accident."""
    language = guess_language(text)
    drop = FUNCTION_WORDS.get(language or "", frozenset()) if language != "en" else frozenset()
    folded = unicodedata.normalize("NFKC", text).casefold()
    return [_stem(word) for word in _TOKEN.findall(folded) if word not in STOPWORDS and word not in drop]


@dataclass(frozen=True, slots=True)
class Bm25Index:
    """BM25 over labels that belong to concepts; ``owner[i]`` is the concept of label ``i``.

    Labels of one concept must be contiguous (``starts[c]`` is the first label of concept ``c``).
    """

    vocabulary: Mapping[str, int]
    indptr: NDArray[np.int64]
    label_ids: NDArray[np.int32]
    weights: NDArray[np.float32]
    starts: NDArray[np.int64]
    n_labels: int
    sizes: NDArray[np.float32] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sizes", self._label_sizes())

    @classmethod
    def build(cls, labels: Sequence[Sequence[str]], *, k1: float = 1.2, b: float = 0.75) -> Bm25Index:
        """Index ``labels[c]``, the labels of concept ``c``; ``k1`` and ``b`` are the BM25 constants."""
        vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        tfs: list[float] = []
        lengths: list[int] = []
        starts = [0]
        label_id = 0
        for concept_labels in labels:
            for label in concept_labels:
                tokens = analyse(label)
                lengths.append(len(tokens))
                counts: dict[int, int] = {}
                for token in tokens:
                    term = vocabulary.setdefault(token, len(vocabulary))
                    counts[term] = counts.get(term, 0) + 1
                for term, count in counts.items():
                    rows.append(term)
                    cols.append(label_id)
                    tfs.append(float(count))
                label_id += 1
            starts.append(label_id)
        n_labels = label_id
        term_arr = np.asarray(rows, dtype=np.int64)
        label_arr = np.asarray(cols, dtype=np.int32)
        tf = np.asarray(tfs, dtype=np.float32)
        length = np.asarray(lengths, dtype=np.float32)
        avg = float(length.mean()) if n_labels else 1.0
        df = np.bincount(term_arr, minlength=len(vocabulary)).astype(np.float32)
        idf = np.log1p((n_labels - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = k1 * (1.0 - b + b * length[label_arr] / max(avg, 1e-6))
        weight = idf[term_arr] * tf * (k1 + 1.0) / (tf + norm)
        order = np.lexsort((label_arr, term_arr))
        indptr = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        np.cumsum(np.bincount(term_arr, minlength=len(vocabulary)), out=indptr[1:])
        return cls(
            vocabulary=vocabulary,
            indptr=indptr,
            label_ids=label_arr[order],
            weights=weight[order].astype(np.float32),
            starts=np.asarray(starts, dtype=np.int64),
            n_labels=n_labels,
        )

    def _label_sizes(self) -> NDArray[np.float32]:
        """Number of distinct terms of each label (at least 1)."""
        sizes = np.bincount(self.label_ids, minlength=self.n_labels).astype(np.float32)
        return np.maximum(sizes, 1.0)

    def label_scores(self, tokens: Sequence[str]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """For the analysed query ``tokens`` (each distinct term counted once), per label: the BM25 score
        and the coverage, the share of the label's distinct terms that occur in the query."""
        scores = np.zeros(self.n_labels, dtype=np.float32)
        matched = np.zeros(self.n_labels, dtype=np.float32)
        for token in dict.fromkeys(tokens):
            term = self.vocabulary.get(token)
            if term is None:
                continue
            lo, hi = int(self.indptr[term]), int(self.indptr[term + 1])
            ids = self.label_ids[lo:hi]
            scores[ids] += self.weights[lo:hi]
            matched[ids] += 1.0
        return scores, matched / self.sizes

    def scores(
        self, tokens: Sequence[str], label_weights: NDArray[np.float32] | None = None
    ) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
        """Per concept, the best weighted BM25 score and the best weighted coverage of its labels; and the
        weighted BM25 score of every label (to find the label that matched)."""
        per_label, coverage = self.label_scores(tokens)
        if label_weights is not None:
            per_label *= label_weights
            coverage *= label_weights
        n_concepts = len(self.starts) - 1
        if self.n_labels == 0:
            empty = np.zeros(n_concepts, dtype=np.float32)
            return empty, empty.copy(), per_label
        first = self.starts[:-1]
        best = np.maximum.reduceat(per_label, first).astype(np.float32)
        covered = np.maximum.reduceat(coverage, first).astype(np.float32)
        return best, covered, per_label

    def arrays(self) -> dict[str, NDArray[Any]]:
        """The arrays to save (the vocabulary is saved separately, as a list in id order)."""
        return {
            "bm25_indptr": self.indptr,
            "bm25_label_ids": self.label_ids,
            "bm25_weights": self.weights,
            "bm25_starts": self.starts,
        }

    @classmethod
    def from_arrays(cls, terms: Sequence[str], arrays: Mapping[str, NDArray[Any]]) -> Bm25Index:
        """Rebuild from :meth:`arrays` and the vocabulary list."""
        starts = np.asarray(arrays["bm25_starts"], dtype=np.int64)
        return cls(
            vocabulary={term: i for i, term in enumerate(terms)},
            indptr=np.asarray(arrays["bm25_indptr"], dtype=np.int64),
            label_ids=np.asarray(arrays["bm25_label_ids"], dtype=np.int32),
            weights=np.asarray(arrays["bm25_weights"], dtype=np.float32),
            starts=starts,
            n_labels=int(starts[-1]) if len(starts) else 0,
        )
