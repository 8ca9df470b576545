"""The awarding forms' fields: which micro-credentials an organisation can award, and the single-award
form's values checked, with messages for people that name the field (shown next to it and in the summary)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from fastapi import Request
from pydantic import ValidationError

from cairn.model.awards import Recipient
from cairn.model.definitions import PUBLISHED
from cairn.model.types import pick
from cairn.services.accounts.service import OrganisationAccess, Role
from cairn.web.deps import container
from cairn.web.i18n import reader_language

__all__ = [
    "MAX_FIELD",
    "DefinitionChoice",
    "EdcOffer",
    "check_text",
    "definition_choices",
    "edc_offer",
    "read_recipient",
]

MAX_FIELD: Final = 500
"""Longest name, external id or grade accepted, in characters."""


@dataclass(frozen=True, slots=True)
class DefinitionChoice:
    """A micro-credential the organisation can award: its latest version."""

    id: str
    title: str
    version: int


def definition_choices(request: Request, organisation: str) -> list[DefinitionChoice]:
    """The organisation's published micro-credentials it awards as first awarding body (the issuer of the
    credential), titled in the reader's language where the definition gives it."""
    items = container(request).editing.catalogue(organisation)
    lang = reader_language(request)
    choices = [
        DefinitionChoice(it.entry.definition.id, pick(it.entry.definition.title, lang)[1], it.entry.stored.version)
        for it in items
        if it.lead and it.entry.stored.state == PUBLISHED  # a draft cannot be awarded
    ]
    return sorted(choices, key=lambda c: c.title.casefold())


def check_text(errors: dict[str, str], key: str, label: str, value: str) -> str | None:
    """``value`` stripped (None when empty); a problem is recorded in ``errors[key]``, naming ``label``.

    Refused: more than :data:`MAX_FIELD` characters, control characters, and a first character that makes a
    spreadsheet read the text as a formula (the same rule as for bulk files).
    """
    value = value.strip()
    if not value:
        return None
    if len(value) > MAX_FIELD:
        errors[key] = f"{label}: at most {MAX_FIELD} characters."
    elif any(ord(c) < 32 or ord(c) == 127 for c in value):
        errors[key] = f"{label}: remove the control characters (tabs, line breaks)."
    elif value.startswith(("=", "+", "-", "@")):
        errors[key] = f"{label}: must not start with = + - or @ (spreadsheets would read it as a formula)."
    return value


def read_recipient(form: dict[str, str], errors: dict[str, str]) -> Recipient | None:
    """The learner named by the form's ``name``, ``email`` and ``did``; None, with ``errors``, when invalid."""
    name = check_text(errors, "name", "Name", form["name"])
    email = form["email"].strip() or None
    did = form["did"].strip() or None
    if not email and not did:
        errors["email"] = "Give the learner's email address, their DID, or both."
        return None
    try:
        return Recipient(name=name, email=email, did=did)
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "email"
            if field == "did":
                errors["did"] = "DID: write it as did:METHOD:IDENTIFIER, for example did:web:example.org."
            elif field == "email":
                errors["email"] = "Email: this is not an email address (name@example.org)."
            else:
                errors.setdefault("name", f"Name: {str(error['msg']).removeprefix('Value error, ')}.")
        return None


@dataclass(frozen=True, slots=True)
class EdcOffer:
    """Whether an award page offers the sealed European Digital Credential, and, when it cannot, where an owner
    adds the seal certificate ("" for others)."""

    available: bool
    owner_note: str


def edc_offer(request: Request, access: OrganisationAccess) -> EdcOffer:
    """The sealed-EDC download an award page of ``access``'s organisation offers."""
    if container(request).seals.has_seal(access.organisation):
        return EdcOffer(True, "")
    owner = access.role.covers(Role.OWNER)
    return EdcOffer(False, f"/orgs/{access.organisation}/seal" if owner else "")
