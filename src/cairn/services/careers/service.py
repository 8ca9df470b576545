"""Careers use cases: skill suggestions, a learner's skill profile, occupations and gaps, next steps, job ads.

The ESCO data comes in as an argument (the web layer takes it from the ESCO service, or the shipped
extract). The skill suggestion index is opened lazily, once per process:

- a saved index in ``index_folder`` is used when it was built from the ESCO release now in the store (the
  shipped extract's when the store has none) and has vectors;
- otherwise a lexical-only index is built in memory (a second or two) and answers at once, and, once
  :meth:`CareersService.start_background_build` was called (``cairn serve`` does, in the app's lifespan),
  a thread builds the full index (BM25 + sentence vectors, about 20 s), publishes it into ``index_folder``
  (written into a temporary folder, then renamed, so that another process never opens half an index) and
  switches over to it. Requests never wait for that build.

Every ``check_every`` seconds a request compares the index's ESCO version with the store's; after
``cairn esco import`` changed the release, the index is built again the same way.

Messages a person may see (bad input, reasons for an empty answer) are :class:`Message` values: an English
``msgid`` with ``%(name)s`` values, which pages translate (``locale/pl/careers.po``).
"""

from __future__ import annotations

import logging
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Any

from cairn.errors import InputError, NotFoundError
from cairn.model.types import pick
from cairn.services.careers.demand import DemandCounts
from cairn.services.catalog.service import CatalogService
from cairn.skills.careers import (
    HeldCredential,
    NextStep,
    OccupationFit,
    Offer,
    SkillProfile,
    build_profile,
    missing_essential,
    names_of,
    occupation_by_key,
    occupation_label_in,
    occupation_matrix,
    offers_covering,
    rank_next_steps,
    search_occupations,
)
from cairn.skills.encoders import Encoder
from cairn.skills.esco import EscoData, Occupation
from cairn.skills.index import SkillIndex, building
from cairn.skills.jobs import (
    JobAdAnalysis,
    Message,
    aggregate_job_skills,
    compare_with_profile,
    sentences,
    support,
)
from cairn.skills.labels import SHIPPED_ESCO_VERSION, shipped_esco
from cairn.skills.suggest import Suggestion
from cairn.skills.summary import summarise
from cairn.skills.text import MAX_QUERY_CHARS, SUPPORTED_LANGUAGES, guess_language
from cairn.store.careers.repository import CareersRepository
from cairn.store.database import Database

__all__ = [
    "COLLECTIONS",
    "JOB_AD_MIN_SCORE",
    "MAX_JOB_AD_CHARS",
    "MAX_SUGGEST_CHARS",
    "SKILL_TYPES",
    "CareersInputError",
    "CareersService",
    "Message",
    "OccupationDetail",
    "SuggestResult",
    "TextTooLongError",
]

log = logging.getLogger("cairn.careers")
JobAdRow = tuple[str, str, float, str, tuple[str, ...]]

#: Longest learning-outcome text accepted for suggestions.
MAX_SUGGEST_CHARS = 10_000
#: Longest job advertisement accepted.
MAX_JOB_AD_CHARS = MAX_QUERY_CHARS
#: Skill type filter names (API) -> ESCO skillType.
SKILL_TYPES = {"skill": "skill/competence", "knowledge": "knowledge"}
#: Collection filter names offered.
COLLECTIONS = ("digital", "green", "transversal", "language")
#: Lowest fused score a job-ad sentence's suggestion needs to count with the full index: the best F1 on
#: 2,000 SkillSkape train sentences (top 3 per sentence: precision 22.8 -> 28.0, recall 27.4 -> 23.8).
JOB_AD_MIN_SCORE = 0.35
_LANGUAGES = "English, Polish, German, Spanish and French"


class CareersInputError(InputError):
    """Input that cannot be used, with its :class:`Message` (``message`` is its English text)."""

    def __init__(self, msgid: str, **values: Any) -> None:
        self.text = Message(msgid, values)
        super().__init__(str(self.text))


class TextTooLongError(CareersInputError):
    """The text is longer than accepted (answered 413)."""

    status = 413


@dataclass(frozen=True, slots=True)
class SuggestResult:
    """Suggested skills, or none and why; ``index`` says which index answered (``"full"`` or ``"lexical"``)."""

    skills: tuple[Suggestion, ...]
    reason: str | None = None
    index: str = "full"
    note: Message | None = None
    reason_message: Message | None = None


@dataclass(frozen=True, slots=True)
class OccupationDetail:
    """One occupation against a profile: its fit, the missing essential skills and next steps.

    ``missing`` holds ``(uri, label, language of the label)``."""

    occupation: Occupation
    label: str
    fit: OccupationFit
    missing: tuple[tuple[str, str, str], ...]
    next_steps: tuple[NextStep, ...]
    label_language: str = "en"


def check_text(text: str, *, limit: int) -> str:
    """``text`` if it can be searched: refuses too long text (413) and text with no letters or digits."""
    if len(text) > limit:
        raise TextTooLongError(
            "the text is too long: %(length)s characters; at most %(limit)s",
            length=f"{len(text):,}",
            limit=f"{limit:,}",
        )
    if not any(ch.isalnum() for ch in text):
        if not text.strip():
            raise CareersInputError("the text is empty")
        raise CareersInputError("the text has no letters or digits (only spaces, punctuation or control characters)")
    return text


def _unsupported_language(text: str, language: str | None) -> Message | None:
    """Why ``text`` (or the asked ``language``) is not supported, or None."""
    if language and language not in SUPPORTED_LANGUAGES:
        return Message(
            "skill suggestions are offered in English, Polish, German, Spanish and French; not in '%(language)s'",
            {"language": language[:20]},
        )
    cleaned = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    guessed = guess_language(cleaned)
    if guessed is not None and guessed.startswith("non-latin:"):
        return Message("the text is in a script that is not supported; skill suggestions are offered in " + _LANGUAGES)
    if guessed is not None and guessed not in SUPPORTED_LANGUAGES:
        return Message(
            "the text does not look like a supported language; skill suggestions are offered in " + _LANGUAGES
        )
    return None


def _useful(index: SkillIndex, found: Sequence[Suggestion]) -> list[Suggestion]:
    """Without an encoder a skill with no word in common with the text scores at most zero: drop those."""
    if index.encoder is not None:
        return list(found)
    return [s for s in found if s.score > 0]


def _supported(index: SkillIndex, sentence: str, found: Sequence[Suggestion]) -> list[JobAdRow]:
    """The suggestions ``sentence`` supports (:func:`cairn.skills.jobs.support`), with the words that matched.

    A sentence in a supported language other than the index's cannot be checked against its labels: its
    suggestions are kept without words (the page says they matched by meaning)."""
    language = guess_language(sentence)
    if language in SUPPORTED_LANGUAGES and language != index.language:
        return [(s.uri, s.label, s.score, s.matched_label, ()) for s in found]
    rows: list[JobAdRow] = []
    common = index.common_stems() if found else frozenset()
    for s in found:
        words = support(sentence, (s.label, *index.labels_of(s.uri), s.matched_label), common=common)
        if words:
            rows.append((s.uri, s.label, s.score, s.matched_label, words))
    return rows


def _guessed_name(text: str) -> str:
    guessed = guess_language(text) or ""
    return SUPPORTED_LANGUAGES.get(guessed, guessed or "another language")


def _kind(index: SkillIndex) -> str:
    return "lexical" if index.encoder is None else "full"


BUILDING = Message("the multilingual skill index is still being prepared; until it is ready, only English words match")
LEXICAL_ONLY = Message("this skill index matches English words only; the text looks like %(language)s")


class CareersService:
    """Careers use cases over one database and the catalogue.

    ``esco_data`` and ``esco_version`` read the ESCO release in the store (the shipped extract is used when
    ``esco_version`` answers None); ``encoder`` makes the sentence encoder of the full index. ``index`` (a
    ready index, or a function making one) replaces all of that, for tests and tools.
    """

    def __init__(
        self,
        database: Database,
        *,
        catalog: CatalogService,
        index_folder: str | Path | None = None,
        index: SkillIndex | Callable[[], SkillIndex] | None = None,
        esco_data: Callable[[], EscoData] | None = None,
        esco_version: Callable[[], str | None] | None = None,
        encoder: Callable[[], Encoder] | None = None,
        check_every: float = 60.0,
        demand: DemandCounts | None = None,
    ) -> None:
        self.database = database
        self.catalog = catalog
        self.index_folder = Path(index_folder) if index_folder else None
        self._index_source = index
        self._index: SkillIndex | None = index if isinstance(index, SkillIndex) else None
        self._esco_data = esco_data
        self._esco_version = esco_version
        self._encoder = encoder
        self.check_every = check_every
        self.demand = demand
        """Counts the skills each job ad asks for (policy analytics); None: not counted."""
        self._lock = threading.Lock()
        self._background = False
        self._builder: threading.Thread | None = None
        self._checked_at = time.monotonic()
        #: The last error of a background build (None when it went well or none ran).
        self.build_error: str | None = None

    # ------------------------------------------------------------------------------ suggestion index

    @property
    def building(self) -> bool:
        """Whether a background build of the full index is running."""
        builder = self._builder
        return builder is not None and builder.is_alive()

    def index(self) -> SkillIndex:
        """The skill suggestion index now answering: opened (or built, lexical-only) on first use and kept,
        replaced when a background build finishes."""
        current = self._index
        if current is not None:
            if self._index_source is None:
                self._check_release(current)
            return current
        with self._lock:
            if self._index is None:
                self._index = self._open_index()
            return self._index

    def wanted_version(self) -> str:
        """The ESCO release the index should be built from: the store's, else the shipped extract's."""
        stored = self._esco_version() if self._esco_version is not None else None
        return stored or SHIPPED_ESCO_VERSION

    def _source(self) -> EscoData:
        """The stored release when it has skills (one small query when it is kept: every page naming a skill asks),
        else the shipped extract."""
        if self._esco_data is not None:
            data = self._esco_data()
            if data.skills:
                return data
        return shipped_esco()

    def _saved(self, *, full: bool) -> SkillIndex | None:
        """The saved index in the index folder when it is of the wanted release (and has vectors if ``full``)."""
        if self.index_folder is None:
            return None
        folders = [self.index_folder]
        if not full:
            folders.append(self.index_folder.with_name(self.index_folder.name + "-lexical"))
        wanted = self.wanted_version()
        for folder in folders:
            if not (folder / "index.json").exists():
                continue
            try:
                found = SkillIndex.load(folder)
            except Exception as exc:  # an index for an encoder that is not installed, an old format: skip it
                log.warning("cannot open the skill index in %s: %s", folder, exc)
                continue
            if found.esco_version != wanted:
                log.info("the skill index in %s is of ESCO %s, not %s", folder, found.esco_version, wanted)
                continue
            if full and found.encoder is None:
                continue
            if not found.is_current():  # built with another adapter than the one shipped now (or none)
                log.info("the skill index in %s was built with another skill adapter: it is built again", folder)
                continue
            return found
        return None

    def _open_index(self) -> SkillIndex:
        started = perf_counter()
        found: SkillIndex | None = self._index_source() if callable(self._index_source) else None
        if found is None:
            found = self._saved(full=False)
        if found is None:
            found = SkillIndex.build(self._source(), encoder=None)
            if self._background:
                self._start_builder()
        log.info("skill index ready in %.1f s (%s skills, %s)", perf_counter() - started, len(found), _kind(found))
        return found

    def start_background_build(self) -> bool:
        """Make sure the full index is (or will be) answering: open the saved one, or build it in a thread.

        Returns whether a thread was started. Nothing happens with a fixed ``index``, no ``encoder`` or no
        ``index_folder`` (an in-memory database, ``CAIRN_SKILLS_INDEX=none``: English words only)."""
        if self._index_source is not None or self._encoder is None or self.index_folder is None:
            return False
        self._background = True
        return self._start_builder()

    def _start_builder(self) -> bool:
        if self.building:
            return False
        self._builder = threading.Thread(target=self._build_full, name="cairn-skill-index", daemon=True)
        self._builder.start()
        return True

    def wait_for_build(self, timeout: float | None = None) -> bool:
        """Wait for a background build to end; True when none is running any more."""
        builder = self._builder
        if builder is not None:
            builder.join(timeout)
        return not self.building

    def _build_full(self) -> None:
        try:
            started = perf_counter()
            found = self._saved(full=True)
            if found is None:
                data = self._source()  # read once: for the word index meanwhile and for the full one
                if self._index is None:  # answer lexically while the full index is built
                    with self._lock:
                        if self._index is None:
                            self._index = SkillIndex.build(data, encoder=None)
                with building(self.index_folder):  # one process builds; others wait, then open its index
                    if (found := self._saved(full=True)) is None:
                        assert self._encoder is not None
                        assert self.index_folder is not None
                        found = SkillIndex.build(data, encoder=self._encoder())
                        found.publish(self.index_folder)
                        log.info("built the skill index of ESCO %s in %.1f s", data.version, perf_counter() - started)
            with self._lock:
                self._index = found
                self._checked_at = time.monotonic()
            self.build_error = None
        except Exception as exc:  # keep answering with what there is; say why in the log
            self.build_error = str(exc)
            log.exception("building the skill index failed")

    def _check_release(self, current: SkillIndex) -> None:
        """Every ``check_every`` seconds: rebuild when the store's ESCO release is not the index's."""
        now = time.monotonic()
        if now - self._checked_at < self.check_every or self.building:
            return
        self._checked_at = now
        try:
            wanted = self.wanted_version()
        except Exception as exc:  # the database is away: keep the index
            log.warning("cannot read the ESCO release: %s", exc)
            return
        if current.esco_version == wanted:
            return
        log.info("ESCO changed from %s to %s: the skill index is built again", current.esco_version, wanted)
        if self._background:
            self._start_builder()
        else:
            with self._lock:
                self._index = self._saved(full=False) or SkillIndex.build(self._source(), encoder=None)

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
            raise CareersInputError("k must be between 1 and 100")
        types = None
        if skill_type:
            if skill_type not in SKILL_TYPES:
                raise CareersInputError(
                    "unknown skill type '%(name)s'; use one of: %(known)s",
                    name=skill_type[:40],
                    known=", ".join(SKILL_TYPES),
                )
            types = [SKILL_TYPES[skill_type]]
        collections = None
        if collection:
            if collection not in COLLECTIONS:
                raise CareersInputError(
                    "unknown collection '%(name)s'; use one of: %(known)s",
                    name=collection[:40],
                    known=", ".join(COLLECTIONS),
                )
            collections = [collection]
        reason = _unsupported_language(text, language)
        if reason is not None:
            return SuggestResult((), str(reason), reason_message=reason)
        index = self.index()
        kind = _kind(index)
        note = BUILDING if kind == "lexical" and self.building else None
        try:
            found = index.suggest(text, k=k, types=types, collections=collections, min_score=index.ranking.floor)
        except InputError as exc:
            if "unknown collection" in exc.message:  # the index was built without collections
                why = Message("the skill index has no '%(name)s' collection", {"name": collection})
                return SuggestResult((), str(why), kind, note, why)
            if kind == "lexical" and "looks like" in exc.message:
                why = note or Message(LEXICAL_ONLY.msgid, {"language": _guessed_name(text)})
                return SuggestResult((), str(why), kind, note, why)
            if "language" in exc.message or "script" in exc.message or "looks like" in exc.message:
                return SuggestResult((), exc.message, kind, note, Message(exc.message))
            raise
        found = _useful(index, found)
        if not found:
            why = Message("no skill matched this text")
            return SuggestResult((), str(why), kind, note, why)
        return SuggestResult(tuple(found), None, kind, note)

    # ------------------------------------------------------------------------------ learner profile

    def held_credentials(self, account_id: int) -> list[HeldCredential]:
        """The verified credentials in the account's wallet."""
        with self.database.transaction(read_only=True) as session:
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
        search: Callable[..., Sequence[Any]] | None = None,
    ) -> list[Occupation]:
        """Occupations whose labels match ``query`` (with ``search``, the ESCO service's, when given)."""
        query = query.strip()[:200]
        if not query:
            return []
        if search is not None:
            found = search(query, language=language, limit=limit)  # EscoService.search_occupations
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
        steps = rank_next_steps([uri for uri, _, _ in missing], self.offers(language=language))
        label, label_language = occupation_label_in(occupation, language)
        return OccupationDetail(occupation, label, fit, tuple(missing), tuple(steps), label_language)

    # ------------------------------------------------------------------------------ job ads

    def skill_names(self, uris: Iterable[str], *, language: str = "en") -> dict[str, tuple[str, str]]:
        """Labels of ``uris`` for a reader of ``language``, from the stored release (:func:`names_of`)."""
        return names_of(self._source(), uris, language)

    def job_ad(
        self,
        text: str,
        *,
        held: frozenset[str] | None = None,
        per_sentence: int = 3,
        min_score: float = JOB_AD_MIN_SCORE,
    ) -> JobAdAnalysis:
        """The skills a job advertisement asks for (and, given ``held``, the learner's gaps against it).

        Each sentence or bullet point gives at most ``per_sentence`` skills, only those scoring at least
        ``min_score`` (with the full index; the lexical one keeps skills sharing a word with the sentence),
        so that sentences about the company or the benefits add little, and only those the sentence's words
        support (every word of one of the skill's labels but generic verbs is in it: :func:`_supported`), out
        of twice as many suggestions; a skill several sentences point to counts once, with its mentions and
        the words that matched.
        Raises TextTooLongError / InputError for text that is too long or empty; an unsupported language
        gives an empty analysis with a reason."""
        check_text(text, limit=MAX_JOB_AD_CHARS)
        reason = _unsupported_language(text, None)
        if reason is not None:
            return JobAdAnalysis(reason=str(reason), reason_message=reason)
        parts = sentences(text)
        if not parts:
            why = Message("no sentences with words were found in the advertisement")
            return JobAdAnalysis(reason=str(why), reason_message=why)
        index = self.index()
        kind = _kind(index)
        found: list[list[JobAdRow]] = []
        skipped: Message | None = None
        for part in parts:
            try:
                suggestions = index.suggest(part, k=2 * per_sentence)
            except InputError as exc:  # one sentence in another language, or with nothing to search
                if kind == "lexical" and "looks like" in exc.message:
                    skipped = (
                        BUILDING if self.building else Message(LEXICAL_ONLY.msgid, {"language": _guessed_name(part)})
                    )
                else:
                    skipped = Message(exc.message)
                continue
            kept = _useful(index, suggestions)
            if kind == "full":
                kept = [s for s in kept if s.score >= min_score]
            found.append(_supported(index, part, kept)[:per_sentence])
        analysis = JobAdAnalysis(skills=aggregate_job_skills(found), index=kind)
        if kind == "lexical" and self.building:
            analysis.note = BUILDING
        if not analysis.skills:
            why = skipped or Message("no skill matched this advertisement")
            analysis.reason, analysis.reason_message = str(why), why
        if self.demand is not None and analysis.skills:
            self.demand.count_job_ad(s.uri for s in analysis.skills)
        if held is not None:
            compare_with_profile(analysis, held)
        return analysis

    def covering_offers(
        self, skills: Iterable[str], organisations: Iterable[str], *, language: str = "en"
    ) -> list[tuple[Offer, tuple[str, ...]]]:
        """The organisations' micro-credentials that share skills with ``skills``, most shared first."""
        return offers_covering(skills, self.offers(language=language, organisations=organisations))
