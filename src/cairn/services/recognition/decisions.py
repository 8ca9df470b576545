"""Deciding on recognition applications: the reviewer's decision (full, partial with its ECTS, or a refusal, the
substantial differences stated for a partial recognition or a refusal, as the Lisbon Recognition Convention asks),
requests for more information and the learner's answers, the learner's appeal, and the decision issued as a signed
Open Badges 3.0 credential from the institution. Every step is audited. :meth:`Decisions.measures` gives the
numbers the analytics issue reads."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
import statistics
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from cairn.errors import CairnError, ConflictError, InputError, NotFoundError
from cairn.formats.recognition import LANGUAGES, Counted, decision_credential
from cairn.model.types import pick
from cairn.services.issuing.api import ApiIssuingService
from cairn.services.issuing.status_lists import StatusListService
from cairn.services.pathways.service import PathwayService
from cairn.services.recognition.documents import RecognitionStore
from cairn.services.recognition.records import (
    APPEALED,
    AUTOMATIC,
    DECIDED,
    DECISIONS,
    MORE_INFO,
    OPEN,
    REVIEW,
    ApplicationView,
    decision_key,
    view_of,
)
from cairn.services.verification.service import VerificationService
from cairn.services.wallet.service import WalletService
from cairn.store.audit import AuditRepository
from cairn.store.catalog.repository import OrganisationRepository
from cairn.store.database import Database
from cairn.store.recognition.repository import RecognitionRepository
from cairn.store.tables import RecognitionApplicationRow

__all__ = [
    "MAX_ACCESS_KEY",
    "MAX_APPEALS",
    "MAX_TEXT",
    "REVIEW_PERIOD",
    "Decisions",
    "RecognitionMeasures",
    "access_hash",
    "new_access_key",
]

REVIEW_PERIOD: Final = timedelta(days=30)
"""How long an institution has to decide an application (or an appeal)."""
MAX_APPEALS: Final = 1
"""Appeals of one application (the appeal's decision is final here; further recourse is outside Cairn)."""
MAX_TEXT: Final = 2000
MAX_DIFFERENCES: Final = 20
MAX_ACCESS_KEY: Final = 100
"""Longest access key looked at (one :func:`new_access_key` makes is 43 characters)."""


def new_access_key() -> str:
    """A random access key for an applicant without a Cairn account (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def access_hash(key: str) -> str:
    """What is kept of an access key: its SHA-256, in hex."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class RecognitionMeasures:
    """An institution's recognition in numbers."""

    applications: int
    decided: int
    recognised_share: float | None
    """Of the applications decided, the share recognised (fully or partly); None when none is decided."""
    automatic_share: float | None
    """Of the applications decided, the share decided at once (by the rules or a precedent)."""
    median_days_to_decision: float | None
    most_recognised: tuple[tuple[str, int], ...]
    """The micro-credentials (this instance's definitions, else the achievements) counted most in recognitions."""


def _text(value: object, most: int = MAX_TEXT) -> str:
    return value.strip()[:most] if isinstance(value, str) else ""


class Decisions:
    """The reviewer's and the learner's actions on applications, and the decision credential."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime],
        store: RecognitionStore,
        pathways: PathwayService,
        verification: VerificationService,
        api_issuing: ApiIssuingService,
        status_lists: StatusListService,
        wallet: WalletService,
        secret: Callable[[], bytes],
        public_url: str,
        review_period: timedelta = REVIEW_PERIOD,
    ) -> None:
        self.database = database
        self.clock = clock
        self.store = store
        self.pathways = pathways
        self.verification = verification
        self.api_issuing = api_issuing
        self.status_lists = status_lists
        self.wallet = wallet
        self.secret = secret
        self.public_url = public_url.rstrip("/")
        self.review_period = review_period

    # -- reading -------------------------------------------------------------------------------------

    def get(self, public_id: str, *, organisation: str | None = None) -> ApplicationView:
        """The application ``public_id`` (made to ``organisation`` when given); NotFoundError otherwise."""
        with self.database.transaction(read_only=True) as session:
            repo = RecognitionRepository(session)
            row = repo.application(public_id) if isinstance(public_id, str) else None
            if row is None:
                raise NotFoundError("no such application")
            view = view_of(row, repo.slugs(row))
        if organisation is not None and view.institution != organisation:
            raise NotFoundError("no such application")
        return view

    def with_key(self, public_id: str, key: str) -> ApplicationView:
        """The application ``public_id`` when ``key`` is its access key (given once, on applying with a
        presentation); NotFoundError otherwise, the same as for an application that does not exist."""
        view = self.get(public_id)
        with self.database.transaction(read_only=True) as session:
            stored = self._row(session, view.public_id).access_hash
        if not _key_matches(stored, key):
            raise NotFoundError("no such application")
        return view

    def queue(self, organisation: str, *, states: Sequence[str] = OPEN) -> list[ApplicationView]:
        """The applications waiting in ``organisation``'s queue (in ``states``), the nearest deadline first."""
        with self.database.transaction(read_only=True) as session:
            org = OrganisationRepository(session).row(organisation)
            if org is None:
                return []
            repo = RecognitionRepository(session)
            return [view_of(r, repo.slugs(r)) for r in repo.queue(org.id, list(states))]

    def of_account(self, account_id: int) -> list[ApplicationView]:
        """The applications made from the wallet of ``account_id``, newest first."""
        with self.database.transaction(read_only=True) as session:
            repo = RecognitionRepository(session)
            return [view_of(r, repo.slugs(r)) for r in repo.of_account(account_id)]

    # -- the reviewer --------------------------------------------------------------------------------

    def decide(
        self,
        public_id: str,
        *,
        organisation: str,
        decision: str,
        actor: str,
        ects: float | None = None,
        differences: Iterable[str] = (),
        reason: str = "",
    ) -> ApplicationView:
        """Decide an application in the queue (or an appeal): ``full`` (the ECTS of a full recognition unless
        ``ects`` says fewer is not allowed: give ``partial``), ``partial`` (``ects`` required, fewer than a full
        recognition's) or ``refused``. A partial recognition and a refusal state the substantial ``differences``.
        A full or partial decision is issued to the learner as a signed credential; a decision on appeal that
        changes it revokes the credential issued before."""
        view = self.get(public_id, organisation=organisation)
        if view.state not in (REVIEW, APPEALED):
            raise ConflictError("this application is not waiting for a decision")
        if decision not in DECISIONS:
            raise InputError("decide full, partial or refused")
        stated = [d for d in (_text(d, 1000) for d in list(differences)[:MAX_DIFFERENCES]) if d]
        full = view.full_ects
        if decision == "full":
            given = full
        elif decision == "partial":
            if ects is None or isinstance(ects, bool) or not isinstance(ects, int | float) or not ects > 0:
                raise InputError("give the ECTS recognised in part")
            if full and ects >= full:
                raise InputError("a partial recognition gives fewer than %(full)s ECTS", full=f"{full:g}")
            given = float(ects)
        else:
            given = 0.0
        if decision != "full" and not stated:
            raise InputError(
                "state the substantial differences: a partial recognition or a refusal names them "
                "(Lisbon Recognition Convention, art. VI.1)"
            )
        return self._take(view.public_id, decision, given, stated, _text(reason), actor=actor, automatic=False)

    def request_information(self, public_id: str, *, organisation: str, message: str, actor: str) -> ApplicationView:
        """Ask the learner for more information; the deadline stops running until they answer."""
        view = self.get(public_id, organisation=organisation)
        if view.state not in (REVIEW, APPEALED):
            raise ConflictError("this application is not waiting for a decision")
        text = _text(message)
        if not text:
            raise InputError("say what information you need")
        with self.database.transaction() as session:
            row = self._row(session, view.public_id)
            now = self.clock()
            self._say(row, now, actor, "request", text)
            row.state, row.updated_at = MORE_INFO, now
            AuditRepository(session).append(
                at=now, actor=actor, action="recognition.request-information", subject=row.public_id, details={}
            )
        return self.get(view.public_id)

    # -- the learner ---------------------------------------------------------------------------------

    def respond(
        self,
        public_id: str,
        message: str,
        *,
        account_id: int | None = None,
        holder: str | None = None,
        key: str | None = None,
    ) -> ApplicationView:
        """The learner answers a request for information (``account_id``, ``holder`` or the access ``key`` must be
        the applicant's); the application goes back to the queue, its deadline moved by the time the answer took."""
        view = self._own(public_id, account_id, holder, key)
        if view.state != MORE_INFO:
            raise ConflictError("nobody asked for more information on this application")
        text = _text(message)
        if not text:
            raise InputError("write your answer")
        with self.database.transaction() as session:
            row = self._row(session, view.public_id)
            now = self.clock()
            asked = max((_at(m) for m in row.messages.get("items") or () if m.get("kind") == "request"), default=now)
            self._say(row, now, row.holder, "response", text)
            row.state = APPEALED if row.appeals else REVIEW
            if row.deadline is not None:
                row.deadline = row.deadline + max(now - asked, timedelta(0))
            row.updated_at = now
            AuditRepository(session).append(
                at=now, actor=row.holder, action="recognition.respond", subject=row.public_id, details={}
            )
        return self.get(view.public_id)

    def appeal(
        self,
        public_id: str,
        reason: str,
        *,
        account_id: int | None = None,
        holder: str | None = None,
        key: str | None = None,
    ) -> ApplicationView:
        """The learner appeals a decision (``reason`` required; ``account_id``, ``holder`` or the access ``key``
        must be the applicant's): the application goes back to the queue with a new deadline; the decision stands
        until the reviewer decides again."""
        view = self._own(public_id, account_id, holder, key)
        if view.state not in (DECIDED, AUTOMATIC):
            raise ConflictError("only a decision can be appealed")
        if view.appeals >= MAX_APPEALS:
            raise ConflictError("this decision was taken on appeal already")
        text = _text(reason)
        if not text:
            raise InputError("say why you appeal")
        with self.database.transaction() as session:
            row = self._row(session, view.public_id)
            now = self.clock()
            self._say(row, now, row.holder, "appeal", text)
            row.state, row.appeals, row.updated_at = APPEALED, row.appeals + 1, now
            row.deadline = now + self.review_period
            AuditRepository(session).append(
                at=now,
                actor=row.holder,
                action="recognition.appeal",
                subject=row.public_id,
                details={"decision": row.decision},
            )
        return self.get(view.public_id)

    # -- deciding and issuing ------------------------------------------------------------------------

    def _take(
        self,
        public_id: str,
        decision: str,
        ects: float,
        differences: Sequence[str],
        reason: str,
        *,
        actor: str,
        automatic: bool,
        precedent_of: str | None = None,
    ) -> ApplicationView:
        """Record ``decision`` on the application, issue its credential (full or partial) and revoke the one a
        changed decision replaces."""
        with self.database.transaction() as session:
            row = self._row(session, public_id)
            now = self.clock()
            unchanged = (row.decision, row.ects) == (decision, ects) and row.award_id is not None
            superseded = row.award_id if row.award_id is not None and not unchanged else None
            appeal = row.appeals > 0
            row.state = AUTOMATIC if automatic else DECIDED
            row.decision, row.ects, row.reason = decision, ects, reason or None
            row.differences = {"items": list(differences)}
            row.reviewer, row.decided_at, row.updated_at, row.automatic = actor, now, now, automatic
            row.precedent_of = precedent_of or row.precedent_of
            row.precedent_key = decision_key(row.assessment, version=row.rules_version, decision=decision, ects=ects)
            if superseded is not None:
                row.award_id = None
            AuditRepository(session).append(
                at=now,
                actor=actor,
                action="recognition.decide",
                subject=row.public_id,
                details={
                    "decision": decision,
                    "ects": ects,
                    "automatic": automatic,
                    "appeal": appeal,
                    "precedent_of": precedent_of,
                },
            )
        if superseded is not None:
            self.status_lists.revoke(superseded, reason="replaced by the decision on appeal", actor=actor)
        if decision != "refused" and not unchanged:
            self._issue(public_id, actor=actor)
        return self.get(public_id)

    def _issue(self, public_id: str, *, actor: str) -> None:
        """Sign the decision credential from the institution to the learner, keep it as the institution's award,
        and put it in the learner's wallet when they applied from Cairn's."""
        with self.database.transaction(read_only=True) as session:
            row = self._row(session, public_id)
            repo = RecognitionRepository(session)
            rules_slug, _, org_slug = repo.slugs(row)
            items = [i for i in row.presented.get("items") or () if isinstance(i, Mapping) and i.get("counted")]
            holder, decision, ects = row.holder, str(row.decision), float(row.ects or 0.0)
            version, account_id = row.rules_version, row.account_id
            full = float(row.assessment.get("full_ects") or 0.0)
            differences = [str(d) for d in row.differences.get("items") or ()]
            asked = row.language
        rules = self.store.rules(rules_slug, version, drafts=True)
        course, institution = rules.course.course, rules.institution
        # the learner's language when the credential can be written in it, else the course's first
        language = asked if asked in LANGUAGES else next(iter(course.title))
        issuer = {
            "id": self.api_issuing.keys.did(org_slug),
            "type": ["Profile"],
            "name": pick(institution.legal_name, language)[1],
        }
        credential_id = f"urn:uuid:{uuid.uuid4()}"
        document = decision_credential(
            credential_id=credential_id,
            issuer=issuer,
            holder=holder,
            decision=decision,
            ects=ects,
            full_ects=full,
            course_id=course.id,
            course_title=pick(course.title, language)[1],
            course_url=f"{self.public_url}/recognition/courses/{course.id}",
            rules_id=rules.slug,
            rules_version=version,
            rules_title=pick(rules.rules.title, language)[1],
            rules_url=f"{self.public_url}/recognition/rules/{rules.slug}/versions/{version}",
            counted=[
                Counted(
                    str(i.get("id")),
                    str(i.get("title") or i.get("id")),
                    str(i.get("issuer") or i.get("issuer_id") or ""),
                    str(i.get("digest") or ""),
                    str(i.get("media_type") or "application/vc"),
                )
                for i in items
            ],
            issued=self.clock(),
            differences=differences if decision == "partial" else (),
            language=language,
        )
        signed = self.api_issuing.issue(document, organisation=org_slug, suite=None, actor=actor)
        award_id = self.api_issuing.award_id_for(credential_id, organisation=org_slug)
        with self.database.transaction() as session:
            row = self._row(session, public_id)
            row.award_id = award_id
            AuditRepository(session).append(
                at=self.clock(),
                actor=actor,
                action="recognition.credential",
                subject=row.public_id,
                details={"award": award_id},
            )
        if account_id is not None:
            held = signed.get("id", "") if signed.get("type") == "EnvelopedVerifiableCredential" else None
            text = str(held).split(",", 1)[-1] if held else json.dumps(signed)
            # the wallet may refuse it (erased meanwhile): the decision stands, and the learner can fetch it
            with contextlib.suppress(CairnError):
                self.wallet.import_credential(account_id, text, source="recognition")

    # -- measures ------------------------------------------------------------------------------------

    def measures(self, organisation: str) -> RecognitionMeasures:
        """``organisation``'s applications, the share recognised and decided at once, the median time to a
        decision, and the micro-credentials recognised most."""
        with self.database.transaction(read_only=True) as session:
            org = OrganisationRepository(session).row(organisation)
            rows = RecognitionRepository(session).of_organisation(org.id) if org is not None else []
            done = [r for r in rows if r.state in (DECIDED, AUTOMATIC) and r.decided_at is not None]
            recognised = [r for r in done if r.decision in ("full", "partial")]
            counted: Counter[str] = Counter()
            for r in recognised:
                for item in r.presented.get("items") or ():
                    if isinstance(item, Mapping) and item.get("counted"):
                        counted[str(item.get("definition") or item.get("achievement") or item.get("title"))] += 1
            days = [(r.decided_at - r.created_at).total_seconds() / 86400 for r in done if r.decided_at]
            return RecognitionMeasures(
                applications=len(rows),
                decided=len(done),
                recognised_share=len(recognised) / len(done) if done else None,
                automatic_share=sum(1 for r in done if r.automatic) / len(done) if done else None,
                median_days_to_decision=statistics.median(days) if days else None,
                most_recognised=tuple(counted.most_common(5)),
            )

    # -- helpers -------------------------------------------------------------------------------------

    def _row(self, session: Any, public_id: str) -> RecognitionApplicationRow:
        row = RecognitionRepository(session).application(public_id)
        if row is None:
            raise NotFoundError("no such application")
        return row

    def _own(
        self, public_id: str, account_id: int | None, holder: str | None, key: str | None = None
    ) -> ApplicationView:
        """The application, when ``account_id``, ``holder`` or the access ``key`` is its applicant's; NotFoundError
        otherwise."""
        view = self.get(public_id)
        with self.database.transaction(read_only=True) as session:
            row = self._row(session, view.public_id)
            mine = (
                (account_id is not None and row.account_id == account_id)
                or (bool(holder) and holder == row.holder)
                or (key is not None and _key_matches(row.access_hash, key))
            )
        if not mine:
            raise NotFoundError("no such application")
        return view

    @staticmethod
    def _say(row: RecognitionApplicationRow, now: datetime, by: str, kind: str, text: str) -> None:
        items = [*(row.messages.get("items") or ()), {"at": now.isoformat(), "by": by, "kind": kind, "text": text}]
        row.messages = {"items": items}


def _key_matches(stored: str | None, key: object) -> bool:
    """Whether ``key`` is the access key whose hash is ``stored``, compared in constant time."""
    if not stored or not isinstance(key, str) or not key or len(key) > MAX_ACCESS_KEY:
        return False
    return hmac.compare_digest(access_hash(key).encode(), stored.encode())


def _at(message: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(message.get("at")))
