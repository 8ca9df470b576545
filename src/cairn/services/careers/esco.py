"""ESCO in the store: import an ESCO CSV download (or the extract shipped in the package), and read it back.

What an import does, all in one transaction (an error, including a missing file or column, changes nothing):

- a folder with skill files (``skills_xx.csv``) is a release and must be complete: skills, skill groups,
  hierarchy, collections, occupations, ISCO groups and occupation-skill relations. Its concepts replace
  the stored ones (type, reuse level, codes, ISCO group, and the labels in the languages it has), and its
  hierarchy, collections and relations replace the stored ones wholesale;
- a folder without skill files but with ``occupations_xx.csv`` and ``ISCOGroups_xx.csv`` (another
  language, such as the Polish files of ESCO v1.2.1) merges their labels, by language, into the stored
  occupations and ISCO groups (it adds none of its own unless the store has no occupations yet) and
  leaves everything else as it is.

Concepts are never deleted: ESCO keeps its URIs for good (an outdated concept is marked obsolete, not
removed), and credentials keep the skill URIs they were aligned with, whatever the store holds. Importing
the same folder twice leaves the same rows. Every import is recorded with its version, languages, parts
and row counts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cairn.errors import InputError
from cairn.skills.esco import (
    ALL_PARTS,
    EscoData,
    IscoGroup,
    Labels,
    Occupation,
    OccupationSkill,
    Skill,
    SkillGroup,
    load_esco,
    present_parts,
)
from cairn.skills.labels import SHIPPED_ESCO_VERSION, best_matches, fold, shipped_esco_folder
from cairn.store.careers.esco import EscoStore
from cairn.store.database import Database

__all__ = ["EscoRelease", "EscoService", "ImportSummary", "OccupationMatch", "version_key"]

MAX_QUERY = 200
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import did: the release, its languages and parts, rows now stored per table, and seconds."""

    version: str | None
    languages: tuple[str, ...]
    parts: frozenset[str]
    counts: Mapping[str, int]
    seconds: float
    source: str

    def describe(self) -> str:
        """One line for a person: ``ESCO 1.1.1 (en): 13,896 skills, ... in 12.3 s``."""
        shown = ", ".join(f"{count:,} {name.replace('_', ' ')}" for name, count in self.counts.items())
        return (
            f"ESCO {self.version or '(unknown version)'} ({', '.join(self.languages)}): {shown} in {self.seconds:.1f} s"
        )


@dataclass(frozen=True, slots=True)
class EscoRelease:
    """One recorded import."""

    version: str | None
    languages: tuple[str, ...]
    parts: frozenset[str]
    counts: Mapping[str, int]
    source: str
    imported_at: datetime


@dataclass(frozen=True, slots=True)
class OccupationMatch:
    """An occupation found by :meth:`EscoService.search_occupations`."""

    uri: str
    label: str
    matched: str
    isco_group: str
    code: str


def version_key(version: str | None) -> tuple[int, ...]:
    """``"1.2.1"`` -> ``(1, 2, 1)``, for comparing releases (an unknown version sorts first)."""
    if not version:
        return ()
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


def _labels_json(labels: Mapping[str, Labels]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for lang, words in labels.items():
        entry: dict[str, Any] = {"preferred": words.preferred}
        if words.alternatives:
            entry["alternatives"] = list(words.alternatives)
        if words.description:
            entry["description"] = words.description
        out[lang] = entry
    return out


def _labels_of(stored: Mapping[str, Any]) -> dict[str, Labels]:
    return {
        lang: Labels(
            preferred=entry["preferred"],
            alternatives=tuple(entry.get("alternatives", ())),
            description=entry.get("description", ""),
        )
        for lang, entry in stored.items()
    }


def _merge(
    existing: Mapping[str, dict[str, Any]], new: Iterable[dict[str, Any]], *, only_existing: bool = False
) -> dict[str, dict[str, Any]]:
    """Stored concept rows with ``new`` ones laid over them: new fields win, labels merge by language
    (``only_existing``: new concepts are left out)."""
    merged = {uri: dict(row) for uri, row in existing.items()}
    for row in new:
        old = merged.get(row["uri"])
        if old is None and only_existing:
            continue
        if old is not None:
            row = {**row, "labels": {**old["labels"], **row["labels"]}}
        merged[row["uri"]] = row
    return merged


class EscoService:
    """Import ESCO into the store and read it back (cached in memory until the next import)."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock
        self._lock = threading.Lock()
        self._cache: tuple[int | None, EscoData] | None = None
        self._search: dict[str, list[tuple[str, str, str, bool]]] = {}

    # -- importing ------------------------------------------------------------------------------------

    def import_folder(
        self,
        path: str | Path,
        *,
        languages: Iterable[str] | None = None,
        version: str | None = None,
        progress: Progress | None = None,
        source: str | None = None,
    ) -> ImportSummary:
        """Import the ESCO CSV files in ``path`` (see the module docstring for what is replaced and merged).

        Raises :class:`InputError` naming the missing file or column before anything is written.
        """
        say = progress or (lambda _message: None)
        started = time.perf_counter()
        folder = Path(path)
        langs = tuple(languages) if languages is not None else None
        present = present_parts(folder, languages=langs)
        reading: tuple[str, ...]
        if "skills" in present:
            require: tuple[str, ...] = ALL_PARTS
            reading = require
        elif "occupations" in present or "isco_groups" in present:
            # Another language of the stored release (ESCO v1.2.1's Polish download has no skills file): its
            # occupations, ISCO groups, skill groups and the skill labels its collection files give.
            require = ("occupations", "isco_groups")
            reading = (*require, "skill_groups", "collections")
        else:
            raise InputError(f"ESCO folder {folder} has neither skills_xx.csv nor occupations_xx.csv files")
        say(f"reading {folder}")
        data = load_esco(folder, require=require, languages=langs, version=version, only=reading)
        say(
            f"read ESCO {data.version or '(unknown version)'} ({', '.join(data.languages)}): "
            f"{len(data.skills):,} skills, {len(data.occupations):,} occupations, "
            f"{len(data.occupation_skills):,} relations"
        )
        with self.database.transaction() as session:
            store = EscoStore(session)
            if "skills" in require:
                self._write_release(store, data, say)
            else:
                self._write_occupations(store, data, say, extension=True)
            counts = store.counts()
            store.add_release(
                version=data.version,
                languages=list(data.languages),
                parts=sorted(require),
                counts=counts,
                source=source or str(folder),
                now=self.clock(),
            )
        self._invalidate()
        seconds = time.perf_counter() - started
        say(f"stored in {seconds:.1f} s")
        return ImportSummary(
            version=data.version,
            languages=data.languages,
            parts=frozenset(require),
            counts=counts,
            seconds=seconds,
            source=source or str(folder),
        )

    def import_shipped(self, *, progress: Progress | None = None) -> ImportSummary:
        """Import the extract shipped in the package (ESCO v1.1.1 English, Polish occupation labels)."""
        return self.import_folder(
            shipped_esco_folder(), version=SHIPPED_ESCO_VERSION, progress=progress, source="shipped extract"
        )

    def _write_release(self, store: EscoStore, data: EscoData, say: Progress) -> None:
        skills = _merge(
            store.labelled("skills"),
            (
                {
                    "uri": s.uri,
                    "skill_type": s.skill_type,
                    "reuse_level": s.reuse_level,
                    "status": s.status,
                    "labels": _labels_json(s.labels),
                }
                for s in data.skills.values()
            ),
        )
        say(f"writing {store.replace('skills', skills.values()):,} skills")
        groups = _merge(
            store.labelled("skill_groups"),
            ({"uri": g.uri, "code": g.code, "labels": _labels_json(g.labels)} for g in data.skill_groups.values()),
        )
        store.replace("skill_groups", groups.values())
        self._write_occupations(store, data, say)
        broader: set[tuple[str, str]] = set()
        concepts: Iterable[Skill | SkillGroup | Occupation | IscoGroup]
        for concepts in (data.skills.values(), data.skill_groups.values()):
            broader.update((c.uri, up) for c in concepts for up in c.broader)
        for concepts in (data.occupations.values(), data.isco_groups.values()):
            broader.update((c.uri, up) for c in concepts for up in c.broader)
        store.replace("broader", ({"uri": uri, "broader_uri": up} for uri, up in sorted(broader)))
        members = {(name, uri) for name, uris in data.collections.items() for uri in uris}
        store.replace("collections", ({"collection": name, "uri": uri} for name, uri in sorted(members)))
        say(f"writing {len(data.occupation_skills):,} occupation-skill relations")
        relations: dict[tuple[str, str], OccupationSkill] = {}
        for rel in data.occupation_skills:
            key = (rel.occupation_uri, rel.skill_uri)
            if key not in relations or rel.relation == "essential":
                relations[key] = rel
        store.replace(
            "occupation_skills",
            (
                {"occupation_uri": o, "skill_uri": s, "relation": r.relation, "skill_type": r.skill_type}
                for (o, s), r in relations.items()
            ),
        )

    def _write_occupations(self, store: EscoStore, data: EscoData, say: Progress, *, extension: bool = False) -> None:
        # An extra language's occupations (no skills with them) only add labels to the stored release's
        # occupations; into an empty store they come in whole.
        existing = store.labelled("occupations")
        only_existing = extension and bool(existing)
        occupations = _merge(
            existing,
            (
                {"uri": o.uri, "code": o.code, "isco_group": o.isco_group, "labels": _labels_json(o.labels)}
                for o in data.occupations.values()
            ),
            only_existing=only_existing,
        )
        say(f"writing {store.replace('occupations', occupations.values()):,} occupations")
        if extension:
            self._add_skill_labels(store, data, say)
        isco = _merge(
            store.labelled("isco_groups"),
            ({"uri": g.uri, "code": g.code, "labels": _labels_json(g.labels)} for g in data.isco_groups.values()),
            only_existing=only_existing,
        )
        store.replace("isco_groups", isco.values())

    def _add_skill_labels(self, store: EscoStore, data: EscoData, say: Progress) -> None:
        # Labels in another language for the stored skills and skill groups; a concept the release lacks is
        # left out, and a language's labels replace that language's only.
        skills = store.labelled("skills")
        added = 0
        for uri, labels in data.skill_labels.items():
            row = skills.get(uri)
            if row is not None:
                row["labels"] = {**row["labels"], **_labels_json(labels)}
                added += 1
        if added:
            store.replace("skills", skills.values())
        groups = _merge(
            store.labelled("skill_groups"),
            ({"uri": g.uri, "code": g.code, "labels": _labels_json(g.labels)} for g in data.skill_groups.values()),
            only_existing=True,
        )
        store.replace("skill_groups", groups.values())
        say(f"adding labels in {', '.join(data.languages)} to {added:,} skills and {len(groups):,} skill groups")

    # -- reading --------------------------------------------------------------------------------------

    def releases(self) -> list[EscoRelease]:
        """Every import, oldest first."""
        with self.database.transaction(read_only=True) as session:
            return [
                EscoRelease(
                    version=row.version,
                    languages=tuple(row.languages),
                    parts=frozenset(row.parts),
                    counts=dict(row.counts),
                    source=row.source,
                    imported_at=row.imported_at,
                )
                for row in EscoStore(session).releases()
            ]

    def version(self) -> str | None:
        """The ESCO release of the stored skills (the newest complete import), or None when there is none."""
        full = [r for r in self.releases() if "skills" in r.parts]
        return full[-1].version if full else None

    def counts(self) -> dict[str, int]:
        """Rows per ESCO table."""
        with self.database.transaction(read_only=True) as session:
            return EscoStore(session).counts()

    def data(self) -> EscoData:
        """Everything stored, as :class:`EscoData` (skills with hierarchy and collections, skill groups,
        occupations, ISCO groups, relations). Built once and kept until the store's ESCO changes (one small
        query a call checks that, so an import by another process is seen too); calls that find it missing
        together wait for one build."""
        with self.database.transaction(read_only=True) as session:
            store = EscoStore(session)
            stamp = store.latest_release_id()
            cached = self._cache
            if cached is not None and cached[0] == stamp:
                return cached[1]
            with self._lock:
                cached = self._cache  # built meanwhile by the call this one waited for
                if cached is not None and cached[0] == stamp:
                    return cached[1]
                data = self._read(store)
                self._cache = (stamp, data)
                self._search = {}
            return data

    def _read(self, store: EscoStore) -> EscoData:
        releases = store.releases()
        full = [r for r in releases if "skills" in r.parts]
        broader: dict[str, list[str]] = {}
        for row in store.all("broader"):
            broader.setdefault(row["uri"], []).append(row["broader_uri"])
        collections: dict[str, set[str]] = {}
        member_of: dict[str, set[str]] = {}
        for row in store.all("collections"):
            collections.setdefault(row["collection"], set()).add(row["uri"])
            member_of.setdefault(row["uri"], set()).add(row["collection"])
        skills = {
            row["uri"]: Skill(
                uri=row["uri"],
                skill_type=row["skill_type"],
                reuse_level=row["reuse_level"],
                labels=_labels_of(row["labels"]),
                status=row["status"],
                broader=tuple(sorted(broader.get(row["uri"], ()))),
                collections=frozenset(member_of.get(row["uri"], ())),
            )
            for row in store.all("skills")
        }
        groups = {
            row["uri"]: SkillGroup(
                uri=row["uri"],
                code=row["code"],
                labels=_labels_of(row["labels"]),
                broader=tuple(sorted(broader.get(row["uri"], ()))),
            )
            for row in store.all("skill_groups")
        }
        occupations = {
            row["uri"]: Occupation(
                uri=row["uri"],
                isco_group=row["isco_group"],
                code=row["code"],
                labels=_labels_of(row["labels"]),
                broader=tuple(sorted(broader.get(row["uri"], ()))),
            )
            for row in store.all("occupations")
        }
        isco = {
            row["uri"]: IscoGroup(
                uri=row["uri"],
                code=row["code"],
                labels=_labels_of(row["labels"]),
                broader=tuple(sorted(broader.get(row["uri"], ()))),
            )
            for row in store.all("isco_groups")
        }
        relations = tuple(
            OccupationSkill(
                occupation_uri=row["occupation_uri"],
                skill_uri=row["skill_uri"],
                relation=row["relation"],
                skill_type=row["skill_type"],
            )
            for row in sorted(store.all("occupation_skills"), key=lambda r: (r["occupation_uri"], r["skill_uri"]))
        )
        languages: list[str] = []
        for release in releases:
            languages.extend(release.languages)
        parts = set().union(*(r.parts for r in releases)) if releases else set()
        return EscoData(
            version=full[-1].version if full else None,
            languages=tuple(sorted(set(languages), key=lambda lang: (lang != "en", lang))),
            skills=skills,
            skill_groups=groups,
            collections={name: frozenset(uris) for name, uris in sorted(collections.items())},
            occupations=occupations,
            isco_groups=isco,
            occupation_skills=relations,
            parts=frozenset(parts),
        )

    def _invalidate(self) -> None:
        with self._lock:
            self._cache = None
            self._search = {}

    def skill(self, uri: str) -> Skill | None:
        """One stored skill by URI (from the cached data), or None."""
        return self.data().skills.get(uri)

    def occupation(self, uri: str) -> Occupation | None:
        """One stored occupation by URI (from the cached data), or None."""
        return self.data().occupations.get(uri)

    def search_occupations(self, query: str, *, language: str = "en", limit: int = 20) -> list[OccupationMatch]:
        """Occupations with a preferred or alternative label in ``language`` whose words start with every
        word of ``query`` (accents and case ignored): the exact label first, then labels that start with the
        query, then the rest, shorter first, preferred labels before alternative ones."""
        words = fold(query[:MAX_QUERY]).split()[:10]
        if not words or limit <= 0:
            return []
        data = self.data()
        entries = self._entries(data, language)
        ordered = best_matches(entries, words, limit)
        out = []
        for uri, matched in ordered:
            occupation = data.occupations[uri]
            out.append(
                OccupationMatch(
                    uri=uri,
                    label=occupation.labels[language].preferred,
                    matched=matched,
                    isco_group=occupation.isco_group,
                    code=occupation.code,
                )
            )
        return out

    def _entries(self, data: EscoData, language: str) -> list[tuple[str, str, str, bool]]:
        found = self._search.get(language)
        if found is None:
            found = []
            for uri, occupation in data.occupations.items():
                labels = occupation.labels.get(language)
                if labels is None:
                    continue
                found.append((fold(labels.preferred), uri, labels.preferred, True))
                found.extend((fold(alt), uri, alt, False) for alt in labels.alternatives)
            self._search[language] = found
        return found
