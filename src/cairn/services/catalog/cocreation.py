"""Co-creation: the lead of a draft definition shares it for comments with another organisation (an employer,
typically), whose members comment on it; the lead's issuers answer in the same thread.

The first awarding body (``awarding_bodies[0]``) shares a **draft** (a published definition is public already,
and awarded versions do not change): its issuers and owners choose an organisation of this instance by its
identifier or its name. Every member of that organisation then sees the draft, read-only, on
``/orgs/{slug}/shared-drafts`` and comments on it; the lead's issuers reply (to one comment, or to the thread),
mark comments as dealt with, and end the share. Other organisations see nothing of it (404).

Once the definition is published the share is read-only: no new comments or replies, and the lead keeps the
thread. Ending a share hides it from the reviewer; sharing it again with the same organisation opens the same
thread again. Every change is written to the audit log (``draft.share``, ``draft.unshare``, ``draft.comment``,
``draft.resolve``); the audit keeps who and when, not the words.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cairn.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from cairn.model.definitions import DRAFT, Organisation
from cairn.model.types import pick
from cairn.services.accounts.access import OrganisationAccess, Role
from cairn.services.catalog.service import CatalogEntry
from cairn.store.audit import AuditRepository
from cairn.store.catalog.repository import DefinitionRepository, OrganisationRepository
from cairn.store.cocreation.repository import ShareRecord, ShareRepository
from cairn.store.cocreation_tables import DefinitionShareRow, DraftCommentRow
from cairn.store.database import Database
from cairn.store.tables import OrganisationRow

__all__ = ["MAX_COMMENT", "CoCreationService", "DraftComment", "DraftShare"]

MAX_COMMENT: Final = 4000
"""The longest comment, in characters."""
MAX_NAME: Final = 500

NOTHING_HERE: Final = "There is nothing at this address."
LEAD_ONLY: Final = "only the issuers and owners of its first awarding body share a draft and answer comments"
PUBLISHED_ALREADY: Final = "“%(definition)s” is published: only a draft is shared for comments"
UNKNOWN_ORGANISATION: Final = "no organisation “%(organisation)s” is known here; give its identifier or its name"
NOT_ITSELF: Final = "a draft is shared with another organisation, not with its own"
SHARED_ALREADY: Final = "the draft is already shared with %(organisation)s"
EMPTY: Final = "the comment is empty: write what you would like to say"
TOO_LONG: Final = "the comment is longer than %(limit)s characters; shorten it or split it in two"
CLOSED: Final = "“%(definition)s” is published: its comments are closed, and kept for its issuer to read"
ENDED: Final = "sharing this draft has ended: nobody comments on it any more"
AT_ONCE: Final = "someone else changed this at the same moment; load the page again"


@dataclass(frozen=True, slots=True)
class DraftComment:
    """A comment (or a reply) on a shared draft."""

    id: int
    organisation: Organisation
    """The commenting organisation: the reviewer, or the lead for a reply."""
    author_name: str
    text: str
    created_at: datetime
    by_lead: bool
    reply_to: int | None = None
    resolved_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DraftShare:
    """A definition shared for comments with one organisation, its latest version, and the thread."""

    id: int
    entry: CatalogEntry
    lead: Organisation
    reviewer: Organisation
    shared_by: str
    shared_at: datetime
    ended_at: datetime | None
    comments: tuple[DraftComment, ...] = ()

    @property
    def is_draft(self) -> bool:
        """True while the definition is a draft."""
        return self.entry.stored.state == DRAFT

    @property
    def open(self) -> bool:
        """True while comments are taken: the definition is a draft and the share has not ended."""
        return self.is_draft and self.ended_at is None

    @property
    def unresolved(self) -> int:
        """How many of the reviewer's comments the lead has not marked as dealt with."""
        return sum(1 for c in self.comments if not c.by_lead and c.resolved_at is None)


def _organisation(row: OrganisationRow) -> Organisation:
    return Organisation.model_validate(row.document)


def clean_text(raw: str) -> str:
    """``raw`` without control characters (but line breaks and tabs), with Unix line breaks, trimmed; InputError
    when nothing is left or it is longer than :data:`MAX_COMMENT` characters."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc").strip()
    if not text:
        raise InputError(EMPTY)
    if len(text) > MAX_COMMENT:
        raise InputError(TOO_LONG, limit=MAX_COMMENT)
    return text


class CoCreationService:
    """Sharing drafts for comments, and the comments, over one database."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock

    # -- reading -------------------------------------------------------------------------------------

    def _view(self, session: Session, record: ShareRecord, comments: list[DraftComment]) -> DraftShare:
        share, definition, lead, reviewer = record
        stored = DefinitionRepository(session).get(definition.slug)
        orgs = OrganisationRepository(session)
        entry = CatalogEntry(stored, tuple(orgs.get(b) for b in stored.definition.awarding_bodies))
        return DraftShare(
            id=share.id,
            entry=entry,
            lead=_organisation(lead),
            reviewer=_organisation(reviewer),
            shared_by=share.shared_by,
            shared_at=share.shared_at,
            ended_at=share.ended_at,
            comments=tuple(comments),
        )

    def _views(self, session: Session, records: list[ShareRecord]) -> list[DraftShare]:
        threads: dict[int, list[DraftComment]] = {record[0].id: [] for record in records}
        lead_of = {record[0].id: record[0].organisation_id for record in records}
        for row, org in ShareRepository(session).comments(list(threads)):
            threads[row.share_id].append(
                DraftComment(
                    id=row.id,
                    organisation=_organisation(org),
                    author_name=row.author_name,
                    text=row.text,
                    created_at=row.created_at,
                    by_lead=row.organisation_id == lead_of[row.share_id],
                    reply_to=row.reply_to_id,
                    resolved_at=row.resolved_at,
                )
            )
        return [self._view(session, record, threads[record[0].id]) for record in records]

    @staticmethod
    def _lead_of(session: Session, organisation: str, definition_id: str) -> None:
        """NotFoundError unless ``organisation`` is the first awarding body of ``definition_id``."""
        try:
            stored = DefinitionRepository(session).get(definition_id[:80])
        except NotFoundError:
            raise NotFoundError(NOTHING_HERE) from None
        if stored.definition.awarding_bodies[0] != organisation:
            raise NotFoundError(NOTHING_HERE)

    def shares(self, access: OrganisationAccess, definition_id: str) -> list[DraftShare]:
        """Every share of ``definition_id`` (ended ones too) with its thread, as its lead's members see them;
        NotFoundError unless ``access`` is to the definition's first awarding body."""
        with self.database.transaction(read_only=True) as session:
            self._lead_of(session, access.organisation, definition_id)
            return self._views(session, ShareRepository(session).of_definition(definition_id[:80]))

    def shared_with(self, access: OrganisationAccess) -> list[DraftShare]:
        """The definitions shared with ``access``'s organisation that have not ended, oldest share first."""
        with self.database.transaction(read_only=True) as session:
            row = OrganisationRepository(session).row(access.organisation)
            if row is None:
                return []
            return self._views(session, ShareRepository(session).with_reviewer(row.id))

    def shared_draft(self, access: OrganisationAccess, share_id: int) -> DraftShare:
        """One share as the reviewing organisation sees it; NotFoundError unless it is shared with ``access``'s
        organisation and has not ended."""
        with self.database.transaction(read_only=True) as session:
            record = ShareRepository(session).get(share_id)
            if record is None or record[3].slug != access.organisation or record[0].ended_at is not None:
                raise NotFoundError(NOTHING_HERE)
            return self._views(session, [record])[0]

    # -- sharing -------------------------------------------------------------------------------------

    @staticmethod
    def _issuer(access: OrganisationAccess) -> None:
        if not access.role.covers(Role.ISSUER):
            raise PermissionDeniedError(LEAD_ONLY)

    @staticmethod
    def _reviewer_row(session: Session, reviewer: str) -> OrganisationRow:
        """The organisation ``reviewer`` names by identifier or (any language of) its legal name."""
        wanted = " ".join(reviewer.split())[:MAX_NAME]
        if not wanted:
            raise InputError(UNKNOWN_ORGANISATION, organisation="")
        orgs = OrganisationRepository(session)
        row = orgs.row(wanted.lower()[:80])
        if row is not None:
            return row
        for candidate in orgs.list():
            if any(" ".join(n.split()).casefold() == wanted.casefold() for n in candidate.legal_name.values()):
                found = orgs.row(candidate.id)
                assert found is not None
                return found
        raise InputError(UNKNOWN_ORGANISATION, organisation=wanted)

    def share(self, access: OrganisationAccess, definition_id: str, reviewer: str, *, actor: str) -> DraftShare:
        """Share the draft ``definition_id`` of ``access``'s organisation (its first awarding body) with the
        organisation ``reviewer`` names (identifier or legal name), audited as ``draft.share``."""
        self._issuer(access)
        now = self.clock()
        try:
            with self.database.transaction() as session:
                self._lead_of(session, access.organisation, definition_id)
                stored = DefinitionRepository(session).get(definition_id[:80])
                title = pick(stored.definition.title, "en")[1]
                if stored.state != DRAFT:
                    raise ConflictError(PUBLISHED_ALREADY, definition=title)
                target = self._reviewer_row(session, reviewer)
                lead = OrganisationRepository(session).row(access.organisation)
                assert lead is not None
                if target.id == lead.id:
                    raise InputError(NOT_ITSELF)
                shares = ShareRepository(session)
                definition_row = shares.definition_row(stored.definition.id)
                row = shares.find(definition_row, target.id)
                if row is not None and row.ended_at is None:
                    raise ConflictError(SHARED_ALREADY, organisation=pick(_organisation(target).legal_name, "en")[1])
                if row is None:
                    row = DefinitionShareRow(
                        definition_id=definition_row,
                        organisation_id=lead.id,
                        reviewer_id=target.id,
                        shared_by=actor,
                        shared_at=now,
                    )
                    shares.add(row)
                else:  # shared again: the same thread opens again
                    row.ended_at, row.ended_by, row.shared_by, row.shared_at = None, None, actor, now
                AuditRepository(session).append(
                    at=now,
                    actor=actor,
                    action="draft.share",
                    subject=stored.definition.id,
                    details={"organisation": access.organisation, "reviewer": target.slug, "share": row.id},
                )
                share_id = row.id
        except IntegrityError:
            raise ConflictError(AT_ONCE) from None
        return self._lead_share(access, definition_id, share_id)

    def _lead_share(self, access: OrganisationAccess, definition_id: str, share_id: int) -> DraftShare:
        found = [s for s in self.shares(access, definition_id) if s.id == share_id]
        if not found:
            raise NotFoundError(NOTHING_HERE)
        return found[0]

    def _owned(self, session: Session, access: OrganisationAccess, definition_id: str, share_id: int) -> ShareRecord:
        """Share ``share_id`` of ``definition_id`` when ``access``'s organisation leads it; NotFoundError else."""
        record = ShareRepository(session).get(share_id)
        if record is None or record[1].slug != definition_id[:80] or record[2].slug != access.organisation:
            raise NotFoundError(NOTHING_HERE)
        self._lead_of(session, access.organisation, definition_id)
        return record

    def unshare(self, access: OrganisationAccess, definition_id: str, share_id: int, *, actor: str) -> DraftShare:
        """End a share (the reviewer no longer sees the draft; the thread stays), audited as ``draft.unshare``.
        Ending one that has ended changes nothing."""
        self._issuer(access)
        now = self.clock()
        with self.database.transaction() as session:
            row, _, _, reviewer = self._owned(session, access, definition_id, share_id)
            if row.ended_at is None:
                ShareRepository(session).end(row, now=now, actor=actor)
                AuditRepository(session).append(
                    at=now,
                    actor=actor,
                    action="draft.unshare",
                    subject=definition_id[:80],
                    details={"organisation": access.organisation, "reviewer": reviewer.slug, "share": row.id},
                )
        return self._lead_share(access, definition_id, share_id)

    # -- comments ------------------------------------------------------------------------------------

    def comment(
        self,
        access: OrganisationAccess,
        share_id: int,
        text: str,
        *,
        actor: str,
        author_name: str,
        reply_to: int | None = None,
    ) -> DraftComment:
        """Add a comment to share ``share_id``: by any member of the reviewing organisation, or (a reply) by an
        issuer or owner of the lead. NotFoundError for anyone else (and for an ended share, to the reviewer);
        ConflictError once the definition is published or the share has ended; InputError for an empty text or
        one over :data:`MAX_COMMENT` characters. Audited as ``draft.comment``."""
        words = clean_text(text)
        now = self.clock()
        with self.database.transaction() as session:
            shares = ShareRepository(session)
            record = shares.get(share_id)
            if record is None:
                raise NotFoundError(NOTHING_HERE)
            row, definition, lead, reviewer = record
            if access.organisation == lead.slug:
                self._issuer(access)
            elif access.organisation != reviewer.slug or row.ended_at is not None:
                raise NotFoundError(NOTHING_HERE)
            stored = DefinitionRepository(session).get(definition.slug)
            if stored.state != DRAFT:
                raise ConflictError(CLOSED, definition=pick(stored.definition.title, "en")[1])
            if row.ended_at is not None:
                raise ConflictError(ENDED)
            if reply_to is not None and shares.comment(share_id, reply_to) is None:
                raise NotFoundError(NOTHING_HERE)
            by = lead if access.organisation == lead.slug else reviewer
            added = DraftCommentRow(
                share_id=row.id,
                organisation_id=by.id,
                author=actor,
                author_name=" ".join(author_name.split())[:MAX_NAME] or actor[:MAX_NAME],
                text=words,
                created_at=now,
                reply_to_id=reply_to,
            )
            shares.add(added)
            AuditRepository(session).append(
                at=now,
                actor=actor,
                action="draft.comment",
                subject=definition.slug,
                details={"organisation": by.slug, "share": row.id, "comment": added.id, "reply_to": reply_to},
            )
            return DraftComment(
                id=added.id,
                organisation=_organisation(by),
                author_name=added.author_name,
                text=words,
                created_at=now,
                by_lead=by.id == lead.id,
                reply_to=reply_to,
            )

    def resolve(
        self,
        access: OrganisationAccess,
        definition_id: str,
        share_id: int,
        comment_id: int,
        *,
        resolved: bool,
        actor: str,
    ) -> bool:
        """Mark a comment on a share of the lead as dealt with (or open again), audited as ``draft.resolve``;
        True when that changed it. Marking stays possible after publication: it changes no words."""
        self._issuer(access)
        now = self.clock()
        with self.database.transaction() as session:
            self._owned(session, access, definition_id, share_id)
            found = ShareRepository(session).comment(share_id, comment_id)
            if found is None:
                raise NotFoundError(NOTHING_HERE)
            if (found.resolved_at is not None) == resolved:
                return False
            found.resolved_at, found.resolved_by = (now, actor) if resolved else (None, None)
            AuditRepository(session).append(
                at=now,
                actor=actor,
                action="draft.resolve",
                subject=definition_id[:80],
                details={"share": share_id, "comment": comment_id, "resolved": resolved},
            )
            return True
