"""The published catalogue in ELM: each micro-credential as a learning opportunity (Europass QDR's LOQ profile).

:meth:`ElmCatalogue.one` is one published definition (its latest version) and :meth:`ElmCatalogue.page` a page of
them, in the catalogue's order (:data:`PAGE_SIZE` a page), as JSON-LD documents made by
:mod:`cairn.formats.elm_catalogue`. The opportunity's id and homepage are its catalogue page; its specification's id
is the versioned achievement id Cairn's awards name (``/micro-credentials/{slug}/versions/{n}``); organisations are
named by their did:web.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from cairn.errors import NotFoundError
from cairn.formats.elm_catalogue import catalogue_document, learning_opportunity
from cairn.services.catalog.service import CatalogEntry, CatalogService
from cairn.skills.labels import shipped_labels

__all__ = ["PAGE_SIZE", "ElmCatalogue", "ElmPage"]

PAGE_SIZE: Final = 50
"""Learning opportunities in one page of the catalogue export."""


@dataclass(frozen=True)
class ElmPage:
    """One page of the catalogue export: the document, and whether another page follows."""

    document: dict[str, Any]
    page: int
    more: bool


class ElmCatalogue:
    """The catalogue as ELM learning opportunities."""

    def __init__(self, catalog: CatalogService, *, did: Callable[[str], str], public_url: str) -> None:
        self.catalog = catalog
        self.did = did
        self.public_url = public_url.rstrip("/")

    def _opportunity(self, entry: CatalogEntry) -> dict[str, Any]:
        definition = entry.definition
        page = f"{self.public_url}/micro-credentials/{definition.id}"
        skills = [s for o in definition.learning_outcomes for s in o.esco_skills]
        return learning_opportunity(
            definition,
            entry.organisations,
            page_url=page,
            specification_id=f"{page}/versions/{entry.stored.version}",
            organisation_ids={o.id: self.did(o.id) for o in entry.organisations},
            skill_labels=dict(shipped_labels().labels(skills)) if skills else {},
        )

    def one(self, slug: str) -> dict[str, Any]:
        """One published micro-credential as a learning opportunity; NotFoundError for an unknown or draft one."""
        entry = self.catalog.entry(slug)
        if not entry.organisations:
            raise NotFoundError(f"no micro-credential '{slug}'")
        return catalogue_document([self._opportunity(entry)])

    def page(self, number: int = 1) -> ElmPage:
        """Page ``number`` (from 1) of the published catalogue."""
        entries = [e for e in self.catalog.entries() if e.organisations]
        start = (max(number, 1) - 1) * PAGE_SIZE
        chosen = entries[start : start + PAGE_SIZE]
        document = catalogue_document([self._opportunity(e) for e in chosen])
        return ElmPage(document, max(number, 1), start + PAGE_SIZE < len(entries))
