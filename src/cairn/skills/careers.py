"""Careers over ESCO: a learner's skill profile, occupations ranked by fit, gaps and next steps (job ads:
:mod:`cairn.skills.jobs`).

Pure functions over :class:`~cairn.skills.esco.EscoData` and plain records; no database, no clock.

Profile
    :func:`credential_skills` finds the ESCO skills a credential attests, wherever the two formats Cairn
    reads put them: OB 3.0 ``achievement.alignment[].targetUrl`` (and ``targetCode``), the
    ``achievement.learningOutcome[].relatedESCOSkill`` of Cairn's awards before issue #12 and ELM's
    ``credentialSubject.hasClaim...learningOutcome[].relatedESCOSkill`` (a URI or ``{"id": URI}``). Any
    ESCO skill URI inside ``credentialSubject`` counts. :func:`build_profile` gathers them over several
    credentials, each skill with its evidence (credential, issuer, EQF level, date), grouped by the ESCO
    skills hierarchy (the level-1 group under the pillar: "communication, collaboration and creativity").

Occupations
    :class:`OccupationMatrix` (in :mod:`cairn.skills.occupations`, re-exported here) ranks occupations by a
    score that weighs skills by how specific they are and reads the relations both ways: the share of the
    occupation's skills the learner holds and the share of the learner's skills the occupation uses.

Next steps
    :func:`rank_next_steps` ranks catalogue micro-credentials by how many missing skills they cover per
    ECTS credit. A definition without ECTS credits counts its notional hours / 25 (the ECTS users' guide's
    25-30 hours per credit, at its low end); one with neither comes last, ranked by skills covered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cairn.formats.annex import read_annex
from cairn.skills.esco import EscoData, Occupation
from cairn.skills.labels import best_matches, fold
from cairn.skills.occupations import (
    COVERAGE_ONLY,
    OPTIONAL_WEIGHT,
    SCORING,
    OccupationFit,
    OccupationMatrix,
    Scoring,
    missing_essential,
    names_of,
    occupation_label,
    occupation_label_in,
    occupation_matrix,
    skill_label,
    skill_label_in,
)

__all__ = [
    "COVERAGE_ONLY",
    "ESCO_OCCUPATION_PREFIX",
    "ESCO_SKILL_PREFIX",
    "HOURS_PER_ECTS",
    "OPTIONAL_WEIGHT",
    "SCORING",
    "CredentialEvidence",
    "Evidence",
    "HeldCredential",
    "NextStep",
    "OccupationFit",
    "OccupationMatrix",
    "Offer",
    "ProfileGroup",
    "ProfileSkill",
    "Scoring",
    "SkillProfile",
    "build_profile",
    "credential_level",
    "credential_skills",
    "missing_essential",
    "names_of",
    "occupation_by_key",
    "occupation_label",
    "occupation_label_in",
    "occupation_matrix",
    "offers_covering",
    "rank_next_steps",
    "search_occupations",
    "skill_label",
    "skill_label_in",
]

ESCO_SKILL_PREFIX = "http://data.europa.eu/esco/skill/"
ESCO_OCCUPATION_PREFIX = "http://data.europa.eu/esco/occupation/"
#: Notional hours per ECTS credit used when a definition gives hours only.
HOURS_PER_ECTS = 25.0
_EQF = re.compile(r"/eqf/(\d)$")
_MAX_DEPTH = 12
_MAX_NODES = 20_000


# --------------------------------------------------------------------------------------------- credentials


@dataclass(frozen=True, slots=True)
class HeldCredential:
    """A verified credential in a wallet, as the profile needs it."""

    id: str
    title: str
    issuer_name: str | None
    issuer_id: str | None
    issued_at: datetime | None
    document: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Evidence:
    """Which credential attests a skill: its title, issuer, EQF level (when stated) and date."""

    credential_id: str
    title: str
    issuer: str
    level: int | None
    issued_at: datetime | None


@dataclass(frozen=True, slots=True)
class CredentialEvidence:
    """The skills found in one credential (ESCO URIs, in order found) and its EQF level."""

    skills: tuple[str, ...]
    level: int | None


def _walk(node: Any, found: dict[str, None], budget: list[int], depth: int = 0) -> None:
    if depth > _MAX_DEPTH or budget[0] <= 0:
        return
    budget[0] -= 1
    if isinstance(node, str):
        if node.startswith(ESCO_SKILL_PREFIX) and len(node) < 200:
            found.setdefault(node.strip(), None)
    elif isinstance(node, Mapping):
        for value in node.values():
            _walk(value, found, budget, depth + 1)
    elif isinstance(node, list | tuple):
        for value in node:
            _walk(value, found, budget, depth + 1)


def _subject(document: Mapping[str, Any]) -> Any:
    subject = document.get("credentialSubject")
    if subject is None and isinstance(document.get("vc"), Mapping):  # a decoded VC-JWT payload
        subject = document["vc"].get("credentialSubject")
    return subject


def credential_skills(document: Mapping[str, Any]) -> tuple[str, ...]:
    """ESCO skill URIs a credential attests (anywhere under ``credentialSubject``), without duplicates."""
    found: dict[str, None] = {}
    _walk(_subject(document), found, [_MAX_NODES])
    return tuple(found)


def credential_level(document: Mapping[str, Any]) -> int | None:
    """The EQF level (1-8) a credential states: an Open Badges 3.0 EQF alignment or Cairn's former ``eqfLevel``
    (:func:`cairn.formats.annex.read_annex`), else an ``eqfLevel`` anywhere under the subject (ELM ``eqfLevel.id``)."""
    level = read_annex(document).eqf if isinstance(document, Mapping) else None
    if level is not None:
        return level
    stack: list[tuple[Any, int]] = [(_subject(document), 0)]
    seen = 0
    while stack and seen < _MAX_NODES:
        node, depth = stack.pop()
        seen += 1
        if depth > _MAX_DEPTH:
            continue
        if isinstance(node, Mapping):
            value = node.get("eqfLevel")
            if isinstance(value, Mapping):
                value = value.get("id")
            if isinstance(value, str):
                match = _EQF.search(value.strip())
                if match and 1 <= int(match.group(1)) <= 8:
                    return int(match.group(1))
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return None


# ------------------------------------------------------------------------------------------------ profile


@dataclass(frozen=True, slots=True)
class ProfileSkill:
    """A skill the learner holds, with every credential that attests it (``language``: the label's)."""

    uri: str
    label: str
    skill_type: str
    evidence: tuple[Evidence, ...]
    known: bool = True
    language: str = "en"


@dataclass(frozen=True, slots=True)
class ProfileGroup:
    """Skills under one group of the ESCO hierarchy (``uri`` empty for skills outside it)."""

    uri: str
    label: str
    pillar: str
    skills: tuple[ProfileSkill, ...]
    language: str = "en"


@dataclass(frozen=True, slots=True)
class SkillProfile:
    """A learner's skills from their verified credentials."""

    skills: Mapping[str, ProfileSkill]
    groups: tuple[ProfileGroup, ...]
    credentials: int
    issuers: int
    without_skills: tuple[str, ...] = ()

    @property
    def uris(self) -> frozenset[str]:
        """The skills held (ESCO URIs)."""
        return frozenset(self.skills)


def _group_chain(esco: EscoData, uri: str) -> list[str]:
    """Skill groups above ``uri``, nearest first (following the first broader concept each time)."""
    chain: list[str] = []
    seen = {uri}
    current = uri
    for _ in range(_MAX_DEPTH):
        concept = esco.skills.get(current) or esco.skill_groups.get(current)
        broader = [b for b in (concept.broader if concept is not None else ()) if b not in seen]
        if not broader:
            break
        # prefer a broader skill group over a broader skill, then the first listed
        groups = [b for b in broader if b in esco.skill_groups]
        current = groups[0] if groups else broader[0]
        seen.add(current)
        if current in esco.skill_groups:
            chain.append(current)
    return chain


def build_profile(esco: EscoData, credentials: Iterable[HeldCredential], *, language: str = "en") -> SkillProfile:
    """Skills from ``credentials`` with their evidence, grouped by the ESCO hierarchy.

    Skills unknown to ``esco`` are kept (labelled by their id, ``known=False``) in the "other" group.
    """
    evidence: dict[str, list[Evidence]] = {}
    count = 0
    issuers: set[str] = set()
    without: list[str] = []
    for held in credentials:
        count += 1
        issuer = (held.issuer_name or held.issuer_id or "").strip()
        if issuer:
            issuers.add(held.issuer_id or issuer)
        uris = credential_skills(held.document)
        if not uris:
            without.append(held.title)
            continue
        item = Evidence(held.id, held.title, issuer, credential_level(held.document), held.issued_at)
        for uri in uris:
            evidence.setdefault(uri, []).append(item)
    skills: dict[str, ProfileSkill] = {}
    for uri, items in evidence.items():
        skill = esco.skills.get(uri)
        items.sort(key=lambda e: (e.issued_at is None, e.issued_at or datetime.min, e.title))
        label, label_language = skill_label_in(esco, uri, language)
        skills[uri] = ProfileSkill(
            uri=uri,
            label=label,
            skill_type=skill.skill_type if skill else "",
            evidence=tuple(items),
            known=skill is not None,
            language=label_language,
        )
    buckets: dict[str, list[ProfileSkill]] = {}
    pillars: dict[str, str] = {}
    for uri, held_skill in skills.items():
        chain = _group_chain(esco, uri) if held_skill.known else []
        key = chain[-2] if len(chain) >= 2 else chain[-1] if chain else ""
        buckets.setdefault(key, []).append(held_skill)
        if chain:
            pillars[key] = skill_label(esco, chain[-1], language)
    groups = [
        ProfileGroup(
            uri=key,
            label=skill_label(esco, key, language) if key else "",
            pillar=pillars.get(key, "") if key and pillars.get(key) != skill_label(esco, key, language) else "",
            skills=tuple(sorted(members, key=lambda s: s.label.casefold())),
            language=skill_label_in(esco, key, language)[1] if key else language,
        )
        for key, members in buckets.items()
    ]
    groups.sort(key=lambda g: (g.uri == "", -len(g.skills), g.label.casefold()))
    return SkillProfile(
        skills=skills, groups=tuple(groups), credentials=count, issuers=len(issuers), without_skills=tuple(without)
    )


# -------------------------------------------------------------------------------------------- occupations


def occupation_by_key(esco: EscoData, key: str) -> Occupation | None:
    """An occupation by full URI, by the UUID at the end of its URI, or by its ESCO code (``2512.4``)."""
    key = key.strip()
    if key in esco.occupations:
        return esco.occupations[key]
    found = esco.occupations.get(ESCO_OCCUPATION_PREFIX + key)
    if found is not None:
        return found
    for occupation in esco.occupations.values():
        if occupation.code and occupation.code == key:
            return occupation
    return None


def search_occupations(esco: EscoData, query: str, *, language: str = "en", limit: int = 20) -> list[Occupation]:
    """Occupations with a label in ``language`` whose words start with every word of ``query`` (accents and case
    ignored), ranked as :func:`cairn.skills.labels.best_matches` ranks them (as the ESCO service's search)."""
    words = fold(query[:200]).split()[:8]
    if not words or limit <= 0:
        return []
    entries = (
        (fold(label), uri, label, position == 0)
        for uri, occupation in esco.occupations.items()
        if language in occupation.labels
        for position, label in enumerate(occupation.labels[language].all())
    )
    return [esco.occupations[uri] for uri, _ in best_matches(entries, words, limit)]


# --------------------------------------------------------------------------------------------- next steps


@dataclass(frozen=True, slots=True)
class Offer:
    """A micro-credential in the catalogue, as next steps need it."""

    slug: str
    title: str
    issuers: tuple[str, ...]
    skills: frozenset[str]
    ects: float | None = None
    hours: int | None = None


@dataclass(frozen=True, slots=True)
class NextStep:
    """A micro-credential that covers some missing skills: which, and how many per ECTS credit.

    ``credits_basis`` is ``"ects"``, ``"hours"`` (hours / :data:`HOURS_PER_ECTS`) or ``"unknown"``.
    """

    offer: Offer
    covers: tuple[str, ...]
    credits: float | None
    credits_basis: str
    per_ects: float | None

    @property
    def covered(self) -> int:
        """How many of the missing skills it covers."""
        return len(self.covers)


def _credits(offer: Offer) -> tuple[float | None, str]:
    if offer.ects is not None and offer.ects > 0:
        return float(offer.ects), "ects"
    if offer.hours is not None and offer.hours > 0:
        return offer.hours / HOURS_PER_ECTS, "hours"
    return None, "unknown"


def rank_next_steps(missing: Iterable[str], offers: Sequence[Offer], *, limit: int = 10) -> list[NextStep]:
    """Offers covering at least one of ``missing``, ranked by skills covered per ECTS credit (more skills
    first on a tie, then the smaller workload); offers without a workload come last."""
    wanted = set(missing)
    steps: list[NextStep] = []
    for offer in offers:
        covers = tuple(sorted(wanted & offer.skills))
        if not covers:
            continue
        credits, basis = _credits(offer)
        per_ects = round(len(covers) / max(credits, 0.1), 4) if credits is not None else None
        steps.append(NextStep(offer, covers, round(credits, 2) if credits is not None else None, basis, per_ects))
    steps.sort(
        key=lambda s: (
            s.per_ects is None,
            -(s.per_ects or 0.0),
            -s.covered,
            s.credits if s.credits is not None else 0.0,
            s.offer.slug,
        )
    )
    return steps[: max(limit, 0)]


def offers_covering(skills: Iterable[str], offers: Sequence[Offer]) -> list[tuple[Offer, tuple[str, ...]]]:
    """Offers sharing skills with ``skills``, most shared first: ``(offer, shared skill URIs)``."""
    wanted = set(skills)
    found = [(offer, tuple(sorted(wanted & offer.skills))) for offer in offers]
    ranked = [item for item in found if item[1]]
    ranked.sort(key=lambda item: (-len(item[1]), item[0].slug))
    return ranked
