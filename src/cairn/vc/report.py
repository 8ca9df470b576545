"""The verification report: each check with pass / fail / skipped / warning and a plain-language reason.

A report is data: a bad credential gives a report that says why, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cairn.phrases import Phrase

__all__ = ["UNCONFIRMED", "UNSIGNED_BY_ISSUER", "Check", "Outcome", "Report"]

UNSIGNED_BY_ISSUER = "Signed, but not shown to come from the issuer it names"
"""The verdict when the signature holds but nothing the issuer controls confirms the key (a key the credential
carries itself, or one under no address of the issuer's): whoever signed it, the issuer it names may not have."""
UNCONFIRMED = "Cannot confirm it has not been revoked"
"""The verdict when the signature holds but the status the issuer publishes could not be determined (its list was
out of reach, unreadable, of a kind Cairn cannot read...): never "verified", never "revoked" either."""


class Outcome(StrEnum):
    """How one check came out: a skipped check did not apply; a warning is something the reader should know."""

    PASS = "pass"  # noqa: S105 - an outcome, not a password
    FAIL = "fail"
    WARNING = "warning"
    SKIPPED = "skipped"


CHECK_TITLES = {
    "readable": "Readable",
    "well-formed": "Well-formed credential",
    "schema": "Open Badges 3.0 schema",
    "proof": "Signature",
    "issuer-key": "Key belongs to the issuer",
    "badge": "Badge class and issuer profile",
    "validity": "Validity period",
    "status": "Revocation and suspension",
    "presentation": "Presentation",
    "key-binding": "Holder key binding",
    "nested": "Credentials inside",
    "shapes": "European Digital Credential shapes",
    "issuer-trust": "Who vouches for the issuer",
    "composite": "Stacked from micro-credentials",
}


@dataclass(frozen=True, slots=True)
class Check:
    """One check: its name, outcome and a reason a person can read. ``undetermined``: what the check looks for
    could not be found out, rather than found wrong: a failed status check whose list was out of reach, or an
    ``issuer-key`` warning where nothing the issuer controls confirmed the key."""

    name: str
    outcome: Outcome
    reason: str
    undetermined: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``undetermined`` only where it is true)."""
        out: dict[str, Any] = {"check": self.name, "outcome": self.outcome.value, "reason": self.reason}
        if self.undetermined:
            out["undetermined"] = True
        return out


def _stored(check: Check) -> dict[str, Any]:
    """A check as a stored report keeps it: a reason written as a :class:`~cairn.phrases.Phrase` keeps its parts
    too (``said``), so a page can say it later in its reader's language."""
    out: dict[str, Any] = dict(check.to_dict())
    if isinstance(check.reason, Phrase) and check.reason.args:
        out["said"] = check.reason.to_json()
    return out


@dataclass
class Report:
    """What verifying one credential (or presentation) found."""

    format: str
    checks: list[Check] = field(default_factory=list)
    credential: dict[str, Any] | None = None
    issuer: dict[str, Any] = field(default_factory=dict)
    subject: dict[str, Any] = field(default_factory=dict)
    achievement: dict[str, Any] = field(default_factory=dict)
    credentials: list[Report] = field(default_factory=list)
    trust: dict[str, Any] = field(default_factory=dict)
    """What the ``issuer-trust`` check found (filled by the verifying service: who vouches for the issuer)."""

    def add(self, name: str, outcome: Outcome, reason: str, *, undetermined: bool = False) -> None:
        """Record a check (``undetermined``: see :class:`Check`)."""
        self.checks.append(Check(name, outcome, reason, undetermined))

    def outcome_of(self, name: str) -> Outcome | None:
        """The outcome of the named check (the worst when it ran more than once), or None."""
        found = [c.outcome for c in self.checks if c.name == name]
        for worst in (Outcome.FAIL, Outcome.WARNING, Outcome.SKIPPED, Outcome.PASS):
            if worst in found:
                return worst
        return None

    @property
    def verified(self) -> bool:
        """No check failed, a signature passed, and every credential inside passed too."""
        return (
            all(c.outcome is not Outcome.FAIL for c in self.checks)
            and any(c.name == "proof" and c.outcome is Outcome.PASS for c in self.checks)
            and all(r.verified for r in self.credentials)
        )

    @property
    def vouched(self) -> bool | None:
        """Whether someone this instance trusts vouches for the issuer (and for every issuer inside): None when no
        ``issuer-trust`` check ran (the library alone knows no trust network)."""
        own = self.outcome_of("issuer-trust")
        answers = [] if own is None else [own is Outcome.PASS]
        answers += [inner for inner in (r.vouched for r in self.credentials) if inner is not None]
        return None if not answers else all(answers)

    @property
    def caveats(self) -> bool:
        """Whether a check other than issuer trust warned (here or inside)."""
        return any(c.outcome is Outcome.WARNING and c.name != "issuer-trust" for c in self.checks) or any(
            r.caveats for r in self.credentials
        )

    @property
    def unconfirmed(self) -> bool:
        """Whether the signature holds and nothing failed except a status that could not be determined (here or
        inside): the credential may have been revoked, and nobody can tell."""
        own = [c for c in self.checks if c.outcome is Outcome.FAIL]
        inner = [r for r in self.credentials if not r.verified]
        return (
            bool(own or inner)
            and all(c.undetermined for c in own)
            and all(r.unconfirmed for r in inner)
            and any(c.name == "proof" and c.outcome is Outcome.PASS for c in self.checks)
        )

    @property
    def verdict(self) -> str:
        """``Not verified`` (:data:`UNCONFIRMED` when only a status could not be determined); :data:`UNSIGNED_BY_ISSUER`
        when the signature holds but the issuer's key is not confirmed; with a trust network
        ``Authentic and vouched for`` (``, with warnings``) or ``Authentic,
        but nobody vouches for the issuer``; without one ``Verified`` or ``Verified with warnings``."""
        if not self.verified:
            return UNCONFIRMED if self.unconfirmed else "Not verified"
        if any(c.name == "issuer-key" and c.undetermined for c in self.checks):
            return UNSIGNED_BY_ISSUER
        vouched = self.vouched
        if vouched is None:
            return "Verified with warnings" if self.caveats else "Verified"
        if not vouched:
            return "Authentic, but nobody vouches for the issuer"
        return "Authentic and vouched for, with warnings" if self.caveats else "Authentic and vouched for"

    def to_dict(self) -> dict[str, Any]:
        """JSON form of the report."""
        out: dict[str, Any] = {
            "verified": self.verified,
            "vouched": self.vouched,
            "verdict": self.verdict,
            "format": self.format,
            "issuer": self.issuer,
            "subject": self.subject,
            "achievement": self.achievement,
            "checks": [_stored(c) for c in self.checks],
        }
        if self.trust:
            out["trust"] = self.trust
        if self.credentials:
            out["credentials"] = [r.to_dict() for r in self.credentials]
        return out

    @classmethod
    def from_dict(cls, data: Any, *, depth: int = 0) -> Report:
        """A report again from what :meth:`to_dict` stored (reasons said from their parts where it kept them);
        the credential itself is not stored, so ``credential`` is None. Unreadable parts are left out."""
        data = data if isinstance(data, dict) else {}
        checks = []
        for raw in data.get("checks") or []:
            if not isinstance(raw, dict) or raw.get("outcome") not in {o.value for o in Outcome}:
                continue
            reason = Phrase.from_json(raw["said"]) if "said" in raw else str(raw.get("reason", ""))
            checks.append(
                Check(str(raw.get("check", "")), Outcome(raw["outcome"]), reason, raw.get("undetermined") is True)
            )

        def part(name: str) -> dict[str, Any]:
            value = data.get(name)
            return dict(value) if isinstance(value, dict) else {}

        inner = data.get("credentials") if depth < 3 else None
        return cls(
            format=str(data.get("format", "")),
            checks=checks,
            issuer=part("issuer"),
            subject=part("subject"),
            achievement=part("achievement"),
            credentials=[cls.from_dict(r, depth=depth + 1) for r in inner[:100]] if isinstance(inner, list) else [],
            trust=part("trust"),
        )

    def text(self) -> str:
        """The report for people, one check a line."""
        lines = [self.verdict]
        if self.issuer:
            name = self.issuer.get("name")
            lines.append(f"Issuer: {name} ({self.issuer.get('id')})" if name else f"Issuer: {self.issuer.get('id')}")
        if self.achievement.get("name"):
            lines.append(f"Certifies: {self.achievement['name']}")
        if self.subject:
            lines.append(f"Subject: {self.subject.get('id') or 'identified by a hashed identifier'}")
        marks = {Outcome.PASS: "ok  ", Outcome.FAIL: "FAIL", Outcome.WARNING: "warn", Outcome.SKIPPED: "skip"}
        for check in self.checks:
            title = CHECK_TITLES.get(check.name, check.name)
            lines.append(f"  [{marks[check.outcome]}] {title}: {check.reason}")
        for i, inner in enumerate(self.credentials, 1):
            lines.append(f"Credential {i}:")
            lines.extend("    " + line for line in inner.text().splitlines())
        return "\n".join(lines)
