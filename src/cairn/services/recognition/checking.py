"""What an employer reads when it checks a candidate's presentation against one of its job profiles (or any of its
recognition rules), with nothing stored but the audit entry that makes the challenge one-use.

:meth:`cairn.services.recognition.service.RecognitionService.check_presentation` verifies the presentation exactly as
an application with a presentation is verified, and the rule engine assesses it; this module only says what came out:
each credential presented with its verification outcome, each skill of the profile with the verified credentials
that cover it, and the rules' verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from cairn.model.recognition import Assessment, ConditionResult
from cairn.phrases import Phrase

__all__ = ["APPLY", "CHECK", "CheckedCredential", "PresentationCheck", "Purpose", "SkillCover"]

Purpose = Literal["apply", "check"]
"""What a challenge is for: applying under rules (kept as the application's) or an employer's check (kept in the
audit log). Each is named in the challenge's MAC, so neither is accepted for the other."""
APPLY: Final = "apply"
CHECK: Final = "check"


@dataclass(frozen=True, slots=True)
class CheckedCredential:
    """One credential of the presentation as the one verification path and the rule engine found it."""

    id: str
    title: str
    issuer: str
    """The issuer's name as the credential states it (display only), else its id."""
    issuer_id: str
    status: str
    """``valid``, else why not: ``revoked``, ``suspended``, ``expired``, ``unverifiable``, ``about someone else``."""
    reason: str
    """The first failed check's reason when the credential did not verify ('' otherwise)."""
    vouched: bool
    """Its issuer is vouched for: by the trust network, or one of this instance's organisations."""
    counted: bool
    """It counts under the rules (the engine chose it)."""
    covers: tuple[str, ...]
    """The profile's ESCO skills it covers (only for a verified credential of the holder's)."""
    explanation: Phrase
    """The engine's word on it: counts, or why not."""

    @property
    def verified(self) -> bool:
        """It verified and is about the presentation's holder."""
        return self.status == "valid"


@dataclass(frozen=True, slots=True)
class SkillCover:
    """One ESCO skill of the profile and the verified credentials of the holder that cover it (none: missing)."""

    skill: str
    credentials: tuple[str, ...]

    @property
    def covered(self) -> bool:
        return bool(self.credentials)


@dataclass(frozen=True, slots=True)
class PresentationCheck:
    """A candidate's presentation checked against rules: nothing is stored, no decision is taken."""

    rules: str
    rules_version: int
    course: str
    course_type: str
    """``job-profile`` or ``course``."""
    institution: str
    holder: str
    credentials: tuple[CheckedCredential, ...]
    skills: tuple[SkillCover, ...]
    """Every ESCO skill of the profile, in its order."""
    met: bool
    """The rules are met (fully or by a partial tier)."""
    decision: str
    """The engine's ``full``, ``partial`` or ``none``."""
    explanation: Phrase
    conditions: tuple[ConditionResult, ...]
    assessment: Assessment

    @property
    def missing(self) -> tuple[str, ...]:
        """The profile's skills no verified credential of the holder covers."""
        return tuple(s.skill for s in self.skills if not s.covered)
