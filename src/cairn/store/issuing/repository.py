"""Repositories for issuing: signing keys, status lists, awards, bulk jobs, and batched audit entries.

Like :mod:`cairn.store.catalog.repository`, each takes an open :class:`~sqlalchemy.orm.Session` and leaves the
transaction to the service. Awards are written with Core ``INSERT`` statements (many rows a statement)
because bulk awarding writes a hundred thousand of them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    Column,
    MetaData,
    Table,
    Text,
    TypeDecorator,
    bindparam,
    cast,
    func,
    insert,
    literal,
    null,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from cairn.store.audit import entry_hash, entry_mac, lock_chain, next_link
from cairn.store.seal_tables import SealCertificateRow
from cairn.store.tables import (
    AuditEntry,
    AwardRow,
    BulkJobRow,
    DefinitionRow,
    DefinitionVersionRow,
    KeyRow,
    OrganisationRow,
    OutboxRow,
    StatusListRow,
)

__all__ = [
    "PURPOSE_COLUMNS",
    "AuditRecord",
    "AwardRepository",
    "BulkJobRepository",
    "KeyRepository",
    "StatusListRepository",
    "append_audit",
    "enqueue_emails",
    "lock_organisation",
    "stamp_of",
]

PURPOSE_COLUMNS: Final[dict[str, tuple[InstrumentedAttribute[int | None], InstrumentedAttribute[int | None]]]] = {
    "revocation": (AwardRow.revocation_list_id, AwardRow.revocation_index),
    "suspension": (AwardRow.suspension_list_id, AwardRow.suspension_index),
}
"""For each status purpose, the award columns holding its list and index."""


def _core_table(entity: type[AuditEntry] | type[OutboxRow]) -> Table:
    """The Core table of a mapped class (for inserts that skip the ORM's per-row bookkeeping)."""
    table = entity.__table__
    assert isinstance(table, Table)
    return table


class RawJson(TypeDecorator[str]):
    """JSON already serialised (by a signing worker): stored as it is, cast to JSONB on PostgreSQL."""

    impl = Text
    cache_ok = True

    def bind_expression(self, bindvalue: BindParameter[str]) -> ColumnElement[str]:
        return cast(bindvalue, JSONB().with_variant(Text(), "sqlite"))


_AWARDS = Table(
    "awards",
    MetaData(),
    *(
        Column(c.name, RawJson() if c.name == "credential" else c.type, primary_key=c.primary_key)
        for c in AwardRow.__table__.columns
    ),
)
"""The awards table for inserts, taking ``credential`` as JSON text."""
_AUDIT: Final = _core_table(AuditEntry)
_OUTBOX: Final = _core_table(OutboxRow)


def lock_organisation(session: Session, organisation_id: int) -> OrganisationRow | None:
    """Read an organisation row, locked until the transaction ends (PostgreSQL; SQLite locks the file)."""
    stmt = select(OrganisationRow).where(OrganisationRow.id == organisation_id).with_for_update()
    return session.scalar(stmt)


def _stamp_statement() -> Any:
    """The query of :meth:`KeyRepository.stamp`, built once (building it took a third of its time)."""
    slug: BindParameter[str] = bindparam("slug")
    org = select(OrganisationRow.id).where(OrganisationRow.slug == slug).scalar_subquery()
    return union_all(
        select(
            literal("o"),
            OrganisationRow.id,
            OrganisationRow.signing_suite,
            OrganisationRow.signing_key_type,
            null(),
            literal(True),
        ).where(OrganisationRow.slug == slug),
        select(
            literal("k"),
            KeyRow.id,
            KeyRow.key_id,
            KeyRow.type,
            KeyRow.public_key_multibase,
            KeyRow.retired_at.is_(None),
        ).where(KeyRow.organisation_id == org),
        select(
            literal("s"),
            SealCertificateRow.id,
            SealCertificateRow.thumbprint,
            SealCertificateRow.key_type,
            null(),
            SealCertificateRow.retired_at.is_(None),
        ).where(SealCertificateRow.organisation_id == org),
    )


_STAMP: Final = _stamp_statement()


def stamp_of(connection: Connection | Session, slug: str) -> tuple[tuple[Any, ...], ...]:
    """:meth:`KeyRepository.stamp` on a session, or on a plain connection (no ORM session: cheaper)."""
    rows = connection.execute(_STAMP, {"slug": slug}).all()
    return tuple(sorted((tuple(row) for row in rows), key=lambda row: (row[0] != "o", row[0], row[1])))


class KeyRepository:
    """An organisation's signing keys, newest last; retired keys stay for verification."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self, organisation_id: int) -> list[KeyRow]:
        """Every key the organisation ever had, oldest first."""
        stmt = select(KeyRow).where(KeyRow.organisation_id == organisation_id).order_by(KeyRow.id)
        return list(self.session.scalars(stmt))

    def stamp(self, slug: str) -> tuple[tuple[Any, ...], ...]:
        """Everything the DID document of organisation ``slug`` is made of, in one cheap query (short public
        columns, no secret, no certificate): the organisation's id and chosen suite and key type; each key's
        id, key id, type, public key and whether it is current; each seal certificate's id, key type, thumbprint
        and whether it is current. Empty when there is no such organisation. Two equal stamps mean the same
        document, so a document built once can be served again while the stamp stays the same."""
        return stamp_of(self.session, slug)

    def current(self, organisation_id: int, kind: str) -> KeyRow | None:
        """The newest key of type ``kind`` (``Ed25519`` or ``P-256``) that is not retired, or None."""
        stmt = (
            select(KeyRow)
            .where(KeyRow.organisation_id == organisation_id, KeyRow.type == kind, KeyRow.retired_at.is_(None))
            .order_by(KeyRow.id.desc())
            .limit(1)
        )
        return self.session.scalar(stmt)

    def retire_all(self, organisation_id: int, *, now: datetime) -> list[KeyRow]:
        """Retire every current key of the organisation (they stay, to verify what they signed)."""
        stmt = select(KeyRow).where(KeyRow.organisation_id == organisation_id, KeyRow.retired_at.is_(None))
        rows = list(self.session.scalars(stmt.order_by(KeyRow.id)))
        for row in rows:
            row.retired_at = now
        return rows

    def add(
        self,
        *,
        organisation_id: int,
        key_id: str,
        kind: str,
        public_key_multibase: str,
        private_key_encrypted: bytes,
        now: datetime,
    ) -> KeyRow:
        """Store a new key (its private part already encrypted)."""
        row = KeyRow(
            organisation_id=organisation_id,
            key_id=key_id,
            type=kind,
            public_key_multibase=public_key_multibase,
            private_key_encrypted=private_key_encrypted,
            created_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return row


class StatusListRepository:
    """Bitstring status lists and the indexes awards hold in them."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def latest(self, organisation_id: int, purpose: str) -> StatusListRow | None:
        """The organisation's list with the highest sequence for ``purpose``."""
        stmt = (
            select(StatusListRow)
            .where(StatusListRow.organisation_id == organisation_id, StatusListRow.purpose == purpose)
            .order_by(StatusListRow.sequence.desc())
            .limit(1)
        )
        return self.session.scalar(stmt)

    def find(self, organisation_id: int, purpose: str, sequence: int) -> StatusListRow | None:
        """One list by its public coordinates."""
        stmt = select(StatusListRow).where(
            StatusListRow.organisation_id == organisation_id,
            StatusListRow.purpose == purpose,
            StatusListRow.sequence == sequence,
        )
        return self.session.scalar(stmt)

    def revision(self, organisation_id: int, purpose: str, sequence: int) -> tuple[int, int] | None:
        """``(list id, revision)`` without reading the bits, or None."""
        stmt = select(StatusListRow.id, StatusListRow.revision).where(
            StatusListRow.organisation_id == organisation_id,
            StatusListRow.purpose == purpose,
            StatusListRow.sequence == sequence,
        )
        found = self.session.execute(stmt).first()
        return (int(found[0]), int(found[1])) if found else None

    def revisions(self, organisation_id: int, purpose: str) -> tuple[int, ...]:
        """The revision of each of the organisation's lists for ``purpose``, by sequence: any change changes it."""
        stmt = (
            select(StatusListRow.revision)
            .where(StatusListRow.organisation_id == organisation_id, StatusListRow.purpose == purpose)
            .order_by(StatusListRow.sequence)
        )
        return tuple(int(r) for r in self.session.scalars(stmt))

    def suspended_on(self, revocation_list_id: int) -> list[int]:
        """The revocation indexes, in that list, of the awards suspended now."""
        stmt = select(AwardRow.revocation_index).where(
            AwardRow.revocation_list_id == revocation_list_id, AwardRow.suspended.is_(True)
        )
        return [int(i) for i in self.session.scalars(stmt) if i is not None]

    def locked(self, list_id: int) -> StatusListRow:
        """A list, locked until the transaction ends, so concurrent bit changes are not lost."""
        row = self.session.scalar(select(StatusListRow).where(StatusListRow.id == list_id).with_for_update())
        if row is None:
            raise LookupError(f"status list {list_id} vanished")
        return row

    def create(self, *, organisation_id: int, purpose: str, sequence: int, size: int, now: datetime) -> bool:
        """Add an empty list; False when another process created that sequence first."""
        try:
            with self.session.begin_nested():
                self.session.execute(
                    insert(StatusListRow).values(
                        organisation_id=organisation_id,
                        purpose=purpose,
                        sequence=sequence,
                        size=size,
                        bits=bytes(size // 8),
                        allocated=0,
                        revision=0,
                        updated_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True

    def taken(self, list_id: int, purpose: str) -> set[int]:
        """Every index of the list that an award holds."""
        list_column, index_column = PURPOSE_COLUMNS[purpose]
        stmt = select(index_column).where(list_column == list_id)
        return {int(i) for i in self.session.scalars(stmt) if i is not None}

    def add_allocated(self, list_id: int, count: int) -> None:
        """Count ``count`` more indexes as handed out (a hint for choosing when to start a new list)."""
        if count:
            self.session.execute(
                update(StatusListRow)
                .where(StatusListRow.id == list_id)
                .values(allocated=StatusListRow.allocated + count)
            )


class AwardRepository:
    """Awards: looked up by id, recipient or claim token; written many rows a statement."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, award_id: str) -> AwardRow | None:
        """One award by id."""
        return self.session.get(AwardRow, award_id)

    def locked(self, award_id: str) -> AwardRow | None:
        """One award, locked until the transaction ends."""
        return self.session.scalar(select(AwardRow).where(AwardRow.id == award_id).with_for_update())

    def find(self, definition_version_id: int, recipient_key: str) -> AwardRow | None:
        """The award of this version to this recipient, if any."""
        stmt = select(AwardRow).where(
            AwardRow.definition_version_id == definition_version_id, AwardRow.recipient_key == recipient_key
        )
        return self.session.scalar(stmt)

    def issued_through_api(self, organisation_id: int, credential_id: str) -> AwardRow | None:
        """The newest credential the organisation issued through the VC-API whose own ``id`` was
        ``credential_id`` (kept as its external id when it was not a fresh ``urn:uuid``)."""
        stmt = (
            select(AwardRow)
            .where(
                AwardRow.organisation_id == organisation_id,
                AwardRow.definition_version_id.is_(None),
                AwardRow.external_id == credential_id,
            )
            .order_by(AwardRow.issued_at.desc(), AwardRow.id.desc())
            .limit(1)
        )
        return self.session.scalar(stmt)

    def renewal_of(self, award_id: str) -> AwardRow | None:
        """The award that renewed ``award_id`` (``renewed_from`` names it), if any."""
        stmt = select(AwardRow).where(AwardRow.renewed_from == award_id).order_by(AwardRow.issued_at).limit(1)
        return self.session.scalar(stmt)

    def by_claim_hash(self, token_hash: str) -> AwardRow | None:
        """The award whose claim token hashes to ``token_hash``."""
        return self.session.scalar(select(AwardRow).where(AwardRow.claim_token_hash == token_hash))

    def existing(self, definition_version_id: int, recipient_keys: Collection[str]) -> dict[str, str]:
        """``recipient_key -> award id`` for the keys already awarded this version."""
        found: dict[str, str] = {}
        keys = list(recipient_keys)
        if keys and self.session.get_bind().dialect.name == "postgresql":
            # A generic plan made while the table's statistics are stale (a bulk job fills it faster than
            # autovacuum analyses it) filters the IN list row by row over the whole version: plan each time.
            self.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        for start in range(0, len(keys), 500):
            stmt = select(AwardRow.recipient_key, AwardRow.id).where(
                AwardRow.definition_version_id == definition_version_id,
                AwardRow.recipient_key.in_(keys[start : start + 500]),
            )
            found.update({str(k): str(i) for k, i in self.session.execute(stmt).tuples()})
        return found

    def insert_many(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert awards (dicts of AwardRow columns, ``credential`` as JSON text) in few statements."""
        if rows:
            self.session.execute(insert(_AWARDS), [dict(r) for r in rows])

    def count_for_job(self, job_id: int) -> int:
        """How many awards a bulk job made."""
        stmt = select(func.count()).select_from(AwardRow).where(AwardRow.bulk_job_id == job_id)
        return int(self.session.scalar(stmt) or 0)


class BulkJobRepository:
    """Bulk award jobs, found again by definition version and the file's SHA-256."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, definition_version_id: int, file_sha256: str) -> BulkJobRow | None:
        """The newest job for this file and version."""
        stmt = (
            select(BulkJobRow)
            .where(BulkJobRow.definition_version_id == definition_version_id, BulkJobRow.file_sha256 == file_sha256)
            .order_by(BulkJobRow.id.desc())
            .limit(1)
        )
        return self.session.scalar(stmt)

    def unfinished_version(self, definition_slug: str, file_sha256: str) -> int | None:
        """The definition version of the newest unfinished job for this file, if any."""
        stmt = (
            select(DefinitionVersionRow.version)
            .join(BulkJobRow, BulkJobRow.definition_version_id == DefinitionVersionRow.id)
            .join(DefinitionRow, DefinitionRow.id == DefinitionVersionRow.definition_id)
            .where(
                DefinitionRow.slug == definition_slug,
                BulkJobRow.file_sha256 == file_sha256,
                BulkJobRow.status != "done",
            )
            .order_by(BulkJobRow.id.desc())
            .limit(1)
        )
        found = self.session.scalar(stmt)
        return int(found) if found is not None else None

    def get(self, job_id: int) -> BulkJobRow | None:
        """One job by id."""
        return self.session.get(BulkJobRow, job_id)

    def lock_key(self, definition_version_id: int, file_sha256: str) -> None:
        """Serialise job creation for one file and version across processes (PostgreSQL)."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                {"key": f"cairn-bulk:{definition_version_id}:{file_sha256}"},
            )


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit entry to append."""

    at: datetime
    actor: str
    action: str
    subject: str
    details: dict[str, Any]


def append_audit(session: Session, records: Iterable[AuditRecord]) -> int:
    """Append many entries to the hash-chained audit log in one go; returns how many.

    Chains exactly as :meth:`cairn.store.audit.AuditRepository.append` does (same lock, same link), reading the
    previous hash once and inserting every entry in one statement.
    """
    batch = list(records)
    if not batch:
        return 0
    lock_chain(session)
    session.flush()
    prev, key = next_link(session)
    rows: list[dict[str, Any]] = []
    for record in batch:
        content = (prev, record.at, record.actor, record.action, record.subject, record.details)
        digest = entry_mac(key, *content) if key is not None else entry_hash(*content)
        rows.append(
            {
                "at": record.at,
                "actor": record.actor,
                "action": record.action,
                "subject": record.subject,
                "details": record.details,
                "prev_hash": prev,
                "hash": digest,
                "keyed": key is not None,
            }
        )
        prev = digest
    if len(rows) == 1:
        session.execute(insert(_AUDIT).values(**rows[0]))
    else:
        session.execute(insert(_AUDIT), rows)
    return len(rows)


def enqueue_emails(session: Session, emails: Iterable[tuple[str, str, str]], *, now: datetime) -> int:
    """Queue many ``(to, subject, body)`` emails in one statement; they leave only if the transaction commits."""
    rows = [
        {"to_address": to, "subject": subject, "body_text": body, "created_at": now, "attempts": 0}
        for to, subject, body in emails
    ]
    if rows:
        session.execute(insert(_OUTBOX), rows)
    return len(rows)
