"""Job advertisements over ESCO: the skills an advertisement asks for, merged over its sentences, and the gaps
of a learner against them. Pure: the sentence-level suggestions are computed by the caller.

A suggestion counts only where the sentence supports it (:func:`support`, issue #20): every word of one of the
skill's labels is in the sentence (stemmed, so "statistical" meets "statistics"), except generic verbs such as
"use" or "perform" and a qualifier in brackets ("Python (computer programming)" needs "Python" only). The
sentence encoder finds "medical statistics" for "statistics" and "SQL Server" for "SQL"; those are not named.
The words of the advertisement that matched are kept with each skill.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cairn.skills.lexical import words as word_stems

__all__ = [
    "GENERIC_WORDS",
    "MAX_SENTENCES",
    "JobAdAnalysis",
    "JobAdSkill",
    "Message",
    "aggregate_job_skills",
    "compare_with_profile",
    "sentences",
    "support",
]


@dataclass(frozen=True, slots=True)
class JobAdSkill:
    """A skill found in a job advertisement: its best score, the label that matched best, how many sentences
    pointed to it and the words of the advertisement that support it (empty where no words were checked: a
    sentence in a language the labels are not in)."""

    uri: str
    label: str
    score: float
    matched: str
    mentions: int
    words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Message:
    """A message for a person: an English ``msgid`` with ``%(name)s`` placeholders, and their values.

    ``str()`` gives the English text; pages pass ``msgid`` and ``values`` to their translation."""

    msgid: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.msgid % dict(self.values) if self.values else self.msgid


@dataclass
class JobAdAnalysis:
    """What a job advertisement asks for, and (when a profile is given) what the learner lacks.

    ``index`` is the index that answered (``"full"`` or ``"lexical"``); ``reason_message`` is ``reason`` as
    a :class:`Message`; ``note`` says why the answer may be partial (the full index still being built)."""

    skills: list[JobAdSkill] = field(default_factory=list)
    reason: str | None = None
    held: list[JobAdSkill] = field(default_factory=list)
    gaps: list[JobAdSkill] = field(default_factory=list)
    reason_message: Message | None = None
    index: str = "full"
    note: Message | None = None


_SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n+|\s+[•·▪\-–*]\s+|^[•·▪\-–*]\s+", re.MULTILINE)
MAX_SENTENCES = 80


def sentences(text: str) -> list[str]:
    """The sentences and bullet points of ``text`` (at most :data:`MAX_SENTENCES`; very short ones dropped)."""
    parts = [part.strip(" \t•·▪-–*") for part in _SENTENCE.split(text)]
    kept = [part for part in parts if len(part) >= 3 and any(ch.isalpha() for ch in part)]
    return kept[:MAX_SENTENCES]


#: Words a skill label may have that the advertisement need not: the generic verbs ESCO labels start with.
GENERIC_WORDS = frozenset(
    stem
    for _, stem in word_stems(
        "use using apply perform carry out conduct undertake utilise utilize employ practise practice demonstrate"
    )
)
_QUALIFIER = re.compile(r"\([^)]*\)")


def support(sentence: str, labels: Iterable[str], *, common: Container[str] = frozenset()) -> tuple[str, ...]:
    """The words of ``sentence`` that support a skill with these ``labels`` (the preferred one first): those of
    the label (the one with most words matched) whose every word but :data:`GENERIC_WORDS` and bracketed
    qualifiers is in the sentence, in the sentence's order; () when no label is supported. An alternative label
    of one word in ``common`` (found in the labels of many skills: "data", "reporting") supports nothing."""
    position: dict[str, tuple[int, str]] = {}
    for i, (word, stem) in enumerate(word_stems(sentence)):
        position.setdefault(stem, (i, word))
    best: list[tuple[int, str]] = []
    for n, label in enumerate(labels):
        stems = [stem for _, stem in word_stems(_QUALIFIER.sub(" ", label))]
        needed = [stem for stem in stems if stem not in GENERIC_WORDS]
        if not needed or any(stem not in position for stem in needed):
            continue
        if n > 0 and len(needed) == 1 and needed[0] in common:
            continue
        found = sorted({position[stem] for stem in stems if stem in position})
        if len(found) > len(best):
            best = found
    return tuple(word for _, word in best)


def aggregate_job_skills(
    per_sentence: Sequence[Sequence[tuple[str, str, float, str, tuple[str, ...]]]], *, limit: int = 25
) -> list[JobAdSkill]:
    """Merge per-sentence suggestions ``(uri, label, score, matched, words)`` (best first within a sentence):
    skills suggested by more sentences first, then by their best score; the words of every sentence are kept
    (each once)."""
    best: dict[str, tuple[str, float, str]] = {}
    mentions: dict[str, int] = {}
    supported: dict[str, dict[str, None]] = {}
    for found in per_sentence:
        for uri, label, score, matched, words in found:
            mentions[uri] = mentions.get(uri, 0) + 1
            seen = supported.setdefault(uri, {})
            for word in words:
                if word.casefold() not in {w.casefold() for w in seen}:
                    seen[word] = None
            if uri not in best or score > best[uri][1]:
                best[uri] = (label, score, matched)
    skills = [
        JobAdSkill(uri, label, round(score, 4), matched, mentions[uri], tuple(supported[uri]))
        for uri, (label, score, matched) in best.items()
    ]
    skills.sort(key=lambda s: (-s.mentions, -s.score, s.label))
    return skills[:limit]


def compare_with_profile(analysis: JobAdAnalysis, held: frozenset[str]) -> JobAdAnalysis:
    """``analysis`` with ``held`` (skills the learner has) and ``gaps`` (skills they lack) filled in."""
    analysis.held = [s for s in analysis.skills if s.uri in held]
    analysis.gaps = [s for s in analysis.skills if s.uri not in held]
    return analysis
