"""Precedents: the same evidence under the same rules gets the same decision later, so a reviewer's decision once
taken can be applied again (recognition becomes automatic over time).

Two SHA-256 digests (hex) of canonical JSON (keys sorted, no spaces, UTF-8; RFC 8785 for this data, which has only
strings and lists):

- :func:`evidence_key`, what a service looks a precedent up by::

      {"v": 1,
       "rules": RULES ID, "version": RULES VERSION (as text),
       "course": COURSE ID, "course_digest": Assessment.course_digest,
       "evidence": [EVIDENCE, ...]}           # sorted, each once

- :func:`precedent_key`, what a decision records: the same object plus ``"decision"`` (``full``, ``partial``,
  ``none``) and ``"ects"`` (the ECTS recognised, written as text: ``"3"``, ``"1.5"``).

``EVIDENCE`` names each credential counted (when none counts: each compared, so refusals have precedents too) by
what it is, not by whose it is, so a precedent carries over to the next applicant with the same micro-credential:
``achievement:ID@ISSUER`` (its Open Badges achievement id, or its ELM specification id, versioned where the issuer
versions it, a trailing ``/`` dropped, and the issuer's id), else ``definition:SLUG@ISSUER`` (this instance's
definition), else ``credential:ID#DIGEST`` (a credential that names no achievement is itself the evidence: its id
and the digest the caller gives for it, '' when none). ``course_digest`` covers what of the course a decision
depends on (its id, ESCO skills, ECTS, hours, EQF and national level, field), not its titles, so a reworded course
keeps its precedents and a course with other skills does not.

What is not in the keys: the applicant, grades and award dates (the rules' conditions decide whether those count),
the time of assessment, the words.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from cairn.model.pathways.words import number
from cairn.model.recognition.results import Assessment, Decision, Evidence
from cairn.model.recognition.rules import Course

__all__ = ["course_digest", "evidence_key", "evidence_of", "precedent_key"]

_FORMAT = 1
"""The keys' own format: changing what goes in changes this number."""


def _digest(data: Mapping[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def course_digest(course: Course) -> str:
    """SHA-256 (hex) of what of ``course`` a decision depends on."""
    nqf = f"{course.nqf.framework}-{course.nqf.level}" if course.nqf else ""
    return _digest(
        {
            "id": course.id,
            "skills": sorted(course.skills),
            "ects": number(course.ects) if course.ects is not None else "",
            "hours": number(course.hours) if course.hours is not None else "",
            "eqf": str(course.eqf or ""),
            "nqf": nqf,
            "isced_f": course.isced_f or "",
        }
    )


def evidence_of(evidence: Evidence, digests: Mapping[str, str] | None = None) -> str:
    """One credential as a precedent names it (see the module's text)."""
    if evidence.achievement_id:
        return f"achievement:{evidence.achievement_id.rstrip('/')}@{evidence.issuer_id}"
    if evidence.definition:
        return f"definition:{evidence.definition}@{evidence.issuer_id}"
    digest = (digests or {}).get(evidence.credential_id, "")
    return f"credential:{evidence.credential_id}#{digest}"


def _base(assessment: Assessment, version: int | str, digests: Mapping[str, str] | None) -> dict[str, Any]:
    return {
        "v": _FORMAT,
        "rules": assessment.rules,
        "version": str(version),
        "course": assessment.course,
        "course_digest": assessment.course_digest,
        "evidence": sorted({evidence_of(e, digests) for e in assessment.evidence}),
    }


def evidence_key(assessment: Assessment, *, version: int | str, digests: Mapping[str, str] | None = None) -> str:
    """SHA-256 (hex) of the rules (id and version), the course and the evidence: equal for the same evidence under
    the same rules, whoever presents it. ``digests``: credential id to the caller's digest of it (used only for
    credentials that name no achievement)."""
    return _digest(_base(assessment, version, digests))


def precedent_key(
    assessment: Assessment,
    *,
    version: int | str,
    decision: Decision | None = None,
    ects: float | None = None,
    digests: Mapping[str, str] | None = None,
) -> str:
    """SHA-256 (hex) of :func:`evidence_key`'s object and the decision: the assessment's proposal, or the
    ``decision`` and ``ects`` a reviewer took instead."""
    data = _base(assessment, version, digests)
    data["decision"] = taken = decision or assessment.decision
    if ects is None:
        ects = 0.0 if taken == "none" else assessment.ects
    data["ects"] = number(ects)
    return _digest(data)
