"""Status lists: random indexes for new awards, revocation and suspension, and the signed lists served.

Each organisation has Bitstring Status Lists of 131,072 entries for revocation and for suspension,
numbered from 1 and published at ``{public_url}/orgs/{slug}/status/{purpose}/{sequence}``. An award gets
an index at random (:mod:`secrets`) in the newest list of each purpose; the UNIQUE ``(list, index)``
constraints on awards are what guarantee that no two awards share one, even across processes: a
writer that loses a race gets an IntegrityError on a SAVEPOINT and tries another index (see
:mod:`cairn.services.issuing.service`). Each process remembers the indexes it has seen taken, so collisions stay
rare; a new list starts when one is seven-eighths full.

Revoking, suspending and reinstating flip a bit, bump the list's revision, write the audit log and tell the
learner (an email when they claimed it, and its wallet copies due for a fresh check) in one transaction.
:meth:`StatusListService.on_change` is told the list after the commit (bootstrap defers the ``status.sign`` job).

Publishing (:meth:`StatusListService.published`, :meth:`~StatusListService.token`,
:meth:`~StatusListService.combined_token`) is :mod:`cairn.services.issuing.status_publications`'s: every signed form
is stored in the database, signed ahead of readers by the job queue, and signed inline by a reader that finds the
stored one stale, so every process serves the same form and a change shows at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from cairn.errors import ConflictError, InputError, NotFoundError
from cairn.services.issuing.claims import queue_status_notice
from cairn.services.issuing.keys import KeyService
from cairn.services.issuing.status_publications import (
    COMBINED,
    MEDIA_TYPE,
    PURPOSES,
    TOKEN_LIFETIME,
    PublishedList,
    StatusPublications,
    list_suite,
)
from cairn.store.database import Database
from cairn.store.issuing.repository import AuditRecord, AwardRepository, StatusListRepository, append_audit
from cairn.store.tables import OrganisationRow
from cairn.vc.status import DEFAULT_LENGTH, BitstringStatusList, StatusEntry, random_free_index

__all__ = [
    "COMBINED",
    "MEDIA_TYPE",
    "PURPOSES",
    "TOKEN_LIFETIME",
    "IndexChooser",
    "PublishedList",
    "Slot",
    "StatusChange",
    "StatusListService",
    "list_suite",
]

log = logging.getLogger("cairn.status")

MAX_REASON: Final = 1000
IndexChooser = Callable[[set[int], int], int | None]
"""``(taken, length) -> index`` (None when the list is full); the default draws with :mod:`secrets`."""


def _default_chooser(taken: set[int], length: int) -> int | None:
    return random_free_index(taken, length=length)


@dataclass(frozen=True, slots=True)
class Slot:
    """An index handed out in a status list."""

    purpose: str
    list_id: int
    sequence: int
    index: int


@dataclass(frozen=True, slots=True)
class StatusChange:
    """What a revoke, suspend or unsuspend did; ``changed`` is False when the award was already so."""

    award_id: str
    purpose: str
    value: bool
    changed: bool


@dataclass
class _ListState:
    list_id: int
    sequence: int
    size: int
    taken: set[int]


class StatusListService:
    """Status list indexes, revocation and suspension, and the published lists, over one database."""

    def __init__(
        self,
        database: Database,
        *,
        keys: KeyService,
        clock: Callable[[], datetime],
        list_size: int = DEFAULT_LENGTH,
        list_limit: int | None = None,
        choose_index: IndexChooser | None = None,
        max_age: int = 300,
    ) -> None:
        self.database = database
        self.keys = keys
        self.clock = clock
        self.list_size = list_size
        self.list_limit = list_limit if list_limit is not None else list_size - list_size // 8
        self.choose_index = choose_index or _default_chooser
        self.max_age = max_age
        self._states: dict[tuple[int, str], _ListState] = {}
        self._lock = threading.RLock()
        self.publications = StatusPublications(database, keys=keys, clock=clock, max_age=max_age, url=self.url)
        self.on_change: Callable[[int], None] | None = None
        """Called with a list's id after a change to it commits (bootstrap: defer the ``status.sign`` job)."""

    # -- addresses ----------------------------------------------------------------------------------

    def url(self, slug: str, purpose: str, sequence: int) -> str:
        """The stable URL of a list: ``{public_url}/orgs/{slug}/status/{purpose}/{sequence}``."""
        return f"{self.keys.public_url}/orgs/{slug}/status/{purpose}/{sequence}"

    def token_url(self, slug: str, purpose: str, sequence: int) -> str:
        """Where the same list is served as an IETF Status List Token: the list's URL + ``/token``."""
        return self.url(slug, purpose, sequence) + "/token"

    def entry(self, slug: str, slot: Slot) -> dict[str, object]:
        """The ``credentialStatus`` object of a slot."""
        return StatusEntry(self.url(slug, slot.purpose, slot.sequence), slot.index, slot.purpose).to_dict()

    # -- allocation ---------------------------------------------------------------------------------

    def allocate(self, organisation_id: int, purpose: str, count: int = 1) -> list[Slot]:
        """Draw ``count`` random indexes (not yet seen taken) in the organisation's newest list."""
        with self._lock:
            state = self._states.get((organisation_id, purpose)) or self._load(organisation_id, purpose)
            slots: list[Slot] = []
            reloaded = False
            while len(slots) < count:
                index = self.choose_index(state.taken, state.size) if len(state.taken) < self.list_limit else None
                if index is None:
                    state = self._next_list(organisation_id, purpose, state, full=reloaded)
                    reloaded = True
                    continue
                reloaded = False
                state.taken.add(index)
                slots.append(Slot(purpose, state.list_id, state.sequence, index))
            return slots

    def refresh(self, organisation_id: int, purpose: str) -> None:
        """Forget what this process knows of a purpose's lists (after a collision: re-read them)."""
        with self._lock:
            self._states.pop((organisation_id, purpose), None)

    def _load(self, organisation_id: int, purpose: str) -> _ListState:
        # read-only when the list is there: an award that lost a status index re-reads it here while its own
        # writing transaction is open (on SQLite a second writer would wait for that one, which waits for it)
        with self.database.transaction(read_only=True) as session:
            repo = StatusListRepository(session)
            row = repo.latest(organisation_id, purpose)
            state = _ListState(row.id, row.sequence, row.size, repo.taken(row.id, purpose)) if row else None
        if state is None:
            with self.database.transaction() as session:  # the organisation's first list of this purpose
                repo = StatusListRepository(session)
                repo.create(
                    organisation_id=organisation_id, purpose=purpose, sequence=1, size=self.list_size, now=self.clock()
                )
                row = repo.latest(organisation_id, purpose)
                assert row is not None
                state = _ListState(row.id, row.sequence, row.size, repo.taken(row.id, purpose))
        self._states[(organisation_id, purpose)] = state
        return state

    def _next_list(self, organisation_id: int, purpose: str, state: _ListState, *, full: bool) -> _ListState:
        fresh = self._load(organisation_id, purpose)
        if fresh.sequence != state.sequence or (len(fresh.taken) < self.list_limit and not full):
            return fresh  # another process started a newer list, or ours has room after all
        with self.database.transaction() as session:
            StatusListRepository(session).create(
                organisation_id=organisation_id,
                purpose=purpose,
                sequence=state.sequence + 1,
                size=self.list_size,
                now=self.clock(),
            )
        return self._load(organisation_id, purpose)

    # -- revocation and suspension ------------------------------------------------------------------

    def revoke(self, award_id: str, *, reason: str, actor: str, organisation: str | None = None) -> StatusChange:
        """Revoke an award for good (its revocation bit is set)."""
        return self._change(award_id, "revocation", True, reason=reason, actor=actor, organisation=organisation)

    def suspend(self, award_id: str, *, reason: str, actor: str, organisation: str | None = None) -> StatusChange:
        """Suspend an award (its suspension bit is set until it is reinstated)."""
        return self._change(award_id, "suspension", True, reason=reason, actor=actor, organisation=organisation)

    def unsuspend(self, award_id: str, *, reason: str, actor: str, organisation: str | None = None) -> StatusChange:
        """Reinstate a suspended award (its suspension bit is cleared)."""
        return self._change(award_id, "suspension", False, reason=reason, actor=actor, organisation=organisation)

    def set_status(
        self, award_id: str, *, purpose: str, value: bool, reason: str, actor: str, organisation: str | None = None
    ) -> StatusChange:
        """Set or clear one status (for the VC-API status update); a revocation cannot be undone."""
        if purpose not in PURPOSES:
            raise InputError(f"statusPurpose must be one of {', '.join(PURPOSES)}")
        if purpose == "revocation" and not value:
            raise ConflictError("a revocation cannot be undone")
        return self._change(award_id, purpose, value, reason=reason, actor=actor, organisation=organisation)

    def _change(
        self, award_id: str, purpose: str, value: bool, *, reason: str, actor: str, organisation: str | None
    ) -> StatusChange:
        reason = " ".join(str(reason).split())
        if not reason:
            raise InputError("give a reason")
        if len(reason) > MAX_REASON:
            raise InputError(f"the reason is longer than {MAX_REASON} characters")
        now = self.clock()
        with self.database.transaction() as session:
            award = AwardRepository(session).locked(award_id)
            org = session.get(OrganisationRow, award.organisation_id) if award and award.organisation_id else None
            if award is None or org is None or (organisation is not None and org.slug != organisation):
                raise NotFoundError(f"no award '{award_id}'")
            if purpose == "revocation":
                list_id, index = award.revocation_list_id, award.revocation_index
                changed = award.revoked_at is None
                if changed:
                    award.revoked_at, award.revocation_reason = now, reason
            else:
                if award.revoked_at is not None:
                    raise ConflictError("this award is revoked; it cannot be suspended or reinstated")
                list_id, index = award.suspension_list_id, award.suspension_index
                changed = bool(award.suspended) != value
                if changed:
                    award.suspended, award.suspension_reason = value, reason
            if list_id is None or index is None:
                raise ConflictError(f"this award has no {purpose} status entry")
            if changed:
                row = StatusListRepository(session).locked(list_id)
                bits = BitstringStatusList.from_bytes(row.bits)
                bits.set(index, 1 if value else 0)
                row.bits, row.revision, row.updated_at = bits.to_bytes(), row.revision + 1, now
                action = {"revocation": "award.revoke", "suspension": "award.suspend"}[purpose]
                if purpose == "suspension" and not value:
                    action = "award.unsuspend"
                append_audit(session, [AuditRecord(now, actor, action, award_id, {"reason": reason})])
                change = {"award.revoke": "revoked", "award.suspend": "suspended"}.get(action, "reinstated")
                queue_status_notice(
                    session, award, change=change, reason=reason, now=now, public_url=self.keys.public_url
                )
        if changed and self.on_change is not None:
            try:
                self.on_change(list_id)
            except Exception:  # the list is served signed anyway: the first reader signs it
                log.exception("could not queue the signing of status list %s", list_id)
        return StatusChange(award_id, purpose, value, changed)

    # -- publishing (see :mod:`cairn.services.issuing.status_publications`) ----------------------------

    def published(self, slug: str, purpose: str, sequence: int) -> PublishedList:
        """The signed list credential: the stored one when it is current, else signed now (and stored)."""
        if purpose not in PURPOSES:
            raise NotFoundError(f"no status list '{purpose}'")
        return self.publications.serve("vc", slug, purpose, sequence)

    def token(self, slug: str, purpose: str, sequence: int) -> PublishedList:
        """The same list as an IETF Token Status List (``application/statuslist+jwt``): the same bits, so one
        revocation shows in both (reordered least significant bit first), signed as the organisation with its P-256
        key (ES256, what wallets and verifiers of SD-JWT VCs expect). Signed again when the list or the key changes
        and, by the periodic job, when the token is half way to its ``exp``. ``purpose`` :data:`COMBINED`:
        :meth:`combined_token`."""
        if purpose == COMBINED:
            return self.combined_token(slug, sequence)
        if purpose not in PURPOSES:
            raise NotFoundError(f"no status list '{purpose}'")
        return self.publications.serve("token", slug, purpose, sequence)

    def combined_token(self, slug: str, sequence: int) -> PublishedList:
        """Revocation and suspension in one two-bit Status List Token, at ``.../status/combined/SEQ/token``: entry
        ``i`` is the award holding index ``i`` of revocation list ``SEQ`` (its own revocation slot, so no new
        index is stored), INVALID when it is revoked, SUSPENDED while it is suspended, VALID otherwise. Signed
        again when that revocation list, any of the organisation's suspension lists or the key changes, and (the
        periodic job) when the token is half way to its ``exp``."""
        return self.publications.serve(COMBINED, slug, COMBINED, sequence)

    def sign_changed(self, list_id: int) -> int:
        """Task ``status.sign``: sign and store what a change of list ``list_id`` made stale; how many forms."""
        return self.publications.sign_changed(list_id)

    def resign_due(self) -> int:
        """Periodic task ``status.resign``: tokens past half their lifetime, forms of a rotated key; how many."""
        return self.publications.resign_due()

    def kept_response(self, slug: str, purpose: str, sequence: int) -> tuple[bytes, str, str] | None:
        """:meth:`response` when this process can answer it without the database (see
        :meth:`StatusPublications.kept`), else None."""
        if purpose not in PURPOSES:
            return None
        published = self.publications.kept("vc", slug, purpose, sequence)
        return None if published is None else (published.body, published.etag, published.media_type)

    def response(self, slug: str, purpose: str, sequence: int) -> tuple[bytes, str, str]:
        """``(body, etag, media type)`` of a list, for a route; NotFoundError when there is none."""
        published = self.published(slug, purpose, sequence)
        return published.body, published.etag, published.media_type
