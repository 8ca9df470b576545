"""Claiming a pathway's composite credential, deciding on claims, and checking a composite again.

A learner presents the component credentials in a Verifiable Presentation signed by their wallet (Cairn's, which
signs one for them, or any other) bound to a challenge this service gave for the pathway. Each component is
verified on the one verification path (signature, status, validity, issuer trust); a component counts only when
it names the presentation's holder (or, from Cairn's own wallet, when the wallet matched it to its holder when it
was added). The pathway's rules are then evaluated: when they are met the target micro-credential is awarded at
once (``review: automatic``) or the claim waits for the issuer (``review: issuer``). One holder gets one composite
per pathway: claiming again gives the same award back.

:meth:`PathwayClaimService.check_composite` is how a composite is verified later: every component is verified
again with its current status, its digest compared, and the rules of the pathway version it was awarded under
evaluated again; the verification service adds the answer to the composite's report as its ``composite`` check.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final

from cairn.errors import ConflictError, InputError, NotFoundError
from cairn.formats.clr import clr_credential
from cairn.formats.composite import (
    component_digest,
    composite_parts,
    credential_document,
    digest_matches,
    read_composite,
)
from cairn.formats.facts import Facts
from cairn.model.awards import Recipient
from cairn.model.pathways import Evaluation, evaluate
from cairn.phrases import Phrase
from cairn.services.issuing.service import IssuingService
from cairn.services.pathways.service import PathwayService, PathwayView, facts_for, trusted_scopes
from cairn.services.verification.service import VerificationService
from cairn.services.wallet.records import status_of
from cairn.services.wallet.service import WalletService
from cairn.store.accounts.repository import AccountRepository
from cairn.store.audit import AuditRepository
from cairn.store.database import Database
from cairn.store.pathways.repository import PathwayRepository
from cairn.store.tables import OrganisationRow, PathwayClaimRow, PathwayRow
from cairn.store.wallet.repository import WalletRepository
from cairn.vc import issue
from cairn.vc.holder import HOLDER
from cairn.vc.report import Outcome, Report

__all__ = ["CHALLENGE_LIFETIME", "MAX_COMPONENTS", "ClaimView", "ComponentView", "PathwayClaimService"]

CHALLENGE_LIFETIME: Final = timedelta(minutes=10)
MAX_COMPONENTS: Final = 50
"""Credentials in one claim, at most."""
AWARDED, REVIEW, REFUSED = "awarded", "review", "refused"


@dataclass(frozen=True, slots=True)
class ComponentView:
    """One credential presented with a claim."""

    id: str
    title: str
    issuer: str
    digest: str
    counted: bool
    status: str


@dataclass(frozen=True, slots=True)
class ClaimView:
    """A claim of a pathway's composite credential."""

    public_id: str
    pathway: str
    version: int
    state: str
    holder: str
    award_id: str | None
    created_at: datetime
    decided_at: datetime | None
    reason: str | None
    explanation: Mapping[str, Any]
    """The evaluation's sentence as a stored :class:`~cairn.phrases.Phrase` (``say`` turns it into words)."""
    components: tuple[ComponentView, ...]
    met: bool


@dataclass(frozen=True, slots=True)
class _Checked:
    facts: list[Facts]
    components: list[dict[str, Any]]


class PathwayClaimService:
    """Composite claims: challenges, presentations, the issuer's review, and checking a composite again."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime],
        pathways: PathwayService,
        verification: VerificationService,
        issuing: IssuingService,
        wallet: WalletService,
        secret: Callable[[], bytes],
    ) -> None:
        self.database = database
        self.clock = clock
        self.pathways = pathways
        self.verification = verification
        self.issuing = issuing
        self.wallet = wallet
        self.secret = secret

    @property
    def domain(self) -> str:
        """The domain a presentation to this instance is bound to: its public URL."""
        return self.pathways.public_url

    # -- challenges ----------------------------------------------------------------------------------

    def challenge(self, slug: str) -> str:
        """A one-use-in-spirit challenge for claiming pathway ``slug``: it names the pathway and expires after
        :data:`CHALLENGE_LIFETIME` (stateless: an HMAC with the instance's secret)."""
        self.pathways.get(slug)
        expires = int((self.clock() + CHALLENGE_LIFETIME).timestamp())
        nonce = uuid.uuid4().hex
        return f"{expires}.{nonce}.{self._mac(slug, expires, nonce)}"

    def _mac(self, slug: str, expires: int, nonce: str) -> str:
        message = f"pathway-claim|{slug}|{expires}|{nonce}".encode()
        return hmac.new(self.secret(), message, hashlib.sha256).hexdigest()[:32]

    def _check_challenge(self, slug: str, challenge: str) -> None:
        parts = challenge.split(".") if len(challenge) < 200 else []
        if len(parts) != 3 or not parts[0].isdigit():
            raise InputError("this is not a challenge this instance gave: ask for a new one")
        expires, nonce, mac = int(parts[0]), parts[1], parts[2]
        if not hmac.compare_digest(mac, self._mac(slug, expires, nonce)):
            raise InputError("this challenge was given for another pathway or by another instance: ask for a new one")
        if expires < self.clock().timestamp():
            raise InputError("this challenge has expired: ask for a new one")

    # -- claiming ------------------------------------------------------------------------------------

    def claim_presentation(
        self, slug: str, presentation: str | Mapping[str, Any], *, challenge: str, account_id: int | None = None
    ) -> ClaimView:
        """Claim pathway ``slug``'s composite with a presentation bound to ``challenge`` and this instance's
        domain; see the module's description. ConflictError (with the evaluation's words) when the rules are not
        met; the claim (awarded, or waiting for review) otherwise."""
        view = self.pathways.get(slug)
        self._check_challenge(slug, challenge)
        report = self.verification.verify(presentation, challenge=challenge, domain=self.domain)
        if report.format not in ("presentation", "vp-jwt", "enveloped-presentation", "enveloped-vp-jwt"):
            raise InputError("send a Verifiable Presentation of the component credentials")
        failed = [c for c in report.checks if c.outcome is Outcome.FAIL]
        if failed or report.outcome_of("proof") is not Outcome.PASS:
            reason = str(failed[0].reason) if failed else "the presentation is not signed"
            raise InputError("the presentation does not verify: %(reason)s", reason=reason)
        holder = str(report.subject.get("id") or "")
        if not holder:
            raise InputError("the presentation names no holder, so nobody can be awarded the composite")
        if len(report.credentials) > MAX_COMPONENTS:
            raise InputError("present at most %(n)s credentials", n=str(MAX_COMPONENTS))
        own = self._own_ids(account_id)
        checked = self._check_components(report.credentials, holder=holder, own=own)
        return self._decide_claim(view, holder, account_id, checked)

    def claim_from_wallet(self, account_id: int, slug: str) -> ClaimView:
        """Claim from Cairn's own wallet: it presents the credentials the pathway counts (signed by the wallet's
        key, bound to a fresh challenge) and the claim goes the same way as any presentation."""
        progress = self.pathways.progress(account_id, slug=slug)
        if not progress or not progress[0].evaluation.used:
            raise ConflictError("none of your credentials counts towards this pathway yet")
        evaluation = progress[0].evaluation
        if not evaluation.met:
            raise ConflictError("the pathway is not complete yet: %(why)s", why=evaluation.explanation)
        challenge = self.challenge(slug)
        presentation = self.wallet.present(account_id, list(evaluation.used), challenge, self.domain, format="di")
        return self.claim_presentation(slug, presentation, challenge=challenge, account_id=account_id)

    def _own_ids(self, account_id: int | None) -> set[str]:
        """The ids of the credentials the wallet of ``account_id`` matched to its holder when they were added."""
        if account_id is None:
            return set()
        with self.database.transaction(read_only=True) as session:
            wallet = WalletRepository(session).by_account(account_id)
            if wallet is None:
                return set()
            rows = WalletRepository(session).credentials(wallet.id)
        return {str(r.document.get("id")) for r in rows if r.holder_match == HOLDER and r.document.get("id")}

    def _check_components(self, reports: Sequence[Report], *, holder: str, own: set[str]) -> _Checked:
        lookup = self.verification.trust.index().lookup
        with self.database.transaction(read_only=True) as session:
            own_definition = self.pathways.own_definitions(session)
        facts: list[Facts] = []
        components: list[dict[str, Any]] = []
        seen: set[str] = set()
        for inner in reports:
            document = inner.credential or {}
            credential_id = str(document.get("id") or "") or component_digest(document)
            if credential_id in seen:
                continue  # the same credential twice counts once
            seen.add(credential_id)
            status = status_of(inner)
            subject = str(inner.subject.get("id") or "")
            valid, why = status == "valid", status
            if valid and subject != holder and credential_id not in own:
                valid, why = False, "about someone else"
            found = facts_for(
                document,
                valid=valid,
                invalid_reason="" if valid else why,
                scopes=trusted_scopes(inner, lookup) if valid else (),
                own_definition=own_definition,
            )
            facts.append(replace(found, credential_id=credential_id))
            components.append(
                {
                    "id": credential_id,
                    "title": found.title,
                    "issuer": found.issuer_name or found.issuer_id,
                    "issuer_id": found.issuer_id,
                    "achievement": found.achievement_id,
                    "digest": component_digest(document),
                    "document": dict(document),
                    "status": why,
                    "counted": False,
                }
            )
        return _Checked(facts, components)

    def _decide_claim(self, view: PathwayView, holder: str, account_id: int | None, checked: _Checked) -> ClaimView:
        now = self.clock()
        evaluation = evaluate(view.pathway, checked.facts, now=now)
        if not evaluation.met:
            raise ConflictError("the pathway's rules are not met: %(why)s", why=_not_met(evaluation))
        used = set(evaluation.used)
        components = [{**c, "counted": c["id"] in used} for c in checked.components if c["id"] in used]
        with self.database.transaction() as session:
            repo = PathwayRepository(session)
            earlier = [c for c in repo.claims_of_holder(view.stored.id, holder) if c.state in (AWARDED, REVIEW)]
            if earlier:
                return _claim_view(earlier[0], view.slug)
            row = repo.add_claim(
                PathwayClaimRow(
                    public_id=str(uuid.uuid4()),
                    pathway_id=view.stored.id,
                    version=view.version,
                    holder=holder,
                    account_id=account_id,
                    state=REVIEW,
                    components={"items": components},
                    evaluation=_evaluation_json(evaluation),
                    created_at=now,
                )
            )
            AuditRepository(session).append(
                at=now, actor=holder, action="pathway.claim", subject=row.public_id, details={"pathway": view.slug}
            )
            public_id = row.public_id
        if view.pathway.review == "automatic":
            return self._award(public_id, actor=f"pathway:{view.slug}")
        return self.get(public_id)

    # -- the issuer's side ---------------------------------------------------------------------------

    def get(self, public_id: str, *, organisation: str | None = None) -> ClaimView:
        """The claim ``public_id`` (of ``organisation``'s pathway when given); NotFoundError otherwise."""
        with self.database.transaction(read_only=True) as session:
            row = PathwayRepository(session).claim(public_id[:40])
            if row is None:
                raise NotFoundError("no such claim")
            slug, owner = _pathway_of(session, row.pathway_id)
            if organisation is not None and owner != organisation:
                raise NotFoundError("no such claim")
            return _claim_view(row, slug)

    def claims(self, slug: str, *, organisation: str, states: Sequence[str] = ()) -> list[ClaimView]:
        """The claims of ``organisation``'s pathway ``slug``, newest first."""
        view = self.pathways.get(slug, drafts=True)
        if view.stored.organisation != organisation:
            raise NotFoundError(f"no pathway '{slug}'")
        with self.database.transaction(read_only=True) as session:
            return [_claim_view(r, slug) for r in PathwayRepository(session).claims(view.stored.id, states=states)]

    def of_account(self, account_id: int) -> list[ClaimView]:
        """The claims made from the wallet of ``account_id``, newest first."""
        with self.database.transaction(read_only=True) as session:
            rows = PathwayRepository(session).claims_of_account(account_id)
            return [_claim_view(r, _pathway_of(session, r.pathway_id)[0]) for r in rows]

    def decide(self, public_id: str, *, organisation: str, approve: bool, reason: str, actor: str) -> ClaimView:
        """The issuer approves (the composite is awarded, after every component is checked again) or refuses
        (``reason`` is required and shown to the learner) a claim waiting for review."""
        claim = self.get(public_id, organisation=organisation)
        if claim.state != REVIEW:
            raise ConflictError("this claim was decided already")
        reason = reason.strip()[:2000]
        if approve:
            outcome, words = self._recheck(claim.public_id)
            if outcome is not Outcome.PASS:
                raise ConflictError("the components no longer meet the rules: %(why)s", why=words)
            return self._award(claim.public_id, actor=actor)
        if not reason:
            raise InputError("say why the claim is refused: the learner reads it")
        with self.database.transaction() as session:
            row = PathwayRepository(session).claim(claim.public_id)
            assert row is not None
            row.state, row.reason, row.decided_at, row.decided_by = REFUSED, reason, self.clock(), actor
            AuditRepository(session).append(
                at=self.clock(), actor=actor, action="pathway.refuse", subject=row.public_id, details={}
            )
        return self.get(claim.public_id)

    def _award(self, public_id: str, *, actor: str) -> ClaimView:
        with self.database.transaction(read_only=True) as session:
            row = PathwayRepository(session).claim(public_id)
            assert row is not None
            slug, _ = _pathway_of(session, row.pathway_id)
            email, name = None, None
            if row.account_id is not None and (account := AccountRepository(session).get(row.account_id)):
                email, name = account.email, account.display_name
            holder, version, items = row.holder, row.version, list(row.components.get("items") or [])
        view = self.pathways.get(slug, version)
        recipient = Recipient(name=name, email=email, did=holder if holder.startswith("did:") else None)
        extra = self.composite_parts(view, items)
        result = self.issuing.award(
            view.pathway.target,
            recipient,
            actor=actor,
            organisation=view.pathway.issuer,
            idempotency_key=f"pathway:{slug}:{holder}",
            composite=extra,
        )
        with self.database.transaction() as session:
            row = PathwayRepository(session).claim(public_id)
            assert row is not None
            row.state, row.award_id, row.decided_at, row.decided_by = AWARDED, result.award_id, self.clock(), actor
            AuditRepository(session).append(
                at=self.clock(),
                actor=actor,
                action="pathway.award",
                subject=row.public_id,
                details={"award": result.award_id},
            )
        if email is not None and row.account_id is not None and result.claim_token:
            self.wallet.add_from_claim(row.account_id, email, result.claim_token)
        return self.get(public_id)

    def composite_parts(self, view: PathwayView, items: Sequence[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        """What the composite credential carries: each component as evidence and as a related resource with its
        digest, and the pathway version as an alignment (:func:`cairn.formats.composite.composite_parts`)."""
        title = next(iter(view.pathway.title.values()))
        return composite_parts(
            [item["document"] for item in items],
            pathway_id=view.slug,
            pathway_version=view.version,
            pathway_url=f"{self.pathways.public_url}/pathways/{view.slug}?version={view.version}",
            pathway_title=title,
        )

    def clr(self, award_id: str, *, holder: str | None = None, organisation: str | None = None) -> dict[str, Any] | str:
        """The composite award ``award_id`` as a signed CLR 2.0 credential bundling its components, the composite
        and their ``isParentOf`` associations, signed by the composite's issuer. ``holder`` (the claim's holder)
        or ``organisation`` (the issuer) must match; NotFoundError otherwise."""
        with self.database.transaction(read_only=True) as session:
            row = PathwayRepository(session).claim_of_award(award_id[:36])
            if row is None:
                raise NotFoundError("this credential was not stacked from a pathway")
            _, owner = _pathway_of(session, row.pathway_id)
            claim_holder, items = row.holder, list(row.components.get("items") or [])
        if (holder is None or holder != claim_holder) and (organisation is None or organisation != owner):
            raise NotFoundError("this credential was not stacked from a pathway")
        award = self.issuing.get(award_id, organisation=owner)
        plan = self.issuing.plan(award.definition, organisation=owner)
        composite = award.credential
        document = composite if isinstance(composite, Mapping) else credential_document(composite)
        found = document.get("issuer")
        issuer: Mapping[str, Any] = found if isinstance(found, Mapping) else {"id": plan.context.issuer_ids[owner]}
        now = self.clock().replace(microsecond=0)
        bundle = clr_credential(
            issuer=issuer,
            holder_id=claim_holder,
            name=str(document.get("name") or plan.title),
            components=[item["document"] for item in items],
            composite=composite,
            valid_from=now.isoformat().replace("+00:00", "Z"),
            id=f"urn:uuid:{uuid.uuid4()}",
        )
        context = plan.context
        return issue(
            bundle, key=context.key(), suite=context.suite, created=now, verification_method=context.verification_method
        )

    # -- checking a composite again ------------------------------------------------------------------

    def _recheck(self, public_id: str) -> tuple[Outcome, Phrase]:
        with self.database.transaction(read_only=True) as session:
            row = PathwayRepository(session).claim(public_id)
            assert row is not None
            slug, _ = _pathway_of(session, row.pathway_id)
            holder, version, items = row.holder, row.version, list(row.components.get("items") or [])
        return self._evaluate_again(slug, version, holder, items)

    def _evaluate_again(
        self, slug: str, version: int, holder: str, items: Sequence[Mapping[str, Any]]
    ) -> tuple[Outcome, Phrase]:
        view = self.pathways.get(slug, version, drafts=True)
        lookup = self.verification.trust.index().lookup
        with self.database.transaction(read_only=True) as session:
            own_definition = self.pathways.own_definitions(session)
        facts: list[Facts] = []
        problems: list[Phrase] = []
        issuers: set[str] = set()
        for item in items[:MAX_COMPONENTS]:
            document = item.get("document")
            if not isinstance(document, Mapping):
                problems.append(Phrase("component %(id)s is missing", id=str(item.get("id"))))
                continue
            report = self.verification.verify(document)
            status = status_of(report)
            if status != "valid":
                problems.append(Phrase("%(title)s is %(status)s", title=str(item.get("title")), status=Phrase(status)))
            issuers.add(str(item.get("issuer_id") or ""))
            found = facts_for(
                document,
                valid=status == "valid",
                invalid_reason=status,
                scopes=trusted_scopes(report, lookup),
                own_definition=own_definition,
            )
            facts.append(replace(found, credential_id=str(item.get("id")), holder=holder))
        evaluation = evaluate(view.pathway, facts, now=self.clock())
        rules = Phrase(
            "rules of pathway %(pathway)s version %(version)s %(met)s",
            pathway=slug,
            version=str(version),
            met=Phrase("met") if evaluation.met else Phrase("no longer met"),
        )
        stacked = Phrase(
            "stacked from %(n)s micro-credentials by %(issuers)s issuers",
            n=str(len(items)),
            issuers=str(len(issuers)),
        )
        if problems or not evaluation.met:
            said = Phrase("%(stacked)s: %(problems)s; %(rules)s", stacked=stacked, problems=problems, rules=rules)
            return Outcome.FAIL, said
        return Outcome.PASS, Phrase("%(stacked)s, all valid, %(rules)s", stacked=stacked, rules=rules)

    def check_composite(self, credential: Mapping[str, Any]) -> tuple[Outcome, Phrase] | None:
        """The ``composite`` check of a credential this instance awarded as a pathway's composite (None for any
        other credential): every component verified again, its digest compared, the rules evaluated again."""
        credential_id = str(credential.get("id") or "")
        said = read_composite(credential)
        if said is None or not credential_id.startswith("urn:uuid:"):
            return None
        with self.database.transaction(read_only=True) as session:
            row = PathwayRepository(session).claim_of_award(credential_id.removeprefix("urn:uuid:")[:36])
            if row is None:
                return None
            slug, _ = _pathway_of(session, row.pathway_id)
            holder, version, items = row.holder, row.version, list(row.components.get("items") or [])
        kept = {str(item.get("id")): item.get("document") for item in items}
        for named in said.components:
            document = kept.get(named.credential_id)
            if not isinstance(document, Mapping) or not digest_matches(document, named.digest):
                return Outcome.FAIL, Phrase("a component's digest does not match the one it was awarded for")
        if (said.pathway_id, said.pathway_version) != (slug, version):
            return Outcome.FAIL, Phrase("the pathway it names is not the one it was awarded under")
        return self._evaluate_again(slug, version, holder, items)


def _pathway_of(session: Any, pathway_id: int) -> tuple[str, str]:
    row = session.get(PathwayRow, pathway_id)
    org = session.get(OrganisationRow, row.organisation_id)
    return row.slug, org.slug


def _not_met(evaluation: Evaluation, most: int = 5) -> Phrase:
    """The evaluation's summary, then why each presented credential that would have met a part does not count
    (about someone else, revoked, expired), so the claimant learns what to fix."""
    said: list[Phrase] = []
    stack = [evaluation.root]
    while stack and len(said) < most:
        node = stack.pop()
        if not node.met and node.not_counted and node.explanation not in said:
            said.append(node.explanation)
        stack.extend(reversed(node.children))
    if not said:
        return evaluation.explanation
    return Phrase("%(summary)s; %(why)s", summary=evaluation.explanation, why=said)


def _evaluation_json(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "met": evaluation.met,
        "used": list(evaluation.used),
        "explanation": evaluation.explanation.to_json(),
        "progress": evaluation.progress,
        "ects": evaluation.ects_done,
        "hours": evaluation.hours_done,
    }


def _claim_view(row: PathwayClaimRow, slug: str) -> ClaimView:
    items = row.components.get("items") or []
    return ClaimView(
        public_id=row.public_id,
        pathway=slug,
        version=row.version,
        state=row.state,
        holder=row.holder,
        award_id=row.award_id,
        created_at=row.created_at,
        decided_at=row.decided_at,
        reason=row.reason,
        explanation=row.evaluation.get("explanation") or {},
        components=tuple(
            ComponentView(
                str(i.get("id")),
                str(i.get("title") or ""),
                str(i.get("issuer") or ""),
                str(i.get("digest") or ""),
                bool(i.get("counted")),
                str(i.get("status") or ""),
            )
            for i in items
            if isinstance(i, Mapping)
        ),
        met=bool(row.evaluation.get("met")),
    )
