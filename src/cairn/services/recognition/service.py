"""Applying for recognition of micro-credentials under an institution's rules.

A learner applies from Cairn's wallet (the credentials they choose, each verified again now on the one
verification path) or with a Verifiable Presentation from any wallet, bound to a challenge this service gave for
the rules and used once; the presentation's holder is the applicant and a credential about someone else never
counts. What makes a credential count comes from verification, never from text its signer wrote: valid from the
report, the issuer's accreditation from the trust network, a definition of this instance only when one of its
organisations signed it (the pathways' :func:`facts_for`).

The rule engine (:func:`cairn.model.recognition.assess`) then proposes a decision. Rules that say
``review: automatic`` decide a positive outcome at once. Otherwise a **precedent** may: the same evidence under
the same rules version (:func:`~cairn.model.recognition.evidence_key`) recognised before is recognised again, at
once, with the same ECTS (a refusal is never repeated without a person: the application waits, naming the
precedent). Neither decides alone when a credential counted comes from an issuer nobody this instance trusts
vouches for (what such an issuer states about level or skills is its own word): a person does. Else the
application waits in the institution's queue with a deadline. Deciding, asking for
information, answering and appealing are :class:`~cairn.services.recognition.decisions.Decisions`'.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

from sqlalchemy.exc import IntegrityError

from cairn.errors import CredentialError, InputError, NotFoundError
from cairn.formats.composite import component_digest
from cairn.formats.facts import Facts
from cairn.model.recognition import MAX_PRESENTED, assess, evidence_key
from cairn.phrases import Phrase
from cairn.services.pathways.service import facts_for, trusted_scopes
from cairn.services.recognition.checking import APPLY, CHECK, CheckedCredential, PresentationCheck, Purpose, SkillCover
from cairn.services.recognition.decisions import Decisions, access_hash, new_access_key
from cairn.services.recognition.documents import RulesView
from cairn.services.recognition.records import AUTOMATIC, DECIDED, REVIEW, ApplicationView, assessment_json
from cairn.services.wallet.records import status_of
from cairn.store.audit import AuditRepository, lock_chain
from cairn.store.catalog.repository import OrganisationRepository
from cairn.store.recognition.repository import RecognitionRepository
from cairn.store.tables import RecognitionApplicationRow
from cairn.store.wallet.repository import WalletRepository
from cairn.vc.holder import HOLDER
from cairn.vc.proofs.jose import is_compact_jws
from cairn.vc.report import Outcome, Report

__all__ = ["APPLICANT_LANGUAGES", "CHALLENGE_LIFETIME", "RecognitionService"]

CHALLENGE_LIFETIME: Final = 600
"""Seconds a challenge stays good."""
APPLICANT_LANGUAGES: Final = ("en", "pl")
"""The languages an applicant may give (kept for the decision credential's texts); anything else is ``en``."""
_PRESENTATIONS: Final = ("presentation", "vp-jwt", "enveloped-presentation", "enveloped-vp-jwt")


def _held(original: str, document: Mapping[str, Any]) -> Mapping[str, Any] | str:
    """A wallet credential as its holder keeps it: the JWT, the JSON credential, else the document read from it."""
    text = original.strip()
    if is_compact_jws(text):
        return text
    try:
        parsed = json.loads(text)
    except ValueError:
        return document
    return parsed if isinstance(parsed, dict) else document


def _digest(held: Mapping[str, Any] | str, document: Mapping[str, Any]) -> str:
    for form in (held, document):
        try:
            return component_digest(form)
        except CredentialError:
            continue
    return ""


def _judged(
    report: Report,
    document: Mapping[str, Any],
    theirs: bool,
    lookup: Any,
    own_definition: Any,
) -> tuple[Facts, str, tuple[Any, ...]]:
    """What a presented credential counts as, from its verification report (never from what its signer wrote):
    its facts, ``"valid"`` or why not (its status, or "about someone else"), the scopes its issuer is trusted for."""
    status = status_of(report)
    why = "about someone else" if status == "valid" and not theirs else status
    scopes = tuple(trusted_scopes(report, lookup)) if why == "valid" else ()
    found = facts_for(
        document,
        valid=why == "valid",
        invalid_reason="" if why == "valid" else why,
        scopes=scopes,
        own_definition=own_definition,
    )
    return found, why, scopes


_CHECKED: Final = "recognition.check"
"""The audit action of an employer's check of a presentation: its subject names the challenge it used up."""


def _check_subject(challenge: str) -> str:
    return "challenge:" + hashlib.sha256(challenge.encode()).hexdigest()


def _check_used(audit: AuditRepository, challenge: str) -> bool:
    """Whether a check used ``challenge`` already: only the audit entries after the one its nonce names are read."""
    floor = challenge.split(".")[1].split("-")[0]
    after = int(floor) if floor.isdigit() and len(floor) < 19 else 0
    return audit.recorded(action=_CHECKED, subject=_check_subject(challenge), after=after)


def _vouched(report: Report, scopes: Sequence[Any]) -> bool:
    """Whether the issuer of a valid credential is vouched for: by the trust network, or one of this instance's
    own organisations (its key resolved here)."""
    return bool(scopes) or (isinstance(report.trust, Mapping) and report.trust.get("issued_here") is True)


class RecognitionService(Decisions):
    """Recognition applications: challenges, applying from the wallet or with a presentation, precedents, and
    (inherited) the review, the appeal, the decision credential and the measures."""

    @property
    def domain(self) -> str:
        """The domain a presentation to this instance is bound to: its public URL."""
        return self.public_url

    # -- challenges ----------------------------------------------------------------------------------

    def challenge(self, rules_slug: str, *, purpose: Purpose = APPLY) -> str:
        """A challenge for applying under rules ``rules_slug`` (``purpose`` ``check``: for an employer's
        :meth:`check_presentation`): it names the rules and its purpose, expires after :data:`CHALLENGE_LIFETIME`
        seconds and is good once."""
        self.store.rules(rules_slug)
        expires = int(self.clock().timestamp()) + CHALLENGE_LIFETIME
        nonce = uuid.uuid4().hex
        if purpose == CHECK:  # where in the audit log a use of it can be, at the earliest
            with self.database.transaction(read_only=True) as session:
                nonce = f"{AuditRepository(session).last_id()}-{nonce}"
        return f"{expires}.{nonce}.{self._mac(rules_slug, expires, nonce, purpose)}"

    def _mac(self, slug: str, expires: int, nonce: str, purpose: Purpose = APPLY) -> str:
        kind = "recognition" if purpose == APPLY else "recognition-check"
        message = f"{kind}|{slug}|{expires}|{nonce}".encode()
        return hmac.new(self.secret(), message, hashlib.sha256).hexdigest()[:32]

    def _check_challenge(self, slug: str, challenge: object, purpose: Purpose = APPLY) -> str:
        parts = challenge.split(".") if isinstance(challenge, str) and len(challenge) < 200 else []
        if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) > 12:
            raise InputError("this is not a challenge this instance gave: ask for a new one")
        expires, nonce, mac = int(parts[0]), parts[1], parts[2]
        if not hmac.compare_digest(mac, self._mac(slug, expires, nonce, purpose)):
            raise InputError("this challenge was given for other rules or by another instance: ask for a new one")
        if expires < self.clock().timestamp():
            raise InputError("this challenge has expired: ask for a new one")
        assert isinstance(challenge, str)
        with self.database.transaction(read_only=True) as session:
            used = (
                RecognitionRepository(session).challenge_used(challenge)
                if purpose == APPLY
                else _check_used(AuditRepository(session), challenge)
            )
        if used:
            raise InputError("this challenge was used already: ask for a new one")
        return challenge

    # -- applying ------------------------------------------------------------------------------------

    def apply_from_wallet(
        self, account_id: int, rules_slug: str, credential_ids: Sequence[str], *, language: str = "en"
    ) -> ApplicationView:
        """Apply under rules ``rules_slug`` with credentials of the wallet of ``account_id`` (their ids in the
        wallet). Each is verified again now; only those the wallet matched to its holder can count. ``language``:
        the applicant's (:data:`APPLICANT_LANGUAGES`), kept with the application."""
        view = self.store.rules(rules_slug)
        ids = list(dict.fromkeys(i for i in credential_ids if isinstance(i, str))) if credential_ids else []
        if not ids:
            raise InputError("choose at least one credential to present")
        if len(ids) > MAX_PRESENTED:
            raise InputError("present at most %(n)s credentials", n=str(MAX_PRESENTED))
        with self.database.transaction(read_only=True) as session:
            wallet = WalletRepository(session).by_account(account_id)
            if wallet is None:
                raise NotFoundError("open your wallet first")
            rows = [WalletRepository(session).credential(wallet.id, i) for i in ids]
            if any(r is None for r in rows):
                raise NotFoundError("no such credential in your wallet")
            held = [(r.original, dict(r.document), r.holder_match == HOLDER) for r in rows if r is not None]
            own_definition = self.pathways.own_definitions(session)
            holder = wallet.did
        lookup = self.verification.trust.index().lookup
        facts: list[Facts] = []
        items: list[dict[str, Any]] = []
        for original, stored, theirs in held:
            report = self.verification.verify(original)
            document = report.credential or stored
            found, why, scopes = _judged(report, document, theirs, lookup, own_definition)
            kept = _held(original, document)
            digest = _digest(kept, document)
            credential_id = str(document.get("id") or "") or digest
            facts.append(replace(found, credential_id=credential_id, holder=holder if theirs else found.holder))
            items.append(_item(found, credential_id, digest, kept, why, _vouched(report, scopes)))
        return self._apply(view, holder, account_id, facts, items, challenge=None, language=language)

    def apply_with_presentation(
        self, rules_slug: str, presentation: str | Mapping[str, Any], challenge: str, *, language: str = "en"
    ) -> ApplicationView:
        """Apply under rules ``rules_slug`` with a Verifiable Presentation bound to ``challenge`` (from
        :meth:`challenge`) and this instance's domain. The presentation's holder is the applicant; a credential
        that names someone else does not count.

        The view answered carries the applicant's ``access_key``, this once (only its SHA-256 is kept): with it
        they read the application (:meth:`with_key`), answer and appeal (``key=``). Applying again with the same
        evidence answers the same application with a new key; the one before stops working."""
        view = self.store.rules(rules_slug)
        used = self._check_challenge(view.slug, challenge)
        holder, facts, items, _ = self._presented(presentation, used)
        return self._apply(view, holder, None, facts, items, challenge=used, language=language)

    def check_presentation(
        self,
        rules_slug: str,
        presentation: str | Mapping[str, Any],
        challenge: str,
        *,
        organisation: str | None = None,
        actor: str = "",
    ) -> PresentationCheck:
        """Check a candidate's Verifiable Presentation against rules ``rules_slug`` (an employer's job profile,
        typically) without applying: verified exactly as :meth:`apply_with_presentation` verifies, bound to a
        challenge of :meth:`challenge` with ``purpose="check"``, and assessed by the rule engine. Nothing is stored
        but the audit entry ``recognition.check`` that uses the challenge up. ``organisation``: the rules must be
        its own (else NotFoundError)."""
        view = self.store.rules(rules_slug)
        if organisation is not None and view.stored.organisation != organisation:
            raise NotFoundError("no such recognition rules of this organisation")
        used = self._check_challenge(view.slug, challenge, CHECK)
        holder, facts, items, reasons = self._presented(presentation, used)
        assessment = assess(view.rules, view.course.course, facts, self.clock(), holder=holder)
        results = {r.credential_id: r for r in assessment.credentials}
        checked = []
        for item, reason in zip(items, reasons, strict=True):
            result = results.get(str(item["id"]))
            valid = item["status"] == "valid"
            checked.append(
                CheckedCredential(
                    id=str(item["id"]),
                    title=str(item["title"]),
                    issuer=str(item["issuer"]),
                    issuer_id=str(item["issuer_id"]),
                    status=str(item["status"]),
                    reason=reason,
                    vouched=bool(item["trusted"]) and valid,
                    counted=str(item["id"]) in assessment.counted,
                    covers=result.covers if result is not None and valid else (),
                    explanation=result.explanation if result is not None else Phrase("what it states cannot be read"),
                )
            )
        skills = tuple(
            SkillCover(skill, tuple(c.id for c in checked if skill in c.covers)) for skill in assessment.skills.course
        )
        with self.database.transaction() as session:
            lock_chain(session)  # PostgreSQL: no other check (or any audit entry) in between
            audit = AuditRepository(session)
            if _check_used(audit, used):
                raise InputError("this challenge was used already: ask for a new one")
            audit.append(
                at=self.clock(),
                actor=actor or f"recognition-check:{view.slug}",
                action=_CHECKED,
                subject=_check_subject(used),
                details={
                    "rules": view.slug,
                    "version": view.version,
                    "holder": holder[:500],
                    "decision": assessment.decision,
                    "credentials": len(checked),
                },
            )
        return PresentationCheck(
            rules=view.slug,
            rules_version=view.version,
            course=view.course.course.id,
            course_type=view.course.course.type,
            institution=view.stored.organisation,
            holder=holder,
            credentials=tuple(checked),
            skills=skills,
            met=assessment.decision != "none",
            decision=assessment.decision,
            explanation=assessment.explanation,
            conditions=assessment.conditions,
            assessment=assessment,
        )

    def _presented(
        self, presentation: object, challenge: str
    ) -> tuple[str, list[Facts], list[dict[str, Any]], list[str]]:
        """Verify a presentation bound to ``challenge`` and this instance's domain on the one verification path:
        its holder, then each credential's facts and item (as an application keeps it) and, for one that did not
        verify, the first failed check's reason. InputError when the presentation itself does not verify."""
        if not isinstance(presentation, str | Mapping):
            raise InputError("send a Verifiable Presentation of your credentials")
        report = self.verification.verify(presentation, challenge=challenge, domain=self.domain)
        if report.format not in _PRESENTATIONS:
            raise InputError("send a Verifiable Presentation of your credentials")
        failed = [c for c in report.checks if c.outcome is Outcome.FAIL]
        if failed or report.outcome_of("proof") is not Outcome.PASS:
            reason = str(failed[0].reason) if failed else "the presentation is not signed"
            raise InputError("the presentation does not verify: %(reason)s", reason=reason)
        holder = str(report.subject.get("id") or "")
        if not holder or len(holder) > 2000:
            raise InputError("the presentation names no holder, so nobody can be recognised")
        if not report.credentials:
            raise InputError("choose at least one credential to present")
        if len(report.credentials) > MAX_PRESENTED:
            raise InputError("present at most %(n)s credentials", n=str(MAX_PRESENTED))
        lookup = self.verification.trust.index().lookup
        with self.database.transaction(read_only=True) as session:
            own_definition = self.pathways.own_definitions(session)
        facts: list[Facts] = []
        items: list[dict[str, Any]] = []
        reasons: list[str] = []
        seen: set[str] = set()
        for inner in report.credentials:
            document = inner.credential or {}
            digest = _digest(document, document) if document else ""
            credential_id = str(document.get("id") or "") or digest
            if not credential_id or credential_id in seen:
                continue
            seen.add(credential_id)
            theirs = str(inner.subject.get("id") or "") == holder
            found, why, scopes = _judged(inner, document, theirs, lookup, own_definition)
            facts.append(replace(found, credential_id=credential_id))
            items.append(_item(found, credential_id, digest, document, why, _vouched(inner, scopes)))
            failing = [c for c in inner.checks if c.outcome is Outcome.FAIL]
            reasons.append(str(failing[0].reason) if failing and why != "valid" else "")
        return holder, facts, items, reasons

    def _apply(
        self,
        view: RulesView,
        holder: str,
        account_id: int | None,
        facts: list[Facts],
        items: list[dict[str, Any]],
        *,
        challenge: str | None,
        language: str,
    ) -> ApplicationView:
        now = self.clock()
        # an applicant with a presentation has no account: a key (kept hashed) lets them follow the application
        access_key = new_access_key() if account_id is None else None
        hashed = access_hash(access_key) if access_key is not None else None
        assessment = assess(view.rules, view.course.course, facts, now, holder=holder)
        digests = {str(i["id"]): str(i["digest"]) for i in items}
        key = evidence_key(assessment, version=view.version, digests=digests)
        counted = set(assessment.counted)
        for item in items:
            item["counted"] = item["id"] in counted
        # what an issuer nobody vouches for states is read, but only a person recognises it
        vouched = all(item["trusted"] for item in items if item["counted"])
        stored = {**assessment_json(assessment), "digests": digests}
        with self.database.transaction() as session:
            repo = RecognitionRepository(session)
            org = OrganisationRepository(session).row(view.stored.organisation)
            assert org is not None
            earlier = next((r for r in repo.of_holder(view.stored.id, holder) if r.evidence_key == key), None)
            if earlier is not None:  # the same evidence again: the same application (with a new key)
                earlier.access_hash = hashed or earlier.access_hash
                return replace(self.get(earlier.public_id), access_key=access_key)
            precedent = repo.precedent(key, [DECIDED, AUTOMATIC]) if assessment.evidence and vouched else None
            row = RecognitionApplicationRow(
                public_id=str(uuid.uuid4()),
                organisation_id=org.id,
                rules_id=view.stored.id,
                rules_version=view.version,
                course_id=view.course.stored.id,
                course_version=view.course.version,
                account_id=account_id,
                holder=holder,
                presented={"items": items},
                assessment=stored,
                state=REVIEW,
                deadline=now + self.review_period,
                differences={"items": []},
                messages={"items": []},
                automatic=False,
                appeals=0,
                evidence_key=key,
                precedent_of=precedent.public_id if precedent is not None else None,
                challenge=challenge,
                access_hash=hashed,
                language=language if language in APPLICANT_LANGUAGES else "en",
                created_at=now,
                updated_at=now,
            )
            try:
                with session.begin_nested():
                    repo.add(row)
            except IntegrityError:
                raise InputError("this challenge was used already: ask for a new one") from None
            AuditRepository(session).append(
                at=now,
                actor=holder,
                action="recognition.apply",
                subject=row.public_id,
                details={
                    "rules": view.slug,
                    "version": view.version,
                    "proposed": assessment.decision,
                    "vouched": vouched,
                },
            )
            public_id = row.public_id
            repeat = (
                (precedent.decision, float(precedent.ects or 0.0), list(precedent.differences.get("items") or ()))
                if precedent is not None and precedent.decision in ("full", "partial")
                else None
            )
            precedent_id = precedent.public_id if precedent is not None else None
        actor = f"recognition:{view.slug}"
        if assessment.automatic and vouched:
            decision = "full" if assessment.decision == "full" else "partial"
            differences = [str(d.explanation) for d in assessment.differences] if decision == "partial" else []
            done = self._take(public_id, decision, assessment.ects, differences, "", actor=actor, automatic=True)
        elif repeat is not None:
            decision, ects, differences = repeat
            done = self._take(
                public_id, decision, ects, differences, "", actor=actor, automatic=True, precedent_of=precedent_id
            )
        else:
            done = self.get(public_id)
        return replace(done, access_key=access_key)


def _item(
    found: Facts, credential_id: str, digest: str, held: Mapping[str, Any] | str, status: str, trusted: bool
) -> dict[str, Any]:
    return {
        "id": credential_id,
        "title": found.title,
        "issuer": found.issuer_name or found.issuer_id,
        "issuer_id": found.issuer_id,
        "achievement": found.achievement_id,
        "definition": found.definition,
        "digest": digest,
        "media_type": "application/vc+jwt" if isinstance(held, str) else "application/vc",
        "document": held if isinstance(held, str) else dict(held),
        "status": status,
        "trusted": trusted,
        "counted": False,
    }
