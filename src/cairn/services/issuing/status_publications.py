"""The signed forms of the status lists, stored in the database and shared by every process.

Each list is published in up to three forms (``status_list_publications``, one row each): ``vc``, the Bitstring
Status List credential; ``token``, the same bits as an IETF Status List Token; ``combined``, the two-bit token of a
revocation list and the suspensions. A row says the version it was signed for: the list's revision, the signing
key's row id, the suite and, for ``combined``, the revisions of the organisation's suspension lists.

Serving (:meth:`StatusPublications.serve`) reads, in one Core query (:func:`~cairn.store.issuing.publications.probe`,
no ORM session), the list's revision, the stored form's version (not its body) and the organisation's current keys,
so it knows whether the stored form is current. When it is, the body is read (or taken from this process's copy,
which is only ever used when its ETag is the stored one's; at most :data:`COPIES_KEPT` copies are kept). When it is
not (no form stored yet, a change or a rotated key that no job has signed yet) the full path in one transaction
decides, and the request signs it inline and stores it: a change is always visible at once, never a stale list.
Concurrent signers upsert on the ``(list, form)`` key and none fails.

Signing ahead of readers is the job queue's (:mod:`cairn.services.jobs.tasks`): ``status.sign`` after a change
(:meth:`StatusPublications.sign_changed`), and every ten minutes ``status.resign``
(:meth:`StatusPublications.resign_due`) for tokens past half their lifetime and forms whose key was rotated. A
reader signs a token inline only when three quarters of its lifetime have passed (no worker ran).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy.orm import Session

from cairn.errors import InputError, NotFoundError
from cairn.services.issuing.keys import KeyService, SigningKey, preferred_key_type, suite_of
from cairn.store.catalog.repository import OrganisationRepository
from cairn.store.database import Database
from cairn.store.issuing.publications import (
    PublicationRepository,
    Stored,
    StoredForm,
    kept_probe,
    probe,
    stored_body,
)
from cairn.store.issuing.repository import StatusListRepository
from cairn.store.tables import OrganisationRow
from cairn.vc.issuance import DATA_INTEGRITY_SUITES, issue
from cairn.vc.keys import KeyType
from cairn.vc.status import BitstringStatusList, status_list_credential
from cairn.vc.token_status import MEDIA_TYPE as TOKEN_MEDIA_TYPE
from cairn.vc.token_status import from_bitstring, revocation_and_suspension, sign_status_list_token

__all__ = [
    "COMBINED",
    "MEDIA_TYPE",
    "PURPOSES",
    "RESIGN_AFTER",
    "SERVE_UNTIL",
    "TOKEN_LIFETIME",
    "PublishedList",
    "StatusPublications",
    "list_suite",
]

log = logging.getLogger("cairn.status")

PURPOSES: Final = ("revocation", "suspension")
COMBINED: Final = "combined"
"""The address of the two-bit Status List Token that says both (revoked: INVALID, suspended: SUSPENDED)."""
MEDIA_TYPE: Final = "application/vc"
"""The media type of a secured VCDM 2.0 credential in JSON-LD with an embedded proof."""
TOKEN_LIFETIME: Final = timedelta(hours=24)
"""How long a Status List Token is valid (``exp``)."""
RESIGN_AFTER: Final = TOKEN_LIFETIME / 2
"""A token older than this is signed again by the periodic job."""
SERVE_UNTIL: Final = TOKEN_LIFETIME * 3 / 4
"""A token older than this is signed again by the request that finds it (no worker re-signed it)."""
VC: Final = "vc"
TOKEN: Final = "token"  # noqa: S105 (a form's name)
TOKEN_SUITE: Final = "ES256"  # noqa: S105 (what tokens are signed with)
TOKEN_LIST_SUITE: Final = "ecdsa-rdfc-2019"  # noqa: S105 (a suite's name)
"""The suite whose key (P-256) tokens are signed with (:meth:`KeyService.signing_key`'s ``suite``)."""
COPIES_KEPT: Final = 512
"""Signed forms each process keeps in memory (the most recently served), so memory stays bounded."""


def list_suite(organisation_suite: str, key_type: KeyType) -> str:
    """The Data Integrity suite a status list is signed with (JWT issuers sign lists with RDFC)."""
    if organisation_suite == "ecdsa-sd-2023":  # a list is read whole: no selective disclosure
        return "ecdsa-rdfc-2019"
    if organisation_suite in DATA_INTEGRITY_SUITES:
        return organisation_suite
    return "eddsa-rdfc-2022" if key_type is KeyType.ED25519 else "ecdsa-rdfc-2019"


@dataclass(frozen=True, slots=True)
class PublishedList:
    """A signed status list credential or token, ready to serve."""

    body: bytes
    etag: str
    media_type: str
    cache_control: str
    revision: int

    def not_modified(self, if_none_match: str | None) -> bool:
        """Whether a request's ``If-None-Match`` already names this version (answer 304)."""
        if not if_none_match:
            return False
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or self.etag.removeprefix("W/") in tags


@dataclass(frozen=True, slots=True)
class _Version:
    """What a form is signed for; equal to a stored form's version when that one is current."""

    revision: int
    key_id: int
    suite: str
    suspensions: str

    def matches(self, stored: Stored) -> bool:
        return (stored.revision, stored.key_id, stored.suite, stored.suspensions) == (
            self.revision,
            self.key_id,
            self.suite,
            self.suspensions,
        )


@dataclass(frozen=True, slots=True)
class _Draft:
    """One form to sign, as read in one transaction: ``data`` is the bitstring (``vc``) or the token's list."""

    form: str
    slug: str
    purpose: str
    sequence: int
    list_id: int
    version: _Version
    signing: SigningKey
    data: bytes
    updated_at: datetime


class StatusPublications:
    """The stored, signed forms of the status lists (see the module's notes)."""

    def __init__(
        self,
        database: Database,
        *,
        keys: KeyService,
        clock: Callable[[], datetime],
        max_age: int,
        url: Callable[[str, str, int], str],
    ) -> None:
        self.database = database
        self.keys = keys
        self.clock = clock
        self.max_age = max_age
        self.url = url
        self._copies: OrderedDict[tuple[str, int], PublishedList] = OrderedDict()
        self._lock = threading.Lock()

    def serve(self, form: str, slug: str, purpose: str, sequence: int) -> PublishedList:
        """The current ``form`` of a list: stored, or signed now (and stored) when the stored one is not current."""
        if form != COMBINED:
            current = self._current(form, slug, purpose, sequence)
            if current is not None:
                return current
        published = self._publish(form, slug, purpose, sequence, fresh_for=SERVE_UNTIL, read=True)
        assert published is not None
        return published

    def kept(self, form: str, slug: str, purpose: str, sequence: int) -> PublishedList | None:
        """What :meth:`serve` would answer when this process can tell without the database: the probe's answer is
        kept and nothing was committed since (:func:`kept_probe`), and this process holds a copy of the current
        form. None otherwise (then :meth:`serve` reads, or signs). For the event loop, which must not wait."""
        if form == COMBINED:
            return None
        return self._current(form, slug, purpose, sequence, kept_only=True)

    def _current(
        self, form: str, slug: str, purpose: str, sequence: int, *, kept_only: bool = False
    ) -> PublishedList | None:
        """The stored ``form`` (``vc`` or ``token``) when one query (:func:`probe`) shows it current: signed for the
        list's revision with the key the organisation signs it with now (what :meth:`_look` would choose), and
        fresh; its body from this process's copy of that very version (its ETag) or read once. None otherwise
        (none stored, a change or a rotated key not yet signed, no such list): :meth:`_publish` decides then.
        ``kept_only``: answer only from what is kept (:meth:`kept`), or None."""
        if kept_only:
            box = kept_probe(self.database, slug, purpose, sequence, form)
            found = None if box is None else box[0]
        else:
            found = probe(self.database, slug, purpose, sequence, form)
        if found is None or found.stored is None:
            return None
        stored = found.stored
        try:
            if form == VC:
                kind = preferred_key_type(found.signing_suite, found.signing_key_type, found.signing_suite, None)
                suite = list_suite(found.signing_suite, kind)
            else:
                chosen = found.signing_suite, found.signing_key_type
                kind = preferred_key_type(*chosen, TOKEN_LIST_SUITE, KeyType.P256.value)
                suite = TOKEN_SUITE
        except InputError:  # a suite this version does not know: the full path says what is wrong
            return None
        key_id = found.current_keys.get(kind.value)
        if key_id is None or not _Version(found.revision, key_id, suite, "").matches(stored):
            return None
        if stored.expires_at is not None and self.clock() - stored.signed_at >= SERVE_UNTIL:
            return None
        copy = self._copy(form, found.list_id)
        if copy is not None and copy.etag == stored.etag:
            return copy
        if kept_only:
            return None
        body = stored_body(self.database, stored.id)
        if body is None:  # signed again and replaced since the probe: the full path reads it
            return None
        published = self._published(body, stored.etag, stored.media_type, stored.revision)
        self._keep(form, found.list_id, published)
        return published

    def _copy(self, form: str, list_id: int) -> PublishedList | None:
        with self._lock:
            copy = self._copies.get((form, list_id))
            if copy is not None:
                self._copies.move_to_end((form, list_id))
            return copy

    def _keep(self, form: str, list_id: int, published: PublishedList) -> None:
        """Keep ``published`` as this process's copy of the form (the least recently used copy goes past
        :data:`COPIES_KEPT`)."""
        with self._lock:
            self._copies[(form, list_id)] = published
            self._copies.move_to_end((form, list_id))
            while len(self._copies) > COPIES_KEPT:
                self._copies.popitem(last=False)

    def sign_changed(self, list_id: int) -> int:
        """Task ``status.sign``: the credential of list ``list_id`` and every stored form of its organisation that
        is no longer current; how many were signed."""
        with self.database.transaction(read_only=True) as session:
            repo = PublicationRepository(session)
            place = repo.list_place(list_id)
            if place is None:
                return 0
            forms = repo.forms(place.organisation_id)
        return self._refresh([place, *(f for f in forms if f != place)])

    def resign_due(self) -> int:
        """Periodic task ``status.resign``: every stored form that is no longer current (a rotated key) and every
        token past half its lifetime; how many were signed."""
        with self.database.transaction(read_only=True) as session:
            forms = PublicationRepository(session).forms()
        return self._refresh(forms)

    def _refresh(self, forms: Iterable[StoredForm]) -> int:
        signed = 0
        for place in forms:
            purpose = COMBINED if place.form == COMBINED else place.purpose
            try:
                published = self._publish(
                    place.form, place.slug, purpose, place.sequence, fresh_for=RESIGN_AFTER, read=False
                )
            except Exception:  # one organisation's trouble (a key that cannot be opened) must not stop the others
                log.exception("could not sign %s of %s/%s/%s", place.form, place.slug, purpose, place.sequence)
                continue
            signed += published is not None
        return signed

    # -- one form -----------------------------------------------------------------------------------

    def _publish(
        self, form: str, slug: str, purpose: str, sequence: int, *, fresh_for: timedelta, read: bool
    ) -> PublishedList | None:
        """The form, signed and stored unless the stored one is current and younger than ``fresh_for``; when it
        is, its body (``read``) or None."""
        now = self.clock()
        current, draft = self._look(form, slug, purpose, sequence, now=now, fresh_for=fresh_for, read=read)
        if draft is None:
            return current
        published, expires_at = self._sign(draft, now)
        with self.database.transaction() as session:
            PublicationRepository(session).save(
                list_id=draft.list_id,
                form=form,
                revision=draft.version.revision,
                key_id=draft.version.key_id,
                suite=draft.version.suite,
                suspensions=draft.version.suspensions,
                body=published.body,
                etag=published.etag,
                media_type=published.media_type,
                signed_at=now if expires_at is None else expires_at - TOKEN_LIFETIME,
                expires_at=expires_at,
            )
        self._keep(form, draft.list_id, published)
        return published

    def _look(
        self,
        form: str,
        slug: str,
        purpose: str,
        sequence: int,
        *,
        now: datetime,
        fresh_for: timedelta,
        read: bool,
    ) -> tuple[PublishedList | None, _Draft | None]:
        """The stored form when it is current (None unless ``read``), or what to sign; as a writer (it may make the
        organisation's first key of a type, and what it drafts is signed and stored next)."""
        with self.database.transaction() as session:
            org = OrganisationRepository(session).row(slug)
            if org is None:
                raise NotFoundError(f"no organisation '{slug}'")
            repo = PublicationRepository(session)
            state = repo.state(org.id, "revocation" if form == COMBINED else purpose, sequence, form)
            if state is None:
                named = "status" if form == COMBINED else purpose
                raise NotFoundError(f"no {named} list {sequence} for '{slug}'")
            version, signing = self._version(session, org, form, state.revision)
            stored = state.stored
            fresh = stored is not None and (stored.expires_at is None or now - stored.signed_at < fresh_for)
            if stored is not None and fresh and version.matches(stored):
                return (self._read(repo, form, state.list_id, stored) if read else None), None
            return None, self._draft(session, org, form, purpose, sequence, state.list_id, version, signing)

    def _version(self, session: Session, org: OrganisationRow, form: str, revision: int) -> tuple[_Version, SigningKey]:
        if form == VC:
            signing = self.keys.signing_key(session, org)
            return _Version(revision, signing.key_row_id, list_suite(suite_of(org), signing.key.kind), ""), signing
        signing = self.keys.signing_key(session, org, suite=TOKEN_LIST_SUITE, key_type=KeyType.P256.value)
        suspensions = ""
        if form == COMBINED:
            suspensions = ",".join(map(str, StatusListRepository(session).revisions(org.id, "suspension")))
        return _Version(revision, signing.key_row_id, TOKEN_SUITE, suspensions), signing

    def _read(self, repo: PublicationRepository, form: str, list_id: int, stored: Stored) -> PublishedList:
        copy = self._copy(form, list_id)
        if copy is not None and copy.etag == stored.etag:
            return copy
        body = repo.body(stored.id)
        assert body is not None
        published = self._published(body, stored.etag, stored.media_type, stored.revision)
        self._keep(form, list_id, published)
        return published

    def _draft(
        self,
        session: Session,
        org: OrganisationRow,
        form: str,
        purpose: str,
        sequence: int,
        list_id: int,
        version: _Version,
        signing: SigningKey,
    ) -> _Draft:
        """What ``form`` is signed from. The bits are read after the version, so they are never older than it."""
        repo = StatusListRepository(session)
        row = repo.find(org.id, "revocation" if form == COMBINED else purpose, sequence)
        assert row is not None
        data = row.bits
        if form == TOKEN:
            data = from_bitstring(row.bits)
        elif form == COMBINED:
            data = revocation_and_suspension(row.bits, repo.suspended_on(list_id))
        version = _Version(row.revision, version.key_id, version.suite, version.suspensions)
        return _Draft(form, org.slug, purpose, sequence, list_id, version, signing, data, row.updated_at)

    def _sign(self, draft: _Draft, now: datetime) -> tuple[PublishedList, datetime | None]:
        """Sign a draft: the published form and, for a token, its ``exp``."""
        signing, version, url = draft.signing, draft.version, self.url(draft.slug, draft.purpose, draft.sequence)
        if draft.form == VC:
            credential = status_list_credential(
                url=url,
                issuer=self.keys.did(draft.slug),
                purpose=draft.purpose,
                status_list=BitstringStatusList.from_bytes(draft.data),
                valid_from=draft.updated_at,
                ttl_ms=self.max_age * 1000,
            )
            signed = issue(
                credential,
                key=signing.key,
                suite=version.suite,
                created=draft.updated_at,
                verification_method=signing.verification_method,
            )
            body = json.dumps(signed, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            etag = f'W/"{draft.list_id}.{version.revision}.{version.key_id}"'
            return self._published(body, etag, MEDIA_TYPE, version.revision), None
        issued = now.replace(microsecond=0)
        token = sign_status_list_token(
            draft.data,
            uri=url + "/token",
            issuer=self.keys.did(draft.slug),
            key=signing.key,
            kid=signing.verification_method,
            iat=issued,
            exp=issued + TOKEN_LIFETIME,
            ttl=self.max_age,
            bits=2 if draft.form == COMBINED else 1,
        )
        tag = f"t{version.revision}"
        if draft.form == COMBINED:
            tag = f"c{version.revision}.{sum(int(r) for r in version.suspensions.split(',') if r)}"
        etag = f'W/"{draft.list_id}.{tag}.{version.key_id}.{int(issued.timestamp())}"'
        published = self._published(token.encode("ascii"), etag, TOKEN_MEDIA_TYPE, version.revision)
        return published, issued + TOKEN_LIFETIME

    def _published(self, body: bytes, etag: str, media_type: str, revision: int) -> PublishedList:
        control = f"public, max-age={self.max_age}"
        return PublishedList(body=body, etag=etag, media_type=media_type, cache_control=control, revision=revision)
