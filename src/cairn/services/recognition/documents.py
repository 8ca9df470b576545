"""Courses and recognition rules as institutions publish them (``kind: course``, ``kind: recognition``): parsed with
the rule engine's loaders (every problem by its path), checked against what is stored (the course the rules name,
the institution's own, the definitions they accept), and stored as a new version when they changed. Only the
institution's own editors save its documents (the ``organisation`` argument: the organisation the caller acts for).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cairn.errors import CatalogError, ConflictError, InputError, NotFoundError, PermissionDeniedError, Problem
from cairn.model.definitions import PUBLISHED, STATES, Organisation
from cairn.model.recognition import (
    COURSE_KIND,
    KIND,
    Course,
    RecognitionRules,
    check_recognition,
    load_course,
    load_recognition,
)
from cairn.phrases import Phrase
from cairn.store.audit import AuditRepository
from cairn.store.catalog.repository import DefinitionRepository, OrganisationRepository
from cairn.store.database import Database
from cairn.store.recognition.repository import Kind, RecognitionRepository, StoredDocument

__all__ = ["CourseView", "RecognitionStore", "RulesView", "document_hash"]

Document = Course | RecognitionRules


def document_hash(document: Document) -> str:
    """SHA-256 (hex) of a course's or rules' canonical JSON: equal content, equal hash."""
    data = document.model_dump(mode="json", exclude_none=True)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class CourseView:
    """One version of a course, with its institution."""

    stored: StoredDocument
    course: Course
    institution: Organisation

    @property
    def version(self) -> int:
        """This version's number."""
        return self.stored.version


@dataclass(frozen=True, slots=True)
class RulesView:
    """One version of recognition rules, with the latest version of their course and the institution."""

    stored: StoredDocument
    rules: RecognitionRules
    course: CourseView
    institution: Organisation

    @property
    def slug(self) -> str:
        """The rules' id."""
        return self.stored.slug

    @property
    def version(self) -> int:
        """This version's number."""
        return self.stored.version


def _kind_of(data: Mapping[str, Any] | Document) -> Kind:
    if isinstance(data, Course):
        return "course"
    if isinstance(data, RecognitionRules):
        return "recognition"
    kind = data.get("kind")
    if kind == COURSE_KIND:
        return "course"
    if kind == KIND:
        return "recognition"
    raise InputError("say what this is: kind: course or kind: recognition")


class RecognitionStore:
    """Courses and recognition rules saved (checked, versioned) and read, over one database."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock

    # -- parsing and checking ------------------------------------------------------------------------

    def parse(self, data: Mapping[str, Any], *, source: str = "") -> Document:
        """A course or rules document from its JSON / YAML form (its ``kind`` says which); CatalogError naming
        every problem by its path."""
        kind = _kind_of(data)
        found: Document | None
        if kind == "course":
            found, problems = load_course(data, source=source or "course")
        else:
            found, problems = load_recognition(data, source=source or "recognition")
        if found is None:
            raise CatalogError(problems)
        return found

    def problems(self, document: Document, *, source: str = "", session: Any = None) -> list[Problem]:
        """What is wrong with ``document`` against what is stored: its institution, and for rules their course
        (stored, the institution's, fitting the rules) and the definitions they accept."""
        if session is None:
            with self.database.transaction(read_only=True) as new:
                return self.problems(document, source=source, session=new)
        source = source or document.id
        found: list[Problem] = []
        if OrganisationRepository(session).row(document.institution) is None:
            message = Phrase("no organisation '%(id)s'", id=document.institution)
            found.append(Problem(source, "institution", message))
        if isinstance(document, Course):
            return found
        stored = RecognitionRepository(session).get("course", document.course)
        if stored is None:
            message = Phrase("no course '%(id)s': save the course first", id=document.course)
            found.append(Problem(source, "course", message))
        else:
            course, _ = load_course(stored.content)
            if course is not None:
                found.extend(check_recognition(document, course, source=source))
        accepted = document.conditions.accepted
        defs = DefinitionRepository(session)
        for i, slug in enumerate(accepted.definitions if accepted is not None else ()):
            if not defs.versions(slug):
                message = Phrase("no micro-credential '%(id)s' in the catalogue", id=slug)
                found.append(Problem(source, f"conditions.accepted.definitions[{i}]", message))
        return found

    # -- saving ---------------------------------------------------------------------------------------

    def save(
        self,
        data: Mapping[str, Any] | Document,
        *,
        organisation: str | None = None,
        actor: str,
        state: str | None = None,
        source: str = "",
        session: Any = None,
    ) -> tuple[str, int]:
        """Check and store a course or rules; a new version when it changed. ``organisation`` (when given) must be
        the document's institution. Says what happened (``created``, ``new-version``, ``unchanged``) and the
        version."""
        document = data if isinstance(data, Course | RecognitionRules) else self.parse(data, source=source)
        wanted = state or (str(data.get("state")) if isinstance(data, Mapping) and data.get("state") else None)
        if wanted is not None and wanted not in STATES:
            raise InputError("a course's or rules' state is %(states)s", states=" or ".join(STATES))
        if organisation is not None and document.institution != organisation:
            raise PermissionDeniedError("an institution saves only its own courses and recognition rules")
        if session is None:
            with self.database.transaction() as new:
                return self.save(
                    document, organisation=organisation, actor=actor, state=wanted, source=source, session=new
                )
        problems = self.problems(document, source=source, session=session)
        if problems:
            raise CatalogError(problems)
        kind = _kind_of(document)
        org = OrganisationRepository(session).row(document.institution)
        assert org is not None  # problems() said so
        repo, now = RecognitionRepository(session), self.clock()
        current = repo.row(kind, document.id)
        if current is not None and current.organisation_id != org.id:
            raise ConflictError("'%(id)s' belongs to another organisation", id=document.id)
        action, version = repo.save(
            kind,
            slug=document.id,
            organisation_id=org.id,
            content=document.model_dump(mode="json", exclude_none=True),
            content_hash=document_hash(document),
            state=wanted or (current.state if current is not None else PUBLISHED),
            now=now,
        )
        if action != "unchanged":
            AuditRepository(session).append(
                at=now, actor=actor, action=f"{kind}.{action}", subject=document.id, details={"version": version}
            )
        return action, version

    # -- reading -------------------------------------------------------------------------------------

    def course(self, slug: str, version: int | None = None, *, drafts: bool = False) -> CourseView:
        """Version ``version`` (the latest when None) of course ``slug``; NotFoundError when there is none."""
        with self.database.transaction(read_only=True) as session:
            view = self._course(session, slug, version, drafts=drafts)
        if view is None:
            raise NotFoundError("no course '%(id)s'", id=slug[:80])
        return view

    def rules(self, slug: str, version: int | None = None, *, drafts: bool = False) -> RulesView:
        """Version ``version`` (the latest when None) of rules ``slug``, with their course's latest version;
        NotFoundError when there are none (or they or their course are drafts and ``drafts`` is False)."""
        with self.database.transaction(read_only=True) as session:
            view = self._rules(session, slug, version, drafts=drafts)
        if view is None:
            raise NotFoundError("no recognition rules '%(id)s'", id=slug[:80])
        return view

    def all_rules(self, *, organisation: str | None = None, drafts: bool = False) -> list[RulesView]:
        """The latest version of every rules (published only unless ``drafts``), by id."""
        with self.database.transaction(read_only=True) as session:
            stored = RecognitionRepository(session).latest("recognition", drafts=drafts, organisation=organisation)
            views = [self._rules(session, s.slug, s.version, drafts=drafts) for s in stored]
        return [v for v in views if v is not None]

    def versions(self, kind: Kind, slug: str) -> list[int]:
        """The version numbers of course or rules ``slug``."""
        with self.database.transaction(read_only=True) as session:
            return RecognitionRepository(session).versions(kind, slug)

    def _course(self, session: Any, slug: str, version: int | None, *, drafts: bool) -> CourseView | None:
        if not isinstance(slug, str) or len(slug) > 80:
            return None
        stored = RecognitionRepository(session).get("course", slug, version)
        if stored is None or (stored.state != PUBLISHED and not drafts):
            return None
        course, _ = load_course(stored.content)
        if course is None:  # a version stored by an older Cairn that today's model refuses
            return None
        return CourseView(stored, course, OrganisationRepository(session).get(stored.organisation))

    def _rules(self, session: Any, slug: str, version: int | None, *, drafts: bool) -> RulesView | None:
        if not isinstance(slug, str) or len(slug) > 80:
            return None
        stored = RecognitionRepository(session).get("recognition", slug, version)
        if stored is None or (stored.state != PUBLISHED and not drafts):
            return None
        rules, _ = load_recognition(stored.content)
        if rules is None:
            return None
        course = self._course(session, rules.course, None, drafts=drafts)
        if course is None or course.stored.organisation != stored.organisation:
            return None
        return RulesView(stored, rules, course, OrganisationRepository(session).get(stored.organisation))
