"""Read the official ESCO CSV download into plain, immutable dataclasses.

Pure: no database, no network. :func:`load_esco` takes a folder that holds the CSV files of one ESCO
release (the v1.1.x and v1.2.x layouts), in one or several languages, either side by side
(``skills_en.csv``, ``skills_pl.csv``) or one folder per language (``en/skills_en.csv``). Files are
recognised by name; a file that is needed but absent, or a column that is needed but missing, raises
:class:`cairn.errors.InputError` naming it, before anything is returned.

The parts of a release and the files they come from:

==================  =====================================================  =====================
part                file (``_xx`` is the language)                         needed columns
==================  =====================================================  =====================
skills              ``skills_xx.csv``                                      see ``_COLUMNS``
skill_groups        ``skillGroups_xx.csv``
skill_hierarchy     ``broaderRelationsSkillPillar_xx.csv``
collections         ``*SkillsCollection_xx.csv`` (digital, green, ...)
occupations         ``occupations_xx.csv``
isco_groups         ``ISCOGroups_xx.csv``
occupation_skills   ``occupationSkillRelations[_xx].csv``
==================  =====================================================  =====================

Only ``skills`` is required by default; pass ``require=ALL_PARTS`` to insist on a complete release.
A file may also be compressed (``skills_en.csv.gz``, ``skills_en.csv.xz``): the extract shipped inside
Cairn is such a folder.
"""

from __future__ import annotations

import csv
import gzip
import io
import lzma
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cairn.errors import InputError

__all__ = [
    "ALL_PARTS",
    "EscoData",
    "IscoGroup",
    "Labels",
    "Occupation",
    "OccupationSkill",
    "Skill",
    "SkillGroup",
    "load_esco",
    "present_parts",
]

ALL_PARTS: tuple[str, ...] = (
    "skills",
    "skill_groups",
    "skill_hierarchy",
    "collections",
    "occupations",
    "isco_groups",
    "occupation_skills",
)

_FILES: dict[str, str] = {
    "skills": "skills",
    "skill_groups": "skillGroups",
    "skill_hierarchy": "broaderRelationsSkillPillar",
    "occupations": "occupations",
    "isco_groups": "ISCOGroups",
    "occupation_skills": "occupationSkillRelations",
}

_COLUMNS: dict[str, tuple[str, ...]] = {
    "skills": ("conceptUri", "preferredLabel", "altLabels", "skillType", "reuseLevel"),
    "skillGroups": ("conceptUri", "preferredLabel"),
    "broaderRelationsSkillPillar": ("conceptUri", "broaderUri"),
    "collection": ("conceptUri",),
    "occupations": ("conceptUri", "preferredLabel", "altLabels", "iscoGroup"),
    "ISCOGroups": ("conceptUri", "code", "preferredLabel"),
    "occupationSkillRelations": ("occupationUri", "relationType", "skillUri"),
}

_NAME = re.compile(r"^(?P<base>[A-Za-z]+?)(?:_(?P<lang>[a-z]{2,3}(?:-[a-zA-Z]{2,4})?))?\.csv(?:\.gz|\.xz)?$")
MAX_FILE_BYTES = 256 * 1024 * 1024
"""The largest ESCO file read (uncompressed); the biggest official one, occupationSkillRelations, is ~21 MB."""
_VERSION = re.compile(r"v(\d+\.\d+(?:\.\d+)?)")
_COLLECTION_SUFFIX = "SkillsCollection"
_LABELLED = ("skills", "occupations", "skillGroups", "ISCOGroups")  # files that say which languages are present


@dataclass(frozen=True, slots=True)
class Labels:
    """The words for one concept in one language."""

    preferred: str
    alternatives: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    description: str = ""

    def all(self) -> tuple[str, ...]:
        """Preferred label first, then alternative labels, without duplicates (case-insensitive)."""
        seen: set[str] = set()
        out: list[str] = []
        for label in (self.preferred, *self.alternatives):
            key = label.casefold()
            if key not in seen:
                seen.add(key)
                out.append(label)
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Skill:
    """An ESCO skill or knowledge concept.

    ``skill_type`` is ``"skill/competence"``, ``"knowledge"`` or ``""``; ``reuse_level`` is
    ``"transversal"``, ``"cross-sector"``, ``"sector-specific"``, ``"occupation-specific"`` or ``""``.
    """

    uri: str
    skill_type: str
    reuse_level: str
    labels: Mapping[str, Labels]
    status: str = "released"
    broader: tuple[str, ...] = ()
    collections: frozenset[str] = frozenset()

    def label(self, language: str = "en") -> Labels:
        """Labels in ``language``, or in the first language present when that one is missing."""
        found = self.labels.get(language)
        return found if found is not None else next(iter(self.labels.values()))

    def description(self, language: str = "en") -> str:
        """The description in ``language``, else the first one another language has ("" when none has)."""
        found = self.labels.get(language)
        if found is not None and found.description:
            return found.description
        return next((labels.description for labels in self.labels.values() if labels.description), "")

    @property
    def preferred_label(self) -> str:
        """English preferred label (or the first language's when there is no English one)."""
        return self.label("en").preferred


@dataclass(frozen=True, slots=True)
class SkillGroup:
    """A node of the ESCO skills hierarchy (a skill group)."""

    uri: str
    code: str
    labels: Mapping[str, Labels]
    broader: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IscoGroup:
    """An ISCO-08 group (major, sub-major, minor or unit group)."""

    uri: str
    code: str
    labels: Mapping[str, Labels]
    broader: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Occupation:
    """An ESCO occupation with its ISCO-08 unit group code."""

    uri: str
    isco_group: str
    code: str
    labels: Mapping[str, Labels]
    broader: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OccupationSkill:
    """One occupation-skill relation: ``relation`` is ``"essential"`` or ``"optional"``."""

    occupation_uri: str
    skill_uri: str
    relation: str
    skill_type: str = ""


@dataclass(frozen=True, slots=True)
class EscoData:
    """One ESCO release as read from its CSV files (only the parts that were present)."""

    version: str | None
    languages: tuple[str, ...]
    skills: Mapping[str, Skill]
    skill_groups: Mapping[str, SkillGroup] = field(default_factory=dict)
    collections: Mapping[str, frozenset[str]] = field(default_factory=dict)
    occupations: Mapping[str, Occupation] = field(default_factory=dict)
    isco_groups: Mapping[str, IscoGroup] = field(default_factory=dict)
    occupation_skills: tuple[OccupationSkill, ...] = ()
    parts: frozenset[str] = frozenset()
    skill_labels: Mapping[str, Mapping[str, Labels]] = field(default_factory=dict)
    """Labels that a language's collection files give for skills, in languages read without a skills file
    (ESCO v1.2.1's Polish download has no ``skills_pl.csv``, but its collections label 2,787 skills): merged
    into :attr:`skills` where those are read too, and what an import of that language alone adds to the store."""


@dataclass(slots=True)
class _Found:
    """CSV files found in a folder, by base name and then by language (``""`` when unsuffixed)."""

    files: dict[str, dict[str, Path]] = field(default_factory=dict)

    def add(self, path: Path) -> None:
        match = _NAME.match(path.name)
        if match is None:
            return
        by_lang = self.files.setdefault(match["base"], {})
        by_lang.setdefault(match["lang"] or "", path)

    def get(self, base: str) -> dict[str, Path]:
        return self.files.get(base, {})

    def any(self, base: str, preferred: Iterable[str]) -> Path | None:
        """The copy of a language-neutral file in the first preferred language that has it, else any."""
        by_lang = self.get(base)
        for lang in (*preferred, ""):
            if lang in by_lang:
                return by_lang[lang]
        return next(iter(by_lang.values()), None)


def load_esco(
    directory: str | Path,
    *,
    require: Iterable[str] = ("skills",),
    languages: Iterable[str] | None = None,
    version: str | None = None,
    only: Iterable[str] | None = None,
) -> EscoData:
    """Read an ESCO CSV download from ``directory`` (and its immediate sub-folders).

    ``require`` names the parts (see :data:`ALL_PARTS`) whose files must be present; every other part is
    read when its files are there. ``languages`` restricts which language files are read (default: all
    that have a ``skills_xx.csv``, or an ``occupations_xx.csv`` when there are no skill files).
    ``version`` overrides the release number found in the folder's path (``v1.1.1``). ``only`` names the
    parts to read (default: every part present), to skip the big relation files when they are not needed.

    Raises :class:`InputError` naming the folder, file, column or line that is missing or malformed.
    """
    root = Path(directory)
    if not root.is_dir():
        raise InputError(f"ESCO folder not found: {root}")
    wanted = tuple(require)
    unknown = sorted(set(wanted) - set(ALL_PARTS))
    if unknown:
        raise InputError(f"unknown ESCO part(s): {', '.join(unknown)}; known: {', '.join(ALL_PARTS)}")

    found = _scan(root)
    langs = _languages(found, languages)
    reading = set(ALL_PARTS) if only is None else set(only) | set(wanted)
    if only is not None:
        found.files = {
            base: by_lang
            for base, by_lang in found.files.items()
            if any(_FILES.get(part) == base for part in reading)
            or (base.endswith(_COLLECTION_SUFFIX) and "collections" in reading)
            or (base == "broaderRelationsOccPillar" and reading & {"occupations", "isco_groups"})
        }
    missing = [_describe(part, langs) for part in wanted if not _present(found, part, langs)]
    if missing:
        raise InputError(f"ESCO folder {root} is missing {'; '.join(missing)}")

    skill_broader = _broader(found.any("broaderRelationsSkillPillar", langs))
    collections = _collections(found, langs)
    member_of: dict[str, set[str]] = {}
    for name, uris in collections.items():
        for uri in uris:
            member_of.setdefault(uri, set()).add(name)

    skills: dict[str, Skill] = {}
    skill_rows: dict[str, dict[str, str]] = {}
    skill_labels: dict[str, dict[str, Labels]] = {}
    for lang in langs:
        skills_file = found.get("skills").get(lang)
        if skills_file is None:
            continue
        for row in _rows(skills_file, "skills"):
            uri = row["conceptUri"]
            skill_rows.setdefault(uri, row)
            labels = _labels(row)
            if labels is not None:
                skill_labels.setdefault(uri, {})[lang] = labels
    collection_labels = _collection_labels(found, langs) if "collections" in reading else {}
    for uri, by_lang in collection_labels.items():
        if uri in skill_labels:
            for lang, labels in by_lang.items():
                skill_labels[uri].setdefault(lang, labels)
    for uri, row in skill_rows.items():
        if uri not in skill_labels:
            continue
        skills[uri] = Skill(
            uri=uri,
            skill_type=row["skillType"].strip(),
            reuse_level=row["reuseLevel"].strip(),
            labels=skill_labels[uri],
            status=(row.get("status") or "released").strip(),
            broader=tuple(skill_broader.get(uri, ())),
            collections=frozenset(member_of.get(uri, ())),
        )

    groups = _concepts(found, "skillGroups", langs)
    skill_groups = {
        uri: SkillGroup(uri=uri, code=code, labels=labels, broader=tuple(skill_broader.get(uri, ())))
        for uri, (code, labels) in groups.items()
    }
    occ_broader = _broader(found.any("broaderRelationsOccPillar", langs))
    isco = _concepts(found, "ISCOGroups", langs)
    isco_groups = {
        uri: IscoGroup(uri=uri, code=code, labels=labels, broader=tuple(occ_broader.get(uri, ())))
        for uri, (code, labels) in isco.items()
    }
    occupations = _occupations(found, langs, occ_broader)
    relations = _relations(found.any("occupationSkillRelations", langs))

    parts = {part for part in ALL_PARTS if _present(found, part, langs)}
    return EscoData(
        version=version or _version(root),
        languages=langs,
        skills=skills,
        skill_groups=skill_groups,
        collections=collections,
        occupations=occupations,
        isco_groups=isco_groups,
        occupation_skills=relations,
        parts=frozenset(parts),
        skill_labels=collection_labels,
    )


def present_parts(directory: str | Path, *, languages: Iterable[str] | None = None) -> frozenset[str]:
    """The parts (see :data:`ALL_PARTS`) whose files are in ``directory``, judged by file names alone."""
    root = Path(directory)
    if not root.is_dir():
        raise InputError(f"ESCO folder not found: {root}")
    found = _scan(root)
    langs = _languages(found, languages)
    return frozenset(part for part in ALL_PARTS if _present(found, part, langs))


def _scan(root: Path) -> _Found:
    found = _Found()
    for path in sorted(root.iterdir()):
        if path.is_dir():
            for sub in sorted(path.iterdir()):
                if sub.is_file():
                    found.add(sub)
        elif path.is_file():
            found.add(path)
    return found


def _languages(found: _Found, languages: Iterable[str] | None) -> tuple[str, ...]:
    present = [lang for base in _LABELLED for lang in found.get(base) if lang]
    if languages is None:
        ordered = sorted(set(present), key=lambda lang: (lang != "en", lang))
        return tuple(ordered) or ("en",)
    chosen = tuple(dict.fromkeys(languages))
    if not chosen:
        raise InputError("no ESCO language chosen")
    return chosen


def _present(found: _Found, part: str, langs: tuple[str, ...]) -> bool:
    if part == "collections":
        return any(base.endswith(_COLLECTION_SUFFIX) for base in found.files)
    base = _FILES[part]
    if part in {"occupation_skills", "skill_hierarchy"}:
        return found.any(base, langs) is not None
    return any(lang in found.get(base) for lang in langs)


def _describe(part: str, langs: tuple[str, ...]) -> str:
    if part == "collections":
        return "the skill collection files (*SkillsCollection_xx.csv)"
    names = " or ".join(f"{_FILES[part]}_{lang}.csv" for lang in langs)
    return f"{names} ({part})"


def _version(root: Path) -> str | None:
    for part in reversed(root.resolve().parts):
        match = _VERSION.search(part)
        if match:
            return match.group(1)
    return None


def _rows(path: Path, kind: str) -> Iterator[dict[str, str]]:
    """Rows of one CSV file as dicts, after checking the header has the needed columns."""
    needed = _COLUMNS[kind]
    try:
        with _open(path) as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            lacking = [name for name in needed if name not in header]
            if lacking:
                raise InputError(f"{path.name}: missing column(s) {', '.join(lacking)} (in {path.parent})")
            for row in reader:
                if None in row:
                    raise InputError(f"{path.name}, line {reader.line_num}: more fields than the header has")
                clean = {key: value or "" for key, value in row.items()}
                for name in needed[:1]:
                    if not clean[name].strip():
                        raise InputError(f"{path.name}, line {reader.line_num}: empty {name}")
                yield clean
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except csv.Error as exc:
        raise InputError(f"{path.name}: malformed CSV ({exc})") from exc
    except (gzip.BadGzipFile, lzma.LZMAError, EOFError) as exc:
        raise InputError(f"{path.name}: not a valid compressed file ({exc})") from exc
    except OSError as exc:
        raise InputError(f"{path.name}: cannot be read ({exc.strerror})") from exc


def _open(path: Path) -> io.TextIOWrapper:
    """A CSV file as text, decompressed when its name ends in .gz or .xz; refuses files past the size limit."""
    raw: io.BufferedIOBase
    if path.name.endswith(".gz"):
        raw = gzip.open(path, "rb")  # noqa: SIM115 - closed with the wrapper
    elif path.name.endswith(".xz"):
        raw = lzma.open(path, "rb")  # noqa: SIM115 - closed with the wrapper
    else:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(f"{path.name}: larger than {MAX_FILE_BYTES // 2**20} MB")
        raw = path.open("rb")
    return io.TextIOWrapper(io.BufferedReader(_Limited(raw, path.name)), encoding="utf-8-sig", newline="")


class _Limited(io.RawIOBase):
    """A reader that raises :class:`InputError` once more than ``MAX_FILE_BYTES`` came out of it."""

    def __init__(self, inner: io.BufferedIOBase, name: str) -> None:
        self._inner = inner
        self._name = name
        self._read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        self._read += len(data)
        if self._read > MAX_FILE_BYTES:
            raise InputError(f"{self._name}: larger than {MAX_FILE_BYTES // 2**20} MB uncompressed")
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


def _split(cell: str) -> tuple[str, ...]:
    """Split a multi-value cell (newline-separated, or `` | ``-separated in collection files)."""
    parts = re.split(r"\n| \| ", cell)
    return tuple(dict.fromkeys(part.strip() for part in parts if part.strip()))


def _labels(row: Mapping[str, str]) -> Labels | None:
    preferred = row.get("preferredLabel", "").strip()
    if not preferred:
        return None
    return Labels(
        preferred=preferred,
        alternatives=tuple(label for label in _split(row.get("altLabels", "")) if label != preferred),
        hidden=_split(row.get("hiddenLabels", "")),
        description=row.get("description", "").strip(),
    )


def _broader(path: Path | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if path is None:
        return out
    kind = "broaderRelationsSkillPillar"
    for row in _rows(path, kind):
        broader = row["broaderUri"].strip()
        if broader:
            out.setdefault(row["conceptUri"].strip(), []).append(broader)
    return out


def _collections(found: _Found, langs: tuple[str, ...]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for base in sorted(found.files):
        if not base.endswith(_COLLECTION_SUFFIX):
            continue
        path = found.any(base, langs)
        if path is None:
            continue
        name = base[: -len(_COLLECTION_SUFFIX)].lower()
        out[name] = frozenset(row["conceptUri"].strip() for row in _rows(path, "collection"))
    return out


def _collection_labels(found: _Found, langs: tuple[str, ...]) -> dict[str, dict[str, Labels]]:
    """Skill labels from the collection files of each language in ``langs`` that has no ``skills_xx.csv``
    (a collection file labels its members: ``preferredLabel``, ``altLabels`` split on `` | ``)."""
    out: dict[str, dict[str, Labels]] = {}
    with_skills = found.get("skills")
    for lang in langs:
        if lang in with_skills:
            continue
        for base in sorted(found.files):
            path = found.get(base).get(lang) if base.endswith(_COLLECTION_SUFFIX) else None
            if path is None:
                continue
            for row in _rows(path, "collection"):
                uri = row["conceptUri"].strip()
                labels = _labels(row) if "/skill/" in uri else None
                if labels is not None:
                    out.setdefault(uri, {}).setdefault(lang, labels)
    return out


def _concepts(found: _Found, base: str, langs: tuple[str, ...]) -> dict[str, tuple[str, dict[str, Labels]]]:
    """Labelled concepts (skill groups, ISCO groups) keyed by URI: (code, labels by language)."""
    out: dict[str, tuple[str, dict[str, Labels]]] = {}
    for lang in langs:
        path = found.get(base).get(lang)
        if path is None:
            continue
        for row in _rows(path, base):
            uri = row["conceptUri"].strip()
            _, labels = out.setdefault(uri, (row.get("code", "").strip(), {}))
            found_labels = _labels(row)
            if found_labels is not None:
                labels[lang] = found_labels
    return {uri: value for uri, value in out.items() if value[1]}


def _occupations(found: _Found, langs: tuple[str, ...], broader: Mapping[str, list[str]]) -> dict[str, Occupation]:
    rows: dict[str, dict[str, str]] = {}
    labels: dict[str, dict[str, Labels]] = {}
    for lang in langs:
        path = found.get("occupations").get(lang)
        if path is None:
            continue
        for row in _rows(path, "occupations"):
            uri = row["conceptUri"].strip()
            rows.setdefault(uri, row)
            found_labels = _labels(row)
            if found_labels is not None:
                labels.setdefault(uri, {})[lang] = found_labels
    return {
        uri: Occupation(
            uri=uri,
            isco_group=row["iscoGroup"].strip(),
            code=row.get("code", "").strip(),
            labels=labels[uri],
            broader=tuple(broader.get(uri, ())),
        )
        for uri, row in rows.items()
        if uri in labels
    }


def _relations(path: Path | None) -> tuple[OccupationSkill, ...]:
    if path is None:
        return ()
    return tuple(
        OccupationSkill(
            occupation_uri=row["occupationUri"].strip(),
            skill_uri=row["skillUri"].strip(),
            relation=row["relationType"].strip(),
            skill_type=row.get("skillType", "").strip(),
        )
        for row in _rows(path, "occupationSkillRelations")
    )
