"""The one verification use case: every place that verifies a credential calls :class:`VerificationService`.

Pages, the JSON API, the VC-API, wallet import and re-checks, share pages, the public profile, the PDF
certificate, the CLI and batch verification all hand their input to :meth:`VerificationService.verify` (or
:meth:`~VerificationService.verify_async` from the event loop). The service owns what every verification
needs, so no edge chooses it differently:

- the **fetcher**: this instance's own DID documents and status lists answered locally, everything else through
  the guarded outbound fetcher (timeouts, size limits, no private addresses);
- the **clock**;
- the **trust sources**: the operator's trust list (issuer DIDs, ELM seal certificates), which becomes the
  ``issuer-trust`` check of the report like any other check;
- **where** the work runs: :meth:`~VerificationService.verify_async` verifies small self-contained inputs
  inline (a did:key credential with no status entry takes about a millisecond, less than handing it to a
  thread; so does a credential of this instance's own issuers while the DID document and status lists it needs
  are kept in memory and nothing changed in the database) and everything that may fetch or read the database
  in a worker thread, so the event loop never waits on the network or the database.

The ``issuer-trust`` check says who vouches for the issuer, and never takes it from what the signer wrote:
the issuer is found by the identifier whose key signed (its DID, or its seal certificate), and the trust
network (:class:`~cairn.services.trust.network.TrustNetwork`) looks for a chain of accreditations from it to
an anchor this instance trusts, each link in force when the credential was awarded and covering it.

- ``pass``: a chain holds ("accredited by X, itself accredited by Y, for EQF 5-6 in ISCED-F 06 until 2027"),
  or the operator lists the issuer's DID (or seal certificate) directly;
- ``warning``: the credential is authentic, but nobody this instance trusts vouches for its issuer (with the
  closest miss: an accreditation withdrawn before the award, a level outside its scope, ...);
- ``skipped``: the signature or the issuer's key did not verify, so who issued it is not established.

:attr:`Report.trust <cairn.vc.report.Report.trust>` carries the details (``vouched``, the chain link by link,
the registry's legal identity of the issuer, whether it is one of this instance's organisations) for pages.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from cairn.errors import CredentialError, FetchError
from cairn.formats.composite import read_composite
from cairn.model.trust import Accreditation, Claim, vouch
from cairn.phrases import Phrase
from cairn.services.trust.network import TrustNetwork
from cairn.services.trust.operator import TrustList
from cairn.services.verification.local_fetch import InstanceFetcher
from cairn.vc.fetch import Fetcher
from cairn.vc.fetch import Response as FetchResponse
from cairn.vc.intake import verify_any
from cairn.vc.report import Outcome, Report
from cairn.vc.values import as_list

__all__ = ["INLINE_MAX_BYTES", "TRUST_REASONS", "VerificationService", "vouched_by"]

INLINE_MAX_BYTES: Final = 64_000
"""Inputs up to this size that name a did:key issuer and no status list, or an issuer of this instance whose
documents it keeps in memory, are verified on the event loop."""

TRUST_REASONS: Final = {
    "unproven": "the signature did not verify, so who issued it is not established",
    "unconfirmed": "the issuer's own documents did not confirm the signing key, so who issued it is not established",
    "seal": "the credential's seal certificate is one this instance's operator trusts",
    "operator": "this instance's operator lists the issuer's identifier directly",
    "chain": "accredited through a chain this instance trusts",
    "nobody": "nobody this instance trusts vouches for the issuer",
}
"""Why the ``issuer-trust`` check came out as it did (English msgids: pages translate them); a chain or a
miss adds its own sentence after the reason."""

_MAX_NESTED: Final = 100
_MAX_INLINE_STATUS: Final = 4
"""A credential with more status entries than this is verified in a thread."""
_MAX_COMPOSITE_DEPTH: Final = 2
_composite_depth: contextvars.ContextVar[int] = contextvars.ContextVar("composite_depth", default=0)
CompositeCheck = Callable[[Mapping[str, Any]], "tuple[Outcome, Phrase] | None"]
_PRESENTATIONS: Final = frozenset({"presentation", "vp-jwt", "enveloped-presentation", "enveloped-vp-jwt"})
_one_verification: contextvars.ContextVar[dict[str, FetchResponse] | None] = contextvars.ContextVar(
    "one_verification", default=None
)
"""The documents fetched during the verification now running (a composite's components included)."""
_MAX_REMEMBERED: Final = 256
_in_thread = asyncio.to_thread
"""How :meth:`VerificationService.verify_async` leaves the event loop (tests watch it)."""


class _NoFetching:
    """A fetcher for inline verification: it answers only what this instance keeps in memory (its own DID
    documents and status lists, while nothing changed in the database: :meth:`InstanceFetcher.fetch_kept`), and
    remembers that anything else was wanted, so the verification is redone in a worker thread with the real
    fetcher (a fetch, or a database read, would block the event loop)."""

    def __init__(
        self, instance: InstanceFetcher | None = None, ready: Mapping[str, FetchResponse] | None = None
    ) -> None:
        self.instance = instance
        self.ready = ready or {}
        """Documents found already (by :meth:`VerificationService._may_be_offline`), by URL."""
        self.wanted = False

    def fetch(self, url: str) -> FetchResponse:
        found = self.ready.get(url)
        if found is None and self.instance is not None:
            found = self.instance.fetch_kept(url)
        if found is not None:
            return found
        self.wanted = True
        raise FetchError("not fetched inline: this verification is redone with the network")


_inline: contextvars.ContextVar[_NoFetching | None] = contextvars.ContextVar("inline", default=None)
"""The inline attempt running now (:meth:`VerificationService.verify_async`): work that needs the database marks
it wanted instead of doing it."""


class _Remembering:
    """A fetcher that answers a URL fetched before during the same verification from memory.

    A composite of 10 components from 4 issuers names the same DID documents and status lists dozens of times
    (each credential's proof, each status list's own proof); reading them once per verification, not once per
    mention, made verifying it three times faster. Nothing outlives the verification: the next one reads the keys
    and the status now. Failures are not remembered (they raise again). This instance's DID documents list the
    key its status lists are signed with before any list is published
    (:meth:`cairn.services.issuing.keys.KeyService.did_document`), so a document read first stays right."""

    def __init__(self, inner: Fetcher, remembered: dict[str, FetchResponse]) -> None:
        self.inner = inner
        self.remembered = remembered

    def fetch(self, url: str) -> FetchResponse:
        found = self.remembered.get(url)
        if found is None:
            found = self.inner.fetch(url)
            if len(self.remembered) < _MAX_REMEMBERED:
                self.remembered[url] = found
        return found


def _may_be_composite(credential: Mapping[str, Any]) -> bool:
    """Whether ``credential`` names a pathway's components (a composite, or unreadable as one: either way the
    composite check has the last word)."""
    try:
        return read_composite(credential) is not None
    except CredentialError:
        return True


class VerificationService:
    """Verify any credential or presentation with this instance's fetcher, clock and trust sources."""

    def __init__(
        self, *, fetcher: Fetcher | None, clock: Callable[[], datetime], trust: TrustNetwork | TrustList
    ) -> None:
        self.fetcher = fetcher
        self.clock = clock
        self.trust = trust if isinstance(trust, TrustNetwork) else TrustNetwork(None, clock=clock, operator=trust)
        self.composites: CompositeCheck | None = None
        """Checks a composite this instance awarded again (its components, their status, the pathway's rules):
        :meth:`cairn.services.pathways.claims.PathwayClaimService.check_composite`, wired by the bootstrap."""

    def verify(
        self,
        source: bytes | str | Mapping[str, Any],
        *,
        challenge: str | None = None,
        domain: str | None = None,
        formats: Collection[str] | None = None,
        fetcher: Fetcher | None = None,
        checks: Collection[str] | None = None,
    ) -> Report:
        """The report on ``source`` (any format :func:`cairn.vc.intake.verify_any` reads), with issuer trust.

        ``challenge`` and ``domain`` bind a presentation; ``formats`` limits the formats recognised (the VC-API
        takes Verifiable Credentials only); ``fetcher`` replaces the instance's (for inline verification);
        ``checks`` chooses the optional checks that run (:data:`cairn.vc.verification.SELECTABLE_CHECKS`; None:
        all). Issuer trust is judged whatever ``checks`` says; a skipped ``issuer-key`` check means nobody vouches.

        A document named twice within one verification (a DID document by a credential's proof and by its status
        lists' proofs; the same ones by every component of a composite) is fetched once; the next verification
        fetches again."""
        remembered = _one_verification.get()
        token = _one_verification.set({}) if remembered is None else None
        try:
            return self._verify(source, challenge, domain, formats, fetcher, checks)
        finally:
            if token is not None:
                _one_verification.reset(token)

    def _verify(
        self,
        source: bytes | str | Mapping[str, Any],
        challenge: str | None,
        domain: str | None,
        formats: Collection[str] | None,
        fetcher: Fetcher | None,
        checks: Collection[str] | None,
    ) -> Report:
        chosen = fetcher if fetcher is not None else self.fetcher
        remembered = _one_verification.get()
        if chosen is not None and remembered is not None:
            chosen = _Remembering(chosen, remembered)
        report = verify_any(
            source,
            now=self.clock(),
            fetcher=chosen,
            challenge=challenge,
            domain=domain,
            trusted_certificates=self.trust.certificates,
            formats=formats,
            checks=checks,
        )
        self._judge_trust(report)
        self._judge_composite(report)
        return report

    def _judge_composite(self, report: Report) -> None:
        """Add the ``composite`` check to a composite credential one of this instance's organisations awarded
        (the components verified again, with their status now, and the pathway's rules evaluated again)."""
        if self.composites is None or report.credential is None or report.format in _PRESENTATIONS:
            return
        if report.outcome_of("proof") is not Outcome.PASS or not self.trust.own(report.issuer):
            return
        inline = _inline.get()
        if inline is not None and _may_be_composite(report.credential):  # the check reads the database
            inline.wanted = True
            return
        depth = _composite_depth.get()
        if depth >= _MAX_COMPOSITE_DEPTH:
            return
        token = _composite_depth.set(depth + 1)
        try:
            found = self.composites(report.credential)
        finally:
            _composite_depth.reset(token)
        if found is not None:
            report.add("composite", found[0], found[1])

    async def verify_async(
        self,
        source: bytes | str | Mapping[str, Any],
        *,
        size: int | None = None,
        challenge: str | None = None,
        domain: str | None = None,
        formats: Collection[str] | None = None,
        checks: Collection[str] | None = None,
    ) -> Report:
        """:meth:`verify` from the event loop: inline when ``source`` (of ``size`` bytes as received) is small
        and verifies without fetching anything and the trust snapshot needs no database work, else in a worker
        thread."""
        ready = self._may_be_offline(source, size) if self.trust.current() else None
        if ready is not None:
            offline = _NoFetching(self.fetcher if isinstance(self.fetcher, InstanceFetcher) else None, ready)
            token = _inline.set(offline)
            try:
                report = self.verify(
                    source, challenge=challenge, domain=domain, formats=formats, fetcher=offline, checks=checks
                )
            finally:
                _inline.reset(token)
            if not offline.wanted:
                return report
        return await _in_thread(self.verify, source, challenge=challenge, domain=domain, formats=formats, checks=checks)

    def _may_be_offline(
        self, source: bytes | str | Mapping[str, Any], size: int | None
    ) -> dict[str, FetchResponse] | None:
        """Whether ``source`` is small and likely verifiable without the network or the database: a did:key issuer
        and no status, or an issuer of this instance whose DID document and status lists this process keeps,
        current, in memory (asked before trying, so that an instance whose database changes all the time does
        not start each verification twice). The documents already found, by URL (the inline attempt uses them);
        None: verify in a thread."""
        if size is None or size > INLINE_MAX_BYTES:
            return None
        if isinstance(source, Mapping):
            issuer = source.get("issuer")
            issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
            if not isinstance(issuer_id, str):
                return None
            if issuer_id.startswith("did:key:"):
                return None if "credentialStatus" in source else {}
            if not isinstance(self.fetcher, InstanceFetcher) or not issuer_id.startswith("did:web:"):
                return None
            entries = as_list(source.get("credentialStatus"))
            if len(entries) > _MAX_INLINE_STATUS:
                return None
            lists = [entry.get("statusListCredential") if isinstance(entry, Mapping) else None for entry in entries]
            return self.fetcher.kept_all(issuer_id, lists)
        return {} if isinstance(source, str) else None

    def standing(self, identifier: str) -> dict[str, Any]:
        """Who vouches now for the issuer ``identifier`` (a DID), with no credential in hand: for an organisation's
        public page. The same trust network and the same shape as a report's ``trust`` (``vouched``, ``chain``,
        ``reason`` and ``said``), so pages show it the one way they show a credential's issuer trust. Each
        accreditation in force that names the issuer is tried with a claim inside its own scope (an accreditation
        for EQF 6 in ISCED-F 06 is asked about EQF 6 in 06); the first that reaches an anchor is the answer."""
        now = self.clock()
        index = self.trust.index()
        details: dict[str, Any] = {"vouched": False, "chain": []}
        found: Phrase | str = ""
        if identifier in index.anchors:
            key = "operator"
            details.update(vouched=True, by="operator", anchor={"did": identifier, "name": index.anchors[identifier]})
        else:
            key = "nobody"
            for accreditation in index.lookup(identifier)[:50]:
                claim = _claim_within(accreditation, index.lookup, now)
                vouching = vouch([identifier], claim, lookup=index.lookup, anchors=index.anchors)
                if vouching.chain is not None and vouching.chain.links:
                    links, found = self.trust.explain(vouching.chain)
                    key = "chain"
                    details.update(vouched=True, by="chain", chain=links)
                    break
        reason = Phrase(TRUST_REASONS[key])
        if found:
            reason = Phrase("%(reason)s: %(detail)s", reason=reason, detail=found)
        return {**details, "reason": str(reason), "said": reason.to_json()}

    def _judge_trust(self, report: Report, depth: int = 0) -> None:
        """Add the ``issuer-trust`` check to ``report`` (and to each credential inside it). A presentation has a
        holder, not an issuer: only the credentials inside it are judged."""
        if report.format in _PRESENTATIONS:
            for inner in report.credentials[:_MAX_NESTED]:
                self._judge_trust(inner, depth + 1)
            return
        outcome, key, details, sentence = self._trust_of(report)
        reason = Phrase(TRUST_REASONS[key])
        if sentence:
            reason = Phrase("%(reason)s: %(detail)s", reason=reason, detail=sentence)
        report.trust = {**details, "reason": str(reason), "said": reason.to_json()}
        report.add("issuer-trust", outcome, reason)
        if depth < 3:
            for inner in report.credentials[:_MAX_NESTED]:
                self._judge_trust(inner, depth + 1)

    def _trust_of(self, report: Report) -> tuple[Outcome, str, dict[str, Any], Phrase | str]:
        issuer = report.issuer
        details: dict[str, Any] = {"vouched": False, "issued_here": self.trust.own(issuer), "chain": []}
        key = report.outcome_of("issuer-key")
        if report.outcome_of("proof") is not Outcome.PASS or key is Outcome.FAIL:
            return Outcome.SKIPPED, "unproven", details, ""
        if key is not Outcome.PASS and report.format != "elm-edc":
            # A key the issuer's own documents did not confirm (a 1EdTech #<multikey> fragment, a JWT's jwk
            # header, no key id) proves who signed, not that the issuer did: nobody is asked to vouch for it.
            return Outcome.SKIPPED, "unconfirmed", details, ""
        if report.format == "elm-edc" and issuer.get("trust") == "trusted":
            operator = {"did": "", "name": "this instance's operator"}
            return Outcome.PASS, "seal", {**details, "vouched": True, "by": "operator", "anchor": operator}, ""
        identifiers = _identifiers(report)
        vouching = self.trust.vouching(identifiers, report.credential)
        if vouching.identity is not None:
            details["identity"] = vouching.identity.to_dict()
        if vouching.chain is None:
            return Outcome.WARNING, "nobody", details, vouching.reason
        chain = vouching.chain
        details.update(vouched=True, anchor={"did": chain.anchor, "name": chain.anchor_name})
        if not chain.links:
            return Outcome.PASS, "operator", {**details, "by": "operator"}, ""
        links, sentence = self.trust.explain(chain)
        details.update(by="chain", chain=links, summary=str(sentence))
        return Outcome.PASS, "chain", details, sentence


def _claim_within(first: Accreditation, lookup: Callable[[str], Sequence[Accreditation]], now: datetime) -> Claim:
    """A claim inside ``first``'s scope and, for what it leaves open, inside its accreditors' (the first
    accreditation of each, up the chain): what an organisation's page asks the trust network about."""
    eqf: int | None = None
    isced: str | None = None
    nqf: str | None = None
    types: tuple[str, ...] = ()
    link: Accreditation | None = first
    for _ in range(5):
        if link is None:
            break
        scope = link.scope
        eqf = eqf if eqf is not None else (scope.eqf[0] if scope.eqf else None)
        isced = isced or (scope.isced[0] if scope.isced else None)
        nqf = nqf or (scope.nqf[0] if scope.nqf else None)
        types = types or scope.types[:1]
        above = lookup(link.accredited_by)
        link = above[0] if above else None
    return Claim(now, eqf=eqf, isced=isced, nqf=nqf, types=types)


def vouched_by(trust: Mapping[str, Any]) -> str:
    """Who vouches for the issuer, from a report's ``trust`` (as stored or as JSON): the body that accredited it,
    or the anchor that lists it directly; ``""`` when nobody does."""
    if not trust.get("vouched"):
        return ""
    chain = trust.get("chain") or []
    if chain and isinstance(chain[0], Mapping):
        return str(chain[0].get("accredited_by") or "")
    anchor = trust.get("anchor")
    return str(anchor.get("name") or "") if isinstance(anchor, Mapping) else ""


def _identifiers(report: Report) -> list[str]:
    """What identifies the key that signed: the issuer's DID (or issuer URL), and for a seal the certificates
    reached through verified links of its chain (``cert:<sha256>``)."""
    found: list[str] = []
    issuer_id = report.issuer.get("id")
    if isinstance(issuer_id, str) and issuer_id and report.format != "elm-edc":  # a seal's key is its certificate
        found.append(issuer_id)
    for entry in report.issuer.get("certificate_chain") or ():
        if isinstance(entry, Mapping) and isinstance(entry.get("sha256"), str):
            found.append("cert:" + entry["sha256"].lower())
            if not str(entry.get("link", "")).startswith("signed by"):
                break
    return found
