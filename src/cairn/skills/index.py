"""A searchable index of ESCO skills: BM25 over labels plus precomputed label vectors.

Build it once from :class:`cairn.skills.esco.EscoData` (the vectors of all labels are computed then), save
it to a folder, and open it again with the vectors memory-mapped::

    index = SkillIndex.build(load_esco(folder), encoder=UseEncoder())
    index.save("skills.index")
    index = SkillIndex.load("skills.index")          # reopens the encoder named in the index
    index.suggest("Develop web applications in Python", k=10, types={"skill/competence"})

A saved index is a folder with ``index.json`` (labels, URIs, settings), ``arrays.npz`` (BM25 postings
and offsets) and ``vectors.npy`` (float32, one row per embedded label), which :meth:`SkillIndex.load`
memory-maps, and optionally ``projection.npy`` (a learnt map applied to query vectors). ``index.json`` is
written last; it names the fingerprint of the :mod:`cairn.skills.adapter` the index was built with, so that an
index built before the shipped adapter changed (or appeared) is known to be stale (:meth:`SkillIndex.is_current`)
and is rebuilt. :meth:`SkillIndex.publish` writes into a temporary sibling folder and renames it into place,
so that another process finds either no index or a whole one, never half of one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from cairn.errors import InputError
from cairn.skills.adapter import Adapter, shipped_adapter, shipped_fingerprint, with_descriptions
from cairn.skills.encoders import Encoder, encoder_named, normalise_rows
from cairn.skills.esco import EscoData
from cairn.skills.lexical import Bm25Index, analyse_query
from cairn.skills.suggest import FEATURES, Ranking, Suggestion, fuse, ranking_for, standardise, top_k
from cairn.skills.text import SUPPORTED_LANGUAGES, guess_language, prepare_query

__all__ = ["FORMAT", "SkillIndex", "building"]

#: Version of the saved layout; :meth:`SkillIndex.load` refuses another one.
FORMAT = 1


@contextmanager
def building(path: str | Path | None) -> Iterator[None]:
    """Held while this process builds the index to be published at ``path``: an exclusive lock on the sibling file
    ``.NAME.lock``, so that of several processes starting on one fresh instance (``cairn serve`` processes, a CLI
    command) one builds and the others wait, then open what it published, instead of each spending the same
    CPU seconds at once. Without a path or POSIX locks (no ``fcntl``, a file system that refuses ``flock``, a file
    that cannot be made), nothing is held: each process builds, as before."""
    handle = None
    if path is not None:
        folder = Path(path)
        try:
            import fcntl

            folder.parent.mkdir(parents=True, exist_ok=True)
            handle = (folder.parent / f".{folder.name}.lock").open("a+b")
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed, or when the process dies
        except (ImportError, OSError):
            if handle is not None:
                handle.close()
            handle = None
    try:
        yield
    finally:
        if handle is not None:
            handle.close()


class SkillIndex:
    """Skills with their labels, a BM25 index over the labels and (optionally) label vectors."""

    def __init__(
        self,
        *,
        uris: Sequence[str],
        labels: Sequence[str],
        label_starts: NDArray[np.int64],
        skill_types: Sequence[str],
        reuse_levels: Sequence[str],
        collections: Sequence[Iterable[str]],
        bm25: Bm25Index,
        vectors: NDArray[np.float32] | None = None,
        vector_labels: NDArray[np.int64] | None = None,
        encoder: Encoder | None = None,
        encoder_name: str | None = None,
        ranking: Ranking | None = None,
        esco_version: str | None = None,
        language: str = "en",
        projection: NDArray[np.float32] | None = None,
        adapter: str | None = None,
    ) -> None:
        self.uris = tuple(uris)
        self.labels = tuple(labels)
        self.label_starts = np.asarray(label_starts, dtype=np.int64)
        self.skill_types = tuple(skill_types)
        self.reuse_levels = tuple(reuse_levels)
        self.collections = tuple(frozenset(names) for names in collections)
        self.bm25 = bm25
        self.vectors = vectors
        self.vector_labels = vector_labels
        self.encoder = encoder
        self.encoder_name = encoder_name if encoder is None else encoder.name
        self.ranking = ranking or ranking_for(self.encoder_name)
        self.esco_version = esco_version
        self.language = language
        #: Optional learnt linear map applied to query vectors (see :func:`cairn.skills.train.fit_projection`).
        self.projection = projection
        #: Fingerprint of the adapter the vectors and projection come from (None: built without one).
        self.adapter = adapter
        n = len(self.uris)
        if len(self.label_starts) != n + 1 or bool(np.any(np.diff(self.label_starts) < 1)):
            raise InputError("every skill needs at least one label")
        owner = np.repeat(np.arange(n), np.diff(self.label_starts))
        self._label_owner = owner.astype(np.int64)
        self._is_preferred = np.zeros(len(self.labels), dtype=bool)
        self._is_preferred[self.label_starts[:-1]] = True
        self._vector_starts: NDArray[np.int64] | None = None
        if vectors is not None and vector_labels is not None:
            vector_owner = owner[vector_labels]
            if bool(np.any(np.diff(vector_owner) < 0)):
                raise InputError("label vectors must be grouped by skill")
            counts = np.bincount(vector_owner, minlength=n)
            if bool(np.any(counts == 0)):
                raise InputError("every skill needs at least one label vector")
            self._vector_starts = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        self._derived: dict[str, Any] = {}

    # ------------------------------------------------------------------ building and storing

    @classmethod
    def build(
        cls,
        esco: EscoData,
        *,
        encoder: Encoder | None,
        language: str = "en",
        embed_alternatives: bool = False,
        ranking: Ranking | None = None,
        adapter: Adapter | Literal["shipped"] | None = "shipped",
    ) -> SkillIndex:
        """Index every skill of ``esco`` in ``language``: BM25 over preferred and alternative labels,
        vectors of preferred labels (and of alternative labels with ``embed_alternatives``), each blended with
        the vector of the skill's description when the adapter says so (:func:`cairn.skills.adapter.with_descriptions`).

        ``encoder=None`` builds a lexical-only index. Skills without labels in ``language`` fall back to
        their first language's labels. ``adapter``: the one shipped for the encoder (the default; nothing
        when none is shipped), a given one, or None (the frozen encoder alone). The adapter maps the label
        vectors (when it has a skill map), becomes the query projection and brings its ranking (weights and
        floor) unless ``ranking`` is given.
        """
        if not esco.skills:
            raise InputError("the ESCO data has no skills to index")
        uris: list[str] = []
        labels: list[str] = []
        starts = [0]
        skill_labels: list[tuple[str, ...]] = []
        for uri in sorted(esco.skills):
            skill = esco.skills[uri]
            words = skill.label(language).all()
            uris.append(uri)
            labels.extend(words)
            starts.append(len(labels))
            skill_labels.append(words)
        label_starts = np.asarray(starts, dtype=np.int64)
        bm25 = Bm25Index.build(skill_labels)
        vectors = vector_labels = None
        used: Adapter | None = None
        if encoder is not None:
            used = shipped_adapter(encoder.name) if adapter == "shipped" else adapter
            if used is not None and (used.encoder_name != encoder.name or used.dim != encoder.dim):
                raise InputError(f"the adapter was trained for {used.encoder_name!r}, not {encoder.name!r}")
            chosen = np.arange(len(labels)) if embed_alternatives else label_starts[:-1]
            vector_labels = np.asarray(chosen, dtype=np.int64)
            vectors = encoder.encode_passages([labels[i] for i in vector_labels])
            if used is not None:
                if used.description_weight and not embed_alternatives:  # one vector a skill: its label's
                    descriptions = [esco.skills[uri].description(language) for uri in uris]
                    vectors = with_descriptions(
                        encoder, vectors, descriptions, used.description_weight, used.description_template
                    )
                vectors = used.map_skills(vectors)
                ranking = ranking or used.ranking
        skills = [esco.skills[uri] for uri in uris]
        return cls(
            uris=uris,
            labels=labels,
            label_starts=label_starts,
            skill_types=[skill.skill_type for skill in skills],
            reuse_levels=[skill.reuse_level for skill in skills],
            collections=[skill.collections for skill in skills],
            bm25=bm25,
            vectors=vectors,
            vector_labels=vector_labels,
            encoder=encoder,
            ranking=ranking,
            esco_version=esco.version,
            language=language,
            projection=used.query if used is not None else None,
            adapter=used.fingerprint if used is not None else None,
        )

    def save(self, path: str | Path) -> Path:
        """Write the index to the folder ``path`` (created if needed); returns the folder."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT,
            "encoder": self.encoder_name,
            "esco_version": self.esco_version,
            "language": self.language,
            "ranking": self.ranking.as_dict(),
            "adapter": self.adapter,
            "uris": self.uris,
            "labels": self.labels,
            "skill_types": self.skill_types,
            "reuse_levels": self.reuse_levels,
            "collections": [sorted(names) for names in self.collections],
            "vocabulary": sorted(self.bm25.vocabulary, key=self.bm25.vocabulary.__getitem__),
        }
        arrays = {"label_starts": self.label_starts, **self.bm25.arrays()}
        if self.vector_labels is not None:
            arrays["vector_labels"] = self.vector_labels
        np.savez(folder / "arrays.npz", allow_pickle=False, **arrays)
        vector_file = folder / "vectors.npy"
        if self.vectors is not None:
            np.save(vector_file, np.ascontiguousarray(self.vectors, dtype=np.float32))
        elif vector_file.exists():
            vector_file.unlink()
        projection_file = folder / "projection.npy"
        if self.projection is not None:
            np.save(projection_file, np.asarray(self.projection, dtype=np.float32))
        elif projection_file.exists():
            projection_file.unlink()
        # last: a folder without index.json is not an index (load refuses it)
        (folder / "index.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        return folder

    def publish(self, path: str | Path) -> Path:
        """Save into a temporary folder next to ``path``, then rename it to ``path`` (replacing an index
        there): readers see the old index or the new one, whole. When another process published at the
        same moment, its index stays and this one is dropped. Returns ``path``."""
        folder = Path(path)
        folder.parent.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
        try:
            self.save(temp)
            for _ in range(3):
                try:
                    os.rename(temp, folder)
                    return folder
                except OSError:
                    if not folder.exists():
                        raise
                aside = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.old")
                try:
                    os.rename(folder, aside)
                except FileNotFoundError:  # another process moved it away first: try again
                    continue
                shutil.rmtree(aside, ignore_errors=True)  # open memory maps of it stay valid on POSIX
            return folder  # another process keeps publishing here; its index is as good
        finally:
            shutil.rmtree(temp, ignore_errors=True)

    @classmethod
    def load(cls, path: str | Path, *, encoder: Encoder | None = None, mmap: bool = True) -> SkillIndex:
        """Open a saved index; the vectors are memory-mapped unless ``mmap=False``.

        Without ``encoder`` the encoder named in the index is created (its package must be installed).
        """
        folder = Path(path)
        try:
            meta = json.loads((folder / "index.json").read_text(encoding="utf-8"))
            arrays = dict(np.load(folder / "arrays.npz", allow_pickle=False))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the skill index in {folder}: {exc}") from exc
        if meta.get("format") != FORMAT:
            raise InputError(f"the skill index in {folder} has format {meta.get('format')}; expected {FORMAT}")
        name = meta.get("encoder")
        vectors = projection = None
        if (folder / "projection.npy").exists():
            projection = np.load(folder / "projection.npy", allow_pickle=False)
        if name is not None:
            vectors = np.load(folder / "vectors.npy", mmap_mode="r" if mmap else None, allow_pickle=False)
            if encoder is None:
                encoder = encoder_named(name)
            elif encoder.name != name:
                raise InputError(f"the index was built with {name!r}, not {encoder.name!r}")
        return cls(
            uris=meta["uris"],
            labels=meta["labels"],
            label_starts=arrays["label_starts"],
            skill_types=meta["skill_types"],
            reuse_levels=meta["reuse_levels"],
            collections=meta["collections"],
            bm25=Bm25Index.from_arrays(meta["vocabulary"], arrays),
            vectors=vectors,
            vector_labels=arrays.get("vector_labels"),
            encoder=encoder if name is not None else None,
            encoder_name=name,
            ranking=Ranking.from_dict(meta.get("ranking", {})),
            esco_version=meta.get("esco_version"),
            language=meta.get("language", "en"),
            projection=projection,
            adapter=meta.get("adapter"),
        )

    def is_current(self) -> bool:
        """Whether the index was built with the adapter now shipped for its encoder (or, with none shipped,
        without one). A lexical-only index is always current."""
        if self.encoder_name is None:
            return True
        return self.adapter == shipped_fingerprint(self.encoder_name)

    # ------------------------------------------------------------------ searching

    def __len__(self) -> int:
        return len(self.uris)

    def common_stems(self, min_skills: int = 25) -> frozenset[str]:
        """Word stems found in the labels of at least ``min_skills`` skills ("data", "report"): too common to
        name a skill alone (see :func:`cairn.skills.jobs.support`)."""
        key = f"common:{min_skills}"
        if key not in self._derived:
            bm25 = self.bm25
            terms = np.repeat(np.arange(len(bm25.vocabulary)), np.diff(bm25.indptr))
            pairs = np.unique(np.stack([terms, self._label_owner[bm25.label_ids]]), axis=1)
            counts = np.bincount(pairs[0], minlength=len(bm25.vocabulary))
            self._derived[key] = frozenset(t for t, i in bm25.vocabulary.items() if counts[i] >= min_skills)
        found: frozenset[str] = self._derived[key]
        return found

    def labels_of(self, uri: str) -> tuple[str, ...]:
        """The labels of the skill ``uri`` (its preferred label first); () for a skill not in the index."""
        if "positions" not in self._derived:
            self._derived["positions"] = {u: i for i, u in enumerate(self.uris)}
        i = self._derived["positions"].get(uri)
        if i is None:
            return ()
        return self.labels[int(self.label_starts[i]) : int(self.label_starts[i + 1])]

    def _label_weights(self) -> NDArray[np.float32]:
        key = f"label_weights:{self.ranking.alternative_weight}"
        if key not in self._derived:
            weights = np.full(len(self.labels), self.ranking.alternative_weight, dtype=np.float32)
            weights[self._is_preferred] = 1.0
            self._derived[key] = weights
        found: NDArray[np.float32] = self._derived[key]
        return found

    def _length(self) -> NDArray[np.float32]:
        if "length" not in self._derived:
            terms = self.bm25.sizes[self.label_starts[:-1]]
            self._derived["length"] = np.log1p(terms).astype(np.float32)
        found: NDArray[np.float32] = self._derived["length"]
        return found

    def _prior(self) -> NDArray[np.float32] | None:
        priors = self.ranking.priors
        if not priors:
            return None
        key = "prior:" + json.dumps(sorted(priors.items()))
        if key not in self._derived:
            prior = np.array(
                [
                    priors.get(f"reuse:{reuse}", 0.0) + priors.get(f"type:{kind}", 0.0)
                    for reuse, kind in zip(self.reuse_levels, self.skill_types, strict=True)
                ],
                dtype=np.float32,
            )
            self._derived[key] = prior
        found: NDArray[np.float32] = self._derived[key]
        return found

    def semantic_scores(self, query_vectors: NDArray[np.float32]) -> NDArray[np.float32]:
        """Best cosine similarity of each skill's label vectors, one row per query vector."""
        if self.vectors is None or self._vector_starts is None:
            raise InputError("this index has no vectors")
        sims = np.atleast_2d(query_vectors) @ np.asarray(self.vectors).T
        if len(self.vectors) == len(self.uris):
            return sims.astype(np.float32)
        return np.maximum.reduceat(sims, self._vector_starts[:-1], axis=1).astype(np.float32)

    def query_vectors(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Vectors of cleaned texts, through the learnt projection when there is one."""
        if self.encoder is None:
            raise InputError("this index has no encoder")
        vectors = self.encoder.encode_queries(list(texts))
        if self.projection is not None:
            vectors = normalise_rows(vectors @ self.projection)
        return vectors

    def features(self, texts: Sequence[str]) -> tuple[NDArray[np.float32], list[NDArray[np.float32]]]:
        """Features of every skill for each cleaned text, shape ``(len(texts), len(self), 4)`` (see
        :mod:`cairn.skills.suggest`); and, per text, the weighted BM25 score of every label."""
        weights = self._label_weights()
        out = np.zeros((len(texts), len(self.uris), len(FEATURES)), dtype=np.float32)
        per_label: list[NDArray[np.float32]] = []
        for row, text in enumerate(texts):
            lexical, coverage, labels = self.bm25.scores(analyse_query(text), weights)
            top = float(lexical.max()) if len(lexical) else 0.0
            if top > 0:
                out[row, :, 1] = lexical / top
            out[row, :, 2] = coverage
            per_label.append(labels)
        out[:, :, 3] = self._length()
        if self.encoder is not None and self.vectors is not None and texts:
            vectors = self.query_vectors(texts)
            out[:, :, 0] = standardise(self.semantic_scores(vectors))
        return out, per_label

    def scores(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Fused scores of every skill for each text (rows follow ``texts``); texts are checked first."""
        cleaned = [prepare_query(text) for text in texts]
        return self._scores(cleaned)[0]

    def _scores(self, cleaned: Sequence[str]) -> tuple[NDArray[np.float32], list[NDArray[np.float32]]]:
        features, per_label = self.features(cleaned)
        prior = self._prior()
        fused = np.stack([fuse(row, prior=prior, ranking=self.ranking) for row in features])
        return fused.reshape(len(cleaned), len(self.uris)), per_label

    def mask(
        self, *, types: Iterable[str] | None = None, collections: Iterable[str] | None = None
    ) -> NDArray[np.bool_] | None:
        """Which skills pass the filters (None when there is no filter); unknown names raise InputError."""
        keep: NDArray[np.bool_] | None = None
        if types is not None:
            wanted = set(types)
            known = set(self.skill_types)
            unknown = sorted(wanted - known)
            if unknown:
                raise InputError(f"unknown skill type(s) {unknown}; known: {sorted(known - {''})}")
            keep = np.array([kind in wanted for kind in self.skill_types], dtype=bool)
        if collections is not None:
            wanted = set(collections)
            known = set().union(*self.collections)
            unknown = sorted(wanted - known)
            if unknown:
                raise InputError(f"unknown collection(s) {unknown}; known: {sorted(known)}")
            in_any = np.array([bool(names & wanted) for names in self.collections], dtype=bool)
            keep = in_any if keep is None else keep & in_any
        return keep

    def suggest(
        self,
        text: str,
        *,
        k: int = 10,
        types: Iterable[str] | None = None,
        collections: Iterable[str] | None = None,
        min_score: float | None = None,
    ) -> list[Suggestion]:
        """The ``k`` best skills for ``text``, best first.

        ``types`` keeps only these skill types (``"skill/competence"``, ``"knowledge"``); ``collections``
        keeps only skills in at least one of these collections (``"digital"``, ``"green"``,
        ``"transversal"``, ``"language"``, ...). Raises :class:`InputError` for text that cannot be searched
        (empty, too long, unsupported language; any language but the index's own when the index has no
        encoder) or an unknown filter name. ``matched_label`` is the label with the best lexical match,
        or the preferred label when no word matched. ``min_score`` drops suggestions scoring under it (the
        calibrated floor is ``self.ranking.floor``), so that fewer than ``k`` may come back.
        """
        return self.suggest_many([text], k=k, types=types, collections=collections, min_score=min_score)[0]

    def suggest_many(
        self,
        texts: Sequence[str],
        *,
        k: int = 10,
        types: Iterable[str] | None = None,
        collections: Iterable[str] | None = None,
        min_score: float | None = None,
    ) -> list[list[Suggestion]]:
        """:meth:`suggest` for several texts at once (their vectors are computed in one batch)."""
        if k < 0:
            raise InputError("k must be zero or more")
        keep = self.mask(types=types, collections=collections)
        cleaned = [prepare_query(text) for text in texts]
        if not cleaned:
            return []
        if self.encoder is None:
            own = SUPPORTED_LANGUAGES.get(self.language, self.language)
            for text in cleaned:
                language = guess_language(text)
                if language is not None and language != self.language:
                    raise InputError(
                        f"this skill index matches words only, in {own}; "
                        f"the text looks like {SUPPORTED_LANGUAGES.get(language, language)}"
                    )
        fused, per_label = self._scores(cleaned)
        results: list[list[Suggestion]] = []
        for row, lexical_labels in zip(fused, per_label, strict=True):
            found = top_k(row, k, keep)
            if min_score is not None:
                found = found[np.round(row[found].astype(np.float64), 6) >= min_score]  # as shown: rounded
            results.append([self._suggestion(int(i), float(row[i]), lexical_labels) for i in found])
        return results

    def _suggestion(self, skill: int, score: float, lexical_labels: NDArray[np.float32]) -> Suggestion:
        lo, hi = int(self.label_starts[skill]), int(self.label_starts[skill + 1])
        best = lo + int(np.argmax(lexical_labels[lo:hi]))
        if lexical_labels[best] <= 0:
            best = lo
        return Suggestion(
            uri=self.uris[skill],
            label=self.labels[lo],
            score=round(score, 6),
            matched_label=self.labels[best],
            skill_type=self.skill_types[skill],
            reuse_level=self.reuse_levels[skill],
        )
