"""A small learnt adapter over a frozen sentence encoder, shipped inside the package.

The frozen encoder (USE multilingual v3) was trained for general sentence similarity, not for linking a job-ad
sentence or a learning outcome to the short label of an ESCO skill. An :class:`Adapter` is a linear map of the
query vectors (``normalise(q @ query)``) and, optionally, one of the skill vectors (``normalise(v @ skill)``,
where ``v`` is the label's vector plus ``description_weight`` times the vector of the skill's description),
trained contrastively on SkillSkape train and on ESCO's own alternative labels and descriptions
(``scripts/train_skill_adapter.py``, see docs/skills.md). It carries the fusion weights fitted
with it and a calibrated score floor under which a suggestion is not shown.

The adapter for an encoder lives in ``cairn/skills/data/adapter-<encoder name>.npz``; without that file
everything works as before (no map, the default weights, no floor). Its :attr:`Adapter.fingerprint` is saved
with an index, so that an index built with another adapter (or none) is known to be stale and is rebuilt.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cairn.errors import InputError
from cairn.skills.encoders import Encoder, normalise_rows
from cairn.skills.suggest import Ranking

__all__ = [
    "Adapter",
    "adapter_path",
    "load_adapter",
    "save_adapter",
    "shipped_adapter",
    "shipped_fingerprint",
    "with_descriptions",
]


@dataclass(frozen=True, slots=True)
class Adapter:
    """Linear maps for query and skill vectors, with the ranking (weights, floor) fitted with them."""

    encoder_name: str
    query: NDArray[np.float32]
    skill: NDArray[np.float32] | None = None
    ranking: Ranking | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""
    #: how much of the description's vector is added to a skill's label vector before the skill map
    description_weight: float = 0.0
    #: a description whose vector is closer than this (cosine) to another skill's is left out: a template
    #: ("... programming paradigms in Java", "... in Python") that would pull such skills together
    description_template: float = 1.0

    def __post_init__(self) -> None:
        d = self.query.shape[0]
        if self.query.shape != (d, d) or (self.skill is not None and self.skill.shape != (d, d)):
            raise InputError("an adapter's maps must be square matrices of the encoder's dimension")

    @property
    def dim(self) -> int:
        """The encoder's number of dimensions."""
        return int(self.query.shape[0])

    def map_queries(self, vectors: NDArray[np.float32]) -> NDArray[np.float32]:
        """Query vectors through the adapter (rows normalised again)."""
        return normalise_rows(np.asarray(vectors, dtype=np.float32) @ self.query)

    def map_skills(self, vectors: NDArray[np.float32]) -> NDArray[np.float32]:
        """Skill vectors (see :func:`with_descriptions`) through the adapter (unchanged when it maps queries only)."""
        if self.skill is None:
            return np.asarray(vectors, dtype=np.float32)
        return normalise_rows(np.asarray(vectors, dtype=np.float32) @ self.skill)


def with_descriptions(
    encoder: Encoder,
    label_vectors: NDArray[np.float32],
    descriptions: Sequence[str],
    weight: float,
    template: float = 1.0,
) -> NDArray[np.float32]:
    """Each skill's label vector plus ``weight`` times its description's vector, rows normalised; a skill
    without a description, or whose description's cosine with another one's is above ``template`` (a templated
    description), keeps its label's vector. ``descriptions`` follow the rows of ``label_vectors``."""
    out = np.array(label_vectors, dtype=np.float32, copy=True)
    rows = [i for i, text in enumerate(descriptions) if text.strip()] if weight else []
    if rows:
        vectors = np.asarray(encoder.encode_passages([descriptions[i].strip() for i in rows]), dtype=np.float32)
        if template < 1.0:
            distinct = _nearest_other(normalise_rows(vectors)) <= template
            rows = [row for row, keep in zip(rows, distinct.tolist(), strict=True) if keep]
            vectors = vectors[distinct]
        out[rows] += weight * vectors
    return normalise_rows(out)


def _nearest_other(vectors: NDArray[np.float32], chunk: int = 1024) -> NDArray[np.float32]:
    """For each (normalised) row, the highest cosine with any other row (-1 for a single row)."""
    best = np.full(len(vectors), -1.0, dtype=np.float32)
    for start in range(0, len(vectors), chunk):
        sims = vectors[start : start + chunk] @ vectors.T
        sims[np.arange(len(sims)), start + np.arange(len(sims))] = -1.0
        best[start : start + chunk] = sims.max(axis=1)
    return best


def adapter_path(encoder_name: str) -> Path:
    """Where the shipped adapter for ``encoder_name`` is (the file may be absent)."""
    return Path(str(resources.files("cairn.skills") / "data" / f"adapter-{encoder_name}.npz"))


def save_adapter(adapter: Adapter, path: str | Path) -> str:
    """Write ``adapter`` to ``path`` (an ``.npz``); returns the file's fingerprint."""
    arrays: dict[str, Any] = {
        "query": np.asarray(adapter.query, dtype=np.float32),
        "header": np.array(
            json.dumps(
                {
                    "encoder": adapter.encoder_name,
                    "ranking": adapter.ranking.as_dict() if adapter.ranking is not None else None,
                    "meta": adapter.meta,
                    "description_weight": adapter.description_weight,
                    "description_template": adapter.description_template,
                },
                sort_keys=True,
            )
        ),
    }
    if adapter.skill is not None:
        arrays["skill"] = np.asarray(adapter.skill, dtype=np.float32)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, allow_pickle=False, **arrays)
    data = buffer.getvalue()
    Path(path).write_bytes(data)
    return _fingerprint(data)


def _fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def load_adapter(path: str | Path) -> Adapter:
    """Read an adapter written by :func:`save_adapter`; InputError when it cannot be read."""
    try:
        data = Path(path).read_bytes()
        with np.load(io.BytesIO(data), allow_pickle=False) as found:
            header = json.loads(str(found["header"]))
            query = np.asarray(found["query"], dtype=np.float32)
            skill = np.asarray(found["skill"], dtype=np.float32) if "skill" in found.files else None
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"cannot read the skill adapter {path}: {exc}") from exc
    ranking = Ranking.from_dict(header["ranking"]) if header.get("ranking") else None
    return Adapter(
        encoder_name=str(header["encoder"]),
        query=query,
        skill=skill,
        ranking=ranking,
        meta=dict(header.get("meta") or {}),
        fingerprint=_fingerprint(data),
        description_weight=float(header.get("description_weight") or 0.0),
        description_template=float(header.get("description_template", 1.0)),
    )


@cache
def shipped_adapter(encoder_name: str | None) -> Adapter | None:
    """The adapter shipped for ``encoder_name``; None when there is none (or no encoder)."""
    if encoder_name is None:
        return None
    path = adapter_path(encoder_name)
    if not path.is_file():
        return None
    found = load_adapter(path)
    if found.encoder_name != encoder_name:
        raise InputError(f"{path.name} was trained for {found.encoder_name!r}, not {encoder_name!r}")
    return found


def shipped_fingerprint(encoder_name: str | None) -> str | None:
    """The fingerprint of the adapter shipped for ``encoder_name`` (None: none shipped)."""
    found = shipped_adapter(encoder_name)
    return found.fingerprint if found is not None else None
