"""Job advertisements over ESCO: the skills an advertisement asks for, merged over its sentences, and the gaps
of a learner against them. Pure: the sentence-level suggestions are computed by the caller."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MAX_SENTENCES",
    "JobAdAnalysis",
    "JobAdSkill",
    "Message",
    "aggregate_job_skills",
    "compare_with_profile",
    "sentences",
]


@dataclass(frozen=True, slots=True)
class JobAdSkill:
    """A skill found in a job advertisement: its best score and how many sentences pointed to it."""

    uri: str
    label: str
    score: float
    matched: str
    mentions: int


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


def aggregate_job_skills(
    per_sentence: Sequence[Sequence[tuple[str, str, float, str]]], *, limit: int = 25
) -> list[JobAdSkill]:
    """Merge per-sentence suggestions ``(uri, label, score, matched)`` (best first within a sentence):
    skills suggested by more sentences first, then by their best score."""
    best: dict[str, tuple[str, float, str]] = {}
    mentions: dict[str, int] = {}
    for found in per_sentence:
        for uri, label, score, matched in found:
            mentions[uri] = mentions.get(uri, 0) + 1
            if uri not in best or score > best[uri][1]:
                best[uri] = (label, score, matched)
    skills = [
        JobAdSkill(uri, label, round(score, 4), matched, mentions[uri]) for uri, (label, score, matched) in best.items()
    ]
    skills.sort(key=lambda s: (-s.mentions, -s.score, s.label))
    return skills[:limit]


def compare_with_profile(analysis: JobAdAnalysis, held: frozenset[str]) -> JobAdAnalysis:
    """``analysis`` with ``held`` (skills the learner has) and ``gaps`` (skills they lack) filled in."""
    analysis.held = [s for s in analysis.skills if s.uri in held]
    analysis.gaps = [s for s in analysis.skills if s.uri not in held]
    return analysis
