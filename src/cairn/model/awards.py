"""An award: one learner's micro-credential, carrying Annex I elements 1 (learner) and 5 (date of issuing).

Pure: the time of issuing is passed in, never read from a clock here.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator, model_validator

from cairn.model.types import ShortText

__all__ = ["MAX_EVIDENCE", "Award", "Evidence", "Recipient"]

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")
MAX_EVIDENCE = 20
"""Most evidence items one award may carry."""


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
    description: StrictStr | None = Field(None, min_length=1, max_length=5000)
    narrative: StrictStr | None = Field(None, min_length=1, max_length=5000)
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

    @field_validator("issued_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("the date of issuing needs a time zone (for example 2026-05-01T10:00:00Z)")
        return value
