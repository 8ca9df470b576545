"""Recognition of micro-credentials towards an institution's course (or an employer's job profile): the documents,
the rule engine, the comparison a reviewer reads and the precedent keys.

Pure (no database, no clock of its own: ``now`` is passed in): ``from cairn.model.recognition import
load_recognition, load_course, assess``.

- :mod:`.rules`: :class:`Course` and :class:`RecognitionRules` (``kind: course``, ``kind: recognition``),
  :func:`load_course`, :func:`load_recognition` (the document, or every problem by path; never an exception).
- :mod:`.checks`: :func:`check_recognition` (the rules against their course).
- :mod:`.engine`: :func:`assess` (which presented credentials count, the decision proposed: full, partial or none,
  and whether the rules may take it without a reviewer).
- :mod:`.conditions`: the conditions as checks (those the pathways also ask are the pathways' own checks).
- :mod:`.compare`: each condition in words, the substantial differences, the side-by-side.
- :mod:`.results`: :class:`Assessment` and its parts.
- :mod:`.precedent`: :func:`evidence_key`, :func:`precedent_key` (same evidence, same rules: same decision).

The facts read from a credential are :class:`cairn.formats.facts.Facts`.
"""

from cairn.model.recognition.checks import check_recognition
from cairn.model.recognition.engine import MAX_PRESENTED, assess
from cairn.model.recognition.precedent import course_digest, evidence_key, evidence_of, precedent_key
from cairn.model.recognition.results import (
    Aspect,
    Assessment,
    ConditionResult,
    CredentialResult,
    Decision,
    Difference,
    Evidence,
    Side,
    SkillsOverlap,
)
from cairn.model.recognition.rules import (
    COURSE_KIND,
    KIND,
    MAX_LIST,
    REVIEWS,
    Accepted,
    Conditions,
    Course,
    Outcome,
    Partial,
    RecognitionRules,
    load_course,
    load_recognition,
)

__all__ = [
    "COURSE_KIND",
    "KIND",
    "MAX_LIST",
    "MAX_PRESENTED",
    "REVIEWS",
    "Accepted",
    "Aspect",
    "Assessment",
    "ConditionResult",
    "Conditions",
    "Course",
    "CredentialResult",
    "Decision",
    "Difference",
    "Evidence",
    "Outcome",
    "Partial",
    "RecognitionRules",
    "Side",
    "SkillsOverlap",
    "assess",
    "check_recognition",
    "course_digest",
    "evidence_key",
    "evidence_of",
    "load_course",
    "load_recognition",
    "precedent_key",
]
