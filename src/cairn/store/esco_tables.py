"""ESCO reference tables (skills, occupations, their groups and relations), on the shared declarative base."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from cairn.store.base import Base, BigId, JsonType, UtcDateTime

__all__ = [
    "EscoBroaderRow",
    "EscoCollectionRow",
    "EscoIscoGroupRow",
    "EscoOccupationRow",
    "EscoOccupationSkillRow",
    "EscoReleaseRow",
    "EscoSkillGroupRow",
    "EscoSkillRow",
]


# -- ESCO ---------------------------------------------------------------------------------------------
# ESCO rows are reference data: nothing points at them with a foreign key, so an import can replace them
# freely (credentials keep the skill URIs they were aligned with). Labels are JSON by language:
# {"en": {"preferred": "...", "alternatives": [...], "description": "..."}}.


class EscoReleaseRow(Base):
    """One ESCO import: the release, its languages and parts, and how many rows it left."""

    __tablename__ = "esco_releases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version: Mapped[str | None] = mapped_column(String(20), index=True)
    languages: Mapped[list[str]] = mapped_column(JsonType)
    parts: Mapped[list[str]] = mapped_column(JsonType)
    counts: Mapped[dict[str, Any]] = mapped_column(JsonType)
    source: Mapped[str] = mapped_column(String(500))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime())


class EscoSkillRow(Base):
    """An ESCO skill or knowledge concept."""

    __tablename__ = "esco_skills"

    uri: Mapped[str] = mapped_column(String(200), primary_key=True)
    skill_type: Mapped[str] = mapped_column(String(40))
    reuse_level: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    labels: Mapped[dict[str, Any]] = mapped_column(JsonType)


class EscoSkillGroupRow(Base):
    """A skill group: a node of the ESCO skills hierarchy."""

    __tablename__ = "esco_skill_groups"

    uri: Mapped[str] = mapped_column(String(200), primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    labels: Mapped[dict[str, Any]] = mapped_column(JsonType)


class EscoBroaderRow(Base):
    """A broader relation of either pillar: a skill or group under a group, an occupation under an ISCO group
    or another occupation, an ISCO group under a larger one."""

    __tablename__ = "esco_broader"

    uri: Mapped[str] = mapped_column(String(200), primary_key=True)
    broader_uri: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)


class EscoCollectionRow(Base):
    """A concept's membership of an ESCO collection (digital, green, transversal, language, research...)."""

    __tablename__ = "esco_collections"

    collection: Mapped[str] = mapped_column(String(40), primary_key=True)
    uri: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)


class EscoOccupationRow(Base):
    """An ESCO occupation with its ISCO-08 unit group."""

    __tablename__ = "esco_occupations"

    uri: Mapped[str] = mapped_column(String(200), primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    isco_group: Mapped[str] = mapped_column(String(10), index=True)
    labels: Mapped[dict[str, Any]] = mapped_column(JsonType)


class EscoIscoGroupRow(Base):
    """An ISCO-08 group (major, sub-major, minor or unit group)."""

    __tablename__ = "esco_isco_groups"

    uri: Mapped[str] = mapped_column(String(200), primary_key=True)
    code: Mapped[str] = mapped_column(String(10), index=True)
    labels: Mapped[dict[str, Any]] = mapped_column(JsonType)


class EscoOccupationSkillRow(Base):
    """An occupation-skill relation; the primary key serves lookups by occupation, the index lookups by skill."""

    __tablename__ = "esco_occupation_skills"

    occupation_uri: Mapped[str] = mapped_column(String(200), primary_key=True)
    skill_uri: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
    relation: Mapped[str] = mapped_column(String(10))
    skill_type: Mapped[str] = mapped_column(String(40))
