"""Pathways as issuers publish them and as learners follow them.

An issuer saves a pathway (from a catalogue file, the editor or the API): it is checked (the target is the
issuer's own definition, every named definition exists, no cycle through other pathways, no rule that can never
be met) and stored as a new version when it changed. A learner's wallet shows, for each pathway they follow or
that their credentials touch, what is done and by which credential, what is missing, which micro-credentials of
the catalogue would close each gap, and how many ECTS and hours are left.

The facts about a held credential are read from the document (:func:`cairn.formats.facts.facts_of`), but what
makes it count comes from the one verification path: valid (signature, status, validity) from the wallet's last
check, the issuer's accreditation scopes from the trust network. Nothing is taken from text the signer wrote:
a credential counts as a definition of this instance only when one of this instance's organisations signed it,
and as another issuer's achievement only when its signer is vouched for or is the host the achievement lives on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from cairn.errors import CatalogError, ConflictError, InputError, NotFoundError, PermissionDeniedError, Problem
from cairn.formats.facts import Facts, facts_of, facts_of_definition
from cairn.model.catalog import validation_problems
from cairn.model.definitions import PUBLISHED, STATES, MicroCredentialDefinition, Organisation
from cairn.model.pathways import (
    Evaluation,
    Held,
    Missing,
    PathwayDefinition,
    check_pathway,
    content_hash,
    evaluate,
    leaf_matches,
    leaves,
    load_pathway,
)
from cairn.model.trust import Scope
from cairn.phrases import Phrase
from cairn.services.verification.service import VerificationService
from cairn.store.audit import AuditRepository
from cairn.store.catalog.repository import DefinitionRepository, OrganisationRepository
from cairn.store.database import Database
from cairn.store.pathways.repository import PathwayRepository, StoredPathway
from cairn.store.wallet.repository import WalletRepository
from cairn.vc.holder import HOLDER
from cairn.vc.report import Report

__all__ = [
    "MAX_SUGGESTIONS",
    "PathwayProgress",
    "PathwayService",
    "PathwayStore",
    "PathwayView",
    "Suggestion",
    "facts_for",
    "trusted_scopes",
]

MAX_SUGGESTIONS = 5
"""Catalogue micro-credentials suggested for one gap, at most."""


@dataclass(frozen=True, slots=True)
class PathwayView:
    """One version of a pathway, with its issuer and the target definition's title."""

    stored: StoredPathway
    pathway: PathwayDefinition
    issuer: Organisation
    target_title: Mapping[str, str]

    @property
    def slug(self) -> str:
        """The pathway's id."""
        return self.stored.slug

    @property
    def version(self) -> int:
        """This version's number."""
        return self.stored.version


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A published micro-credential of the catalogue that would meet a missing part of a pathway."""

    slug: str
    title: Mapping[str, str]
    issuers: tuple[str, ...]
    ects: float | None
    hours: int | None


@dataclass(frozen=True, slots=True)
class PathwayProgress:
    """Where a learner stands on one pathway."""

    view: PathwayView
    evaluation: Evaluation
    following: bool
    suggestions: Mapping[str, tuple[Suggestion, ...]] = field(default_factory=dict)
    """For each missing leaf's path, the catalogue micro-credentials that would meet it."""
    titles: Mapping[str, str] = field(default_factory=dict)
    """Each held credential's title, by credential id (to say which credential did what)."""

    @property
    def ects_left(self) -> float | None:
        """ECTS still needed for the totals (None: the pathway sets no ECTS total)."""
        needed = self.evaluation.ects_needed
        return None if needed is None else max(0.0, needed - self.evaluation.ects_done)

    @property
    def hours_left(self) -> float | None:
        """Hours still needed for the totals (None: the pathway sets no hours total)."""
        needed = self.evaluation.hours_needed
        return None if needed is None else max(0.0, needed - self.evaluation.hours_done)


def trusted_scopes(report: Report | Mapping[str, Any], lookup: Callable[[str], Sequence[Any]]) -> tuple[Scope, ...]:
    """The scopes the issuer of a verified credential is accredited for, through a chain this instance trusts:
    everything when the operator lists the issuer itself, the issuer's own accreditation's scope when a chain holds,
    nothing when nobody vouches. ``lookup`` is the trust index's (issuer DID -> its accreditations)."""
    trust = report.trust if isinstance(report, Report) else report.get("trust") or {}
    issuer = report.issuer if isinstance(report, Report) else report.get("issuer") or {}
    if not isinstance(trust, Mapping) or not trust.get("vouched"):
        return ()
    if trust.get("by") == "operator" or trust.get("by") is None:
        return (Scope(),)
    chain = trust.get("chain") or []
    first = chain[0] if chain and isinstance(chain[0], Mapping) else {}
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else None
    wanted = first.get("accreditation")
    for accreditation in lookup(str(issuer_id or "")):
        if getattr(accreditation, "id", None) == wanted:
            return (accreditation.scope,)
    return ()


def facts_for(
    credential: Mapping[str, Any],
    *,
    valid: bool,
    invalid_reason: str = "",
    scopes: Sequence[Scope] = (),
    own_definition: Callable[[str, str], str] = lambda achievement, issuer: "",
) -> Facts:
    """The facts of a held credential as a pathway may count them. ``own_definition(achievement_id, issuer_id)``
    gives the slug of this instance's definition when one of its organisations signed it ("" otherwise). A foreign
    achievement id counts only when the signer is vouched for (``scopes``) or signs from the achievement's host."""
    facts = facts_of(credential, valid=valid, trusted_scopes=scopes, invalid_reason=invalid_reason)
    definition = own_definition(facts.achievement_id, facts.issuer_id)
    if definition:
        return replace(facts, definition=definition)
    if facts.achievement_id and not scopes and not _signed_from_host(facts.issuer_id, facts.achievement_id):
        return replace(facts, achievement_id="")  # anyone can write someone else's achievement id
    return facts


def _signed_from_host(issuer: str, achievement: str) -> bool:
    host = (urlsplit(achievement).hostname or "").lower()
    if not host or not issuer.startswith("did:web:"):
        return False
    issuer_host = issuer.removeprefix("did:web:").split(":", 1)[0].split("%3A", 1)[0].lower()
    return issuer_host == host


class PathwayStore:
    """Pathways saved (checked, versioned) and read: what a catalogue import needs, over one database."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock

    # -- saving and reading --------------------------------------------------------------------------

    def parse(self, data: Mapping[str, Any], *, source: str = "pathway") -> PathwayDefinition:
        """A pathway from its JSON / YAML form; CatalogError naming every field that is wrong."""
        body = {k: v for k, v in data.items() if k not in ("kind", "state")}
        try:
            return load_pathway(body)
        except ValidationError as exc:
            raise CatalogError(validation_problems(source, PathwayDefinition, exc)) from exc

    def problems(self, pathway: PathwayDefinition, *, source: str = "pathway", session: Any = None) -> list[Problem]:
        """What is wrong with ``pathway`` against the stored catalogue: its target, unknown definitions, cycles
        through other pathways, rules never met."""
        if session is None:
            with self.database.transaction(read_only=True) as new:
                return self.problems(pathway, source=source, session=new)
        defs = DefinitionRepository(session)
        found: list[Problem] = []
        try:
            target = defs.get(pathway.target)
        except NotFoundError:
            found.append(Problem(source, "target", Phrase("no micro-credential '%(id)s' to award", id=pathway.target)))
        else:
            if target.definition.awarding_bodies[0] != pathway.issuer:
                found.append(
                    Problem(
                        source,
                        "target",
                        Phrase(
                            "'%(id)s' is not a micro-credential of '%(issuer)s'",
                            id=pathway.target,
                            issuer=pathway.issuer,
                        ),
                    )
                )
        others = {
            p.target: p
            for p in (self._load(s) for s in PathwayRepository(session).latest(drafts=True))
            if p is not None and p.id != pathway.id
        }
        known = _Known(defs)
        for problem in check_pathway(pathway, known_definitions=known, pathways_by_target=others):
            found.append(Problem(source, problem.path, problem.message, problem.element))
        return found

    def save(
        self,
        data: Mapping[str, Any] | PathwayDefinition,
        *,
        organisation: str | None = None,
        actor: str,
        state: str | None = None,
        source: str = "pathway",
        session: Any = None,
    ) -> tuple[str, int]:
        """Check and store a pathway; a new version when it changed. ``organisation`` (when given) must be the
        pathway's issuer. Says what happened (``created``, ``new-version``, ``unchanged``) and the version."""
        pathway = data if isinstance(data, PathwayDefinition) else self.parse(data, source=source)
        wanted = state or (str(data.get("state")) if isinstance(data, Mapping) and data.get("state") else None)
        if wanted is not None and wanted not in STATES:
            raise InputError("a pathway's state is %(states)s", states=" or ".join(STATES))
        if organisation is not None and pathway.issuer != organisation:
            raise PermissionDeniedError("a pathway is saved by the organisation that awards its target")
        if session is None:
            with self.database.transaction() as new:
                return self.save(
                    pathway, organisation=organisation, actor=actor, state=wanted, source=source, session=new
                )
        problems = self.problems(pathway, source=source, session=session)
        if problems:
            raise CatalogError(problems)
        org = OrganisationRepository(session).row(pathway.issuer)
        if org is None:
            raise CatalogError([Problem(source, "issuer", Phrase("no organisation '%(id)s'", id=pathway.issuer))])
        repo, now = PathwayRepository(session), self.clock()
        current = repo.row(pathway.id)
        if current is not None and current.organisation_id != org.id:
            raise ConflictError("pathway '%(id)s' belongs to another organisation", id=pathway.id)
        content = pathway.model_dump(mode="json", exclude_none=True, by_alias=True)
        action, version = repo.save(
            slug=pathway.id,
            organisation_id=org.id,
            content=content,
            content_hash=content_hash(pathway),
            state=wanted or (current.state if current is not None else PUBLISHED),
            now=now,
        )
        if action != "unchanged":
            AuditRepository(session).append(
                at=now, actor=actor, action=f"pathway.{action}", subject=pathway.id, details={"version": version}
            )
        return action, version

    def get(self, slug: str, version: int | None = None, *, drafts: bool = False) -> PathwayView:
        """Version ``version`` (the latest when None) of pathway ``slug``; NotFoundError when there is none (or
        it is a draft and ``drafts`` is False)."""
        with self.database.transaction(read_only=True) as session:
            stored = PathwayRepository(session).get(slug, version)
            if stored is None or (stored.state != PUBLISHED and not drafts):
                raise NotFoundError(f"no pathway '{slug}'")
            view = self._view(session, stored)
        if view is None:
            raise NotFoundError(f"no pathway '{slug}'")
        return view

    def all(self, *, organisation: str | None = None, drafts: bool = False) -> list[PathwayView]:
        """The latest version of every pathway (published only unless ``drafts``), by id."""
        with self.database.transaction(read_only=True) as session:
            stored = PathwayRepository(session).latest(drafts=drafts, organisation=organisation)
            views = [self._view(session, s) for s in stored]
        return [v for v in views if v is not None]

    def versions(self, slug: str) -> list[int]:
        """The version numbers of pathway ``slug``."""
        with self.database.transaction(read_only=True) as session:
            return PathwayRepository(session).versions(slug)

    def _load(self, stored: StoredPathway) -> PathwayDefinition | None:
        try:
            return load_pathway(stored.content)
        except ValidationError:  # a version stored by an older Cairn that today's model refuses
            return None

    def _view(self, session: Any, stored: StoredPathway) -> PathwayView | None:
        pathway = self._load(stored)
        if pathway is None:
            return None
        issuer = OrganisationRepository(session).get(stored.organisation)
        try:
            title: Mapping[str, str] = DefinitionRepository(session).get(pathway.target).definition.title
        except NotFoundError:
            title = pathway.title
        return PathwayView(stored, pathway, issuer, title)


class PathwayService(PathwayStore):
    """Pathways: save and read them (versioned), and a wallet's progress along them."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime],
        verification: VerificationService,
        did_of: Callable[[str], str],
        public_url: str,
    ) -> None:
        super().__init__(database, clock=clock)
        self.verification = verification
        self.did_of = did_of
        self.public_url = public_url.rstrip("/")

    # -- a learner's progress ------------------------------------------------------------------------

    def follow(self, account_id: int, slug: str, *, following: bool = True) -> None:
        """The wallet of ``account_id`` follows (or stops following) pathway ``slug``."""
        with self.database.transaction() as session:
            wallet = WalletRepository(session).by_account(account_id)
            row = PathwayRepository(session).row(slug)
            if row is None or row.state != PUBLISHED:
                raise NotFoundError(f"no pathway '{slug}'")
            if wallet is None:
                raise NotFoundError("open your wallet first")
            repo = PathwayRepository(session)
            if following:
                repo.follow(wallet.id, row.id, self.clock())
            else:
                repo.unfollow(wallet.id, row.id)

    def held_facts(self, account_id: int) -> tuple[list[Facts], dict[str, str], set[str]]:
        """The facts of every credential in the wallet of ``account_id`` that names its holder, their titles by
        credential id, and the pathways the wallet follows."""
        with self.database.transaction(read_only=True) as session:
            wallet = WalletRepository(session).by_account(account_id)
            if wallet is None:
                return [], {}, set()
            rows = WalletRepository(session).credentials(wallet.id)
            followed = PathwayRepository(session).followed(wallet.id)
            own = self.own_definitions(session)
        lookup = self.verification.trust.index().lookup
        facts: list[Facts] = []
        titles: dict[str, str] = {}
        for row in rows:
            if row.holder_match != HOLDER:
                continue  # a credential about someone else never counts for the wallet's holder
            report = row.report if isinstance(row.report, Mapping) else {}
            document = row.document
            valid = row.status == "valid"
            found = facts_for(
                document,
                valid=valid,
                invalid_reason="" if valid else row.status,
                scopes=trusted_scopes(report, lookup) if valid else (),
                own_definition=own,
            )
            facts.append(replace(found, credential_id=row.id))
            titles[row.id] = row.title or found.title
        return facts, titles, followed

    def progress(self, account_id: int, *, slug: str | None = None) -> list[PathwayProgress]:
        """Where the wallet of ``account_id`` stands on each pathway it follows or its credentials touch (or on
        pathway ``slug`` alone, followed or not), most advanced first."""
        facts, titles, followed = self.held_facts(account_id)
        views = [self.get(slug)] if slug is not None else self.all()
        held, now = Held(facts, now=self.clock()), self.clock()
        out: list[PathwayProgress] = []
        catalogue: list[tuple[MicroCredentialDefinition, Facts]] | None = None
        for view in views:
            evaluation = evaluate(view.pathway, held, now=now)
            following = view.slug in followed
            if slug is None and not following and not evaluation.touched:
                continue
            if catalogue is None:
                catalogue = self._catalogue_facts()
            suggestions = {m.path: self._suggest(m, view.pathway, catalogue, now) for m in evaluation.missing}
            out.append(PathwayProgress(view, evaluation, following, suggestions, titles))
        out.sort(key=lambda p: (not p.following, -p.evaluation.progress, p.view.slug))
        return out

    def _catalogue_facts(self) -> list[tuple[MicroCredentialDefinition, Facts]]:
        with self.database.transaction(read_only=True) as session:
            stored = DefinitionRepository(session).published()
        return [
            (s.definition, facts_of_definition(s.definition, self.did_of(s.definition.awarding_bodies[0])))
            for s in stored
        ]

    def _suggest(
        self,
        missing: Missing,
        pathway: PathwayDefinition,
        catalogue: Iterable[tuple[MicroCredentialDefinition, Facts]],
        now: datetime,
    ) -> tuple[Suggestion, ...]:
        leaf = dict(leaves(pathway.rules)).get(missing.path)
        if leaf is None:
            return ()
        found: list[Suggestion] = []
        for definition, hypothetical in catalogue:
            if missing.definition and definition.id != missing.definition:
                continue
            if leaf_matches(leaf, replace(hypothetical, definition=definition.id), now, hypothetical=True) is None:
                found.append(
                    Suggestion(
                        definition.id,
                        definition.title,
                        tuple(definition.awarding_bodies),
                        definition.workload.ects,
                        definition.workload.hours,
                    )
                )
            if len(found) >= MAX_SUGGESTIONS:
                break
        return tuple(found)

    def own_definitions(self, session: Any) -> Callable[[str, str], str]:
        """``(achievement id, issuer id) -> slug`` of this instance's definition when its organisation signed it."""
        prefix = f"{self.public_url}/micro-credentials/"
        owners = {s.definition.id: s.definition.awarding_bodies for s in DefinitionRepository(session).latest()}

        def own(achievement: str, issuer: str) -> str:
            if not achievement.startswith(prefix):
                return ""
            slug = achievement.removeprefix(prefix).split("/", 1)[0]
            bodies = owners.get(slug, ())
            return slug if any(self.did_of(body) == issuer for body in bodies) else ""

        return own


class _Known:
    """``known(slug)``: whether a definition ``slug`` is stored (cached for one check)."""

    def __init__(self, defs: DefinitionRepository) -> None:
        self.defs = defs
        self.seen: dict[str, bool] = {}

    def __call__(self, slug: str) -> bool:
        if slug not in self.seen:
            try:
                self.defs.get(slug)
                self.seen[slug] = True
            except NotFoundError:
                self.seen[slug] = False
        return self.seen[slug]
