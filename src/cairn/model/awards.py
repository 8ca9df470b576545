"""An award: one learner's micro-credential, carrying Annex I elements 1 (learner) and 5 (date of issuing).

Pure: the time of issuing is passed in, never read from a clock here.
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator, model_validator

from cairn.model.types import ShortText

__all__ = ["MAX_EVIDENCE", "MAX_NARRATIVE", "Award", "Evidence", "Recipient", "add_months"]

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")
MAX_EVIDENCE = 20
"""Most evidence items one award may carry."""
MAX_NARRATIVE = 5000
"""The longest narrative (characters) an award or an evidence item may carry."""


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus ``months`` calendar months, the day kept where the month has it (31 January + 1: 28 or 29
    February): when an award given at ``moment`` with a validity of ``months`` stops being valid."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


class Recipient(BaseModel):
    """Identification of the learner: a name for people to read, and an email and/or a DID to bind to."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: ShortText | None = None
    email: StrictStr | None = Field(None, max_length=320)
    did: StrictStr | None = Field(None, max_length=2000, pattern=r"^did:[a-z0-9]+:\S+$")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError(f"'{value}' is not an email address")
        return value.lower() if value else value

    @model_validator(mode="after")
    def _identified(self) -> Recipient:
        if self.email is None and self.did is None:
            raise ValueError("identify the learner by email, by DID, or both")
        return self


class Evidence(BaseModel):
    """Evidence of the achievement, as Open Badges 3.0 ``Evidence``: a URL and/or texts that describe it."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: StrictStr | None = Field(None, max_length=2000, pattern=r"^https?://[^\s<>\"{}|\\^`]+$")
    name: ShortText | None = None
    description: StrictStr | None = Field(None, min_length=1, max_length=MAX_NARRATIVE)
    narrative: StrictStr | None = Field(None, min_length=1, max_length=MAX_NARRATIVE)
    genre: ShortText | None = None
    audience: ShortText | None = None

    @model_validator(mode="after")
    def _something(self) -> Evidence:
        if not any((self.id, self.name, self.description, self.narrative)):
            raise ValueError("evidence needs a URL (id), a name, a description or a narrative")
        return self

    def to_ob3(self) -> dict[str, str | list[str]]:
        """The OB 3.0 ``Evidence`` object."""
        fields = {k: v for k, v in self.model_dump().items() if v is not None}
        return {"type": ["Evidence"], **fields}


class Award(BaseModel):
    """One award of a definition version to a recipient."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    definition_id: StrictStr
    version: int = Field(ge=1)
    recipient: Recipient = Field(json_schema_extra={"annex1": "Identification of the learner"})
    issued_at: datetime = Field(json_schema_extra={"annex1": "Date of issuing"})
    grade: ShortText | None = Field(None, json_schema_extra={"annex1": "Grade achieved"})
    external_id: ShortText | None = None
    evidence: tuple[Evidence, ...] = Field((), max_length=MAX_EVIDENCE)
    narrative: StrictStr | None = Field(
        None, min_length=1, max_length=MAX_NARRATIVE, description="what this learner did, in the issuer's words"
    )
    valid_until: datetime | None = Field(None, description="when the award stops being valid (none: never)")

    @field_validator("issued_at", "valid_until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("the date of issuing needs a time zone (for example 2026-05-01T10:00:00Z)")
        return value

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> Award:
        if self.valid_until is not None and self.valid_until <= self.issued_at:
            raise ValueError("an award's validity must end after its date of issuing")
        return self
