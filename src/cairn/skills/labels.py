"""ESCO skill labels shipped with Cairn: look a skill up by URI, or find skills by words for a picker.

The extract (``data/esco/``: ESCO v1.1.1 in English plus Polish occupation labels, as compressed CSV files
in the layout of the official download) is read once, on first use. This service uses the ESCO
classification of the European Commission (see ``data/NOTICE.txt``).
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from cairn.skills.esco import EscoData, load_esco

__all__ = [
    "ESCO_SKILL_PREFIX",
    "SHIPPED_ESCO_VERSION",
    "SkillLabel",
    "SkillLabels",
    "shipped_esco",
    "shipped_esco_folder",
    "shipped_labels",
    "skill_label",
]

ESCO_SKILL_PREFIX = "http://data.europa.eu/esco/skill/"
MAX_QUERY = 200
SHIPPED_ESCO_VERSION = "1.1.1"
"""The ESCO release of the shipped extract (its Polish occupation labels come from v1.2.1)."""


@dataclass(frozen=True, slots=True)
class SkillLabel:
    """A skill found by a search: its URI, preferred label, the label that matched and its type."""

    uri: str
    label: str
    matched: str
    skill_type: str


def fold(text: str) -> str:
    """``text`` for matching: case folded, accents removed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


LabelEntry = tuple[str, str, str, bool]
"""One label to search: (folded label, concept URI, the label as written, whether it is the preferred one)."""


def best_matches(entries: Iterable[LabelEntry], words: list[str], limit: int) -> list[tuple[str, str]]:
    """(URI, matched label) of the concepts with a label whose words start with every one of ``words``, best
    first: the exact label, then labels starting with the query, then the rest, shorter first; preferred labels
    before alternative ones."""
    phrase = " ".join(words)
    best: dict[str, tuple[int, int, str]] = {}
    for folded, uri, original, preferred in entries:
        tokens = folded.split()
        if not all(any(token.startswith(word) for token in tokens) for word in words):
            continue
        rank = 0 if folded == phrase else 1 if folded.startswith(phrase) else 2
        key = (rank * 2 + (0 if preferred else 1), len(original), original)
        if uri not in best or key < best[uri]:
            best[uri] = key
    return [(uri, key[2]) for uri, key in sorted(best.items(), key=lambda item: item[1])[:limit]]


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
            entries.append((fold(preferred), uri, preferred, True))
            entries.extend((fold(alt), uri, alt, False) for alt in alternatives)
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
        words = fold(query[:MAX_QUERY]).split()[:10]
        if not words or limit <= 0:
            return []
        candidates = self._with_prefix(words[0])
        for word in words[1:]:
            if not candidates:
                break
            candidates &= self._with_prefix(word)
        entries = (self._entries[i] for i in candidates)
        if skill_type is not None:
            entries = (e for e in entries if self._types[e[1]] == skill_type)
        found = best_matches(entries, words, limit)
        return [SkillLabel(uri, self._preferred[uri], matched, self._types[uri]) for uri, matched in found]


Row = tuple[str, str, str, str, tuple[str, ...]]


def shipped_esco_folder() -> Path:
    """The folder of the shipped extract, in ESCO's CSV layout (``en/``, ``pl/``; files xz-compressed)."""
    return Path(str(resources.files("cairn.skills") / "data" / "esco"))


@cache
def shipped_esco() -> EscoData:
    """The shipped extract's English skills pillar (skills with their types, reuse levels, labels and
    descriptions, skill groups, hierarchy and collections; no occupations), enough to build a
    :class:`~cairn.skills.index.SkillIndex` without the full ESCO download. Read once per process."""
    return load_esco(
        shipped_esco_folder(),
        languages=("en",),
        version=SHIPPED_ESCO_VERSION,
        only=("skills", "skill_groups", "skill_hierarchy", "collections"),
    )


@cache
def _shipped_rows() -> tuple[Row, ...]:
    prefix = len(ESCO_SKILL_PREFIX)
    rows = []
    for uri, skill in shipped_esco().skills.items():
        labels = skill.label("en")
        rows.append((uri[prefix:], skill.skill_type, skill.reuse_level, labels.preferred, labels.alternatives))
    return tuple(sorted(rows))


@cache
def shipped_labels() -> SkillLabels:
    """The ESCO v1.1.1 English skill labels shipped in the package (read once per process)."""
    return SkillLabels(list(_shipped_rows()))


@cache
def _polish_labels() -> dict[str, str]:
    polish = load_esco(shipped_esco_folder() / "pl", require=(), languages=("pl",), only=("collections",))
    return {uri: labels["pl"].preferred for uri, labels in polish.skill_labels.items() if "pl" in labels}


def skill_label(uri: str, lang: str = "en") -> tuple[str, str] | None:
    """``(language, preferred label)`` of the ESCO skill ``uri`` for a reader of ``lang``: Polish where the shipped
    Polish extract has it (ESCO v1.2.1's Polish skill collections; data/NOTICE.txt), else English; None when the
    skill is not known here."""
    if lang == "pl" and (label := _polish_labels().get(uri)):
        return "pl", label
    english = shipped_labels().label(uri)
    return ("en", english) if english else None
