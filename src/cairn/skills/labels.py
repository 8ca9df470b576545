"""ESCO skill labels shipped with Cairn: look a skill up by URI, or find skills by words for a picker.

The extract (``data/esco-skills-en.tsv.gz``, ESCO v1.1.1, English) is read once, on first use. This
service uses the ESCO classification of the European Commission (see ``data/NOTICE.txt``).
"""

from __future__ import annotations

import gzip
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources

from cairn.skills.esco import EscoData, Labels, Skill

__all__ = ["ESCO_SKILL_PREFIX", "SkillLabel", "SkillLabels", "shipped_esco", "shipped_labels"]

ESCO_SKILL_PREFIX = "http://data.europa.eu/esco/skill/"
MAX_QUERY = 200


@dataclass(frozen=True, slots=True)
class SkillLabel:
    """A skill found by a search: its URI, preferred label, the label that matched and its type."""

    uri: str
    label: str
    matched: str
    skill_type: str


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class SkillLabels:
    """Preferred and alternative labels of ESCO skills, searchable by words."""

    def __init__(self, rows: list[tuple[str, str, str, str, tuple[str, ...]]]) -> None:  # see Row
        self._preferred: dict[str, str] = {}
        self._types: dict[str, str] = {}
        self._reuse: dict[str, str] = {}
        entries: list[tuple[str, str, str, bool]] = []
        for uuid, skill_type, reuse, preferred, alternatives in rows:
            uri = ESCO_SKILL_PREFIX + uuid
            self._preferred[uri] = preferred
            self._types[uri] = skill_type
            self._reuse[uri] = reuse
            entries.append((_fold(preferred), uri, preferred, True))
            entries.extend((_fold(alt), uri, alt, False) for alt in alternatives)
        self._entries = entries
        postings: defaultdict[str, list[int]] = defaultdict(list)
        for index, (folded, _, _, _) in enumerate(entries):
            for token in set(folded.split()):
                postings[token].append(index)
        self._postings = dict(postings)
        self._tokens = sorted(postings)

    def _with_prefix(self, word: str) -> set[int]:
        """Entries with a word starting with ``word`` (a sorted token list makes this a range scan)."""
        found: set[int] = set()
        tokens = self._tokens
        i = bisect_left(tokens, word)
        while i < len(tokens) and tokens[i].startswith(word):
            found.update(self._postings[tokens[i]])
            i += 1
        return found

    def __len__(self) -> int:
        return len(self._preferred)

    def label(self, uri: str) -> str | None:
        """The preferred label of ``uri``, or None when it is not an ESCO skill known here."""
        return self._preferred.get(uri)

    def labels(self, uris: list[str] | tuple[str, ...]) -> dict[str, str]:
        """Preferred labels of the known ``uris``."""
        return {u: self._preferred[u] for u in uris if u in self._preferred}

    def skill_type(self, uri: str) -> str | None:
        """``skill/competence`` or ``knowledge`` (ESCO's skillType), or None."""
        return self._types.get(uri)

    def search(self, query: str, *, limit: int = 20, skill_type: str | None = None) -> list[SkillLabel]:
        """Skills with a label whose words start with every word of ``query``, best first: the exact label,
        then labels starting with the query, then the rest, shorter first; preferred labels before others."""
        words = _fold(query[:MAX_QUERY]).split()[:10]
        if not words or limit <= 0:
            return []
        candidates = self._with_prefix(words[0])
        for word in words[1:]:
            if not candidates:
                break
            candidates &= self._with_prefix(word)
        phrase = " ".join(words)
        best: dict[str, tuple[int, int, str]] = {}
        for index in candidates:
            folded, uri, original, preferred = self._entries[index]
            if skill_type is not None and self._types[uri] != skill_type:
                continue
            rank = 0 if folded == phrase else 1 if folded.startswith(phrase) else 2
            key = (rank * 2 + (0 if preferred else 1), len(original), original)
            if uri not in best or key < best[uri]:
                best[uri] = key
        ordered = sorted(best.items(), key=lambda item: item[1])[:limit]
        return [SkillLabel(uri, self._preferred[uri], key[2], self._types[uri]) for uri, key in ordered]


Row = tuple[str, str, str, str, tuple[str, ...]]


@cache
def _shipped_rows() -> tuple[Row, ...]:
    raw = resources.files("cairn.skills").joinpath("data", "esco-skills-en.tsv.gz").read_bytes()
    rows = []
    for line in gzip.decompress(raw).decode("utf-8").splitlines()[1:]:
        uuid, skill_type, reuse, preferred, alts = line.split("\t")
        rows.append((uuid, skill_type, reuse, preferred, tuple(a for a in alts.split(" | ") if a)))
    return tuple(rows)


@cache
def shipped_labels() -> SkillLabels:
    """The ESCO v1.1.1 English extract shipped in the package (read once per process)."""
    return SkillLabels(list(_shipped_rows()))


def shipped_esco() -> EscoData:
    """The shipped extract as ESCO data (skills with English labels; no hierarchy or collections), enough to
    build a :class:`~cairn.skills.index.SkillIndex` without the full ESCO download."""
    skills = {
        ESCO_SKILL_PREFIX + uuid: Skill(
            uri=ESCO_SKILL_PREFIX + uuid,
            skill_type=skill_type,
            reuse_level=reuse,
            labels={"en": Labels(preferred, alternatives)},
        )
        for uuid, skill_type, reuse, preferred, alternatives in _shipped_rows()
    }
    return EscoData(version="1.1.1", languages=("en",), skills=skills, parts=frozenset({"skills"}))
