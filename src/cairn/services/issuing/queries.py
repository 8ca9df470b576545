"""Reading an organisation's awards for its pages: a filtered list newest first, in pages, with counts by
status, one award's summary, and awards found again by recipient (for bulk reports).

Only reads; awarding, revoking and suspending are :mod:`cairn.services.issuing.service` and
:mod:`cairn.services.issuing.status_lists`. What a summary shows of the learner comes from the stored credential:
the name the issuer gave (not hashed), the DID, and whether an email (stored only as a salted hash) names
them. A filter that is an email address finds the awards made to that email alone (no DID, no external
id), through the same keyed hash that makes awards idempotent.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from cairn.errors import InputError, NotFoundError
from cairn.store.database import Database
from cairn.store.issuing.queries import STATUSES, AwardFilter, AwardQueryRepository, AwardRecord

__all__ = [
    "DEFAULT_PER_PAGE",
    "MAX_PER_PAGE",
    "MAX_QUERY",
    "STATUSES",
    "AwardListPage",
    "AwardQueryService",
    "AwardSummary",
    "ClaimFigures",
    "ClaimStatistics",
    "StatusCounts",
]

DEFAULT_PER_PAGE: Final = 25
MAX_PER_PAGE: Final = 200
MAX_QUERY: Final = 200
"""Longest filter text accepted, in characters."""
_EMAIL: Final = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")

RecipientKey = Callable[..., str]
"""``recipient_key(email, did, external_id)``: the keyed hash awards are found again by."""


@dataclass(frozen=True, slots=True)
class StatusCounts:
    """How many awards an organisation has, in all and by status."""

    total: int
    valid: int
    revoked: int
    suspended: int


@dataclass(frozen=True, slots=True)
class AwardSummary:
    """One award as the pages list it."""

    award_id: str
    definition: str
    version: int
    title: str
    issued_at: datetime
    recipient_name: str | None
    recipient_did: str | None
    has_email: bool
    external_id: str | None
    grade: str | None
    revoked_at: datetime | None
    revocation_reason: str | None
    suspended: bool
    suspension_reason: str | None
    claimed_at: datetime | None
    bulk_job_id: int | None
    claim_sent_at: datetime | None = None
    claim_sends: int = 0

    @property
    def status(self) -> str:
        """``revoked`` (for good), ``suspended`` (until reinstated) or ``valid``."""
        if self.revoked_at is not None:
            return "revoked"
        return "suspended" if self.suspended else "valid"

    @property
    def status_reason(self) -> str | None:
        """Why it is revoked or suspended; None when valid."""
        return {"revoked": self.revocation_reason, "suspended": self.suspension_reason}.get(self.status)

    @property
    def recipient(self) -> str:
        """The learner as a person reads it: name, else DID, else that an email names them."""
        return self.recipient_name or self.recipient_did or ("a learner named by email" if self.has_email else "")


@dataclass(frozen=True, slots=True)
class AwardListPage:
    """One page of an organisation's awards, with what was asked and the counts by status."""

    items: list[AwardSummary]
    matching: int
    page: int
    per_page: int
    counts: StatusCounts
    query: str = ""
    status: str | None = None
    definition: str | None = None

    @property
    def pages(self) -> int:
        """How many pages the matching awards fill (at least 1)."""
        return max(1, math.ceil(self.matching / self.per_page))

    @property
    def first(self) -> int:
        """The position (from 1) of the first award on this page; 0 when the page is empty."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        """The position of the last award on this page."""
        return (self.page - 1) * self.per_page + len(self.items)

    @property
    def filtered(self) -> bool:
        """True when a filter narrows the list."""
        return bool(self.query or self.status or self.definition)


@dataclass(frozen=True, slots=True)
class ClaimFigures:
    """How many awards were issued and claimed, the claim rate and the median time from award to claim."""

    issued: int
    claimed: int
    median_time_to_claim: timedelta | None

    @property
    def unclaimed(self) -> int:
        """Awards not claimed yet."""
        return self.issued - self.claimed

    @property
    def rate(self) -> float | None:
        """Claimed over issued, from 0 to 1; None when nothing was issued."""
        return self.claimed / self.issued if self.issued else None

    @classmethod
    def of(cls, times: Sequence[tuple[datetime, datetime | None]]) -> ClaimFigures:
        """The figures of ``(issued_at, claimed_at)`` pairs."""
        waits = [claimed - issued for issued, claimed in times if claimed is not None]
        median = timedelta(seconds=statistics.median(w.total_seconds() for w in waits)) if waits else None
        return cls(len(times), len(waits), median)

    def to_dict(self) -> dict[str, object]:
        """As the API answers them (the median in seconds)."""
        wait = self.median_time_to_claim
        return {
            "issued": self.issued,
            "claimed": self.claimed,
            "claimRate": round(self.rate, 4) if self.rate is not None else None,
            "medianSecondsToClaim": int(wait.total_seconds()) if wait is not None else None,
        }


@dataclass(frozen=True, slots=True)
class ClaimStatistics:
    """The claim figures of the awards a filter matches: overall and per definition (``""``: issued through
    the VC-API), definitions in order of their identifier."""

    overall: ClaimFigures
    by_definition: dict[str, ClaimFigures]

    def to_dict(self) -> dict[str, object]:
        """As the API answers them."""
        return {
            "overall": self.overall.to_dict(),
            "byDefinition": {k: v.to_dict() for k, v in self.by_definition.items()},
        }


def _subject_texts(credential: dict[str, Any] | None) -> tuple[str, str | None]:
    """``(title, recipient name)`` from a stored credential."""
    if not credential:
        return "", None
    title = credential.get("name")
    subject = credential.get("credentialSubject")
    name = None
    if isinstance(subject, dict):
        for identifier in subject.get("identifier") or []:
            if isinstance(identifier, dict) and identifier.get("identityType") == "name":
                value = identifier.get("identityHash")
                name = str(value) if value else None
    return (str(title) if isinstance(title, str) else ""), name


def _type_title(credential: dict[str, Any] | None) -> str:
    """A credential without a name (one issued through the VC-API) is listed by its most specific type."""
    types = (credential or {}).get("type")
    named = [t for t in (types if isinstance(types, list) else [types]) if isinstance(t, str)]
    specific = [t for t in named if t != "VerifiableCredential"]
    return (specific or named or ["VerifiableCredential"])[-1][:200]


def _summary(record: AwardRecord) -> AwardSummary:
    title, name = _subject_texts(record.credential)
    return AwardSummary(
        award_id=record.award_id,
        definition=record.definition,
        version=record.version,
        title=title or record.definition or _type_title(record.credential),
        issued_at=record.issued_at,
        recipient_name=name,
        recipient_did=record.recipient_did,
        has_email=record.has_email,
        external_id=record.external_id,
        grade=record.grade,
        revoked_at=record.revoked_at,
        revocation_reason=record.revocation_reason,
        suspended=record.suspended,
        suspension_reason=record.suspension_reason,
        claimed_at=record.claimed_at,
        bulk_job_id=record.bulk_job_id,
        claim_sent_at=record.claim_sent_at,
        claim_sends=record.claim_sends,
    )


class AwardQueryService:
    """Read an organisation's awards over one database."""

    def __init__(self, database: Database, *, recipient_key: RecipientKey | None = None) -> None:
        self.database = database
        self.recipient_key = recipient_key

    def _organisation(self, repo: AwardQueryRepository, organisation: str) -> int:
        found = repo.organisation_id(organisation)
        if found is None:
            raise NotFoundError(f"no organisation '{organisation}'")
        return found

    def list_awards(
        self,
        organisation: str,
        *,
        query: str = "",
        status: str | None = None,
        definition: str | None = None,
        page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
    ) -> AwardListPage:
        """A page of the organisation's awards, newest first.

        ``query`` filters as :class:`~cairn.store.issuing.queries.AwardFilter` says (an email address matches
        the awards made to that email alone); ``status`` is one of :data:`STATUSES`; ``definition`` an
        identifier. A page past the end answers the last page. InputError for a bad status or an over-long
        query; NotFoundError for an unknown organisation.
        """
        query = " ".join(query.split())
        where = self._where(query, status, definition)
        per_page = min(max(per_page, 1), MAX_PER_PAGE)
        with self.database.transaction(read_only=True) as session:
            repo = AwardQueryRepository(session)
            organisation_id = self._organisation(repo, organisation)
            counts = StatusCounts(**repo.counts(organisation_id))
            matching = repo.count(organisation_id, where) if where != AwardFilter() else counts.total
            last_page = max(1, math.ceil(matching / per_page))
            page = min(max(page, 1), last_page)
            records = repo.page(organisation_id, where, offset=(page - 1) * per_page, limit=per_page)
        return AwardListPage(
            items=[_summary(r) for r in records],
            matching=matching,
            page=page,
            per_page=per_page,
            counts=counts,
            query=query,
            status=status,
            definition=definition or None,
        )

    def claim_statistics(
        self, organisation: str, *, query: str = "", status: str | None = None, definition: str | None = None
    ) -> ClaimStatistics:
        """How many of the awards the filters match (as :meth:`list_awards` reads them) were claimed, and how
        soon: overall and per definition. InputError and NotFoundError as for :meth:`list_awards`."""
        where = self._where(query, status, definition)
        with self.database.transaction(read_only=True) as session:
            repo = AwardQueryRepository(session)
            times = repo.claim_times(self._organisation(repo, organisation), where)
        grouped: dict[str, list[tuple[datetime, datetime | None]]] = {}
        for slug, issued, claimed in times:
            grouped.setdefault(slug, []).append((issued, claimed))
        return ClaimStatistics(
            ClaimFigures.of([(i, c) for _, i, c in times]),
            {slug: ClaimFigures.of(grouped[slug]) for slug in sorted(grouped)},
        )

    def _where(self, query: str, status: str | None, definition: str | None) -> AwardFilter:
        query = " ".join(query.split())
        if len(query) > MAX_QUERY:
            raise InputError(f"the filter is longer than {MAX_QUERY} characters")
        if status is not None and status not in STATUSES:
            raise InputError(f"the status must be one of {', '.join(STATUSES)}")
        keys: tuple[str, ...] = ()
        if self.recipient_key is not None and _EMAIL.match(query):
            keys = (self.recipient_key(query.lower(), None, None),)
        return AwardFilter(text=query, recipient_keys=keys, status=status, definition=definition or None)

    def counts(self, organisation: str) -> StatusCounts:
        """How many awards the organisation has, by status."""
        with self.database.transaction(read_only=True) as session:
            repo = AwardQueryRepository(session)
            return StatusCounts(**repo.counts(self._organisation(repo, organisation)))

    def get(self, organisation: str, award_id: str) -> AwardSummary:
        """One award of the organisation; NotFoundError when there is none or it is another's."""
        with self.database.transaction(read_only=True) as session:
            repo = AwardQueryRepository(session)
            record = repo.get(self._organisation(repo, organisation), award_id)
        if record is None:
            raise NotFoundError(f"no award '{award_id}'")
        return _summary(record)

    def by_recipient_keys(
        self, organisation: str, *, definition: str, version: int, recipient_keys: Collection[str]
    ) -> dict[str, str]:
        """``recipient key -> award id`` for those of ``recipient_keys`` awarded this definition version."""
        with self.database.transaction(read_only=True) as session:
            repo = AwardQueryRepository(session)
            return repo.by_recipient_keys(self._organisation(repo, organisation), definition, version, recipient_keys)
