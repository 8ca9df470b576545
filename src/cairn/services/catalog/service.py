"""Catalogue use cases: read catalogue files, validate them, import them all or nothing, list and show."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from cairn.errors import CatalogError, NotFoundError, Problem
from cairn.model.catalog import MAX_FILE_BYTES, Catalog, CatalogueQuery, build_catalog
from cairn.model.definitions import PUBLISHED, MicroCredentialDefinition, Organisation, SaveAction
from cairn.services.catalog.coawards import accept_all
from cairn.services.catalog.search import CatalogueIndex, Found
from cairn.services.pathways.service import PathwayStore
from cairn.services.recognition.documents import RecognitionStore
from cairn.store.audit import AuditRepository
from cairn.store.catalog.repository import (
    DefinitionRepository,
    OrganisationRepository,
    StoredDefinition,
)
from cairn.store.database import Database

__all__ = [
    "CATALOG_SUFFIXES",
    "CatalogEntry",
    "CatalogService",
    "Found",
    "ImportResult",
    "Search",
    "read_files",
    "validate_paths",
]

CATALOG_SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILES = 10_000


def read_files(paths: Iterable[str | Path]) -> tuple[list[tuple[str, bytes]], list[Problem]]:
    """Read the catalogue files named by ``paths`` (folders are searched for .yaml, .yml and .json).

    Reads at most one byte past the size limit of each file, so a huge file costs nothing.
    """
    files: list[tuple[str, bytes]] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in CATALOG_SUFFIXES)
            if not found:
                problems.append(Problem(str(path), "", "no .yaml, .yml or .json files in this folder"))
        elif path.is_file():
            found = [path]
        else:
            problems.append(Problem(str(path), "", "no such file or folder"))
            continue
        for file in found:
            if len(files) >= MAX_FILES:
                problems.append(Problem(str(file), "", f"more than {MAX_FILES} files; import them in parts"))
                return files, problems
            try:
                with file.open("rb") as fh:
                    files.append((str(file), fh.read(MAX_FILE_BYTES + 1)))
            except OSError as exc:
                problems.append(Problem(str(file), "", f"cannot be read: {exc.strerror or exc}"))
    return files, problems


def validate_paths(
    paths: Sequence[str | Path], *, known_organisations: Iterable[str] = ()
) -> tuple[Catalog, list[Problem]]:
    """Read and validate catalogue files; every problem at once."""
    files, problems = read_files(paths)
    catalog, found = build_catalog(files, known_organisations=known_organisations)
    return catalog, problems + found


@dataclass
class ImportResult:
    """What an import did, counted by kind and action."""

    organisations: Counter[str] = field(default_factory=Counter)
    definitions: Counter[str] = field(default_factory=Counter)
    pathways: Counter[str] = field(default_factory=Counter)
    recognition: Counter[str] = field(default_factory=Counter)
    """Courses and recognition rules."""

    def summary(self) -> str:
        """One line for people."""

        def part(name: str, counts: Counter[str]) -> str:
            done = ", ".join(f"{n} {action}" for action, n in sorted(counts.items()) if n)
            return f"{sum(counts.values())} {name}" + (f" ({done})" if done else "")

        line = f"{part('organisations', self.organisations)}; {part('micro-credentials', self.definitions)}"
        line += f"; {part('pathways', self.pathways)}" if self.pathways else ""
        return line + (f"; {part('courses and recognition rules', self.recognition)}" if self.recognition else "")


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """A definition with its awarding bodies, ready to show."""

    stored: StoredDefinition
    organisations: tuple[Organisation, ...]

    @property
    def definition(self) -> MicroCredentialDefinition:
        """The definition's content."""
        return self.stored.definition


@dataclass(frozen=True, slots=True)
class Search:
    """A search's answer for pages: the entries found, how many the catalogue holds, the counts per filter value,
    and every organisation that awards a published definition (for the issuer filter)."""

    entries: list[CatalogEntry]
    total: int
    counts: dict[str, Counter[str]]
    organisations: tuple[Organisation, ...]


class CatalogService:
    """Catalogue use cases over one database."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime],
        pathways: PathwayStore | None = None,
        recognition: RecognitionStore | None = None,
    ) -> None:
        self.database = database
        self.clock = clock
        self.index = CatalogueIndex(database)
        self.pathways = pathways or PathwayStore(database, clock=clock)
        """Stores the pathways a catalogue holds."""
        self.recognition = recognition or RecognitionStore(database, clock=clock)
        """Stores the courses and recognition rules a catalogue holds."""

    def validate(self, paths: Sequence[str | Path]) -> tuple[Catalog, list[Problem]]:
        """Validate files, allowing definitions to name organisations already stored."""
        with self.database.transaction() as session:
            known = OrganisationRepository(session).slugs()
        return validate_paths(paths, known_organisations=known)

    def import_paths(self, paths: Sequence[str | Path], *, actor: str = "cli") -> ImportResult:
        """Validate and store every file in one transaction: all of it, or (on any problem) nothing."""
        catalog, problems = self.validate(paths)
        if problems:
            raise CatalogError(problems)
        return self.import_catalog(catalog, actor=actor)

    def import_catalog(self, catalog: Catalog, *, actor: str) -> ImportResult:
        """Store a validated catalogue in one transaction.

        An import is an operator's action (``cairn catalog import``, the demo's seed): it counts as acceptance
        by every co-awarding body a definition names (recorded and audited as ``coaward.accept`` by this
        import), where an edit from the pages asks each of them first (:mod:`cairn.services.catalog.coawards`)."""
        now = self.clock()
        result = ImportResult()
        with self.database.transaction() as session:
            orgs, defs, audit = (
                OrganisationRepository(session),
                DefinitionRepository(session),
                AuditRepository(session),
            )
            for org in catalog.organisations.values():
                action = orgs.save(org, now=now)
                result.organisations[action.value] += 1
                if action is not SaveAction.UNCHANGED:
                    audit.append(at=now, actor=actor, action=f"organisation.{action.value}", subject=org.id, details={})
            session.flush()
            for definition in catalog.definitions.values():
                action, version = defs.save(definition, now=now, state=catalog.states.get(definition.id))
                result.definitions[action.value] += 1
                if action is not SaveAction.UNCHANGED:
                    audit.append(
                        at=now,
                        actor=actor,
                        action=f"definition.{action.value}",
                        subject=definition.id,
                        details={"version": version},
                    )
                session.flush()
                accept_all(session, definition, now=now, actor=actor, how="catalogue import")
            for pathway in catalog.pathways.values():
                action_text, _ = self.pathways.save(
                    pathway,
                    actor=actor,
                    state=catalog.pathway_states.get(pathway.id),
                    source=catalog.sources.get(f"pathway:{pathway.id}", pathway.id),
                    session=session,
                )
                result.pathways[action_text] += 1
                session.flush()
            for document in (*catalog.courses.values(), *catalog.recognition.values()):  # courses first
                action_text, _ = self.recognition.save(
                    document,
                    actor=actor,
                    state=catalog.recognition_states.get(key := catalog.key_of(document)),
                    source=catalog.sources.get(key, document.id),
                    session=session,
                )
                result.recognition[action_text] += 1
                session.flush()
        return result

    def entries(self) -> list[CatalogEntry]:
        """The latest version of every published definition (drafts are not public), with its awarding bodies."""
        with self.database.transaction(read_only=True) as session:
            orgs = {o.id: o for o in OrganisationRepository(session).list()}
            return [
                CatalogEntry(s, tuple(orgs[b] for b in s.definition.awarding_bodies if b in orgs))
                for s in DefinitionRepository(session).latest()
                if s.state == PUBLISHED
            ]

    def search(self, query: CatalogueQuery) -> Search:
        """The published definitions ``query`` finds (drafts never), with their awarding bodies and the counts a
        page shows next to each filter value."""
        found: Found = self.index.search(query)
        wanted = {b for s in found.definitions for b in s.definition.awarding_bodies} | set(found.counts["issuer"])
        orgs = self._organisations(wanted | ({query.issuer} if query.issuer else set()))
        entries = [
            CatalogEntry(s, tuple(orgs[b] for b in s.definition.awarding_bodies if b in orgs))
            for s in found.definitions
        ]
        issuing = tuple(o for slug, o in orgs.items() if found.counts["issuer"].get(slug) or slug == query.issuer)
        return Search(entries, found.total, found.counts, issuing)

    def organisation(self, slug: str) -> tuple[Organisation, list[CatalogEntry]]:
        """An organisation and the published definitions it awards; NotFoundError for an unknown one."""
        with self.database.transaction(read_only=True) as session:
            organisation = OrganisationRepository(session).get(slug)
        published = self.index.published_by(slug)
        orgs = self._organisations({b for s in published for b in s.definition.awarding_bodies})
        return organisation, [
            CatalogEntry(s, tuple(orgs[b] for b in s.definition.awarding_bodies if b in orgs)) for s in published
        ]

    def _organisations(self, slugs: Iterable[str]) -> dict[str, Organisation]:
        """The organisations ``slugs`` name, by slug, in order (a record that is no full organisation is left
        out: it awards nothing a page can show)."""
        found: dict[str, Organisation] = {}
        with self.database.transaction(read_only=True) as session:
            repo = OrganisationRepository(session)
            for slug in sorted(slugs):
                row = repo.row(slug)
                if row is not None:
                    try:
                        found[slug] = Organisation.model_validate(row.document)
                    except ValidationError:
                        continue
        return found

    def organisations_named(
        self, identifiers: Iterable[str], *, did_of: Callable[[str], str]
    ) -> dict[str, Organisation]:
        """This instance's organisations among ``identifiers`` (DIDs), by DID: ``did_of(slug)`` is the DID the
        instance gives an organisation, so only a DID this instance controls finds one (what a page shows of a
        joint awarding body; display only: trust is judged by the verification, never by a name)."""
        wanted = {i for i in identifiers if isinstance(i, str) and ":orgs:" in i}
        found: dict[str, Organisation] = {}
        with self.database.transaction(read_only=True) as session:
            repo = OrganisationRepository(session)
            for did in sorted(wanted)[:20]:
                slug = did.rsplit(":orgs:", 1)[1][:80]
                row = repo.row(slug) if did_of(slug) == did else None
                if row is not None:
                    try:
                        found[did] = Organisation.model_validate(row.document)
                    except ValidationError:  # a record that is no full organisation names nobody
                        continue
        return found

    def entry(self, slug: str, version: int | None = None, *, drafts: bool = False) -> CatalogEntry:
        """One definition (latest version unless given) with its awarding bodies; NotFoundError otherwise, and for
        a draft unless ``drafts`` (for its organisations' members)."""
        with self.database.transaction(read_only=True) as session:
            stored = DefinitionRepository(session).get(slug, version)
            if stored.state != PUBLISHED and not drafts:
                raise NotFoundError(f"no micro-credential '{slug}'")
            repo = OrganisationRepository(session)
            return CatalogEntry(stored, tuple(repo.get(b) for b in stored.definition.awarding_bodies))

    def organisations(self) -> list[Organisation]:
        """Every organisation, by id."""
        with self.database.transaction(read_only=True) as session:
            return OrganisationRepository(session).list()

    def versions(self, slug: str) -> list[int]:
        """Every version number of a definition."""
        with self.database.transaction(read_only=True) as session:
            return DefinitionRepository(session).versions(slug)

    def is_empty(self) -> bool:
        """True when no definition is stored."""
        with self.database.transaction(read_only=True) as session:
            return DefinitionRepository(session).count() == 0
