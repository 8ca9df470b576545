"""Careers use cases: skill suggestions, a learner's skill profile, occupations and gaps, next steps, job ads.

The ESCO data comes in as an argument (the web layer takes it from the ESCO service, or the shipped
extract); the skill suggestion index is opened lazily, once per process, from ``CAIRN_SKILLS_INDEX`` (a
lexical-only index is built in memory from the shipped extract when no saved index is there).
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Any

from cairn.errors import InputError, NotFoundError
from cairn.model.types import pick
from cairn.services.catalog import CatalogService
from cairn.skills.careers import (
    HeldCredential,
    JobAdAnalysis,
    NextStep,
    OccupationFit,
    Offer,
    SkillProfile,
    aggregate_job_skills,
    build_profile,
    compare_with_profile,
    missing_essential,
    occupation_by_key,
    occupation_label,
    occupation_matrix,
    offers_covering,
    rank_next_steps,
    search_occupations,
    sentences,
)
from cairn.skills.esco import EscoData, Occupation
from cairn.skills.index import SkillIndex
from cairn.skills.suggest import Suggestion
from cairn.skills.summary import summarise
from cairn.skills.text import MAX_QUERY_CHARS, SUPPORTED_LANGUAGES, guess_language
from cairn.store.careers import CareersRepository
from cairn.store.database import Database

__all__ = [
    "COLLECTIONS",
    "MAX_JOB_AD_CHARS",
    "MAX_SUGGEST_CHARS",
    "SKILL_TYPES",
    "CareersService",
    "OccupationDetail",
    "SuggestResult",
    "TextTooLongError",
]

log = logging.getLogger("cairn.careers")

#: Longest learning-outcome text accepted for suggestions.
MAX_SUGGEST_CHARS = 10_000
#: Longest job advertisement accepted.
MAX_JOB_AD_CHARS = MAX_QUERY_CHARS
#: Skill type filter names (API) -> ESCO skillType.
SKILL_TYPES = {"skill": "skill/competence", "knowledge": "knowledge"}
#: Collection filter names offered.
COLLECTIONS = ("digital", "green", "transversal", "language")


class TextTooLongError(InputError):
    """The text is longer than accepted (answered 413)."""

    status = 413


@dataclass(frozen=True, slots=True)
class SuggestResult:
    """Suggested skills, or none and why."""

    skills: tuple[Suggestion, ...]
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class OccupationDetail:
    """One occupation against a profile: its fit, the missing essential skills and next steps."""

    occupation: Occupation
    label: str
    fit: OccupationFit
    missing: tuple[tuple[str, str], ...]
    next_steps: tuple[NextStep, ...]


def check_text(text: str, *, limit: int) -> str:
    """``text`` if it can be searched: refuses too long text (413) and text with no letters or digits."""
    if len(text) > limit:
        raise TextTooLongError(f"the text is too long: {len(text):,} characters; at most {limit:,}")
    if not any(ch.isalnum() for ch in text):
        raise InputError(
            "the text is empty"
            if not text.strip()
            else "the text has no letters or digits (only spaces, punctuation or control characters)"
        )
    return text


def _unsupported_language(text: str, language: str | None) -> str | None:
    """Why ``text`` (or the asked ``language``) is not supported, or None."""
    names = ", ".join(SUPPORTED_LANGUAGES.values())
    if language and language not in SUPPORTED_LANGUAGES:
        return f"skill suggestions are offered in {names}; not in '{language[:20]}'"
    cleaned = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    guessed = guess_language(cleaned)
    if guessed is not None and guessed.startswith("non-latin:"):
        return f"the text is in a script that is not supported; skill suggestions are offered in {names}"
    if guessed is not None and guessed not in SUPPORTED_LANGUAGES:
        return f"the text does not look like a supported language; skill suggestions are offered in {names}"
    return None


def _useful(index: SkillIndex, found: Sequence[Suggestion]) -> list[Suggestion]:
    """Without an encoder a skill with no word in common with the text scores at most zero: drop those."""
    if index.encoder is not None:
        return list(found)
    return [s for s in found if s.score > 0]


class CareersService:
    """Careers use cases over one database and the catalogue."""

    def __init__(
        self,
        database: Database,
        *,
        catalog: CatalogService,
        index_folder: str | Path | None = None,
        index: SkillIndex | Callable[[], SkillIndex] | None = None,
    ) -> None:
        self.database = database
        self.catalog = catalog
        self.index_folder = Path(index_folder) if index_folder else None
        self._index_source = index
        self._index: SkillIndex | None = index if isinstance(index, SkillIndex) else None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------ suggestion index

    def index(self) -> SkillIndex:
        """The skill suggestion index, opened (or built, lexical-only) on first use and kept."""
        if self._index is not None:
            return self._index
        with self._lock:
            if self._index is None:
                self._index = self._open_index()
        return self._index

    def _open_index(self) -> SkillIndex:
        started = perf_counter()
        found: SkillIndex | None = self._index_source() if callable(self._index_source) else None
        folders: list[Path] = []
        if self.index_folder is not None:
            folders = [self.index_folder, self.index_folder.with_name(self.index_folder.name + "-lexical")]
        for folder in folders:
            if found is None and (folder / "index.json").exists():
                try:
                    found = SkillIndex.load(folder)
                except Exception as exc:  # an index for an encoder that is not installed: try the next
                    log.warning("cannot open the skill index in %s: %s", folder, exc)
        if found is None:
            from cairn.skills.labels import shipped_esco

            found = SkillIndex.build(shipped_esco(), encoder=None)
        log.info("skill index ready in %.1f s (%s skills)", perf_counter() - started, len(found))
        return found

    def suggest(
        self,
        text: str,
        *,
        k: int = 10,
        skill_type: str | None = None,
        collection: str | None = None,
        language: str | None = None,
    ) -> SuggestResult:
        """Ranked ESCO skills for a learning outcome; an empty result with a reason for an unsupported
        language. Raises InputError for empty text or unknown filters, TextTooLongError for long text."""
        check_text(text, limit=MAX_SUGGEST_CHARS)
        if not 1 <= k <= 100:
            raise InputError("k must be between 1 and 100")
        types = None
        if skill_type:
            if skill_type not in SKILL_TYPES:
                raise InputError(f"unknown skill type '{skill_type[:40]}'; use one of: {', '.join(SKILL_TYPES)}")
            types = [SKILL_TYPES[skill_type]]
        collections = None
        if collection:
            if collection not in COLLECTIONS:
                raise InputError(f"unknown collection '{collection[:40]}'; use one of: {', '.join(COLLECTIONS)}")
            collections = [collection]
        reason = _unsupported_language(text, language)
        if reason is not None:
            return SuggestResult((), reason)
        index = self.index()
        try:
            found = index.suggest(text, k=k, types=types, collections=collections)
        except InputError as exc:
            message = exc.message
            if "unknown collection" in message:  # the index was built without collections
                return SuggestResult((), f"the skill index has no '{collection}' collection")
            if "language" in message or "script" in message or "looks like" in message:
                return SuggestResult((), message)
            raise
        found = _useful(index, found)
        if not found:
            return SuggestResult((), "no skill matched this text")
        return SuggestResult(tuple(found))

    # ------------------------------------------------------------------------------ learner profile

    def held_credentials(self, account_id: int) -> list[HeldCredential]:
        """The verified credentials in the account's wallet."""
        with self.database.transaction() as session:
            rows = CareersRepository(session).verified_credentials(account_id)
        return [HeldCredential(r.id, r.title, r.issuer_name, r.issuer_id, r.issued_at, r.document) for r in rows]

    def profile(self, account_id: int, esco: EscoData, *, language: str = "en") -> SkillProfile:
        """The account's skill profile from its verified wallet credentials."""
        return build_profile(esco, self.held_credentials(account_id), language=language)

    def summary(self, profile: SkillProfile, *, language: str = "en") -> str:
        """The plain-language summary of a profile."""
        return summarise(profile, language)

    # ------------------------------------------------------------------------------ occupations

    def occupations(
        self, skills: Iterable[str], esco: EscoData, *, language: str = "en", limit: int = 20
    ) -> list[OccupationFit]:
        """Occupations ranked by fit to ``skills``."""
        return occupation_matrix(esco).rank(skills, limit=min(max(limit, 1), 200), language=language)

    def search_occupations(
        self,
        query: str,
        esco: EscoData,
        *,
        language: str = "en",
        limit: int = 20,
        search: Callable[[str, str, int], Sequence[Any]] | None = None,
    ) -> list[Occupation]:
        """Occupations whose labels match ``query`` (with ``search``, the ESCO service's, when given)."""
        query = query.strip()[:200]
        if not query:
            return []
        if search is not None:
            found = search(query, language, limit)
            out: list[Occupation] = []
            for item in found:
                uri = getattr(item, "uri", item)
                if isinstance(uri, str) and uri in esco.occupations:
                    out.append(esco.occupations[uri])
            return out
        return search_occupations(esco, query, language=language, limit=limit)

    def offers(self, *, language: str = "en", organisations: Iterable[str] | None = None) -> list[Offer]:
        """The catalogue's micro-credentials as offers (only those of ``organisations`` when given)."""
        wanted = set(organisations) if organisations is not None else None
        out: list[Offer] = []
        for entry in self.catalog.entries():
            definition = entry.definition
            if wanted is not None and not wanted & set(definition.awarding_bodies):
                continue
            skills = frozenset(uri for outcome in definition.learning_outcomes for uri in outcome.esco_skills)
            issuers = tuple(pick(o.legal_name, language)[1] for o in entry.organisations) or definition.awarding_bodies
            out.append(
                Offer(
                    slug=definition.id,
                    title=pick(definition.title, language)[1],
                    issuers=issuers,
                    skills=skills,
                    ects=definition.workload.ects,
                    hours=definition.workload.hours,
                )
            )
        return out

    def occupation_detail(
        self, key: str, skills: Iterable[str], esco: EscoData, *, language: str = "en"
    ) -> OccupationDetail:
        """One occupation (by URI, UUID or code) against ``skills``: fit, missing essentials, next steps."""
        occupation = occupation_by_key(esco, key[:300])
        if occupation is None:
            raise NotFoundError("there is no ESCO occupation with this identifier")
        held = set(skills)
        matrix = occupation_matrix(esco)
        fit = matrix.fit_of(occupation.uri, held, language=language)
        missing = missing_essential(matrix, occupation.uri, held, language=language)
        steps = rank_next_steps([uri for uri, _ in missing], self.offers(language=language))
        return OccupationDetail(occupation, occupation_label(occupation, language), fit, tuple(missing), tuple(steps))

    # ------------------------------------------------------------------------------ job ads

    def job_ad(self, text: str, *, held: frozenset[str] | None = None, per_sentence: int = 3) -> JobAdAnalysis:
        """The skills a job advertisement asks for (and, given ``held``, the learner's gaps against it).

        Raises TextTooLongError / InputError for text that is too long or empty; an unsupported language
        gives an empty analysis with a reason."""
        check_text(text, limit=MAX_JOB_AD_CHARS)
        reason = _unsupported_language(text, None)
        if reason is not None:
            return JobAdAnalysis(reason=reason)
        parts = sentences(text)
        if not parts:
            return JobAdAnalysis(reason="no sentences with words were found in the advertisement")
        index = self.index()
        found: list[list[tuple[str, str, float, str]]] = []
        skipped: str | None = None
        for part in parts:
            try:
                suggestions = index.suggest(part, k=per_sentence)
            except InputError as exc:  # one sentence in another language, or with nothing to search
                skipped = exc.message
                continue
            found.append([(s.uri, s.label, s.score, s.matched_label) for s in _useful(index, suggestions)])
        analysis = JobAdAnalysis(skills=aggregate_job_skills(found))
        if not analysis.skills:
            analysis.reason = skipped or "no skill matched this advertisement"
        if held is not None:
            compare_with_profile(analysis, held)
        return analysis

    def covering_offers(
        self, skills: Iterable[str], organisations: Iterable[str], *, language: str = "en"
    ) -> list[tuple[Offer, tuple[str, ...]]]:
        """The organisations' micro-credentials that share skills with ``skills``, most shared first."""
        return offers_covering(skills, self.offers(language=language, organisations=organisations))
