"""The stored, signed forms of the status lists (:class:`~cairn.store.status_tables.StatusPublicationRow`).

:meth:`PublicationRepository.state` is the one cheap query a request for a list makes: the list's id and revision
and the version of its stored form, never the body. :meth:`PublicationRepository.save` is an upsert on the
``(list, form)`` unique key (``INSERT ... ON CONFLICT DO UPDATE`` on SQLite and PostgreSQL), so concurrent signers
never fail, and a form signed earlier never replaces one signed later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final

from sqlalchemy import BindParameter, and_, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cairn.store.database import Database
from cairn.store.status_tables import StatusPublicationRow
from cairn.store.tables import KeyRow, OrganisationRow, StatusListRow

__all__ = [
    "KEY_TYPES",
    "ListState",
    "Probe",
    "PublicationRepository",
    "Stored",
    "StoredForm",
    "kept_probe",
    "probe",
    "stored_body",
]


@dataclass(frozen=True, slots=True)
class Stored:
    """What a stored form was signed for, and when (without its body)."""

    id: int
    revision: int
    key_id: int
    suite: str
    suspensions: str
    etag: str
    media_type: str
    signed_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class ListState:
    """A list's id and revision, and its stored form when there is one."""

    list_id: int
    revision: int
    stored: Stored | None


@dataclass(frozen=True, slots=True)
class StoredForm:
    """Where a stored form is published: its organisation, list and form."""

    organisation_id: int
    slug: str
    purpose: str
    sequence: int
    form: str


@dataclass(frozen=True, slots=True)
class Probe:
    """What says whether a list's stored form is current, read in one query: the organisation's id and chosen suite
    and key type, the list's id and revision, the stored form's version, and the organisation's current key (the
    newest not retired) of each type, by type (None where it has none)."""

    organisation_id: int
    signing_suite: str
    signing_key_type: str | None
    list_id: int
    revision: int
    stored: Stored | None
    current_keys: Mapping[str, int | None]


_P = StatusPublicationRow
_STORED = (_P.id, _P.revision, _P.key_id, _P.suite, _P.suspensions, _P.etag, _P.media_type, _P.signed_at)
KEY_TYPES: Final = ("Ed25519", "P-256", "P-384")
"""The key types whose current key :func:`probe` reads."""


def _probe_statement() -> Any:
    """The query of :func:`probe`, built once (building a statement costs more than running this one)."""
    slug: BindParameter[str] = bindparam("slug")
    current = [
        select(func.max(KeyRow.id))
        .where(KeyRow.organisation_id == OrganisationRow.id, KeyRow.type == kind, KeyRow.retired_at.is_(None))
        .scalar_subquery()
        for kind in KEY_TYPES
    ]
    lists = and_(
        StatusListRow.organisation_id == OrganisationRow.id,
        StatusListRow.purpose == bindparam("purpose"),
        StatusListRow.sequence == bindparam("sequence"),
    )
    return (
        select(
            OrganisationRow.id,
            OrganisationRow.signing_suite,
            OrganisationRow.signing_key_type,
            StatusListRow.id,
            StatusListRow.revision,
            *current,
            *_STORED,
            _P.expires_at,
        )
        .select_from(OrganisationRow)
        .join(StatusListRow, lists)
        .outerjoin(_P, and_(_P.list_id == StatusListRow.id, _P.form == bindparam("form")))
        .where(OrganisationRow.slug == slug)
    )


_PROBE: Final = _probe_statement()
_BODY: Final = select(_P.body).where(_P.id == bindparam("id"))


def _probe_key(slug: str, purpose: str, sequence: int, form: str) -> tuple[str, str, str, int, str]:
    """Where :meth:`Database.while_unchanged` keeps a probe's answer."""
    return ("status list probe", slug, purpose, sequence, form)


def probe(database: Database, slug: str, purpose: str, sequence: int, form: str) -> Probe | None:
    """The organisation ``slug``'s list ``purpose``/``sequence``, its stored ``form`` and its current keys, in one
    query on a connection of its own (no ORM session: this is what every verification of a credential issued here
    asks, once a list); None when there is no such organisation or list. On SQLite the query is not even sent
    while nothing was committed since it was last sent (:meth:`~cairn.store.database.Database.while_unchanged`):
    the answer is shared, never to be changed."""

    def read() -> Probe | None:
        with database.single_read() as connection:
            found = connection.execute(
                _PROBE, {"slug": slug, "purpose": purpose, "sequence": sequence, "form": form}
            ).first()
        if found is None:
            return None
        keys = MappingProxyType(dict(zip(KEY_TYPES, found[5:8], strict=True)))
        stored = Stored(*found[8:]) if found[8] is not None else None
        return Probe(int(found[0]), str(found[1]), found[2], int(found[3]), int(found[4]), stored, keys)

    return database.while_unchanged(_probe_key(slug, purpose, sequence, form), read)


def kept_probe(database: Database, slug: str, purpose: str, sequence: int, form: str) -> tuple[Probe | None] | None:
    """What :func:`probe` would answer, when it is known without a query (nothing committed since it was last
    read: :meth:`~cairn.store.database.Database.kept`), in a 1-tuple; None when only the query can tell."""
    return database.kept(_probe_key(slug, purpose, sequence, form))


def stored_body(database: Database, publication_id: int) -> bytes | None:
    """The body of a stored form, on a connection of its own."""
    with database.single_read() as connection:
        body = connection.execute(_BODY, {"id": publication_id}).scalar()
    return bytes(body) if body is not None else None


class PublicationRepository:
    """The signed forms of status lists."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def state(self, organisation_id: int, purpose: str, sequence: int, form: str) -> ListState | None:
        """The list ``purpose``/``sequence`` of the organisation (id, revision) and the version of its ``form``."""
        stmt = (
            select(StatusListRow.id, StatusListRow.revision, *_STORED, _P.expires_at)
            .outerjoin(_P, and_(_P.list_id == StatusListRow.id, _P.form == form))
            .where(
                StatusListRow.organisation_id == organisation_id,
                StatusListRow.purpose == purpose,
                StatusListRow.sequence == sequence,
            )
        )
        found = self.session.execute(stmt).first()
        if found is None:
            return None
        stored = Stored(*found[2:]) if found[2] is not None else None
        return ListState(int(found[0]), int(found[1]), stored)

    def body(self, publication_id: int) -> bytes | None:
        """The body of a stored form."""
        return self.session.scalar(select(_P.body).where(_P.id == publication_id))

    def save(
        self,
        *,
        list_id: int,
        form: str,
        revision: int,
        key_id: int,
        suite: str,
        suspensions: str,
        body: bytes,
        etag: str,
        media_type: str,
        signed_at: datetime,
        expires_at: datetime | None,
    ) -> None:
        """Store a signed form, in place of the one stored unless that one was signed later."""
        values = {
            "list_id": list_id,
            "form": form,
            "revision": revision,
            "key_id": key_id,
            "suite": suite,
            "suspensions": suspensions,
            "body": body,
            "etag": etag,
            "media_type": media_type,
            "signed_at": signed_at,
            "expires_at": expires_at,
        }
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(_P).values(**values)
        update = {k: getattr(stmt.excluded, k) for k in values if k not in ("list_id", "form")}
        self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[_P.list_id, _P.form], set_=update, where=_P.signed_at <= stmt.excluded.signed_at
            )
        )

    def forms(self, organisation_id: int | None = None) -> list[StoredForm]:
        """Every stored form (of one organisation, or of all), where it is published."""
        stmt = (
            select(OrganisationRow.id, OrganisationRow.slug, StatusListRow.purpose, StatusListRow.sequence, _P.form)
            .join(StatusListRow, StatusListRow.id == _P.list_id)
            .join(OrganisationRow, OrganisationRow.id == StatusListRow.organisation_id)
            .order_by(OrganisationRow.id, StatusListRow.id, _P.form)
        )
        if organisation_id is not None:
            stmt = stmt.where(OrganisationRow.id == organisation_id)
        return [StoredForm(int(o), str(s), str(p), int(n), str(f)) for o, s, p, n, f in self.session.execute(stmt)]

    def list_place(self, list_id: int) -> StoredForm | None:
        """Where list ``list_id`` is published as a credential (form ``vc``)."""
        stmt = (
            select(OrganisationRow.id, OrganisationRow.slug, StatusListRow.purpose, StatusListRow.sequence)
            .join(OrganisationRow, OrganisationRow.id == StatusListRow.organisation_id)
            .where(StatusListRow.id == list_id)
        )
        found = self.session.execute(stmt).first()
        return StoredForm(int(found[0]), str(found[1]), str(found[2]), int(found[3]), "vc") if found else None
