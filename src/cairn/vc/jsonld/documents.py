"""Offline JSON-LD document loading: bundled contexts keyed by URL, remote ones refused by default.

Every context Cairn needs ships inside the package (``cairn/vc/contexts``; ``index.json`` maps each URL to
its file, ``README.txt`` names the sources). A loader is a callable with pyld's ``documentLoader``
signature, ``loader(url, options) -> RemoteDocument``::

    from cairn.vc.jsonld.documents import OfflineLoader
    loader = OfflineLoader()                      # bundled contexts only
    loader("https://www.w3.org/ns/credentials/v2")["document"]["@context"]

A URL that is not bundled raises :class:`~cairn.errors.DocumentLoadError` unless the caller passes an
explicit ``allow_remote`` fetch function (an operator's decision; Cairn never fetches on its own). URLs
are matched exactly: no http/https or trailing-slash aliases are guessed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import Any, Protocol

from cairn.errors import CairnError, DocumentLoadError

__all__ = [
    "BUNDLED_CONTEXTS",
    "CONTEXT_VARIANTS",
    "DEFAULT_LOADER",
    "DocumentLoader",
    "OfflineLoader",
    "RemoteFetch",
    "bundled_context",
]

RemoteFetch = Callable[[str], Mapping[str, Any]]
"""An operator-supplied fetch function: URL in, parsed JSON object out (it applies its own limits)."""


class DocumentLoader(Protocol):
    """pyld's ``documentLoader`` shape: ``loader(url, options) -> {"document": ..., "documentUrl": ...}``."""

    def __call__(self, url: str, options: Mapping[str, Any], /) -> dict[str, Any]:
        """Return a RemoteDocument dict for ``url`` or raise :class:`DocumentLoadError`."""
        ...


def _folder() -> Traversable:
    """The bundled contexts folder (package data of ``cairn.vc``; not a package of its own)."""
    return resources.files("cairn.vc").joinpath("contexts")


def _read_index() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    raw = json.loads(_folder().joinpath("index.json").read_text(encoding="utf-8"))
    contexts = {str(url): str(name) for url, name in raw["contexts"].items()}
    variants = {str(url): tuple(str(n) for n in names) for url, names in raw["variants"].items()}
    return contexts, variants


_CONTEXTS, _VARIANTS = _read_index()

BUNDLED_CONTEXTS: Mapping[str, str] = MappingProxyType(_CONTEXTS)
"""URL -> file name (inside ``cairn/vc/contexts``) of the default copy of each bundled context."""

CONTEXT_VARIANTS: Mapping[str, tuple[str, ...]] = MappingProxyType(_VARIANTS)
"""URL -> every bundled file for URLs with more than one known published version (default first)."""


@cache
def _file_text(name: str) -> str:
    return _folder().joinpath(name).read_text(encoding="utf-8")


def bundled_context(url: str, *, variant: str | None = None) -> dict[str, Any]:
    """Return a fresh parsed copy of the bundled document for ``url``.

    ``variant`` picks one of ``CONTEXT_VARIANTS[url]`` by file name. Raises :class:`DocumentLoadError`
    when the URL (or the variant) is not bundled.
    """
    if variant is not None:
        if variant not in CONTEXT_VARIANTS.get(url, ()):
            raise DocumentLoadError(f"context {url} has no bundled variant {variant!r}")
        name = variant
    else:
        found = BUNDLED_CONTEXTS.get(url)
        if found is None:
            raise DocumentLoadError(f"remote context {url} is not bundled; an operator can allow it")
        name = found
    document = json.loads(_file_text(name))
    if not isinstance(document, dict):
        raise DocumentLoadError(f"bundled context {name} is not a JSON object")
    return document


class OfflineLoader:
    """A pyld ``documentLoader`` that serves bundled contexts and refuses every other URL.

    ``allow_remote`` (keyword-only) is an explicit fetch function an operator may pass for URLs that are
    not bundled; its result must be a JSON object. ``variants`` maps a URL to one of the file names in
    ``CONTEXT_VARIANTS`` to serve instead of the default copy.
    """

    __slots__ = ("_allow_remote", "_variants", "cache_key")

    def __init__(
        self,
        *,
        allow_remote: RemoteFetch | None = None,
        variants: Mapping[str, str] | None = None,
    ) -> None:
        chosen = dict(variants or {})
        for url, name in chosen.items():
            if name not in CONTEXT_VARIANTS.get(url, ()):
                raise DocumentLoadError(f"context {url} has no bundled variant {name!r}")
        self._allow_remote = allow_remote
        self._variants = chosen
        # Loaders that serve the same bundled files share compiled contexts (see cairn.vc.canon.forms).
        self.cache_key: tuple[tuple[str, str], ...] | None = (
            tuple(sorted(chosen.items())) if allow_remote is None else None
        )

    @property
    def allows_remote(self) -> bool:
        """Whether an operator-supplied fetch function handles URLs that are not bundled."""
        return self._allow_remote is not None

    def is_bundled(self, url: str) -> bool:
        """Whether ``url`` is served from the package (no fetch function involved)."""
        return url in BUNDLED_CONTEXTS

    def __call__(self, url: str, options: Mapping[str, Any] | None = None, /) -> dict[str, Any]:
        """Return a pyld RemoteDocument for ``url``; bundled documents carry ``tag: "static"``."""
        if url in BUNDLED_CONTEXTS:
            return {
                "contentType": "application/ld+json",
                "contextUrl": None,
                "documentUrl": url,
                "document": bundled_context(url, variant=self._variants.get(url)),
                "tag": "static",
            }
        if self._allow_remote is None:
            raise DocumentLoadError(f"remote context {url} is not bundled; an operator can allow it")
        try:
            fetched = self._allow_remote(url)
        except CairnError:
            raise
        except Exception as exc:
            raise DocumentLoadError(f"remote context {url} could not be loaded") from exc
        if not isinstance(fetched, Mapping):
            raise DocumentLoadError(f"remote context {url} is not a JSON object")
        try:
            document = json.loads(json.dumps(fetched, allow_nan=False))
        except (TypeError, ValueError, RecursionError) as exc:
            raise DocumentLoadError(f"remote context {url} is not plain JSON") from exc
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": document,
        }


DEFAULT_LOADER = OfflineLoader()
"""The shared offline loader: bundled contexts only, every other URL refused."""
